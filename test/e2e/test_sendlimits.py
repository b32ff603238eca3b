"""End to end: per-user sending permissions (issue 10 items 3 and 6) against the real daemon,
with smtplib logging in (AUTH PLAIN from loopback) on the submission port: an account sends only
as its own addresses unless send_as_any; forbidden recipients (wildcards, any case); local
only; no BCC (every recipient in To: or Cc:); the hourly limit reached at message N+1 and a
daily one; an outgoing size limit; each refusal's exact reply, a security log line naming the
rule, and the other accounts unaffected. Settings are changed with `pillarbox user set`."""
import os
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from test_tls import TlsCase  # noqa: E402

FAR = "someone@elsewhere.example"


class SendLimits(TlsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name in ("bob", "carol", "dave", "erin", "frank", "gina", "hank", "ivy"):
            cls.d.add_user(name, name + "pw12")

    def addr(self, name):
        return "%s@%s" % (name, self.domain)

    def session(self, user=None, svc="submission"):
        s = smtplib.SMTP(timeout=60)
        s.connect("127.0.0.1", self.port(svc))
        self.addCleanup(s.close)
        s.ehlo("client.example.org")
        if user:
            self.assertEqual(s.login(user, user + "pw12" if user != "alice" else "alicepw1")[0],
                             235)
        return s

    def set(self, user, key, value):
        rc, out, err = self.d.cli("user", "set", user, key, value)
        self.assertEqual(rc, 0, err)

    def mail(self, s, sender):
        return s.docmd("MAIL", "FROM:<%s>" % sender)

    def send(self, s, sender, rcpts, headers=None):
        """One message; returns the reply to the end of data (or the first refusal)."""
        got = self.mail(s, sender)
        if got[0] != 250:
            return got
        for r in rcpts:
            got = s.docmd("RCPT", "TO:<%s>" % r)
            if got[0] != 250:
                s.docmd("RSET")
                return got
        hdr = headers if headers is not None else "To: %s\r\n" % ", ".join(rcpts)
        return s.data(("From: <%s>\r\n%sSubject: t\r\n\r\nhello\r\n" % (sender, hdr)).encode())

    def security_log(self):
        with open(os.path.join(self.d.data_dir, "security.log")) as f:
            return f.read()

    def test_own_addresses_only(self):
        s = self.session("bob")
        self.assertEqual(self.mail(s, self.addr("bob"))[0], 250)
        s.docmd("RSET")
        self.assertEqual(self.mail(s, self.addr("BOB").upper())[0], 250)  # any case
        s.docmd("RSET")
        self.assertEqual(self.mail(s, "")[0], 250)  # the null sender: notifications
        s.docmd("RSET")
        self.assertEqual(self.mail(s, self.alice()),
                         (553, ("5.7.1 Sender address not allowed for this account: <%s>"
                                % self.alice()).encode()))
        self.assertEqual(self.mail(s, FAR)[0], 553)
        self.assertEqual(self.send(s, self.addr("bob"), [self.alice()])[0], 250)
        self.assertIn("event=send_refused user=bob rule=sender_not_own address=%s"
                      % self.alice(), self.security_log())
        # no account on 25 without AUTH: no per-user rule (local delivery as before)
        s = self.session(svc="smtp")
        self.assertEqual(self.send(s, FAR, [self.alice()])[0], 250)

    def test_send_as_any(self):
        self.set("carol", "send_as_any", "true")
        s = self.session("carol")
        self.assertEqual(self.send(s, self.alice(), [self.addr("bob")])[0], 250)
        self.assertEqual(self.send(s, FAR, [self.addr("bob")])[0], 250)
        rc, out, err = self.d.cli("user", "show", "carol")
        self.assertEqual(rc, 0, err)
        self.assertIn("  send_as_any: true", out)
        rc, out, err = self.d.cli("user", "unset", "carol", "send_as_any")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.mail(self.session("carol"), self.alice())[0], 553)

    def test_forbidden_recipients(self):
        self.set("dave", "forbidden_recipients", "*@competitor.com, ALICE@*")
        s = self.session("dave")
        self.assertEqual(self.mail(s, self.addr("dave"))[0], 250)
        self.assertEqual(s.docmd("RCPT", "TO:<%s>" % self.alice()),
                         (550, ("5.7.1 Sending to <%s> is not allowed for this account"
                                % self.alice()).encode()))
        self.assertEqual(s.docmd("RCPT", "TO:<Sales@Competitor.COM>"),
                         (550, b"5.7.1 Sending to <Sales@Competitor.COM> is not allowed for "
                               b"this account"))
        self.assertEqual(s.docmd("RCPT", "TO:<%s>" % self.addr("bob"))[0], 250)
        s.docmd("RSET")
        self.assertIn("user=dave rule=forbidden_recipient", self.security_log())
        # another account may
        self.assertEqual(self.send(self.session("bob"), self.addr("bob"), [self.alice()])[0], 250)
        rc, out, err = self.d.cli("user", "show", "dave")
        self.assertIn("  forbidden_recipients: *@competitor.com, ALICE@*", out)

    def test_local_only(self):
        self.set("erin", "internet_mail", "no")
        s = self.session("erin")
        self.assertEqual(self.mail(s, self.addr("erin"))[0], 250)
        self.assertEqual(s.docmd("RCPT", "TO:<%s>" % FAR),
                         (550, b"5.7.1 This account may send to local addresses only"))
        self.assertEqual(s.docmd("RCPT", "TO:<%s>" % self.alice())[0], 250)
        s.docmd("RSET")
        # others may: the recipient goes to the outbound queue
        s = self.session("bob")
        self.assertEqual(self.mail(s, self.addr("bob"))[0], 250)
        self.assertEqual(s.docmd("RCPT", "TO:<%s>" % FAR)[0], 250)

    def test_no_bcc(self):
        self.set("frank", "allow_bcc", "false")
        s = self.session("frank")
        rcpts = [self.alice(), self.addr("bob")]
        got = self.send(s, self.addr("frank"), rcpts, headers="To: <%s>\r\n" % self.alice())
        self.assertEqual(got, (550, b"5.7.1 Sending with BCC is not allowed for this account"))
        self.assertIn("user=frank rule=bcc address=%s" % self.addr("bob"), self.security_log())
        got = self.send(s, self.addr("frank"), rcpts, headers="To: Alice <%s>\r\nCc: %s\r\n"
                        % (self.alice().upper(), self.addr("bob")))
        self.assertEqual(got[0], 250, got)
        # through BDAT (RFC 3030), the Cc: field cut across two chunks
        self.assertEqual(self.mail(s, self.addr("frank"))[0], 250)
        for r in rcpts:
            self.assertEqual(s.docmd("RCPT", "TO:<%s>" % r)[0], 250)
        one = ("Subject: chunked\r\nTo: %s\r\nC" % self.alice()).encode()
        two = ("c: %s\r\n\r\nbody\r\n" % self.addr("bob")).encode()
        s.send(b"BDAT %d\r\n" % len(one) + one)
        self.assertEqual(s.getreply()[0], 250)
        s.send(b"BDAT %d LAST\r\n" % len(two) + two)
        self.assertEqual(s.getreply()[0], 250)
        # a Bcc: header is a blind copy too
        got = self.send(s, self.addr("frank"), rcpts, headers="To: %s\r\nBcc: %s\r\n"
                        % (self.alice(), self.addr("bob")))
        self.assertEqual(got[0], 550, got)
        # others may
        got = self.send(self.session("bob"), self.addr("bob"), rcpts,
                        headers="To: <%s>\r\n" % self.alice())
        self.assertEqual(got[0], 250, got)

    def test_hourly_limit(self):
        self.set("gina", "max_messages_per_hour", "3")
        s = self.session("gina")
        for i in range(3):
            self.assertEqual(self.send(s, self.addr("gina"), [self.alice()])[0], 250, i)
        self.assertEqual(self.mail(s, self.addr("gina")),
                         (450, b"4.7.1 Sending limit reached: 3 messages per hour"))
        self.assertEqual(self.mail(self.session("gina"), self.addr("gina"))[0], 450)
        self.assertIn("user=gina rule=messages_per_hour", self.security_log())
        # the others are not limited
        for i in range(4):
            self.assertEqual(self.send(self.session("bob"), self.addr("bob"), [self.alice()])[0],
                             250)
        # a refused message does not count; raising the limit lets one more through
        self.set("gina", "max_messages_per_hour", "4")
        self.assertEqual(self.send(s, self.addr("gina"), [self.alice()])[0], 250)
        self.assertEqual(self.mail(s, self.addr("gina"))[0], 450)

    def test_daily_limit(self):
        self.set("ivy", "max_messages_per_day", "1")
        s = self.session("ivy")
        self.assertEqual(self.send(s, self.addr("ivy"), [self.alice()])[0], 250)
        self.assertEqual(self.mail(s, self.addr("ivy")),
                         (450, b"4.7.1 Sending limit reached: 1 messages per day"))

    def test_size_limit(self):
        self.set("hank", "max_message_size_kb", "2")
        s = self.session("hank")
        self.assertEqual(s.docmd("MAIL", "FROM:<%s> SIZE=5000" % self.addr("hank")),
                         (552, b"5.3.4 Message size exceeds the limit for this account (2 kB)"))
        self.assertEqual(self.mail(s, self.addr("hank"))[0], 250)
        self.assertEqual(s.docmd("RCPT", "TO:<%s>" % self.alice())[0], 250)
        got = s.data(b"Subject: big\r\n\r\n" + b"x" * 70 + (b"\r\n" + b"y" * 70) * 60 + b"\r\n")
        self.assertEqual(got[0], 552, got)
        self.assertTrue(got[1].startswith(b"5.3.4 "), got)
        self.assertEqual(self.send(s, self.addr("hank"), [self.alice()])[0], 250)
        log = self.security_log()
        self.assertIn("user=hank rule=max_message_size address=%s" % self.addr("hank"), log)
        self.assertEqual(log.count("user=hank rule=max_message_size"), 2, log)
        # the same message from another account goes
        s = self.session("bob")
        self.assertEqual(self.mail(s, self.addr("bob"))[0], 250)
        self.assertEqual(s.docmd("RCPT", "TO:<%s>" % self.alice())[0], 250)
        got = s.data(b"Subject: big\r\n\r\n" + b"x" * 70 + (b"\r\n" + b"y" * 70) * 60 + b"\r\n")
        self.assertEqual(got[0], 250, got)

    def test_cli_errors(self):
        rc, out, err = self.d.cli("user", "set", "bob", "colour", "blue")
        self.assertEqual(rc, 64, err)
        self.assertIn("unknown setting 'colour'", err)
        rc, out, err = self.d.cli("user", "set", "bob", "max_messages_per_hour", "lots")
        self.assertEqual(rc, 1, err)
        self.assertIn("max_messages_per_hour must be a whole number from 0 to 1000000", err)
        rc, out, err = self.d.cli("user", "set", "bob", "forbidden_recipients", "/x/i")
        self.assertEqual(rc, 1, err)
        rc, out, err = self.d.cli("user", "set", "nobody", "allow_bcc", "false")
        self.assertEqual(rc, 1, err)
        self.assertIn("no such user", err)
        rc, out, err = self.d.cli("user", "set", "bob", "allow_bcc")
        self.assertEqual(rc, 64, err)
        rc, out, err = self.d.cli("user", "show", "bob")
        self.assertEqual(rc, 0, err)
        for line in ("  send_as_any: false",
                     "  max_messages_per_hour: default (limits.user_messages_per_hour)",
                     "  forbidden_recipients: (none)", "  allow_bcc: true",
                     "  internet_mail: true", "  max_message_size_kb: 0 (no limit)"):
            self.assertIn(line, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
