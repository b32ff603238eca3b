"""End to end: the daemon talks to its service manager (issue 9, deliver 5): sd_notify READY=1
only once every port accepts connections, WATCHDOG=1 every half WATCHDOG_USEC while the actors
answer, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on SIGTERM. The test is the service
manager: it listens on the unix datagram socket it names in NOTIFY_SOCKET."""
import os
import signal
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402

LISTENING = ["smtp", "submission", "pop3"]


class DaemonExited(Exception):
    pass


class Manager:
    """The service manager's end of NOTIFY_SOCKET: every datagram received, in order."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pb-notify-")
        self.path = os.path.join(self.dir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.received = []

    def wait_for(self, field, timeout=20.0, proc=None):
        """Reads datagrams until one holds the line `field` (e.g. "READY=1"); returns it and
        the time it arrived. Raises TimeoutError naming what came instead, or DaemonExited
        with its standard error when proc ends first."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no %s; received %r" % (field, self.received))
            if proc is not None and proc.poll() is not None:
                raise DaemonExited(proc.stderr.read())
            self.sock.settimeout(min(left, 0.2))
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            self.received.append(data)
            if field in data.split("\n"):
                return data, time.monotonic()

    def close(self):
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return True
    except OSError:
        return False


class Notify(unittest.TestCase):
    def setUp(self):
        self.m = Manager()
        os.environ["NOTIFY_SOCKET"] = self.m.path
        os.environ["WATCHDOG_USEC"] = "2000000"
        self.d = pbtest.Daemon()

    def tearDown(self):
        for key in ("NOTIFY_SOCKET", "WATCHDOG_USEC"):
            os.environ.pop(key, None)
        self.d.cleanup()
        self.m.close()

    def start(self):
        """Starts the daemon; at READY=1 freezes it (SIGSTOP) and checks that every port
        already accepts (the kernel completes a connection to a listening socket by itself),
        so a READY sent before the last listen() fails here."""
        for attempt in range(3):
            self.d.start(expect_ready=False)
            try:
                ready, _ = self.m.wait_for("READY=1", proc=self.d.proc)
                break
            except DaemonExited as e:
                # another test's daemon took a port between free_port and the bind
                if "the address is in use" not in str(e) or attempt == 2:
                    raise
                self.d.write_config()
        self.d.proc.send_signal(signal.SIGSTOP)
        try:
            closed = [svc for svc in LISTENING if not accepts(self.d.ports[svc])]
        finally:
            self.d.proc.send_signal(signal.SIGCONT)
        self.assertEqual(closed, [], "READY=1 came before these ports listened")
        self.assertIn("STATUS=Serving mail", ready)
        line = self.d.proc.stdout.readline()
        while line and "pillarboxd: ready" not in line:
            line = self.d.proc.stdout.readline()
        self.assertIn("pillarboxd: ready", line)

    def test_ready_only_after_every_port_listens(self):
        self.start()
        self.assertFalse(any("READY=1" in m for m in self.m.received[:-1]), self.m.received)

    def test_watchdog_pings_every_half_period(self):
        self.start()
        times = [self.m.wait_for("WATCHDOG=1", timeout=3.0)[1] for _ in range(4)]
        gaps = [b - a for a, b in zip(times, times[1:])]
        # half of 2 s is 1 s: well under the 2 s after which systemd would kill the daemon
        self.assertTrue(all(0.5 < g < 1.9 for g in gaps), gaps)

    def test_reload_and_stop(self):
        self.start()
        self.d.proc.send_signal(signal.SIGHUP)
        reloading, t_reload = self.m.wait_for("RELOADING=1")
        self.assertIn("MONOTONIC_USEC=", reloading)
        _, t_ready = self.m.wait_for("READY=1")
        self.assertGreaterEqual(t_ready, t_reload)
        self.assertTrue(accepts(self.d.ports["smtp"]))
        self.d.proc.send_signal(signal.SIGTERM)
        stopping, _ = self.m.wait_for("STOPPING=1")
        rc, _, err = self.d.wait_exit()
        self.assertEqual(rc, 0, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
