"""End to end: several IMAP sessions on one folder, whose views share one listing in the hub
(gateways/imap/imap-view-share.c) while each is told the others' changes on its own — one
session told of an expunge the others were not told of yet, then each FETCHes by number and
sees its own numbering; a flag change told to every session exactly once (a view told first
must not change what the others hold); FETCH setting \\Seen in one session; and a selected
folder deleted by another session told by BYE at the next command that may tell it (RFC 3501
7.4.1), not only at NOOP, while FETCH is still answered (UID FETCH may: BYE). No EXPUNGE
during STORE, nor during the UID forms (the gateway holds them to NOOP/CHECK), numbers right
meanwhile; CHECK: BAD before login and before selection, OK once selected (also under
IMAP4rev2, which removed it) and a moment the others' expunges are told."""
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

    def selected_then_deleted(self):
        """A session with folder Doomed (one message) selected, deleted by another session."""
        name = self.new_user([])
        c = self.login(name)
        self.ok(c, b"a CREATE Doomed")
        self.assertEqual(c.append("Doomed", None, None, message(b"d", [b"d"]))[0], "OK")
        self.ok(c, b"b SELECT Doomed")
        self.ok(self.login(name), b"x DELETE Doomed")
        return c

    def test_deleted_folder_told_at_the_next_command_that_may(self):
        c = self.selected_then_deleted()
        # FETCH may not tell it (RFC 3501 7.4.1): answered from the view
        lines = self.raw(c, b"f FETCH 1 (FLAGS)")
        self.assertFalse(any(l.startswith(b"* BYE") for l in lines), lines)
        self.assertTrue(lines[-1].startswith(b"f "), lines)
        # LIST may: BYE, and the session ends
        c.send(b"l LIST \"\" \"*\"\r\n")
        line = read_line(c)
        self.assertTrue(line.startswith(b"* BYE"), line)
        self.assertEqual(c.readline(), b"")

    def expunged_by_other(self, name, n):
        """a and b with INBOX selected (n messages), a's uids; b has expunged message 2 (told to
        b at once, pending in a)."""
        a, b = self.selected(name, n), self.selected(name, n)
        uids = [u for _, u, _ in self.numbered(a)]
        self.ok(b, b"t STORE 2 +FLAGS.SILENT (\\Deleted)")
        self.assertIn(b"* 2 EXPUNGE", self.ok(b, b"x EXPUNGE"))
        return a, b, uids

    def test_no_expunge_during_store_then_at_noop(self):
        name = self.new_user([message(b"s%d" % i, [b"%d" % i]) for i in range(4)])
        a, b, uids = self.expunged_by_other(name, 4)
        # RFC 3501 7.4.1: no EXPUNGE during STORE; a's numbers stay the ones it was told (the
        # owner answered a's STORE after it sent b's expunge event: a holds the event now)
        lines = self.ok(a, b"s STORE 3 +FLAGS (\\Flagged)")
        self.assertFalse(any(b"EXPUNGE" in l for l in lines), lines)
        self.assertEqual(lines[:-1], [b"* 3 FETCH (FLAGS (\\Flagged))"])
        lines = self.ok(a, b"s STORE 4 +FLAGS (\\Answered)")
        self.assertEqual(lines[:-1], [b"* 4 FETCH (FLAGS (\\Answered))"])
        self.assertEqual(self.numbered(a), [(1, uids[0], b""), (2, uids[1], b""),
                                            (3, uids[2], b"\\Flagged"),
                                            (4, uids[3], b"\\Answered")])
        # the next NOOP tells it, and a's numbers follow
        lines = self.ok(a, b"n NOOP")
        self.assertIn(b"* 2 EXPUNGE", lines)
        self.assertEqual(self.numbered(a), [(1, uids[0], b""), (2, uids[2], b"\\Flagged"),
                                            (3, uids[3], b"\\Answered")])
        self.assertEqual(len([l for l in self.ok(b, b"n NOOP") if b"FETCH" in l]), 2)
        self.assertEqual(self.numbered(b), self.numbered(a))

    def test_uid_forms_hold_expunge_until_noop(self):
        """RFC 3501 7.4.1 lets UID FETCH/STORE/SEARCH tell EXPUNGE; imap-view-evt.c tells the
        changes only at NOOP, CHECK, IDLE and after APPEND/COPY (a deleted folder alone is told
        by BYE at a UID form): the UID forms answer from the view a was told."""
        name = self.new_user([message(b"u%d" % i, [b"%d" % i]) for i in range(3)])
        a, _, uids = self.expunged_by_other(name, 3)
        for line in (b"f UID FETCH 1:* (FLAGS)", b"s UID STORE %d +FLAGS (\\Seen)" % uids[2],
                     b"q UID SEARCH ALL"):
            lines = self.ok(a, line)
            self.assertFalse(any(b"EXPUNGE" in l for l in lines), (line, lines))
        self.assertIn(b"* SEARCH %d %d %d" % tuple(uids), lines)
        lines = self.ok(a, b"n NOOP")
        self.assertIn(b"* 2 EXPUNGE", lines)
        self.assertIn(b"* SEARCH %d %d" % (uids[0], uids[2]), self.ok(a, b"q UID SEARCH ALL"))

    def test_deleted_folder_told_by_bye_at_uid_fetch(self):
        c = self.selected_then_deleted()
        lines = self.raw(c, b"f FETCH 1 (FLAGS)")  # the plain form may not: answered
        self.assertTrue(lines[-1].startswith(b"f OK"), lines)
        c.send(b"u UID FETCH 1:* (FLAGS)\r\n")  # the UID form may
        self.assertTrue(read_line(c).startswith(b"* BYE"))
        self.assertEqual(c.readline(), b"")

    def test_check_by_state_and_tells_changes(self):
        name = self.new_user([message(b"c%d" % i, [b"%d" % i]) for i in range(3)])
        r = imaptest.Raw(self.d.ports["imap"])
        self.addCleanup(r.sock.close)
        r.line()
        self.assertEqual(r.cmd(b"a", b"CHECK"), [b"a BAD Command not permitted before login"])
        self.assertTrue(r.cmd(b"l", b"LOGIN %s %s" % (name.encode(), imaptest.PASSWORD.encode())
                              )[-1].startswith(b"l OK"))
        self.assertEqual(r.cmd(b"b", b"CHECK"), [b"b BAD No mailbox selected"])
        self.assertTrue(r.cmd(b"s", b"SELECT INBOX")[-1].startswith(b"s OK"))
        self.assertEqual(r.cmd(b"c", b"CHECK"), [b"c OK Check completed."])
        # CHECK is a moment RFC 3501 7.4.1 allows: another session's expunge is told there
        other = self.selected(name, 3)
        self.ok(other, b"t STORE 1 +FLAGS.SILENT (\\Deleted)")
        self.ok(other, b"x EXPUNGE")
        self.assertEqual(r.cmd(b"d", b"CHECK"), [b"* 1 EXPUNGE", b"d OK Check completed."])
        self.assertEqual(r.cmd(b"u", b"UNSELECT"), [b"u OK Unselect completed."])
        self.assertEqual(r.cmd(b"e", b"CHECK"), [b"e BAD No mailbox selected"])

    def test_check_once_imap4rev2_is_enabled(self):
        """RFC 9051 removed CHECK (NOOP does what it did); the gateway, which offers IMAP4rev1
        and IMAP4rev2 on one port, still answers it in the selected state once IMAP4rev2 is
        enabled, as before selection it is BAD."""
        name = self.new_user([message(b"r", [b"r"])])
        c = self.login(name)
        self.assertIn(b"* ENABLED IMAP4rev2", self.ok(c, b"e ENABLE IMAP4rev2"))
        self.assertTrue(self.raw(c, b"a CHECK")[-1].startswith(b"a BAD"))
        self.ok(c, b"s SELECT INBOX")
        self.assertEqual(self.raw(c, b"b CHECK"), [b"b OK Check completed."])


if __name__ == "__main__":
    unittest.main(verbosity=2)
