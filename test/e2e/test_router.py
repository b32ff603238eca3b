"""End to end: the router (issue 13). Mail sent with smtplib to an alias (the guide's sales ->
ann, sales -> ben and s* -> s_users), a distribution list with a remote member, a forwarded
user (one local and one remote target) and an address mapped to a remote user's address
(guide 5.5) arrives where the records say: local copies in the accounts' inboxes (POP3),
remote ones at Postfix's smtp-sink through the outbound queue. A forwarding loop is stopped
with its reason in the log and the message kept; `pillarbox trace` explains a delivery; an
unknown address is still refused at RCPT."""
import os
import poplib
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import QueueBase, Sink  # noqa: E402
from test_web_rest import Client  # noqa: E402

USERS = ("ann", "ben", "s_users", "sue", "phil", "loopa", "loopb", "carol")


class RouterClient:
    """What the router's e2e tests share (mixed into a QueueBase): a daemon sending to an
    smtp-sink with users NAME (password NAME + "pw123"), the CLI, sending, reading an inbox."""

    @classmethod
    def start_with_users(cls, users):
        cls.sink = Sink()
        cls.start_daemon(cls.sink.port)
        for u in users:
            cls.d.add_user(u, u + "pw123")

    @classmethod
    def tearDownClass(cls):
        cls.stop_daemon()
        cls.sink.stop()

    @classmethod
    def ok(cls, *args):
        rc, out, err = cls.d.cli(*args)
        assert rc == 0, (args, err)
        return out

    def deliver(self, rcpt, marker, sender="someone@outside.example", login=None, body=None):
        """Sends a message to rcpt by plain SMTP (port 25), or by submission with AUTH as login
        (user, password); returns its queue id. body: the text (default "body of MARKER")."""
        s = smtplib.SMTP("127.0.0.1", self.d.ports["submission" if login else "smtp"],
                         timeout=60)
        self.addCleanup(s.close)
        s.ehlo("client.example.org")
        if login:
            s.login(*login)
        s.mail(sender)
        code, msg = s.rcpt(rcpt)
        self.assertEqual(code, 250, msg)
        text = body if body is not None else "body of %s\r\n" % marker
        code, msg = s.data(("Subject: %s\r\n\r\n%s" % (marker, text)).encode())
        self.assertEqual(code, 250, msg)
        s.quit()
        return msg.decode().split("queued as ")[1].strip()

    def subjects(self, user):
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=60)
        try:
            p.user(user)
            p.pass_(user + "pw123")
            out = []
            for i in range(len(p.list()[1])):
                for line in p.top(i + 1, 0)[1]:
                    if line.startswith(b"Subject: "):
                        out.append(line[9:].decode())
            return out
        finally:
            p.quit()

    def wait_for(self, user, marker):
        pbtest.wait_until(lambda: marker in self.subjects(user), timeout=30,
                          what="%s in %s's inbox" % (marker, user))


class RouterCase(RouterClient, QueueBase):
    @classmethod
    def setUpClass(cls):
        cls.start_with_users(USERS)
        cls.ok("alias", "add", "ann", "sales")
        cls.ok("alias", "add", "ben", "sales")
        cls.ok("mapping", "add", "s*", "s_users")
        cls.ok("list", "add", "team", "internet", "the team")
        cls.ok("list", "addmember", "team", "carol")
        cls.ok("list", "addmember", "team", "member@remote.example")
        cls.ok("list", "add", "board")  # internal
        cls.ok("list", "addmember", "board", "carol")
        cls.ok("user", "set", "phil", "forward_to", "ben; far@remote.example")
        cls.ok("user", "set", "phil", "use_forwarding", "yes")
        cls.ok("user", "set", "loopa", "forward_to", "loopb")
        cls.ok("user", "set", "loopa", "use_forwarding", "yes")
        cls.ok("user", "set", "loopb", "forward_to", "loopa@" + cls.domain)
        cls.ok("user", "set", "loopb", "use_forwarding", "yes")
        cls.ok("user", "set", "carol", "default_addresses", "false")  # lists still reach her
        # guide 5.5: an address at our domain for a user whose mailbox is on a remote server
        cls.ok("mapping", "add", "jim@" + cls.domain, "Jim.Far@remote.example", "always",
               "jim works from the remote office")

    def test_alias_guide_example(self):
        qid = self.deliver("Sales@" + self.domain, "to-sales")
        for u in ("ann", "ben", "s_users"):
            self.wait_for(u, "to-sales")
        for u in ("sue", "phil", "carol"):
            self.assertNotIn("to-sales", self.subjects(u))
        out = self.ok("trace", qid)
        self.assertIn("address mapping s* -> s_users (always) matches sales@", out)
        self.assertIn("deliver to ann, folder INBOX", out)
        self.assertIn("deliver to ben, folder INBOX", out)
        rc, out, err = self.d.cli("trace", "no-such-id")
        self.assertEqual(rc, 1)
        self.assertIn("no trace", err)

    def test_list_with_remote_member(self):
        self.deliver("team@" + self.domain, "to-team")
        self.wait_for("carol", "to-team")
        dumps = pbtest.wait_until(lambda: self.sink.find(b"to-team"), timeout=60,
                                  what="the list's copy at smtp-sink")
        self.assertIn(b"X-Rcpt-Args: <member@remote.example>", dumps[0])
        out = self.ok("list", "members", "team")
        self.assertIn("team: internet, 2 member(s), the team", out)
        self.assertIn("  member@remote.example", out)

    def test_internal_list_refuses_outside_sender(self):
        qid = self.deliver("board@" + self.domain, "to-board")
        pbtest.wait_until(lambda: "event=unroutable" in self.d.log() and qid in self.d.log(),
                          timeout=30, what="the refusal in the log")
        self.assertNotIn("to-board", self.subjects("carol"))
        self.assertIn("list board takes no mail from outside", self.ok("trace", qid))
        # a local sender without AUTH (forged: anyone can write that MAIL FROM) may not either
        qid = self.deliver("board@" + self.domain, "to-board-forged", sender="ann@" + self.domain)
        pbtest.wait_until(lambda: "list board takes no mail from outside (sender ann@%s, not "
                          "authenticated nor from a trusted network)" % self.domain
                          in self.d.cli("trace", qid)[1],
                          timeout=30, what="the forged sender's refusal in the trace")
        # an authenticated user may
        qid = self.deliver("board@" + self.domain, "to-board-local", sender="ann@" + self.domain,
                           login=("ann", "annpw123"))
        self.wait_for("carol", "to-board-local")
        self.assertNotIn("to-board-forged", self.subjects("carol"))
        self.assertIn("list board is internal: ann@%s posts as an authenticated client" %
                      self.domain, self.ok("trace", qid))

    def test_forward_local_and_remote(self):
        qid = self.deliver("phil@" + self.domain, "to-phil")
        self.wait_for("ben", "to-phil")
        dumps = pbtest.wait_until(lambda: self.sink.find(b"to-phil"), timeout=60,
                                  what="the forwarded copy at smtp-sink")
        self.assertIn(b"X-Rcpt-Args: <far@remote.example>", dumps[0])
        self.assertNotIn("to-phil", self.subjects("phil"))
        self.assertIn("phil forwards to ben; far@remote.example (no local copy)",
                      self.ok("trace", qid))

    def test_mapping_to_remote_address(self):
        """Guide 5.5: mail to jim@ our domain, mapped to a remote address, leaves through the
        outbound queue to smtp-sink (the remote local part keeps its case); the trace names
        the mapping; no local account is involved."""
        qid = self.deliver("jim@" + self.domain, "to-jim")
        dumps = pbtest.wait_until(lambda: self.sink.find(b"Subject: to-jim\n"), timeout=60,
                                  what="the mapped copy at smtp-sink")
        self.assertEqual(len(dumps), 1)
        self.assertIn(b"X-Rcpt-Args: <Jim.Far@remote.example>\n", dumps[0])
        self.assertNotIn(b"X-Rcpt-Args: <jim@", dumps[0])
        self.assertIn(b"\nbody of to-jim\n", dumps[0].replace(b"\r\n", b"\n"))
        out = self.ok("trace", qid)
        self.assertIn("address mapping jim@%s -> Jim.Far@remote.example (always) matches jim@%s"
                      % (self.domain, self.domain), out)
        self.assertIn("Jim.Far@remote.example is remote: send it out through the queue", out)
        self.assertIn("jim works from the remote office",
                      self.ok("mapping", "list", "Jim.Far@remote.example"))

    def test_forward_loop_stopped(self):
        qid = self.deliver("loopa@" + self.domain, "to-loop")
        self.wait_for("loopb", "to-loop")
        self.assertNotIn("to-loop", self.subjects("loopa"))
        log = self.d.log()
        self.assertIn("event=route_stopped msgid=%s" % qid, log)
        self.assertIn("loop: loopa -> loopb -> loopa; stopped there", log)

    def test_unknown_refused(self):
        s = smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60)
        self.addCleanup(s.close)
        s.ehlo("client.example.org")
        s.mail("someone@outside.example")
        code, _ = s.rcpt("nobody-here@" + self.domain)
        self.assertEqual(code, 550)
        code, _ = s.rcpt("carol@" + self.domain)  # her default addresses are disabled
        self.assertEqual(code, 550)
        s.quit()

    def test_cli_records(self):
        out = self.ok("alias", "list", "ann")
        self.assertIn("sales -> ann (always)", out)
        rc, out, err = self.d.cli("mapping", "add", "x", "ann", "imap")
        self.assertEqual(rc, 1)
        self.assertIn("always, pop3, smtp, from", err)
        rc, out, err = self.d.cli("list", "add", "ann")
        self.assertEqual(rc, 1)
        self.assertIn("an account has that name", err)
        self.ok("mapping", "add", "temp*", "ann", "smtp", "a comment")
        self.assertIn("temp* -> ann (smtp) a comment", self.ok("mapping", "list", "ann"))
        self.ok("mapping", "del", "TEMP*", "ann")
        rc, out, err = self.d.cli("mapping", "del", "temp*", "ann")
        self.assertEqual(rc, 1)

    def test_cli_collector_filter(self):
        """mapping add --collector sets the mail-collector filter (guide 3.2), mapping list and
        alias list show it, the REST API sees the same record; other commands refuse it."""
        self.ok("mapping", "add", "coll*", "ann", "pop3", "from the isp", "--collector", "isp")
        self.addCleanup(self.d.cli, "mapping", "del", "coll*", "ann")
        self.ok("alias", "add", "ben", "bcoll", "--collector=isp2")
        self.addCleanup(self.d.cli, "alias", "del", "ben", "bcoll")
        self.assertIn("coll* -> ann (pop3, collector isp) from the isp\n",
                      self.ok("mapping", "list", "ann"))
        self.assertIn("bcoll -> ben (always, collector isp2)\n", self.ok("alias", "list", "ben"))
        self.assertIn("sales -> ben (always)\n", self.ok("alias", "list", "ben"))
        admin = Client(self.d.ports["http"])
        self.assertEqual(admin.login("admin", self.d.admin_password)[0], 200)
        status, maps = admin.call("GET", "/api/mappings")
        self.assertEqual(status, 200, maps)
        got = [m for m in maps if m["address"] == "coll*"]
        self.assertEqual(got, [{"address": "coll*", "target": "ann", "type": "pop3",
                                "collector": "isp", "comment": "from the isp"}])
        rc, out, err = self.d.cli("mapping", "list", "--collector", "isp")
        self.assertEqual(rc, 64, err)
        self.assertIn("takes no option --collector", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
