"""End to end: logs an administrator reads, and `pillarbox status` (issue 9, deliver 4).

The log goes to DATA_DIR/pillarbox.log when the bootstrap file names none; one id (the one in
"250 ... queued as ID") is on every line about a message from accept to delivery; refusals say
why in words; `pillarbox status` shows listeners, sessions, message counts, spool depth, disk
and the recent warnings; the logrotate sample rotates the logs of a running daemon; under
systemd (JOURNAL_STREAM naming stderr) the lines go to the journal as well."""
import json
import os
import poplib
import re
import shutil
import smtplib
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402

SOURCE = os.path.join(os.path.dirname(__file__), "../..")


def send(port, rcpts, subject):
    """Sends one message; returns the id of the "queued as" reply."""
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    s.ehlo()
    s.mail("carol@example.org")
    for r in rcpts:
        s.rcpt(r)
    code, text = s.data(b"Subject: " + subject + b"\r\n\r\nhello\r\n")
    s.quit()
    assert code == 250, (code, text)
    return re.search(rb"queued as (\S+)", text).group(1).decode()


class LogsCase(unittest.TestCase):
    log_file = None  # not configured: the default

    def setUp(self):
        self.d = pbtest.Daemon(log_file=self.log_file)
        self.addCleanup(self.d.cleanup)

    def start(self, **kw):
        self.d.start(**kw)
        self.d.add_user("alice", "alicepw1")
        self.d.add_user("bob", "bobpw123")

    def lines(self, word):
        return [l for l in self.d.log().splitlines() if word in l]

    def status(self):
        rc, out, err = self.d.cli("status", "--json")
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def wait_status(self, pred, what):
        last = {}

        def check():
            last.clear()
            last.update(self.status())
            return pred(last)
        try:
            pbtest.wait_until(check, timeout=20, interval=0.1, what=what)
        except TimeoutError:
            raise AssertionError("%s; status: %r" % (what, last))
        return last


class DefaultLogTest(LogsCase):
    def test_log_in_data_dir_private_and_announced(self):
        self.start()
        path = os.path.join(self.d.data_dir, "pillarbox.log")
        self.assertIn("pillarboxd: logging to %s" % path, self.d.stdout_lines[0])
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertIn("event=ready", self.d.log())
        # a fresh server's first start is clean: nothing for `status` to show as an error
        # (RocksDB used to log "Error when reading .../store dir NotFound" on a new store)
        self.assertNotIn("level=error", self.d.log())
        sec = os.path.join(self.d.data_dir, "security.log")
        self.assertEqual(stat.S_IMODE(os.stat(sec).st_mode), 0o600)
        self.assertIn("security log %s" % sec, self.d.stdout_lines[0])
        self.assertTrue(os.path.exists(os.path.join(self.d.data_dir, "pillarboxd.pid")))
        self.assertEqual(self.d.stop(), 0)
        self.assertFalse(os.path.exists(os.path.join(self.d.data_dir, "pillarboxd.pid")))

    def test_one_id_from_accept_to_delivery(self):
        self.start()
        msgid = send(self.d.ports["smtp"], ["alice@localhost", "bob@localhost"], b"story")
        pbtest.wait_until(lambda: len([l for l in self.lines("msgid=" + msgid)
                                       if "event=delivered" in l]) == 2,
                          what="both deliveries logged under " + msgid)
        story = self.lines(msgid)
        accepted = [l for l in story if "event=accepted" in l]
        self.assertEqual(len(accepted), 1, story)
        for field in ("msgid=" + msgid, "from=carol@example.org", "rcpts=2", "size=",
                      "peer=127.0.0.1", "tls=no"):
            self.assertIn(field, accepted[0])
        delivered = sorted(re.search(r"rcpt=(\S+)", l).group(1)
                           for l in story if "event=delivered" in l)
        self.assertEqual(delivered, ["alice@localhost", "bob@localhost"])
        # the id is the message's own: no other message's line carries it
        other = send(self.d.ports["smtp"], ["alice@localhost"], b"other")
        self.assertNotEqual(other, msgid)
        pbtest.wait_until(lambda: any("event=delivered" in l for l in self.lines(other)))
        self.assertEqual(len(self.lines(msgid)), len(story))

    def test_refusals_say_why_in_words(self):
        self.start()
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60)
        s.ehlo()
        with self.assertRaises(smtplib.SMTPRecipientsRefused):
            s.sendmail("carol@example.org", ["nobody@localhost"], b"Subject: x\r\n\r\nx\r\n")
        with self.assertRaises(smtplib.SMTPRecipientsRefused):
            s.sendmail("carol@example.org", ["someone@example.net"], b"Subject: x\r\n\r\nx\r\n")
        s.quit()
        c = pbtest.RawClient(self.d.ports["smtp"])
        c.smtp_reply()
        c.send(b"EHLO t\r\nMAIL FROM:<big@example.org> SIZE=2000000000\r\n")
        self.assertEqual([r[0] for r in c.smtp_replies(2)], [250, 552])
        c.send(b"MAIL FROM:<nul@example.org>\r\nRCPT TO:<alice@localhost>\r\nDATA\r\n")
        self.assertEqual([r[0] for r in c.smtp_replies(3)], [250, 250, 354])
        c.send(b"Subject: x\r\n\r\nbefore\0after\r\n.\r\n")
        self.assertEqual(c.smtp_reply()[0], 550)
        c.close()
        pbtest.wait_until(lambda: len(self.lines("event=rejected")) >= 2)
        refused = self.lines("event=rcpt_refused")
        self.assertTrue(any("rcpt=nobody@localhost" in l and "reason=unknown_user" in l
                            for l in refused), refused)
        self.assertTrue(any("rcpt=someone@example.net" in l and "reason=relay_denied" in l
                            for l in refused), refused)
        rejected = self.lines("event=rejected")
        self.assertTrue(any("reason=nul" in l and "from=nul@example.org" in l for l in rejected),
                        rejected)
        self.assertTrue(any("size exceeds" in l and "from=big@example.org" in l
                            for l in rejected), rejected)
        # every reason in the log is words, never a bare number
        reasons = re.findall(r"reason=(\"[^\"]*\"|\S+)", self.d.log())
        self.assertTrue(reasons)
        self.assertFalse([r for r in reasons if re.fullmatch(r"\"?[0-9]+\"?", r)], reasons)


class StatusTest(LogsCase):
    def test_status_shows_what_an_administrator_asks_first(self):
        self.start()
        for i in range(3):
            send(self.d.ports["smtp"], ["alice@localhost"], b"m%d" % i)
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60)
        with self.assertRaises(smtplib.SMTPRecipientsRefused):
            s.sendmail("carol@example.org", ["nobody@localhost"], b"Subject: x\r\n\r\nx\r\n")
        c = pbtest.RawClient(self.d.ports["smtp"])
        c.smtp_reply()
        c.send(b"EHLO t\r\nMAIL FROM:<big@example.org> SIZE=2000000000\r\n")
        self.assertEqual([r[0] for r in c.smtp_replies(2)], [250, 552])
        c.close()
        pop = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
        self.addCleanup(pop.close)
        st = self.wait_status(lambda st: st["received"] == 3 and st["delivered"] == 3
                              and st["sessions"].get("pop3") == 1
                              and st["sessions"].get("smtp") == 1,
                              "3 received and delivered, a POP3 and an SMTP session open")
        s.quit()
        self.assertEqual(st["rcpts_refused"], 1)
        self.assertEqual(st["rejected"], 1)
        self.assertEqual(st["spool_depth"], 0)
        self.assertEqual(st["delivery_failed"], 0)
        self.assertGreater(st["disk_free"], 0)
        self.assertGreater(st["storage_left"], 0)
        self.assertLessEqual(st["storage_left"], st["disk_free"])
        listeners = {(l["service"], l["port"], l["state"]) for l in st["listeners"]}
        for svc in ("smtp", "submission", "pop3"):
            self.assertIn((svc, self.d.ports[svc], "listening"), listeners)
        recent = [r for r in st["recent"] if "event=rejected" in r["text"]]
        self.assertTrue(recent, st["recent"])
        self.assertEqual(recent[-1]["level"], "warn")
        self.assertGreater(recent[-1]["time_ms"], 1700000000000)
        # the readable form says the same
        rc, out, err = self.d.cli("status")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"received\s+3\b")
        self.assertRegex(out, r"delivered\s+3\b")
        self.assertRegex(out, r"spool depth\s+0\b")
        self.assertRegex(out, r"pop3 1\b")
        self.assertRegex(out, r"smtp\s+\S+\s+%d\s+listening" % self.d.ports["smtp"])
        self.assertIn("disk free:", out)
        self.assertIn("event=rejected", out)


class RotateTest(LogsCase):
    def test_logrotate_sample_on_a_running_daemon(self):
        if shutil.which("logrotate") is None:
            self.skipTest("logrotate is not installed (scripts/install-deps.sh)")
        self.start()
        first = send(self.d.ports["smtp"], ["alice@localhost"], b"before")
        pbtest.wait_until(lambda: any("event=delivered" in l for l in self.lines(first)))
        with open(os.path.join(SOURCE, "docs/logrotate/pillarbox")) as f:
            conf = f.read().replace("/var/lib/pillarbox", self.d.data_dir)
        conf_path = os.path.join(self.d.tmp, "logrotate.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        p = subprocess.run(["logrotate", "-f", "-s", os.path.join(self.d.tmp, "lr.state"),
                            conf_path], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        rotated = os.path.join(self.d.data_dir, "pillarbox.log.1")
        self.assertTrue(os.path.exists(rotated))
        self.assertTrue(os.path.exists(os.path.join(self.d.data_dir, "security.log.1")))
        pbtest.wait_until(lambda: "event=logs_reopened" in self.d.log(),
                          what="the daemon reopened its log after SIGHUP")
        second = send(self.d.ports["smtp"], ["alice@localhost"], b"after")
        pbtest.wait_until(lambda: any("event=delivered" in l for l in self.lines(second)),
                          what="new lines in the new file")
        with open(rotated) as f:
            old = f.read()
        self.assertIn("msgid=" + first, old)
        self.assertNotIn(second, old)
        self.assertNotIn(first, self.d.log())
        self.assertEqual(stat.S_IMODE(os.stat(self.d.log_path).st_mode), 0o600)


class JournalTest(LogsCase):
    def test_journal_gets_the_lines_too(self):
        r, w = os.pipe()
        st = os.fstat(w)
        self.start(env={"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)}, stderr=w)
        os.close(w)
        self.assertIn("and the journal", self.d.stdout_lines[0])
        msgid = send(self.d.ports["smtp"], ["alice@localhost"], b"journal")
        pbtest.wait_until(lambda: any("event=delivered" in l for l in self.lines(msgid)))
        self.assertEqual(self.d.stop(), 0)
        with os.fdopen(r) as f:
            journal = f.read()
        self.assertIn("event=accepted msgid=" + msgid, journal)
        self.assertIn("event=delivered msgid=" + msgid, journal)
        self.assertIn("event=accepted msgid=" + msgid, self.d.log())  # and the file too

    def test_dash_logs_to_stderr_only(self):
        self.d = pbtest.Daemon(log_file="-")
        self.addCleanup(self.d.cleanup)
        r, w = os.pipe()
        self.start(stderr=w)
        os.close(w)
        self.assertIn("logging to standard error", self.d.stdout_lines[0])
        self.assertFalse(os.path.exists(os.path.join(self.d.data_dir, "pillarbox.log")))
        self.assertEqual(self.d.stop(), 0)
        with os.fdopen(r) as f:
            self.assertIn("event=ready", f.read())


if __name__ == "__main__":
    unittest.main()
