"""The Debian package for real (issue 9, deliver 5): packaging/build-deb.sh builds the .deb with
dpkg-buildpackage; `dpkg -i` installs it on this machine, which has no systemd running, so the
maintainer scripts must cope; the system user, the private data directory, the FHS paths and the
enabled unit are checked; the installed daemon runs as the user pillarbox (with only
CAP_NET_BIND_SERVICE, as systemd gives it) and serves a message sent with curl and read with
POP3; nobody can read nothing of the data directory; `dpkg --purge` leaves no trace.

Needs root and apt (the CI container): it fails, never skips, when it cannot do its job, and it
refuses to run over an installed pillarbox package or an existing user pillarbox. Whatever
happens, the package is purged at the end (the machine is left as it was found).
Only in the optimized build's pass (scripts/test.sh: release), labelled `package`."""
import os
import poplib
import pwd
import grp
import random
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402

SOURCE = os.environ.get("PB_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
DATA = "/var/lib/pillarbox"
INSTALLED = ["/usr/sbin/pillarboxd", "/usr/sbin/pillarbox", "/usr/bin/pillarbox-monitor",
             "/etc/pillarbox/pillarbox.conf", "/etc/pillarbox/user_redirect.lua",
             "/etc/logrotate.d/pillarbox",
             "/lib/systemd/system/pillarbox.service", "/usr/share/doc/pillarbox/README.Debian",
             "/usr/share/pillarbox/web/index.html"]
ENABLED = "/etc/systemd/system/multi-user.target.wants/pillarbox.service"
# what setpriv gives the daemon: what the unit's User=, Group= and AmbientCapabilities= give it
AS_SERVICE = ["setpriv", "--reuid=pillarbox", "--regid=pillarbox", "--init-groups",
              "--inh-caps=-all,+net_bind_service", "--ambient-caps=-all,+net_bind_service",
              "--bounding-set=-all,+net_bind_service"]


def run(*argv, input=None, timeout=120, check=True):
    p = subprocess.run(list(argv), input=input, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(argv), p.returncode, p.stdout, p.stderr))
    return p


def installed():
    return run("dpkg-query", "-W", "-f=${Status}", "pillarbox", check=False).stdout.startswith("install ok")


def free_offset():
    """A PILLARBOX_PORT_OFFSET whose every default port (25 ... 5110) binds now, above 1024 and
    below the ephemeral range (32768+ on Linux), so the source port of some client connection
    cannot take one before the daemon binds it (a run saw statuss, 5110, taken)."""
    ports = [25, 587, 465, 110, 995, 143, 993, 5108, 5109, 5110]
    for _ in range(200):
        offset = random.randrange(15000, 27000)
        try:
            for port in ports:
                with socket.socket() as s:
                    s.bind(("0.0.0.0", port + offset))
        except OSError:
            continue
        return offset
    raise RuntimeError("no free port offset")


def as_nobody(*argv):
    return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + list(argv),
                          capture_output=True, timeout=30)


class Package(unittest.TestCase):
    def setUp(self):
        self.assertEqual(os.geteuid(), 0, "the package test installs a package: run it as root")
        self.assertFalse(installed(), "a pillarbox package is installed already: not touching it")
        self.assertRaises(KeyError, pwd.getpwnam, "pillarbox")
        self.out = tempfile.mkdtemp(prefix="pb-deb-")
        self.daemon = None

    def tearDown(self):
        self.stop_daemon()
        shutil.rmtree(self.out, ignore_errors=True)

    def build(self):
        env = dict(os.environ, PB_DEB_OUT=self.out)
        p = subprocess.run(["bash", os.path.join(SOURCE, "packaging/build-deb.sh")], env=env,
                           capture_output=True, text=True, timeout=1500)
        self.assertEqual(p.returncode, 0, p.stdout[-4000:] + p.stderr[-4000:])
        self.assertIn("build-deb: packages in " + self.out, p.stdout)
        debs = [f for f in os.listdir(self.out) if f.startswith("pillarbox_") and f.endswith(".deb")]
        self.assertEqual(len(debs), 1, os.listdir(self.out))
        return os.path.join(self.out, debs[0])

    def test_install_serve_purge(self):
        deb = self.build()
        purge = None
        try:
            p = run("dpkg", "-i", deb, timeout=300)
            self.assertIn("admin-password", p.stdout)
            self.check_installed()
            self.serve_one_message()
            self.check_private()
            self.stop_daemon()
            self.check_root_start_becomes_pillarbox()
        finally:
            try:
                self.stop_daemon()
            finally:  # purged even when the daemon failed: the machine is left as found
                if installed() or os.path.exists("/var/lib/dpkg/info/pillarbox.list"):
                    purge = run("dpkg", "--purge", "pillarbox", check=False, timeout=300)
        self.assertIsNotNone(purge, "the package was not installed")
        self.assertEqual(purge.returncode, 0, purge.stdout + purge.stderr)
        self.check_gone()

    def check_installed(self):
        user = pwd.getpwnam("pillarbox")
        self.assertLess(user.pw_uid, 1000)
        self.assertEqual(user.pw_dir, DATA)
        self.assertEqual(grp.getgrgid(user.pw_gid).gr_name, "pillarbox")
        st = os.stat(DATA)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid),
                         (0o700, user.pw_uid, user.pw_gid))
        for path in INSTALLED:
            self.assertTrue(os.path.isfile(path), path)
        self.assertEqual(os.path.realpath(ENABLED), os.path.realpath("/lib/systemd/system/pillarbox.service"))
        with open("/etc/pillarbox/pillarbox.conf") as f:
            self.assertIn("\ndata_dir = /var/lib/pillarbox\n", f.read())
        verify = run("systemd-analyze", "verify", "--man=no", "/lib/systemd/system/pillarbox.service")
        self.assertEqual((verify.stdout + verify.stderr).strip(), "")

    def start_daemon(self, wrapper=AS_SERVICE):
        """The installed daemon as the service runs it (or under wrapper), with no options: it
        must find /etc/pillarbox/pillarbox.conf by itself. Ports above 1024 (this machine may
        run a mail server on 25)."""
        self.offset = free_offset()
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PILLARBOX_PORT_OFFSET": str(self.offset)}
        # its log goes to standard error (no log_file in the packaged file): a file, not a pipe
        self.log = os.path.join(self.out, "pillarboxd.log")
        with open(self.log, "w") as log:
            self.daemon = subprocess.Popen(wrapper + ["/usr/sbin/pillarboxd"], env=env, cwd="/",
                                           stdout=subprocess.PIPE, stderr=log, text=True)
        lines = []
        for line in self.daemon.stdout:
            lines.append(line)
            if "pillarboxd: ready" in line:
                return "".join(lines)
        self.fail("the installed daemon did not start: %s%s" % ("".join(lines), self.read_log()))

    def read_log(self):
        with open(self.log) as f:
            return f.read()[-4000:]

    def stop_daemon(self):
        if self.daemon is None or self.daemon.poll() is not None:
            return
        self.daemon.send_signal(signal.SIGTERM)
        self.daemon.communicate(timeout=60)
        self.assertEqual(self.daemon.returncode, 0, self.read_log())

    def serve_one_message(self):
        said = self.start_daemon()
        pw_file = os.path.join(DATA, "admin-password")
        self.assertIn(pw_file, said)
        st = os.stat(pw_file)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid), (0o600, pwd.getpwnam("pillarbox").pw_uid))
        # the CLI with no options finds the daemon through /etc/pillarbox/pillarbox.conf
        run("/usr/sbin/pillarbox", "user", "add", "bob", input="bob-secret-1\n")
        domain = run("/usr/sbin/pillarbox", "domain", "list").stdout.split()[0]
        msg = os.path.join(self.out, "unix.eml")
        with open(msg, "w") as f:
            f.write("From: a@example.org\nTo: bob@%s\nSubject: packaged\n\nfrom the package\n" % domain)
        # the Unix file as it is (bare LF): the server normalizes it to CRLF
        run("curl", "-sS", "--max-time", "30", "smtp://127.0.0.1:%d" % (25 + self.offset),
            "--mail-from", "a@example.org", "--mail-rcpt", "bob@" + domain, "--upload-file", msg)
        pbtest.wait_until(lambda: self.pop3_count() == 1, timeout=30, what="the message in bob's mailbox")
        p = poplib.POP3("127.0.0.1", 110 + self.offset, timeout=30)
        p.user("bob")
        p.pass_("bob-secret-1")
        body = b"\n".join(p.retr(1)[1])
        p.quit()
        self.assertIn(b"Subject: packaged", body)
        self.assertIn(b"from the package", body)
        # the web gateway serves the installed pages
        page = run("curl", "-sS", "--max-time", "30", "http://127.0.0.1:%d/" % (5108 + self.offset)).stdout
        self.assertIn("Pillarbox", page)
        # the daemon's log: its data directory's pillarbox.log (no log_file in the packaged
        # file), and what it wrote on standard error
        log = ""
        for path in (os.path.join(DATA, "pillarbox.log"), self.log):
            if os.path.exists(path):
                with open(path) as f:
                    log += f.read()
        self.assertIn("event=pages root=/usr/share/pillarbox/web", log)
        # the router found the installed server script (PB_LUA_DIR=/etc/pillarbox)
        self.assertIn("event=server_script_loaded path=/etc/pillarbox/user_redirect.lua", log)

    def check_root_start_becomes_pillarbox(self):
        """Started by hand as root, the packaged daemon becomes pillarbox (user = pillarbox in
        the packaged file) before it touches the data directory."""
        self.start_daemon(wrapper=[])
        with open("/proc/%d/status" % self.daemon.pid) as f:
            uids = [line.split()[1:] for line in f if line.startswith("Uid:")][0]
        self.assertEqual(uids, [str(pwd.getpwnam("pillarbox").pw_uid)] * 4)
        self.stop_daemon()
        owners = {os.lstat(os.path.join(root, n)).st_uid
                  for root, dirs, files in os.walk(DATA) for n in dirs + files}
        self.assertEqual(owners, {pwd.getpwnam("pillarbox").pw_uid})

    def pop3_count(self):
        p = poplib.POP3("127.0.0.1", 110 + self.offset, timeout=30)
        p.user("bob")
        p.pass_("bob-secret-1")
        n = p.stat()[0]
        p.quit()
        return n

    def check_private(self):
        entries = [DATA]
        for root, dirs, files in os.walk(DATA):
            entries += [os.path.join(root, n) for n in dirs + files]
        self.assertGreater(len(entries), 5)
        self.assertNotEqual(as_nobody("ls", DATA).returncode, 0)
        readable = [e for e in entries if os.path.isfile(e) and as_nobody("cat", e).returncode == 0]
        self.assertEqual(readable, [])
        loose = [e for e in entries if stat.S_IMODE(os.lstat(e).st_mode) & 0o077]
        self.assertEqual(loose, [])

    def check_gone(self):
        self.assertFalse(installed())
        self.assertRaises(KeyError, pwd.getpwnam, "pillarbox")
        self.assertRaises(KeyError, grp.getgrnam, "pillarbox")
        left = [p for p in INSTALLED + [DATA, "/var/log/pillarbox", "/etc/pillarbox", ENABLED]
                if os.path.lexists(p)]
        self.assertEqual(left, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
