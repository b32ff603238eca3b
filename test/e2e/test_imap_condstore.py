"""End to end: IMAP CONDSTORE and QRESYNC (RFC 7162) and a selected folder deleted by another
session, against the real daemon with raw lines over imaplib's connection — SELECT (CONDSTORE)
with HIGHESTMODSEQ, FETCH (MODSEQ), FETCH (CHANGEDSINCE), STORE (UNCHANGEDSINCE) answering
[MODIFIED], ENABLE QRESYNC and SELECT (QRESYNC ...) answering VANISHED (EARLIER) and the
changed messages, UID FETCH (CHANGEDSINCE n VANISHED), VANISHED instead of EXPUNGE once QRESYNC
is on, and BYE for the session whose selected folder another session deleted."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import imaptest  # noqa: E402
from imaptest import read_line  # noqa: E402
from test_mail import message  # noqa: E402


class ImapCondstore(imaptest.ImapCase):

    def modseq(self, lines):
        for line in lines:
            m = re.search(rb"\[HIGHESTMODSEQ (\d+)\]", line)
            if m:
                return int(m.group(1))
        self.fail("no HIGHESTMODSEQ in %r" % lines)

    def test_condstore_fetch_changedsince_and_unchangedsince(self):
        name = self.new_user([message(b"m%d" % i, [b"%d" % i]) for i in range(3)])
        c = self.login(name)
        self.assertIn(b"CONDSTORE", c.capability()[1][0].split())
        high = self.modseq(self.ok(c, b"s SELECT INBOX (CONDSTORE)"))
        self.assertGreater(high, 0)
        lines = self.ok(c, b"f FETCH 1:* (MODSEQ)")
        seqs = [int(re.search(rb"MODSEQ \((\d+)\)", l).group(1)) for l in lines[:-1]]
        self.assertEqual(len(seqs), 3)
        self.assertEqual(max(seqs), high)
        # a change to message 2 only: CHANGEDSINCE the old high sees it alone
        self.ok(c, b"t STORE 2 +FLAGS.SILENT (\\Flagged)")
        lines = self.ok(c, b"g FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % high)
        changed = [l for l in lines if b"FETCH" in l]
        self.assertEqual(len(changed), 1, lines)
        self.assertTrue(changed[0].startswith(b"* 2 FETCH"), changed)
        self.assertIn(b"\\Flagged", changed[0])
        self.assertIn(b"MODSEQ (", changed[0])
        new = int(re.search(rb"MODSEQ \((\d+)\)", changed[0]).group(1))
        self.assertGreater(new, high)
        # UNCHANGEDSINCE below message 2's modseq: 2 is refused as MODIFIED, 1 is stored
        lines = self.raw(c, b"u STORE 1:2 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)" % high)
        self.assertRegex(lines[-1], rb"^u OK \[MODIFIED 2\]")
        lines = self.ok(c, b"v FETCH 1:2 (FLAGS)")
        self.assertIn(b"\\Seen", lines[0])
        self.assertNotIn(b"\\Seen", lines[1])

    def test_qresync_select_vanished_and_changes(self):
        name = self.new_user([message(b"q%d" % i, [b"%d" % i]) for i in range(4)])
        c = self.login(name)
        self.assertIn(b"QRESYNC", c.capability()[1][0].split())
        self.ok(c, b"e ENABLE QRESYNC")  # only in the authenticated state (RFC 5161)
        lines = self.ok(c, b"s SELECT INBOX")
        validity = int(re.search(rb"\[UIDVALIDITY (\d+)\]", b" ".join(lines)).group(1))
        high = self.modseq(lines)
        # another session expunges uid 2 and flags uid 3
        other = self.login(name)
        self.ok(other, b"a SELECT INBOX")
        self.ok(other, b"b UID STORE 2 +FLAGS.SILENT (\\Deleted)")
        self.ok(other, b"c UID EXPUNGE 2")
        self.ok(other, b"d UID STORE 3 +FLAGS.SILENT (\\Answered)")
        # this session now sees VANISHED, never EXPUNGE
        lines = self.ok(c, b"n NOOP")
        self.assertFalse(any(l.endswith(b"EXPUNGE") for l in lines), lines)
        self.assertIn(b"* VANISHED 2", lines)
        # a fresh session resyncs from the old state: uid 2 vanished, uid 3 changed
        fresh = self.login(name)
        self.ok(fresh, b"e ENABLE QRESYNC")
        lines = self.ok(fresh, b"s SELECT INBOX (QRESYNC (%d %d 1:4))" % (validity, high))
        vanished = [l for l in lines if l.startswith(b"* VANISHED (EARLIER)")]
        self.assertEqual(vanished, [b"* VANISHED (EARLIER) 2"], lines)
        fetches = [l for l in lines if b" FETCH " in l]
        self.assertEqual(len(fetches), 1, lines)
        self.assertIn(b"UID 3", fetches[0])
        self.assertIn(b"\\Answered", fetches[0])
        lines = self.ok(fresh, b"f UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % high)
        self.assertIn(b"* VANISHED (EARLIER) 2", lines)
        # a QRESYNC SELECT before ENABLE QRESYNC is a client error
        late = self.login(name)
        lines = self.raw(late, b"s SELECT INBOX (QRESYNC (%d %d))" % (validity, high))
        self.assertTrue(lines[-1].startswith(b"s BAD"), lines)

    def test_selected_folder_deleted_by_another_session(self):
        name = self.new_user([])
        c = self.login(name)
        self.ok(c, b"a CREATE Doomed")
        self.ok(c, b"b SELECT Doomed")
        other = self.login(name)
        self.ok(other, b"x DELETE Doomed")
        c.send(b"n NOOP\r\n")
        line = read_line(c)
        self.assertTrue(line.startswith(b"* BYE"), line)


if __name__ == "__main__":
    unittest.main(verbosity=2)
