"""End to end: webmail's own settings and self-service recovery (issue 15 items 4 and 5).

Over urllib: the account's autoresponder, forwarding and rules through its own endpoints (not
another account's, never without the CSRF token); password change (current password required,
the password policy's reason); the address for password resets; "forgotten password" and
"unlock my account": the link really mailed through the spool to the alternate address's
local mailbox and read back with imaplib, one use only, expiring (web.reset_token_s set short),
the same answer for an account that does not exist, 429 past the limits per name and per
client address. In headless Chromium: an autoresponder set on the settings page answers mail
sent with smtplib; an account locked by wrong passwords is unlocked through the mailed link
and logs in."""
import email
import email.message
import email.policy
import imaplib
import json
import os
import re
import smtplib
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_webmail import Api  # noqa: E402  (a login's cookie and CSRF token over urllib)

ASKED = "if the account has an address for password resets, a link was mailed to it"


class Base(unittest.TestCase):
    # the alternate addresses' mailbox (a local account, read over IMAP)
    ALT, ALT_PW = "dora", "dora-secret-1"

    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()
        cls.domain = cls.d.local_domain()
        cls.port = cls.d.ports["http"]
        cls.d.add_user(cls.ALT, cls.ALT_PW)
        cls.setting("web", {"public_url": "http://127.0.0.1:%d" % cls.port})

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    @classmethod
    def setting(cls, doc, keys):
        rc, out, err = cls.d.cli("setting", "set", doc, json.dumps(keys))
        assert rc == 0, err

    @classmethod
    def user(cls, name, password, reset_email=True):
        cls.d.add_user(name, password)
        if reset_email:
            rc, out, err = cls.d.cli("user", "set", name, "reset_email",
                                     "%s@%s" % (cls.ALT, cls.domain))
            assert rc == 0, err

    def alt_messages(self):
        """The alternate mailbox's messages, oldest first (parsed)."""
        with imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60) as c:
            c.login(self.ALT, self.ALT_PW)
            c.select("INBOX")
            typ, data = c.uid("SEARCH", None, "ALL")
            out = []
            for uid in data[0].split():
                typ, msg = c.uid("FETCH", uid, "(RFC822)")
                out.append(email.message_from_bytes(msg[0][1], policy=email.policy.default))
            return out

    def mailed_link(self, before, account):
        """Waits for a new message in the alternate mailbox about account; returns its kind
        (reset or unlock), token and text."""
        found = []

        def arrived():
            for m in self.alt_messages()[before:]:
                text = m.get_content()
                if "mail account %s." % account in text:
                    found.append(text)
                    return True
            return False
        pbtest.wait_until(arrived, timeout=pbtest.DELIVERY_TIMEOUT, what="the link for " + account)
        text = found[0]
        # the base is web.public_url once the web hub has it (test_link_expires checks it)
        m = re.search(r"https?://[^/\s]+/mail/#(reset|unlock)=([0-9a-f]{64})\r?\n", text)
        self.assertIsNotNone(m, text)
        return m.group(1), m.group(2), text

    def ask(self, user, kind="password"):
        return Api(self.port).call("POST", "/api/recover", {"user": user, "kind": kind})

    def lock(self, user):
        """Locks user for the loopback address with wrong web passwords."""
        self.setting("security", {"lock_loopback_admin": 1})
        for _ in range(3):  # security.lock_after_failures
            status, _ = Api(self.port).call("POST", "/api/login",
                                            {"user": user, "password": "wrong-password"})
            self.assertEqual(status, 401)

        def locked():
            rc, out, err = self.d.cli("user", "show", user)
            return rc == 0 and "127.0.0.1" in out
        pbtest.wait_until(locked, timeout=60, what=user + " locked")


class TestApi(Base):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user("bob", "bob-secret-1")
        cls.user("carol", "carol-secret-1")

    def test_own_settings(self):
        me = Api(self.port).login("carol", "carol-secret-1")
        self.assertEqual(me.call("PATCH", "/api/autoreply/carol",
                                  {"autoreply": True, "autoreply_subject": "Away",
                                   "autoreply_text": "back soon"})[0], 204)
        status, ar = me.call("GET", "/api/autoreply/carol")
        self.assertEqual((status, ar["autoreply"], ar["autoreply_subject"]), (200, True, "Away"))
        self.assertEqual(me.call("PATCH", "/api/forwarding/carol",
                                  {"forward_to": "x@example.org", "keep_copy": True})[0], 204)
        self.assertEqual(me.call("GET", "/api/forwarding/carol")[1]["forward_to"], "x@example.org")
        rules = {"rules": [{"name": "one", "enabled": True, "match": "all",
                            "types": ["incoming"],
                            "conditions": [{"field": "subject", "match": "contains",
                                            "value": "x"}],
                            "actions": [{"action": "flag", "value": True}]}]}
        self.assertEqual(me.call("PUT", "/api/rules/carol", rules)[0], 204)
        self.assertEqual(me.call("GET", "/api/rules/carol")[1]["rules"][0]["name"], "one")
        bad = {"rules": [{"name": "bad", "actions": [{"action": "explode"}]}]}
        self.assertEqual(me.call("PUT", "/api/rules/carol", bad)[0], 400)
        # another account's settings are out of reach, whatever the verb
        for method, path, body in (("GET", "/api/autoreply/bob", None),
                                   ("PATCH", "/api/autoreply/bob", {"autoreply": True}),
                                   ("GET", "/api/forwarding/bob", None),
                                   ("PUT", "/api/rules/bob", rules),
                                   ("GET", "/api/rules/bob", None)):
            self.assertEqual(me.call(method, path, body)[0], 403, path)
        # no CSRF token, no change
        for method, path, body in (("PATCH", "/api/autoreply/carol", {"autoreply": False}),
                                   ("PUT", "/api/rules/carol", rules),
                                   ("POST", "/api/mail/password",
                                    {"current": "carol-secret-1", "password": "whatever-1"}),
                                   ("POST", "/api/mail/recovery",
                                    {"current": "carol-secret-1", "reset_email": ""})):
            self.assertEqual(me.call(method, path, body, csrf=False)[0], 403, path)
        self.assertEqual(me.call("DELETE", "/api/rules/carol")[0], 204)
        self.assertEqual(Api(self.port).call("GET", "/api/autoreply/carol")[0], 401)

    def test_password_change(self):
        self.user("erin", "erin-secret-1")
        erin = Api(self.port).login("erin", "erin-secret-1")
        status, err = erin.call("POST", "/api/mail/password",
                                {"current": "not-it", "password": "erin-secret-2"})
        self.assertEqual((status, err["error"]), (403, "the current password is wrong"))
        status, err = erin.call("POST", "/api/mail/password",
                                {"current": "erin-secret-1", "password": "ab"})
        self.assertEqual(status, 400)
        self.assertIn("password", err["error"])  # the policy's reason
        self.assertEqual(erin.call("POST", "/api/mail/password", {"password": "x"})[0], 400)
        self.assertEqual(erin.call("POST", "/api/mail/password",
                                   {"current": "erin-secret-1", "password": "erin-secret-2"})[0],
                         204)
        self.assertEqual(erin.call("GET", "/api/me")[0], 401)  # logins end
        Api(self.port).login("erin", "erin-secret-2")
        status, _ = Api(self.port).call("POST", "/api/login",
                                        {"user": "erin", "password": "erin-secret-1"})
        self.assertEqual(status, 401)

    def test_password_guesses_limited(self):
        self.user("nina", "nina-secret-1")
        nina = Api(self.port).login("nina", "nina-secret-1")
        for i in range(10):  # WEB_SELF_CHANGES_PER_HOUR
            status, _ = nina.call("POST", "/api/mail/password",
                                  {"current": "guess-%d" % i, "password": "nina-secret-2"})
            self.assertEqual(status, 403)
        status, err = nina.call("POST", "/api/mail/password",
                                {"current": "nina-secret-1", "password": "nina-secret-2"})
        self.assertEqual(status, 429, err)
        self.assertEqual(nina.call("POST", "/api/mail/recovery",
                                   {"current": "nina-secret-1", "reset_email": ""})[0], 429)
        Api(self.port).login("nina", "nina-secret-1")  # unchanged

    def test_reset_email_needs_the_password(self):
        self.user("fred", "fred-secret-1", reset_email=False)
        fred = Api(self.port).login("fred", "fred-secret-1")
        status, _ = fred.call("POST", "/api/mail/recovery",
                              {"current": "wrong", "reset_email": "evil@example.org"})
        self.assertEqual(status, 403)
        status, err = fred.call("POST", "/api/mail/recovery",
                                {"current": "fred-secret-1", "reset_email": "two@a;b@c"})
        self.assertEqual(status, 400, err)
        self.assertEqual(fred.call("POST", "/api/mail/recovery",
                                   {"current": "fred-secret-1",
                                    "reset_email": "fred@elsewhere.example"})[0], 204)
        self.assertEqual(fred.call("GET", "/api/users/fred")[1]["settings"]["reset_email"],
                         "fred@elsewhere.example")

    def test_forgotten_password_link(self):
        before = len(self.alt_messages())
        status, r = self.ask("bob")
        self.assertEqual((status, r["status"]), (202, ASKED))
        self.assertEqual(self.ask("no-such-user-x"), (202, {"status": ASKED}))  # same answer
        kind, token, text = self.mailed_link(before, "bob")
        self.assertEqual(kind, "reset")
        self.assertNotIn("bob-secret-1", text)
        anon = Api(self.port)
        # the policy refuses a short password: the link stays valid
        status, err = anon.call("POST", "/api/recover/password", {"token": token, "password": "a"})
        self.assertEqual(status, 400)
        self.assertIn("password", err["error"])
        # an unlock with a password link is refused, and does not spend it
        self.assertEqual(anon.call("POST", "/api/recover/unlock", {"token": token})[0], 400)
        self.assertEqual(anon.call("POST", "/api/recover/password",
                                   {"token": token, "password": "bob-secret-new"})[0], 204)
        Api(self.port).login("bob", "bob-secret-new")
        # once only
        status, err = anon.call("POST", "/api/recover/password",
                                {"token": token, "password": "bob-secret-again"})
        self.assertEqual(status, 400)
        Api(self.port).login("bob", "bob-secret-new")
        self.assertEqual(anon.call("POST", "/api/recover/password",
                                   {"token": "0" * 64, "password": "bob-secret-x"})[0], 400)

    def test_link_expires(self):
        self.setting("web", {"reset_token_s": 1})
        self.addCleanup(self.setting, "web", {"reset_token_s": None})
        tries = []

        def short():  # the web hub has the new lifetime: its mail says so (a new name each try)
            name = "gus%d" % len(tries)
            tries.append(name)
            self.user(name, "gus-secret-1")
            n = len(self.alt_messages())
            self.assertEqual(self.ask(name)[0], 202)
            asked = time.monotonic()
            kind, token, text = self.mailed_link(n, name)
            return (name, token, asked, text) if "within 1 seconds" in text else None
        name, token, asked, text = pbtest.wait_until(short, timeout=60, interval=0.2,
                                                     what="a 1 s link")
        self.assertIn("http://127.0.0.1:%d/mail/#reset=%s" % (self.port, token), text)
        # at most one second past its life (the mail's delivery usually took longer); a try
        # before then would use the token up, so the condition is the clock itself
        pbtest.wait_until(lambda: time.monotonic() > asked + 1.2, timeout=5, interval=0.05,
                          what="the link's lifetime to pass")
        status, err = Api(self.port).call("POST", "/api/recover/password",
                                          {"token": token, "password": "gus-secret-2"})
        self.assertEqual(status, 400, err)
        Api(self.port).login(name, "gus-secret-1")

    def test_unlock_link(self):
        self.user("hana", "hana-secret-1")
        self.lock("hana")
        status, _ = Api(self.port).call("POST", "/api/login",
                                        {"user": "hana", "password": "hana-secret-1"})
        self.assertEqual(status, 401)  # locked: the right password is refused
        before = len(self.alt_messages())
        self.assertEqual(self.ask("hana", "unlock")[0], 202)
        kind, token, _ = self.mailed_link(before, "hana")
        self.assertEqual(kind, "unlock")
        anon = Api(self.port)
        self.assertEqual(anon.call("POST", "/api/recover/password",
                                   {"token": token, "password": "hana-x-12"})[0], 400)
        self.assertEqual(anon.call("POST", "/api/recover/unlock", {"token": token})[0], 204)
        Api(self.port).login("hana", "hana-secret-1")
        self.assertEqual(anon.call("POST", "/api/recover/unlock", {"token": token})[0], 400)

    def test_bad_asks(self):
        anon = Api(self.port)
        for body in ({}, {"user": ""}, {"user": "bob", "kind": "other"}, {"user": 5}):
            self.assertEqual(anon.call("POST", "/api/recover", body)[0], 400, body)

    def test_y_limit_per_name(self):
        for _ in range(3):  # web.reset_user_per_hour
            self.assertEqual(self.ask("Limited-Name")[0], 202)
        status, err = self.ask("limited-name")  # any case
        self.assertEqual(status, 429, err)

    def test_z_limit_per_address(self):
        self.setting("web", {"reset_ip_per_hour": 1})
        self.addCleanup(self.setting, "web", {"reset_ip_per_hour": None})
        pbtest.wait_until(lambda: self.ask("someone-else-%f" % time.time())[0] == 429,
                          timeout=30, interval=0.1, what="the per-address limit")


class TestBrowser(Base):
    ALT, ALT_PW = "ivy", "ivy-secret-1"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user("jack", "jack-secret-1")
        cls.user("kate", "kate-secret-1")

    def setUp(self):
        import webdriver
        if not webdriver.available():
            self.skipTest("no Chromium")
        webdriver.browser_per_test(self)

    def css(self, sel):
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.CSS_SELECTOR, sel)

    def login(self, user, password, ok=True):
        self.driver.get("http://127.0.0.1:%d/mail/" % self.port)
        self.wd.wait_for(self.driver, "#login-user").send_keys(user)
        self.css("#login-password").send_keys(password)
        self.css("#login button").click()
        if ok:
            self.wd.wait_for(self.driver, "#folders a")

    def test_autoresponder_answers_mail(self):
        self.login("jack", "jack-secret-1")
        self.css("#settings-open").click()
        self.wd.wait_until(self.driver, lambda d: d.find_element(
            "css selector", "#settings").get_attribute("data-loaded") == "1")
        # the mailbox's usage (GET /api/users/jack/quota), read only
        self.assertRegex(self.css("#s-quota").text, r"^Mailbox: \d+ kB in \d+ messages")
        self.css("#s-ar-on").click()
        self.css("#s-ar-subject").send_keys("Jack is away")
        self.css("#s-ar-text").send_keys("Back on Monday.")
        self.css("#s-autoreply button[type=submit]").click()
        self.wd.wait_text(self.driver, "#s-status", "Autoresponder saved")
        self.wd.screenshot(self.driver, "settings-autoreply")
        m = email.message.EmailMessage()
        m["From"] = "kate@" + self.domain
        m["To"] = "jack@" + self.domain
        m["Subject"] = "are you there"
        m.set_content("hello jack\n")
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            s.send_message(m, "kate@" + self.domain, ["jack@" + self.domain])

        def answered():
            with imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60) as c:
                c.login("kate", "kate-secret-1")
                c.select("INBOX")
                typ, data = c.uid("SEARCH", None, "SUBJECT", '"Jack is away"')
                return bool(data[0].split())
        pbtest.wait_until(answered, timeout=pbtest.DELIVERY_TIMEOUT, what="the autoreply")

    def test_locked_account_recovered(self):
        self.lock("jack")
        self.login("jack", "jack-secret-1", ok=False)
        self.wd.wait_text(self.driver, "#login-error", "Invalid Logon")
        before = len(self.alt_messages())
        self.wd.wait_for(self.driver, "#unlock-open").click()
        self.wd.wait_for(self.driver, "#recover-user")
        self.assertEqual(self.css("#recover-user").get_attribute("value"), "jack")
        self.css("#recover-send").click()
        self.wd.wait_text(self.driver, "#recover-status", "link was mailed")
        self.wd.screenshot(self.driver, "unlock-asked")
        kind, token, _ = self.mailed_link(before, "jack")
        self.assertEqual(kind, "unlock")
        self.driver.get("http://127.0.0.1:%d/mail/#unlock=%s" % (self.port, token))
        self.wd.wait_text(self.driver, "#unlock-status", "unlocked")
        self.assertNotIn(token, self.driver.current_url)
        self.wd.screenshot(self.driver, "unlocked")
        self.assertEqual(self.css("#login-password").get_attribute("value"), "")
        self.css("#login-user").clear()
        self.css("#login-user").send_keys("jack")
        self.css("#login-password").send_keys("jack-secret-1")
        self.css("#login button").click()
        self.wd.wait_for(self.driver, "#folders a")

    def test_forgotten_password_page(self):
        self.user("liam", "liam-secret-1")
        self.driver.get("http://127.0.0.1:%d/mail/" % self.port)
        self.wd.wait_for(self.driver, "#forgot-open").click()
        self.wd.wait_for(self.driver, "#recover-user").send_keys("liam")
        before = len(self.alt_messages())
        self.css("#recover-send").click()
        self.wd.wait_text(self.driver, "#recover-status", "link was mailed")
        kind, token, _ = self.mailed_link(before, "liam")
        self.assertEqual(kind, "reset")
        self.driver.get("http://127.0.0.1:%d/mail/#reset=%s" % (self.port, token))
        self.wd.wait_for(self.driver, "#reset-password").send_keys("liam-secret-2")
        self.css("#reset-again").send_keys("liam-secret-2")
        self.css("#reset button[type=submit]").click()
        self.wd.wait_text(self.driver, "#login-error", "Password set")
        self.login("liam", "liam-secret-2")


if __name__ == "__main__":
    unittest.main(verbosity=2)
