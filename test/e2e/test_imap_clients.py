"""End to end: the IMAP clients of issue 11 (item 5) against the real daemon, each checked by
its own output and then by the store's state read back through imaplib.

- curl: LIST over imap:// and imaps:// (the certificate verified), a folder's listing (the URL
  form, LIST, and EXAMINE as a custom request), fetch by UID with ;SECTION=, APPEND with
  --upload-file (the stored bytes are the uploaded ones), SEARCH by URL query;
- mutt in batch mode, in a pseudo-terminal (it needs one; commands pushed with -e): reads a
  message (shown in the pager), flags it and saves it to another folder, then quits expunging;
- mbsync (isync): a channel between the server (IMAPS) and a Maildir, synced both ways (a
  message delivered by SMTP reaches the Maildir, a message put into the Maildir reaches the
  server, a flag set on either side reaches the other), and a last run that changes nothing:
  mbsync's own summary counts nothing, the Maildir and the server's STATUS stay the same;
- offlineimap (offlineimap3): an account with two folders synced to a Maildir, then a second
  sync that copies nothing and changes neither side.

The daemon's certificate is made for "localhost" (it resolves here, unlike HOST), so every
client verifies the chain against the generated certificate and the name it connects to.
Each client logs in as its own user: a sync of every folder sees only its own mail."""
import imaplib
import os
import pty
import re
import select
import smtplib
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from imaptest import close_quietly  # noqa: E402
from test_mail import message, run_tool  # noqa: E402
from test_tls import TlsCase  # noqa: E402

NAME = "localhost"


def run_in_pty(argv, env, timeout=120):
    """Runs argv on a new pseudo-terminal until it exits; returns (exit status, output bytes).
    Raises TimeoutError (after killing it) if it has not finished within timeout."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                         start_new_session=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                p.kill()
                p.wait()
                raise TimeoutError("%s did not finish: %r" % (argv[0], out[-3000:]))
            if not select.select([master], [], [], left)[0]:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every holder of the terminal has closed it
                data = b""
            if not data:
                break
            out += data
    finally:
        os.close(master)
    return p.wait(timeout=30), out


def maildir_messages(folder):
    """{subject: (file name under folder, info flags after ":2,", content)} of a Maildir."""
    found = {}
    for sub in ("new", "cur"):
        for name in os.listdir(os.path.join(folder, sub)):
            with open(os.path.join(folder, sub, name), "rb") as f:
                content = f.read()
            subject = re.search(rb"^Subject: (.*?)\r?$", content, re.M).group(1)
            flags = name.split(":2,")[1] if ":2," in name else ""
            found[subject] = (os.path.join(sub, name), flags, content)
    return found


def maildir_listing(root):
    """Every file under root with its size and mtime: what a sync that changes nothing keeps."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            st = os.stat(os.path.join(dirpath, name))
            out[os.path.join(dirpath, name)] = (st.st_size, st.st_mtime_ns)
    return out


class ImapClients(TlsCase):
    tls_host = NAME

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for user in ("mutt", "mbsync", "olimap"):
            cls.d.add_user(user, user + "pw1")

    def deliver(self, user, subjects):
        """Delivers one message per subject to user over SMTP and waits until it is stored."""
        had = pbtest.user_counts(self.d).get(user, (0, 0))[0]
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            for subj in subjects:
                s.sendmail("sender@example.org", ["%s@%s" % (user, self.domain)],
                           message(subj, [b"body of " + subj]))
        pbtest.wait_counts(self.d, {user: had + len(subjects)})

    def imap(self, user):
        c = imaplib.IMAP4("127.0.0.1", self.port("imap"), timeout=60)
        self.addCleanup(close_quietly, c)
        c.login(user, user + "pw1")
        return c

    def folder_state(self, c, folder):
        """{subject: set of flags} of folder, read without changing anything."""
        typ, data = c.select(folder, readonly=True)
        self.assertEqual(typ, "OK", data)
        state = {}
        if int(data[0]) == 0:
            return state
        typ, data = c.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(typ, "OK", data)
        for item in data:
            if isinstance(item, tuple):
                flags = set(re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).split())
                subject = re.search(rb"Subject: (.*?)\r\n", item[1]).group(1)
                state[subject] = flags
        return state

    def status(self, c, folder):
        typ, data = c.status(folder, "(MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)")
        self.assertEqual(typ, "OK", data)
        return data[0]

    def client_home(self, client, rcname, text):
        """A new HOME for client under the daemon's temporary directory, holding the
        configuration file rcname with text; returns (home, path of the file)."""
        home = os.path.join(self.d.tmp, client)
        os.makedirs(home)
        path = os.path.join(home, rcname)
        with open(path, "w") as f:
            f.write(text)
        return home, path

    def curl(self, url, *args, user="alice"):
        p = run_tool(["curl", "-sS", "--cacert", self.cafile, "-u", user + ":" + user + "pw1",
                      url] + list(args), timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    # curl

    def test_curl_list_examine_fetch_append(self):
        self.deliver("alice", [b"curl one", b"curl two"])
        plain = "imap://127.0.0.1:%d/" % self.port("imap")
        tls = "imaps://%s:%d/" % (NAME, self.port("imaps"))
        for url in (plain, tls):
            listing = self.curl(url)
            for folder in (b"INBOX", b"Sent", b"Drafts", b"Trash", b"Junk"):
                self.assertRegex(listing, rb'\* LIST \([^)]*\) "/" "?%s"?\r\n' % folder)
        c = self.imap("alice")
        typ, data = c.select("INBOX", readonly=True)
        exists = int(data[0])
        uidvalidity = c.untagged_responses["UIDVALIDITY"][0]
        self.assertEqual(self.curl(tls + "INBOX"), b'* LIST (\\HasNoChildren) "/" "INBOX"\r\n')
        examined = self.curl(tls + "INBOX", "-X", "EXAMINE INBOX")
        self.assertIn(b"* %d EXISTS\r\n" % exists, examined)
        self.assertIn(b"* OK [UIDVALIDITY %s]" % uidvalidity, examined)
        self.assertIn(b"* OK [PERMANENTFLAGS ()]", examined)  # read-only
        typ, data = c.uid("SEARCH", None, "SUBJECT", '"curl two"')
        uid = int(data[0])
        one = tls + "INBOX;UID=%d" % uid
        self.assertEqual(self.curl(one + ";SECTION=TEXT"), b"body of curl two\r\n")
        self.assertEqual(self.curl(one + ";SECTION=HEADER.FIELDS%20(SUBJECT)"),
                         b"Subject: curl two\r\n\r\n")
        self.assertEqual(self.curl(one + ";SECTION=1"), b"body of curl two\r\n")  # one part
        whole = self.curl(plain + "INBOX;UIDVALIDITY=%s/;UID=%d" % (uidvalidity.decode(), uid))
        self.assertTrue(whole.startswith(b"Return-Path: <sender@example.org>\r\n"), whole[:200])
        self.assertTrue(whole.endswith(b"Subject: curl two\r\n\r\nbody of curl two\r\n"))
        # curl fetches BODY[] (not PEEK): the message is now \Seen
        self.assertIn(b"\\Seen", self.folder_state(c, "INBOX")[b"curl two"])
        self.assertNotIn(b"\\Seen", self.folder_state(c, "INBOX")[b"curl one"])

        upload = message(b"curl upload", [b"appended by curl", b"second line"])
        path = os.path.join(self.d.tmp, "upload.eml")
        with open(path, "wb") as f:
            f.write(upload)
        self.curl(tls + "INBOX", "--upload-file", path)
        c.select("INBOX", readonly=True)
        typ, data = c.uid("SEARCH", None, "SUBJECT", '"curl upload"')
        self.assertEqual(len(data[0].split()), 1, data)
        new_uid = int(data[0])
        typ, data = c.uid("FETCH", str(new_uid), "(BODY.PEEK[])")
        self.assertEqual(data[0][1], upload)
        seq = c.search(None, "SUBJECT", '"curl upload"')[1][0]
        self.assertEqual(self.curl(plain + "INBOX?SUBJECT%20%22curl%20upload%22"),
                         b"* SEARCH " + seq + b"\r\n")

    # mutt

    def test_mutt_reads_flags_and_moves(self):
        self.deliver("mutt", [b"mutt one", b"mutt two"])
        c = self.imap("mutt")
        self.assertEqual(c.create("Kept")[0], "OK")
        home = os.path.join(self.d.tmp, "mutt")
        home, rc = self.client_home("mutt", "muttrc", (
            'set folder="imaps://mutt@%s:%d/"\nset imap_pass="muttpw1"\n'
            'set spoolfile="+INBOX"\nset ssl_ca_certificates_file="%s"\n'
            'set certificate_file="%s/certs"\nset ssl_force_tls=yes\n'
            'set ssl_verify_host=yes\nset header_cache=""\nset message_cachedir=""\n'
            'set move=no\nset delete=yes\nset confirmappend=no\nset mark_old=no\n'
            'set resolve=no\nset sort=date-received\nset wait_key=no\nset beep=no\n'
            'set sleep_time=0\nset record=""\nset pager_stop=yes\n'
            % (NAME, self.port("imaps"), self.cafile, home)))
        # the first message is the cursor's (both are unread): show it, flag it, save it to
        # =Kept (which marks it deleted), quit (which expunges)
        keys = "<display-message><exit><flag-message><save-message>=Kept<enter><quit>"
        env = dict(os.environ, HOME=home, TERM="vt100")
        status, out = run_in_pty(["mutt", "-n", "-F", rc, "-e", 'push "%s"' % keys], env)
        self.assertEqual(status, 0, out[-3000:])
        # (pushed keys leave the screen undrawn: what it read shows as \Seen on the server)
        self.assertEqual(self.folder_state(c, "INBOX"), {b"mutt two": set()})
        self.assertEqual(self.folder_state(c, "Kept"),
                         {b"mutt one": {b"\\Seen", b"\\Flagged"}})

    # mbsync

    def mbsync(self, home):
        """One mbsync -a run (in a terminal, where it prints its counters); returns the final
        counters: far side +new/total *flags/total #trash/total, then the near side's."""
        env = dict(os.environ, HOME=home)
        status, out = run_in_pty(["mbsync", "-c", os.path.join(home, "mbsyncrc"), "-a"], env)
        self.assertEqual(status, 0, out[-3000:])
        counters = re.findall(rb"C: 1/1\s+B: (\d+)/\1\s+F: ([-+*#0-9/ ]+?)\s+N: ([-+*#0-9/ ]+)",
                              out)
        self.assertTrue(counters, out[-3000:])
        _, far, near = counters[-1]
        return far.decode().strip(), near.decode().strip()

    def test_mbsync_both_ways_then_nothing(self):
        self.deliver("mbsync", [b"mb one", b"mb two"])
        mail = os.path.join(self.d.tmp, "mbsync", "Mail")
        home, _ = self.client_home("mbsync", "mbsyncrc", (
            "IMAPAccount pb\nHost %s\nPort %d\nUser mbsync\nPass mbsyncpw1\n"
            "SSLType IMAPS\nCertificateFile %s\n\n"
            "IMAPStore far\nAccount pb\n\n"
            "MaildirStore near\nPath %s/\nInbox %s/INBOX\nSubFolders Verbatim\n\n"
            "Channel pb\nFar :far:\nNear :near:\nPatterns *\nCreate Both\n"
            "Expunge Both\nSyncState *\n"
            % (NAME, self.port("imaps"), self.cafile, mail, mail)))
        os.makedirs(mail)
        inbox = os.path.join(mail, "INBOX")
        far, near = self.mbsync(home)
        self.assertEqual((far, near), ("+0/0 *0/0 #0/0", "+2/2 *0/0 #0/0"))
        got = maildir_messages(inbox)
        self.assertEqual(sorted(got), [b"mb one", b"mb two"])
        self.assertIn(b"body of mb two", got[b"mb two"][2])

        # a message put into the Maildir, a flag set on each side
        with open(os.path.join(inbox, "new", "1.local.%d" % os.getpid()), "wb") as f:
            f.write(message(b"mb local", [b"written into the Maildir"]))
        c = self.imap("mbsync")
        c.select("INBOX")
        typ, data = c.search(None, "SUBJECT", '"mb one"')
        self.assertEqual(c.store(data[0], "+FLAGS", "(\\Flagged)")[0], "OK")
        name = got[b"mb two"][0]  # read in the Maildir: to cur/ with the S flag
        os.rename(os.path.join(inbox, name),
                  os.path.join(inbox, "cur", os.path.basename(name).split(":2,")[0] + ":2,S"))
        far, near = self.mbsync(home)
        self.assertEqual((far, near), ("+1/1 *1/1 #0/0", "+0/0 *1/1 #0/0"))
        self.assertEqual(self.folder_state(c, "INBOX"),
                         {b"mb one": {b"\\Flagged"}, b"mb two": {b"\\Seen"}, b"mb local": set()})
        got = maildir_messages(inbox)
        self.assertEqual(got[b"mb one"][1], "F")
        self.assertEqual(got[b"mb two"][1], "S")

        # nothing changed since: nothing to do on either side
        before = (maildir_listing(mail), self.status(c, "INBOX"), self.folder_state(c, "INBOX"))
        far, near = self.mbsync(home)
        self.assertEqual((far, near), ("+0/0 *0/0 #0/0", "+0/0 *0/0 #0/0"))
        after = (maildir_listing(mail), self.status(c, "INBOX"), self.folder_state(c, "INBOX"))
        self.assertEqual(after, before)

    # offlineimap

    def offlineimap(self, home):
        env = dict(os.environ, HOME=home)
        p = run_tool(["offlineimap", "-c", os.path.join(home, "offlineimaprc"), "-o", "-u",
                      "basic"], env=env, timeout=180)
        out = (p.stdout + p.stderr).decode(errors="replace")
        self.assertEqual(p.returncode, 0, out)
        self.assertNotIn("ERROR", out)
        return out

    def test_offlineimap_two_folders_then_nothing(self):
        self.deliver("olimap", [b"oli inbox"])
        c = self.imap("olimap")
        self.assertEqual(c.create("Work")[0], "OK")
        work = message(b"oli work", [b"filed under Work"])
        self.assertEqual(c.append("Work", "(\\Flagged)", None, work)[0], "OK")
        mail = os.path.join(self.d.tmp, "offlineimap", "Mail")
        home, _ = self.client_home("offlineimap", "offlineimaprc", (
            "[general]\naccounts = pb\nmetadata = %s/meta\n\n"
            "[Account pb]\nlocalrepository = local\nremoterepository = remote\n\n"
            "[Repository local]\ntype = Maildir\nlocalfolders = %s\n\n"
            "[Repository remote]\ntype = IMAP\nremotehost = %s\nremoteport = %d\n"
            "remoteuser = olimap\nremotepass = olimappw1\nssl = yes\n"
            "sslcacertfile = %s\nfolderfilter = lambda f: f in ('INBOX', 'Work')\n"
            % (os.path.dirname(mail), mail, NAME, self.port("imaps"), self.cafile)))
        out = self.offlineimap(home)
        self.assertEqual(len(re.findall(r"Copy message UID \d+ .* remote:(\w+) -> local:", out)),
                         2, out)
        self.assertEqual(sorted(os.listdir(mail)), ["INBOX", "Work"])
        got = maildir_messages(os.path.join(mail, "INBOX"))
        self.assertEqual(list(got), [b"oli inbox"])
        self.assertIn(b"body of oli inbox", got[b"oli inbox"][2])
        got = maildir_messages(os.path.join(mail, "Work"))
        self.assertEqual(got[b"oli work"][1:], ("F", work.replace(b"\r\n", b"\n")))

        before = (maildir_listing(mail), self.status(c, "INBOX"), self.status(c, "Work"),
                  self.folder_state(c, "INBOX"), self.folder_state(c, "Work"))
        out = self.offlineimap(home)
        self.assertNotIn("Copy message", out)
        self.assertNotIn("flag", out.lower())
        after = (maildir_listing(mail), self.status(c, "INBOX"), self.status(c, "Work"),
                 self.folder_state(c, "INBOX"), self.folder_state(c, "Work"))
        self.assertEqual(after, before)


if __name__ == "__main__":
    unittest.main()
