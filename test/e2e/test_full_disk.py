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
import threading
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


    def subjects(self):
        """The Subject of every message in alice's maildrop, in order (POP3 TOP n 0)."""
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
        p.user("alice")
        p.pass_("alicepw1")
        out = []
        for i in range(1, p.stat()[0] + 1):
            for line in p.top(i, 0)[1]:
                if line.startswith(b"Subject: "):
                    out.append(line[9:].decode())
        p.quit()
        return out

    def send_concurrently(self, n, size):
        """n clients send a distinct message of size octets at once; returns the subjects that
        got 250 and the codes of the others."""
        accepted, refused = [], []
        lock = threading.Lock()

        def one(i):
            subject = "big-%d" % i
            try:
                s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=120)
                s.sendmail("a@example.org", ["alice@localhost"], message(subject, size))
                s.quit()
                with lock:
                    accepted.append(subject)
            except smtplib.SMTPResponseException as e:
                with lock:
                    refused.append(e.smtp_code)
                    if e.smtp_code != 452:
                        print("refused:", e.smtp_code, e.smtp_error)
            except smtplib.SMTPRecipientsRefused as e:
                with lock:
                    refused.append(list(e.recipients.values())[0][0])
        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        return accepted, refused

    def test_concurrent_big_messages_then_full_start(self):
        """Ten 6 MB messages at once on a 48 MiB disk with an 8 MiB reserve: the node's one
        budget lets some in and answers 452 to the rest before the disk fills; the daemon
        lives; each 250 is there exactly once after a restart; the daemon starts again on the
        disk filled to the last 128 KiB (read-mostly: POP3 serves, SMTP answers 452), and
        takes mail again as soon as space is back, without a restart."""
        self.d.start()
        self.d.add_user("alice", "alicepw1")
        self.assertEqual(self.d.cli("setting", "set", "storage", '{"min_free_mb": 8}')[0], 0)
        accepted, refused = self.send_concurrently(10, 6_000_000)
        print("accepted %d, refused %r" % (len(accepted), refused))
        self.assertGreater(len(accepted), 0)
        self.assertGreater(len(refused), 0)
        self.assertTrue(all(code == 452 for code in refused), refused)
        self.assertIsNone(self.d.proc.poll())
        pbtest.wait_counts(self.d, {"alice": len(accepted)}, timeout=60)
        self.assertNotIn("store_failed", self.d.log())
        self.assertEqual(self.d.stop(), 0)

        self.d.start()
        self.assertEqual(sorted(self.subjects()), sorted(accepted))
        self.assertEqual(self.d.stop(), 0)

        # the disk full to its last 128 KiB: the daemon still starts
        self.fill()
        self.d.start()
        self.assertEqual(sorted(self.subjects()), sorted(accepted))
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=30)
        s.ehlo()
        code, text = s.mail("a@example.org", ["SIZE=1000"])
        self.assertEqual((code, text[:5]), (452, b"4.3.1"))
        s.rset()
        s.quit()
        os.unlink(self.filler)
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=30)
        s.sendmail("a@example.org", ["alice@localhost"], message("after", 1000))
        s.quit()
        pbtest.wait_counts(self.d, {"alice": len(accepted) + 1})
        self.assertIsNone(self.d.proc.poll())
        self.assertNotIn("store_failed", self.d.log())

    def test_store_failure_exits_for_restart(self):
        """With no reserve at all, a disk filled from outside makes RocksDB meet ENOSPC (the
        maintenance flush while there is no room): the daemon logs store_failed, stops and
        exits 75 for its supervisor instead of serving on while every write fails; restarted
        with space back, every acknowledged message is there once and mail flows."""
        self.d.start()
        self.d.add_user("alice", "alicepw1")
        self.assertEqual(self.d.cli("setting", "set", "storage", '{"min_free_mb": 0}')[0], 0)
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=30)
        for i in range(3):
            s.sendmail("a@example.org", ["alice@localhost"], message("kept-%d" % i, 1_000_000))
        s.quit()
        pbtest.wait_counts(self.d, {"alice": 3})
        with open(self.filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        rc, _, err = self.d.wait_exit(timeout=90)
        self.assertEqual(rc, 75, err)
        self.assertIn("event=store_failed", self.d.log())
        self.assertIn("exiting for a restart", err)

        os.unlink(self.filler)
        self.d.start()
        self.assertEqual(sorted(self.subjects()), ["kept-0", "kept-1", "kept-2"])
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=30)
        s.sendmail("a@example.org", ["alice@localhost"], message("after", 1000))
        s.quit()
        pbtest.wait_counts(self.d, {"alice": 4})


if __name__ == "__main__":
    unittest.main(verbosity=2)
