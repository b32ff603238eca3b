#!/bin/bash
# cpu-by-thread.sh: one bench-smtp-load run against a daemon started by ours.sh, and the
# daemon's CPU per message (utime + stime from /proc/PID/task/*/stat before and after, so
# delivery is included: the run waits with -W until every accepted message is in a mailbox),
# by thread group (the thread name without its shard number) and in all.
#
# Usage: cpu-by-thread.sh DIR PORT [MESSAGES]    (MESSAGES: 15000)
#   LOAD [build/bench/mail/bench-smtp-load]  the load generator
# Prints the generator's "accepted ..." line, then "group=us ... total=us" (µs per message).
#
# OWNS: two temporary files. THREAD: n/a (script).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$1 PORT=$2 N=${3:-15000}
LOAD=${LOAD:-$HERE/../../build/bench/mail/bench-smtp-load}
PID=$(tr -dc 0-9 <"$DIR/pillarboxd.pid")
BUILD=$(dirname "$(readlink -f "/proc/$PID/exe")")

snap() {
	for t in /proc/"$PID"/task/*; do
		echo "$(sed 's/\.[0-9]*$//' "$t/comm" 2>/dev/null) $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null)"
	done | awk 'NF == 2 { a[$1] += $2 } END { for (k in a) print k, a[k] }' | sort
}

before=$(mktemp) after=$(mktemp)
trap 'rm -f "$before" "$after"' EXIT
snap >"$before"
"$LOAD" -p "$PORT" -c 16 -n "$N" -s 1024 -u 100 -d bench.test \
	-W "env BUILD=$BUILD $HERE/ours.sh count $DIR" 2>&1 | grep -o "accepted [0-9]* in [0-9.]* s = [0-9.]* msg/s"
snap >"$after"
join -a2 -e0 -o 0,1.2,2.2 "$before" "$after" |
	awk -v n="$N" -v t="$(getconf CLK_TCK)" '{ d = ($3 - $2) * 1e6 / t / n; tot += d;
		if (d >= 0.5) printf "%s=%d ", $1, d } END { printf "total=%d\n", tot }'
