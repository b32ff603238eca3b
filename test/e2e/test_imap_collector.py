"""End to end: the IMAP collector (issue 12 item 3) against Dovecot as the remote IMAP server,
started here on loopback (the POP3 test's Dovecot with imap on, '.' as its hierarchy
delimiter and a special-use Sent folder under another name). Checked over our own IMAP with
imaplib: a whole account (INBOX, Work, its child Work.Projects, "Sent Messages" as \\Sent)
with \\Seen, \\Flagged, a keyword and old dates migrated exactly (same folders mapped to ours,
counts, flags, INTERNALDATE, bodies byte-equal), a second run adding nothing, `collector show`
listing the folders; sync mode: a message put into the remote INBOX during the run's IDLE
arrives here within seconds; the daemon's stop does not wait for an IDLE; kill -9 in the middle of a migration then a restart: every
message exactly once; nothing is ever changed at the remote."""
import imaplib
import os
import re
import subprocess
import sys
import time
import unittest
from datetime import datetime

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_collector import Dovecot, received_from_collectors  # noqa: E402


class ImapDovecot(Dovecot):
    ACCOUNTS = {"isp": "isp-secret-1", "solo": "solo-secret-2", "big": "big-secret-3"}

    def __init__(self):
        self.imap_port = pbtest.free_port()
        super().__init__()

    def config(self):
        conf = super().config().replace("protocols = pop3", "protocols = pop3 imap")
        return conf + f"""mailbox_idle_check_interval = 1 secs
namespace inbox {{
  inbox = yes
  separator = .
  mailbox "Sent Messages" {{
    special_use = \\Sent
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""

    def imap(self, user):
        m = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=60)
        m.login(user, self.ACCOUNTS[user])
        return m


def message(subject, body="hello\r\n", size=0):
    body = body + ("x" * 70 + "\r\n") * (size // 72)
    return ("From: Far <far@far.example>\r\nTo: me@isp.example\r\nSubject: %s\r\n"
            "Message-ID: <%s@far.example>\r\n\r\n%s" % (subject, subject.replace(" ", "-"),
                                                       body)).encode()


def when(text):
    return datetime.strptime(text, "%d-%b-%Y %H:%M:%S %z").timestamp()


def dump(m, folder):
    """A folder's messages in UID order: (flags without \\Recent, INTERNALDATE as a time, body)."""
    typ, _ = m.select('"%s"' % folder, readonly=True)
    assert typ == "OK", folder
    typ, data = m.uid("FETCH", "1:*", "(FLAGS INTERNALDATE)")
    meta = {}
    for line in data:
        if not line:
            continue
        line = line.decode()
        uid = int(re.search(r"UID (\d+)", line).group(1))
        flags = set(re.search(r"FLAGS \(([^)]*)\)", line).group(1).split()) - {"\\Recent"}
        meta[uid] = (frozenset(flags), when(re.search(r'INTERNALDATE "([^"]+)"', line).group(1)))
    typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
    out = []
    for item in data:
        if isinstance(item, tuple):
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
            out.append((uid, meta[uid] + (item[1],)))
    return [v for _, v in sorted(out)]


class ImapCollectorCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.isp = ImapDovecot()
        cls.d = pbtest.Daemon()
        cls.d.start()
        for user in ("mig", "mig2"):
            cls.d.add_user(user, user + "pw12345")

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()
        cls.isp.stop()

    def cli(self, *args, input=None):
        return self.d.cli(*args, input=input)

    def add(self, name, account, target, *settings):
        rc, out, err = self.cli("collector", "add", name, "protocol=imap", "server=127.0.0.1",
                                "port=%d" % self.isp.imap_port, "user=" + account,
                                "password=-", "route=user", "target=" + target, *settings,
                                input=ImapDovecot.ACCOUNTS[account] + "\n")
        self.assertEqual(rc, 0, err)

    def run_collector(self, name):
        rc, out, err = self.cli("collector", "run", name)
        self.assertEqual(rc, 0, err + out)
        return dict(kv.split("=") for kv in out.split())

    def ours(self, user):
        m = imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60)
        m.login(user, user + "pw12345")
        return m

    def count(self, user, folder):
        m = self.ours(user)
        try:
            typ, data = m.status('"%s"' % folder, "(MESSAGES)")
            return int(re.search(rb"MESSAGES (\d+)", data[0]).group(1)) if typ == "OK" else 0
        finally:
            m.logout()


class Migration(ImapCollectorCase):
    FOLDERS = {"INBOX": "INBOX", "Work": "Work", "Work.Projects": "Work/Projects",
               "Sent Messages": "Sent"}

    def populate(self):
        m = self.isp.imap("isp")
        for folder in ("Work", "Work.Projects", "Sent Messages"):
            m.create('"%s"' % folder)
        old = datetime(2003, 4, 5, 6, 7, 8).timestamp()
        puts = [("INBOX", "(\\Seen)", "inbox one", 0), ("INBOX", "(\\Flagged $Important)",
                                                          "inbox two", 120000),
                ("INBOX", "()", "inbox three", 0), ("Work", "(\\Seen \\Flagged)", "work one", 0),
                ("Work", "($Important)", "work two", 3000),
                ("Work.Projects", "(\\Seen)", "project one", 0),
                ("Work.Projects", "(\\Answered \\Seen)", "project two", 0),
                ("Sent Messages", "(\\Seen)", "sent one", 0)]
        for i, (folder, flags, subject, size) in enumerate(puts):
            typ, _ = m.append('"%s"' % folder, flags,
                              imaplib.Time2Internaldate(old + i * 86400 * 40),
                              message(subject, size=size))
            self.assertEqual(typ, "OK")
        m.logout()

    def test_migrate_then_idle(self):
        self.populate()
        remote = self.isp.imap("isp")
        want = {ours: dump(remote, theirs) for theirs, ours in self.FOLDERS.items()}
        remote.logout()
        self.add("old-isp", "isp", "mig", "idle_s=0")
        counted = received_from_collectors(self.d)
        got = self.run_collector("old-isp")
        self.assertEqual(int(got["fetched"]), 8)
        self.assertEqual(received_from_collectors(self.d), counted + 8)  # received, by source
        m = self.ours("mig")
        for folder, expected in want.items():
            self.assertEqual(dump(m, folder), expected, folder)
        m.logout()
        # a second run adds nothing; show lists the folders
        self.assertEqual(self.run_collector("old-isp")["fetched"], "0")
        self.assertEqual(received_from_collectors(self.d), counted + 8)
        rc, out, err = self.cli("collector", "show", "old-isp")
        self.assertEqual(rc, 0, err)
        self.assertIn("folder Work.Projects -> Work/Projects: ", out)
        self.assertIn("folder Sent Messages -> Sent: ", out)
        # the remote is untouched: its flags as they were (BODY.PEEK, EXAMINE)
        remote = self.isp.imap("isp")
        self.assertEqual(dump(remote, "INBOX"), want["INBOX"])
        remote.logout()
        # sync mode: IDLE on INBOX brings a new message within seconds
        rc, out, err = self.cli("collector", "set", "old-isp", "idle_s=25")
        self.assertEqual(rc, 0, err)
        idles = self.d.log().count("event=idle collector=old-isp")
        run = subprocess.Popen([os.path.join(pbtest.BUILD, "pillarbox"), "--data-dir",
                                self.d.data_dir, "collector", "run", "old-isp"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            pbtest.wait_until(lambda: self.d.log().count("event=idle collector=old-isp") > idles,
                              timeout=30, what="the run in IDLE")
            remote = self.isp.imap("isp")
            remote.append("INBOX", "(\\Flagged)", None, message("arrives while idle"))
            remote.logout()
            start = time.monotonic()
            pbtest.wait_until(lambda: self.count("mig", "INBOX") == 4, timeout=10,
                              what="the new message here")
            self.assertLess(time.monotonic() - start, 10)
            self.assertIsNone(run.poll(), "it came through IDLE, within the run")
        finally:
            out, err = run.communicate(timeout=90)
        self.assertEqual(run.returncode, 0, err)
        self.assertIn("fetched=1", out)
        m = self.ours("mig")
        last = dump(m, "INBOX")[-1]
        m.logout()
        self.assertEqual(last[0], frozenset({"\\Flagged"}))
        self.assertIn(b"Subject: arrives while idle", last[2])

    def test_stop_during_idle_is_prompt(self):
        self.add("long-idle", "solo", "mig", "idle_s=600")
        idles = self.d.log().count("event=idle collector=long-idle")
        run = subprocess.Popen([os.path.join(pbtest.BUILD, "pillarbox"), "--data-dir",
                                self.d.data_dir, "collector", "run", "long-idle"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            pbtest.wait_until(lambda: self.d.log().count("event=idle collector=long-idle") >
                              idles, timeout=30, what="the run in IDLE")
            start = time.monotonic()
            self.assertEqual(self.d.stop(timeout=60), 0)
            self.assertLess(time.monotonic() - start, 15, "the stop waited for the IDLE")
        finally:
            run.communicate(timeout=60)
            self.d.start()
        self.assertEqual(self.cli("collector", "del", "long-idle")[0], 0)


class Parallel(ImapCollectorCase):
    """Collectors on cwork's pool (collector.max_parallel): an IMAP collector syncing in IDLE
    holds one worker while a POP3 collector's run is done beside it; a second run of the
    syncing collector waits for the first (one run of a collector at a time); stopping the
    daemon ends the IDLE promptly and answers the run waiting."""

    def test_pop3_beside_imap_idle(self):
        from test_collector import message as pop_message
        self.add("syncer", "solo", "mig", "idle_s=600")
        rc, out, err = self.cli("collector", "add", "popper", "server=127.0.0.1",
                                "port=%d" % self.isp.port, "user=isp", "password=-",
                                "route=user", "target=mig2",
                                input=ImapDovecot.ACCOUNTS["isp"] + "\n")
        self.assertEqual(rc, 0, err)
        idles = self.d.log().count("event=idle collector=syncer")
        cmd = [os.path.join(pbtest.BUILD, "pillarbox"), "--data-dir", self.d.data_dir,
               "collector", "run", "syncer"]
        first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        second = None
        try:
            pbtest.wait_until(lambda: self.d.log().count("event=idle collector=syncer") >
                              idles, timeout=30, what="the IMAP run in IDLE")
            second = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.isp.put("isp", pop_message("mig2@isp.example", "beside idle"), "bi")
            before = self.count("mig2", "INBOX")
            got = self.run_collector("popper")  # answered while syncer idles
            self.assertEqual(got["fetched"], "1")
            self.assertIsNone(first.poll(), "the IMAP run ended: nothing ran beside it")
            pbtest.wait_until(lambda: self.count("mig2", "INBOX") == before + 1, timeout=30,
                              what="the POP3 message in mig2's INBOX")
            self.assertEqual(self.isp.count("isp"), 0)
            # the second run of syncer waits: still one IMAP login, one IDLE
            self.assertEqual(self.d.log().count("event=idle collector=syncer"), idles + 1)
            self.assertIsNone(second.poll())
            start = time.monotonic()
            self.assertEqual(self.d.stop(timeout=60), 0)
            self.assertLess(time.monotonic() - start, 15, "the stop waited for the IDLE")
        finally:
            first.communicate(timeout=60)
            if second is not None:
                _, err2 = second.communicate(timeout=60)
            self.d.start()
        self.assertNotEqual(second.returncode, 0)  # answered "stopped", never run
        self.assertEqual(self.d.log().count("event=idle collector=syncer"), idles + 1)
        for name in ("syncer", "popper"):
            self.assertEqual(self.cli("collector", "del", name)[0], 0)


class Crash(ImapCollectorCase):
    def test_kill9_mid_migration_exactly_once(self):
        n = 400
        for i in range(n):
            self.isp.put("big", message("crash %03d" % i, size=30000), "b%d" % i)
        self.add("bigone", "big", "mig2", "idle_s=0")
        run = subprocess.Popen([os.path.join(pbtest.BUILD, "pillarbox"), "--data-dir",
                                self.d.data_dir, "collector", "run", "bigone"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        pbtest.wait_until(lambda: self.count("mig2", "INBOX") >= 130, timeout=120,
                          what="a part of the migration done")
        self.d.kill9()
        run.communicate(timeout=60)
        self.d.start()
        here = self.count("mig2", "INBOX")
        self.assertLess(here, n, "the crash came too late to test anything")
        self.run_collector("bigone")
        m = self.ours("mig2")
        m.select("INBOX", readonly=True)
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        m.logout()
        ids = [item[1].strip() for item in data if isinstance(item, tuple)]
        self.assertEqual(len(ids), n)
        self.assertEqual(len(set(ids)), n)  # each exactly once
        self.assertEqual(self.isp.count("big"), n)  # nothing deleted at the remote


if __name__ == "__main__":
    unittest.main(verbosity=2)
