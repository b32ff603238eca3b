"""End to end: the IMAP folder commands (issue 11) against the real daemon with imaplib —
CREATE (superiors, trailing "/", [ALREADYEXISTS], INBOX refused), DELETE ([NONEXISTENT], INBOX
and folders with inferiors refused, the selected folder), RENAME (inferiors move, INBOX moves
its messages), LIST and LSUB with references, "*" and "%", INBOX in any case, the delimiter,
\\HasChildren/\\HasNoChildren, SPECIAL-USE, LIST-EXTENDED (SUBSCRIBED, RECURSIVEMATCH,
RETURN (SUBSCRIBED CHILDREN SPECIAL-USE)), LIST-STATUS, SUBSCRIBE/UNSUBSCRIBE, STATUS after
deliveries, and non-ASCII names round-tripping through modified UTF-7."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
import imaptest  # noqa: E402
from test_mail import message  # noqa: E402


def raw(c, name, *args):
    """Runs command name with args sent as they are: (typ, [tagged text], {untagged: [...]})."""
    for k in ("LIST", "LSUB", "STATUS"):
        c.untagged_responses.pop(k, None)
    try:
        typ, data = c._simple_command(name, *args)
    except c.error as e:  # imaplib raises on BAD
        return "BAD", [str(e).encode()], {}
    untagged = {k: c.untagged_responses.pop(k, []) for k in ("LIST", "LSUB", "STATUS")}
    return typ, data, untagged


def names(lines):
    """{name: attributes line} of LIST/LSUB data."""
    out = {}
    for line in lines:
        if isinstance(line, tuple):
            line = line[0]
        attrs, rest = line.split(b") ", 1)
        name = rest.split(b" ", 1)[1]
        out[name.split(b" (")[0].strip(b'"').decode()] = (attrs + b")", rest)
    return out


class ImapFolders(imaptest.ImapCase):
    user_prefix = "folderuser"

    def new_user(self, messages=()):
        """A fresh user with messages delivered, logged in: its imaplib client."""
        return self.login(super().new_user(messages))

    def ok(self, c, *cmd):
        typ, data, untagged = raw(c, *cmd)
        self.assertEqual(typ, "OK", (cmd, data))
        return untagged

    def no(self, c, code, *cmd):
        typ, data, _ = raw(c, *cmd)
        self.assertEqual(typ, "NO", (cmd, data))
        if code:
            self.assertIn(code, data[0], (cmd, data))

    def listed(self, c, ref, pattern, cmd="LIST"):
        return names(self.ok(c, cmd, ref, pattern)[cmd])

    def test_capability_and_namespace(self):
        c = self.new_user()
        caps = c.capabilities
        for cap in ("LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "NAMESPACE", "CHILDREN"):
            self.assertIn(cap, caps)
        typ, data = c.namespace()
        self.assertEqual((typ, data), ("OK", [b'(("" "/")) NIL NIL']))

    def test_tree_created_listed_renamed_deleted(self):
        c = self.new_user()
        self.ok(c, "CREATE", '"Work/Projects/2024/"')  # superiors made, trailing "/" dropped
        self.ok(c, "CREATE", "Work/Notes")
        self.no(c, b"[ALREADYEXISTS]", "CREATE", "Work/Notes")
        self.no(c, b"[ALREADYEXISTS]", "CREATE", "inbox")
        for bad in ('"/abs"', '"a/../b"', '"~x"', '"a//b"', '"a*"', '"&AGE-"'):
            self.no(c, b"[CANNOT]", "CREATE", bad)
        every = self.listed(c, '""', '"*"')
        for n in ("INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive", "Work", "Work/Projects",
                  "Work/Projects/2024", "Work/Notes"):
            self.assertIn(n, every)
        self.assertIn(b"\\HasChildren", every["Work"][0])
        self.assertIn(b"\\HasNoChildren", every["Work/Notes"][0])
        self.assertIn(b"\\Sent", every["Sent"][0])
        self.assertIn(b"\\Trash", every["Trash"][0])
        self.assertIn(b'"/"', every["Work"][1])
        top = self.listed(c, '""', "%")
        self.assertIn("Work", top)
        self.assertNotIn("Work/Notes", top)
        self.assertEqual(set(self.listed(c, "Work/", "%")), {"Work/Projects", "Work/Notes"})
        self.assertEqual(set(self.listed(c, '""', "Work/*")),
                         {"Work/Projects", "Work/Projects/2024", "Work/Notes"})
        self.assertEqual(set(self.listed(c, '""', "%/%")), {"Work/Projects", "Work/Notes"})
        self.assertEqual(set(self.listed(c, '""', "inBOX")), {"INBOX"})
        self.assertEqual(self.listed(c, '""', "nothing*"), {})
        delim = self.ok(c, "LIST", '""', '""')["LIST"]
        self.assertEqual(delim, [b'(\\Noselect) "/" ""'])

        self.no(c, b"[CANNOT]", "DELETE", "Work")  # has inferiors
        self.no(c, b"[CANNOT]", "DELETE", "iNbOx")
        self.no(c, b"[NONEXISTENT]", "DELETE", "Nope")
        self.no(c, b"[ALREADYEXISTS]", "RENAME", "Work", "Sent")
        self.no(c, b"[NONEXISTENT]", "RENAME", "Nope", "Other")
        self.no(c, None, "RENAME", "Work", "Work/Inside")
        self.ok(c, "RENAME", "Work", "Job")
        every = self.listed(c, '""', '"*"')
        self.assertNotIn("Work", every)
        for n in ("Job", "Job/Projects", "Job/Projects/2024", "Job/Notes"):
            self.assertIn(n, every)
        for n in ("Job/Projects/2024", "Job/Projects", "Job/Notes", "Job"):
            self.ok(c, "DELETE", n)
        self.assertEqual(self.listed(c, '""', "Job*"), {})

    def test_rename_inbox_moves_messages(self):
        c = self.new_user([message(b"one", [b"1"]), message(b"two", [b"2"])])
        self.ok(c, "RENAME", "INBOX", "Old")
        st = self.ok(c, "STATUS", "Old", "(MESSAGES)")["STATUS"]
        self.assertEqual(st, [b'"Old" (MESSAGES 2)'])
        st = self.ok(c, "STATUS", "inbox", "(MESSAGES)")["STATUS"]
        self.assertEqual(st, [b'"INBOX" (MESSAGES 0)'])

    def test_non_ascii_names_round_trip(self):
        c = self.new_user()
        self.ok(c, "CREATE", '"Entw&APw-rfe"')
        self.ok(c, "CREATE", '"&ZeVnLIqe-/&AMk-t&AOk-"')
        every = self.listed(c, '""', '"*"')
        for n in ("Entw&APw-rfe", "&ZeVnLIqe-", "&ZeVnLIqe-/&AMk-t&AOk-"):
            self.assertIn(n, every)
        self.assertEqual(set(self.listed(c, '"&ZeVnLIqe-/"', "%")), {"&ZeVnLIqe-/&AMk-t&AOk-"})
        self.assertEqual(c.select('"Entw&APw-rfe"')[0], "OK")

    def test_subscriptions_lsub_and_list_extended(self):
        c = self.new_user()
        self.ok(c, "CREATE", "Lists/Dev")
        self.ok(c, "SUBSCRIBE", "Lists/Dev")
        self.ok(c, "SUBSCRIBE", "Gone/Away")  # no such folder
        self.ok(c, "SUBSCRIBE", "inbox")
        every = self.listed(c, '""', '"*"', "LSUB")
        self.assertEqual(set(every), {"INBOX", "Lists/Dev", "Gone/Away"})
        top = self.listed(c, '""', "%", "LSUB")
        self.assertEqual(set(top), {"INBOX", "Lists", "Gone"})
        self.assertIn(b"\\Noselect", top["Lists"][0])
        self.assertNotIn(b"\\Noselect", top["INBOX"][0])

        sub = names(self.ok(c, "LIST", "(SUBSCRIBED)", '""', '"*"')["LIST"])
        self.assertEqual(set(sub), {"INBOX", "Lists/Dev", "Gone/Away"})
        self.assertIn(b"\\Subscribed", sub["Lists/Dev"][0])
        self.assertIn(b"\\NonExistent", sub["Gone/Away"][0])
        rec = names(self.ok(c, "LIST", "(SUBSCRIBED RECURSIVEMATCH)", '""', "%")["LIST"])
        self.assertEqual(set(rec), {"INBOX", "Lists", "Gone"})
        self.assertIn(b'("CHILDINFO" ("SUBSCRIBED"))', rec["Lists"][1])
        self.assertNotIn(b"\\Subscribed", rec["Lists"][0])
        self.assertIn(b"\\NonExistent", rec["Gone"][0])
        typ, data, _ = raw(c, "LIST", "(RECURSIVEMATCH)", '""', "%")
        self.assertEqual(typ, "BAD")
        ret = names(self.ok(c, "LIST", '""', '"*"', "RETURN", "(SUBSCRIBED CHILDREN)")["LIST"])
        self.assertIn(b"\\Subscribed", ret["Lists/Dev"][0])
        self.assertNotIn(b"\\Subscribed", ret["Lists"][0])
        self.assertIn(b"\\HasChildren", ret["Lists"][0])
        self.assertNotIn("Gone/Away", ret)  # not a folder, not selected by SUBSCRIBED

        self.ok(c, "UNSUBSCRIBE", "Lists/Dev")
        self.assertEqual(set(self.listed(c, '""', '"*"', "LSUB")), {"INBOX", "Gone/Away"})

    def test_special_use_and_list_status(self):
        c = self.new_user([message(b"one", [b"1"]), message(b"two", [b"2"])])
        special = names(self.ok(c, "LIST", "(SPECIAL-USE)", '""', '"*"')["LIST"])
        self.assertEqual(set(special), {"Sent", "Drafts", "Trash", "Junk", "Archive"})
        self.assertIn(b"\\Archive", special["Archive"][0])
        self.assertIn(b"\\Drafts", special["Drafts"][0])
        ret = names(self.ok(c, "LIST", '""', "%", "RETURN", "(SPECIAL-USE)")["LIST"])
        self.assertIn(b"\\Junk", ret["Junk"][0])
        self.assertIn("INBOX", ret)
        out = self.ok(c, "LIST", '""', "%", "RETURN", "(STATUS (MESSAGES UNSEEN))")
        self.assertIn(b'"INBOX" (MESSAGES 2 UNSEEN 2)', out["STATUS"])
        self.assertIn(b'"Sent" (MESSAGES 0 UNSEEN 0)', out["STATUS"])
        self.assertEqual(len(out["STATUS"]), len(out["LIST"]))

    def test_status_after_deliveries(self):
        c = self.new_user([message(b"one", [b"1"])])
        items = "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)"
        st = self.ok(c, "STATUS", "INBOX", items)["STATUS"][0]
        self.assertIn(b"MESSAGES 1 RECENT 0 UIDNEXT 2 UIDVALIDITY ", st)
        size1 = int(st.split(b"SIZE ")[1].rstrip(b")"))
        self.assertTrue(size1 > 0)
        self.deliver("folderuser%d" % self.user, message(b"two", [b"2"]))
        pbtest.wait_counts(self.d, {"folderuser%d" % self.user: 2})
        self.assertEqual(c.select("INBOX")[0], "OK")  # STATUS on the selected one is allowed
        st = self.ok(c, "STATUS", "INBOX", items)["STATUS"][0]
        self.assertIn(b"MESSAGES 2 RECENT 0 UIDNEXT 3 ", st)
        self.assertIn(b"UNSEEN 2", st)
        self.assertTrue(int(st.split(b"SIZE ")[1].rstrip(b")")) > size1)
        self.no(c, b"[NONEXISTENT]", "STATUS", "Nope", "(MESSAGES)")
        typ, _, _ = raw(c, "STATUS", "INBOX", "(BOGUS)")
        self.assertEqual(typ, "BAD")

    def test_delete_selected_folder(self):
        c = self.new_user()
        self.ok(c, "CREATE", "Tmp")
        self.assertEqual(c.select("Tmp")[0], "OK")
        self.ok(c, "DELETE", "Tmp")
        self.assertEqual(c.state, "SELECTED")  # imaplib's idea; the server left the state
        typ, data, _ = raw(c, "FETCH", "1:*", "(FLAGS)")
        self.assertEqual(typ, "BAD", data)
        self.assertIn(b"No mailbox selected", data[0])
        self.assertEqual(c.select("Tmp")[0], "NO")


if __name__ == "__main__":
    unittest.main(verbosity=2)
