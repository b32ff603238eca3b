"""End to end: SMTP command and data timeouts (RFC 5321 4.5.3.2) and live settings."""
import os
import select
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402


class Conn:
    """An SMTP client socket with a reply reader that keeps what it read past a reply."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def reply(self, timeout=10.0):
        """Reads one (possibly multi-line) reply: (code, text), or (None, text) at EOF."""
        self.sock.settimeout(timeout)
        text = b""
        while True:
            while b"\r\n" in self.buf:
                line, self.buf = self.buf.split(b"\r\n", 1)
                text += line + b"\n"
                if len(line) >= 4 and line[3:4] == b" ":
                    return int(line[:3]), text.decode(errors="replace")
            chunk = self.sock.recv(4096)
            if not chunk:
                return None, text.decode(errors="replace")
            self.buf += chunk

    def close(self):
        self.sock.close()


def attempt(fn):
    """Runs one try of fn for wait_until: a socket timeout counts as 'not yet'."""
    def run():
        try:
            return fn()
        except socket.timeout:
            return False
    return run


class Timeouts(unittest.TestCase):
    def setUp(self):
        self.d = pbtest.Daemon()
        self.d.start()
        self.d.add_user("alice", "alicepw1")

    def tearDown(self):
        self.d.cleanup()

    def connect(self):
        c = Conn(self.d.ports["smtp"])
        self.assertEqual(c.reply()[0], 220)
        return c

    def set_smtp(self, doc):
        rc, _, err = self.d.cli("setting", "set", "smtp", doc)
        self.assertEqual(rc, 0, err)

    def test_command_timeout_closes_with_421(self):
        self.set_smtp('{"command_timeout_s": 1}')
        # the setting is reread within a few seconds: wait until a new session sees it
        def times_out():
            c = self.connect()
            start = time.monotonic()
            try:
                code, text = c.reply(timeout=4)
            finally:
                c.close()
            return code == 421 and "4.4.2" in text and time.monotonic() - start < 4
        pbtest.wait_until(attempt(times_out), timeout=40, interval=0.1, what="a 421 timeout")

    def test_data_timeout_closes_with_421_and_delivers_nothing(self):
        self.set_smtp('{"data_timeout_s": 1}')
        def data_times_out():
            c = self.connect()
            try:
                c.send(b"EHLO t\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@localhost>\r\nDATA\r\n")
                codes = [c.reply()[0] for _ in range(4)]
                self.assertEqual(codes, [250, 250, 250, 354])
                c.send(b"Subject: half\r\n\r\nnot finished")
                code, text = c.reply(timeout=4)
            finally:
                c.close()
            return code == 421
        pbtest.wait_until(attempt(data_times_out), timeout=40, interval=0.1, what="a 421 data timeout")
        rc, out, _ = self.d.cli("user", "list", "alice")
        self.assertEqual(out.splitlines()[1].split()[1], "0")

    def test_client_that_reads_nothing_is_bounded_and_dropped(self):
        """A client pipelines EHLO (about 25 octets of answer per octet sent) and reads none of
        the answers: past the gateway's output bound the daemon stops reading it (main at
        b349518 could read on and hold every answer, over 1 GB for 40 MB sent, when a read came
        while its output was blocked: test-net-loop checks that exactly), and after the command
        timeout its 421 waits at most NET_CLOSE_LINGER_MS (20 s) for a reader before the
        connection is dropped (it was held for good)."""
        self.set_smtp('{"command_timeout_s": 1}')
        def times_out():
            c = self.connect()
            try:
                return c.reply(timeout=4)[0] == 421
            finally:
                c.close()
        pbtest.wait_until(attempt(times_out), timeout=40, interval=0.1, what="a 421 timeout")
        s = socket.socket()
        self.addCleanup(s.close)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", self.d.ports["smtp"]))
        s.setblocking(False)
        chunk, sent, limit = b"EHLO x\r\n" * 1024, 0, 64 << 20
        deadline = time.monotonic() + 15
        while sent < limit and time.monotonic() < deadline:
            try:
                sent += s.send(chunk)
            except BlockingIOError:  # wait until the socket takes more (or the deadline)
                select.select([], [s], [], max(0.0, deadline - time.monotonic()))
        self.assertLess(sent, limit, "the daemon kept reading a client that reads nothing")
        dropped = None
        deadline = time.monotonic() + 60
        while dropped is None and time.monotonic() < deadline:
            try:
                s.send(b"x")
            except BlockingIOError:  # until writable (the peer read) or reset, or the deadline
                select.select([], [s], [s], max(0.0, deadline - time.monotonic()))
            except OSError as e:
                dropped = e
        self.assertIsNotNone(dropped, "the connection was held 60 s past its timeout")

    def test_max_recipients_setting_takes_effect_without_restart(self):
        for name in ("bob", "carol"):
            self.d.add_user(name, name + "pw12")
        self.set_smtp('{"max_recipients": 2}')
        def limited():
            c = self.connect()
            c.send(b"EHLO t\r\nMAIL FROM:<a@b.example>\r\n")
            self.assertEqual([c.reply()[0], c.reply()[0]], [250, 250])
            codes = []
            for name in (b"alice", b"bob", b"carol"):
                c.send(b"RCPT TO:<" + name + b"@localhost>\r\n")
                codes.append(c.reply()[0])
            c.send(b"QUIT\r\n")
            c.close()
            return codes == [250, 250, 452]
        pbtest.wait_until(limited, timeout=30, interval=0.2, what="452 after 2 recipients")


if __name__ == "__main__":
    unittest.main(verbosity=2)
