"""End to end: `pillarbox trace MESSAGE-ID` (issue 13 item 9) — a message sent with smtplib
with a known Message-ID to an alias is traced by that id, with or without its angle
brackets, as by the queue id SMTP answered; a second delivery of the same message (a big one:
sent in chunks) is shown too, each trace headed by its spool entry; an unknown id is
refused."""
import os
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import QueueBase  # noqa: E402
from test_router import RouterClient  # noqa: E402

USERS = ("tina", "tom")


class TraceCase(RouterClient, QueueBase):
    @classmethod
    def setUpClass(cls):
        cls.start_with_users(USERS)
        cls.ok("alias", "add", "tina", "team-t")
        cls.ok("alias", "add", "tom", "team-t")

    def send(self, rcpt, message_id, subject, filler=0):
        """Sends a message with that Message-ID header (None: none) and returns its queue id.
        filler: that many more octets of body (past 1 MiB the spool gets it in chunks)."""
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=120)
        self.addCleanup(s.close)
        s.ehlo("client.example.org")
        s.mail("sender@outside.example")
        code, msg = s.rcpt(rcpt)
        self.assertEqual(code, 250, msg)
        head = "Subject: %s\r\n" % subject
        if message_id is not None:
            head += "Message-ID: %s\r\n" % message_id
        body = head + "\r\nhello\r\n" + ("x" * 998 + "\r\n") * (filler // 1000)
        code, msg = s.data(body.encode())
        self.assertEqual(code, 250, msg)
        s.quit()
        return msg.decode().split("queued as ")[1].strip()

    def trace(self, ident):
        return self.d.cli("trace", ident)

    def test_trace_by_message_id(self):
        mid = "<trace-me.42@client.example.org>"
        qid = self.send("team-t@" + self.domain, mid, "trace-one")
        self.wait_for("tina", "trace-one")
        self.wait_for("tom", "trace-one")
        rc, by_qid, err = self.trace(qid)
        self.assertEqual(rc, 0, err)
        self.assertIn("tina", by_qid)
        self.assertIn("tom", by_qid)
        for ident in (mid, mid.strip("<>")):
            rc, out, err = self.trace(ident)
            self.assertEqual(rc, 0, err)
            self.assertEqual(out, by_qid)
        self.assertEqual(by_qid.count("spool entry "), 1)
        # the same message again, big enough to reach the spool in chunks: both traces
        qid2 = self.send("tina@" + self.domain, mid, "trace-two", filler=1200 * 1000)
        self.wait_for("tina", "trace-two")
        rc, out, err = self.trace(mid)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.count("spool entry "), 2, out)
        self.assertTrue(out.startswith(by_qid), out)  # in spool order: the first delivery first
        rc, out2, err = self.trace(qid2)
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.endswith(out2), (out, out2))
        # a message without one is traced by its queue id only; an unknown id is refused
        qid3 = self.send("tom@" + self.domain, None, "trace-three")
        self.wait_for("tom", "trace-three")
        self.assertEqual(self.trace(qid3)[0], 0)
        rc, out, err = self.trace("<no-such-id@client.example.org>")
        self.assertEqual(rc, 1)
        self.assertIn("no trace is kept for that queue id or Message-ID", err)
        rc, out, err = self.trace("<>")
        self.assertEqual(rc, 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
