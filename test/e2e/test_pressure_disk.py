"""Pressure (issue 8, item 7): the disk fills under concurrent big messages.

A small tmpfs (PB_PRESSURE_DISK_MB, default 320) holds the data directory, with the default
64 MiB free-space reserve and a PB_PRESSURE_FILLER_MB (48) file of someone else's. Rounds of PB_PRESSURE_CLIENTS (12) clients each send one message of
PB_PRESSURE_MSG_MB (8) MiB at once, until a round gets refusals (452) or PB_PRESSURE_ROUNDS
rounds passed. Then:
  - the daemon is alive and answers (no abort, no wedge);
  - every 250-acknowledged message is in its mailbox exactly once, whole; a refused one is
    nowhere or whole (test_crash.check);
  - the filler is removed, and within PB_PRESSURE_RECOVER_S (60) seconds a new message is
    accepted again, without a restart (the recovery time is printed);
  - unless PB_PRESSURE_STRICT=0 (main at 8e0733a failed these, see bench/RESULTS.md): the free space
    never went below the reserve, the store is the mail plus at most PB_PRESSURE_OVERHEAD_MB
    (128), and once all the mail is deleted over POP3 a new message is accepted again;
  - after a clean restart every acknowledged message that was not deleted is there once.
Disk use (store size against the mail it holds) is printed as figures. Needs root (mount).
"""
import os
import poplib
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
import pressure  # noqa: E402
import test_crash  # noqa: E402

DISK_MB = pressure.env_int("PB_PRESSURE_DISK_MB", 320)
CLIENTS = pressure.env_int("PB_PRESSURE_CLIENTS", 12)
MSG_MB = pressure.env_int("PB_PRESSURE_MSG_MB", 8)
ROUNDS = pressure.env_int("PB_PRESSURE_ROUNDS", 4)
RECOVER_S = pressure.env_int("PB_PRESSURE_RECOVER_S", 60)
FILLER_MB = pressure.env_int("PB_PRESSURE_FILLER_MB", 48)
# PB_PRESSURE_STRICT (1 by default) adds the checks main at 8e0733a failed (issue 8, items 1, 2): free
# space never below the reserve, disk use the mail plus at most OVERHEAD_MB, and deleting the
# mail gives the space back without a restart.
STRICT = pressure.env_int("PB_PRESSURE_STRICT", 1)
RESERVE_MB = 64
OVERHEAD_MB = pressure.env_int("PB_PRESSURE_OVERHEAD_MB", 128)
USERS = ["disk%d" % i for i in range(3)]


def disk_used(path):
    """Octets of disk the files under path take (allocated blocks, preallocation included)."""
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
            except OSError:
                pass
    return total


def free_mib(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize // pressure.MIB


class DiskFills(unittest.TestCase):
    def setUp(self):
        self.mnt = pbtest.tempfile.mkdtemp(prefix="pb-pressure-disk-")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dM" % DISK_MB, "tmpfs", self.mnt], check=True)
        self.addCleanup(os.rmdir, self.mnt)
        self.addCleanup(subprocess.run, ["umount", self.mnt], check=False)
        self.d = pbtest.Daemon(data_dir=os.path.join(self.mnt, "var"))
        self.addCleanup(self.d.cleanup)

    def alive(self, what):
        self.assertIsNone(self.d.proc.poll(), "%s: pillarboxd exited (%r); log tail:\n%s"
                          % (what, self.d.proc.returncode, self.d.log()[-3000:]))
        rc, _, err = self.d.cli("status")
        self.assertEqual(rc, 0, "%s: status failed: %s" % (what, err))

    def delete_all(self, user):
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=120)
        p.user(user)
        p.pass_(pressure.password(user))
        n = p.stat()[0]
        for i in range(1, n + 1):
            p.dele(i)
        p.quit()
        return n

    def watch_free(self, done):
        """Records the least free space seen while a round runs."""
        while not done.wait(0.01):
            self.min_free = min(self.min_free, free_mib(self.mnt))

    def fill_rounds(self, ledger):
        self.min_free = free_mib(self.mnt)
        port = self.d.ports["smtp"]
        for rnd in range(ROUNDS):
            jobs = []
            for c in range(CLIENTS):
                mid = "<r%d.c%d@disk.pressure>" % (rnd, c)
                jobs.append((mid, ["%s@%s" % (USERS[c % len(USERS)], self.domain)],
                             pressure.content(mid, MSG_MB * pressure.MIB),
                             {"declare_size": c % 2 == 0}))  # half without SIZE=: the spool decides
            t0 = time.monotonic()
            done = threading.Event()
            watcher = threading.Thread(target=self.watch_free, args=(done,), daemon=True)
            watcher.start()
            try:
                codes = pressure.concurrent_sends(port, ledger, jobs)
            finally:
                done.set()
                watcher.join(10)
            print("round %d: %.1f s, replies %r, free %d MiB" % (
                rnd, time.monotonic() - t0, sorted(codes.values(), key=str), free_mib(self.mnt)), flush=True)
            self.alive("after round %d" % rnd)
            if any(code != 250 for code in codes.values()):
                return rnd + 1
        return ROUNDS

    def accepted_within(self, ledger, what):
        """Sends one message per try until one gets 250 (bounded); returns the seconds taken."""
        t0, attempt = time.monotonic(), [0]

        def accepted():
            attempt[0] += 1
            mid = "<%s.%d@disk.pressure>" % (what, attempt[0])
            return pressure.send_one(self.d.ports["smtp"], ledger, mid, ["%s@%s" % (USERS[0], self.domain)],
                                     pressure.content(mid, MSG_MB * pressure.MIB)) == 250
        try:
            pbtest.wait_until(accepted, timeout=RECOVER_S, interval=0.5, what="mail accepted again")
        except TimeoutError:
            raise AssertionError("%s: a %d MiB message is still refused after %d s (store %d MiB, %d MiB "
                                 "free on a %d MiB disk): %r" % (
                                     what, MSG_MB, RECOVER_S, disk_used(self.d.data_dir) // pressure.MIB,
                                     free_mib(self.mnt), DISK_MB, ledger.msgs["<%s.%d@disk.pressure>" % (
                                         what, attempt[0])]["reply"]))
        return time.monotonic() - t0

    def test_disk_fills_under_big_messages(self):
        self.d.start()
        self.domain = self.d.cli("domain", "list")[1].split()[0]
        pbtest.bulk_add_users(self.d, [(u, pressure.password(u)) for u in USERS])
        pressure.figure("disk_empty_store_mib", disk_used(self.d.data_dir) // pressure.MIB, "MiB")
        with open(os.path.join(self.mnt, "filler"), "wb") as f:
            f.write(b"\0" * FILLER_MB * pressure.MIB)
        ledger = test_crash.Ledger()
        rounds = self.fill_rounds(ledger)
        st = pressure.states(ledger)
        print("after %d rounds: %r" % (rounds, st), flush=True)
        self.assertGreater(st.get("acked", 0), 0, "nothing was accepted")
        self.assertGreater(sum(n for k, n in st.items() if k != "acked"), 0, "the disk never filled")

        problems, stored = pressure.exact_once_problems(self.d, ledger, USERS)
        self.assertEqual(problems, [], "\n".join(problems[:40]))
        mail = sum(len(pressure.content(mid, MSG_MB * pressure.MIB)) for mid, m in ledger.msgs.items()
                   if m["state"] == "acked")
        store = disk_used(self.d.data_dir)
        pressure.figure("disk_acked_messages", st.get("acked", 0))
        pressure.figure("disk_mail_mib", mail // pressure.MIB, "MiB")
        pressure.figure("disk_store_mib", store // pressure.MIB, "MiB")
        pressure.figure("disk_overhead_mib", (store - mail) // pressure.MIB, "MiB")
        pressure.figure("disk_min_free_mib", self.min_free, "MiB")
        if STRICT:
            self.assertGreaterEqual(self.min_free, RESERVE_MB - 1, "the disk filled past the reserve")
            self.assertLessEqual(store - mail, OVERHEAD_MB * pressure.MIB, "disk use is not the mail "
                                 "plus a bounded overhead")

        # space back (someone else's file removed): accepted again without a restart
        os.unlink(os.path.join(self.mnt, "filler"))
        pressure.figure("disk_recovery_after_free_s", "%.1f" % self.accepted_within(ledger, "freed"), "s")

        if STRICT:
            # every message deleted: the store's own space must come back without a restart
            for u in USERS:
                self.delete_all(u)
            for m in ledger.msgs.values():
                m["state"] = "deleted" if m["state"] in ("acked", "maybe") else m["state"]
            pressure.figure("disk_recovery_after_delete_s", "%.1f" % self.accepted_within(ledger, "deleted"), "s")
            pressure.figure("disk_store_after_delete_mib", disk_used(self.d.data_dir) // pressure.MIB, "MiB")

        # a clean restart finds every acknowledged message that was not deleted, once
        self.assertEqual(self.d.stop(), 0, getattr(self.d, "last_stderr", ""))
        self.d.start()
        self.alive("after the restart")
        problems, stored = pressure.exact_once_problems(self.d, ledger, USERS)
        self.assertEqual(problems, [], "\n".join(problems[:40]))
        self.assertEqual(self.d.stop(), 0, getattr(self.d, "last_stderr", ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
