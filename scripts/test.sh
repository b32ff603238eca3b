#!/usr/bin/env bash
# Installs what is missing, builds with AddressSanitizer + UndefinedBehaviorSanitizer and runs
# every test through ctest (unit, actor, end-to-end); then the end-to-end tests again against
# the optimized release build (with e2e-package: the Debian package built, installed with dpkg -i,
# served from and purged; it needs root), the runtime's tests under ThreadSanitizer, and every libFuzzer
# target for a bounded time (PB_FUZZ_SECONDS, default 20).
#   PB_TEST_QUICK=1   skip the TSan and fuzz stages (for a fast local loop)
# The browser tests' screenshots are kept in ./artifacts/screenshots/{asan,release}/TEST_FILE/
# (PB_ARTIFACTS; named Class.test_name-NN-step.png), emptied at the start and printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
artifacts="$PWD/artifacts/screenshots"
rm -rf "$artifacts"
mkdir -p "$artifacts"
trap 'echo "== Screenshots of the browser tests: $artifacts ($(find "$artifacts" -name "*.png" | wc -l) files)"' EXIT

bash scripts/install-deps.sh

echo "== ASan+UBSan build: unit, actor and end-to-end tests"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPB_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/test/lsan.supp:print_suppressions=0"
(cd build-asan && PB_ARTIFACTS="$artifacts/asan" ctest -LE 'fuzz|bench' --output-on-failure -j "$jobs")

if [ "${PB_TEST_QUICK:-0}" = 1 ]; then
    exit 0
fi

echo "== Release build (what scripts/run.sh ships): end-to-end tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
(cd build && PB_ARTIFACTS="$artifacts/release" ctest -L e2e --output-on-failure -j "$jobs")

echo "== TSan build: the actor runtime and its queues"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPB_TSAN=ON >/dev/null
cmake --build build-tsan -j "$jobs" --target test-actor test-settings test-mq
(cd build-tsan && TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" ctest -R '^test-(actor|settings|mq)$' --output-on-failure)

echo "== libFuzzer targets (${PB_FUZZ_SECONDS:-20} s each)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPB_FUZZ=ON -DPB_FUZZ_SECONDS="${PB_FUZZ_SECONDS:-20}" >/dev/null
cmake --build build-fuzz -j "$jobs"
(cd build-fuzz && ctest -L fuzz --output-on-failure)
