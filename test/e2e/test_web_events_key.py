"""End to end (h-upfix10, issue 15): a live status stream (GET /api/status/events) opened with
an API key ("Authorization: Bearer KEY", no cookie) has its key checked again by the status hub
at each ping (web.events_ping_s, set to 1 here): it goes on while the key exists (each ping
comes after the check) and ends within a ping period once the key is deleted
(`pillarbox apikey del`)."""
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402


class TestEventsKey(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()
        cls.port = cls.d.ports["http"]

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def cli_ok(self, *args):
        rc, out, err = self.d.cli(*args)
        self.assertEqual(rc, 0, err)
        return out

    def open_stream(self, key):
        """(socket, its reader) of a stream opened with key, its "ready" event read."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        self.addCleanup(s.close)
        s.sendall(("GET /api/status/events HTTP/1.1\r\nHost: x\r\n"
                   "Authorization: Bearer %s\r\n\r\n" % key).encode())
        r = s.makefile("rb")
        self.addCleanup(r.close)
        self.assertEqual(r.readline(), b"HTTP/1.1 200 OK\r\n")
        while r.readline() != b"\r\n":
            pass
        self.assertEqual(r.readline(), b"event: ready\n")
        return s, r

    @staticmethod
    def next_ping(r):
        """True at the stream's next ": ping" comment, False when it ended."""
        while True:
            line = r.readline()
            if not line:
                return False
            if line == b": ping\n":
                return True

    def test_stream_ends_with_its_key(self):
        key = self.cli_ok("apikey", "add", "watcher", "--role", "admin").strip()
        self.cli_ok("setting", "set", "web", '{"events_ping_s": 1}')
        streams = []

        def pings_fast():
            conn, r = self.open_stream(key)
            conn.settimeout(3)  # the default 15 s ping: not yet applied, open another
            try:
                ok = self.next_ping(r)
            except socket.timeout:
                return False
            streams.append((conn, r))
            return ok
        pbtest.wait_until(pings_fast, timeout=60, what="web.events_ping_s applied")
        conn, r = streams[-1]
        conn.settimeout(30)
        self.assertTrue(self.next_ping(r), "the stream ended while its key exists")
        self.assertTrue(self.next_ping(r), "the stream ended while its key exists")
        self.cli_ok("apikey", "del", "watcher")
        conn.settimeout(10)  # a few ping periods: socket.timeout if the stream goes on
        while self.next_ping(r):
            pass


if __name__ == "__main__":
    unittest.main()
