"""End to end: progress of the connection methods' jobs on the status server (issue 14 item 2:
"collecting with progress, sending with progress or active send threads") and in
pillarbox-monitor. Against real peers on loopback: Dovecot as the ISP's POP3 server, the slow
POP3 server of test_connection_jobs that stalls in the middle of its second message, and
Postfix's smtp-sink as the smart host. Checked: a collector run of a connection method pushes
"progress" events to a subscribed status client — the method's name, done never going back,
the same total, the last one final with done == total and the bytes fetched; while a run is
stalled, the snapshot's connection lists its progress (1 of 3) and the monitor in tmux draws
its progress bar, gone once the run ends; a send run pushes its progress (messages tried of
those flushed, final with all tried) and the queue events count the transactions in flight;
an IMAP collector run by hand (`pillarbox collector run`: no method) counts the messages it
fetched, its total not known (0)."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_collector import Dovecot, message  # noqa: E402
from test_connection_jobs import SlowPop3, connection, show  # noqa: E402
from test_imap_collector import ImapCollectorCase, message as imap_message  # noqa: E402
from test_monitor import MonitorBase  # noqa: E402
from test_status import StatusClient  # noqa: E402

N_MESSAGES = 30


def is_progress(kind, method):
    return lambda m: (m.get("event") == "progress" and m.get("kind") == kind and
                      m.get("method") == method)


def events_until_final(c, kind, method):
    """The progress events of one job of method, up to its final one."""
    got = []
    while not got or not got[-1].get("final"):
        got.append(c.event(is_progress(kind, method), what="%s progress" % kind))
    return got


class Progress(MonitorBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.isp = Dovecot()

    @classmethod
    def tearDownClass(cls):
        cls.isp.stop()
        super().tearDownClass()

    def add_collector(self, name, port, account="isp"):
        rc, out, err = self.d.cli("collector", "add", name, "server=127.0.0.1",
                                  "port=%d" % port, "user=" + account, "password=-",
                                  "route=user", "target=bob",
                                  input=Dovecot.ACCOUNTS[account] + "\n")
        self.assertEqual(rc, 0, err)
        self.addCleanup(self.d.cli, "collector", "del", name)

    def assert_progress(self, events, total):
        self.assertGreaterEqual(len(events), 2, events)
        dones = [e["done"] for e in events]
        self.assertEqual(dones, sorted(dones), "done never goes back")
        self.assertEqual({e["total"] for e in events}, {total}, events)
        self.assertLess(events[0]["done"], total, "a first word before the end")
        self.assertTrue(events[-1]["final"])
        self.assertEqual(events[-1]["done"], total)
        self.assertFalse(any(e["final"] for e in events[:-1]))

    def test_collect_progress_events(self):
        self.isp.clear("isp")
        body = "".join("line %05d of a message to collect with progress\r\n" % i
                       for i in range(400))
        for i in range(N_MESSAGES):
            self.isp.put("isp", message("bob@x.example", "progress-%d" % i, body=body),
                         "p%d" % i)
        self.add_collector("withprogress", self.isp.port)
        c = self.admin()
        self.assertTrue(c.request("subscribe", topics=["connection"])["ok"])
        connection(self, "add", "isp", "--every", "10080", "--collectors", "withprogress",
                   "--send", "no")
        self.addCleanup(self.d.cli, "connection", "del", "isp")
        events = events_until_final(c, "collect", "isp")
        self.assert_progress(events, N_MESSAGES)
        self.assertEqual({e["job"] for e in events}, {"withprogress"})
        self.assertGreaterEqual(events[-1]["bytes"], N_MESSAGES * len(body))
        pbtest.wait_until(lambda: show(self.d, "isp")["last poll"].endswith(": ok"),
                          timeout=30, what="the method's run ending ok")
        self.assertEqual(self.isp.count("isp"), 0)
        # over: the snapshot lists no job in progress
        snap = c.request("snapshot")
        self.assertEqual(snap["connection"]["progress"], [], snap["connection"])

    def test_stalled_run_in_snapshot_and_on_screen(self):
        slow = SlowPop3()
        self.addCleanup(slow.server_close)
        self.addCleanup(slow.shutdown)
        self.addCleanup(slow.release.set)
        conf = self.config("office", "admin", "adminpw1")
        self.screen_start("prog", conf)
        self.wait_screen("prog", lambda s: "Link: connected" in s, "connected")
        self.add_collector("slow", slow.port)
        connection(self, "add", "slowisp", "--every", "10080", "--collectors", "slow",
                   "--send", "no")
        self.addCleanup(self.d.cli, "connection", "del", "slowisp")
        self.assertTrue(slow.stalled.wait(30), "the collection reached the second message")
        c = self.admin()
        snap = c.request("snapshot")
        jobs = [p for p in snap["connection"]["progress"] if p["method"] == "slowisp"]
        self.assertEqual(len(jobs), 1, snap["connection"])
        self.assertEqual((jobs[0]["kind"], jobs[0]["job"], jobs[0]["done"], jobs[0]["total"]),
                         ("collect", "slow", 1, 3))
        self.assertGreater(jobs[0]["bytes"], 0)
        line = lambda s: next((x for x in s.splitlines() if " slowisp " in x), "")  # noqa: E731
        self.wait_screen("prog", lambda s: re.search(r"running +\[#+\.+\] 1/3 msgs \d+ KB slow",
                                                     line(s)), "the progress bar")
        slow.release.set()
        pbtest.wait_until(lambda: show(self.d, "slowisp")["last poll"].endswith(": ok"),
                          timeout=30, what="the run ending ok")
        self.wait_screen("prog", lambda s: "last ok" in line(s) and "msgs" not in line(s),
                         "the bar gone, the run's result shown")


class SendProgress(MonitorBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # nothing goes out until the method's run: the smart host is closed, retries far
        cls.settings({"smart_host": "127.0.0.1:%d" % cls.dead, "retry_first_s": 3600,
                      "retry_max_s": 3600})

    def test_send_progress_and_threads(self):
        n = 4
        for i in range(n):
            self.send(["far%d@remote.example" % i], b"Subject: send progress %d\r\n\r\nx\r\n" % i)
        for i in range(n):
            pbtest.wait_until(lambda: self.find_entry("far%d@remote.example deferred" % i),
                              timeout=30, what="message %d deferred" % i)
        self.settings({"smart_host": "127.0.0.1:%d" % self.sink.port})
        c = self.admin()
        self.assertTrue(c.request("subscribe", topics=["connection", "queue"])["ok"])
        connection(self, "add", "batch", "--every", "10080")
        self.addCleanup(self.d.cli, "connection", "del", "batch")
        events = events_until_final(c, "send", "batch")
        self.assertGreaterEqual(len(events), 2, events)
        self.assertEqual(events[-1]["total"], n)
        dones = [e["done"] for e in events]
        self.assertEqual(dones, sorted(dones))
        self.assertEqual(events[-1]["done"], n)
        self.assertTrue(all(e["job"] == "queue" and "threads" in e for e in events), events)
        queue = [e for e in c.events if e.get("event") == "queue"]
        self.assertTrue(any(e["sending"] > 0 for e in queue), queue)
        last = c.event(lambda m: m.get("event") == "queue" and m["out_queue"] == 0 and
                       m["sending"] == 0, what="the queue empty, nothing in flight")
        self.assertEqual(last["held"], 0)
        for i in range(n):
            self.assertEqual(len(self.sink.find(b"Subject: send progress %d" % i)), 1)


class ImapProgress(ImapCollectorCase):
    def test_imap_collect_progress(self):
        m = self.isp.imap("big")
        for i in range(6):
            typ, _ = m.append("INBOX", "()", None, imap_message("imap progress %d" % i,
                                                                size=4000))
            self.assertEqual(typ, "OK")
        m.logout()
        self.add("imapprog", "big", "mig", "idle_s=0")
        self.addCleanup(self.cli, "collector", "del", "imapprog")
        c = StatusClient(self.d.ports["status"])
        self.addCleanup(c.close)
        self.assertTrue(c.login("admin", "adminpw1")["ok"])
        self.assertTrue(c.request("subscribe", topics=["connection"])["ok"])
        self.assertEqual(self.run_collector("imapprog")["fetched"], "6")
        events = events_until_final(c, "collect", "")
        self.assertEqual({e["job"] for e in events}, {"imapprog"})
        self.assertEqual({e["total"] for e in events}, {0})
        dones = [e["done"] for e in events]
        self.assertEqual(dones, sorted(dones))
        self.assertEqual(dones[-1], 6)
        self.assertGreaterEqual(events[-1]["bytes"], 6 * 4000)


if __name__ == "__main__":
    unittest.main(verbosity=2)
