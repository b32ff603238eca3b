"""End to end: the per-account mailbox quota (issue 11, admin guide 4.8) against the real
daemon — `user set NAME quota_mb N` shown by `user show`; IMAP QUOTA (RFC 9208) answering the
root "" with STORAGE used/limit in KiB; APPEND and COPY past the quota NO [OVERQUOTA],
changing nothing; MULTIAPPEND all or none (a second message too big, or the two together over
the quota); warnings to the user at 80, 100 and 120% (once per crossing, re-armed below),
the administrator's copy at 100 and 120% (once each): System messages made by the spool from
the owner's markers, so an administrator's server rule of message type System files them into
Alerts and `pillarbox trace` says they were generated and which rule moved them; SMTP AUTH submission refused 552 5.2.2 past
125% while mail TO the account is still delivered; usage right after EXPUNGE, POP3 DELE and a
restart; UTF8 APPEND (RFC 6855) refused before ENABLE UTF8=ACCEPT and taken after."""
import imaplib
import json
import os
import poplib
import re
import smtplib
import socket
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from imaptest import Raw, close_quietly  # noqa: E402
from test_mail import message  # noqa: E402
from test_tls import TlsCase  # noqa: E402

MB = 1048576
BIG = 300 * 1024  # one test message's body: 3 of them pass 80% of 1 MB, 4 pass 100%
# The administrator's server rule: System messages about quotas go to the folder Alerts.
ALERT_RULES = {"rules": [
    {"name": "quota alerts", "types": ["system"], "conditions": [
        {"field": "subject", "match": "contains", "value": "quota", "i": True}],
     "actions": [{"action": "move_to_folder", "value": "Alerts"}]},
]}


def body(n, subject):
    """A message of about n octets (lines of 100)."""
    return message(subject, [b"x" * 98] * (n // 100))


class Quota(TlsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name in ("qa", "qc", "qw", "qu", "qm", "qk"):
            cls.d.add_user(name, name + "pw12")
            rc, out, err = cls.d.cli("user", "set", name, "quota_mb", "1")
            assert rc == 0, err
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(ALERT_RULES, f)
        try:
            rc, out, err = cls.d.cli("rules", "set", f.name)
            assert rc == 0, err
        finally:
            os.unlink(f.name)

    def imap(self, user):
        c = imaplib.IMAP4("127.0.0.1", self.port("imap"), timeout=60)
        self.addCleanup(close_quietly, c)
        c.login(user, {"admin": "adminpw1", "alice": "alicepw1"}.get(user, user + "pw12"))
        return c

    def raw(self, user):
        r = Raw(self.port("imap"))
        self.addCleanup(r.sock.close)
        r.line()
        r.send(b"l LOGIN %s %spw12\r\n" % (user.encode(), user.encode()))
        self.assertTrue(r.until_tagged(b"l")[-1].startswith(b"l OK"))
        return r

    def usage(self, c):
        """(STORAGE used, limit) of GETQUOTA "" and the octets of INBOX by STATUS (SIZE)."""
        typ, data = c.getquota('""')
        self.assertEqual(typ, "OK", data)
        m = re.match(rb'^"" \(STORAGE (\d+) (\d+)\)$', data[0])
        self.assertIsNotNone(m, data)
        typ, st = c.status("INBOX", "(SIZE)")
        size = int(re.search(rb"SIZE (\d+)", st[0]).group(1))
        return int(m.group(1)), int(m.group(2)), size

    def count(self, c, folder="INBOX"):
        typ, data = c.status(folder, "(MESSAGES)")
        return int(re.search(rb"MESSAGES (\d+)", data[0]).group(1))

    def subjects(self, user, folder="INBOX"):
        c = self.imap(user)
        if c.select(folder, readonly=True)[0] != "OK":  # Alerts: made by the first alert
            c.logout()
            return []
        typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        c.logout()
        return [p[1].decode().strip() for p in data if isinstance(p, tuple)]

    def deliver(self, user, n, subject):
        """Incoming SMTP (port 25, no AUTH) to user: never refused for quota."""
        s = smtplib.SMTP("127.0.0.1", self.port("smtp"), timeout=60)
        self.addCleanup(s.close)
        rcpt = "%s@%s" % (user, self.domain)
        self.assertEqual(s.sendmail("x@example.org", [rcpt], body(n, subject.encode())), {})
        s.quit()

    def wait_subjects(self, user, pred, what, folder="INBOX"):
        self.assertTrue(pbtest.wait_until(lambda: pred(self.subjects(user, folder)), timeout=60,
                                          what=what), self.subjects(user, folder))

    def test_cli_and_quota_answers(self):
        rc, out, err = self.d.cli("user", "show", "qc")
        self.assertEqual(rc, 0, err)
        self.assertIn("quota_mb: 1\n", out)
        rc, out, err = self.d.cli("user", "show", "alice")
        self.assertIn("quota_mb: default (quota.default_mb)", out)
        rc, out, err = self.d.cli("user", "set", "qc", "quota_mb", "-1")
        self.assertNotEqual(rc, 0)
        self.assertIn("quota_mb must be a whole number of MB", err)
        c = self.imap("qc")
        self.assertEqual(c.getquotaroot("INBOX"),
                         ("OK", [[b'"INBOX" ""'], [b'"" (STORAGE 0 1024)']]))
        a = self.imap("alice")  # no quota: no root (as before quotas existed)
        self.assertEqual(a.getquotaroot("INBOX"), ("OK", [[b'"INBOX"'], [None]]))
        self.assertEqual(a.getquota('""')[0], "NO")
        typ, data = c.setquota('""', "(STORAGE 99)")
        self.assertIn(b"[CANNOT]", data[0])

    def test_append_copy_overquota_expunge_restart(self):
        c = self.imap("qa")
        self.assertEqual(c.append("INBOX", None, None, body(600 * 1024, b"big"))[0], "OK")
        used, limit, size = self.usage(c)
        self.assertEqual((used, limit), ((size + 1023) // 1024, 1024))
        typ, data = c.append("INBOX", None, None, body(500 * 1024, b"too much"))
        self.assertEqual(typ, "NO")
        self.assertIn(b"[OVERQUOTA]", data[0])
        c.select("INBOX")
        typ, data = c.copy("1", "INBOX")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[OVERQUOTA]", data[0])
        c.create("Archive")
        self.assertEqual(c.uid("MOVE", "1:*", "Archive")[0], "OK")  # a move adds nothing
        self.assertEqual(self.count(c, "Archive"), 1)
        self.assertEqual(self.usage(c)[0], used)
        # MULTIAPPEND: the two together are over the quota: neither is appended
        r = self.raw("qa")
        half = body(250 * 1024, b"half")
        r.send(b"m APPEND INBOX {%d+}\r\n%s {%d+}\r\n%s\r\n" % (len(half), half, len(half), half))
        self.assertIn(b"m NO [OVERQUOTA]", r.until_tagged(b"m")[-1])
        # the second too big (past APPENDLIMIT): refused before its "+", the first not kept
        small = body(1000, b"small")
        r.send(b"n APPEND INBOX {%d}\r\n" % len(small))
        self.assertTrue(r.line().startswith(b"+"))
        r.send(small + b" {2000000000}\r\n")
        self.assertIn(b"n NO [TOOBIG]", r.until_tagged(b"n")[-1])
        r.send(b"o APPEND INBOX {%d+}\r\n%s\r\n" % (len(small), small))
        self.assertRegex(r.until_tagged(b"o")[-1], rb"^o OK \[APPENDUID \d+ \d+\]")
        self.assertEqual(self.count(c), 1)  # only o's
        # EXPUNGE: usage falls at once
        c.select("Archive")
        c.store("1:*", "+FLAGS", "\\Deleted")
        c.expunge()
        used, limit, size = self.usage(c)
        self.assertEqual(used, (size + 1023) // 1024)
        self.assertLess(used, 10)
        c.logout()
        # a restart: the quota and the usage are the owner's durable records
        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        c = self.imap("qa")
        self.assertEqual(self.usage(c)[:2], (used, 1024))

    def check_warning_traceable(self, user, subject):
        """The warning filed in user's Alerts begins with Return-Path: <> (its final delivery)
        and `pillarbox trace` finds it by its Message-ID: generated by this server, a System
        message, moved by the administrator's rule "quota alerts"."""
        c = self.imap(user)
        c.select("Alerts", readonly=True)
        typ, data = c.search(None, "SUBJECT", '"%s"' % subject)
        self.assertEqual(len(data[0].split()), 1, data)
        typ, msg = c.fetch(data[0].split()[0], "(BODY.PEEK[HEADER])")
        c.logout()
        head = msg[0][1].decode()
        self.assertTrue(head.startswith("Return-Path: <>\r\n"), head)
        mid = re.search(r"\r\nMessage-ID: (<[^>]+>)\r\n", head).group(1)
        rc, out, err = self.d.cli("trace", mid)
        self.assertEqual(rc, 0, err)
        self.assertIn("generated by this server: quota warning for %s at 80 %%" % user, out)
        self.assertIn("quota alerts", out)
        self.assertIn("Alerts", out)

    def test_warnings_admin_copy_and_sending_block(self):
        def quota_subjects(subs):
            return [s for s in subs if "quota" in s.lower()]

        def alerts(user):
            return quota_subjects(self.subjects(user, "Alerts"))
        self.deliver("qw", BIG, "m1")
        self.deliver("qw", BIG, "m2")
        self.wait_subjects("qw", lambda s: len(s) == 2, "two delivered")
        self.assertEqual(alerts("qw"), [])
        self.deliver("qw", BIG, "m3")  # about 88%
        self.wait_subjects("qw", lambda s: len(quota_subjects(s)) == 1, "the 80% warning",
                           "Alerts")
        self.assertIn("Subject: Mailbox quota warning: 80% of your quota used", alerts("qw"))
        self.assertEqual(quota_subjects(self.subjects("qw")), [])  # the rule moved it
        self.check_warning_traceable("qw", "80% of your quota used")
        self.deliver("qw", BIG, "m4")  # about 117%: the 100% warning, and the admin's copy
        self.wait_subjects("qw", lambda s: len(quota_subjects(s)) == 2, "the 100% warning",
                           "Alerts")
        self.wait_subjects("admin", lambda s: any("qw has reached 100%" in x for x in s),
                           "the admin's 100% copy", "Alerts")
        sub = smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=60)
        self.addCleanup(sub.close)
        sub.ehlo("client.example.org")
        sub.login("qw", "qwpw12")
        self.assertEqual(sub.docmd("MAIL", "FROM:<qw@%s>" % self.domain)[0], 250)  # < 125%
        sub.docmd("RSET")
        self.deliver("qw", BIG, "m5")  # about 147%: delivered all the same
        self.wait_subjects("qw", lambda s: len(quota_subjects(s)) == 3, "the 120% warning",
                           "Alerts")
        self.wait_subjects("admin", lambda s: any("qw has reached 120%" in x for x in s),
                           "the admin's 120% copy", "Alerts")
        code, text = sub.docmd("MAIL", "FROM:<qw@%s>" % self.domain)
        self.assertEqual(code, 552)
        self.assertTrue(text.startswith(b"5.2.2 Mailbox over quota (1 MB)"), text)
        self.assertEqual(len(alerts("qw")), 3)  # once per crossing
        admin = [s for s in self.subjects("admin", "Alerts") if "qw has" in s]
        self.assertEqual(sorted(admin), ["Subject: Mailbox quota: qw has reached 100% of its quota",
                                         "Subject: Mailbox quota: qw has reached 120% of its quota"])
        self.assertEqual(len(self.subjects("qw")), 5)
        # POP3 DELE of three: below 80%, re-armed; sending allowed again
        p = poplib.POP3("127.0.0.1", self.port("pop3"), timeout=60)
        p.user("qw")
        p.pass_("qwpw12")
        big = [i + 1 for i, n in enumerate(p.list()[1]) if int(n.split()[1]) > BIG]
        for i in big[:3]:
            p.dele(i)
        p.quit()
        c = self.imap("qw")
        used, limit, size = self.usage(c)
        self.assertLess(used, 700)
        self.assertEqual(sub.docmd("MAIL", "FROM:<qw@%s>" % self.domain)[0], 250)
        sub.docmd("RSET")
        self.deliver("qw", BIG, "m6")  # past 80% again: warned again
        self.wait_subjects("qw", lambda s: len(quota_subjects(s)) == 4, "the 80% warning again",
                           "Alerts")

    def test_warning_survives_kill9(self):
        """The owner's marker (written with the level) survives kill -9 before the spool's
        tick makes it: the warning arrives after the restart, once."""
        before = self.d.log().count("event=quota_warning ")
        for i in range(3):  # about 88%
            self.deliver("qk", BIG, "k%d" % i)
        self.assertTrue(pbtest.wait_until(
            lambda: self.d.log().count("event=quota_warning ") > before, timeout=60,
            what="the owner's 80% decision"))
        self.d.kill9()  # most likely before the spool's tick took the marker
        self.d.start()
        self.wait_subjects("qk", lambda s: len(s) == 1, "the 80% warning", "Alerts")
        self.deliver("qk", BIG, "k3")  # about 117%: a later marker, made after the first
        self.wait_subjects("qk", lambda s: len(s) == 2, "the 100% warning", "Alerts")
        self.assertEqual(sorted(self.subjects("qk", "Alerts")),
                         ["Subject: Mailbox quota warning: 100% of your quota used",
                          "Subject: Mailbox quota warning: 80% of your quota used"])

    def test_multiappend_many_messages(self):
        """One MULTIAPPEND of 20 messages is appended whole (the owner's open uploads per user
        were 4: the 5th message of one APPEND got NO [UNAVAILABLE])."""
        r = self.raw("qm")
        msgs = [body(1000, b"many %d" % i) for i in range(20)]
        cmd = b"m APPEND INBOX"
        for m in msgs:
            cmd += b" {%d+}\r\n%s" % (len(m), m)
        r.send(cmd + b"\r\n")
        last = r.until_tagged(b"m")[-1]
        self.assertRegex(last, rb"^m OK \[APPENDUID \d+ \d+:\d+\]", last)
        c = self.imap("qm")
        self.assertEqual(self.count(c), 20)
        c.logout()

    def test_utf8_append(self):
        r = self.raw("qu")
        msg = "Subject: caf\u00e9\r\n\r\nd\u00e9j\u00e0 vu\r\n".encode()
        r.send(b"a APPEND INBOX UTF8 (~{%d}\r\n" % len(msg))
        self.assertEqual(r.until_tagged(b"a")[-1],
                         b"a BAD UTF8 message data needs ENABLE UTF8=ACCEPT first")
        r.send(b"e ENABLE UTF8=ACCEPT\r\n")
        self.assertEqual(r.until_tagged(b"e")[-1], b"e OK Enabled.")
        r.send(b"b APPEND INBOX (\\Seen) UTF8 (~{%d}\r\n" % len(msg))
        self.assertTrue(r.line().startswith(b"+"))
        r.send(msg + b")\r\n")
        self.assertRegex(r.until_tagged(b"b")[-1], rb"^b OK \[APPENDUID \d+ 1\]")
        r.send(b"s SELECT INBOX\r\n")
        r.until_tagged(b"s")
        r.send(b"f FETCH 1 (FLAGS BODY.PEEK[])\r\n")
        lines = r.until_tagged(b"f")
        while not lines[-1].startswith(b"f "):  # the message's blank line ends until_tagged
            lines += r.until_tagged(b"f")
        got = b"\r\n".join(lines)
        self.assertIn(b"\\Seen", got)
        self.assertIn(b"BODY[] {%d}" % len(msg), got)
        self.assertIn("d\u00e9j\u00e0 vu".encode(), got)


if __name__ == "__main__":
    unittest.main(verbosity=2)
