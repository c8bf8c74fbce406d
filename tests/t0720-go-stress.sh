#!/bin/bash
# t0720-go-stress: Go programs that change while inspect looks
# (tests/fixtures/gochurn): thousands of goroutines a second starting and
# ending, stacks that grow and move, an HTTP service under loopback load.
# Every run ends 0 or 1 with a coherent view; no request fails; nothing is
# left stopped.
. "$(dirname "$0")/lib.sh"

bin=$(ls "$BUILD"/go/gochurn-1.* 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
	test_skip "Go programs under change" "no Go toolchain here: run tests/go/toolchains.sh as root"
	test_done
	exit
fi

# start_churn MODE: the fixture in that mode; FIXTURE_PID, READY
start_churn() {
	READY="$TMP/ready.churn.$RANDOM"
	start_program "$READY" "$TMP/churn.log" "$bin" "$READY" "$1" || return 1
	FIXTURE_PID=$PROGRAM_PID
}

# runs N: inspect stack N times; each must exit 0 or 1 with the Go header
# (goroutines shown, or the reason they are not)
runs() {
	bad=0
	for i in $(seq 1 "$1"); do
		"$INSPECT" stack $FIXTURE_PID >out 2>err
		st=$?
		if { [ $st != 0 ] && [ $st != 1 ]; } ||
		   ! grep -q "^process $FIXTURE_PID (gochurn-[^)]*): go1\.[0-9]*" out ||
		   { ! grep -q " goroutines in [0-9]* groups" out && ! grep -q "^goroutines not shown: " out; }; then
			bad=$((bad + 1))
			[ $bad -le 3 ] && { echo "run $i: exit $st"; head -5 out err; }
		fi
	done
	echo "$1 runs, $bad bad"
	test $bad = 0
}

test_expect_success 'thousands of goroutines a second start and end: 200 runs, each 0 or 1, coherent' '
	start_churn churn && runs 200 && check_healthy $FIXTURE_PID &&
	"$INSPECT" stack $FIXTURE_PID >out && grep -q "main.shortLived\|main.churn" out
'

test_expect_success 'stacks that grow and move while inspected: 100 runs, each 0 or 1, coherent' '
	start_churn grow && runs 100 && check_healthy $FIXTURE_PID
'

test_expect_success 'an HTTP service under loopback load, inspected in a loop: no request fails' '
	start_churn http && runs 40 && check_healthy $FIXTURE_PID &&
	kill -USR1 $FIXTURE_PID && wait_ready "$READY.stats" && cat "$READY.stats" &&
	read -r _ n _ f <"$READY.stats" && test "$n" -gt 100 && test "$f" = 0
'
test_done
