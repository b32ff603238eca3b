"""End to end: the web gateway on several bindings (issue 15 item 1, "several bindings; HTTPS
through the TLS engine"). The bootstrap file names two `http_listen` bindings, 127.0.0.1:P1
and 127.0.0.2:P2: the REST API answers on both, each in clear HTTP and in HTTPS on the same port
(the generated self-signed certificate), a login made on one binding is valid on the other (one
gateway, one table of logins), and GET /api/bindings lists both. Bindings are bootstrap
settings, read at start only (docs/configuration.md; SIGHUP reopens logs and the certificate,
not listeners): after the second binding is removed from the file and the daemon restarted on
the same data, P2 refuses connections while P1 still answers."""
import http.client
import json
import os
import socket
import ssl
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_web_api import Client  # noqa: E402

SECOND_HOST = "127.0.0.2"


class TwoBindings(pbtest.Daemon):
    """A daemon whose http service has a second binding, SECOND_HOST:second_port (a fresh port
    whenever the file is written again, as for every other service), while second is true."""
    second = True

    def write_config(self):
        super().write_config()
        if self.second:
            self.second_port = pbtest.free_port()
            with open(self.config, "a") as f:
                f.write("http_listen = %s:%d\n" % (SECOND_HOST, self.second_port))


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the generated self-signed certificate
    return ctx


def get(host, port, path, cookie=None, tls=False):
    """GET path on host:port (HTTPS when tls); returns (status, JSON body or None)."""
    if tls:
        c = http.client.HTTPSConnection(host, port, timeout=30, context=tls_context())
    else:
        c = http.client.HTTPConnection(host, port, timeout=30)
    try:
        c.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        r = c.getresponse()
        raw = r.read()
        body = json.loads(raw) if r.getheader("Content-Type") == "application/json" else None
        return r.status, body
    finally:
        c.close()


class WebBindings(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = TwoBindings()
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def admin_cookie(self):
        c = Client(self.d.ports["http"])
        self.addCleanup(c.close)
        r, body = c.login("admin", self.d.admin_password)
        self.assertEqual(r.status, 200, body)
        return c.cookie

    def test_a_both_bindings_answer_in_http_and_https(self):
        cookie = self.admin_cookie()  # logged in on the first binding
        for host, port in (("127.0.0.1", self.d.ports["http"]), (SECOND_HOST, self.d.second_port)):
            for tls in (False, True):
                what = "%s:%d tls=%s" % (host, port, tls)
                self.assertEqual(get(host, port, "/api/me", tls=tls),
                                 (401, {"error": "log in first"}), what)
                status, me = get(host, port, "/api/me", cookie, tls)
                self.assertEqual((status, me["user"]), (200, "admin"), what)
        status, rows = get(SECOND_HOST, self.d.second_port, "/api/bindings", cookie)
        self.assertEqual(status, 200)
        http_rows = sorted((b["address"], b["port"]) for b in rows if b["service"] == "http")
        self.assertEqual(http_rows, sorted([("127.0.0.1", self.d.ports["http"]),
                                            (SECOND_HOST, self.d.second_port)]))

    def test_b_a_removed_binding_stops_answering_after_a_restart(self):
        removed = self.d.second_port
        self.assertEqual(get(SECOND_HOST, removed, "/api/me")[0], 401)
        self.d.stop()
        self.d.second = False
        self.d.write_config()  # new ports for every service, no second binding
        self.d.start()
        self.assertEqual(get("127.0.0.1", self.d.ports["http"], "/api/me")[0], 401)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection((SECOND_HOST, removed), timeout=30).close()
        cookie = self.admin_cookie()
        status, rows = get("127.0.0.1", self.d.ports["http"], "/api/bindings", cookie)
        self.assertEqual([(b["address"], b["port"]) for b in rows if b["service"] == "http"],
                         [("127.0.0.1", self.d.ports["http"])])


if __name__ == "__main__":
    unittest.main()
