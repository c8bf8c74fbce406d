#!/bin/bash
# t0740-go-top: inspect top on a Go program: rows are goroutine groups
# (count, the change since the view started, status, frame), the
# goroutine total with its sparkline; Enter shows a group's stack with
# its creator; t switches to the OS threads.  In tmux, as a person would,
# and --batch.
. "$(dirname "$0")/lib.sh"

bin=$(ls "$BUILD"/go/gochurn-1.* 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || ! command -v tmux >/dev/null; then
	test_skip "top on a Go program" "no Go toolchain or no tmux here"
	test_done
	exit
fi
S=inspect-gotop-$$
trap 'tmux kill-session -t $S 2>/dev/null; cleanup' EXIT

READY="$TMP/ready.logs.$RANDOM"
test_expect_success '--batch: the goroutine groups, and a leak shows as a rising count' '
	start_program "$READY" "$TMP/logs.log" "'"$bin"'" "$READY" logs &&
	pid=$PROGRAM_PID && port=$(cut -d" " -f2 "$READY") &&
	curl -s -m 1 "http://127.0.0.1:$port/logs" >/dev/null;
	{ "$INSPECT" top --batch --iterations 12 -d 0.5 --stack-interval 0.5 $pid >out & } &&
	top=$! && sleep 1 &&
	for i in 1 2 3; do { curl -s -m 1 "http://127.0.0.1:$port/logs" >/dev/null & }; done;
	wait $top; cat out | tail -n 12 &&
	expect_grep "^go1\.[0-9]+\.[0-9]+, goroutines [0-9]+ " out &&
	expect_grep "^COUNT CHANGE WAITING +STATUS +FRAME" out &&
	awk "/^inspect top/ { n++ } n == 12" out >last &&
	expect_grep "^ +4 +\+3 .*chan receive +main\.writeLogStream$" last &&
	check_healthy $pid
'

test_expect_success 'in a terminal: the groups, Enter for the stack and its creator, t for the threads, q' '
	tmux kill-session -t $S 2>/dev/null
	tmux new-session -d -s $S -x 120 -y 30 "$INSPECT top -d 0.5 $pid; echo EXITED \$?; sleep 30" &&
	wait_screen "COUNT CHANGE WAITING" &&
	wait_screen "chan receive +main.writeLogStream" &&
	tmux send-keys -t $S Home Enter && wait_screen "goroutines?: chan receive" &&
	wait_screen "main.logsContainer" && wait_screen "created by net/http" &&
	tmux send-keys -t $S Escape && wait_screen "COUNT CHANGE WAITING" &&
	tmux send-keys -t $S t && wait_screen "COUNT +CPU%" &&
	tmux send-keys -t $S t && wait_screen "COUNT CHANGE WAITING" &&
	tmux resize-window -t $S -x 90 -y 24 && sleep 1 && wait_screen "q quit" &&
	tmux send-keys -t $S q && wait_screen "EXITED 0" &&
	check_healthy $pid
'
test_done
