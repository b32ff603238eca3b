"""End to end: one timeline of every setting (issue 15 item 5). A mail collector changed (its
password too), a connection method's schedule changed and paused, a manual block added and an
API key made, all with the CLI, are in `pillarbox history` beside the settings and the
directory, with who and what changed and never a password or key; a checkpoint, then
`history rollback-to` it puts the collector's settings, the schedule and the block state back
across kinds (each put back itself a change by the CLI's user), while the API key stays (its
history is a record only); a point not in the timeline is refused."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402


class HistoryAll(unittest.TestCase):
    def setUp(self):
        self.d = pbtest.Daemon()
        self.d.start()
        self.addCleanup(self.d.cleanup)
        self.addCleanup(self.d.stop)
        self.d.add_user("alice", "alice-secret-1")

    def ok(self, *args, input=None):
        rc, out, err = self.d.cli(*args, input=input)
        self.assertEqual(rc, 0, (args, out, err))
        return out + err

    def collector_server(self):
        return re.search(r'"server": ?"([^"]*)"', self.ok("collector", "show", "box", "--json")).group(1)

    def test_every_kind_on_the_timeline_and_back_to_a_checkpoint(self):
        self.ok("collector", "add", "box", "server=127.0.0.1", "port=1100", "user=u",
                "password=-", "route=user", "target=alice", input="first-secret\n")
        self.ok("connection", "add", "office", "--every", "15", "--collectors", "box")
        out = self.ok("history", "checkpoint", "before the test")
        point = re.search(r"checkpoint #(\d+)", out).group(1)

        self.ok("collector", "set", "box", "server=127.0.0.2", "password=-",
                input="second-secret\n")
        self.ok("connection", "del", "office")
        self.ok("connection", "add", "office", "--every", "30", "--collectors", "box")
        self.ok("connection", "pause", "office")
        self.ok("block", "add", "192.0.2.0/24", "test block")
        key = self.ok("apikey", "add", "monitor")
        self.assertEqual(self.collector_server(), "127.0.0.2")

        hist = self.ok("history", "60")
        for want in ("#c", "collector:box", "server: \"127.0.0.1\" -> \"127.0.0.2\"",
                     "password: \"(set)\" -> \"(changed)\"", "#s", "connection:office",
                     "#b", "block:192.0.2.0/24", "#k", "apikey:monitor",
                     "checkpoint: before the test", "cli:"):
            self.assertIn(want, hist)
        for never in ("first-secret", "second-secret", "pbk_", "$"):
            self.assertNotIn(never, hist)
        self.assertNotIn(re.search(r"pbk_[0-9a-f]+", key).group(0), hist)

        out = self.ok("history", "rollback-to", point)
        self.assertRegex(out, r"[3-9] records put back")
        self.assertEqual(self.collector_server(), "127.0.0.1")
        show = self.ok("connection", "show", "office")
        self.assertIn("15", show)
        self.assertNotIn("paused", show)
        self.assertNotIn("192.0.2.0/24", self.ok("block", "list"))
        self.assertIn("monitor", self.ok("apikey", "list"))  # a record only: never rolled back
        # each put back is a change of its own, by the CLI's user, after the checkpoint
        hist = self.ok("history", "10")
        self.assertIn("server: \"127.0.0.2\" -> \"127.0.0.1\"", hist)

        rc, out, err = self.d.cli("history", "rollback-to", "c99999")
        self.assertEqual(rc, 1, (out, err))
        self.assertIn("no change c99999", err)


if __name__ == "__main__":
    unittest.main()
