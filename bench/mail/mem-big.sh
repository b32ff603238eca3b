#!/bin/bash
# mem-big.sh: the memory a large message costs the daemon (issue 7, item 4). Starts the real
# pillarboxd (optimized build) with two users, then measures the growth of its peak resident
# set for three cases, each from a reset peak (`echo 5 > /proc/PID/clear_refs`, so VmHWM
# restarts at the current VmRSS):
#   smtp_40m    one 40 MiB message over SMTP, until it is delivered to the mailbox
#   pop3_login  a POP3 login alone (yescrypt maps and zeroes 16 MiB per password check)
#   retr_40m    POP3 RETR (and DELE) of that message, the peak reset after the login
#   smtp_16x20m 16 concurrent SMTP sessions each sending one 20 MiB message, until delivered
# and prints one line per case:  mem CASE rss_before_kb N peak_kb N growth_kb N target_kb N OK|OVER
# Targets (issue 7): < 16 MiB for one 40 MiB message in or out, < 256 MiB for the 16 uploads.
# It reports; it does not judge: the exit status is 0 whatever the figures (1 only when the
# run itself fails). Runs in well under a minute.
#
# Usage: bench/mail/mem-big.sh [--no-build] [--keep]
# Environment: BUILD [$ROOT/build] (configured RelWithDebInfo here unless --no-build),
#   TMPDIR [/tmp], OURS_PORT_BASE [a random base in 31000..32999].
#
# OWNS: its scratch directory and the daemon it starts (stopped by PID through ours.sh).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export BUILD=${BUILD:-$ROOT/build}
BIN=$BUILD/bench/mail
export OURS_PORT_BASE=${OURS_PORT_BASE:-$((31000 + RANDOM % 2000))}
export OURS_SMTP_PORT=$((OURS_PORT_BASE + 25)) OURS_POP3_PORT=$((OURS_PORT_BASE + 110))
export OURS_USERS=2 OURS_DOMAIN=bench.test OURS_PASSWORD_PATTERN='bench-pass-%03d'
MIB=$((1024 * 1024))
NO_BUILD=0 KEEP=0 SCRATCH="" PID=""

die() { echo "mem-big.sh: $*" >&2; exit 1; }

for a in "$@"; do
	case $a in
	--no-build) NO_BUILD=1 ;;
	--keep) KEEP=1 ;;
	*) die "usage: mem-big.sh [--no-build] [--keep]" ;;
	esac
done

cleanup() {
	set +e
	[ -n "$SCRATCH" ] && [ -d "$SCRATCH/ours" ] && "$HERE/ours.sh" stop "$SCRATCH/ours" >/dev/null
	if [ -n "$SCRATCH" ]; then
		if [ $KEEP = 1 ]; then echo "mem-big.sh: kept $SCRATCH"; else rm -rf "$SCRATCH"; fi
	fi
}
trap cleanup EXIT

build() {
	echo "== building ($BUILD, RelWithDebInfo)"
	cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$SCRATCH/cmake.log" 2>&1 ||
		die "cmake configure failed: $(tail -20 "$SCRATCH/cmake.log")"
	cmake --build "$BUILD" -j2 --target pillarboxd pillarbox bench-smtp-load bench-pop3-drain \
		>>"$SCRATCH/cmake.log" 2>&1 || die "build failed: $(tail -20 "$SCRATCH/cmake.log")"
}

status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status"; }

# measure CASE TARGET_MIB COMMAND...: runs the command from a reset peak, prints the line.
measure() {
	local name=$1 target=$(($2 * 1024)) before peak growth verdict
	shift 2
	echo 5 >"/proc/$PID/clear_refs" || die "cannot reset the peak of pid $PID"
	before=$(status_kb VmRSS)
	"$@" >"$SCRATCH/$name.out" 2>&1 || die "$name failed: $(tail -5 "$SCRATCH/$name.out")"
	peak=$(status_kb VmHWM)
	growth=$((peak - before))
	verdict=OK
	[ $growth -lt $target ] || verdict=OVER
	echo "mem $name rss_before_kb $before peak_kb $peak growth_kb $growth target_kb $target $verdict"
}

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/pb-mem-big.XXXXXX")
[ $NO_BUILD = 1 ] || build
"$HERE/ours.sh" start "$SCRATCH/ours" >"$SCRATCH/start.out" 2>&1 ||
	die "cannot start pillarboxd: $(cat "$SCRATCH/start.out")"
PID=$("$HERE/ours.sh" pid "$SCRATCH/ours")
COUNT="$HERE/ours.sh count $SCRATCH/ours"
echo "== pillarboxd pid $PID, SMTP $OURS_SMTP_PORT, POP3 $OURS_POP3_PORT; VmRSS $(status_kb VmRSS) kB"
measure smtp_40m 16 "$BIN/bench-smtp-load" -p "$OURS_SMTP_PORT" -c 1 -n 1 -s $((40 * MIB)) -u 1 \
	-W "$COUNT" -T 50
# RETR: the peak is reset after the login, whose password check alone maps and zeroes 16 MiB
# (libxcrypt's yescrypt); that cost is the same for any message and is measured apart.
measure pop3_login 32 python3 - "$OURS_POP3_PORT" <<'PY'
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=60)
p.user("user001"); p.pass_("bench-pass-001"); p.quit()
PY
retr_after_login() {
	local before peak growth verdict target=$((16 * 1024))
	python3 - "$OURS_POP3_PORT" "$PID" >"$SCRATCH/retr_40m.out" 2>&1 <<'PY' || die "retr_40m failed: $(tail -5 "$SCRATCH/retr_40m.out")"
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=60)
p.user("user000"); p.pass_("bench-pass-000")
status = "/proc/%s/status" % sys.argv[2]
kb = lambda key: int([l.split()[1] for l in open(status) if l.startswith(key + ":")][0])
open("/proc/%s/clear_refs" % sys.argv[2], "w").write("5")
before = kb("VmRSS")
n = len(p.list()[1])
size = sum(len(l) + 2 for l in p.retr(1)[1])
p.dele(1); p.quit()
print("before", before, "peak", kb("VmHWM"), "messages", n, "octets", size)
PY
	read -r _ before _ peak _ _ _ _ <"$SCRATCH/retr_40m.out"
	growth=$((peak - before))
	verdict=OK
	[ $growth -lt $target ] || verdict=OVER
	echo "mem retr_40m rss_before_kb $before peak_kb $peak growth_kb $growth target_kb $target $verdict"
}
retr_after_login
measure smtp_16x20m 256 "$BIN/bench-smtp-load" -p "$OURS_SMTP_PORT" -c 16 -n 16 -s $((20 * MIB)) \
	-u 2 -W "$COUNT" -T 50
