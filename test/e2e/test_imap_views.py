"""End to end: several IMAP sessions on one folder, whose views share one listing in the hub
(gateways/imap/imap-view-share.c) while each is told the others' changes on its own — one
session told of an expunge the others were not told of yet, then each FETCHes by number and
sees its own numbering; a flag change told to every session exactly once (a view told first
must not change what the others hold); FETCH setting \\Seen in one session; and a selected
folder deleted by another session told by BYE at the next command that may tell it (RFC 3501
7.4.1), not only at NOOP, while FETCH is still answered."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import imaptest  # noqa: E402
from imaptest import read_line  # noqa: E402
from test_mail import message  # noqa: E402


class ImapViews(imaptest.ImapCase):
    def numbered(self, c, tag=b"f"):
        """FETCH 1:* (UID FLAGS): [(msn, uid, flags)] as the session numbers them now."""
        out = []
        for line in self.ok(c, tag + b" FETCH 1:* (UID FLAGS)")[:-1]:
            m = re.match(rb"\* (\d+) FETCH \((.*)\)$", line)
            self.assertIsNotNone(m, line)
            uid = int(re.search(rb"UID (\d+)", m.group(2)).group(1))
            flags = re.search(rb"FLAGS \(([^)]*)\)", m.group(2)).group(1)
            out.append((int(m.group(1)), uid, flags))
        return out

    def selected(self, name, n):
        """A session of name with INBOX selected (n messages)."""
        c = self.login(name)
        lines = self.ok(c, b"s SELECT INBOX")
        self.assertIn(b"* %d EXISTS" % n, lines)
        return c

    def test_expunge_told_to_one_then_both_fetch_by_number(self):
        name = self.new_user([message(b"e%d" % i, [b"%d" % i]) for i in range(4)])
        a, b, c = (self.selected(name, 4) for _ in range(3))
        before = self.numbered(a)
        self.assertEqual([m for m, _, _ in before], [1, 2, 3, 4])
        uids = [u for _, u, _ in before]
        # b expunges message 2: b is told at once, a and c not yet
        self.ok(b, b"t STORE 2 +FLAGS.SILENT (\\Deleted)")
        lines = self.ok(b, b"x EXPUNGE")
        self.assertIn(b"* 2 EXPUNGE", lines)
        self.assertEqual(self.numbered(b), [(1, uids[0], b""), (2, uids[2], b""),
                                            (3, uids[3], b"")])
        # a FETCHes by number: its numbers are still the ones it was told (no EXPUNGE during
        # FETCH), message 4 is still there
        self.assertEqual([(m, u) for m, u, _ in self.numbered(a)],
                         [(1, uids[0]), (2, uids[1]), (3, uids[2]), (4, uids[3])])
        lines = self.ok(a, b"g FETCH 4 (UID)")
        self.assertIn(b"* 4 FETCH (UID %d)" % uids[3], lines)
        # a is told now; c, whose view b's did not change, is told too, and only then
        self.assertIn(b"* 2 EXPUNGE", self.ok(a, b"n NOOP"))
        self.assertEqual([(m, u) for m, u, _ in self.numbered(a)],
                         [(1, uids[0]), (2, uids[2]), (3, uids[3])])
        self.assertEqual(len(self.numbered(c)), 4)
        self.assertIn(b"* 2 EXPUNGE", self.ok(c, b"n NOOP"))
        self.assertEqual(self.numbered(c), self.numbered(a))
        self.assertNotIn(b"EXPUNGE", b"".join(self.ok(c, b"m NOOP")))
        # a session selecting now sees what the others see
        d = self.selected(name, 3)
        self.assertEqual(self.numbered(d), self.numbered(b))

    def test_flags_told_to_each_session_once(self):
        name = self.new_user([message(b"f%d" % i, [b"%d" % i]) for i in range(3)])
        a, b, c = (self.selected(name, 3) for _ in range(3))
        uids = [u for _, u, _ in self.numbered(a)]
        lines = self.ok(a, b"t STORE 3 +FLAGS (\\Flagged)")
        self.assertTrue(any(l.startswith(b"* 3 FETCH") and b"\\Flagged" in l for l in lines),
                        lines)
        # b is told; c must be told too (b's view changing must not change c's)
        want = rb"^\* 3 FETCH \(FLAGS \(\\Flagged\)\)"
        for s in (b, c):
            told = [l for l in self.ok(s, b"n NOOP") if b"FETCH" in l]
            self.assertEqual(len(told), 1, told)
            self.assertRegex(told[0], want)
            self.assertNotIn(b"FETCH", b"".join(self.ok(s, b"m NOOP")))
            self.assertEqual(self.numbered(s)[2], (3, uids[2], b"\\Flagged"))
        # FETCH of a body sets \Seen in a's view; b and c learn it at their NOOP
        lines = self.ok(a, b"r FETCH 1 (BODY[TEXT])")
        self.assertTrue(any(b"\\Seen" in l for l in lines), lines)
        for s in (b, c):
            self.assertEqual(self.numbered(s)[0][2], b"")
            told = [l for l in self.ok(s, b"n NOOP") if b"FETCH" in l]
            self.assertEqual(len(told), 1, told)
            self.assertRegex(told[0], rb"^\* 1 FETCH \(FLAGS \(\\Seen\)\)")

    def test_deleted_folder_told_at_the_next_command_that_may(self):
        name = self.new_user([])
        c = self.login(name)
        self.ok(c, b"a CREATE Doomed")
        self.assertEqual(c.append("Doomed", None, None, message(b"d", [b"d"]))[0], "OK")
        self.ok(c, b"b SELECT Doomed")
        other = self.login(name)
        self.ok(other, b"x DELETE Doomed")
        # FETCH may not tell it (RFC 3501 7.4.1): answered from the view
        lines = self.raw(c, b"f FETCH 1 (FLAGS)")
        self.assertFalse(any(l.startswith(b"* BYE") for l in lines), lines)
        self.assertTrue(lines[-1].startswith(b"f "), lines)
        # LIST may: BYE, and the session ends
        c.send(b"l LIST \"\" \"*\"\r\n")
        line = read_line(c)
        self.assertTrue(line.startswith(b"* BYE"), line)
        self.assertEqual(c.readline(), b"")


if __name__ == "__main__":
    unittest.main(verbosity=2)
