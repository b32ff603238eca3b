"""pbtest: start the real Pillarbox daemon on loopback for end-to-end tests.

A Daemon owns a temporary data directory and a bootstrap config with free 127.0.0.1 ports for
every service. start() waits (bounded) for the "ready" line; stop() sends SIGTERM and waits;
kill9() kills it hard; cli() runs build/pillarbox against it. Everything is bounded in time.
"""
import getpass
import os
import poplib
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BUILD = os.environ.get("PB_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
SERVICES = ["smtp", "submission", "submissions", "pop3", "pop3s", "imap", "imaps", "http", "status",
            "statuss"]
# Bounds on waits that are normally short, generous for the sanitizer build on a machine loaded
# 15-25 deep (2 cores), where a delivery or a clean stop takes several times longer than alone:
# a broken daemon still fails, later.
DELIVERY_TIMEOUT = 120.0
STOP_TIMEOUT = 120.0


def free_port():
    """A port that binds now, below the ephemeral range (32768+ on Linux), so the source port
    of some client connection cannot take it before the daemon binds it."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000..31999")


def wait_until(predicate, timeout=10.0, interval=0.02, what="condition"):
    """Polls predicate until it returns a true value or timeout passes; returns the value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for " + what)
        time.sleep(interval)


class Daemon:
    def __init__(self, admin_password="adminpw1", extra_config="", data_dir=None, wrapper=None,
                 log_file=True):
        """wrapper: argv put before pillarboxd (e.g. ["prlimit", "--nofile=256:256", "--"]).
        log_file: True (TMP/pillarbox.log), None (not configured: the daemon's default,
        DATA_DIR/pillarbox.log) or a value for the log_file key."""
        self.wrapper = list(wrapper or [])
        self.tmp = tempfile.mkdtemp(prefix="pb-e2e-")
        self.data_dir = data_dir or os.path.join(self.tmp, "var")
        self.log_file = os.path.join(self.tmp, "pillarbox.log") if log_file is True else log_file
        self.log_path = self.log_file or os.path.join(self.data_dir, "pillarbox.log")
        self.config = os.path.join(self.tmp, "pillarbox.conf")
        self.extra_config = extra_config
        self.write_config()
        self.admin_password = admin_password
        self.proc = None
        self.stdout_lines = []
        self.port_retries = 0

    def write_config(self):
        """New free ports for every service, and the bootstrap file naming them."""
        self.ports = {svc: free_port() for svc in SERVICES}
        with open(self.config, "w") as f:
            f.write("data_dir = %s\n" % self.data_dir)
            if self.log_file is not None:
                f.write("log_file = %s\n" % self.log_file)
            for svc, port in self.ports.items():
                f.write("%s_listen = 127.0.0.1:%d\n" % (svc, port))
            f.write(self.extra_config)

    def env(self):
        env = dict(os.environ)
        env["PILLARBOX_DATA_DIR"] = self.data_dir
        if self.admin_password is not None:
            env["PILLARBOX_ADMIN_PASSWORD"] = self.admin_password
        else:
            env.pop("PILLARBOX_ADMIN_PASSWORD", None)
        return env

    def start(self, timeout=20.0, expect_ready=True, env=None, stderr=subprocess.PIPE):
        """env: extra environment variables; stderr: where the daemon's stderr goes."""
        self.stdout_lines = []
        self.proc = subprocess.Popen(
            self.wrapper + [os.path.join(BUILD, "pillarboxd"), "--config", self.config],
            stdout=subprocess.PIPE, stderr=stderr, env=dict(self.env(), **(env or {})), text=True)
        if not expect_ready:
            return self
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line == "":
                err = self.proc.stderr.read() if self.proc.stderr else ""
                self.proc.wait(timeout=30)
                if "the address is in use" in err and self.port_retries < 3:
                    # another test's daemon took a port between free_port and the bind
                    self.port_retries += 1
                    self.write_config()
                    return self.start(timeout, expect_ready, env, stderr)
                raise RuntimeError("pillarboxd exited before ready: " + err)
            self.stdout_lines.append(line.rstrip("\n"))
            if "pillarboxd: ready" in line:
                return self
        raise TimeoutError("pillarboxd did not become ready")

    def wait_exit(self, timeout=STOP_TIMEOUT):
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def stop(self, timeout=STOP_TIMEOUT):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        rc, _, err = self.wait_exit(timeout)
        self.last_stderr = err
        return rc

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=30)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def cli(self, *args, input=None, timeout=60.0):
        p = subprocess.run([os.path.join(BUILD, "pillarbox"), "--data-dir", self.data_dir] + list(args),
                           input=input, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def add_user(self, name, password):
        rc, out, err = self.cli("user", "add", name, input=password + "\n")
        if rc != 0:
            raise RuntimeError("user add %s failed: %s" % (name, err))

    def users(self):
        rc, out, err = self.cli("user", "list")
        if rc != 0:
            raise RuntimeError("user list failed: " + err)
        return [line.split()[0] for line in out.splitlines()[1:] if line.strip()]

    def local_domain(self):
        """The first local domain (the one the daemon made for itself unless told)."""
        rc, out, err = self.cli("domain", "list")
        if rc != 0:
            raise RuntimeError("domain list failed: " + err)
        return out.split()[0]

    def stderr_rest(self):
        """What the daemon wrote to stderr and nobody read yet ("" once kill9() or stop() read
        it, or when it was not piped)."""
        try:
            return self.proc.stderr.read() if self.proc.stderr is not None else ""
        except ValueError:  # closed: communicate() read it
            return ""

    def stop_checked(self):
        """Stops the daemon and removes its files, then raises AssertionError unless it was
        still alive, exited 0 and reported no sanitizer error (the end of a test class)."""
        try:
            alive = self.proc.poll() is None
            rc = self.stop()
            err = getattr(self, "last_stderr", "") if alive else self.stderr_rest()
        finally:
            self.cleanup()
        assert alive, "the daemon died during the tests: " + (err or "")[-3000:]
        assert rc == 0 and "Sanitizer" not in err and "runtime error" not in err, err[-3000:]

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.kill9()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---- helpers added for the mail tests (test_mail.py, test_crash.py) ----

def user_counts(daemon):
    """Per-user (messages, size) from `pillarbox user list`, as a dict keyed by user name."""
    rc, out, err = daemon.cli("user", "list")
    if rc != 0:
        raise RuntimeError("user list failed: " + err)
    counts = {}
    for line in out.splitlines()[1:]:
        f = line.split()
        if len(f) == 3:
            counts[f[0]] = (int(f[1]), int(f[2]))
    return counts


def wait_counts(daemon, expected, timeout=DELIVERY_TIMEOUT):
    """Waits until every user named in expected ({name: messages}) has that many messages;
    returns the last user_counts(). Raises TimeoutError naming the difference."""
    last = {}

    def check():
        last.update(user_counts(daemon))
        return all(last.get(u, (None,))[0] == n for u, n in expected.items())
    try:
        wait_until(check, timeout=timeout, interval=0.05, what="message counts")
    except TimeoutError:
        diff = {u: (last.get(u, (None,))[0], n) for u, n in expected.items()
                if last.get(u, (None,))[0] != n}
        raise TimeoutError("message counts (have, want): %r" % diff)
    return last


def bulk_add_users(daemon, pairs, timeout=300.0):
    """Adds [(name, password), ...] with one `pillarbox user bulk-add`."""
    path = os.path.join(daemon.tmp, "bulk-users.csv")
    with open(path, "w") as f:
        for name, password in pairs:
            f.write("%s,%s\n" % (name, password))
    rc, out, err = daemon.cli("user", "bulk-add", path, timeout=timeout)
    if rc != 0:
        raise RuntimeError("bulk-add failed: " + err)


def pop3_from(port, source, timeout=60.0):
    """A poplib.POP3 to 127.0.0.1:port whose socket is bound to the loopback address source
    (any of 127/8 on Linux), greeted (its welcome read): a second client address for tests of
    per-address locks and blocks."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                    source_address=(source, 0))
    p = poplib.POP3.__new__(poplib.POP3)
    p.host, p.port, p.sock, p._tls_established = "127.0.0.1", port, sock, False
    p.file = sock.makefile("rb")
    p._debugging = 0
    p.welcome = p._getresp()
    return p


def pop3_login(port, user, password, source="127.0.0.1"):
    """Whether USER/PASS over POP3 from the loopback address source is taken (the answer to
    PASS: +OK or -ERR); the connection is closed after."""
    p = pop3_from(port, source)
    try:
        p.user(user)
        p.pass_(password)
        return True
    except poplib.error_proto:
        return False
    finally:
        p.close()


class RawClient:
    """A line-oriented client on a raw socket: send bytes exactly as given, read replies.
    Every read is bounded by the socket timeout."""

    def __init__(self, port, timeout=30.0, source=None):
        """source: a loopback address (127/8 on Linux) to connect from; None: 127.0.0.1."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        """One line without its CRLF; b'' at end of stream (or what was left unterminated)."""
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                rest, self.buf = self.buf, b""
                return rest
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def smtp_reply(self):
        """One SMTP reply, multi-line joined: (code, text of the last line); (None, b'') at EOF."""
        while True:
            line = self.line()
            if len(line) < 3:
                return None, line
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), line[4:]

    def smtp_replies(self, n):
        return [self.smtp_reply() for _ in range(n)]

    def all_smtp_replies(self):
        """Every reply until the server closes the connection."""
        replies = []
        while True:
            code, text = self.smtp_reply()
            if code is None:
                return replies
            replies.append((code, text))

    def close(self):
        self.sock.close()


def fetchmail(home, port, user, password, options, extra_args=(), timeout=120,
              protocol="pop3"):
    """Runs fetchmail once with its own HOME (created) and an rcfile polling 127.0.0.1:port over
    protocol (POP3 unless told) for user; options: the rcfile's further words for that user (mda, keep, TLS...).
    Returns the completed process (stdout and stderr as bytes)."""
    os.makedirs(home, exist_ok=True)
    rcfile = os.path.join(home, "fetchmailrc")
    with open(rcfile, "w") as f:
        f.write("set no syslog\n"
                "poll 127.0.0.1 service %d protocol %s auth password timeout 60\n"
                "  user \"%s\" there with password \"%s\" is \"%s\" here\n"
                "  %s\n" % (port, protocol, user, password, getpass.getuser(), options))
    os.chmod(rcfile, 0o600)
    env = dict(os.environ, HOME=home, FETCHMAILHOME=home)
    # its own lock file: as root fetchmail's default is /var/run/fetchmail.pid, which another
    # test's fetchmail running at the same time holds
    return subprocess.run(["fetchmail", "--nosyslog", "-f", rcfile, "-i",
                           os.path.join(home, "ids"), "--pidfile",
                           os.path.join(home, "fetchmail.pid")] + list(extra_args),
                          env=env, capture_output=True, timeout=timeout)
