"""End to end: the admin UI pages of h-adm10a (issue 15 item 3) in headless Chromium driven by
Selenium, against the real daemon. Checked in the browser: the Server Message Rules page (the
user editor's rules editor on /api/rules) adds a rule "Subject contains quarterly -> move to
folder Reports" that acts on mail sent with smtplib to an account without rules of its own (in
Reports over IMAP, another message in the INBOX); the Routing tab's script editor refuses a
script with a syntax error with its line ("erin.lua:2:") and saves a valid one, read back after
a reload and by `pillarbox script get`; the server's user_redirect.lua likewise on the Server
Rules page (router.user_redirect empty: shown as the installed copy, then stored by the daemon,
read back by `pillarbox script server get`, the installed copy's bytes unchanged); the users list's Lock shows the padlock and POP3 logins
are refused with the right password, the General tab's unlock lifts it and POP3 works again;
the Security Log page shows a failed POP3 login (poplib), filtered by account. The live status:
GET /api/status/events read with http.client (text/event-stream; refused without a login and
to a user; "ready" first, then the hub's "activity" event of a message delivered after it
opened, sent with smtplib; the stream ends when its login does: logout, then the next ping);
and in the browser the status panel's activity list shows a delivery made after the page
loaded, with no reload (the panel marked live: the stream, not the 5 s poll). Screenshots:
PB_BUILD_DIR/test-artifacts/test_web_admin10/."""
import http.client
import json
import os
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
import webdriver as wd  # noqa: E402

if not wd.available():
    print("SKIP: chromium or chromedriver is not installed")
    sys.exit(0)

from adminui import AdminCase  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

INSTALLED = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "..", "scripts",
                                          "lua", "user_redirect.lua"))


class Admin10(AdminCase):
    USERS = {"bob": "bob-secret-1", "carol": "carol-secret-1", "dave": "dave-secret-1",
             "erin": "erin-secret-1"}

    def pop3_login(self, user, password):
        return pbtest.pop3_login(self.d.ports["pop3"], user, password)

    def grid_row(self, user):
        return self.wait('#users-grid[data-loaded] tbody tr[data-user="%s"]' % user)

    def test_1_server_rule_acts_on_mail(self):
        self.go("server-rules", "#server-rules #save-rules")
        self.fill_subject_rule("Quarterly reports", "quarterly", "Reports")
        wd.screenshot(self.driver, "1-server-rule")
        saved = self.api().request("GET", "/api/rules")[1]
        self.assertEqual(saved["rules"][0]["actions"][0], {"action": "move_to_folder", "value": "Reports"})
        self.check_filed("Reports", "Quarterly figures")
        # the page reads the saved set back
        self.go("server-rules", "#server-rules #save-rules")
        names = [e.get_attribute("value") for e in self.driver.find_elements(By.CSS_SELECTOR, "#rules-list .r-name")]
        self.assertEqual(names, ["Quarterly reports"])

    def open_routing(self, user):
        self.go("user/" + user, '.tab[data-tab="routing"]').click()
        return self.wait("#script-text")

    def test_2_routing_script_editor(self):
        text = self.open_routing("erin")
        self.assertEqual(text.get_attribute("value"), "")
        text.send_keys("keep()\nif then\n")
        self.css("#save-script").click()
        self.wait_text("#script-status.error", "erin.lua:2:")
        wd.screenshot(self.driver, "2-script-refused")
        self.assertEqual(self.cli_ok("script", "get", "erin"), "")
        text.clear()
        text.send_keys("-- every message stays here\nkeep()\n")
        self.css("#save-script").click()
        self.wait_text("#script-status", "Script saved.")
        self.assertNotIn("error", self.css("#script-status").get_attribute("class"))
        want = "-- every message stays here\nkeep()\n"
        self.assertEqual(self.cli_ok("script", "get", "erin"), want)
        self.assertEqual(self.open_routing("erin").get_attribute("value"), want)

    def test_2b_server_routing_script(self):
        """With router.user_redirect empty the script is stored by the daemon (versioned in
        the settings history), never written into the installed copy."""
        with open(INSTALLED, "rb") as f:
            installed = f.read()
        self.go("server-rules", "#script-text")
        self.wait_text("#script-source", "installed with the program")
        self.wait_text("#script-file", INSTALLED)
        text = self.css("#script-text")
        self.assertEqual(text.get_attribute("value"), installed.decode())
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "#remove-script"), [])
        text.clear()
        text.send_keys("-- the server's script\n\nkeep(\n")
        self.css("#save-script").click()
        self.wait_text("#script-status.error", "user_redirect.lua:4:")
        rc, out, err = self.d.cli("script", "server", "get")
        self.assertIn("# source: installed", err)  # refused: nothing stored
        text.clear()
        text.send_keys("-- edited in the browser\nkeep()\n")
        self.css("#save-script").click()
        self.wait_text("#script-status", "Script saved.")
        self.wait_text("#script-source", "settings history")
        wd.screenshot(self.driver, "2b-server-script")
        rc, out, err = self.d.cli("script", "server", "get")
        self.assertEqual(out, "-- edited in the browser\nkeep()\n")
        with open(INSTALLED, "rb") as f:
            self.assertEqual(f.read(), installed)  # the program's copy untouched
        self.go("server-rules", "#script-text")
        self.assertEqual(self.css("#script-text").get_attribute("value"), "-- edited in the browser\nkeep()\n")
        self.cli_ok("script", "server", "reset")

    def test_3_lock_and_unlock(self):
        self.assertTrue(self.pop3_login("dave", "dave-secret-1"))
        self.go("users", "#users-grid[data-loaded]")
        self.assertEqual(self.grid_row("dave").find_elements(By.CSS_SELECTOR, ".padlock"), [])
        self.grid_row("dave").find_element(By.CSS_SELECTOR, ".pick").click()
        self.css("#lock").click()
        self.wait_text("#flash", "Locked: dave")
        self.wait('#users-grid[data-loaded] tbody tr[data-user="dave"] .padlock')
        wd.screenshot(self.driver, "3-locked")
        locks = self.api().request("GET", "/api/lockouts")[1]["locks"]
        self.assertIn({"user": "dave", "ip": "*", "failures": 0, "until_ms": 0}, locks)
        self.assertFalse(self.pop3_login("dave", "dave-secret-1"))  # the right password, refused
        self.assertTrue(self.pop3_login("carol", "carol-secret-1"))  # others are not locked
        self.grid_row("dave").find_element(By.CSS_SELECTOR, ".name a").click()
        box = self.wait("#locked")
        self.assertTrue(box.is_selected())
        box.click()
        self.css(".tab-panel button.submit").click()
        self.wait_text("#flash", "Unlocked dave")
        self.go("users", "#users-grid[data-loaded]")
        self.assertEqual(self.grid_row("dave").find_elements(By.CSS_SELECTOR, ".padlock"), [])
        self.assertTrue(self.pop3_login("dave", "dave-secret-1"))
        # locked again from the editor's General tab: the padlock comes back
        self.go("user/dave", "#locked").click()
        self.css(".tab-panel button.submit").click()
        self.wait_text("#flash", "Locked dave")
        self.assertFalse(self.pop3_login("dave", "dave-secret-1"))
        self.api().request("DELETE", "/api/lockouts/dave")

    def test_4_security_log_page(self):
        self.assertFalse(self.pop3_login("carol", "not-carols-password"))
        failed = "event=login_failed protocol=pop3 user=carol"
        api = self.api()
        pbtest.wait_until(lambda: failed in api.request("GET", "/api/logs/security?user=carol&limit=1")[1]["lines"][0]["text"],
                          timeout=60, interval=0.1, what="the failed login in the security log")
        self.go("reports", "#security-log-link").click()
        self.wait("#security-log")
        self.css("#seclog-user").send_keys("carol")
        self.css("#seclog-apply").click()
        self.until(lambda: "/carol/" in self.driver.current_url, "the filtered page's address")
        self.wait_text("#security-log tbody td.text", failed)  # the newest line first
        wd.screenshot(self.driver, "4-security-log")
        texts = [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, "#security-log tbody td.text")]
        self.assertTrue(texts and all("carol" in t for t in texts), texts)

    # ---- the live status (GET /api/status/events) ----

    def open_stream(self, cookie):
        conn = http.client.HTTPConnection("127.0.0.1", self.d.ports["http"], timeout=60)
        self.addCleanup(conn.close)
        conn.request("GET", "/api/status/events", headers={"Cookie": cookie} if cookie else {})
        return conn, conn.getresponse()

    @staticmethod
    def next_event(r):
        """The stream's next event as (name, data), comments skipped."""
        name, data = None, None
        while True:
            line = r.fp.readline()
            if not line:
                return None, None  # the stream ended
            line = line.decode().rstrip("\n")
            if line == "" and name is not None:
                return name, json.loads(data)
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]

    def send(self, subject, user="bob"):
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            s.sendmail("a@example.org", [user + "@" + self.domain],
                       "From: a@example.org\r\nSubject: %s\r\n\r\nhello\r\n" % subject)

    def test_5_status_stream(self):
        conn, r = self.open_stream(None)
        self.assertEqual(r.status, 401)
        user = self.api("carol", "carol-secret-1")
        conn, r = self.open_stream(user.cookie)
        self.assertEqual(r.status, 403)
        admin = self.api()
        conn, r = self.open_stream(admin.cookie)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Type"), "text/event-stream")
        self.assertIsNone(r.getheader("Content-Length"))
        self.assertIn("connect-src 'self'", r.getheader("Content-Security-Policy"))
        self.assertEqual(self.next_event(r), ("ready", {"topics": ["activity", "connection", "queue"]}))
        self.send("streamed")
        while True:  # other events may come first (the queue's counts)
            name, data = self.next_event(r)
            self.assertIsNotNone(name, "the stream ended before the delivery's activity")
            if name == "activity" and "to bob" in data["text"]:
                break
        self.assertIn("Delivered message", data["text"])
        self.assertGreater(data["time"], 1700000000000)
        # the login ends: the stream ends at its next check
        self.assertEqual(admin.request("POST", "/api/logout")[0].status, 204)
        while self.next_event(r)[0] is not None:
            pass

    def test_5b_status_streams_bounded(self):
        admin = self.api()
        opened, refused = [], None
        for _ in range(40):  # WEB_EVENTS_MAX is 32 (a browser page of an earlier test may hold one)
            conn, r = self.open_stream(admin.cookie)
            if r.status != 200:
                refused = r
                break
            self.assertEqual(self.next_event(r)[0], "ready")
            opened.append(r)  # the response holds the socket (http.client gave it the connection)
        self.assertIsNotNone(refused, "no stream refused")
        self.assertEqual(refused.status, 503)
        self.assertIn("too many status streams", json.loads(refused.read())["error"])
        self.assertGreaterEqual(len(opened), 30)
        for r in opened:  # closed by the client: the server sees it and frees the places
            r.close()

        def reopens():
            conn, r = self.open_stream(admin.cookie)
            ok = r.status == 200
            r.close()
            return ok
        pbtest.wait_until(reopens, timeout=30, interval=0.2, what="a stream opening again")

    def test_6_status_panel_live(self):
        self.go("users", "#users-grid[data-loaded]")
        self.wait("#status[data-live]")
        before = len(self.driver.find_elements(By.CSS_SELECTOR, "#status-activity li"))
        self.send("watched in the panel", user="erin")
        self.wait_text("#status-activity li:first-child", "to erin")
        wd.screenshot(self.driver, "6-status-live")
        self.assertGreaterEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#status-activity li")), min(before + 1, 10))


if __name__ == "__main__":
    unittest.main(verbosity=2)
