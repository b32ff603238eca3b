# shellcheck shell=bash
# table.sh: the one side-by-side table the comparison benchmarks print (bench/mail/run.sh,
# bench/relay/run.sh, bench/imap/run.sh): a row per case, `case ours peer ratio`, where ratio is
# ours / peer. Sourced by them (bash), never run alone; tested by test-table.sh.
#
#   table_ratio A B             A / B as "1.23x"; "-" when either is missing, not a positive
#                               number (a trailing '!', a run with failures, is ignored)
#   table_header                the column titles
#   table_row CASE OURS PEER    one row; an empty figure prints as "-"
# TABLE_WIDTH (set by the script; default 40) is the width of the case column.
#
# OWNS: nothing (pure printing). Figures are printed as given, so each script keeps its units.

table_ratio() {
	awk -v a="${1%!}" -v b="${2%!}" 'BEGIN {
		if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && a + 0 > 0 && b + 0 > 0)
			printf "%.2fx\n", a / b
		else
			print "-" }'
}

table_header() {
	printf "%-${TABLE_WIDTH:-40}s %12s %12s %8s\n" case ours peer ratio
}

table_row() {
	local o=${2:--} p=${3:--}
	printf "%-${TABLE_WIDTH:-40}s %12s %12s %8s\n" "$1" "$o" "$p" "$(table_ratio "$o" "$p")"
}
