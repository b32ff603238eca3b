"""End to end: the server's routing script user_redirect.lua stored and versioned (issue 13
item 3, issue 15 item 5), never written into the program's files. With router.user_redirect
empty, PUT /api/scripts-server stores the text (a syntax error refused with its line), the
installed copy's bytes (the daemon's PB_USER_REDIRECT_DEFAULT: the source tree's
scripts/lua/user_redirect.lua) stay as they were, and the stored script acts on mail sent with
smtplib at once (a forward it defines, read over POP3, and in the trace) and in `rules dry-run`; the settings
history has each change (by web:admin, before and after); rolling the second change back puts
the first text back, which acts again; a restart keeps it; DELETE goes back to the installed
copy; with router.user_redirect naming a file, GET says "file" and PUT and DELETE answer 409
saying to edit that file. `pillarbox script server get|set|reset` does the same from the CLI."""
import hashlib
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_router import RouterClient  # noqa: E402
from test_web_api import Client  # noqa: E402

INSTALLED = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", "..", "scripts",
                                          "lua", "user_redirect.lua"))


def digest():
    with open(INSTALLED, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def forwarding(to):
    """A server script that forwards a copy of amy's mail to `to` (a local account)."""
    return 'if msg.user == "amy" then forward("%s") end\n' % to


class ServerScript(RouterClient, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()
        for u in ("amy", "ben", "cat"):
            cls.d.add_user(u, u + "pw123")
        cls.domain = cls.d.cli("domain", "list")[1].split()[0]
        cls.installed = digest()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def admin(self):
        c = Client(self.d.ports["http"])
        self.addCleanup(c.close)
        r, body = c.login("admin", self.d.admin_password)
        self.assertEqual(r.status, 200, body)
        return c

    def put(self, c, text, status=200):
        r, body = c.request("PUT", "/api/scripts-server", {"script": text})
        self.assertEqual(r.status, status, body)
        return body

    def newest(self, c):
        r, hist = c.request("GET", "/api/settings-history?limit=1")
        self.assertEqual(r.status, 200, hist)
        return hist[0]

    def reaches(self, user, marker):
        """Sends marker to amy and waits for it in user's inbox; the delivery's trace."""
        qid = self.deliver("amy@" + self.domain, marker)
        self.wait_for(user, marker)
        return self.d.cli("trace", qid)[1]

    def test_stored_versioned_and_rolled_back(self):
        c = self.admin()
        r, got = c.request("GET", "/api/scripts-server")
        self.assertEqual((r.status, got["source"], got["path"]), (200, "installed", INSTALLED))
        with open(INSTALLED) as f:
            self.assertEqual(got["script"], f.read())
        # a syntax error: refused with its line, nothing stored
        body = self.put(c, "keep()\nlocal x = = 1\n", 400)
        self.assertIn("user_redirect.lua:2:", body["error"])
        self.assertEqual(c.request("GET", "/api/scripts-server")[1]["source"], "installed")
        # stored: the installed copy untouched, the script acts at once
        to_ben = forwarding("ben@" + self.domain)
        got = self.put(c, to_ben)
        self.assertEqual((got["source"], got["path"], got["script"]), ("stored", "", to_ben))
        self.assertEqual(digest(), self.installed)
        first = self.newest(c)
        self.assertEqual((first["doc"], first["by"], first["after"]),
                         ("router-script", "web:admin", {"text": to_ben}))
        self.assertIn("forward to ben@", self.reaches("ben", "to-amy-1"))
        out = self.d.cli("rules", "dry-run", "amy", "-", input="Subject: dry\r\n\r\nb\r\n")[1]
        self.assertIn("forward to ben@" + self.domain, out)
        # a second change, then rolled back: the first text again
        to_cat = forwarding("cat@" + self.domain)
        self.put(c, to_cat)
        second = self.newest(c)
        self.assertEqual((second["before"], second["after"]), ({"text": to_ben}, {"text": to_cat}))
        self.reaches("cat", "to-amy-2")
        r, body = c.request("POST", "/api/settings-history/%d/rollback" % second["seq"])
        self.assertEqual((r.status, body), (200, {"changed": 1}))
        self.assertEqual(self.newest(c)["note"], "rollback of #%d" % second["seq"])
        self.assertEqual(c.request("GET", "/api/scripts-server")[1]["script"], to_ben)
        self.reaches("ben", "to-amy-3")
        out = self.d.cli("setting", "history", "5")[1]
        self.assertIn("router-script", out)
        self.assertIn('    - if msg.user == "amy" then forward("cat@%s") end\n'
                      '    + if msg.user == "amy" then forward("ben@%s") end\n'
                      % (self.domain, self.domain), out)  # the rollback, as changed lines
        # a restart keeps the stored script
        self.d.stop()
        self.d.start()
        c = self.admin()
        got = c.request("GET", "/api/scripts-server")[1]
        self.assertEqual((got["source"], got["script"]), ("stored", to_ben))
        self.reaches("ben", "to-amy-4")
        # reset: the installed copy (its empty config decides nothing): amy gets her mail
        r, got = c.request("DELETE", "/api/scripts-server")
        self.assertEqual((r.status, got["source"], got["path"]), (200, "installed", INSTALLED))
        trace = self.reaches("amy", "to-amy-5")
        self.assertIn("user_redirect.lua", trace)
        self.assertNotIn("forward to", trace)
        # rolling back the first change: no stored text before it, so the installed copy
        r, body = c.request("POST", "/api/settings-history/%d/rollback" % first["seq"])
        self.assertEqual(r.status, 400, body)  # its key was changed since: refused
        self.assertIn("changed again", body["error"])
        self.assertEqual(digest(), self.installed)

    def test_file_setting_refuses_changes_and_cli(self):
        c = self.admin()
        path = os.path.join(self.d.data_dir, "admin-script.lua")
        with open(path, "w") as f:
            f.write("-- the administrator's file\n")
        rc, _, err = self.d.cli("setting", "set", "router", '{"user_redirect": "%s"}' % path)
        self.assertEqual(rc, 0, err)
        try:
            got = c.request("GET", "/api/scripts-server")[1]
            self.assertEqual((got["source"], got["path"]), ("file", path))
            body = self.put(c, "keep()\n", 409)
            self.assertIn("edit that file", body["error"])
            r, body = c.request("DELETE", "/api/scripts-server")
            self.assertEqual(r.status, 409, body)
            rc, _, err = self.d.cli("script", "server", "set", "-", input="keep()\n")
            self.assertEqual(rc, 1)
            self.assertIn("router.user_redirect names the file", err)
            with open(path) as f:
                self.assertEqual(f.read(), "-- the administrator's file\n")
        finally:
            self.d.cli("setting", "set", "router", '{"user_redirect": ""}')
        # the CLI stores, reads back and resets
        rc, out, err = self.d.cli("script", "server", "set", "-", input="keep()\n")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.d.cli("script", "server", "get")
        self.assertEqual((rc, out), (0, "keep()\n"), err)
        self.assertIn("# source: stored", err)
        rc, out, err = self.d.cli("script", "server", "reset")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.d.cli("script", "server", "get")
        self.assertIn("# source: installed (%s)" % INSTALLED, err)
        self.assertEqual(digest(), self.installed)


if __name__ == "__main__":
    unittest.main()
