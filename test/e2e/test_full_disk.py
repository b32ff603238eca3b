"""End to end: a nearly full disk. The spool keeps a free-space reserve (settings document
"storage", min_free_mb), so SMTP answers 452 4.3.1 and changes nothing instead of letting the
store meet ENOSPC; the daemon keeps serving POP3; once space is back mail is accepted again
without a restart, and a restart finds every acknowledged message. Needs root (it mounts a
small tmpfs)."""
import os
import poplib
import smtplib
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402


def message(subject, size):
    line = "x" * 76 + "\r\n"
    return "Subject: %s\r\n\r\n" % subject + line * max(1, size // 78)


class FullDisk(unittest.TestCase):
    def setUp(self):
        self.mnt = pbtest.tempfile.mkdtemp(prefix="pb-full-")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48M", "tmpfs", self.mnt], check=True)
        self.d = pbtest.Daemon(data_dir=os.path.join(self.mnt, "var"))
        self.filler = os.path.join(self.mnt, "filler")

    def tearDown(self):
        self.d.cleanup()
        subprocess.run(["umount", self.mnt], check=False)
        os.rmdir(self.mnt)

    def fill(self):
        st = os.statvfs(self.mnt)
        free = st.f_bavail * st.f_frsize
        with open(self.filler, "wb") as f:
            f.write(b"\0" * max(0, free - 256 * 1024))

    def pop3_stat(self):
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=30)
        p.user("alice")
        p.pass_("alicepw1")
        stat = p.stat()
        first = b"\n".join(p.retr(1)[1]) if stat[0] > 0 else b""
        p.quit()
        return stat, first

    def test_full_disk_is_a_temporary_failure(self):
        self.d.start()
        self.d.add_user("alice", "alicepw1")
        # a 48 MiB disk: keep 8 MiB free (the default reserve is 64 MiB)
        self.assertEqual(self.d.cli("setting", "set", "storage", '{"min_free_mb": 8}')[0], 0)
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=30)
        s.sendmail("a@example.org", ["alice@localhost"], message("before", 1000))
        pbtest.wait_counts(self.d, {"alice": 1})

        self.fill()
        # without SIZE= the spool's own check answers after the data
        s.ehlo()
        del s.esmtp_features["size"]
        for size in (2_000_000, 1000):
            with self.assertRaises(smtplib.SMTPDataError) as e:
                s.sendmail("a@example.org", ["alice@localhost"], message("too much", size))
            self.assertEqual(e.exception.smtp_code, 452)
            self.assertTrue(e.exception.smtp_error.startswith(b"4.3.1"), e.exception.smtp_error)
        # a declared size is refused up front (RFC 1870), and the session goes on
        code, text = s.mail("a@example.org", ["SIZE=1000"])
        self.assertEqual((code, text[:5]), (452, b"4.3.1"))
        s.rset()
        self.assertEqual(s.noop()[0], 250)
        s.quit()
        stat, first = self.pop3_stat()
        self.assertEqual(stat[0], 1)
        self.assertIn(b"Subject: before", first)
        self.assertEqual(self.d.cli("user", "list")[0], 0)

        # space back: accepted again without a restart (the store never saw ENOSPC)
        os.unlink(self.filler)
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=30)
        s.sendmail("a@example.org", ["alice@localhost"], message("space again", 1000))
        s.quit()
        pbtest.wait_counts(self.d, {"alice": 2})
        # and a restart finds everything, nothing half-stored
        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        stat, first = self.pop3_stat()
        self.assertEqual(stat[0], 2)
        self.assertIn(b"Subject: before", first)


if __name__ == "__main__":
    unittest.main(verbosity=2)
