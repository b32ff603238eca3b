"""End to end in headless Chromium (issue 15 item 3, h-tree10): the guide's trees (3.1: "On some
screens (Mail Connectors, Services, Settings, Reports), the left portion contains a tree list")
and the grids' multi-select. Checked in the browser: each tree's nodes show their own panel at
the right (and not the others'), a deep link (#connectors/connections, #services/imaps,
#reports/activity, #settings/smtp) opens its node, and the keyboard moves through a tree (Up,
Down, Home, End) and opens a node with Enter, the focus staying on the node opened. Multi-select:
two mappings of three deleted at once, two locked accounts of three unlocked at once, every
connection method paused with "select all" then two of three resumed, two queue entries held at
once then every entry deleted with "select all", three accounts of four picked by a click and a
shift-click (the guide's range) and deleted — each checked through the REST API afterwards.
Screenshots: PB_BUILD_DIR/test-artifacts/test_web_admin_trees/."""
import json
import os
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
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from test_queue import closed_port  # noqa: E402


class AdminTrees(AdminCase):
    USERS = {"bob": "bob-secret-1", "carol": "carol-secret-1", "dave": "dave-secret-1"}
    row, row_text, pick = pages.AdminPages.row, pages.AdminPages.row_text, pages.AdminPages.pick
    confirm, send = pages.AdminPages.confirm, pages.AdminPages.send

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rc, _, err = cls.d.cli("setting", "set", "outbound", json.dumps(
            {"smart_host": "127.0.0.1:%d" % closed_port(), "retry_first_s": 3600, "retry_max_s": 3600}))
        if rc != 0:
            cls.tearDownClass()
            raise RuntimeError("setting set outbound: " + err)

    # ---- helpers ----

    def node(self, tree, node):
        return self.css('#%s a[data-node="%s"]' % (tree, node))

    def selected(self, tree):
        """The data-node of the tree's nodes marked selected."""
        return [a.get_attribute("data-node") for a in
                self.driver.find_elements(By.CSS_SELECTOR, '#%s a[aria-selected="true"]' % tree)]

    def shown(self, tree, node):
        """Waits until node is the one tree marks selected (the page drawn for it)."""
        self.until(lambda: self.selected(tree) == [node], "%s shown in %s" % (node, tree))

    def open_node(self, tree, node, ready):
        """Clicks node in tree; waits for its panel (ready) and the node marked."""
        self.node(tree, node).click()
        el = self.wait(ready)
        self.shown(tree, node)
        return el

    def absent(self, selector):
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, selector), [], selector)

    def focused_node(self):
        return self.driver.switch_to.active_element.get_attribute("data-node")

    def key(self, key):
        self.driver.switch_to.active_element.send_keys(key)

    def bound_services(self):
        """The service column of the bindings grid shown."""
        return [td.text for td in self.driver.find_elements(By.CSS_SELECTOR, "#bindings-grid td.service")]

    def deep_link(self, hash_, ready):
        self.driver.get(self.base + "/admin/#users")
        self.wait("#users-grid[data-loaded]")
        self.driver.get(self.base + "/admin/#" + hash_)
        return self.wait(ready)

    # ---- the trees ----

    def test_1_connectors_tree(self):
        self.go("connectors", "#collectors-grid[data-loaded]")
        self.shown("connectors-tree", "collectors")  # the first node by default
        self.absent("#connections-grid")
        self.open_node("connectors-tree", "connections", "#connections-grid[data-loaded]")
        self.absent("#collectors-grid")
        self.assertTrue(self.driver.current_url.endswith("#connectors/connections"))
        wd.screenshot(self.driver, "1-connections")
        # the keyboard: Up to the collectors node, Enter opens it, the focus stays on it
        self.node("connectors-tree", "connections").send_keys(Keys.ARROW_UP)
        self.assertEqual(self.focused_node(), "collectors")
        self.key(Keys.ENTER)
        self.wait("#collectors-grid[data-loaded]")
        self.shown("connectors-tree", "collectors")
        self.until(lambda: self.focused_node() == "collectors", "the focus on the node opened")
        self.key(Keys.END)
        self.assertEqual(self.focused_node(), "connections")
        self.key(Keys.HOME)
        self.assertEqual(self.focused_node(), "collectors")
        # the tree is one tab stop: only the node shown is in the tab order
        tabbable = [a.get_attribute("data-node") for a in self.driver.find_elements(
            By.CSS_SELECTOR, '#connectors-tree a[tabindex="0"]')]
        self.assertEqual(tabbable, ["collectors"])
        self.deep_link("connectors/connections", "#connections-grid[data-loaded]")
        self.shown("connectors-tree", "connections")

    def test_2_services_tree(self):
        api = self.api()
        bindings = api.request("GET", "/api/bindings")[1]
        certs = api.request("GET", "/api/certificates")[1]
        self.go("services", "#services-tree")
        self.wait("#bindings-grid[data-loaded]")
        self.shown("services-tree", "all")
        services = self.bound_services
        self.assertEqual(len(services()), len(bindings))
        self.open_node("services-tree", "smtp", '#services-panel[data-node="smtp"] #bindings-grid')
        smtp = [b for b in bindings if b["service"] == "smtp"]
        self.assertTrue(smtp)
        self.assertEqual(services(), ["smtp"] * len(smtp))
        port = self.css("#bindings-grid td.port").text
        self.assertEqual(port, str(self.d.ports["smtp"]))
        subjects = [td.text for td in self.driver.find_elements(By.CSS_SELECTOR, "#certificates-grid td.subject")]
        self.assertEqual(subjects, [c["subject"] for c in certs if "smtp" in c["services"]])
        wd.screenshot(self.driver, "2-service-smtp")
        # Change bindings from a service's node: that service's field alone
        self.css("#change-bindings").click()
        self.wait("#bindings-form #f-smtp_listen")
        self.absent("#bindings-form #f-pop3_listen")
        self.deep_link("services/imaps", '#services-panel[data-node="imaps"] #bindings-grid[data-loaded]')
        self.shown("services-tree", "imaps")
        self.assertEqual(services(), ["imaps"] * len([b for b in bindings if b["service"] == "imaps"]))
        self.open_node("services-tree", "all", '#services-panel[data-node="all"] #bindings-grid')
        self.assertEqual(len(services()), len(bindings))

    def test_3_reports_tree(self):
        self.go("reports", "#queue-grid[data-loaded]")
        self.shown("reports-tree", "queue")
        self.open_node("reports-tree", "locks", "#locks-grid[data-loaded]")
        self.wait("#blocks-grid[data-loaded]")
        self.absent("#queue-grid")
        self.open_node("reports-tree", "activity", "#activity")
        self.absent("#locks-grid")
        self.open_node("reports-tree", "security-log", "#security-log[data-loaded]")
        self.assertIn("#security-log", self.driver.current_url)
        self.absent("#activity")
        wd.screenshot(self.driver, "3-security-log")
        # the keyboard from the security log up to the activity node
        self.node("reports-tree", "security-log").send_keys(Keys.ARROW_UP)
        self.key(Keys.ENTER)
        self.wait("#activity")
        self.shown("reports-tree", "activity")
        self.deep_link("reports/locks", "#locks-grid[data-loaded]")
        self.shown("reports-tree", "locks")

    def test_4_settings_tree(self):
        self.go("settings", "#settings-tree")
        self.open_node("settings-tree", "smtp", 'form.settings-doc[data-doc="smtp"]')
        self.node("settings-tree", "smtp").send_keys(Keys.END)
        self.assertEqual(self.focused_node(), "history")
        self.key(Keys.ENTER)
        self.wait("#history")
        self.shown("settings-tree", "history")
        self.absent("form.settings-doc")
        self.deep_link("settings/smtp", 'form.settings-doc[data-doc="smtp"]')
        self.shown("settings-tree", "smtp")

    # ---- multi-select: several rows, one command ----

    def test_5_two_mappings_deleted_at_once(self):
        admin = self.api()
        for a in ("m-one", "m-two", "m-three"):
            r, out = admin.request("POST", "/api/mappings", {"address": a, "target": "bob"})
            self.assertEqual(r.status, 201, out)
        self.go("mappings", "#mappings-grid[data-loaded]")
        self.pick("mappings-grid", "m-one")
        self.pick("mappings-grid", "m-three")
        self.css("#delete-mapping").click()
        self.confirm()
        self.wait_text("#flash", "Deleted: m-one")
        self.assertIn("m-three", self.css("#flash").text)
        left = [m["address"] for m in admin.request("GET", "/api/mappings")[1]]
        self.assertNotIn("m-one", left)
        self.assertNotIn("m-three", left)
        self.assertIn("m-two", left)

    def test_6_two_accounts_unlocked_at_once(self):
        admin = self.api()
        for u in ("bob", "carol", "dave"):
            self.assertIn(admin.request("POST", "/api/users/%s/lock" % u, {})[0].status, (200, 204))

        def locked():
            return sorted(lk["user"] for lk in admin.request("GET", "/api/lockouts")[1]["locks"])
        self.assertEqual(locked(), ["bob", "carol", "dave"])
        self.go("reports/locks", "#locks-grid[data-loaded]")
        self.pick("locks-grid", "bob")
        self.pick("locks-grid", "dave")
        wd.screenshot(self.driver, "6-two-picked")
        self.css("#unlock-picked").click()
        self.wait_text("#flash", "Unlocked: bob *, dave *")
        self.assertEqual(locked(), ["carol"])  # the one not picked stays locked
        self.until(lambda: self.row("locks-grid", "bob") is None, "bob's lock gone from the grid")
        self.assertIsNotNone(self.row("locks-grid", "carol"))
        admin.request("DELETE", "/api/lockouts/carol")

    def test_7_connections_paused_with_select_all(self):
        admin = self.api()
        for n in ("c-one", "c-two", "c-three"):
            r, out = admin.request("POST", "/api/connections", {"name": n, "every_min": 30})
            self.assertEqual(r.status, 201, out)

        def states():
            return {m["name"]: m["state"] for m in admin.request("GET", "/api/connections")[1]}
        self.assertNotIn("paused", states().values())
        self.go("connectors/connections", "#connections-grid[data-loaded]")
        self.css("#connections-grid .pick-all").click()
        self.assertTrue(all(b.is_selected() for b in self.driver.find_elements(
            By.CSS_SELECTOR, "#connections-grid .pick")))
        self.css("#pause-connection").click()
        self.wait_text("#flash", "Paused: ")
        s = states()
        self.assertTrue({"c-one", "c-two", "c-three"} <= set(s), s)
        self.assertEqual(set(s.values()), {"paused"}, s)
        self.until(lambda: "paused" in self.row_text("connections-grid", "c-three"), "the grid drawn again")
        self.pick("connections-grid", "c-one")
        self.pick("connections-grid", "c-two")
        self.css("#resume-connection").click()
        self.wait_text("#flash", "Resumed: ")
        s = states()
        self.assertEqual((s["c-three"], s["c-one"] != "paused", s["c-two"] != "paused"),
                         ("paused", True, True), s)

    def test_8_queue_two_held_then_all_deleted(self):
        admin = self.api()
        r, out = admin.request("POST", "/api/mappings", {"address": "away", "target": "x@far.example"})
        self.assertEqual(r.status, 201, out)
        for i in range(3):
            self.send("away@" + self.domain, "queued %d" % i)

        def entries():
            return admin.request("GET", "/api/queue")[1]["entries"]
        ids = pbtest.wait_until(lambda: [e["id"] for e in entries()] if len(entries()) == 3 else None,
                                timeout=pbtest.DELIVERY_TIMEOUT, interval=0.2, what="three queue entries")
        self.go("reports", "#queue-grid[data-loaded]")
        self.pick("queue-grid", ids[0])
        self.pick("queue-grid", ids[2])
        self.css("#queue-hold").click()
        self.wait_text("#flash", "Held: %s, %s" % (ids[0], ids[2]))
        held = {e["id"]: e["held"] for e in entries()}
        self.assertEqual(held, {ids[0]: True, ids[1]: False, ids[2]: True})
        self.until(lambda: "held" in self.row_text("queue-grid", ids[2]), "the grid drawn again")
        self.css("#queue-grid .pick-all").click()
        self.css("#queue-delete").click()
        self.confirm()
        self.wait_text("#flash", "Deleted: ")
        self.assertEqual(entries(), [])
        wd.screenshot(self.driver, "8-queue-emptied")

    def test_9_users_range_deleted_with_shift_click(self):
        for u in ("rg-a", "rg-b", "rg-c", "rg-d"):
            self.d.add_user(u, u + "-secret-1")
        self.go("users", '#users-grid[data-loaded] tr[data-user="rg-d"]')
        box = lambda u: self.css('#users-grid tr[data-user="%s"] .pick' % u)  # noqa: E731
        box("rg-a").click()
        ActionChains(self.driver).key_down(Keys.SHIFT).click(box("rg-c")).key_up(Keys.SHIFT).perform()
        picked = [tr.get_attribute("data-user") for tr in self.driver.find_elements(
            By.CSS_SELECTOR, "#users-grid tbody tr") if tr.find_element(By.CSS_SELECTOR, ".pick").is_selected()]
        self.assertEqual(picked, ["rg-a", "rg-b", "rg-c"])  # the range, rg-d not
        self.css("#delete").click()
        self.confirm()
        self.wait_text("#flash", "Deleted: rg-a, rg-b, rg-c")
        users = [u["user"] for u in self.api().request("GET", "/api/users")[1]]
        self.assertEqual([u for u in users if u.startswith("rg-")], ["rg-d"])


if __name__ == "__main__":
    unittest.main()
