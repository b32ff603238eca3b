"""End to end: the admin UI (web/static/admin/, issue 15 items 3 and 7) in headless Chromium
driven by Selenium, against the real daemon. Checked in the browser: the login (a wrong
password refused with the guide's "Invalid Logon"), the users grid and the live status panel,
the add-user wizard (the account, its quota and forwarding exist after Finish, the grid's arrow
shows), the Autoresponder tab (a refused value shown with the reason), bulk add of 3 users from a
CSV with the preview and per-row results (a bad row is shown and not sent), a lock after failed
logins shown as a padlock (GET /api/lockouts) and lifted from the user editor, a message rule made in the editor
acting on mail sent with smtplib (the message is in the rule's folder over IMAP, another one in
the INBOX), a setting changed from the schema-built Settings page (search, context help) then
compared and rolled back from the history, the Services page (the daemon's bindings with their
ports and TLS, and its certificate's subject and issuer, as the API gives them), and no
Content-Security-Policy violation in the console (while an inline script injected on purpose is
reported). Screenshots: PB_BUILD_DIR/test-artifacts/test_web_admin_ui/."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
import webdriver as wd  # noqa: E402
from test_web_api import Client  # noqa: E402

if not wd.available():
    print("SKIP: chromium or chromedriver is not installed")
    sys.exit(0)

from adminui import UI_TIMEOUT, AdminCase  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


class AdminUi(AdminCase):
    @classmethod
    def setUpClass(cls):
        cls.console = []
        super().setUpClass()

    def tearDown(self):
        type(self).console += wd.console(self.driver)

    def grid_row(self, user):
        rows = self.driver.find_elements(By.CSS_SELECTOR, '#users-grid tbody tr[data-user="%s"]' % user)
        return rows[0] if rows else None

    def users_grid(self):
        self.go("users", "#users-grid[data-loaded]")

    # ---- the tests, in order ----

    def test_1_login_grid_and_status(self):
        self.driver.get(self.base + "/admin/")
        self.wait("#login-user").send_keys("admin")
        self.css("#login-password").send_keys("wrong-password")
        self.css("#login-submit").click()
        self.wait_text("#login-error", "Invalid Logon")
        self.assertFalse(self.css("#toolbar").is_displayed())
        self.assertEqual(self.css("#login-password").get_attribute("value"), "")  # emptied
        self.css("#login-password").send_keys(self.d.admin_password)
        self.css("#login-submit").click()
        self.wait("#users-grid[data-loaded]")
        self.assertEqual(self.css("#who").text, "admin")
        self.assertIsNotNone(self.grid_row("bob"))
        self.assertIsNotNone(self.grid_row("admin"))
        self.assertEqual([a.text for a in self.driver.find_elements(By.CSS_SELECTOR, "#toolbar a")],
                         ["Users", "Domains", "Mappings", "Lists", "Mail Connectors", "Services",
                          "Settings", "Reports"])
        self.wait_text('#status-figures dd[data-figure="Users"]', "2")
        wd.screenshot(self.driver, "1-users")

    def test_2_add_user_wizard(self):
        self.users_grid()
        self.css("#add-user").click()
        self.wait("#wiz-user").send_keys("carol")
        self.css("#wizard button.next").click()
        self.wait("#wiz-password").send_keys("carol-secret-1")
        self.css("#wiz-password2").send_keys("carol-secret-X")
        self.css("#wizard button.next").click()
        self.wait_text("#wizard .error", "differ")
        self.css("#wiz-password2").clear()
        self.css("#wiz-password2").send_keys("carol-secret-1")
        self.css("#wizard button.next").click()
        self.wait("#wiz-quota").send_keys("25")
        self.css("#wiz-forward").send_keys("carol@elsewhere.example")
        self.css("#wizard button.next").click()
        self.wait_text("#wizard .summary", "25 MB")
        wd.screenshot(self.driver, "2-wizard-summary")
        self.css("#wizard button.next").click()
        row = self.wait('#users-grid[data-loaded] tbody tr[data-user="carol"]')
        self.assertIn("carol", self.d.users())
        r, carol = self.api().request("GET", "/api/users/carol")
        self.assertEqual(carol["settings"].get("quota_mb"), 25)
        self.assertEqual((carol["settings"].get("forward_to"), carol["settings"].get("use_forwarding")),
                         ("carol@elsewhere.example", True))
        self.assertEqual(len(row.find_elements(By.CSS_SELECTOR, ".arrow")), 1)  # forwards
        self.assertEqual(self.grid_row("bob").find_elements(By.CSS_SELECTOR, ".arrow"), [])

    def test_3_bulk_add_from_csv(self):
        self.users_grid()
        self.css("#bulk-add").click()
        csv = ("user,password\n# three new accounts and one bad line\n"
               "dave,dave-secret-1\n\"erin\",\"erin, secret\"\nfrank,frank-secret-1\nbroken\n")
        self.wait("#bulk-text").send_keys(csv)
        self.css("#bulk-preview-button").click()
        preview = self.wait("#bulk-preview")
        rows = preview.find_elements(By.CSS_SELECTOR, "tbody tr")
        self.assertEqual([r.get_attribute("data-user") for r in rows], ["dave", "erin", "frank", "broken"])
        self.assertIn("two fields", rows[3].find_element(By.CSS_SELECTOR, ".result").text)
        wd.screenshot(self.driver, "3-bulk-preview")
        self.css("#bulk-submit").click()
        self.wait("#bulk-preview[data-done]")
        results = [r.text for r in self.driver.find_elements(By.CSS_SELECTOR, "#bulk-preview td.result")]
        self.assertEqual(results[:3], ["added"] * 3)
        self.assertEqual(self.css("#bulk-summary").text, "3 added.")
        users = self.d.users()
        for u in ("dave", "erin", "frank"):
            self.assertIn(u, users)
        self.assertNotIn("broken", users)
        c = Client(self.d.ports["http"])
        self.addCleanup(c.close)
        self.assertEqual(c.login("erin", "erin, secret")[0].status, 200)  # the quoted comma kept

    def test_4_lock_and_unlock(self):
        self.users_grid()
        row = self.grid_row("dave")
        self.assertIsNotNone(row, "dave is added by the bulk test")
        self.assertEqual(row.find_elements(By.CSS_SELECTOR, ".padlock"), [])
        # web logins from loopback lock too (they are exempt by default)
        self.cli_ok("setting", "set", "security", '{"lock_loopback_admin": 1}')
        c = Client(self.d.ports["http"])
        self.addCleanup(c.close)
        for _ in range(3):  # security.lock_after_failures
            self.assertEqual(c.login("dave", "wrong-password")[0].status, 401)
        admin = self.api()
        pbtest.wait_until(lambda: any(lk["user"] == "dave"
                                      for lk in admin.request("GET", "/api/lockouts")[1]["locks"]),
                          timeout=60, interval=0.1, what="dave locked")
        self.css("#refresh").click()
        self.wait('#users-grid tbody tr[data-user="dave"] .padlock')
        wd.screenshot(self.driver, "4-locked")
        self.grid_row("dave").find_element(By.CSS_SELECTOR, ".name a").click()
        box = self.wait("#locked")
        self.assertTrue(box.is_selected())
        box.click()
        self.css(".tab-panel button.submit").click()
        self.wait_text("#flash", "Unlocked dave")
        self.driver.get(self.base + "/admin/#users")
        self.wait('#users-grid[data-loaded] tbody tr[data-user="dave"]')
        self.assertEqual(self.grid_row("dave").find_elements(By.CSS_SELECTOR, ".padlock"), [])
        self.assertEqual(c.login("dave", "dave-secret-1")[0].status, 200)

    def test_5_message_rule_acts_on_mail(self):
        self.go("user/bob", ".tabs")
        self.css('.tab[data-tab="rules"]').click()
        self.fill_subject_rule("Invoices", "invoice", "Invoices")
        wd.screenshot(self.driver, "5-rule")
        saved = json.loads(self.cli_ok("rules", "get", "bob"))
        self.assertEqual(saved["rules"][0]["actions"][0],
                         {"action": "move_to_folder", "value": "Invoices"})
        self.check_filed("Invoices", "Invoice 42")

    def test_5_autoresponder_tab(self):
        self.go("user/bob", ".tabs")
        self.css('.tab[data-tab="autoresponder"]').click()
        self.wait("#f-autoreply").click()
        self.css("#f-autoreply_subject").send_keys("Away")
        self.css("#f-autoreply_text").send_keys("Back on Monday.")
        self.css("#f-autoreply_days").send_keys("400")  # refused: 1 to 365
        self.css(".settings-form button.submit").click()
        self.wait_text(".settings-form .form-status", "autoreply_days is a number of days")
        days = self.css("#f-autoreply_days")
        days.clear()
        days.send_keys("3")
        self.css(".settings-form button.submit").click()
        self.wait_text(".settings-form .form-status", "Saved.")
        s = self.api().request("GET", "/api/users/bob")[1]["settings"]
        self.assertEqual((s["autoreply"], s["autoreply_subject"], s["autoreply_text"], s["autoreply_days"]),
                         (True, "Away", "Back on Monday.", 3))
        self.cli_ok("user", "set", "bob", "autoreply", "off")  # no replies to the rule test's mail

    def test_6_settings_change_compare_and_rollback(self):
        self.go("settings", "#settings-search").send_keys("max_recipients")
        link = self.wait('#settings-results a[data-key="smtp.max_recipients"]')
        link.click()
        field = self.wait('.settings-doc[data-doc="smtp"] .field[data-key="smtp.max_recipients"]')
        field.find_element(By.CSS_SELECTOR, ".help-button").click()
        help_text = field.find_element(By.CSS_SELECTOR, ".context-help")
        self.assertTrue(help_text.is_displayed())
        self.assertIn("Recipients per message", help_text.text)
        box = field.find_element(By.CSS_SELECTOR, "input")
        self.assertEqual(box.get_attribute("value"), "100")
        box.clear()
        box.send_keys("55")
        self.css('.settings-doc[data-doc="smtp"] button.submit').click()
        self.wait_text(".settings-doc .form-status", "Saved: max_recipients")
        self.assertEqual(json.loads(self.cli_ok("setting", "show", "smtp"))["max_recipients"], 55)
        self.css("#history-link").click()
        self.wait("#history tbody tr")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#history tbody tr")
        newest = rows[0]
        self.assertIn("max_recipients", newest.text)
        self.assertIn("web:admin", newest.text)
        self.assertGreater(len(rows), 1, "the security change of the lock test is older")
        newest.find_element(By.CSS_SELECTOR, ".pick").click()
        rows[1].find_element(By.CSS_SELECTOR, ".pick").click()
        self.css("#compare-button").click()
        cells = [td.text for td in self.wait("#compare").find_elements(By.CSS_SELECTOR, "tbody td")]
        self.assertEqual(cells, ["smtp.max_recipients", "default", "55"])
        wd.screenshot(self.driver, "6-history")
        newest.find_element(By.CSS_SELECTOR, ".rollback").click()
        wd.wait_until(self.driver, lambda d: d.switch_to.alert, UI_TIMEOUT).accept()
        self.wait_text("#flash", "Rolled back change")
        self.assertEqual(json.loads(self.cli_ok("setting", "show", "smtp"))["max_recipients"], 100)
        # below it the directory's history: the first domain, added at the first start
        self.wait("#dir-history tbody tr")
        dir_rows = self.driver.find_elements(By.CSS_SELECTOR, "#dir-history tbody tr")
        self.assertIn("first start", dir_rows[-1].text)
        self.assertIn("domain:", dir_rows[-1].text)

    def rows(self, grid, cells):
        """Each row of grid as a tuple of the texts of its cells of those classes."""
        return [tuple(tr.find_element(By.CSS_SELECTOR, "td." + c).text for c in cells)
                for tr in self.driver.find_elements(By.CSS_SELECTOR, "#%s tbody tr:not(.empty)" % grid)]

    def test_7_services(self):
        """The Services page: the daemon's real bindings and certificate, as the API gives them."""
        api = self.api()
        bindings = api.request("GET", "/api/bindings")[1]
        certs = api.request("GET", "/api/certificates")[1]
        by_service = {b["service"]: b for b in bindings}
        for svc in ("smtp", "pop3", "imap"):  # the daemon's ports, and STARTTLS offered there
            self.assertEqual((by_service[svc]["port"], by_service[svc]["tls"]),
                             (self.d.ports[svc], "starttls"))
        self.assertEqual(by_service["imaps"]["tls"], "implicit")
        self.assertEqual(len(certs), 1)
        cert = certs[0]
        self.assertTrue(cert["subject"])
        self.assertEqual(cert["issuer"], cert["subject"])  # the generated one signs itself
        self.assertTrue({"smtp", "pop3", "imap", "imaps"} <= set(cert["services"]))
        self.go("services", "#certificates-grid[data-loaded]")
        shown = self.rows("bindings-grid", ["service", "address", "port", "tls"])
        self.assertEqual(len(shown), len(bindings))
        for svc in ("smtp", "pop3", "imap"):
            self.assertIn((svc, by_service[svc]["address"], str(self.d.ports[svc]), "STARTTLS"), shown)
        self.assertIn(("imaps", by_service["imaps"]["address"], str(self.d.ports["imaps"]),
                       "TLS from the start"), shown)
        (subject, issuer, names, used) = self.rows("certificates-grid",
                                                   ["subject", "issuer", "names", "services"])[0]
        self.assertEqual((subject, names), (cert["subject"], cert["names"]))
        self.assertEqual(issuer, cert["issuer"] + " (self-signed)")
        self.assertEqual(used.split(", "), cert["services"])
        wd.screenshot(self.driver, "7-services")

    def test_8_ui_endpoints_roles_and_errors(self):
        """The endpoints the UI added: who may call them, CSRF, and clear 4xx answers."""
        admin = self.api()
        r, schema = admin.request("GET", "/api/settings")
        self.assertEqual(r.status, 200)
        smtp = [d for d in schema if d["doc"] == "smtp"][0]
        key = [k for k in smtp["keys"] if k["key"] == "max_recipients"][0]
        self.assertEqual((key["type"], key["default"], key["min"]), ("integer", 100, 1))
        self.assertTrue(key["help"])
        for body, why in [({}, "one key"), ({"a": 1, "b": 2}, "one key"),
                          ({"quota_mb": [1]}, "whole number"), ({"quota_mb": -1}, "whole number"),
                          ({"no_such_key": "1"}, "unknown setting"), ("[]", "one key")]:
            r, out = admin.request("PATCH", "/api/users/bob", body)
            self.assertEqual(r.status, 400, body)
            self.assertIn(why, out["error"])
        r, out = admin.request("PATCH", "/api/users/nobody", {"quota_mb": 1})
        self.assertEqual(r.status, 404, out)
        r, _ = admin.request("PATCH", "/api/users/bob", {"quota_mb": 7}, csrf=False)
        self.assertEqual(r.status, 403)
        r, _ = admin.request("PATCH", "/api/users/bob", {"quota_mb": 7})
        self.assertEqual(r.status, 204)
        self.assertEqual(admin.request("GET", "/api/users/bob")[1]["settings"]["quota_mb"], 7)
        r, _ = admin.request("PATCH", "/api/users/bob", {"quota_mb": None})
        self.assertEqual(r.status, 204)
        self.assertNotIn("quota_mb", admin.request("GET", "/api/users/bob")[1]["settings"])
        r, out = admin.request("PUT", "/api/users/bob/rules", {"rules": [{"bogus": 1}]})
        self.assertEqual(r.status, 400)
        self.assertIn("unknown key", out["error"])
        r, _ = admin.request("DELETE", "/api/lockouts/bob")
        self.assertEqual(r.status, 404)  # bob has no lock
        bob = Client(self.d.ports["http"])
        self.addCleanup(bob.close)
        self.assertEqual(bob.login("bob", "bob-secret-1")[0].status, 200)
        for method, path, body in [("GET", "/api/settings", None), ("GET", "/api/lockouts", None),
                                   ("PATCH", "/api/users/bob", {"quota_mb": 1}),
                                   ("DELETE", "/api/lockouts/dave", None),
                                   ("GET", "/api/users/carol/rules", None)]:
            self.assertEqual(bob.request(method, path, body)[0].status, 403, path)
        r, rules = bob.request("GET", "/api/users/bob/rules")  # his own, as in webmail
        self.assertEqual((r.status, rules["rules"][0]["name"]), (200, "Invoices"))

    def test_9_no_csp_violation(self):
        self.login()
        type(self).console += wd.console(self.driver)
        self.assertEqual(wd.csp_violations(self.console), [], self.console)
        # the check can see one: an inline script is refused and reported
        self.driver.execute_script(
            "const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
            "document.body.append(s);")
        self.assertIsNone(self.driver.execute_script("return window.ran"))
        reported = wd.wait_until(self.driver, lambda d: wd.csp_violations(wd.console(d)),
                                 UI_TIMEOUT, "the inline script's CSP report")
        self.assertTrue(reported)


if __name__ == "__main__":
    unittest.main(verbosity=2)
