"""End to end (issue 15 items 2 and 3, h-adm10b): the REST writes an administrator's editing
pages use. PATCH /api/connections/{name} changes a connection method's schedule and settings
(what the CLI's `connection list` then shows; bad values refused with 400, the rest unchanged);
PATCH /api/lists/{name} changes a list's properties. PUT /api/bindings/http and POST
/api/certificates store a second web binding and a self-signed certificate made here with the
openssl command: nothing changes before the restart; after it (the bootstrap file no longer
naming http_listen, so the stored bindings apply) the daemon answers on both bindings and
presents that certificate. A mismatched key, an expired certificate and bad bindings are refused, and the key is never answered back."""
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_web_rest import Client  # noqa: E402

SECOND_HOST = "127.0.0.2"


class StoredBindings(pbtest.Daemon):
    """A daemon whose bootstrap file drops http_listen once stored_http is set, the web then
    listening where the settings document services says."""
    stored_http = False

    def write_config(self):
        super().write_config()
        if self.stored_http:
            with open(self.config) as f:
                lines = [l for l in f if not l.startswith("http_listen")]
            with open(self.config, "w") as f:
                f.writelines(lines)


def openssl_pair(tmp, name, days=30, cn="adm10b.example"):
    """A self-signed certificate and its key made by the openssl command: their PEM texts."""
    cert, key = os.path.join(tmp, name + ".crt"), os.path.join(tmp, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", str(days), "-subj", "/CN=" + cn],
                   check=True, capture_output=True, timeout=60)
    with open(cert) as c, open(key) as k:
        return c.read(), k.read()


def openssl_expired_pair(tmp, cn="expired.example"):
    """A self-signed certificate that was valid for one day in 2020 (openssl ca -selfsign with
    explicit dates: req -x509 only counts days from now) and its key: their PEM texts."""
    d = os.path.join(tmp, "expired-ca")
    os.mkdir(d)
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\nnew_certs_dir = %s\n"
                "default_md = sha256\npolicy = p\nserial = %s/serial\n"
                "[p]\ncommonName = supplied\n" % (d, d, d))
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("01\n")
    key, req, cert = (os.path.join(d, n) for n in ("k.pem", "r.pem", "c.pem"))
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", req, "-subj", "/CN=" + cn], check=True, capture_output=True,
                   timeout=60)
    subprocess.run(["openssl", "ca", "-batch", "-config", os.path.join(d, "ca.cnf"), "-selfsign",
                    "-keyfile", key, "-in", req, "-out", cert, "-notext",
                    "-startdate", "20200101000000Z", "-enddate", "20200102000000Z"],
                   check=True, capture_output=True, timeout=60)
    with open(cert) as c, open(key) as k:
        return c.read(), k.read()


def peer_der(host, port):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=30) as s:
        with ctx.wrap_socket(s) as t:
            return t.getpeercert(binary_form=True)


class AdmEdit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = StoredBindings()
        cls.d.start()
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()
        cls.tmp.cleanup()

    def admin(self):
        c = Client(self.d.ports["http"])
        status, body = c.login("admin", self.d.admin_password)
        self.assertEqual(status, 200, body)
        return c

    def ok(self, result, status):
        self.assertEqual(result[0], status, result[1])
        return result[1]

    def cli(self, *args):
        rc, out, err = self.d.cli(*args)
        self.assertEqual(rc, 0, err)
        return out

    def test_a_connection_schedule_edited(self):
        c = self.admin()
        self.ok(c.call("POST", "/api/connections", {"name": "office", "every_min": 15,
                                                    "send": False}), 201)
        self.ok(c.call("PATCH", "/api/connections/office",
                       {"every_min": 45, "from": "08:00", "to": "18:00", "days": "mon-fri"}),
                204)
        one = self.ok(c.call("GET", "/api/connections/office"), 200)
        self.assertEqual(one["rules"], [{"every_min": 45, "from": "08:00", "to": "18:00",
                                         "days": "mon-fri", "min_waiting": 0}])
        self.assertFalse(one["send"])
        self.assertIn("every 45 min, 08:00-18:00, mon-fri", self.cli("connection", "show", "office"))
        self.ok(c.call("PATCH", "/api/connections/office",
                       {"send": True, "collectors": ["isp1"],
                        "rules": [{"every_min": 5}, {"every_min": 60, "days": "sat,sun",
                                                     "min_waiting": 3}]}), 204)
        one = self.ok(c.call("GET", "/api/connections/office"), 200)
        self.assertEqual((one["send"], one["collectors"], len(one["rules"])),
                         (True, ["isp1"], 2))
        self.assertEqual(one["rules"][1]["min_waiting"], 3)
        for bad in ({"every_min": 0}, {"days": "someday"}, {"from": "25:00", "to": "01:00"},
                    {"from": "8am"}, {"rules": []}, {"send": "yes"}, {"colour": "red"}, {}):
            self.assertEqual(c.call("PATCH", "/api/connections/office", bad)[0], 400, bad)
        self.assertEqual(self.ok(c.call("GET", "/api/connections/office"), 200)["rules"],
                         one["rules"])
        self.assertEqual(c.call("PATCH", "/api/connections/nosuch", {"every_min": 5})[0], 404)
        self.assertEqual(c.call("PATCH", "/api/connections/office", {"every_min": 5},
                                csrf=False)[0], 403)

    def test_b_list_properties_edited(self):
        c = self.admin()
        self.ok(c.call("POST", "/api/lists", {"name": "staff", "comment": "old"}), 201)
        self.ok(c.call("POST", "/api/lists/staff/members", {"address": "admin"}), 201)
        self.ok(c.call("PATCH", "/api/lists/staff", {"internet": True, "comment": "everyone"}),
                204)
        one = self.ok(c.call("GET", "/api/lists/staff"), 200)
        self.assertEqual((one["internet"], one["comment"], one["members"]),
                         (True, "everyone", ["admin"]))
        self.ok(c.call("PATCH", "/api/lists/staff", {"internet": False}), 204)
        one = self.ok(c.call("GET", "/api/lists/staff"), 200)
        self.assertEqual((one["internet"], one["comment"]), (False, "everyone"))
        for bad in ({}, {"internet": "yes"}, {"comment": 3}, {"comment": "two\nlines"}):
            self.assertEqual(c.call("PATCH", "/api/lists/staff", bad)[0], 400, bad)
        self.assertEqual(c.call("PATCH", "/api/lists/nosuch", {"comment": "x"})[0], 404)

    def test_c_binding_and_certificate_after_restart(self):
        c = self.admin()
        cert, key = openssl_pair(self.tmp.name, "good")
        other_cert, _ = openssl_pair(self.tmp.name, "other")
        for bad in ({"bindings": ["nonsense"]}, {"bindings": ["127.0.0.1:0"]},
                    {"bindings": "127.0.0.1:1"}, {"bindings": ["a:1"] * 9}):
            self.assertEqual(c.call("PUT", "/api/bindings/http", bad)[0], 400, bad)
        self.assertEqual(c.call("PUT", "/api/bindings/gopher", {"bindings": []})[0], 404)
        self.assertEqual(c.call("POST", "/api/certificates",
                                {"certificate": other_cert, "key": key})[0], 400)
        old_cert, old_key = openssl_expired_pair(self.tmp.name)
        status, body = c.call("POST", "/api/certificates",
                              {"certificate": old_cert, "key": old_key})[:2]
        self.assertEqual(status, 400, body)
        self.assertIn("expired", repr(body))
        self.assertNotIn("expired.example", repr(self.ok(c.call("GET", "/api/certificates"),
                                                         200)))
        first, second = pbtest.free_port(), pbtest.free_port()
        put = self.ok(c.call("PUT", "/api/bindings/http", {"bindings": [
            "127.0.0.1:%d" % first, "%s:%d" % (SECOND_HOST, second)]}), 200)
        self.assertIn("next start", put["takes_effect"])
        got = self.ok(c.call("POST", "/api/certificates", {"certificate": cert, "key": key}), 201)
        self.assertEqual(got["subject"], "adm10b.example")
        self.assertNotIn("PRIVATE KEY", repr(got))
        installed = self.ok(c.call("GET", "/api/settings/services"), 200)
        self.assertNotIn("PRIVATE KEY", repr(installed))
        key_path = got["file"].replace("/cert-", "/key-")
        self.assertEqual(os.stat(key_path).st_mode & 0o777, 0o600)
        der = ssl.PEM_cert_to_DER_cert(cert)
        self.assertNotEqual(peer_der("127.0.0.1", self.d.ports["http"]), der)  # not yet
        self.d.stop()
        self.d.stored_http = True
        self.d.write_config()
        self.d.start()
        for host, port in (("127.0.0.1", first), (SECOND_HOST, second)):
            self.assertEqual(peer_der(host, port), der, (host, port))
        self.assertEqual(peer_der("127.0.0.1", self.d.ports["imaps"]), der)
        # a real certificate now: clear HTTP on the stored binding redirects to HTTPS
        status, _ = Client(first).login("admin", self.d.admin_password)
        self.assertEqual(status, 308)


if __name__ == "__main__":
    unittest.main()
