"""End to end: forwarding obeys the user's sending permissions (issue 13 R3). A user whose
internet_mail is off and whose Forward To is a remote address keeps the message in its mailbox,
Postfix's smtp-sink gets nothing (a user who may send, forwarding after it, reaches the sink:
the queue moved past the first), and `pillarbox trace` says why; a forbidden_recipients pattern
drops that one target and the rest go; router.max_remote_targets bounds a user's remote
forwards per message (one trace line, one warning); an administrator's mapping to a remote
address is not restricted."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import QueueBase  # noqa: E402
from test_router import RouterClient  # noqa: E402

USERS = ("stayhome", "mayfwd", "picky")


class ForwardPolicyCase(RouterClient, QueueBase):
    @classmethod
    def setUpClass(cls):
        cls.start_with_users(USERS)
        cls.ok("user", "set", "stayhome", "internet_mail", "false")
        cls.ok("user", "set", "stayhome", "forward_to", "out@remote.example")
        cls.ok("user", "set", "stayhome", "use_forwarding", "yes")
        cls.ok("user", "set", "mayfwd", "forward_to", "ok@remote.example")
        cls.ok("user", "set", "mayfwd", "use_forwarding", "yes")
        cls.ok("user", "set", "picky", "forbidden_recipients", "*@rival.example")
        cls.ok("user", "set", "picky", "forward_to", "boss@Rival.Example; fine@remote.example")
        cls.ok("user", "set", "picky", "use_forwarding", "yes")
        cls.ok("mapping", "add", "stayhome-out@" + cls.domain, "admin@remote.example",
               "always")

    def sink_wait(self, marker):
        return pbtest.wait_until(lambda: self.sink.find(marker), timeout=60,
                                 what="%r at smtp-sink" % marker)

    def test_no_internet_mail(self):
        qid = self.deliver("stayhome@" + self.domain, "stay-at-home")
        self.wait_for("stayhome", "stay-at-home")  # not forwarded: kept, never lost
        trace = self.ok("trace", qid)
        self.assertIn("forward to out@remote.example not sent: stayhome may not send to the "
                      "Internet", trace)
        self.assertIn("no forwarding address of stayhome could be reached", trace)
        # a message queued after it reaches the sink: the first was never queued
        self.deliver("mayfwd@" + self.domain, "may-forward")
        self.sink_wait(b"may-forward")
        self.assertEqual(self.sink.find(b"stay-at-home"), [])
        self.assertNotIn("stay-at-home", self.ok("queue", "list"))

    def test_forbidden_pattern(self):
        qid = self.deliver("picky@" + self.domain, "picky-one")
        dumps = self.sink_wait(b"picky-one")
        self.assertEqual(len(dumps), 1)
        self.assertIn(b"X-Rcpt-Args: <fine@remote.example>", dumps[0])
        self.assertIn("forward to boss@Rival.Example not sent: picky may not send to "
                      "*@rival.example (forbidden_recipients)", self.ok("trace", qid))

    def test_admin_mapping_not_restricted(self):
        qid = self.deliver("stayhome-out@" + self.domain, "admin-mapped")
        dumps = self.sink_wait(b"admin-mapped")
        self.assertIn(b"X-Rcpt-Args: <admin@remote.example>", dumps[0])
        self.assertNotIn("not sent", self.ok("trace", qid))

    def test_remote_targets_bound(self):
        """router.max_remote_targets: 2 of a user's 4 remote forwards go, one trace line and
        one warning say the rest were dropped."""
        self.ok("setting", "set", "router", '{"max_remote_targets": 2}')
        self.addCleanup(self.ok, "setting", "set", "router", '{"max_remote_targets": 50}')
        self.ok("user", "set", "mayfwd", "forward_to",
                "c1@remote.example; c2@remote.example; c3@remote.example; c4@remote.example")
        self.addCleanup(self.ok, "user", "set", "mayfwd", "forward_to", "ok@remote.example")
        qid = self.deliver("mayfwd@" + self.domain, "capped-one")
        def both():
            rcpts = b"".join(self.sink.find(b"capped-one"))
            return b"<c1@remote.example>" in rcpts and b"<c2@remote.example>" in rcpts
        pbtest.wait_until(both, timeout=60, what="c1 and c2's copies at smtp-sink")
        trace = self.ok("trace", qid)
        self.assertEqual(trace.count("router.max_remote_targets"), 1, trace)
        self.assertIn("forward to c3@remote.example not sent", trace)
        self.assertNotIn("c4@remote.example is remote", trace)
        warns = [ln for ln in self.d.log().splitlines()
                 if "event=route_stopped msgid=%s" % qid in ln]
        self.assertEqual(len(warns), 1, warns)
        self.assertIn("router.max_remote_targets", warns[0])
        # the queue moves on: a later message is at the sink, and still only two copies
        self.deliver("picky@" + self.domain, "after-capped")
        self.sink_wait(b"after-capped")
        rcpts = b"".join(d for d in self.sink.find(b"capped-one"))
        for addr in (b"c1@", b"c2@"):
            self.assertIn(addr, rcpts)
        for addr in (b"c3@", b"c4@"):
            self.assertNotIn(addr, rcpts)


if __name__ == "__main__":
    unittest.main()
