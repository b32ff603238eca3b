"""End to end: forwarded copies carry their own edits (issue 13 items 3, 4 and 6; guide 4.14
"Set forward sender" and "Modify headers"). A user's rule forwards to two remote addresses with
its own forward sender and header edits; the message also goes to an ordinary remote recipient
and to the user's mailbox. The remote peer (test_queue's Python SMTP server, the smart host)
receives the forwards in ONE transaction from MAIL FROM:<the forward sender> with the edited
header, and the ordinary recipient in another from the original sender, unedited; the local copy
(imaplib) carries the rule's edits too. A forward sender that is no email address ("<>") is
refused: the forward leaves from the original sender. A forward the remote refuses (550)
bounces to its forward sender's mailbox, not to the original sender's. And kill -9 while such forwards are
being sent (smtp-sink, slow): after the restart every forward arrives once, from the forward
sender, edited."""
import email
import imaplib
import json
import os
import poplib
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import Peer, QueueBase, Sink  # noqa: E402


def rules(domain):
    return {"rules": [
        {"name": "forward edited", "conditions": [
            {"field": "subject", "match": "contains", "value": "fwd-edit"}],
         "actions": [{"action": "forward_to",
                      "value": "desk@remote.example;desk2@remote.example"},
                     {"action": "set_forward_sender", "value": "ann-fwd@%s" % domain},
                     {"action": "modify_header", "value": "X-Forwarded-By: ann's rule"},
                     {"action": "modify_header", "value": "X-Drop"}]},
        {"name": "null sender", "conditions": [
            {"field": "subject", "match": "contains", "value": "fwd-null"}],
         "actions": [{"action": "forward_to", "value": "desk3@remote.example"},
                     {"action": "set_forward_sender", "value": "<>"}]},
        {"name": "bounce to the forward sender", "conditions": [
            {"field": "subject", "match": "contains", "value": "fwd-bounce"}],
         "actions": [{"action": "forward_to", "value": "bad-desk@remote.example"},
                     {"action": "set_forward_sender", "value": "fwdbox@%s" % domain}]},
    ]}


class EditsBase(QueueBase):
    @classmethod
    def setup_ann(cls):
        cls.d.add_user("ann", "annpw123")
        cls.d.add_user("fwdbox", "fwdboxpw1")  # the forward sender's mailbox (its DSNs)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(rules(cls.d.local_domain()), f)
        try:
            rc, out, err = cls.d.cli("rules", "set", "ann", f.name)
            assert rc == 0, err
        finally:
            os.unlink(f.name)


class ForwardEditsCase(EditsBase):
    @classmethod
    def setUpClass(cls):
        cls.peer = Peer()
        cls.start_daemon(cls.peer.port)
        cls.setup_ann()

    @classmethod
    def tearDownClass(cls):
        cls.peer.shutdown()
        cls.stop_daemon()

    def received(self, marker):
        """The peer's transactions (mail, rcpts, data) whose content has marker."""
        return [t for t in list(self.peer.received) if marker in t[2]]

    def local_header(self, subject):
        m = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60)
        self.addCleanup(m.logout)
        m.login("ann", "annpw123")
        m.select("INBOX", readonly=True)
        ids = m.search(None, "SUBJECT", '"%s"' % subject)[1][0].split()
        if not ids:
            return None
        return m.fetch(ids[0], "(BODY.PEEK[HEADER])")[1][0][1].decode()

    def test_forwards_own_sender_and_edits(self):
        ann = "ann@%s" % self.domain
        self.send([ann, "other@remote.example"],
                  b"Subject: fwd-edit one\r\nX-Drop: secret\r\nMessage-ID: <fe1@client>\r\n\r\n"
                  b"body\r\n")
        got = pbtest.wait_until(lambda: len(self.received(b"fwd-edit one")) >= 2 and
                                self.received(b"fwd-edit one"), timeout=60,
                                what="the forward and the ordinary copy at the peer")
        fwd = [t for t in got if "ann-fwd@" in t[0]]
        plain = [t for t in got if "ann-fwd@" not in t[0]]
        self.assertEqual(len(fwd), 1, got)  # both forwards in one transaction
        self.assertEqual(len(plain), 1, got)
        mail, rcpts, data = fwd[0]
        self.assertTrue(mail.startswith("MAIL FROM:<ann-fwd@%s>" % self.domain), mail)
        self.assertEqual(sorted(r.split("<")[1].split(">")[0] for r in rcpts),
                         ["desk2@remote.example", "desk@remote.example"])
        self.assertIn(b"X-Forwarded-By: ann's rule\r\n", data)
        self.assertNotIn(b"X-Drop", data)
        self.assertIn(b"\r\n\r\nbody\r\n", data)
        mail, rcpts, data = plain[0]
        self.assertTrue(mail.startswith("MAIL FROM:<%s>" % self.alice()), mail)
        self.assertEqual(len(rcpts), 1)
        self.assertIn("other@remote.example", rcpts[0])
        self.assertNotIn(b"X-Forwarded-By", data)
        self.assertIn(b"X-Drop: secret", data)
        header = pbtest.wait_until(lambda: self.local_header("fwd-edit one"), timeout=30,
                                   what="ann's local copy")
        self.assertIn("X-Forwarded-By: ann's rule", header)
        self.assertNotIn("X-Drop", header)

    def test_null_forward_sender_refused(self):
        self.send(["ann@%s" % self.domain],
                  b"Subject: fwd-null two\r\nMessage-ID: <fe2@client>\r\n\r\nbody\r\n")
        got = pbtest.wait_until(lambda: self.received(b"fwd-null two"), timeout=60,
                                what="the forward at the peer")
        self.assertEqual(len(got), 1)
        self.assertTrue(got[0][0].startswith("MAIL FROM:<%s>" % self.alice()), got[0][0])
        self.assertIn("desk3@remote.example", got[0][1][0])

    def test_forward_failure_reports_to_forward_sender(self):
        """The forwarded copy leaves from the forward sender: its DSN goes there (before: to
        the original sender, alice, who never sent that copy). The message also goes to a
        refused remote recipient of alice's own: one queue entry, two envelope senders, one
        DSN to each, each naming only its own recipient."""
        self.send(["ann@%s" % self.domain, "bad-plain@remote.example"],
                  b"Subject: fwd-bounce three\r\nMessage-ID: <fe3@client>\r\n\r\nbody\r\n")

        def fwdbox_dsns():
            p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
            try:
                p.user("fwdbox")
                p.pass_("fwdboxpw1")
                msgs = [email.message_from_bytes(b"\r\n".join(p.retr(i + 1)[1]))
                        for i in range(len(p.list()[1]))]
            finally:
                p.quit()
            return [m for m in msgs if m.get_content_type() == "multipart/report"]

        dsn = pbtest.wait_until(fwdbox_dsns, timeout=60, what="the DSN at the forward sender")
        self.assertEqual(len(dsn), 1)
        self.assertEqual(dsn[0]["To"], "<fwdbox@%s>" % self.domain)
        per_rcpt = dsn[0].get_payload()[1].get_payload()[1:]
        self.assertEqual([r["Final-Recipient"] for r in per_rcpt],
                         ["rfc822; bad-desk@remote.example"])
        self.assertEqual(per_rcpt[0]["Action"], "failed")
        # alice's DSN names her own recipient only, not the forward
        mine = pbtest.wait_until(
            lambda: [m for m in self.dsns("failed") if "fe3@client" in m.as_string()],
            timeout=60, what="alice's DSN")
        self.assertEqual(len(mine), 1)
        per_rcpt = mine[0].get_payload()[1].get_payload()[1:]
        self.assertEqual([r["Final-Recipient"] for r in per_rcpt],
                         ["rfc822; bad-plain@remote.example"])


class ForwardEditsCrash(EditsBase):
    """kill -9 while edited forwards are being sent: after the restart each arrives once."""

    @classmethod
    def setUpClass(cls):
        cls.sink = Sink(extra=("-w", "1"))  # a second before each DATA's 354: sending is slow
        cls.start_daemon(cls.sink.port)
        cls.setup_ann()

    @classmethod
    def tearDownClass(cls):
        cls.sink.stop()
        cls.stop_daemon()

    def test_kill9_during_sending(self):
        n = 12
        for i in range(n):
            self.send(["ann@%s" % self.domain],
                      b"Subject: fwd-edit crash %d\r\nMessage-ID: <fec-%d@client>\r\n\r\nbody\r\n"
                      % (i, i))
        self.kill9_while_sending(n, rcpts_per_message=2)  # desk and desk2, one transaction
        for m in self.sink.messages():
            self.assertIn(b"ann-fwd@%s" % self.domain.encode(), m)
            self.assertIn(b"X-Forwarded-By: ann's rule", m)
            self.assertIn(b"X-Rcpt-Args: <desk@remote.example>", m)
            self.assertIn(b"X-Rcpt-Args: <desk2@remote.example>", m)


if __name__ == "__main__":
    unittest.main(verbosity=2)
