"""End to end: /metrics' latency histograms, store and disk gauges and actor inbox depths
(issue 15 item 6), and the security log endpoint GET /api/logs/security (item 2) — with
smtplib and http.client. Checked: after mail sent with smtplib both histograms
(pillarbox_smtp_accept_seconds, pillarbox_delivery_seconds) count every message, their buckets
are cumulative (monotone, +Inf equal to _count) and their sums positive; SMTP refusals are
counted by reason (unknown user, relay denied, bad content) and the outbound queue's figures
are there; the store size and disk free gauges are above zero; every actor and every gateway hub
(smtp, pop3, imap, web, status) has an inbox depth. The mail counters move by exactly what was
sent: N messages to a local user (received and delivered +N), one relayed to a peer (sent +1),
one the peer refuses for good (bounced +1, its DSN delivered here), a refused RCPT (refused by
reason and recipients refused +1); wrong POP3 passwords past the limit lock an account
(lockouts +1, and no more for a wrong password while locked). The security log shows a
failed web login made here, filtered by user and by address, paged newest first without a
line lost or repeated, to an administrator only (401 without a login, 403 to an account)."""
import json
import os
import re
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import Peer  # noqa: E402
from test_web_api import ApiBase  # noqa: E402

SMTP, WEB, COLLECTOR = ('{source="%s"}' % s for s in ("smtp", "web", "collector"))
SAMPLE = re.compile(r'^([a-z_]+)(\{[^}]*\})? (\S+)$')


def parse_metrics(text):
    """{(name, labels): float} of the exposition's samples."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


class Metrics(ApiBase):
    def scrape(self):
        r, text = self.client().request("GET", "/metrics")  # loopback: a metrics network
        self.assertEqual(r.status, 200)
        return text.decode()

    def histogram(self, samples, name):
        """(buckets [(le, cumulative count)] in label order, sum, count) of histogram name."""
        buckets = [(labels, v) for (n, labels), v in samples.items() if n == name + "_bucket"]
        buckets.sort(key=lambda b: float(b[0].split('"')[1].replace("+Inf", "inf")))
        return buckets, samples[(name + "_sum", "")], samples[(name + "_count", "")]

    def check_histogram(self, samples, name, at_least):
        buckets, total, count = self.histogram(samples, name)
        self.assertGreaterEqual(len(buckets), 10, name)
        self.assertEqual(buckets[-1][0], '{le="+Inf"}')
        counts = [v for _, v in buckets]
        self.assertEqual(counts, sorted(counts), name + ": buckets must be cumulative")
        self.assertEqual(counts[-1], count)
        self.assertGreaterEqual(count, at_least, name)
        self.assertGreater(total, 0.0, name)
        self.assertLess(total / count, 60.0, name)  # seconds, not microseconds
        return count

    def test_histograms_move_with_mail(self):
        text = self.scrape()
        self.assertIn("# TYPE pillarbox_smtp_accept_seconds histogram", text)
        self.assertIn("# TYPE pillarbox_delivery_seconds histogram", text)
        before = parse_metrics(text)
        accept0 = before[("pillarbox_smtp_accept_seconds_count", "")]
        deliver0 = before[("pillarbox_delivery_seconds_count", "")]
        n = 5
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            for i in range(n):
                s.sendmail("a@example.org", ["bob@" + self.domain],
                           "From: a@example.org\r\nSubject: timed %d\r\n\r\nhello\r\n" % i)

        def delivered():
            samples = parse_metrics(self.scrape())
            done = samples[("pillarbox_delivery_seconds_count", "")] >= deliver0 + n
            return done and samples

        samples = pbtest.wait_until(delivered, timeout=30, what="the deliveries counted")
        self.check_histogram(samples, "pillarbox_smtp_accept_seconds", accept0 + n)
        self.check_histogram(samples, "pillarbox_delivery_seconds", deliver0 + n)
        # the accept is counted when the 250 is sent: all of them by the time smtplib returned
        self.assertEqual(samples[("pillarbox_smtp_accept_seconds_count", "")], accept0 + n)

    def test_refused_by_reason_and_queue(self):
        def refused(samples, reason):
            return samples[("pillarbox_refused_total", '{reason="%s"}' % reason)]

        before = parse_metrics(self.scrape())
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            s.ehlo()
            s.mail("a@example.org")
            self.assertEqual(s.rcpt("nobody@" + self.domain)[0], 550)
            self.assertEqual(s.rcpt("x@elsewhere.example")[0], 550)
            self.assertEqual(s.rcpt("bob@" + self.domain)[0], 250)
            self.assertEqual(s.data(b"Subject: nul\r\n\r\na\0b\r\n")[0], 550)
        after = parse_metrics(self.scrape())
        self.assertEqual(refused(after, "unknown_user"), refused(before, "unknown_user") + 1)
        self.assertEqual(refused(after, "relay_denied"), refused(before, "relay_denied") + 1)
        self.assertEqual(refused(after, "bad_content"), refused(before, "bad_content") + 1)
        self.assertEqual(refused(after, "too_big"), refused(before, "too_big"))
        for name in ("entries", "held", "recipients_waiting", "sent_total", "deferred_total",
                     "bounced_total"):
            self.assertGreaterEqual(after[("pillarbox_queue_" + name, "")], 0)

    def test_store_disk_and_inbox_gauges(self):
        samples = parse_metrics(self.scrape())
        self.assertGreater(samples[("pillarbox_store_bytes", "")], 0)
        self.assertGreater(samples[("pillarbox_disk_free_bytes", "")], 0)
        depths = {labels for (n, labels) in samples if n == "pillarbox_actor_inbox_depth"}
        for actor in ("sys", "directory", "spool.0", "mailbox.0", "lockout"):
            self.assertIn('{actor="%s"}' % actor, depths)
        self.assertTrue(all(v >= 0 for (n, _), v in samples.items()
                            if n == "pillarbox_actor_inbox_depth"))

    def test_lockout_counted_once(self):
        """Wrong POP3 passwords past security.lock_after_failures (3) lock the account for the
        address: pillarbox_lockouts_total rises by exactly one, and a wrong password while
        locked adds no lock."""
        self.d.add_user("lena", "lena-secret-1")
        name = ("pillarbox_lockouts_total", "")
        before = parse_metrics(self.scrape())[name]
        for i in range(4):
            self.assertFalse(pbtest.pop3_login(self.d.ports["pop3"], "lena", "wrong-%d" % i,
                                               "127.0.0.9"))

        def counted():
            samples = parse_metrics(self.scrape())
            return samples[name] >= before + 1 and samples
        samples = pbtest.wait_until(counted, timeout=30, what="the lockout counted")
        self.assertEqual(samples[name], before + 1)
        locks = self.admin().request("GET", "/api/lockouts")[1]["locks"]
        self.assertIn(("lena", "127.0.0.9"), [(lk["user"], lk["ip"]) for lk in locks])

    def test_hub_inbox_depths(self):
        """Every gateway hub's inbox (the replies to its sessions) has a depth and a full
        count, labelled by the hub; actors are not in that family."""
        text = self.scrape()
        self.assertIn("# TYPE pillarbox_hub_inbox_depth gauge", text)
        self.assertIn("# TYPE pillarbox_hub_inbox_full_total counter", text)
        samples = parse_metrics(text)
        for family in ("pillarbox_hub_inbox_depth", "pillarbox_hub_inbox_full_total"):
            hubs = {labels: v for (n, labels), v in samples.items() if n == family}
            self.assertEqual(set(hubs), {'{hub="%s"}' % h for h in
                                         ("smtp", "pop3", "imap", "web", "status")}, family)
            self.assertTrue(all(v >= 0 for v in hubs.values()), family)


class MailCounters(ApiBase):
    """The mail counters move by what was sent: a daemon of its own relaying for loopback
    (smtp.relay_networks) through a small SMTP peer (test_queue.Peer: RCPT of bad... gets
    550) as smart host."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = Peer()
        for doc, values in (("outbound", {"smart_host": "127.0.0.1:%d" % cls.peer.port,
                                          "retry_first_s": 1, "retry_max_s": 2}),
                            ("smtp", {"relay_networks": "127.0.0.0/8"})):
            rc, _, err = cls.d.cli("setting", "set", doc, json.dumps(values))
            assert rc == 0, err

    @classmethod
    def tearDownClass(cls):
        cls.peer.shutdown()
        super().tearDownClass()

    def scrape(self):
        r, text = self.client().request("GET", "/metrics")
        self.assertEqual(r.status, 200)
        return parse_metrics(text.decode())

    def relaying(self):
        """Whether a RCPT for a remote domain is accepted now (the hub saw the setting)."""
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            s.ehlo()
            s.mail("bob@" + self.domain)
            return s.rcpt("far@remote.example")[0] == 250

    def send(self, rcpt, subject):
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            refused = s.sendmail("bob@" + self.domain, [rcpt],
                                 "From: bob\r\nSubject: %s\r\n\r\nhello\r\n" % subject)
            self.assertEqual(refused, {})

    def test_counters_move_with_mail(self):
        """received, delivered and the SMTP refusal totals come from the gateways' and spool
        shards' reports to sys (once a second), so each is waited for: to reach its value
        and not pass it."""
        pbtest.wait_until(self.relaying, timeout=30, what="relay_networks in effect")
        v0 = self.scrape()

        def moves(name, by, labels=""):
            def reached():
                samples = self.scrape()
                return samples[(name, labels)] >= v0[(name, labels)] + by and samples
            samples = pbtest.wait_until(reached, timeout=pbtest.DELIVERY_TIMEOUT, what=name)
            self.assertEqual(samples[(name, labels)], v0[(name, labels)] + by, name + labels)
            return samples

        n = 3
        for i in range(n):
            self.send("bob@" + self.domain, "local %d" % i)
        moves("pillarbox_messages_received_total", n, SMTP)
        moves("pillarbox_deliveries_total", n)
        # relayed to the peer: sent
        self.send("far@remote.example", "relayed")
        moves("pillarbox_messages_received_total", n + 1, SMTP)
        moves("pillarbox_queue_sent_total", 1)
        self.assertEqual(len(self.peer.received), 1)
        # refused by the peer for good: bounced, its DSN delivered to bob here
        self.send("bad1@remote.example", "bounced")
        moves("pillarbox_messages_received_total", n + 2, SMTP)
        moves("pillarbox_queue_bounced_total", 1)
        moves("pillarbox_deliveries_total", n + 1)
        # a refused RCPT: by reason, and in the recipients refused
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            s.ehlo()
            s.mail("a@example.org")
            self.assertEqual(s.rcpt("nobody@" + self.domain)[0], 550)
        moves("pillarbox_refused_total", 1, '{reason="unknown_user"}')
        v = moves("pillarbox_recipients_refused_total", 1)
        self.assertEqual(v[("pillarbox_messages_received_total", SMTP)],
                         v0[("pillarbox_messages_received_total", SMTP)] + n + 2)
        for labels in (WEB, COLLECTOR):  # nothing came from webmail or a collector
            self.assertEqual(v[("pillarbox_messages_received_total", labels)],
                             v0[("pillarbox_messages_received_total", labels)], labels)
        for name, by in (("pillarbox_messages_rejected_total", 0),
                         ("pillarbox_queue_sent_total", 1), ("pillarbox_queue_bounced_total", 1),
                         ("pillarbox_deliveries_total", n + 1)):
            self.assertEqual(v[(name, "")], v0[(name, "")] + by, name)
        self.assertEqual(len(self.peer.received), 1)

    def test_webmail_sends_are_received_from_web(self):
        """A message sent from webmail is counted with source="web", by exactly one (the
        runtime's counter, read when /metrics is asked: no report to wait for)."""
        v0 = self.scrape()
        bob = self.client()
        r, body = bob.login("bob", "bob-secret-1")
        self.assertEqual(r.status, 200, body)
        r, body = bob.request("POST", "/api/mail/send", {"to": "bob@" + self.domain,
                                                         "subject": "from webmail",
                                                         "text": "hello"})
        self.assertEqual(r.status, 202, body)
        v = self.scrape()
        name = "pillarbox_messages_received_total"
        self.assertEqual(v[(name, WEB)], v0[(name, WEB)] + 1)
        self.assertEqual(v[(name, SMTP)], v0[(name, SMTP)])
        self.assertEqual(v[(name, COLLECTOR)], v0[(name, COLLECTOR)])


class SecurityLog(ApiBase):
    def page(self, c, query):
        r, body = c.request("GET", "/api/logs/security" + query)
        self.assertEqual(r.status, 200, body)
        return body

    def test_failed_login_is_in_the_security_log(self):
        r, _ = self.client().login("bob", "not-bobs-password")
        self.assertEqual(r.status, 401)
        c = self.admin()

        def failed_line():
            lines = self.page(c, "?user=bob&limit=50")["lines"]
            return [ln for ln in lines if "event=login_failed" in ln["text"]]

        lines = pbtest.wait_until(failed_line, timeout=30, what="the failed login's line")
        self.assertIn("protocol=web", lines[0]["text"])
        self.assertRegex(lines[0]["text"], r"\buser=bob\b")
        self.assertGreater(lines[0]["time_ms"], 1700000000000)
        # by address: the loopback; by another address or user: not there
        by_ip = self.page(c, "?ip=127.0.0.1&limit=1000")["lines"]
        self.assertIn(lines[0]["offset"], [ln["offset"] for ln in by_ip])
        self.assertEqual(self.page(c, "?ip=192.0.2.1")["lines"], [])
        self.assertEqual(self.page(c, "?user=bo")["lines"], [])

    def test_paged_newest_first_and_admin_only(self):
        for i in range(3):
            self.client().login("nobody%d" % i, "wrong")
        c = self.admin()
        everything = self.page(c, "?limit=1000")
        self.assertEqual(everything["next"], 0)
        offsets = [ln["offset"] for ln in everything["lines"]]
        self.assertEqual(offsets, sorted(offsets, reverse=True))
        self.assertGreaterEqual(len(offsets), 3)
        paged, before = [], ""
        while True:
            body = self.page(c, "?limit=2" + before)
            self.assertLessEqual(len(body["lines"]), 2)
            paged += [ln["offset"] for ln in body["lines"]]
            if body["next"] == 0:
                break
            before = "&before=%d" % body["next"]
        # lines written since the first read (this test's own login) come before it
        self.assertEqual(paged[-len(offsets):], offsets)
        for bad in ("?limit=0", "?limit=1001", "?before=x"):
            r, body = c.request("GET", "/api/logs/security" + bad)
            self.assertEqual(r.status, 400, bad)
            self.assertIn("error", body)
        r, _ = self.client().request("GET", "/api/logs/security")
        self.assertEqual(r.status, 401)
        bob = self.client()
        self.assertEqual(bob.login("bob", "bob-secret-1")[0].status, 200)
        r, _ = bob.request("GET", "/api/logs/security")
        self.assertEqual(r.status, 403)


if __name__ == "__main__":
    unittest.main()
