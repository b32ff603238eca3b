"""End to end: per-user signatures and the quota send block without AUTH (issue 13 items 6
and 7) against the real daemon.

Signatures: alice has her own outgoing signature (text and HTML) and an internal one, set with
`pillarbox user set`; the server has a global text and a disclaimer (signature.disclaimer).
Authenticated on the submission port, alice's mail to a remote address reaches Postfix's
smtp-sink with her outgoing signature then the disclaimer (both versions of a
multipart/alternative, the HTML one as given), never the global text; her mail to bob (local
only) is read back over IMAP with her internal signature (no disclaimer: signature.internal is
off); bob, without a signature of his own, gets the global text and the disclaimer. The keys
are listed by `help user set`, shown by `user show`, and a text too long is refused; the REST
API's PATCH /api/users/NAME sets them too (a real line break kept, a control character
refused, null back to none).

Quota: qz (1 MB quota) is filled past quota.block_send_percent (125 %) by mail from a remote
sender on port 25, which is never refused; then a client without AUTH in smtp.relay_networks
(127.0.0.10, the user's own client sending through the server) giving MAIL FROM qz's own address
hears 452 4.2.2 without figures, while a client outside them (127.0.0.1: mail from the Internet,
say forwarded mail keeping qz's sender) giving the same MAIL FROM is accepted and its mail
delivered, and a remote sender's mail to qz is still accepted and delivered.

Webmail (issue 15 item 4): the same choice for mail sent with POST /api/mail/send as the
logged-in user: alice's to a remote address reaches smtp-sink with her outgoing signature and
the disclaimer in the (base64) text part, and her copy in Sent carries the same text; to bob her
internal signature; bob's gets the global text and the disclaimer; with an uploaded attachment
the text part is still signed and the file intact; a draft is saved unsigned and signed when it
is sent.
The webmail messages' subjects are encoded words: they are found by a marker in the
recipient's address or their In-Reply-To field, which go as they are."""
import email
import imaplib
import json
import os
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_mail import message  # noqa: E402
from test_queue import QueueBase, Sink  # noqa: E402
from test_signature import ALT, lf  # noqa: E402
from test_web_rest import Client  # noqa: E402
from test_webmail import Api  # noqa: E402
from test_webmail_uploads import upload  # noqa: E402

DISCLAIMER = b"Confidential: for the addressee only"


class UserSignature(QueueBase):
    @classmethod
    def setUpClass(cls):
        cls.sink = Sink()
        cls.start_daemon(cls.sink.port)
        cls.d.add_user("bob", "bobpw123")
        cls.d.add_user("qz", "qzpw1234")
        for user, key, value in (("alice", "signature_text", "Alice Smith\\nSales, ACME"),
                                 ("alice", "signature_html", "<b>Alice Smith</b> | Sales"),
                                 ("alice", "internal_signature_text", "Alice (room 12)"),
                                 ("qz", "quota_mb", "1")):
            rc, out, err = cls.d.cli("user", "set", user, key, value)
            assert rc == 0, err
        rc, out, err = cls.d.cli("setting", "set", "signature",
                                 '{"enabled": 1, "text": "Global footer", '
                                 '"disclaimer": "%s"}' % DISCLAIMER.decode())
        assert rc == 0, err
        # the gateway takes settings at its next tick (every second): probe until it has
        n = [0]

        def probe():
            n[0] += 1
            marker = b"usig-probe-%d" % n[0]
            cls.send_as("bob", "bobpw123", ["probe@remote.example"],
                        b"Subject: " + marker + b"\r\n\r\nx\r\n")
            got = pbtest.wait_until(lambda: cls.sink.find(marker), timeout=60, what="a probe")
            return DISCLAIMER in got[0]
        pbtest.wait_until(probe, timeout=60, interval=0.2, what="the disclaimer on")

    @classmethod
    def tearDownClass(cls):
        cls.stop_daemon()
        cls.sink.stop()

    @classmethod
    def send_as(cls, user, password, rcpts, body):
        s = smtplib.SMTP("127.0.0.1", cls.d.ports["submission"], timeout=60)
        try:
            s.ehlo("client.example.org")
            s.login(user, password)
            assert s.sendmail("%s@%s" % (user, cls.domain), rcpts, body) == {}
            s.quit()
        finally:
            s.close()

    def at_sink(self, marker):
        dumps = pbtest.wait_until(lambda: self.sink.find(marker), timeout=60,
                                  what="%r at smtp-sink" % marker)
        self.assertEqual(len(dumps), 1)
        return lf(dumps[0])

    def imap_copy(self, user, password, marker):
        def fetch():
            m = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60)
            try:
                m.login(user, password)
                m.select("INBOX", readonly=True)
                typ, data = m.search(None, "SUBJECT", marker.decode())
                ids = data[0].split()
                if not ids:
                    return None
                typ, data = m.fetch(ids[-1], "(BODY.PEEK[])")
                return data[0][1]
            finally:
                m.logout()
        return pbtest.wait_until(fetch, timeout=60, what="%r over IMAP" % marker)

    def test_outgoing_user_signature_then_disclaimer(self):
        self.send_as("alice", "alicepw1", ["far@remote.example"],
                     b"Subject: usig-plain\r\n\r\nSee you Monday.\r\n")
        got = self.at_sink(b"usig-plain")
        self.assertIn(b"See you Monday.\n-- \nAlice Smith\nSales, ACME\n\n" + DISCLAIMER + b"\n",
                      got)
        self.assertNotIn(b"Global footer", got)
        self.assertNotIn(b"Alice (room 12)", got)
        self.send_as("alice", "alicepw1", ["far@remote.example"], ALT % b"usig-alt")
        msg = email.message_from_bytes(self.at_sink(b"usig-alt"))
        plain, html = [p.get_payload(decode=True) for p in msg.walk()
                       if p.get_content_maintype() == "text"]
        self.assertIn(b"Hello Bob\n-- \nAlice Smith\nSales, ACME\n\n" + DISCLAIMER, lf(plain))
        self.assertIn(b"<p>Hello Bob</p><div class=\"signature\">-- <br><b>Alice Smith</b> | "
                      b"Sales<br><br>" + DISCLAIMER + b"</div></body>", html)
        self.assertTrue(any("event=signature" in ln and "source=user" in ln
                            for ln in self.d.log().splitlines()))

    def test_internal_user_signature(self):
        self.send_as("alice", "alicepw1", ["bob@" + self.domain],
                     b"Subject: usig-local\r\n\r\nlunch?\r\n")
        got = self.imap_copy("bob", "bobpw123", b"usig-local")
        self.assertIn(b"lunch?\r\n-- \r\nAlice (room 12)\r\n", got)
        self.assertNotIn(b"Alice Smith", got)
        self.assertNotIn(DISCLAIMER, got)  # signature.internal is off: the server's texts too

    def test_no_own_signature_gets_global(self):
        self.send_as("bob", "bobpw123", ["far@remote.example"],
                     b"Subject: usig-bob\r\n\r\nHi.\r\n")
        got = self.at_sink(b"usig-bob")
        self.assertIn(b"Hi.\n-- \nGlobal footer\n\n" + DISCLAIMER + b"\n", got)
        self.assertNotIn(b"Alice", got)

    def test_cli_keys(self):
        rc, out, err = self.d.cli("help", "user", "set")
        for key in ("signature_text", "signature_html", "internal_signature_text",
                    "internal_signature_html"):
            self.assertIn(key, out + err)
        rc, out, err = self.d.cli("user", "show", "alice")
        self.assertEqual(rc, 0, err)
        self.assertIn("signature_text: Alice Smith\\nSales, ACME", out)
        self.assertIn("internal_signature_html: (none)", out)
        rc, out, err = self.d.cli("user", "set", "bob", "signature_text", "x" * 2001)
        self.assertNotEqual(rc, 0)
        self.assertIn("at most 2000", err)

    def test_rest_patch(self):
        self.d.add_user("carl", "carlpw12")
        c = Client(self.d.ports["http"])
        self.assertEqual(c.login("admin", self.d.admin_password)[0], 200)
        self.assertEqual(c.call("PATCH", "/api/users/carl",
                                {"signature_text": "Carl\nSupport"})[0], 204)
        status, body = c.call("PATCH", "/api/users/carl", {"signature_html": "a\u0007b"})
        self.assertEqual(status, 400, body)
        rc, out, err = self.d.cli("user", "show", "carl")
        self.assertIn("signature_text: Carl\\nSupport", out)
        self.assertIn("signature_html: (none)", out)
        self.send_as("carl", "carlpw12", ["far@remote.example"],
                     b"Subject: usig-carl\r\n\r\nHi.\r\n")
        self.assertIn(b"Hi.\n-- \nCarl\nSupport\n\n" + DISCLAIMER + b"\n",
                      self.at_sink(b"usig-carl"))
        self.assertEqual(c.call("PATCH", "/api/users/carl", {"signature_text": None})[0], 204)
        rc, out, err = self.d.cli("user", "show", "carl")
        self.assertIn("signature_text: (none)", out)

    def test_webmail_self_service(self):
        # the account's own endpoint (webmail's Settings, Signature): itself or an admin only
        self.d.add_user("dora", "dorapw12")
        me = Client(self.d.ports["http"])
        self.assertEqual(me.login("dora", "dorapw12")[0], 200)
        self.assertEqual(me.call("PATCH", "/api/signature/dora",
                                 {"internal_signature_text": "Dora\nDesk 4"})[0], 204)
        status, got = me.call("GET", "/api/signature/dora")
        self.assertEqual(status, 200, got)
        self.assertEqual(got, {"signature_text": None, "signature_html": None,
                               "internal_signature_text": "Dora\nDesk 4",
                               "internal_signature_html": None})
        status, body = me.call("PATCH", "/api/signature/dora", {"quota_mb": 100})
        self.assertEqual(status, 400, body)  # not a key of this group
        self.assertEqual(me.call("GET", "/api/signature/alice")[0], 403)
        self.assertEqual(me.call("PATCH", "/api/signature/alice",
                                 {"signature_text": "forged"})[0], 403)
        self.send_as("dora", "dorapw12", ["bob@" + self.domain],
                     b"Subject: usig-dora\r\n\r\nhello\r\n")
        self.assertIn(b"hello\r\n-- \r\nDora\r\nDesk 4\r\n",
                      self.imap_copy("bob", "bobpw123", b"usig-dora"))

    # ---- webmail ----

    def web_login(self, user, password):
        return Api(self.d.ports["http"]).login(user, password)

    def web_send(self, api, body, path="/api/mail/send"):
        status, sent = api.call("POST", path, body)
        self.assertEqual(status, 202, sent)
        return sent

    @staticmethod
    def text_of(raw):
        """The decoded text/plain part of a message, LF line ends."""
        msg = email.message_from_bytes(raw)
        parts = [p for p in msg.walk() if p.get_content_type() == "text/plain"]
        return lf(parts[0].get_payload(decode=True))

    def web_ready(self):
        """Waits until the web gateway has taken the settings (its own tick), once."""
        if getattr(type(self), "web_on", False):
            return
        n = [0]
        bob = self.web_login("bob", "bobpw123")

        def probe():
            n[0] += 1
            rcpt = "wprobe%d@remote.example" % n[0]
            self.web_send(bob, {"to": rcpt, "subject": "p", "text": "x"})
            got = pbtest.wait_until(lambda: self.sink.find(rcpt.encode()), timeout=60,
                                    what="a web probe")
            return DISCLAIMER in self.text_of(got[0])
        pbtest.wait_until(probe, timeout=60, interval=0.2, what="webmail's disclaimer on")
        type(self).web_on = True

    def imap_raw(self, user, password, folder, marker):
        """The message of folder holding marker (raw bytes), over IMAP, waiting for it."""
        def fetch():
            m = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60)
            try:
                m.login(user, password)
                m.select(folder, readonly=True)
                typ, data = m.search(None, "ALL")
                for num in data[0].split():
                    typ, got = m.fetch(num, "(BODY.PEEK[])")
                    if marker in got[0][1]:
                        return got[0][1]
                return None
            finally:
                m.logout()
        return pbtest.wait_until(fetch, timeout=60, what="%r in %s over IMAP" % (marker, folder))

    def test_webmail_outgoing_and_sent_copy(self):
        self.web_ready()
        alice = self.web_login("alice", "alicepw1")
        self.web_send(alice, {"to": "wout@remote.example", "subject": "hi",
                              "text": "See you Monday.", "in_reply_to": "<wsig-out@x>"})
        text = self.text_of(self.at_sink(b"wout@remote.example"))
        self.assertEqual(text, b"See you Monday.\n-- \nAlice Smith\nSales, ACME\n\n" +
                         DISCLAIMER + b"\n")
        sent = self.imap_raw("alice", "alicepw1", "Sent", b"<wsig-out@x>")
        self.assertEqual(self.text_of(sent), text)  # the copy in Sent: the same text
        self.assertTrue(any("event=signature" in ln and "result=added source=user" in ln
                            and "web" in ln for ln in self.d.log().splitlines()))

    def test_webmail_internal(self):
        self.web_ready()
        alice = self.web_login("alice", "alicepw1")
        self.web_send(alice, {"to": "bob@" + self.domain, "subject": "l", "text": "lunch?\n",
                              "in_reply_to": "<wsig-local@x>"})
        got = self.imap_raw("bob", "bobpw123", "INBOX", b"<wsig-local@x>")
        self.assertEqual(self.text_of(got), b"lunch?\n-- \nAlice (room 12)\n")

    def test_webmail_no_own_signature_gets_global(self):
        self.web_ready()
        bob = self.web_login("bob", "bobpw123")
        self.web_send(bob, {"to": "wbob@remote.example", "subject": "b", "text": "Hi."})
        self.assertEqual(self.text_of(self.at_sink(b"wbob@remote.example")),
                         b"Hi.\n-- \nGlobal footer\n\n" + DISCLAIMER + b"\n")

    def test_webmail_upload_text_signed(self):
        self.web_ready()
        alice = self.web_login("alice", "alicepw1")
        data = os.urandom(300 * 1024)
        status, up = upload(alice, "q4.bin", data)
        self.assertEqual(status, 201, up)
        self.web_send(alice, {"to": "wup@remote.example", "subject": "u", "text": "Figures.",
                              "uploads": [up["id"]]})
        raw = self.at_sink(b"wup@remote.example")
        self.assertEqual(self.text_of(raw), b"Figures.\n-- \nAlice Smith\nSales, ACME\n\n" +
                         DISCLAIMER + b"\n")
        files = [p.get_payload(decode=True) for p in email.message_from_bytes(raw).walk()
                 if p.get_filename() == "q4.bin"]
        self.assertEqual(files, [data])

    def test_webmail_draft_signed_only_when_sent(self):
        self.web_ready()
        alice = self.web_login("alice", "alicepw1")
        draft = {"to": "wdraft@remote.example", "subject": "d", "text": "Draft text.",
                 "in_reply_to": "<wsig-draft@x>"}
        status, saved = alice.call("POST", "/api/mail/drafts", draft)
        self.assertEqual(status, 201, saved)
        self.assertEqual(self.text_of(self.imap_raw("alice", "alicepw1", "Drafts",
                                                    b"<wsig-draft@x>")), b"Draft text.")
        self.web_send(alice, draft, "/api/mail/drafts/%d/send" % saved["uid"])
        self.assertEqual(self.text_of(self.at_sink(b"wdraft@remote.example")),
                         b"Draft text.\n-- \nAlice Smith\nSales, ACME\n\n" + DISCLAIMER +
                         b"\n")

    def smtp25(self, source=None):
        s = smtplib.SMTP(timeout=60, source_address=(source, 0) if source else None)
        s.connect("127.0.0.1", self.d.ports["smtp"])
        self.addCleanup(s.close)
        s.ehlo("client.example.org")
        return s

    def test_quota_block_without_auth(self):
        qz = "qz@" + self.domain
        # a remote sender fills qz's mailbox past 125 % of 1 MB: never refused
        for i in range(5):
            s = self.smtp25()
            self.assertEqual(s.sendmail("x@example.org", [qz], message(
                b"fill-%d" % i, [b"y" * 98] * 3000)), {})
            s.quit()
        rc, out, err = self.d.cli("setting", "set", "smtp",
                                  json.dumps({"relay_networks": "127.0.0.10/32"}))
        self.assertEqual(rc, 0, err)
        self.addCleanup(self.d.cli, "setting", "set", "smtp", '{"relay_networks": ""}')
        s = self.smtp25("127.0.0.10")

        def refused():
            code, text = s.docmd("MAIL", "FROM:<%s>" % qz)
            s.docmd("RSET")
            return (code, text) if code != 250 else None
        code, text = pbtest.wait_until(refused, timeout=60, interval=0.2,
                                       what="qz's own MAIL refused past the block level")
        self.assertEqual((code, text), (452, b"4.2.2 Sending is blocked for this sender: the "
                                             b"mailbox is over its quota"))
        # the same session, a remote sender: accepted and delivered
        self.assertEqual(s.sendmail("friend@remote.example", [qz],
                                    message(b"usig-to-qz", [b"hello"])), {})
        s.quit()
        self.assertIn(b"hello", self.imap_copy("qz", "qzpw1234", b"usig-to-qz"))
        # outside the relay networks, qz's own address is never asked about: taken, delivered
        s = self.smtp25()
        self.assertEqual(s.sendmail(qz, [qz], message(b"usig-fwd-qz", [b"forwarded"])), {})
        s.quit()
        self.assertIn(b"forwarded", self.imap_copy("qz", "qzpw1234", b"usig-fwd-qz"))
        with open(os.path.join(self.d.data_dir, "security.log")) as f:
            self.assertIn("rule=mailbox_quota auth=none address=%s" % qz, f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
