"""End to end: the admin UI's Message Rules tab and the user editor's settings tabs (issue 15
item 3) in headless Chromium driven by Selenium, against the real daemon. Checked: a rule set
written with `pillarbox rules set` using every condition, match type, I/N flag, action (the
off forms included) and message type the server names (GET /api/rules/names, whose lists the
set is checked to cover) is opened in the tab and saved with no edit: `pillarbox rules get`
is byte-for-byte what it was (the set is replaced on the server between opening and Save, so
the save is seen to write it all); editing one condition's value and turning an Undelete into
a Delete change only those; dragging the last rule onto the first changes the order on the
server; a Flagged condition with an Unflag action, made in the tab, saves; the Passwords,
Quotas and Permissions tabs each save one field and the server shows it; the Aliases tab adds
an alias (New) and deletes it. Screenshots: PB_BUILD_DIR/test-artifacts/test_web_admin_rules/.
The drag is dispatched as the HTML5 drag events (dragstart, dragover, drop, dragend) in the
page: chromedriver's pointer actions do not start an HTML5 drag."""
import copy
import json
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
from selenium.webdriver.support.ui import Select  # noqa: E402


def cond(field, match, value, i=False, n=False):
    return {"field": field, "match": match, "value": value, "i": i, "n": n}


def act(action, value):
    return {"action": action, "value": value}


# Every field, match type, flag, action (on and off) and message type; the test checks the
# coverage against the server's own lists.
EVERYTHING = {"rules": [
    {"name": "Rule one", "enabled": True, "match": "any", "types": ["incoming"], "stop_after": False,
     "conditions": [
         cond("subject", "contains", "widget", i=True), cond("to", "equals", "a@example.org", n=True),
         cond("cc", "not_equals", "b@example.org"), cond("to_or_cc", "wildcard", "*@example.org", i=True),
         cond("from", "regex", "/^boss@/i"), cond("from_to_cc", "contains", "x", i=True, n=True),
         cond("body", "contains", "hello", n=True), cond("size", "less", "1000"),
         cond("size", "less_or_equal", "2000"), cond("spam_score", "greater", "5.5"),
         cond("spam_score", "greater_or_equal", "3"), cond("quarantined", "equals", True),
         cond("marked_read", "not_equals", False), cond("keyword", "equals", "$Work"),
         cond("flagged", "equals", True, n=True), cond("previous_rule_match", "equals", "Rule two"),
         cond("date_now", "greater_or_equal", "2026-01-01"), cond("time_now", "less", "08:30"),
         cond("message_date", "less_or_equal", "2026-12-31")],
     "actions": [
         act("flag", True), act("flag", False), act("delete", False), act("delete", True),
         act("quarantine", True), act("quarantine", False), act("mark_read", True),
         act("mark_read", False), act("add_keyword", "$Seen-by-rule"),
         act("copy_to_folder", "Archive"), act("move_to_folder", "Widgets"),
         act("forward_to", "a@example.org; b@example.org"), act("redirect_to", "c@example.org"),
         act("set_forward_sender", "fwd@example.org"), act("modify_header", "X-Tag: yes"),
         act("modify_header", "X-Remove"), act("set_spam_score", 7.5)]},
    {"name": "Rule two", "enabled": False, "match": "all", "types": ["local", "system"],
     "stop_after": True, "conditions": [], "actions": [act("delete", False)]},
    {"name": "Rule three", "enabled": True, "match": "all", "types": ["system"],
     "stop_after": False, "conditions": [cond("subject", "equals", "x")], "actions": []},
]}


class AdminRules(AdminCase):
    # ---- helpers ----

    def tab(self, name, ready):
        """Opens bob's editor afresh on tab name; returns the element ready selects."""
        self.go("user/bob", '.tab[data-tab="%s"]' % name).click()
        return self.wait(ready)

    def set_rules(self, doc):
        """Sets bob's rules as compact JSON (the server keeps the text it is given, and the tab
        sends JSON.stringify's); returns `rules get`'s text."""
        self.cli_ok("rules", "set", "bob", "-", input=json.dumps(doc, separators=(",", ":")))
        return self.cli_ok("rules", "get", "bob")

    def open_rules(self):
        self.tab("rules", "#save-rules")
        return self.driver.find_elements(By.CSS_SELECTOR, "#rules-list .rule")

    def save_rules(self):
        self.css("#save-rules").click()
        self.wait_text(".form-status", "Rules saved.")

    # ---- the tests ----

    def test_1_every_name_round_trips_unedited(self):
        names = self.api().request("GET", "/api/rules/names")[1]
        used = EVERYTHING["rules"]
        conds = [c for r in used for c in r["conditions"]]
        acts = [a for r in used for a in r["actions"]]
        self.assertEqual({f["name"] for f in names["fields"]}, {c["field"] for c in conds})
        self.assertEqual(set(names["matches"]), {c["match"] for c in conds})
        self.assertEqual({(a["name"], v) for a in names["actions"]
                          for v in ([True, False] if a["value"] == "switch" else [None])},
                         {(a["action"], a["value"] if isinstance(a["value"], bool) else None) for a in acts})
        self.assertEqual(set(names["types"]), {t for r in used for t in r["types"]})
        self.assertEqual({(c["i"], c["n"]) for c in conds},
                         {(False, False), (True, False), (False, True), (True, True)})
        before = self.set_rules(EVERYTHING)
        self.assertEqual(len(self.open_rules()), 3)
        self.set_rules({"rules": [{"name": "replaced meanwhile"}]})  # Save must write it all back
        self.save_rules()
        wd.screenshot(self.driver, "1-every-name")
        self.assertEqual(self.cli_ok("rules", "get", "bob"), before)

    def test_2_one_edit_changes_one_field(self):
        before = json.loads(self.set_rules(EVERYTHING))
        rules = self.open_rules()
        value = rules[0].find_elements(By.CSS_SELECTOR, ".condition .c-value")[0]
        value.clear()
        value.send_keys("gadget")
        undelete = rules[1].find_element(By.CSS_SELECTOR, ".action .a-value")
        self.assertEqual(Select(undelete).first_selected_option.text, "Undelete")
        Select(undelete).select_by_visible_text("Delete")
        self.save_rules()
        expected = copy.deepcopy(before)
        expected["rules"][0]["conditions"][0]["value"] = "gadget"
        expected["rules"][1]["actions"][0]["value"] = True
        self.assertEqual(json.loads(self.cli_ok("rules", "get", "bob")), expected)

    def test_3_drag_to_reorder(self):
        before = json.loads(self.set_rules(EVERYTHING))
        rules = self.open_rules()
        self.driver.execute_script("""
            const [src, dst] = arguments, dt = new DataTransfer();
            const fire = (el, type) => el.dispatchEvent(new DragEvent(type,
                { bubbles: true, cancelable: true, dataTransfer: dt }));
            fire(src, 'dragstart'); fire(dst, 'dragover'); fire(dst, 'drop'); fire(src, 'dragend');
            """, rules[2], rules[0])
        order = [e.get_attribute("value") for e in self.driver.find_elements(By.CSS_SELECTOR, "#rules-list .r-name")]
        self.assertEqual(order, ["Rule three", "Rule one", "Rule two"])
        self.save_rules()
        r = before["rules"]
        self.assertEqual(json.loads(self.cli_ok("rules", "get", "bob")), {"rules": [r[2], r[0], r[1]]})

    def test_4_flagged_condition_saves(self):
        self.set_rules({"rules": []})
        self.open_rules()
        self.css("#add-rule").click()
        rule = self.wait("#rules-list .rule")
        rule.find_element(By.CSS_SELECTOR, ".r-name").send_keys("Flagged ones")
        Select(rule.find_element(By.CSS_SELECTOR, ".c-field")).select_by_value("flagged")
        Select(rule.find_element(By.CSS_SELECTOR, ".c-match")).select_by_value("equals")
        Select(rule.find_element(By.CSS_SELECTOR, ".c-value")).select_by_value("true")
        rule.find_element(By.CSS_SELECTOR, ".c-i").click()  # a new condition ignores case: off
        Select(rule.find_element(By.CSS_SELECTOR, ".a-action")).select_by_value("flag")
        Select(rule.find_element(By.CSS_SELECTOR, ".a-value")).select_by_visible_text("Unflag")
        self.save_rules()
        saved = json.loads(self.cli_ok("rules", "get", "bob"))["rules"][0]
        self.assertEqual((saved["name"], saved["conditions"], saved["actions"]),
                         ("Flagged ones", [cond("flagged", "equals", True)], [act("flag", False)]))

    def test_5_passwords_tab(self):
        self.tab("passwords", "#new-password").send_keys("bob-new-secret-2")
        self.css("#new-password2").send_keys("bob-new-secret-2")
        self.css(".tab-panel button.submit").click()
        self.wait_text(".tab-panel .form-status", "Password changed")
        self.api("bob", "bob-new-secret-2")  # logs in with the new one

    def settings_tab(self, tab, key):
        el = self.tab(tab, "#f-" + key)
        if el.get_attribute("type") == "checkbox":
            el.click()
        else:
            el.clear()
            el.send_keys("77")
        self.css(".settings-form button.submit").click()
        self.wait_text(".settings-form .form-status", "Saved.")
        return self.api().request("GET", "/api/users/bob")[1]["settings"].get(key)

    def test_6_quotas_tab(self):
        self.assertEqual(self.settings_tab("quotas", "quota_mb"), 77)

    def test_7_permissions_tab(self):
        self.assertIs(self.settings_tab("permissions", "allow_bcc"), False)

    def test_8_aliases_tab_new_and_delete(self):
        c = self.api()
        alias = "robert@" + self.domain
        self.tab("aliases", "#new-alias").send_keys(alias)
        self.css("#add-alias").click()
        self.wait('.aliases li[data-address="%s"]' % alias)
        self.assertIn(alias, [m["address"] for m in c.request("GET", "/api/aliases/bob")[1]])
        self.css('.aliases li[data-address="%s"] .delete-alias' % alias).click()
        wd.wait_gone(self.driver, '.aliases li[data-address="%s"]' % alias, UI_TIMEOUT)
        self.assertNotIn(alias, [m["address"] for m in c.request("GET", "/api/aliases/bob")[1]])


if __name__ == "__main__":
    unittest.main(verbosity=2)
