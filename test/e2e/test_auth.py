"""End to end: POP3 AUTH (RFC 5034) through the SASL layer against the real daemon, with real
clients — poplib (AUTH PLAIN and LOGIN after STLS, through _shortcmd), curl over pop3s with
--login-options AUTH=PLAIN, and a SCRAM-SHA-256 client written here (hashlib.pbkdf2_hmac and
hmac, RFC 5802/7677) on 110 and 995; failures answer alike, '*' cancels, a guesser's SCRAM
proofs lock the account for its address (the right one then fails alike) while another address
logs in, and the security log names the mechanism and never the password."""
import base64
import hashlib
import hmac
import os
import poplib
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
