"""End to end: SORT and THREAD (RFC 5256, issue 11) against the real daemon on a crafted
folder whose orders and threads are known: every SORT key, REVERSE, the search criteria
selecting the messages (a text key goes through the readers), base subjects (Re:, Fwd:,
[blob], RFC 2047), Date: in other zones and missing (the arrival date then), ORDEREDSUBJECT
and REFERENCES threads, empty answers, an unknown key refused and a bad charset."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import imaptest  # noqa: E402


def msg(headers, body=b"hello\r\n"):
    return b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body


# (internal date, message); arrival order is 5 4 2 1 3, Date: order 5 2 3 1 4
MESSAGES = [
    ("05-Jan-2024 00:00:00 +0000", msg([
        b"From: zed@example.org", b"To: bea@example.org", b"Subject: Re: Lunch",
        b"Date: Tue, 02 Jan 2024 10:00:00 +0000", b"Message-ID: <2@example.org>",
        b"In-Reply-To: <1@example.org>"])),
    ("04-Jan-2024 00:00:00 +0000", msg([
        b"From: amy@example.org", b"To: zoe@example.org", b"Subject: Lunch",
        b"Date: Mon, 01 Jan 2024 10:00:00 +0000", b"Message-ID: <1@example.org>"])),
    ("06-Jan-2024 00:00:00 +0000", msg([
        b"From: Bob <bob@example.org>", b"To: amy@example.org",
        b"Subject: =?UTF-8?Q?Caf=C3=A9?= plans", b"Date: 1 Jan 2024 09:00 -0500",
        b"Message-ID: <3@example.org>"], b"long body\r\n" * 200)),
    ("03-Jan-2024 00:00:00 +0000", msg([
        b"From: carl@example.org", b"To: cy@example.org", b"Cc: abe@example.org",
        b"Subject: Fwd: Re: Lunch", b"Date: Wed, 03 Jan 2024 10:00:00 +0000",
        b"Message-ID: <4@example.org>",
        b"References: <1@example.org>\r\n <2@example.org>"])),
    ("31-Dec-2023 00:00:00 +0000", msg([
        b"From: dan@example.org", b"To: ann@example.org", b"Subject: [list] other",
        b"Message-ID: <5@example.org>"])),
]


class ImapSort(imaptest.ImapCase):
    def folder(self):
        c = self.login(self.new_user([]))
        for date, m in MESSAGES:
            self.assertEqual(c.append("INBOX", None, '"%s"' % date, m)[0], "OK")
        self.assertEqual(c.select("INBOX")[0], "OK")
        return c

    def sort(self, c, crit, *search):
        typ, data = c.sort(crit, "UTF-8", *(search or ("ALL",)))
        self.assertEqual(typ, "OK", data)
        return data[0].decode()

    def test_capabilities(self):
        c = self.login(self.new_user([]))
        caps = c.capability()[1][0].split()
        for cap in (b"SORT", b"THREAD=ORDEREDSUBJECT", b"THREAD=REFERENCES"):
            self.assertIn(cap, caps)

    def test_sort_keys(self):
        c = self.folder()
        self.assertEqual(self.sort(c, "(SUBJECT)"), "3 1 2 4 5")
        self.assertEqual(self.sort(c, "(DATE)"), "5 2 3 1 4")
        self.assertEqual(self.sort(c, "(REVERSE DATE)"), "4 1 3 2 5")
        self.assertEqual(self.sort(c, "(ARRIVAL)"), "5 4 2 1 3")
        self.assertEqual(self.sort(c, "(FROM)"), "2 3 4 5 1")
        self.assertEqual(self.sort(c, "(TO)"), "3 5 1 4 2")
        self.assertEqual(self.sort(c, "(CC SUBJECT)"), "3 1 2 5 4")
        self.assertEqual(self.sort(c, "(SIZE)").split()[-1], "3")
        self.assertEqual(self.sort(c, "(SUBJECT REVERSE DATE)"), "3 4 1 2 5")

    def test_sort_search_criteria(self):
        c = self.folder()
        self.assertEqual(self.sort(c, "(DATE)", "SUBJECT", "lunch"), "2 1 4")
        self.assertEqual(self.sort(c, "(DATE)", "NOT", "FROM", "amy"), "5 3 1 4")
        self.assertEqual(self.sort(c, "(REVERSE ARRIVAL)", "2:4"), "3 2 4")
        c.store("2", "+FLAGS", "\\Deleted")
        c.expunge()  # UIDs 1 3 4 5 are now numbers 1 2 3 4
        typ, data = c.uid("SORT", "(DATE)", "UTF-8", "ALL")
        self.assertEqual((typ, data[0]), ("OK", b"5 3 1 4"))
        lines = self.raw(c, b"e SORT (DATE) UTF-8 SUBJECT nothing-like-this")
        self.assertEqual(lines, [b"* SORT", b"e OK Sort completed."])
        lines = self.raw(c, b"t THREAD REFERENCES UTF-8 SUBJECT nothing-like-this")
        self.assertEqual(lines, [b"* THREAD", b"t OK Thread completed."])

    def test_threads(self):
        c = self.folder()
        typ, data = c.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
        self.assertEqual((typ, data[0]), ("OK", b"(5)(2 (1)(4))(3)"))
        typ, data = c.thread("REFERENCES", "UTF-8", "ALL")
        self.assertEqual((typ, data[0]), ("OK", b"(5)(2 1 4)(3)"))
        typ, data = c.uid("THREAD", "REFERENCES", "UTF-8", "SINCE", "1-Jan-2024")
        self.assertEqual((typ, data[0]), ("OK", b"(2 1 4)(3)"))

    def test_bare_messages(self):
        c = self.login(self.new_user([]))
        for m in (b"X-Only: this\r\n\r\nno subject, date or addresses\r\n",
                  b"Subject: =?x-unknown?B?AAAA?=\r\nDate: garbage\r\nFrom: <>\r\n"
                  b"References: <<<\r\nMessage-ID: no-brackets\r\n\r\nx\r\n"):
            self.assertEqual(c.append("INBOX", None, None, m)[0], "OK")
        c.select("INBOX")
        self.assertEqual(self.sort(c, "(SUBJECT FROM DATE)"), "1 2")
        typ, data = c.thread("REFERENCES", "UTF-8", "ALL")
        self.assertEqual((typ, data[0]), ("OK", b"(1)(2)"))

    def test_refused(self):
        c = self.folder()
        lines = self.raw(c, b"d SORT (DISPLAYCC) UTF-8 ALL")  # no such key (RFC 5957 has two)
        self.assertTrue(lines[-1].startswith(b"d BAD"), lines)
        lines = self.raw(c, b"k SORT (DATE) KOI8-R ALL")
        self.assertTrue(lines[-1].startswith(b"k NO [BADCHARSET"), lines)
        c2 = self.login(self.new_user([]))
        lines = self.raw(c2, b"n SORT (DATE) UTF-8 ALL")
        self.assertTrue(lines[-1].startswith(b"n BAD"), lines)


if __name__ == "__main__":
    unittest.main(verbosity=2)
