"""End to end: the web gateway takes what it buffers of a message from the node's budget of
message bytes in flight (limits.message_bytes_in_flight_mb, the one SMTP, POP3 and IMAP share;
audit R1). With the budget at its least (16 MiB), reading a 6 MiB message in webmail (its
octets, a decoded copy and the answer: more than the budget) gets 503 with Retry-After and a
JSON error while a small message reads; the budget is whole again after it (a second small read
works, the big one once the budget is raised, and /metrics' pillarbox_message_bytes_in_flight
is back to 0); a send whose body would take more than the budget gets the same 503."""
import os
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_web_api import ApiBase  # noqa: E402
from test_web_metrics import parse_metrics  # noqa: E402

BIG = 6 << 20


class Budget(ApiBase):
    def deliver(self, subject, body):
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=120) as s:
            s.sendmail("a@example.org", ["bob@" + self.domain],
                       "From: a@example.org\r\nSubject: %s\r\n\r\n%s\r\n" % (subject, body))

    def uids(self, bob, n):
        """{subject: uid} once bob's INBOX holds n messages."""
        def listed():
            r, page = bob.request("GET", "/api/mail/folders/INBOX/messages?limit=10")
            return r.status == 200 and len(page["messages"]) >= n and page["messages"]
        return {m["subject"]: m["uid"] for m in
                pbtest.wait_until(listed, timeout=pbtest.DELIVERY_TIMEOUT, what="delivery")}

    def read(self, bob, uid):
        return bob.request("GET", "/api/mail/folders/INBOX/messages/%d" % uid)

    def in_flight(self):
        r, text = self.client().request("GET", "/metrics")
        self.assertEqual(r.status, 200)
        return parse_metrics(text.decode())[("pillarbox_message_bytes_in_flight", "")]

    def set_budget(self, mb):
        rc, _, err = self.d.cli("setting", "set", "limits",
                                '{"message_bytes_in_flight_mb": %s}' % mb)
        self.assertEqual(rc, 0, err)

    def test_a_read_past_the_budget_is_503_and_gives_it_back(self):
        self.set_budget(16)
        self.addCleanup(self.set_budget, "null")
        self.deliver("small", "hello")
        self.deliver("big", ("x" * 76 + "\r\n") * (BIG // 78))
        bob = self.client()
        r, body = bob.login("bob", "bob-secret-1")
        self.assertEqual(r.status, 200, body)
        uids = self.uids(bob, 2)
        # the gateways read the setting once a second: wait for the big read to be refused
        def refused():
            r, body = self.read(bob, uids["big"])
            self.assertIn(r.status, (200, 503), body)
            return r.status == 503 and (r, body)
        r, body = pbtest.wait_until(refused, timeout=30, what="the budget in effect")
        self.assertEqual(r.getheader("Retry-After"), "5")
        self.assertIn("try again", body["error"])
        for _ in range(2):  # the small one reads, again and again: nothing was kept
            r, msg = self.read(bob, uids["small"])
            self.assertEqual((r.status, msg["subject"], msg["text"].strip()), (200, "small", "hello"))
        pbtest.wait_until(lambda: self.in_flight() == 0, what="the budget whole again")
        self.set_budget("null")
        def read_whole():
            r, msg = self.read(bob, uids["big"])
            return r.status == 200 and msg
        msg = pbtest.wait_until(read_whole, timeout=30, what="the default budget in effect")
        self.assertGreater(len(msg["text"]), BIG - 4096)
        pbtest.wait_until(lambda: self.in_flight() == 0, what="the budget whole again")

    def test_a_send_past_the_budget_is_503(self):
        """A send takes twice its body (parsed, and the message built) before anything else:
        a 9 MiB body (web.max_body_kb raised to let it in) is 503 under a 16 MiB budget."""
        self.set_budget(16)
        self.addCleanup(self.set_budget, "null")
        rc, _, err = self.d.cli("setting", "set", "web", '{"max_body_kb": 10240}')
        self.assertEqual(rc, 0, err)
        self.addCleanup(self.d.cli, "setting", "set", "web", '{"max_body_kb": null}')
        bob = self.client()
        r, body = bob.login("bob", "bob-secret-1")
        self.assertEqual(r.status, 200, body)
        big = {"to": "bob@" + self.domain, "subject": "big", "text": "x" * (9 << 20)}

        def refused():  # 413 (or the body cut off) until the gateway took both settings
            c = self.client()
            c.cookie, c.csrf = bob.cookie, bob.csrf
            try:
                r, body = c.request("POST", "/api/mail/send", big)
            except (ConnectionResetError, BrokenPipeError):
                return False
            self.assertIn(r.status, (413, 503), body)
            return r.status == 503 and (r, body)
        r, body = pbtest.wait_until(refused, timeout=30, what="the settings in effect")
        self.assertEqual(r.getheader("Retry-After"), "5")
        self.assertIn("try again", body["error"])
        pbtest.wait_until(lambda: self.in_flight() == 0, what="the budget whole again")
        r, body = bob.request("POST", "/api/mail/send", {"to": "bob@" + self.domain,
                                                         "subject": "small", "text": "hi"})
        self.assertEqual(r.status, 202, body)


if __name__ == "__main__":
    unittest.main()
