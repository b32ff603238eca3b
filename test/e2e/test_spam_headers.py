"""End to end with a REAL rspamd (test_spam.Rspamd) and Postfix's smtp-sink (issue 13 items 3
and 8, h-spam10):
- the copy a user reads carries SpamAssassin-like headers: X-Spam-Score, X-Spam-Status
  (Yes/No, score=, required=) and X-Spam-Flag: YES at or over the quarantine threshold; the
  X-Spam-* fields a sender put in the message are gone (read back with imaplib from Junk and
  poplib from the INBOX); Return-Path still leads the stored copy; with rspamd down, the copy
  gets no X-Spam-Score or X-Spam-Status and the forged fields are removed all the same;
- guide 4.5 "don't forward if it would be quarantined" (no_forward_quarantined): a user
  forwarding to a remote address (the sink) with the switch on keeps a GTUBE message in Junk
  and does not forward it, a clean one is forwarded; with the switch off the GTUBE one is
  forwarded too; the trace says why."""
import imaplib
import json
import smtplib
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import QueueBase  # noqa: E402
from test_router import RouterClient  # noqa: E402
from test_spam import GTUBE, Rspamd  # noqa: E402

FORGED = ("X-Spam-Flag: NO\r\nX-Spam-Score: -50.0\r\nX-Spam-Status: No, score=-50.0\r\n"
          "\trequired=99.0\r\nX-Spam-Level: \r\n")


class SpamHeaders(RouterClient, QueueBase):
    @classmethod
    def setUpClass(cls):
        cls.rspamd = Rspamd()
        try:
            cls.start_with_users(("reader", "fwd"))
            cls.ok("user", "set", "fwd", "forward_to", "far@remote.example")
            cls.ok("user", "set", "fwd", "use_forwarding", "yes")
            cls.ok("user", "set", "fwd", "no_forward_quarantined", "yes")
            cls.spam({"enabled": 1, "rspamd": "127.0.0.1:%d" % cls.rspamd.port,
                      "timeout_ms": 20000, "quarantine_score": 6})
        except BaseException:
            cls.rspamd.cleanup()
            if getattr(cls, "d", None) is not None:
                cls.stop_daemon()
                cls.sink.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.rspamd.cleanup()
        super().tearDownClass()

    @classmethod
    def spam(cls, values):
        cls.ok("setting", "set", "spam", json.dumps(values))

    def deliver_forged(self, user, marker, text):
        """A message with forged X-Spam fields to user by SMTP; its trace once planned."""
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60)
        self.addCleanup(s.close)
        s.ehlo("client.example.org")
        s.mail("someone@outside.example")
        code, msg = s.rcpt("%s@%s" % (user, self.domain))
        self.assertEqual(code, 250, msg)
        data = ("From: someone@outside.example\r\nTo: %s@%s\r\nSubject: %s\r\n"
                "Message-ID: <%s@outside.example>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
                "%s\r\n%s\r\n" % (user, self.domain, marker, marker, FORGED, text))
        code, msg = s.data(data.encode())
        self.assertEqual(code, 250, msg)
        s.quit()
        qid = msg.decode().split("queued as ")[1].strip()
        return pbtest.wait_until(lambda: self.trace(qid), timeout=60, interval=0.2,
                                 what="the trace of %s" % qid)

    def trace(self, qid):
        rc, out, _ = self.d.cli("trace", qid)
        return out if rc == 0 else None

    def imap_raw(self, user, folder, marker):
        """The raw copies in user's folder with this subject, over IMAP."""
        m = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60)
        try:
            m.login(user, user + "pw123")
            typ, _ = m.select(folder, readonly=True)
            if typ != "OK":
                return []
            _, data = m.search(None, "SUBJECT", marker)
            out = []
            for n in data[0].split():
                _, msg = m.fetch(n, "(BODY.PEEK[])")
                out.append(msg[0][1])
            return out
        finally:
            m.logout()

    def header(self, raw):
        return raw.split(b"\r\n\r\n", 1)[0].decode()

    def test_1_spam_copy_has_flag(self):
        trace = self.deliver_forged("reader", "hdr-spam", "Buy now. " + GTUBE)
        self.assertIn("quarantined", trace)
        copies = pbtest.wait_until(lambda: self.imap_raw("reader", "Junk", "hdr-spam"),
                                   timeout=30, what="the GTUBE copy in Junk")
        head = self.header(copies[0])
        self.assertTrue(head.startswith("Return-Path: <someone@outside.example>\r\n"), head)
        self.assertIn("\r\nX-Spam-Flag: YES\r\n", head)
        self.assertIn("\r\nX-Spam-Score: 15.0\r\n", head)
        self.assertIn("\r\nX-Spam-Status: Yes, score=15.0 required=6.0\r\n", head)
        for forged in ("X-Spam-Flag: NO", "-50.0", "required=99", "X-Spam-Level"):
            self.assertNotIn(forged, head)
        self.assertEqual(head.count("X-Spam-Flag"), 1)

    def test_2_ham_copy_says_no(self):
        trace = self.deliver_forged("reader", "hdr-ham", "Hello, the minutes follow.")
        self.assertIn("not spam", trace)
        self.wait_for("reader", "hdr-ham")
        copies = self.imap_raw("reader", "INBOX", "hdr-ham")
        self.assertEqual(len(copies), 1)
        head = self.header(copies[0])
        self.assertTrue(head.startswith("Return-Path: <someone@outside.example>\r\n"), head)
        self.assertRegex(head, r"\r\nX-Spam-Score: -?\d+\.\d\r\n")
        self.assertRegex(head, r"\r\nX-Spam-Status: No, score=-?\d+\.\d required=6\.0\r\n")
        self.assertNotIn("X-Spam-Flag", head)
        self.assertNotIn("-50.0", head)

    def test_3_rspamd_down_no_score_forged_removed(self):
        self.spam({"enabled": 1, "rspamd": "127.0.0.1:1", "timeout_ms": 2000})
        self.addCleanup(self.spam, {"enabled": 1, "timeout_ms": 20000,
                                    "rspamd": "127.0.0.1:%d" % self.rspamd.port})
        trace = self.deliver_forged("reader", "hdr-down", "Buy now. " + GTUBE)
        self.assertIn("spam: not scored", trace)
        self.wait_for("reader", "hdr-down")
        head = self.header(self.imap_raw("reader", "INBOX", "hdr-down")[0])
        self.assertNotIn("X-Spam", head)

    def test_4_quarantined_not_forwarded(self):
        trace = self.deliver_forged("fwd", "fwd-gtube-on", "Buy now. " + GTUBE)
        self.assertIn("fwd's forwarding, assistants and size forwarding are not used: the "
                      "message would be quarantined", trace)
        self.assertIn("spam: fwd@%s's copy goes to Junk" % self.domain, trace)
        pbtest.wait_until(lambda: self.imap_raw("fwd", "Junk", "fwd-gtube-on"), timeout=30,
                          what="the GTUBE copy in fwd's Junk")
        trace = self.deliver_forged("fwd", "fwd-ham", "Hello, the agenda follows.")
        self.assertIn("far@remote.example", trace)
        dumps = pbtest.wait_until(lambda: self.sink.find(b"fwd-ham"), timeout=60,
                                  what="the clean message at smtp-sink")
        self.assertIn(b"X-Rcpt-Args: <far@remote.example>", dumps[0])
        self.assertFalse(self.sink.find(b"fwd-gtube-on"))
        self.assertEqual(self.imap_raw("fwd", "INBOX", "fwd-ham"), [])  # redirected
        # the switch off: the GTUBE message is forwarded like any other
        self.ok("user", "set", "fwd", "no_forward_quarantined", "no")
        self.addCleanup(self.ok, "user", "set", "fwd", "no_forward_quarantined", "yes")
        trace = self.deliver_forged("fwd", "fwd-gtube-off", "Buy now. " + GTUBE)
        self.assertNotIn("would be quarantined", trace)
        pbtest.wait_until(lambda: self.sink.find(b"fwd-gtube-off"), timeout=60,
                          what="the GTUBE message forwarded with the switch off")
        self.assertFalse(self.sink.find(b"fwd-gtube-on"))  # the first one still not


if __name__ == "__main__":
    unittest.main(verbosity=2)
