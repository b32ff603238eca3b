"""End to end: webmail's message list (issue 15 item 4) — GET /api/mail/folders/{f}/messages
paged with the server's cursor in every order (date, arrival, from, subject, size; ascending and
descending). A folder is filled over IMAP APPEND (each uid from APPENDUID) with known From,
Subject and sizes (ties included, letter case differing, an RFC 2047 name, an address without a
name); every order's pages are checked against a sort of the same data here. Between pages a
message is appended and one of a later page deleted: the pages still join into one strictly
ordered run holding every message that was there throughout exactly once, the deleted one
never. A folder of more than one slice of the owner's index build (2,100 messages, MULTIAPPEND)
pages in From order. A search (q) pages by the same cursor in every order over 2,600
messages with the matches spread out: each match once, in order, a page bounded by the server's
scan budget. Then the 400s: bad sort, order, limit, cursor (garbage, another order's, with
after), q with after."""
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

    def multiappend(self, folder, raws):
        """Appends the messages raws (bytes) to a new folder, 32 an APPEND; their uids."""
        self.imap.create(folder)
        out = []
        with socket.create_connection(("127.0.0.1", self.d.ports["imap"]), timeout=60) as s:
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"a LOGIN dora dora-secret-1\r\n")
            self.assertTrue(tagged(f, b"a").startswith(b"a OK"))
            for first in range(0, len(raws), 32):
                cmd = [b"b APPEND " + folder.encode()]
                for raw in raws[first:first + 32]:
                    cmd.append(b" {%d+}\r\n" % len(raw) + raw)
                s.sendall(b"".join(cmd) + b"\r\n")
                line = tagged(f, b"b")
                self.assertTrue(line.startswith(b"b OK"), line)
                uids = re.search(rb"APPENDUID \d+ (\d+):(\d+)", line).groups()
                out += range(int(uids[0]), int(uids[1]) + 1)
        self.assertEqual(len(out), len(raws))
        return out

    def walk_folder(self, folder, query, limit):
        """Every page of folder under query (dict) joined: (uids, pages)."""
        rows, cursor, pages = [], None, []
        while True:
            q = dict(query, limit=limit)
            if cursor:
                q["cursor"] = cursor
            status, page = self.api.call("GET", folder_path(folder) + "/messages?" +
                                         urllib.parse.urlencode(q))
            self.assertEqual(status, 200, page)
            self.assertLessEqual(len(page["messages"]), limit)
            rows += [m["uid"] for m in page["messages"]]
            pages.append(page)
            cursor = page["next_cursor"]
            if cursor is None:
                return rows, pages

    def test_index_built_in_slices(self):
        """A folder of more than one slice (MAILBOX_SORT_SLICE, 2048) of the owner's index
        build: the first page comes once the index is whole, and the pages are the order."""
        n, folder = 2100, "Big"
        names = ["Person %04d" % ((i * 7919) % n) for i in range(n)]
        uids = self.multiappend(folder, [("From: %s <p%d@example.org>\r\nSubject: big %d\r\n"
                                          "\r\nbody\r\n" % (names[i], i, i)).encode()
                                         for i in range(n)])
        keys = {uid: key_of(names[i]) for i, uid in enumerate(uids)}
        rows, _ = self.walk_folder(folder, {"sort": "from", "order": "desc"}, 200)
        self.assertEqual(rows, sorted(keys, key=lambda u: (keys[u], u), reverse=True))

    def test_search_pages_by_cursor(self):
        """q pages with the cursor in every order: 2,600 messages, the first 2,100 matching
        nothing, then a run of ten, then matches spread out, the last message one. Every match
        comes once, in the order's sequence; a page reads at most 2,000 messages, so by date
        ascending the first page is one of no match whose cursor goes on."""
        n, folder = 2600, "Hunt"
        hits = set(range(2100, 2110)) | {i for i in range(2110, n) if i % 37 == 5} | {n - 1}
        names = ["Person %04d" % ((i * 7919) % n) for i in range(n)]
        raws = [("From: %s <h%d@example.org>\r\nSubject: hunt %d\r\n\r\n%s\r\n"
                 % (names[i], i, i, "a Needle here" if i in hits else "only hay")).encode()
                for i in range(n)]
        uids = self.multiappend(folder, raws)
        keys = {uid: (key_of(names[i]), len(raws[i])) for i, uid in enumerate(uids)}
        matches = [uids[i] for i in sorted(hits)]
        for sort, order, limit in (("date", "asc", 3), ("date", "desc", 7), ("from", "asc", 4),
                                   ("size", "desc", 50), ("subject", "asc", 200)):
            rows, pages = self.walk_folder(folder, {"sort": sort, "order": order,
                                                    "q": "needle"}, limit)
            at = {"date": lambda u: (u,), "from": lambda u: (keys[u][0], u),
                  "size": lambda u: (keys[u][1], u), "subject": lambda u: (u,)}[sort]
            want = sorted(matches, key=at, reverse=order == "desc")
            if sort != "subject":  # "hunt N" keys: their order is the server's to check below
                self.assertEqual(rows, want, (sort, order))
            self.assertEqual(sorted(rows), sorted(matches), (sort, order))
            self.assertEqual(len(rows), len(set(rows)), (sort, order))
            if (sort, order) == ("date", "asc"):  # read its 2,000, found nothing, goes on
                self.assertEqual(pages[0]["messages"], [])
                self.assertIsNotNone(pages[0]["next_cursor"])
            self.assertTrue(all("total" not in p for p in pages))
        everything, _ = self.walk_folder(folder, {"sort": "subject", "order": "asc"}, 200)
        self.assertEqual(rows, [u for u in everything if u in set(matches)])

    def test_bad_parameters(self):
        size_cursor = self.page("size", "asc", limit=1)["next_cursor"]
        from_cursor = self.page("from", "asc", limit=1)["next_cursor"]
        self.assertRegex(size_cursor, r"^\d+\.\d+$")
        for q in ("sort=colour", "order=up", "limit=0", "limit=201", "cursor=x", "cursor=0",
                  "sort=date&cursor=" + size_cursor, "sort=size&cursor=12",
                  "sort=subject&cursor=zz.4", "sort=from&cursor=" + size_cursor + "&q=a",
                  "sort=date&q=a&after=3", "sort=size&cursor=" + size_cursor + "&after=3"):
            status, body = self.api.call("GET", folder_path("INBOX") + "/messages?" + q)
            self.assertEqual(status, 400, q)
            self.assertIn("error", body)


if __name__ == "__main__":
    unittest.main()
