"""End to end: spam scoring through a REAL rspamd (issue 13 item 8, Debian's rspamd package)
started by the test on a loopback port with a minimal configuration in a temporary directory
(no redis: scanning needs none). A GTUBE message gets rspamd's reject score: its trace says the
score (an X-Spam-Score line) and that the local copy goes to Junk, the log says it, and it is
delivered. A plain message is scored and stays in the INBOX. rspamd killed (-9) in the middle
of the run, and an rspamd that accepts but never answers: the mail is delivered unscored, with
one log line and the reason in the trace — never held, never lost. The rule engine sees the
score (issue 13 items 4 and 8): bea's rule "Spam Score greater than 10" moves a GTUBE message
to a folder of its own (a rule's folder wins over the quarantine's Junk) and leaves a plain one
in the INBOX; her rule "Quarantined" marks with a keyword the message the threshold sent to
Junk, and not a plain one (read over IMAP). A silent rspamd opens the router's circuit
breaker (issue 13 R4): 20 messages go through unscored in a bounded time, the log says so once."""
import http.client
import imaplib
import json
import os
import random
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_tls import TlsCase  # noqa: E402

BEA_RULES = {"rules": [
    {"name": "high score", "conditions": [
        {"field": "spam_score", "match": "greater", "value": "10"},
        {"field": "subject", "match": "contains", "value": "score-rule"}],
     "actions": [{"action": "move_to_folder", "value": "HighScore"}]},
    {"name": "quarantined", "conditions": [
        {"field": "quarantined", "match": "equals", "value": True},
        {"field": "subject", "match": "contains", "value": "quar-rule"}],
     "actions": [{"action": "add_keyword", "value": "WasJunk"}]},
]}

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

RSPAMD_CONF = """
.include "$CONFDIR/common.conf"
options {
    pidfile = "$RUNDIR/rspamd.pid";
    .include "$CONFDIR/options.inc"
    # no network: DNS lists fail at once instead of waiting
    dns { timeout = 0.2s; retransmits = 1; nameserver = ["127.0.0.1:9"]; }
}
logging { type = "file"; filename = "$LOGDIR/rspamd.log"; level = "notice"; }
worker "normal" {
    bind_socket = "127.0.0.1:%d";
    .include "$CONFDIR/worker-normal.inc"
    count = 1;
}
"""


class Rspamd:
    """rspamd's normal worker alone on a free loopback port, its state in a temp dir; in its
    own process group so kill() ends the main process and its workers (and only them)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pb-rspamd-")
        self.port = self.own_port()
        conf = os.path.join(self.dir, "rspamd.conf")
        with open(conf, "w") as f:
            f.write(RSPAMD_CONF % self.port)
        args = ["rspamd", "-f", "-c", conf, "--insecure"]
        for var in ("RUNDIR", "DBDIR", "LOGDIR"):
            args.append("--var=%s=%s" % (var, self.dir))
        args.append("--var=LOCAL_CONFDIR=%s" % os.path.join(self.dir, "none"))
        self.out = open(os.path.join(self.dir, "stdout"), "w")
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        try:
            pbtest.wait_until(self.ping, timeout=240, interval=0.5, what="rspamd's /ping")
        except BaseException:
            self.cleanup()  # never leave it running
            raise

    @staticmethod
    def own_port():
        """A port that binds now, above both pbtest.free_port's range (the daemons of tests
        running beside this one) and the kernel's ephemeral range: rspamd takes half a minute
        to load before it binds, and nobody else may take the port meanwhile."""
        low, high = (int(x) for x in open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
        start = max(high + 1, 32000)
        for _ in range(200):
            port = random.randrange(start, 65535)
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
        raise RuntimeError("no free port for rspamd")

    def ping(self):
        assert self.proc.poll() is None, open(os.path.join(self.dir, "stdout")).read()[-2000:]
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/ping" % self.port, timeout=2) as r:
                return r.read().strip() == b"pong"
        except (OSError, http.client.HTTPException):
            return False

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
            # the workers die on their own schedule: until the last one has, the listening
            # socket still takes connections (and resets them)
            pbtest.wait_until(self.refused, timeout=30, what="rspamd's port closed")

    def refused(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
            return False
        except ConnectionRefusedError:
            return True

    def cleanup(self):
        self.kill()
        self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Spam(TlsCase):
    @classmethod
    def setUpClass(cls):
        cls.rspamd = Rspamd()
        try:
            super().setUpClass()
            cls.d.add_user("ann", "annpw123")
            cls.d.add_user("bea", "beapw123")
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                json.dump(BEA_RULES, f)
            try:
                rc, out, err = cls.d.cli("rules", "set", "bea", f.name)
                assert rc == 0, err
            finally:
                os.unlink(f.name)
            cls.spam_settings({"enabled": 1, "rspamd": "127.0.0.1:%d" % cls.rspamd.port,
                               "timeout_ms": 20000, "quarantine_score": 6})
        except BaseException:
            cls.rspamd.cleanup()  # tearDownClass does not run after a failed setUpClass
            if getattr(cls, "d", None) is not None:
                cls.d.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.rspamd.cleanup()
        super().tearDownClass()

    @classmethod
    def spam_settings(cls, values):
        rc, out, err = cls.d.cli("setting", "set", "spam", json.dumps(values))
        assert rc == 0, err

    def deliver(self, marker, text, user="ann"):
        """Sends a message to user by plain SMTP (port 25); returns its queue id."""
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60)
        self.addCleanup(s.close)
        s.ehlo("client.example.org")
        s.mail("someone@outside.example")
        code, msg = s.rcpt("%s@%s" % (user, self.domain))
        self.assertEqual(code, 250, msg)
        body = ("From: someone@outside.example\r\nTo: %s@%s\r\nSubject: %s\r\n"
                "Message-ID: <%s@outside.example>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
                "\r\n%s\r\n" % (user, self.domain, marker, marker, text))
        code, msg = s.data(body.encode())
        self.assertEqual(code, 250, msg)
        s.quit()
        return msg.decode().split("queued as ")[1].strip()

    def delivered(self, qid):
        pbtest.wait_until(lambda: "event=delivered msgid=%s" % qid in self.d.log(), timeout=60,
                          what="the delivery of %s" % qid)
        rc, out, err = self.d.cli("trace", qid)
        self.assertEqual(rc, 0, err)
        return out

    def log_line(self, event, qid):
        return [ln for ln in self.d.log().splitlines()
                if "event=%s msgid=%s " % (event, qid) in ln]

    def found(self, folder, subject, user="ann", keyword=None):
        """How many of user's messages in folder have this subject (and keyword), over IMAP."""
        m = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60)
        try:
            m.login(user, user + "pw123")
            typ, _ = m.select(folder, readonly=True)
            if typ != "OK":
                return 0
            criteria = ("SUBJECT", subject) + (("KEYWORD", keyword) if keyword else ())
            _, data = m.search(None, *criteria)
            return len(data[0].split())
        finally:
            m.logout()

    def test_1_gtube_quarantined(self):
        qid = self.deliver("gtube-test", "Buy now. " + GTUBE)
        trace = self.delivered(qid)
        self.assertIn("X-Spam-Score: 15.00 (rspamd action \"reject\"; quarantine at 6.00): "
                      "quarantined", trace)
        self.assertIn("spam: ann@%s's copy goes to Junk instead of INBOX" % self.domain, trace)
        lines = self.log_line("spam_scored", qid)
        self.assertEqual(len(lines), 1, self.d.log()[-3000:])
        self.assertIn("score=15.00 action=reject quarantine=yes", lines[0])
        self.assertEqual(self.found("Junk", "gtube-test"), 1)
        self.assertEqual(self.found("INBOX", "gtube-test"), 0)

    def test_2_ham_stays_in_inbox(self):
        qid = self.deliver("ham-test", "Hello Ann, the minutes of today's meeting follow.")
        trace = self.delivered(qid)
        self.assertRegex(trace, r"X-Spam-Score: -?\d+\.\d\d \(rspamd action \"no action\"; "
                                r"quarantine at 6\.00\): not spam")
        self.assertNotIn("goes to Junk", trace)
        self.assertIn("quarantine=no", self.log_line("spam_scored", qid)[0])
        self.assertEqual(self.found("INBOX", "ham-test"), 1)
        self.assertEqual(self.found("Junk", "ham-test"), 0)

    def test_2a_spam_score_rule_moves(self):
        qid = self.deliver("score-rule-high", "Buy now. " + GTUBE, user="bea")
        trace = self.delivered(qid)
        self.assertIn("quarantined", trace)  # scored past the threshold too
        self.assertEqual(self.found("HighScore", "score-rule-high", "bea"), 1, trace)
        self.assertEqual(self.found("Junk", "score-rule-high", "bea"), 0)
        self.assertEqual(self.found("INBOX", "score-rule-high", "bea"), 0)
        qid = self.deliver("score-rule-low", "Hello Bea, the minutes follow.", user="bea")
        trace = self.delivered(qid)
        self.assertIn("not spam", trace)
        self.assertEqual(self.found("INBOX", "score-rule-low", "bea"), 1, trace)
        self.assertEqual(self.found("HighScore", "score-rule-low", "bea"), 0)

    def test_2b_quarantined_rule_matches(self):
        qid = self.deliver("quar-rule-spam", "Buy now. " + GTUBE, user="bea")
        trace = self.delivered(qid)
        self.assertEqual(self.found("Junk", "quar-rule-spam", "bea", "WasJunk"), 1, trace)
        self.assertEqual(self.found("INBOX", "quar-rule-spam", "bea"), 0)
        qid = self.deliver("quar-rule-ham", "Hello Bea, the agenda follows.", user="bea")
        trace = self.delivered(qid)
        self.assertEqual(self.found("INBOX", "quar-rule-ham", "bea"), 1, trace)
        self.assertEqual(self.found("INBOX", "quar-rule-ham", "bea", "WasJunk"), 0)

    def test_3_silent_rspamd_times_out(self):
        # a listener that accepts (the kernel's backlog) and never answers
        silent = socket.socket()
        self.addCleanup(silent.close)
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        self.spam_settings({"enabled": 1, "timeout_ms": 300,
                            "rspamd": "127.0.0.1:%d" % silent.getsockname()[1]})
        self.addCleanup(self.spam_settings, {"enabled": 1, "timeout_ms": 20000,
                                             "rspamd": "127.0.0.1:%d" % self.rspamd.port})
        qid = self.deliver("silent-test", GTUBE)
        trace = self.delivered(qid)
        self.assertIn("spam: not scored (waiting for rspamd's reply: timed out): delivered as "
                      "usual", trace)
        self.assertNotIn("Junk", trace)
        lines = self.log_line("spam_unscored", qid)
        self.assertEqual(len(lines), 1)
        self.assertIn("level=warn", lines[0])

    def test_3b_silent_rspamd_breaker(self):
        """Issue 13 R4: an rspamd that accepts and never answers costs each router shard
        spam.breaker_failures timeouts, then its circuit breaker opens and the rest go
        unscored at once: 20 messages are all delivered in far less than 20 timeouts."""
        silent = socket.socket()
        self.addCleanup(silent.close)
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        timeout_ms, failures, shards, n = 3000, 3, 2, 20  # ROUTER_SHARDS (router-actor.h)
        self.spam_settings({"enabled": 1, "timeout_ms": timeout_ms, "breaker_failures": failures,
                            "breaker_cooldown_s": 600,
                            "rspamd": "127.0.0.1:%d" % silent.getsockname()[1]})
        # back to the real rspamd: another address, so a fresh breaker (router-spam.c)
        self.addCleanup(self.spam_settings, {"enabled": 1, "timeout_ms": 20000,
                                             "rspamd": "127.0.0.1:%d" % self.rspamd.port})
        start = time.monotonic()
        qids = [self.deliver("breaker-%02d" % i, "plain text %d" % i) for i in range(n)]
        for qid in qids:
            pbtest.wait_until(lambda: "event=delivered msgid=%s" % qid in self.d.log(),
                              timeout=n * timeout_ms / 1000 + 60,
                              what="the delivery of %s" % qid)
        took = time.monotonic() - start
        # at worst every shard waits out `failures` timeouts one after the other; without the
        # breaker n timeouts shared by the shards: n / shards * timeout (30 s here)
        bound = shards * failures * timeout_ms / 1000 + 6
        self.assertLess(took, bound, "20 messages took %.1f s" % took)
        self.assertLess(bound, n / shards * timeout_ms / 1000)
        traces = []
        for qid in qids:
            rc, out, err = self.d.cli("trace", qid)
            self.assertEqual(rc, 0, err)
            self.assertIn("spam: not scored (", out)
            traces.append(out)
        skipped = [t for t in traces if "its circuit breaker is open" in t]
        self.assertGreaterEqual(len(skipped), n - shards * failures, traces[-1])
        opened = [ln for ln in self.d.log().splitlines() if "event=spam_breaker_open" in ln]
        self.assertTrue(1 <= len(opened) <= shards, opened)
        self.assertIn("rspamd breaker open", opened[0])
        self.assertEqual(self.found("INBOX", "breaker-"), n)

    def test_4_rspamd_killed_mid_run(self):
        qid = self.deliver("before-kill", "first of the run")
        self.assertIn("X-Spam-Score", self.delivered(qid))
        self.rspamd.kill()
        qid = self.deliver("after-kill", GTUBE)
        trace = self.delivered(qid)
        self.assertIn("spam: not scored (rspamd did not accept the connection: Connection "
                      "refused): delivered as usual", trace)
        self.assertNotIn("Junk", trace)
        self.assertEqual(len(self.log_line("spam_unscored", qid)), 1)
        self.assertEqual(self.log_line("spam_scored", qid), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
