"""pressure: helpers shared by the pressure tests (issue 8, item 7) and bench/pressure.

Big messages with unique Message-IDs sent over raw SMTP sockets (the client's view of each
recorded in a test_crash.Ledger: "not sent", "maybe", "acked"), the exact-once check after a
POP3 download (test_crash.download and test_crash.check), and measurements of the daemon from
outside: CPU time and peak resident set from /proc, descriptors in use.

Sizes and counts come from the environment (PB_PRESSURE_*) so bench/pressure/run.sh can run
the same tests bigger than CI does; every test prints its figures as lines starting "figure ".
"""
import base64
import hashlib
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
import test_crash  # noqa: E402

MIB = 1024 * 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")


def env_int(name, default):
    return int(os.environ.get(name, default))


def figure(name, value, unit=""):
    """One measured figure, in a form bench/pressure/run.sh collects."""
    print("figure %s %s %s" % (name, value, unit), flush=True)


def password(user):
    return test_crash.password(user)


def content(mid, size):
    """A message of about size octets: a header with mid, base64 lines (no dot-stuffing
    needed, none starts with a dot) from a pseudo-random stream seeded by mid."""
    head = ("Message-ID: %s\r\nSubject: pressure %s\r\nFrom: p@example.org\r\n\r\n" % (mid, mid)).encode()
    seed = hashlib.sha256(mid.encode()).digest()
    block = base64.encodebytes(seed * 1755).replace(b"\n", b"\r\n")  # ~76 KiB of 76-char lines
    n = max(1, (size - len(head)) // len(block))
    return head + block * n


def pid_status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def reset_peak(pid):
    """VmHWM restarts at the current VmRSS."""
    with open("/proc/%d/clear_refs" % pid, "w") as f:
        f.write("5")


def cpu_seconds(pid):
    """User + system CPU time of every thread of pid so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_share(pid, seconds):
    """The daemon's CPU use over the next seconds, as a share of one core (1.0 = a spinning
    thread). A measuring window, not a wait for a condition."""
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def fds_open(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


class SmtpSender:
    """One SMTP connection on a raw socket; send() runs one transaction and records its fate
    in the ledger. pace_bps > 0 sends the content at about that many octets per second."""

    def __init__(self, port, source=None, timeout=60.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.c = pbtest.RawClient.__new__(pbtest.RawClient)
        self.c.sock, self.c.buf = self.sock, b""
        code, text = self.c.smtp_reply()
        self.greeting = (code, text)
        if code != 220:
            raise ConnectionError("greeting %r %r" % (code, text))
        self.cmd(b"EHLO pressure.example.org", 250)

    def cmd(self, line, want=None):
        self.c.send(line + b"\r\n")
        code, text = self.c.smtp_reply()
        if want is not None and code != want:
            raise ConnectionError("%s -> %r %r" % (line[:40], code, text))
        return code, text

    def send(self, ledger, mid, rcpts, data, pace_bps=0, chunk=256 * 1024, declare_size=True):
        """Returns the final reply code (None when the connection broke)."""
        ledger.add(mid, [r.split("@")[0] for r in rcpts], hashlib.sha256(data).hexdigest())
        size = b" SIZE=%d" % len(data) if declare_size else b""
        code, text = self.cmd(b"MAIL FROM:<p@example.org>" + size)
        if code != 250:
            ledger.set(mid, "not sent", (code, text))
            self.cmd(b"RSET")
            return code
        for r in rcpts:
            code, text = self.cmd(b"RCPT TO:<%s>" % r.encode())
            if code != 250:
                ledger.set(mid, "not sent", (code, text))
                self.cmd(b"RSET")
                return code
        code, text = self.cmd(b"DATA")
        if code != 354:
            ledger.set(mid, "not sent", (code, text))
            self.cmd(b"RSET")
            return code
        ledger.set(mid, "maybe")
        t0 = time.monotonic()
        for off in range(0, len(data), chunk):
            self.c.send(data[off:off + chunk])
            if pace_bps:
                ahead = (off + chunk) / pace_bps - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)  # pacing the upload, not waiting for a condition
        self.c.send(b".\r\n")
        code, text = self.c.smtp_reply()
        ledger.set(mid, "acked" if code == 250 else "maybe", (code, text))
        return code

    def close(self):
        try:
            self.c.send(b"QUIT\r\n")
        except OSError:
            pass
        self.sock.close()


def send_one(port, ledger, mid, rcpts, data, **kw):
    """A whole session for one message; the final code, or None when the connection broke
    (the ledger then says "maybe" or "not sent")."""
    try:
        s = SmtpSender(port)
    except OSError:
        return None
    try:
        return s.send(ledger, mid, rcpts, data, **kw)
    except OSError:
        return None
    finally:
        s.sock.close()


def concurrent_sends(port, ledger, jobs, **kw):
    """jobs: [(mid, rcpts, data[, kw])], each in its own thread at once; returns {mid: code}."""
    codes = {}
    lock = threading.Lock()

    def run(mid, rcpts, data, job_kw=None):
        code = send_one(port, ledger, mid, rcpts, data, **dict(kw, **(job_kw or {})))
        with lock:
            codes[mid] = code
    threads = [threading.Thread(target=run, args=j, daemon=True) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    if any(t.is_alive() for t in threads):
        raise AssertionError("a sending client hung for 600 s")
    return codes


def wait_delivered(daemon, ledger, users, timeout=120.0):
    """Waits until each user has at least its acknowledged messages and the counts stayed the
    same for 2 s (the spool has nothing left to deliver)."""
    need = {u: 0 for u in users}
    for m in ledger.msgs.values():
        if m["state"] == "acked":
            for r in m["rcpts"]:
                need[r] += 1
    seen = {"counts": None, "since": time.monotonic()}

    def settled():
        counts = {u: n for u, (n, _) in pbtest.user_counts(daemon).items() if u in need}
        if counts != seen["counts"]:
            seen["counts"], seen["since"] = counts, time.monotonic()
        return (all(counts.get(u, 0) >= n for u, n in need.items())
                and time.monotonic() - seen["since"] >= 2.0)
    try:
        pbtest.wait_until(settled, timeout=timeout, interval=0.1, what="the spool to drain")
    except TimeoutError:
        raise AssertionError("spool did not drain: have %r, acknowledged %r" % (seen["counts"], need))


def exact_once_problems(daemon, ledger, users):
    """Waits for the spool to drain, downloads every mailbox and returns
    (problems, {user: messages stored})."""
    wait_delivered(daemon, ledger, users)
    boxes = {u: test_crash.download(daemon, u) for u in users}
    return test_crash.check(ledger, boxes), {u: len(m) for u, m in boxes.items()}


def states(ledger):
    out = {}
    for m in ledger.msgs.values():
        key = m["state"] if m["state"] != "maybe" or m["reply"] is None else "refused(%s)" % m["reply"][0]
        out[key] = out.get(key, 0) + 1
    return out


def busy_line(port, source=None, timeout=10.0):
    """Connects and returns the first line the server sends (b'' when it closes silently,
    None when nothing came within timeout)."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                     source_address=(source, 0) if source else None)
    except OSError as e:
        return "connect: %s" % e
    try:
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(512)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n")[0]
    except socket.timeout:
        return None
    except OSError as e:
        return "recv: %s" % e
    finally:
        s.close()
