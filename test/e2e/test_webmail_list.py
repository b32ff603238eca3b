"""End to end: webmail's message list (issue 15 item 4) — GET /api/mail/folders/{f}/messages
paged with the server's cursor in every order (date, arrival, from, subject, size; ascending and
descending). A folder is filled over IMAP APPEND (each uid from APPENDUID) with known From,
Subject and sizes (ties included, letter case differing, an RFC 2047 name, an address without a
name); every order's pages are checked against a sort of the same data here. Between pages a
message is appended and one of a later page deleted: the pages still join into one strictly
ordered run holding every message that was there throughout exactly once, the deleted one
never. A folder of more than one slice of the owner's index build (2,100 messages, MULTIAPPEND)
pages in From order. Then the 400s: bad sort, order, limit, cursor (garbage, another order's,
with q)."""
import email.header
import email.utils
import imaplib
import os
import re
import socket
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_webmail import Api, folder_path  # noqa: E402

KEY_LEN = 39  # octets of a sort key (MAILBOX_SORT_KEY_LEN - 1)
N = 40
LIMIT = 7

SENDERS = ["Zoe Adams <zoe@example.org>", "alice <alice@example.org>",
           "Alice <alice2@example.org>", "bob@example.net",
           "=?utf-8?q?=C3=89mile?= <emile@example.org>", '"Carl, the 2nd" <carl@example.org>',
           "mallory <m@example.org>"]
SUBJECTS = ["Quarterly report", "lunch?", "Lunch?", "Re: budget", "zeta", "Alpha", "alpha",
            "  Spaced", "a subject long enough to be cut at thirty-nine octets, surely"]


def key_of(text):
    """The server's sort key of a decoded text (mailbox_sort_key): ASCII lowered, leading
    blanks and quotes skipped, cut to KEY_LEN octets."""
    b = text.lstrip(" \t\"'").encode()
    b = bytes(c | 0x20 if 65 <= c <= 90 else c for c in b)
    return b[:KEY_LEN]


def tagged(f, tag):
    """The tagged answer line of an IMAP command (untagged lines skipped)."""
    while True:
        line = f.readline()
        if not line or line.startswith(tag + b" "):
            return line


def decoded(value):
    return str(email.header.make_header(email.header.decode_header(value)))


def from_key(value):
    name, addr = email.utils.parseaddr(decoded(value))
    return key_of(name if name else addr)


class WebmailList(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()
        cls.d.add_user("dora", "dora-secret-1")
        cls.api = Api(cls.d.ports["http"]).login("dora", "dora-secret-1")
        cls.imap = imaplib.IMAP4("127.0.0.1", cls.d.ports["imap"], timeout=60)
        cls.imap.login("dora", "dora-secret-1")
        cls.msgs = {}  # uid -> {from, subject, size}
        for i in range(N):
            cls.append(cls, i)

    @classmethod
    def tearDownClass(cls):
        cls.imap.logout()
        cls.d.stop()
        cls.d.cleanup()

    def append(self, i):
        frm, subject = SENDERS[i % len(SENDERS)], SUBJECTS[i % len(SUBJECTS)]
        body = "m%d " % i + "y" * (40 * (i % 6))  # sizes tie across senders and subjects
        raw = ("From: %s\r\nTo: dora@example.org\r\nSubject: %s\r\n"
               "Date: Mon, 30 Nov 2026 03:00:%02d +0000\r\n\r\n%s\r\n"
               % (frm, subject, i % 60, body)).encode()
        typ, data = self.imap.append("INBOX", None, None, raw)
        assert typ == "OK", data
        uid = int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1))
        self.msgs[uid] = {"from": from_key(frm), "subject": key_of(subject), "size": len(raw)}
        return uid

    def key(self, sort, uid):
        m = self.msgs[uid]
        return {"date": (uid,), "arrival": (uid,), "size": (m["size"], uid),
                "from": (m["from"], uid), "subject": (m["subject"], uid)}[sort]

    def page(self, sort, order, cursor=None, limit=LIMIT):
        q = {"sort": sort, "order": order, "limit": limit}
        if cursor is not None:
            q["cursor"] = cursor
        status, page = self.api.call("GET", folder_path("INBOX") + "/messages?" +
                                     urllib.parse.urlencode(q))
        self.assertEqual(status, 200, (q, page))
        self.assertLessEqual(len(page["messages"]), limit)
        return page

    def walk(self, sort, order, between=None):
        """Every page of the order joined; between(pages so far) runs after each page."""
        rows, cursor, pages = [], None, 0
        while True:
            page = self.page(sort, order, cursor)
            rows += page["messages"]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                return rows
            self.assertEqual(len(page["messages"]), LIMIT)
            if between:
                between(pages)

    def test_every_order_matches_a_sort_here(self):
        for sort in ("date", "arrival", "from", "subject", "size"):
            for order in ("asc", "desc"):
                rows = self.walk(sort, order)
                want = sorted(self.msgs, key=lambda u: self.key(sort, u), reverse=order == "desc")
                self.assertEqual([m["uid"] for m in rows], want, (sort, order))
                for m in rows:
                    self.assertEqual(m["size"], self.msgs[m["uid"]]["size"])
                    self.assertIn(m["uid"], self.msgs)
        first = self.page("subject", "asc", limit=1)["messages"][0]
        self.assertEqual(key_of(first["subject"]), b"a subject long enough to be cut at thir")
        self.assertIn("flags", first)
        self.assertTrue(first["from"])

    def test_delivery_and_delete_between_pages(self):
        for n, (sort, order) in enumerate([(s, o) for s in ("date", "from", "subject", "size")
                                           for o in ("asc", "desc")]):
            before = set(self.msgs)
            doomed = []

            def between(pages, n=n, sort=sort, order=order):
                if pages != 2:
                    return
                self.append(N + n)
                later = sorted(before, key=lambda u: self.key(sort, u),
                               reverse=order == "desc")[-3]  # on a page still to come
                status, _ = self.api.call("DELETE", folder_path("INBOX") + "/messages/%d" % later)
                self.assertEqual(status, 204)
                doomed.append(later)
                del self.msgs[later]
            rows = self.walk(sort, order, between)
            uids = [m["uid"] for m in rows]
            self.assertEqual(len(uids), len(set(uids)), (sort, order))
            keys = [self.key(sort, u) for u in uids]
            self.assertEqual(keys, sorted(keys, reverse=order == "desc"), (sort, order))
            self.assertEqual(before - set(doomed) - set(uids), set(), (sort, order))
            self.assertNotIn(doomed[0], uids)

    def test_index_built_in_slices(self):
        """A folder of more than one slice (MAILBOX_SORT_SLICE, 2048) of the owner's index
        build: the first page comes once the index is whole, and the pages are the order."""
        n, folder = 2100, "Big"
        self.imap.create(folder)
        keys = {}
        with socket.create_connection(("127.0.0.1", self.d.ports["imap"]), timeout=60) as s:
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"a LOGIN dora dora-secret-1\r\n")
            self.assertTrue(tagged(f, b"a").startswith(b"a OK"))
            for first in range(0, n, 32):
                cmd = [b"b APPEND " + folder.encode()]
                for i in range(first, min(first + 32, n)):
                    sender = "Person %04d <p%d@example.org>" % ((i * 7919) % n, i)
                    raw = ("From: %s\r\nSubject: big %d\r\n\r\nbody\r\n" % (sender, i)).encode()
                    cmd.append(b" {%d+}\r\n" % len(raw) + raw)
                s.sendall(b"".join(cmd) + b"\r\n")
                line = tagged(f, b"b")
                self.assertTrue(line.startswith(b"b OK"), line)
                uids = re.search(rb"APPENDUID \d+ (\d+):(\d+)", line).groups()
                for k, uid in enumerate(range(int(uids[0]), int(uids[1]) + 1)):
                    keys[uid] = key_of("Person %04d" % (((first + k) * 7919) % n))
        rows, cursor = [], None
        while True:
            q = {"sort": "from", "order": "desc", "limit": 200}
            if cursor:
                q["cursor"] = cursor
            status, page = self.api.call("GET", folder_path(folder) + "/messages?" +
                                         urllib.parse.urlencode(q))
            self.assertEqual(status, 200, page)
            rows += [m["uid"] for m in page["messages"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(rows, sorted(keys, key=lambda u: (keys[u], u), reverse=True))

    def test_bad_parameters(self):
        size_cursor = self.page("size", "asc", limit=1)["next_cursor"]
        from_cursor = self.page("from", "asc", limit=1)["next_cursor"]
        self.assertRegex(size_cursor, r"^\d+\.\d+$")
        for q in ("sort=colour", "order=up", "limit=0", "limit=201", "cursor=x", "cursor=0",
                  "sort=date&cursor=" + size_cursor, "sort=size&cursor=12",
                  "sort=subject&cursor=zz.4", "sort=from&cursor=" + from_cursor + "&q=a",
                  "sort=from&q=a", "sort=size&cursor=" + size_cursor + "&after=3"):
            status, body = self.api.call("GET", folder_path("INBOX") + "/messages?" + q)
            self.assertEqual(status, 400, q)
            self.assertIn("error", body)


if __name__ == "__main__":
    unittest.main()
