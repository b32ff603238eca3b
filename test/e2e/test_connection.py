"""End to end: connection methods with the CLI against the real daemon (issue 12, item 2) — the
default method a new data directory gets, running at once and sending the (empty) queue with
result ok; `pillarbox status` and `status --json` showing each
method; connection add/show/list/pause/resume/now/del with their exit codes and named errors;
and the methods surviving a restart."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402

os.environ["TZ"] = "UTC"  # the CLI shows local times; the daemon reads windows in local time


class Connection(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def ok(self, *argv):
        rc, out, err = self.d.cli(*argv)
        self.assertEqual(rc, 0, (argv, out, err))
        return out

    def refused(self, code, why, *argv):
        rc, out, err = self.d.cli(*argv)
        self.assertEqual(rc, code, (argv, out, err))
        self.assertIn(why, err, argv)

    def show(self, name):
        out = self.ok("connection", "show", name)
        return {k.strip(): v.strip() for k, v in
                (line.split(":", 1) for line in out.splitlines())}

    def test_1_default_method(self):
        pbtest.wait_until(lambda: self.show("default")["last poll"].endswith(": ok"),
                          what="the default method's first run sending the empty queue")
        s = self.show("default")
        self.assertEqual(s["schedule"], "every 10 min, all day, all")
        self.assertEqual(s["send queued"], "yes")
        self.assertEqual(s["collectors"], "none")
        self.assertEqual(s["last failure"], "none")
        self.assertRegex(s["next poll"], r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$")
        out = self.ok("connection", "list")
        self.assertRegex(out, r"(?m)^default +active +last .* ok, next [^;]*$")
        status = self.ok("status")
        self.assertIn("connections:\n  default ", status)
        js = json.loads(self.ok("status", "--json"))
        conns = {c["name"]: c for c in js["connections"]}
        self.assertEqual(conns["default"]["last_error"], "")
        self.assertEqual(conns["default"]["last_result"], "ok")
        self.assertEqual(conns["default"]["schedule"], ["every 10 min, all day, all"])
        self.assertTrue(conns["default"]["send"])
        self.assertGreater(conns["default"]["next_due_ms"], conns["default"]["last_start_ms"])

    def test_2_add_show_pause_now_del(self):
        self.assertIn("connection added", self.ok(
            "connection", "add", "office", "--every", "15", "--from", "08:00", "--to", "18:00",
            "--days", "mon-fri", "--collectors", "isp1,isp2", "--send", "no"))
        s = self.show("office")
        self.assertEqual(s["schedule"], "every 15 min, 08:00-18:00, mon-fri")
        self.assertEqual(s["collectors"], "isp1, isp2")
        self.assertEqual(s["send queued"], "no")
        self.ok("connection", "add", "night", "--from", "22:00", "--to", "06:00",
                "--min-waiting", "5")
        self.assertEqual(self.show("night")["schedule"],
                         "every 10 min, 22:00-06:00, all, if 5+ waiting")
        self.assertIn("connection paused", self.ok("connection", "pause", "office"))
        s = self.show("office")
        self.assertTrue(s["state"].startswith("paused"), s)
        self.assertEqual(s["next poll"], "none (paused)")
        self.assertIn("connecting now", self.ok("connection", "now", "office"))
        pbtest.wait_until(
            lambda: "collect isp1: no such collector" in self.show("office")["last failure"],
            what="connect now recording the missing collector")
        self.assertIn("connection resumed", self.ok("connection", "resume", "office"))
        self.assertTrue(self.show("office")["state"].startswith("active"))
        self.assertIn("connection deleted", self.ok("connection", "del", "office"))
        self.assertNotIn("office", self.ok("connection", "list"))
        self.ok("connection", "del", "night")

    def test_3_errors_named(self):
        self.refused(1, "cannot add the connection: a connection of that name exists",
                     "connection", "add", "default")
        self.refused(1, "a connection name is 1 to 64 letters", "connection", "add", "a/b")
        self.refused(1, "a collector name is 1 to 64", "connection", "add", "x",
                     "--collectors", "a,,b")
        self.refused(64, "--every wants a whole number from 1 to 10080, not '0'",
                     "connection", "add", "x", "--every", "0")
        self.refused(64, "--from and --to go together", "connection", "add", "x", "--from", "08:00")
        self.refused(64, "--from and --to want HH:MM (00:00 to 24:00), not '25:00'",
                     "connection", "add", "x", "--from", "08:00", "--to", "25:00")
        self.refused(64, "days are mon,tue,wed,thu,fri,sat,sun", "connection", "add", "x",
                     "--days", "weekdays")
        self.refused(64, "--send wants yes or no, not 'maybe'", "connection", "add", "x",
                     "--send", "maybe")
        self.refused(64, "'connection list' takes no option --every", "connection", "list",
                     "--every", "5")
        self.refused(1, "cannot list the connections: no such connection", "connection", "show",
                     "nosuch")
        self.refused(1, "cannot delete the connection: no such connection", "connection", "del",
                     "nosuch")
        self.refused(1, "cannot pause the connection: no such connection", "connection", "pause",
                     "nosuch")
        self.refused(1, "cannot hang up the connection: the connection is not running",
                     "connection", "hangup", "default")
        self.assertNotIn("\nx ", self.ok("connection", "list"))

    def test_4_restart_keeps_methods(self):
        self.ok("connection", "add", "kept", "--every", "60", "--send", "no")
        self.ok("connection", "pause", "kept")
        self.d.stop()
        self.d.start()
        out = self.ok("connection", "list")
        self.assertRegex(out, r"(?m)^kept +paused ")
        self.assertRegex(out, r"(?m)^default ")
        self.assertEqual(self.show("kept")["schedule"], "every 60 min, all day, all")
        self.ok("connection", "del", "kept")


if __name__ == "__main__":
    unittest.main(verbosity=2)
