"""End to end: the guide 4.5 forwarding features of h-fwdext. Size dependent forwarding (a big
message copied to a local account, a small one redirected to a remote address received by
Postfix's smtp-sink), "Copy Sent Messages To" (a message sent with AUTH copied, one with a
forged sender not), and "Immediately copy messages already in this user's inbox to
assistant(s)" (`pillarbox user copy-inbox` and POST /api/users/{name}/copy-inbox: each INBOX
message reaches the assistant once, a second run copies nothing); the keys set by PATCH
/api/users/{name}. The quarantine switch (no_forward_quarantined) is tested by the
plan table (test/router/test-router-plan.c, fwdext_table) and end to end with a real rspamd in
test_spam_headers.py."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import QueueBase  # noqa: E402
from test_router import RouterClient  # noqa: E402
from test_web_rest import Client  # noqa: E402

USERS = ("sizer", "bigcopy", "sender1", "archive", "ben", "boss", "asst", "boss2", "asst2", "asst3")


class FwdExtCase(RouterClient, QueueBase):
    @classmethod
    def setUpClass(cls):
        cls.start_with_users(USERS)
        cls.ok("user", "set", "sizer", "size_over_kb", "20")
        cls.ok("user", "set", "sizer", "size_over_to", "bigcopy")
        cls.ok("user", "set", "sizer", "size_under_kb", "2")
        cls.ok("user", "set", "sizer", "size_under_action", "redirect")
        cls.ok("user", "set", "sizer", "size_under_to", "phone@remote.example")
        cls.ok("user", "set", "sender1", "copy_sent_to", "archive")

    def send_mail(self, rcpt, subject, size=0, sender="someone@outside.example", login=None):
        body = ("x" * 76 + "\r\n") * (size // 78 + 1) if size else "small\r\n"
        return self.deliver(rcpt, subject, sender=sender, login=login, body=body)

    def test_size_forwarding(self):
        self.send_mail("sizer@" + self.domain, "big-one", size=30000)
        self.send_mail("sizer@" + self.domain, "small-one")
        self.wait_for("bigcopy", "big-one")
        self.wait_for("sizer", "big-one")  # copy: sizer keeps it
        dumps = pbtest.wait_until(lambda: self.sink.find(b"small-one"), timeout=60,
                                  what="the small message at smtp-sink")
        self.assertIn(b"X-Rcpt-Args: <phone@remote.example>", dumps[0])
        self.assertNotIn("small-one", self.subjects("sizer"))  # redirected
        self.assertNotIn("small-one", self.subjects("bigcopy"))
        self.assertFalse(self.sink.find(b"big-one"))
        out = self.ok("user", "show", "sizer")
        self.assertIn("size_under_action", out)
        rc, _, err = self.d.cli("user", "set", "sizer", "size_over_action", "bounce")
        self.assertEqual(rc, 1)
        self.assertIn("copy or redirect", err)

    def test_copy_sent(self):
        self.send_mail("ben@" + self.domain, "forged-sent", sender="sender1@" + self.domain)
        self.send_mail("ben@" + self.domain, "really-sent", sender="sender1@" + self.domain,
                  login=("sender1", "sender1pw123"))
        self.wait_for("archive", "really-sent")
        self.wait_for("ben", "forged-sent")
        self.wait_for("ben", "really-sent")
        self.assertNotIn("forged-sent", self.subjects("archive"))

    def test_copy_inbox(self):
        for i in range(3):
            self.send_mail("boss@" + self.domain, "inbox-%d" % i)
        for i in range(3):
            self.wait_for("boss", "inbox-%d" % i)
        rc, _, err = self.d.cli("user", "copy-inbox", "boss")
        self.assertEqual(rc, 1)
        self.assertIn("no assistants", err)
        self.ok("user", "set", "boss", "assistants", "asst")
        out = self.ok("user", "copy-inbox", "boss")
        self.assertIn("3 copies sent to the assistants, 0 made before", out)
        for i in range(3):
            self.wait_for("asst", "inbox-%d" % i)
        out = self.ok("user", "copy-inbox", "boss")
        self.assertIn("0 copies sent to the assistants, 3 made before", out)
        self.assertEqual(sorted(self.subjects("asst")), ["inbox-0", "inbox-1", "inbox-2"])

    def test_rest(self):
        c = Client(self.d.ports["http"])
        self.assertEqual(c.login("admin", self.d.admin_password)[0], 200)
        self.assertEqual(c.call("PATCH", "/api/users/boss2", {"size_over_kb": 5})[0], 204)
        status, body = c.call("PATCH", "/api/users/boss2", {"size_over_action": "maybe"})
        self.assertEqual(status, 400, body)
        self.assertIn('"size_over_kb":5', self.ok("user", "show", "boss2"))
        # 26 messages to 2 assistants: 52 copies, over one batch (50): 25 messages, then 1
        names = ["rest-%02d" % i for i in range(26)]
        for n in names:
            self.send_mail("boss2@" + self.domain, n)
        pbtest.wait_until(lambda: len(self.subjects("boss2")) == 26, timeout=60,
                          what="26 messages in boss2's inbox")
        self.ok("user", "set", "boss2", "assistants", "asst2; asst3@" + self.domain)
        status, body = c.call("POST", "/api/users/boss2/copy-inbox", {})
        self.assertEqual((status, body["copied"], body["skipped"]), (200, 50, 0), body)
        self.assertEqual(body["next_uid"], 26)
        status, body = c.call("POST", "/api/users/boss2/copy-inbox", {"from_uid": 26})
        self.assertEqual((status, body), (200, {"copied": 2, "skipped": 0, "next_uid": 0}))
        for who in ("asst2", "asst3"):
            pbtest.wait_until(lambda: len(self.subjects(who)) == 26, timeout=60,
                              what="26 copies at " + who)
        status, body = c.call("POST", "/api/users/boss2/copy-inbox", {"from_uid": 20})
        self.assertEqual((status, body), (200, {"copied": 0, "skipped": 14, "next_uid": 0}))
        self.assertEqual(c.call("POST", "/api/users/nobody/copy-inbox", {})[0], 404)
        self.assertEqual(c.call("POST", "/api/users/boss2/copy-inbox", {"from_uid": 0})[0], 400)
        self.assertEqual(sorted(self.subjects("asst2")), names)
        self.assertEqual(sorted(self.subjects("asst3")), names)


if __name__ == "__main__":
    unittest.main(verbosity=2)
