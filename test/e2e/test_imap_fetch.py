"""End to end: IMAP FETCH and SEARCH answered from the readers (issue 11) against the real
daemon. Every message of the MIME corpus (test/data/mime) is delivered by SMTP and fetched:
ENVELOPE, BODYSTRUCTURE and BODY must be what its .ref says (checked against Dovecot), every
SECTION of the .ref (HEADER, TEXT, n, n.MIME, n.HEADER, n.TEXT) must be those octets of the
stored message, partials cut them, HEADER.FIELDS filters; SEARCH finds words in RFC 2047
encoded subjects and in base64 / quoted-printable bodies (CHARSET UTF-8, literals), combines
them with flag keys, refuses other charsets with BADCHARSET, and answers ESEARCH; BCC,
KEYWORD/UNKEYWORD, DRAFT/UNDRAFT and RECENT/NEW/OLD on messages of known flags. BINARY
(RFC 3516) decodes base64 and quoted-printable parts, whole and partial (across the readers'
pieces), sends a literal8 when a NUL is there, BINARY.SIZE, NO [UNKNOWN-CTE]; under CONDSTORE
every FETCH with FLAGS carries MODSEQ, the \\Seen a FETCH sets is told with its new MODSEQ."""
import base64
import imaplib
import os
import random
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import imaptest  # noqa: E402

CORPUS = os.path.join(os.path.dirname(__file__), "..", "data", "mime")


def literal_of(line, name, tilde=b""):
    """The octets of the literal named name (b"BODY[1]") in a folded FETCH line; tilde=b"~":
    a literal8."""
    i = line.index(name + b" " + tilde + b"{")
    j = line.index(b"}<CRLF>", i)
    n = int(line[i + len(name) + 2 + len(tilde):j])
    return line[j + 7:j + 7 + n]


def refs():
    """(name, eml octets, {key: value}, [(spec, offset, size)]) of every corpus message."""
    for f in sorted(os.listdir(CORPUS)):
        if not f.endswith(".eml"):
            continue
        with open(os.path.join(CORPUS, f), "rb") as fh:
            eml = fh.read()
        with open(os.path.join(CORPUS, f[:-4] + ".ref"), "rb") as fh:
            ref = fh.read()
        items, sections = {}, []
        for line in ref.split(b"\n"):
            if line.startswith(b"SECTION "):
                spec, off, size = line.split(b" ")[1:4]
                sections.append((spec.strip(b"[]"), int(off), int(size)))
            elif line.split(b" ", 1)[0] in (b"ENVELOPE", b"BODYSTRUCTURE", b"BODY"):
                k, v = line.split(b" ", 1)
                items[k] = v
        yield f[:-4], eml, items, sections


class ImapFetch(imaptest.ImapCase):
    user_prefix = "fetchuser"

    def session(self, name):
        r = imaptest.Raw(self.d.ports["imap"])
        self.addCleanup(r.sock.close)
        r.line()
        self.assertTrue(r.cmd(b"l", b"LOGIN %s secretpw1" % name.encode())[-1].startswith(b"l OK"))
        self.assertTrue(r.cmd(b"s", b"SELECT INBOX")[-1].startswith(b"s OK"))
        return r

    def test_corpus_items_and_sections(self):
        corpus = list(refs())
        self.assertGreater(len(corpus), 20)
        r = self.session(self.new_user([eml for _, eml, _, _ in corpus]))
        lines = r.cmd(b"f", b"FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY)")
        self.assertEqual(lines[-1], b"f OK Fetch completed.")
        self.assertEqual(len(lines), len(corpus) + 1)
        checked = 0
        for msn, (name, eml, items, sections) in enumerate(corpus, 1):
            stored = literal_of(r.cmd(b"b", b"FETCH %d BODY.PEEK[]" % msn)[0], b"BODY[]")
            if not eml or not stored.endswith(eml):
                continue  # empty, or changed on the way in: the ref's offsets do not hold
            checked += 1
            trace = len(stored) - len(eml)
            want = b"* %d FETCH (ENVELOPE %s BODYSTRUCTURE %s BODY %s)" % (
                msn, items[b"ENVELOPE"], items[b"BODYSTRUCTURE"], items[b"BODY"])
            self.assertEqual(lines[msn - 1], want, name)
            for spec, off, size in sections:
                if spec == b"":
                    continue
                # a section from the top (HEADER, 1.MIME of a single part) holds the trace fields
                start = 0 if off == 0 else off + trace
                size = size + trace if off == 0 else size
                got = r.cmd(b"p", b"FETCH %d BODY.PEEK[%s]" % (msn, spec))
                self.assertEqual(got[-1], b"p OK Fetch completed.", (name, spec))
                self.assertEqual(literal_of(got[0], b"BODY[%s]" % spec), stored[start:start + size],
                                 (name, spec))
        self.assertGreater(checked, 15)

    def test_partials_fields_and_many_items(self):
        msg = (b"From: a@example.org\r\nTo: b@example.org\r\nSubject: cut\r\n"
               b"X-Extra: yes\r\n\r\n0123456789abcdefghij\r\n")
        r = self.session(self.new_user([msg] * 300))
        got = r.cmd(b"f", b"FETCH 2 (BODY.PEEK[TEXT]<3.5> BODY.PEEK[TEXT]<100.5> "
                    b"BODY.PEEK[HEADER.FIELDS (Subject X-Extra)] "
                    b"BODY.PEEK[HEADER.FIELDS.NOT (Subject X-Extra Received Return-Path)]<0.9> "
                    b"BODY.PEEK[9] RFC822.SIZE)")
        self.assertEqual(got[-1], b"f OK Fetch completed.")
        line = got[0]
        self.assertEqual(literal_of(line, b"BODY[TEXT]<3>"), b"34567")
        self.assertIn(b"BODY[TEXT]<100> {0}", line)
        self.assertEqual(literal_of(line, b"BODY[HEADER.FIELDS (Subject X-Extra)]"),
                         b"Subject: cut\r\nX-Extra: yes\r\n\r\n")
        self.assertEqual(literal_of(line, b"BODY[HEADER.FIELDS.NOT (Subject X-Extra Received "
                                    b"Return-Path)]<0>"), b"From: a@e")
        self.assertIn(b"BODY[9] {0}", line)
        # many messages in one FETCH, several pages of metas and read-aheads
        got = r.cmd(b"g", b"UID FETCH 1:* (ENVELOPE BODY.PEEK[TEXT])")
        self.assertEqual(got[-1], b"g OK Fetch completed.")
        self.assertEqual(len(got), 301)
        for i, line in enumerate(got[:-1], 1):
            self.assertTrue(line.startswith(b"* %d FETCH (UID %d ENVELOPE (NIL \"cut\"" % (i, i)), line)
            self.assertEqual(literal_of(line, b"BODY[TEXT]"), b"0123456789abcdefghij\r\n")

    def test_highest_number_and_long_line_literal(self):
        """4,294,967,295 is a sequence number (UID FETCH 1:4294967295 is all, SEARCH UID
        4294967295 none), and a {n+} ending an over-long line has its octets skipped, not run
        as commands."""
        msg = b"From: a@example.org\r\nSubject: top\r\n\r\nbody\r\n"
        r = self.session(self.new_user([msg] * 3))
        got = r.cmd(b"f", b"UID FETCH 1:4294967295 (FLAGS)")
        self.assertEqual(got[-1], b"f OK Fetch completed.")
        self.assertEqual(len(got), 4)
        got = r.cmd(b"g", b"UID SEARCH UID 4294967295")
        self.assertEqual(got, [b"* SEARCH", b"g OK Search completed."])
        self.assertEqual(r.cmd(b"h", b"UID FETCH 4294967295:* (UID)")[0],
                         b"* 3 FETCH (UID 3)")
        self.assertTrue(r.cmd(b"c", b"CREATE keepme")[-1].startswith(b"c OK"))
        inner = b"x DELETE keepme\r\n"
        r.send(b"a APPEND INBOX (" + b"k " * 10000 + b") {%d+}\r\n" % len(inner) + inner +
               b"\r\n")
        self.assertEqual(r.cmd(b"n", b"NOOP")[-2:],
                         [b"* BAD Error in IMAP command: line too long", b"n OK NOOP completed."])
        got = r.cmd(b"l", b"LIST \"\" keepme")
        self.assertEqual(got[0], b'* LIST (\\HasNoChildren) "/" "keepme"')

    def test_whole_bodies_over_pages(self):
        # BODY[] of distinct bodies over three pages: the next page's read-ahead is asked while
        # a page is answered; one body (in the second page) is longer than its read-ahead
        msgs = [b"From: a@example.org\r\nSubject: page %d\r\n\r\n%s\r\n"
                % (i, (b"line %d of body %d\r\n" % (i % 7, i)) * (1 + i % 13)) for i in range(520)]
        msgs[300] = msgs[300] + b"x" * 70000 + b"\r\n"
        r = self.session(self.new_user(msgs))
        for cmd in (b"FETCH 1:* BODY.PEEK[]", b"FETCH 1:* (BODY.PEEK[]<40.30> BODY.PEEK[] UID)"):
            got = r.cmd(b"w", cmd)
            self.assertEqual(got[-1], b"w OK Fetch completed.")
            self.assertEqual(len(got), len(msgs) + 1)
            for i, line in enumerate(got[:-1]):
                self.assertTrue(line.startswith(b"* %d FETCH (" % (i + 1)), line[:40])
                body = literal_of(line, b"BODY[]")
                self.assertTrue(body.endswith(msgs[i]), (i, body[-80:]))
                if b"<40.30>" in cmd:
                    self.assertEqual(literal_of(line, b"BODY[]<40>"), body[40:70])

    def test_search_text_encoded_and_esearch(self):
        msgs = [
            b"From: =?utf-8?q?J=C3=B6rg?= <j@example.org>\r\nTo: t@example.org\r\n"
            b"Subject: =?utf-8?q?Caf=C3=A9_menu?=\r\n\r\nnothing here\r\n",
            b"From: k@example.org\r\nTo: t@example.org\r\nSubject: plain\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + __import__("base64").b64encode("zanzibar déjà vu".encode()) + b"\r\n",
            b"From: k@example.org\r\nTo: other@example.org\r\nCc: cc@example.org\r\nSubject: qp\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\nna=EFve soft=\r\nbreak\r\n",
        ]
        r = self.session(self.new_user(msgs))

        def search(text):
            got = r.cmd(b"q", text)
            self.assertTrue(got[-1].startswith(b"q OK"), got)
            return got[0]
        self.assertEqual(search(b"SEARCH CHARSET UTF-8 SUBJECT {5+}\r\ncaf\xc3\xa9"), b"* SEARCH 1")
        self.assertEqual(search(b"SEARCH FROM {5+}\r\nJ\xc3\xb6rg"), b"* SEARCH 1")
        self.assertEqual(search(b"SEARCH BODY {6+}\r\nd\xc3\xa9j\xc3\xa0"), b"* SEARCH 2")
        self.assertEqual(search(b"SEARCH BODY {6+}\r\nna\xc3\xafve"), b"* SEARCH 3")
        self.assertEqual(search(b"SEARCH BODY softbreak"), b"* SEARCH 3")
        self.assertEqual(search(b"SEARCH TEXT ZANZIBAR"), b"* SEARCH 2")
        self.assertEqual(search(b"SEARCH TEXT menu"), b"* SEARCH 1")
        self.assertEqual(search(b"SEARCH OR CC cc@ TO t@example"), b"* SEARCH 1 2 3")
        self.assertEqual(search(b"SEARCH NOT TO t@example"), b"* SEARCH 3")
        self.assertEqual(search(b"SEARCH HEADER Content-Transfer-Encoding \"\" NOT BODY soft"),
                         b"* SEARCH 2")
        self.assertEqual(search(b"UID SEARCH 2:3 NOT SUBJECT nomatch"), b"* SEARCH 2 3")
        self.assertTrue(r.cmd(b"t", b"STORE 2 +FLAGS (\\Flagged)")[-1].startswith(b"t OK"))
        self.assertEqual(search(b"SEARCH FLAGGED FROM k@"), b"* SEARCH 2")
        self.assertEqual(search(b"SEARCH RETURN (MIN MAX COUNT ALL) FROM example"),
                         b'* ESEARCH (TAG "q") MIN 1 MAX 3 ALL 1:3 COUNT 3')
        self.assertEqual(search(b"UID SEARCH RETURN () BODY nomatch"), b'* ESEARCH (TAG "q") UID')
        self.assertEqual(search(b"SEARCH RETURN (COUNT) BODY nomatch"), b'* ESEARCH (TAG "q") COUNT 0')
        got = r.cmd(b"x", b"SEARCH CHARSET KOI8-R SUBJECT menu")
        self.assertEqual(got[-1], b"x NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset")

    def test_search_bcc_keyword_draft_new_old(self):
        """The keys the other tests leave out, on three messages APPENDed with known flags:
        BCC (read from the stored header), KEYWORD/UNKEYWORD (any case, following STORE), DRAFT/
        UNDRAFT, and RECENT/NEW/OLD (the store keeps no \\Recent: SELECT tells 0 RECENT, so no
        message is NEW and every one is OLD)."""
        msgs = [(r"(\Draft $Work)", b"From: a@example.org\r\nTo: t@example.org\r\n"
                 b"Bcc: hidden@example.net\r\nSubject: one\r\n\r\nbody one\r\n"),
                (r"(\Seen)", b"From: a@example.org\r\nTo: t@example.org\r\nSubject: two\r\n"
                 b"\r\nbody two mentions hidden@example.net\r\n"),
                (r"($Later)", b"From: a@example.org\r\nTo: t@example.org\r\n"
                 b"Bcc: Other <other@example.com>\r\nSubject: three\r\n\r\nbody three\r\n")]
        name = self.new_user()
        c = self.login(name)
        for flags, msg in msgs:
            self.assertEqual(c.append("INBOX", flags, None, msg)[0], "OK")
        self.assertIn(b"* 0 RECENT", self.ok(c, b"s SELECT INBOX"))

        def search(key):
            found = [l for l in self.ok(c, b"q SEARCH " + key) if l.startswith(b"* SEARCH")]
            self.assertEqual(len(found), 1, (key, found))
            return [int(n) for n in found[0].split()[2:]]
        self.assertEqual(search(b"BCC hidden@example.net"), [1])  # not the body of 2
        self.assertEqual(search(b"BCC example"), [1, 3])
        self.assertEqual(search(b"BCC Other"), [3])
        self.assertEqual(search(b"NOT BCC example"), [2])
        self.assertEqual(search(b"KEYWORD $Work"), [1])
        self.assertEqual(search(b"KEYWORD $work"), [1])
        self.assertEqual(search(b"UNKEYWORD $Work"), [2, 3])
        self.assertEqual(search(b"KEYWORD $Nothing"), [])
        self.assertEqual(search(b"UNKEYWORD $Nothing"), [1, 2, 3])
        self.assertEqual(search(b"OR KEYWORD $Work KEYWORD $Later"), [1, 3])
        self.assertEqual(search(b"DRAFT"), [1])
        self.assertEqual(search(b"UNDRAFT"), [2, 3])
        self.assertEqual(search(b"UNDRAFT UNSEEN"), [3])
        self.assertEqual(search(b"RECENT"), [])
        self.assertEqual(search(b"NEW"), [])
        self.assertEqual(search(b"OLD"), [1, 2, 3])
        self.assertEqual(search(b"NOT NEW"), [1, 2, 3])
        # the keywords follow STORE, in this session's view
        self.ok(c, b"t STORE 2 +FLAGS ($Work)")
        self.ok(c, b"u STORE 1 -FLAGS ($Work \\Draft)")
        self.assertEqual(search(b"KEYWORD $Work"), [2])
        self.assertEqual(search(b"UNKEYWORD $Work"), [1, 3])
        self.assertEqual(search(b"DRAFT"), [])
        uids = [l for l in self.ok(c, b"v UID SEARCH KEYWORD $Later") if l.startswith(b"* SEARCH")]
        self.assertEqual(uids, [b"* SEARCH 3"])
        # a keyword another session stores counts once this one is told (NOOP)
        other = self.login(name)
        self.ok(other, b"s SELECT INBOX")
        self.ok(other, b"t STORE 3 +FLAGS ($WORK)")
        self.assertEqual(search(b"KEYWORD $Work"), [2])
        self.ok(c, b"n NOOP")
        self.assertEqual(search(b"KEYWORD $Work"), [2, 3])
        self.assertEqual(search(b"UNKEYWORD $work"), [1])

    def test_many_envelopes_in_order_before_the_tagged_ok(self):
        # FETCH holds whole answers and writes them together: across three pages of metas
        # every answer must still come out, in order, before the tagged OK
        msgs = [b"From: a@example.org\r\nSubject: page %d\r\n\r\nx\r\n" % i
                for i in range(1, 601)]
        r = self.session(self.new_user(msgs))
        got = r.cmd(b"e", b"FETCH 1:* (FLAGS ENVELOPE)")
        self.assertEqual(len(got), 601)
        self.assertEqual(got[-1], b"e OK Fetch completed.")
        for i, line in enumerate(got[:-1], 1):
            self.assertTrue(line.startswith(b"* %d FETCH (FLAGS () ENVELOPE (NIL \"page %d\""
                                            % (i, i)), line)

    def test_binary_decoded_partial_literal8_unknown_cte(self):
        rnd = random.Random(11)
        blob = bytes(rnd.getrandbits(8) for _ in range(700000)) + b"\0tail"  # > 2 pieces
        b64 = base64.encodebytes(blob).replace(b"\n", b"\r\n")
        qp_text = b"caf\xc3\xa9 soft break\r\nline two"  # the CRLF before --XX is the boundary's
        msg = (b"From: a@example.org\r\nSubject: bin\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
               b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n"
               b"Content-Transfer-Encoding: Quoted-Printable\r\n\r\n"
               b"caf=C3=A9 soft =\r\nbreak\r\nline two\r\n"
               b"--XX\r\nContent-Type: application/octet-stream\r\n"
               b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 +
               b"--XX\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n"
               b"\r\nbegin 644 x\r\n--XX\r\nContent-Type: text/plain\r\n\r\nplain seven\r\n"
               b"--XX--\r\n")
        single = (b"From: a@example.org\r\nSubject: one\r\nContent-Transfer-Encoding: base64\r\n"
                  b"\r\n" + base64.b64encode(b"hello world") + b"\r\n")
        name = self.new_user([msg, single])
        r = self.session(name)
        self.assertIn(b" BINARY", r.cmd(b"c", b"CAPABILITY")[0])
        got = r.cmd(b"z", b"FETCH 1 (BINARY.SIZE[1] BINARY.SIZE[2] BINARY.SIZE[4] BINARY.SIZE[9])")
        self.assertEqual(got, [b"* 1 FETCH (BINARY.SIZE[1] %d BINARY.SIZE[2] %d BINARY.SIZE[4] 11 "
                               b"BINARY.SIZE[9] 0)" % (len(qp_text), len(blob)),
                               b"z OK Fetch completed."])
        got = r.cmd(b"b", b"FETCH 1 (BINARY.PEEK[1] BINARY.PEEK[1]<5.3> BINARY.PEEK[4] BINARY.PEEK[9])")
        self.assertEqual(got[-1], b"b OK Fetch completed.")
        self.assertEqual(literal_of(got[0], b"BINARY[1]"), qp_text)
        self.assertIn(b"BINARY[1] {3}<CRLF> so", got[0])
        self.assertEqual(literal_of(got[0], b"BINARY[4]"), b"plain seven")
        self.assertIn(b"BINARY[9] {0}", got[0])
        got = r.cmd(b"w", b"FETCH 1 (BINARY.PEEK[2])")
        self.assertEqual(got[-1], b"w OK Fetch completed.")
        self.assertEqual(literal_of(got[0], b"BINARY[2]", b"~"), blob)
        for off, n in ((300000, 1000), (0, 10), (699990, 100), (5, 600000)):
            got = r.cmd(b"p", b"FETCH 1 (UID BINARY.PEEK[2]<%d.%d>)" % (off, n))
            self.assertEqual(got[-1], b"p OK Fetch completed.")
            self.assertEqual(literal_of(got[0], b"BINARY[2]", b"~"), blob[off:off + n], (off, n))
        whole = literal_of(r.cmd(b"a", b"FETCH 2 BODY.PEEK[]")[0], b"BODY[]")
        self.assertEqual(literal_of(r.cmd(b"a", b"FETCH 2 BINARY.PEEK[]")[0], b"BINARY[]"), whole)
        got = r.cmd(b"u", b"FETCH 1:2 (BINARY.PEEK[3])")
        self.assertEqual(got, [b"u NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding"])
        got = r.cmd(b"u", b"FETCH 1:2 (UID BINARY.SIZE[3])")
        self.assertEqual(got, [b"* 1 FETCH (UID 1)",
                               b"u NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding"])
        got = r.cmd(b"s", b"FETCH 2 (FLAGS)")
        self.assertEqual(got[0], b"* 2 FETCH (FLAGS ())")
        # imaplib as a client would use it; BINARY without .PEEK sets \Seen
        c = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"])
        self.addCleanup(c.logout)
        c.login(name, "secretpw1")
        c.select("INBOX")
        typ, data = c.fetch(b"2", "(BINARY[1])")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0][1], b"hello world")
        self.assertIn(b"\\Seen", b"".join(x if isinstance(x, bytes) else x[0] for x in data))
        self.assertEqual(c.fetch(b"1", "(BINARY.SIZE[4])"), ("OK", [b"1 (BINARY.SIZE[4] 11)"]))

    def test_condstore_modseq_with_every_flags(self):
        r = self.session(self.new_user([b"From: a@example.org\r\nSubject: m\r\n\r\nbody\r\n"] * 2))
        self.assertEqual(r.cmd(b"f", b"FETCH 1 (FLAGS)")[0], b"* 1 FETCH (FLAGS ())")
        self.assertTrue(r.cmd(b"e", b"SELECT INBOX (CONDSTORE)")[-1].startswith(b"e OK"))
        got = r.cmd(b"f", b"FETCH 1:2 (FLAGS)")
        m = re.match(rb"\* 1 FETCH \(MODSEQ \((\d+)\) FLAGS \(\)\)$", got[0])
        self.assertTrue(m, got)
        before = int(m.group(1))
        got = r.cmd(b"m", b"FETCH 1 (MODSEQ)")
        self.assertEqual(got[0], b"* 1 FETCH (MODSEQ (%d))" % before)
        # BODY[] without .PEEK sets \Seen: the answer's FLAGS come with the MODSEQ before the
        # change, then the FLAGS with the MODSEQ after it, all before the tagged OK
        got = r.cmd(b"b", b"FETCH 1 (BODY[TEXT])")
        self.assertEqual(got[-1], b"b OK Fetch completed.")
        self.assertEqual(got[0], b"* 1 FETCH (MODSEQ (%d) BODY[TEXT] {6}<CRLF>body\r\n "
                                 b"FLAGS (\\Seen))" % before)
        m = re.match(rb"\* 1 FETCH \(FLAGS \(\\Seen\) MODSEQ \((\d+)\)\)$", got[1])
        self.assertTrue(m, got)
        after = int(m.group(1))
        self.assertGreater(after, before)
        self.assertEqual(r.cmd(b"m", b"FETCH 1 (FLAGS MODSEQ)")[0],
                         b"* 1 FETCH (FLAGS (\\Seen) MODSEQ (%d))" % after)


if __name__ == "__main__":
    unittest.main()
