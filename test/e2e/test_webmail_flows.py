"""End to end: webmail flows in headless Chromium (issue 15 items 4 and 7), each ending in mail
another local account receives over POP3 (poplib). Checked in the browser:
- drafts: a draft saved with an attachment, reopened from Drafts in the composer (to, subject,
  text and the attachment read back), its subject edited and saved again (PUT: the old draft
  gone, one draft left), reopened and sent (the recipient gets the edited subject and the
  attachment; Drafts no longer has it, Sent does); a draft deleted from the composer (to
  Trash); a draft an IMAP client saved reopened with its addresses; the REST calls' refusals (bad uid, CSRF, no recipient, another account's uid);
- forward: a message with an attachment forwarded to another account, attachment included;
- one flow: a rule made in the webmail settings (Subject contains "invoice" -> move to folder
  Invoices) moves mail sent with smtplib there, the user opens it in that folder, replies with
  an attachment, and the sender receives the reply with it;
- the forwarding page: Forward To another account with a copy kept (both have the mail), then
  without (a redirect: only the target has it).
Screenshots: PB_ARTIFACTS (or PB_BUILD_DIR/test-artifacts)/test_webmail_flows/."""
import email
import email.message
import email.policy
import imaplib
import json
import os
import poplib
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
import webdriver  # noqa: E402
from test_webmail import Api, WebmailBase, folder_path  # noqa: E402

if not webdriver.available():
    print("SKIP: chromium or chromedriver is not installed")
    sys.exit(0)

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

UI_TIMEOUT = 30  # the sanitizer build on a loaded machine
USERS = {"dave": "dave-secret-1", "erin": "erin-secret-1", "frank": "frank-secret-1",
         "gina": "gina-secret-1"}


class Flows(WebmailBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name, password in USERS.items():
            cls.d.add_user(name, password)

    def setUp(self):
        webdriver.browser_per_test(self)

    # ---- helpers ----

    def css(self, sel):
        return self.driver.find_element(By.CSS_SELECTOR, sel)

    def wait(self, sel):
        return webdriver.wait_for(self.driver, sel, UI_TIMEOUT)

    def until(self, predicate, message=""):
        """Waits for predicate; an element redrawn meanwhile (stale) is looked up again."""
        return WebDriverWait(self.driver, UI_TIMEOUT, ignored_exceptions=(
            StaleElementReferenceException,)).until(predicate, message)

    def login(self, user, password):
        self.driver.get("http://127.0.0.1:%d/mail/" % self.port)
        self.wait("#login-user").send_keys(user)
        self.css("#login-password").send_keys(password)
        self.css("#login button").click()
        self.wait("#folders a")

    def folder(self, name):
        """Shows the folder name (reloading the page until the folder exists)."""
        sel = '#folders a[data-folder="%s"]' % name

        def click(d):
            found = d.find_elements(By.CSS_SELECTOR, sel)
            if not found:
                d.refresh()
                webdriver.wait_for(d, "#folders a", UI_TIMEOUT)
                return False
            found[0].click()
            return True
        self.until(click, "the folder " + name)
        self.until(lambda d: d.find_element(By.CSS_SELECTOR, sel).get_attribute("class") == "current")

    def click_row(self, subject):
        """Clicks the list's row of that subject once shown (again if it was redrawn)."""
        def click(d):
            for tr in d.find_elements(By.CSS_SELECTOR, "#messages tbody tr"):
                if subject in tr.text:
                    tr.click()
                    return True
            return False
        self.until(click, "a message " + subject)

    def open_subject(self, subject):
        self.click_row(subject)
        self.until(lambda d: subject in d.find_element(By.ID, "headers").text)

    def attach(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        self.css("#c-files").send_keys(path)

    def type_into(self, sel, text):
        box = self.css(sel)
        box.clear()
        box.send_keys(text)

    def click_and_wait_status(self, button, text):
        """Clicks button once the page's status line is emptied; waits for text there."""
        self.driver.execute_script("document.getElementById('status').textContent = ''")
        self.css(button).click()
        self.until(lambda d: d.find_element(By.ID, "status").text == text,
                   "the status " + text)

    def pop_find(self, user, subject):
        """The message with that subject in user's POP3 maildrop, waited for (parsed)."""
        found = []

        def there():
            p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
            try:
                p.user(user)
                p.pass_(USERS.get(user) or "%s-secret-1" % user)
                for i in range(len(p.list()[1]), 0, -1):
                    m = email.message_from_bytes(b"\r\n".join(p.retr(i)[1]),
                                                 policy=email.policy.default)
                    if m["Subject"] == subject:
                        found.append(m)
                        return True
                return False
            finally:
                p.quit()
        pbtest.wait_until(there, timeout=pbtest.DELIVERY_TIMEOUT, interval=0.3,
                          what="%s receives %r" % (user, subject))
        return found[0]

    def subjects(self, api, folder):
        status, page = api.call("GET", folder_path(folder) + "/messages?limit=200")
        return [m["subject"] for m in page["messages"]] if status == 200 else []

    def smtp(self, sender, to, msg):
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            s.send_message(msg, sender, [to])

    def files(self, m):
        return [(f.get_filename(), f.get_payload(decode=True)) for f in m.iter_attachments()]

    # ---- the tests ----

    def test_draft_reopened_edited_and_sent(self):
        api = Api(self.port).login("bob", "bob-secret-1")
        self.login("bob", "bob-secret-1")
        self.css("#compose").click()
        self.wait("#composer")
        self.type_into("#c-to", "dave@" + self.domain)
        self.type_into("#c-subject", "draft first title")
        self.css("#c-text").send_keys("the draft's body\n")
        self.attach("plan.bin", b"plan \x00\x01 bytes")
        self.click_and_wait_status("#c-draft", "Draft saved.")
        self.assertEqual(self.subjects(api, "Drafts").count("draft first title"), 1)
        self.folder("Drafts")
        self.click_row("draft first title")
        self.wait("#composer")
        self.until(lambda d: d.find_element(By.ID, "c-subject").get_attribute("value")
                   == "draft first title")
        self.assertEqual(self.css("#c-to").get_attribute("value"), "dave@" + self.domain)
        self.assertIn("the draft's body", self.css("#c-text").get_attribute("value"))
        self.assertEqual([li.text for li in self.driver.find_elements(
            By.CSS_SELECTOR, "#c-forwarded li")], ["plan.bin"])
        webdriver.screenshot(self.driver, "draft-reopened")
        self.type_into("#c-subject", "draft second title")
        self.click_and_wait_status("#c-draft", "Draft saved.")
        drafts = self.subjects(api, "Drafts")
        self.assertNotIn("draft first title", drafts)  # replaced: the old one expunged
        self.assertEqual(drafts.count("draft second title"), 1)
        self.click_row("draft second title")
        self.until(lambda d: d.find_element(By.ID, "c-subject").get_attribute("value")
                   == "draft second title")
        self.assertEqual([li.text for li in self.driver.find_elements(
            By.CSS_SELECTOR, "#c-forwarded li")], ["plan.bin"])
        self.click_and_wait_status("#c-send", "Sent.")
        webdriver.screenshot(self.driver, "draft-sent")
        m = self.pop_find("dave", "draft second title")
        self.assertEqual(m["From"], "bob@" + self.domain)
        self.assertIn("the draft's body", m.get_body(("plain",)).get_content())
        self.assertEqual(self.files(m), [("plan.bin", b"plan \x00\x01 bytes")])
        self.assertNotIn("draft second title", self.subjects(api, "Drafts"))
        self.assertIn("draft second title", self.subjects(api, "Sent"))
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "#messages tbody tr"), [])

    def test_draft_rest_refusals(self):
        api = Api(self.port).login("bob", "bob-secret-1")
        status, saved = api.call("POST", "/api/mail/drafts", {"subject": "kept draft", "text": "x"})
        self.assertEqual(status, 201, saved)
        uid = saved["uid"]
        for method, path in (("PUT", "/api/mail/drafts/0"), ("PUT", "/api/mail/drafts/x"),
                             ("POST", "/api/mail/drafts/99999999999/send")):
            status, err = api.call(method, path, {"subject": "y"})
            self.assertEqual(status, 400, (path, err))
            self.assertIn("error", err)
        status, _ = api.call("PUT", "/api/mail/drafts/%d" % uid, {"subject": "z"}, csrf=False)
        self.assertEqual(status, 403)
        status, err = api.call("POST", "/api/mail/drafts/%d/send" % uid, {"subject": "no rcpt"})
        self.assertEqual(status, 400, err)  # no recipient: refused, the draft stays
        status, err = api.call("PUT", "/api/mail/drafts/%d" % uid, "not an object")
        self.assertEqual(status, 400, err)
        self.assertEqual(self.subjects(api, "Drafts").count("kept draft"), 1)
        carol = Api(self.port).login("carol", "carol-secret-1")  # another's draft: untouched
        status, _ = carol.call("PUT", "/api/mail/drafts/%d" % uid, {"subject": "carol's"})
        self.assertEqual(status, 201)
        self.assertEqual(self.subjects(api, "Drafts").count("kept draft"), 1)

    def test_draft_deleted_from_the_composer(self):
        api = Api(self.port).login("carol", "carol-secret-1")
        status, saved = api.call("POST", "/api/mail/drafts", {"subject": "never mind", "text": "x"})
        self.assertEqual(status, 201, saved)
        self.login("carol", "carol-secret-1")
        self.assertFalse(self.css("#c-discard").is_displayed())
        self.folder("Drafts")
        self.click_row("never mind")
        self.wait("#c-discard").click()
        pbtest.wait_until(lambda: "never mind" in self.subjects(api, "Trash"),
                          timeout=pbtest.DELIVERY_TIMEOUT, what="the draft in Trash")
        self.assertNotIn("never mind", self.subjects(api, "Drafts"))
        self.css("#compose").click()  # a new message is no draft: nothing to delete
        self.assertFalse(self.css("#c-discard").is_displayed())

    def test_draft_of_another_mail_program(self):
        """A draft an IMAP client saved (display names in To and Cc) reopens with bare addresses."""
        raw = ("From: gina@%(d)s\r\nTo: \"Dave Example\" <dave@%(d)s>\r\n"
               "Cc: \"Doe, Erin\" <erin@%(d)s>, frank@%(d)s\r\nSubject: from thunderbird\r\n"
               "\r\nwritten elsewhere\r\n" % {"d": self.domain}).encode()
        with imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60) as c:
            c.login("gina", "gina-secret-1")
            typ, _ = c.append("Drafts", "(\\Draft)", None, raw)
            self.assertEqual(typ, "OK")
        self.login("gina", "gina-secret-1")
        self.folder("Drafts")
        self.click_row("from thunderbird")
        self.until(lambda d: d.find_element(By.ID, "c-subject").get_attribute("value")
                   == "from thunderbird")
        self.assertEqual(self.css("#c-to").get_attribute("value"), "dave@" + self.domain)
        self.assertEqual(self.css("#c-cc").get_attribute("value"),
                         "erin@%s, frank@%s" % (self.domain, self.domain))

    def test_forward_with_the_attachment(self):
        m = email.message.EmailMessage()
        m["From"] = "Carol <carol@%s>" % self.domain
        m["To"] = "frank@" + self.domain
        m["Subject"] = "the report"
        m.set_content("the report is attached\n")
        m.add_attachment(b"\x89report\x00data", maintype="application", subtype="octet-stream",
                         filename="report.bin")
        self.smtp("carol@" + self.domain, "frank@" + self.domain, m)
        self.login("frank", "frank-secret-1")
        self.open_subject("the report")
        self.css("#forward").click()
        self.wait("#composer")
        self.until(lambda d: [li.text for li in d.find_elements(By.CSS_SELECTOR, "#c-forwarded li")]
                   == ["report.bin"], "the forwarded attachment listed")
        self.type_into("#c-to", "gina@" + self.domain)
        self.css("#c-text").send_keys("for you\n")
        self.click_and_wait_status("#c-send", "Sent.")
        webdriver.screenshot(self.driver, "forwarded")
        got = self.pop_find("gina", "Fwd: the report")
        self.assertIn("> the report is attached", got.get_body(("plain",)).get_content())
        self.assertEqual(self.files(got), [("report.bin", b"\x89report\x00data")])

    def test_rule_moves_mail_then_read_and_replied(self):
        self.login("erin", "erin-secret-1")
        self.css("#settings-open").click()
        self.until(lambda d: d.find_element(By.ID, "settings").get_attribute("data-loaded") == "1")
        self.css("#s-rule-add").click()
        rule = {"name": "invoices", "enabled": True, "match": "all", "types": ["incoming", "local"],
                "conditions": [{"field": "subject", "match": "contains", "value": "invoice",
                                "i": True}],
                "actions": [{"action": "move_to_folder", "value": "Invoices"}]}
        self.type_into("#s-rule-json", json.dumps(rule))
        self.css("#s-rule-editor button[type=submit]").click()
        self.until(lambda d: "invoices" in d.find_element(By.ID, "s-rule-list").text,
                   "the rule listed")
        webdriver.screenshot(self.driver, "rule-made")
        self.css("#settings-close").click()
        sender = "carol@" + self.domain
        for subject in ("Your Invoice 42", "lunch on Friday"):
            m = email.message.EmailMessage()
            m["From"] = "Carol <%s>" % sender
            m["To"] = "erin@" + self.domain
            m["Subject"] = subject
            m["Message-ID"] = "<%s@example.org>" % subject.replace(" ", "-")
            m.set_content("about: %s\n" % subject)
            self.smtp(sender, "erin@" + self.domain, m)
        api = Api(self.port).login("erin", "erin-secret-1")
        pbtest.wait_until(lambda: "Your Invoice 42" in self.subjects(api, "Invoices")
                          and "lunch on Friday" in self.subjects(api, "INBOX"),
                          timeout=pbtest.DELIVERY_TIMEOUT, what="the invoice moved by the rule")
        self.assertNotIn("Your Invoice 42", self.subjects(api, "INBOX"))
        self.folder("Invoices")
        self.open_subject("Your Invoice 42")
        self.assertIn("about: Your Invoice 42", self.css("#text-body").text)
        self.css("#reply").click()
        self.wait("#composer")
        self.assertEqual(self.css("#c-to").get_attribute("value"), sender)
        self.attach("receipt.txt", b"paid in full\n")
        self.css("#c-text").send_keys("Paid.\n")
        self.click_and_wait_status("#c-send", "Sent.")
        webdriver.screenshot(self.driver, "invoice-replied")
        got = self.pop_find("carol", "Re: Your Invoice 42")
        self.assertEqual(got["In-Reply-To"], "<Your-Invoice-42@example.org>")
        self.assertIn("Paid.", got.get_body(("plain",)).get_content())
        self.assertEqual(self.files(got), [("receipt.txt", b"paid in full\n")])

    def forwarding(self, to, keep):
        self.css("#settings-open").click()
        self.until(lambda d: d.find_element(By.ID, "settings").get_attribute("data-loaded") == "1")
        self.type_into("#s-fw-to", to)
        for box, want in (("#s-fw-on", True), ("#s-fw-keep", keep)):
            if self.css(box).is_selected() != want:
                self.css(box).click()
        self.driver.execute_script("document.getElementById('s-status').textContent = ''")
        self.css("#s-forwarding button[type=submit]").click()
        webdriver.wait_text(self.driver, "#s-status", "Forwarding saved", UI_TIMEOUT)
        self.css("#settings-close").click()

    def test_forwarding_page(self):
        self.d.add_user("hugo", "hugo-secret-1")
        self.login("hugo", "hugo-secret-1")
        api = Api(self.port).login("hugo", "hugo-secret-1")
        self.forwarding("gina@" + self.domain, keep=True)
        webdriver.screenshot(self.driver, "forwarding-with-copy")
        m = self.plain("forwarded with a copy")
        self.smtp("sender@example.org", "hugo@" + self.domain, m)
        self.assertEqual(self.pop_find("gina", "forwarded with a copy")["Subject"],
                         "forwarded with a copy")
        pbtest.wait_until(lambda: "forwarded with a copy" in self.subjects(api, "INBOX"),
                          timeout=pbtest.DELIVERY_TIMEOUT, what="the copy kept")
        self.forwarding("gina@" + self.domain, keep=False)
        status, f = api.call("GET", "/api/forwarding/hugo")
        self.assertEqual((f["use_forwarding"], f["keep_copy"]), (True, False), f)
        self.smtp("sender@example.org", "hugo@" + self.domain, self.plain("redirected away"))
        self.pop_find("gina", "redirected away")
        self.assertEqual(self.subjects(api, "INBOX"), ["forwarded with a copy"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
