#!/usr/bin/env python3
"""Recovery from a store failure (issue 8): a daemon on a 48 MiB tmpfs with no reserve, mail in
its memtables, the disk filled from outside: times the exit (store_failed -> exit 75: the next
maintenance check's flush meets ENOSPC, <= 15 s), then, space back, the restart to "ready" and
to the first message accepted. Needs root. Usage: failure-restart.py BUILD_DIR.
"""
import os
import smtplib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../test/e2e"))
import pbtest  # noqa: E402


def main():
    pbtest.BUILD = sys.argv[1]
    mnt = tempfile.mkdtemp(prefix="pb-fail-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48M", "tmpfs", mnt], check=True)
    d = pbtest.Daemon(data_dir=os.path.join(mnt, "var"))
    try:
        d.start()
        d.add_user("alice", "alicepw1")
        d.cli("setting", "set", "storage", '{"min_free_mb": 0}')
        s = smtplib.SMTP("127.0.0.1", d.ports["smtp"], timeout=30)
        for i in range(3):
            s.sendmail("a@example.org", ["alice@localhost"],
                       "Subject: %d\r\n\r\n" % i + ("x" * 76 + "\r\n") * 12800)
        s.quit()
        pbtest.wait_counts(d, {"alice": 3})
        t0 = time.monotonic()
        with open(os.path.join(mnt, "filler"), "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        rc, _, _ = d.wait_exit(timeout=90)
        t_exit = time.monotonic() - t0
        os.unlink(os.path.join(mnt, "filler"))
        t0 = time.monotonic()
        d.start()
        t_ready = time.monotonic() - t0
        s = smtplib.SMTP("127.0.0.1", d.ports["smtp"], timeout=30)
        s.sendmail("a@example.org", ["alice@localhost"], "Subject: after\r\n\r\nx\r\n")
        s.quit()
        t_mail = time.monotonic() - t0
        counts = pbtest.wait_counts(d, {"alice": 4})
        print("disk filled -> exit %d after %.1f s; restart -> ready %.2f s, first 250 %.2f s; "
              "messages %d" % (rc, t_exit, t_ready, t_mail, counts["alice"][0]))
        d.stop()
    finally:
        d.cleanup()
        subprocess.run(["umount", mnt], check=False)
        os.rmdir(mnt)


if __name__ == "__main__":
    main()
