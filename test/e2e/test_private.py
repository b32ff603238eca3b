"""End to end: a private data directory and a first start that survives a busy port (issue 9,
deliver 1). Run as root (the CI container): the reads are tried as the user nobody."""
import os
import poplib
import socket
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402


def as_nobody(*argv):
    """Runs argv as nobody (setpriv: util-linux, in every Debian 12); returns the process."""
    return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + list(argv),
                          capture_output=True, timeout=30)


def loose_mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode) & 0o077


class Private(unittest.TestCase):
    def setUp(self):
        # root is what CI runs as; elsewhere this fails rather than skip
        self.assertEqual(os.geteuid(), 0, "needs root to try the reads as nobody")
        self.d = pbtest.Daemon(admin_password=None)
        os.chmod(self.d.tmp, 0o755)  # only the data directory itself may keep nobody out

    def tearDown(self):
        self.d.cleanup()

    def entries(self):
        out = []
        for root, dirs, files in os.walk(self.d.data_dir):
            out += [os.path.join(root, n) for n in dirs + files]
        return out

    def test_nobody_reads_nothing_in_the_data_directory(self):
        self.d.start()
        self.d.add_user("alice", "alicepw1")
        self.assertEqual(self.d.stop(), 0)  # everything flushed to files
        self.d.start()
        entries = self.entries()
        self.assertTrue(any("/store/" in p for p in entries), entries)
        self.assertEqual(loose_mode(self.d.data_dir), 0, oct(os.stat(self.d.data_dir).st_mode))
        for path in entries:
            if not stat.S_ISSOCK(os.lstat(path).st_mode):
                self.assertEqual(loose_mode(path), 0, path)
        self.assertNotEqual(as_nobody("ls", self.d.data_dir).returncode, 0)
        files = [p for p in entries if os.path.isfile(p)]
        p = as_nobody("cat", *files)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stdout, b"")
        self.assertIn(b"Permission denied", p.stderr)

    def test_loose_permissions_are_repaired_with_a_log_line(self):
        self.d.start()
        self.assertEqual(self.d.stop(), 0)
        store = os.path.join(self.d.data_dir, "store")
        os.chmod(self.d.data_dir, 0o755)
        os.chmod(store, 0o755)
        loosened = [os.path.join(store, n) for n in os.listdir(store)]
        for path in loosened:
            os.chmod(path, 0o644)
        self.d.start()
        kept = [p for p in loosened if os.path.exists(p)]  # RocksDB replaces some at open
        self.assertTrue(kept)
        for path in [self.d.data_dir, store] + kept:
            self.assertEqual(loose_mode(path), 0, path)
        log = self.d.log()
        self.assertIn("event=permissions_repaired path=%s was=0755 now=0700" % self.d.data_dir, log)
        self.assertIn("was=0644 now=0600", log)
        self.assertNotEqual(as_nobody("cat", *kept).returncode, 0)

    def test_a_shared_directory_is_refused(self):
        os.makedirs(self.d.data_dir)
        os.chmod(self.d.data_dir, 0o1777)
        self.d.start(expect_ready=False)
        rc, out, err = self.d.wait_exit()
        self.assertEqual(rc, 1)
        self.assertIn("writable by every user", err)
        self.assertFalse(os.path.exists(os.path.join(self.d.data_dir, "store")))

    def test_busy_port_at_first_start_keeps_the_set_up_for_the_next(self):
        busy = socket.socket()
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", self.d.ports["pop3"]))
        busy.listen()
        try:
            self.d.start(expect_ready=False)
            rc, out, err = self.d.wait_exit()
        finally:
            busy.close()
        self.assertEqual(rc, 1, err)
        self.assertIn("the address is in use", err)
        self.assertNotIn("password", out)
        pw_file = os.path.join(self.d.data_dir, "admin-password")
        self.assertFalse(os.path.exists(pw_file))

        self.d.start()
        told = [l for l in self.d.stdout_lines if "administrator password is in" in l]
        self.assertEqual(len(told), 1, self.d.stdout_lines)
        self.assertIn(pw_file, told[0])
        self.assertEqual(stat.S_IMODE(os.stat(pw_file).st_mode), 0o600)
        with open(pw_file) as f:
            password = f.read().strip()
        self.assertGreaterEqual(len(password), 12)
        self.assertNotIn(password, "\n".join(self.d.stdout_lines))
        self.assertEqual(self.d.users(), ["admin"])
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=30)
        p.user("admin")
        self.assertTrue(p.pass_(password).startswith(b"+OK"))
        p.quit()
        self.assertNotEqual(as_nobody("cat", pw_file).returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
