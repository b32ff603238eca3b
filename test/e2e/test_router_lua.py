"""End to end: routing scripts and blocked senders in the router (issue 13 items 5, 3, 7).
A user's Lua script set with `pillarbox script set` forwards a copy to a remote address
(received by Postfix's smtp-sink) and keeps one; a script that loops forever, and a server
script with a syntax error, do not stop mail: it reaches the INBOX and the log names the
script's line; `script set` refuses a syntax error with its line; the server's
user_redirect.lua (the installed copy by default, an edited one through router.user_redirect)
forwards by date and time, its clock the router's; a blocked sender's message is not
delivered to the account that blocks it and still reaches the other recipients; a user
script's deliver("Work") by the message's subject puts it in that folder (created) and not in
the INBOX, checked over IMAP; the forwarding keys are in the script's user table; `rules
dry-run` runs the scripts over stored mail and reports what they would do (a folder by the
sender, a looping script stopped with its line), changing nothing; a script's no_forwarding()
and no_assistants() are dry-run results of their own, in text and --json, with the Forward To
and assistants they switch off; a dry-run reports a script's forward the account may not send
(internet_mail false, a forbidden_recipients pattern) in delivery's trace words."""
import imaplib
import json
import os
import shutil
import smtplib
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import QueueBase  # noqa: E402
from test_router import RouterClient  # noqa: E402

USERS = ("ann", "bob", "sue", "carol", "dave", "erin", "frank", "gus", "hal", "ivy", "jo",
         "kim")
REDIRECT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "lua",
                        "user_redirect.lua")


class RouterLuaCase(RouterClient, QueueBase):
    @classmethod
    def setUpClass(cls):
        cls.start_with_users(USERS)
        cls.tmp = tempfile.mkdtemp(prefix="pb-router-lua-")

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def set_script(self, user, text):
        rc, out, err = self.d.cli("script", "set", user, "-", input=text)
        return rc, out + err

    def trace(self, qid):
        return self.d.cli("trace", qid)[1]

    def wait_trace(self, qid, text):
        pbtest.wait_until(lambda: text in self.trace(qid), timeout=30,
                          what="%r in the trace of %s" % (text, qid))

    def server_script(self, name, text):
        """Writes text as a server script file and makes it the one the router runs."""
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        self.ok("setting", "set", "router", '{"user_redirect": "%s"}' % path)
        self.addCleanup(self.ok, "setting", "set", "router", '{"user_redirect": ""}')

    def test_script_administered(self):
        self.assertEqual(self.set_script("dave", "keep()\n")[0], 0)
        self.assertEqual(self.ok("script", "get", "dave"), "keep()\n")
        rc, err = self.set_script("dave", "keep()\nif then\n")
        self.assertEqual(rc, 1)
        self.assertIn("dave.lua:2:", err)
        self.assertEqual(self.ok("script", "get", "dave"), "keep()\n")  # unchanged
        self.assertIn('"script":"(7 bytes: pillarbox script get)"', self.ok("user", "show", "dave"))
        self.ok("script", "del", "dave")
        self.assertEqual(self.ok("script", "get", "dave"), "")
        rc, err = self.set_script("nosuchuser", "keep()")
        self.assertEqual(rc, 1)

    def test_user_script_forwards_to_sink(self):
        self.assertEqual(self.set_script("ann", 'log("ann copies") forward("ann-copy@remote.example")\n')[0], 0)
        qid = self.deliver("ann@" + self.domain, "to-ann-script")
        self.wait_for("ann", "to-ann-script")  # the implicit keep
        dumps = pbtest.wait_until(lambda: self.sink.find(b"to-ann-script"), timeout=60,
                                  what="the script's copy at smtp-sink")
        self.assertIn(b"X-Rcpt-Args: <ann-copy@remote.example>", dumps[0])
        out = self.trace(qid)
        self.assertIn("ann copies", out)
        self.assertIn("script ann.lua decided: folder INBOX, forward to ann-copy@remote.example",
                      out)

    def imap_search(self, user, folder, subject):
        """The ids of the messages with subject in user's folder (None: no such folder)."""
        m = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60)
        try:
            m.login(user, user + "pw123")
            typ, _ = m.select('"%s"' % folder, readonly=True)
            if typ != "OK":
                return None
            typ, data = m.search(None, "SUBJECT", '"%s"' % subject)
            self.assertEqual(typ, "OK")
            return data[0].split()
        finally:
            m.logout()

    def test_user_script_delivers_into_a_folder(self):
        script = 'if msg.subject:find("work") then deliver("Work") end\n'
        self.assertEqual(self.set_script("hal", script)[0], 0)
        qid = self.deliver("hal@" + self.domain, "hal-for-work")
        pbtest.wait_until(lambda: self.imap_search("hal", "Work", "hal-for-work"), timeout=30,
                          what="hal-for-work in hal's Work folder")
        self.assertEqual(self.imap_search("hal", "INBOX", "hal-for-work"), [])
        self.assertIn("deliver to hal, folder Work", self.trace(qid))
        # another subject: the script does not act, the INBOX gets it
        self.deliver("hal@" + self.domain, "hal-other")
        pbtest.wait_until(lambda: self.imap_search("hal", "INBOX", "hal-other"), timeout=30,
                          what="hal-other in hal's INBOX")
        self.assertEqual(self.imap_search("hal", "Work", "hal-other"), [])

    def test_looping_script_does_not_stop_mail(self):
        self.assertEqual(self.set_script("carol", "keep()\nwhile true do end\n")[0], 0)
        qid = self.deliver("carol@" + self.domain, "to-carol-loop")
        self.wait_for("carol", "to-carol-loop")
        pbtest.wait_until(lambda: "script failed: carol.lua:2: instruction budget" in self.d.log(),
                          timeout=30, what="the budget's failure in the log")
        self.assertIn("carol.lua:2: instruction budget of 1000000 exhausted; routed as if absent",
                      self.trace(qid))

    def test_server_script_by_time_and_its_failures(self):
        # the installed copy (an empty config) is found and changes nothing
        qid = self.deliver("gus@" + self.domain, "to-gus-default")
        self.wait_for("gus", "to-gus-default")
        self.assertIn("event=server_script_loaded path=%s " % os.path.realpath(REDIRECT),
                      self.d.log())
        # an edited copy: bob's window holds the router's now, sue's is in the future
        now = time.time()
        yesterday = time.strftime("%Y%m%d", time.localtime(now - 86400))
        tomorrow = time.strftime("%Y%m%d", time.localtime(now + 86400))
        later = time.strftime("%Y%m%d", time.localtime(now + 3 * 86400))
        with open(REDIRECT) as f:
            text = f.read()
        config = ('local config = {\n'
                  '  bob = { to = "bob-away@remote.example", from = "%s", ["until"] = "%s" },\n'
                  '  sue = { to = "sue-away@remote.example", from = "%s" },\n}\n'
                  % (yesterday, tomorrow, later))
        begin, end = text.index("local config = {"), text.index("-- CONFIG END")
        self.server_script("user_redirect.lua", text[:begin] + config + text[end:])
        qid = self.deliver("bob@" + self.domain, "to-bob-away")
        dumps = pbtest.wait_until(lambda: self.sink.find(b"to-bob-away"), timeout=60,
                                  what="bob's redirected message at smtp-sink")
        self.assertIn(b"X-Rcpt-Args: <bob-away@remote.example>", dumps[0])
        self.assertIn("user_redirect: inside the window", self.trace(qid))
        self.assertNotIn("to-bob-away", self.subjects("bob"))  # redirected: no local copy
        # outside her window the script decides nothing: sue's own assistant gets a copy
        self.ok("user", "set", "sue", "assistants", "sue-assistant@remote.example")
        qid = self.deliver("sue@" + self.domain, "to-sue-here")
        self.wait_for("sue", "to-sue-here")
        dumps = pbtest.wait_until(lambda: self.sink.find(b"to-sue-here"), timeout=60,
                                  what="sue's assistant's copy at smtp-sink")
        self.assertIn(b"X-Rcpt-Args: <sue-assistant@remote.example>", dumps[0])
        out = self.trace(qid)
        self.assertIn("user_redirect: outside the window's dates", out)
        self.assertIn("no decision, sue's own routing applies", out)
        # a server script with a syntax error: mail delivered as if it were absent
        self.server_script("broken.lua", "keep()\nlocal x = = 1\n")
        qid = self.deliver("bob@" + self.domain, "to-bob-broken")
        self.wait_for("bob", "to-bob-broken")
        pbtest.wait_until(lambda: "script failed: user_redirect.lua:2:" in self.d.log(),
                          timeout=30, what="the syntax error in the log")
        self.assertIn("script failed: user_redirect.lua:2:", self.trace(qid))

    def test_blocked_sender(self):
        self.ok("user", "set", "erin", "blocked", "x@y.example;*@SPAM.example")
        qid = self.deliver("erin@" + self.domain, "to-erin-spam", sender="joe@spam.example")
        # a message for erin alone: nobody gets it
        self.wait_trace(qid, "sender joe@spam.example is blocked by erin (*@SPAM.example)")
        # several recipients: the others still get it
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60)
        self.addCleanup(s.close)
        refused = s.sendmail("joe@spam.example", ["erin@" + self.domain, "frank@" + self.domain],
                             b"Subject: to-erin-frank\r\n\r\nhello\r\n")
        self.assertEqual(refused, {})
        s.quit()
        self.wait_for("frank", "to-erin-frank")
        pbtest.wait_until(lambda: "is blocked by erin" in self.d.log(), timeout=30,
                          what="the block in the log")
        self.assertNotIn("to-erin-spam", self.subjects("erin"))
        self.assertNotIn("to-erin-frank", self.subjects("erin"))
        # another sender is not blocked
        self.deliver("erin@" + self.domain, "to-erin-ok", sender="joe@spam.example.org")
        self.wait_for("erin", "to-erin-ok")

    def test_script_sees_forwarding_keys(self):
        """The forwarding keys of session 8 are in the script's user table, as `user set`
        names them, read-only: a script that changes one changes nothing outside it."""
        for key, value in (("size_over_kb", "300"), ("size_over_action", "redirect"),
                           ("size_over_to", "big@remote.example"),
                           ("copy_sent_to", "archive@remote.example"),
                           ("no_forward_quarantined", "true")):
            self.ok("user", "set", "gus", key, value)
        script = ('log("keys", user.size_over_kb, user.size_over_action, user.size_over_to,'
                  ' user.size_under_kb, user.size_under_action, "[" .. user.size_under_to .. "]",'
                  ' user.copy_sent_to, user.no_forward_quarantined)\n'
                  'user.size_over_kb = "1"\nkeep()\n')
        self.assertEqual(self.set_script("gus", script)[0], 0)
        qid = self.deliver("gus@" + self.domain, "to-gus-keys")
        self.wait_for("gus", "to-gus-keys")
        self.assertIn("keys 300 redirect big@remote.example 0 copy [] archive@remote.example true",
                      self.trace(qid))
        self.assertIn('"size_over_kb":300', self.ok("user", "show", "gus"))

    def dry_run(self, *extra):
        rc, out, err = self.d.cli("rules", "dry-run", "ivy", "--folder", "INBOX", "--last", "10",
                                  *extra)
        self.assertEqual(rc, 0, err)
        return out

    def test_dry_run_runs_scripts_changing_nothing(self):
        self.deliver("ivy@" + self.domain, "ivy-from-boss", sender="boss@x.example")
        self.deliver("ivy@" + self.domain, "ivy-from-other", sender="other@x.example")
        pbtest.wait_until(lambda: len(self.imap_search("ivy", "INBOX", "ivy-from")) == 2,
                          timeout=30, what="both in ivy's INBOX")
        script = ('if msg.sender == "boss@x.example" then log("from the boss")'
                  ' deliver("FromBoss") end\n')
        self.assertEqual(self.set_script("ivy", script)[0], 0)
        reports = [json.loads(line) for line in self.dry_run("--json").splitlines()]
        by_subject = {r["subject"]: r["scripts"] for r in reports}
        boss, other = by_subject["ivy-from-boss"], by_subject["ivy-from-other"]
        self.assertTrue(boss["acted"], boss)
        self.assertEqual(boss["folders"], ["FromBoss"])
        self.assertEqual(boss["errors"], [])
        self.assertIn("ivy.lua", boss["ran"])
        self.assertIn("from the boss", boss["trace"])
        self.assertFalse(other["acted"], other)
        self.assertEqual(other["folders"], [])
        out = self.dry_run()
        self.assertIn("script: script ivy.lua decided: folder FromBoss\n"
                      "scripts would decide: folder FromBoss (nothing is done)", out)
        self.assertIn("scripts would decide: nothing (routed by the account's settings)", out)
        # a script that loops forever: stopped by its budget, reported with its line
        self.assertEqual(self.set_script("ivy", "keep()\nwhile true do end\n")[0], 0)
        reports = [json.loads(line) for line in self.dry_run("--json").splitlines()]
        self.assertEqual(len(reports), 2)
        for r in reports:
            self.assertFalse(r["scripts"]["acted"])
            self.assertEqual(r["scripts"]["errors"],
                             ["ivy.lua:2: instruction budget of 1000000 exhausted"])
        self.assertIn("script error: ivy.lua:2: instruction budget of 1000000 exhausted "
                      "(stopped; delivered as if the script were absent)", self.dry_run())
        # the message file form runs them too
        rc, out, err = self.d.cli("rules", "dry-run", "ivy", "-",
                                  input="Return-Path: <boss@x.example>\r\nSubject: f\r\n\r\nb\r\n")
        self.assertEqual(rc, 0, err)
        self.assertIn("script error: ivy.lua:2: instruction budget", out)
        # nothing changed: no folder made, both still in the INBOX, nothing forwarded
        self.assertIsNone(self.imap_search("ivy", "FromBoss", "ivy-from"))
        self.assertEqual(len(self.imap_search("ivy", "INBOX", "ivy-from")), 2)

    def test_dry_run_sees_sending_permissions(self):
        script = 'keep() forward("far@remote.example") forward("ann@%s")\n' % self.domain
        self.assertEqual(self.set_script("kim", script)[0], 0)
        msg = "Subject: perms\r\n\r\nb\r\n"

        def dry():
            rc, out, err = self.d.cli("rules", "dry-run", "kim", "-", input=msg)
            self.assertEqual(rc, 0, err)
            return out
        self.assertNotIn("not sent", dry())  # allowed so far
        self.ok("user", "set", "kim", "internet_mail", "false")
        self.assertIn("script: forward to far@remote.example not sent: kim may not send to the "
                      "Internet (internet_mail false)", dry())
        self.ok("user", "set", "kim", "internet_mail", "true")
        self.ok("user", "set", "kim", "forbidden_recipients", "*@REMOTE.example")
        out = dry()
        self.assertIn("script: forward to far@remote.example not sent: kim may not send to "
                      "*@REMOTE.example (forbidden_recipients)", out)
        self.assertNotIn("forward to ann@%s not sent" % self.domain, out)  # local: allowed

    def test_dry_run_reports_suppressions(self):
        for key, value in (("forward_to", "far@remote.example"), ("use_forwarding", "yes"),
                           ("keep_copy", "yes"), ("assistants", "ann")):
            self.ok("user", "set", "jo", key, value)
        self.deliver("jo@" + self.domain, "jo-one")
        pbtest.wait_until(lambda: self.imap_search("jo", "INBOX", "jo-one"), timeout=30,
                          what="jo-one in jo's INBOX")
        self.assertEqual(self.set_script("jo", "no_forwarding()\nno_assistants()\n")[0], 0)
        args = ("rules", "dry-run", "jo", "--folder", "INBOX", "--last", "5")
        out = self.ok(*args)
        self.assertIn("forwarding: suppressed by script (would otherwise forward to "
                      "far@remote.example)\n", out)
        self.assertIn("assistants: suppressed by script (would otherwise copy to ann)\n", out)
        report = json.loads(self.ok(*args, "--json").splitlines()[0])["scripts"]
        self.assertEqual(report["forwarding"], {"suppressed": True, "by": "script",
                                                "mode": "forward",
                                                "targets": ["far@remote.example"]})
        self.assertEqual(report["assistants"], {"suppressed": True, "by": "script",
                                                "mode": "copy", "targets": ["ann"]})
        # only the assistants switched off: forwarding is not reported as suppressed
        self.assertEqual(self.set_script("jo", "no_assistants()\n")[0], 0)
        out = self.ok(*args)
        self.assertNotIn("forwarding: suppressed", out)
        self.assertIn("assistants: suppressed by script", out)
        report = json.loads(self.ok(*args, "--json").splitlines()[0])["scripts"]
        self.assertFalse(report["forwarding"]["suppressed"])
        self.assertIsNone(report["forwarding"]["by"])
        self.assertTrue(report["assistants"]["suppressed"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
