"""End to end: one history of every setting (issue 15 item 5). An account's quota changed with
the CLI and over REST and a mapping added over REST are in the directory's history with who
(cli:USER, web:admin), when and a diff, beside the settings documents' changes in `pillarbox
history`; two versions compared; one change rolled back (REST), then everything back to a
point of the one timeline (CLI: every kind after it, the settings document too), each
rollback itself a change; no password hash is ever shown."""
import imaplib
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_web_api import Client  # noqa: E402


class History(unittest.TestCase):
    def setUp(self):
        self.d = pbtest.Daemon()
        self.d.start()
        self.addCleanup(self.d.cleanup)
        self.addCleanup(self.d.stop)
        self.d.add_user("alice", "alice-secret-1")
        self.c = Client(self.d.ports["http"])
        self.addCleanup(self.c.close)
        r, body = self.c.login("admin", self.d.admin_password)
        self.assertEqual(r.status, 200, body)

    def cli_ok(self, *args):
        rc, out, err = self.d.cli(*args)
        self.assertEqual(rc, 0, (args, out, err))
        return out + err

    def history(self):
        r, hist = self.c.request("GET", "/api/directory-history?limit=50")
        self.assertEqual(r.status, 200, hist)
        return hist

    def quota(self):
        for h in self.history():  # the newest record of alice holds her settings now
            if h["doc"] == "user:alice":
                return (h["after"] or {}).get("settings", {}).get("quota_mb")
        return None

    def imap_quota(self):
        """The STORAGE limit (KB) the mailbox owner applies, as IMAP GETQUOTAROOT tells it."""
        c = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=30)
        try:
            c.login("alice", "alice-secret-1")
            typ, data = c.getquotaroot("INBOX")
            self.assertEqual(typ, "OK")
            return repr(data)
        finally:
            c.logout()

    def test_changes_recorded_compared_and_rolled_back(self):
        self.cli_ok("user", "set", "alice", "quota_mb", "100")
        r, body = self.c.request("POST", "/api/mappings", {"address": "sales", "target": "alice"})
        self.assertEqual(r.status, 201, body)
        r, body = self.c.request("PATCH", "/api/users/alice", {"quota_mb": 200})
        self.assertEqual(r.status, 204, body)
        self.cli_ok("setting", "set", "smtp", '{"max_recipients": 42}')

        hist = self.history()
        self.assertEqual([h["doc"] for h in hist][:3],
                         ["user:alice", "mapping:sales,alice", "user:alice"])
        # before them: the first local domain, added at the first start
        self.assertEqual((hist[3]["doc"][:7], hist[3]["by"]), ("domain:", "first start"))
        hist = hist[:3]
        self.assertEqual([h["by"] for h in hist][:2], ["web:admin", "web:admin"])
        self.assertTrue(hist[2]["by"].startswith("cli:"), hist[2])
        self.assertEqual(hist[0]["before"]["settings"]["quota_mb"], 100)
        self.assertEqual(hist[0]["after"]["settings"]["quota_mb"], 200)
        self.assertIsNone(hist[1]["before"])
        self.assertEqual(hist[1]["after"]["target"], "alice")
        self.assertNotIn("$", json.dumps(hist))  # no password hash ($y$..., $2b$...)
        self.assertGreater(hist[0]["at_ms"], 0)
        d_first, d_map, d_last = hist[2]["seq"], hist[1]["seq"], hist[0]["seq"]

        # one history: the settings document's change and the directory's, with diffs
        out = self.cli_ok("history", "10")
        self.assertIn("#d%d" % d_last, out)
        self.assertIn("quota_mb: 100 -> 200", out)
        self.assertIn("mapping:sales,alice", out)
        self.assertIn("max_recipients: (default) -> 42", out)
        self.assertIn("web:admin", out)
        # two versions of a record compared
        out = self.cli_ok("history", "diff", "d%d" % d_first, "d%d" % d_last)
        self.assertIn("quota_mb: 100 -> 200", out)

        # the first change was changed again since: refused, nothing changes
        r, body = self.c.request("POST", "/api/directory-history/%d/rollback" % d_first)
        self.assertEqual(r.status, 400, body)
        self.assertIn("changed again", body["error"])
        self.assertEqual(self.quota(), 200)
        self.assertIn("STORAGE 0 204800", self.imap_quota())
        # one change undone over REST: the quota back to 100, itself a change by web:admin
        r, body = self.c.request("POST", "/api/directory-history/%d/rollback" % d_last)
        self.assertEqual((r.status, body), (200, {"changed": 1}))
        self.assertEqual(self.quota(), 100)
        # the mailbox owner applies it too (its copy of the quota, given by the rollback)
        pbtest.wait_until(lambda: "STORAGE 0 102400" in self.imap_quota(), what="quota 100 MB")
        newest = self.history()[0]
        self.assertEqual((newest["note"], newest["by"]), ("rollback of #%d" % d_last, "web:admin"))
        r, _ = self.c.request("POST", "/api/directory-history/99999/rollback")
        self.assertEqual(r.status, 404)

        # everything back to the point after the first change, every kind: the mapping gone,
        # quota 100, and the settings document changed after it back too
        out = self.cli_ok("history", "rollback-to", "d%d" % d_first)
        self.assertIn("2 records put back", out)
        r, maps = self.c.request("GET", "/api/mappings")
        self.assertEqual(r.status, 200)
        self.assertEqual(maps, [])
        self.assertEqual(self.quota(), 100)
        newest = self.history()[0]
        self.assertEqual(newest["doc"], "mapping:sales,alice")
        self.assertEqual(newest["note"], "rollback to #%d" % d_first)
        self.assertTrue(newest["by"].startswith("cli:"))
        self.assertIsNone(newest["after"])
        # and to before the first quota: none at all; the account itself stays
        out = self.cli_ok("history", "rollback-to", "d%d" % (d_first - 1))
        self.assertRegex(out, r"[12] records? put back")  # the smtp document: already so
        self.assertIsNone(self.quota())
        self.assertIn("alice", self.cli_ok("user", "list"))
        # the first domain is not removed by a rollback to before it: accounts are at it
        rc, out, err = self.d.cli("history", "rollback-to", "d0")
        self.assertEqual(rc, 1, (out, err))
        self.assertIn("not removed by a rollback", err)
        # the settings document changed after the point went back with it
        self.assertNotIn('"max_recipients": 42', self.cli_ok("setting", "show", "smtp"))


if __name__ == "__main__":
    unittest.main()
