#!/usr/bin/env bash
# Installs every Debian package Pillarbox needs to build, test and benchmark.
# Idempotent: installs only what is missing; both scripts/run.sh and scripts/test.sh call it.
# Set PILLARBOX_DEPS=build to install only what the build needs (no test peers), or
# PILLARBOX_DEPS=package for the build and Debian's packaging tools (packaging/build-deb.sh).
set -euo pipefail

build_pkgs=(build-essential cmake ninja-build pkg-config
    libnng-dev libssl-dev librocksdb-dev libpcre2-dev liblua5.4-dev libcjson-dev libcrypt-dev
    libsystemd-dev zlib1g-dev libc-ares-dev libhttp-parser-dev libncurses-dev)
test_pkgs=(clang libclang-rt-14-dev python3 python3-dnslib curl swaks fetchmail openssl
    dovecot-pop3d dovecot-lmtpd dovecot-imapd postfix procps fiu-utils util-linux logrotate systemd
    libnet-ssleay-perl libio-socket-ssl-perl isync offlineimap3 mutt getmail6 tmux rspamd
    node-dompurify chromium chromium-driver python3-selenium python3-jsonschema)
# dpkg-buildpackage with debian/; the package's own maintainer scripts need adduser.
package_pkgs=(dpkg-dev debhelper adduser)

want=("${build_pkgs[@]}")
case "${PILLARBOX_DEPS:-all}" in
build) ;;
package) want+=("${package_pkgs[@]}") ;;
*) want+=("${test_pkgs[@]}" "${package_pkgs[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# postfix asks questions on install; answer them and keep it from starting a system instance.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# The test peers are started by our own scripts on loopback; the system services stay off.
for svc in postfix dovecot rspamd; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
        $SUDO systemctl stop "$svc" || true
    fi
done
exit 0
