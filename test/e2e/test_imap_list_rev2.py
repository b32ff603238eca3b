"""End to end, with raw lines over imaplib's connection: CREATE-SPECIAL-USE (RFC 6154 3:
USE given to the new folder and shown by LIST and LIST (SPECIAL-USE), [USEATTR] for a use not
kept, several uses or a use taken, nothing created then), LIST-STATUS (RFC 5819) with every
STATUS item IMAP4rev2 has, DELETED (RFC 9051 6.3.11) counted by the owner, and the LIST
attributes after ENABLE IMAP4rev2 (RFC 9051 6.3.9, 7.3.1: \\NonExistent, \\Subscribed where
asked, \\HasChildren/\\HasNoChildren on every line, no LSUB, no RECENT)."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import imaptest  # noqa: E402


def msg(subject):
    return (b"From: a@example.org\r\nTo: b@example.org\r\nSubject: " + subject +
            b"\r\n\r\nbody of " + subject + b"\r\n")


LIST_RE = re.compile(rb'^\* LIST \(([^)]*)\) "/" "?([^" ]*)"?( \(.*\))?$')


def rows(lines):
    """{name: set of attributes} of the LIST lines."""
    out = {}
    for line in lines:
        m = LIST_RE.match(line)
        if m:
            out[m.group(2).decode()] = set(m.group(1).split())
    return out


def statuses(lines):
    """{name: {item: value}} of the STATUS lines."""
    out = {}
    for line in lines:
        m = re.match(rb'^\* STATUS "?([^"(]*?)"? \(([^)]*)\)$', line)
        if m:
            items = m.group(2).split()
            out[m.group(1).decode()] = {items[i].decode(): int(items[i + 1])
                                        for i in range(0, len(items), 2)}
    return out


class ImapListRev2(imaptest.ImapCase):
    user_prefix = "listrev2user"

    def session(self):
        return self.login(self.new_user([]))

    def tagged(self, c, line):
        return self.raw(c, line)[-1]

    def test_create_special_use(self):
        c = self.session()
        caps = b" ".join(self.ok(c, b"a CAPABILITY"))
        self.assertIn(b" CREATE-SPECIAL-USE", caps)
        # every use this server keeps is taken by the default folders
        self.assertRegex(self.tagged(c, b"b CREATE Mine (USE (\\Sent))"), rb"^b NO \[USEATTR\]")
        self.assertRegex(self.tagged(c, b"c CREATE Everything (USE (\\All))"),
                         rb"^c NO \[USEATTR\]")
        self.assertRegex(self.tagged(c, b"d CREATE Two (USE (\\Drafts \\Trash))"),
                         rb"^d NO \[USEATTR\]")
        self.assertRegex(self.tagged(c, b"e CREATE Odd (FOO (bar))"), rb"^e BAD")
        listed = rows(self.ok(c, b'f LIST "" "*"'))
        for name in ("Mine", "Everything", "Two", "Odd"):
            self.assertNotIn(name, listed)
        # a use no folder has: given, kept, listed
        self.ok(c, b"g DELETE Junk")
        self.ok(c, b"h CREATE Spam (USE (\\Junk))")
        listed = rows(self.ok(c, b'i LIST "" "*"'))
        self.assertEqual(listed["Spam"], {b"\\HasNoChildren", b"\\Junk"})
        special = rows(self.ok(c, b'j LIST (SPECIAL-USE) "" "*"'))
        self.assertEqual(set(special), {"Sent", "Drafts", "Trash", "Spam", "Archive"})
        self.assertIn(b"\\Junk", special["Spam"])
        self.assertRegex(self.tagged(c, b"k CREATE Spam2 (USE (\\Junk))"), rb"^k NO \[USEATTR\]")
        self.assertRegex(self.tagged(c, b"l CREATE Spam (USE (\\Archive))"),
                         rb"^l NO \[(ALREADYEXISTS|USEATTR)\]")
        self.ok(c, b"m CREATE Plain")
        self.assertEqual(rows(self.ok(c, b'n LIST "" Plain'))["Plain"], {b"\\HasNoChildren"})

    def test_list_status_every_item_with_deleted(self):
        c = self.session()
        for i in range(1, 4):
            self.assertEqual(c.append("INBOX", None, None, msg(b"m%d" % i))[0], "OK")
        self.ok(c, b"a SELECT INBOX")
        self.ok(c, b"b STORE 2 +FLAGS.SILENT (\\Deleted)")
        self.ok(c, b"c STORE 3 +FLAGS.SILENT (\\Seen)")
        items = b"MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE"
        lines = self.ok(c, b'd LIST "" "%" RETURN (STATUS (' + items + b'))')
        st = statuses(lines)
        self.assertEqual(set(st), set(rows(lines)))  # a STATUS for every folder listed
        inbox = st["INBOX"]
        self.assertEqual(list(inbox), ["MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "SIZE",
                                       "DELETED"])
        self.assertEqual((inbox["MESSAGES"], inbox["UIDNEXT"], inbox["UNSEEN"],
                          inbox["DELETED"]), (3, 4, 2, 1))
        self.assertEqual(st["Trash"]["DELETED"], 0)
        one = statuses(self.ok(c, b"e STATUS INBOX (" + items + b")"))["INBOX"]
        self.assertEqual(one, inbox)
        self.assertGreater(inbox["SIZE"], 3 * 40)
        # IMAP4rev1: RECENT is still an item (always 0 here)
        lines = self.ok(c, b'f LIST "" INBOX RETURN (STATUS (RECENT DELETED))')
        self.assertEqual(statuses(lines)["INBOX"], {"RECENT": 0, "DELETED": 1})

    def test_rev2_list_attributes(self):
        c = self.session()
        self.ok(c, b"a CREATE Lists/Dev")
        self.ok(c, b"b SUBSCRIBE Gone/Away")
        self.ok(c, b"c SUBSCRIBE Sent")
        self.ok(c, b'd LSUB "" "*"')  # IMAP4rev1: still there
        self.assertIn(b"* ENABLED IMAP4rev2", self.ok(c, b"e ENABLE IMAP4rev2"))
        self.assertRegex(self.tagged(c, b'f LSUB "" "*"'), rb"^f BAD")
        self.assertRegex(self.tagged(c, b"g STATUS INBOX (MESSAGES RECENT)"), rb"^g BAD")
        self.assertRegex(self.tagged(c, b'h LIST "" "*" RETURN (STATUS (RECENT))'), rb"^h BAD")
        listed = rows(self.ok(c, b'i LIST "" "*"'))
        for name, attrs in listed.items():
            self.assertEqual(len(attrs & {b"\\HasChildren", b"\\HasNoChildren"}), 1, name)
            self.assertNotIn(b"\\Subscribed", attrs, name)  # not asked
        self.assertIn(b"\\HasChildren", listed["Lists"])
        self.assertNotIn("Gone/Away", listed)
        subs = rows(self.ok(c, b'j LIST (SUBSCRIBED) "" "*"'))
        self.assertEqual(set(subs), {"Gone/Away", "Sent"})
        self.assertEqual(subs["Gone/Away"], {b"\\NonExistent", b"\\Subscribed",
                                             b"\\HasNoChildren"})
        self.assertEqual(subs["Sent"], {b"\\Subscribed", b"\\HasNoChildren", b"\\Sent"})
        ret = rows(self.ok(c, b'k LIST "" "%" RETURN (SUBSCRIBED)'))
        self.assertIn(b"\\Subscribed", ret["Sent"])
        self.assertNotIn(b"\\Subscribed", ret["INBOX"])
        lines = self.ok(c, b'l LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')
        self.assertIn(b"\\NonExistent", rows(lines)["Gone"])
        self.assertTrue([x for x in lines if x.endswith(b'"Gone" ("CHILDINFO" ("SUBSCRIBED"))')],
                        lines)
        lines = self.ok(c, b'm LIST "" "%" RETURN (STATUS (MESSAGES DELETED))')
        self.assertEqual(statuses(lines)["INBOX"], {"MESSAGES": 0, "DELETED": 0})


if __name__ == "__main__":
    unittest.main(verbosity=2)
