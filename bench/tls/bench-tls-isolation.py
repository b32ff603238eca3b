#!/usr/bin/env python3
"""bench-tls-isolation.py: does a TLS handshake flood on an implicit-TLS port stall the
plaintext sessions of the same gateway? (issue 10, item 1: "handshakes must not stall other
sessions of the same gateway").

Against the real daemon (test/e2e/pbtest.py starts it from BUILD on free loopback ports with
the self-signed P-256 certificate it generates): one plaintext session per gateway sends a NOOP
every 2 ms and times each reply, first alone for SECONDS, then while FLOODERS `openssl s_time
-new` processes make full handshakes as fast as they can on the same gateway's TLS port
(POP3: 110 probed, 995 flooded; SMTP: 25 probed, 465 flooded). Printed per case: the probe's
reply latency (p50, p99, max, in ms) without and with the flood, the handshakes the flood
completed per second, and the CPU the gateway's hub thread used in that time (from
/proc/PID/task/*/stat: 100% = the thread was never idle).

Usage: bench/tls/bench-tls-isolation.py [--build DIR] [--seconds S] [--flooders N]
  --build     where pillarboxd and pillarbox are [build] (use an optimized build)
  --seconds   length of each phase [10]; four phases in all, so keep it at 12 or less
  --flooders  concurrent s_time processes [2]
OWNS: the daemon it starts and its temporary directory. THREAD: n/a (script).
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../test/e2e"))


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def hub_ticks(pid, name):
    """utime + stime (clock ticks) of the daemon's thread called name ("pop3-hub")."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip() != name:
                    continue
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            continue
    return total


class Probe:
    """A plaintext session answering NOOP: POP3 after USER/PASS, SMTP after EHLO."""

    def __init__(self, kind, port, user, password):
        self.kind = kind
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        self.reply()  # greeting
        if kind == "pop3":
            self.ask(b"USER %s\r\n" % user.encode())
            self.ask(b"PASS %s\r\n" % password.encode())
        else:
            self.ask(b"EHLO probe.example\r\n")

    def reply(self):
        """One reply (SMTP: its last line)."""
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise RuntimeError("the probe's session closed")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            if self.kind == "pop3" or line[3:4] != b"-":
                return line

    def ask(self, command):
        self.sock.sendall(command)
        line = self.reply()
        if not (line.startswith(b"+OK") or line[:1] in (b"2", b"3")):
            raise RuntimeError("probe: %r answered %r" % (command, line))
        return line

    def run(self, seconds, every_ms=2.0):
        """A NOOP every `every_ms` (paced: the probe measures the gateway, it does not load
        it) for `seconds`: the round trips' latencies in ms."""
        lat = []
        start = time.monotonic()
        nxt = start
        while nxt < start + seconds:
            t = time.perf_counter()
            self.ask(b"NOOP\r\n")
            lat.append((time.perf_counter() - t) * 1000)
            nxt += every_ms / 1000
            time.sleep(max(0.0, nxt - time.monotonic()))
        return lat


def flood(port, seconds, n):
    """n `openssl s_time -new` for `seconds` on port: the handshakes they completed."""
    procs = [subprocess.Popen(["openssl", "s_time", "-connect", "127.0.0.1:%d" % port, "-new",
                               "-time", str(int(seconds))], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True) for _ in range(n)]
    done = 0
    for p in procs:
        out, _ = p.communicate(timeout=seconds + 60)
        m = re.search(r"(\d+) connections in [\d.]+ real seconds", out)
        done += int(m.group(1)) if m else 0
    return done


def phase(d, probe, hub, seconds, flood_port, flooders):
    ticks = hub_ticks(d.proc.pid, hub)
    t0 = time.monotonic()
    result = {"hs": 0}
    th = None
    if flood_port is not None:
        th = threading.Thread(target=lambda: result.update(hs=flood(flood_port, seconds,
                                                                    flooders)))
        th.start()
    lat = probe.run(seconds)
    if th is not None:
        th.join()
    wall = time.monotonic() - t0
    hs = result["hs"] / wall
    cpu = (hub_ticks(d.proc.pid, hub) - ticks) / os.sysconf("SC_CLK_TCK") / wall * 100
    return lat, hs, cpu


def line(case, lat, hs, cpu):
    return "%-26s %7d %8.3f %8.3f %8.3f %9.0f %8.0f%%" % (
        case, len(lat), percentile(lat, 50), percentile(lat, 99), max(lat), hs, cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "../../build"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--flooders", type=int, default=2)
    a = ap.parse_args()
    os.environ["PB_BUILD_DIR"] = os.path.abspath(a.build)
    import pbtest
    pbtest.BUILD = os.environ["PB_BUILD_DIR"]
    d = pbtest.Daemon(extra_config="hostname = bench.pillarbox.test\n")
    try:
        d.start()
        d.add_user("probe", "probepw1")
        print("%-26s %7s %8s %8s %8s %9s %9s" % ("case", "noops", "p50 ms", "p99 ms", "max ms",
                                                  "hs/s", "hub cpu"))
        for kind, clear, tls in (("pop3", "pop3", "pop3s"), ("smtp", "smtp", "submissions")):
            probe = Probe(kind, d.ports[clear], "probe", "probepw1")
            hub = "%s-hub" % kind
            lat, hs, cpu = phase(d, probe, hub, a.seconds, None, 0)
            print(line("%s alone" % kind, lat, hs, cpu))
            lat, hs, cpu = phase(d, probe, hub, a.seconds, d.ports[tls], a.flooders)
            print(line("%s + %s flood" % (kind, tls), lat, hs, cpu))
            sys.stdout.flush()
    finally:
        d.stop()
        d.cleanup()


if __name__ == "__main__":
    main()
