"""End to end: webmail's attachment uploads (issue 15 item 4, h-wmbig10). A file is uploaded
apart (POST /api/mail/uploads, the raw bytes as the body), then named in "uploads" when sending:
the message streams to the spool in chunks, bounded by the account's and the server's max
message size, not by the 1 MB JSON compose body. Checked: a 5 MB file sent to a local account
and received over POP3 byte-identical (and the copy in Sent); over the account's
max_message_size_kb: 413 naming the limit; the per-account count and octet quotas (429); another
account's upload id refused; an upload removed at logout and after web.upload_ttl_s; CSRF; the
upload route's own body limit (web.max_upload_kb) while other routes keep web.max_body_kb.
Bounded on disk (h-upfix10): the account's uploads under way count against its quota from
their head on (a Content-Length past what is left refused at once, no body read; a second
upload while one is under way refused before its body is stored; a chunked one stopped as its
chunks pass it); none that would leave less than storage.min_free_mb free on the disk (507);
a logout removes only its own login's uploads.
In headless Chromium (as test_webmail_flows.py): a 3 MB file attached in the composer is
uploaded (listed with its progress), another attached and removed again, the mail sent and
received intact."""
import email
import http.client
import email.policy
import imaplib
import json
import os
import poplib
import socket
import stat
import sys
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402
from test_webmail import Api  # noqa: E402


def upload(api, name, data, type_="application/octet-stream", csrf=True):
    """POST /api/mail/uploads: (status, answer)."""
    req = urllib.request.Request(api.base + "/api/mail/uploads?name=" + urllib.parse.quote(name),
                                 method="POST", data=data)
    req.add_header("Content-Type", type_)
    req.add_header("Cookie", api.cookie)
    if csrf:
        req.add_header("X-CSRF-Token", api.csrf)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        body = e.read()
        try:
            return e.code, json.loads(body)
        except ValueError:  # the HTTP layer's own refusal (413) is not JSON
            return e.code, {"error": body.decode(errors="replace")}
    except (ConnectionError, urllib.error.URLError) as e:
        return 413, {"error": str(e)}  # the server may close before the whole body is sent


def raw_head(port, api, length=None, chunked=False):
    """A socket that sent an upload's head only (Content-Length length, or chunked)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    head = ("POST /api/mail/uploads?name=raw HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n"
            "X-CSRF-Token: %s\r\nContent-Type: application/octet-stream\r\n"
            % (api.cookie, api.csrf))
    head += "Transfer-Encoding: chunked\r\n" if chunked else "Content-Length: %d\r\n" % length
    s.sendall((head + "\r\n").encode())
    return s


def raw_answer(s):
    """The status and JSON body of the answer on socket s (which is closed)."""
    f = s.makefile("rb")
    try:
        status = int(f.readline().split()[1])
        length = 0
        while True:
            line = f.readline().strip()
            if not line:
                break
            k, v = line.decode().split(":", 1)
            if k.lower() == "content-length":
                length = int(v)
        return status, json.loads(f.read(length)) if length else None
    finally:
        f.close()
        s.close()


class TestUploads(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = pbtest.Daemon()
        cls.d.start()
        for name in ("bob", "carol", "dave", "erin", "frank", "gina", "hank"):
            cls.d.add_user(name, name + "-secret-1")
        cls.domain = cls.d.cli("domain", "list")[1].split()[0]
        cls.port = cls.d.ports["http"]

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        cls.d.cleanup()

    def login(self, name):
        return Api(self.port).login(name, name + "-secret-1")

    def setting(self, doc):
        rc, out, err = self.d.cli("setting", "set", "web", doc)
        self.assertEqual(rc, 0, err)

    def upload_file(self, upload_id):
        return os.path.join(self.d.data_dir, "web-uploads", upload_id)

    def pop_find(self, user, subject):
        """The message of user's mailbox with that subject, over POP3 (parsed), or None."""
        p = poplib.POP3("127.0.0.1", self.d.ports["pop3"], timeout=120)
        try:
            p.user(user)
            p.pass_(user + "-secret-1")
            for i in range(len(p.list()[1]), 0, -1):
                raw = b"\r\n".join(p.retr(i)[1])
                m = email.message_from_bytes(raw, policy=email.policy.default)
                if m["Subject"] == subject:
                    return m
            return None
        finally:
            p.quit()

    def attachment(self, m, name):
        for part in m.iter_attachments():
            if part.get_filename() == name:
                return part.get_content()
        return None

    def test_big_attachment_sent_intact(self):
        bob = self.login("bob")
        data = os.urandom(5 * 1024 * 1024 + 7)
        status, up = upload(bob, "report 2026.pdf", data, "application/pdf")
        self.assertEqual(status, 201, up)
        self.assertEqual((up["name"], up["size"], up["type"]),
                         ("report 2026.pdf", len(data), "application/pdf"))
        self.assertEqual(stat.S_IMODE(os.stat(self.upload_file(up["id"])).st_mode), 0o600)
        status, small = upload(bob, "notes.txt", b"small one\n", "text/plain")
        self.assertEqual(status, 201, small)
        body = {"to": "carol@" + self.domain, "subject": "the big report", "text": "attached",
                "uploads": [up["id"], small["id"]]}
        status, sent = bob.call("POST", "/api/mail/send", body)
        self.assertEqual(status, 202, sent)
        self.assertIn("uid", sent)
        found = []
        pbtest.wait_until(lambda: found.append(self.pop_find("carol", "the big report")) or
                          found[-1] is not None, timeout=pbtest.DELIVERY_TIMEOUT, what="delivery")
        m = found[-1]
        self.assertEqual(self.attachment(m, "report 2026.pdf"), data)
        self.assertEqual(self.attachment(m, "notes.txt"), "small one\n")
        self.assertEqual(m.get_body(("plain",)).get_content(), "attached")
        # the copy in Sent holds it too; the uploads are gone once sent
        with imaplib.IMAP4("127.0.0.1", self.d.ports["imap"], timeout=120) as c:
            c.login("bob", "bob-secret-1")
            c.select("Sent")
            typ, data_ = c.uid("FETCH", str(sent["uid"]), "(RFC822)")
            copy = email.message_from_bytes(data_[0][1], policy=email.policy.default)
        self.assertEqual(self.attachment(copy, "report 2026.pdf"), data)
        self.assertFalse(os.path.exists(self.upload_file(up["id"])))
        self.assertEqual(bob.call("DELETE", "/api/mail/uploads/" + up["id"])[0], 404)
        status, err = bob.call("POST", "/api/mail/send", body)
        self.assertEqual(status, 400, err)
        self.assertIn("no such upload", err["error"])

    def test_over_the_accounts_max_size(self):
        rc, out, err = self.d.cli("user", "set", "dave", "max_message_size_kb", "1024")
        self.assertEqual(rc, 0, err)
        dave = self.login("dave")
        status, up = upload(dave, "two.bin", b"\x01" * (2 * 1024 * 1024))
        self.assertEqual(status, 201, up)
        status, err = dave.call("POST", "/api/mail/send", {"to": "carol@" + self.domain,
                                                           "subject": "too big",
                                                           "uploads": [up["id"]]})
        self.assertEqual(status, 413, err)
        self.assertIn("1024 KB", err["error"])
        self.assertTrue(os.path.exists(self.upload_file(up["id"])))  # kept: not sent

    def test_quotas_per_account(self):
        self.setting('{"uploads_per_user": 2, "uploads_user_kb": 100}')
        self.addCleanup(self.setting, '{"uploads_per_user": 20, "uploads_user_kb": 102400}')
        erin = self.login("erin")

        def quota_applies():
            status, first = upload(erin, "a", b"a" * 60 * 1024)
            self.assertEqual(status, 201, first)
            status, second = upload(erin, "b", b"b" * 60 * 1024)
            for up in (first, second):
                if "id" in up:
                    erin.call("DELETE", "/api/mail/uploads/" + up["id"])
            return status == 429 and "Upload quota" in second["error"]
        pbtest.wait_until(quota_applies, what="the octet quota applied")
        ids = []
        for name in ("x", "y"):
            status, up = upload(erin, name, b"z" * 1024)
            self.assertEqual(status, 201, up)
            ids.append(up["id"])
        status, err = upload(erin, "third", b"z")
        self.assertEqual(status, 429, err)
        self.assertIn("Too many uploads", err["error"])
        self.assertEqual(erin.call("DELETE", "/api/mail/uploads/" + ids[0])[0], 204)
        self.assertEqual(upload(erin, "third", b"z")[0], 201)

    def test_another_accounts_upload_refused(self):
        bob, carol = self.login("bob"), self.login("carol")
        status, up = upload(bob, "private.txt", b"bob's secret")
        self.assertEqual(status, 201, up)
        status, err = carol.call("POST", "/api/mail/send", {"to": "bob@" + self.domain,
                                                            "subject": "stolen",
                                                            "uploads": [up["id"]]})
        self.assertEqual(status, 400, err)
        self.assertEqual(carol.call("DELETE", "/api/mail/uploads/" + up["id"])[0], 404)
        self.assertEqual(upload(bob, "nocsrf", b"x", csrf=False)[0], 403)
        # on one kept-alive connection: a refused upload's body (written to a part file as it
        # arrived) is gone before the next request, whose file holds only its own body
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        answers = []
        for csrf, body in ((False, b"x" * 300000), (True, b"y" * 1000)):
            h = {"Cookie": bob.cookie, "Content-Type": "text/plain"}
            if csrf:
                h["X-CSRF-Token"] = bob.csrf
            c.request("POST", "/api/mail/uploads?name=k", body=body, headers=h)
            r = c.getresponse()
            answers.append((r.status, json.loads(r.read())))
            leftovers = [f for f in os.listdir(os.path.join(self.d.data_dir, "web-uploads"))
                         if f.startswith("part-")]
            self.assertEqual(leftovers, [])
        c.close()
        self.assertEqual([a[0] for a in answers], [403, 201], answers)
        self.assertEqual(answers[1][1]["size"], 1000)
        with open(self.upload_file(answers[1][1]["id"]), "rb") as f:
            self.assertEqual(f.read(), b"y" * 1000)
        self.assertEqual(bob.call("DELETE", "/api/mail/uploads/" + answers[1][1]["id"])[0], 204)
        self.assertEqual(bob.call("DELETE", "/api/mail/uploads/" + up["id"], csrf=False)[0], 403)
        self.assertEqual(bob.call("DELETE", "/api/mail/uploads/" + up["id"])[0], 204)
        self.assertFalse(os.path.exists(self.upload_file(up["id"])))

    def test_gone_at_logout_and_when_expired(self):
        frank = self.login("frank")
        status, up = upload(frank, "f", b"frank's file")
        self.assertEqual(status, 201, up)
        self.assertEqual(frank.call("POST", "/api/logout")[0], 204)
        self.assertFalse(os.path.exists(self.upload_file(up["id"])))
        frank = self.login("frank")
        self.assertEqual(frank.call("DELETE", "/api/mail/uploads/" + up["id"])[0], 404)
        status, up = upload(frank, "g", b"kept an hour")
        self.assertEqual(status, 201, up)
        self.setting('{"upload_ttl_s": 1}')
        self.addCleanup(self.setting, '{"upload_ttl_s": 3600}')
        pbtest.wait_until(lambda: not os.path.exists(self.upload_file(up["id"])), timeout=30,
                          what="the upload expired")
        self.assertEqual(frank.call("DELETE", "/api/mail/uploads/" + up["id"])[0], 404)

    def part_files(self):
        """{name: size} of the uploads' part files under way."""
        d = os.path.join(self.d.data_dir, "web-uploads")
        return {f: os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)
                if f.startswith("part-")}

    def disk_bytes(self):
        d = os.path.join(self.d.data_dir, "web-uploads")
        return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))

    def test_uploads_under_way_count_against_the_quota(self):
        self.setting('{"uploads_user_kb": 100}')
        self.addCleanup(self.setting, '{"uploads_user_kb": 102400}')
        gina = self.login("gina")

        def refused_at_once():
            # a head whose Content-Length passes the quota: answered without any body sent
            s = raw_head(self.port, gina, 101 * 1024)
            s.settimeout(2)  # not yet applied: the server waits for the body, and we retry
            try:
                return raw_answer(s)[0] == 429
            except socket.timeout:
                s.close()
                return False
        pbtest.wait_until(refused_at_once, what="web.uploads_user_kb applied")
        others = self.disk_bytes()  # the other tests' uploads kept
        s = raw_head(self.port, gina, 101 * 1024)
        status, err = raw_answer(s)
        self.assertEqual(status, 429, err)
        self.assertIn("Upload quota", err["error"])
        self.assertEqual(self.part_files(), {})
        # one upload under way (80 KB announced, half sent) holds its room from its head on
        first = raw_head(self.port, gina, 80 * 1024)
        first.sendall(b"a" * 40 * 1024)
        pbtest.wait_until(lambda: list(self.part_files().values()) == [40 * 1024],
                          what="the first upload's part file")
        status, err = raw_answer(raw_head(self.port, gina, 40 * 1024))  # no body sent
        self.assertEqual(status, 429, err)
        self.assertIn("Upload quota", err["error"])
        # a chunked one (no length told) is stopped as its chunks pass the quota
        s = raw_head(self.port, gina, chunked=True)
        s.sendall(b"%x\r\n%s\r\n" % (30 * 1024, b"c" * 30 * 1024))
        status, err = raw_answer(s)
        self.assertEqual(status, 429, err)
        self.assertEqual(list(self.part_files().values()), [40 * 1024])  # only the first's
        first.sendall(b"a" * 40 * 1024)
        status, up = raw_answer(first)
        self.assertEqual(status, 201, up)
        self.assertLessEqual(self.disk_bytes() - others, 100 * 1024)
        self.assertEqual(gina.call("DELETE", "/api/mail/uploads/" + up["id"])[0], 204)

    def test_disk_floor(self):
        gina = self.login("gina")
        # storage.min_free_mb 500 MB below what is free: the store goes on, but a 2 GB upload
        # would pass the floor and is refused at its head (no body sent)
        st = os.statvfs(self.d.data_dir)
        free_mb = st.f_bavail * st.f_frsize // (1024 * 1024)
        self.cli_setting("storage", '{"min_free_mb": %d}' % (free_mb - 500))
        self.addCleanup(self.cli_setting, "storage", '{"min_free_mb": 64}')

        def refused():
            s = raw_head(self.port, gina, 2 * 1024 * 1024 * 1024)
            s.settimeout(2)  # not yet applied: the server waits for the body, and we retry
            try:
                status, answer = raw_answer(s)
            except socket.timeout:
                s.close()
                return False
            return status == 507 and "short of disk space" in answer["error"]
        pbtest.wait_until(refused, timeout=30, what="storage.min_free_mb applied to uploads")
        self.assertEqual(self.part_files(), {})

    def cli_setting(self, doc, json_text):
        rc, out, err = self.d.cli("setting", "set", doc, json_text)
        self.assertEqual(rc, 0, err)

    def test_logout_keeps_the_other_logins_uploads(self):
        one, two = self.login("hank"), self.login("hank")
        status, up = upload(one, "mine", b"hank's first login's file")
        self.assertEqual(status, 201, up)
        status, up2 = upload(two, "theirs", b"the second login's")
        self.assertEqual(status, 201, up2)
        self.assertEqual(two.call("POST", "/api/logout")[0], 204)
        self.assertFalse(os.path.exists(self.upload_file(up2["id"])))
        self.assertTrue(os.path.exists(self.upload_file(up["id"])))
        status, sent = one.call("POST", "/api/mail/send", {"to": "carol@" + self.domain,
                                                           "subject": "after the other logout",
                                                           "uploads": [up["id"]]})
        self.assertEqual(status, 202, sent)
        found = []
        pbtest.wait_until(lambda: found.append(self.pop_find("carol", "after the other logout"))
                          or found[-1] is not None, timeout=pbtest.DELIVERY_TIMEOUT,
                          what="delivery")
        self.assertEqual(self.attachment(found[-1], "mine"), b"hank's first login's file")

    def test_body_limits(self):
        self.setting('{"max_upload_kb": 2048}')
        self.addCleanup(self.setting, '{"max_upload_kb": 25600}')
        bob = self.login("bob")

        def limited():
            status, up = upload(bob, "huge", b"h" * (2048 * 1024 + 1))
            if status == 201:  # not applied yet: removed again
                bob.call("DELETE", "/api/mail/uploads/" + up["id"])
            return status == 413
        pbtest.wait_until(limited, what="web.max_upload_kb applied")
        status, up = upload(bob, "fits", b"h" * (2048 * 1024))
        self.assertEqual(status, 201, up)
        bob.call("DELETE", "/api/mail/uploads/" + up["id"])
        # without a login the upload route's body is no bigger than any other's
        stranger = Api(self.port)
        stranger.cookie, stranger.csrf = "pb_session=nope", "x"
        self.assertEqual(upload(stranger, "big", b"h" * (1100 * 1024))[0], 413)
        self.assertEqual(upload(stranger, "small", b"h")[0], 401)
        # every other route keeps web.max_body_kb (1024)
        try:
            status = bob.call("POST", "/api/mail/send", {"to": "carol@" + self.domain,
                                                         "text": "x" * (1100 * 1024)}, raw=True)[0]
        except (ConnectionError, urllib.error.URLError):
            status = 413  # answered and closed before the whole body was sent
        self.assertEqual(status, 413)


    def test_browser_big_attachment_sent(self):
        """The webmail composer in headless Chromium."""
        import webdriver
        if not webdriver.available():
            self.skipTest("no Chromium")
        webdriver.browser_per_test(self)
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
        d, wait = self.driver, (lambda f, what: WebDriverWait(self.driver, 60).until(f, what))
        d.get("http://127.0.0.1:%d/mail/" % self.port)
        self.wd.wait_for(d, "#login-user", 30).send_keys("bob")
        d.find_element(By.ID, "login-password").send_keys("bob-secret-1")
        d.find_element(By.CSS_SELECTOR, "#login button").click()
        self.wd.wait_for(d, "#folders a", 30)
        d.find_element(By.ID, "compose").click()
        self.wd.wait_for(d, "#composer", 30)
        data = os.urandom(3 * 1024 * 1024 + 11)
        paths = []
        for name, content in (("scan.pdf", data), ("wrong.txt", b"not this one\n")):
            paths.append(os.path.join(self.tmp.name, name))
            with open(paths[-1], "wb") as f:
                f.write(content)
        d.find_element(By.ID, "c-files").send_keys(paths[0])
        d.find_element(By.ID, "c-files").send_keys(paths[1])

        def uploaded(drv):
            lis = drv.find_elements(By.CSS_SELECTOR, "#c-uploads li[data-upload]")
            return len(lis) == 2 and lis
        lis = wait(uploaded, "both files uploaded")
        bar = lis[0].find_element(By.TAG_NAME, "progress")
        self.assertEqual(bar.get_attribute("value"), bar.get_attribute("max"))
        self.wd.screenshot(d, "uploaded")
        wrong = [li for li in lis if "wrong.txt" in li.text][0]
        wrong_id = wrong.get_attribute("data-upload")
        wrong.find_element(By.CLASS_NAME, "c-remove").click()
        wait(lambda drv: [li.text.split("\n")[0] for li in
                          drv.find_elements(By.CSS_SELECTOR, "#c-uploads li span")] == ["scan.pdf"],
             "wrong.txt removed")
        wait(lambda drv: not os.path.exists(self.upload_file(wrong_id)), "its upload deleted")
        d.find_element(By.ID, "c-to").send_keys("carol@" + self.domain)
        d.find_element(By.ID, "c-subject").send_keys("scanned in the browser")
        d.find_element(By.ID, "c-text").send_keys("the scan\n")
        d.find_element(By.ID, "c-send").click()
        wait(lambda drv: drv.find_element(By.ID, "status").text == "Sent.", "Sent.")
        self.wd.screenshot(d, "sent")
        found = []
        pbtest.wait_until(lambda: found.append(self.pop_find("carol", "scanned in the browser"))
                          or found[-1] is not None, timeout=pbtest.DELIVERY_TIMEOUT,
                          what="delivery")
        self.assertEqual(self.attachment(found[-1], "scan.pdf"), data)
        self.assertIsNone(self.attachment(found[-1], "wrong.txt"))


if __name__ == "__main__":
    unittest.main()
