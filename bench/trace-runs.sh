#!/bin/sh
# trace-runs.sh BUILD-DIR INSPECT [N] [RUNS] [SETTLE-S]: the scheduler's
# own trace (`perf sched record -a`) over RUNS inspect runs (default 6)
# against bench/target.c with N idle threads and one busy one (default
# 10,000), each run SETTLE-S seconds after the one before (default 3: a
# host that takes back freed memory has taken it back), then the busy
# thread's gaps over GAP_MS (environment, default 1 ms) and what ran
# meanwhile (bench/sched-gaps.sh).
# Where stall.py --trace records the target's first run only, this finds
# the rare stalls of any run.  Needs perf; the trace goes to
# $TMPDIR/inspect-trace-runs.data.  A benchmark helper: nothing in
# `make check` depends on it.
build=$1 inspect=$2 n=${3:-10000} runs=${4:-6} settle=${5:-3}
here=$(dirname "$0")
dir=$(mktemp -d "${TMPDIR:-/tmp}/inspect-trace-runs.XXXXXX") || exit 1
data=${TMPDIR:-/tmp}/inspect-trace-runs.data
"$build/bench-target" "$dir/ready" "$n" &
target=$!
while [ ! -s "$dir/ready" ]; do sleep 0.1; done
sleep 1
perf sched record -a -q -o "$data" -- sh -c "
	for i in \$(seq $runs); do
		sleep $settle
		'$inspect' stack $target >/dev/null
	done"
kill $target
rm -rf "$dir"
sh "$here/sched-gaps.sh" "$data" busy ${GAP_MS:-1.0}
