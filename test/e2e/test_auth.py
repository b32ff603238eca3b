"""End to end: POP3 AUTH (RFC 5034) and SMTP AUTH (RFC 4954) through the SASL layer against the
real daemon, with real clients — poplib (AUTH PLAIN and LOGIN after STLS, through _shortcmd),
smtplib (PLAIN and LOGIN after STARTTLS, and on 465), swaks --auth, curl (pop3s and smtp with
--ssl-reqd --login-options AUTH=PLAIN), and a SCRAM-SHA-256 client written here
(hashlib.pbkdf2_hmac and hmac, RFC 5802/7677) on both protocols; failures answer alike, '*'
cancels, a guesser locks the account for its address (the right password then fails alike)
while another address logs in, and the security log names the mechanism and never the
password."""
import base64
import hashlib
import hmac
import os
import poplib
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_mail import run_tool  # noqa: E402
from test_tls import HOST, TlsCase  # noqa: E402


def b64(data):
    return base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()


def scram_login(cmd, user, password):
    """A SCRAM-SHA-256 exchange over cmd(line) -> the server's answer line (bytes; raises
    poplib.error_proto on -ERR). Checks the server's signature; returns the last answer."""
    cnonce = b64(os.urandom(18))
    bare = "n=%s,r=%s" % (user, cnonce)
    first = base64.b64decode(cmd("AUTH SCRAM-SHA-256 " + b64("n,," + bare))[2:]).decode()
    attrs = dict(kv.split("=", 1) for kv in first.split(","))
    assert attrs["r"].startswith(cnonce), first
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]),
                                 int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    without_proof = "c=biws,r=" + attrs["r"]
    auth_msg = ",".join([bare, first, without_proof]).encode()
    sig = hmac.new(hashlib.sha256(client_key).digest(), auth_msg, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    final = base64.b64decode(cmd(b64(without_proof + ",p=" + b64(proof)))[2:]).decode()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    want = b64(hmac.new(server_key, auth_msg, hashlib.sha256).digest())
    assert final == "v=" + want, final
    return cmd("")


class Pop3Auth(TlsCase):
    def pop_stls(self):
        p = poplib.POP3("127.0.0.1", self.port("pop3"), timeout=60)
        self.addCleanup(p.close)
        p.stls(self.ctx(by_name=False))
        return p

    def answer(self, fn, *args):
        try:
            return fn(*args)
        except poplib.error_proto as e:
            return e.args[0]

    def security_log(self):
        with open(os.path.join(self.d.data_dir, "security.log")) as f:
            return f.read()

    def test_capa_plain_and_login_after_stls(self):
        p = self.pop_stls()
        self.assertEqual(p.capa()["SASL"], ["PLAIN", "LOGIN", "SCRAM-SHA-256"])
        wrong = self.answer(p._shortcmd, "AUTH PLAIN " + b64("\0%s\0nope1234" % self.alice()))
        unknown = self.answer(p._shortcmd, "AUTH PLAIN " + b64("\0nobody\0nope1234"))
        self.assertTrue(wrong.startswith(b"-ERR [AUTH]"), wrong)
        self.assertEqual(wrong, unknown)
        self.assertEqual(p._shortcmd("AUTH LOGIN"), b"+ VXNlcm5hbWU6")
        self.assertEqual(self.answer(p._shortcmd, "*"), b"-ERR Authentication cancelled")
        self.assertTrue(p._shortcmd("AUTH PLAIN " + b64("\0%s\0alicepw1" % self.alice()))
                        .startswith(b"+OK Logged in"))
        self.assertTrue(p.quit().startswith(b"+OK"))
        p = self.pop_stls()
        self.assertEqual(p._shortcmd("AUTH LOGIN " + b64(self.alice())), b"+ UGFzc3dvcmQ6")
        self.assertTrue(p._shortcmd(b64("alicepw1")).startswith(b"+OK Logged in"))
        p.quit()
        log = self.security_log()
        self.assertIn("event=login protocol=pop3 user=alice ip=127.0.0.1 mech=LOGIN", log)
        self.assertIn("event=login_failed protocol=pop3 user=nobody ip=127.0.0.1 mech=PLAIN "
                      "reason=bad_credentials", log)
        self.assertNotIn("alicepw1", log)
        self.assertNotIn("nope1234", log)

    def test_scram_on_995_and_110(self):
        p = poplib.POP3_SSL("127.0.0.1", self.port("pop3s"), timeout=60,
                            context=self.ctx(by_name=False))
        self.addCleanup(p.close)
        self.assertTrue(scram_login(p._shortcmd, self.alice(), "alicepw1").startswith(b"+OK Logged in"))
        self.assertIsNotNone(p.stat())
        p.quit()
        p = poplib.POP3("127.0.0.1", self.port("pop3"), timeout=60)
        self.addCleanup(p.close)
        self.assertTrue(scram_login(p._shortcmd, "alice", "alicepw1").startswith(b"+OK Logged in"))
        p.quit()
        self.assertIn("mech=SCRAM-SHA-256", self.security_log())

    def test_scram_guesser_locked_per_address(self):
        self.d.add_user("scrammed", "scrammedpw1")
        answers = []
        for i in range(3):
            p = pbtest.pop3_from(self.port("pop3"), "127.0.0.6")
            self.addCleanup(p.close)
            with self.assertRaises(poplib.error_proto) as e:
                scram_login(p._shortcmd, "scrammed", "guess%d" % i)
            answers.append(e.exception.args[0])
            p.quit()
        self.assertTrue(answers[0].startswith(b"-ERR [AUTH]"), answers)
        self.assertEqual(len(set(answers)), 1, answers)
        # locked for 127.0.0.6: the right password fails alike, before the server signature
        p = pbtest.pop3_from(self.port("pop3"), "127.0.0.6")
        self.addCleanup(p.close)
        with self.assertRaises(poplib.error_proto) as e:
            scram_login(p._shortcmd, "scrammed", "scrammedpw1")
        self.assertEqual(e.exception.args[0], answers[0])
        p = pbtest.pop3_from(self.port("pop3"), "127.0.0.7")
        self.addCleanup(p.close)
        self.assertTrue(scram_login(p._shortcmd, "scrammed", "scrammedpw1").startswith(b"+OK"))
        p.quit()

    def test_curl_pop3s_auth_plain(self):
        p = run_tool(["curl", "-sS", "--ssl-reqd", "--cacert", self.cafile, "--user",
                      "%s:alicepw1" % self.alice(), "--login-options", "AUTH=PLAIN",
                      "--resolve", "%s:%d:127.0.0.1" % (HOST, self.port("pop3s")),
                      "pop3s://%s:%d/" % (HOST, self.port("pop3s"))])
        self.assertEqual(p.returncode, 0, p.stderr)
        pbtest.wait_until(lambda: "mech=PLAIN" in self.security_log(),
                          what="curl's AUTH PLAIN logged")


def smtp_cmd(s):
    """scram_login's cmd over smtplib: 334 x -> b"+ x", 235 -> b"+OK ...", else raises."""
    def cmd(line):
        code, msg = s.docmd(line)
        if code == 334:
            return b"+ " + msg
        if code == 235:
            return b"+OK " + msg
        raise poplib.error_proto(b"%d %s" % (code, msg))
    return cmd


class SmtpAuth(TlsCase):
    def starttls(self, svc="submission", source=None):
        s = smtplib.SMTP(timeout=60, source_address=(source, 0) if source else None)
        s.connect("127.0.0.1", self.port(svc))
        self.addCleanup(s.close)
        s._host = HOST
        s.ehlo("client.example.org")
        s.starttls(context=self.ctx())
        s.ehlo("client.example.org")
        return s

    def security_log(self):
        with open(os.path.join(self.d.data_dir, "security.log")) as f:
            return f.read()

    def test_smtplib_plain_and_login(self):
        s = self.starttls()
        self.assertEqual(s.esmtp_features["auth"].split(), ["PLAIN", "LOGIN", "SCRAM-SHA-256"])
        with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
            s.login(self.alice(), "wrongpw1")
        self.assertEqual(e.exception.smtp_code, 535)
        self.assertEqual(e.exception.smtp_error, b"5.7.8 Authentication credentials invalid")
        s.user, s.password = self.alice(), "alicepw1"
        self.assertEqual(s.auth("PLAIN", s.auth_plain)[0], 235)
        self.assertEqual(s.docmd("AUTH PLAIN"), (503, b"5.5.1 Error: already authenticated"))
        s.sendmail(self.alice(), [self.alice()], b"Subject: after auth\r\n\r\nbody\r\n")
        s.quit()
        s = self.starttls("smtp")
        s.user, s.password = "alice", "alicepw1"
        self.assertEqual(s.auth("LOGIN", s.auth_login, initial_response_ok=False)[0], 235)
        s.quit()
        s = smtplib.SMTP_SSL("127.0.0.1", self.port("submissions"), timeout=60,
                             context=self.ctx(by_name=False))
        self.addCleanup(s.close)
        self.assertEqual(s.login("alice", "alicepw1")[0], 235)
        s.quit()
        log = self.security_log()
        self.assertIn("event=login protocol=smtp user=alice ip=127.0.0.1 mech=LOGIN", log)
        self.assertIn("event=login_failed protocol=smtp user=%s ip=127.0.0.1 mech=PLAIN "
                      "reason=bad_credentials" % self.alice(), log)
        self.assertNotIn("alicepw1", log)
        self.assertNotIn("wrongpw1", log)

    def test_cancel_and_bad_base64(self):
        s = self.starttls()
        self.assertEqual(s.docmd("AUTH LOGIN")[0], 334)
        self.assertEqual(s.docmd("*"), (501, b"5.7.0 Authentication aborted"))
        self.assertEqual(s.docmd("AUTH PLAIN")[0], 334)
        self.assertEqual(s.docmd("!!!!"), (501, b"5.5.2 Cannot decode response"))
        self.assertEqual(s.docmd("AUTH CRAM-MD5")[0], 504)
        s.quit()

    def test_scram_over_smtp(self):
        s = self.starttls()
        self.assertTrue(scram_login(smtp_cmd(s), self.alice(), "alicepw1").startswith(b"+OK"))
        s.quit()
        self.assertIn("protocol=smtp user=alice ip=127.0.0.1 mech=SCRAM-SHA-256", self.security_log())

    def test_smtp_guesser_locked_per_address(self):
        self.d.add_user("smtpguessed", "smtpguessedpw1")
        for i in range(3):
            s = smtplib.SMTP(timeout=60, source_address=("127.0.0.8", 0))
            s.connect("127.0.0.1", self.port("submission"))
            self.addCleanup(s.close)
            s.ehlo("guesser.example.org")  # loopback: plaintext allowed in clear
            s.user, s.password = "smtpguessed", "guess%d" % i
            with self.assertRaises(smtplib.SMTPAuthenticationError):
                s.auth("PLAIN", s.auth_plain)
            s.quit()
        s = smtplib.SMTP(timeout=60, source_address=("127.0.0.8", 0))
        s.connect("127.0.0.1", self.port("submission"))
        self.addCleanup(s.close)
        s.ehlo("guesser.example.org")
        s.user, s.password = "smtpguessed", "smtpguessedpw1"
        with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
            s.auth("PLAIN", s.auth_plain)
        self.assertEqual(e.exception.smtp_code, 535)
        s = smtplib.SMTP(timeout=60, source_address=("127.0.0.9", 0))
        s.connect("127.0.0.1", self.port("submission"))
        self.addCleanup(s.close)
        s.ehlo("other.example.org")
        self.assertEqual(s.login("smtpguessed", "smtpguessedpw1")[0], 235)

    def test_swaks_and_curl(self):
        for mech in ("PLAIN", "LOGIN"):
            p = run_tool(["swaks", "--server", "127.0.0.1:%d" % self.port("submission"), "--tls",
                          "--auth", mech, "--auth-user", self.alice(), "--auth-password",
                          "alicepw1", "--to", self.alice(), "--from", self.alice(),
                          "--header", "Subject: swaks auth " + mech])
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn(b"235 2.7.0 Authentication successful", p.stdout)
        path = os.path.join(self.d.tmp, "curl-auth.eml")
        with open(path, "wb") as f:
            f.write(b"Subject: curl auth\r\n\r\nbody\r\n")
        p = run_tool(["curl", "-sS", "--ssl-reqd", "--cacert", self.cafile,
                      "--resolve", "%s:%d:127.0.0.1" % (HOST, self.port("submission")),
                      "smtp://%s:%d" % (HOST, self.port("submission")),
                      "--user", "%s:alicepw1" % self.alice(), "--login-options", "AUTH=PLAIN",
                      "--mail-from", self.alice(), "--mail-rcpt", self.alice(),
                      "--upload-file", path])
        self.assertEqual(p.returncode, 0, p.stderr)


class RelayMatrix(TlsCase):
    """Issue 10 item 3: who may send where. An open relay test that finds nothing."""

    def session(self, svc="smtp", source=None, login=None):
        s = smtplib.SMTP(timeout=60, source_address=(source, 0) if source else None)
        s.connect("127.0.0.1", self.port(svc))
        self.addCleanup(s.close)
        s.ehlo("client.example.org")
        if login:
            self.assertEqual(s.login(*login)[0], 235)
        return s

    def rcpts(self, s, paths):
        """(code, text) of RCPT TO:<path> for each path, in one transaction (from alice's
        address: an authenticated alice may send only as herself)."""
        self.assertEqual(s.docmd("MAIL", "FROM:<%s>" % self.alice())[0], 250)
        got = [s.docmd("RCPT", "TO:<%s>" % p) for p in paths]
        s.docmd("RSET")
        return got

    def test_unauthenticated_on_25(self):
        far, d = "someone@elsewhere.example", self.domain
        got = self.rcpts(self.session(), [
            self.alice(),                                # local: anyone may send
            far,                                         # not local: refused
            "someone%%elsewhere.example@%s" % d,         # percent hack: a local part, unknown
            "@%s:someone@elsewhere.example" % d,         # source route: the route is ignored
            "@elsewhere.example:alice@%s" % d,           # ... so this one is local
            '"someone@elsewhere.example"@%s' % d,        # a quoted local part stays local
        ])
        self.assertEqual(got[0][0], 250, got)
        self.assertEqual(got[1], (550, b"5.7.1 <someone@elsewhere.example>: Relay access denied"))
        self.assertEqual(got[2][0], 550, got)
        self.assertTrue(got[2][1].startswith(b"5.1.1 "), got)
        self.assertEqual(got[3][:1] + (got[3][1][:6],), (550, b"5.7.1 "), got)
        self.assertEqual(got[4][0], 250, got)
        self.assertEqual(got[5][0], 550, got)
        self.assertTrue(got[5][1].startswith(b"5.1.1 "), got)
        s = self.session()
        self.assertEqual(s.docmd("MAIL", "FROM:<sender@example.org>")[0], 250)
        self.assertEqual(s.docmd("RCPT", "TO:<%s>" % far)[0], 550)
        self.assertEqual(s.docmd("DATA")[0], 554)  # nothing accepted for the far recipient

    def test_authenticated_and_submission(self):
        far = "someone@elsewhere.example"
        s = self.session("submission")
        self.assertEqual(s.docmd("MAIL", "FROM:<sender@example.org>"),
                         (530, b"5.7.0 Authentication required"))
        for svc in ("smtp", "submission"):
            got = self.rcpts(self.session(svc, login=("alice", "alicepw1")), [self.alice(), far])
            self.assertEqual(got[0][0], 250, got)
            self.assertEqual(got[1], (250, b"2.1.5 Ok"), got)  # for the outbound queue

    def test_relay_network(self):
        far = "someone@elsewhere.example"
        rc, out, err = self.d.cli("setting", "set", "smtp", '{"relay_networks": "127.0.0.10/32"}')
        self.assertEqual(rc, 0, err)
        self.addCleanup(self.d.cli, "setting", "set", "smtp", '{"relay_networks": ""}')
        # the sessions see the setting at the hub's next tick
        pbtest.wait_until(lambda: self.rcpts(self.session(source="127.0.0.10"), [far])[0][0] == 250,
                          what="relay_networks in effect")
        got = self.rcpts(self.session(source="127.0.0.11"), [far])
        self.assertEqual(got[0][0], 550, got)


if __name__ == "__main__":
    unittest.main(verbosity=2)
