"""End to end: the CLI shows mailbox usage against the quota (issue 13 item 6, admin guide
4.8) — `pillarbox user quota NAME [--json]` and `user show`'s quota line give the bytes and
messages over all folders, the quota in effect, the percentage and the warning level reached,
the same usage IMAP GETQUOTA answers; an account without a quota says so. GET
/api/users/NAME/quota answers the same JSON as `user quota NAME --json`, to the account itself
and to an administrator (another account: 403; no such account: 404)."""
import imaplib
import json
import os
import re
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_quota import BIG, MB, body  # noqa: E402
from test_web_api import Client  # noqa: E402


class QuotaCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()
        cls.domain = cls.d.local_domain()
        cls.d.add_user("qx", "qxpw1234")
        cls.d.add_user("free", "freepw12")
        rc, out, err = cls.d.cli("user", "set", "qx", "quota_mb", "1")
        assert rc == 0, err

    @classmethod
    def tearDownClass(cls):
        cls.d.stop_checked()

    def quota(self, user):
        rc, out, err = self.d.cli("user", "quota", user, "--json")
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def deliver(self, user, subject):
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60)
        self.addCleanup(s.close)
        self.assertEqual(s.sendmail("x@example.org", ["%s@%s" % (user, self.domain)],
                                    body(BIG, subject.encode())), {})
        s.quit()

    def imap_usage(self, user, password):
        """(STORAGE used KiB of GETQUOTA "", messages of INBOX)."""
        c = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60)
        try:
            c.login(user, password)
            typ, data = c.getquota('""')
            self.assertEqual(typ, "OK", data)
            used = int(re.match(rb'^"" \(STORAGE (\d+) \d+\)$', data[0]).group(1))
            typ, st = c.status("INBOX", "(MESSAGES)")
            return used, int(re.search(rb"MESSAGES (\d+)", st[0]).group(1))
        finally:
            c.logout()

    def test_usage_level_and_no_quota(self):
        q = self.quota("qx")
        self.assertEqual(q, {"user": "qx", "bytes": 0, "messages": 0, "quota_bytes": MB,
                             "percent": 0, "level": 0, "send_blocked": False})
        for i in range(3):  # about 88 %: warning level 1 (80 %), and its warning message
            self.deliver("qx", "qx-%d" % i)
        q = pbtest.wait_until(lambda: (lambda q: q if q["level"] == 1 and q["messages"] == 4
                                       else None)(self.quota("qx")),
                              timeout=60, what="level 1 and the warning in qx's usage")
        used_kib, inbox = self.imap_usage("qx", "qxpw1234")
        self.assertEqual(inbox, 4)
        self.assertEqual((q["bytes"] + 1023) // 1024, used_kib)
        self.assertAlmostEqual(q["percent"], q["bytes"] * 100.0 / MB, delta=0.1)
        self.assertGreaterEqual(q["percent"], 80)
        self.assertFalse(q["send_blocked"])
        rc, out, err = self.d.cli("user", "quota", "qx")
        self.assertEqual(rc, 0, err)
        line = "used %d bytes in 4 messages of %d (%.1f %%), warning level 1 (80 %%) reached" % (
            q["bytes"], MB, q["percent"])
        self.assertEqual(out, "qx: %s\n" % line)
        rc, out, err = self.d.cli("user", "show", "qx")
        self.assertEqual(rc, 0, err)
        self.assertIn("quota:    %s\n" % line, out)
        # no quota of its own and quota.default_mb 0: usage without a quota
        self.assertEqual(self.quota("free"), {"user": "free", "bytes": 0, "messages": 0,
                                              "quota_bytes": None, "percent": None,
                                              "level": 0, "send_blocked": False})
        rc, out, err = self.d.cli("user", "show", "free")
        self.assertIn("quota:    used 0 bytes in 0 messages, no quota\n", out)
        rc, out, err = self.d.cli("user", "quota", "nosuch")
        self.assertEqual(rc, 1)

    def rest(self, who, password, name):
        c = Client(self.d.ports["http"])
        self.addCleanup(c.close)
        r, body = c.login(who, password)
        self.assertEqual(r.status, 200, body)
        r, body = c.request("GET", "/api/users/%s/quota" % name)
        return r.status, body

    def test_rest_answers_as_the_cli(self):
        self.d.add_user("rq", "rqpw1234")
        rc, out, err = self.d.cli("user", "set", "rq", "quota_mb", "1")
        self.assertEqual(rc, 0, err)
        self.deliver("rq", "rq-1")  # about 29 %
        pbtest.wait_until(lambda: self.quota("rq")["messages"] == 1, timeout=60,
                          what="rq's message")
        for user in ("rq", "free"):
            self.assertEqual(self.rest("admin", self.d.admin_password, user),
                             (200, self.quota(user)))
        status, q = self.rest("rq", "rqpw1234", "rq")
        self.assertEqual((status, q), (200, self.quota("rq")))
        self.assertEqual((q["messages"], q["quota_bytes"], q["send_blocked"]), (1, MB, False))
        self.assertGreater(q["percent"], 0)
        self.assertEqual(self.rest("rq", "rqpw1234", "free")[0], 403)
        self.assertEqual(self.rest("admin", self.d.admin_password, "nosuch")[0], 404)

if __name__ == "__main__":
    unittest.main(verbosity=2)
