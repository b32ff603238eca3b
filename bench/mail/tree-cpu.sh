#!/bin/bash
# tree-cpu.sh: CPU ticks (1/CLK_TCK s) used so far by the process trees under the given PIDs —
# utime + stime of every live process under them, plus cutime + cstime (children already
# reaped), from /proc/PID/stat. Used by bench/mail/run.sh and bench/relay/run.sh.
#
# Usage: tree-cpu.sh PID [PID...]    prints one number
#
# OWNS: nothing. THREAD: n/a (script).
set -euo pipefail

ps -e -o pid=,ppid= | awk -v roots="$*" '
	BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) want[r[i]] = 1 }
	{ parent[$1] = $2 }
	END {
		do {
			grew = 0
			for (p in parent)
				if (!(p in want) && (parent[p] in want)) { want[p] = 1; grew = 1 }
		} while (grew)
		for (p in want) {
			f = "/proc/" p "/stat"
			if ((getline line < f) > 0) {
				sub(/.*\) /, "", line)
				split(line, v, " ")
				t += v[12] + v[13] + v[14] + v[15]
			}
			close(f)
		}
		print t + 0
	}'
