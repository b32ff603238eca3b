"""End to end: the admin history page's timeline of every kind (web/static/admin/
history-timeline.js, issue 15 item 5) in headless Chromium against the real daemon. A
checkpoint, then a connection method added and paused and a manual block added with the CLI:
the timeline shows them newest first with their kind, point and who; two changes of the method
compared in the browser (paused false -> true); "Back to here" on the checkpoint rolls both
kinds back (the method and the block gone, as the CLI sees). Screenshots:
PB_BUILD_DIR/test-artifacts/test_web_admin_timeline/."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import webdriver as wd  # noqa: E402

if not wd.available():
    print("SKIP: chromium or chromedriver is not installed")
    sys.exit(0)

from adminui import AdminCase  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


class AdminTimeline(AdminCase):
    USERS = {}

    def row(self, point):
        return self.css('#timeline tbody tr[data-point="%s"]' % point)

    def test_timeline_compare_and_back_to_a_checkpoint(self):
        out = self.cli_ok("history", "checkpoint", "before the browser test")
        point = re.search(r"checkpoint #(\d+)", out).group(1)
        self.cli_ok("connection", "add", "office", "--every", "15")
        self.cli_ok("connection", "pause", "office")
        self.cli_ok("block", "add", "203.0.113.0/24", "timeline test")

        self.go("settings", "#history-link").click()
        self.wait("#timeline tbody tr")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#timeline tbody tr")
        cells = lambda r, c: r.find_element(By.CSS_SELECTOR, "td." + c).text  # noqa: E731
        self.assertEqual((cells(rows[0], "kind"), cells(rows[0], "doc")),
                         ("block", "block:203.0.113.0/24"))
        self.assertTrue(cells(rows[0], "by").startswith("cli:"))
        self.assertEqual([cells(r, "doc") for r in rows[1:3]], ["connection:office"] * 2)
        self.assertEqual(cells(self.row(point), "kind"), "checkpoint")

        rows[1].find_element(By.CSS_SELECTOR, ".pick").click()
        rows[2].find_element(By.CSS_SELECTOR, ".pick").click()
        self.css("#timeline-compare-button").click()
        got = [td.text for td in self.wait("#timeline-compare").find_elements(By.CSS_SELECTOR, "tbody td")]
        self.assertEqual(got, ["connection:office.paused", "false", "true"])
        wd.screenshot(self.driver, "timeline")

        self.row(point).find_element(By.CSS_SELECTOR, ".timeline-rollback-to").click()
        wd.wait_until(self.driver, lambda d: d.switch_to.alert, 30).accept()
        self.wait_text("#flash", "Rolled back to %s (2 put back)" % point)
        self.assertNotIn("office", self.cli_ok("connection", "list"))
        self.assertNotIn("203.0.113.0/24", self.cli_ok("block", "list"))


if __name__ == "__main__":
    unittest.main()
