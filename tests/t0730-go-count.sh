#!/bin/bash
# t0730-go-count: the goroutine-leak check in CI, on the bug this tool is
# for: an HTTP handler (main.logsContainer in tests/fixtures/gochurn,
# logs mode) that follows a log for its client and never notices that the
# client has gone.  Each `curl -m 1` leaves one goroutine behind.
# `inspect count --match logsContainer --max 0` must pass before, fail
# with exactly the leaked ones after, and stop nothing.
. "$(dirname "$0")/lib.sh"

bins=$(ls "$BUILD"/go/gochurn-1.* 2>/dev/null | sort -V | sed -n '1p;$p' | sort -u)
if [ -z "$bins" ]; then
	test_skip "Go goroutine counts" "no Go toolchain here: run tests/go/toolchains.sh as root"
	test_done
	exit
fi

for bin in $bins; do
	b=$(basename "$bin")
	test_expect_success "$b: before any client the leak check passes; after 5 give up it fails with 5" '
		READY="$TMP/ready.logs.$RANDOM" &&
		start_program "$READY" "$TMP/logs.log" "'"$bin"'" "$READY" logs &&
		pid=$PROGRAM_PID && port=$(cut -d" " -f2 "$READY") &&
		"$INSPECT" count --match logsContainer --max 0 $pid >out 2>err &&
		expect_grep "^threads [0-9]+$" out && expect_grep "^goroutines [0-9]+$" out &&
		expect_grep "^counted 0$" out &&
		for i in 1 2 3 4 5; do curl -s -m 1 "http://127.0.0.1:$port/logs" >/dev/null; done;
		expect_status 1 "$INSPECT" count --match logsContainer --max 0 $pid >out 2>err &&
		cat out err &&
		expect_grep "^counted 5$" out &&
		expect_grep "5 goroutines matching .logsContainer. in process $pid .*more than --max 0" err &&
		expect_grep "^5 goroutines: chan receive" err &&
		expect_grep "main\.logsContainer" err && expect_grep "main\.writeLogStream" err &&
		check_healthy $pid
	'
done

test_expect_success "--baseline from an earlier stack --json: three more leaks are +3, exit 1, their stacks" '
	"$INSPECT" stack --json $pid >base.json &&
	for i in 1 2 3; do curl -s -m 1 "http://127.0.0.1:$port/logs" >/dev/null; done;
	expect_status 1 "$INSPECT" count --baseline base.json $pid >out 2>err && cat out err &&
	expect_grep "^grown chan receive@main\.writeLogStream 5 -> 8 \(\+3\)$" out &&
	expect_grep "grew by 3 since base.json, more than --max-growth 0; its new goroutines:" err &&
	expect_grep "^3 goroutines: chan receive" err &&
	"$INSPECT" count --baseline base.json --max-growth 3 $pid >out &&
	expect_grep "\(\+3\)" out
'

test_expect_success "the total comes from the runtime counters, as many as the goroutines read one by one" '
	"$INSPECT" count --json $pid >count.json && cat count.json &&
	expect_grep "\"goroutines_from\": \"counters\"" count.json &&
	n1=$(sed -n "s/^ *\"goroutines\": \([0-9]*\),$/\1/p" count.json) &&
	"$INSPECT" count --match . --json $pid >scan.json &&
	expect_grep "\"goroutines_from\": \"goroutines\"" scan.json &&
	n2=$(sed -n "s/^ *\"goroutines\": \([0-9]*\),$/\1/p" scan.json) &&
	test -n "$n1" && test "$n1" = "$n2" &&
	"$INSPECT" count $pid >out && expect_grep "^goroutines $n1$" out
'

test_expect_success "a --max the total fails: the goroutines are read one by one and shown" '
	expect_status 1 "$INSPECT" count --max 2 $pid >out 2>err && cat out err &&
	expect_grep "goroutines in process $pid .*more than --max 2" err &&
	expect_grep "goroutines: chan receive" err && expect_grep "main\.logsContainer" err &&
	"$INSPECT" count --max 1000 $pid >out && expect_grep "^goroutines [0-9]+$" out
'

test_expect_success "count stops nothing on a Go program: no ptrace call at all, with or without --match" '
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=ptrace -o trace \
		"$INSPECT" count --match logsContainer $pid >/dev/null &&
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=ptrace -o trace2 "$INSPECT" count $pid >/dev/null &&
	expect_no_grep "PTRACE_" trace && expect_no_grep "PTRACE_" trace2
'

leak=$(ls "$BUILD"/go/goleak-1.*-s 2>/dev/null | sort -V | tail -n 1)
# Go preempts the busy goroutine every 10 ms and may move it to another
# M: its thread is held again then, the one it runs on (3 rounds at most)
test_expect_success "a running goroutine: only the thread running it is held for its stack" '
	start_program "$TMP/ready.leak" "$TMP/leak.log" "'"$leak"'" "$TMP/ready.leak" &&
	lp=$PROGRAM_PID &&
	for i in 1 2 3 4 5; do
		ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=ptrace -o trace \
			"$INSPECT" count --match main.spin $lp >out &&
		expect_grep "^counted 1$" out &&
		seized=$(grep -o "PTRACE_SEIZE, [0-9]*" trace | sort -u | wc -l) &&
		test "$seized" -ge 1 && test "$seized" -le 3 &&
		test "$(ls /proc/$lp/task | wc -l)" -gt "$seized" || { cat trace; return 1; }
	done &&
	check_healthy $lp
'

test_expect_success "--by status and --by group break the goroutines down in Go's words" '
	"$INSPECT" count --by status $pid >out && cat out &&
	expect_grep "^chan receive [0-9]+$" out &&
	"$INSPECT" count --by group $pid >out && cat out &&
	expect_grep "^chan receive@main\.writeLogStream 8$" out
'

test_expect_success "--samples: the goroutine total on each line" '
	"$INSPECT" count --samples 2 --interval 0.1 $pid >out && cat out &&
	test $(grep -c " threads [0-9]* goroutines [0-9]*$" out) = 2
'

test_expect_success "--by status on a process that is not Go is a usage error" '
	start_fixture states &&
	expect_status 64 "$INSPECT" count --by status $FIXTURE_PID 2>err &&
	expect_grep "not one" err
'
test_done
