"""End to end: nothing acknowledged is ever lost, nothing is stored twice (issue 3, item 5).

Eight SMTP clients send messages with unique Message-IDs to 1-3 local users each while the
daemon is killed with SIGKILL at random moments (five rounds, a restart after each). Every
message's fate as the client saw it is recorded:
  acked    - the client got 250 after its data: must be in every recipient's mailbox once;
  maybe    - DATA was sent but no final 250 came (killed meanwhile, or a 4xx): may be there,
             but then in every recipient's mailbox, once, whole;
  not sent - the transaction broke before DATA: must not be anywhere.
At the end the daemon is restarted, the spool drains (per-user counts reach at least the
acknowledged ones and stay put), it is stopped cleanly and started again, and every mailbox
is downloaded over POP3 and checked message by message (Message-ID and SHA-256 of the content).

PB_CRASH_SEED=n repeats a run; the seed is printed.
"""
import base64
import hashlib
import os
import poplib
import random
import smtplib
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402

ROUNDS = int(os.environ.get("PB_CRASH_ROUNDS", "8"))
THREADS = 8
USERS = ["crash%d" % i for i in range(6)]


def password(user):
    return user + "pw1"


class Ledger:
    """What the clients saw, message by message (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.msgs = {}  # Message-ID -> dict(rcpts, sha, state, reply)
        self.acked_now = 0

    def add(self, mid, rcpts, sha):
        with self.lock:
            self.msgs[mid] = {"rcpts": rcpts, "sha": sha, "state": "not sent", "reply": None}

    def set(self, mid, state, reply=None):
        with self.lock:
            self.msgs[mid]["state"] = state
            self.msgs[mid]["reply"] = reply
            if state == "acked":
                self.acked_now += 1

    def take_acked_count(self):
        with self.lock:
            n, self.acked_now = self.acked_now, 0
            return n

    def acked(self):
        with self.lock:
            return self.acked_now


def make_content(rng, mid, subject):
    r = rng.random()
    n = rng.randint(1, 20) if r < 0.88 else rng.randint(1000, 3000) if r < 0.98 else 15000
    body = base64.encodebytes(rng.randbytes(57 * n)).replace(b"\n", b"\r\n")
    lines = body.split(b"\r\n")
    for i in range(0, len(lines), 7):
        lines[i] = b"." + lines[i]  # dot-stuffed on the wire
    return (b"Message-ID: " + mid.encode() + b"\r\nSubject: " + subject.encode()
            + b"\r\nFrom: crash@example.org\r\n\r\n" + b"\r\n".join(lines) + b"\r\n")


def client(port, domain, rng, ledger, stop, round_no, thread_no):
    """Sends until stop is set; a broken connection is reopened (unless stop is set)."""
    seq = 0
    while not stop.is_set():
        try:
            s = smtplib.SMTP("127.0.0.1", port, timeout=15)
        except (smtplib.SMTPException, OSError):
            stop.wait(0.05)  # the daemon is gone: wait for the round to end
            continue
        try:
            s.ehlo("crash-client.example.org")
            for _ in range(rng.randint(1, 20)):
                if stop.is_set():
                    break
                seq += 1
                send_one(s, domain, rng, ledger, "<r%d.t%d.%d@crash.test>" % (round_no, thread_no, seq))
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            s.close()


def send_one(s, domain, rng, ledger, mid):
    rcpts = rng.sample(USERS, rng.randint(1, 3))
    content = make_content(rng, mid, "crash " + mid)
    ledger.add(mid, rcpts, hashlib.sha256(content).hexdigest())
    code, _ = s.mail("crash@example.org")
    if code != 250:
        raise smtplib.SMTPException("MAIL %d" % code)
    for r in rcpts:
        code, _ = s.rcpt("%s@%s" % (r, domain))
        if code != 250:
            raise smtplib.SMTPException("RCPT %d" % code)
    ledger.set(mid, "maybe")  # from now on the server may store it
    try:
        code, text = s.data(content)
    except smtplib.SMTPDataError as e:  # a reply other than 354 to DATA itself
        ledger.set(mid, "maybe", (e.smtp_code, e.smtp_error))
        raise
    ledger.set(mid, "acked" if code == 250 else "maybe", (code, text))
    if code != 250:
        s.rset()


def download(d, user):
    """Every message of user's maildrop: [(message_id, sha256 of content, trace_ok)]."""
    p = poplib.POP3("127.0.0.1", d.ports["pop3"], timeout=120)
    try:
        p.user(user)
        p.pass_(password(user))
        out = []
        for i in range(1, p.stat()[0] + 1):
            _, lines, _ = p.retr(i)
            trace_ok = lines[0].startswith(b"Return-Path: <") and lines[1].startswith(b"Received: ")
            n = 2
            while n < len(lines) and lines[n][:1] in (b"\t", b" "):
                n += 1
            content = b"\r\n".join(lines[n:]) + b"\r\n"
            mid = None
            for line in lines[n:]:
                if line == b"":
                    break
                if line.lower().startswith(b"message-id: "):
                    mid = line[12:].decode()
            out.append((mid, hashlib.sha256(content).hexdigest(), trace_ok))
        p.quit()
        return out
    finally:
        p.close()


class Crash(unittest.TestCase):
    def setUp(self):
        self.seed = int(os.environ.get("PB_CRASH_SEED", random.randrange(1 << 30)))
        print("\ntest_crash: PB_CRASH_SEED=%d" % self.seed, flush=True)
        self.rng = random.Random(self.seed)
        self.d = pbtest.Daemon()
        self.addCleanup(self.d.cleanup)

    def start_checked(self, what):
        """Starts the daemon (bounded wait for "ready") and checks the store answers."""
        self.d.start()
        rc, out, err = self.d.cli("status")
        self.assertEqual(rc, 0, "%s: status failed: %s" % (what, err))
        self.assertEqual(set(USERS) - set(self.d.users()), set(), what)

    def run_round(self, ledger, round_no):
        self.start_checked("start before round %d" % round_no)
        # sometimes a kill right after the start, while the spool replays the last round
        target = self.rng.randint(0, 5) if self.rng.random() < 0.3 else self.rng.randint(30, 400)
        stop = threading.Event()
        threads = [threading.Thread(target=client, daemon=True, args=(
            self.d.ports["smtp"], self.domain, random.Random(self.rng.random()), ledger, stop,
            round_no, t)) for t in range(THREADS)]
        ledger.take_acked_count()
        for t in threads:
            t.start()
        try:
            pbtest.wait_until(lambda: ledger.acked() >= target, timeout=90, interval=0.005,
                              what="%d acknowledged messages in round %d" % (target, round_no))
        finally:
            self.d.kill9()
            stop.set()
            for t in threads:
                t.join(60)
        self.assertFalse(any(t.is_alive() for t in threads), "a client thread hung")
        return ledger.take_acked_count()

    def wait_drained(self, ledger):
        """Waits until each user has at least its acknowledged messages and the counts stay
        the same for 2 s (the spool has nothing left to deliver); returns the counts."""
        need = {u: 0 for u in USERS}
        for m in ledger.msgs.values():
            if m["state"] == "acked":
                for r in m["rcpts"]:
                    need[r] += 1
        state = {"counts": None, "since": time.monotonic()}

        def settled():
            counts = {u: n for u, (n, _) in pbtest.user_counts(self.d).items() if u in need}
            if counts != state["counts"]:
                state["counts"], state["since"] = counts, time.monotonic()
            return (all(counts.get(u, 0) >= n for u, n in need.items())
                    and time.monotonic() - state["since"] >= 2.0)
        try:
            pbtest.wait_until(settled, timeout=120, interval=0.1, what="the spool to drain")
        except TimeoutError:
            raise AssertionError("spool did not drain: have %r, acknowledged %r"
                                 % (state["counts"], need))
        return state["counts"]

    def test_kill9_while_sending(self):
        t0 = time.monotonic()
        self.d.start()
        self.domain = self.d.cli("domain", "list")[1].split()[0]
        pbtest.bulk_add_users(self.d, [(u, password(u)) for u in USERS])
        self.d.kill9()
        ledger = Ledger()
        for round_no in range(ROUNDS):
            acked = self.run_round(ledger, round_no)
            print("round %d: %d acknowledged, killed" % (round_no, acked), flush=True)
        self.start_checked("restart after the last kill")
        self.wait_drained(ledger)
        self.assertEqual(self.d.stop(), 0, getattr(self.d, "last_stderr", ""))
        self.start_checked("clean restart")
        counts = self.wait_drained(ledger)
        mailboxes = {u: download(self.d, u) for u in USERS}
        self.assertEqual({u: len(m) for u, m in mailboxes.items()}, counts)
        problems = check(ledger, mailboxes)
        states = {}
        for m in ledger.msgs.values():
            states[m["state"]] = states.get(m["state"], 0) + 1
        stored = {mid for msgs in mailboxes.values() for mid, _, _ in msgs}
        states["maybe, stored"] = sum(1 for mid, m in ledger.msgs.items()
                                      if m["state"] == "maybe" and mid in stored)
        odd = [(mid, m["reply"]) for mid, m in ledger.msgs.items() if m["reply"] and m["state"] != "acked"]
        print("messages by client state: %r; stored per user: %r; non-250 replies: %r; %.1f s"
              % (states, counts, odd[:5], time.monotonic() - t0), flush=True)
        self.assertEqual(problems, [], "\n".join(problems[:40]))
        self.assertGreater(states.get("acked", 0), 0)
        self.assertEqual(self.d.stop(), 0, getattr(self.d, "last_stderr", ""))


POP_USERS = ["popper%d" % i for i in range(4)]


class Maildrop:
    """What one POP3 client knows of its maildrop: the UIDLs that must be there, the
    Message-ID behind each, and the deletions whose QUIT got no answer (all or nothing)."""

    def __init__(self, user, uidls, mids):
        self.user = user
        self.present = set(uidls)
        self.mids = mids  # UIDL -> Message-ID
        self.pending = None
        self.problems = []
        self.sessions = 0

    def check_listing(self, listing, when):
        if self.pending:
            if self.pending <= listing:
                pass  # the unanswered QUIT removed nothing
            elif not (self.pending & listing):
                self.present -= self.pending
            else:
                self.problems.append("%s %s: PARTIAL expunge: %d of %d deleted" % (
                    self.user, when, len(self.pending - listing), len(self.pending)))
                self.present -= self.pending - listing
            self.pending = None
        if listing != self.present:
            self.problems.append("%s %s: listing differs: lost %s, back from the dead %s" % (
                self.user, when, sorted(self.present - listing)[:5], sorted(listing - self.present)[:5]))
            self.present = set(listing)


def pop3_session(port, rng, box):
    """One session: login, UIDL, check, RETR one, DELE a few, QUIT. Raises on a broken link."""
    p = poplib.POP3("127.0.0.1", port, timeout=15)
    try:
        p.user(box.user)
        try:
            p.pass_(password(box.user))
        except poplib.error_proto as e:
            if isinstance(e.args[0], bytes) and b"[IN-USE]" in e.args[0]:
                return False
            raise
        numbers = {}
        for line in p.uidl()[1]:
            n, uidl = line.split()
            numbers[uidl.decode()] = int(n)
        box.check_listing(set(numbers), "session %d" % box.sessions)
        box.sessions += 1
        if numbers:
            uidl = rng.choice(sorted(numbers))
            _, lines, _ = p.retr(numbers[uidl])
            mid = [l[12:].decode() for l in lines if l.lower().startswith(b"message-id: ")]
            if mid != [box.mids.get(uidl)]:
                box.problems.append("%s: UIDL %s is now %r, was %r" % (box.user, uidl, mid, box.mids.get(uidl)))
        chosen = set(rng.sample(sorted(numbers), min(len(numbers), rng.randint(1, 5))))
        for uidl in chosen:
            p.dele(numbers[uidl])
        if rng.random() < 0.2:
            return True  # drop without QUIT: nothing may be deleted
        box.pending = chosen
        p.quit()
        box.present -= chosen
        box.pending = None
        return True
    finally:
        p.close()


def pop3_client(port, rng, box, stop, done):
    while not stop.is_set():
        try:
            if pop3_session(port, rng, box):
                done.append(1)
            else:
                stop.wait(0.01)  # [IN-USE]: the previous session's unlock is on its way
        except (poplib.error_proto, OSError) as e:
            # poplib reports a closed connection as error_proto("-ERR EOF") (a str); a
            # server's answer is bytes
            if isinstance(e, poplib.error_proto) and isinstance(e.args[0], bytes):
                box.problems.append("%s: unexpected answer %r" % (box.user, e.args))
            stop.wait(0.05)


class Pop3Crash(unittest.TestCase):
    """POP3 sessions deleting messages while the daemon is killed: a QUIT answered +OK removed
    exactly its messages, an unanswered one all or none, a dropped session none; UIDLs and
    their messages stay the same across restarts."""

    def setUp(self):
        self.seed = int(os.environ.get("PB_CRASH_SEED", random.randrange(1 << 30)))
        print("\ntest_crash: PB_CRASH_SEED=%d" % self.seed, flush=True)
        self.rng = random.Random(self.seed)
        self.d = pbtest.Daemon()
        self.addCleanup(self.d.cleanup)

    def fill(self, n):
        domain = self.d.cli("domain", "list")[1].split()[0]
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60)
        for i in range(n):
            mid = "<pop%d@crash.test>" % i
            s.sendmail("crash@example.org", ["%s@%s" % (u, domain) for u in POP_USERS],
                       make_content(self.rng, mid, "pop crash %d" % i))
        s.quit()
        pbtest.wait_counts(self.d, {u: n for u in POP_USERS}, timeout=120)

    def first_look(self, user):
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
        p.user(user)
        p.pass_(password(user))
        mids = {}
        for line in p.uidl()[1]:
            n, uidl = line.split()
            head = p.top(int(n), 0)[1]
            mids[uidl.decode()] = [l[12:].decode() for l in head if l.lower().startswith(b"message-id: ")][0]
        p.quit()
        return Maildrop(user, set(mids), mids)

    def test_kill9_during_pop3_sessions(self):
        self.d.start()
        pbtest.bulk_add_users(self.d, [(u, password(u)) for u in POP_USERS])
        self.fill(150)
        boxes = [self.first_look(u) for u in POP_USERS]
        for round_no in range(ROUNDS):
            if round_no > 0:
                self.d.start()
            stop, done = threading.Event(), []
            target = self.rng.randint(0, 40)
            threads = [threading.Thread(target=pop3_client, daemon=True, args=(
                self.d.ports["pop3"], random.Random(self.rng.random()), box, stop, done))
                for box in boxes]
            for t in threads:
                t.start()
            try:
                pbtest.wait_until(lambda: len(done) >= target, timeout=90, interval=0.005,
                                  what="%d POP3 sessions" % target)
            finally:
                self.d.kill9()
                stop.set()
                for t in threads:
                    t.join(60)
            self.assertFalse(any(t.is_alive() for t in threads), "a client thread hung")
            print("pop3 round %d: %d sessions, killed" % (round_no, len(done)), flush=True)
        self.d.start()
        for box in boxes:
            self.assertTrue(pop3_session(self.d.ports["pop3"], self.rng, box))
        for box in boxes:  # once more: the last QUIT was answered
            self.assertTrue(pop3_session(self.d.ports["pop3"], self.rng, box))
        counts = pbtest.user_counts(self.d)
        problems = [p for box in boxes for p in box.problems]
        self.assertEqual(problems, [], "\n".join(problems[:40]))
        self.assertEqual({b.user: counts[b.user][0] for b in boxes}, {b.user: len(b.present) for b in boxes})
        self.assertLess(sum(len(b.present) for b in boxes), 4 * 150)  # something was deleted
        print("pop3: %s messages left" % [len(b.present) for b in boxes], flush=True)
        self.assertEqual(self.d.stop(), 0, getattr(self.d, "last_stderr", ""))


def check(ledger, mailboxes):
    """Every rule of the test, as a list of the problems found."""
    problems = []
    found = {}  # Message-ID -> {user: copies}
    for user, msgs in mailboxes.items():
        for mid, sha, trace_ok in msgs:
            m = ledger.msgs.get(mid)
            if m is None:
                problems.append("%s: a message nobody sent (Message-ID %r)" % (user, mid))
                continue
            if not trace_ok:
                problems.append("%s: %s lacks Return-Path/Received" % (user, mid))
            if sha != m["sha"]:
                problems.append("%s: %s is not whole (content hash differs)" % (user, mid))
            if user not in m["rcpts"]:
                problems.append("%s: %s was not for this user" % (user, mid))
            found.setdefault(mid, {}).setdefault(user, 0)
            found[mid][user] += 1
    for mid, m in ledger.msgs.items():
        where = found.get(mid, {})
        for user, n in where.items():
            if n > 1:
                problems.append("%s: %s is there %d times (%s)" % (user, mid, n, m["state"]))
        missing = [r for r in m["rcpts"] if r not in where]
        if m["state"] == "acked" and missing:
            problems.append("LOST: %s acknowledged but missing for %s" % (mid, missing))
        elif m["state"] == "maybe" and where and missing:
            problems.append("PARTIAL: %s delivered to %s but not to %s" % (mid, sorted(where), missing))
        elif m["state"] == "not sent" and where:
            problems.append("%s never reached DATA but is stored for %s" % (mid, sorted(where)))
    return problems


if __name__ == "__main__":
    unittest.main(verbosity=2)
