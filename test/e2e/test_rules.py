"""End to end: the message rules (issue 13 items 4 and 9, guide 4.14). Rule sets set through
the CLI (the administrator's and a user's), mail sent with smtplib, and checked over imaplib:
moved into a folder created for it, with \\Flagged and a keyword; marked read; deleted (not
delivered); a forward reaching Postfix's smtp-sink; `pillarbox trace` naming the rule; a set
that does not parse refused; a Modify headers rule acting on the delivered copies of a message
whose base64 body a Body condition matched decoded; `pillarbox rules dry-run` printing the
expected decision (test/data/dry-run: rules.json, message.eml, expected.txt), from a file and
from standard input; and `rules dry-run USER --folder F --last N [--json]` over stored mail,
seeing each message's own flags, with the folders and flags left as they were."""
import imaplib
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import QueueBase, Sink  # noqa: E402

ANN_RULES = {"rules": [
    {"name": "widgets", "conditions": [
        {"field": "subject", "match": "contains", "value": "widget", "i": True}],
     "actions": [{"action": "move_to_folder", "value": "Widgets"},
                 {"action": "flag", "value": True},
                 {"action": "add_keyword", "value": "Work"}]},
    {"name": "junk talk", "conditions": [
        {"field": "subject", "match": "equals", "value": "drop me"}],
     "actions": [{"action": "delete", "value": True}]},
    {"name": "boss copy", "conditions": [
        {"field": "from", "match": "wildcard", "value": "*@boss.example"}],
     "actions": [{"action": "forward_to", "value": "desk@remote.example"}]},
]}
ADMIN_RULES = {"rules": [
    {"name": "newsletters read", "conditions": [
        {"field": "subject", "match": "regex", "value": "^\\[news\\]"}],
     "actions": [{"action": "mark_read", "value": True}]},
]}


DRY_RUN = os.path.join(os.path.dirname(__file__), "..", "data", "dry-run")


class RulesCase(QueueBase):
    @classmethod
    def ok(cls, *args):
        rc, out, err = cls.d.cli(*args)
        assert rc == 0, (args, err)
        return out

    @classmethod
    def setUpClass(cls):
        cls.sink = Sink()
        cls.start_daemon(cls.sink.port)
        cls.d.add_user("ann", "annpw123")
        cls.set_rules(["ann"], ANN_RULES)
        cls.set_rules([], ADMIN_RULES)
        cls.d.add_user("dora", "dorapw123")
        cls.ok("rules", "set", "dora", os.path.join(DRY_RUN, "rules.json"))

    @classmethod
    def tearDownClass(cls):
        cls.stop_daemon()
        cls.sink.stop()

    @classmethod
    def set_rules(cls, who, rules):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(rules, f)
        try:
            cls.ok("rules", "set", *who, f.name)
        finally:
            os.unlink(f.name)

    def send(self, subject, sender="someone@outside.example"):
        import smtplib
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60)
        self.addCleanup(s.close)
        s.ehlo("client.example.org")
        s.mail(sender)
        self.assertEqual(s.rcpt("ann@" + self.domain)[0], 250)
        code, msg = s.data(("From: <%s>\r\nSubject: %s\r\n\r\nbody\r\n"
                            % (sender, subject)).encode())
        self.assertEqual(code, 250, msg)
        s.quit()
        return msg.decode().split("queued as ")[1].strip()

    def send_raw(self, rcpt, data):
        import smtplib
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60)
        self.addCleanup(s.close)
        s.sendmail("billing@shop.example", [rcpt], data)
        s.quit()

    def imap(self, user="ann", password="annpw123"):
        m = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60)
        m.login(user, password)
        self.addCleanup(m.logout)
        return m

    def find(self, folder, subject):
        """(flags line) of the message with subject in folder, or None."""
        m = self.imap()
        typ, _ = m.select('"%s"' % folder, readonly=True)
        if typ != "OK":
            return None
        typ, data = m.search(None, "SUBJECT", '"%s"' % subject)
        ids = data[0].split()
        if not ids:
            return None
        typ, data = m.fetch(ids[0], "(FLAGS)")
        return data[0].decode()

    def wait_in(self, folder, subject):
        return pbtest.wait_until(lambda: self.find(folder, subject), timeout=30,
                                 what="%s in %s" % (subject, folder))

    def test_move_flag_keyword(self):
        qid = self.send("New Widget offer")
        flags = self.wait_in("Widgets", "New Widget offer")
        self.assertIn("\\Flagged", flags)
        self.assertIn("Work", flags)
        self.assertIsNone(self.find("INBOX", "New Widget offer"))
        out = self.ok("trace", qid)
        self.assertIn('user rule "widgets": matched', out)
        self.assertIn("deliver to ann, folder Widgets", out)

    def test_admin_mark_read(self):
        flags = self.wait_in("INBOX", "[news] weekly") if self.send("[news] weekly") else None
        self.assertIn("\\Seen", flags)
        flags = self.wait_in("INBOX", "plain note") if self.send("plain note") else None
        self.assertNotIn("\\Seen", flags)

    def test_delete_not_delivered(self):
        qid = self.send("drop me")
        pbtest.wait_until(lambda: "delete: not delivered to ann" in self.d.cli("trace", qid)[1],
                          timeout=30, what="the delete in the trace")
        self.send("after drop")
        self.wait_in("INBOX", "after drop")  # delivered in order: the dropped one is not there
        self.assertIsNone(self.find("INBOX", "drop me"))

    def test_forward_to_sink(self):
        self.send("from the boss", sender="chief@boss.example")
        self.wait_in("INBOX", "from the boss")  # forward_to keeps the local copy
        dumps = pbtest.wait_until(lambda: self.sink.find(b"from the boss"), timeout=60,
                                  what="the forwarded copy at smtp-sink")
        self.assertIn(b"X-Rcpt-Args: <desk@remote.example>", dumps[0])

    def test_cli_get_set_del(self):
        got = json.loads(self.ok("rules", "get", "ann"))
        self.assertEqual(got["rules"][0]["name"], "widgets")
        self.assertIn("newsletters read", self.ok("rules", "get"))
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write('{"rules": [{"name": "x", "actions": [{"action": "fly"}]}]}')
        self.addCleanup(os.unlink, f.name)
        rc, out, err = self.d.cli("rules", "set", "ann", f.name)
        self.assertEqual(rc, 1)
        self.assertIn("fly", err)
        rc, out, err = self.d.cli("rules", "get", "nosuchuser")
        self.assertEqual(rc, 1)
        rc, out, err = self.d.cli("rules", "del", "nosuchuser")
        self.assertEqual(rc, 1)


    def dora_header(self, folder, subject):
        """(flags, header) of dora's message with subject in folder, or None."""
        m = self.imap("dora", "dorapw123")
        if m.select('"%s"' % folder, readonly=True)[0] != "OK":
            return None
        ids = m.search(None, "SUBJECT", '"%s"' % subject)[1][0].split()
        if not ids:
            return None
        typ, data = m.fetch(ids[0], "(FLAGS BODY.PEEK[HEADER])")
        return data[0][0].decode(), data[0][1].decode()

    def test_header_edit_on_decoded_body(self):
        with open(os.path.join(DRY_RUN, "message.eml"), "rb") as f:
            eml = f.read()
        self.send_raw("dora@" + self.domain, eml)
        for folder in ("INBOX", "Invoices"):  # both copies edited
            flags, header = pbtest.wait_until(
                lambda: self.dora_header(folder, "base64 invoice"), timeout=30,
                what="the invoice in " + folder)
            self.assertIn("X-Pillarbox-Rule: invoice\r\n", header)
            self.assertNotIn("X-Remove-Me", header)
            self.assertIn("\\Flagged", flags)
        # the same header with a body that says nothing of invoices: left as it came
        self.send_raw("dora@" + self.domain, b"From: <billing@shop.example>\r\n"
                      b"Subject: plain note\r\nX-Remove-Me: yes\r\n\r\nnothing paid\r\n")
        flags, header = pbtest.wait_until(lambda: self.dora_header("INBOX", "plain note"),
                                          timeout=30, what="the plain note")
        self.assertIn("X-Remove-Me: yes", header)
        self.assertNotIn("X-Pillarbox-Rule", header)

    def test_dry_run(self):
        out = self.ok("rules", "dry-run", "dora", os.path.join(DRY_RUN, "message.eml"))
        with open(os.path.join(DRY_RUN, "expected.txt")) as f:
            self.assertEqual(out, f.read())
        with open(os.path.join(DRY_RUN, "message.eml"), newline="") as f:
            rc, out2, err = self.d.cli("rules", "dry-run", "dora", "-", input=f.read())
        self.assertEqual((rc, out2), (0, out))
        rc, out, err = self.d.cli("rules", "dry-run", "nosuchuser",
                                  os.path.join(DRY_RUN, "message.eml"))
        self.assertEqual(rc, 1)
        self.assertIn("no such account", err)

    # ---- rules dry-run over stored mail ----

    FAY_RULES = {"rules": [
        {"name": "widgets", "conditions": [
            {"field": "subject", "match": "contains", "value": "widget", "i": True}],
         "actions": [{"action": "move_to_folder", "value": "Widgets"},
                     {"action": "flag", "value": True}]},
        {"name": "flagged ones", "conditions": [
            {"field": "flagged", "match": "equals", "value": True}],
         "actions": [{"action": "add_keyword", "value": "WasFlagged"}]},
    ]}

    def fay_state(self):
        """(folder names, [(uid, flags)] of INBOX) as IMAP shows them."""
        m = self.imap("fay", "faypw1234")
        typ, folders = m.list()
        names = sorted(f.decode().rsplit(" ", 1)[1] for f in folders)
        typ, exists = m.select("INBOX", readonly=True)
        if int(exists[0]) == 0:  # "1:*" of an empty mailbox is BAD (as Dovecot answers)
            return names, []
        typ, data = m.fetch("1:*", "(UID FLAGS)")
        return names, [d.decode() for d in data]

    def reports(self, *opts):
        """fay's dry-run over stored mail, one text per message."""
        return self.ok("rules", "dry-run", "fay", *opts).split("message uid ")[1:]

    def test_dry_run_stored_mail(self):
        self.d.add_user("fay", "faypw1234")
        for subject in ("one Widget", "plain two", "three"):
            self.send_raw("fay@" + self.domain, ("From: <billing@shop.example>\r\n"
                          "Subject: %s\r\n\r\nhello\r\n" % subject).encode())
        pbtest.wait_until(lambda: len(self.fay_state()[1]) == 3, timeout=30,
                          what="fay's three messages")
        m = self.imap("fay", "faypw1234")
        m.select("INBOX")
        typ, data = m.search(None, "SUBJECT", '"plain two"')
        m.store(data[0].split()[0], "+FLAGS", "\\Flagged")
        self.set_rules(["fay"], self.FAY_RULES)  # after delivery: nothing moved yet
        before = self.fay_state()

        reports = self.reports("--last", "2")
        self.assertEqual(len(reports), 2, reports)
        self.assertIn('subject "plain two"', reports[0])
        self.assertIn('user rule "flagged ones": matched', reports[0])
        self.assertIn('matched: "flagged ones"', reports[0])
        self.assertIn('subject "three"', reports[1])
        self.assertIn("matched: none", reports[1])

        reports = self.reports("--folder", "INBOX")
        self.assertEqual(len(reports), 3, reports)
        self.assertIn('subject "one Widget"', reports[0])
        self.assertIn("a copy in folder Widgets, flagged", reports[0])
        self.assertIn('matched: "widgets"', reports[0])

        out = self.ok("rules", "dry-run", "fay", "--last", "20", "--json")
        lines = [json.loads(l) for l in out.splitlines()]
        self.assertEqual([l["subject"] for l in lines], ["one Widget", "plain two", "three"])
        self.assertEqual([l["decision"]["matched"] for l in lines],
                         [["widgets", "flagged ones"],  # the first rule's flag counts
                          ["flagged ones"],  # its own \\Flagged, as stored
                          []])
        self.assertEqual(lines[0]["decision"]["folders"], ["Widgets"])
        self.assertLess(lines[0]["uid"], lines[1]["uid"])

        self.assertEqual(self.fay_state(), before)  # nothing changed: no Widgets, same flags
        self.assertNotIn("Widgets", before[0])

        for bad in (["--last", "0"], ["--last", "1001"], ["--last", "x"]):
            rc, out, err = self.d.cli("rules", "dry-run", "fay", *bad)
            self.assertEqual(rc, 64, (bad, err))
        rc, out, err = self.d.cli("rules", "dry-run", "nosuchuser", "--last", "5")
        self.assertEqual(rc, 1, err)
        rc, out, err = self.d.cli("rules", "dry-run", "fay", "--folder", "NoSuchFolder")
        self.assertEqual(rc, 1, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
