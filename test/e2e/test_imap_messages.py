"""End to end: IMAP messages moving (issue 11) against the real daemon with imaplib and raw
lines — APPEND (flags, date, a body of several chunks, APPENDUID, LITERAL+ and MULTIAPPEND,
NO [TOOBIG] before the continuation, [TRYCREATE], EXISTS when the folder is selected), COPY
and MOVE with COPYUID (UID forms too; [TRYCREATE]; a copy into the selected folder shown
before the OK), UID EXPUNGE touching only its set, and three sessions — one in IDLE, one
appending, one expunging — plus a POP3 DELE+QUIT, with the message numbers right throughout."""
import imaplib
import os
import poplib
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
import imaptest  # noqa: E402
from imaptest import read_line  # noqa: E402
from test_mail import message  # noqa: E402


class ImapMessages(imaptest.ImapCase):

    def test_append_flags_date_body_and_uids(self):
        name = self.new_user([])
        c = self.login(name)
        caps = c.capability()[1][0].split()
        for cap in (b"UIDPLUS", b"MOVE", b"MULTIAPPEND", b"LITERAL+", b"APPENDLIMIT=52428800"):
            self.assertIn(cap, caps)
        body = message(b"big", [b"line %d of a message of several chunks" % i
                                for i in range(40000)])
        self.assertGreater(len(body), 1024 * 1024)
        typ, data = c.append("INBOX", "(\\Seen \\Flagged $Label)",
                             imaplib.Time2Internaldate(1000000000), body)
        self.assertEqual(typ, "OK")
        m = re.match(rb"\[APPENDUID (\d+) 1\] Append completed\.", data[0])
        self.assertIsNotNone(m, data)
        c.select("INBOX")
        self.assertEqual(c.untagged_responses["UIDVALIDITY"], [m.group(1)])
        typ, data = c.fetch("1", "(FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")
        self.assertEqual(typ, "OK")
        self.assertIn(b"FLAGS (\\Flagged \\Seen $Label)", data[0][0])
        self.assertIn(b'INTERNALDATE "09-Sep-2001 01:46:40 +0000"', data[0][0])
        self.assertIn(b"RFC822.SIZE %d" % len(body), data[0][0])
        self.assertEqual(data[0][1], body)
        # into the selected folder: EXISTS comes with the answer; no date: now
        before = time.time()
        typ, data = c.append("INBOX", None, None, message(b"two", [b"2"]))
        self.assertEqual(typ, "OK")
        self.assertTrue(data[0].startswith(b"[APPENDUID %s 2]" % m.group(1)), data)
        self.assertEqual(c.untagged_responses.get("EXISTS")[-1], b"2")
        typ, data = c.fetch("2", "(INTERNALDATE)")
        date = re.search(rb'"([^"]+)"', data[0]).group(1).decode()
        when = time.mktime(imaplib.Internaldate2tuple(b'INTERNALDATE "%s"' % date.encode()))
        self.assertLess(abs(when - before), 120)
        typ, data = c.append("NoSuchFolder", None, None, message(b"x", [b"x"]))
        self.assertEqual(typ, "NO")
        self.assertTrue(data[0].startswith(b"[TRYCREATE]"), data)

    def test_literal_plus_multiappend_and_toobig(self):
        name = self.new_user([])
        c = self.login(name)
        one, two = message(b"one", [b"1"]), message(b"two", [b"2"])
        lines = self.raw(c, b"m APPEND INBOX (\\Flagged) {%d+}\r\n%s {%d+}\r\n%s" %
                         (len(one), one, len(two), two))
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], rb"^m OK \[APPENDUID \d+ 1:2\] Append completed\.$")
        # refused before any "+": the client sends no octets and the session goes on
        c.send(b"t APPEND INBOX {60000000}\r\n")
        self.assertRegex(read_line(c), rb"^t NO \[TOOBIG\]")
        self.assertEqual(self.raw(c, b"n NOOP")[-1], b"n OK NOOP completed.")
        c.select("INBOX")
        self.assertEqual(c.uid("SEARCH", "ALL"), ("OK", [b"1 2"]))
        self.assertEqual(c.fetch("1", "(FLAGS)")[1], [b"1 (FLAGS (\\Flagged))"])
        self.assertEqual(c.fetch("2", "(BODY.PEEK[])")[1][0][1], two)

    def test_copy_move_and_trycreate(self):
        name = self.new_user([message(b"m%d" % i, [b"%d" % i]) for i in range(1, 5)])
        c = self.login(name)
        c.select("INBOX")
        uidv = c.untagged_responses["UIDVALIDITY"][0]
        typ, data = c.copy("1:2", "Trash")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"^\[COPYUID \d+ 1:2 1:2\] Copy completed\.$")
        self.assertNotEqual(data[0].split()[1], uidv)  # Trash's UIDVALIDITY, not INBOX's
        lines = self.raw(c, b"v UID MOVE 2,4 Trash")
        self.assertRegex(lines[0], rb"^\* OK \[COPYUID \d+ 2,4 3:4\]")
        self.assertEqual(lines[1:], [b"* 2 EXPUNGE", b"* 3 EXPUNGE", b"v OK Move completed."])
        self.assertEqual(c.uid("SEARCH", "ALL"), ("OK", [b"1 3"]))
        lines = self.raw(c, b"w MOVE 1 Nope")
        self.assertEqual(lines, [b"w NO [TRYCREATE] Mailbox doesn't exist"])
        self.assertEqual(self.raw(c, b"x COPY 9 Trash"), [b"x BAD Invalid messageset"])
        # into the selected folder itself: EXISTS before the OK
        lines = self.raw(c, b"y COPY 2 INBOX")
        self.assertEqual(lines[0], b"* 3 EXISTS")
        self.assertRegex(lines[1], rb"^y OK \[COPYUID \d+ 3 5\] Copy completed\.$")
        self.assertEqual(c.fetch("3", "(BODY.PEEK[])")[1][0][1], c.fetch("2", "(BODY.PEEK[])")[1][0][1])
        c.select("Trash")
        self.assertEqual(c.uid("SEARCH", "ALL"), ("OK", [b"1 2 3 4"]))
        self.assertIn(b"Subject: m4", c.fetch("4", "(BODY.PEEK[HEADER])")[1][0][1])
        c.select("Trash", readonly=True)
        self.assertEqual(self.raw(c, b"z MOVE 1 INBOX"), [b"z NO [READ-ONLY] Mailbox is read-only"])

    def test_uid_expunge_only_its_set(self):
        name = self.new_user([message(b"e%d" % i, [b"%d" % i]) for i in range(1, 5)])
        c = self.login(name)
        c.select("INBOX")
        c.store("1,2,4", "+FLAGS", "(\\Deleted)")
        self.assertEqual(self.raw(c, b"e UID EXPUNGE 2:3"), [b"* 2 EXPUNGE", b"e OK Expunge completed."])
        self.assertEqual(c.uid("SEARCH", "ALL"), ("OK", [b"1 3 4"]))
        self.assertEqual(self.raw(c, b"f UID EXPUNGE 7"), [b"f OK Expunge completed."])
        typ, data = c.expunge()
        self.assertEqual((typ, data), ("OK", [b"1", b"2"]))
        self.assertEqual(c.uid("SEARCH", "ALL"), ("OK", [b"3"]))

    def test_three_sessions_and_pop3(self):
        name = self.new_user([message(b"s%d" % i, [b"%d" % i]) for i in range(1, 4)])
        idler, appender, expunger = self.login(name), self.login(name), self.login(name)
        for c in (idler, expunger):
            c.select("INBOX")
        tag = idler._new_tag()
        idler.send(tag + b" IDLE\r\n")
        self.assertTrue(idler.readline().startswith(b"+ "))
        self.assertEqual(appender.append("INBOX", None, None, message(b"s4", [b"4"]))[0], "OK")
        self.assertEqual(read_line(idler), b"* 4 EXISTS")
        expunger.store("2", "+FLAGS", "(\\Deleted)")
        self.assertEqual(expunger.expunge(), ("OK", [b"2"]))
        line = read_line(idler)
        if line == b"* 2 FETCH (FLAGS (\\Deleted))":
            line = read_line(idler)
        self.assertEqual(line, b"* 2 EXPUNGE")
        self.assertEqual(appender.append("INBOX", None, None, message(b"s5", [b"5"]))[0], "OK")
        self.assertEqual(read_line(idler), b"* 4 EXISTS")
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
        p.user(name)
        p.pass_("secretpw1")
        p.dele(1)
        p.quit()
        self.assertEqual(read_line(idler), b"* 1 EXPUNGE")
        idler.send(b"DONE\r\n")
        self.assertEqual(read_line(idler), tag + b" OK Idle completed.")
        self.assertEqual(idler.uid("SEARCH", "ALL"), ("OK", [b"3 4 5"]))
        typ, data = idler.fetch("1:*", "(UID)")
        self.assertEqual(data, [b"1 (UID 3)", b"2 (UID 4)", b"3 (UID 5)"])
        pbtest.wait_until(lambda: expunger.noop()[0] == "OK" and
                          expunger.uid("SEARCH", "ALL")[1] == [b"3 4 5"],
                          timeout=30, interval=0.05, what="the expunger's view caught up")
        typ, data = expunger.fetch("3", "(UID)")
        self.assertEqual(data, [b"3 (UID 5)"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
