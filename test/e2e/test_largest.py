"""End to end: the largest message the settings accept (smtp.max_message_size is at most
1 GiB) goes through SMTP and comes back whole over POP3 — bodies stream in chunks, so nothing
in the daemon depends on the size; one octet more is refused. Registered for the optimized
build only (a GiB through ASan would take minutes): scripts/test.sh runs it there."""
import hashlib
import os
import re
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402

GIB = 1 << 30
LINE = b"y" * 998 + b"\r\n"  # the longest line SMTP allows (1000 octets)


def reply(sock, buf):
    """Reads one SMTP reply (the last line of a multi-line one); returns (code, rest)."""
    while True:
        while b"\r\n" not in buf[0]:
            data = sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            buf[0] += data
        line, buf[0] = buf[0].split(b"\r\n", 1)
        if line[3:4] != b"-":
            return int(line[:3]), line


class Largest(unittest.TestCase):
    def setUp(self):
        self.d = pbtest.Daemon()
        self.d.start()
        self.d.add_user("big", "bigpass1")
        self.assertEqual(self.d.cli("setting", "set", "smtp",
                                    '{"max_message_size": %d, "data_timeout_s": 600}' % GIB)[0], 0)
        self.assertIn('"max_message_size": %d' % GIB, self.d.cli("setting", "show", "smtp")[1])
        # settings reach the SMTP sessions within seconds (the hub's next tick): wait for EHLO
        # to advertise the new limit rather than race it
        pbtest.wait_until(self.advertises_gib, timeout=30, what="EHLO advertising SIZE %d" % GIB)

    def advertises_gib(self):
        s = socket.create_connection(("127.0.0.1", self.d.ports["smtp"]), timeout=30)
        try:
            buf = [b""]
            reply(s, buf)
            s.sendall(b"EHLO client.test\r\n")
            return b"SIZE %d\r\n" % GIB in self.read_ehlo(s, buf)
        finally:
            s.close()

    @staticmethod
    def read_ehlo(s, buf):
        """The whole multi-line EHLO reply."""
        while not re.search(rb"(^|\r\n)250 [^\r\n]*\r\n", buf[0]):
            data = s.recv(65536)
            if not data:
                break
            buf[0] += data
        return buf[0]

    def tearDown(self):
        self.assertEqual(self.d.stop(), 0, getattr(self.d, "last_stderr", ""))
        self.d.cleanup()

    def smtp(self):
        s = socket.create_connection(("127.0.0.1", self.d.ports["smtp"]), timeout=600)
        buf = [b""]
        self.assertEqual(reply(s, buf)[0], 220)
        s.sendall(b"EHLO client.test\r\n")
        self.assertEqual(reply(s, buf)[0], 250)
        return s, buf

    def test_one_gib_in_and_out(self):
        s, buf = self.smtp()
        # one octet more than the limit, declared: refused before any data
        s.sendall(b"MAIL FROM:<a@example.org> SIZE=%d\r\n" % (GIB + 1))
        self.assertEqual(reply(s, buf)[0], 552)
        # exactly the limit: headers + lines + a last partial line = 1 GiB of content
        head = b"Subject: one GiB\r\n\r\n"
        tail_len = (GIB - len(head)) % len(LINE)
        n_lines = (GIB - len(head)) // len(LINE)
        tail = b"z" * (tail_len - 2) + b"\r\n"
        self.assertEqual(len(head) + n_lines * len(LINE) + len(tail), GIB)
        s.sendall(b"MAIL FROM:<a@example.org> SIZE=%d\r\nRCPT TO:<big@localhost>\r\nDATA\r\n" % GIB)
        self.assertEqual(reply(s, buf)[0], 250)
        self.assertEqual(reply(s, buf)[0], 250)
        self.assertEqual(reply(s, buf)[0], 354)
        digest = hashlib.sha256(head)
        s.sendall(head)
        block = LINE * 1024
        for _ in range(n_lines // 1024):
            s.sendall(block)
            digest.update(block)
        rest = LINE * (n_lines % 1024) + tail
        s.sendall(rest + b".\r\n")
        digest.update(rest)
        code, line = reply(s, buf)
        self.assertEqual(code, 250, line)
        s.sendall(b"QUIT\r\n")
        s.close()
        pbtest.wait_counts(self.d, {"big": 1}, timeout=300)

        p = socket.create_connection(("127.0.0.1", self.d.ports["pop3"]), timeout=600)
        f = p.makefile("rb")
        self.assertTrue(f.readline().startswith(b"+OK"))
        p.sendall(b"USER big\r\nPASS bigpass1\r\nLIST 1\r\nRETR 1\r\n")
        for _ in range(2):
            self.assertTrue(f.readline().startswith(b"+OK"))
        listed = int(f.readline().split()[2])  # "+OK 1 SIZE"
        self.assertEqual(f.readline(), b"+OK %d octets\r\n" % listed)
        # the RETR answer: the trace headers, then exactly what was sent
        body = hashlib.sha256()
        in_content = False
        total = 0
        while True:
            line = f.readline()
            if line == b".\r\n":
                break
            total += len(line)
            if not in_content:
                in_content = line == head.split(b"\r\n")[0] + b"\r\n"
            if in_content:
                body.update(line[1:] if line.startswith(b"..") else line)
        self.assertTrue(in_content)
        self.assertEqual(total, listed)
        self.assertGreater(total, GIB)
        self.assertEqual(body.hexdigest(), digest.hexdigest())
        p.sendall(b"QUIT\r\n")
        self.assertTrue(f.readline().startswith(b"+OK"))
        p.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
