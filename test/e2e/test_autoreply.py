"""End to end: generated messages (issue 13 item 7). An autoresponder on: smtplib sends to the
user, the automatic reply (RFC 3834 headers) reaches a local sender's INBOX (imaplib) and a
remote sender at Postfix's smtp-sink, there with the null envelope sender (smtp-sink's record
of MAIL FROM); a second message within autoreply_days gets no second reply (checked once the
second message is delivered); kill -9 right after delivery makes no second reply. An accepted
recipient that reaches nobody at planning (an internal list written to by an outside address)
gets a DSN that Python's email library parses, in the sender's INBOX (the outside address is
mapped to a local account)."""
import email
import imaplib
import os
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import QueueBase, Sink  # noqa: E402


class AutoreplyCase(QueueBase):
    @classmethod
    def setUpClass(cls):
        cls.sink = Sink()
        cls.start_daemon(cls.sink.port)
        for u in ("ann", "bob", "carol"):
            cls.d.add_user(u, u + "pw123")
        cls.ok("user", "set", "ann", "autoreply_subject", "Out of office")
        cls.ok("user", "set", "ann", "autoreply_text", "I am away.\nBack on Monday.")
        cls.ok("user", "set", "ann", "autoreply_days", "3")
        cls.ok("user", "set", "ann", "autoreply", "on")
        cls.ok("list", "add", "board")  # internal: no mail from outside
        cls.ok("list", "addmember", "board", "carol")
        cls.ok("mapping", "add", "outsider@other.example", "bob")

    @classmethod
    def tearDownClass(cls):
        cls.stop_daemon()
        cls.sink.stop()

    @classmethod
    def ok(cls, *args):
        rc, out, err = cls.d.cli(*args)
        assert rc == 0, (args, err)
        return out

    def deliver(self, sender, rcpt, subject, extra=""):
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60)
        self.addCleanup(s.close)
        s.ehlo("client.example.org")
        s.mail(sender)
        code, msg = s.rcpt(rcpt)
        self.assertEqual(code, 250, msg)
        body = "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@client>\r\n%s\r\nhello\r\n" % (
            sender, rcpt, subject, subject, extra)
        code, msg = s.data(body.encode())
        self.assertEqual(code, 250, msg)
        s.quit()
        return msg.decode().split("queued as ")[1].strip()

    def imap_messages(self, user):
        m = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"])
        try:
            m.login(user, user + "pw123")
            m.select("INBOX")
            out = []
            for num in m.search(None, "ALL")[1][0].split():
                out.append(email.message_from_bytes(m.fetch(num, "(RFC822)")[1][0][1]))
            return out
        finally:
            m.logout()

    def replies(self, user, original):
        return [m for m in self.imap_messages(user)
                if m.get("In-Reply-To") == "<%s@client>" % original]

    def delivered(self, qid):
        return "event=delivered msgid=%s" % qid in self.d.log()

    def test_local_sender_once_per_days(self):
        ann = "ann@" + self.domain
        first = self.deliver("bob@" + self.domain, ann, "lunch-1")
        got = pbtest.wait_until(lambda: self.replies("bob", "lunch-1"), timeout=30,
                                what="the automatic reply in bob's INBOX")
        r = got[0]
        self.assertEqual(r["Auto-Submitted"], "auto-replied")
        self.assertEqual(r["Subject"], "Out of office")
        self.assertEqual(r["From"], "<%s>" % ann)
        self.assertIn("<lunch-1@client>", r["References"])
        self.assertIn("Back on Monday.", r.get_payload())
        self.assertIn("made (Auto-Submitted: auto-replied)", self.ok("trace", first))
        second = self.deliver("bob@" + self.domain, ann, "lunch-2")
        pbtest.wait_until(lambda: self.delivered(second), timeout=30, what="the second delivered")
        self.assertIn("already answered within autoreply_days", self.ok("trace", second))
        self.assertEqual(self.replies("bob", "lunch-2"), [])
        self.assertEqual(len([m for m in self.imap_messages("bob")
                              if m["From"] == "<%s>" % ann]), 1)

    def test_no_reply_to_lists_bulk_or_null(self):
        ann = "ann@" + self.domain
        q1 = self.deliver("news@remote.example", ann, "news-1", "List-Id: <news.remote.example>\r\n")
        q2 = self.deliver("promo@remote.example", ann, "promo-1", "Precedence: bulk\r\n")
        q3 = self.deliver("", ann, "null-1")
        for q in (q1, q2, q3):
            pbtest.wait_until(lambda: self.delivered(q), timeout=30, what="delivered")
        self.assertIn("mailing list mail", self.ok("trace", q1))
        self.assertIn("bulk mail", self.ok("trace", q2))
        self.assertIn("null sender", self.ok("trace", q3))
        self.assertEqual(self.sink.find(b"news-1") + self.sink.find(b"promo-1"), [])

    def test_remote_sender_reply_at_sink(self):
        ann = "ann@" + self.domain
        self.deliver("far@remote.example", ann, "far-1")
        dumps = pbtest.wait_until(lambda: self.sink.find(b"<far-1@client>"), timeout=60,
                                  what="the automatic reply at smtp-sink")
        self.assertEqual(len(dumps), 1)
        self.assertIn(b"Auto-Submitted: auto-replied", dumps[0])
        self.assertIn(b"X-Rcpt-Args: <far@remote.example>", dumps[0])
        # RFC 3834 3.3: the reply's envelope sender is the null sender (so nothing answers or
        # bounces it back), while its From: header names the user who is away
        self.assertIn(b"\nX-Mail-Args: <>\n", dumps[0])
        self.assertNotIn(b"X-Mail-Args: <" + ann.encode(), dumps[0])
        self.assertIn(b"\nFrom: <%s>\n" % ann.encode(), dumps[0].replace(b"\r\n", b"\n"))

    def test_kill9_after_delivery_no_second_reply(self):
        ann = "ann@" + self.domain
        qid = self.deliver("carol@" + self.domain, ann, "crash-1")
        pbtest.wait_until(lambda: self.delivered(qid), timeout=30, what="delivered")
        self.d.kill9()
        self.d.start()
        pbtest.wait_until(lambda: self.replies("carol", "crash-1"), timeout=30,
                          what="the reply after the restart")
        # a message sent after the restart is delivered after anything resumed
        later = self.deliver("carol@" + self.domain, "carol@" + self.domain, "after-crash")
        pbtest.wait_until(lambda: self.delivered(later), timeout=30, what="later delivered")
        self.assertEqual(len(self.replies("carol", "crash-1")), 1)

    def test_bounce_for_recipient_reaching_nobody(self):
        qid = self.deliver("outsider@other.example", "board@" + self.domain, "to-board")
        dsns = pbtest.wait_until(
            lambda: [m for m in self.imap_messages("bob")
                     if m.get_content_type() == "multipart/report"], timeout=30,
            what="the DSN in bob's INBOX")
        parts = dsns[0].get_payload()
        self.assertEqual(parts[1].get_content_type(), "message/delivery-status")
        fields = parts[1].get_payload()
        self.assertEqual(fields[1]["Action"], "failed")
        self.assertIn("board@", fields[1]["Final-Recipient"])
        self.assertIn("a delivery status notification (failed)", self.ok("trace", qid))
        self.assertEqual(self.imap_messages("carol") and
                         [m for m in self.imap_messages("carol") if m["Subject"] == "to-board"], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
