"""End to end: the web gateway on its port (issue 15 item 1), with real clients — curl and
Python's http.client. Checked: the pages served with their type, entity tag and the security
headers; 304 for a current copy; gzip taken by curl --compressed and byte-equal once inflated;
HEAD; keep-alive and pipelined requests answered in order on one connection; refusals (traversal
in every spelling, a head too large 431, a body too large 413, an unknown method 501, a request
that never ends 408, an idle connection closed); the same port speaking HTTPS (TLS detected from
the first byte) with HSTS, and clear requests redirected to https:// once a real certificate is
configured; the connection limit (503); a large page written as the client reads it."""
import hashlib
import http.client
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_tls import make_cert  # noqa: E402

SOURCE_PAGES = os.path.join(os.path.dirname(__file__), "..", "..", "web", "static")


def curl(*args, timeout=60):
    p = subprocess.run(["curl", "-sS"] + list(args), capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def head_fields(raw):
    """The status and the lowercased fields of the first response in raw bytes."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    fields = {}
    for line in head[1:]:
        k, _, v = line.partition(":")
        fields[k.strip().lower()] = v.strip()
    return int(head[0].split()[1]), fields


def responses(data):
    """The responses in a stream, each (status, fields, body), split by Content-Length."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise AssertionError("a response without the end of its head: %r" % data[:200])
        status, fields = head_fields(head + sep)
        n = int(fields.get("content-length", "0")) if status not in (204, 304) else 0
        out.append((status, fields, rest[:n]))
        data = rest[n:]
    return out


def recv_until_closed(sock, limit=1 << 22):
    data = b""
    while len(data) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class WebBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pages = tempfile.mkdtemp(prefix="pb-web-pages-")
        os.makedirs(os.path.join(cls.pages, "admin"))
        with open(os.path.join(cls.pages, "index.html"), "w") as f:
            f.write("<!DOCTYPE html><p>home</p>\n")
        with open(os.path.join(cls.pages, "admin", "index.html"), "w") as f:
            f.write("<p>admin</p>\n")
        # compressible and larger than one write (written as the client reads)
        cls.big = ("".join("line %06d of a large script;\n" % i for i in range(40000))).encode()
        with open(os.path.join(cls.pages, "app.js"), "wb") as f:
            f.write(cls.big)
        os.symlink("/etc/passwd", os.path.join(cls.pages, "passwd"))
        cls.d = pbtest.Daemon()
        cls.d.start()
        rc, out, err = cls.d.cli("setting", "set", "web",
                                 '{"root": "%s", "request_timeout_s": 2, "keepalive_timeout_s": 3}'
                                 % cls.pages)
        assert rc == 0, err
        # the pages are read at start
        cls.d.stop()
        cls.d.start()
        cls.port = cls.d.ports["http"]
        cls.url = "http://127.0.0.1:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()
        subprocess.run(["rm", "-rf", cls.pages])

    def conn(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.addCleanup(c.close)
        return c


class Pages(WebBase):
    def test_page_with_type_etag_and_security_headers(self):
        c = self.conn()
        c.request("GET", "/")
        r = c.getresponse()
        body = r.read()
        self.assertEqual(r.status, 200)
        self.assertEqual(body, b"<!DOCTYPE html><p>home</p>\n")
        self.assertEqual(r.getheader("Content-Type"), "text/html; charset=utf-8")
        self.assertRegex(r.getheader("ETag"), r'^"[0-9a-f]{32}"$')
        csp = r.getheader("Content-Security-Policy")
        self.assertIn("script-src 'self'", csp)
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertEqual(r.getheader("X-Content-Type-Options"), "nosniff")
        self.assertIsNone(r.getheader("Strict-Transport-Security"))  # clear HTTP
        # the same connection serves the next request (keep-alive)
        c.request("GET", "/admin/")
        r = c.getresponse()
        self.assertEqual((r.status, r.read()), (200, b"<p>admin</p>\n"))

    def test_etag_gives_304(self):
        c = self.conn()
        c.request("GET", "/")
        r = c.getresponse()
        r.read()
        tag = r.getheader("ETag")
        c.request("GET", "/", headers={"If-None-Match": 'W/"nope", ' + tag})
        r = c.getresponse()
        self.assertEqual((r.status, r.read()), (304, b""))
        self.assertEqual(r.getheader("ETag"), tag)
        rc, out, _ = curl("-o", "/dev/null", "-w", "%{http_code}", "-H", "If-None-Match: \"x\"",
                          self.url + "/")
        self.assertEqual(out, b"200")

    def test_gzip_with_curl_and_streamed_large_page(self):
        rc, out, err = curl("--compressed", "-D", "-", self.url + "/app.js")
        self.assertEqual(rc, 0, err)
        head, body = out.split(b"\r\n\r\n", 1)
        status, fields = head_fields(out)
        self.assertEqual(status, 200)
        self.assertEqual(fields["content-encoding"], "gzip")
        self.assertEqual(fields["vary"], "Accept-Encoding")
        self.assertLess(int(fields["content-length"]), len(self.big) // 4)
        self.assertEqual(hashlib.sha256(body).hexdigest(), hashlib.sha256(self.big).hexdigest())
        # without Accept-Encoding: the whole 1.2 MB as is, read slowly by a small window
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        self.addCleanup(s.close)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"GET /app.js HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = recv_until_closed(s)
        status, fields = head_fields(data)
        self.assertEqual(status, 200)
        self.assertNotIn("content-encoding", fields)
        self.assertEqual(data.split(b"\r\n\r\n", 1)[1], self.big)

    def test_head_and_options(self):
        c = self.conn()
        c.request("HEAD", "/app.js")
        r = c.getresponse()
        self.assertEqual((r.status, r.read()), (200, b""))
        self.assertEqual(int(r.getheader("Content-Length")), len(self.big))
        c.request("OPTIONS", "/")
        r = c.getresponse()
        self.assertEqual(r.status, 204)
        self.assertIn("GET", r.getheader("Allow"))

    def test_pipelined_requests_answered_in_order(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        self.addCleanup(s.close)
        s.sendall(b"GET /admin/ HTTP/1.1\r\nHost: t\r\n\r\n"
                  b"GET /missing HTTP/1.1\r\nHost: t\r\n\r\n"
                  b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        got = responses(recv_until_closed(s))
        self.assertEqual([r[0] for r in got], [200, 404, 200])
        self.assertEqual(got[0][2], b"<p>admin</p>\n")
        self.assertEqual(got[1][2], b"404 Not Found\n")
        self.assertEqual(got[2][2], b"<!DOCTYPE html><p>home</p>\n")

    def test_directory_redirect(self):
        c = self.conn()
        c.request("GET", "/admin")
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 301)
        self.assertEqual(r.getheader("Location"), "/admin/")


class Refusals(WebBase):
    def raw(self, data):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        self.addCleanup(s.close)
        s.sendall(data)
        return recv_until_closed(s)

    def test_traversal_in_every_spelling(self):
        for path in ["/../etc/passwd", "/%2e%2e/etc/passwd", "/admin/%2E%2E/%2e%2e/etc/passwd",
                     "/a%00b", "/..%5c..%5cetc/passwd", "/%2fetc%2fpasswd", "/passwd"]:
            data = self.raw(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n")
            status, _ = head_fields(data)
            self.assertIn(status, (400, 404), path)
            self.assertNotIn(b"root:", data, path)
        # the symbolic link to /etc/passwd in the pages directory is never served
        rc, out, _ = curl("-o", "/dev/null", "-w", "%{http_code}", "--path-as-is",
                          self.url + "/../../../../etc/passwd")
        self.assertIn(out, (b"400", b"404"))

    def test_limits(self):
        data = self.raw(b"GET / HTTP/1.1\r\nHost: t\r\nX: " + b"a" * 20000 + b"\r\n\r\n")
        self.assertEqual(head_fields(data)[0], 431)
        data = self.raw(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n")
        self.assertEqual(head_fields(data)[0], 413)
        data = self.raw(b"BREW / HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assertEqual(head_fields(data)[0], 501)
        data = self.raw(b"GET / HTTP/1.1\r\n\r\n")
        self.assertEqual(head_fields(data)[0], 400)
        data = self.raw(b"DELETE / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        status, fields = head_fields(data)
        self.assertEqual(status, 405)
        self.assertIn("GET", fields["allow"])
        # the server keeps serving everyone
        rc, out, _ = curl("-o", "/dev/null", "-w", "%{http_code}", self.url + "/")
        self.assertEqual(out, b"200")

    def test_expect_100_continue(self):
        # RFC 9110 10.1.1: a client that sent Expect: 100-continue waits for "100 Continue"
        # before the body (curl waited a second for it, then sent the body anyway)
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.addCleanup(s.close)
        s.sendall(b"POST /api/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                  b"Expect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n")
        interim = b""
        while not interim.endswith(b"\r\n\r\n") and len(interim) < 200:
            chunk = s.recv(200 - len(interim))  # the 10 s timeout: no 100 at all fails
            if not chunk:
                break
            interim += chunk
        self.assertEqual(interim, b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(b"{}")
        self.assertEqual(head_fields(recv_until_closed(s))[0], 400)  # no user or password
        # a body over web.max_body_kb: 413 at once, no 100, the body never asked for
        data = self.raw(b"POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                        b"Content-Length: 2000000\r\n\r\n")
        self.assertEqual(head_fields(data)[0], 413)
        self.assertNotIn(b"100 Continue", data)
        # curl: with a 100 it sends at once; without, it would wait --expect100-timeout (10 s)
        started = time.monotonic()
        rc, out, err = curl("-o", "/dev/null", "-w", "%{http_code}", "--expect100-timeout", "10",
                            "-H", "Expect: 100-continue", "-H", "Content-Type: application/json",
                            "--data-binary", '{"user": "nobody", "password": "x"}',
                            self.url + "/api/login")
        self.assertEqual((rc, out), (0, b"401"), err)
        self.assertLess(time.monotonic() - started, 5)

    def test_slow_request_408_and_idle_close(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        self.addCleanup(s.close)
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")  # never ends (request_timeout_s 2)
        started = time.monotonic()
        data = recv_until_closed(s)
        self.assertEqual(head_fields(data)[0], 408)
        self.assertLess(time.monotonic() - started, 20)
        s2 = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        self.addCleanup(s2.close)
        started = time.monotonic()
        self.assertEqual(recv_until_closed(s2), b"")  # idle: closed (keepalive_timeout_s 3)
        self.assertLess(time.monotonic() - started, 20)


class Https(unittest.TestCase):
    def login_cookie(self, d, scheme):
        """The attributes of the session cookie POST /api/login sets over scheme (lowercased,
        without the name=value)."""
        rc, out, err = curl("-k", "-D", "-", "-o", "/dev/null", "-H", "Content-Type: application/json",
                            "--data", '{"user": "admin", "password": "%s"}' % d.admin_password,
                            "%s://127.0.0.1:%d/api/login" % (scheme, d.ports["http"]))
        self.assertEqual(rc, 0, err)
        status, fields = head_fields(out)
        self.assertEqual(status, 200, out)
        name_value, _, attrs = fields["set-cookie"].partition(";")
        self.assertRegex(name_value, "^pb_session=[0-9a-f]{64}$")
        return [a.strip().lower() for a in attrs.split(";")]

    def test_same_port_tls_and_redirect_with_a_real_certificate(self):
        # the generated certificate: both spoken, no redirect
        d = pbtest.Daemon()
        self.addCleanup(d.cleanup)
        d.start()
        self.addCleanup(d.stop)
        port = d.ports["http"]
        rc, out, err = curl("-k", "-D", "-", "-o", "/dev/null", "https://127.0.0.1:%d/" % port)
        self.assertEqual(rc, 0, err)
        status, fields = head_fields(out)
        self.assertEqual(status, 200)
        self.assertEqual(fields["strict-transport-security"], "max-age=31536000")
        rc, out, _ = curl("-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:%d/" % port)
        self.assertEqual(out, b"200")
        # the session cookie: Secure over TLS only, HttpOnly and SameSite either way
        attrs = {scheme: self.login_cookie(d, scheme) for scheme in ("https", "http")}
        for scheme, a in attrs.items():
            self.assertIn("httponly", a, scheme)
            self.assertIn("samesite=strict", a, scheme)
        self.assertIn("secure", attrs["https"])
        self.assertNotIn("secure", attrs["http"])
        d.stop()
        # a configured certificate: clear requests go to https://
        cert, key = make_cert(d.tmp, "web", "web.pillarbox.test")
        d.extra_config = "tls_certificate = %s\ntls_key = %s\n" % (cert, key)
        d.write_config()
        d.start()
        port = d.ports["http"]
        rc, out, _ = curl("-D", "-", "-o", "/dev/null", "http://127.0.0.1:%d/x?y=1" % port)
        status, fields = head_fields(out)
        self.assertEqual(status, 308)
        self.assertEqual(fields["location"], "https://127.0.0.1:%d/x?y=1" % port)
        ctx = ssl.create_default_context(cafile=cert)
        # the name the certificate carries, verified while connecting to loopback
        c = http.client.HTTPSConnection("web.pillarbox.test", port, timeout=30, context=ctx)
        c.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                                 server_hostname="web.pillarbox.test")
        self.addCleanup(c.close)
        c.request("GET", "/")
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        self.assertIn(b"Pillarbox", r.read())  # the source tree's pages


class ConnectionLimit(unittest.TestCase):
    def test_past_the_limit_503(self):
        d = pbtest.Daemon()
        self.addCleanup(d.cleanup)
        d.start()
        self.addCleanup(d.stop)
        rc, _, err = d.cli("setting", "set", "limits", '{"web_max_connections": 2}')
        self.assertEqual(rc, 0, err)
        port = d.ports["http"]
        held = []

        def third_refused():
            for s in held:
                s.close()
            held.clear()
            for _ in range(2):
                s = socket.create_connection(("127.0.0.1", port), timeout=30)
                held.append(s)
            # the first two are served
            for s in held:
                s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                if not s.recv(4096).startswith(b"HTTP/1.1 200"):
                    return False
            s3 = socket.create_connection(("127.0.0.1", port), timeout=30)
            data = recv_until_closed(s3)
            s3.close()
            return data.startswith(b"HTTP/1.1 503")

        # the setting reaches the hub at its next tick
        pbtest.wait_until(third_refused, timeout=30, interval=0.2, what="503 past the limit")
        for s in held:
            s.close()


if __name__ == "__main__":
    unittest.main()
