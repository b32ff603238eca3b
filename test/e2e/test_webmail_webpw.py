"""End to end: a separate web password (issue 15; admin guide 4.4 "Have different 'Main
Password' and 'Web Password'", "User can change Main Password through WebMail").

Over urllib, poplib and imaplib: `user passwd NAME --web` gives an account a web password that
lets the web in but not POP3/IMAP, where the main one still works (and no longer on the web),
and so does the administrator's PUT /api/users/NAME/password {"which": "web"};
`user set NAME web_password off` gives the web the main one back; webmail changes the web
password, and the main one only while webmail_main_password allows it (403 otherwise); wrong
current passwords on the password change count as failed web logins and lock the account after
security.lock_after_failures. In headless Chromium: the settings page offers the choice of
password only when it applies."""
import imaplib
import os
import poplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_webmail import Api  # noqa: E402  (a login's cookie and CSRF token over urllib)


class TestWebPassword(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()
        cls.port = cls.d.ports["http"]

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def cli_ok(self, *args, input=None):
        rc, out, err = self.d.cli(*args, input=input)
        self.assertEqual(rc, 0, err)
        return out

    def web_status(self, user, password):
        return Api(self.port).call("POST", "/api/login", {"user": user, "password": password})[0]

    def pop3_ok(self, user, password):
        return pbtest.pop3_login(self.d.ports["pop3"], user, password)

    def imap_ok(self, user, password):
        with imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60) as c:
            try:
                c.login(user, password)
                return True
            except imaplib.IMAP4.error:
                return False

    def web_user(self, name, main, web):
        self.d.add_user(name, main)
        self.assertIn("web password changed",
                      self.cli_ok("user", "passwd", name, "--web", input=web + "\n"))

    def test_a_web_password_is_for_the_web_only(self):
        self.web_user("walt", "walt-main-1", "walt-web-22")
        shown = self.cli_ok("user", "show", "walt")
        self.assertIn("web password: separate", shown)
        self.assertNotIn("$y$", shown)  # no hash is ever shown
        self.assertEqual(self.web_status("walt", "walt-web-22"), 200)
        self.assertTrue(self.pop3_ok("walt", "walt-main-1"))
        self.assertTrue(self.imap_ok("walt", "walt-main-1"))
        # each failure below follows a success (failures count in a row per address)
        self.assertEqual(self.web_status("walt", "walt-main-1"), 401)
        self.assertTrue(self.imap_ok("walt", "walt-main-1"))
        self.assertFalse(self.pop3_ok("walt", "walt-web-22"))
        self.assertTrue(self.pop3_ok("walt", "walt-main-1"))
        self.assertFalse(self.imap_ok("walt", "walt-web-22"))
        self.assertTrue(self.imap_ok("walt", "walt-main-1"))
        me = Api(self.port).login("walt", "walt-web-22")
        status, info = me.call("GET", "/api/users/walt")
        self.assertEqual((status, info["has_web_password"], info["can_change_main"]),
                         (200, True, True))
        # removed: the web takes the main password again
        self.cli_ok("user", "set", "walt", "web_password", "off")
        self.assertEqual(self.web_status("walt", "walt-main-1"), 200)
        self.assertEqual(self.web_status("walt", "walt-web-22"), 401)
        self.assertEqual(self.web_status("walt", "walt-main-1"), 200)
        self.assertNotIn("web password: separate", self.cli_ok("user", "show", "walt"))

    def test_b_webmail_changes_the_web_password_and_main_when_allowed(self):
        self.web_user("willa", "willa-main-1", "willa-web-22")
        self.cli_ok("user", "set", "willa", "webmail_main_password", "0")
        me = Api(self.port).login("willa", "willa-web-22")
        status, info = me.call("GET", "/api/users/willa")
        self.assertEqual((info["has_web_password"], info["can_change_main"]), (True, False))
        status, err = me.call("POST", "/api/mail/password",
                              {"current": "willa-main-1", "password": "willa-main-2",
                               "which": "main"})
        self.assertEqual(status, 403)
        self.assertIn("administrator", err["error"])
        self.assertEqual(me.call("POST", "/api/mail/password",
                                 {"current": "willa-web-22", "password": "x",
                                  "which": "nope"})[0], 400)
        # the web password: current is the web one, the main one stays
        self.assertEqual(me.call("POST", "/api/mail/password",
                                 {"current": "willa-web-22", "password": "willa-web-33",
                                  "which": "web"})[0], 204)
        me = Api(self.port).login("willa", "willa-web-33")
        self.assertTrue(self.pop3_ok("willa", "willa-main-1"))
        # allowed again: the main one changes with the main one as current
        self.cli_ok("user", "set", "willa", "webmail_main_password", "1")
        self.assertEqual(me.call("POST", "/api/mail/password",
                                 {"current": "willa-main-1", "password": "willa-main-2",
                                  "which": "main"})[0], 204)
        self.assertTrue(self.pop3_ok("willa", "willa-main-2"))
        self.assertTrue(self.imap_ok("willa", "willa-main-2"))
        self.assertEqual(self.web_status("willa", "willa-web-33"), 200)

    def test_b_the_admin_sets_either_password(self):
        self.d.add_user("ada", "ada-main-1")
        admin = Api(self.port).login("admin", self.d.admin_password)
        self.assertEqual(admin.call("PUT", "/api/users/ada/password",
                                    {"password": "ada-web-22", "which": "web"})[0], 204)
        self.assertEqual(admin.call("PUT", "/api/users/ada/password",
                                    {"password": "ada-x-33", "which": "both"})[0], 400)
        self.assertEqual(self.web_status("ada", "ada-web-22"), 200)
        self.assertTrue(self.pop3_ok("ada", "ada-main-1"))
        self.assertEqual(admin.call("PUT", "/api/users/ada/password",
                                    {"password": "ada-main-2", "which": "main"})[0], 204)
        self.assertTrue(self.imap_ok("ada", "ada-main-2"))
        self.assertEqual(self.web_status("ada", "ada-web-22"), 200)

    def test_c_wrong_current_passwords_lock(self):
        self.cli_ok("setting", "set", "security", '{"lock_loopback_admin": 1}')
        try:
            self.d.add_user("lena", "lena-secret-1")
            me = Api(self.port).login("lena", "lena-secret-1")
            for i in range(3):  # security.lock_after_failures
                status, _ = me.call("POST", "/api/mail/password",
                                    {"current": "guess-%d" % i, "password": "lena-secret-2"})
                self.assertEqual(status, 403)

            def locked():
                rc, out, err = self.d.cli("user", "show", "lena")
                return rc == 0 and "127.0.0.1" in out
            pbtest.wait_until(locked, timeout=60, what="lena locked")
            self.assertEqual(self.web_status("lena", "lena-secret-1"), 401)
        finally:
            self.cli_ok("setting", "set", "security", '{"lock_loopback_admin": 0}')


class TestSettingsPage(unittest.TestCase):
    """In headless Chromium: the settings page's password form offers main/web only when the
    account has a web password and may change the main one, and says so when it may not."""

    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()
        cls.port = cls.d.ports["http"]
        for name in ("vera", "vic"):
            cls.d.add_user(name, name + "-main-1")
            rc, out, err = cls.d.cli("user", "passwd", name, "--web", input=name + "-web-22\n")
            assert rc == 0, err
        rc, out, err = cls.d.cli("user", "set", "vic", "webmail_main_password", "0")
        assert rc == 0, err

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def setUp(self):
        import webdriver
        if not webdriver.available():
            self.skipTest("no Chromium")
        webdriver.browser_per_test(self)

    def css(self, sel):
        return self.driver.find_element("css selector", sel)

    def settings_of(self, user, password):
        self.driver.get("http://127.0.0.1:%d/mail/" % self.port)
        self.wd.wait_for(self.driver, "#login-user").send_keys(user)
        self.css("#login-password").send_keys(password)
        self.css("#login button").click()
        self.wd.wait_for(self.driver, "#folders a")
        self.css("#settings-open").click()
        self.wd.wait_until(self.driver, lambda d: d.find_element(
            "css selector", "#settings").get_attribute("data-loaded") == "1")

    def test_the_choice_changes_the_main_password(self):
        self.settings_of("vera", "vera-web-22")
        self.assertTrue(self.css("#s-pw-which-row").is_displayed())
        self.assertFalse(self.css("#s-pw-note").is_displayed())
        self.css("#s-pw-which option[value=main]").click()
        self.css("#s-pw-current").send_keys("vera-main-1")
        self.css("#s-pw-new").send_keys("vera-main-2")
        self.css("#s-pw-again").send_keys("vera-main-2")
        self.css("#s-password button[type=submit]").click()
        self.wd.wait_text(self.driver, "#login-error", "Password changed")
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
        p.user("vera")
        p.pass_("vera-main-2")
        p.quit()

    def test_no_choice_when_the_main_password_is_the_admins(self):
        self.settings_of("vic", "vic-web-22")
        self.assertFalse(self.css("#s-pw-which-row").is_displayed())
        self.assertTrue(self.css("#s-pw-note").is_displayed())
        self.wd.screenshot(self.driver, "settings-web-password")


if __name__ == "__main__":
    unittest.main()
