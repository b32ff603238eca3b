"""End to end: SMTP in, POP3 out, with real clients (issue 3, item 4).

Python's smtplib and poplib, raw sockets for pipelining, BDAT and SMTP smuggling, curl,
swaks and fetchmail, all against the real daemon on loopback. Every wait is bounded and
waits for a condition (pbtest.wait_until / wait_counts), never for a fixed time.
"""
import base64
import json
import os
import poplib
import random
import shlex
import shutil
import smtplib
import socket
import struct
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402

USERS = [("alice", "alicepw1"), ("bob", "bobpw123"), ("carol", "carolpw1")]
MAX_SIZE = 52428800


def message(subject, body_lines, extra_headers=()):
    """A message with CRLF line ends (and a final CRLF)."""
    head = [b"From: sender@example.org", b"To: someone@example.org", b"Subject: " + subject]
    head += list(extra_headers)
    return b"\r\n".join(head + [b""] + list(body_lines)) + b"\r\n"


def split_trace(stored):
    """Splits a stored message into (trace, content): the Return-Path: and Received: fields the
    server put in front, and what the client sent. Fails if the trace is not there."""
    lines = stored.split(b"\r\n")
    if not lines[0].startswith(b"Return-Path: <") or not lines[1].startswith(b"Received: from "):
        raise AssertionError("stored message does not start with Return-Path, Received: %r"
                             % stored[:200])
    n = 2
    while lines[n][:1] in (b"\t", b" "):
        n += 1
    return b"\r\n".join(lines[:n]) + b"\r\n", b"\r\n".join(lines[n:])


class MailCase(unittest.TestCase):
    """A fresh daemon per test, with the users of USERS in its local domain."""
    users = USERS

    def setUp(self):
        self.d = pbtest.Daemon()
        self.addCleanup(self.d.cleanup)
        self.d.start()
        self.addCleanup(self.stop_cleanly)
        rc, out, err = self.d.cli("domain", "list")
        self.assertEqual(rc, 0, err)
        self.domain = out.split()[0]
        for name, password in self.users:
            self.d.add_user(name, password)
        self.passwords = dict(self.users)

    def stop_cleanly(self):
        """Every test ends with SIGTERM: the daemon must still be alive and exit 0 (under
        ASan/UBSan also: without a sanitizer report, leaks included)."""
        self.assertIsNone(self.d.proc.poll(), "the daemon died during the test")
        rc = self.d.stop()
        err = getattr(self.d, "last_stderr", "")
        self.assertEqual(rc, 0, err[-3000:])
        self.assertNotIn("Sanitizer", err, err[-3000:])
        self.assertNotIn("runtime error", err, err[-3000:])

    def addr(self, user):
        return "%s@%s" % (user, self.domain)

    def smtp(self, port=None):
        s = smtplib.SMTP("127.0.0.1", port or self.d.ports["smtp"], timeout=120)
        self.addCleanup(s.close)
        return s

    def raw_smtp(self, ehlo=True):
        c = pbtest.RawClient(self.d.ports["smtp"])
        self.addCleanup(c.close)
        self.assertEqual(c.smtp_reply()[0], 220)
        if ehlo:
            c.send(b"EHLO client.example.org\r\n")
            self.assertEqual(c.smtp_reply()[0], 250)
        return c

    def pop(self, user, password=None):
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=120)
        self.addCleanup(p.close)
        p.user(user)
        p.pass_(password or self.passwords[user])
        return p

    def counts(self):
        return {u: n for u, (n, _) in pbtest.user_counts(self.d).items()}

    def wait_counts(self, expected, timeout=30.0):
        return pbtest.wait_counts(self.d, expected, timeout)

    def retr_all(self, user):
        """Every message of user's maildrop as stored (CRLF lines), in maildrop order; also
        checks that LIST's size is the retrieved size."""
        p = self.pop(user)
        msgs = []
        for i in range(1, p.stat()[0] + 1):
            _, lines, _ = p.retr(i)
            data = b"\r\n".join(lines) + b"\r\n"
            self.assertEqual(int(p.list(i).split()[2]), len(data), "LIST size of %d" % i)
            msgs.append(data)
        p.quit()
        return msgs

    def contents(self, user):
        return [split_trace(m)[1] for m in self.retr_all(user)]

    def send_raw_transaction(self, c, rcpts, content, sender=b"sender@example.org"):
        """MAIL, RCPTs and DATA pipelined, then the (already stuffed) content and the end;
        returns the reply to the end of data."""
        cmds = b"MAIL FROM:<" + sender + b">\r\n"
        cmds += b"".join(b"RCPT TO:<" + r.encode() + b">\r\n" for r in rcpts) + b"DATA\r\n"
        c.send(cmds)
        replies = c.smtp_replies(len(rcpts) + 2)
        self.assertEqual([r[0] for r in replies], [250] + [250] * len(rcpts) + [354], replies)
        c.send(content + b".\r\n")
        return c.smtp_reply()

    def set_smtp(self, doc, marker_size):
        """Sets smtp settings (a JSON object) live, with max_message_size marker_size beside
        them, and waits until a new session's EHLO advertises that size: the document is
        one snapshot, so the other keys are in effect too."""
        patch = dict(doc, max_message_size=marker_size)
        rc, _, err = self.d.cli("setting", "set", "smtp", json.dumps(patch))
        self.assertEqual(rc, 0, err)
        pbtest.wait_until(lambda: self.ehlo_size() == str(marker_size), timeout=10,
                          interval=0.05, what="smtp settings in effect")

    def ehlo_size(self):
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=30)
        try:
            s.ehlo("t")
            return s.esmtp_features.get("size")
        finally:
            s.quit()

    def assert_barrier_only(self, user, barrier_user="carol"):
        """Sends a good message to barrier_user and checks user got nothing meanwhile."""
        s = self.smtp()
        s.sendmail("sender@example.org", [self.addr(barrier_user)], message(b"barrier", [b"x"]))
        s.quit()
        self.wait_counts({barrier_user: 1})
        self.assertEqual(self.counts()[user], 0)


# ---- SMTP: delivery -------------------------------------------------------------------------

class SmtpDelivery(MailCase):
    def test_single_recipient(self):
        msg = message(b"single", [b"Hello alice.", b"", b"Bye."])
        s = self.smtp()
        self.assertEqual(s.sendmail("sender@example.org", [self.addr("alice")], msg), {})
        s.quit()
        self.wait_counts({"alice": 1, "bob": 0, "carol": 0})
        [stored] = self.retr_all("alice")
        trace, content = split_trace(stored)
        self.assertEqual(content, msg)
        self.assertTrue(trace.startswith(b"Return-Path: <sender@example.org>\r\n"), trace)
        self.assertIn(b"for <%s>" % self.addr("alice").encode(), trace)

    def test_submission_port_delivers_too(self):
        msg = message(b"submission", [b"via 587"])
        s = self.smtp(self.d.ports["submission"])
        s.ehlo("client.example.org")
        with self.assertRaises(smtplib.SMTPSenderRefused) as e:  # AUTH before MAIL on 587
            s.sendmail("sender@example.org", [self.addr("bob")], msg)
        self.assertEqual(e.exception.smtp_code, 530)
        s.login("bob", self.passwords["bob"])  # loopback: PLAIN allowed in clear
        self.assertEqual(s.sendmail(self.addr("bob"), [self.addr("bob")], msg), {})  # his own
        s.quit()
        self.wait_counts({"bob": 1})
        self.assertEqual(self.contents("bob"), [msg])

    def test_null_sender(self):
        msg = message(b"bounce", [b"a delivery status notification"])
        s = self.smtp()
        self.assertEqual(s.sendmail("<>", [self.addr("alice")], msg), {})
        self.wait_counts({"alice": 1})
        self.assertTrue(self.retr_all("alice")[0].startswith(b"Return-Path: <>\r\n"))

    def test_several_recipients_each_get_it(self):
        msg = message(b"multi", [b"to three people"])
        s = self.smtp()
        rcpts = [self.addr(u) for u, _ in USERS]
        self.assertEqual(s.sendmail("sender@example.org", rcpts, msg), {})
        s.quit()
        self.wait_counts({u: 1 for u, _ in USERS})
        for u, _ in USERS:
            self.assertEqual(self.contents(u), [msg])

    def test_same_user_twice_delivered_once(self):
        msg = message(b"dup", [b"one copy only"])
        s = self.smtp()
        rcpts = [self.addr("alice"), "ALICE@" + self.domain.upper(), self.addr("bob")]
        self.assertEqual(s.sendmail("sender@example.org", rcpts, msg), {})
        # a second message is the barrier: once it is in, the first was delivered
        s.sendmail("sender@example.org", [self.addr("alice")], message(b"barrier", [b"x"]))
        s.quit()
        self.wait_counts({"alice": 2, "bob": 1})
        self.assertEqual(self.contents("alice")[0], msg)

    def test_body_stored_once_for_several_recipients(self):
        # 5 MB of incompressible content for three users: one copy on disk, not three
        body = base64.encodebytes(random.Random(7).randbytes(3_800_000)).replace(b"\n", b"\r\n")
        msg = message(b"big multi", [body])
        before = du(self.d.data_dir)
        s = self.smtp()
        self.assertEqual(s.sendmail("sender@example.org", [self.addr(u) for u, _ in USERS], msg), {})
        s.quit()
        counts = self.wait_counts({u: 1 for u, _ in USERS})
        grown = du(self.d.data_dir) - before
        self.assertEqual(counts["alice"][1], counts["bob"][1])
        self.assertLess(grown, 2.5 * len(msg), "data dir grew %d for a %d-octet body" % (grown, len(msg)))
        self.assertEqual(self.contents("carol"), [msg])

    def test_20mb_message_byte_exact(self):
        rng = random.Random(20)
        raw = base64.b64encode(rng.randbytes(15_500_000))
        lines, pos = [], 0
        while pos < len(raw):
            n = rng.choice([0, 1, 76, 500, 998])
            line = raw[pos:pos + n]
            pos += n
            if rng.random() < 0.05:
                line = b"." + line[:997]  # dot-stuffed on the wire, unstuffed in the store
            lines.append(line)
        lines += [b".", b"..", b". "]
        msg = message(b"twenty megabytes", lines)
        self.assertGreater(len(msg), 20_000_000)
        s = self.smtp()
        self.assertEqual(s.sendmail("sender@example.org", [self.addr("alice")], msg), {})
        s.quit()
        self.wait_counts({"alice": 1})
        [stored] = self.retr_all("alice")
        self.assertTrue(split_trace(stored)[1] == msg, "20 MB message not byte-exact")

    def test_8bitmime_and_smtputf8(self):
        msg = ("From: Jörg Müller <jörg@exämple.org>\r\nTo: alice\r\nSubject: Grüße, 你好\r\n"
               "\r\nÄÖÜ äöü ß — € 😀\r\n").encode() + b"latin-1 \xe9\xe8 raw octets\r\n"
        s = self.smtp()
        s.ehlo()
        for ext in ("smtputf8", "8bitmime", "pipelining", "enhancedstatuscodes", "chunking", "vrfy"):
            self.assertTrue(s.has_extn(ext), ext)
        self.assertEqual(s.esmtp_features["size"], str(MAX_SIZE))
        self.assertEqual(s.sendmail("jörg@exämple.org", [self.addr("alice")], msg,
                                    mail_options=["SMTPUTF8", "BODY=8BITMIME"]), {})
        self.assertEqual(s.sendmail("plain@example.org", [self.addr("bob")], msg,
                                    mail_options=["BODY=8BITMIME"]), {})
        s.quit()
        self.wait_counts({"alice": 1, "bob": 1})
        [stored] = self.retr_all("alice")
        trace, content = split_trace(stored)
        self.assertEqual(content, msg)
        self.assertTrue(trace.startswith("Return-Path: <jörg@exämple.org>\r\n".encode()), trace)
        self.assertIn(b"UTF8SMTP", trace)
        self.assertEqual(self.contents("bob"), [msg])

    def test_utf8_address_needs_smtputf8(self):
        c = self.raw_smtp()
        c.send("MAIL FROM:<jörg@exämple.org>\r\n".encode())
        code, text = c.smtp_reply()
        self.assertEqual(code, 553, text)
        self.assertTrue(text.startswith(b"5.6.7"), text)
        c.send("MAIL FROM:<jörg@exämple.org> SMTPUTF8\r\n".encode())
        self.assertEqual(c.smtp_reply()[0], 250)

    def test_bdat_chunks(self):
        c = self.raw_smtp()
        c.send(b"MAIL FROM:<sender@example.org> BODY=8BITMIME\r\nRCPT TO:<%s>\r\n"
               % self.addr("alice").encode())
        self.assertEqual([r[0] for r in c.smtp_replies(2)], [250, 250])
        # the chunks: a CR LF split over a chunk boundary, a "." line and "\r\n.\r\n" that
        # mean nothing in BDAT, an empty LAST chunk
        chunks = [b"Subject: chunked\r\n\r\nfirst line\r", b"\n.\r\nsecond\r\n.\r\n",
                  (b"x" * 998 + b"\r\n") * 70, b"last line\r\n", b""]
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            c.send(b"BDAT %d%s\r\n" % (len(chunk), b" LAST" if last else b"") + chunk)
            code, text = c.smtp_reply()
            self.assertEqual(code, 250, text)
            if last:
                self.assertIn(b"queued", text)
        self.wait_counts({"alice": 1})
        self.assertEqual(self.contents("alice"), [b"".join(chunks)])

    def test_bdat_pipelined_in_one_write(self):
        body = message(b"pipelined bdat", [b"all in one write", b".", b"end"])
        half = len(body) // 2
        c = self.raw_smtp()
        c.send(b"MAIL FROM:<sender@example.org>\r\nRCPT TO:<%s>\r\nRCPT TO:<%s>\r\n"
               % (self.addr("alice").encode(), self.addr("bob").encode())
               + b"BDAT %d\r\n" % half + body[:half]
               + b"BDAT %d LAST\r\n" % (len(body) - half) + body[half:] + b"QUIT\r\n")
        replies = c.all_smtp_replies()
        self.assertEqual([r[0] for r in replies], [250, 250, 250, 250, 250, 221], replies)
        self.wait_counts({"alice": 1, "bob": 1})
        self.assertEqual(self.contents("bob"), [body])

    def bdat_verdict(self, bad):
        """One BDAT chunk with content bad, then BDAT 0 LAST and QUIT: the replies after
        the first chunk's 250."""
        c = self.raw_smtp()
        c.send(b"MAIL FROM:<sender@example.org>\r\nRCPT TO:<%s>\r\n" % self.addr("bob").encode())
        self.assertEqual([r[0] for r in c.smtp_replies(2)], [250, 250])
        c.send(b"BDAT %d\r\n" % len(bad) + bad)
        self.assertEqual(c.smtp_reply()[0], 250)  # not the end yet: no verdict
        c.send(b"BDAT 0 LAST\r\nQUIT\r\n")
        return c.all_smtp_replies()

    def test_bdat_bare_lf_normalized(self):
        replies = self.bdat_verdict(b"Subject: x\n\nbare\nLF\r\n")
        self.assertEqual([r[0] for r in replies], [250, 221], replies)
        self.wait_counts({"bob": 1})
        self.assertEqual(self.contents("bob"), [b"Subject: x\r\n\r\nbare\r\nLF\r\n"])
        self.set_smtp({"bare_newlines": "reject"}, MAX_SIZE - 1)
        replies = self.bdat_verdict(b"bare\nLF\r\n")
        self.assertEqual([r[0] for r in replies], [550, 221], replies)
        self.assertTrue(replies[0][1].startswith(b"5.5.2"), replies)
        self.assertEqual(self.counts()["bob"], 1)

    def test_bdat_bare_cr_rejected_at_last(self):
        for bad in (b"bare\rCR\r\n", b"ends with CR\r"):
            with self.subTest(bad=bad):
                replies = self.bdat_verdict(bad)
                self.assertEqual([r[0] for r in replies], [550, 221], replies)
                self.assertTrue(replies[0][1].startswith(b"5.5.2"), replies)
        self.assert_barrier_only("bob")

    def test_bdat_without_final_crlf(self):
        # stored with a final CR LF, so POP3's LIST size is what RETR sends
        c = self.raw_smtp()
        chunk = b"Subject: x\r\n\r\nhello"
        c.send(b"MAIL FROM:<sender@example.org>\r\nRCPT TO:<%s>\r\nBDAT %d LAST\r\n"
               % (self.addr("alice").encode(), len(chunk)) + chunk)
        self.assertEqual([r[0] for r in c.smtp_replies(3)], [250, 250, 250])
        self.wait_counts({"alice": 1})
        self.assertEqual(self.contents("alice"), [b"Subject: x\r\n\r\nhello\r\n"])

    def test_big_bdat_pipelined_after_rcpt(self):
        # 5 MB chunk in the same write as MAIL and RCPT: read while the RCPT check is out
        body = b"Subject: big chunk\r\n\r\n" + (b"q" * 998 + b"\r\n") * 5000
        c = self.raw_smtp()
        c.send(b"MAIL FROM:<sender@example.org>\r\nRCPT TO:<%s>\r\nBDAT %d LAST\r\n"
               % (self.addr("alice").encode(), len(body)) + body + b"QUIT\r\n")
        self.assertEqual([r[0] for r in c.all_smtp_replies()], [250, 250, 250, 221])
        self.wait_counts({"alice": 1})
        self.assertEqual(self.contents("alice"), [body])

    def test_sigterm_with_open_sessions(self):
        self.deliver_one("alice")
        c = self.raw_smtp()
        c.send(b"MAIL FROM:<sender@example.org>\r\nRCPT TO:<%s>\r\nDATA\r\n" % self.addr("bob").encode())
        self.assertEqual([r[0] for r in c.smtp_replies(3)], [250, 250, 354])
        c.send(b"Subject: half\r\n\r\nnot finished")
        p = pbtest.RawClient(self.d.ports["pop3"])
        self.addCleanup(p.close)
        p.send(b"USER alice\r\nPASS alicepw1\r\nDELE 1\r\n")
        self.assertEqual([p.line()[:3] for _ in range(4)], [b"+OK"] * 4)
        self.assertEqual(self.d.stop(), 0, getattr(self.d, "last_stderr", ""))
        replies = c.all_smtp_replies()
        self.assertEqual([r[0] for r in replies], [421], replies)
        self.assertTrue(replies[0][1].startswith(b"4.3.2"), replies)
        self.assertTrue(p.line().startswith(b"-ERR"))
        self.assertEqual(p.line(), b"")
        self.d.start()
        counts = self.counts()
        self.assertEqual((counts["alice"], counts["bob"]), (1, 0))  # no QUIT: kept; no end: nothing

    def test_half_close_after_pipelined_quit(self):
        # clients that shut down their side after QUIT still get every answer
        body = b"Subject: half close\r\n\r\nbody\r\n"
        c = self.raw_smtp()
        c.send(b"MAIL FROM:<sender@example.org>\r\nRCPT TO:<%s>\r\nBDAT %d LAST\r\n"
               % (self.addr("alice").encode(), len(body)) + body + b"QUIT\r\n")
        c.sock.shutdown(socket.SHUT_WR)
        self.assertEqual([r[0] for r in c.all_smtp_replies()], [250, 250, 250, 221])
        self.wait_counts({"alice": 1})
        p = pbtest.RawClient(self.d.ports["pop3"])
        self.addCleanup(p.close)
        p.send(b"USER alice\r\nPASS alicepw1\r\nDELE 1\r\nQUIT\r\n")
        p.sock.shutdown(socket.SHUT_WR)
        lines = [p.line() for _ in range(6)]
        self.assertEqual([l[:3] for l in lines], [b"+OK"] * 5 + [b""], lines)
        self.wait_counts({"alice": 0})

    def deliver_one(self, user):
        s = self.smtp()
        s.sendmail("sender@example.org", [self.addr(user)], message(b"one", [b"x"]))
        s.quit()
        self.wait_counts({user: 1})

    def test_data_after_bdat_is_503(self):
        # RFC 3030 2: "If a DATA statement is issued after a BDAT for the current
        # transaction, a 503 "Bad sequence of commands" MUST be issued."
        c = self.raw_smtp()
        c.send(b"MAIL FROM:<sender@example.org>\r\nRCPT TO:<%s>\r\nBDAT 13\r\nfirst chunk\r\n"
               b"DATA\r\n" % self.addr("bob").encode())
        replies = c.smtp_replies(4)
        self.assertEqual([r[0] for r in replies], [250, 250, 250, 503], replies)
        c.send(b"RSET\r\nQUIT\r\n")
        self.assertEqual([r[0] for r in c.all_smtp_replies()], [250, 221])
        self.assert_barrier_only("bob")

    def test_bdat_without_recipients(self):
        c = self.raw_smtp()
        c.send(b"BDAT 5 LAST\r\nhelloRSET\r\n")
        code, text = c.smtp_reply()
        self.assertEqual(code, 503, text)
        self.assertEqual(c.smtp_reply()[0], 250)  # the 5 octets were read as data, not commands

    def test_ack_survives_kill9(self):
        msg = message(b"durable", [b"acknowledged means stored"])
        s = self.smtp()
        self.assertEqual(s.sendmail("sender@example.org", [self.addr("alice"), self.addr("bob")], msg), {})
        self.d.kill9()
        self.d.start()
        self.wait_counts({"alice": 1, "bob": 1})
        self.assertEqual(self.contents("alice"), [msg])
        self.assertEqual(self.contents("bob"), [msg])


def drop(p, reset):
    """Drops a poplib connection without QUIT: a FIN, or (reset) an RST."""
    if reset:
        p.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        p.file.close()
        p.file = None
        p.sock.close()
        p.sock = None
    else:
        p.close()


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.stat(os.path.join(root, f)).st_size
            except FileNotFoundError:
                pass
    return total


# ---- SMTP: errors -----------------------------------------------------------------------------

class SmtpErrors(MailCase):
    def test_unknown_local_user(self):
        s = self.smtp()
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as e:
            s.sendmail("sender@example.org", [self.addr("nobody")], message(b"x", [b"x"]))
        code, text = e.exception.recipients[self.addr("nobody")]
        self.assertEqual(code, 550)
        self.assertTrue(text.startswith(b"5.1.1"), text)
        # one bad recipient among good ones: the good ones get it
        refused = s.sendmail("sender@example.org", [self.addr("nobody"), self.addr("bob")],
                             message(b"y", [b"y"]))
        self.assertEqual(refused[self.addr("nobody")][0], 550)
        self.wait_counts({"bob": 1})
        # the administrator can see why: every refusal is logged with its reason
        pbtest.wait_until(lambda: self.d.log().count("event=rcpt_refused") >= 2,
                          what="the refusals in the log")
        lines = [l for l in self.d.log().splitlines() if "event=rcpt_refused" in l]
        self.assertTrue(all("rcpt=nobody@" in l and "reason=unknown_user" in l
                            and "from=sender@example.org" in l for l in lines), lines)

    def test_relay_denied(self):
        s = self.smtp()
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as e:
            s.sendmail("sender@example.org", ["someone@example.net"], message(b"x", [b"x"]))
        code, text = e.exception.recipients["someone@example.net"]
        self.assertEqual(code, 550)
        self.assertTrue(text.startswith(b"5.7.1"), text)
        self.assertIn(b"Relay access denied", text)

    def test_postmaster_accepted(self):
        # RFC 5321 4.5.1: "RCPT TO:<Postmaster>" MUST be accepted, and postmaster@domain
        # for each local domain (case-insensitive)
        c = self.raw_smtp()
        c.send(b"MAIL FROM:<sender@example.org>\r\nRCPT TO:<Postmaster>\r\n"
               b"RCPT TO:<postmaster@%s>\r\n" % self.domain.encode())
        replies = c.smtp_replies(3)
        self.assertEqual([r[0] for r in replies], [250, 250, 250], replies)
        # both are one recipient (the administrator), delivered once
        before = pbtest.user_counts(self.d)["admin"][0]
        c.send(b"DATA\r\n")
        self.assertEqual(c.smtp_reply()[0], 354)
        c.send(b"Subject: to the postmaster\r\n\r\nhello\r\n.\r\n")
        self.assertEqual(c.smtp_reply()[0], 250)
        pbtest.wait_counts(self.d, {"admin": before + 1})

    def test_vrfy_252(self):
        s = self.smtp()
        s.ehlo()
        for who in ("alice", "nobody"):  # the same answer: no user enumeration
            code, text = s.verify(who)
            self.assertEqual(code, 252, text)

    def test_commands_out_of_order(self):
        c = self.raw_smtp(ehlo=False)
        c.send(b"MAIL FROM:<a@example.org>\r\n")
        self.assertEqual(c.smtp_reply()[0], 503)
        c.send(b"EHLO client.example.org\r\nRCPT TO:<%s>\r\nDATA\r\n" % self.addr("alice").encode())
        self.assertEqual([r[0] for r in c.smtp_replies(3)], [250, 503, 503])
        c.send(b"MAIL FROM:<a@example.org>\r\nMAIL FROM:<a@example.org>\r\nDATA\r\n")
        self.assertEqual([r[0] for r in c.smtp_replies(3)], [250, 503, 554])
        c.send(b"FROB\r\nQUIT\r\n")
        self.assertEqual([r[0] for r in c.all_smtp_replies()], [500, 221])

    def test_command_line_limit_512(self):
        c = self.raw_smtp()
        ok = b"NOOP " + b"x" * (512 - 7) + b"\r\n"
        self.assertEqual(len(ok), 512)
        c.send(ok)
        self.assertEqual(c.smtp_reply()[0], 250)
        c.send(b"NOOP " + b"x" * (512 - 6) + b"\r\n")
        code, text = c.smtp_reply()
        self.assertEqual(code, 500)
        self.assertTrue(text.startswith(b"5.5.6"), text)
        c.send(b"NOOP " + b"y" * 200000 + b"\r\nNOOP\r\n")  # one reply for the huge line
        self.assertEqual([r[0] for r in c.smtp_replies(2)], [500, 250])
        # the session goes on
        reply = self.send_raw_transaction(c, [self.addr("alice")], message(b"after", [b"x"]))
        self.assertEqual(reply[0], 250)

    def test_long_lines_stored_intact(self):
        # HTML mail generators write long lines: 10,000 and 300,000 octets arrive whole
        c = self.raw_smtp()
        rcpt = [self.addr("alice")]
        long1 = message(b"10000", [b"<p>" + b"a" * 9993 + b"</p>", b"after"])
        long2 = message(b"300000", [b"d" * 300000, b"..stuffed"])
        for m in (long1, long2):
            self.assertEqual(self.send_raw_transaction(c, rcpt, m)[0], 250)
        # past smtp.max_line_length (1 MiB by default): 500 naming the limit, nothing stored
        code, text = self.send_raw_transaction(c, rcpt, message(b"2M", [b"e" * (2 << 20)]))
        self.assertEqual(code, 500, text)
        self.assertEqual(text, b"5.5.2 Line too long: the limit is 1048576 octets per line")
        c.send(b"QUIT\r\n")
        self.assertEqual([r[0] for r in c.all_smtp_replies()], [221])
        self.wait_counts({"alice": 2})
        self.addCleanup(setattr, poplib, "_MAXLINE", poplib._MAXLINE)
        poplib._MAXLINE = 1 << 20  # poplib refuses lines over 2048 octets by default
        self.assertEqual(self.contents("alice"), [long1, long2.replace(b"..stuffed", b".stuffed")])

    def test_data_line_limit_1000_when_set(self):
        self.set_smtp({"max_line_length": 1000}, MAX_SIZE - 1)
        c = self.raw_smtp()
        rcpt = [self.addr("alice")]
        line998 = b"a" * 998
        # 1000 octets with CR LF: fine
        self.assertEqual(self.send_raw_transaction(c, rcpt, message(b"998", [line998]))[0], 250)
        # stuffed: 1001 octets on the wire, 1000 once unstuffed: fine
        self.assertEqual(self.send_raw_transaction(c, rcpt, message(b"stuffed", [b".." + b"b" * 997]))[0], 250)
        # 1001 octets: rejected after the end of data, nothing stored, the session goes on
        code, text = self.send_raw_transaction(c, rcpt, message(b"999", [b"c" * 999, b"after"]))
        self.assertEqual(code, 500, text)
        self.assertEqual(text, b"5.5.2 Line too long: the limit is 1000 octets per line")
        code, text = self.send_raw_transaction(c, rcpt, message(b"long", [b"d" * 300000, b"after"]))
        self.assertEqual(code, 500, text)
        c.send(b"QUIT\r\n")
        self.assertEqual([r[0] for r in c.all_smtp_replies()], [221])
        self.wait_counts({"alice": 2})
        self.assertEqual(self.contents("alice"),
                         [message(b"998", [line998]), message(b"stuffed", [b"." + b"b" * 997])])
        pbtest.wait_until(lambda: "reason=line_too_long" in self.d.log(), timeout=10,
                          what="the refusal logged")

    def test_size_param_over_limit(self):
        c = self.raw_smtp()
        c.send(b"MAIL FROM:<a@example.org> SIZE=%d\r\n" % (MAX_SIZE + 1))
        code, text = c.smtp_reply()
        self.assertEqual(code, 552, text)
        self.assertTrue(text.startswith(b"5.3.4"), text)
        c.send(b"MAIL FROM:<a@example.org> SIZE=%d\r\n" % MAX_SIZE)
        self.assertEqual(c.smtp_reply()[0], 250)

    def test_data_over_limit(self):
        c = self.raw_smtp()
        line = b"z" * 998 + b"\r\n"
        content = b"Subject: too big\r\n\r\n" + line * (MAX_SIZE // len(line) + 2)
        self.assertGreater(len(content), MAX_SIZE)
        code, text = self.send_raw_transaction(c, [self.addr("bob")], content)
        self.assertEqual(code, 552, text)
        self.assertTrue(text.startswith(b"5.3.4"), text)
        c.send(b"NOOP\r\n")
        self.assertEqual(c.smtp_reply()[0], 250)
        self.assert_barrier_only("bob")

    def test_bare_lf_normalized_bare_cr_rejected(self):
        c = self.raw_smtp()
        for bad in (b"Subject: x\r\n\r\nbare\rCR\r\n", b"Subject: x\r\n\r\nCR CR LF\r\r\n"):
            with self.subTest(bad=bad):
                code, text = self.send_raw_transaction(c, [self.addr("bob")], bad)
                self.assertEqual(code, 550, text)
                self.assertTrue(text.startswith(b"5.5.2 Bare CR"), text)
        lf = (b"Subject: x\r\n\r\nbare\nLF\r\n", b"Subject: x\nbare in headers\r\n\r\n")
        for m in lf:
            self.assertEqual(self.send_raw_transaction(c, [self.addr("bob")], m)[0], 250)
        c.send(b"QUIT\r\n")
        self.assertEqual([r[0] for r in c.all_smtp_replies()], [221])
        self.wait_counts({"bob": 2})
        self.assertEqual(self.contents("bob"), [m.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                                                for m in lf])

    def test_bare_lf_and_cr_rejected_when_strict(self):
        rc, _, err = self.d.cli("setting", "set", "smtp", '{"bare_newlines": "yes"}')
        self.assertEqual(rc, 1, err)
        self.assertIn("smtp.bare_newlines: expected one of: normalize reject", err)
        self.set_smtp({"bare_newlines": "reject"}, MAX_SIZE - 1)
        c = self.raw_smtp()
        for bad in (b"Subject: x\r\n\r\nbare\nLF\r\n", b"Subject: x\r\n\r\nbare\rCR\r\n",
                    b"Subject: x\r\n\r\nCR CR LF\r\r\n", b"Subject: x\nbare in headers\r\n\r\n"):
            with self.subTest(bad=bad):
                code, text = self.send_raw_transaction(c, [self.addr("bob")], bad)
                self.assertEqual(code, 550, text)
                self.assertEqual(text, b"5.5.2 Bare LF or CR in message is not allowed")
        c.send(b"QUIT\r\n")
        self.assertEqual([r[0] for r in c.all_smtp_replies()], [221])
        self.assert_barrier_only("bob")

    def test_nul_in_data(self):
        c = self.raw_smtp()
        code, text = self.send_raw_transaction(c, [self.addr("bob")],
                                               b"Subject: x\r\n\r\nbefore\0after\r\n")
        self.assertEqual(code, 550, text)
        self.assertTrue(text.startswith(b"5.6.0"), text)
        c.send(b"QUIT\r\n")
        self.assertEqual([r[0] for r in c.all_smtp_replies()], [221])
        self.assert_barrier_only("bob")

    def smuggle(self, fake_end):
        """An outer message to alice with a fake end of data and a smuggled message to bob
        behind it; returns the replies to everything after the 354."""
        smuggled = (b"MAIL FROM:<evil@example.net>\r\nRCPT TO:<%s>\r\nDATA\r\n"
                    b"Subject: smuggled\r\n\r\nsmuggled body" % self.addr("bob").encode())
        c = self.raw_smtp()
        c.send(b"MAIL FROM:<sender@example.org>\r\nRCPT TO:<%s>\r\nDATA\r\n"
               % self.addr("alice").encode())
        self.assertEqual([r[0] for r in c.smtp_replies(3)], [250, 250, 354])
        c.send(b"Subject: outer\r\n\r\nouter body" + fake_end + smuggled + b"\r\n.\r\nQUIT\r\n")
        return c.all_smtp_replies()

    # the fake ends of the SMTP smuggling research (and "\n.\n" variants in other places)
    FAKE_ENDS = (b"\n.\n", b"\r.\r", b"\r\n.\n", b"\n.\r\n", b"\r\n\n.\n", b"\n.\n\n",
                 b"\n..\n", b"\r\n.\r\r\n")

    def test_smuggling_bare_terminators(self):
        # normalize (the default): one message; a bare LF makes content, a bare CR refuses
        accepted = 0
        for fake_end in self.FAKE_ENDS:
            with self.subTest(fake_end=fake_end):
                replies = self.smuggle(fake_end)
                bare_cr = b"\r" in fake_end.replace(b"\r\n", b"")
                # one verdict for one message: the fake end did not end the data
                self.assertEqual([r[0] for r in replies], [550 if bare_cr else 250, 221], replies)
                accepted += not bare_cr
        self.wait_counts({"alice": accepted})
        for stored in self.contents("alice"):
            self.assertTrue(stored.startswith(b"Subject: outer\r\n\r\nouter body\r\n"), stored)
            self.assertIn(b"\r\nMAIL FROM:<evil@example.net>\r\n", stored)
            self.assertNotIn(b"\n", stored.replace(b"\r\n", b""))
        self.assert_barrier_only("bob")

    def test_smuggling_bare_terminators_when_strict(self):
        self.set_smtp({"bare_newlines": "reject"}, MAX_SIZE - 1)
        for fake_end in self.FAKE_ENDS:
            with self.subTest(fake_end=fake_end):
                replies = self.smuggle(fake_end)
                self.assertEqual([r[0] for r in replies], [550, 221], replies)
                self.assertTrue(replies[0][1].startswith(b"5.5.2"), replies)
        self.assert_barrier_only("bob")
        self.assertEqual(self.counts()["alice"], 0)


class UnixLineEnds(MailCase):
    def test_smtplib_sendmail_bytes_with_bare_lf(self):
        # smtplib sends bytes as they are (a dot after a bare LF doubled): stored with CR LF,
        # read back over POP3 with CR LF, the dotted line intact
        unix = b"From: sender@example.org\nSubject: bytes\n\nfirst\n.dotted\n..two dots\nlast"
        s = self.smtp()
        self.assertEqual(s.sendmail("sender@example.org", [self.addr("alice")], unix), {})
        s.quit()
        self.wait_counts({"alice": 1})
        p = self.pop("alice")
        _, lines, _ = p.retr(1)
        p.quit()
        self.assertEqual(split_trace(b"\r\n".join(lines) + b"\r\n")[1],
                         unix.replace(b"\n", b"\r\n") + b"\r\n")
        self.assertEqual(self.contents("alice"), [unix.replace(b"\n", b"\r\n") + b"\r\n"])


class ManyRecipients(unittest.TestCase):
    """One daemon with 101 users for the recipient-count tests."""

    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        try:
            cls.d.start()
            cls.domain = cls.d.cli("domain", "list")[1].split()[0]
            cls.names = ["user%03d" % i for i in range(101)]
            pbtest.bulk_add_users(cls.d, [(n, "password%d" % i) for i, n in enumerate(cls.names)])
        except Exception:
            cls.d.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            alive = cls.d.proc.poll() is None
            rc = cls.d.stop()
            err = getattr(cls.d, "last_stderr", "")
            if not alive or rc != 0 or "Sanitizer" in err or "runtime error" in err:
                raise AssertionError("daemon did not stop cleanly: rc=%r %s" % (rc, err[-3000:]))
        finally:
            cls.d.cleanup()

    def counts(self):
        return {u: n for u, (n, _) in pbtest.user_counts(self.d).items()}

    def raw(self):
        c = pbtest.RawClient(self.d.ports["smtp"])
        self.addCleanup(c.close)
        c.send(b"EHLO client.example.org\r\n")
        self.assertEqual([r[0] for r in c.smtp_replies(2)], [220, 250])
        return c

    def rcpt_lines(self, names):
        return b"".join(b"RCPT TO:<%s@%s>\r\n" % (n.encode(), self.domain.encode()) for n in names)

    def test_pipelined_50_recipients(self):
        before = self.counts()
        names = self.names[:50]
        c = self.raw()
        # every command of the transaction in one write, then the content
        c.send(b"MAIL FROM:<sender@example.org>\r\n" + self.rcpt_lines(names) + b"DATA\r\n")
        replies = c.smtp_replies(52)
        self.assertEqual([r[0] for r in replies], [250] + [250] * 50 + [354], replies)
        c.send(message(b"fifty", [b"pipelined"]) + b".\r\nQUIT\r\n")
        self.assertEqual([r[0] for r in c.all_smtp_replies()], [250, 221])
        pbtest.wait_counts(self.d, {n: before[n] + 1 for n in names})
        self.assertEqual(self.counts()["user050"], before["user050"])

    def test_pipelined_replies_in_order(self):
        before = self.counts()
        cmds = (b"MAIL FROM:<sender@example.org>\r\n" + self.rcpt_lines(["user060"])
                + b"RCPT TO:<nobody@%s>\r\n" % self.domain.encode()
                + self.rcpt_lines(["user061"]) + b"RCPT TO:<x@example.net>\r\n"
                + b"VRFY user062\r\n" + self.rcpt_lines(["user062"]) + b"NOOP\r\nDATA\r\n")
        c = self.raw()
        c.send(cmds)
        replies = c.smtp_replies(9)
        self.assertEqual([r[0] for r in replies], [250, 250, 550, 250, 550, 252, 250, 250, 354], replies)
        self.assertTrue(replies[2][1].startswith(b"5.1.1"), replies)
        self.assertTrue(replies[4][1].startswith(b"5.7.1"), replies)
        c.send(message(b"mixed", [b"x"]) + b".\r\n")
        self.assertEqual(c.smtp_reply()[0], 250)
        pbtest.wait_counts(self.d, {n: before[n] + 1 for n in ("user060", "user061", "user062")})

    def test_too_many_recipients(self):
        before = self.counts()
        c = self.raw()
        c.send(b"MAIL FROM:<sender@example.org>\r\n" + self.rcpt_lines(self.names) + b"DATA\r\n")
        replies = c.smtp_replies(103)
        self.assertEqual([r[0] for r in replies], [250] + [250] * 100 + [452, 354], replies[-3:])
        self.assertTrue(replies[101][1].startswith(b"4.5.3"), replies[101])
        c.send(message(b"hundred", [b"x"]) + b".\r\n")
        self.assertEqual(c.smtp_reply()[0], 250)
        pbtest.wait_counts(self.d, {n: before[n] + 1 for n in self.names[:100]})
        self.assertEqual(self.counts()["user100"], before["user100"])


# ---- POP3 -------------------------------------------------------------------------------------

class Pop3(MailCase):
    def deliver(self, user, msgs):
        s = self.smtp()
        for m in msgs:
            self.assertEqual(s.sendmail("sender@example.org", [self.addr(user)], m), {})
        s.quit()
        self.wait_counts({user: len(msgs)})

    def test_stat_list_uidl_retr(self):
        msgs = [message(b"m%d" % i, [b"body %d" % i, b"x" * (100 * i)]) for i in range(3)]
        self.deliver("alice", msgs)
        p = self.pop("alice")
        n, total = p.stat()
        self.assertEqual(n, 3)
        _, listing, _ = p.list()
        sizes = [int(line.split()[1]) for line in listing]
        self.assertEqual([int(line.split()[0]) for line in listing], [1, 2, 3])
        self.assertEqual(sum(sizes), total)
        _, uidls, _ = p.uidl()
        uids = [line.split()[1] for line in uidls]
        self.assertEqual(len(set(uids)), 3)
        self.assertEqual(p.uidl(2).split()[2], uids[1])
        for i, m in enumerate(msgs):
            _, lines, _ = p.retr(i + 1)
            stored = b"\r\n".join(lines) + b"\r\n"
            self.assertEqual(len(stored), sizes[i])
            self.assertEqual(split_trace(stored)[1], m)
        with self.assertRaises(poplib.error_proto):
            p.retr(4)
        with self.assertRaises(poplib.error_proto):
            p.retr(0)
        self.assertTrue(p.noop().startswith(b"+OK"))
        self.assertTrue(p.quit().startswith(b"+OK"))
        self.assertEqual(self.counts()["alice"], 3)

    def test_pipelined_retr_waits_for_the_reader(self):
        # A client that pipelines many RETRs and reads nothing must not make the server
        # buffer every answer (a few octets in, megabytes out each): the session stops at
        # the output high-water mark and goes on as the client reads.
        msg = message(b"big", [b"r" * 998] * 1000)
        self.deliver("alice", [msg])
        n = 60  # 60 MB of answers: far more than the socket buffers and NET_OUT_HIGH
        c = pbtest.RawClient(self.d.ports["pop3"])
        self.addCleanup(c.close)
        c.send(b"USER alice\r\nPASS alicepw1\r\n" + b"RETR 1\r\n" * n + b"DELE 1\r\nQUIT\r\n")
        # The QUIT after the RETRs must not run while their answers are unread
        with self.assertRaises(TimeoutError, msg="the server ran QUIT before the client read"):
            pbtest.wait_until(lambda: self.counts()["alice"] == 0, timeout=3, interval=0.1,
                              what="expunge by the pipelined QUIT")
        self.assertEqual(c.line(), b"+OK Pillarbox POP3 server ready")
        self.assertEqual(c.line(), b"+OK")
        self.assertTrue(c.line().startswith(b"+OK Logged in"))
        for i in range(n):
            self.assertTrue(c.line().startswith(b"+OK"), "RETR %d" % i)
            lines = []
            while True:
                line = c.line()
                if line == b".":
                    break
                lines.append(line)
            self.assertEqual(split_trace(b"\r\n".join(lines) + b"\r\n")[1], msg)
        self.assertEqual(c.line(), b"+OK Marked to be deleted")
        self.assertEqual(c.line(), b"+OK Bye")
        self.wait_counts({"alice": 0})

    def test_delivery_during_a_session(self):
        self.deliver("alice", [message(b"first", [b"x"])])
        p = self.pop("alice")
        s = self.smtp()
        s.sendmail("sender@example.org", [self.addr("alice")], message(b"second", [b"y"]))
        s.quit()
        self.wait_counts({"alice": 2})  # the maildrop lock does not stop delivery
        self.assertEqual(p.stat()[0], 1)  # the session keeps the listing it started with
        p.dele(1)
        p.quit()
        self.wait_counts({"alice": 1})
        self.assertEqual(self.contents("alice"), [message(b"second", [b"y"])])

    def test_capa(self):
        p = self.pop("alice")
        capa = p.capa()
        for cap in ("TOP", "USER", "UIDL", "RESP-CODES", "PIPELINING"):
            self.assertIn(cap, capa)

    def test_retr_byte_stuffing_on_the_wire(self):
        body = [b".", b"..", b".starts with a dot", b"ends with a dot.", b"", b"last"]
        msg = message(b"dots", body)
        self.deliver("alice", [msg])
        c = pbtest.RawClient(self.d.ports["pop3"])
        self.addCleanup(c.close)
        c.send(b"USER alice\r\nPASS alicepw1\r\nRETR 1\r\n")
        for _ in range(3):
            self.assertTrue(c.line().startswith(b"+OK"))
        wire = []
        while True:
            line = c.line()
            if line == b".":
                break
            wire.append(line)
        stuffed = [b"." + l if l.startswith(b".") else l for l in msg.split(b"\r\n")[:-1]]
        self.assertEqual(wire[-len(stuffed):], stuffed)
        c.send(b"QUIT\r\n")
        self.assertTrue(c.line().startswith(b"+OK"))

    def test_top(self):
        msg = message(b"top", [b"b1", b".b2", b"b3", b"b4"])
        self.deliver("alice", [msg])
        p = self.pop("alice")
        _, full, _ = p.retr(1)
        head_len = full.index(b"") + 1  # up to the empty line
        _, lines, _ = p.top(1, 0)
        self.assertEqual(lines, full[:head_len])
        _, lines, _ = p.top(1, 2)
        self.assertEqual(lines, full[:head_len] + [b"b1", b".b2"])
        _, lines, _ = p.top(1, 100)
        self.assertEqual(lines, full)
        # RFC 1939 allows any non-negative count; one over 31 or 32 bits means all lines.
        for n in (2**31, 2**32, 10**30):
            _, lines, _ = p.top(1, n)
            self.assertEqual(lines, full)

    def test_dele_then_quit_removes(self):
        msgs = [message(b"d%d" % i, [b"x"]) for i in range(3)]
        self.deliver("bob", msgs)
        p = self.pop("bob")
        _, uidls, _ = p.uidl()
        self.assertTrue(p.dele(2).startswith(b"+OK"))
        with self.assertRaises(poplib.error_proto):
            p.dele(2)
        with self.assertRaises(poplib.error_proto):
            p.retr(2)
        self.assertEqual(p.stat()[0], 2)
        self.assertEqual([l.split()[0] for l in p.list()[1]], [b"1", b"3"])
        self.assertEqual(self.counts()["bob"], 3)  # nothing removed before QUIT
        p.quit()
        self.wait_counts({"bob": 2})
        p = self.pop("bob")
        self.assertEqual(p.uidl()[1], [b"1 " + uidls[0].split()[1], b"2 " + uidls[2].split()[1]])
        self.assertEqual([split_trace(b"\r\n".join(p.retr(i)[1]) + b"\r\n")[1] for i in (1, 2)],
                         [msgs[0], msgs[2]])
        p.quit()

    def test_dele_then_drop_keeps(self):
        self.deliver("bob", [message(b"keep", [b"x"]), message(b"keep2", [b"y"])])
        for reset in (False, True):
            with self.subTest(reset=reset):
                p = self.pop("bob")
                p.dele(1)
                p.dele(2)
                drop(p, reset)  # no QUIT
                p = pbtest.wait_until(lambda: self.try_login("bob"), 30,
                                      what="maildrop unlock after drop")
                self.assertEqual(p.stat()[0], 2)
                p.quit()
                self.assertEqual(self.counts()["bob"], 2)

    def try_login(self, user):
        try:
            return self.pop(user)
        except poplib.error_proto as e:
            if b"[IN-USE]" not in e.args[0]:
                raise
            return None

    def test_rset(self):
        self.deliver("carol", [message(b"r", [b"x"])])
        p = self.pop("carol")
        p.dele(1)
        self.assertEqual(p.stat()[0], 0)
        self.assertTrue(p.rset().startswith(b"+OK"))
        self.assertEqual(p.stat()[0], 1)
        p.quit()
        self.assertEqual(self.counts()["carol"], 1)

    def failed_logins(self, pairs):
        """The -ERR answer to PASS for each (user, password) that must not log in."""
        answers = []
        for user, password in pairs:
            p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
            self.addCleanup(p.close)
            p.user(user)  # USER alone reveals nothing
            with self.assertRaises(poplib.error_proto) as e:
                p.pass_(password)
            answers.append(e.exception.args[0])
            p.quit()
        return answers

    def test_auth_failures_answer_alike(self):
        answers = self.failed_logins((("nobody", "whatever1"), ("alice", "wrongpass")))
        self.assertTrue(answers[0].startswith(b"-ERR [AUTH]"), answers)
        self.assertEqual(answers[0], answers[1])
        self.assertTrue(self.pop("alice").stat() is not None)  # the right password still works

    def test_login_with_full_address(self):
        # USER bob@DOMAIN logs in as bob (the domain in any case); an address at a domain that
        # is not local fails exactly as a wrong password does, and the security log says why
        self.deliver("bob", [message(b"full address", [b"hello bob"])])
        p = self.pop("bob@" + self.domain.upper(), "bobpw123")
        self.assertEqual(p.stat()[0], 1)
        self.assertIn(b"Subject: full address", p.retr(1)[1])
        self.assertTrue(p.quit().startswith(b"+OK"))
        answers = self.failed_logins((("bob@other.example", "bobpw123"),
                                      ("bob@" + self.domain, "wrongpw1")))
        self.assertTrue(answers[0].startswith(b"-ERR [AUTH]"), answers)
        self.assertEqual(answers[0], answers[1])
        def security_log():
            with open(os.path.join(self.d.data_dir, "security.log")) as f:
                return f.read()
        pbtest.wait_until(lambda: "reason=not_local_domain" in security_log(),
                          what="the unresolved login logged with its reason")
        self.assertIn("login=bob@other.example", security_log())

    def test_client_text_cannot_forge_log_fields(self):
        # a USER line that looks like more fields, and a JNDI-style string with a space
        for user in ("evil event=login user=admin", "${jndi:ldap://x} a"):
            p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
            self.addCleanup(p.close)
            p.user(user)
            with self.assertRaises(poplib.error_proto):
                p.pass_("x")
            p.quit()
        sec = os.path.join(self.d.data_dir, "security.log")
        pbtest.wait_until(lambda: "jndi" in open(sec).read(), what="the failures logged")
        lines = [l for l in open(sec).read().splitlines() if "login_failed" in l]
        self.assertTrue(any('user="evil event=login user=admin"' in l for l in lines), lines)
        self.assertTrue(any('user="${jndi:ldap://x} a"' in l for l in lines), lines)
        # parsed as a log reader would, each line has exactly one event and one user
        for l in lines:
            fields = [t.split("=", 1) for t in shlex.split(l.split(" ", 1)[1])]
            keys = [k for k, _ in fields]
            self.assertEqual(keys.count("event"), 1, l)
            self.assertEqual(keys.count("user"), 1, l)
            self.assertEqual(dict(fields)["event"], "login_failed", l)
        self.assertTrue(all("reason=bad_credentials" in l for l in lines[-2:]), lines)

    def test_in_use(self):
        first = self.pop("alice")
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
        self.addCleanup(p.close)
        p.user("alice")
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_("alicepw1")
        self.assertTrue(e.exception.args[0].startswith(b"-ERR [IN-USE]"), e.exception.args)
        self.assertTrue(self.pop("bob").quit().startswith(b"+OK"))  # other users are not locked
        first.quit()
        self.assertTrue(self.pop("alice").quit().startswith(b"+OK"))

    def test_uidl_stable_across_restarts(self):
        self.deliver("alice", [message(b"u%d" % i, [b"x"]) for i in range(3)])
        p = self.pop("alice")
        first = p.uidl()[1]
        p.dele(2)
        p.quit()
        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        p = self.pop("alice")
        self.assertEqual(p.uidl()[1], [b"1 " + first[0].split()[1], b"2 " + first[2].split()[1]])
        p.quit()
        self.d.kill9()
        self.d.start()
        s = self.smtp()
        s.sendmail("sender@example.org", [self.addr("alice")], message(b"new", [b"x"]))
        s.quit()
        self.wait_counts({"alice": 3})
        p = self.pop("alice")
        after = p.uidl()[1]
        self.assertEqual(after[:2], [b"1 " + first[0].split()[1], b"2 " + first[2].split()[1]])
        old = {l.split()[1] for l in first}
        self.assertNotIn(after[2].split()[1], old)  # a deleted message's UIDL is not reused


# ---- other clients ----------------------------------------------------------------------------

def run_tool(args, timeout=120, **kw):
    return subprocess.run(args, capture_output=True, timeout=timeout, **kw)


class Curl(MailCase):
    def test_smtp_upload_and_pop3_retr_and_list(self):
        msg = message(b"curl", [b"sent by curl", b".dotted line", b"end"])
        path = os.path.join(self.d.tmp, "msg.eml")
        with open(path, "wb") as f:
            f.write(msg)
        p = run_tool(["curl", "-sS", "smtp://127.0.0.1:%d" % self.d.ports["smtp"],
                      "--mail-from", "sender@example.org", "--mail-rcpt", self.addr("alice"),
                      "--mail-rcpt", self.addr("bob"), "-T", path])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.wait_counts({"alice": 1, "bob": 1})
        url = "pop3://alice:alicepw1@127.0.0.1:%d/" % self.d.ports["pop3"]
        p = run_tool(["curl", "-sS", url + "1"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(split_trace(p.stdout)[1], msg)
        p = run_tool(["curl", "-sS", url])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"1 %d\r\n" % len(self.retr_all("alice")[0]))
        p = run_tool(["curl", "-sS", "pop3://alice:badpass1@127.0.0.1:%d/" % self.d.ports["pop3"]])
        self.assertEqual(p.returncode, 67, p.stderr)  # CURLE_LOGIN_DENIED

    def test_unix_file_upload_arrives_with_crlf(self):
        # a file with Unix line ends, uploaded as it is (no --crlf): stored with CR LF
        unix = b"From: sender@example.org\nSubject: unix file\n\nline one\n\nline three\n"
        path = os.path.join(self.d.tmp, "unix.eml")
        with open(path, "wb") as f:
            f.write(unix)
        p = run_tool(["curl", "-sS", "smtp://127.0.0.1:%d" % self.d.ports["smtp"],
                      "--mail-from", "sender@example.org", "--mail-rcpt", self.addr("alice"),
                      "-T", path])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.wait_counts({"alice": 1})
        stored = self.contents("alice")[0]
        # curl ends the data with CR LF . CR LF after the file's last LF: one empty line more
        self.assertEqual(stored, unix.replace(b"\n", b"\r\n") + b"\r\n")

    def test_smtp_unknown_recipient_fails(self):
        path = os.path.join(self.d.tmp, "msg.eml")
        with open(path, "wb") as f:
            f.write(message(b"curl", [b"x"]))
        p = run_tool(["curl", "-sS", "smtp://127.0.0.1:%d" % self.d.ports["smtp"],
                      "--mail-from", "sender@example.org", "--mail-rcpt", self.addr("nobody"),
                      "-T", path])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"550", p.stderr)


class Swaks(MailCase):
    def swaks(self, *extra):
        return run_tool(["swaks", "--server", "127.0.0.1:%d" % self.d.ports["smtp"],
                         "--helo", "client.example.org", "--from", "sender@example.org",
                         "--timeout", "60"] + list(extra))

    def test_plain_and_pipelined(self):
        p = self.swaks("--to", self.addr("alice"), "--header", "Subject: swaks plain",
                       "--body", "plain body")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(b"250 2.0.0 Ok: queued", p.stdout)
        p = self.swaks("--pipeline", "--to", "%s,%s" % (self.addr("alice"), self.addr("bob")),
                       "--header", "Subject: swaks pipelined", "--body", "pipelined body")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(b"PIPELINING", p.stdout)
        self.wait_counts({"alice": 2, "bob": 1})
        alice = self.contents("alice")
        self.assertIn(b"Subject: swaks plain\r\n", alice[0])
        self.assertIn(b"\r\n\r\nplain body\r\n", alice[0])
        self.assertIn(b"Subject: swaks pipelined\r\n", alice[1])
        self.assertEqual(self.contents("bob"), [alice[1]])

    def test_unknown_recipient_fails(self):
        p = self.swaks("--to", self.addr("nobody"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"550 5.1.1", p.stdout)
        p = self.swaks("--pipeline", "--to", "someone@example.net")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"550 5.7.1", p.stdout)


class Fetchmail(MailCase):
    def fetchmail(self, *extra, user="alice"):
        p = pbtest.fetchmail(os.path.join(self.d.tmp, "fetchmail"), self.d.ports["pop3"], user,
                             "alicepw1", "sslproto '' no sslcertck mda \"cat >> %s\"" % self.mbox,
                             extra)
        p.stdout, p.stderr = p.stdout.decode(), p.stderr.decode()  # as run_tool(text=True)
        return p

    def test_keep_then_fetch(self):
        self.mbox = os.path.join(self.d.tmp, "mbox")
        s = self.smtp()
        for i in range(3):
            s.sendmail("sender@example.org", [self.addr("alice")],
                       message(b"fetch %d" % i, [b"body %d" % i, b".dot"],
                               [b"Message-ID: <fetch%d@example.org>" % i]))
        s.quit()
        self.wait_counts({"alice": 3})
        p = self.fetchmail("--keep")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(self.mbox, "rb") as f:
            got = f.read()
        for i in range(3):
            self.assertEqual(got.count(b"Message-ID: <fetch%d@example.org>" % i), 1)
        self.assertIn(b"\n.dot\n", got)
        self.assertEqual(self.counts()["alice"], 3)  # kept
        os.remove(self.mbox)
        p = self.fetchmail("--all")  # without --keep: download and delete
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(self.mbox, "rb") as f:
            got = f.read()
        for i in range(3):
            self.assertEqual(got.count(b"Message-ID: <fetch%d@example.org>" % i), 1)
        self.wait_counts({"alice": 0})
        p = self.fetchmail()
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)  # 1: no mail


    def test_full_address_login(self):
        # fetchmail's user "alice@domain": the full address logs in as alice
        self.mbox = os.path.join(self.d.tmp, "mbox")
        s = self.smtp()
        s.sendmail("sender@example.org", [self.addr("alice")],
                   message(b"by address", [b"body"], [b"Message-ID: <byaddr@example.org>"]))
        s.quit()
        self.wait_counts({"alice": 1})
        p = self.fetchmail("--keep", user=self.addr("alice"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(self.mbox, "rb") as f:
            self.assertEqual(f.read().count(b"Message-ID: <byaddr@example.org>"), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
