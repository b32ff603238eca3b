"""End to end: the admin UI's Domains page (issue 15 item 3) in headless Chromium driven by
Selenium, against the real daemon with no account at first. Checked in the browser: a domain
added with Add domain is in the grid and in GET /api/domains, and mail to an account created
then is taken at it (SMTP RCPT); Delete is refused
while accounts have addresses there (the administrator's account always has one) with the
server's reason shown; Delete anyway removes it (gone from the grid and the API, mail to the
account there refused again); the last domain is refused even then.
Screenshots: PB_BUILD_DIR/test-artifacts/test_web_admin_domains/."""
import os
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import webdriver as wd  # noqa: E402

if not wd.available():
    print("SKIP: chromium or chromedriver is not installed")
    sys.exit(0)

from adminui import AdminCase  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

NEW = "example.net"


class AdminDomains(AdminCase):
    USERS = {}

    def names(self):
        """The domains the grid shows (None while it is drawn again)."""
        try:
            return [td.text for td in self.driver.find_elements(By.CSS_SELECTOR, "#domains-grid td.name")]
        except StaleElementReferenceException:
            return None

    def delete_in_browser(self, domain, button):
        """Picks domain's row and clicks button (accepting the confirmation)."""
        self.until(lambda: domain in (self.names() or []), "the row of " + domain)
        self.css('#domains-grid tr[data-key="%s"] .pick' % domain).click()
        self.css(button).click()
        wd.wait_until(self.driver, lambda d: d.switch_to.alert, 10).accept()

    def rcpt(self, address):
        """The SMTP server's answer code to RCPT TO address."""
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=30) as s:
            s.ehlo("test.example")
            s.mail("sender@example.org")
            return s.rcpt(address)[0]

    def test_add_then_delete_a_domain(self):
        admin = self.api()
        self.go("domains", "#domains-grid[data-loaded]")
        self.until(lambda: self.names() == [self.domain], "the grid shows the first domain")
        self.assertNotIn(NEW, admin.request("GET", "/api/domains")[1])
        # add it in the browser: in the grid and over the API
        self.css("#add-domain").click()
        self.wait("#domain-new").send_keys(NEW)
        self.css("#domain-submit").click()
        self.until(lambda: sorted(self.names() or []) == sorted([self.domain, NEW]),
                   "the grid shows the new domain")
        self.wait_text("#flash", "Domain %s added." % NEW)
        r, domains = admin.request("GET", "/api/domains")
        self.assertEqual((r.status, sorted(domains)), (200, sorted([self.domain, NEW])))
        wd.screenshot(self.driver, "1-added")
        # an account created now has an address there: mail to it is taken
        r, body = admin.request("POST", "/api/users", {"user": "carol", "password": "carol-secret-1"})
        self.assertEqual(r.status, 201, body)
        self.assertEqual(self.rcpt("carol@" + NEW), 250)
        # refused while accounts have an address there (carol and the administrator's): the
        # server's reason shown
        users = len(admin.request("GET", "/api/users")[1])
        self.delete_in_browser(NEW, "#delete-domain")
        flash = self.css("#flash")
        self.until(lambda: "failed for " + NEW in flash.text, "the refusal, not: " + flash.text)
        self.assertIn("%d users have an address at %s" % (users, NEW), flash.text)
        self.assertIn("error", flash.get_attribute("class"))
        wd.screenshot(self.driver, "2-refused")
        self.assertIn(NEW, admin.request("GET", "/api/domains")[1])
        self.assertEqual(self.rcpt("carol@" + NEW), 250)
        # Delete anyway: gone, and mail to carol there refused (her account stays)
        self.delete_in_browser(NEW, "#force-delete-domain")
        self.wait_text("#flash", "Deleted: " + NEW)
        self.until(lambda: self.names() == [self.domain], "the row is gone")
        self.assertEqual(admin.request("GET", "/api/domains")[1], [self.domain])
        self.assertNotEqual(self.rcpt("carol@" + NEW), 250)
        self.assertEqual(self.rcpt("carol@" + self.domain), 250)
        wd.screenshot(self.driver, "3-deleted")
        # the last domain is never deleted, not even anyway
        self.delete_in_browser(self.domain, "#force-delete-domain")
        self.until(lambda: "only local domain" in flash.text, "the refusal, not: " + flash.text)
        self.assertEqual(admin.request("GET", "/api/domains")[1], [self.domain])

    def test_add_refused_shows_the_reason(self):
        self.go("domains", "#domains-grid[data-loaded]")
        self.css("#add-domain").click()
        self.wait("#domain-new").send_keys("not a domain")
        self.css("#domain-submit").click()
        err = self.until(lambda: self.css("#domain-error").text, "the server's reason")
        self.assertTrue(err)
        self.assertEqual(self.api().request("GET", "/api/domains")[1], [self.domain])


if __name__ == "__main__":
    unittest.main(verbosity=2)
