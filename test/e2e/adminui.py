"""adminui: the base of the admin UI's browser tests (web/static/admin/, issue 15) — a daemon
with the accounts USERS ({name: password}) started for the class, a headless Chromium on it
(webdriver.BrowserTestCase), and the helpers every admin page test needs: css/wait/wait_text/
until (bounded by UI_TIMEOUT, never a sleep), login as the administrator, go to a page, run the
CLI, and an API client logged in (test_web_api.Client). Every admin UI test subclasses
AdminCase."""
import imaplib
import os
import smtplib
import sys

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
import webdriver as wd  # noqa: E402
from test_web_api import Client  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

UI_TIMEOUT = 30  # the sanitizer build on a loaded machine


class AdminCase(wd.BrowserTestCase):
    USERS = {"bob": "bob-secret-1"}

    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()
        for name, password in cls.USERS.items():
            cls.d.add_user(name, password)
        cls.domain = cls.d.local_domain()
        cls.base = "http://127.0.0.1:%d" % cls.d.ports["http"]
        cls.tmpdir = cls.d.tmp
        try:
            super().setUpClass()
        except Exception:
            cls.d.stop()
            cls.d.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.d.stop()
            cls.d.cleanup()

    def css(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def wait(self, selector):
        return wd.wait_for(self.driver, selector, UI_TIMEOUT)

    def wait_text(self, selector, text):
        return wd.wait_text(self.driver, selector, text, UI_TIMEOUT)

    def until(self, predicate, message):
        return wd.wait_until(self.driver, lambda d: predicate(), UI_TIMEOUT, message)

    def login(self):
        """Logs the browser in as the administrator (nothing when it already is)."""
        self.driver.get(self.base + "/admin/")
        self.until(lambda: self.css("#toolbar").is_displayed() or self.css("#login-user").is_displayed(),
                   "the login form or the toolbar")
        if self.css("#toolbar").is_displayed():
            return
        self.css("#login-user").send_keys("admin")
        self.css("#login-password").send_keys(self.d.admin_password)
        self.css("#login-submit").click()
        self.wait("#toolbar")

    def go(self, page, ready):
        """Shows /admin/#page (after the users grid, so the page is drawn afresh); returns the
        element ready selects once visible."""
        self.login()
        self.driver.get(self.base + "/admin/#users")
        self.wait("#users-grid[data-loaded]")
        self.driver.get(self.base + "/admin/#" + page)
        return self.wait(ready)

    def cli_ok(self, *args, input=None):
        rc, out, err = self.d.cli(*args, input=input)
        self.assertEqual(rc, 0, err)
        return out

    def api(self, user="admin", password=None):
        """An API client logged in as user (the administrator by default)."""
        c = Client(self.d.ports["http"])
        self.addCleanup(c.close)
        r, body = c.login(user, password or self.d.admin_password)
        self.assertEqual(r.status, 200, body)
        return c

    def check_filed(self, folder, subject):
        """Sends bob (password bob-secret-1) a message with subject and one about lunch over
        SMTP, and waits until the first is in folder and the other in INBOX (over IMAP): a
        rule made in the page "Subject contains ... -> move to folder" acting on real mail."""
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            s.sendmail("a@example.org", ["bob@" + self.domain],
                       "From: a@example.org\r\nSubject: %s\r\n\r\nhello\r\n" % subject)
            s.sendmail("a@example.org", ["bob@" + self.domain],
                       "From: a@example.org\r\nSubject: lunch\r\n\r\nnoon?\r\n")
        imap = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60)
        self.addCleanup(imap.logout)
        imap.login("bob", "bob-secret-1")

        def count(box):
            typ, data = imap.status(box, "(MESSAGES)")
            return int(data[0].split(b"MESSAGES ")[1].rstrip(b")")) if typ == "OK" else 0

        pbtest.wait_until(lambda: count(folder) == 1 and count("INBOX") == 1,
                          timeout=pbtest.DELIVERY_TIMEOUT, interval=0.2,
                          what="%r in %s and the other message in INBOX" % (subject, folder))
        imap.select(folder)
        typ, data = imap.fetch(b"1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertIn(subject.encode(), data[0][1])

    def fill_subject_rule(self, name, contains, folder):
        """In the open rules editor: adds rule name "Subject contains `contains` -> move to
        folder `folder`" and saves it (the page says so)."""
        self.wait("#add-rule").click()
        rule = self.wait("#rules-list .rule")
        rule.find_element(By.CSS_SELECTOR, ".r-name").send_keys(name)
        Select(rule.find_element(By.CSS_SELECTOR, ".c-field")).select_by_value("subject")
        Select(rule.find_element(By.CSS_SELECTOR, ".c-match")).select_by_value("contains")
        rule.find_element(By.CSS_SELECTOR, ".c-value").send_keys(contains)
        Select(rule.find_element(By.CSS_SELECTOR, ".a-action")).select_by_value("move_to_folder")
        rule.find_element(By.CSS_SELECTOR, ".a-value").send_keys(folder)
        self.css("#save-rules").click()
        self.wait_text(".form-status", "Rules saved.")
