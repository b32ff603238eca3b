"""End to end: IMAP4rev2 (RFC 9051) and the search extensions around it, against the real
daemon with raw lines over imaplib's connection — SENTBEFORE/SENTON/SENTSINCE on the Date:
header's own day (a message without Date: counts as sent on 1 January 1970, as in Dovecot),
SEARCHRES (RFC 5182: RETURN (SAVE) and "$" in FETCH/STORE/COPY/MOVE/SEARCH, expunged messages
leaving it, SELECT emptying it), ESEARCH RETURN options, the MODSEQ key and its (MODSEQ n)
answer item (RFC 7162 3.1.5), ESORT (RFC 5267) and SORT=DISPLAY (RFC 5957), STATUS DELETED,
the \\Archive special-use folder, and ENABLE IMAP4rev2 (ESEARCH answers, no RECENT, LIST at
SELECT)."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import imaptest  # noqa: E402


def msg(subject, date=None, sender=b"sender@example.org", body=b"body"):
    head = [b"From: " + sender, b"To: someone@example.org", b"Subject: " + subject]
    if date is not None:
        head.append(b"Date: " + date)
    return b"\r\n".join(head + [b"", body]) + b"\r\n"


class ImapRev2(imaptest.ImapCase):
    def session(self, messages):
        """A fresh user whose INBOX holds messages (APPENDed in order), INBOX selected."""
        c = self.login(self.new_user([]))
        for m in messages:
            self.assertEqual(c.append("INBOX", None, None, m)[0], "OK")
        self.ok(c, b"s SELECT INBOX")
        return c

    def search(self, c, line):
        """The numbers of the "* SEARCH" answer to line."""
        lines = self.ok(c, line)
        found = [l for l in lines if l.startswith(b"* SEARCH")]
        self.assertEqual(len(found), 1, lines)
        return [int(x) for x in found[0].split()[2:]]

    def esearch(self, c, line):
        lines = self.ok(c, line)
        found = [l for l in lines if l.startswith(b"* ESEARCH")]
        self.assertEqual(len(found), 1, lines)
        return found[0]

    def fetched_uids(self, c, line):
        return [int(re.search(rb"UID (\d+)", l).group(1))
                for l in self.ok(c, line) if b" FETCH " in l]

    def test_sent_dates_in_the_messages_own_zone(self):
        c = self.session([
            msg(b"a", b"Mon, 2 Jan 2023 23:30:00 -0800"),   # 3 Jan in UTC
            msg(b"b", b"Tue, 10 Jan 2023 01:00:00 +0900"),  # 9 Jan in UTC
            msg(b"c"),                                      # no Date: 1 Jan 1970
            msg(b"d", b"not a date at all"),
        ])
        self.assertEqual(self.search(c, b"a SEARCH SENTON 2-Jan-2023"), [1])
        self.assertEqual(self.search(c, b"b SEARCH SENTON 10-Jan-2023"), [2])
        self.assertEqual(self.search(c, b"c SEARCH SENTON 3-Jan-2023"), [])
        self.assertEqual(self.search(c, b"d SEARCH SENTSINCE 3-Jan-2023"), [2])
        self.assertEqual(self.search(c, b"e SEARCH SENTBEFORE 3-Jan-2023"), [1, 3, 4])
        self.assertEqual(self.search(c, b"f SEARCH SENTON 1-Jan-1970"), [3, 4])
        # with a text key: the readers' text phase, then the dates
        self.assertEqual(self.search(c, b"g SEARCH SENTSINCE 1-Jan-2023 SUBJECT b"), [2])
        self.assertEqual(self.search(c, b"h SEARCH OR SENTON 2-Jan-2023 SUBJECT c"), [1, 3])
        lines = self.ok(c, b"i SORT (DATE) UTF-8 SENTSINCE 1-Jan-2023")
        self.assertIn(b"* SORT 1 2", lines)

    def test_searchres_save_and_dollar(self):
        c = self.session([msg(b"m%d" % i) for i in range(1, 6)])
        lines = self.ok(c, b"a SEARCH RETURN (SAVE) 2:4")
        self.assertEqual(len(lines), 1, lines)  # SAVE alone: no ESEARCH (RFC 5182 2.1)
        self.assertEqual(self.fetched_uids(c, b"b FETCH $ (UID)"), [2, 3, 4])
        self.ok(c, b"c STORE $ +FLAGS.SILENT (\\Flagged)")
        self.assertEqual(self.search(c, b"d SEARCH FLAGGED"), [2, 3, 4])
        self.assertEqual(self.search(c, b"e UID SEARCH UID $ NOT 3"), [2, 4])
        self.assertEqual(self.search(c, b"f SEARCH $"), [2, 3, 4])
        self.ok(c, b"g COPY $ Archive")
        self.assertIn(b"(MESSAGES 3)", self.ok(c, b"h STATUS Archive (MESSAGES)")[0])
        # an expunged message leaves the saved result
        self.ok(c, b"i STORE 3 +FLAGS.SILENT (\\Deleted)")
        self.ok(c, b"j EXPUNGE")
        self.assertEqual(self.fetched_uids(c, b"k UID FETCH $ (UID)"), [2, 4])
        self.assertEqual(self.search(c, b"l SEARCH $"), [2, 3])
        # SAVE with MIN and MAX only keeps those two
        self.assertRegex(self.esearch(c, b"m SEARCH RETURN (SAVE MIN MAX) 1:*"),
                         rb'^\* ESEARCH \(TAG "m"\) MIN 1 MAX 4$')
        self.assertEqual(self.fetched_uids(c, b"n FETCH $ (UID)"), [1, 5])
        self.ok(c, b"o MOVE $ Trash")
        self.assertEqual(self.fetched_uids(c, b"p FETCH 1:* (UID)"), [2, 4])
        # a SAVE that fails empties it (RFC 5182 2.1)
        self.ok(c, b"p2 SEARCH RETURN (SAVE) ALL")
        lines = self.raw(c, b"p3 SEARCH RETURN (SAVE) CHARSET KOI8-R ALL")
        self.assertRegex(lines[-1], rb"^p3 NO \[BADCHARSET")
        self.assertEqual(self.fetched_uids(c, b"p4 FETCH $ (UID)"), [])
        # a new SELECT empties it
        self.ok(c, b"q SEARCH RETURN (SAVE) ALL")
        self.ok(c, b"r SELECT INBOX")
        self.assertEqual(self.fetched_uids(c, b"t FETCH $ (UID)"), [])
        self.assertEqual(self.search(c, b"u SEARCH $"), [])

    def test_esearch_return_options(self):
        c = self.session([msg(b"x%d" % i) for i in range(1, 6)])
        self.ok(c, b"a STORE 2,4:5 +FLAGS.SILENT (\\Seen)")
        self.assertRegex(self.esearch(c, b"b SEARCH RETURN (MIN MAX COUNT ALL) SEEN"),
                         rb'^\* ESEARCH \(TAG "b"\) MIN 2 MAX 5 ALL 2,4:5 COUNT 3$')
        self.assertRegex(self.esearch(c, b"c SEARCH RETURN () SEEN"),
                         rb'^\* ESEARCH \(TAG "c"\) ALL 2,4:5$')
        self.assertRegex(self.esearch(c, b"d UID SEARCH RETURN (COUNT) UNSEEN"),
                         rb'^\* ESEARCH \(TAG "d"\) UID COUNT 2$')
        self.assertRegex(self.esearch(c, b"e SEARCH RETURN (MIN MAX) DELETED"),
                         rb'^\* ESEARCH \(TAG "e"\)$')

    def test_modseq_key_and_answer_item(self):
        c = self.session([msg(b"q%d" % i) for i in range(1, 4)])
        lines = self.ok(c, b"a FETCH 1:* (MODSEQ)")
        seqs = [int(re.search(rb"MODSEQ \((\d+)\)", l).group(1)) for l in lines[:-1]]
        self.ok(c, b"b STORE 2 +FLAGS.SILENT (\\Flagged)")
        lines = self.ok(c, b"c FETCH 2 (MODSEQ)")
        top = int(re.search(rb"MODSEQ \((\d+)\)", lines[0]).group(1))
        self.assertGreater(top, max(seqs))
        lines = self.ok(c, b"d SEARCH MODSEQ %d" % (max(seqs) + 1))
        self.assertIn(b"* SEARCH 2 (MODSEQ %d)" % top, lines)
        lines = self.ok(c, b"e SEARCH MODSEQ 1")
        self.assertIn(b"* SEARCH 1 2 3 (MODSEQ %d)" % top, lines)
        lines = self.ok(c, b"f SEARCH MODSEQ %d" % (top + 100))
        self.assertIn(b"* SEARCH", lines)  # nothing matched: no MODSEQ item
        self.assertRegex(self.esearch(c, b"g SEARCH RETURN (ALL) MODSEQ 1"),
                         rb'^\* ESEARCH \(TAG "g"\) ALL 1:3 MODSEQ %d$' % top)
        # MIN alone: the mod-sequence of the message returned (message 1), not the highest
        self.assertRegex(self.esearch(c, b"h SEARCH RETURN (MIN) MODSEQ 1"),
                         rb'^\* ESEARCH \(TAG "h"\) MIN 1 MODSEQ %d$' % seqs[0])
        self.assertNotIn(b"MODSEQ", self.ok(c, b"i SEARCH ALL")[0])
        self.assertIn(b"* SORT 2 (MODSEQ %d)" % top,
                      self.ok(c, b"j SORT (SUBJECT) UTF-8 MODSEQ %d" % (max(seqs) + 1)))

    def test_esort_and_sort_display(self):
        c = self.session([
            msg(b"one", sender=b'"Zed Alpha" <aaa@example.org>'),
            msg(b"two", sender=b"=?UTF-8?Q?Bob?= <zzz@example.org>"),
            msg(b"three", sender=b"mmm@example.org"),
        ])
        # DISPLAYFROM: Bob, mmm@example.org, Zed Alpha (FROM would be aaa, mmm, zzz)
        self.assertIn(b"* SORT 2 3 1", self.ok(c, b"a SORT (DISPLAYFROM) UTF-8 ALL"))
        self.assertIn(b"* SORT 1 3 2", self.ok(c, b"b SORT (FROM) UTF-8 ALL"))
        self.assertRegex(self.esearch(c, b"c SORT RETURN (MIN MAX COUNT ALL) (SUBJECT) UTF-8 ALL"),
                         rb'^\* ESEARCH \(TAG "c"\) MIN 1 MAX 2 ALL 1,3,2 COUNT 3$')
        self.assertRegex(self.esearch(c, b"d UID SORT RETURN (ALL) (REVERSE SUBJECT) UTF-8 ALL"),
                         rb'^\* ESEARCH \(TAG "d"\) UID ALL 2:3,1$')  # an ascending run in sort order is a range
        lines = self.ok(c, b"e SORT RETURN (SAVE) (SUBJECT) UTF-8 1:2")
        self.assertEqual(len(lines), 1, lines)
        self.assertEqual(self.fetched_uids(c, b"f FETCH $ (UID)"), [1, 2])
        caps = c.capability()[1][0].split()
        for cap in (b"ESORT", b"SORT=DISPLAY", b"SEARCHRES", b"IMAP4rev2", b"IMAP4rev1"):
            self.assertIn(cap, caps)

    def test_status_deleted_size_and_archive(self):
        c = self.session([msg(b"d%d" % i) for i in range(1, 5)])
        self.ok(c, b"a STORE 1,3 +FLAGS.SILENT (\\Deleted)")
        lines = self.ok(c, b"b STATUS INBOX (MESSAGES DELETED SIZE)")
        m = re.search(rb"\(MESSAGES 4 SIZE (\d+) DELETED 2\)", lines[0])
        self.assertTrue(m, lines)
        self.assertGreater(int(m.group(1)), 4 * 50)
        self.assertIn(b"DELETED 0)", self.ok(c, b"c STATUS Trash (DELETED)")[0])
        lines = self.raw(c, b"d STATUS Nowhere (DELETED)")
        self.assertRegex(lines[-1], rb"^d NO \[NONEXISTENT\]")
        lines = self.ok(c, b'e LIST (SPECIAL-USE) "" "*"')
        self.assertTrue([l for l in lines if re.match(rb'^\* LIST \([^)]*\\Archive\) "/" "?Archive"?$', l)],
                        lines)

    def test_enable_imap4rev2(self):
        c = self.login(self.new_user([]))
        for i in range(1, 3):
            self.assertEqual(c.append("INBOX", None, None, msg(b"r%d" % i))[0], "OK")
        lines = self.ok(c, b"a SELECT INBOX")
        self.assertIn(b"* 0 RECENT", lines)  # IMAP4rev1 until enabled
        self.assertIn(b"* SEARCH 1 2", self.ok(c, b"b SEARCH ALL"))
        lines = self.raw(c, b"c ENABLE IMAP4rev2")
        self.assertRegex(lines[-1], rb"^c BAD")  # not in the selected state (RFC 5161)
        self.ok(c, b"d UNSELECT")
        self.assertIn(b"* ENABLED IMAP4rev2", self.ok(c, b"e ENABLE IMAP4rev2"))
        lines = self.ok(c, b"f SELECT INBOX")
        self.assertNotIn(b"* 0 RECENT", lines)
        self.assertTrue([l for l in lines if re.match(rb'^\* LIST \(\) "/" "?INBOX"?$', l)], lines)
        self.assertFalse([l for l in lines if b"[UNSEEN" in l], lines)
        self.assertIn(b'* ESEARCH (TAG "g") ALL 1:2', self.ok(c, b"g SEARCH ALL"))
        self.assertIn(b'* ESEARCH (TAG "h") UID ALL 1:2', self.ok(c, b"h UID SEARCH ALL"))
        self.assertIn(b'* ESEARCH (TAG "i")', self.ok(c, b"i SEARCH DELETED"))
        lines = self.ok(c, b"j SELECT Trash")
        self.assertIn(b"* OK [CLOSED] Previous mailbox closed.", lines)


class ImapArchiveUpgrade(imaptest.ImapCase):
    """An account without Archive (made before it, here: deleted) gets it back on its first
    use after a restart, with the \\Archive attribute."""

    def archive_rows(self, name):
        c = self.login(name)
        lines = self.ok(c, b'l LIST "" "*"')
        c.logout()
        return [l for l in lines if re.search(rb'"/" "?Archive"?$', l)]

    def test_archive_made_for_an_older_account(self):
        name = self.new_user([])
        c = self.login(name)
        self.ok(c, b"d DELETE Archive")
        c.logout()
        self.assertEqual(self.archive_rows(name), [])  # not made again while running
        self.d.stop()
        self.d.start()
        rows = self.archive_rows(name)
        self.assertEqual(len(rows), 1, rows)
        self.assertIn(b"\\Archive", rows[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
