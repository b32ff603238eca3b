"""End to end: generated messages of issue 13 against the real daemon — the welcome message of
a new account (welcome.* settings, variables replaced) in its INBOX once, also when the daemon
is killed (-9) right after the account is added and when it restarts; the per-account choice
(`user add --welcome|--no-welcome`, the REST body's "welcome", the bulk add's third column)
over the setting, either way; the daily quota reminder
(quota.reminder_user) driven by `pillarbox maint run` (the maintenance actor's hook): one for a
user past warn1_percent, none for a user below it, and no second one the same day, even after
a restart; `pillarbox autoreply set|show|off` round-trip over the user settings, with the reply
itself arriving (imaplib) and a bad value refused naming its key."""
import email
import imaplib
import os
import smtplib
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402


class RouteGen(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()
        cls.domain = cls.d.local_domain()
        cls.ok("setting", "set", "welcome",
               '{"enabled": 1, "subject": "Hello %username%",'
               ' "text": "Dear %UserName%,\\\\nwrite to %address%."}')
        cls.ok("setting", "set", "quota", '{"reminder_user": 1}')

    @classmethod
    def tearDownClass(cls):
        cls.d.stop_checked()

    @classmethod
    def ok(cls, *args, input=None):
        rc, out, err = cls.d.cli(*args, input=input)
        assert rc == 0, (args, out, err)
        return out

    def messages(self, user):
        m = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60)
        try:
            m.login(user, user + "pw123")
            m.select("INBOX", readonly=True)
            out = []
            for num in m.search(None, "ALL")[1][0].split():
                out.append(email.message_from_bytes(m.fetch(num, "(BODY.PEEK[])")[1][0][1]))
            return out
        finally:
            m.logout()

    def subjects(self, user, prefix):
        return [m["Subject"] for m in self.messages(user) if m["Subject"].startswith(prefix)]

    def deliver(self, sender, rcpt, subject, size=0):
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60)
        self.addCleanup(s.close)
        body = "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@client>\r\n\r\n" % (
            sender, rcpt, subject, subject) + ("x" * 98 + "\r\n") * (size // 100) + "hello\r\n"
        s.sendmail(sender, [rcpt], body.encode())
        s.quit()

    def restart(self, kill=False):
        if kill:
            self.d.kill9()
        else:
            self.assertEqual(self.d.stop(), 0)
        self.d.start()

    # ---- the welcome message ----

    def welcomes(self, user):
        return pbtest.wait_until(lambda: self.subjects(user, "Hello "), timeout=60,
                                 what="the welcome message of " + user)

    def test_welcome_once(self):
        self.d.add_user("wel", "welpw123")
        self.assertEqual(self.welcomes("wel"), ["Hello wel"])
        m = self.messages("wel")[0]
        self.assertEqual(m["Auto-Submitted"], "auto-generated")
        self.assertEqual(m["To"], "<wel@%s>" % self.domain)
        self.assertEqual(m.get_payload(), "Dear wel,\r\nwrite to wel@%s.\r\n" % self.domain)
        self.restart()
        # a later account's welcome comes from a later scan of the markers: by then a
        # second welcome of wel would have been made as well
        self.d.add_user("wel2", "wel2pw123")
        self.welcomes("wel2")
        self.assertEqual(self.subjects("wel", "Hello "), ["Hello wel"])

    def test_welcome_survives_kill9(self):
        self.d.add_user("kil", "kilpw123")
        self.restart(kill=True)  # most likely before the spool's tick took the marker
        self.assertEqual(self.welcomes("kil"), ["Hello kil"])
        self.d.add_user("kil2", "kil2pw123")
        self.welcomes("kil2")
        self.assertEqual(self.subjects("kil", "Hello "), ["Hello kil"])

    def add(self, name, *opts):
        self.ok("user", "add", name, *opts, input=name + "pw123\n")

    def none_for(self, users, witness):
        """No welcome for users: the witness's (added after them) came from a later scan of
        the markers, by which one of theirs would have been made as well."""
        self.welcomes(witness)
        for user in users:
            self.assertEqual(self.subjects(user, "Hello "), [], user)

    def rest_add(self, name, welcome):
        sys.path.insert(0, os.path.dirname(__file__))
        from test_web_api import Client
        c = Client(self.d.ports["http"])
        self.addCleanup(c.close)
        self.assertEqual(c.login("admin", self.d.admin_password)[0].status, 200)
        body = {"user": name, "password": name + "pw123"}
        if welcome is not None:
            body["welcome"] = welcome
        r, out = c.request("POST", "/api/users", body)
        self.assertEqual(r.status, 201, out)
        r, out = c.request("POST", "/api/users", {"user": name + "x", "password": "pw123456",
                                                  "welcome": "yes"})
        self.assertEqual(r.status, 400, out)  # true or false only

    def bulk(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        return self.d.cli("user", "bulk-add", f.name)

    def test_welcome_per_account_setting_on(self):
        self.add("wno", "--no-welcome")
        self.rest_add("wrno", False)
        rc, out, err = self.bulk("user,password,welcome\nwbno,wbnopw123,no\n"
                                 "wbmaybe,wbmaybepw123,maybe\n")
        self.assertEqual(rc, 1, err)  # the bad value refused, naming the line
        self.assertIn(":3: the welcome column wants yes, no", err)
        self.add("wdef")  # the setting's (on)
        self.none_for(["wno", "wrno", "wbno"], "wdef")
        self.assertNotIn("wbmaybe", self.d.users())
        rc, out, err = self.d.cli("user", "add", "wboth", "--welcome", "--no-welcome",
                                  input="wbothpw123\n")
        self.assertEqual(rc, 64, err)

    def test_welcome_per_account_setting_off(self):
        self.ok("setting", "set", "welcome", '{"enabled": 0}')
        self.addCleanup(self.ok, "setting", "set", "welcome", '{"enabled": 1}')
        self.add("woff")  # the setting's (off)
        self.rest_add("wroff", None)
        rc, out, err = self.bulk("wbdef,wbdefpw123,\nwbyes,wbyespw123,Yes\n")
        self.assertEqual(rc, 0, err)
        self.add("wyes", "--welcome")
        self.rest_add("wryes", True)  # added last: the witness
        for user in ("wbyes", "wyes", "wryes"):
            self.assertEqual(self.welcomes(user), ["Hello " + user])
        self.none_for(["woff", "wroff", "wbdef"], "wryes")

    # ---- the daily quota reminder ----

    def test_quota_reminder_once_a_day(self):
        for u in ("rem", "low"):
            self.d.add_user(u, u + "pw123")
            self.ok("user", "set", u, "quota_mb", "1")
        for i in range(3):  # 3 x 300 KB: past 80% of 1 MB
            self.deliver("x@remote.example", "rem@" + self.domain, "big-%d" % i, 300 * 1024)
        self.deliver("x@remote.example", "low@" + self.domain, "small", 1000)
        pbtest.wait_until(lambda: self.subjects("rem", "Mailbox quota warning"), timeout=60,
                          what="the 80% warning")
        pbtest.wait_until(lambda: self.subjects("low", "small"), timeout=60, what="low's mail")
        self.ok("maint", "run")
        # the owner hands the reminder to the spool (a marker), whose tick makes it
        pbtest.wait_until(lambda: self.subjects("rem", "Mailbox quota reminder"), timeout=60,
                          what="the reminder")
        got = self.subjects("rem", "Mailbox quota reminder")
        self.assertEqual(len(got), 1, got)
        self.assertRegex(got[0], r"^Mailbox quota reminder: 8\d% of your quota used$")
        self.assertEqual(self.subjects("low", "Mailbox quota"), [])
        self.ok("maint", "run")
        self.restart()
        self.ok("maint", "run")
        # no second reminder was decided (the owner logs each one it hands over) ...
        self.assertEqual(self.d.log().count("event=quota_reminder user_id="), 1)
        self.assertEqual(len(self.subjects("rem", "Mailbox quota reminder")), 1)

    # ---- the autoresponder CLI ----

    def test_autoreply_cli_round_trip(self):
        for u in ("away", "asker"):
            self.d.add_user(u, u + "pw123")
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("I am away.\nBack on Monday.\n")
        self.addCleanup(os.unlink, f.name)
        self.ok("autoreply", "set", "away", "--subject", "Away", "--text-file", f.name,
                "--from", "2020-01-01", "--until", "2099-12-31", "--days", "2")
        shown = self.ok("autoreply", "show", "away")
        for line in ("autoreply: on", "subject:  Away", "from:     2020-01-01",
                     "until:    2099-12-31", "days:     2", "Back on Monday."):
            self.assertIn(line, shown)
        self.assertIn('"autoreply_subject":"Away"', self.ok("user", "show", "away"))
        self.deliver("asker@" + self.domain, "away@" + self.domain, "question-1")
        r = pbtest.wait_until(lambda: self.subjects("asker", "Away"), timeout=60,
                              what="the automatic reply")
        self.assertEqual(r, ["Away"])
        rc, out, err = self.d.cli("autoreply", "set", "away", "--days", "0")
        self.assertNotEqual(rc, 0)
        self.assertIn("autoreply_days", err)
        self.ok("autoreply", "off", "away")
        shown = self.ok("autoreply", "show", "away")
        self.assertIn("autoreply: off", shown)
        self.assertIn("Back on Monday.", shown)  # kept for the next set
        rc, out, err = self.d.cli("autoreply", "set", "away", "--bogus", "x")
        self.assertEqual(rc, 64)


if __name__ == "__main__":
    unittest.main(verbosity=2)
