"""End to end: one timeline of every setting (issue 15 item 5). A mail collector changed (its
password too), a connection method's schedule changed and paused, a manual block added and an
API key made, all with the CLI, are in `pillarbox history` beside the settings and the
directory, with who and what changed and never a password or key. One change rolled back alone
(the pause); one changed again since refused, an API key's refused. A checkpoint, then
`history rollback-to` it puts the collector's settings, the schedule and the block state back
across kinds (each put back itself a change by the CLI's user), while the API key stays (its
history is a record only); a point not in the timeline is refused; a collector deleted since
(its password is in no history) refuses the whole rollback, naming it, before anything is
written. Over REST: a checkpoint, a block added, GET /api/history shows it by web:admin with its
kind and point, and rollback-to the checkpoint removes it (CSRF checked). A rollback-to the
newest point (nothing after it) changes nothing and says so, over REST and the CLI (it used to
pass qsort a NULL plan: UBSan stopped the daemon)"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_web_api import Client  # noqa: E402


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

        # two versions of the method compared: the schedule of the first and of the second
        adds = re.findall(r"#s(\d+) [^\n]*connection:office\n    name: \(default\)", hist)
        out = self.ok("history", "diff", "s" + adds[-1], "s" + adds[0])
        self.assertIn('"every_min":15', out)
        self.assertIn('"every_min":30', out)
        # one change undone alone: the pause; the collector's first version is changed since
        pause = re.search(r"#s(\d+) [^\n]*connection:office\n    paused: false -> true", hist)
        self.ok("history", "rollback", "s" + pause.group(1))
        self.assertNotIn("paused", self.ok("connection", "show", "office"))
        first = re.findall(r"#c(\d+) [^\n]*collector:box", hist)[-1]
        rc, out, err = self.d.cli("history", "rollback", "c" + first)
        self.assertEqual(rc, 1, (out, err))
        self.assertIn("changed again", err)
        rc, out, err = self.d.cli("history", "rollback", "k1")
        self.assertEqual(rc, 1, (out, err))
        self.assertIn("never rolled back", err)

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

    def test_what_cannot_be_undone_refuses_before_anything_is_written(self):
        self.ok("collector", "add", "gone", "server=127.0.0.1", "user=u", "password=-",
                "route=user", "target=alice", input="secret\n")
        point = re.search(r"checkpoint #(\d+)", self.ok("history", "checkpoint")).group(1)
        self.ok("block", "add", "192.0.2.9", "after the point")
        self.ok("collector", "del", "gone")
        rc, out, err = self.d.cli("history", "rollback-to", point)
        self.assertEqual(rc, 1, (out, err))
        self.assertIn("collector:gone was deleted", err)
        self.assertIn("192.0.2.9", self.ok("block", "list"))  # nothing was rolled back
        # the collector added again (with its password): the rollback goes through
        self.ok("collector", "add", "gone", "server=127.0.0.1", "user=u", "password=-",
                "route=user", "target=alice", input="secret\n")
        self.assertNotIn("192.0.2.9", self.ok("history", "rollback-to", point) +
                         self.ok("block", "list"))

    def admin_client(self):
        """A REST client logged in as the administrator."""
        c = Client(self.d.ports["http"])
        self.addCleanup(c.close)
        r, body = c.login("admin", self.d.admin_password)
        self.assertEqual(r.status, 200, body)
        return c

    def test_rest_timeline_checkpoint_and_rollback_to(self):
        c = self.admin_client()
        r, body = c.request("POST", "/api/history/checkpoint", {"note": "before REST"})
        self.assertEqual(r.status, 201, body)
        point = body["point"]
        r, body = c.request("POST", "/api/blocks", {"net": "198.51.100.0/24", "reason": "x"})
        self.assertEqual(r.status, 201, body)

        r, hist = c.request("GET", "/api/history?limit=20")
        self.assertEqual(r.status, 200, hist)
        self.assertEqual((hist[0]["kind"], hist[0]["doc"], hist[0]["by"]),
                         ("block", "block:198.51.100.0/24", "web:admin"))
        self.assertTrue(hist[0]["point"].startswith("b"), hist[0])
        self.assertIsNone(hist[0]["before"])
        self.assertEqual((hist[1]["kind"], hist[1]["point"]), ("checkpoint", point))
        self.assertIn("before REST", hist[1]["note"])
        r, body = c.request("GET", "/api/history?limit=0")
        self.assertEqual(r.status, 400, body)

        r, body = c.request("POST", "/api/history/%s/rollback-to" % point, csrf=False)
        self.assertEqual(r.status, 403, body)
        self.assertIn("198.51.100.0/24", self.ok("block", "list"))
        r, body = c.request("POST", "/api/history/x1/rollback-to")
        self.assertEqual(r.status, 400, body)
        r, body = c.request("POST", "/api/history/k1/rollback")
        self.assertEqual(r.status, 400, body)
        r, body = c.request("POST", "/api/history/%s/rollback-to" % point)
        self.assertEqual((r.status, body), (200, {"changed": 1}))
        self.assertNotIn("198.51.100.0/24", self.ok("block", "list"))
        r, hist = c.request("GET", "/api/history?limit=5")
        self.assertEqual((hist[0]["doc"], hist[0]["by"], hist[0]["after"]),
                         ("block:198.51.100.0/24", "web:admin", None))

    def test_rollback_to_the_newest_point_changes_nothing(self):
        c = self.admin_client()
        r, body = c.request("POST", "/api/history/checkpoint", {"note": "nothing after"})
        self.assertEqual(r.status, 201, body)
        r, body = c.request("POST", "/api/history/%s/rollback-to" % body["point"])
        self.assertEqual((r.status, body), (200, {"changed": 0}))
        point = re.search(r"checkpoint #(\d+)", self.ok("history", "checkpoint", "cli")).group(1)
        self.assertRegex(self.ok("history", "rollback-to", point), r"\b0 [a-z ]+ put back")
        self.assertIsNone(self.d.proc.poll())


if __name__ == "__main__":
    unittest.main()
