"""End to end in headless Chromium (issue 15, "checked by: an administrator setting up a
collector entirely in the browser"; h-adm10b): a POP3 collector added with the Mail Connectors
wizard, pointing at a real Dovecot on loopback as the ISP's mailbox (test_collector.Dovecot),
run from the page with Collect now, and the ISP's message then read from the local user's INBOX
with poplib; the collector then edited in the browser (leave-on-server days to 0, the password
field left empty: write-only, never shown, and the collector still logs in), the change seen
through the API and the CLI and acting (the next run deletes at the ISP). Also edited in the
browser: a connection method's schedule and a list's properties (seen through the API), and a
service's bindings (stored in the settings document services, "takes effect at the next
start"). Screenshots: PB_BUILD_DIR/test-artifacts/test_web_admin_connectors/."""
import email
import json
import os
import poplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
import webdriver as wd  # noqa: E402

if not wd.available():
    print("SKIP: chromium or chromedriver is not installed")
    sys.exit(0)

import test_web_admin_pages as pages  # noqa: E402
from adminui import AdminCase  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402
from test_collector import Dovecot, message  # noqa: E402


class AdminConnectors(AdminCase):
    USERS = {"bob": "bob-secret-1"}
    row, row_text, pick = pages.AdminPages.row, pages.AdminPages.row_text, pages.AdminPages.pick

    @classmethod
    def setUpClass(cls):
        cls.isp = Dovecot()
        cls.addClassCleanup(cls.isp.stop)  # also when the daemon or the browser fails to start
        super().setUpClass()

    def pop_subjects(self, user):
        """The subjects in user's INBOX (sorted), read with POP3 from the daemon."""
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
        try:
            p.user(user)
            p.pass_(self.USERS[user])
            n = len(p.list()[1])
            return sorted(str(email.message_from_bytes(b"\r\n".join(p.retr(i + 1)[1]))["Subject"])
                          for i in range(n))
        finally:
            p.quit()

    def set_field(self, selector, text):
        el = self.wait(selector)
        el.clear()
        el.send_keys(text)

    def collect_now(self, expect):
        """Collect now on isp1 from the page; expect: the flash once done (a failure says
        "Collect now failed for isp1: ...")."""
        self.wait("#collectors-grid[data-loaded]")
        self.pick("collectors-grid", "isp1")
        self.css("#collect-now").click()
        self.wait_text("#flash", expect)

    def test_1_collector_set_up_in_the_browser_collects(self):
        self.isp.put("isp", message("someone@isp.example", "From the ISP one"), "one")
        self.go("connectors", "#collectors-grid[data-loaded]")
        self.css("#add-collector").click()
        self.wait("#wiz-name").send_keys("isp1")
        Select(self.css("#wiz-protocol")).select_by_value("pop3")
        self.css("#wiz-server").send_keys("127.0.0.1")
        self.css("#wiz-port").send_keys(str(self.isp.port))
        Select(self.css("#wiz-tls")).select_by_value("none")
        self.css("#wizard button.next").click()
        self.wait("#wiz-user").send_keys("isp")
        self.css("#wiz-password").send_keys(Dovecot.ACCOUNTS["isp"])
        self.css("#wizard button.next").click()
        self.set_field("#wiz-leave", "3")
        self.css("#wizard button.next").click()
        Select(self.wait("#wiz-route")).select_by_value("user")
        self.css("#wiz-target").send_keys("bob")
        self.css("#wizard button.next").click()
        self.wait_text("#wizard .summary", "isp1")
        self.css("#wizard button.next").click()
        self.until(lambda: self.row("collectors-grid", "isp1"), "the collector's row")
        self.collect_now("Collect now: isp1")
        pbtest.wait_until(lambda: self.pop_subjects("bob") == ["From the ISP one"] or None,
                          timeout=30, what="the collected message in bob's INBOX")
        self.assertEqual(self.isp.count("isp"), 1)  # left on the server for 3 days
        wd.screenshot(self.driver, "1-collected")

        # edit it: leave-on-server off; the password field stays empty (write-only)
        self.wait("#collectors-grid[data-loaded]")
        self.pick("collectors-grid", "isp1")
        self.css("#edit-collector").click()
        self.assertEqual(self.wait("#collector-form #f-password").get_attribute("value"), "")
        self.assertEqual(self.css("#collector-form #f-leave_days").get_attribute("value"), "3")
        self.assertEqual(self.css("#collector-form #f-server").get_attribute("value"), "127.0.0.1")
        self.set_field("#collector-form #f-leave_days", "0")
        self.css("#collector-form button.submit").click()
        self.wait_text("#collector-form .form-status", "Saved.")
        self.assertNotIn(Dovecot.ACCOUNTS["isp"], self.driver.page_source)
        wd.screenshot(self.driver, "1-collector-edited")
        c = self.api().request("GET", "/api/collectors/isp1")[1]
        self.assertEqual((c["leave_days"], c["user"], c["target"]), (0, "isp", "bob"))
        rc, out, err = self.d.cli("collector", "show", "isp1", "--json")
        self.assertEqual((rc, json.loads(out)["leave_days"]), (0, 0), err)
        self.css("#collector-editor button.close").click()
        self.isp.put("isp", message("someone@isp.example", "From the ISP two"), "two")
        self.collect_now("Collect now: isp1")  # the password kept: it still logs in
        pbtest.wait_until(lambda: self.isp.count("isp") == 0 or None, timeout=30,
                          what="the ISP's messages deleted once leave_days is 0")
        pbtest.wait_until(lambda: self.pop_subjects("bob") == ["From the ISP one", "From the ISP two"]
                          or None, timeout=30, what="both messages in bob's INBOX")

    def test_2_connection_schedule_edited(self):
        self.assertEqual(self.api().request("POST", "/api/connections",
                                            {"name": "office", "every_min": 15})[0].status, 201)
        self.go("connectors/connections", "#connections-grid[data-loaded]")
        self.pick("connections-grid", "office")
        self.css("#edit-connection").click()
        self.assertEqual(self.wait("#connection-form #f-every_min").get_attribute("value"), "15")
        self.set_field("#connection-form #f-every_min", "45")
        self.set_field("#connection-form #f-from", "08:00")
        self.set_field("#connection-form #f-to", "18:00")
        self.set_field("#connection-form #f-days", "mon-fri")
        self.set_field("#connection-form #f-collectors", "isp1")
        self.css("#connection-form button.submit").click()
        self.wait_text("#connection-form .form-status", "Saved.")
        m = self.api().request("GET", "/api/connections/office")[1]
        self.assertEqual((m["rules"][0]["every_min"], m["rules"][0]["from"], m["rules"][0]["to"],
                          m["rules"][0]["days"], m["collectors"]),
                         (45, "08:00", "18:00", "mon-fri", ["isp1"]))
        self.set_field("#connection-form #f-days", "someday")
        self.css("#connection-form button.submit").click()
        self.wait_text("#connection-form .form-status", "days are")  # the server's reason
        self.css("#connection-edit button.close").click()
        self.until(lambda: "every 45 min, 08:00-18:00, mon-fri" in self.row_text("connections-grid", "office"),
                   "the grid showing the new schedule")
        wd.screenshot(self.driver, "2-connection-edited")

    def test_3_list_properties_edited(self):
        admin = self.api()
        self.assertEqual(admin.request("POST", "/api/lists", {"name": "team", "comment": "old"})[0].status, 201)
        self.go("lists", "#lists-grid")
        self.pick("lists-grid", "team")
        self.css("#edit-list").click()
        self.assertFalse(self.wait("#list-form #f-internet").is_selected())
        self.css("#list-form #f-internet").click()
        self.set_field("#list-form #f-comment", "the whole team")
        self.css("#list-form button.submit").click()
        self.wait_text("#list-form .form-status", "Saved.")
        l = admin.request("GET", "/api/lists/team")[1]
        self.assertEqual((l["internet"], l["comment"]), (True, "the whole team"))
        wd.screenshot(self.driver, "3-list-edited")

    def test_4_bindings_stored_for_the_next_start(self):
        self.go("services", "#bindings-grid")
        self.css("#change-bindings").click()
        port = pbtest.free_port()
        self.set_field("#bindings-form #f-pop3_listen", "127.0.0.1:%d" % port)
        self.css("#bindings-form button.submit").click()
        self.wait_text("#flash", "next start")
        stored = self.api().request("GET", "/api/settings/services")[1]
        self.assertIn("127.0.0.1:%d" % port, json.dumps(stored))
        self.set_field("#bindings-form #f-pop3_listen", "nonsense")
        self.css("#bindings-form button.submit").click()
        self.wait_text("#bindings-form .form-status", "binding")
        wd.screenshot(self.driver, "4-bindings")


if __name__ == "__main__":
    unittest.main()
