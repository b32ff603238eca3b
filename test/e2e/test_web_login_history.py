"""End to end: the login history pages (issue 15 item 5) in headless Chromium against the real
daemon — webmail's Settings ("Login history": web/static/mail/settings.js) and the admin UI's
user editor (its Login History tab: web/static/admin/user-editor.js). After a failed and a good
POP3 login of the account, each from its own loopback address, the page lists both with their
protocol, address and result, newest first, as GET /api/users/NAME/logins gives them.
Screenshots: PB_BUILD_DIR/test-artifacts/test_web_login_history/."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import webdriver as wd  # noqa: E402

if not wd.available():
    print("SKIP: chromium or chromedriver is not installed")
    sys.exit(0)

import pbtest  # noqa: E402
from adminui import AdminCase  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

BAD_FROM, GOOD_FROM = "127.0.0.8", "127.0.0.7"


class LoginHistory(AdminCase):
    USERS = {"bob": "bob-secret-1", "carol": "carol-secret-1"}

    def pop3_login(self, user, password, source):
        return pbtest.pop3_login(self.d.ports["pop3"], user, password, source)

    def pop3_history(self, user):
        """A failed then a good POP3 login of user; returns the pop3 rows the API then gives
        ([address, result], newest first)."""
        self.assertFalse(self.pop3_login(user, "wrong-password", BAD_FROM))
        self.assertTrue(self.pop3_login(user, self.USERS[user], GOOD_FROM))
        c = self.api()
        rows = []

        def both():
            r, body = c.request("GET", "/api/users/%s/logins" % user)
            rows[:] = [[e["ip"], e["result"]] for e in body["logins"] if e["protocol"] == "pop3"]
            return len(rows) >= 2
        self.until(both, "both POP3 logins in the history")
        self.assertEqual(rows, [[GOOD_FROM, "ok"], [BAD_FROM, "bad password"]])
        return rows

    def table_rows(self, selector):
        """The pop3 rows of the table: [address, result], top first (waits for them)."""
        found = []

        def drawn():
            found[:] = [[td.text for td in tr.find_elements(By.CSS_SELECTOR, "td")]
                        for tr in self.driver.find_elements(By.CSS_SELECTOR, selector + " tbody tr")]
            return sum(1 for r in found if r[1:2] == ["pop3"]) >= 2
        self.until(drawn, "the POP3 logins in " + selector)
        for r in found:
            self.assertEqual(len(r), 4, r)
            self.assertTrue(r[0], r)  # the time is shown
        return [r[2:] for r in found if r[1] == "pop3"]

    def test_webmail_settings_lists_the_logins(self):
        want = self.pop3_history("bob")
        self.driver.delete_all_cookies()
        self.driver.get(self.base + "/mail/")
        self.wait("#login-user").send_keys("bob")
        self.css("#login-password").send_keys(self.USERS["bob"])
        self.css("#login button").click()
        self.wait("#folders a")
        self.css("#settings-open").click()
        self.until(lambda: self.css("#settings").get_attribute("data-loaded") == "1",
                   "the settings loaded")
        self.assertEqual(self.table_rows("#s-login-table"), want)
        # this very web login is listed too
        web = [tr.text for tr in self.driver.find_elements(By.CSS_SELECTOR, "#s-login-table tbody tr")
               if " web " in tr.text]
        self.assertTrue(web, "the web login")
        self.driver.execute_script("arguments[0].scrollIntoView()", self.css("#s-logins"))
        wd.screenshot(self.driver, "webmail-login-history")
        self.driver.delete_all_cookies()

    def test_admin_user_editor_lists_the_logins(self):
        want = self.pop3_history("carol")
        self.go("user/carol", '.tab[data-tab="logins"]').click()
        self.assertEqual(self.table_rows("#login-history"), want)
        panel = self.css(".tab-panel").text
        self.assertNotIn("false", panel)  # nothing but the table
        self.assertNotIn("No logins", panel)
        wd.screenshot(self.driver, "admin-login-history")


if __name__ == "__main__":
    unittest.main()
