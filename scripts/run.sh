#!/usr/bin/env bash
# Installs what is missing, builds, and starts the Pillarbox daemon in the foreground.
# On a new data directory it creates a default local domain and an administrator account
# ("admin") whose generated password it writes to DATA_DIR/admin-password, readable only by
# you (or takes from PILLARBOX_ADMIN_PASSWORD).
#   PILLARBOX_DATA_DIR     data directory (default ./var)
#   PILLARBOX_PORT_OFFSET  added to every default port (e.g. 10000 for an unprivileged run)
#   PILLARBOX_CONFIG       an optional bootstrap configuration file (see docs/pillarbox.conf.example)
set -euo pipefail
cd "$(dirname "$0")/.."

PILLARBOX_DEPS=build bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target pillarboxd pillarbox pillarbox-monitor
export PILLARBOX_DATA_DIR="${PILLARBOX_DATA_DIR:-./var}"
echo "run.sh: starting build/pillarboxd (data directory $PILLARBOX_DATA_DIR); stop it with Ctrl-C"
# The server's routing script is this tree's scripts/lua/user_redirect.lua (the build's default,
# PB_LUA_DIR); edit it there, or point the setting router.user_redirect at another copy.
echo "run.sh: the server's routing script is $PWD/scripts/lua/user_redirect.lua"
echo "run.sh: manage it from another terminal with: PILLARBOX_DATA_DIR=$PILLARBOX_DATA_DIR build/pillarbox user list"
# Like a supervisor (systemd's Restart=on-failure): exit status 75 means the store met an I/O
# error (a full disk, EIO, no descriptors) and the daemon stopped cleanly to be restarted.
while :; do
	rc=0
	build/pillarboxd || rc=$?
	[ "$rc" = 75 ] || exit "$rc"
	echo "run.sh: pillarboxd stopped for a restart (store error, see the log); restarting in 2 s"
	sleep 2
done
