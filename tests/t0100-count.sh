#!/bin/bash
# t0100-count: counts for scripts and CI, and the thread-leak checks.
. "$(dirname "$0")/lib.sh"

counts() {
	states_counts $FIXTURE_PID
}

# request PATH: a client that sends one request line and gives up early
request() {
	exec 3<>/dev/tcp/127.0.0.1/$FIXTURE_PORT || return 1
	printf 'GET %s\n' "$1" >&3
	exec 3>&-
}

test_expect_success 'count: the total alone, from the stat of the leader thread, no other thread file opened' '
	start_fixture states || return 1
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=openat,openat2,getdents64 -o trace \
		"$INSPECT" count $FIXTURE_PID >out &&
	test "$(cat out)" = "threads 15" &&
	expect_grep "\"task/$FIXTURE_PID/stat\"" trace &&
	{ grep -v "\"task/$FIXTURE_PID/stat\"" trace >others || true; } &&
	expect_no_grep "task" others &&
	expect_no_grep getdents trace
'

test_expect_success 'count --by kind: the total and the count per wait kind, key value lines' '
	"$INSPECT" count --by kind $FIXTURE_PID >out &&
	expect_grep "^threads 15$" out &&
	expect_grep "^running 1$" out && expect_grep "^accept 1$" out &&
	expect_grep "^epoll 1$" out && expect_grep "^read 1$" out &&
	test "$(awk "NR > 1 { s += \$2 } END { print s }" out)" = 15 &&
	expect_no_grep "[^a-z0-9_ -]" out
'

test_expect_success 'count without options stops nothing: epoll_wait never sees EINTR' '
	before=$(counts | awk "{print \$6}") &&
	for i in $(seq 1 15); do "$INSPECT" count $FIXTURE_PID >/dev/null || return 1; done &&
	for i in $(seq 1 15); do "$INSPECT" count --by kind $FIXTURE_PID >/dev/null || return 1; done &&
	test "$(counts | awk "{print \$6}")" = "$before" &&
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=ptrace,process_vm_readv -o trace "$INSPECT" count --by kind $FIXTURE_PID >/dev/null &&
	expect_no_grep "PTRACE_" trace
'

test_expect_success '(and the check can fail: one inspect stack causes one EINTR there)' '
	before=$(counts | awk "{print \$6}") &&
	"$INSPECT" stack $FIXTURE_PID >/dev/null; test $? -le 1 &&
	test "$(counts | awk "{print \$6}")" = $((before + 1))
'

test_expect_success '--by name folds trailing digits' '
	"$INSPECT" count --by name $FIXTURE_PID >out &&
	expect_grep "^pool-\* 3$" out && expect_grep "^locked-\* 2$" out && expect_grep "^acceptor 1$" out
'

test_expect_success '--by group: wait kind @ the most telling frame' '
	"$INSPECT" count --by group $FIXTURE_PID >out &&
	expect_grep "^condition@pool_worker 3$" out && expect_grep "^mutex@mutex_waiter 2$" out &&
	expect_grep "^running@spinner 1$" out
'

test_expect_success '--by function: threads whose stack holds each function' '
	"$INSPECT" count --by function $FIXTURE_PID >out &&
	expect_grep "^pool_worker 3$" out && expect_grep "^main 1$" out &&
	expect_grep "^start_thread 13$" out	# the 14th, 500 deep, passes the default depth
'

test_expect_success '--name and --kind filter first; --kind of a futex kind takes stacks' '
	"$INSPECT" count --name "pool-*" $FIXTURE_PID >out && test "$(cat out)" = "$(printf "threads 15\ncounted 3")" &&
	"$INSPECT" count --kind accept $FIXTURE_PID >out && expect_grep "^counted 1$" out &&
	"$INSPECT" count --kind mutex $FIXTURE_PID >out && expect_grep "^counted 2$" out
'

test_expect_success '--json: one object with the counts' '
	"$INSPECT" count --json $FIXTURE_PID >j.json &&
	json_check j.json "j[\"threads\"] == 15 and j[\"counted\"] == 15 and j[\"by\"] == \"total\" and j[\"counts\"] == {}" &&
	"$INSPECT" count --json --by kind $FIXTURE_PID >j.json &&
	json_check j.json "j[\"threads\"] == 15 and j[\"counted\"] == 15 and j[\"by\"] == \"kind\" and j[\"counts\"][\"running\"] == 1 and sum(j[\"counts\"].values()) == 15"
'

test_expect_success '--max on the total alone: exit 1, and the stacks of every thread' '
	expect_status 1 "$INSPECT" count --max 10 $FIXTURE_PID >out 2>err &&
	expect_grep "^threads 15$" out &&
	expect_grep "^inspect: count: 15 threads in process $FIXTURE_PID \(states\), more than --max 10$" err &&
	expect_grep "15 threads in [0-9]+ groups" err &&
	"$INSPECT" count --expect 15 $FIXTURE_PID >/dev/null
'

test_expect_success '--interval/--samples: one line per sample with a timestamp' '
	"$INSPECT" count --interval 0.2 --samples 3 $FIXTURE_PID >out &&
	test "$(grep -c "^20[0-9-]*T[0-9:]*Z threads 15$" out)" = 3 &&
	"$INSPECT" count --by kind --interval 0.2 --samples 2 $FIXTURE_PID >out &&
	test "$(grep -c "^20[0-9-]*T[0-9:]*Z threads 15 .*running 1" out)" = 2 &&
	"$INSPECT" count --json --interval 0.2 --samples 2 $FIXTURE_PID >out &&
	test "$(wc -l <out)" = 2 && head -n 1 out >j1.json && json_check j1.json "j[\"threads\"] == 15 and \"time\" in j"
'

for n in 1 100 2000; do
	test_expect_success "the total agrees with /proc for $n threads" '
		start_fixture pool '$n' || return 1
		"$INSPECT" count $FIXTURE_PID >out &&
		expect_grep "^threads $(ls /proc/$FIXTURE_PID/task | wc -l)$" out &&
		"$INSPECT" count --by kind $FIXTURE_PID >out &&
		expect_grep "^threads $(ls /proc/$FIXTURE_PID/task | wc -l)$" out &&
		expect_grep "^futex '$n'$" out
	'
	kill -9 $FIXTURE_PID 2>/dev/null
done

test_expect_success 'bad input: usage errors with a message' '
	expect_status 64 "$INSPECT" count abc 2>err && expect_grep "not a process ID" err &&
	expect_status 64 "$INSPECT" count --match "(" 1 2>err && expect_grep "not a valid regular expression" err &&
	expect_status 64 "$INSPECT" count --max 1 --expect 2 1 2>err && expect_grep "contradict" err &&
	expect_status 64 "$INSPECT" count --by color 1 2>err && expect_grep "total, kind, name, group, function or status" err &&
	expect_status 64 "$INSPECT" count --kind nonsense 1 2>err && expect_grep "the kinds are" err &&
	expect_status 64 "$INSPECT" count --interval 1 1 2>err && expect_grep "needs --samples" err &&
	expect_status 64 "$INSPECT" count --max lots 1 2>err && expect_grep "whole number" err &&
	echo "{not json" >bad.json &&
	expect_status 64 "$INSPECT" count --baseline bad.json 1 2>err && expect_grep "cannot read" err &&
	echo "{}" >empty.json &&
	expect_status 64 "$INSPECT" count --baseline empty.json 1 2>err && expect_grep "no \"groups\" array" err &&
	expect_status 64 "$INSPECT" count --baseline missing.json 1 2>err && expect_grep "missing.json" err &&
	expect_status 3 "$INSPECT" count 999999999 2>err
'

test_expect_success 'the leak: baseline, then requests that leak and requests that do not' '
	start_fixture leaky || return 1
	"$INSPECT" stack --json $FIXTURE_PID >baseline.json &&
	base=$(ls /proc/$FIXTURE_PID/task | wc -l) &&
	for i in 1 2 3; do request /leak || return 1; done &&
	for i in 1 2 3 4 5; do request /ok || return 1; done &&
	sleep 0.5 &&
	test "$(ls /proc/$FIXTURE_PID/task | wc -l)" = $((base + 3))
'

test_expect_success 'count --match leaky_handler equals the leaked requests' '
	"$INSPECT" count --match leaky_handler $FIXTURE_PID >out &&
	test "$(cat out)" = "$(printf "threads %s\ncounted 3" $(ls /proc/$FIXTURE_PID/task | wc -l))" &&
	"$INSPECT" count --by kind --match leaky_handler $FIXTURE_PID >out &&
	expect_grep "^counted 3$" out && expect_grep "^read 3$" out &&
	test "$(grep -cv "^threads\|^counted" out)" = 1
'

test_expect_success 'the clean path leaves no thread behind' '
	"$INSPECT" count --match clean_handler $FIXTURE_PID >out && expect_grep "^counted 0$" out
'

test_expect_success '--max 0 fails (exit 1) with the leaking stack on stderr' '
	expect_status 1 "$INSPECT" count --match leaky_handler --max 0 $FIXTURE_PID >out 2>err &&
	expect_grep "^inspect: count: 3 threads matching .leaky_handler. in process $FIXTURE_PID \(leaky\), more than --max 0$" err &&
	expect_grep "^3 threads: read" err && expect_grep "leaky_handler\+0x" err
'

test_expect_success '--expect 3 holds (exit 0); --max 0 on the clean path holds' '
	"$INSPECT" count --match leaky_handler --expect 3 $FIXTURE_PID >/dev/null &&
	"$INSPECT" count --match clean_handler --max 0 $FIXTURE_PID >/dev/null
'

test_expect_success '--baseline reports exactly the leaked group, and fails' '
	expect_status 1 "$INSPECT" count --baseline baseline.json $FIXTURE_PID >out 2>err &&
	test "$(grep -c "^grown " out)" = 1 &&
	expect_grep "^grown read@leaky_handler 0 -> 3 \(\+3\)$" out &&
	expect_grep "grew by 3 since baseline.json, more than --max-growth 0" err &&
	expect_grep "^3 threads: read" err
'

test_expect_success '--baseline with --max-growth 3 passes; a count --json --by group baseline works too' '
	"$INSPECT" count --baseline baseline.json --max-growth 3 $FIXTURE_PID >/dev/null &&
	"$INSPECT" count --json --by group $FIXTURE_PID >now.json &&
	"$INSPECT" count --baseline now.json $FIXTURE_PID >out && expect_no_grep "^grown" out
'

test_expect_success 'the man page shows a CI example with count' '
	MANWIDTH=200 man -l "$SRCDIR/man/inspect.1" 2>/dev/null | grep -q "inspect count --match .* --max 0"
'

test_done
