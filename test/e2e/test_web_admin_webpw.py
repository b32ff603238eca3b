"""End to end: the user editor's Passwords tab and the separate web password (issue 15 item 3;
admin guide 4.4 "Have different 'Main Password' and 'Web Password'", "User can change Main
Password through WebMail") in headless Chromium driven by Selenium, against the real daemon.
Checked: the web password fields and the webmail checkbox are disabled until "Have different"
is checked; a web password set in the tab is the one webmail takes (logging in in the browser's
/mail/ page), the main password no longer logs in on the web (the rule of web/web-self.c and
the directory: with a web password, web logins take it only) and still does on POP3; a
mistyped confirmation is refused without a request, a web password the server refuses shows its
reason after what was done before it; unchecking and checking "User can change
Main Password through WebMail" shows in GET /api/users/NAME (can_change_main); unchecking "Have
different" removes the web password and the main one logs in on the web again; the password
reset address (reset_email) is set and cleared from the same tab; the Quotas tab shows the
usage GET /api/users/NAME/quota answers. Screenshots:
PB_BUILD_DIR/test-artifacts/test_web_admin_webpw/."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import webdriver as wd  # noqa: E402

if not wd.available():
    print("SKIP: chromium or chromedriver is not installed")
    sys.exit(0)

from adminui import AdminCase  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from test_web_api import Client  # noqa: E402
import test_webmail_webpw as webpw  # noqa: E402  (its POP3 login check)

MAIN, WEB = "wendy-main-1", "wendy-web-22"


class AdminWebPassword(AdminCase):
    USERS = {"wendy": MAIN}

    def tab(self):
        """Opens wendy's Passwords tab afresh; returns its form."""
        self.go("user/wendy", '.tab[data-tab="passwords"]').click()
        return self.wait("#separate-web-password").find_element(By.XPATH, "ancestor::form")

    def submit(self, form, text):
        form.find_element(By.CSS_SELECTOR, "button.submit").click()
        self.until(lambda: text in form.find_element(By.CSS_SELECTOR, ".form-status").text,
                   "the status '%s'" % text)

    def info(self):
        r, info = self.api().request("GET", "/api/users/wendy")
        self.assertEqual(r.status, 200, info)
        return info["has_web_password"], info["can_change_main"]

    def web_login(self, password):
        c = Client(self.d.ports["http"])
        self.addCleanup(c.close)
        return c.login("wendy", password)[0].status

    def webmail_in_browser(self, password):
        """Logs wendy into /mail/ in the browser, then drops the cookie (the next admin page
        logs the administrator in again)."""
        self.driver.delete_all_cookies()
        self.driver.get(self.base + "/mail/")
        self.wait("#login-user").send_keys("wendy")
        self.css("#login-password").send_keys(password)
        self.css("#login button").click()
        self.wait("#folders a")
        wd.screenshot(self.driver, "webmail-with-web-password")
        self.driver.delete_all_cookies()

    def test_1_a_web_password_set_in_the_tab_is_webmails(self):
        form = self.tab()
        self.assertFalse(self.css("#separate-web-password").is_selected())
        for el in ("#web-password", "#web-password2", "#can-change-main"):
            self.assertFalse(self.css(el).is_enabled(), el)
        self.css("#separate-web-password").click()
        self.css("#web-password").send_keys(WEB)
        self.css("#web-password2").send_keys(WEB + "x")
        self.submit(form, "The two web passwords differ.")
        self.assertEqual(self.info(), (False, True))  # nothing was sent
        # a refusal is shown after what was done before it: the main password (set to itself)
        for el, text in (("#new-password", MAIN), ("#new-password2", MAIN),
                         ("#web-password", "abc"), ("#web-password2", "abc")):
            self.css(el).clear()
            self.css(el).send_keys(text)
        self.submit(form, "Password changed; ")
        status = form.find_element(By.CSS_SELECTOR, ".form-status").text
        self.assertNotIn("Web password set", status)
        self.assertGreater(len(status), len("Password changed; "))  # the server's reason
        self.assertEqual(self.info(), (False, True))
        for el, text in (("#new-password", ""), ("#new-password2", ""),
                         ("#web-password", WEB), ("#web-password2", WEB)):
            self.css(el).clear()
            self.css(el).send_keys(text)
        self.submit(form, "Web password set")
        wd.screenshot(self.driver, "web-password-set")
        self.assertEqual(self.info(), (True, True))
        self.assertTrue(self.css("#separate-web-password").is_selected())
        self.assertTrue(self.css("#can-change-main").is_enabled())
        self.assertEqual(self.web_login(WEB), 200)
        self.assertEqual(self.web_login(MAIN), 401)  # the web takes the web password only
        self.assertTrue(webpw.TestWebPassword.pop3_ok(self, "wendy", MAIN))  # and the other protocols the main one
        self.webmail_in_browser(WEB)

    def test_2_the_webmail_main_password_checkbox(self):
        form = self.tab()
        box = self.css("#can-change-main")
        self.assertTrue(box.is_selected())
        box.click()
        self.submit(form, "Webmail may not change the main password")
        self.assertEqual(self.info(), (True, False))
        form = self.tab()  # drawn again from the server
        self.assertFalse(self.css("#can-change-main").is_selected())
        self.css("#can-change-main").click()
        self.submit(form, "Webmail may change the main password")
        self.assertEqual(self.info(), (True, True))

    def test_3_unchecking_different_removes_the_web_password(self):
        form = self.tab()
        self.css("#separate-web-password").click()
        self.assertFalse(self.css("#web-password").is_enabled())
        self.submit(form, "Web password removed")
        self.assertEqual(self.info(), (False, True))
        self.assertEqual(self.web_login(WEB), 401)
        self.assertEqual(self.web_login(MAIN), 200)

    def test_4_the_reset_address_is_set_in_the_passwords_tab(self):
        self.tab()
        field = self.wait("#f-reset_email")
        form = field.find_element(By.XPATH, "ancestor::form")
        # its help is the server's (GET /api/user-keys: the tables of `help user set`)
        r, keys = self.api().request("GET", "/api/user-keys")
        self.assertEqual(r.status, 200, keys)
        self.assertEqual(field.find_element(By.XPATH, "following-sibling::small").text,
                         [k["help"] for k in keys if k["key"] == "reset_email"][0])
        field.clear()
        field.send_keys("wendy@elsewhere.example")
        self.submit(form, "Saved.")
        r, info = self.api().request("GET", "/api/users/wendy")
        self.assertEqual(info["settings"].get("reset_email"), "wendy@elsewhere.example")
        wd.screenshot(self.driver, "reset-email-set")
        self.tab()
        field = self.wait("#f-reset_email")
        self.assertEqual(field.get_attribute("value"), "wendy@elsewhere.example")
        field.clear()
        self.submit(field.find_element(By.XPATH, "ancestor::form"), "Saved.")
        r, info = self.api().request("GET", "/api/users/wendy")
        self.assertIn(info["settings"].get("reset_email"), (None, ""))

    def test_5_the_quotas_tab_shows_the_usage(self):
        r, q = self.api().request("GET", "/api/users/wendy/quota")
        self.assertEqual(r.status, 200, q)
        self.go("user/wendy", '.tab[data-tab="quotas"]').click()
        usage = self.wait("#quota-usage")
        self.until(lambda: "messages" in usage.text, "the usage line")
        self.assertEqual(usage.text, "Used 0 B in %d messages, no quota" % q["messages"])
        wd.screenshot(self.driver, "quota-usage")


if __name__ == "__main__":
    unittest.main()
