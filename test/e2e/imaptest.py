"""imaptest: what the IMAP end-to-end tests share — one daemon per test class with numbered users
(ImapCase: new_user, deliver, login, raw and ok lines over imaplib's connection), a raw IMAP
client on a socket (Raw), and the small helpers (read_line, close_quietly). Every wait is
bounded: imaplib's and the sockets' timeouts, pbtest.wait_counts."""
import imaplib
import os
import re
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402

PASSWORD = "secretpw1"


def close_quietly(c):
    """Closes an imaplib client whatever its state (LOGOUT already closed it)."""
    try:
        c.shutdown()
    except OSError:
        pass


def read_line(c):
    """One line from imaplib's connection (its socket timeout bounds the wait)."""
    line = c.readline()
    if not line:
        raise EOFError("connection closed")
    return line.rstrip(b"\r\n")


def deliver(daemon, domain, name, messages):
    """Sends messages (bytes) to name@domain over one SMTP connection, in order."""
    with smtplib.SMTP("127.0.0.1", daemon.ports["smtp"], timeout=60) as s:
        for m in messages:
            s.sendmail("sender@example.org", ["%s@%s" % (name, domain)], m)


class Raw(pbtest.RawClient):
    """A raw IMAP client, from another loopback address if told."""

    def __init__(self, port, source="127.0.0.1", timeout=30.0):
        super().__init__(port, timeout=timeout, source=source)

    def until_tagged(self, tag):
        """Lines up to and including the one tagged tag (b"" at end of stream ends them)."""
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if line.startswith(tag + b" ") or line == b"":
                return lines

    def response(self, tag):
        """The lines up to the tagged one, each literal folded in as {n}<CRLF> + its octets."""
        out = []
        while True:
            line = self.line()
            while True:
                m = re.search(rb"~?\{(\d+)\}$", line)
                if not m:
                    break
                lit = self.take(int(m.group(1)))
                line = line + b"<CRLF>" + lit + self.line()
            out.append(line)
            if line.startswith(tag + b" ") or line == b"":
                return out

    def take(self, n):
        """Exactly n octets (EOFError if the stream ends first)."""
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed inside a literal")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def cmd(self, tag, text):
        self.send(tag + b" " + text + b"\r\n")
        return self.response(tag)


class ImapCase(unittest.TestCase):
    """One daemon per class (extra_config added to its bootstrap file), checked when it stops:
    alive, a clean exit, no sanitizer report. Users are numbered user_prefix1, 2, ... with
    PASSWORD."""
    user_prefix = "imapuser"
    extra_config = ""
    user = 0

    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon(extra_config=cls.extra_config)
        cls.d.start()
        cls.domain = cls.d.local_domain()
        cls.user = 0

    @classmethod
    def tearDownClass(cls):
        cls.d.stop_checked()

    def new_user(self, messages=()):
        """A fresh user with messages (bytes) delivered by SMTP, in order, and stored."""
        type(self).user += 1
        name = "%s%d" % (self.user_prefix, self.user)
        self.d.add_user(name, PASSWORD)
        if messages:
            deliver(self.d, self.domain, name, messages)
        pbtest.wait_counts(self.d, {name: len(messages)})
        return name

    def deliver(self, name, msg):
        deliver(self.d, self.domain, name, [msg])

    def login(self, name):
        """An imaplib client logged in as name (closed when the test ends)."""
        c = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60)
        self.addCleanup(close_quietly, c)
        self.assertEqual(c.login(name, PASSWORD)[0], "OK")
        return c

    def raw(self, c, line):
        """Sends line (bytes, CRLF added) on imaplib's connection; returns the lines up to the
        tagged answer."""
        tag = line.split(b" ", 1)[0]
        c.send(line + b"\r\n")
        lines = []
        while True:
            lines.append(read_line(c))
            if lines[-1].startswith(tag + b" "):
                return lines

    def ok(self, c, line):
        """raw() that asserts the tagged answer is OK."""
        lines = self.raw(c, line)
        self.assertTrue(lines[-1].split(b" ", 2)[1] == b"OK", lines)
        return lines
