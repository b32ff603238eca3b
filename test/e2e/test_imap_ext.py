"""End to end: the IMAP extensions of issue 11 (part 2) and real clients (part 5) against the
real daemon — COMPRESS=DEFLATE in clear and under TLS (993) with zlib as the client: the OK in
clear, a whole body fetched compressed, a second COMPRESS NO [COMPRESSIONACTIVE]; ENABLE
UTF8=ACCEPT, ID (name and version), QUOTA (GETQUOTAROOT with no root, an unknown mailbox NO
[NONEXISTENT], GETQUOTA and SETQUOTA refused); fetchmail over IMAP and IMAPS (the certificate
verified) collecting messages into an MDA; getmail6 over IMAP into an external MDA."""
import imaplib
import os
import re
import smtplib
import socket
import ssl
import subprocess
import sys
import unittest
import zlib

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from imaptest import close_quietly  # noqa: E402
from test_mail import message, run_tool  # noqa: E402
from test_tls import HOST, TlsCase  # noqa: E402


class Conn:
    """A raw IMAP client whose socket may go under TLS and then under DEFLATE."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.zin = self.zout = None
        self.wire = 0  # bytes received from the socket

    def send(self, data):
        if self.zout is not None:
            data = self.zout.compress(data) + self.zout.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.wire += len(data)
        if self.zin is not None:
            data = self.zin.decompress(data)
        self.buf += data

    def line(self):
        while b"\r\n" not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def take(self, n):
        while len(self.buf) < n:
            self._more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def command(self, tag, text):
        """Sends "tag text"; returns the untagged lines (literals inline) and the tagged one."""
        self.send(tag + b" " + text + b"\r\n")
        lines = []
        while True:
            line = self.line()
            m = re.search(rb"\{(\d+)\}$", line)
            if m:
                line += b"\r\n" + self.take(int(m.group(1))) + self.line()
            if line.startswith(tag + b" "):
                return lines, line
            lines.append(line)

    def compress(self):
        lines, done = self.command(b"z", b"COMPRESS DEFLATE")
        assert done == b"z OK DEFLATE active", done
        assert self.buf == b"", self.buf  # nothing may follow the OK in clear
        self.zin = zlib.decompressobj(-15)
        self.zout = zlib.compressobj(6, zlib.DEFLATED, -15)


class ImapExt(TlsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.body = b"".join(b"line %05d of a long and rather repetitive body\r\n" % i
                            for i in range(4000))
        with smtplib.SMTP("127.0.0.1", cls.d.ports["smtp"], timeout=60) as s:
            s.sendmail("sender@example.org", ["alice@%s" % cls.domain],
                       message(b"compressed", [cls.body.rstrip(b"\r\n")]))
        pbtest.wait_counts(cls.d, {"alice": 1})

    def conn(self, tls):
        sock = socket.create_connection(("127.0.0.1", self.port("imaps" if tls else "imap")),
                                        timeout=60)
        if tls:
            sock = self.ctx().wrap_socket(sock, server_hostname=HOST)
        self.addCleanup(sock.close)
        c = Conn(sock)
        greeting = c.line()
        self.assertIn(b" COMPRESS=DEFLATE ", greeting)
        return c

    def check_compressed_session(self, tls):
        c = self.conn(tls)
        self.assertTrue(c.command(b"a", b"LOGIN alice alicepw1")[1].startswith(b"a OK"))
        c.compress()
        caps, done = c.command(b"b", b"CAPABILITY")
        self.assertEqual(done, b"b OK Capability completed.")
        self.assertNotIn(b"COMPRESS=DEFLATE", caps[0])
        self.assertIn(b"a NO [COMPRESSIONACTIVE]", b"a " + c.command(b"c", b"COMPRESS DEFLATE")[1][2:])
        lines, done = c.command(b"d", b"SELECT INBOX")
        self.assertTrue(done.startswith(b"d OK [READ-WRITE]"), done)
        self.assertIn(b"* 1 EXISTS", lines)
        before = c.wire
        lines, done = c.command(b"e", b"FETCH 1 BODY.PEEK[TEXT]")
        self.assertEqual(done, b"e OK Fetch completed.")
        self.assertIn(self.body, lines[0])
        self.assertLess(c.wire - before, len(self.body) // 4)  # it did travel compressed
        lines, done = c.command(b"f", b"LOGOUT")
        self.assertEqual(lines, [b"* BYE Logging out"])

    def test_compress_in_clear(self):
        self.check_compressed_session(tls=False)

    def test_compress_under_tls(self):
        self.check_compressed_session(tls=True)

    def test_enable_id_quota(self):
        c = imaplib.IMAP4("127.0.0.1", self.port("imap"), timeout=60)
        self.addCleanup(close_quietly, c)
        for cap in ("QUOTA", "QUOTA=RES-STORAGE", "UTF8=ACCEPT", "COMPRESS=DEFLATE", "ID"):
            self.assertIn(cap, c.capabilities)
        c.login("alice", "alicepw1")
        typ, data = c.xatom("ID", '("name" "e2e")')
        self.assertEqual(typ, "OK")
        ident = c.untagged_responses.pop("ID")[0]
        self.assertRegex(ident, rb'^\("name" "Pillarbox" "version" "[0-9.]+" ')
        self.assertEqual(c.enable("UTF8=ACCEPT")[0], "OK")
        self.assertTrue(c.utf8_enabled)
        self.assertEqual(c.getquotaroot("INBOX"), ("OK", [[b'"INBOX"'], [None]]))  # no QUOTA
        typ, data = c.getquotaroot("nosuch")
        self.assertEqual(typ, "NO")
        self.assertIn("[NONEXISTENT]", repr(data))
        typ, data = c.getquota('""')
        self.assertEqual(typ, "NO")
        self.assertIn(b"[NONEXISTENT]", data[0])
        typ, data = c.setquota('""', "(STORAGE 1024)")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[CANNOT]", data[0])
        c.logout()


class ImapClients(TlsCase):
    """Real mail collectors from Debian against the daemon."""

    def deliver(self, subjects):
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            for subj in subjects:
                s.sendmail("sender@example.org", [self.alice()], message(subj, [b"body " + subj]))

    def test_fetchmail_imap_and_imaps(self):
        had = pbtest.user_counts(self.d).get("alice", (0, 0))[0]
        self.deliver([b"fm one", b"fm two"])
        pbtest.wait_counts(self.d, {"alice": had + 2})
        for name, svc, tls in (("imap", "imap", "sslproto tls1.2+ sslcertck"),
                               ("imaps", "imaps", "ssl sslcertck")):
            home = os.path.join(self.d.tmp, "fetchmail-" + name)
            out = os.path.join(home, "mbox")
            os.makedirs(home, exist_ok=True)
            p = pbtest.fetchmail(home, self.port(svc), "alice", "alicepw1",
                                 "keep fetchall %s sslcertfile %s sslcommonname %s mda \"cat >> %s\""
                                 % (tls, self.cafile, HOST, out), protocol="imap")
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            with open(out, "rb") as f:
                got = f.read()
            self.assertIn(b"Subject: fm one", got)
            self.assertIn(b"body fm two", got)

    def test_getmail_imap(self):
        had = pbtest.user_counts(self.d).get("alice", (0, 0))[0]
        self.deliver([b"gm one"])
        pbtest.wait_counts(self.d, {"alice": had + 1})
        home = os.path.join(self.d.tmp, "getmail")
        out = os.path.join(home, "mbox")
        os.makedirs(home, exist_ok=True)
        with open(os.path.join(home, "getmailrc"), "w") as f:
            f.write("[retriever]\ntype = SimpleIMAPRetriever\nserver = 127.0.0.1\nport = %d\n"
                    "username = alice\npassword = alicepw1\nmailboxes = (\"INBOX\",)\n\n"
                    "[destination]\ntype = MDA_external\npath = /usr/bin/tee\n"
                    "arguments = (\"-a\", \"%s\")\nallow_root_commands = true\n\n"
                    "[options]\nread_all = true\ndelete = false\n"
                    % (self.port("imap"), out))
        env = dict(os.environ, HOME=home)
        p = run_tool(["getmail", "--getmaildir", home, "--rcfile", "getmailrc"], env=env,
                     timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(out, "rb") as f:
            got = f.read()
        self.assertIn(b"Subject: gm one", got)
        self.assertIn(b"body gm one", got)


if __name__ == "__main__":
    unittest.main()
