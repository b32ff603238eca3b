"""End to end: the admin UI's Mappings, Lists, Mail Connectors and Reports pages (issue 15 items
3 and 7) in headless Chromium driven by Selenium, against the real daemon. Checked in the
browser: a mapping refused by the server (the reason shown in the editor) then added, and mail
sent to its address with smtplib delivered to the target (POP3); a list added with the wizard
(two local members, Internet access) and a message to it reaching both members, then a member
removed in the members editor; a POP3 collector added with the wizard (its password never comes
back), "collect now" against a closed port reporting the failure, a connection method added and
paused; an account locked by wrong passwords shown on Reports and unlocked there (it logs in
again); a queue entry (mail to a mapping whose target is at an unreachable server) held,
released and deleted from Reports; and the users grid drawn from GET /api/users alone (each
account's forwarding and lock state in the list, no request per account).
Screenshots: PB_BUILD_DIR/test-artifacts/test_web_admin_pages/."""
import json
import os
import poplib
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
import webdriver as wd  # noqa: E402
from test_queue import closed_port  # noqa: E402
from test_web_api import Client  # noqa: E402

if not wd.available():
    print("SKIP: chromium or chromedriver is not installed")
    sys.exit(0)

from adminui import UI_TIMEOUT, AdminCase  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


class AdminPages(AdminCase):
    USERS = {"bob": "bob-secret-1", "carol": "carol-secret-1"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dead = closed_port()
        rc, _, err = cls.d.cli("setting", "set", "outbound", json.dumps(
            {"smart_host": "127.0.0.1:%d" % cls.dead, "retry_first_s": 3600, "retry_max_s": 3600}))
        if rc != 0:
            cls.tearDownClass()
            raise RuntimeError("setting set outbound: " + err)

    # ---- helpers ----

    def row(self, grid, first_cell):
        """The row of grid whose name cell reads first_cell, or None."""
        try:
            for tr in self.driver.find_elements(By.CSS_SELECTOR, "#%s tbody tr" % grid):
                cells = tr.find_elements(By.CSS_SELECTOR, "td.name")
                if cells and cells[0].text == first_cell:
                    return tr
        except StaleElementReferenceException:  # the grid was drawn again meanwhile
            pass
        return None

    def row_text(self, grid, first_cell):
        """The text of that row ("" when there is none, or the grid is being drawn again)."""
        try:
            row = self.row(grid, first_cell)
            return row.text if row is not None else ""
        except StaleElementReferenceException:
            return ""

    def pick(self, grid, first_cell):
        """Ticks that row's checkbox (again if the grid is drawn anew meanwhile)."""
        def tick():
            try:
                row = self.row(grid, first_cell)
                box = row.find_element(By.CSS_SELECTOR, ".pick") if row is not None else None
                if box is not None and not box.is_selected():
                    box.click()
                return box is not None and box.is_selected()
            except StaleElementReferenceException:
                return False
        self.until(tick, "%s picked in %s" % (first_cell, grid))

    def api(self):
        c = Client(self.d.ports["http"])
        self.addCleanup(c.close)
        r, body = c.login("admin", self.d.admin_password)
        self.assertEqual(r.status, 200, body)
        return c

    def send(self, rcpt, subject):
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            s.sendmail("someone@example.org", [rcpt],
                       "From: someone@example.org\r\nSubject: %s\r\n\r\nhello\r\n" % subject)

    def subjects(self, user, password):
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
        try:
            p.user(user)
            p.pass_(password)
            out = []
            for i in range(len(p.list()[1])):
                for line in p.top(i + 1, 0)[1]:
                    if line.lower().startswith(b"subject:"):
                        out.append(line.split(b":", 1)[1].strip().decode())
            return out
        finally:
            p.quit()

    def wait_mail(self, user, password, subject):
        pbtest.wait_until(lambda: subject in self.subjects(user, password),
                          timeout=pbtest.DELIVERY_TIMEOUT, interval=0.2,
                          what="%r in %s's mailbox" % (subject, user))

    def confirm(self):
        wd.wait_until(self.driver, lambda d: d.switch_to.alert, UI_TIMEOUT).accept()

    # ---- the tests, in order ----

    def test_1_mapping_added_and_mail_delivered(self):
        self.go("mappings", "#mappings-grid[data-loaded]")
        self.css("#add-mapping").click()
        self.wait("#map-address").send_keys("sales team")  # a space: the server refuses it
        self.css("#map-targets").send_keys("bob")
        Select(self.css("#map-type")).select_by_value("smtp")
        self.css("#map-comment").send_keys("the sales desk")
        self.css("#map-save").click()
        self.wait_text("#map-error", "without spaces")
        self.assertIsNone(self.row("mappings-grid", "sales team"))
        box = self.css("#map-address")
        box.clear()
        box.send_keys("sales")
        self.css("#map-save").click()
        self.wait('#mappings-grid[data-loaded]')
        row = self.until(lambda: self.row("mappings-grid", "sales"), "the sales mapping's row")
        self.assertIn("SMTP only", row.text)
        self.assertIn("the sales desk", row.text)
        wd.screenshot(self.driver, "1-mapping")
        maps = self.api().request("GET", "/api/mappings")[1]
        self.assertIn({"address": "sales", "target": "bob", "type": "smtp", "collector": "",
                       "comment": "the sales desk"}, maps)
        self.send("sales@" + self.domain, "to sales")
        self.wait_mail("bob", "bob-secret-1", "to sales")
        # edit: the same mapping to carol instead (the old one goes)
        self.pick("mappings-grid", "sales")
        self.css("#edit-mapping").click()
        targets = self.wait("#map-targets")
        targets.clear()
        targets.send_keys("carol")
        self.css("#map-save").click()
        self.until(lambda: "carol" in self.row_text("mappings-grid", "sales"),
                   "the mapping now to carol")
        maps = self.api().request("GET", "/api/mappings")[1]
        self.assertEqual([m["target"] for m in maps if m["address"] == "sales"], ["carol"])

    def test_2_list_wizard_and_members(self):
        self.go("lists", "#lists-grid[data-loaded]")
        self.css("#add-list").click()
        self.wait("#wiz-list").send_keys("team")
        self.css("#wizard button.next").click()
        for user in ("bob", "carol"):
            self.wait('#wiz-local input[value="%s"]' % user).click()
        self.css("#wizard button.next").click()
        self.wait("#wiz-internet").click()
        self.css("#wizard button.next").click()
        self.wait_text("#wizard .summary", "bob, carol")
        wd.screenshot(self.driver, "2-list-summary")
        self.css("#wizard button.next").click()
        row = self.until(lambda: self.row("lists-grid", "team"), "the team list's row")
        self.assertIn("yes", row.text)  # Internet access
        team = self.api().request("GET", "/api/lists/team")[1]
        self.assertEqual((sorted(team["members"]), team["internet"]), (["bob", "carol"], True))
        self.send("team@" + self.domain, "to the team")
        self.wait_mail("bob", "bob-secret-1", "to the team")
        self.wait_mail("carol", "carol-secret-1", "to the team")
        # the members editor: carol off the list
        self.pick("lists-grid", "team")
        self.css("#edit-members").click()
        self.wait('#list-editor li[data-member="carol"] .remove').click()
        self.until(lambda: not self.driver.find_elements(By.CSS_SELECTOR, '#list-editor li[data-member="carol"]'),
                   "carol gone from the editor")
        self.assertEqual(self.api().request("GET", "/api/lists/team")[1]["members"], ["bob"])

    def test_3_collector_wizard_and_connection(self):
        self.go("connectors/collectors", "#collectors-grid[data-loaded]")
        self.css("#add-collector").click()
        self.wait("#wiz-name").send_keys("remote1")
        Select(self.css("#wiz-protocol")).select_by_value("pop3")
        self.css("#wiz-server").send_keys("127.0.0.1")
        self.css("#wiz-port").send_keys(str(self.dead))
        self.css("#wizard button.next").click()
        self.wait("#wiz-user").send_keys("far-user")
        self.css("#wiz-password").send_keys("far-secret-9")
        self.css("#wizard button.next").click()
        leave = self.wait("#wiz-leave")
        leave.clear()
        leave.send_keys("3")
        size = self.css("#wiz-max")
        size.clear()
        size.send_keys("100")
        self.css("#wizard button.next").click()
        Select(self.wait("#wiz-route")).select_by_value("user")
        self.css("#wiz-target").send_keys("bob")
        self.css("#wizard button.next").click()
        self.wait_text("#wizard .summary", "100 KB")
        self.css("#wizard button.next").click()
        row = self.until(lambda: self.row("collectors-grid", "remote1"), "the collector's row")
        self.assertIn("127.0.0.1:%d" % self.dead, row.text)
        self.assertNotIn("far-secret-9", self.driver.page_source)
        c = self.api().request("GET", "/api/collectors/remote1")[1]
        self.assertNotIn("password", c)
        self.assertEqual((c["user"], c["leave_days"], c["max_kb"], c["route"], c["target"]),
                         ("far-user", 3, 100, "user", "bob"))
        rc, out, _ = self.d.cli("collector", "show", "remote1")
        self.assertNotIn("far-secret-9", out)
        self.pick("collectors-grid", "remote1")
        self.css("#collect-now").click()
        self.wait_text("#flash", "Collect now failed for remote1: cannot connect")  # nobody listens
        wd.screenshot(self.driver, "3-collector")
        self.wait("#collectors-grid[data-loaded]")
        self.css('#connectors-tree a[data-node="connections"]').click()  # the tree's other node
        self.wait("#connections-grid[data-loaded]")
        self.css("#add-connection").click()
        self.wait("#conn-name").send_keys("dialup")
        self.css("#conn-collectors").send_keys("remote1")
        every = self.css("#conn-every")
        every.clear()
        every.send_keys("30")
        self.css("#conn-save").click()
        row = self.until(lambda: self.row("connections-grid", "dialup"), "the connection's row")
        self.assertIn("remote1", row.text)
        self.pick("connections-grid", "dialup")
        self.css("#pause-connection").click()
        self.wait_text("#flash", "Paused: dialup")
        self.until(lambda: "paused" in self.row_text("connections-grid", "dialup"),
                   "the connection paused")
        self.assertEqual(self.api().request("GET", "/api/connections/dialup")[1]["state"], "paused")

    def test_4_lock_and_unlock_from_reports(self):
        rc, _, err = self.d.cli("setting", "set", "security", '{"lock_loopback_admin": 1}')
        self.assertEqual(rc, 0, err)
        c = Client(self.d.ports["http"])
        self.addCleanup(c.close)
        for _ in range(3):  # security.lock_after_failures
            self.assertEqual(c.login("carol", "wrong-password")[0].status, 401)
        admin = self.api()
        pbtest.wait_until(lambda: any(lk["user"] == "carol" for lk in admin.request("GET", "/api/lockouts")[1]["locks"]),
                          timeout=60, interval=0.1, what="carol locked")
        self.assertEqual(c.login("carol", "carol-secret-1")[0].status, 401)  # locked
        users = {u["user"]: u for u in admin.request("GET", "/api/users")[1]}
        self.assertEqual((users["carol"]["locked"], users["bob"]["locked"]), (True, False))
        self.go("reports/locks", "#locks-grid[data-loaded]")
        self.pick("locks-grid", "carol")
        wd.screenshot(self.driver, "4-locked")
        self.css("#unlock-picked").click()
        self.wait_text("#flash", "Unlocked: carol")
        self.wait("#locks-grid[data-loaded]")
        self.until(lambda: self.row("locks-grid", "carol") is None, "carol's lock gone from the grid")
        self.assertEqual(admin.request("GET", "/api/lockouts")[1]["locks"], [])
        self.assertEqual(c.login("carol", "carol-secret-1")[0].status, 200)

    def test_5_queue_hold_release_delete(self):
        admin = self.api()
        r, out = admin.request("POST", "/api/mappings", {"address": "away", "target": "x@far.example"})
        self.assertEqual(r.status, 201, out)
        self.send("away@" + self.domain, "to the queue")
        entries = pbtest.wait_until(lambda: admin.request("GET", "/api/queue")[1]["entries"],
                                    timeout=pbtest.DELIVERY_TIMEOUT, interval=0.2, what="a queue entry")
        qid = entries[0]["id"]
        self.assertIsInstance(qid, str)  # 64 bits: not exact as a JSON number

        def held():
            return admin.request("GET", "/api/queue/" + qid)[1]["held"]

        self.go("reports", "#queue-grid[data-loaded]")
        self.pick("queue-grid", qid)
        self.css("#queue-hold").click()
        self.wait_text("#flash", "Held: " + qid)
        self.until(lambda: "held" in self.row_text("queue-grid", qid), "the entry held")
        self.assertTrue(held())
        wd.screenshot(self.driver, "5-held")
        self.pick("queue-grid", qid)
        self.css("#queue-release").click()
        self.wait_text("#flash", "Released: " + qid)
        self.assertFalse(held())
        self.pick("queue-grid", qid)
        self.css("#queue-delete").click()
        self.confirm()
        self.wait_text("#flash", "Deleted: " + qid)
        pbtest.wait_until(lambda: admin.request("GET", "/api/queue/" + qid)[0].status == 404,
                          timeout=30, interval=0.1, what="the entry gone")

    def test_6_users_grid_one_request(self):
        admin = self.api()
        self.assertEqual(admin.request("PATCH", "/api/users/carol", {"forward_to": "c@far.example"})[0].status, 204)
        self.assertEqual(admin.request("PATCH", "/api/users/carol", {"use_forwarding": True})[0].status, 204)
        users = {u["user"]: u for u in admin.request("GET", "/api/users")[1]}
        self.assertEqual((users["carol"]["forwards"], users["bob"]["forwards"]), (True, False))
        self.go("users", "#users-grid[data-loaded]")
        row = self.wait('#users-grid tbody tr[data-user="carol"]')
        self.assertEqual(len(row.find_elements(By.CSS_SELECTOR, ".arrow")), 1)
        self.assertEqual(self.css('#users-grid tbody tr[data-user="bob"]').find_elements(By.CSS_SELECTOR, ".arrow"), [])
        # what one drawing of the grid asks for (Refresh draws it again)
        self.driver.execute_script("performance.clearResourceTimings()")
        self.css("#refresh").click()
        wd.wait_until(self.driver, lambda d: d.execute_script(
            "return performance.getEntriesByType('resource').some((e) => e.name.includes('/api/users'))")
            and d.find_elements(By.CSS_SELECTOR, '#users-grid[data-loaded] tr[data-user="carol"] .arrow'),
            UI_TIMEOUT, "the grid drawn again")
        fetched = self.driver.execute_script(
            "return performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)"
            ".filter((n) => n.startsWith('/api/') && !['/api/me', '/api/status'].includes(n))")
        self.assertEqual(fetched, ["/api/users"], "the grid's one request (no account one by one)")
        # the second lock pair is gone: /api/lockouts is the one
        self.assertEqual(admin.request("GET", "/api/locks")[0].status, 404)
        self.assertEqual(admin.request("POST", "/api/users/bob/unlock")[0].status, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
