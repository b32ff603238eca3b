"""End to end: the live REST API against its own description, docs/openapi.json (issue 15
item 2, "the OpenAPI document matching the server"). One daemon; an administrator and an
account (bob) log in; the objects every route needs are made (accounts, a domain, a mapping, an
alias, a list with a member, rule sets, a script, forwarding, an autoresponder, blocked
senders, a connection method, a collector that collects from this server's own POP3, an API
key, a block, a lock, a queue entry, mail with an attachment, a settings change and an
account change in the histories); then every GET route of the document and every
POST/PUT/PATCH route that answers a body is called, its status compared with the document's
and its body validated against the operation's schema (python3-jsonschema; $ref resolved
within the document). It fails on the first mismatch, naming the route and the jsonschema
error, and when a route of the document is neither called nor listed in UNCALLED with the
reason: a route added to web/web-api.c must be called here (or listed) to pass."""
import email.message
import json
import os
import smtplib
import socket
import sys
import tempfile
import unittest
import urllib.error
import urllib.parse
import urllib.request

import jsonschema

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_web_adm_edit import openssl_pair  # noqa: E402

DOC_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "openapi.json")

# Routes this test does not call, each with why. (A GET route, or a POST/PUT/PATCH one that
# answers a body, missing from both the calls and this list fails the test.)
UNCALLED = {
    ("GET", "/api/status/events"): "a text/event-stream that never ends by itself: "
    "test_web_admin10.py reads its events",
}


def resolve(node, doc, close=True, depth=0):
    """node with every {"$ref": "#/..."} replaced by what it points to in doc, and each object
    that names its properties closed to others: a property the server answers must be in the
    document too (close False: left open, as for a request)."""
    if depth > 50:
        raise ValueError("a $ref cycle in the document")
    if isinstance(node, list):
        return [resolve(v, doc, close, depth + 1) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return resolve(target, doc, close, depth + 1)
    out = {k: resolve(v, doc, close, depth + 1) for k, v in node.items()}
    if close and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False  # an answer holds only the properties named
    return out


def template_of(doc, verb, path):
    """The document's path template matching the concrete path (query stripped), or None."""
    segs = path.split("?", 1)[0].split("/")
    for template, item in doc["paths"].items():
        tsegs = template.split("/")
        if verb.lower() in item and len(tsegs) == len(segs) and all(
                t == s or (t.startswith("{") and s) for t, s in zip(tsegs, segs)):
            return template
    return None


class Client:
    """urllib with one login's cookie and CSRF token."""

    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port
        self.cookie = self.csrf = None

    def call(self, verb, path, body=None):
        h = {}
        data = None
        if isinstance(body, bytes):  # a file's bytes (an attachment upload)
            data = body
            h["Content-Type"] = "text/plain"
        elif body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.csrf and verb not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        req = urllib.request.Request(self.base + path, data=data, headers=h, method=verb)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, raw, hdrs = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, raw, hdrs = e.code, e.read(), e.headers
        if hdrs.get("Set-Cookie"):
            self.cookie = hdrs["Set-Cookie"].split(";", 1)[0]
        return status, hdrs.get("Content-Type", ""), raw


class OpenApiLive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(DOC_PATH) as f:
            cls.doc = json.load(f)
        cls.d = pbtest.Daemon()
        cls.d.start()
        cls.d.add_user("bob", "bob-secret-1")
        cls.d.add_user("carol", "carol-secret-1")
        cls.domain = cls.d.cli("domain", "list")[1].split()[0]
        cls.called = set()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def check(self, c, verb, path, body=None):
        """Calls verb path as c; the status must be the document's success status and a JSON
        answer valid against the operation's schema. Returns the parsed answer (or raw)."""
        template = template_of(self.doc, verb, path)
        self.assertIsNotNone(template, "%s %s: not in docs/openapi.json" % (verb, path))
        op = self.doc["paths"][template][verb.lower()]
        route = "%s %s" % (verb, template)
        self.called.add((verb, template))
        request = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None and request is not None:  # the document takes what works
            self.valid(route + " request", path, body, resolve(request["schema"], self.doc, False))
        status, ctype, raw = c.call(verb, path, body)
        ok = [code for code in op["responses"] if code != "default"]
        self.assertIn(str(status), ok, "%s (%s): status %d, the document says %s; body %r"
                      % (route, path, status, ok, raw[:300]))
        answer = op["responses"][str(status)]
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            return raw
        self.assertTrue(ctype.startswith("application/json"), "%s: Content-Type %r"
                        % (route, ctype))
        got = json.loads(raw)
        self.valid(route, path, got, resolve(schema, self.doc))
        return got

    def valid(self, route, path, value, schema):
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(schema).iter_errors(value))
        if error is not None:
            self.fail("%s (%s): not as the document says: %s at %s\nthe JSON: %s"
                      % (route, path, error.message, "/".join(map(str, error.absolute_path)),
                         json.dumps(value)[:1000]))

    def login(self, user, password):
        c = Client(self.d.ports["http"])
        me = self.check(c, "POST", "/api/login", {"user": user, "password": password})
        c.csrf = me["csrf"]
        return c

    def send(self, to, subject, attach=False):
        m = email.message.EmailMessage()
        m["From"], m["To"], m["Subject"] = "sender@example.org", to, subject
        m.set_content("hello\n")
        if attach:
            m.add_attachment(b"PK\x03\x04 data", maintype="application", subtype="zip",
                             filename="a.zip")
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            s.send_message(m, "sender@example.org", [to])

    def make_objects(self, admin, bob):
        """Every object the routes read, made through the API itself where it has a route."""
        dom = self.domain
        self.check(admin, "POST", "/api/users", {"user": "dave", "password": "dave-secret-1"})
        self.check(admin, "POST", "/api/domains", {"domain": "extra.example"})
        self.check(admin, "POST", "/api/mappings", {"address": "sales", "target": "bob"})
        self.check(admin, "POST", "/api/mappings",
                   {"address": "away", "target": "x@far.example"})
        self.check(admin, "POST", "/api/aliases/bob", {"address": "robert"})
        self.check(admin, "POST", "/api/lists", {"name": "team", "comment": "the team"})
        self.check(admin, "POST", "/api/lists/team/members", {"address": "bob"})
        rules = {"rules": [{"name": "widgets", "enabled": True, "match": "all",
                            "types": ["incoming"], "stop_after": False,
                            "conditions": [{"field": "subject", "match": "contains",
                                            "value": "widget", "i": True, "n": False}],
                            "actions": [{"action": "flag", "value": True}]}]}
        self.check(admin, "PUT", "/api/rules", rules)
        self.check(bob, "PUT", "/api/rules/bob", rules)
        self.check(admin, "PUT", "/api/users/carol/rules", rules)
        self.check(admin, "PUT", "/api/scripts/bob", {"script": "keep()\n"})
        self.check(bob, "PATCH", "/api/forwarding/bob", {"assistants": "carol", "keep_copy": True})
        self.check(bob, "PATCH", "/api/autoreply/bob",
                   {"autoreply_subject": "Away", "autoreply_days": 3})
        self.check(bob, "PATCH", "/api/blocked-senders/bob", {"blocked": "*@spam.example"})
        self.check(bob, "PATCH", "/api/signature/bob", {"signature_text": "Bob\\nSales"})
        self.check(admin, "PATCH", "/api/users/dave", {"quota_mb": 50})
        self.check(admin, "POST", "/api/connections", {"name": "office", "every_min": 30})
        self.check(admin, "POST", "/api/collectors", {"name": "self", "settings": {
            "server": "127.0.0.1", "port": self.d.ports["pop3"], "tls": "none",
            "user": "dave", "password": "dave-secret-1", "route": "user", "target": "carol"}})
        self.check(admin, "PATCH", "/api/collectors/self", {"max_kb": 1000})
        self.check(admin, "POST", "/api/blocks", {"net": "192.0.2.0/24", "reason": "test"})
        self.check(admin, "PATCH", "/api/settings/web", {"keepalive_timeout_s": 20})
        for _ in range(3):  # security.lock_after_failures: a lock in /api/lockouts
            self.assertEqual(Client(self.d.ports["http"]).call(
                "POST", "/api/login", {"user": "dave", "password": "wrong"})[0], 401)
        self.send("bob@" + dom, "with an attachment", attach=True)
        self.send("bob@" + dom, "plain")
        self.send("dave@" + dom, "to collect")
        # far.example through a port that refuses (bound, never listening): the entry stays
        # queued, deferred, however slow the machine (a failed lookup could bounce it first)
        self.refuser = socket.socket()
        self.addCleanup(self.refuser.close)
        self.refuser.bind(("127.0.0.1", 0))
        self.check(admin, "PATCH", "/api/settings/outbound",
                   {"routes": "far.example=127.0.0.1:%d" % self.refuser.getsockname()[1]})
        self.send("away@" + dom, "to the queue")

    def wait_for(self, c, path, pick, what):
        return pbtest.wait_until(lambda: pick(json.loads(c.call("GET", path)[2])),
                                 timeout=pbtest.DELIVERY_TIMEOUT, interval=0.2, what=what)

    def test_every_route_answers_as_documented(self):
        admin = self.login("admin", self.d.admin_password)
        bob = self.login("bob", "bob-secret-1")
        self.make_objects(admin, bob)
        inbox = "/api/mail/folders/INBOX/messages"
        msgs = self.wait_for(bob, inbox, lambda p: len(p["messages"]) >= 2 and p["messages"],
                             "bob's two messages")
        qid = self.wait_for(admin, "/api/queue",
                            lambda p: p["entries"] and p["entries"][0]["id"], "a queue entry")
        att = [m for m in msgs if m["subject"] == "with an attachment"][0]["uid"]
        plain = [m for m in msgs if m["subject"] == "plain"][0]["uid"]
        one = self.check(bob, "GET", "%s/%d" % (inbox, att))
        self.assertTrue(one["attachments"], one)
        part = urllib.parse.quote(one["attachments"][0]["part"], safe="")
        self.check(admin, "POST", "/api/collectors/self/run")
        seq = json.loads(admin.call("GET", "/api/settings-history?limit=1")[2])[0]["seq"]
        dir_seq = [h["seq"] for h in json.loads(admin.call("GET", "/api/directory-history")[2])
                   if h["doc"] == "user:dave" and h["before"] is not None][0]
        gets = [
            (bob, "/api/me"), (admin, "/api/status"), (admin, "/api/users"),
            (bob, "/api/users/bob"), (admin, "/api/users/dave"), (admin, "/api/domains"),
            (admin, "/api/settings/web"), (admin, "/api/settings/smtp"),
            (admin, "/api/settings-history"), (admin, "/api/directory-history"),
            (admin, "/api/settings"), (bob, "/api/users/bob/rules"), (bob, "/api/rules/names"),
            (admin, "/api/mappings"), (admin, "/api/mappings?target=bob"),
            (bob, "/api/aliases/bob"), (admin, "/api/lists"), (admin, "/api/lists/team"),
            (bob, "/api/forwarding/bob"), (bob, "/api/autoreply/bob"),
            (admin, "/api/forwarding/dave"), (admin, "/api/autoreply/dave"),
            (bob, "/api/blocked-senders/bob"), (bob, "/api/signature/bob"),
            (bob, "/api/users/bob/quota"), (admin, "/api/users/dave/quota"), (admin, "/api/user-keys"), (admin, "/api/rules"), (bob, "/api/rules/bob"),
            (admin, "/api/scripts/bob"), (admin, "/api/connections"),
            (admin, "/api/connections/office"), (admin, "/api/collectors"),
            (admin, "/api/collectors/self"), (admin, "/api/queue"),
            (admin, "/api/queue/" + qid), (admin, "/api/lockouts"),
            (bob, "/api/users/bob/logins"), (admin, "/api/users/dave/logins"),
            (admin, "/api/activity"), (admin, "/api/bindings"), (admin, "/api/certificates"),
            (admin, "/api/logs/security"), (bob, "/api/mail/folders"), (bob, inbox),
            (bob, inbox + "?q=plain"), (bob, "%s/%d" % (inbox, plain)),
            (bob, "%s/%d/parts/%s" % (inbox, att, part)),
            (bob, "/api/openapi.json"), (admin, "/metrics"),
        ]
        for c, path in gets:
            self.check(c, "GET", path)
        # the POST/PUT/PATCH routes that answer a body, and some that do not
        self.check(admin, "POST", "/api/apikeys", {"label": "k1", "role": "admin"})
        self.check(admin, "GET", "/api/apikeys")
        self.check(admin, "POST", "/api/users/bob/copy-inbox", {})
        self.check(admin, "POST", "/api/settings-history/%d/rollback" % seq)
        self.check(admin, "POST", "/api/directory-history/%d/rollback" % dir_seq)
        self.check(admin, "GET", "/api/history")
        point = self.check(admin, "POST", "/api/history/checkpoint", {"note": "openapi"})["point"]
        block = [h["point"] for h in self.check(admin, "GET", "/api/history?limit=200")
                 if h["kind"] == "block"][0]
        self.check(admin, "POST", "/api/history/%s/rollback" % block)
        self.check(admin, "POST", "/api/history/%s/rollback-to" % point)
        self.check(bob, "POST", "%s/%d/move" % (inbox, plain), {"to": "Trash"})
        self.check(bob, "PATCH", "%s/%d" % (inbox, att), {"flagged": True})
        self.check(bob, "POST", "/api/mail/send",
                   {"to": "carol@" + self.domain, "subject": "hi", "text": "hello\n"})
        draft = self.check(bob, "POST", "/api/mail/drafts",
                           {"to": "carol@" + self.domain, "subject": "later", "text": "to finish\n"})
        draft = self.check(bob, "PUT", "/api/mail/drafts/%d" % draft["uid"],
                           {"to": "carol@" + self.domain, "subject": "now", "text": "done\n"})
        self.check(bob, "POST", "/api/mail/drafts/%d/send" % draft["uid"],
                   {"to": "carol@" + self.domain, "subject": "now", "text": "done\n"})
        up = self.check(bob, "POST", "/api/mail/uploads?name=notes.txt", b"an upload\n")
        self.check(bob, "POST", "/api/mail/send",
                   {"to": "carol@" + self.domain, "subject": "file", "uploads": [up["id"]]})
        up = self.check(bob, "POST", "/api/mail/uploads?name=gone.txt", b"removed\n")
        self.check(bob, "DELETE", "/api/mail/uploads/" + up["id"])
        self.check(admin, "PUT", "/api/bindings/smtp", {"bindings": None})
        # the server script stored (router.user_redirect empty), then reset
        self.check(admin, "GET", "/api/scripts-server")
        self.check(admin, "PUT", "/api/scripts-server", {"script": "-- nothing to route\n"})
        self.check(admin, "DELETE", "/api/scripts-server")
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = openssl_pair(tmp, "openapi", cn="openapi.example")
        self.check(admin, "POST", "/api/certificates", {"certificate": cert, "key": key})
        self.check(Client(self.d.ports["http"]), "POST", "/api/recover", {"user": "bob"})
        self.check(admin, "POST", "/api/queue/%s/hold" % qid)
        self.check(admin, "POST", "/api/connections/office/pause")
        self.check(admin, "GET", "/api/connections/office")
        self.check_coverage()

    def check_coverage(self):
        """Every GET route, and every other route that answers a body, called or listed."""
        missing = []
        for template, item in self.doc["paths"].items():
            for verb, op in item.items():
                key = (verb.upper(), template)
                answers = any("content" in a for code, a in op["responses"].items()
                              if code != "default")
                if (verb == "get" or answers) and key not in self.called:
                    missing.append("%s %s" % key)
                if key in UNCALLED and key in self.called:
                    self.fail("%s %s is listed in UNCALLED but called" % key)
        for key in UNCALLED:
            self.assertIn(key[1], self.doc["paths"], "UNCALLED names a route not in the document")
        missing = [m for m in missing if tuple(m.split(" ", 1)) not in UNCALLED]
        self.assertEqual(missing, [], "routes neither called by this test nor listed in UNCALLED "
                         "(call them in test_web_openapi.py, or list them with the reason)")


if __name__ == "__main__":
    unittest.main()
