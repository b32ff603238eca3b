"""End to end: pillarbox-monitor, the terminal client of the status server (issue 14 items 5
and 2), against the real daemon. The full-screen view runs in tmux (a private tmux server, a
fixed 140x45 window): keys are sent with send-keys and the screen read with capture-pane, every
wait a bounded poll of the screen. Checked: the inbox counts on screen follow the server's own
(pillarbox user list) after mail is delivered, without a new snapshot (the hub's "inboxes"
events); the activity log shows the delivery; connect now and an instant message both ways; a
non-administrator's shutdown refused with the server's words on screen; a failed login shown;
--once --json equal to the protocol's snapshot; --check's exit codes 0/1/2 with a held queue
over the thresholds and 3 with the server down; a group-readable config with a password
refused."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_status import StatusBase, StatusClient  # noqa: E402

MONITOR = os.path.join(pbtest.BUILD, "pillarbox-monitor")


class MonitorBase(StatusBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.home = tempfile.mkdtemp(prefix="pbmon-")
        cls.tmux_sock = "pbmon%d" % os.getpid()
        # a session that stays: the tmux server would exit with its last session, racing the
        # next test's new-session ("server exited unexpectedly")
        subprocess.run(["tmux", "-L", cls.tmux_sock, "new-session", "-d", "-s", "keep", "cat"],
                       check=True, timeout=30)

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["tmux", "-L", cls.tmux_sock, "kill-server"], capture_output=True)
        shutil.rmtree(cls.home, ignore_errors=True)
        super().tearDownClass()

    def config(self, name, user=None, password=None, port=None, mode=0o600, extra=""):
        path = os.path.join(self.home, name + ".conf")
        text = "[server %s]\nhost = 127.0.0.1\nport = %d\n" % (
            name, port or self.d.ports["status"])
        if user:
            text += "user = %s\npassword = %s\n" % (user, password)
        with open(path, "w") as f:
            f.write(text + extra)
        os.chmod(path, mode)
        return path

    def run_monitor(self, *args):
        p = subprocess.run([MONITOR] + list(args), capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    # ---- tmux ----
    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.tmux_sock] + list(args), capture_output=True,
                              text=True, timeout=30)

    def screen_start(self, session, conf):
        r = self.tmux("new-session", "-d", "-s", session, "-x", "140", "-y", "45",
                      "%s --config %s" % (MONITOR, conf))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.addCleanup(self.tmux, "kill-session", "-t", session)

    def screen(self, session):
        return self.tmux("capture-pane", "-p", "-t", session).stdout

    def wait_screen(self, session, pred, what, timeout=30):
        try:
            return pbtest.wait_until(lambda: pred(self.screen(session)), timeout=timeout,
                                     interval=0.1, what=what)
        except Exception:
            print(self.screen(session), file=sys.stderr)
            raise

    def keys(self, session, *keys):
        self.tmux("send-keys", "-t", session, *keys)


class MonitorScreen(MonitorBase):
    def test_counts_log_connect_and_im(self):
        conf = self.config("office", "admin", "adminpw1")
        self.screen_start("adm", conf)
        self.wait_screen("adm", lambda s: "Link: connected" in s and "Inboxes:" in s, "connected")
        # mail delivered to bob: the counts on screen follow the server's own
        for i in range(2):
            self.send(["bob@" + self.alice().split("@")[1]],
                      b"Subject: monitor %d\r\n\r\nx\r\n" % i)
        pbtest.wait_until(lambda: pbtest.user_counts(self.d)["bob"][0] >= 2, timeout=30,
                          what="bob's mail")
        counts = pbtest.user_counts(self.d)
        total = sum(c[0] for c in counts.values())
        self.wait_screen("adm", lambda s: "bob=%d" % counts["bob"][0] in s and
                         "Inboxes: %d total" % total in s, "the counts on screen")
        self.wait_screen("adm", lambda s: re.search(r"Delivered message \S+ to bob@", s),
                         "the delivery in the activity log")
        # connect now (the selected method, default)
        self.keys("adm", "c")
        self.wait_screen("adm", lambda s: "connect default: done" in s, "connect now answered")
        self.wait_screen("adm", lambda s: "Connection default started (connect now)" in s,
                         "the run in the log")
        # IM both ways with bob's own status session
        bob = self.client("bob", "bobpw1234")
        self.keys("adm", "i")
        self.keys("adm", "-l", "bob")
        self.keys("adm", "Enter")
        self.keys("adm", "-l", "hello from the monitor")
        self.keys("adm", "Enter")
        e = bob.event(lambda m: m.get("event") == "im")
        self.assertEqual((e["from"], e["text"]), ("admin", "hello from the monitor"))
        self.wait_screen("adm", lambda s: "im: done" in s, "the IM delivered")
        self.assertTrue(bob.request("im", to="admin", text="got it, thanks")["ok"])
        self.wait_screen("adm", lambda s: "from bob: got it, thanks" in s, "the IM received")

    def test_non_admin_shutdown_refused(self):
        conf = self.config("bob", "bob", "bobpw1234")
        self.screen_start("bob", conf)
        self.wait_screen("bob", lambda s: "Link: connected" in s, "connected")
        self.keys("bob", "S")
        self.wait_screen("bob", lambda s: "Shut the server down? (y/n)" in s, "the confirm")
        self.keys("bob", "y")
        self.wait_screen("bob", lambda s: "shutdown: permission denied: shutdown" in s,
                         "the refusal")
        self.assertIsNone(self.d.proc.poll(), "the daemon still runs")

    def test_login_failed_shown(self):
        conf = self.config("wrong", "admin", "wrongpw")
        self.screen_start("wrong", conf)
        self.wait_screen("wrong", lambda s: "login failed: ERR Invalid Logon" in s and
                         "retrying in" in s, "the reason on screen")


class MonitorOnce(MonitorBase):
    def test_once_json_matches_snapshot(self):
        conf = self.config("office", "admin", "adminpw1")
        rc, out, err = self.run_monitor("--config", conf, "--once", "--json")
        self.assertEqual(rc, 0, err)
        doc = json.loads(out)
        snap = self.admin().request("snapshot")
        self.assertEqual(doc.pop("server"), "office")
        for k in ("id", "ok"):
            snap.pop(k)
        self.assertEqual(set(doc), set(snap))
        for k in ("version", "out_queue", "inboxes", "mine"):
            self.assertEqual(doc[k], snap[k], k)
        self.assertEqual([m["name"] for m in doc["connection"]["methods"]],
                         [m["name"] for m in snap["connection"]["methods"]])

    def test_inboxes_events(self):
        """The protocol's inboxes events (docs/status-protocol.md): the total for "inboxes",
        with each user's for "users", the numbers the server's own after a delivery."""
        users = self.admin()
        self.assertTrue(users.request("subscribe", topics=["inboxes", "users"])["ok"])
        total = self.client("bob", "bobpw1234")
        self.assertTrue(total.request("subscribe", topics=["inboxes"])["ok"])
        self.assertEqual(total.request("subscribe", topics=["users"])["permission"], "view_users")
        self.assertTrue(total.request("subscribe", topics=["inboxes"])["ok"])
        before = pbtest.user_counts(self.d)["bob"][0]
        self.send(["bob@" + self.alice().split("@")[1]], b"Subject: event\r\n\r\nx\r\n")
        e = users.event(lambda m: m.get("event") == "inboxes" and
                        {u["user"]: u["count"] for u in m["users"]}.get("bob") == before + 1)
        counts = pbtest.user_counts(self.d)
        self.assertEqual(set(e), {"event", "count", "users"})
        self.assertEqual(e["count"], sum(c[0] for c in counts.values()))
        self.assertEqual({u["user"]: u["count"] for u in e["users"]},
                         {u: c[0] for u, c in counts.items()})
        t = total.event(lambda m: m.get("event") == "inboxes" and m["count"] == e["count"])
        self.assertEqual(set(t), {"event", "count"})

    def test_check_exit_codes(self):
        conf = self.config("office", "admin", "adminpw1")
        # a held entry: to a dead destination, then held
        self.send(["someone@dead.example"], b"Subject: held\r\n\r\nx\r\n")
        entry = pbtest.wait_until(lambda: self.find_entry("someone@dead.example"), timeout=30,
                                  what="the entry")
        self.assertEqual(self.queue("hold", entry[0])[0], 0)
        self.addCleanup(self.queue, "delete", entry[0])
        n = json.loads(self.cli_ok("status", "--json"))["queue"]["entries"]
        self.assertGreaterEqual(n, 1)
        rc, out, _ = self.run_monitor("--config", conf, "--check", "--warn-queue", str(n + 5))
        self.assertEqual(rc, 0, out)
        self.assertTrue(out.startswith("PILLARBOX OK - out queue %d (held " % n), out)
        rc, out, _ = self.run_monitor("--config", conf, "--check", "--warn-queue", str(n))
        self.assertEqual(rc, 1, out)
        self.assertTrue(out.startswith("PILLARBOX WARNING"), out)
        rc, out, _ = self.run_monitor("--config", conf, "--check", "--warn-queue", "1",
                                      "--crit-queue", str(n))
        self.assertEqual(rc, 2, out)
        self.assertTrue(out.startswith("PILLARBOX CRITICAL"), out)
        down = self.config("down", "admin", "adminpw1", port=self.dead)
        rc, out, _ = self.run_monitor("--config", down, "--check")
        self.assertEqual(rc, 3, out)
        self.assertTrue(out.startswith("PILLARBOX UNKNOWN - down cannot connect: "), out)

    def test_config_mode_refused(self):
        conf = self.config("open", "admin", "adminpw1", mode=0o644)
        rc, out, err = self.run_monitor("--config", conf, "--check")
        self.assertEqual(rc, 3)
        self.assertIn("readable or writable by group or others (mode 644)", err)
        rc, out, err = self.run_monitor("--config", conf, "--server", "nosuch", "--check")
        self.assertEqual(rc, 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
