#!/bin/sh
# sched-gaps.sh TRACE [THREAD-NAME] [MIN-MS]: from a `perf sched record`
# trace (bench/stall.py --trace), the busy thread's times off its CPU
# longer than MIN-MS (default 0.6), and what ran on that CPU meanwhile:
# on each CPU, task/state-it-left-in[cpu]:count(CPU ms) of the runs that
# overlap the gap.  For the experiments on the
# stop and the release at 10,000 threads.
trace=$1 name=${2:-busy} min=${3:-0.6}
perf sched timehist -i "$trace" --state 2>/dev/null >"$trace.txt" || exit 1
# a line is a switch-out: the run before it (run time) followed a wait
# (wait time) that ended at time - run time
grep " $name\[" "$trace.txt" | awk -v m="$min" '$4 + 0 > m { printf "%.6f %s %s\n", $1 - $6 / 1000, $2, $4 }' |
sort -n | while read -r t cpu w; do
	awk -v s="$t" -v w="$w" -v cpu="$cpu" -v name="$name" '
		$1 + 0 > 0 && $1 > s - w / 1000 && $1 - $6 / 1000 < s + 0 && $3 !~ "^" name "\\[" {
			split($3, a, "["); k = a[1] "/" $7 $2; c[k]++; r[k] += $6 }
		END { printf "gap %.3f ms ending %s (then on %s):", w, s, cpu
		      for (k in c) printf " %s:%d(%.2f)", k, c[k], r[k]; print "" }' "$trace.txt"
done
