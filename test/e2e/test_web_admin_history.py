"""End to end: the directory history's compare and rollback in the admin UI (issue 15 items 5
and 7), in headless Chromium against the real daemon. An account's setting is changed twice in
the user editor (Autoresponder tab); on Settings > History, the directory's history ("Accounts,
mappings, lists, rules and domains") lists both changes, Compare of the two shows the key with
its two values, and Roll back on the newest one brings the first value back, as GET
/api/users/NAME then says. The history page is found by what it shows (its headings, button
texts and columns), not by its element ids. Screenshots: PB_ARTIFACTS (or PB_BUILD_DIR/
test-artifacts)/test_web_admin_history/."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import webdriver as wd  # noqa: E402

if not wd.available():
    print("SKIP: chromium or chromedriver is not installed")
    sys.exit(0)

from adminui import UI_TIMEOUT, AdminCase  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

DIRECTORY = "//h3[normalize-space()='Accounts, mappings, lists, rules and domains']"


class DirectoryHistory(AdminCase):
    def set_subject(self, subject):
        """Sets bob's autoresponder subject in the user editor's Autoresponder tab."""
        self.go("user/bob", ".tabs")
        self.css('.tab[data-tab="autoresponder"]').click()
        box = self.wait("#f-autoreply_subject")
        box.clear()
        box.send_keys(subject)
        self.css(".settings-form button.submit").click()
        self.wait_text(".settings-form .form-status", "Saved.")

    def subject(self):
        return self.api().request("GET", "/api/users/bob")[1]["settings"].get("autoreply_subject")

    def history_rows(self):
        """The directory history's rows (newest first), once shown."""
        xpath = DIRECTORY + "/following-sibling::table[1]/tbody/tr"
        wd.wait_until(self.driver, lambda d: d.find_elements(By.XPATH, xpath), UI_TIMEOUT,
                      "the directory history")
        return self.driver.find_elements(By.XPATH, xpath)

    def test_compare_and_roll_back(self):
        self.set_subject("Gone fishing")
        self.set_subject("Back at work")
        self.assertEqual(self.subject(), "Back at work")
        self.go("settings", "body")
        self.driver.find_element(By.LINK_TEXT, "History").click()
        rows = [r for r in self.history_rows() if "user:bob" in r.text][:2]
        self.assertEqual(len(rows), 2, [r.text for r in self.history_rows()])
        for r in rows:
            self.assertIn("autoreply_subject", r.text)
            self.assertIn("admin", r.text)
        for r in rows:
            r.find_element(By.XPATH, ".//input[@type='checkbox']").click()
        self.driver.find_element(
            By.XPATH, DIRECTORY + "/following-sibling::button[normalize-space()='Compare'][1]").click()
        diff = DIRECTORY + "/following-sibling::div[1]//table/tbody/tr"
        cells = wd.wait_until(self.driver, lambda d: [
            [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in d.find_elements(By.XPATH, diff)], UI_TIMEOUT, "the comparison")
        self.assertIn(["user:bob.autoreply_subject", '"Gone fishing"', '"Back at work"'], cells)
        wd.screenshot(self.driver, "compared")
        rows[0].find_element(By.XPATH, ".//button[normalize-space()='Roll back']").click()
        wd.wait_until(self.driver, lambda d: d.switch_to.alert, UI_TIMEOUT).accept()
        self.wait_text("#flash", "Rolled back change d")
        wd.screenshot(self.driver, "rolled-back")
        self.assertEqual(self.subject(), "Gone fishing")


if __name__ == "__main__":
    unittest.main(verbosity=2)
