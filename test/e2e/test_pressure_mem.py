"""Pressure (issue 8, item 7): memory floods. The daemon's peak resident set (VmHWM, from
/proc, reset before each case) must stay under PB_PRESSURE_RSS_MB (512) MiB whatever clients do:
  - slow uploads: PB_PRESSURE_MEM_CLIENTS (24) SMTP clients each send a PB_PRESSURE_MEM_MSG_MB
    (20) MiB message at once, paced to take about PB_PRESSURE_MEM_SECONDS (6) s;
  - slow readers: as many POP3 clients RETR that size of message and do not read;
  - BDAT PB_PRESSURE_BDAT_MB (200) MiB sent after `BDAT 4000000000 LAST` with no transaction.
Every 250 of the uploads must be stored once. Only in the optimized build (through ASan the
resident set means nothing). Prints the peaks as figures.
"""
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
import pressure  # noqa: E402
import test_crash  # noqa: E402

RSS_MB = pressure.env_int("PB_PRESSURE_RSS_MB", 512)
CLIENTS = pressure.env_int("PB_PRESSURE_MEM_CLIENTS", 24)
MSG_MB = pressure.env_int("PB_PRESSURE_MEM_MSG_MB", 20)
SECONDS = pressure.env_int("PB_PRESSURE_MEM_SECONDS", 6)
BDAT_MB = pressure.env_int("PB_PRESSURE_BDAT_MB", 200)
USERS = ["mem%d" % i for i in range(CLIENTS)]


class MemoryFloods(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()
        cls.domain = cls.d.cli("domain", "list")[1].split()[0]
        pbtest.bulk_add_users(cls.d, [(u, pressure.password(u)) for u in USERS])
        cls.pid = cls.d.proc.pid

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        cls.d.cleanup()
        assert rc == 0, "pillarboxd exited %r" % rc

    def peak_check(self, name, before):
        peak = pressure.pid_status_kb(self.pid, "VmHWM")
        pressure.figure("mem_%s_peak_kb" % name, peak, "kB")
        pressure.figure("mem_%s_growth_kb" % name, peak - before, "kB")
        self.assertIsNone(self.d.proc.poll(), "pillarboxd died")
        self.assertLess(peak, RSS_MB * 1024, "%s: peak RSS %d kB over the %d MiB bound" % (name, peak, RSS_MB))

    def test_1_slow_uploads(self):
        ledger = test_crash.Ledger()
        size = MSG_MB * pressure.MIB
        jobs = [("<up%d@mem.pressure>" % i, ["%s@%s" % (USERS[i], self.domain)],
                 pressure.content("<up%d@mem.pressure>" % i, size)) for i in range(CLIENTS)]
        pressure.reset_peak(self.pid)
        before = pressure.pid_status_kb(self.pid, "VmRSS")
        codes = pressure.concurrent_sends(self.d.ports["smtp"], ledger, jobs, pace_bps=size // SECONDS)
        print("slow uploads: replies %r" % sorted(codes.values(), key=str), flush=True)
        self.peak_check("slow_uploads_%dx%dm" % (CLIENTS, MSG_MB), before)
        self.assertGreater(pressure.states(ledger).get("acked", 0), 0)
        problems, _ = pressure.exact_once_problems(self.d, ledger, USERS)
        self.assertEqual(problems, [], "\n".join(problems[:40]))

    def test_2_slow_readers(self):
        mid = "<big@mem.pressure>"
        ledger = test_crash.Ledger()
        code = pressure.send_one(self.d.ports["smtp"], ledger, mid, ["%s@%s" % (u, self.domain) for u in USERS],
                                 pressure.content(mid, MSG_MB * pressure.MIB))
        self.assertEqual(code, 250)
        pressure.wait_delivered(self.d, ledger, USERS)
        socks = []
        self.addCleanup(lambda: [s.close() for s in socks])
        for u in USERS:  # logins one by one (each password check maps 16 MiB for a moment)
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(30)
            s.connect(("127.0.0.1", self.d.ports["pop3"]))
            c = pbtest.RawClient.__new__(pbtest.RawClient)
            c.sock, c.buf = s, b""
            self.assertTrue(c.line().startswith(b"+OK"))
            c.send(b"USER %s\r\nPASS %s\r\nSTAT\r\n" % (u.encode(), pressure.password(u).encode()))
            replies = [c.line() for _ in range(3)]
            self.assertTrue(all(r.startswith(b"+OK") for r in replies), replies)
            self.assertNotEqual(replies[2].split()[1], b"0", "%s has no message" % u)
            socks.append((s, c))
        pressure.reset_peak(self.pid)
        before = pressure.pid_status_kb(self.pid, "VmRSS")
        for s, c in socks:
            c.send(b"RETR 1\r\n")
        time.sleep(SECONDS)  # a measuring window: what the daemon holds for readers that stop
        self.peak_check("slow_readers_%dx%dm" % (CLIENTS, MSG_MB), before)
        for s, c in socks:
            s.close()
        socks.clear()
        pbtest.wait_until(lambda: pressure.busy_line(self.d.ports["pop3"]).startswith(b"+OK"),
                          timeout=30, what="POP3 after the readers left")

    def test_3_bdat_without_transaction(self):
        s = pressure.SmtpSender(self.d.ports["smtp"], timeout=30)
        pressure.reset_peak(self.pid)
        before = pressure.pid_status_kb(self.pid, "VmRSS")
        s.c.send(b"BDAT 4000000000 LAST\r\n")
        chunk = b"x" * pressure.MIB
        sent = 0
        try:
            for _ in range(BDAT_MB):
                s.sock.sendall(chunk)
                sent += 1
        except OSError as e:
            print("BDAT: the server closed after %d MiB (%s)" % (sent, e), flush=True)
        pressure.figure("mem_bdat_sent_mib", sent, "MiB")
        self.peak_check("bdat_no_tx_%dm" % BDAT_MB, before)
        s.sock.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
