"""End to end: connection methods driving their jobs (issue 12 item 2) — the collectors and the
sending of queued mail — against real peers on loopback: Dovecot as the ISP's POP3 server,
smtp-sink as the smart host, and a slow POP3 server written here that stalls in the middle of
a message. Checked: `connection now` running a method's collector, its last poll recorded ok;
a collector with a wrong password named in the method's last failure; a "min waiting 2" rule
skipping with one message queued and, with two, sending both (they are at smtp-sink when the
run ends ok, long before the queue's own retry); a hang-up during a slow collection stopping
at the next message boundary: the message being downloaded arrives whole, the next one is not
begun, nothing is half there; a hang-up of a sending method holding the queue's retries until
the method is resumed."""
import json
import os
import socketserver
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_collector import CollectorCase, Dovecot, message  # noqa: E402
from test_queue import QueueBase, Sink, closed_port  # noqa: E402

os.environ["TZ"] = "UTC"


def show(d, name):
    rc, out, err = d.cli("connection", "show", name)
    assert rc == 0, err
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines())}


def connection(test, *argv):
    rc, out, err = test.d.cli("connection", *argv)
    test.assertEqual(rc, 0, (argv, out, err))
    return out


class MethodCollects(CollectorCase):
    def test_now_runs_the_methods_collector(self):
        before = self.subjects("bob")
        self.add("viamethod", "route=user", "target=bob", account="solo")
        connection(self, "add", "isp", "--every", "10080", "--collectors", "viamethod",
                   "--send", "no")
        self.addCleanup(self.d.cli, "connection", "del", "isp")
        pbtest.wait_until(lambda: show(self.d, "isp")["last poll"].endswith(": ok"),
                          timeout=30, what="the method's first run (nothing to fetch)")
        connection(self, "pause", "isp")
        self.isp.put("solo", message("whoever@anywhere.example", "by-method"), "bm")
        connection(self, "now", "isp")
        pbtest.wait_until(lambda: "by-method" in self.subjects("bob"), timeout=30,
                          what="the message fetched by connect now")
        pbtest.wait_until(lambda: show(self.d, "isp")["last poll"].endswith(": ok"),
                          timeout=30, what="the method's run ending ok")
        self.assertIn("event=run_start connection=isp why=now", self.d.log())
        self.assertEqual(self.subjects("bob"), sorted(before + ["by-method"]))
        self.assertEqual(self.isp.count("solo"), 0)
        self.assertEqual(show(self.d, "isp")["last failure"], "none")
        self.assertRegex(connection(self, "list"), r"(?m)^isp +paused +last .* ok, next none \(paused\)$")
        self.assertIn("name=viamethod summary=\"1 fetched, 0 too big, 1 deleted\"", self.d.log())

    def test_wrong_password_is_the_methods_last_failure(self):
        rc, out, err = self.cli("collector", "add", "badpw", "server=127.0.0.1",
                                "port=%d" % self.isp.port, "user=solo", "password=nope",
                                "route=user", "target=carol", "auth=apop")
        self.assertEqual(rc, 0, err)
        self.addCleanup(self.cli, "collector", "del", "badpw")
        self.isp.put("solo", message("x@y.example", "stays"), "st")
        connection(self, "add", "failing", "--every", "10080", "--collectors", "badpw",
                   "--send", "no")
        self.addCleanup(self.d.cli, "connection", "del", "failing")
        pbtest.wait_until(lambda: "failed" in show(self.d, "failing")["last poll"], timeout=30,
                          what="the method's first run failing")
        failure = show(self.d, "failing")["last failure"]
        self.assertIn("collect badpw: ", failure)
        self.assertIn("APOP", failure)
        self.assertEqual(self.isp.count("solo"), 1)


class SlowPop3(socketserver.ThreadingTCPServer):
    """A POP3 server (USER/PASS) with three messages whose second stalls half-way through RETR
    until release is set; it notes the commands it was sent."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        self.commands = []
        self.stalled = threading.Event()
        self.release = threading.Event()
        body = "".join("line %04d of the slow message\r\n" % i for i in range(400))
        self.msgs = [message("bob@x.example", "slow-%d" % n, body=body) for n in (1, 2, 3)]
        super().__init__(("127.0.0.1", 0), SlowPop3Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


class SlowPop3Handler(socketserver.StreamRequestHandler):
    def out(self, data):
        self.wfile.write(data if isinstance(data, bytes) else data.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        srv = self.server
        self.out("+OK slow POP3 ready")
        for line in self.rfile:
            cmd = line.decode().rstrip("\r\n")
            srv.commands.append(cmd)
            verb, _, arg = cmd.partition(" ")
            verb = verb.upper()
            if verb == "UIDL":
                self.out("+OK\r\n" + "".join("%d slow-uidl-%d\r\n" % (i + 1, i + 1)
                                             for i in range(3)) + ".")
            elif verb == "LIST":
                self.out("+OK\r\n" + "".join("%d %d\r\n" % (i + 1, len(m))
                                             for i, m in enumerate(srv.msgs)) + ".")
            elif verb == "RETR":
                data = srv.msgs[int(arg) - 1]
                self.out("+OK")
                if arg == "2":
                    self.out(data[:len(data) // 2])
                    srv.stalled.set()
                    srv.release.wait(60)
                    self.out(data[len(data) // 2:])
                else:
                    self.out(data)
                self.out(".")
            elif verb == "QUIT":
                self.out("+OK bye")
                return
            elif verb in ("USER", "PASS", "DELE", "NOOP"):
                self.out("+OK")
            else:
                self.out("-ERR unknown")


class HangUp(CollectorCase):
    def test_hangup_stops_at_a_message_boundary(self):
        slow = SlowPop3()
        self.addCleanup(slow.server_close)
        self.addCleanup(slow.shutdown)
        self.addCleanup(slow.release.set)
        before = self.subjects("bob")
        self.add("slow", "route=user", "target=bob", port=slow.port)
        connection(self, "add", "slowisp", "--every", "10080", "--collectors", "slow",
                   "--send", "no")
        self.addCleanup(self.d.cli, "connection", "del", "slowisp")
        self.assertTrue(slow.stalled.wait(30), "the collection reached the second message")
        self.assertIn("hung up", connection(self, "hangup", "slowisp"))
        pbtest.wait_until(lambda: show(self.d, "slowisp")["last poll"].endswith(": hung up"),
                          timeout=30, what="the run ended hung up")
        slow.release.set()
        pbtest.wait_until(lambda: "QUIT" in slow.commands, timeout=30,
                          what="the collector ending its session")
        # the message in flight arrived whole, the next was never asked for
        self.assertIn("RETR 2", slow.commands)
        self.assertNotIn("RETR 3", slow.commands)
        self.assertEqual([c for c in slow.commands if c.startswith("DELE")], ["DELE 1", "DELE 2"])
        # spooled before each DELE; the delivery into the mailbox follows on its own time
        want = sorted(before + ["slow-1", "slow-2"])
        pbtest.wait_until(lambda: self.subjects("bob") == want, timeout=30,
                          what="slow-1 and slow-2 delivered to bob")
        rc, out, err = self.cli("collector", "show", "slow", "--json")
        self.assertEqual(json.loads(out)["status"]["result"], "hung up")


class MinWaiting(QueueBase):
    @classmethod
    def setUpClass(cls):
        cls.sink = Sink()
        cls.dead = closed_port()
        cls.start_daemon(cls.dead)
        cls.settings({"retry_first_s": 3600, "retry_max_s": 3600})

    @classmethod
    def tearDownClass(cls):
        cls.sink.stop()
        cls.stop_daemon()

    def deferred(self, marker):
        return pbtest.wait_until(lambda: self.find_entry(marker + "@remote.example deferred"),
                                 timeout=30, what="%s deferred" % marker)

    def test_min_waiting_skips_then_sends(self):
        self.send(["one@remote.example"], b"Subject: waiting one\r\n\r\nfirst\r\n")
        self.deferred("one")
        connection(self, "add", "batch", "--every", "1", "--min-waiting", "2")
        pbtest.wait_until(lambda: show(self.d, "batch")["last poll"].endswith(": skipped"),
                          timeout=30, what="the run skipped with one message waiting")
        connection(self, "del", "batch")
        self.send(["two@remote.example"], b"Subject: waiting two\r\n\r\nsecond\r\n")
        self.deferred("two")
        self.assertEqual(self.sink.messages(), [])
        self.settings({"smart_host": "127.0.0.1:%d" % self.sink.port})
        connection(self, "add", "batch", "--every", "1", "--min-waiting", "2")
        self.addCleanup(self.d.cli, "connection", "del", "batch")
        pbtest.wait_until(lambda: show(self.d, "batch")["last poll"].endswith(": ok"),
                          timeout=30, what="the run sending both")
        # answered only once both had their attempt: they are at the sink already
        self.assertEqual(len(self.sink.find(b"Subject: waiting one")), 1)
        self.assertEqual(len(self.sink.find(b"Subject: waiting two")), 1)
        self.assertIn("event=send_job connection=batch entries=2", self.d.log())


class Stall(socketserver.ThreadingTCPServer):
    """An SMTP server that says nothing until release is set, then "421" and closes; it
    counts the connections."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        self.connections = 0
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), StallHandler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


class StallHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.server.connections += 1
        self.server.release.wait(60)
        self.wfile.write(b"421 4.3.2 not now\r\n")


class HangUpHoldsQueue(QueueBase):
    """Hanging up a method that sends holds the queue's sending: no new attempt (a retry that
    falls due is held back) until the method is resumed."""

    @classmethod
    def setUpClass(cls):
        cls.stall = Stall()
        cls.start_daemon(cls.stall.port)
        cls.settings({"retry_first_s": 1, "retry_max_s": 1})

    @classmethod
    def tearDownClass(cls):
        cls.stall.release.set()
        cls.stop_daemon()
        cls.stall.shutdown()
        cls.stall.server_close()

    def attempts(self, qid):
        return int(self.queue("show", qid)[1].split("attempts=")[1].split()[0])

    def test_hangup_holds_until_resume(self):
        self.send(["held@remote.example"], b"Subject: held by hangup\r\n\r\nbody\r\n")
        pbtest.wait_until(lambda: self.stall.connections == 1, timeout=30,
                          what="the first attempt, stalled")
        qid = pbtest.wait_until(lambda: self.find_entry("held@remote.example"), timeout=30,
                                what="the entry")[0]
        connection(self, "add", "isp", "--every", "10080")
        self.addCleanup(self.d.cli, "connection", "del", "isp")
        pbtest.wait_until(lambda: show(self.d, "isp")["state"].startswith("running"),
                          timeout=30, what="the send run waiting for the stalled attempt")
        self.assertIn("hung up", connection(self, "hangup", "isp"))
        self.stall.release.set()  # the attempt ends 4xx; its retry falls due a second later
        pbtest.wait_until(lambda: "event=held_back queue_id=%s" % qid in self.d.log(),
                          timeout=30, what="the due retry held back")
        self.assertEqual(self.stall.connections, 1)
        self.assertEqual(self.attempts(qid), 1)
        self.assertIn("event=sending_held connection=isp", self.d.log())
        connection(self, "resume", "isp")
        pbtest.wait_until(lambda: self.stall.connections >= 2, timeout=30,
                          what="an attempt once resumed")
        pbtest.wait_until(lambda: self.attempts(qid) >= 2, timeout=30,
                          what="the attempt written down")


if __name__ == "__main__":
    unittest.main(verbosity=2)
