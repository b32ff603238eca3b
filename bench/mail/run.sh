#!/bin/bash
# run.sh: the mail-path comparison in one run — Pillarbox against Postfix delivering to Dovecot
# over LMTP, both on loopback under one scratch directory, the same C load generators against
# both, case by case (ours, then the peer). Prints each generator's output as it goes, then a
# table `case ours peer ratio` (ratio = ours / peer) and the peak memory of each server.
#
# Usage (as root): bench/mail/run.sh [--peer-only|--ours-only] [--pop3-only] [--no-build]
#                  [--quick] [--keep]
#   --peer-only  measure the peer alone (Pillarbox column shows "-")
#   --ours-only  measure Pillarbox alone (peer column shows "-")
#   --pop3-only  only the POP3 drain cases (DRAIN_CLIENTS of them), no SMTP or login cases
#   --no-build   use the binaries already in BUILD
#   --quick      a smoke run: a fifth of the messages, 20 per user for POP3, 3 s login runs
#   --keep       keep the scratch directory (printed) instead of removing it
# Environment: BUILD [/work/main/build], TMPDIR [/tmp] for the scratch directory, the message
# counts N_1K_C1 [3000] N_1K_C16 [20000] N_100K_C1 [1000] N_100K_C16 [4000], POP3_PER_USER [100],
# POP3_SIZE [1024], LOGIN_SECS [10], DRAIN_CLIENTS ["1 8"] (one drain case per count);
# PERF_RECORD=DIR records `perf record -g` of pillarboxd during each of its timed drains into
# DIR/perf-c<clients>.data (the profiler's own cost is then in the CPU figures; PERF_ARGS
# [-g] replaces -g, e.g. "-e probe_pillarboxd:pb_runtime_send_bytes" to count calls); ports as in
# peer.sh and ours.sh. Each of our drains also prints CPU µs/msg by thread group.
#
# OWNS: the scratch directory, the servers it starts (stopped by PID on exit), the sampler.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=SCRIPTDIR/../lib/table.sh
source "$ROOT/bench/lib/table.sh"
export BUILD=${BUILD:-$ROOT/build}
BIN=$BUILD/bench/mail
USERS=100
DOMAIN=bench.test
export PEER_USERS=$USERS OURS_USERS=$USERS PEER_DOMAIN=$DOMAIN OURS_DOMAIN=$DOMAIN
export PEER_PASSWORD_PATTERN='bench-pass-%03d' OURS_PASSWORD_PATTERN='bench-pass-%03d'
export PEER_SMTP_PORT=${PEER_SMTP_PORT:-20025} PEER_POP3_PORT=${PEER_POP3_PORT:-20110}
export OURS_SMTP_PORT=${OURS_SMTP_PORT:-21025} OURS_POP3_PORT=${OURS_POP3_PORT:-21110}

PEER_ONLY=0 OURS_ONLY=0 POP3_ONLY=0 NO_BUILD=0 QUICK=0 KEEP=0
SCRATCH="" SAMPLER_PID="" PERF_PID=""
SIDES="ours peer"
declare -A RES
CASES=()

die() { echo "run.sh: $*" >&2; exit 1; }
say() { echo "== $*"; }

parse_args() {
	for a in "$@"; do
		case $a in
		--peer-only) PEER_ONLY=1; SIDES="peer" ;;
		--ours-only) OURS_ONLY=1; SIDES="ours" ;;
		--pop3-only) POP3_ONLY=1 ;;
		--no-build) NO_BUILD=1 ;;
		--quick) QUICK=1 ;;
		--keep) KEEP=1 ;;
		*) die "usage: run.sh [--peer-only|--ours-only] [--pop3-only] [--no-build] [--quick] [--keep]" ;;
		esac
	done
	[ $PEER_ONLY = 0 ] || [ $OURS_ONLY = 0 ] || die "--peer-only and --ours-only exclude each other"
	DRAIN_CLIENTS=${DRAIN_CLIENTS:-1 8}
	local div=1
	[ $QUICK = 1 ] && div=5
	N_1K_C1=$((${N_1K_C1:-3000} / div)) N_1K_C16=$((${N_1K_C16:-20000} / div))
	N_100K_C1=$((${N_100K_C1:-1000} / div)) N_100K_C16=$((${N_100K_C16:-4000} / div))
	PER_USER=${POP3_PER_USER:-$([ $QUICK = 1 ] && echo 20 || echo 100)}
	POP3_SIZE=${POP3_SIZE:-1024}
	LOGIN_SECS=${LOGIN_SECS:-$([ $QUICK = 1 ] && echo 3 || echo 10)}
}

build() {
	local targets="bench-smtp-load bench-pop3-drain bench-pop3-login bench-mem-sample"
	[ $PEER_ONLY = 1 ] || targets="$targets pillarboxd pillarbox"
	say "building ($BUILD): $targets"
	cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$SCRATCH/cmake.log" 2>&1 ||
		die "cmake configure failed; see $SCRATCH/cmake.log (run with --keep)"
	# shellcheck disable=SC2086
	cmake --build "$BUILD" --target $targets >>"$SCRATCH/cmake.log" 2>&1 ||
		die "build failed: $(tail -20 "$SCRATCH/cmake.log")"
}

cleanup() {
	set +e
	perf_stop
	if [ -n "$SAMPLER_PID" ]; then
		kill -TERM "$SAMPLER_PID" 2>/dev/null
		wait "$SAMPLER_PID" 2>/dev/null
	fi
	if [ -n "$SCRATCH" ]; then
		[ -d "$SCRATCH/ours" ] && "$HERE/ours.sh" stop "$SCRATCH/ours"
		[ -d "$SCRATCH/peer" ] && "$HERE/peer.sh" stop "$SCRATCH/peer"
		if [ $KEEP = 1 ]; then
			echo "run.sh: scratch directory kept: $SCRATCH"
		else
			rm -rf "$SCRATCH"
		fi
	fi
}

start_servers() {
	[ $OURS_ONLY = 1 ] || "$HERE/peer.sh" start "$SCRATCH/peer"
	if [ $PEER_ONLY = 0 ]; then
		"$HERE/ours.sh" start "$SCRATCH/ours" || {
			[ $? = 3 ] && die "pillarboxd does not listen on SMTP/POP3 yet; use --peer-only"
			die "cannot start pillarboxd"
		}
	fi
	local groups=""
	[ $OURS_ONLY = 1 ] || groups="peer=$("$HERE/peer.sh" pids "$SCRATCH/peer" | paste -sd,)"
	[ $PEER_ONLY = 1 ] || groups="$groups ours=$("$HERE/ours.sh" pid "$SCRATCH/ours")"
	# shellcheck disable=SC2086
	"$BIN/bench-mem-sample" -i 200 $groups >"$SCRATCH/mem.txt" &
	SAMPLER_PID=$!
}

# tree_cpu SIDE: CPU ticks used so far by the server's process tree (tree-cpu.sh).
tree_cpu() {
	local roots
	if [ "$1" = ours ]; then
		roots=$("$HERE/ours.sh" pid "$SCRATCH/ours")
	else
		roots=$("$HERE/peer.sh" pids "$SCRATCH/peer" | paste -sd' ')
	fi
	# shellcheck disable=SC2086 # several PIDs
	"$HERE/tree-cpu.sh" $roots
}

# cpu_per_msg TICKS_BEFORE TICKS_AFTER MESSAGES: server CPU microseconds per message.
cpu_per_msg() {
	awk -v a="$1" -v b="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1e6 / hz / n }'
}

smtp_port() { [ "$1" = ours ] && echo "$OURS_SMTP_PORT" || echo "$PEER_SMTP_PORT"; }
pop3_port() { [ "$1" = ours ] && echo "$OURS_POP3_PORT" || echo "$PEER_POP3_PORT"; }
count_cmd() { echo "$HERE/$1.sh count $SCRATCH/$1"; }
count() { "$HERE/$1.sh" count "$SCRATCH/$1"; }

# tool LABEL OUT TOOL ARGS...: runs a generator, shows its output indented under LABEL; the
# figures are read from OUT afterwards. A failing run marks its figures with '!'.
tool() {
	local label=$1 out=$2 rc=0
	shift 2
	"$@" >"$out" 2>&1 || rc=$?
	sed "s/^/   $label: /" "$out"
	return $rc
}

# record CASE SIDE VALUE STATUS
record() {
	local v=${3:-}
	[ -n "$v" ] || v=FAIL
	[ "$4" = 0 ] || v="$v!"
	RES["$1,$2"]=$v
}

add_case() { CASES+=("$1"); }

# smtp_case NAME BODY_BYTES CONNECTIONS MESSAGES
smtp_case() {
	local name=$1 size=$2 conns=$3 n=$4 side out rc cpu0 cpu1
	say "SMTP $name: $n messages of $size bytes over $conns connection(s) to $USERS users"
	add_case "$name accepted msg/s"
	add_case "$name delivered msg/s"
	add_case "$name server CPU us/msg (lower=better)"
	for side in $SIDES; do
		sync
		out=$SCRATCH/results/smtp-$name-$side.txt
		rc=0
		cpu0=$(tree_cpu "$side")
		tool "$side" "$out" "$BIN/bench-smtp-load" -p "$(smtp_port "$side")" -c "$conns" \
			-n "$n" -s "$size" -u $USERS -d $DOMAIN -W "$(count_cmd "$side")" || rc=$?
		cpu1=$(tree_cpu "$side")
		record "$name accepted msg/s" "$side" "$(awk '/^accepted/ { print $7 }' "$out")" $rc
		record "$name delivered msg/s" "$side" "$(awk '/^delivered/ { print $7 }' "$out")" $rc
		record "$name server CPU us/msg (lower=better)" "$side" "$(cpu_per_msg "$cpu0" "$cpu1" "$n")" $rc
	done
}

# fill SIDE: empties every mailbox (untimed drain), then delivers PER_USER messages to each.
fill() {
	local side=$1 n
	tool "$side (emptying, untimed)" "$SCRATCH/results/empty-$side.txt" "$BIN/bench-pop3-drain" \
		-p "$(pop3_port "$side")" -c 8 -u $USERS || die "$side: emptying the mailboxes failed"
	n=$(count "$side")
	[ "$n" = 0 ] || die "$side: $n messages left after emptying the mailboxes"
	tool "$side (filling)" "$SCRATCH/results/fill-$side.txt" "$BIN/bench-smtp-load" \
		-p "$(smtp_port "$side")" -c 16 -n $((USERS * PER_USER)) -s "$POP3_SIZE" -u $USERS \
		-d $DOMAIN -W "$(count_cmd "$side")" || die "$side: filling the mailboxes failed"
}

# thread_cpu: CPU ticks (utime + stime) and context switches (voluntary + not) of each of
# pillarboxd's threads so far, summed by thread group (the name without its shard number),
# one "group ticks switches" line each, sorted.
thread_cpu() {
	local pid t
	pid=$("$HERE/ours.sh" pid "$SCRATCH/ours")
	for t in /proc/"$pid"/task/*; do
		echo "$(sed 's/\.[0-9]*$//' "$t/comm" 2>/dev/null)" \
			"$(awk '{print $14 + $15}' "$t/stat" 2>/dev/null)" \
			"$(awk '/ctxt_switches/ { s += $2 } END { print s }' "$t/status" 2>/dev/null)"
	done | awk 'NF == 3 { a[$1] += $2; c[$1] += $3 } END { for (k in a) print k, a[k], c[k] }' |
		sort
}

# thread_cpu_report MESSAGES: our CPU µs/msg and context switches per 100 messages by thread
# group since thread_cpu >threads0.
thread_cpu_report() {
	thread_cpu >"$SCRATCH/threads1"
	join -a2 -e0 -o 0,1.2,2.2,1.3,2.3 "$SCRATCH/threads0" "$SCRATCH/threads1" |
		awk -v n="$1" -v t="$(getconf CLK_TCK)" '{ d = ($3 - $2) * 1e6 / t / n; tot += d;
			w = ($5 - $4) * 100 / n; sw += w
			if (d >= 0.5) printf "%s=%d ", $1, d; if (w >= 0.5) ws = ws sprintf("%s=%d ", $1, w) }
			END { printf "total=%d\n", tot; printf "%stotal=%d\n", ws, sw }' |
		sed -e '1s/^/   ours by thread (us\/msg): /' -e '2s/^/   ours switches per 100 msg: /'
}

# perf_start CLIENTS / perf_stop: perf record -g of pillarboxd around a drain (PERF_RECORD).
perf_start() {
	PERF_PID=""
	[ -n "${PERF_RECORD:-}" ] || return 0
	mkdir -p "$PERF_RECORD"
	# shellcheck disable=SC2086 # PERF_ARGS: several words
	perf record ${PERF_ARGS:--g} -q -p "$("$HERE/ours.sh" pid "$SCRATCH/ours")" \
		-o "$PERF_RECORD/perf-c$1.data" >/dev/null 2>&1 &
	PERF_PID=$!
	local i # perf writes its file's header once it has attached to every thread
	for ((i = 0; i < 100; i++)); do
		[ -s "$PERF_RECORD/perf-c$1.data" ] && return 0
		sleep 0.1
	done
	die "perf record did not start"
}

perf_stop() {
	[ -n "${PERF_PID:-}" ] || return 0
	kill -INT "$PERF_PID"
	wait "$PERF_PID" || true
	PERF_PID=""
}

# drain_case NAME CLIENTS
drain_case() {
	local name=$1 clients=$2 side out rc cpu0 cpu1
	say "POP3 $name: drain $PER_USER messages ($POP3_SIZE-byte bodies) from each of $USERS users, $clients client(s)"
	add_case "$name msg/s"
	add_case "$name users/s"
	add_case "$name server CPU us/msg (lower=better)"
	for side in $SIDES; do
		fill "$side"
		sync
		out=$SCRATCH/results/pop3-$name-$side.txt
		rc=0
		[ "$side" = peer ] || { thread_cpu >"$SCRATCH/threads0"; perf_start "$clients"; }
		cpu0=$(tree_cpu "$side")
		tool "$side" "$out" "$BIN/bench-pop3-drain" -p "$(pop3_port "$side")" -c "$clients" \
			-u $USERS -e "$PER_USER" || rc=$?
		cpu1=$(tree_cpu "$side")
		[ "$side" = peer ] || { perf_stop; thread_cpu_report $((USERS * PER_USER)); }
		record "$name server CPU us/msg (lower=better)" "$side" \
			"$(cpu_per_msg "$cpu0" "$cpu1" $((USERS * PER_USER)))" $rc
		[ "$(count "$side")" = 0 ] || { echo "   $side: mailboxes not empty after the drain"; rc=1; }
		record "$name msg/s" "$side" "$(awk '/^drained/ { print $12 }' "$out")" $rc
		record "$name users/s" "$side" "$(awk '/^drained/ { print $14 }' "$out")" $rc
	done
}

# login_case NAME CLIENTS
login_case() {
	local name=$1 clients=$2 side out rc
	say "POP3 $name: USER/PASS/QUIT for $LOGIN_SECS s, $clients client(s), users round-robin"
	add_case "$name logins/s"
	for side in $SIDES; do
		out=$SCRATCH/results/login-$name-$side.txt
		rc=0
		tool "$side" "$out" "$BIN/bench-pop3-login" -p "$(pop3_port "$side")" -c "$clients" \
			-t "$LOGIN_SECS" -u $USERS || rc=$?
		record "$name logins/s" "$side" "$(awk '/^logins/ { print $7 }' "$out")" $rc
	done
}

# Stops the sampler and records the peaks (MB) as two more cases.
memory() {
	kill -TERM "$SAMPLER_PID"
	wait "$SAMPLER_PID" || true
	SAMPLER_PID=""
	sed 's/^/   /' "$SCRATCH/mem.txt"
	add_case "peak memory MB, sum VmHWM (lower=better)"
	add_case "peak memory MB, sum Pss (lower=better)"
	add_case "peak processes"
	for side in $SIDES; do
		local line
		line=$(grep "^mem $side " "$SCRATCH/mem.txt") || continue
		RES["peak memory MB, sum VmHWM (lower=better),$side"]=$(awk '{ printf "%.1f", $4 / 1024 }' <<<"$line")
		RES["peak memory MB, sum Pss (lower=better),$side"]=$(awk '{ printf "%.1f", $8 / 1024 }' <<<"$line")
		RES["peak processes,$side"]=$(awk '{ print $10 }' <<<"$line")
	done
}

report() {
	local c
	echo
	say "results (ratio = ours / peer; '!' = that run had failures; load average $(cut -d' ' -f1-3 /proc/loadavg))"
	TABLE_WIDTH=48
	table_header
	for c in "${CASES[@]}"; do
		table_row "$c" "${RES["$c,ours"]:-}" "${RES["$c,peer"]:-}"
	done
	[ $PEER_ONLY = 1 ] || [ $OURS_ONLY = 1 ] && return 0
	echo
	target "smtp 1KB c16 delivered msg/s" 5
	target "smtp 100KB c16 delivered msg/s" 2
	target "pop3 drain c1 msg/s" 2
	target "pop3 drain c8 msg/s" 2
}

target() {
	local r
	[ -n "${RES["$1,ours"]:-}${RES["$1,peer"]:-}" ] || return 0 # a case not run
	r=$(table_ratio "${RES["$1,ours"]:-}" "${RES["$1,peer"]:-}")
	awk -v r="$r" -v t="$2" -v c="$1" 'BEGIN {
		printf "target %-36s >= %sx peer: %s (%s)\n", c, t, r,
			(r != "-" && r + 0 >= t) ? "met" : "NOT met" }'
}

main() {
	parse_args "$@"
	[ "$(id -u)" = 0 ] || die "must run as root (the peer runs Postfix and Dovecot)"
	SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/pb-bench-mail.XXXXXX")
	chmod 0755 "$SCRATCH"
	mkdir "$SCRATCH/results"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	[ $NO_BUILD = 1 ] || build
	local t0=$SECONDS c
	start_servers
	if [ $POP3_ONLY = 0 ]; then
		smtp_case "smtp 1KB c1" 1024 1 "$N_1K_C1"
		smtp_case "smtp 1KB c16" 1024 16 "$N_1K_C16"
		smtp_case "smtp 100KB c1" 102400 1 "$N_100K_C1"
		smtp_case "smtp 100KB c16" 102400 16 "$N_100K_C16"
	fi
	for c in $DRAIN_CLIENTS; do
		drain_case "pop3 drain c$c" "$c"
	done
	if [ $POP3_ONLY = 0 ]; then
		login_case "pop3 login c1" 1
		login_case "pop3 login c8" 8
	fi
	memory
	report
	say "measured in $((SECONDS - t0)) s on $(nproc) CPUs"
}

main "$@"
