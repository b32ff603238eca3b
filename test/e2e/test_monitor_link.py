"""End to end: how pillarbox-monitor reaches the status server (issue 14 items 1 and 5) — TLS
both ways the client offers, against the real daemon with a test certificate (made here with
openssl for the name status.pillarbox.test and the address 127.0.0.1, and configured as the
daemon's tls_certificate): implicit TLS on the statuss port and STARTTLS on the status port,
each verified against the certificate (--once --json answers, the screen in tmux says
"connected (TLSv1.3)"), and refused with another CA ("TLS failed", the exit code of a server
that cannot be asked). And the connect that never ends (a black-holed address: a local
listener whose accept queue is full drops the SYN): the screen says "connecting to ...",
answers keys meanwhile (q quits at once), and shows the reason when the deadline passes."""
import json
import os
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_monitor import MonitorBase  # noqa: E402
from test_tls import make_cert  # noqa: E402

CERT_DIR = tempfile.mkdtemp(prefix="pbmon-cert-")
CERT, KEY = make_cert(CERT_DIR, "status", "status.pillarbox.test",
                      san="DNS:status.pillarbox.test,IP:127.0.0.1")
OTHER_CA, _ = make_cert(CERT_DIR, "other", "other.pillarbox.test",
                        san="DNS:other.pillarbox.test,IP:127.0.0.1")


class BlackHole:
    """A listening port that never completes a connect: its accept queue (backlog 0) is full
    with one connection never accepted, so the kernel drops every later SYN."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.fill = []
        for _ in range(2):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", self.port))
            self.fill.append(s)

    def close(self):
        for s in self.fill + [self.sock]:
            s.close()


class MonitorLink(MonitorBase):
    extra_config = "tls_certificate = %s\ntls_key = %s\n" % (CERT, KEY)

    def tls_config(self, name, mode, port, ca=CERT):
        return self.config(name, "admin", "adminpw1", port=port,
                           extra="tls = %s\nca_file = %s\ntls_verify = yes\n" % (mode, ca))

    def once(self, conf):
        rc, out, err = self.run_monitor("--config", conf, "--once", "--json")
        return rc, out, err

    def check_tls(self, name, mode, svc):
        conf = self.tls_config(name, mode, self.d.ports[svc])
        rc, out, err = self.once(conf)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["server"], name)
        self.screen_start(name, conf)
        self.wait_screen(name, lambda s: "Link: connected (TLSv1.3)" in s, "connected over TLS")
        bad = self.tls_config(name + "-bad", mode, self.d.ports[svc], ca=OTHER_CA)
        rc, out, err = self.once(bad)
        self.assertEqual(rc, 3, out)
        self.assertIn("TLS failed", err)

    def test_implicit_tls(self):
        self.check_tls("implicit", "implicit", "statuss")

    def test_starttls(self):
        self.check_tls("starttls", "starttls", "status")

    def test_black_holed_connect_keeps_the_screen(self):
        hole = BlackHole()
        self.addCleanup(hole.close)
        conf = self.config("hole", "admin", "adminpw1", port=hole.port)
        self.screen_start("hole", conf)
        self.wait_screen("hole", lambda s: "Link: connecting to 127.0.0.1:%d ..." % hole.port
                         in s, "connecting on screen")
        # the reason once the connect's deadline (10 s) passed, and the next try announced
        self.wait_screen("hole", lambda s: "cannot connect: timed out (retrying in 1 s)" in s,
                         "the reason on screen", timeout=30)
        self.wait_screen("hole", lambda s: "Link: connecting to" in s, "connecting again")
        # keys answered while connecting: q ends the program at once, not at the deadline
        started = time.monotonic()
        self.keys("hole", "q")
        pbtest.wait_until(lambda: self.tmux("has-session", "-t", "hole").returncode != 0,
                          timeout=5, what="the monitor gone on q")
        self.assertLess(time.monotonic() - started, 5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
