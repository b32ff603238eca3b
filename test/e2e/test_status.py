"""End to end: the status server (issue 14 items 1-4) on its own port, driven by a small
JSON-lines client over a socket. Checked: the greeting, login (the guide's "ERR Invalid Logon",
the lockout guard exactly as for POP3), several requests in flight answered by id, the exact
shapes of every reply and event, the permission matrix (defaults for administrators and other
accounts, an account's own list, the defaults changed in one step), subscribers and a slow
reader dropped while the others keep getting events, instant messages between sessions, connect
now reaching the scheduler, the activity log filling from a real delivery to smtp-sink, snapshot
counts equal to the server's own (CLI, POP3), STARTTLS, timeouts, the connection limit, and
shutdown (exit 0) and restart (exit 75) by request."""
import json
import os
import poplib
import socket
import ssl
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import QueueBase, Sink, closed_port  # noqa: E402

ALL = ["view_connection", "view_totals", "view_users", "view_log", "connect", "shutdown",
       "receive_im", "send_im"]
USER_DEFAULTS = ["view_connection", "view_totals", "view_log", "receive_im", "send_im"]
# `setting set` merges: a test puts back what it changed
STATUS_DEFAULTS = {"admin_permissions": "all", "user_permissions": ",".join(USER_DEFAULTS),
                   "login_timeout_s": 60, "idle_timeout_s": 1800, "output_budget_kb": 256}
PROGRESS_KEYS = {"event", "method", "kind", "job", "done", "total", "bytes", "threads", "final"}
METHOD_KEYS = {"name", "state", "paused", "jobs_left", "last_poll", "last_result", "last_error",
               "next_poll"}


class StatusClient:
    """One status connection: requests by id, events kept in arrival order."""

    def __init__(self, port, timeout=60, rcvbuf=None, tls_ctx=None):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.f = self.sock.makefile("rb")
        self.next_id = 0
        self.events = []
        self.hello = self.read()

    def read(self):
        line = self.f.readline()
        if not line:
            raise EOFError("the server closed the connection")
        return json.loads(line)

    def send(self, obj):
        self.sock.sendall((json.dumps(obj) + "\n").encode())

    def ask(self, op, **args):
        """Sends a request; returns its id."""
        self.next_id += 1
        self.send(dict(id=self.next_id, op=op, **args))
        return self.next_id

    def reply(self, rid):
        while True:
            m = self.read()
            if m.get("id") == rid and "ok" in m:
                return m
            self.events.append(m)

    def request(self, op, **args):
        return self.reply(self.ask(op, **args))

    def event(self, pred, what="an event"):
        """The first kept or next event pred accepts (removed from the kept ones)."""
        for i, e in enumerate(self.events):
            if pred(e):
                return self.events.pop(i)
        while True:
            m = self.read()
            if pred(m):
                return m
            self.events.append(m)

    def login(self, user, password):
        return self.request("login", user=user, password=password)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class StatusBase(QueueBase):
    @classmethod
    def setUpClass(cls):
        cls.sink = Sink()
        cls.dead = closed_port()
        cls.start_daemon(cls.sink.port)
        cls.settings({"routes": "dead.example=127.0.0.1:%d" % cls.dead})
        cls.d.add_user("bob", "bobpw1234")

    @classmethod
    def tearDownClass(cls):
        cls.sink.stop()
        cls.stop_daemon()

    def client(self, user=None, password=None, **kw):
        c = StatusClient(self.d.ports["status"], **kw)
        self.addCleanup(c.close)
        if user is not None:
            r = c.login(user, password)
            self.assertTrue(r["ok"], r)
        return c

    def admin(self):
        return self.client("admin", "adminpw1")

    def cli_ok(self, *args):
        rc, out, err = self.d.cli(*args)
        self.assertEqual(rc, 0, err)
        return out

    def status_settings(self, values):
        self.cli_ok("setting", "set", "status", json.dumps(values))


class StatusProtocol(StatusBase):
    def test_greeting_and_login(self):
        c = self.client()
        self.assertEqual(c.hello, {"event": "hello", "server": "Pillarbox", "version": "0.1.0",
                                   "protocol": 1, "starttls": True})
        self.assertEqual(c.request("ping"), {"id": 1, "ok": True})
        self.assertEqual(c.request("snapshot"), {"id": 2, "ok": False, "error": "not logged in"})
        self.assertEqual(c.login("admin", "wrong"),
                         {"id": 3, "ok": False, "error": "ERR Invalid Logon"})
        self.assertEqual(c.login("nosuchuser", "wrong"),
                         {"id": 4, "ok": False, "error": "ERR Invalid Logon"})
        self.assertEqual(c.login("admin", "adminpw1"),
                         {"id": 5, "ok": True, "user": "admin", "admin": True,
                          "permissions": ALL})
        r = c.login("admin", "adminpw1")
        self.assertFalse(r["ok"])  # once per connection
        self.assertEqual(c.request("logout"), {"id": 7, "ok": True})
        self.assertRaises(EOFError, c.read)

    def test_bad_requests(self):
        c = self.client()
        c.sock.sendall(b"this is not json\n")
        self.assertEqual(c.read(), {"id": None, "ok": False,
                                    "error": "a request is one JSON object on one line"})
        r = c.request("reboot")
        self.assertFalse(r["ok"])
        self.assertIn("unknown request", r["error"])
        c.sock.sendall(b'{"id":"x","op":"ping","pad":"' + b"a" * 20000 + b'"}\n')
        self.assertEqual(c.read()["error"], "request line too long")
        self.assertEqual(c.request("ping", note="string ids work too")["id"], 2)
        c.send({"id": "abc", "op": "ping"})
        self.assertEqual(c.read(), {"id": "abc", "ok": True})

    def test_requests_in_flight(self):
        c = self.admin()
        ids = [c.ask("snapshot"), c.ask("ping"), c.ask("snapshot"), c.ask("ping")]
        got = {}
        for _ in ids:
            m = c.read()
            got[m["id"]] = m
        self.assertEqual(sorted(got), ids)
        self.assertTrue(all(m["ok"] for m in got.values()))
        self.assertIn("connection", got[ids[0]])

    def test_snapshot_shape_admin(self):
        c = self.admin()
        s = c.request("snapshot")
        self.assertEqual(set(s), {"id", "ok", "version", "uptime_s", "sessions", "activity",
                                  "connection", "out_queue", "inboxes", "mine"})
        self.assertEqual(s["version"], "0.1.0")
        self.assertGreaterEqual(s["sessions"], 1)
        self.assertEqual(set(s["connection"]), {"methods", "state", "last_poll",
                                                "last_poll_result", "next_poll", "progress",
                                                "sending"})
        for p in s["connection"]["progress"]:
            self.assertEqual(set(p), PROGRESS_KEYS - {"event", "final", "threads"})
        self.assertIn(s["connection"]["state"], ("idle", "running"))
        self.assertIn(s["connection"]["last_poll_result"],
                      ("never", "all succeeded", "some failed", "all failed"))
        for m in s["connection"]["methods"]:
            self.assertEqual(set(m), METHOD_KEYS)
        self.assertEqual(set(s["out_queue"]), {"count", "held"})
        self.assertEqual(set(s["inboxes"]), {"count", "held", "users"})
        for u in s["inboxes"]["users"]:
            self.assertEqual(set(u), {"user", "count", "held"})
        self.assertEqual(set(s["mine"]), {"count", "held"})
        for a in s["activity"]:
            self.assertEqual(set(a), {"time", "text"})

    def test_permission_matrix(self):
        # alice: the non-administrator defaults
        c = self.client("alice", "alicepw1")
        r = c.request("snapshot")
        self.assertTrue(r["ok"])
        self.assertEqual(set(r), {"id", "ok", "version", "uptime_s", "sessions", "activity",
                                  "connection", "out_queue", "inboxes", "mine"})
        self.assertNotIn("users", r["inboxes"])  # no view_users
        rid = c.ask("shutdown")
        self.assertEqual(c.reply(rid), {"id": rid, "ok": False,
                                        "error": "permission denied: shutdown",
                                        "permission": "shutdown"})
        self.assertEqual(c.request("restart")["permission"], "shutdown")
        for op in ("connect", "hangup", "pause", "resume"):
            r = c.request(op, method="default")
            self.assertEqual((r["ok"], r["permission"]), (False, "connect"), op)
        self.assertTrue(c.request("ping")["ok"])  # still running, nothing changed
        self.assertIn("state:        active", self.cli_ok("connection", "show", "default"))
        self.assertTrue(c.request("subscribe", topics=["activity", "connection", "queue"])["ok"])
        # an own list: view_log only
        self.cli_ok("user", "set", "alice", "status_permissions", "view_log")
        self.addCleanup(self.d.cli, "user", "unset", "alice", "status_permissions")
        c2 = self.client()
        self.assertEqual(c2.login("alice", "alicepw1")["permissions"], ["view_log"])
        s = c2.request("snapshot")
        self.assertEqual(set(s), {"id", "ok", "version", "uptime_s", "sessions", "activity",
                                  "mine"})
        r = c2.request("subscribe", topics=["activity", "connection"])
        self.assertEqual((r["ok"], r["permission"]), (False, "view_connection"))
        r = c2.request("im", to="admin", text="hi")
        self.assertEqual((r["ok"], r["permission"]), (False, "send_im"))
        rc, out, err = self.d.cli("user", "set", "alice", "status_permissions", "view_log,fly")
        self.assertNotEqual(rc, 0)
        self.assertIn("status_permissions", out + err)
        # the defaults, for every account without its own list, in one step
        self.d.cli("user", "unset", "alice", "status_permissions")
        self.status_settings({"user_permissions": "view_connection,connect"})
        self.addCleanup(self.status_settings, STATUS_DEFAULTS)
        def perms(user, password):
            c = StatusClient(self.d.ports["status"])
            try:
                return c.login(user, password)["permissions"]
            finally:
                c.close()
        pbtest.wait_until(lambda: perms("alice", "alicepw1") == ["view_connection", "connect"],
                          timeout=10, what="the new defaults")
        self.assertEqual(self.client().login("bob", "bobpw1234")["permissions"],
                         ["view_connection", "connect"])
        self.assertEqual(self.client().login("admin", "adminpw1")["permissions"], ALL)

    def test_lockout_after_failed_status_logins(self):
        self.d.add_user("guessme", "guessmepw1")
        c = self.client()
        answers = [c.login("guessme", "wrong%d" % i) for i in range(3)]
        self.assertTrue(all(a["error"] == "ERR Invalid Logon" for a in answers), answers)
        # locked for 127.0.0.1: the right password fails exactly as a wrong one
        r = self.client().login("guessme", "guessmepw1")
        self.assertEqual((r["ok"], r["error"]), (False, "ERR Invalid Logon"))
        self.assertIn("guessme", self.cli_ok("lockout", "list"))
        with open(os.path.join(self.d.data_dir, "security.log")) as f:
            log = f.read()
        self.assertIn("event=login_failed protocol=status user=guessme ip=127.0.0.1", log)
        self.assertIn("reason=locked", log)
        self.cli_ok("lockout", "unlock", "guessme")
        self.assertTrue(self.client().login("guessme", "guessmepw1")["ok"])

    def test_instant_messages(self):
        a = self.client("alice", "alicepw1")
        b1 = self.client("bob", "bobpw1234")
        b2 = self.client("bob", "bobpw1234")
        r = a.request("im", to="bob", text="lunch at one?")
        self.assertEqual(r, {"id": 2, "ok": True})
        for b in (b1, b2):
            e = b.event(lambda m: m.get("event") == "im")
            self.assertEqual(set(e), {"event", "from", "text", "time"})
            self.assertEqual((e["from"], e["text"]), ("alice", "lunch at one?"))
        r = b1.request("im", to="alice", text="yes")
        self.assertTrue(r["ok"])
        self.assertEqual(a.event(lambda m: m.get("event") == "im")["text"], "yes")
        r = a.request("im", to="carol", text="anyone?")
        self.assertFalse(r["ok"])
        self.assertIn("not logged in", r["error"])
        b1.request("logout")
        b2.request("logout")
        r = pbtest.wait_until(lambda: not a.request("im", to="bob", text="gone?")["ok"],
                              timeout=10, what="bob offline")
        self.assertTrue(r)

    def test_connect_now_and_events(self):
        c = self.admin()
        self.assertTrue(c.request("subscribe", topics=["activity", "connection"])["ok"])
        before = [m for m in c.request("snapshot")["connection"]["methods"]
                  if m["name"] == "default"][0]["last_poll"]
        r = c.request("connect", method="default")
        self.assertEqual(r, {"id": 4, "ok": True})
        e = c.event(lambda m: m.get("event") == "connection" and m["state"] == "running")
        self.assertEqual(set(e), {"event", "method", "state", "jobs_left", "last_result",
                                  "last_poll", "next_poll"})
        self.assertEqual(e["method"], "default")
        self.assertEqual(e["next_poll"], 0)  # nothing scheduled while it runs
        # the method's send job: its progress, the last one final
        p = c.event(lambda m: m.get("event") == "progress" and m["final"])
        self.assertEqual(set(p), PROGRESS_KEYS)
        self.assertEqual((p["method"], p["kind"], p["job"]), ("default", "send", "queue"))
        self.assertEqual(p["done"], p["total"])
        done = c.event(lambda m: m.get("event") == "connection" and m["state"] == "idle")
        self.assertNotEqual(done["last_result"], "")
        act = c.event(lambda m: m.get("event") == "activity" and
                      "Connection default started (connect now)" in m["text"])
        self.assertEqual(set(act), {"event", "time", "text"})
        s = c.request("snapshot")
        m = [m for m in s["connection"]["methods"] if m["name"] == "default"][0]
        self.assertEqual(m["last_poll"], done["last_poll"])
        self.assertGreater(m["last_poll"], before)  # the scheduler recorded the run
        self.assertTrue(any("Connection default started (connect now)" in a["text"]
                            for a in s["activity"]))
        r = c.request("connect", method="nosuch")
        self.assertEqual((r["ok"], r["error"]), (False, "no such connection"))
        r = c.request("connect")
        self.assertFalse(r["ok"])
        self.assertTrue(c.request("pause", method="default")["ok"])
        self.assertIn("state:        paused", self.cli_ok("connection", "show", "default"))
        self.assertTrue(c.request("resume", method="default")["ok"])
        self.assertIn("state:        active", self.cli_ok("connection", "show", "default"))
        r = c.request("hangup", method="default")  # not running: the scheduler's refusal
        self.assertEqual((r["ok"], r["error"]), (False, "the connection is not running"))

    def test_activity_from_delivery_and_counts(self):
        c = self.admin()
        self.assertTrue(c.request("subscribe", topics=["activity", "queue"])["ok"])
        self.send(["far@remote.example"], b"Subject: status out\r\n\r\nhello\r\n")
        e = c.event(lambda m: m.get("event") == "activity" and
                    "to far@remote.example via 127.0.0.1" in m["text"])
        self.assertTrue(e["text"].startswith("Sent message "), e)
        q = c.event(lambda m: m.get("event") == "queue")
        self.assertEqual(set(q), {"event", "out_queue", "held", "sending"})
        pbtest.wait_until(lambda: self.sink.find(b"Subject: status out"), timeout=30,
                          what="the message at smtp-sink")
        s = c.request("snapshot")
        self.assertTrue(any("to far@remote.example" in a["text"] for a in s["activity"]))
        # a held entry: to a dead destination, then held
        self.send(["someone@dead.example"], b"Subject: to hold\r\n\r\nx\r\n")
        entry = pbtest.wait_until(lambda: self.find_entry("someone@dead.example"), timeout=30,
                                  what="the entry")
        self.assertEqual(self.queue("hold", entry[0])[0], 0)
        self.addCleanup(self.queue, "delete", entry[0])
        # local mail: counts per user
        for i in range(3):
            self.send([self.alice()], b"Subject: local %d\r\n\r\nx\r\n" % i)
        pbtest.wait_until(lambda: pbtest.user_counts(self.d)["alice"][0] >= 3, timeout=30,
                          what="alice's mail")
        s = c.request("snapshot")
        st = json.loads(self.cli_ok("status", "--json"))["queue"]
        self.assertEqual(s["out_queue"], {"count": st["entries"], "held": st["held"]})
        self.assertGreaterEqual(s["out_queue"]["held"], 1)
        counts = pbtest.user_counts(self.d)
        self.assertEqual({u["user"]: u["count"] for u in s["inboxes"]["users"]},
                         {u: n for u, (n, _) in counts.items()})
        self.assertEqual(s["inboxes"]["count"], sum(n for n, _ in counts.values()))
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
        p.user("alice")
        p.pass_("alicepw1")
        pop_count = p.stat()[0]
        p.quit()
        a = self.client("alice", "alicepw1").request("snapshot")
        self.assertEqual(a["mine"], {"count": pop_count, "held": 0})
        self.assertEqual(a["inboxes"]["count"], s["inboxes"]["count"])

    def test_api_keys(self):
        rc, out, err = self.d.cli("apikey", "add", "nagios")
        self.assertEqual(rc, 0, err)
        key = out.strip()
        self.assertRegex(key, r"^pbk_[0-9a-f]{48}$")
        rc, out, err = self.d.cli("apikey", "add", "ops", "all")
        self.assertEqual(rc, 0, err)
        ops_key = out.strip()
        self.assertNotEqual(self.d.cli("apikey", "add", "nagios")[0], 0)  # label taken
        rc, out, err = self.d.cli("apikey", "add", "bad", "view_log,fly")
        self.assertNotEqual(rc, 0)
        listing = self.cli_ok("apikey", "list")
        self.assertIn("nagios created=", listing)
        self.assertIn("permissions=view_connection,view_totals,view_log", listing)
        self.assertNotIn(key, listing)
        with open(os.path.join(self.d.data_dir, "security.log")) as f:
            self.assertNotIn(key[4:], f.read())
        c = self.client()
        r = c.request("login", api_key=key)
        self.assertEqual(r, {"id": 1, "ok": True, "user": "apikey:nagios", "admin": False,
                             "permissions": ["view_connection", "view_totals", "view_log"]})
        s = c.request("snapshot")
        self.assertEqual(set(s), {"id", "ok", "version", "uptime_s", "sessions", "activity",
                                  "connection", "out_queue", "inboxes", "mine"})
        self.assertEqual(c.request("shutdown")["permission"], "shutdown")
        self.assertTrue(self.client().request("login", api_key=ops_key)["ok"])
        r = self.client().request("login", api_key="pbk_" + "0" * 48)
        self.assertEqual((r["ok"], r["error"]), (False, "ERR Invalid Logon"))
        self.cli_ok("apikey", "del", "nagios")
        r = self.client().request("login", api_key=key)
        self.assertEqual((r["ok"], r["error"]), (False, "ERR Invalid Logon"))
        self.assertNotEqual(self.d.cli("apikey", "del", "nagios")[0], 0)
        self.assertIn("ops created=", self.cli_ok("apikey", "list"))

    def test_starttls(self):
        c = self.client()
        r = c.request("starttls")
        self.assertEqual(r, {"id": 1, "ok": True})
        ctx = ssl.create_default_context(cafile=self.cafile)
        tls = ctx.wrap_socket(c.sock, server_hostname=pbtest_host())
        c.sock, c.f = tls, tls.makefile("rb")
        self.assertTrue(c.login("admin", "adminpw1")["ok"])
        self.assertFalse(c.request("starttls")["ok"])


def pbtest_host():
    from test_tls import HOST
    return HOST


class StatusLimits(StatusBase):
    def test_many_subscribers_and_a_slow_reader(self):
        self.status_settings({"output_budget_kb": 16})
        self.addCleanup(self.status_settings, STATUS_DEFAULTS)
        subs = [self.admin() for _ in range(8)]
        for s in subs:
            self.assertTrue(s.request("subscribe", topics=["activity"])["ok"])
        slow = self.client("bob", "bobpw1234", rcvbuf=4096)  # never reads from here on
        sender = self.client("alice", "alicepw1")
        text = "x" * 4000
        for i in range(3000):
            r = sender.request("im", to="bob", text=text)
            if not r["ok"]:
                break  # bob's session is gone: dropped
        pbtest.wait_until(lambda: "event=slow_reader_dropped" in self.d.log(), timeout=30,
                          what="the slow reader dropped")
        self.assertIn("user=bob", [l for l in self.d.log().splitlines()
                                   if "slow_reader_dropped" in l][0])
        with self.assertRaises((EOFError, ConnectionError, json.JSONDecodeError)):
            while True:
                slow.read()
        # the others go on hearing events
        admin = self.admin()
        self.assertTrue(admin.request("connect", method="default")["ok"])
        for s in subs:
            e = s.event(lambda m: m.get("event") == "activity" and "connect now" in m["text"])
            self.assertIn("Connection default started", e["text"])

    def test_login_timeout_and_connection_limit(self):
        self.status_settings({"login_timeout_s": 1})
        self.addCleanup(self.status_settings, STATUS_DEFAULTS)
        def times_out():
            c = StatusClient(self.d.ports["status"], timeout=5)
            try:
                return c.read() == {"event": "bye", "reason": "login timeout"}
            except socket.timeout:
                return False  # the setting not taken yet: still the default 60 s
            finally:
                c.close()
        pbtest.wait_until(times_out, timeout=60, interval=0.5, what="the login timeout")
        self.status_settings(STATUS_DEFAULTS)
        rc, out, err = self.d.cli("setting", "set", "limits",
                                  json.dumps({"status_max_connections": 2}))
        self.assertEqual(rc, 0, err)
        self.addCleanup(self.unlimit)
        held = [self.admin(), self.admin()]
        pbtest.wait_until(lambda: self.hello_line() == {
            "event": "bye", "reason": "too many connections, try again later"}, timeout=30,
            interval=0.5, what="the connection limit")
        self.assertTrue(all(h.request("ping")["ok"] for h in held))

    def hello_line(self):
        s = socket.create_connection(("127.0.0.1", self.d.ports["status"]), timeout=30)
        try:
            return json.loads(s.makefile("rb").readline())
        finally:
            s.close()

    def unlimit(self):
        """The limit back to its default, once the server took it (three at once are served)."""
        self.d.cli("setting", "set", "limits", json.dumps({"status_max_connections": 100}))
        def three():
            cs = [StatusClient(self.d.ports["status"]) for _ in range(2)]
            try:
                return self.hello_line()["event"] == "hello"
            finally:
                for c in cs:
                    c.close()
        # (slowly: limits.ip_connections_per_minute counts every attempt)
        pbtest.wait_until(three, timeout=30, interval=0.5, what="the limit lifted")


class StatusStop(unittest.TestCase):
    """Shutdown and restart by request: the daemon's clean stop, exit 0 and 75."""

    def run_stop(self, op, user, password):
        d = pbtest.Daemon()
        d.start()
        self.addCleanup(d.cleanup)
        d.add_user("plain", "plainpw12")
        c = StatusClient(d.ports["status"])
        self.addCleanup(c.close)
        c.login("plain", "plainpw12")
        r = c.request(op)
        self.assertEqual((r["ok"], r["permission"]), (False, "shutdown"))
        self.assertIsNone(d.proc.poll())
        c2 = StatusClient(d.ports["status"])
        self.addCleanup(c2.close)
        self.assertTrue(c2.login(user, password)["ok"])
        self.assertEqual(c2.request(op), {"id": 2, "ok": True, "action": op})
        rc, out, err = d.wait_exit(timeout=60)
        self.assertNotIn("Sanitizer", err)
        self.assertIn("event=stopped" if op == "shutdown" else "restart=yes", d.log())
        return rc

    def test_shutdown(self):
        self.assertEqual(self.run_stop("shutdown", "admin", "adminpw1"), 0)

    def test_restart_exit_code(self):
        self.assertEqual(self.run_stop("restart", "admin", "adminpw1"), 75)


if __name__ == "__main__":
    unittest.main(verbosity=2)
