#!/bin/bash
# run.sh: relay throughput side by side (issue 12 item 6) — Pillarbox's outbound queue against
# Postfix's, both draining the same number of same-sized queued messages to Postfix's
# smtp-sink on loopback. For each size: fill the queue while it cannot send, then time from
# the release to the last message at the sink (smtp-sink -M N exits after the N-th message).
#
#   ours:  pillarboxd (bench/mail/ours.sh) with smtp.relay_networks = 127.0.0.0/8 and
#          outbound.smart_host on a closed port; N messages injected over SMTP (bench-smtp-load,
#          16 connections) and queued (each attempted once: connection refused, deferred).
#          Release = outbound.smart_host set to the sink's port, then `pillarbox queue flush`.
#   peer:  Postfix (bench/mail/peer.sh; its Dovecot stays idle) with relayhost = the sink and
#          header_checks = static:HOLD, so every message injected (the same generator) lands
#          in the hold queue. Release = `postsuper -H ALL` then `postqueue -f`.
#
# Usage (as root): bench/relay/run.sh [--ours-only|--peer-only] [--no-build] [--keep]
# Environment: BUILD [ROOT/build] (RelWithDebInfo, targets pillarboxd pillarbox
#   bench-smtp-load), N_1K [2000], N_100K [500], SIZES ["1024 102400"], DRAIN_TIMEOUT [240] s,
#   RELAY_PORT_BASE [24000]: ours SMTP +25, POP3 +110, other services +1000.., Postfix SMTP
#   +1025, POP3 +1110, the sinks +525 (ours) +526 (peer), the closed port +527.
#   PERF_RECORD=DIR: `perf record -g` of pillarboxd during each of its drains
#   (DIR/perf-SIZE.data).
# Prints per size, as it goes: each side's drain and our CPU by thread group; then the table of
# bench/lib/table.sh — per size, msgs/s of each side and each server's CPU per message during
# the drain (its whole process tree), with the ratio ours/peer.
#
# OWNS: the scratch directory, the servers and sinks it starts (stopped by PID on exit).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=SCRIPTDIR/../lib/table.sh
source "$ROOT/bench/lib/table.sh"
MAIL=$ROOT/bench/mail
export BUILD=${BUILD:-$ROOT/build}
BASE=${RELAY_PORT_BASE:-24000}
export OURS_SMTP_PORT=$((BASE + 25)) OURS_POP3_PORT=$((BASE + 110)) OURS_PORT_BASE=$((BASE + 1000))
export PEER_SMTP_PORT=$((BASE + 1025)) PEER_POP3_PORT=$((BASE + 1110))
SINK_OURS=$((BASE + 525)) SINK_PEER=$((BASE + 526)) DEAD_PORT=$((BASE + 527))
SIDES="ours peer" NO_BUILD=0 KEEP=0 SCRATCH="" SINK_PID="" PERF_PID=""
RDOMAIN=relay.test
declare -A RES

die() { echo "run.sh: $*" >&2; exit 1; }
say() { echo "== $*"; }

parse_args() {
	for a in "$@"; do
		case $a in
		--ours-only) SIDES=ours ;;
		--peer-only) SIDES=peer ;;
		--no-build) NO_BUILD=1 ;;
		--keep) KEEP=1 ;;
		*) die "usage: run.sh [--ours-only|--peer-only] [--no-build] [--keep]" ;;
		esac
	done
	N_1K=${N_1K:-2000} N_100K=${N_100K:-500}
	SIZES=${SIZES:-1024 102400}
	DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-240}
}

has() { [[ " $SIDES " == *" $1 "* ]]; }

build() {
	say "building ($BUILD): pillarboxd pillarbox bench-smtp-load"
	cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$SCRATCH/cmake.log" 2>&1 ||
		die "cmake configure failed; see $SCRATCH/cmake.log (run with --keep)"
	cmake --build "$BUILD" --target pillarboxd pillarbox bench-smtp-load >>"$SCRATCH/cmake.log" 2>&1 ||
		die "build failed: $(tail -20 "$SCRATCH/cmake.log")"
}

cleanup() {
	set +e
	perf_stop
	[ -n "$SINK_PID" ] && stop_sink
	if [ -n "$SCRATCH" ]; then
		[ -d "$SCRATCH/ours" ] && "$MAIL/ours.sh" stop "$SCRATCH/ours"
		[ -d "$SCRATCH/peer" ] && "$MAIL/peer.sh" stop "$SCRATCH/peer"
		if [ $KEEP = 1 ]; then
			echo "run.sh: scratch directory kept: $SCRATCH"
		else
			rm -rf "$SCRATCH"
		fi
	fi
}

cli() { "$BUILD/pillarbox" --data-dir "$SCRATCH/ours/data" "$@"; }
postfix_dir() { echo "$SCRATCH/peer/postfix"; }
peer_pid() { "$MAIL/peer.sh" pids "$SCRATCH/peer" | head -1; }
ours_pid() { "$MAIL/ours.sh" pid "$SCRATCH/ours"; }
server_cpu() { "$MAIL/tree-cpu.sh" "$("${1}_pid")"; }

# wait_for TIMEOUT_S WHAT COMMAND...: polls COMMAND every 50 ms until it succeeds.
wait_for() {
	local timeout=$1 what=$2 i
	shift 2
	for ((i = 0; i < timeout * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	die "timed out after ${timeout}s waiting for $what"
}

start_servers() {
	if has ours; then
		"$MAIL/ours.sh" start "$SCRATCH/ours" >/dev/null
		cli setting set smtp '{"relay_networks": "127.0.0.0/8"}' >/dev/null
		cli setting set outbound "{\"smart_host\": \"127.0.0.1:$DEAD_PORT\", \"tls\": \"none\"}" >/dev/null
		wait_for 30 "the relay setting in effect" relay_open
		echo "ours: pillarboxd pid $(ours_pid), SMTP 127.0.0.1:$OURS_SMTP_PORT"
	fi
	if has peer; then
		"$MAIL/peer.sh" start "$SCRATCH/peer" >/dev/null
		postconf -c "$(postfix_dir)" -e "relayhost = [127.0.0.1]:$SINK_PEER" \
			"header_checks = static:HOLD"
		postfix -c "$(postfix_dir)" reload >/dev/null 2>&1
		echo "peer: Postfix $(postconf -c "$(postfix_dir)" -h mail_version) pid $(peer_pid)," \
			"SMTP 127.0.0.1:$PEER_SMTP_PORT"
	fi
}

# relay_open: whether our SMTP service takes a recipient at RDOMAIN from 127.0.0.1 (settings
# reach the daemon's services a moment after the CLI stored them).
relay_open() {
	python3 -c '
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.ehlo("probe.bench.test")
s.mail("probe@bench.test")
code = s.rcpt(sys.argv[2])[0]
s.rset()
s.quit()
sys.exit(0 if code == 250 else 1)' "$OURS_SMTP_PORT" "probe@$RDOMAIN"
}

# Messages waiting in each side's queue.
# (the status's entry count: `queue list` shows a page of at most 1000)
ours_queued() {
	cli status --json | python3 -c 'import json, sys; q = json.load(sys.stdin)["queue"]; print(q["entries"] if q else 0)' || true
}
peer_held() { find "$SCRATCH/peer/postfix-queue/hold" -type f | wc -l; }
peer_queued() {
	find "$SCRATCH/peer/postfix-queue"/{incoming,active,deferred,hold,maildrop} -type f | wc -l
}
queued_is() { [ "$("$1")" = "$2" ]; }

# fill SIDE N SIZE: N messages injected over SMTP, then waits until all of them are queued.
fill() {
	local side=$1 n=$2 size=$3 port out=$SCRATCH/results/fill-$1-$3.txt
	port=$([ "$side" = ours ] && echo "$OURS_SMTP_PORT" || echo "$PEER_SMTP_PORT")
	"$BUILD/bench/mail/bench-smtp-load" -p "$port" -c 16 -n "$n" -s "$size" -u 100 \
		-d $RDOMAIN >"$out" 2>&1 || die "$side: the fill failed: $(cat "$out")"
	if [ "$side" = ours ]; then
		wait_for 120 "$n entries in our queue" queued_is ours_queued "$n"
	else
		wait_for 120 "$n messages in Postfix's hold queue" queued_is peer_held "$n"
	fi
}

# start_sink PORT: smtp-sink counting what it receives (-c) into SINK_OUT (SINK_PID).
start_sink() {
	SINK_OUT=$SCRATCH/results/sink-$1.txt
	/usr/sbin/smtp-sink -u nobody -c "127.0.0.1:$1" 256 >"$SINK_OUT" 2>&1 &
	SINK_PID=$!
	wait_for 10 "smtp-sink on port $1" bash -c "[ -n \"\$(ss -Hltn 'sport = :$1')\" ]"
}

release() {
	if [ "$1" = ours ]; then
		cli setting set outbound "{\"smart_host\": \"127.0.0.1:$SINK_OURS\"}" >/dev/null
		cli queue flush >/dev/null
	else
		postsuper -c "$(postfix_dir)" -H ALL 2>/dev/null
		postqueue -c "$(postfix_dir)" -f
	fi
}

# hold_again SIDE: points the side at the closed port / keeps new mail held for the next fill.
hold_again() {
	[ "$1" = ours ] || return 0
	cli setting set outbound "{\"smart_host\": \"127.0.0.1:$DEAD_PORT\"}" >/dev/null
}

thread_cpu() { # per-thread group ticks of pillarboxd, "group ticks" lines
	local t
	for t in /proc/"$(ours_pid)"/task/*; do
		echo "$(sed 's/\.[0-9]*$//' "$t/comm" 2>/dev/null) $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null)"
	done | awk 'NF == 2 { a[$1] += $2 } END { for (k in a) print k, a[k] }' | sort
}

perf_start() {
	PERF_PID=""
	[ -n "${PERF_RECORD:-}" ] || return 0
	mkdir -p "$PERF_RECORD"
	perf record -g -q -p "$(ours_pid)" -o "$PERF_RECORD/perf-$1.data" >/dev/null 2>&1 &
	PERF_PID=$!
	wait_for 10 "perf record" test -s "$PERF_RECORD/perf-$1.data"
}

perf_stop() {
	[ -n "${PERF_PID:-}" ] || return 0
	kill -INT "$PERF_PID"
	wait "$PERF_PID" || true
	PERF_PID=""
}

# sink_has N: whether the sink's counters (-c: "sess=S quit=Q mesg=M\r" after each) reached N.
sink_has() { grep -qa "mesg=$1[^0-9]" "$SINK_OUT"; }

stop_sink() {
	kill -KILL "$SINK_PID" 2>/dev/null || true
	wait "$SINK_PID" 2>/dev/null || true
	SINK_PID=""
}

# drain SIDE N SIZE: fill, release, time until the sink has N messages.
drain() {
	local side=$1 n=$2 size=$3 sink port t0 t1 c0 c1 rc=0
	sink=$([ "$side" = ours ] && echo "$SINK_OURS" || echo "$SINK_PEER")
	fill "$side" "$n" "$size"
	start_sink "$sink"
	sync
	[ "$side" = peer ] || { thread_cpu >"$SCRATCH/threads0"; perf_start "$size"; }
	c0=$(server_cpu "$side")
	t0=$(date +%s.%N)
	release "$side"
	local deadline=$((SECONDS + DRAIN_TIMEOUT))
	while ! sink_has "$n" && [ $SECONDS -lt $deadline ]; do
		sleep 0.01
	done
	t1=$(date +%s.%N)
	c1=$(server_cpu "$side")
	[ "$side" = peer ] || { perf_stop; thread_cpu >"$SCRATCH/threads1"; }
	if ! sink_has "$n"; then
		echo "   $side: the sink did not get $n messages in ${DRAIN_TIMEOUT}s"
		rc=1
	fi
	# every message leaves the queue, and none twice (the sink's count stays N)
	wait_for 60 "$side's queue to empty" queued_is "${side}_queued" 0
	local last
	last=$(tail -c 200 "$SINK_OUT" | tr '\r' '\n' | grep -o 'mesg=[0-9]*' | tail -1)
	if [ "$last" != "mesg=$n" ]; then
		echo "   $side: the sink counted $last, not $n messages"
		rc=1
	fi
	stop_sink
	hold_again "$side"
	local rate cpu
	rate=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
	cpu=$(awk -v a="$c0" -v b="$c1" -v n="$n" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.0f", (b - a) * 1e6 / hz / n }')
	[ $rc = 0 ] || rate="$rate!"
	RES["$size,$side,rate"]=$rate RES["$size,$side,cpu"]=$cpu
	echo "   $side: $n messages of $size bytes drained in" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s = $rate msg/s," \
		"server CPU $cpu us/msg"
	[ "$side" = peer ] || join -a2 -e0 -o 0,1.2,2.2 "$SCRATCH/threads0" "$SCRATCH/threads1" |
		awk -v n="$n" -v t="$(getconf CLK_TCK)" '{ d = ($3 - $2) * 1e6 / t / n
			if (d >= 0.5) printf "%s=%d ", $1, d } END { print "" }' |
		sed 's/^/   ours by thread (us\/msg): /'
}

# The table (bench/lib/table.sh): per size, the drain rate and each server's CPU per message.
report() {
	local size c
	echo
	say "relay to smtp-sink (ratio = ours / peer; '!' = failures; load average $(cut -d' ' -f1-3 /proc/loadavg))"
	TABLE_WIDTH=40
	table_header
	for size in $SIZES; do
		c="relay $size B x $(count_for "$size")"
		table_row "$c msg/s" "${RES["$size,ours,rate"]:-}" "${RES["$size,peer,rate"]:-}"
		table_row "$c server CPU us/msg" "${RES["$size,ours,cpu"]:-}" "${RES["$size,peer,cpu"]:-}"
	done
}

count_for() { [ "$1" -le 10240 ] && echo "$N_1K" || echo "$N_100K"; }

main() {
	parse_args "$@"
	[ "$(id -u)" = 0 ] || die "must run as root (Postfix runs as root)"
	SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/pb-bench-relay.XXXXXX")
	chmod 0755 "$SCRATCH"
	mkdir "$SCRATCH/results"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	[ $NO_BUILD = 1 ] || build
	local t=$SECONDS size side
	start_servers
	for size in $SIZES; do
		say "relay: $(count_for "$size") queued messages of $size bytes to smtp-sink"
		for side in $SIDES; do
			drain "$side" "$(count_for "$size")" "$size"
		done
	done
	report
	say "measured in $((SECONDS - t)) s on $(nproc) CPUs"
}

main "$@"
