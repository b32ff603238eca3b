"""End to end: session fixation and the session's life on the web gateway (issue 15 item 7),
over http.client. Checked: a pb_session cookie the client sends before it logs in — a made-up
one, or a valid one of an earlier login (there are no anonymous sessions, so that is the only
pre-login id that exists) — never becomes the login: POST /api/login answers a fresh id in
Set-Cookie, the id sent before answers 401 on /api/me afterwards (the earlier login is ended
by the new one), the new login has a new CSRF token and the old token is refused on a change;
logging out ends the id on the server, so replaying the cookie afterwards is 401. And one
account logging in again and again (web.logins_per_account) ends only its own oldest logins,
never an administrator's."""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from test_web_api import ApiBase  # noqa: E402

MADE_UP = "pb_session=" + "ab" * 32


class SessionFixation(ApiBase):
    def me(self, cookie):
        """GET /api/me with only this Cookie field: (status, body)."""
        r, body = self.client().request("GET", "/api/me", headers={"Cookie": cookie})
        return r.status, body

    def login_with(self, cookie, user="bob", password="bob-secret-1"):
        """POST /api/login sending cookie; returns (the client now holding the new cookie, the
        new login's body)."""
        c = self.client()
        c.cookie = cookie
        r, body = c.login(user, password)
        self.assertEqual(r.status, 200, body)
        self.assertRegex(r.getheader("Set-Cookie"), "^pb_session=[0-9a-f]{64};")
        return c, body

    def test_a_made_up_id_is_not_adopted(self):
        self.assertEqual(self.me(MADE_UP)[0], 401)
        c, body = self.login_with(MADE_UP)
        self.assertNotEqual(c.cookie, MADE_UP)
        self.assertEqual(self.me(MADE_UP)[0], 401)
        status, me = self.me(c.cookie)
        self.assertEqual((status, me["user"], me["csrf"]), (200, "bob", body["csrf"]))

    def test_a_valid_earlier_id_is_replaced_with_its_csrf_token(self):
        first, first_body = self.login_with(None)
        self.assertEqual(self.me(first.cookie)[0], 200)
        second, second_body = self.login_with(first.cookie)
        self.assertNotEqual(second.cookie, first.cookie)
        self.assertNotEqual(second_body["csrf"], first_body["csrf"])
        self.assertEqual(self.me(first.cookie)[0], 401)  # the earlier login ended
        self.assertEqual(self.me(second.cookie)[0], 200)
        # the old token does not pass for the new login
        r, body = second.request("POST", "/api/logout", headers={"X-CSRF-Token": first_body["csrf"]},
                                 csrf=False)
        self.assertEqual(r.status, 403, body)
        self.assertEqual(self.me(second.cookie)[0], 200)

    def test_an_id_of_another_account_is_replaced_too(self):
        admin = self.admin()
        bob, _ = self.login_with(admin.cookie)
        self.assertEqual(self.me(admin.cookie)[0], 401)
        status, me = self.me(bob.cookie)
        self.assertEqual((status, me["user"], me["admin"]), (200, "bob", False))

    def test_logout_ends_the_id_on_the_server(self):
        c, _ = self.login_with(None)
        cookie = c.cookie
        r, _ = c.request("POST", "/api/logout")
        self.assertEqual(r.status, 204)
        self.assertTrue(re.search("Max-Age=0", r.getheader("Set-Cookie")))
        # replayed as it was before the logout, not as the browser now holds it
        self.assertEqual(self.me(cookie), (401, {"error": "log in first"}))
        r, _ = self.client().request("GET", "/api/users/bob", headers={"Cookie": cookie})
        self.assertEqual(r.status, 401)
        # a fresh login afterwards gets yet another id
        again, _ = self.login_with(cookie)
        self.assertNotEqual(again.cookie, cookie)

    CAP = 3

    def live(self, cookies):
        return [c for c in cookies if self.me(c)[0] == 200]

    def test_one_account_cannot_log_the_others_out(self):
        admin = self.admin()
        r, body = admin.request("PATCH", "/api/settings/web", {"logins_per_account": self.CAP})
        self.assertIn(r.status, (200, 204), body)
        self.addCleanup(self.d.cli, "setting", "set", "web", '{"logins_per_account": null}')
        # the gateway copies the settings once a second: bob logs in until his cap holds
        cookies, deadline = [], time.monotonic() + 20
        while len(cookies) <= self.CAP or len(self.live(cookies)) > self.CAP:
            self.assertLess(time.monotonic(), deadline, "the cap never took effect")
            cookies.append(self.login_with(None)[0].cookie)
        first = self.login_with(None)[0].cookie
        later = [self.login_with(None)[0].cookie for _ in range(self.CAP)]  # N + 1 in all
        self.assertEqual(self.me(first)[0], 401)  # bob's own oldest login ended
        self.assertEqual(self.live(later), later)
        self.assertEqual(self.live(cookies), [])
        r, me = admin.request("GET", "/api/me")
        self.assertEqual((r.status, me["user"]), (200, "admin"))  # the administrator stays
        r, _ = admin.request("GET", "/api/users/bob")
        self.assertEqual(r.status, 200)


if __name__ == "__main__":
    unittest.main()
