"""End to end: direct MX delivery and ETRN (issue 12 items 1, 3 and 5). No smart host, no
route: the daemon's sender threads look the recipient's domain up in a real DNS server started
here (test/dns/dns-server.py on a loopback port, outbound.dns_servers) and deliver to smtp-sink,
every MX host being reached on outbound.mx_port with outbound.allow_loopback_mx on. Checked: a
message delivered via MX; the first MX dead (127.0.0.2, nothing listens there) or greeting with
421 (a small server on 127.0.0.5) and the second taking it; a loopback MX bouncing as a mail
loop once allow_loopback_mx is off; every MX dead (deferred, the last host tried in `queue show`); a null MX (RFC 7505)
and NXDOMAIN bouncing with a DSN in the sender's INBOX carrying the resolver's status; SERVFAIL
keeping the mail queued and retried until the DNS server answers again; ETRN from our client
(`pillarbox etrn`) to smtp-sink (which does not know it: its 500 is reported) and to this
Pillarbox, whose SMTP server then makes the queued mail for the domain due at once."""
import json
import os
import smtplib
import socketserver
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import QueueBase, Sink  # noqa: E402

# dns-server.py needs python3-dnslib: Debian's python3 (as test/dns/CMakeLists.txt finds it)
DNS_PYTHON = os.environ.get("PB_DNS_PYTHON", "/usr/bin/python3")
DNS_SERVER = os.path.join(os.path.dirname(__file__), "..", "dns", "dns-server.py")

ZONE = """
mx.test.            300 IN MX 10 mx1.mx.test.
mx1.mx.test.        300 IN A 127.0.0.1
two.test.           300 IN MX 10 dead.two.test.
two.test.           300 IN MX 20 live.two.test.
dead.two.test.      300 IN A 127.0.0.2
live.two.test.      300 IN A 127.0.0.1
alldead.test.       300 IN MX 10 d1.alldead.test.
alldead.test.       300 IN MX 20 d2.alldead.test.
d1.alldead.test.    300 IN A 127.0.0.2
d2.alldead.test.    300 IN A 127.0.0.3
null.test.          300 IN MX 0 .
flaky.test.         300 IN MX 10 mx1.mx.test.
etrn.test.          300 IN MX 10 d1.alldead.test.
busy.test.          300 IN MX 10 first.busy.test.
busy.test.          300 IN MX 20 live.two.test.
first.busy.test.    300 IN A 127.0.0.5
loop.test.          300 IN MX 10 mx1.mx.test.
"""


class DnsServer:
    """dns-server.py serving ZONE; the names in self.servfail_file get SERVFAIL while listed."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pb-dns-")
        self.servfail_file = os.path.join(self.dir, "servfail")
        self.proc = subprocess.Popen(
            [DNS_PYTHON, DNS_SERVER, "--zone-text", ZONE, "--servfail-file",
             self.servfail_file], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()  # "PORT n" once both sockets listen
        assert line.startswith("PORT "), "dns-server.py did not start: %r" % line
        self.port = int(line.split()[1])

    def fail(self, names):
        with open(self.servfail_file, "w") as f:
            f.write("".join(n + "\n" for n in names))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


class Busy(socketserver.ThreadingTCPServer):
    """An SMTP server that greets "421 4.3.2" and hangs up; counts its connections."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address):
        self.greeted = 0
        super().__init__(address, BusyHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class BusyHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.server.greeted += 1
        self.wfile.write(b"421 4.3.2 busy.example Service not available, try later\r\n")


class MxCase(QueueBase):
    @classmethod
    def setUpClass(cls):
        cls.dns = DnsServer()
        cls.sink = Sink()
        # the first MX of busy.test: 127.0.0.5 on smtp-sink's port (which binds 127.0.0.1 only)
        cls.busy = Busy(("127.0.0.5", cls.sink.port))
        super(QueueBase, cls).setUpClass()
        cls.settings({"smart_host": "", "routes": "", "retry_first_s": 1, "retry_max_s": 2,
                      "helo_name": "pillarbox.test",
                      "dns_servers": "127.0.0.1:%d" % cls.dns.port,
                      "mx_port": cls.sink.port, "allow_loopback_mx": 1})

    @classmethod
    def tearDownClass(cls):
        cls.sink.stop()
        cls.busy.shutdown()
        cls.busy.server_close()
        cls.dns.stop()
        cls.stop_daemon()

    def attempts(self, rcpt, state, least):
        """`queue show` of the entry of rcpt once it is in state after least attempts."""
        def shown():
            found = self.find_entry(rcpt + " " + state + " attempts=")
            if found is None:
                return None
            line = [x for x in found[1].splitlines() if x.startswith(rcpt + " ")][0]
            return found[1] if int(line.split("attempts=")[1].split()[0]) >= least else None
        return pbtest.wait_until(shown, timeout=30, what="%d attempts for %s" % (least, rcpt))

    def delivered(self, subject):
        return pbtest.wait_until(lambda: self.sink.find(b"Subject: %s\n" % subject.encode()),
                                 timeout=30, what="%s at smtp-sink" % subject)

    def test_delivered_via_mx(self):
        self.send(["far@mx.test"], b"Subject: via mx\r\n\r\nhello\r\n")
        dump = self.delivered("via mx")[0]
        self.assertIn(b"X-Rcpt-Args: <far@mx.test>", dump)
        pbtest.wait_until(lambda: "relay=mx1.mx.test[127.0.0.1]:%d" % self.sink.port
                          in self.d.log(), what="the MX host in the log")

    def test_first_mx_dead_second_takes_it(self):
        self.send(["far@two.test"], b"Subject: second mx\r\n\r\nhello\r\n")
        self.delivered("second mx")
        log = pbtest.wait_until(lambda: "relay=live.two.test[127.0.0.1]" in self.d.log()
                                and self.d.log(), what="delivery through the second MX")
        self.assertIn("event=mx_next domain=two.test relay=dead.two.test[127.0.0.2]", log)

    def test_every_mx_dead_stays_deferred(self):
        self.send(["far@alldead.test"], b"Subject: all dead\r\n\r\nhello\r\n")
        found = self.attempts("far@alldead.test", "deferred", 2)
        # the last host tried (the worse preference) is in the last reply
        self.assertIn("far@alldead.test deferred", found)
        self.assertIn("451 4.4.1 cannot connect to d2.alldead.test", found)
        entry = self.find_entry("far@alldead.test")[0]
        self.assertEqual(self.queue("delete", entry)[0], 0)

    def test_4xx_greeting_moves_to_the_next_mx(self):
        self.send(["far@busy.test"], b"Subject: busy first\r\n\r\nhello\r\n")
        self.delivered("busy first")
        self.assertGreaterEqual(self.busy.greeted, 1)
        self.assertIn("event=mx_next domain=busy.test relay=first.busy.test[127.0.0.5]",
                      self.d.log())

    def test_loopback_mx_is_a_loop_unless_allowed(self):
        self.settings({"allow_loopback_mx": 0})
        self.addCleanup(self.settings, {"allow_loopback_mx": 1})
        self.bounce("far@loop.test", "looping", "5.4.6", "MX of loop.test")

    def bounce(self, rcpt, subject, status, text):
        self.send([rcpt], b"Subject: %s\r\n\r\nhello\r\n" % subject.encode())
        dsn = pbtest.wait_until(
            lambda: [m for m in self.dsns("failed")
                     if rcpt in m.get_payload()[1].get_payload()[1].get("Final-Recipient", "")],
            timeout=30, what="the DSN for %s" % rcpt)[0]
        fields = dsn.get_payload()[1].get_payload()[1]
        self.assertEqual(fields["Status"], status)
        self.assertIn(text, fields["Diagnostic-Code"])
        self.assertIn(rcpt, fields["Final-Recipient"])
        self.assertFalse(self.sink.find(b"Subject: %s\n" % subject.encode()))

    def test_null_mx_bounces(self):
        self.bounce("nobody@null.test", "to null mx", "5.1.10", "MX of null.test")

    def test_nxdomain_bounces(self):
        self.bounce("nobody@nx.test", "to nowhere", "5.1.2", "MX of nx.test")

    def test_servfail_retried_until_dns_answers(self):
        self.dns.fail(["flaky.test"])
        self.addCleanup(self.dns.fail, [])
        self.send(["far@flaky.test"], b"Subject: flaky dns\r\n\r\nhello\r\n")
        found = self.attempts("far@flaky.test", "deferred", 2)
        self.assertIn("451 4.4.3", found)
        self.assertFalse(self.sink.find(b"Subject: flaky dns\n"))
        self.dns.fail([])
        self.delivered("flaky dns")
        pbtest.wait_until(lambda: not self.find_entry("far@flaky.test"), timeout=30,
                          what="the entry gone")

    def test_etrn_to_smtp_sink_reports_its_reply(self):
        rc, out, err = self.d.cli("etrn", "127.0.0.1:%d" % self.sink.port, "example.org")
        self.assertEqual(rc, 1, out + err)  # smtp-sink does not know ETRN
        self.assertIn("500 5.5.1", out)
        self.assertIn("event=etrn", self.d.log())

    def test_etrn_bad_arguments(self):
        self.assertEqual(self.d.cli("etrn", "127.0.0.1:1", "bad domain")[0], 64)
        rc, out, err = self.d.cli("etrn", "127.0.0.1:99999", "example.org")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("malformed", err)

    def etrn_raw(self, node):
        """ETRN node from a plain SMTP client on the smtp port (after EHLO): (code, text)."""
        c = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60)
        self.addCleanup(c.close)
        c.ehlo("client.example.org")
        self.assertTrue(c.has_extn("etrn"))
        got = c.docmd("ETRN", node)
        c.quit()
        return got[0], got[1].decode()

    def test_etrn_to_pillarbox_flushes_the_domain(self):
        # mail for etrn.test deferred (its MX is dead) and not due again for an hour
        self.settings({"retry_first_s": 3600, "retry_max_s": 3600})
        self.addCleanup(self.settings, {"retry_first_s": 1, "retry_max_s": 2, "routes": ""})
        self.send(["far@etrn.test"], b"Subject: etrn flush\r\n\r\nhello\r\n")
        self.attempts("far@etrn.test", "deferred", 1)
        self.settings({"routes": "etrn.test=127.0.0.1:%d" % self.sink.port})
        # a client that may not relay is refused
        self.assertEqual(self.etrn_raw("etrn.test")[0], 459)
        rc, out, err = self.d.cli("setting", "set", "smtp",
                                  json.dumps({"relay_networks": "127.0.0.1/32"}))
        self.assertEqual(rc, 0, err)
        self.addCleanup(self.d.cli, "setting", "set", "smtp", '{"relay_networks": ""}')
        # our client (a sender thread) against our server, once the sessions see the setting
        out = pbtest.wait_until(
            lambda: (lambda r: r[0] == 0 and r[1])(
                self.d.cli("etrn", "127.0.0.1:%d" % self.d.ports["smtp"], "etrn.test")),
            timeout=30, what="ETRN accepted")
        self.assertIn("253 2.0.0 OK, 1 pending messages for node etrn.test started", out)
        self.delivered("etrn flush")
        rc, out, err = self.d.cli("etrn", "127.0.0.1:%d" % self.d.ports["smtp"], "idle.test")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("251 2.0.0 OK, no messages waiting for node idle.test", out)
        self.assertEqual(self.etrn_raw("#queue1")[0], 458)
        self.assertEqual(self.etrn_raw("bad/node")[0], 501)
        log = self.d.log()
        self.assertIn("event=etrn node=etrn.test entries=1 result=ok", log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
