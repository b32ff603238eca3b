"""End to end: CSRF and roles over the whole route table (issue 15 item 7), so an endpoint
added later cannot forget them. The table is read from the OpenAPI document the server serves
(made from the route table itself: x-pillarbox-access is each route's role), and every
operation is called: each one that changes something (POST, PUT, PATCH, DELETE) and needs a
login answers 403 without the X-CSRF-Token field and with a wrong one, even to an
administrator; each administrator's endpoint answers 401 without a login and 403 to a
logged-in account (with its right token and a JSON body, so only the role can refuse it), and
each "the account itself or an administrator" endpoint 403 to another account. Nothing these
refusals reach may change anything: the accounts and domains are the same afterwards."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from test_web_api import ApiBase  # noqa: E402

PARAMS = {"{name}": "bob", "{folder}": "INBOX", "{uid}": "1", "{part}": "1", "{id}": "0123abcd"}
CHANGES = ("post", "put", "patch", "delete")


class RouteTable(ApiBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.d.add_user("eve", "eve-secret-1")

    def operations(self):
        """[(METHOD, path with its parameters filled, access)] of every route."""
        r, doc = self.client().request("GET", "/api/openapi.json")
        self.assertEqual(r.status, 200)
        ops = []
        for path, methods in doc["paths"].items():
            for p, v in PARAMS.items():
                path = path.replace(p, v)
            self.assertNotIn("{", path, "a path parameter this test does not know")
            for method, op in methods.items():
                self.assertIn(op.get("x-pillarbox-access"),
                              ("public", "user", "self_or_admin", "admin", "metrics"), path)
                ops.append((method.upper(), path, op["x-pillarbox-access"]))
        self.assertGreater(len(ops), 80)  # the whole table, not an empty walk
        return ops

    def call(self, c, method, path, token):
        """method path through c with a JSON body for a change and X-CSRF-Token token
        (None: without the field)."""
        headers = {"X-CSRF-Token": token} if token is not None else {}
        body = "{}" if method.lower() in CHANGES else None
        if body is not None:
            headers["Content-Type"] = "application/json"
        return c.request(method, path, body, headers=headers, csrf=False)

    def login(self, user, password):
        c = self.client()
        r, body = c.login(user, password)
        self.assertEqual(r.status, 200, body)
        return c

    def state(self):
        return self.d.cli("user", "list")[1], self.d.cli("domain", "list")[1]

    def test_every_change_needs_the_csrf_token(self):
        before = self.state()
        admin = self.admin()
        checked = 0
        for method, path, access in self.operations():
            if method.lower() not in CHANGES or access == "public":
                continue
            for token in (None, "0" * 64, admin.csrf[:-1]):
                r, body = self.call(admin, method, path, token)
                self.assertEqual(r.status, 403, "%s %s token %r" % (method, path, token))
                self.assertIn("X-CSRF-Token", body["error"], "%s %s" % (method, path))
            checked += 1
        self.assertGreater(checked, 40)
        self.assertEqual(self.state(), before)
        r, me = admin.request("GET", "/api/me")  # the login itself survived it all
        self.assertEqual((r.status, me["csrf"]), (200, admin.csrf))

    def test_roles_on_every_route(self):
        before = self.state()
        eve = self.login("eve", "eve-secret-1")
        nobody = self.client()
        admin_routes = 0
        for method, path, access in self.operations():
            what = "%s %s (%s)" % (method, path, access)
            if access in ("admin", "self_or_admin", "user"):
                r, body = self.call(nobody, method, path, None)
                self.assertEqual(r.status, 401, what)
                self.assertEqual(body, {"error": "log in first"}, what)
            if access in ("admin", "self_or_admin"):  # eve is not bob, and no administrator
                r, body = self.call(eve, method, path, eve.csrf)
                self.assertEqual(r.status, 403, what)
                self.assertIn("administrator", body["error"], what)
                admin_routes += access == "admin"
        self.assertGreater(admin_routes, 50)
        self.assertEqual(self.state(), before)


if __name__ == "__main__":
    unittest.main()
