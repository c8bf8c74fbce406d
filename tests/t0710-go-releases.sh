#!/bin/bash
# t0710-go-releases: real, stripped Go programs built by others, one per
# Go release from 1.19 to 1.27 (tests/go/programs.txt: esbuild and buf,
# from their npm packages), each left waiting on a FIFO for its standard
# input.  The oracle is the Go runtime: GOTRACEBACK=all and SIGQUIT print
# every goroutine, and each must be in inspect's view with the same goid,
# status, functions and creator (tests/go/compare-dump.py).  count's
# total, from the runtime's own counters, must be the goroutines read one
# by one.
. "$(dirname "$0")/lib.sh"

progs=$(sh "$SRCDIR/tests/go/fetch-programs.sh" "$SRCDIR/build/npm")
if [ -z "$progs" ]; then
	test_skip "real Go programs" "npm could not fetch tests/go/programs.txt's packages"
	test_done
	exit
fi

while IFS='	' read -r bin args rel; do
	test_expect_success "$rel ($(basename "$(dirname "$(dirname "$(dirname "$bin")")")")): every goroutine of Go's own dump" '
		rm -f in.fifo && mkfifo in.fifo &&
		{ sleep 60 >in.fifo & } && hold=$! && PIDS="$PIDS $hold" &&
		{ GOTRACEBACK=all "'"$bin"'" '"${args/-/}"' <in.fifo >/dev/null 2>go.txt & } &&
		pid=$! && PIDS="$PIDS $pid" && sleep 1 &&
		"$INSPECT" stack --goroutines --system $pid >ours.txt 2>err &&
		"$INSPECT" stack $pid >grouped.txt &&
		expect_grep "^process $pid \([^)]*\): '"$rel"', " grouped.txt &&
		"$INSPECT" count --json $pid >count.json &&
		expect_grep "\"goroutines_from\": \"counters\"" count.json &&
		n1=$(sed -n "s/^ *\"goroutines\": \([0-9]*\),$/\1/p" count.json) &&
		n2=$("$INSPECT" count --match . $pid | sed -n "s/^goroutines //p") &&
		say "# '"$rel"': NumGoroutine from the counters $n1, from the goroutines $n2" &&
		test -n "$n1" && test "$n1" = "$n2" &&
		check_healthy $pid &&
		kill -QUIT $pid && wait $pid 2>/dev/null; kill $hold 2>/dev/null
		python3 "$SRCDIR/tests/go/compare-dump.py" go.txt ours.txt >cmp.txt;
		st=$?; cat cmp.txt err; test $st = 0 && say "# '"$rel"': $(tail -n 1 cmp.txt)"
	'
done <<EOF2
$progs
EOF2
test_done
