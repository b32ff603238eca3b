"""End to end: assistants (admin guide 4.5; issue 13 item 3). The CLI sets, shows and clears a
user's assistants (`pillarbox user set/show/unset NAME assistants|assistant_redirect`). Mail
sent with smtplib to the boss arrives at the assistant: in copy mode at both (POP3), in
redirect mode at the assistant only; mail from the assistant to the boss is not copied back to
the assistant (nor redirected away from the boss); once cleared, the assistant gets nothing."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_queue import QueueBase  # noqa: E402
from test_router import RouterClient  # noqa: E402


class AssistantsCase(RouterClient, QueueBase):
    @classmethod
    def setUpClass(cls):
        cls.start_with_users(("boss", "asst", "boss2", "asst2", "boss3", "asst3"))
        cls.ok("user", "set", "boss", "assistants", "asst")  # copy (the default)
        cls.ok("user", "set", "boss2", "assistants", "asst2@" + cls.domain)
        cls.ok("user", "set", "boss2", "assistant_redirect", "yes")

    def settle(self, qid):
        """Waits until message qid is delivered (every copy of its plan written)."""
        pbtest.wait_until(lambda: "event=delivered msgid=%s" % qid in self.d.log(), timeout=30,
                          what="%s delivered" % qid)

    def test_cli_set_show_clear(self):
        self.ok("user", "set", "boss3", "assistants", "asst3; other@remote.example")
        self.ok("user", "set", "boss3", "assistant_redirect", "on")
        out = self.ok("user", "show", "boss3")
        self.assertIn('"assistants":"asst3; other@remote.example"', out)
        self.assertIn('"assistant_redirect":true', out)
        self.ok("user", "unset", "boss3", "assistants")
        self.ok("user", "unset", "boss3", "assistant_redirect")
        out = self.ok("user", "show", "boss3")
        self.assertNotIn("assistant", out)
        rc, out, err = self.d.cli("user", "set", "boss3", "assistant_redirect", "maybe")
        self.assertEqual(rc, 1)  # not a boolean: refused, nothing set
        self.assertNotIn("assistant", self.ok("user", "show", "boss3"))
        # cleared: mail to boss3 stays with boss3, nothing reaches asst3
        qid = self.deliver("boss3@" + self.domain, "to-boss3-cleared")
        self.settle(qid)
        self.assertIn("to-boss3-cleared", self.subjects("boss3"))
        self.assertNotIn("to-boss3-cleared", self.subjects("asst3"))

    def test_copy_mode_both_get_it(self):
        qid = self.deliver("boss@" + self.domain, "to-boss-copy")
        self.wait_for("asst", "to-boss-copy")
        self.wait_for("boss", "to-boss-copy")
        self.assertIn("boss copies to the assistants asst", self.ok("trace", qid))

    def test_redirect_mode_assistant_only(self):
        qid = self.deliver("boss2@" + self.domain, "to-boss2-redirect")
        self.wait_for("asst2", "to-boss2-redirect")
        self.settle(qid)
        self.assertNotIn("to-boss2-redirect", self.subjects("boss2"))
        self.assertIn("boss2 redirects to the assistants", self.ok("trace", qid))

    def test_assistant_as_sender_not_copied_back(self):
        qid = self.deliver("boss@" + self.domain, "from-asst", sender="asst@" + self.domain,
                           login=("asst", "asstpw123"))
        self.wait_for("boss", "from-asst")
        self.settle(qid)
        self.assertNotIn("from-asst", self.subjects("asst"))
        self.assertIn("boss's assistants are not used: the sender is one of them",
                      self.ok("trace", qid))
        # redirect mode too: the boss keeps mail from the assistant
        qid = self.deliver("boss2@" + self.domain, "from-asst2", sender="asst2@" + self.domain,
                           login=("asst2", "asst2pw123"))
        self.wait_for("boss2", "from-asst2")
        self.settle(qid)
        self.assertNotIn("from-asst2", self.subjects("asst2"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
