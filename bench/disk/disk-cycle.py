#!/usr/bin/env python3
"""Disk use under a write/delete cycle (issue 8): sends N messages of SIZE octets over SMTP to a
fresh daemon, measures the store on disk (all files, and the WAL alone) against the mail, deletes
everything over POP3, and times how long the space takes to come back (maintenance rounds every
second once the first one, a minute after the start, has run: GC, compaction). Usage: disk-cycle.py BUILD_DIR [N] [SIZE]. Takes ~70 s (the first round's minute).
"""
import os
import poplib
import smtplib
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../test/e2e"))
import pbtest  # noqa: E402


def du(path, suffix=""):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            if f.endswith(suffix):
                total += os.stat(os.path.join(root, f)).st_blocks * 512
    return total


def main():
    pbtest.BUILD = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    d = pbtest.Daemon()
    try:
        d.start()
        d.add_user("alice", "alicepw1")
        d.cli("setting", "set", "maintenance", '{"interval_s": 1}')
        body = "Subject: x\r\n\r\n" + ("y" * 76 + "\r\n") * (size // 78)
        left = list(range(n))
        lock = threading.Lock()

        def sender():
            s = smtplib.SMTP("127.0.0.1", d.ports["smtp"], timeout=60)
            while True:
                with lock:
                    if not left:
                        break
                    i = left.pop()
                s.sendmail("a@example.org", ["alice@localhost"], body.replace("x", str(i), 1))
            s.quit()
        t0 = time.monotonic()
        ts = [threading.Thread(target=sender) for _ in range(4)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        pbtest.wait_counts(d, {"alice": n}, timeout=120)
        mail = n * len(body)
        store = os.path.join(d.data_dir, "store")
        print("sent %d x %d octets in %.1f s" % (n, len(body), time.monotonic() - t0))
        print("mail %.1f MB, store %.1f MB (WAL %.1f MB): overhead %.1f MB" % (
            mail / 1e6, du(store) / 1e6, du(store, ".log") / 1e6, (du(store) - mail) / 1e6))
        # the first maintenance round comes a minute after the start; time from a steady state
        pbtest.wait_until(lambda: "event=round" in d.log(), timeout=90, interval=0.5,
                          what="the first maintenance round")
        p = poplib.POP3("127.0.0.1", d.ports["pop3"], timeout=60)
        p.user("alice")
        p.pass_("alicepw1")
        for i in range(1, n + 1):
            p.dele(i)
        p.quit()
        t0 = time.monotonic()
        pbtest.wait_until(lambda: du(store) < 0.1 * mail + 40e6, timeout=60, interval=0.2,
                          what="space back")
        print("deleted: store %.1f MB (WAL %.1f MB) after %.1f s" % (
            du(store) / 1e6, du(store, ".log") / 1e6, time.monotonic() - t0))
        d.stop()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main()
