"""End to end: the IMAP session before selection (issue 11, part 3 A) against the real daemon
with real clients — imaplib login, capability and logout; STARTTLS then login (and the clear
text pipelined after STARTTLS dropped); a wrong password; AUTHENTICATE PLAIN with and without
SASL-IR, and SCRAM-SHA-256; a lockout after 3 failures from one address (the right password
then refused there while another address logs in); a blocked address told so at connect;
`openssl s_client` on 993; curl over imap (STARTTLS) and imaps; a huge literal refused
before the continuation (synchronising and LITERAL+), one over the limit discarded whole
(RFC 7888); pipelined garbage answered BAD with the
session still usable; the autologout."""
import imaplib
import os
import socket
import ssl
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from imaptest import Raw, close_quietly  # noqa: E402
from test_auth import b64, scram_login  # noqa: E402
from test_mail import message, run_tool  # noqa: E402
from test_tls import HOST, TlsCase  # noqa: E402

imaplib.Commands.setdefault("ID", ("NONAUTH", "AUTH", "SELECTED"))  # RFC 2971
BLOCKED = b"Your connection has been blocked temporarily - try again later."


class ImapSession(TlsCase):
    def imap(self, source=None):
        c = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60)
        self.addCleanup(close_quietly, c)
        return c

    def raw(self, source="127.0.0.1"):
        r = Raw(self.d.ports["imap"], source)
        self.addCleanup(r.sock.close)
        return r

    def test_login_capability_logout(self):
        c = self.imap()
        self.assertTrue(c.welcome.startswith(b"* OK [CAPABILITY IMAP4rev1 "), c.welcome)
        self.assertTrue(c.welcome.endswith(b"] Pillarbox ready."), c.welcome)
        caps = c.capabilities
        for cap in ("IMAP4REV1", "STARTTLS", "AUTH=PLAIN", "AUTH=LOGIN", "AUTH=SCRAM-SHA-256",
                    "SASL-IR", "ID", "ENABLE", "LITERAL+", "NAMESPACE", "IDLE", "UNSELECT"):
            self.assertIn(cap, caps)
        self.assertNotIn("LOGINDISABLED", caps)  # loopback: the password stays on the host
        typ, data = c.login("alice", "alicepw1")
        self.assertEqual(typ, "OK")
        self.assertIn(b"Logged in", data[0])
        typ, data = c.capability()
        self.assertEqual(typ, "OK")
        self.assertNotIn(b"AUTH=", data[0])
        self.assertNotIn(b"STARTTLS", data[0])
        self.assertEqual(c.noop()[0], "OK")
        self.assertEqual(c.namespace(), ("OK", [b'(("" "/")) NIL NIL']))
        typ, data = c._simple_command("ID", "NIL")
        self.assertEqual(typ, "OK")
        self.assertIn(b"Pillarbox", c.untagged_responses["ID"][0])
        self.assertEqual(c._simple_command("ENABLE", "CONDSTORE")[0], "OK")
        self.assertEqual(c.logout()[0], "BYE")
        self.assertIn("event=login protocol=imap user=alice ip=127.0.0.1 mech=USER",
                      self.security_log())

    def security_log(self):
        with open(os.path.join(self.d.data_dir, "security.log")) as f:
            return f.read()

    def test_starttls_then_login(self):
        c = self.imap()
        c.starttls(ssl_context=self.ctx(by_name=False))
        self.assertNotIn("STARTTLS", c.capabilities)
        self.assertIn("AUTH=PLAIN", c.capabilities)
        self.assertEqual(c.login(self.alice(), "alicepw1")[0], "OK")
        self.assertEqual(c.logout()[0], "BYE")

    def test_plaintext_after_starttls_is_dropped(self):
        r = self.raw()
        r.line()
        r.send(b"a STARTTLS\r\nb LOGIN alice alicepw1\r\n")
        self.assertEqual(r.line(), b"a OK Begin TLS negotiation now.")
        tls = self.ctx().wrap_socket(r.sock, server_hostname=HOST)
        tls.sendall(b"c NOOP\r\n")
        got = b""
        while b"c OK" not in got:
            chunk = tls.recv(4096)
            self.assertTrue(chunk, got)
            got += chunk
        self.assertNotIn(b"b ", got)  # the pipelined LOGIN was never run
        tls.close()

    def test_wrong_password_and_commands_before_login(self):
        c = self.imap()
        with self.assertRaises(imaplib.IMAP4.error) as e:
            c.login("alice", "wrong-one")
        self.assertIn("AUTHENTICATIONFAILED", str(e.exception))
        self.assertEqual(c.login("alice", "alicepw1")[0], "OK")
        r = self.raw()
        r.line()
        r.send(b"a SELECT INBOX\r\nb LOGIN alice nope\r\n")
        self.assertEqual(r.line(), b"a BAD Command not permitted before login")
        self.assertEqual(r.line(), b"b NO [AUTHENTICATIONFAILED] Authentication failed.")

    def test_authenticate_plain_with_and_without_sasl_ir(self):
        r = self.raw()
        r.line()
        r.send(b"a AUTHENTICATE PLAIN " + b64("\0alice\0alicepw1").encode() + b"\r\n")
        self.assertTrue(r.line().startswith(b"a OK [CAPABILITY "))
        c = self.imap()
        typ, _ = c.authenticate("PLAIN", lambda _: b"\0alice\0alicepw1")
        self.assertEqual(typ, "OK")
        r = self.raw()
        r.line()
        r.send(b"a AUTHENTICATE PLAIN\r\n")
        self.assertEqual(r.line(), b"+ ")
        r.send(b"*\r\n")
        self.assertEqual(r.line(), b"a BAD Authentication cancelled")
        r.send(b"b AUTHENTICATE NONSENSE\r\n")
        self.assertEqual(r.line(), b"b NO Unsupported authentication mechanism.")

    def test_scram_sha_256(self):
        r = self.raw()
        r.line()

        def cmd(line):
            if line.startswith("AUTH "):
                line = "s1 AUTHENTICATE " + line[5:]
            r.send(line.encode() + b"\r\n")
            answer = r.line()
            self.assertTrue(answer.startswith(b"+ ") or answer.startswith(b"s1 OK"), answer)
            return answer
        self.assertTrue(scram_login(cmd, "alice", "alicepw1").startswith(b"s1 OK [CAPABILITY"))
        self.assertIn("mech=SCRAM-SHA-256", self.security_log())

    def test_lockout_after_three_failures_from_one_address(self):
        self.d.add_user("imapguess", "imapguesspw1")
        for i in range(3):
            r = self.raw("127.0.0.2")
            r.line()
            r.send(b"a LOGIN imapguess guess%d\r\n" % i)
            self.assertEqual(r.line(), b"a NO [AUTHENTICATIONFAILED] Authentication failed.")
        r = self.raw("127.0.0.2")
        r.line()
        r.send(b"a LOGIN imapguess imapguesspw1\r\n")
        self.assertEqual(r.line(), b"a NO [AUTHENTICATIONFAILED] Authentication failed.")
        r = self.raw("127.0.0.3")
        r.line()
        r.send(b"a LOGIN imapguess imapguesspw1\r\n")
        self.assertTrue(r.line().startswith(b"a OK [CAPABILITY"))

    def test_blocked_address_hears_bye(self):
        rc, out, err = self.d.cli("block", "add", "127.0.0.4")
        self.assertEqual(rc, 0, err)
        self.addCleanup(self.d.cli, "block", "del", "127.0.0.4")
        r = self.raw("127.0.0.4")
        self.assertEqual(r.line(), b"* BYE " + BLOCKED)
        self.assertEqual(r.line(), b"")

    def test_openssl_s_client_on_993(self):
        rc, out = self.s_client(["-connect", "127.0.0.1:%d" % self.d.ports["imaps"]],
                                data=b"a CAPABILITY\nb LOGIN alice alicepw1\nc LOGOUT\n")
        self.assertEqual(rc, 0, out)
        self.assertIn(b"* OK [CAPABILITY IMAP4rev1", out)
        self.assertIn(b"a OK Capability completed.", out)
        self.assertIn(b"b OK [CAPABILITY", out)
        self.assertIn(b"* BYE Logging out", out)
        c = imaplib.IMAP4_SSL("127.0.0.1", self.d.ports["imaps"], ssl_context=self.ctx(by_name=False),
                              timeout=60)
        self.addCleanup(close_quietly, c)
        self.assertNotIn("STARTTLS", c.capabilities)
        self.assertEqual(c.login("alice", "alicepw1")[0], "OK")

    def test_huge_literal_refused_before_continuation(self):
        r = self.raw()
        r.line()
        r.send(b"a LOGIN {999999999}\r\n")
        self.assertEqual(r.line(), b"a NO [TOOBIG] Literal too big")
        r.send(b"b LOGIN alice {100000+}\r\n" + b"x" * 100000 + b"\r\nc NOOP\r\n")
        self.assertEqual(r.line(), b"b NO [TOOBIG] Literal too big")
        self.assertEqual(r.line(), b"c OK NOOP completed.")
        r.send(b"d APPEND INBOX {10}\r\n")  # before login: no message is taken
        self.assertEqual(r.line(), b"d BAD Command not permitted before login")
        r.send(b"e LOGIN alice alicepw1\r\nf APPEND INBOX {99999999999}\r\n")
        self.assertTrue(r.line().startswith(b"e OK"))
        self.assertEqual(r.line(), b"f NO [TOOBIG] Message too big")
        r.send(b"g LOGIN {5}\r\n")
        self.assertEqual(r.line(), b"+ OK")  # a small literal is taken
        r.send(b"alice {8}\r\n")
        self.assertEqual(r.line(), b"+ OK")
        r.send(b"alicepw1\r\n")
        self.assertEqual(r.line(), b"g BAD Command not permitted after login")

    def test_non_synchronising_literals_rfc7888(self):
        """LITERAL+ is offered (not the LITERAL- subset), so a non-synchronising literal over
        4096 octets is taken; one over the inline limit (64 KiB) is refused with a tagged
        NO [TOOBIG] and its octets are read and discarded (RFC 7888 leaves the server to discard
        or close): command lines inside them are never run."""
        r = self.raw()
        greeting = r.line()
        self.assertIn(b" LITERAL+ ", greeting)
        self.assertNotIn(b"LITERAL-", greeting)
        inside = b"z LOGOUT\r\n" * 7000  # 70000 octets of command lines
        r.send(b"a LOGIN alice {%d+}\r\n%s\r\nb NOOP\r\n" % (len(inside), inside))
        self.assertEqual(r.line(), b"a NO [TOOBIG] Literal too big")
        self.assertEqual(r.line(), b"b OK NOOP completed.")
        r.send(b"c LOGIN {5+}\r\nalice {8+}\r\nalicepw1\r\n")
        self.assertTrue(r.line().startswith(b"c OK"))
        big = message(b"big", [b"q" * 70] * 70)  # past LITERAL-'s 4096, taken at once
        self.assertGreater(len(big), 4096)
        lines = r.cmd(b"f", b"APPEND INBOX {%d+}\r\n%s" % (len(big), big))
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], rb"^f OK \[APPENDUID \d+ \d+\]")
        self.assertEqual(r.cmd(b"n", b"NOOP"), [b"n OK NOOP completed."])

    def test_pipelined_garbage_then_usable(self):
        r = self.raw()
        r.line()
        r.send(b"garbage\r\n)))\r\nx BOGUS\r\ny LOGIN\r\n\r\nz NOOP\r\n"
               b"l LOGIN alice alicepw1\r\nm CAPABILITY\r\n")
        lines = r.until_tagged(b"m")
        self.assertEqual(lines[0], b"* BAD Error in IMAP command: invalid tag")
        self.assertEqual(lines[1], b"* BAD Error in IMAP command: invalid tag")
        self.assertEqual(lines[2], b"x BAD Error in IMAP command: unknown command")
        self.assertTrue(lines[3].startswith(b"y BAD Error in IMAP command"), lines[3])
        self.assertEqual(lines[4], b"z OK NOOP completed.")
        self.assertTrue(lines[5].startswith(b"l OK [CAPABILITY"), lines[5])
        self.assertTrue(lines[6].startswith(b"* CAPABILITY IMAP4rev1"), lines[6])
        self.assertEqual(lines[7], b"m OK Capability completed.")

    def test_too_many_bad_commands_end_the_session(self):
        r = self.raw()
        r.line()
        r.send(b"x BOGUS\r\n" * 25)
        lines = r.until_tagged(b"never")
        self.assertEqual(lines.count(b"x BAD Error in IMAP command: unknown command"), 20)
        self.assertIn(b"* BYE Too many invalid IMAP commands.", lines)
        self.assertEqual(lines[-1], b"")


class ImapCurl(TlsCase):
    def test_curl_imap_starttls_and_imaps_verified(self):
        import smtplib
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            s.sendmail("sender@example.org", [self.alice()], message(b"for curl", [b"curl body"]))
        pbtest.wait_counts(self.d, {"alice": 1})
        for scheme, svc, extra in (("imap", "imap", ["--ssl-reqd"]), ("imaps", "imaps", [])):
            port = self.d.ports[svc]
            base = ["curl", "-sS", "--cacert", self.cafile, "--user", "alice:alicepw1",
                    "--resolve", "%s:%d:127.0.0.1" % (HOST, port)] + extra
            p = run_tool(base + ["%s://%s:%d/INBOX;UID=1" % (scheme, HOST, port)])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn(b"Subject: for curl", p.stdout)
            self.assertTrue(p.stdout.endswith(b"curl body\r\n"), p.stdout[-100:])
            p = run_tool(base + ["%s://%s:%d/INBOX?SEEN" % (scheme, HOST, port)])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout, b"* SEARCH 1\r\n")  # the fetch set \\Seen


class ImapAutologout(unittest.TestCase):
    def test_idle_session_hears_bye(self):
        d = pbtest.Daemon()
        self.addCleanup(d.cleanup)
        d.start()
        rc, out, err = d.cli("setting", "set", "imap", '{"autologout_s": 5}')
        self.assertEqual(rc, 0, err)
        # the hub reads the settings about once a second: wait until a new session has them
        def bye_in_time():
            r = Raw(d.ports["imap"], timeout=20)
            try:
                r.line()
                return r.line() == b"* BYE Autologout; idle for too long"
            except socket.timeout:
                return False
            finally:
                r.sock.close()
        self.assertTrue(pbtest.wait_until(bye_in_time, timeout=60, what="autologout"))
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
