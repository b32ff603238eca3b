"""End to end: the daemon, its store and the admin CLI (issue: foundation)."""
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402


class Foundation(unittest.TestCase):
    def setUp(self):
        self.d = pbtest.Daemon()

    def tearDown(self):
        self.d.cleanup()

    def test_first_start_creates_domain_and_admin(self):
        d = pbtest.Daemon(admin_password=None)
        try:
            d.start()
            printed = [l for l in d.stdout_lines if "administrator password is in" in l]
            self.assertEqual(len(printed), 1, d.stdout_lines)
            with open(os.path.join(d.data_dir, "admin-password")) as f:
                self.assertGreaterEqual(len(f.read().strip()), 12)
            self.assertEqual(d.users(), ["admin"])
            rc, out, _ = d.cli("domain", "list")
            self.assertEqual(rc, 0)
            self.assertEqual(len(out.split()), 1)
            rc, out, _ = d.cli("user", "show", "admin")
            self.assertIn('"admin":true', out)
            # a second start does not create or print anything again
            self.assertEqual(d.stop(), 0)
            d.start()
            self.assertFalse([l for l in d.stdout_lines if "password" in l])
        finally:
            d.cleanup()

    def test_users_survive_restart_and_kill9(self):
        self.d.start()
        self.d.add_user("alice", "alicepw1")
        self.d.add_user("Bob.Smith", "bobpw123")
        self.assertEqual(self.d.users(), ["admin", "alice", "bob.smith"])
        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        self.assertEqual(self.d.users(), ["admin", "alice", "bob.smith"])
        self.d.add_user("carol", "carolpw1")
        self.d.kill9()
        self.d.start()
        self.assertEqual(self.d.users(), ["admin", "alice", "bob.smith", "carol"])

    def test_cli_exit_codes_and_messages(self):
        self.d.start()
        self.d.add_user("alice", "alicepw1")
        rc, _, err = self.d.cli("user", "add", "ALICE", input="otherpw1\n")
        self.assertEqual(rc, 1)
        self.assertIn("exists", err)
        rc, _, err = self.d.cli("user", "add", "bad name", input="password\n")
        self.assertEqual(rc, 1)
        self.assertIn("letters, digits", err)
        rc, _, err = self.d.cli("user", "add", "x" * 33, input="password\n")
        self.assertEqual(rc, 1)
        rc, _, err = self.d.cli("user", "add", "shorty", input="abc\n")
        self.assertEqual(rc, 1)
        self.assertIn("shorter than 5", err)
        rc, _, err = self.d.cli("user", "add", "spacey", input="has\x01control\n")
        self.assertEqual(rc, 1)
        self.assertIn("control characters", err)
        rc, _, err = self.d.cli("user", "show", "nobody")
        self.assertEqual(rc, 1)
        self.assertIn("no such user", err)
        rc, _, err = self.d.cli("user", "frobnicate")
        self.assertEqual(rc, 64)  # a usage error (sysexits EX_USAGE), not "cannot reach"
        self.assertEqual(self.d.stop(), 0)
        rc, _, err = self.d.cli("user", "list")
        self.assertEqual(rc, 2)
        self.assertIn("cannot reach the daemon", err)
        self.assertIn("scripts/run.sh", err)

    def test_passwd_rename_delete_copy(self):
        self.d.start()
        rc, _, err = self.d.cli("user", "add", "alice", input="alicepw1\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.d.cli("user", "passwd", "alice", input="newpass9\n")[0], 0)
        self.assertEqual(self.d.cli("user", "passwd", "alice", input="no\n")[0], 1)
        self.assertEqual(self.d.cli("user", "rename", "alice", "alicia")[0], 0)
        self.assertEqual(self.d.users(), ["admin", "alicia"])
        self.assertEqual(self.d.cli("user", "rename", "alicia", "admin")[0], 1)
        rc, _, err = self.d.cli("user", "add", "bob", "--copy-from", "admin", input="bobpw123\n")
        self.assertEqual(rc, 0, err)
        self.assertIn('"admin":true', self.d.cli("user", "show", "bob")[1])
        self.assertEqual(self.d.cli("user", "copy-settings", "alicia", "admin")[0], 0)
        self.assertIn('"admin":true', self.d.cli("user", "show", "alicia")[1])
        self.assertEqual(self.d.cli("user", "del", "alicia")[0], 0)
        self.assertEqual(self.d.cli("user", "del", "alicia")[0], 1)
        self.assertEqual(self.d.users(), ["admin", "bob"])

    def test_delete_non_empty_mailbox_needs_force(self):
        import smtplib
        self.d.start()
        self.d.add_user("alice", "alicepw1")
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=30)
        s.sendmail("a@example.org", ["alice@localhost"], "Subject: keep me\r\n\r\nhello\r\n")
        s.quit()
        pbtest.wait_counts(self.d, {"alice": 1})
        rc, _, err = self.d.cli("user", "del", "alice")
        self.assertEqual(rc, 1)
        self.assertIn("not empty", err)
        self.assertIn("alice", self.d.users())
        rc, _, err = self.d.cli("user", "del", "alice", "--force")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("alice", self.d.users())
        # a new alice starts with an empty mailbox
        self.d.add_user("alice", "alicepw2")
        self.assertEqual(pbtest.user_counts(self.d)["alice"], (0, 0))

    def test_domains(self):
        self.d.start()
        self.assertEqual(self.d.cli("domain", "add", "Example.COM")[0], 0)
        self.assertEqual(self.d.cli("domain", "add", "example.com")[0], 1)
        self.assertEqual(self.d.cli("domain", "add", "bad_domain!")[0], 1)
        rc, out, _ = self.d.cli("domain", "list")
        self.assertIn("example.com", out.split())
        self.assertEqual(self.d.cli("domain", "del", "example.com")[0], 1)  # admin@ has it
        self.assertEqual(self.d.cli("domain", "del", "example.com", "--force")[0], 0)
        self.assertEqual(self.d.cli("domain", "del", "example.com", "--force")[0], 1)

    def test_bulk_add_with_progress(self):
        self.d.start()
        path = os.path.join(self.d.tmp, "users.csv")
        with open(path, "w") as f:
            f.write("# name,password\n")
            for i in range(250):
                f.write("user%03d,password%03d\n" % (i, i))
            f.write("bad name,password\n")
            f.write("user007,password7\n")
        rc, out, err = self.d.cli("user", "bulk-add", path, timeout=300)
        self.assertEqual(rc, 1, err)
        self.assertIn("bulk add: 100 added", err)   # the progress line
        self.assertIn("users.csv:252:", err)
        self.assertIn("users.csv:253:", err)
        self.assertIn("250 of 252 users added", err)
        users = self.d.users()
        self.assertEqual(len(users), 251)
        self.assertIn("user249", users)

    def test_control_socket_private(self):
        self.d.start()
        mode = os.stat(os.path.join(self.d.data_dir, "control.sock")).st_mode & 0o777
        self.assertEqual(mode, 0o600)

    def test_status(self):
        self.d.start()
        rc, out, err = self.d.cli("status")
        self.assertEqual(rc, 0, err)
        self.assertIn("uptime:", out)
        self.assertIn("store size:", out)
        self.assertIn("directory", out)
        self.assertIn("mailbox.0", out)

    def test_settings_documents(self):
        self.d.start()
        rc, out, _ = self.d.cli("setting", "show", "smtp")
        self.assertEqual(rc, 0)
        self.assertIn('"max_recipients": 100', out)  # every key's value in effect
        rc, out, err = self.d.cli("setting", "set", "smtp", '{"max_recipients": 7}')
        self.assertEqual(rc, 0, err)
        rc, out, _ = self.d.cli("setting", "show", "smtp")
        self.assertIn('"max_recipients": 7', out)
        self.assertEqual(self.d.cli("setting", "set", "smtp", "[1,2]")[0], 1)
        self.assertEqual(self.d.cli("setting", "set", "smtp", "{broken")[0], 1)
        self.assertEqual(self.d.cli("setting", "set", "bad name!", "{}")[0], 1)
        self.assertIn('"max_recipients": 7', self.d.cli("setting", "show", "smtp")[1])

    def test_config_errors_name_file_and_line(self):
        with open(self.d.config, "a") as f:
            f.write("no_such_setting = 1\n")
        self.d.start(expect_ready=False)
        rc, out, err = self.d.wait_exit()
        self.assertNotEqual(rc, 0)
        lines = open(self.d.config).read().count("\n")
        self.assertIn("%s:%d: unknown key 'no_such_setting'" % (self.d.config, lines), err)

    def test_second_daemon_on_same_data_dir_refused(self):
        self.d.start()
        other = pbtest.Daemon(data_dir=self.d.data_dir)
        try:
            other.start(expect_ready=False)
            rc, out, err = other.wait_exit()
            self.assertNotEqual(rc, 0)
            self.assertIn("another pillarboxd", err)
        finally:
            other.cleanup()
        self.assertEqual(self.d.users(), ["admin"])

    def test_sighup_reopens_logs(self):
        self.d.start()
        log = os.path.join(self.d.tmp, "pillarbox.log")
        os.rename(log, log + ".1")  # what logrotate does
        self.d.proc.send_signal(signal.SIGHUP)
        pbtest.wait_until(lambda: os.path.exists(log) and "logs_reopened" in open(log).read(),
                          what="a new log file")
        self.d.add_user("alice", "alicepw1")
        self.assertEqual(self.d.users(), ["admin", "alice"])  # still serving
        self.assertIsNone(self.d.proc.poll())
        sec = os.path.join(self.d.data_dir, "security.log")
        os.rename(sec, sec + ".1")
        self.d.proc.send_signal(signal.SIGHUP)
        pbtest.wait_until(lambda: os.path.exists(sec), what="a new security log")
        self.d.add_user("bob", "bobpw123")
        pbtest.wait_until(lambda: "user=bob" in open(sec).read(), what="bob in the new security log")

    def test_sigterm_stops_cleanly(self):
        self.d.start()
        self.d.add_user("alice", "alicepw1")
        self.assertEqual(self.d.stop(), 0)
        log = self.d.log()
        self.assertIn("event=stopping", log)
        self.assertIn("event=stopped", log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
