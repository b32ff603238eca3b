"""End to end: the IMAP selected state (issue 11, part 3 B) against the real daemon with
imaplib — SELECT and EXAMINE of INBOX (counts, UIDVALIDITY, UIDNEXT, UNSEEN, PERMANENTFLAGS,
HIGHESTMODSEQ; an unknown folder NO [NONEXISTENT]), FETCH and UID FETCH of the view's items,
ENVELOPE and BODYSTRUCTURE, BODY[] / BODY.PEEK[] / sections / partials / RFC822 read through
the reader (a non-PEEK fetch setting \\Seen), STORE +FLAGS/-FLAGS/FLAGS(.SILENT), SEARCH on
flags, UIDs, sizes and dates, EXPUNGE, CLOSE and UNSELECT, POP3 and IMAP agreeing on INBOX,
and two sessions, one in IDLE, seeing a message delivered by SMTP and the other's changes."""
import imaplib
import os
import poplib
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
import imaptest  # noqa: E402
from imaptest import read_line  # noqa: E402
from test_mail import message  # noqa: E402

MULTIPART = (b"From: Ann Example <ann@example.org>\r\nTo: bob@example.org\r\n"
             b"Subject: parts\r\nMessage-ID: <parts@example.org>\r\n"
             b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"xx\"\r\n\r\n"
             b"preamble\r\n--xx\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
             b"first part\r\n--xx\r\nContent-Type: text/html\r\n\r\n<p>second</p>\r\n"
             b"--xx--\r\n")


class ImapMailbox(imaptest.ImapCase):
    def test_select_examine_and_unknown_folder(self):
        name = self.new_user([message(b"one", [b"1"]), message(b"two", [b"2"])])
        c = self.login(name)
        typ, data = c.select("INBOX")
        self.assertEqual((typ, data), ("OK", [b"2"]))
        self.assertEqual(c.untagged_responses.get("RECENT"), [b"0"])
        self.assertEqual(c.untagged_responses.get("UNSEEN"), [b"1"])
        self.assertTrue(int(c.untagged_responses["UIDVALIDITY"][0]) > 0)
        self.assertEqual(c.untagged_responses["UIDNEXT"], [b"3"])
        self.assertIn(b"\\Seen", c.untagged_responses["PERMANENTFLAGS"][0])
        self.assertIn("HIGHESTMODSEQ", c.untagged_responses)
        self.assertIn("READ-WRITE", c.untagged_responses)
        typ, data = c.select("inbox", readonly=True)
        self.assertEqual(typ, "OK")
        self.assertIn("READ-ONLY", c.untagged_responses)
        typ, data = c.select("Nonexistent")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[NONEXISTENT]", data[0])
        typ, data = c.select("../evil")
        self.assertEqual(typ, "NO")

    def test_fetch_items_bodies_and_seen(self):
        plain = message(b"hello", [b"line one", b"line two"])
        name = self.new_user([plain, MULTIPART])
        c = self.login(name)
        c.select("INBOX")
        typ, data = c.fetch("1:2", "(FLAGS UID RFC822.SIZE INTERNALDATE)")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb'^1 \(FLAGS \(\) UID 1 RFC822.SIZE \d+ INTERNALDATE "\d\d-\w\w\w-\d{4} ')
        size1 = int(re.search(rb"RFC822.SIZE (\d+)", data[0]).group(1))
        typ, data = c.fetch("1", "(BODY.PEEK[])")
        stored = data[0][1]
        self.assertEqual(len(stored), size1)
        self.assertTrue(stored.endswith(plain), stored)
        self.assertEqual(c.fetch("1", "(FLAGS)")[1], [b"1 (FLAGS ())"])  # PEEK: not \Seen
        typ, data = c.fetch("1", "(BODY.PEEK[]<5.10>)")
        self.assertEqual(data[0][0], b"1 (BODY[]<5> {10}")
        self.assertEqual(data[0][1], stored[5:15])
        typ, data = c.fetch("2", "(ENVELOPE BODYSTRUCTURE)")
        self.assertIn(b'ENVELOPE (', data[0])
        self.assertIn(b'"parts"', data[0])
        self.assertIn(b'(("Ann Example" NIL "ann" "example.org"))', data[0])
        self.assertIn(b'"mixed" ("boundary" "xx")', data[0])
        typ, data = c.fetch("2", "(BODY.PEEK[2] BODY.PEEK[1.MIME] BODY.PEEK[HEADER.FIELDS (Subject)])")
        self.assertEqual(typ, "OK")
        self.assertEqual([d for d in data if isinstance(d, tuple)], [
            (b"2 (BODY[2] {13}", b"<p>second</p>"),
            (b" BODY[1.MIME] {46}", b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"),
            (b" BODY[HEADER.FIELDS (Subject)] {18}", b"Subject: parts\r\n\r\n")])
        typ, data = c.fetch("2", "(BODY[TEXT])")  # not PEEK: \Seen is set and told
        self.assertIn(b"FLAGS (\\Seen)", b" ".join(x if isinstance(x, bytes) else x[0] for x in data))
        self.assertTrue(data[0][1].startswith(b"preamble"))
        self.assertEqual(c.fetch("2", "(FLAGS)")[1], [b"2 (FLAGS (\\Seen))"])
        typ, data = c.uid("FETCH", "1:*", "(FLAGS)")
        self.assertEqual(data, [b"1 (UID 1 FLAGS ())", b"2 (UID 2 FLAGS (\\Seen))"])
        typ, data = c.fetch("1", "(RFC822)")
        self.assertEqual(data[0][1], stored)
        c2 = self.login(name)
        c2.select("INBOX")
        self.assertEqual(c2.fetch("1:2", "(FLAGS)")[1],
                         [b"1 (FLAGS (\\Seen))", b"2 (FLAGS (\\Seen))"])  # stored
        with self.assertRaises(imaplib.IMAP4.error) as e:
            c.fetch("3", "(FLAGS)")
        self.assertIn("Invalid messageset", str(e.exception))
        self.assertEqual(c.uid("FETCH", "99", "(FLAGS)"), ("OK", [None]))

    def test_large_message_in_ranges(self):
        lines = [b"%06d " % i + b"y" * 70 for i in range(20000)]  # ~1.5 MiB: several ranges
        big = message(b"big", lines, [b"MIME-Version: 1.0", b"Content-Type: text/plain"])
        pad = [b"X-Pad-%d: " % i + b"p" * 990 for i in range(40)]  # a 40 KB header
        longhead = message(b"longhead", [b"body"], pad)
        name = self.new_user([big, message(b"small", [b"s"]), longhead])
        c = self.login(name)
        c.select("INBOX")
        typ, data = c.fetch("1", "(RFC822.SIZE BODY.PEEK[])")
        size = int(re.search(rb"RFC822.SIZE (\d+)", data[0][0]).group(1))
        stored = data[0][1]
        self.assertEqual(len(stored), size)
        self.assertTrue(stored.endswith(big))
        typ, data = c.fetch("1", "(BODY.PEEK[]<200000.400000>)")
        self.assertEqual(data[0][1], stored[200000:600000])
        typ, data = c.fetch("1", "(BODY.PEEK[TEXT]<0.7> BODYSTRUCTURE)")
        self.assertEqual(data[0][1], b"000000 ")
        self.assertIn(b'("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" %d 20000'
                      % len(b"\r\n".join(lines) + b"\r\n"), data[1])
        typ, data = c.fetch("1:2", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual([d[1] for d in data if isinstance(d, tuple)],
                         [b"Subject: big\r\n\r\n", b"Subject: small\r\n\r\n"])
        typ, data = c.fetch("1:3", "(ENVELOPE)")  # the header alone is read and parsed
        self.assertEqual([re.search(rb'ENVELOPE \(NIL "(\w+)"', d).group(1) for d in data],
                         [b"big", b"small", b"longhead"])
        typ, data = c.fetch("3", "(RFC822.HEADER BODY.PEEK[TEXT])")
        self.assertTrue(data[0][1].endswith(b"p" * 990 + b"\r\n\r\n"))
        self.assertEqual(data[1][1], b"body\r\n")

    def test_store_search_expunge_close_unselect(self):
        name = self.new_user([message(b"m%d" % i, [b"x" * (i * 100)]) for i in range(1, 6)])
        c = self.login(name)
        c.select("INBOX")
        typ, data = c.store("1,3", "+FLAGS", "(\\Flagged \\Seen)")
        self.assertEqual(data, [b"1 (FLAGS (\\Flagged \\Seen))", b"3 (FLAGS (\\Flagged \\Seen))"])
        typ, data = c.store("3", "-FLAGS.SILENT", "(\\Seen)")
        self.assertEqual((typ, data), ("OK", [None]))
        typ, data = c.uid("STORE", "5", "FLAGS", "(\\Answered)")
        self.assertEqual(data, [b"5 (UID 5 FLAGS (\\Answered))"])
        self.assertEqual(c.store("1", "+FLAGS", "($Junk)")[0], "OK")  # keywords are stored
        self.assertEqual(c.search(None, "FLAGGED"), ("OK", [b"1 3"]))
        self.assertEqual(c.search(None, "UNSEEN"), ("OK", [b"2 3 4 5"]))
        self.assertEqual(c.search(None, "OR", "ANSWERED", "SEEN"), ("OK", [b"1 5"]))
        self.assertEqual(c.search(None, "NOT", "FLAGGED", "UID", "2:4"), ("OK", [b"2 4"]))
        typ, data = c.fetch("3", "(RFC822.SIZE)")
        size3 = int(re.search(rb"RFC822.SIZE (\d+)", data[0]).group(1))
        self.assertEqual(c.search(None, "LARGER", str(size3)), ("OK", [b"4 5"]))
        self.assertEqual(c.search(None, "SMALLER", str(size3)), ("OK", [b"1 2"]))
        self.assertEqual(c.search(None, "SINCE", "1-Jan-2000", "BEFORE", "1-Jan-2100"),
                         ("OK", [b"1 2 3 4 5"]))
        self.assertEqual(c.search(None, "ON", "1-Jan-2001"), ("OK", [b""]))
        self.assertEqual(c.uid("SEARCH", "2:*"), ("OK", [b"2 3 4 5"]))
        self.assertEqual(c.search(None, "SUBJECT", "m1"), ("OK", [b"1"]))  # text: the readers
        c.store("2,4", "+FLAGS", "(\\Deleted)")
        typ, data = c.expunge()
        self.assertEqual((typ, data), ("OK", [b"2", b"3"]))  # 2, then 4 renumbered as 3
        self.assertEqual(c.uid("SEARCH", "ALL"), ("OK", [b"1 3 5"]))
        c.store("1", "+FLAGS", "(\\Deleted)")
        self.assertEqual(c.unselect()[0], "OK")
        c.select("INBOX")
        self.assertEqual(c.uid("SEARCH", "ALL"), ("OK", [b"1 3 5"]))  # UNSELECT expunged none
        self.assertEqual(c.close()[0], "OK")
        c.select("INBOX")
        self.assertEqual(c.uid("SEARCH", "ALL"), ("OK", [b"3 5"]))  # CLOSE expunged uid 1
        c.select("INBOX", readonly=True)
        self.assertEqual(c.store("1", "+FLAGS", "(\\Seen)")[0], "NO")

    def test_pop3_and_imap_agree(self):
        name = self.new_user([message(b"a", [b"a"]), message(b"b", [b"b"])])
        c = self.login(name)
        c.select("INBOX")
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
        p.user(name)
        p.pass_("secretpw1")
        p.dele(1)
        p.quit()
        # the change event travels on its own: NOOP until it was there
        pbtest.wait_until(lambda: c.noop()[0] == "OK" and c.untagged_responses.get("EXPUNGE"),
                          timeout=30, interval=0.05, what="EXPUNGE after a POP3 DELE")
        self.assertEqual(c.untagged_responses.get("EXPUNGE"), [b"1"])
        self.assertEqual(c.uid("SEARCH", "ALL"), ("OK", [b"2"]))

    def test_idle_sees_smtp_delivery_and_other_session(self):
        name = self.new_user([message(b"first", [b"1"])])
        idler = self.login(name)
        idler.select("INBOX")
        other = self.login(name)
        other.select("INBOX")
        tag = idler._new_tag()
        idler.send(tag + b" IDLE\r\n")
        self.assertTrue(idler.readline().startswith(b"+ "))
        self.deliver(name, message(b"second", [b"2"]))
        self.assertEqual(read_line(idler), b"* 2 EXISTS")
        other.store("1", "+FLAGS", "(\\Flagged)")
        self.assertEqual(read_line(idler), b"* 1 FETCH (FLAGS (\\Flagged))")
        other.store("1", "+FLAGS", "(\\Deleted)")
        other.expunge()
        # the flag change is told too when its event came apart from the expunge's
        line = read_line(idler)
        if line == b"* 1 FETCH (FLAGS (\\Flagged \\Deleted))":
            line = read_line(idler)
        self.assertEqual(line, b"* 1 EXPUNGE")
        idler.send(b"DONE\r\n")
        self.assertEqual(read_line(idler), tag + b" OK Idle completed.")
        self.assertEqual(idler.uid("SEARCH", "ALL"), ("OK", [b"2"]))
        pbtest.wait_until(lambda: other.noop()[0] == "OK" and other.untagged_responses.get("EXISTS"),
                          timeout=30, interval=0.05, what="EXISTS in the other session")
        self.assertEqual(other.untagged_responses.get("EXISTS")[-1], b"1")


if __name__ == "__main__":
    unittest.main(verbosity=2)
