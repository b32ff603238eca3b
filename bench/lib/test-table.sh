#!/bin/bash
# test-table.sh: the benchmarks' table printer (table.sh) — ratios, missing and failed figures,
# the column layout. Exits 1 naming the first difference.
set -euo pipefail
# shellcheck source=SCRIPTDIR/table.sh
source "$(dirname "$0")/table.sh"

fail=0
expect() { # expect WHAT GOT WANT
	if [ "$2" != "$3" ]; then
		printf 'FAIL %s: got [%s], want [%s]\n' "$1" "$2" "$3" >&2
		fail=1
	fi
}

expect "ratio" "$(table_ratio 300 100)" "3.00x"
expect "ratio below one" "$(table_ratio 1 3)" "0.33x"
expect "a failed run's figure" "$(table_ratio '250!' 100)" "2.50x"
expect "missing ours" "$(table_ratio - 100)" "-"
expect "missing peer" "$(table_ratio 100 '')" "-"
expect "zero peer" "$(table_ratio 100 0)" "-"
expect "not a number" "$(table_ratio FAIL 100)" "-"
TABLE_WIDTH=10
expect "header" "$(table_header)" "case               ours         peer    ratio"
expect "row" "$(table_row smtp 200 100)" "smtp                200          100    2.00x"
expect "row, peer not run" "$(table_row smtp 200)" "smtp                200            -        -"
[ $fail = 0 ] && echo "ok   table"
exit $fail
