"""End to end: a daemon started as root with `user = NAME` in its bootstrap file serves as that
user, keeping only CAP_NET_BIND_SERVICE (issue 9, deliver 1: never needing root to serve mail).
Needs root (the CI container); the user is nobody."""
import os
import pwd
import random
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402

CAP_NET_BIND_SERVICE = 10


def free_low_port():
    """A port below 1024 that binds now (only root may bind it: the daemon's kept capability)."""
    for _ in range(200):
        port = random.randrange(600, 1024)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below 1024")


def proc_status(pid):
    with open("/proc/%d/status" % pid) as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


class User(unittest.TestCase):
    def setUp(self):
        # root is what CI runs as; elsewhere this fails rather than skip
        self.assertEqual(os.geteuid(), 0, "needs root to start the daemon as root")
        self.nobody = pwd.getpwnam("nobody")
        self.low = free_low_port()
        self.d = pbtest.Daemon(extra_config="user = nobody\nsmtp_listen = 127.0.0.1:%d\n" % self.low)
        # the user's own directory (the data directory and the log are made as that user)
        os.chown(self.d.tmp, self.nobody.pw_uid, self.nobody.pw_gid)

    def tearDown(self):
        self.d.cleanup()

    def test_serves_as_the_user_with_only_the_bind_capability(self):
        self.d.start()
        st = proc_status(self.d.proc.pid)
        uid = str(self.nobody.pw_uid)
        gid = str(self.nobody.pw_gid)
        self.assertEqual(st["Uid"].split(), [uid] * 4)
        self.assertEqual(st["Gid"].split(), [gid] * 4)
        self.assertEqual(int(st["CapEff"], 16), 1 << CAP_NET_BIND_SERVICE)
        self.assertEqual(int(st["CapPrm"], 16), 1 << CAP_NET_BIND_SERVICE)
        self.assertEqual(st["NoNewPrivs"], "1")
        # the port below 1024 bound after the switch, and it serves
        with socket.create_connection(("127.0.0.1", self.low), timeout=30) as s:
            self.assertTrue(s.recv(512).startswith(b"220 "))
        owners = {os.lstat(os.path.join(root, n)).st_uid
                  for root, dirs, files in os.walk(self.d.data_dir) for n in dirs + files}
        self.assertEqual(owners, {self.nobody.pw_uid})
        self.assertEqual(os.stat(self.d.data_dir).st_uid, self.nobody.pw_uid)
        self.d.add_user("carol", "carol-pw-1")  # the CLI, as root, reaches the daemon
        self.assertIn("carol", self.d.users())
        self.assertEqual(self.d.stop(), 0, getattr(self.d, "last_stderr", ""))

    def test_an_unknown_user_is_refused(self):
        self.d.extra_config = "user = no-such-user-pb\n"
        self.d.write_config()
        self.d.start(expect_ready=False)
        rc, out, err = self.d.wait_exit()
        self.assertEqual(rc, 1, err)
        self.assertIn("user no-such-user-pb: the configured user does not exist", err)
        self.assertFalse(os.path.exists(self.d.data_dir))

    def test_root_without_a_user_is_warned(self):
        self.d.extra_config = ""
        self.d.write_config()
        os.chown(self.d.tmp, 0, 0)
        self.d.start()
        self.assertEqual(self.d.stop(), 0)
        self.assertIn("warning: running as root; set 'user = NAME'", self.d.last_stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
