"""End to end: signatures and disclaimers (issue 13 item 7) against the real daemon. alice,
authenticated on the submission port, sends to a remote address: the copy Postfix's smtp-sink
receives carries the signature once (plain text after "-- "; both versions of a
multipart/alternative, the HTML one before </body>) — also for a 600 KB message, held whole for
it, and for one past the 960 KiB bound, which streams and is signed at delivery (2 MiB text and
multipart messages to a local user read back over IMAP: the signature in place, every other
octet as sent, none added to one carrying it already) — the text of alice's domain instead when
signature.domain_texts names it; a PGP/MIME signed message arrives byte for
byte as sent, the reason in the log; mail to local recipients only is left alone unless
signature.internal is on; mail from an unauthenticated client is never signed."""
import base64
import email
import imaplib
import json
import os
import poplib
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import QueueBase, Sink  # noqa: E402

SIG = b"-- \nBest regards\nACME Ltd, 1 Main Street"

SIGNED = (b"Subject: %s\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: multipart/signed; micalg=pgp-sha256;\r\n"
          b" protocol=\"application/pgp-signature\"; boundary=\"sig\"\r\n\r\n"
          b"--sig\r\nContent-Type: text/plain\r\n\r\nsigned words\r\n"
          b"--sig\r\nContent-Type: application/pgp-signature\r\n\r\n"
          b"-----BEGIN PGP SIGNATURE-----\r\niQEzBAEBCAAdFiEE\r\n"
          b"-----END PGP SIGNATURE-----\r\n--sig--\r\n")

ALT = (b"Subject: %s\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
       b"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello Bob\r\n"
       b"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
       b"<html><body><p>Hello Bob</p></body></html>\r\n--alt--\r\n")


def lf(data):
    return data.replace(b"\r\n", b"\n")


class Signature(QueueBase):
    @classmethod
    def setUpClass(cls):
        cls.sink = Sink()
        cls.start_daemon(cls.sink.port)
        cls.d.add_user("bob", "bobpw123")
        cls.signature({"enabled": 1, "text": "Best regards\\nACME Ltd, 1 Main Street"})
        # the gateway takes settings at its next tick (every second): probe until it has
        n = [0]

        def probe_signed():
            n[0] += 1
            marker = b"sig-probe-%d" % n[0]
            cls.send_as_alice(["probe@remote.example"], b"Subject: " + marker + b"\r\n\r\nx\r\n")
            got = pbtest.wait_until(lambda: cls.sink.find(marker), timeout=60, what="a probe")
            return b"Best regards" in got[0]
        pbtest.wait_until(probe_signed, timeout=60, interval=0.2, what="signing on")

    @classmethod
    def send_as_alice(cls, rcpts, body):
        s = smtplib.SMTP("127.0.0.1", cls.d.ports["submission"], timeout=60)
        try:
            s.ehlo("client.example.org")
            s.login("alice", "alicepw1")
            assert s.sendmail("alice@" + cls.domain, rcpts, body) == {}
            s.quit()
        finally:
            s.close()

    @classmethod
    def tearDownClass(cls):
        cls.stop_daemon()
        cls.sink.stop()

    @classmethod
    def signature(cls, values):
        rc, out, err = cls.d.cli("setting", "set", "signature", json.dumps(values))
        assert rc == 0, err

    def at_sink(self, marker):
        dumps = pbtest.wait_until(lambda: self.sink.find(marker), timeout=60,
                                  what="%r at smtp-sink" % marker)
        self.assertEqual(len(dumps), 1)
        return lf(dumps[0])

    def signature_lines(self):
        return [ln for ln in self.d.log().splitlines() if "event=signature" in ln]

    def test_plain_to_remote_signed_once(self):
        self.send(["far@remote.example"], b"Subject: sig-plain\r\n\r\nSee you Monday.\r\n")
        got = self.at_sink(b"sig-plain")
        self.assertEqual(got.count(b"Best regards"), 1)
        self.assertIn(b"See you Monday.\n" + SIG + b"\n", got)
        self.assertTrue(any("result=added parts=1" in ln for ln in self.signature_lines()))

    def test_alternative_both_parts(self):
        self.send(["far@remote.example"], ALT % b"sig-alt")
        msg = email.message_from_bytes(self.at_sink(b"sig-alt"))
        plain, html = [p.get_payload(decode=True) for p in msg.walk()
                       if p.get_content_maintype() == "text"]
        self.assertIn(b"Hello Bob\n" + SIG, lf(plain))
        self.assertIn(b"<p>Hello Bob</p><div class=\"signature\">-- <br>Best regards<br>"
                      b"ACME Ltd, 1 Main Street</div></body>", html)

    def test_signed_message_untouched(self):
        body = SIGNED % b"sig-pgp"
        self.send(["far@remote.example"], body)
        got = self.at_sink(b"sig-pgp")
        self.assertIn(lf(body), got)  # after our trace headers, byte for byte
        self.assertNotIn(b"Best regards", got)
        self.assertTrue(any("result=kept reason=\"a signed message (S/MIME or PGP/MIME) is "
                            "left untouched\"" in ln for ln in self.signature_lines()))

    def bob_messages(self):
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
        try:
            p.user("bob")
            p.pass_("bobpw123")
            return [b"\n".join(p.retr(i + 1)[1]) for i in range(len(p.list()[1]))]
        finally:
            p.quit()

    def local_copy(self, marker):
        return pbtest.wait_until(lambda: [m for m in self.bob_messages() if marker in m],
                                 timeout=30, what="%r in bob's inbox" % marker)[0]

    def test_internal_only_when_asked(self):
        bob = "bob@" + self.domain
        self.send([bob], b"Subject: sig-local-1\r\n\r\nlunch?\r\n")
        self.assertNotIn(b"Best regards", self.local_copy(b"sig-local-1"))
        self.signature({"enabled": 1, "internal": 1,
                        "text": "Best regards\\nACME Ltd, 1 Main Street"})
        self.addCleanup(self.signature, {"enabled": 1,
                                         "text": "Best regards\\nACME Ltd, 1 Main Street"})
        # the gateway takes the settings at its next tick: a message at a time until it has
        def signed_copy():
            marker = b"sig-local-%d" % (len(self.bob_messages()) + 2)
            self.send([bob], b"Subject: " + marker + b"\r\n\r\nlunch?\r\n")
            return b"Best regards" in self.local_copy(marker)
        pbtest.wait_until(signed_copy, timeout=30, interval=0.5, what="internal mail signed")

    def test_domain_signature(self):
        # alice's domain has its own text; every other domain keeps the global one
        glob = "Best regards\\nACME Ltd, 1 Main Street"
        self.signature({"enabled": 1, "text": glob,
                        "domain_texts": "other.example=Other|%s=Kind regards\\nThe %s desk"
                        % (self.domain.upper(), self.domain)})
        self.addCleanup(self.signature, {"enabled": 1, "text": glob, "domain_texts": ""})
        n = [0]

        def own_text():  # the gateway takes the settings at its next tick
            n[0] += 1
            marker = b"sig-dom-%d" % n[0]
            self.send(["far@remote.example"], b"Subject: " + marker + b"\r\n\r\nHi.\r\n")
            got = self.at_sink(marker)
            return got if b"Kind regards" in got else None
        got = pbtest.wait_until(own_text, timeout=30, interval=0.5, what="the domain's text")
        self.assertIn(b"Hi.\n-- \nKind regards\nThe %s desk\n" % self.domain.encode(), got)
        self.assertNotIn(b"Best regards", got)

    def test_large_message_signed(self):
        # past one upload piece (256 KiB), within the signing bound (960 KiB): held and signed
        lines = b"".join(b"line %06d of a long report, padded to a hundred octets%s\r\n"
                         % (i, b"." * 38) for i in range(6000))  # 600,000 octets
        self.send(["far@remote.example"], b"Subject: sig-large\r\n\r\n" + lines + b"The end.\r\n")
        got = self.at_sink(b"sig-large")
        self.assertGreater(len(got), 500000)  # LF line ends here
        self.assertEqual(got.count(b"Best regards"), 1)
        self.assertIn(b"The end.\n" + SIG + b"\n", got)
        # past the bound: it streams, and the spool puts the signature in at delivery
        big = lines * 2
        self.send(["far@remote.example"], b"Subject: sig-huge\r\n\r\n" + big)
        got = self.at_sink(b"sig-huge")
        self.assertEqual(got.count(b"Best regards"), 1)
        self.assertIn(lf(big[-5000:]) + SIG + b"\n", got)
        self.assertTrue(any("result=added parts=1" in ln and "at=delivery" in ln
                            for ln in self.signature_lines()))

    def imap_copy(self, marker):
        def fetch():
            m = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60)
            try:
                m.login("bob", "bobpw123")
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

    def test_over_bound_to_local_over_imap(self):
        # 2 MiB messages stream to the spool: the signature goes in at delivery, in the right
        # place, every other octet as sent; one that carries the signature already is left
        self.signature({"enabled": 1, "internal": 1,
                        "text": "Best regards\\nACME Ltd, 1 Main Street"})
        self.addCleanup(self.signature, {"enabled": 1,
                                         "text": "Best regards\\nACME Ltd, 1 Main Street"})
        bob = "bob@" + self.domain
        n = [0]

        def internal_on():  # the gateway takes the settings at its next tick
            n[0] += 1
            marker = b"sig-imap-probe-%d" % n[0]
            self.send([bob], b"Subject: " + marker + b"\r\n\r\nhi\r\n")
            return b"Best regards" in self.imap_copy(marker)
        pbtest.wait_until(internal_on, timeout=30, interval=0.5, what="internal mail signed")
        sig = SIG.replace(b"\n", b"\r\n")
        lines = b"".join(b"line %07d of a two mebibyte text, padded to a hundred octets%s\r\n"
                         % (i, b"." * 30) for i in range(23000))
        text = b"Subject: sig-2m-text\r\n\r\n" + lines + b"The end.\r\n"
        self.send([bob], text)
        got = self.imap_copy(b"sig-2m-text")
        self.assertGreater(len(text), 2 * 1024 * 1024)
        self.assertTrue(got.endswith(text + sig + b"\r\n"))
        self.assertEqual(got.count(b"Best regards"), 1)

        b64 = base64.encodebytes(os.urandom(1500 * 1024)).replace(b"\n", b"\r\n")
        mixed = (b"Subject: sig-2m-mixed\r\nMIME-Version: 1.0\r\n"
                 b"Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n"
                 b"--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + lines[:600000]
                 + b"Hello Bob\r\n--mix\r\nContent-Type: application/octet-stream\r\n"
                 b"Content-Transfer-Encoding: base64\r\n"
                 b"Content-Disposition: attachment; filename=data.bin\r\n\r\n" + b64
                 + b"--mix--\r\n")
        self.assertGreater(len(mixed), 2 * 1024 * 1024)
        self.send([bob], mixed)
        got = self.imap_copy(b"sig-2m-mixed")
        want = mixed.replace(b"Hello Bob\r\n--mix", b"Hello Bob\r\n" + sig + b"\r\n--mix", 1)
        self.assertTrue(got.endswith(want))
        self.assertEqual(got.count(b"Best regards"), 1)

        again = (b"Subject: sig-2m-again\r\n\r\n" + lines + b"> " + sig + b"\r\n"
                 + b"quoted above\r\n")
        self.send([bob], again)
        got = self.imap_copy(b"sig-2m-again")
        self.assertTrue(got.endswith(again))
        self.assertEqual(got.count(b"Best regards"), 1)

    def test_unauthenticated_never_signed(self):
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60)
        self.addCleanup(s.close)
        s.ehlo("client.example.org")
        s.sendmail("someone@outside.example", ["bob@" + self.domain],
                   b"Subject: sig-outside\r\n\r\nhello\r\n")
        s.quit()
        self.assertNotIn(b"Best regards", self.local_copy(b"sig-outside"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
