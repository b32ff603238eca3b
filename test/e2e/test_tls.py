"""End to end: TLS on every service (issue 10, item 1; the TLS tests of item 8).

STARTTLS on smtp and submission, STLS on pop3, implicit TLS on submissions (465) and pop3s
(995), with real clients: openssl s_client, Python's smtplib/poplib/ssl, curl and swaks, all
verifying the certificate the daemon generated in its data directory. Also the STARTTLS
injection (CVE-2011-0411), the session reset after the handshake, a handshake that never comes,
and the certificate reload on SIGHUP. Every wait is bounded and waits for a condition.
"""
import os
import poplib
import shutil
import signal
import smtplib
import socket
import ssl
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_mail import message, run_tool, split_trace  # noqa: E402

HOST = "mail.pillarbox.test"


class TlsCase(unittest.TestCase):
    """One daemon per class (handshakes under ASan are slow enough): no certificate configured,
    so it makes a self-signed one for tls_host (HOST unless a subclass says otherwise); alice is
    a user of its local domain. extra_config: more bootstrap lines (a subclass's certificate)."""
    tls_host = HOST
    extra_config = ""

    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon(extra_config="hostname = %s\n%s" % (cls.tls_host, cls.extra_config))
        cls.d.start()
        cls.domain = cls.d.local_domain()
        cls.d.add_user("alice", "alicepw1")
        cls.cafile = os.path.join(cls.d.data_dir, "cert.pem")

    @classmethod
    def tearDownClass(cls):
        cls.d.stop_checked()

    def ctx(self, version=None, by_name=True):
        """Verifies the chain against the generated certificate, and the name HOST unless the
        client can only name 127.0.0.1 (POP3_SSL, SMTP_SSL)."""
        c = ssl.create_default_context(cafile=self.cafile)
        c.check_hostname = by_name
        if version is not None:
            c.minimum_version = c.maximum_version = version
        return c

    def port(self, svc):
        return self.d.ports[svc]

    def alice(self):
        return "alice@%s" % self.domain

    def s_client(self, args, data=b"QUIT\n"):
        p = run_tool(["openssl", "s_client", "-brief", "-crlf", "-ign_eof", "-CAfile", self.cafile,
                      "-verify_return_error", "-verify_hostname", HOST] + args,
                     input=data, timeout=60)
        return p.returncode, p.stdout + p.stderr

    def pop_ssl(self):
        p = poplib.POP3_SSL("127.0.0.1", self.port("pop3s"), timeout=60,
                            context=self.ctx(by_name=False))
        self.addCleanup(p.close)
        p.user(self.alice())
        p.pass_("alicepw1")
        return p

    def find_stored(self, subject):
        """The stored message with this subject, read back over POP3S (waits for it)."""
        found = []

        def look():
            p = self.pop_ssl()
            for i in range(1, p.stat()[0] + 1):
                data = b"\r\n".join(p.retr(i)[1]) + b"\r\n"
                if b"Subject: " + subject + b"\r\n" in data:
                    found.append(data)
            p.quit()
            return bool(found)
        pbtest.wait_until(look, timeout=30, what="message %r stored" % subject)
        return found[0]


class OpensslClient(TlsCase):
    def test_every_port_with_tls13_and_tls12(self):
        cases = [("smtp", ["-starttls", "smtp"], b"221"),
                 ("submission", ["-starttls", "smtp"], b"221"),
                 ("pop3", ["-starttls", "pop3"], b"+OK"),
                 ("submissions", [], b"220 " + HOST.encode()),
                 ("pop3s", [], b"+OK Pillarbox POP3 server ready")]
        for svc, extra, want in cases:
            for flag, version in (("-tls1_3", b"TLSv1.3"), ("-tls1_2", b"TLSv1.2")):
                with self.subTest(svc=svc, version=flag):
                    rc, out = self.s_client(["-connect", "127.0.0.1:%d" % self.port(svc), flag]
                                            + extra)
                    self.assertEqual(rc, 0, out)
                    self.assertIn(b"Protocol version: " + version, out)
                    self.assertIn(b"Verification: OK", out)
                    self.assertIn(want, out)

    def test_tls11_refused(self):
        for svc, extra in (("smtp", ["-starttls", "smtp"]), ("pop3s", [])):
            with self.subTest(svc=svc):
                rc, out = self.s_client(["-connect", "127.0.0.1:%d" % self.port(svc), "-tls1_1",
                                         "-cipher", "DEFAULT:@SECLEVEL=0"])
                self.assertNotEqual(rc, 0, out)
                self.assertNotIn(b"Protocol version: TLSv1.1", out)
        pbtest.wait_until(lambda: "event=tls_failed" in self.d.log(), what="tls_failed logged")


class PythonClients(TlsCase):
    def test_smtplib_starttls_then_poplib_stls(self):
        s = smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=60)
        self.addCleanup(s.close)
        s._host = HOST  # the name starttls verifies
        s.ehlo("client.example.org")
        self.assertTrue(s.has_extn("starttls"))
        self.assertEqual(s.starttls(context=self.ctx())[0], 220)
        s.ehlo("client.example.org")
        self.assertFalse(s.has_extn("starttls"), "STARTTLS advertised under TLS")
        self.assertEqual(s.docmd("STARTTLS"), (503, b"5.5.1 Error: TLS already active"))
        s.sendmail("sender@example.org", [self.alice()],
                   message(b"over starttls", [b"encrypted body"]))
        s.quit()
        p = poplib.POP3("127.0.0.1", self.port("pop3"), timeout=60)
        self.addCleanup(p.close)
        p.host = HOST  # the name stls verifies
        self.assertIn("STLS", p.capa())
        p.stls(context=self.ctx())
        self.assertNotIn("STLS", p.capa())
        p.user(self.alice())
        p.pass_("alicepw1")
        with self.assertRaises(poplib.error_proto):
            p._shortcmd("STLS")
        p.quit()
        stored = self.find_stored(b"over starttls")
        trace, content = split_trace(stored)
        self.assertIn(b" with ESMTPS id ", trace)
        self.assertIn(b"encrypted body", content)
        pbtest.wait_until(lambda: "tls=TLSv1.3" in self.d.log(), what="accepted tls=TLSv1.3")

    def test_smtp_ssl_on_submissions_and_pop3_ssl(self):
        s = smtplib.SMTP_SSL("127.0.0.1", self.port("submissions"), timeout=60,
                             context=self.ctx(ssl.TLSVersion.TLSv1_2, by_name=False))
        self.addCleanup(s.close)
        self.assertEqual(s.sock.version(), "TLSv1.2")
        code, _ = s.ehlo("client.example.org")
        self.assertEqual(code, 250)
        self.assertFalse(s.has_extn("starttls"))
        s.login("alice", "alicepw1")  # submission: AUTH before MAIL, from her own address
        s.sendmail(self.alice(), [self.alice()], message(b"over 465", [b"implicit"]))
        s.quit()
        self.assertIn(b"implicit", self.find_stored(b"over 465"))

    def test_starttls_refusals_and_reset(self):
        c = pbtest.RawClient(self.port("smtp"))
        self.addCleanup(c.close)
        self.assertEqual(c.smtp_reply()[0], 220)
        c.send(b"EHLO a.example\r\n")
        self.assertEqual(c.smtp_reply()[0], 250)
        c.send(b"STARTTLS now\r\n")
        self.assertEqual(c.smtp_reply()[0], 501)
        c.send(b"MAIL FROM:<x@example.org>\r\nSTARTTLS\r\n")
        self.assertEqual(c.smtp_replies(2), [(250, b"2.1.0 Ok"), (220, b"2.0.0 Ready to start TLS")])
        tls = self.ctx().wrap_socket(c.sock, server_hostname=HOST)
        c.sock = tls
        # the transaction and the EHLO are forgotten (RFC 3207 4.2)
        c.send(b"RCPT TO:<%s>\r\n" % self.alice().encode())
        self.assertEqual(c.smtp_reply()[0], 503)
        c.send(b"MAIL FROM:<x@example.org>\r\n")
        self.assertEqual(c.smtp_reply(), (503, b"5.5.1 Error: send HELO/EHLO first"))
        c.send(b"EHLO a.example\r\nMAIL FROM:<x@example.org>\r\n")
        self.assertEqual(c.smtp_replies(2)[1], (250, b"2.1.0 Ok"))


class Injection(TlsCase):
    def test_smtp_plaintext_after_starttls_is_dropped(self):
        c = pbtest.RawClient(self.port("smtp"))
        self.addCleanup(c.close)
        self.assertEqual(c.smtp_reply()[0], 220)
        c.send(b"EHLO a.example\r\n")
        self.assertEqual(c.smtp_reply()[0], 250)
        c.send(b"STARTTLS\r\nRSET\r\n")  # one packet
        self.assertEqual(c.smtp_reply(), (220, b"2.0.0 Ready to start TLS"))
        self.assertEqual(c.buf, b"", "more than the 220 in clear")
        c.sock = self.ctx().wrap_socket(c.sock, server_hostname=HOST)
        c.send(b"HELP\r\n")
        # the first answer under TLS is HELP's: nothing was answered for the RSET
        self.assertEqual(c.smtp_reply()[0], 214)

    def test_pop3_plaintext_after_stls_is_dropped(self):
        c = pbtest.RawClient(self.port("pop3"))
        self.addCleanup(c.close)
        self.assertTrue(c.line().startswith(b"+OK"))
        c.send(b"STLS\r\nCAPA\r\n")
        self.assertEqual(c.line(), b"+OK Begin TLS negotiation")
        self.assertEqual(c.buf, b"", "more than the +OK in clear")
        c.sock = self.ctx().wrap_socket(c.sock, server_hostname=HOST)
        c.send(b"NOOP\r\n")
        self.assertEqual(c.line(), b"-ERR Not logged in")


class HandshakeTimeout(TlsCase):
    def test_silent_client_on_465_is_closed(self):
        rc, _, err = self.d.cli("setting", "set", "smtp", '{"command_timeout_s": 1}')
        self.assertEqual(rc, 0, err)
        self.addCleanup(self.d.cli, "setting", "set", "smtp", '{"command_timeout_s": 300}')

        def closed_in_time():
            s = socket.create_connection(("127.0.0.1", self.port("submissions")), timeout=5)
            try:
                return s.recv(100) == b""  # closed without a byte: no handshake, no greeting
            except socket.timeout:
                return False  # still open after 5 s
            finally:
                s.close()
        # the setting reaches the hub within a second: the first tries may still see 300 s
        pbtest.wait_until(closed_in_time, timeout=60, interval=0.1, what="closed after 1 s")


class Curl(TlsCase):
    def test_curl_smtp_starttls_and_pop3s_verified(self):
        path = os.path.join(self.d.tmp, "curl.eml")
        with open(path, "wb") as f:
            f.write(message(b"by curl over tls", [b"curl body"]))
        p = run_tool(["curl", "-sS", "--ssl-reqd", "--cacert", self.cafile,
                      "--resolve", "%s:%d:127.0.0.1" % (HOST, self.port("smtp")),
                      "smtp://%s:%d" % (HOST, self.port("smtp")),
                      "--mail-from", "sender@example.org", "--mail-rcpt", self.alice(),
                      "--upload-file", path])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.find_stored(b"by curl over tls")
        p = run_tool(["curl", "-sS", "--cacert", self.cafile, "--user",
                      "%s:alicepw1" % self.alice(),
                      "--resolve", "%s:%d:127.0.0.1" % (HOST, self.port("pop3s")),
                      "pop3s://%s:%d/1" % (HOST, self.port("pop3s"))])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"Received: from", p.stdout)


class Swaks(TlsCase):
    def test_swaks_tls(self):
        p = run_tool(["swaks", "--server", "127.0.0.1:%d" % self.port("submission"), "--tls",
                      "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "alicepw1",
                      "--to", self.alice(), "--from", self.alice(),
                      "--header", "Subject: swaks tls", "--body", "swaks over tls"])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # the 220 comes in clear ("<-"), then the rest of the session under TLS ("<~")
        self.assertIn(b"<-  220 2.0.0 Ready to start TLS", p.stdout)
        self.assertIn(b"=== TLS started with cipher TLSv1.", p.stdout)
        self.assertIn(b"<~  250 2.0.0 Ok: queued as", p.stdout)
        self.find_stored(b"swaks tls")


class SelfSigned(TlsCase):
    def test_generated_private_and_warned(self):
        for name in ("cert.pem", "key.pem"):
            mode = stat.S_IMODE(os.stat(os.path.join(self.d.data_dir, name)).st_mode)
            self.assertEqual(mode, 0o600, name)
        self.assertIn("event=tls_self_signed", self.d.log())
        rc, out, err = self.d.cli("status")
        self.assertEqual(rc, 0, err)
        self.assertIn("self-signed", out)


def make_cert(directory, name, cn, san=None):
    """A self-signed certificate for cn (its subjectAltName: DNS:cn, or san) and its key."""
    cert, key = os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=" + cn,
                    "-addext", "subjectAltName=" + (san or "DNS:" + cn), "-keyout", key,
                    "-out", cert],
                   check=True, capture_output=True, timeout=60)
    os.chmod(key, 0o600)
    return cert, key


class Reload(unittest.TestCase):
    def test_sighup_new_certificate_open_session_goes_on(self):
        d = pbtest.Daemon()
        self.addCleanup(d.cleanup)
        first = make_cert(d.tmp, "first", "first.pillarbox.test")
        second = make_cert(d.tmp, "second", "second.pillarbox.test")
        cert, key = os.path.join(d.tmp, "tls.crt"), os.path.join(d.tmp, "tls.key")
        for src, dst in zip(first, (cert, key)):
            shutil.copy(src, dst)
        os.chmod(key, 0o600)
        d.extra_config = "tls_certificate = %s\ntls_key = %s\n" % (cert, key)
        d.write_config()
        d.start()

        ctx1 = ssl.create_default_context(cafile=first[0])
        old = smtplib.SMTP("127.0.0.1", d.ports["smtp"], timeout=60)
        self.addCleanup(old.close)
        old._host = "first.pillarbox.test"  # the name starttls verifies
        old.ehlo("a.example")
        self.assertEqual(old.starttls(context=ctx1)[0], 220)
        self.assertNotIn("event=tls_reloaded", d.log())
        shutil.copy(second[0], cert)
        shutil.copy(second[1], key)
        os.kill(d.proc.pid, signal.SIGHUP)
        pbtest.wait_until(lambda: "event=tls_reloaded" in d.log(), what="reloaded")
        ctx2 = ssl.create_default_context(cafile=second[0])
        raw = socket.create_connection(("127.0.0.1", d.ports["pop3s"]), timeout=60)
        tls = ctx2.wrap_socket(raw, server_hostname="second.pillarbox.test")
        self.assertEqual(tls.getpeercert()["subject"][0][0][1], "second.pillarbox.test")
        tls.close()
        # a key that does not match: logged, the second certificate stays
        shutil.copy(first[1], key)
        os.kill(d.proc.pid, signal.SIGHUP)
        pbtest.wait_until(lambda: "event=tls_reload_failed" in d.log(), what="reload failed")
        raw = socket.create_connection(("127.0.0.1", d.ports["pop3s"]), timeout=60)
        tls = ctx2.wrap_socket(raw, server_hostname="second.pillarbox.test")
        self.assertEqual(tls.getpeercert()["subject"][0][0][1], "second.pillarbox.test")
        tls.close()
        # the session opened before the reloads still works, with the first certificate
        self.assertIn("first.pillarbox.test", str(old.sock.getpeercert()["subject"]))
        old.ehlo("a.example")
        self.assertEqual(old.noop()[0], 250)
        old.quit()
        # stopping: a TLS session hears the 421 and then close_notify (a clean end of TLS)
        raw = socket.create_connection(("127.0.0.1", d.ports["submissions"]), timeout=60)
        bye = ctx2.wrap_socket(raw, server_hostname="second.pillarbox.test",
                               suppress_ragged_eofs=False)
        self.addCleanup(bye.close)
        self.assertTrue(bye.recv(4096).startswith(b"220 "))
        self.assertEqual(d.stop(), 0, getattr(d, "last_stderr", "")[-3000:])
        got = b""
        while True:
            chunk = bye.recv(4096)  # SSLEOFError without close_notify
            if not chunk:
                break
            got += chunk
        self.assertTrue(got.startswith(b"421 4.3.2 "), got)


if __name__ == "__main__":
    unittest.main(verbosity=2)
