"""End to end: the reply to a collector's "too big to download" notice fetches the message
(issue 12 item 3; the guide: "If the user replies to this request, VPOP3 will download the big
message and deliver it as normal"). Dovecot is the ISP's POP3 server (test_collector.py's);
a message over max_kb gets a notice whose From and Reply-To are
collector-fetch+TOKEN@<the first local domain>. Checked: RCPT to a forged token is refused
with 550 and nothing is fetched; the right token from another account, or from the right
address without authentication, is dropped with a trace and fetches nothing; the reply of
the account told, authenticated with smtplib, is delivered to no mailbox and makes the
collector run at once: the big message arrives whole in the user's INBOX and leaves the ISP."""
import email
import os
import poplib
import re
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_collector import CollectorCase, message  # noqa: E402

BIG_LINE = "y" * 76


class ReplyFetches(CollectorCase):
    def messages(self, user):
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
        try:
            p.user(user)
            p.pass_(self.USERS.get(user, "adminpw1"))
            n = len(p.list()[1])
            return [email.message_from_bytes(b"\r\n".join(p.retr(i + 1)[1])) for i in range(n)]
        finally:
            p.quit()

    def send(self, user, sender, rcpt, login=True):
        """A reply sent with smtplib (logged in as user on the submission port when login,
        else on port 25); the refused recipients."""
        port = self.d.ports["submission" if login else "smtp"]
        s = smtplib.SMTP("127.0.0.1", port, timeout=60)
        try:
            s.ehlo("client.example")
            if login:
                s.login(user, self.USERS[user])  # loopback: PLAIN allowed in clear
            msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: Re: fetch it\r\n\r\nyes please\r\n" %
                   (sender, rcpt))
            return s.sendmail(sender, [rcpt], msg)
        finally:
            s.quit()

    def refused_replies(self):
        return self.d.log().count("event=fetch_reply_refused")

    def test_reply_fetches_the_big_message(self):
        domain = self.d.local_domain()
        bob, carol = "bob@" + domain, "carol@" + domain
        big = message("bob@company.example", "huge", body=(BIG_LINE + "\r\n") * 100)
        self.isp.put("isp", big, "big")
        self.add("replyme", "domains=company.example", "max_kb=4")
        got = self.run_collector("replyme")
        self.assertEqual((got["fetched"], got["too_big"]), ("0", "1"))
        notice_subject = "A message too big to download: huge"
        self.wait_subjects("bob", [notice_subject])
        notice = [m for m in self.messages("bob") if m["Subject"] == notice_subject][0]
        reply_to = notice["Reply-To"].strip("<>")
        self.assertRegex(reply_to, r"^collector-fetch\+[0-9a-f]{32}@" + re.escape(domain) + "$")
        self.assertIn(reply_to, notice["From"])
        text = notice.get_payload()
        self.assertIn("reply to this message", text)
        self.assertIn("pillarbox collector fetch replyme ", text)  # the manual path stays

        # a forged token: refused at RCPT, nothing asked for
        token = reply_to.split("+")[1].split("@")[0]
        forged = "collector-fetch+%s@%s" % ("0" * 32 if token != "0" * 32 else "1" * 32, domain)
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as e:
            self.send("bob", bob, forged)
        self.assertEqual(e.exception.recipients[forged][0], 550)
        # the right token from an account the notice did not go to, and from bob's address
        # without authentication (not a relay network here): accepted, dropped with a trace
        self.assertEqual(self.send("carol", carol, reply_to), {})
        pbtest.wait_until(lambda: self.refused_replies() >= 1, timeout=30,
                          what="carol's reply refused")
        self.assertEqual(self.send("bob", bob, reply_to, login=False), {})
        pbtest.wait_until(lambda: self.refused_replies() >= 2, timeout=30,
                          what="the unauthenticated reply refused")
        got = self.run_collector("replyme")
        self.assertEqual((got["fetched"], got["too_big"], got["waiting"]), ("0", "0", "1"))
        self.assertEqual(self.isp.count("isp"), 1)

        # bob's reply: the collector runs at once, the big message arrives as any other
        self.assertEqual(self.send("bob", bob, reply_to), {})
        self.wait_subjects("bob", [notice_subject, "huge"])
        huge = [m for m in self.messages("bob") if m["Subject"] == "huge"][0]
        body = huge.get_payload().replace("\r\n", "\n").rstrip("\n")  # POP3 lines joined
        self.assertEqual(body, "\n".join([BIG_LINE] * 100))
        pbtest.wait_until(lambda: self.isp.count("isp") == 0, timeout=30,
                          what="the big message deleted at the ISP")
        # the replies reached no mailbox
        for user in ("bob", "carol", "admin"):
            self.assertNotIn("Re: fetch it", self.subjects(user))
        self.assertIn("event=consumed", self.d.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
