"""End to end: the REST API and /metrics on the web gateway (issue 15 items 2 and 6, first
part), with Python's http.client and curl. Checked: login with an account's password (the
guide's "Invalid Logon", the cookie's flags, the CSRF token), the lockout guard on web logins,
who may call what (administrator, the account itself, nobody without a login), CSRF on a
request that changes something, JSON bodies only (415), 404/405 in JSON, the user list's counts
after a real delivery, the status and /metrics figures equal to the daemon's own (CLI), the
metrics networks, and the OpenAPI document served equal to docs/openapi.json."""
import http.client
import json
import os
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402

DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs")


class Client:
    """One HTTP connection with a cookie jar of one cookie and the CSRF token."""

    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, headers=None, csrf=True):
        h = dict(headers or {})
        if body is not None and "Content-Type" not in h:
            h["Content-Type"] = "application/json"
        if self.cookie:
            h["Cookie"] = self.cookie
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        data = json.dumps(body) if isinstance(body, (dict, list)) else body
        self.c.request(method, path, body=data, headers=h)
        r = self.c.getresponse()
        raw = r.read()
        set_cookie = r.getheader("Set-Cookie")
        if set_cookie:
            self.cookie = set_cookie.split(";", 1)[0]
        parsed = json.loads(raw) if raw and r.getheader("Content-Type") == "application/json" else raw
        return r, parsed

    def login(self, user, password):
        r, body = self.request("POST", "/api/login", {"user": user, "password": password})
        if r.status == 200:
            self.csrf = body["csrf"]
        return r, body

    def close(self):
        self.c.close()


class ApiBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()
        cls.d.add_user("bob", "bob-secret-1")
        cls.domain = cls.d.cli("domain", "list")[1].split()[0]
        cls.port = cls.d.ports["http"]

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def client(self):
        c = Client(self.port)
        self.addCleanup(c.close)
        return c

    def admin(self):
        c = self.client()
        r, body = c.login("admin", self.d.admin_password)
        self.assertEqual(r.status, 200, body)
        return c


class Api(ApiBase):
    def test_login_cookie_and_me(self):
        c = self.client()
        r, body = c.login("admin", "wrong")
        self.assertEqual((r.status, body), (401, {"error": "Invalid Logon"}))
        self.assertIsNone(c.cookie)
        r, body = c.request("POST", "/api/login", {"user": "admin"})
        self.assertEqual(r.status, 400)
        r, body = c.request("POST", "/api/login", "user=admin&password=x",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 415)
        r, body = c.login("admin", self.d.admin_password)
        self.assertEqual(r.status, 200)
        self.assertEqual((body["user"], body["admin"]), ("admin", True))
        self.assertRegex(body["csrf"], "^[0-9a-f]{64}$")
        flags = r.getheader("Set-Cookie")
        self.assertRegex(flags, r"^pb_session=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict$")
        r, me = c.request("GET", "/api/me")
        self.assertEqual((r.status, me), (200, body))
        # a forged or missing cookie is nobody
        r, _ = self.client().request("GET", "/api/me", headers={"Cookie": "pb_session=" + "0" * 64})
        self.assertEqual(r.status, 401)

    def test_csrf_and_logout(self):
        c = self.admin()
        r, body = c.request("POST", "/api/logout", csrf=False)
        self.assertEqual(r.status, 403)
        self.assertIn("X-CSRF-Token", body["error"])
        r, _ = c.request("GET", "/api/me")
        self.assertEqual(r.status, 200)  # still logged in: the refused request changed nothing
        r, _ = c.request("POST", "/api/logout", headers={"X-CSRF-Token": "1" * 64}, csrf=False)
        self.assertEqual(r.status, 403)
        r, _ = c.request("POST", "/api/logout")
        self.assertEqual(r.status, 204)
        self.assertIn("Max-Age=0", r.getheader("Set-Cookie"))
        r, _ = c.request("GET", "/api/me")
        self.assertEqual(r.status, 401)

    def test_who_may_call_what(self):
        anon = self.client()
        for path in ["/api/users", "/api/status", "/api/users/bob", "/api/me"]:
            r, body = anon.request("GET", path)
            self.assertEqual(r.status, 401, path)
            self.assertEqual(body, {"error": "log in first"})
        bob = self.client()
        r, body = bob.login("bob", "bob-secret-1")
        self.assertEqual((r.status, body["admin"]), (200, False))
        for path in ["/api/users", "/api/status", "/api/users/admin"]:
            r, _ = bob.request("GET", path)
            self.assertEqual(r.status, 403, path)
        r, me = bob.request("GET", "/api/users/bob")
        self.assertEqual((r.status, me["user"]), (200, "bob"))
        r, _ = self.admin().request("GET", "/api/users/nobody")
        self.assertEqual(r.status, 404)

    def test_users_counts_after_a_delivery(self):
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            s.sendmail("a@example.org", ["bob@" + self.domain],
                       "From: a@example.org\r\nSubject: counted\r\n\r\nhello\r\n")
        c = self.admin()

        def bob_has_one():
            r, users = c.request("GET", "/api/users")
            row = [u for u in users if u["user"] == "bob"]
            return row and row[0]["messages"] == 1 and row[0]

        row = pbtest.wait_until(bob_has_one, timeout=30, what="bob's message in the list")
        self.assertGreater(row["bytes"], 0)
        r, bob = c.request("GET", "/api/users/bob")
        self.assertEqual((bob["messages"], bob["bytes"]), (1, row["bytes"]))
        self.assertIsInstance(bob["settings"], dict)

    def test_status_and_metrics_match_the_daemon(self):
        c = self.admin()
        r, st = c.request("GET", "/api/status")
        self.assertEqual(r.status, 200)
        rc, out, _ = self.d.cli("status", "--json")
        cli = json.loads(out)
        self.assertEqual(st["version"], cli["version"])
        self.assertEqual(st["users"], 2)
        # sessions are reported by each gateway once a second: only their presence is certain
        self.assertIn("http", [sv["service"] for sv in st["services"]])
        r, text = self.client().request("GET", "/metrics")  # loopback: a metrics network
        self.assertEqual(r.status, 200)
        self.assertTrue(r.getheader("Content-Type").startswith("text/plain; version=0.0.4"))
        lines = dict(line.rsplit(" ", 1) for line in text.decode().splitlines()
                     if not line.startswith("#"))
        self.assertEqual(int(lines["pillarbox_users"]), 2)
        smtp = 'pillarbox_messages_received_total{source="smtp"}'
        self.assertEqual(sorted(k for k in lines if k.startswith("pillarbox_messages_received_total")),
                         sorted('pillarbox_messages_received_total{source="%s"}' % s
                                for s in ("smtp", "collector", "web")))

        def received_agree():  # the status' count is the gateways' report (once a second)
            r, now = c.request("GET", "/api/status")
            r, text = self.client().request("GET", "/metrics")
            samples = dict(line.rsplit(" ", 1) for line in text.decode().splitlines()
                           if not line.startswith("#"))
            return now["received"] == int(samples[smtp])
        pbtest.wait_until(received_agree, timeout=10, what="received in status and metrics")
        self.assertIn('pillarbox_sessions{service="http"}', lines)
        # outside the metrics networks: a login is needed, an administrator's
        rc, _, err = self.d.cli("setting", "set", "web", '{"metrics_networks": "192.0.2.0/24"}')
        self.assertEqual(rc, 0, err)
        self.addCleanup(self.d.cli, "setting", "set", "web",
                        '{"metrics_networks": "127.0.0.0/8 ::1/128"}')
        pbtest.wait_until(lambda: self.client().request("GET", "/metrics")[0].status == 401,
                          timeout=30, what="the new metrics networks")
        r, _ = c.request("GET", "/metrics")
        self.assertEqual(r.status, 200)

    def test_errors_in_json_and_openapi(self):
        c = self.client()
        r, body = c.request("GET", "/api/nothing")
        self.assertEqual((r.status, body), (404, {"error": "no such endpoint"}))
        r, body = c.request("DELETE", "/api/me")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.getheader("Allow"), "GET")
        r, doc = c.request("GET", "/api/openapi.json")
        self.assertEqual(r.status, 200)
        with open(os.path.join(DOCS, "openapi.json")) as f:
            self.assertEqual(doc, json.load(f))
        self.assertEqual(doc["openapi"], "3.1.0")
        self.assertIn("post", doc["paths"]["/api/login"])


class Admin(ApiBase):
    def test_accounts(self):
        c = self.admin()
        r, _ = c.request("POST", "/api/users", {"user": "dave", "password": "dave-secret-1"})
        self.assertEqual(r.status, 201)
        r, body = c.request("POST", "/api/users", {"user": "dave", "password": "dave-secret-1"})
        self.assertEqual(r.status, 409, body)
        r, body = c.request("POST", "/api/users", {"user": "bad name!", "password": "x-secret-1"})
        self.assertEqual(r.status, 400, body)
        self.assertTrue(body["error"])
        self.assertIn("dave", self.d.cli("user", "list")[1])
        dave = self.client()
        self.assertEqual(dave.login("dave", "dave-secret-1")[0].status, 200)
        r, _ = dave.request("DELETE", "/api/users/bob")
        self.assertEqual(r.status, 403)
        # a new password (set by the administrator) ends dave's logins
        r, _ = c.request("PUT", "/api/users/dave/password", {"password": "dave-secret-2"})
        self.assertEqual(r.status, 204)
        self.assertEqual(dave.request("GET", "/api/me")[0].status, 401)
        self.assertEqual(dave.login("dave", "dave-secret-1")[0].status, 401)
        self.assertEqual(dave.login("dave", "dave-secret-2")[0].status, 200)
        # an account sets its own only with its current password (POST /api/mail/password):
        # a stolen session cannot take the account over here
        r, _ = dave.request("PUT", "/api/users/dave/password", {"password": "dave-secret-3"})
        self.assertEqual(r.status, 403)
        r, _ = dave.request("PUT", "/api/users/bob/password", {"password": "bob-secret-9"})
        self.assertEqual(r.status, 403)
        r, _ = dave.request("POST", "/api/mail/password",
                            {"current": "dave-secret-2", "password": "dave-secret-3"})
        self.assertEqual(r.status, 204)
        self.assertEqual(dave.login("dave", "dave-secret-2")[0].status, 401)
        self.assertEqual(dave.login("dave", "dave-secret-3")[0].status, 200)
        r, _ = c.request("DELETE", "/api/users/dave")
        self.assertEqual(r.status, 204)
        self.assertEqual(c.request("GET", "/api/users/dave")[0].status, 404)
        self.assertEqual(dave.request("GET", "/api/me")[0].status, 401)
        self.assertNotIn("dave", self.d.cli("user", "list")[1].split())

    def test_domains(self):
        c = self.admin()
        r, domains = c.request("GET", "/api/domains")
        self.assertEqual((r.status, domains), (200, [self.domain]))
        r, _ = c.request("POST", "/api/domains", {"domain": "example.net"})
        self.assertEqual(r.status, 201)
        self.assertIn("example.net", c.request("GET", "/api/domains")[1])
        self.assertIn("example.net", self.d.cli("domain", "list")[1].split())
        r, _ = c.request("DELETE", "/api/domains/example.net", csrf=False)
        self.assertEqual(r.status, 403)
        r, body = c.request("DELETE", "/api/domains/example.net?force=1")
        self.assertEqual(r.status, 204, body)
        self.assertEqual(c.request("GET", "/api/domains")[1], [self.domain])
        r, _ = c.request("DELETE", "/api/domains/example.net")
        self.assertEqual(r.status, 404)

    def test_settings_documents(self):
        c = self.admin()
        r, web = c.request("GET", "/api/settings/web")
        self.assertEqual((r.status, web["keepalive_timeout_s"]), (200, 15))
        r, _ = c.request("PATCH", "/api/settings/web", {"keepalive_timeout_s": 20})
        self.assertEqual(r.status, 204)
        self.addCleanup(self.d.cli, "setting", "set", "web", '{"keepalive_timeout_s": 15}')
        r, web = c.request("GET", "/api/settings/web")
        self.assertEqual(web["keepalive_timeout_s"], 20)
        self.assertIn('"keepalive_timeout_s": 20', self.d.cli("setting", "show", "web")[1])
        r, body = c.request("PATCH", "/api/settings/web", {"keepalive_timeout_s": 0})
        self.assertEqual(r.status, 400)
        self.assertIn("keepalive_timeout_s", body["error"])
        self.assertEqual(c.request("GET", "/api/settings/web")[1]["keepalive_timeout_s"], 20)
        r, _ = c.request("GET", "/api/settings/nosuch")
        self.assertEqual(r.status, 400)


class History(ApiBase):
    def test_changes_recorded_masked_and_rolled_back(self):
        c = self.admin()
        r, _ = c.request("PATCH", "/api/settings/smtp", {"max_recipients": 42})
        self.assertEqual(r.status, 204)
        rc, _, err = self.d.cli("setting", "set", "outbound", '{"auth_password": "hunter2-secret"}')
        self.assertEqual(rc, 0, err)
        r, hist = c.request("GET", "/api/settings-history?limit=2")
        self.assertEqual(r.status, 200)
        self.assertEqual([h["doc"] for h in hist], ["outbound", "smtp"])
        self.assertTrue(hist[0]["by"].startswith("cli:"))
        self.assertEqual(hist[1]["by"], "web:admin")
        self.assertEqual(hist[1]["after"], {"max_recipients": 42})
        self.assertEqual(hist[0]["after"]["auth_password"], "********")
        raw = json.dumps(hist)
        self.assertNotIn("hunter2", raw)
        self.assertNotIn("hunter2", self.d.cli("setting", "history", "5")[1])
        # undo the smtp change: back to the default, itself a change by web:admin
        r, body = c.request("POST", "/api/settings-history/%d/rollback" % hist[1]["seq"])
        self.assertEqual((r.status, body), (200, {"changed": 1}))
        self.assertEqual(c.request("GET", "/api/settings/smtp")[1]["max_recipients"], 100)
        r, newest = c.request("GET", "/api/settings-history?limit=1")
        self.assertEqual(newest[0]["note"], "rollback of #%d" % hist[1]["seq"])
        # undoing it again: its key was changed since (by the rollback)
        r, body = c.request("POST", "/api/settings-history/%d/rollback" % hist[1]["seq"])
        self.assertEqual(r.status, 400)
        self.assertIn("changed again", body["error"])
        r, _ = c.request("POST", "/api/settings-history/999999/rollback")
        self.assertEqual(r.status, 404)
        # everything back to before the smtp change: outbound's password gone too
        r, body = c.request("POST", "/api/settings-history/%d/rollback?to=1" % (hist[1]["seq"] - 1))
        self.assertEqual(r.status, 200, body)
        self.assertEqual(c.request("GET", "/api/settings/outbound")[1]["auth_password"], "")
        out = self.d.cli("setting", "diff", str(hist[1]["seq"] - 1))[1]
        self.assertIn("smtp", out)


class WebLockout(unittest.TestCase):
    def test_failed_web_logins_lock_the_account(self):
        d = pbtest.Daemon()
        self.addCleanup(d.cleanup)
        d.start()
        self.addCleanup(d.stop)
        d.add_user("carol", "carol-secret-1")
        rc, _, err = d.cli("setting", "set", "security", '{"lock_loopback_admin": 1}')
        self.assertEqual(rc, 0, err)
        c = Client(d.ports["http"])
        self.addCleanup(c.close)

        def locked():
            r, _ = c.login("carol", "wrong")
            if r.status != 401:
                return False
            with open(os.path.join(d.data_dir, "security.log")) as f:
                return "event=account_locked" in f.read()

        pbtest.wait_until(locked, timeout=60, interval=0.1, what="carol locked for 127.0.0.1")
        r, body = c.login("carol", "carol-secret-1")
        self.assertEqual((r.status, body), (401, {"error": "Invalid Logon"}))
        with open(os.path.join(d.data_dir, "security.log")) as f:
            log = f.read()
        self.assertIn("protocol=web", log)
        self.assertNotIn("carol-secret-1", log)
        rc, _, err = d.cli("lockout", "unlock", "carol")
        self.assertEqual(rc, 0, err)
        r, body = c.login("carol", "carol-secret-1")
        self.assertEqual(r.status, 200, body)


if __name__ == "__main__":
    unittest.main()
