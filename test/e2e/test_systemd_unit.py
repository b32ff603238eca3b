"""The systemd unit (packaging/pillarbox.service.in, as configured into the build tree) passes
`systemd-analyze verify` with nothing to say, and keeps the service's contract: Type=notify,
its own user, the reload signal, the watchdog and the hardening issue 9 asks for. verify runs
offline (no systemd as PID 1 needed); it insists that ExecStart's program exists, so the copy it
checks starts the build's pillarboxd — every other line is the unit as installed.
Needs systemd-analyze (package systemd, installed by scripts/install-deps.sh): fails without it."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import pbtest  # noqa: E402

UNIT = os.path.join(pbtest.BUILD, "packaging", "pillarbox.service")

WANTED = {
    "Type": "notify", "User": "pillarbox", "Group": "pillarbox",
    "ExecReload": "/bin/kill -HUP $MAINPID", "Restart": "on-failure",
    "AmbientCapabilities": "CAP_NET_BIND_SERVICE", "CapabilityBoundingSet": "CAP_NET_BIND_SERVICE",
    "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
    "PrivateTmp": "yes", "PrivateDevices": "yes", "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6", "LimitNOFILE": "65536",
    "UMask": "0077", "StateDirectory": "pillarbox", "StateDirectoryMode": "0700",
}


def verify(text):
    """systemd-analyze verify of a unit file holding text; returns (rc, everything it said)."""
    d = tempfile.mkdtemp(prefix="pb-unit-")
    try:
        path = os.path.join(d, "pillarbox.service")
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run(["systemd-analyze", "verify", "--man=no", path],
                           capture_output=True, text=True, timeout=120)
        return p.returncode, (p.stdout + p.stderr).strip()
    finally:
        shutil.rmtree(d)


class Unit(unittest.TestCase):
    def setUp(self):
        self.assertIsNotNone(shutil.which("systemd-analyze"),
                             "systemd-analyze is missing: install the package systemd")
        with open(UNIT) as f:
            self.text = f.read()
        m = re.search(r"^ExecStart=(\S+) (.*)$", self.text, re.M)
        self.assertIsNotNone(m, "no ExecStart")
        self.assertTrue(m.group(1).endswith("/sbin/pillarboxd"), m.group(1))
        self.assertRegex(m.group(2), r"^--config \S+/pillarbox/pillarbox\.conf$")
        self.local = self.text.replace("ExecStart=" + m.group(1),
                                       "ExecStart=" + os.path.join(pbtest.BUILD, "pillarboxd"))

    def test_verify_is_silent(self):
        rc, said = verify(self.local)
        self.assertEqual((rc, said), (0, ""))

    def test_verify_would_see_a_mistake(self):
        rc, said = verify(self.local.replace("ProtectSystem=strict", "ProtectSytem=strict"))
        self.assertIn("Unknown key", said)

    def test_the_service_contract(self):
        keys = dict(re.findall(r"^(\w+)=(.*)$", self.text, re.M))
        self.assertEqual({k: keys.get(k) for k in WANTED}, WANTED)
        self.assertRegex(keys.get("WatchdogSec", ""), r"^\d+s$")
        self.assertIn("/var/lib/pillarbox", keys.get("ReadWritePaths", "").split())


if __name__ == "__main__":
    unittest.main(verbosity=2)
