#!/bin/bash
# run.sh: the pressure suite (issue 8, item 7) at the issue's sizes, with the checks main does
# not pass yet (PB_PRESSURE_STRICT=1), against the optimized build. Runs each case of
# test/e2e/test_pressure_*.py, prints its "figure" lines and PASS/FAIL, and keeps each full
# output in $OUT (default a new /tmp/pb-pressure.XXXXXX). Exit status: the number of failed
# cases (it reports; the failures are what bench/RESULTS.md records).
#
# Usage: bench/pressure/run.sh [CASE...]   CASE: disk conns mem faults (default: all)
# Environment: BUILD [$ROOT/build, RelWithDebInfo; built here unless NO_BUILD=1]; any
#   PB_PRESSURE_* knob of the tests overrides the sizes below. Needs root (tmpfs mounts) and
#   fiu-utils (scripts/install-deps.sh). About 10 minutes in all.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export PB_BUILD_DIR=${BUILD:-$ROOT/build}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/pb-pressure.XXXXXX")}
export PB_PRESSURE_STRICT=${PB_PRESSURE_STRICT:-1}
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(disk conns mem faults)

if [ "${NO_BUILD:-0}" != 1 ]; then
	cmake -S "$ROOT" -B "$PB_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$OUT/build.log" 2>&1 &&
		cmake --build "$PB_BUILD_DIR" -j2 --target pillarboxd pillarbox >>"$OUT/build.log" 2>&1 ||
		{ echo "run.sh: build failed, see $OUT/build.log" >&2; exit 100; }
fi

# case NAME ENV...: runs test_pressure_NAME.py with the environment given.
failed=0
run_case() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	env "$@" python3 "$ROOT/test/e2e/test_pressure_$name.py" >"$OUT/$name.out" 2>&1
	rc=$?
	echo "== $name ($*): $([ $rc = 0 ] && echo PASS || echo FAIL) in $(($(date +%s) - t0)) s"
	grep -o 'figure .*' "$OUT/$name.out" | sed 's/^/   /'
	if [ $rc != 0 ]; then
		failed=$((failed + 1))
		grep -E '^(AssertionError|TimeoutError|FAIL:|ERROR:)' "$OUT/$name.out" | cut -c1-400 | sed 's/^/   /'
	fi
}

for c in "${CASES[@]}"; do
	case $c in
	# the issue's scene: twelve clients, 20 MiB each, a 400 MiB disk, no filler
	disk) run_case disk PB_PRESSURE_DISK_MB=${PB_PRESSURE_DISK_MB:-400} \
		PB_PRESSURE_MSG_MB=${PB_PRESSURE_MSG_MB:-20} PB_PRESSURE_FILLER_MB=${PB_PRESSURE_FILLER_MB:-16} ;;
	conns) run_case conns PB_PRESSURE_FLOOD=${PB_PRESSURE_FLOOD:-1000} PB_PRESSURE_IDLE=${PB_PRESSURE_IDLE:-4096} ;;
	# 40 x 45 MiB uploads, 40 readers of 45 MiB, 600 MiB of BDAT
	mem) run_case mem PB_PRESSURE_MEM_CLIENTS=${PB_PRESSURE_MEM_CLIENTS:-40} \
		PB_PRESSURE_MEM_MSG_MB=${PB_PRESSURE_MEM_MSG_MB:-45} PB_PRESSURE_BDAT_MB=${PB_PRESSURE_BDAT_MB:-600} ;;
	faults) run_case faults PB_PRESSURE_RECOVER_S=${PB_PRESSURE_RECOVER_S:-30} ;;
	*) echo "run.sh: unknown case $c (disk conns mem faults)" >&2; exit 100 ;;
	esac
done
echo "outputs in $OUT"
exit $failed
