"""End to end: the queue's SMTP client against the extensions a next hop offers (issue 12
item 1). A small SMTP peer written here offers a chosen set of EHLO keywords and keeps every
command line it read: SIZE= goes on MAIL FROM to a server that offers SIZE; a message larger
than the server's SIZE limit is bounced (DSN to the sender) without MAIL or DATA being sent;
with PIPELINING the client sends MAIL, RCPT and DATA before the peer answers MAIL; a smart host
offering only AUTH LOGIN gets the configured credentials through LOGIN; a peer offering
STARTTLS gets the transaction inside TLS (opportunistic, the default)."""
import base64
import os
import socket
import socketserver
import ssl
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import QueueBase  # noqa: E402

# How long the pipelining peer waits for RCPT and DATA before answering MAIL: a client that
# waits for the MAIL reply first is then answered (and the test fails).
PIPELINE_WAIT_S = 10


class ExtPeer(socketserver.ThreadingTCPServer):
    """An SMTP peer offering exts (EHLO keywords, "SIZE n" limiting MAIL's SIZE=); login: the
    (user, password) AUTH LOGIN accepts; tls: the server context STARTTLS wraps with; hold_mail:
    MAIL is answered only once the client's DATA arrived (pipelined), or after
    PIPELINE_WAIT_S. lines: every command line read; received: (mail, rcpts, data, in TLS)."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, exts, login=None, tls=None, hold_mail=False):
        self.exts, self.login, self.tls, self.hold_mail = exts, login, tls, hold_mail
        self.size = next((int(e.split()[1]) for e in exts if e.startswith("SIZE ")), 0)
        self.lines, self.received, self.auths, self.pipelined = [], [], [], []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), ExtHandler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


class ExtHandler(socketserver.BaseRequestHandler):
    def setup(self):
        self.sock, self.buf, self.tls = self.request, b"", False
        self.mail, self.rcpts = None, []

    def readline(self, timeout=60):
        """The next line without its CRLF, None at the end; socket.timeout after timeout
        (the bytes read so far stay buffered)."""
        self.sock.settimeout(timeout)
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def handle(self):
        self.reply("220 ext.example ESMTP")
        while True:
            line = self.readline()
            if line is None:
                return
            cmd = line.decode("utf-8", "replace")
            with self.server.lock:
                self.server.lines.append(cmd)
            if cmd[:4].upper() == "MAIL" and self.server.hold_mail:
                cmds = self.held(cmd)
            else:
                cmds = [cmd]
            for c in cmds:
                if c is None or not self.command(c):
                    return

    def held(self, mail):
        """MAIL and the commands after it up to DATA, read before MAIL is answered."""
        cmds = [mail]
        try:
            while cmds[-1][:4].upper() != "DATA":
                line = self.readline(PIPELINE_WAIT_S)
                if line is None:
                    return cmds + [None]
                cmds.append(line.decode("utf-8", "replace"))
                self.server.lines.append(cmds[-1])
            self.server.pipelined.append(True)
        except socket.timeout:
            self.server.pipelined.append(False)
        return cmds

    def command(self, cmd):
        """Answers one command; False: the connection ends."""
        verb = cmd[:4].upper()
        if verb == "EHLO":
            exts = [e for e in self.server.exts if not (self.tls and e == "STARTTLS")]
            self.sock.sendall(b"".join(b"250-%s\r\n" % e.encode() for e in ["ext.example"] + exts))
            self.reply("250 HELP")
        elif verb == "STAR" and self.server.tls is not None and not self.tls:
            self.reply("220 2.0.0 Ready to start TLS")
            self.sock = self.server.tls.wrap_socket(self.sock, server_side=True)
            self.tls = True
        elif cmd.upper() == "AUTH LOGIN" and self.server.login is not None:
            return self.auth_login()
        elif verb == "MAIL":
            return self.on_mail(cmd)
        elif verb == "RCPT":
            self.rcpts.append(cmd)
            self.reply("250 2.1.5 Ok")
        elif verb == "DATA":
            return self.on_data()
        elif verb == "QUIT":
            self.reply("221 2.0.0 Bye")
            return False
        elif verb in ("RSET", "NOOP"):
            self.reply("250 2.0.0 Ok")
        else:
            self.reply("502 5.5.2 not offered")
        return True

    def auth_login(self):
        self.reply("334 " + base64.b64encode(b"Username:").decode())
        user = self.readline()
        self.reply("334 " + base64.b64encode(b"Password:").decode())
        pw = self.readline()
        if user is None or pw is None:
            return False
        ok = (base64.b64decode(user), base64.b64decode(pw)) == self.server.login
        self.server.auths.append(ok)
        self.reply("235 2.7.0 Authentication successful" if ok else "535 5.7.8 wrong")
        return True

    def on_mail(self, cmd):
        size = [int(p[5:]) for p in cmd.split() if p.upper().startswith("SIZE=")]
        if size and self.server.size and size[0] > self.server.size:
            self.reply("552 5.3.4 message size exceeds fixed limit")
        else:
            self.mail, self.rcpts = cmd, []
            self.reply("250 2.1.0 Ok")
        return True

    def on_data(self):
        if self.mail is None or not self.rcpts:
            self.reply("554 5.5.1 no valid recipients")
            return True
        self.reply("354 End data with <CR><LF>.<CR><LF>")
        data = b""
        while True:
            line = self.readline()
            if line is None:
                return False
            if line == b".":
                break
            data += (line[1:] if line.startswith(b".") else line) + b"\r\n"
        self.server.received.append((self.mail, self.rcpts, data, self.tls))
        self.mail, self.rcpts = None, []
        self.reply("250 2.0.0 Ok: queued")
        return True


class QueueClientCase(QueueBase):
    @classmethod
    def setUpClass(cls):
        cls.login = ExtPeer(["AUTH LOGIN", "8BITMIME"], login=(b"relayuser", b"relay pw 1"))
        cls.start_daemon(cls.login.port)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(os.path.join(cls.d.data_dir, "cert.pem"),
                            os.path.join(cls.d.data_dir, "key.pem"))
        cls.pipe = ExtPeer(["PIPELINING", "SIZE 10000000", "8BITMIME"], hold_mail=True)
        cls.small = ExtPeer(["SIZE 2000", "8BITMIME"])
        cls.starttls = ExtPeer(["STARTTLS", "8BITMIME"], tls=tls)
        cls.peers = (cls.login, cls.pipe, cls.small, cls.starttls)
        cls.settings({"auth_user": "relayuser", "auth_password": "relay pw 1",
                      "routes": "pipe.example=127.0.0.1:%d small.example=127.0.0.1:%d "
                                "tls.example=127.0.0.1:%d"
                                % (cls.pipe.port, cls.small.port, cls.starttls.port)})

    @classmethod
    def tearDownClass(cls):
        for p in cls.peers:
            p.shutdown()
            p.server_close()
        cls.stop_daemon()

    def arrived(self, peer, marker):
        return pbtest.wait_until(lambda: [r for r in peer.received if marker in r[2]],
                                 timeout=60, what="the message at the peer")

    def test_size_sent_and_pipelined(self):
        marker = b"pipelined %f" % time.time()
        body = b"Subject: " + marker + b"\r\n\r\n" + b"x" * 3000 + b"\r\n"
        self.send(["one@pipe.example", "two@pipe.example"], body)
        mail, rcpts, data, _ = self.arrived(self.pipe, marker)[0]
        # RFC 1870: the server offers SIZE, so MAIL FROM says the size of what is sent
        self.assertEqual([int(p[5:]) for p in mail.split() if p.startswith("SIZE=")],
                         [len(data)], mail)
        self.assertEqual(rcpts, ["RCPT TO:<one@pipe.example>", "RCPT TO:<two@pipe.example>"])
        # RFC 2920: MAIL, both RCPTs and DATA came before the peer answered MAIL
        self.assertEqual(self.pipe.pipelined, [True])

    def test_larger_than_size_bounced_unsent(self):
        marker = "too big %f" % time.time()
        body = b"Subject: " + marker.encode() + b"\r\n\r\n" + (b"y" * 70 + b"\r\n") * 60
        self.send(["big@small.example"], body)
        dsn = pbtest.wait_until(
            lambda: [m for m in self.dsns("failed") if "big@small.example" in m.as_string()],
            timeout=60, what="the DSN for the message too big")[0]
        r = dsn.get_payload()[1].get_payload()[1]
        self.assertEqual(r["Final-Recipient"], "rfc822; big@small.example")
        self.assertEqual(r["Status"], "5.3.4")
        self.assertIn("larger than", r["Diagnostic-Code"])
        pbtest.wait_until(lambda: not self.find_entry("big@small.example"), timeout=60,
                          what="the entry gone from the queue")
        # refused on the EHLO's SIZE alone: no envelope, no body went to the peer
        verbs = [line[:4].upper() for line in self.small.lines]
        self.assertIn("EHLO", verbs)
        self.assertNotIn("MAIL", verbs)
        self.assertNotIn("DATA", verbs)
        self.assertEqual(self.small.received, [])

    def test_auth_login_to_smart_host(self):
        marker = b"through LOGIN %f" % time.time()
        self.send(["far@remote.example"], b"Subject: " + marker + b"\r\n\r\nbody\r\n")
        mail, rcpts, _, _ = self.arrived(self.login, marker)[0]
        self.assertEqual(rcpts, ["RCPT TO:<far@remote.example>"])
        self.assertIn(True, self.login.auths)
        self.assertNotIn(False, self.login.auths)
        self.assertIn("AUTH LOGIN", self.login.lines)
        # the password went base64 in the LOGIN exchange only, and never reached the log
        self.assertNotIn("relay pw 1", self.d.log())

    def test_opportunistic_starttls(self):
        marker = b"inside TLS %f" % time.time()
        self.send(["t@tls.example"], b"Subject: " + marker + b"\r\n\r\nbody\r\n")
        got = self.arrived(self.starttls, marker)
        self.assertEqual([r[3] for r in got], [True])  # the transaction ran inside TLS
        self.assertIn("STARTTLS", self.starttls.lines)
        # EHLO again after the handshake (RFC 3207 4.2), before MAIL
        verbs = [line[:4].upper() for line in self.starttls.lines]
        start = verbs.index("STAR")
        self.assertEqual(verbs[start + 1], "EHLO")
        self.assertLess(start, verbs.index("MAIL"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
