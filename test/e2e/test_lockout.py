"""End to end: administering the lockout guard with the CLI (issue 10, deliver 7) against the
real daemon — block add/del/list with their exit codes, the block list surviving a restart,
lockout list and unlock, the never-block list (the setting security.never_block), user show
and user logins, and the security log lines of every block and unblock; and the gateways
asking the guard: POP3 logins lock an account for one address (USER/PASS from 127.0.0.1 with
three wrong passwords, then the right one refused alike while 127.0.0.2 logs in), unlock lets
it in again, and a blocked address hears the reference's wording on POP3 and SMTP before any
command."""
import os
import poplib
import smtplib
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402


BLOCKED = b"Your connection has been blocked temporarily - try again later."


class Lockout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def security_log(self):
        with open(os.path.join(self.d.data_dir, "security.log")) as f:
            return f.read()

    def ok(self, *argv):
        rc, out, err = self.d.cli(*argv)
        self.assertEqual(rc, 0, (argv, out, err))
        return out

    def refused(self, code, why, *argv):
        rc, out, err = self.d.cli(*argv)
        self.assertEqual(rc, code, (argv, out, err))
        self.assertIn(why, err, argv)

    def test_block_add_list_del_and_restart(self):
        self.assertIn("blocked", self.ok("block", "add", "192.0.2.7"))
        self.ok("block", "add", "10.0.0.0/8", "a scanner", "--minutes", "30")
        self.ok("block", "add", "--minutes=5", "2001:DB8::/32")
        self.refused(1, "host bits set under the prefix (the network is 10.0.0.0/8)",
                     "block", "add", "10.1.0.0/8")
        self.refused(1, "not an IPv4 or IPv6 address", "block", "add", "nonsense")
        self.refused(64, "--minutes wants whole minutes", "block", "add", "192.0.2.8", "--minutes", "0")
        self.refused(64, "'block list' takes no option --minutes", "block", "list", "--minutes", "3")
        self.refused(64, "too few arguments for 'block add'", "block", "add")
        out = self.ok("block", "list")
        lines = {line.split()[0]: line for line in out.splitlines()[1:]}
        self.assertIn("never", lines["192.0.2.7"])
        self.assertIn("manual: added by the administrator", lines["192.0.2.7"])
        self.assertIn("UTC", lines["10.0.0.0/8"])
        self.assertIn("manual: a scanner", lines["10.0.0.0/8"])
        self.assertIn("2001:db8::/32", lines)  # the canonical spelling
        out = self.ok("lockout", "list")
        self.assertIn("no account locks", out)
        self.assertIn("10.0.0.0/8", out)
        log = self.security_log()
        self.assertIn("event=ip_blocked net=192.0.2.7 protocol=admin", log)
        self.assertIn("event=ip_blocked net=10.0.0.0/8 protocol=admin reason=\"a scanner\" minutes=30", log)

        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        out = self.ok("block", "list")
        self.assertIn("192.0.2.7", out)
        self.assertIn("10.0.0.0/8", out)
        self.assertIn("unblocked", self.ok("block", "del", "::ffff:192.0.2.7"))
        self.refused(1, "no such block", "block", "del", "192.0.2.7")
        self.refused(1, "not an IPv4 or IPv6 address", "block", "del", "nonsense")
        self.ok("block", "del", "10.0.0.0/8")
        self.ok("block", "del", "2001:db8::/32")
        self.assertIn("no blocked addresses", self.ok("block", "list"))
        self.assertIn("event=ip_unblocked net=192.0.2.7 protocol=admin reason=removed",
                      self.security_log())

    def test_unlock_without_a_lock(self):
        self.refused(1, "no lock for this user", "lockout", "unlock", "nobody")
        self.refused(1, "no lock for this user and address", "lockout", "unlock", "nobody",
                     "--ip", "192.0.2.1")
        self.refused(64, "option --ip needs a value", "lockout", "unlock", "nobody", "--ip")
        self.refused(64, "'user show' takes no option --ip", "user", "show", "x", "--ip", "1.2.3.4")

    def test_neverblock_list(self):
        self.assertIn("the never-block list is empty", self.d.cli("neverblock", "list")[2])
        self.ok("neverblock", "add", "203.0.113.0/24")
        self.ok("neverblock", "add", "::ffff:198.51.100.9")
        self.assertEqual(self.ok("neverblock", "list").split(), ["203.0.113.0/24", "198.51.100.9"])
        self.refused(1, "203.0.113.0/24 is already on the never-block list",
                     "neverblock", "add", "203.0.113.0/24")
        self.assertIn('"never_block": "203.0.113.0/24 198.51.100.9"',
                      self.ok("setting", "show", "security"))
        self.ok("neverblock", "del", "203.0.113.0/24")
        self.refused(1, "is not on the never-block list", "neverblock", "del", "203.0.113.0/24")
        self.refused(1, "not an IPv4 or IPv6 address", "neverblock", "add", "nonsense")
        self.assertEqual(self.ok("neverblock", "list").split(), ["198.51.100.9"])
        self.ok("neverblock", "del", "198.51.100.9")

    def test_user_show_and_logins(self):
        self.d.add_user("lucy", "lucypw12")
        self.assertIn("locked:   no", self.ok("user", "show", "lucy"))
        self.assertIn("no logins recorded since the daemon started", self.ok("user", "logins", "lucy"))

    def pop_from(self, source):
        """A POP3 connection to the daemon from the loopback address source (127/8 on Linux)."""
        p = pbtest.pop3_from(self.d.ports["pop3"], source)
        self.addCleanup(p.close)
        return p

    def login_answer(self, user, password, source="127.0.0.1"):
        """+OK... or the -ERR of PASS for user from source."""
        p = self.pop_from(source)
        p.user(user)
        try:
            answer = p.pass_(password)
        except poplib.error_proto as e:
            answer = e.args[0]
        p.quit()
        return answer

    def test_pop3_lock_per_address_and_unlock(self):
        self.d.add_user("guessed", "guessedpw1")
        wrong = [self.login_answer("guessed", "wrong%d" % i) for i in range(3)]
        self.assertTrue(wrong[0].startswith(b"-ERR [AUTH]"), wrong)
        self.assertEqual(len(set(wrong)), 1, wrong)
        # locked for 127.0.0.1: the right password fails exactly as a wrong one
        self.assertEqual(self.login_answer("guessed", "guessedpw1"), wrong[0])
        # another address still logs in
        self.assertTrue(self.login_answer("guessed", "guessedpw1", "127.0.0.2").startswith(b"+OK"))
        self.assertIn("guessed", self.ok("lockout", "list"))
        log = self.security_log()
        self.assertIn('event=login_failed protocol=pop3 user=guessed ip=127.0.0.1 mech=USER '
                      'reason=locked', log)
        self.assertIn("event=login protocol=pop3 user=guessed ip=127.0.0.2 mech=USER", log)
        self.assertNotIn("guessedpw1", log)
        self.ok("lockout", "unlock", "guessed")
        self.assertTrue(self.login_answer("guessed", "guessedpw1").startswith(b"+OK"))

    def test_blocked_address_on_pop3_and_smtp(self):
        self.ok("block", "add", "127.0.0.3")
        self.addCleanup(self.d.cli, "block", "del", "127.0.0.3")
        for svc, want in (("pop3", b"-ERR [SYS/TEMP] " + BLOCKED + b"\r\n"),
                          ("smtp", b"421 4.7.0 " + BLOCKED + b"\r\n"),
                          ("submission", b"421 4.7.0 " + BLOCKED + b"\r\n")):
            sock = socket.create_connection(("127.0.0.1", self.d.ports[svc]), timeout=60,
                                            source_address=("127.0.0.3", 0))
            self.addCleanup(sock.close)
            got = b""
            while True:  # everything until the server closes: the one line, no greeting
                data = sock.recv(4096)
                if not data:
                    break
                got += data
            self.assertEqual(got, want, svc)
        # other addresses are greeted
        p = self.pop_from("127.0.0.4")
        self.assertTrue(p.welcome.startswith(b"+OK"))
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as c:
            self.assertEqual(c.noop()[0], 250)

    def test_help(self):
        rc, out, _ = self.d.cli("help", "block", "add")
        self.assertEqual(rc, 0)
        self.assertIn("Your connection has been blocked temporarily - try again later.",
                      " ".join(out.split()))
        rc, out, _ = self.d.cli("help")
        for cmd in ("lockout list", "lockout unlock USER [--ip IP]", "block add", "neverblock add",
                    "user logins NAME"):
            self.assertIn(cmd, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
