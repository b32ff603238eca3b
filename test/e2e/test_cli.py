"""End to end: the admin CLI explains itself (issue 9, deliver 2) — every misuse gets its exit
code (64 usage, 2 daemon unreachable, 1 refused) and a line that says what was wrong; bulk-add
reads spreadsheet CSV; domain deletion is refused for the last local domain, and without
--force when users have addresses there; a user may be named by its full address."""
import os
import poplib
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402

# (argv, exit code, a piece of the line that must say why); run against a live daemon.
MISUSE = [
    ([], 64, "no command given"),
    (["bogus"], 64, "unknown command 'bogus'"),
    (["user"], 64, "'user' needs a subcommand"),
    (["user", "frobnicate"], 64, "unknown command 'user frobnicate'"),
    (["user", "del"], 64, "too few arguments for 'user del'"),
    (["user", "show", "a", "b"], 64, "too many arguments for 'user show'"),
    (["user", "list", "--force"], 64, "'user list' takes no option --force"),
    (["--timeout", "abc", "status"], 64, "--timeout wants whole seconds from 1 to 86400, not 'abc'"),
    (["status", "--timeout", "0"], 64, "not '0'"),
    (["status", "--bogus"], 64, "unknown option '--bogus'"),
    (["status", "--force=yes"], 64, "option --force takes no value"),
    (["status", "--data-dir"], 64, "option --data-dir needs a value"),
    (["help", "nosuch"], 64, "unknown command 'nosuch'"),
    (["user", "show", "nobody"], 1, "no such user"),
    (["setting", "show", "smpt"], 1, 'unknown settings document "smpt"'),
    (["user", "bulk-add", "/nonexistent.csv"], 1, "cannot open /nonexistent.csv: No such file or directory"),
    (["status", "--data-dir", "/nonexistent"], 2, "the data directory does not exist"),
]

# (argv, a piece of what it prints on stdout); each exits 0 without a daemon.
HELP = [
    (["--version"], "pillarbox 0.1."),
    (["help"], "64 a wrong command line"),
    (["--help"], "usage: pillarbox"),
    (["help", "user", "del"], "usage: pillarbox user del NAME [--force]"),
    (["user", "del", "--help"], "usage: pillarbox user del NAME [--force]"),
    (["user", "add", "--help"], "passphrase"),
    (["status", "--help"], "usage: pillarbox status"),
    (["user", "--help"], "user bulk-add FILE"),
    (["help", "user", "list"], "shell wildcard"),
    (["help", "user", "bulk-add"], "--dry-run"),
    (["help", "domain", "del"], "usage: pillarbox domain del NAME [--force]"),
    (["help"], "its address at a local domain (bob@example.com)"),
]


class Cli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def test_every_misuse_has_its_exit_code_and_reason(self):
        for argv, code, why in MISUSE:
            rc, out, err = self.d.cli(*argv)
            self.assertEqual(rc, code, (argv, out, err))
            self.assertIn(why, err, argv)
            self.assertLess(len(err.splitlines()), 4 if argv else 60, (argv, err))  # not the usage

    def test_help_and_version_without_a_daemon(self):
        for argv, text in HELP:
            rc, out, err = self.d.cli("--data-dir", "/nonexistent", *argv)
            self.assertEqual(rc, 0, (argv, err))
            self.assertIn(text, out, argv)

    def test_help_user_set_lists_every_key(self):
        """Issue 13 item 10: `help user set` lists every key `user set` accepts, one line each
        with its help — the forwarding, assistant, autoreply and size keys among them."""
        rc, out, err = self.d.cli("help", "user", "set")
        self.assertEqual(rc, 0, err)
        listed = {}
        self.assertIn("\nKEY is one of", out)
        for line in out.split("\nKEY is one of", 1)[1].splitlines():
            m = re.match(r"  ([a-z_]+) +(\S.*)$", line)  # continuation lines are indented more
            if m:
                listed[m.group(1)] = m.group(2)
        # every key the CLI accepts (it names them all when refusing an unknown one) is listed
        rc, _, err = self.d.cli("user", "set", "nobody", "no_such_key", "1")
        self.assertEqual(rc, 64, err)
        accepted = err.split("(the keys:", 1)[1].split(")", 1)[0].replace(",", " ").split()
        self.assertGreater(len(accepted), 30, err)
        for key in accepted:
            self.assertIn(key, listed, out)
        # the keys an administrator looks for, by name (the audit found them missing)
        for key in ("forward_to", "use_forwarding", "keep_copy", "assistants",
                    "assistant_redirect", "default_addresses", "blocked", "autoreply",
                    "autoreply_subject", "autoreply_text", "autoreply_start", "autoreply_end",
                    "autoreply_days", "size_over_kb", "size_over_action", "size_over_to",
                    "size_under_kb", "size_under_action", "size_under_to", "copy_sent_to",
                    "no_forward_quarantined", "send_as_any", "quota_mb", "web_password"):
            self.assertIn(key, listed, out)
        # and every key listed is one the daemon takes
        self.d.add_user("keyuser", "keyuserpw1")
        for key in listed:
            rc, _, err = self.d.cli("user", "unset", "keyuser", key)
            self.assertNotEqual(rc, 64, (key, err))
            self.assertNotIn("unknown setting", err, key)

    def test_options_anywhere(self):
        self.d.add_user("frank", "frankpw1")
        rc, out, err = self.d.cli("user", "del", "--force", "frank")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("frank", self.d.users())
        p = pbtest.subprocess.run([os.path.join(pbtest.BUILD, "pillarbox"), "status", "--data-dir",
                                   self.d.data_dir], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("uptime:", p.stdout)
        rc, _, err = self.d.cli("setting", "set", "smtp", "-5")  # a word, not an option
        self.assertEqual(rc, 1)
        self.assertIn("must be a JSON object", err)

    def test_setting_show_explains(self):
        rc, out, err = self.d.cli("setting", "set", "smtp", '{"max_recipients": 7}')
        self.assertEqual(rc, 0, err)
        rc, out, err = self.d.cli("setting", "show")
        self.assertEqual(rc, 0, err)
        self.assertIn("smtp.max_recipients = 7 [changed] (default 100, from 1 to 10000)", out)
        self.assertIn("accounts.password_min_length = 5 (default 5", out)
        self.assertIn("Recipients per message", out)
        self.assertIn('smtp.bare_newlines = "normalize" (default "normalize", one of: normalize reject)',
                      out)
        rc, out, err = self.d.cli("setting", "show", "limits", "--explain")
        self.assertIn('limits.trusted_networks = "127.0.0.0/8 ::1/128" (default', out)
        self.assertNotIn("smtp.", out)
        rc, out, _ = self.d.cli("setting", "show", "smtp")  # still JSON
        self.assertIn('"max_recipients": 7', out)
        self.d.cli("setting", "set", "smtp", '{"max_recipients": null}')

    def test_passphrase_with_spaces_logs_in(self):
        self.d.add_user("spacey", "correct horse battery")
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=30)
        p.user("spacey")
        self.assertTrue(p.pass_("correct horse battery").startswith(b"+OK"))
        p.quit()

    def security_log(self):
        with open(os.path.join(self.d.data_dir, "security.log")) as f:
            return f.read()

    def test_domain_del_safeguards(self):
        rc, out, err = self.d.cli("domain", "list")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(out.split()), 1, out)  # the first start's domain only
        first = out.split()[0]
        for extra in ([], ["--force"]):
            rc, out, err = self.d.cli("domain", "del", first, *extra)
            self.assertEqual(rc, 1, err)
            self.assertIn("%s is the only local domain; add another first" % first, err)
        self.assertEqual(self.d.cli("domain", "add", "second.example")[0], 0)
        rc, out, err = self.d.cli("domain", "del", "Second.Example")
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"cannot delete the domain: \d+ users? ha(s|ve) an address at "
                              r"second\.example .*use force")
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("second.example", self.d.cli("domain", "list")[1].split())
        rc, out, err = self.d.cli("domain", "del", "--force", "second.example")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("second.example", self.d.cli("domain", "list")[1].split())
        pbtest.wait_until(lambda: "event=domain_deleted domain=second.example" in self.security_log(),
                          what="the forced deletion in the security log")
        line = [l for l in self.security_log().splitlines() if "event=domain_deleted" in l][-1]
        self.assertIn("forced=1", line)
        rc, _, err = self.d.cli("domain", "del", "second.example", "--force")
        self.assertEqual(rc, 1)
        self.assertIn("no such local domain", err)

    def test_user_named_by_full_address(self):
        first = self.d.cli("domain", "list")[1].split()[0]
        self.d.add_user("ursula", "ursulapw1")
        rc, out, err = self.d.cli("user", "show", "Ursula@" + first.upper())
        self.assertEqual(rc, 0, err)
        self.assertIn("user:     ursula", out)
        rc, out, err = self.d.cli("user", "show", "ursula@elsewhere.example")
        self.assertEqual(rc, 1)
        self.assertIn("not a local domain", err)
        rc, out, err = self.d.cli("user", "passwd", "ursula@" + first, input="ursulapw2\n")
        self.assertEqual(rc, 0, err)
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=30)
        p.user("ursula@" + first)
        self.assertTrue(p.pass_("ursulapw2").startswith(b"+OK"))
        p.quit()
        rc, out, err = self.d.cli("user", "del", "ursula@" + first)
        self.assertEqual(rc, 0, err)
        self.assertNotIn("ursula", self.d.users())

    def bulk(self, text, *extra):
        path = os.path.join(self.d.tmp, "users.csv")
        with open(path, "w") as f:
            f.write(text)
        return self.d.cli("user", "bulk-add", path, *extra)

    def test_bulk_add_header_quotes_order_and_dry_run(self):
        self.d.add_user("taken", "takenpw1")
        csv = ("User,Password\r\n"            # 1: a header row, skipped
               "\"grace\",\"grace pass, too\"\n"  # 2: quoted, comma and spaces kept
               "bad name,pw12345\n"          # 3: refused by the daemon's name rule
               "\"heidi\",\"say \"\"hi\"\"\"\n"   # 4: doubled quotes
               "nocomma\n"                   # 5: refused here (syntax)
               "taken,otherpw1\n"            # 6: exists
               "ivan,abc\n"                  # 7: too short
               "judy , judypass\n")          # 8: trimmed
        before = self.d.users()
        rc, out, err = self.bulk(csv, "--dry-run")
        self.assertEqual(rc, 1, err)
        self.assertEqual(self.d.users(), before)
        self.assertIn("users.csv:1: a header row, skipped", err)
        self.assertIn("3 of 7 users would be added (4 refused); nothing was changed", err)
        dry_lines = [l for l in err.splitlines() if ".csv:" in l]

        rc, out, err = self.bulk(csv)
        self.assertEqual(rc, 1, err)
        refused = [l.split(".csv:")[1] for l in err.splitlines() if ".csv:" in l]
        self.assertEqual([r.split(":")[0] for r in refused], ["1", "3", "5", "6", "7"], err)
        self.assertIn("letters, digits", refused[1])
        self.assertIn("expected 'user,password'", refused[2])
        self.assertIn("exists", refused[3])
        self.assertIn("shorter than 5", refused[4])
        self.assertEqual([l.split(".csv:")[1].split(":")[0] for l in dry_lines], ["1", "3", "5", "6", "7"])
        self.assertIn("3 of 7 users added (4 refused)", err)
        users = self.d.users()
        self.assertNotIn("user", users)
        for name in ["grace", "heidi", "judy"]:
            self.assertIn(name, users)
        for user, pw in [("grace", "grace pass, too"), ("heidi", 'say "hi"'), ("judy", "judypass")]:
            p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=30)
            p.user(user)
            self.assertTrue(p.pass_(pw).startswith(b"+OK"), user)
            p.quit()
        rc, out, err = self.bulk("alice2,alicepw2\nalice2,alicepw3\n", "--dry-run")
        self.assertIn("users.csv:2: a user with this name is on an earlier line", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
