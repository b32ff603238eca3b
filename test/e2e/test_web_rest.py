"""End to end: the REST API over the objects the CLI manages (issue 15 item 2: mappings,
aliases, lists, forwarding, autoresponder, blocked senders, rules, scripts, connection methods,
collectors, the queue, locks and blocks, API keys, the activity log, service bindings and
certificates), login history (item 5) — with urllib. Checked for each family: what it answers
equals what the CLI then sees (and the other way round), who may call it (an account gets 403
on an administrator's object, its own objects only), CSRF refusal without the token, the 4xx
JSON errors on bad input, paging; API keys made by the CLI and by the API, used as Bearer
without CSRF, revoked, and a wrong key recorded by the lockout guard."""
import json
import os
import sys
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402,F401
from test_web_api import ApiBase  # noqa: E402


class Client:
    """A urllib client with one cookie, the CSRF token, or an API key."""

    def __init__(self, port, key=None):
        self.base = "http://127.0.0.1:%d" % port
        self.cookie = None
        self.csrf = None
        self.key = key

    def call(self, method, path, body=None, csrf=True, headers=None):
        h = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.key:
            h["Authorization"] = "Bearer " + self.key
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        req = urllib.request.Request(self.base + path, data=data, headers=h, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, raw, hdrs = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, raw, hdrs = e.code, e.read(), e.headers
        if hdrs.get("Set-Cookie"):
            self.cookie = hdrs["Set-Cookie"].split(";", 1)[0]
        parsed = json.loads(raw) if raw and hdrs.get("Content-Type") == "application/json" else raw
        return status, parsed

    def login(self, user, password):
        status, body = self.call("POST", "/api/login", {"user": user, "password": password})
        if status == 200:
            self.csrf = body["csrf"]
        return status, body


def q(s):
    return urllib.parse.quote(s, safe="")


class Rest(ApiBase):
    """The daemon of test_web_api.py's tests (bob added) and one more account."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.d.add_user("eve", "eve-secret-1")

    def login(self, user, password):
        c = Client(self.port)
        status, body = c.login(user, password)
        self.assertEqual(status, 200, body)
        return c

    def admin(self):  # noqa: D102 (a urllib client, not ApiBase's http.client one)
        return self.login("admin", self.d.admin_password)

    def ok(self, result, status):
        self.assertEqual(result[0], status, result[1])
        return result[1]

    def cli(self, *args, input=None):
        rc, out, err = self.d.cli(*args, input=input)
        self.assertEqual(rc, 0, err)
        return out

    def test_roles_a_user_gets_403_on_admin_objects(self):
        bob = self.login("bob", "bob-secret-1")
        for path in ("/api/mappings", "/api/lists", "/api/queue", "/api/lockouts",
                     "/api/apikeys", "/api/activity", "/api/connections", "/api/collectors",
                     "/api/rules", "/api/scripts/bob", "/api/bindings", "/api/certificates",
                     "/api/users/eve/logins", "/api/autoreply/eve", "/api/forwarding/eve"):
            status, body = bob.call("GET", path)
            self.assertEqual(status, 403, path)
            self.assertIn("administrator", body["error"])
        status, _ = bob.call("POST", "/api/queue/flush")
        self.assertEqual(status, 403)
        # nobody logged in: 401
        self.assertEqual(Client(self.port).call("GET", "/api/mappings")[0], 401)
        # the account's own objects
        self.ok(bob.call("GET", "/api/aliases/bob"), 200)
        self.ok(bob.call("GET", "/api/autoreply/bob"), 200)
        self.ok(bob.call("GET", "/api/users/bob/logins"), 200)

    def test_user_keys_are_those_of_help_user_set(self):
        """GET /api/user-keys lists every key `pillarbox help user set` prints, with the same
        help (the CLI wraps it), reset_email among them; an administrator's only."""
        lines = self.cli("help", "user", "set").splitlines()
        keys = []
        for line in lines[[i for i, l in enumerate(lines) if l.startswith("KEY is one of")][0] + 2:]:
            if line.startswith(" " * 27):
                keys[-1][1] += " " + line.strip()
            elif line.startswith("  "):
                keys.append(line.strip().split(None, 1))
            else:
                break
        got = self.ok(self.admin().call("GET", "/api/user-keys"), 200)
        self.assertEqual([[k["key"], k["help"]] for k in got], keys)
        self.assertIn("reset_email", [k["key"] for k in got])
        self.assertEqual(self.login("bob", "bob-secret-1").call("GET", "/api/user-keys")[0], 403)

    def test_mappings_aliases_csrf_and_paging(self):
        c = self.admin()
        # CSRF: refused without the token, and nothing was added
        status, body = c.call("POST", "/api/mappings",
                              {"address": "sales@" + self.domain, "target": "bob"}, csrf=False)
        self.assertEqual(status, 403)
        self.assertIn("X-CSRF-Token", body["error"])
        self.assertNotIn("sales@", self.cli("mapping", "list"))
        status, body = c.call("POST", "/api/mappings", {"address": "x@" + self.domain})
        self.assertEqual(status, 400)
        status, body = c.call("POST", "/api/mappings", "not json")
        self.assertEqual(status, 400)
        for name in ("sales", "support", "billing"):
            self.ok(c.call("POST", "/api/mappings",
                           {"address": "%s@%s" % (name, self.domain), "target": "bob",
                            "comment": "web"}), 201)
        self.assertIn("sales@%s -> bob" % self.domain, self.cli("mapping", "list"))
        status, body = c.call("POST", "/api/mappings",
                              {"address": "bad address@" + self.domain, "target": "bob"})
        self.assertEqual(status, 400, body)  # the directory's check, its reason
        self.assertTrue(body["error"])
        page = self.ok(c.call("GET", "/api/mappings?target=bob&limit=2"), 200)
        self.assertEqual([m["address"].split("@")[0] for m in page], ["billing", "sales"])
        rest = self.ok(c.call("GET", "/api/mappings?target=bob&limit=2&after=" +
                              q(page[-1]["address"])), 200)
        self.assertEqual([m["address"].split("@")[0] for m in rest], ["support"])
        self.assertEqual(c.call("GET", "/api/mappings?limit=0")[0], 400)
        self.assertEqual(c.call("GET", "/api/mappings?limit=x")[0], 400)
        self.ok(c.call("DELETE", "/api/mappings?address=%s&target=bob" %
                       q("billing@" + self.domain)), 204)
        self.assertNotIn("billing@", self.cli("mapping", "list"))
        self.assertEqual(c.call("DELETE", "/api/mappings?target=bob")[0], 400)
        # aliases: an administrator gives them, the account sees its own
        self.ok(c.call("POST", "/api/aliases/eve", {"address": "evie@" + self.domain}), 201)
        self.assertIn("evie@" + self.domain, self.cli("alias", "list", "eve"))
        eve = self.login("eve", "eve-secret-1")
        mine = self.ok(eve.call("GET", "/api/aliases/eve"), 200)
        self.assertIn("evie@" + self.domain, [m["address"] for m in mine])
        self.assertEqual(eve.call("POST", "/api/aliases/eve", {"address": "x@" + self.domain})[0],
                         403)
        self.ok(c.call("DELETE", "/api/aliases/eve?address=" + q("evie@" + self.domain)), 204)
        self.assertNotIn("evie@", self.cli("alias", "list", "eve"))

    def test_lists_and_members(self):
        c = self.admin()
        self.ok(c.call("POST", "/api/lists", {"name": "board", "comment": "the board"}), 201)
        self.assertEqual(c.call("POST", "/api/lists", {"name": "board"})[0], 409)
        self.assertEqual(c.call("POST", "/api/lists", {"comment": "x"})[0], 400)
        self.ok(c.call("POST", "/api/lists/board/members", {"address": "bob"}), 201)
        self.ok(c.call("POST", "/api/lists/board/members", {"address": "eve"}), 201)
        self.assertEqual(c.call("POST", "/api/lists/board/members", {})[0], 400)
        one = self.ok(c.call("GET", "/api/lists/board"), 200)
        self.assertEqual((one["name"], one["internet"], sorted(one["members"])),
                         ("board", False, ["bob", "eve"]))
        self.assertIn("eve", self.cli("list", "members", "board"))
        self.ok(c.call("DELETE", "/api/lists/board/members?address=eve"), 204)
        self.assertNotIn("eve", self.cli("list", "members", "board"))
        names = [l["name"] for l in self.ok(c.call("GET", "/api/lists"), 200)]
        self.assertIn("board", names)
        self.ok(c.call("DELETE", "/api/lists/board"), 204)
        self.assertEqual(c.call("GET", "/api/lists/board")[0], 404)

    def test_forwarding_autoreply_blocked_senders(self):
        bob = self.login("bob", "bob-secret-1")
        self.ok(bob.call("PATCH", "/api/autoreply/bob",
                         {"autoreply": True, "autoreply_subject": "Away",
                          "autoreply_days": 3}), 204)
        got = self.ok(bob.call("GET", "/api/autoreply/bob"), 200)
        self.assertEqual((got["autoreply"], got["autoreply_subject"]), (True, "Away"))
        self.assertIn("Away", self.cli("user", "show", "bob"))
        status, body = bob.call("PATCH", "/api/autoreply/bob", {"autoreply_days": 0})
        self.assertEqual(status, 400, body)  # the directory's range
        status, body = bob.call("PATCH", "/api/autoreply/bob", {"quota_mb": 5})
        self.assertEqual(status, 400)  # not a key of the group (an administrator's setting)
        self.assertIn("quota_mb", body["error"])
        self.ok(bob.call("PATCH", "/api/autoreply/bob", {"autoreply": None}), 204)
        self.assertIsNone(self.ok(bob.call("GET", "/api/autoreply/bob"), 200)["autoreply"])
        self.ok(bob.call("PATCH", "/api/forwarding/bob",
                         {"forward_to": "bob@remote.example", "use_forwarding": True}), 204)
        fw = self.ok(bob.call("GET", "/api/forwarding/bob"), 200)
        self.assertEqual(fw["forward_to"], "bob@remote.example")
        # a member the directory refuses leaves the body's other members unset too (they were
        # once set one by one and kept: a 400 that changed the account)
        status, body = bob.call("PATCH", "/api/forwarding/bob",
                                {"forward_to": "other@remote.example", "keep_copy": True,
                                 "use_forwarding": "banana"})
        self.assertEqual(status, 400, body)
        self.assertIn("true or false", body["error"])
        self.assertEqual(self.ok(bob.call("GET", "/api/forwarding/bob"), 200), fw)
        # forward_to and assistants are targets as the router splits them (';' or ','): each an
        # address or a local name; anything else is refused and changes nothing (it was stored)
        for bad in ("not an address", "a@x.org; b c", "Ann <a@x.org>", "a@"):
            for key in ("forward_to", "assistants"):
                status, body = bob.call("PATCH", "/api/forwarding/bob", {key: bad})
                self.assertEqual(status, 400, (key, bad, body))
                self.assertIn("email addresses (name@domain) or local names", body["error"])
        for raw in (b'{"forward_to": "\xff\xfe@remote.example"}',
                    b'{"forward_to": "a@remote.example\\u0001"}'):
            status, body = bob.call("PATCH", "/api/forwarding/bob", raw)
            self.assertEqual(status, 400, (raw, body))
        self.ok(bob.call("PATCH", "/api/forwarding/bob", {"assistants": "carol, c@remote.example"}),
                204)
        self.ok(bob.call("PATCH", "/api/forwarding/bob", {"assistants": None}), 204)
        self.assertEqual(self.ok(bob.call("GET", "/api/forwarding/bob"), 200), fw)
        before = self.ok(bob.call("GET", "/api/autoreply/bob"), 200)
        status, body = bob.call("PATCH", "/api/autoreply/bob",
                                {"autoreply_subject": "changed?", "autoreply_start": "soon"})
        self.assertEqual(status, 400, body)
        self.assertEqual(self.ok(bob.call("GET", "/api/autoreply/bob"), 200), before)
        self.ok(bob.call("PATCH", "/api/blocked-senders/bob", {"blocked": "*@spam.example"}), 204)
        self.assertEqual(self.ok(bob.call("GET", "/api/blocked-senders/bob"), 200)["blocked"],
                         "*@spam.example")
        self.assertEqual(bob.call("PATCH", "/api/blocked-senders/eve", {"blocked": "x"})[0], 403)
        self.assertEqual(bob.call("PATCH", "/api/blocked-senders/bob", {"blocked": "x"},
                                  csrf=False)[0], 403)

    def test_rules_and_scripts(self):
        rules = {"rules": [{"name": "widgets", "conditions": [
            {"field": "subject", "match": "contains", "value": "widget", "i": True}],
            "actions": [{"action": "move_to_folder", "value": "Widgets"}]}]}
        bob = self.login("bob", "bob-secret-1")
        self.ok(bob.call("PUT", "/api/rules/bob", rules), 204)
        self.assertIn("widgets", self.cli("rules", "get", "bob"))
        got = self.ok(bob.call("GET", "/api/rules/bob"), 200)
        self.assertEqual(got["rules"][0]["name"], "widgets")
        status, body = bob.call("PUT", "/api/rules/bob", {"rules": [{"name": 5}]})
        self.assertEqual(status, 400, body)
        # no body at all, on a fresh connection (the body's buffer never used): a 400 naming
        # the shape, where the admin route once handed a NULL to xstrndup (UBSan aborted)
        fresh = self.login("bob", "bob-secret-1")
        status, body = fresh.call("PUT", "/api/users/bob/rules",
                                  headers={"Content-Type": "application/json"})
        self.assertEqual(status, 400, body)
        self.assertIn("rule set", body["error"])
        self.assertIn("widgets", self.cli("rules", "get", "bob"))
        self.ok(bob.call("DELETE", "/api/rules/bob"), 204)
        self.assertEqual(bob.call("GET", "/api/rules/bob")[0], 404)
        c = self.admin()
        self.ok(c.call("PUT", "/api/scripts/eve", {"script": "keep()\n"}), 204)
        self.assertEqual(self.ok(c.call("GET", "/api/scripts/eve"), 200)["script"], "keep()\n")
        status, body = c.call("PUT", "/api/scripts/eve", {"script": "keep()\nif then\n"})
        self.assertEqual(status, 400)
        self.assertIn(":2:", body["error"])
        self.ok(c.call("DELETE", "/api/scripts/eve"), 204)
        self.assertEqual(self.cli("script", "get", "eve"), "")

    def test_connections_and_collectors(self):
        c = self.admin()
        self.ok(c.call("POST", "/api/connections",
                       {"name": "office", "every_min": 30, "from": "08:00", "to": "18:00",
                        "days": "mon-fri", "send": False}), 201)
        self.assertEqual(c.call("POST", "/api/connections",
                                {"name": "x", "from": "08:00"})[0], 400)
        self.assertEqual(c.call("POST", "/api/connections",
                                {"name": "x", "every_min": 0})[0], 400)
        self.assertEqual(c.call("POST", "/api/connections", {"name": "x", "days": "someday"})[0],
                         400)
        one = self.ok(c.call("GET", "/api/connections/office"), 200)
        self.assertEqual((one["send"], one["state"]), (False, "active"))
        self.assertIn("every 30 min", one["schedule"][0])
        self.assertIn("mon-fri", one["schedule"][0])
        self.ok(c.call("POST", "/api/connections/office/pause"), 204)
        self.assertEqual(self.ok(c.call("GET", "/api/connections/office"), 200)["state"],
                         "paused")
        self.assertIn("office", self.cli("connection", "list"))
        self.ok(c.call("DELETE", "/api/connections/office"), 204)
        self.assertEqual(c.call("GET", "/api/connections/office")[0], 404)
        self.assertEqual(c.call("POST", "/api/connections/office/resume")[0], 404)
        # collectors
        self.ok(c.call("POST", "/api/collectors",
                       {"name": "isp", "settings": {"server": "127.0.0.1", "port": 1,
                                                   "user": "u", "password": "p",
                                                   "route": "user", "target": "bob"}}), 201)
        self.assertEqual(c.call("POST", "/api/collectors",
                                {"name": "bad", "settings": {"server": "x", "user": "u",
                                                            "tls": "maybe"}})[0], 400)
        one = self.ok(c.call("GET", "/api/collectors/isp"), 200)
        self.assertEqual(one["name"], "isp")
        self.assertNotIn('"p"', json.dumps(one))  # the password is not shown
        self.assertIn("isp", self.cli("collector", "list"))
        self.ok(c.call("PATCH", "/api/collectors/isp", {"port": 2}), 204)
        self.ok(c.call("DELETE", "/api/collectors/isp"), 204)
        self.assertEqual(c.call("GET", "/api/collectors/isp")[0], 404)
        self.assertEqual(c.call("POST", "/api/collectors/nosuch/run")[0], 404)

    def test_queue(self):
        c = self.admin()
        page = self.ok(c.call("GET", "/api/queue?limit=5"), 200)
        self.assertEqual(page, {"entries": [], "more": False})
        self.assertEqual(c.call("GET", "/api/queue?limit=0")[0], 400)
        self.assertEqual(c.call("GET", "/api/queue?after=x")[0], 400)
        self.assertEqual(c.call("GET", "/api/queue/abc")[0], 400)
        self.assertEqual(c.call("GET", "/api/queue/123456")[0], 404)
        self.assertEqual(c.call("POST", "/api/queue/123456/hold")[0], 404)
        self.ok(c.call("POST", "/api/queue/flush"), 204)

    def test_locks_blocks_and_login_history(self):
        bob = Client(self.port)
        self.assertEqual(bob.login("bob", "wrong-password")[0], 401)
        self.assertEqual(bob.login("bob", "bob-secret-1")[0], 200)
        hist = self.ok(bob.call("GET", "/api/users/bob/logins"), 200)
        web = [e for e in hist["logins"] if e["protocol"] == "web"]
        self.assertGreaterEqual(len(web), 2)
        self.assertGreaterEqual(web[0]["time_ms"], web[-1]["time_ms"])  # newest first
        self.assertNotEqual(web[0]["result"], web[1]["result"])
        self.assertEqual(len(self.ok(bob.call("GET", "/api/users/bob/logins?limit=1"),
                                     200)["logins"]), 1)
        c = self.admin()
        self.ok(c.call("POST", "/api/blocks", {"net": "192.0.2.0/24", "reason": "test",
                                               "minutes": 5}), 201)
        self.assertEqual(c.call("POST", "/api/blocks", {"net": "not-a-net"})[0], 400)
        self.assertEqual(c.call("POST", "/api/blocks", {"net": "192.0.2.9",
                                                        "minutes": "x"})[0], 400)
        lo = self.ok(c.call("GET", "/api/lockouts"), 200)
        self.assertIn("192.0.2.0/24", [b["net"] for b in lo["blocks"]])
        self.assertIn("192.0.2.0/24", self.cli("block", "list"))
        self.ok(c.call("DELETE", "/api/blocks?net=" + q("192.0.2.0/24")), 204)
        self.assertNotIn("192.0.2.0/24", self.cli("block", "list"))
        self.assertEqual(c.call("DELETE", "/api/blocks?net=" + q("192.0.2.0/24"))[0], 404)
        self.assertEqual(c.call("DELETE", "/api/lockouts/eve")[0], 404)  # no lock to lift

    def test_api_keys(self):
        c = self.admin()
        made = self.ok(c.call("POST", "/api/apikeys", {"label": "ci", "role": "admin"}), 201)
        self.assertRegex(made["key"], "^pbk_[0-9a-f]{48}$")
        self.assertEqual(c.call("POST", "/api/apikeys", {"label": "x", "role": "root"})[0], 400)
        self.assertEqual(c.call("POST", "/api/apikeys", {"label": "x", "role": "user"})[0], 400)
        listed = self.ok(c.call("GET", "/api/apikeys"), 200)
        ci = [k for k in listed if k["label"] == "ci"][0]
        self.assertEqual((ci["role"], ci["user"]), ("admin", ""))
        self.assertNotIn(made["key"], json.dumps(listed))
        # a bearer request: no cookie, no CSRF token, and it may change things
        k = Client(self.port, key=made["key"])
        self.ok(k.call("GET", "/api/mappings"), 200)
        self.ok(k.call("POST", "/api/lists", {"name": "bykey"}), 201)
        self.ok(k.call("DELETE", "/api/lists/bykey"), 204)
        # a key for one account, made with the CLI: that account's rights only
        key = self.cli("apikey", "add", "bobkey", "--role", "user", "--user", "bob").strip()
        b = Client(self.port, key=key)
        self.ok(b.call("GET", "/api/users/bob/logins"), 200)
        self.assertEqual(b.call("GET", "/api/users/eve/logins")[0], 403)
        self.assertEqual(b.call("GET", "/api/mappings")[0], 403)
        self.assertIn("web_user:bob", self.cli("apikey", "list"))
        rc, _, err = self.d.cli("apikey", "add", "x", "--user", "bob")
        self.assertEqual(rc, 64, err)
        # a status-only key is no web key
        skey = self.cli("apikey", "add", "nagios").strip()
        self.assertEqual(Client(self.port, key=skey).call("GET", "/api/users/bob/logins")[0], 401)
        # revoked: refused
        self.ok(c.call("DELETE", "/api/apikeys/ci"), 204)
        self.assertEqual(k.call("GET", "/api/mappings")[0], 401)
        self.assertEqual(c.call("DELETE", "/api/apikeys/ci")[0], 404)
        # a wrong key is a failed login the lockout guard hears (as "apikey")
        status, body = Client(self.port, key="pbk_" + "0" * 48).call("GET", "/api/mappings")
        self.assertEqual((status, body), (401, {"error": "Invalid Logon"}))
        hist = self.ok(c.call("GET", "/api/users/apikey/logins"), 200)
        self.assertIn("web", [e["protocol"] for e in hist["logins"]])

    def test_metrics_logins_and_lockouts(self):
        def figures():
            status, raw = self.admin().call("GET", "/metrics")
            self.assertEqual(status, 200)
            text = raw.decode()
            self.assertIn("# TYPE pillarbox_logins_total counter", text)
            self.assertIn("# TYPE pillarbox_lockouts_total counter", text)
            out = {}
            for line in text.splitlines():
                if line.startswith(("pillarbox_login", "pillarbox_lockouts", "pillarbox_address")):
                    name, value = line.rsplit(" ", 1)
                    out[name] = int(value)
            return out

        before = figures()
        for _ in range(2):
            self.assertEqual(Client(self.port).login("eve", "wrong")[0], 401)
        after = figures()  # (its own admin login counts too)
        key = 'pillarbox_login_failures_total{protocol="web"}'
        self.assertEqual(after[key] - before.get(key, 0), 2)
        ok = 'pillarbox_logins_total{protocol="web"}'
        self.assertEqual(after[ok] - before[ok], 1)
        self.assertIn("pillarbox_lockouts_total", after)
        self.assertIn("pillarbox_address_blocks_total", after)

    def test_activity_bindings_certificates(self):
        c = self.admin()
        items = self.ok(c.call("GET", "/api/activity?limit=5"), 200)
        self.assertIsInstance(items, list)
        self.assertLessEqual(len(items), 5)
        self.assertEqual(c.call("GET", "/api/activity?limit=x")[0], 400)
        b = self.ok(c.call("GET", "/api/bindings"), 200)
        self.assertIn(self.port, [x["port"] for x in b])
        certs = self.ok(c.call("GET", "/api/certificates"), 200)
        self.assertIsInstance(certs, list)


if __name__ == "__main__":
    unittest.main()
