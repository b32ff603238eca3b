"""End to end: webmail (issue 15 item 4) — the /api/mail/ endpoints with urllib and the /mail/
page in headless Chromium. Mail comes in over SMTP (smtplib). Checked: folders with counts and
unseen, paging in each sort order (pages join to the whole folder, in order, no repeats),
reading (headers, text, attachments) and an attachment's download (octet-stream, attachment
disposition), search, flags, delete to Trash and from Trash, move, one account never reaching
another's mail, CSRF and login on every change; in the browser: log in, read a mail, and a
hostile HTML mail (script, img onerror, javascript: link, CSS url() exfiltration, remote image)
that runs nothing and loads nothing from the "remote" listener this test runs."""
import email.message
import base64
import email
import email.policy
import http.server
import imaplib
import json
import os
import smtplib
import socket
import sys
import threading
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402


class Api:
    """A login's cookie and CSRF token over urllib."""

    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port
        self.cookie = None
        self.csrf = None

    def call(self, method, path, body=None, csrf=True, raw=False):
        req = urllib.request.Request(self.base + path, method=method)
        if body is not None:
            req.data = json.dumps(body).encode()
            req.add_header("Content-Type", "application/json")
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        if csrf and self.csrf and method != "GET":
            req.add_header("X-CSRF-Token", self.csrf)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, headers, data = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, headers, data = e.code, e.headers, e.read()
        if headers.get("Set-Cookie"):
            self.cookie = headers["Set-Cookie"].split(";", 1)[0]
        if raw:
            return status, headers, data
        return status, (json.loads(data) if data else None)

    def login(self, user, password):
        status, me = self.call("POST", "/api/login", {"user": user, "password": password})
        assert status == 200, me
        self.csrf = me["csrf"]
        return self


def folder_path(name):
    return "/api/mail/folders/" + urllib.parse.quote(urllib.parse.quote(name, safe=""), safe="")


class Remote(http.server.BaseHTTPRequestHandler):
    """The "remote" host of the hostile mail: every request it gets is recorded."""
    seen = []

    def do_GET(self):
        Remote.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/gif")
        self.end_headers()

    def log_message(self, *args):
        pass


class WebmailBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()
        cls.d.add_user("bob", "bob-secret-1")
        cls.d.add_user("carol", "carol-secret-1")
        cls.domain = cls.d.cli("domain", "list")[1].split()[0]
        cls.port = cls.d.ports["http"]
        cls.remote = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Remote)
        threading.Thread(target=cls.remote.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.remote.shutdown()
        cls.remote.server_close()
        cls.d.stop()
        cls.d.cleanup()

    def send(self, to, msg):
        with smtplib.SMTP("127.0.0.1", self.d.ports["smtp"], timeout=60) as s:
            s.send_message(msg, "sender@example.org", [to + "@" + self.domain])

    def wait_inbox(self, api, n):
        def count():
            status, folders = api.call("GET", "/api/mail/folders")
            inbox = [f for f in folders if f["name"] == "INBOX"] if status == 200 else []
            return inbox and inbox[0]["messages"] >= n
        pbtest.wait_until(count, timeout=pbtest.DELIVERY_TIMEOUT, what="%d messages" % n)

    def plain(self, subject, body="hello\n"):
        m = email.message.EmailMessage()
        m["From"] = "Sender <sender@example.org>"
        m["To"] = "someone@" + self.domain
        m["Subject"] = subject
        m.set_content(body)
        return m


    def imap_find(self, user, password, folder, subject):
        """The message of folder with that subject, over IMAP (parsed), or None."""
        with imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=60) as c:
            c.login(user, password)
            c.select(folder)
            typ, data = c.uid("SEARCH", None, "SUBJECT", '"%s"' % subject)
            uids = data[0].split()
            if not uids:
                return None
            typ, data = c.uid("FETCH", uids[-1], "(RFC822)")
            return email.message_from_bytes(data[0][1], policy=email.policy.default)

    def wait_imap(self, user, password, folder, subject):
        found = []

        def there():
            m = self.imap_find(user, password, folder, subject)
            if m is not None:
                found.append(m)
            return m is not None
        pbtest.wait_until(there, timeout=pbtest.DELIVERY_TIMEOUT, what=subject)
        return found[0]


class TestApi(WebmailBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bob = Api(cls.port).login("bob", "bob-secret-1")
        for i in range(7):
            m = email.message.EmailMessage()
            m["From"] = "Sender %d <s%d@example.org>" % (i, i)
            m["Subject"] = "paging %d" % i
            m.set_content("body %d " % i + "x" * (100 * ((i * 3) % 7)))
            WebmailBase.send(cls, "bob", m)
        att = email.message.EmailMessage()
        att["From"] = "a@example.org"
        att["Subject"] = "with an attachment"
        att.set_content("see the file: zebra-word\n")
        att.add_attachment(b"\x00\x01binary\xffdata", maintype="application",
                           subtype="octet-stream", filename="data.bin")
        WebmailBase.send(cls, "bob", att)
        WebmailBase.wait_inbox(cls, cls.bob, 8)

    def page_all(self, sort, order, limit=3):
        got, cursor = [], None
        while True:
            q = {"sort": sort, "order": order, "limit": limit}
            if cursor:
                q["cursor"] = cursor
            status, page = self.bob.call("GET", folder_path("INBOX") + "/messages?" +
                                         urllib.parse.urlencode(q))
            self.assertEqual(status, 200, page)
            self.assertLessEqual(len(page["messages"]), limit)
            got += page["messages"]
            cursor = page["next_cursor"]
            if cursor is None:
                return got

    def test_folders_with_counts(self):
        status, folders = self.bob.call("GET", "/api/mail/folders")
        self.assertEqual(status, 200)
        inbox = [f for f in folders if f["name"] == "INBOX"][0]
        self.assertGreaterEqual(inbox["messages"], 8)
        self.assertGreaterEqual(inbox["unseen"], 1)

    def test_paging_in_every_order(self):
        # date is the order of delivery: uids (test_webmail_list.py checks every order)
        for sort, key in (("uid", "uid"), ("date", "uid"), ("size", "size")):
            for order in ("asc", "desc"):
                rows = self.page_all(sort, order)
                uids = [m["uid"] for m in rows]
                self.assertEqual(len(uids), len(set(uids)), (sort, order))
                keys = [(m[key], m["uid"]) for m in rows]
                self.assertEqual(keys, sorted(keys, reverse=order == "desc"), (sort, order))
                self.assertGreaterEqual(len(rows), 8)
        # each row names its sender (delivery order across spool and router shards is not the
        # order of sending, so "paging 0" is found by its subject, not taken as the first uid)
        rows = self.page_all("uid", "asc")
        self.assertEqual(rows[0]["uid"], min(m["uid"] for m in rows))
        first = [m for m in rows if m["subject"] == "paging 0"][0]
        self.assertIn("s0@example.org", first["from"])

    def test_bad_parameters(self):
        for q in ("limit=0", "limit=201", "sort=colour", "order=up", "after=x", "cursor=x"):
            status, body = self.bob.call("GET", folder_path("INBOX") + "/messages?" + q)
            self.assertEqual(status, 400, q)
            self.assertIn("error", body)
        status, _ = self.bob.call("GET", folder_path("Nowhere") + "/messages")
        self.assertEqual(status, 404)

    def find(self, subject):
        status, page = self.bob.call("GET", folder_path("INBOX") + "/messages?limit=200")
        return [m for m in page["messages"] if m["subject"] == subject][0]

    def test_read_and_download(self):
        m = self.find("with an attachment")
        status, msg = self.bob.call("GET", folder_path("INBOX") + "/messages/%d" % m["uid"])
        self.assertEqual(status, 200, msg)
        self.assertIn("zebra-word", msg["text"])
        self.assertEqual(msg["subject"], "with an attachment")
        self.assertEqual([a["name"] for a in msg["attachments"]], ["data.bin"])
        part = msg["attachments"][0]["part"]
        status, headers, data = self.bob.call(
            "GET", folder_path("INBOX") + "/messages/%d/parts/%s" % (m["uid"], part), raw=True)
        self.assertEqual(status, 200)
        self.assertEqual(data, b"\x00\x01binary\xffdata")
        self.assertEqual(headers["Content-Type"], "application/octet-stream")
        self.assertTrue(headers["Content-Disposition"].startswith("attachment;"))
        status, _ = self.bob.call("GET", folder_path("INBOX") + "/messages/%d/parts/9" % m["uid"])
        self.assertEqual(status, 404)

    def test_search(self):
        status, page = self.bob.call("GET", folder_path("INBOX") + "/messages?q=zebra-word")
        self.assertEqual(status, 200, page)
        self.assertEqual([m["subject"] for m in page["messages"]], ["with an attachment"])

    def test_flags_move_delete(self):
        self.send("bob", self.plain("to be moved"))
        pbtest.wait_until(lambda: self.find_or_none("to be moved"), timeout=pbtest.DELIVERY_TIMEOUT)
        m = self.find("to be moved")
        path = folder_path("INBOX") + "/messages/%d" % m["uid"]
        self.assertEqual(self.bob.call("PATCH", path, {"seen": True, "flagged": True})[0], 204)
        self.assertEqual(sorted(self.find("to be moved")["flags"]), ["flagged", "seen"])
        self.assertEqual(self.bob.call("PATCH", path, {"flagged": False})[0], 204)
        self.assertEqual(self.find("to be moved")["flags"], ["seen"])
        self.assertEqual(self.bob.call("PATCH", path, {"colour": True})[0], 400)
        status, moved = self.bob.call("DELETE", path)
        self.assertEqual(status, 204)
        self.assertIsNone(self.find_or_none("to be moved"))
        status, page = self.bob.call("GET", folder_path("Trash") + "/messages")
        trashed = [x for x in page["messages"] if x["subject"] == "to be moved"]
        self.assertEqual(len(trashed), 1)
        tpath = folder_path("Trash") + "/messages/%d" % trashed[0]["uid"]
        status, moved = self.bob.call("POST", tpath + "/move", {"to": "INBOX"})
        self.assertEqual(status, 200, moved)
        self.assertIsNotNone(self.find_or_none("to be moved"))
        back = folder_path("INBOX") + "/messages/%d" % moved["uid"]
        self.assertEqual(self.bob.call("DELETE", back)[0], 204)
        status, page = self.bob.call("GET", folder_path("Trash") + "/messages")
        uid = [x for x in page["messages"] if x["subject"] == "to be moved"][0]["uid"]
        self.assertEqual(self.bob.call("DELETE", folder_path("Trash") + "/messages/%d" % uid)[0], 204)
        status, page = self.bob.call("GET", folder_path("Trash") + "/messages")
        self.assertEqual([x for x in page["messages"] if x["subject"] == "to be moved"], [])

    def find_or_none(self, subject):
        status, page = self.bob.call("GET", folder_path("INBOX") + "/messages?limit=200")
        rows = [m for m in page["messages"] if m["subject"] == subject]
        return rows[0] if rows else None

    def test_another_mailbox_is_out_of_reach(self):
        carol = Api(self.port).login("carol", "carol-secret-1")
        m = self.find("with an attachment")
        status, _ = carol.call("GET", folder_path("INBOX") + "/messages/%d" % m["uid"])
        self.assertEqual(status, 404)
        status, page = carol.call("GET", folder_path("INBOX") + "/messages")
        self.assertEqual((status, page["messages"]), (200, []))
        status, _ = carol.call("DELETE", folder_path("INBOX") + "/messages/%d" % m["uid"])
        self.assertEqual(self.find("with an attachment")["uid"], m["uid"])
        nobody = Api(self.port)
        self.assertEqual(nobody.call("GET", "/api/mail/folders")[0], 401)

    def test_send_and_draft(self):
        att = base64.b64encode(b"attached \x00 bytes").decode()
        body = {"to": "carol@" + self.domain, "subject": "from webmail \u00e9", "text": "hi carol\n",
                "attachments": [{"name": "notes.bin", "type": "application/octet-stream",
                                 "data": att}]}
        status, sent = self.bob.call("POST", "/api/mail/send", body)
        self.assertEqual(status, 202, sent)
        m = self.wait_imap("carol", "carol-secret-1", "INBOX", "from webmail")
        self.assertEqual(m["Subject"], "from webmail \u00e9")
        self.assertEqual(m["From"], "bob@" + self.domain)
        self.assertEqual(m.get_body(("plain",)).get_content(), "hi carol\n")
        files = list(m.iter_attachments())
        self.assertEqual([(f.get_filename(), f.get_payload(decode=True)) for f in files],
                         [("notes.bin", b"attached \x00 bytes")])
        self.assertIsNotNone(self.imap_find("bob", "bob-secret-1", "Sent", "from webmail"))
        status, saved = self.bob.call("POST", "/api/mail/drafts", {"subject": "half written",
                                                                   "text": "later"})
        self.assertEqual(status, 201, saved)
        status, page = self.bob.call("GET", folder_path("Drafts") + "/messages")
        draft = [x for x in page["messages"] if x["subject"] == "half written"]
        self.assertEqual(sorted(draft[0]["flags"]), ["draft", "seen"])
        for bad in ({"to": "nobody-here@" + self.domain, "subject": "x"}, {"to": "not an address"},
                    {"to": "carol@" + self.domain, "subject": "a\r\nBcc: x@example.org"},
                    {"to": "carol@" + self.domain, "attachments": [{"name": "a", "data": "!!"}]},
                    {"subject": "no recipient"}):
            status, err = self.bob.call("POST", "/api/mail/send", bad)
            self.assertEqual(status, 400, (bad, err))
        status, _ = self.bob.call("POST", "/api/mail/send", body, csrf=False)
        self.assertEqual(status, 403)
        # under web.max_body_kb as JSON, over the 1 MB compose body once MIME-encoded: inline
        # attachments stay bounded; a big file is uploaded apart (test_webmail_uploads.py)
        big = dict(body, attachments=[{"name": "big", "data": base64.b64encode(b"x" * 780000).decode()}])
        status, err = self.bob.call("POST", "/api/mail/send", big)
        self.assertEqual(status, 413, err)
        self.assertIn("/api/mail/uploads", err["error"])

    def test_send_answers_the_queue_id(self):
        # queued is a JSON number: a 64-bit spool id is not exact as one (1.88e18); queued_id
        # is the same id as the string /api/queue spells it. A route to a closed port keeps
        # the message in the queue (deferred) long enough to be listed.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = s.getsockname()[1]
        rc, _, err = self.d.cli("setting", "set", "outbound",
                                json.dumps({"routes": "qid.example=127.0.0.1:%d" % closed}))
        self.assertEqual(rc, 0, err)
        status, sent = self.bob.call("POST", "/api/mail/send",
                                     {"to": "far@qid.example", "subject": "queue id", "text": "x"})
        self.assertEqual(status, 202, sent)
        self.assertRegex(sent["queued_id"], r"^[1-9][0-9]*$")
        self.assertEqual(float(int(sent["queued_id"])), float(sent["queued"]))
        self.assertIn("spool_id=%s" % sent["queued_id"], self.d.log())
        admin = Api(self.port).login("admin", "adminpw1")
        status, page = admin.call("GET", "/api/queue?limit=1000")
        self.assertEqual(status, 200, page)
        self.assertIn(sent["queued_id"], [e["id"] for e in page["entries"]])
        status, _ = admin.call("DELETE", "/api/queue/" + sent["queued_id"])
        self.assertEqual(status, 204)

    def test_too_many_recipients_refused_not_dropped(self):
        # one past smtp.max_recipients (100, to and cc together) is refused whole: it was once
        # dropped silently (202, and the 101st, named in Cc, never got the message)
        to = ",".join("r%d@x.io" % i for i in range(100))  # under 998 octets
        body = {"to": to, "cc": "carol@" + self.domain, "subject": "too many", "text": "x"}
        status, err = self.bob.call("POST", "/api/mail/send", body)
        self.assertEqual(status, 400, err)
        self.assertIn("too many recipients", err["error"])
        self.assertIsNone(self.imap_find("carol", "carol-secret-1", "INBOX", "too many"))
        self.assertIsNone(self.imap_find("bob", "bob-secret-1", "Sent", "too many"))
        # a draft is not delivered: it keeps them all
        status, saved = self.bob.call("POST", "/api/mail/drafts", body)
        self.assertEqual(status, 201, saved)

    def test_sending_limits_apply(self):
        self.d.add_user("dave", "dave-secret-1")
        dave = Api(self.port).login("dave", "dave-secret-1")
        rc, out, err = self.d.cli("user", "set", "dave", "max_messages_per_hour", "1")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.d.cli("user", "set", "dave", "internet_mail", "false")
        self.assertEqual(rc, 0, err)
        body = {"to": "carol@" + self.domain, "subject": "limited", "text": "one"}
        self.assertEqual(dave.call("POST", "/api/mail/send",
                                   dict(body, to="someone@example.org"))[0], 403)
        self.assertEqual(dave.call("POST", "/api/mail/send", body)[0], 202)
        status, err = dave.call("POST", "/api/mail/send", body)
        self.assertEqual(status, 429, err)
        self.assertIn("Sending limit reached", err["error"])

    def test_csrf_on_every_change(self):
        m = self.find("with an attachment")
        path = folder_path("INBOX") + "/messages/%d" % m["uid"]
        for method, suffix, body in (("PATCH", "", {"flagged": True}), ("DELETE", "", None),
                                     ("POST", "/move", {"to": "Trash"})):
            status, err = self.bob.call(method, path + suffix, body, csrf=False)
            self.assertEqual(status, 403, (method, err))
        self.assertEqual(self.find("with an attachment")["flags"].count("flagged"), 0)


HOSTILE = """<html><head><style>body { background: url(http://127.0.0.1:%(p)d/css-bg); }
@import url(http://127.0.0.1:%(p)d/css-import);</style></head><body>
<p id="marker">hostile-marker</p>
<script>window.top.document.title = "pwned"; fetch("http://127.0.0.1:%(p)d/script");</script>
<img src="x" onerror="window.top.document.title='pwned';new Image().src='http://127.0.0.1:%(p)d/onerror'">
<img src="http://127.0.0.1:%(p)d/remote-image">
<a id="jslink" href="javascript:alert(1)">click</a>
<div style="background-image: url('http://127.0.0.1:%(p)d/inline-css')">styled</div>
<form action="http://127.0.0.1:%(p)d/form"><input name="x"></form>
</body></html>"""


class TestBrowser(WebmailBase):
    def setUp(self):
        import webdriver
        webdriver.browser_per_test(self)

    def login(self):
        from selenium.webdriver.common.by import By
        self.driver.get("http://127.0.0.1:%d/mail/" % self.port)
        self.wd.wait_for(self.driver, "#login-user").send_keys("bob")
        self.assertFalse(self.driver.find_element(By.ID, "app").is_displayed())
        self.driver.find_element(By.ID, "login-password").send_keys("bob-secret-1")
        self.driver.find_element(By.CSS_SELECTOR, "#login button").click()
        self.wd.wait_for(self.driver, "#folders a")

    def open_subject(self, subject):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        def row(d):
            for tr in d.find_elements(By.CSS_SELECTOR, "#messages tbody tr"):
                if subject in tr.text:
                    return tr
            return False
        WebDriverWait(self.driver, 30).until(row).click()
        WebDriverWait(self.driver, 30).until(
            lambda d: subject in d.find_element(By.ID, "headers").text)

    def test_read_and_hostile_html(self):
        from selenium.common.exceptions import NoAlertPresentException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
        api = Api(self.port).login("bob", "bob-secret-1")
        plain = self.plain("a plain one", "plain text body here\n")
        plain.replace_header("From", "Carol <carol@%s>" % self.domain)
        plain["Message-ID"] = "<plain-one@example.org>"
        self.send("bob", plain)
        h = email.message.EmailMessage()
        h["From"] = "evil@example.org"
        h["Subject"] = "hostile html"
        h.set_content("text version")
        h.add_alternative(HOSTILE % {"p": self.remote.server_address[1]}, subtype="html")
        self.send("bob", h)
        self.wait_inbox(api, 2)
        try:
            self.login()
            self.open_subject("a plain one")
            self.assertIn("plain text body here", self.driver.find_element(By.ID, "text-body").text)
            self.wd.screenshot(self.driver, "plain-read")
            self.open_subject("hostile html")
            frame = self.wd.wait_for(self.driver, "#html-body")
            self.driver.switch_to.frame(frame)
            marker = WebDriverWait(self.driver, 30).until(
                lambda d: d.find_elements(By.ID, "marker"))
            self.assertEqual(marker[0].text, "hostile-marker")
            body = self.driver.find_element(By.TAG_NAME, "body").get_attribute("innerHTML")
            for bad in ("<script", "onerror", "javascript:", "url(", "<form", "127.0.0.1"):
                self.assertNotIn(bad, body)
            self.driver.switch_to.default_content()
            self.wd.screenshot(self.driver, "hostile-rendered")
            with self.assertRaises(NoAlertPresentException):
                self.driver.switch_to.alert.text
            self.assertEqual(self.driver.title, "Pillarbox webmail")
            # the page's own CSP reports nothing loaded: the frame's resources are its own
            loaded = self.driver.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name)")
            self.assertEqual([u for u in loaded if ":%d/" % self.remote.server_address[1] in u], [])
            self.assertEqual(Remote.seen, [])
            self.reply_with_attachment()
        except Exception:
            self.wd.screenshot(self.driver, "failed")
            raise


    def reply_with_attachment(self):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
        self.open_subject("a plain one")
        self.driver.find_element(By.ID, "reply").click()
        self.wd.wait_for(self.driver, "#composer")
        self.assertEqual(self.driver.find_element(By.ID, "c-to").get_attribute("value"),
                         "carol@" + self.domain)
        path = os.path.join(self.tmp.name, "reply-attachment.txt")
        with open(path, "wb") as f:
            f.write(b"the attached reply file\n")
        self.driver.find_element(By.ID, "c-files").send_keys(path)
        self.driver.find_element(By.ID, "c-text").send_keys("my answer\n")
        self.driver.find_element(By.ID, "c-send").click()
        WebDriverWait(self.driver, 60).until(lambda d: d.find_element(By.ID, "status").text == "Sent.")
        self.assertFalse(self.driver.find_element(By.ID, "composer").is_displayed())
        self.wd.screenshot(self.driver, "reply-sent")
        m = self.wait_imap("carol", "carol-secret-1", "INBOX", "Re: a plain one")
        self.assertIn("my answer", m.get_body(("plain",)).get_content())
        self.assertIn("> plain text body here", m.get_body(("plain",)).get_content())
        self.assertEqual(m["In-Reply-To"], "<plain-one@example.org>")
        files = [(f.get_filename(), f.get_payload(decode=True)) for f in m.iter_attachments()]
        self.assertEqual(files, [("reply-attachment.txt", b"the attached reply file\n")])


if __name__ == "__main__":
    unittest.main(verbosity=2)
