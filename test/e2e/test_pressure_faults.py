"""Pressure (issue 8, item 7): I/O faults injected with libfiu during SMTP load.

The daemon runs under `fiu-run -x` (Debian fiu-utils: libfiu's POSIX preload). Four clients
send small messages in a loop (each one's fate in a test_crash.Ledger). For each fault in
FAULTS (or PB_PRESSURE_FAULTS, comma-separated names from it), `fiu-ctrl` enables the failure
point for the daemon's whole process (RocksDB's threads included) until PB_PRESSURE_FAULT_TRIES
(20) more transactions were tried or 3 s passed, then disables it. Then the daemon must either
accept mail again within PB_PRESSURE_RECOVER_S (30) s by itself, or have exited by itself with
a status (not a signal) and, restarted, accept mail: never stay wedged, accepting connections
and failing every write. After the last fault a clean restart must find every 250-acknowledged
message exactly once. Prints each fault's outcome and recovery time as figures.

libfiu fails every call of the wrapped function, whatever the descriptor (socket, pipe, file);
accept4 (what the listener calls) has no wrapper, so EMFILE on accept is covered by
test_pressure_conns instead. Only in the optimized build (ASan wants to be first preloaded).

The write faults are not in the default list (PB_PRESSURE_FAULTS names them): libfiu then fails
nng's writes to its own wake-up pipes too, which nng treats as impossible and aborts on — a
process-wide fault no disk produces, seen in some runs. The disk's EIO is covered here by
fsync/fdatasync EIO, and a write meeting a full disk by the real full-disk tests
(test_full_disk, test_pressure_disk).
"""
import errno
import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
import pressure  # noqa: E402
import test_crash  # noqa: E402

FAULTS = [
    ("posix/io/sync/fdatasync", errno.EIO),
    ("posix/io/sync/fsync", errno.EIO),
    ("posix/io/rw/write", errno.ENOSPC),
    ("posix/io/rw/write", errno.EIO),
    ("posix/io/rw/pwrite", errno.ENOSPC),
    ("posix/io/oc/open", errno.EMFILE),
]
TRIES = pressure.env_int("PB_PRESSURE_FAULT_TRIES", 20)
RECOVER_S = pressure.env_int("PB_PRESSURE_RECOVER_S", 30)
USERS = ["fault%d" % i for i in range(3)]


NOT_BY_DEFAULT = [("posix/io/rw/write", errno.EIO), ("posix/io/rw/write", errno.ENOSPC)]


def selected_faults():
    names = os.environ.get("PB_PRESSURE_FAULTS")
    if not names:
        return [f for f in FAULTS if f not in NOT_BY_DEFAULT]
    want = names.split(",")
    return [f for f in FAULTS if "%s:%s" % (f[0], errno.errorcode[f[1]]) in want or f[0] in want]


class Load:
    """Four clients sending 2-20 KB messages until stopped; counts tries and 250s."""

    def __init__(self, port, domain, ledger):
        self.port, self.domain, self.ledger = port, domain, ledger
        self.stop = threading.Event()
        self.tries = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.client, args=(t,), daemon=True) for t in range(4)]
        self.seq = 0

    def client(self, t):
        while not self.stop.is_set():
            with self.lock:
                self.seq += 1
                n = self.seq
                self.tries += 1
            mid = "<f%d@fault.pressure>" % n
            code = pressure.send_one(self.port(), self.ledger, mid, ["%s@%s" % (USERS[n % 3], self.domain)],
                                     pressure.content(mid, 2000 + 1000 * (n % 19)))
            if code != 250:
                self.stop.wait(0.05)  # the daemon is gone, restarting or refusing

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(120)
        return not any(t.is_alive() for t in self.threads)


class Faults(unittest.TestCase):
    def setUp(self):
        self.ctrl = os.path.join(pbtest.tempfile.mkdtemp(prefix="pb-fiu-"), "fiu-ctrl")
        self.d = pbtest.Daemon(wrapper=["fiu-run", "-x", "-f", self.ctrl])
        self.addCleanup(self.d.cleanup)

    def fiu(self, command):
        p = subprocess.run(["fiu-ctrl", "-f", self.ctrl, "-c", command, str(self.d.proc.pid)],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, "fiu-ctrl %s: %s" % (command, p.stderr))

    def window(self, load, name, err):
        """One fault window; returns (outcome, seconds to recover)."""
        self.fiu("enable name=%s,failnum=1,failinfo=%d" % (name, err))
        tries0, t0 = load.tries, time.monotonic()
        try:
            pbtest.wait_until(lambda: load.tries >= tries0 + TRIES or self.d.proc.poll() is not None,
                              timeout=3, what="transactions under the fault")
        except TimeoutError:
            pass  # a fault window is bounded in time as well
        if self.d.proc.poll() is None:
            self.fiu("disable name=%s" % name)
        t1, acked0 = time.monotonic(), self.ledger.acked()
        try:
            pbtest.wait_until(lambda: self.ledger.acked() >= acked0 + 5 or self.d.proc.poll() is not None,
                              timeout=RECOVER_S, interval=0.05, what="recovery")
        except TimeoutError:
            replies = [m["reply"] for m in list(self.ledger.msgs.values())[-40:] if m["reply"]]
            errors = [l for l in self.d.log().splitlines() if "level=error" in l]
            return "WEDGED (no 250 in %d s, the daemon runs; replies %r; last error: %s)" % (
                RECOVER_S, replies[-1:], errors[-1][-200:] if errors else None), None
        if self.d.proc.poll() is None:
            return "recovered", time.monotonic() - t1
        rc = self.d.proc.returncode
        err_tail = self.d.proc.stderr.read()[-300:]
        self.d.start()
        pbtest.wait_until(lambda: self.ledger.acked() >= acked0 + 5, timeout=RECOVER_S, what="mail after restart")
        what = "exited %s" % ("by signal %d" % -rc if rc < 0 else "with status %d" % rc)
        return "%s (%s), restarted" % (what, err_tail.strip().replace("\n", " | ")), time.monotonic() - t1

    def test_faults_during_smtp_load(self):
        self.d.start()
        domain = self.d.cli("domain", "list")[1].split()[0]
        pbtest.bulk_add_users(self.d, [(u, pressure.password(u)) for u in USERS])
        self.ledger = test_crash.Ledger()
        load = Load(lambda: self.d.ports["smtp"], domain, self.ledger)
        load.start()
        outcomes, bad = [], []
        try:
            for name, err in selected_faults():
                pbtest.wait_until(lambda: self.ledger.acked() >= 10, timeout=60, what="load before the fault")
                outcome, secs = self.window(load, name, err)
                label = "%s:%s" % (name, errno.errorcode[err])
                outcomes.append((label, outcome, secs))
                pressure.figure("fault %s" % label, outcome, "" if secs is None else "%.2f s" % secs)
                if secs is None or "signal" in outcome:
                    bad.append("%s: %s" % (label, outcome))
                if secs is None:  # wedged: get a working daemon back for the next fault
                    self.d.kill9()
                    self.d.start()
        finally:
            self.assertTrue(load.finish(), "a client hung")
        self.assertEqual(self.d.stop(), 0, getattr(self.d, "last_stderr", ""))
        self.d.start()
        problems, stored = pressure.exact_once_problems(self.d, self.ledger, USERS)
        print("faults: %r; messages %r; stored %r" % (outcomes, pressure.states(self.ledger), stored), flush=True)
        self.assertEqual(problems, [], "\n".join(problems[:40]))
        self.assertEqual(bad, [], "\n".join(bad))
        self.assertEqual(self.d.stop(), 0, getattr(self.d, "last_stderr", ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
