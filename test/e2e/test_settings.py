"""End to end: the settings schema through the CLI. A bad change is refused naming the key (exit 1)
and changes nothing; a change merges into the document and takes effect in SMTP without a restart;
stored settings are in effect from the first connection after a restart; a stored certificate
that does not load (one `setting set`, or a rollback to a pair since pruned) is skipped at start
with a warning, as a stored binding is, so the daemon and the CLI that undoes it still start;
changes and refusals go to the security log."""
import os
import smtplib
import socket
import ssl
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402


def ehlo_size(port):
    s = smtplib.SMTP("127.0.0.1", port, timeout=30)
    try:
        s.ehlo("t")
        return s.esmtp_features.get("size")
    finally:
        s.quit()


class Settings(unittest.TestCase):
    def setUp(self):
        self.d = pbtest.Daemon()
        self.d.start()

    def tearDown(self):
        self.d.cleanup()

    def show(self, doc):
        rc, out, err = self.d.cli("setting", "show", doc)
        self.assertEqual(rc, 0, err)
        return out

    def test_refusals_name_the_key_and_change_nothing(self):
        self.assertIn('"max_recipients": 100,', self.show("smtp"))  # defaults are shown
        before = self.show("smtp")
        refused = [
            ('{"max_recipients":"lots"}', "smtp.max_recipients: expected an integer from 1 to 10000"),
            ('{"max_recipents":5}', "smtp.max_recipents: unknown key"),
            ('{"max_recipients":10001}', "smtp.max_recipients: expected an integer from 1 to 10000"),
            ('{"max_message_size":0}', "smtp.max_message_size: expected an integer from 1024 to 1073741824"),
            ('-5', "smtp: a settings change must be a JSON object"),
        ]
        for doc, message in refused:
            rc, out, err = self.d.cli("setting", "set", "smtp", doc)
            self.assertEqual(rc, 1, (doc, out, err))
            self.assertIn(message, err)
        self.assertEqual(self.show("smtp"), before)
        rc, _, err = self.d.cli("setting", "set", "smpt", '{"max_recipients":5}')
        self.assertEqual(rc, 1)
        self.assertIn('unknown settings document "smpt"', err)
        rc, _, err = self.d.cli("setting", "show", "smpt")
        self.assertEqual(rc, 1)
        self.assertIn('unknown settings document "smpt"', err)
        with open(os.path.join(self.d.data_dir, "security.log")) as f:
            self.assertIn("event=settings_refused", f.read())

    def test_trusted_networks_string_setting(self):
        self.assertIn('"trusted_networks": "127.0.0.0/8 ::1/128"', self.show("limits"))  # default
        before = self.show("limits")
        refused = [
            ('{"trusted_networks":"10.0.0.0/33"}',
             "limits.trusted_networks: '10.0.0.0/33': prefix longer than 32"),
            ('{"trusted_networks":"127.0.0.1 10.1.2.3/8"}',
             "limits.trusted_networks: '10.1.2.3/8': host bits set"),
            ('{"trusted_networks":8}', "limits.trusted_networks: expected a string of at most 255 bytes"),
            ('{"trusted_networks":"%s"}' % ("::1 " * 64), "limits.trusted_networks: expected a string"),
        ]
        for doc, message in refused:
            rc, out, err = self.d.cli("setting", "set", "limits", doc)
            self.assertEqual(rc, 1, (doc, out, err))
            self.assertIn(message, err)
        self.assertEqual(self.show("limits"), before)
        rc, _, err = self.d.cli("setting", "set", "limits",
                                '{"trusted_networks":"10.0.0.0/8, 2001:db8::/32 192.0.2.7"}')
        self.assertEqual(rc, 0, err)
        shown = self.show("limits")
        self.assertIn('"trusted_networks": "10.0.0.0/8, 2001:db8::/32 192.0.2.7"', shown)
        self.assertIn('"ip_max_connections": 50,', shown)  # the other keys keep their values
        rc, _, err = self.d.cli("setting", "set", "limits", '{"trusted_networks": null}')
        self.assertEqual(rc, 0, err)
        self.assertIn('"trusted_networks": "127.0.0.0/8 ::1/128"', self.show("limits"))

    def test_change_merges_and_takes_effect_in_smtp(self):
        port = self.d.ports["smtp"]
        self.assertEqual(ehlo_size(port), "52428800")
        rc, _, err = self.d.cli("setting", "set", "smtp", '{"max_recipients": 7}')
        self.assertEqual(rc, 0, err)
        rc, _, err = self.d.cli("setting", "set", "smtp", '{"max_message_size": 4096}')
        self.assertEqual(rc, 0, err)
        shown = self.show("smtp")
        self.assertIn('"max_recipients": 7,', shown)  # merged: the first change stays
        self.assertIn('"max_message_size": 4096,', shown)
        pbtest.wait_until(lambda: ehlo_size(port) == "4096", timeout=10, interval=0.1,
                          what="SIZE 4096 in EHLO")
        # null returns a key to its default
        rc, _, err = self.d.cli("setting", "set", "smtp", '{"max_message_size": null}')
        self.assertEqual(rc, 0, err)
        self.assertIn('"max_message_size": 52428800,', self.show("smtp"))
        pbtest.wait_until(lambda: ehlo_size(port) == "52428800", timeout=10, interval=0.1,
                          what="SIZE back to the default")
        with open(os.path.join(self.d.data_dir, "security.log")) as f:
            self.assertIn("event=settings_changed document=smtp", f.read())

    def test_stored_settings_apply_from_the_first_connection_after_restart(self):
        rc, _, err = self.d.cli("setting", "set", "smtp", '{"max_message_size": 2048}')
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        self.assertEqual(ehlo_size(self.d.ports["smtp"]), "2048")  # no waiting: loaded before ready

    def test_stored_certificate_that_does_not_load_is_skipped_at_start(self):
        bad = '{"tls_certificate":"/nonexistent/cert.pem","tls_key":"/nonexistent/key.pem"}'
        rc, _, err = self.d.cli("setting", "set", "services", bad)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.d.stop(), 0)
        self.d.start()  # it used to exit: "TLS: certificate ...: cannot read"
        self.assertIn("event=stored_services_ignored", self.d.log())
        self.assertIn("/nonexistent/cert.pem", self.d.log())
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", self.d.ports["imaps"]), timeout=30) as raw:
            with ctx.wrap_socket(raw) as tls:  # the self-signed certificate instead
                self.assertTrue(tls.recv(100).startswith(b"* OK"))
        rc, _, err = self.d.cli("setting", "set", "services",
                                '{"tls_certificate":null,"tls_key":null}')
        self.assertEqual(rc, 0, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
