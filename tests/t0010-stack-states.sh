#!/bin/bash
# t0010-stack-states: the grouped dump of a fixture whose threads sit in
# known functions and states, built three ways (-O0, -O2 with frame
# pointers, and without any CFI for the fixture's own code).
. "$(dirname "$0")/lib.sh"

SRC="$SRCDIR/tests/fixtures/states.c"
tids_named() { for c in /proc/$1/task/*/comm; do n=$(cat "$c"); case "$n" in $2) basename "$(dirname "$c")";; esac; done | sort -n | paste -sd, -; }

# the expectations every build must meet, over the JSON
check_json() {
	json_check "$1" '
j["schema"] == 1 and j["pid"] == '"$FIXTURE_PID"' and j["command"] == "'"$2"'"
and len(j["threads"]) == 15 and sum(g["count"] for g in j["groups"]) == 15
and sorted(t for g in j["groups"] for t in g["tids"]) == sorted(t["tid"] for t in j["threads"])
and j["groups"][0]["count"] == 3 and j["groups"][0]["wait"]["kind"] == "condition"
and j["groups"][0]["names"] == ["pool-1", "pool-2", "pool-3"]
and j["groups"][1]["count"] == 2 and j["groups"][1]["wait"]["kind"] == "mutex"
and sorted(g["wait"]["kind"] for g in j["groups"][2:]) == sorted(["join", "sleep", "sleep", "accept", "read", "epoll", "semaphore", "poll", "signal", "running"])
and isinstance(j["stopped_us"], int)'
}

# functions of a group, innermost first, as one line
funcs() {
	python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for g in j["groups"]:
    if g["wait"]["kind"] == sys.argv[2] or sys.argv[2] in g["names"]:
        print(" ".join(str(f["function"]) for f in g["frames"]))
        break
PY
}

for variant in states states-fp states-nocfi; do
	test_expect_success "$variant: every thread, grouped by wait and stack" '
		start_fixture '$variant' &&
		"$INSPECT" stack --json --max-depth 1000 $FIXTURE_PID >j.json &&
		check_json j.json '$variant'
	'

	test_expect_success "$variant: frames name the fixture functions in order" '
		funcs j.json condition | grep -E "pthread_cond_wait.* pool_worker .*start_thread" &&
		funcs j.json mutex | grep -E "pthread_mutex_lock.* mutex_waiter .*start_thread" &&
		funcs j.json accept | grep -E "accept.* acceptor .*start_thread" &&
		funcs j.json read | grep -E "read.* pipe_reader .*start_thread" &&
		funcs j.json epoll | grep -E "epoll_wait.* epoll_waiter .*start_thread" &&
		funcs j.json semaphore | grep -E "sem_wait.* sem_waiter .*start_thread" &&
		funcs j.json poll | grep -E "poll.* poller .*start_thread" &&
		funcs j.json running | grep -E "^spinner start_thread" &&
		funcs j.json join | grep -E "pthread_clockjoin_ex.* main .*__libc_start_main" &&
		funcs j.json holder | grep -E "sleep mutex_holder start_thread" &&
		funcs j.json sleeper | grep -E "sleep sleeper start_thread"
	'

	test_expect_success "$variant: the 500-deep recursion is complete with --max-depth" '
		"$INSPECT" stack --json --max-depth 2000 $FIXTURE_PID >deep.json &&
		json_check deep.json "[f[\"function\"] for g in j[\"groups\"] if g[\"names\"] == [\"deep\"] for f in g[\"frames\"]].count(\"recurse\") == 500"
	'

	test_expect_success "$variant: the target runs on, untraced, after each run" '
		check_healthy $FIXTURE_PID
	'
	kill -9 $FIXTURE_PID 2>/dev/null
done

test_expect_success 'text output: header, group lines, TID ranges, file:line' '
	start_fixture states &&
	expect_status 1 "$INSPECT" stack $FIXTURE_PID >out &&
	expect_grep "^process $FIXTURE_PID \(states\): 15 threads in 12 groups, held [0-9.]+ ms$" out &&
	expect_grep "^3 threads: condition wait 0x[0-9a-f]+, blocked ~" out &&
	expect_grep "^  pool-1, pool-2, pool-3 \[$(tids_named $FIXTURE_PID "pool-*" | tid_ranges)\]$" out &&
	expect_grep "  pool_worker\+0x[0-9a-f]+  states  states.c:$(line_of "pthread_cond_wait(&cv")$" out &&
	expect_grep "^2 threads: mutex lock 0x[0-9a-f]+ held by $(tids_named $FIXTURE_PID holder) \(holder\)" out &&
	expect_grep "^1 thread: accept fd [0-9]+: TCP listen 127.0.0.1:$FIXTURE_PORT" out &&
	expect_grep "^1 thread: read fd [0-9]+: pipe" out &&
	expect_grep "^1 thread: epoll wait fd [0-9]+" out &&
	expect_grep "^1 thread: running$" out &&
	expect_grep "^  #3-#255 \(the frame above, 253 more times\)$" out &&
	expect_grep "unwind stopped: depth limit of 256 frames reached" out
'

test_expect_success 'the dump is partial (exit 1) only because of the depth limit' '
	expect_status 0 "$INSPECT" stack --max-depth 1000 $FIXTURE_PID >/dev/null
'

test_expect_success 'JSON threads carry wait details: fd, address, owner, blocked_ms' '
	"$INSPECT" stack --json $FIXTURE_PID >j.json
	json_check j.json "
[t for t in j[\"threads\"] if t[\"name\"] == \"acceptor\"][0][\"wait\"][\"fd\"] >= 0
and [t for t in j[\"threads\"] if t[\"name\"] == \"locked-1\"][0][\"wait\"][\"owner\"] == [t for t in j[\"threads\"] if t[\"name\"] == \"holder\"][0][\"tid\"]
and [t for t in j[\"threads\"] if t[\"name\"] == \"pool-1\"][0][\"wait\"][\"address\"].startswith(\"0x\")
and all(t[\"wait\"][\"blocked_ms\"] >= 0 for t in j[\"threads\"] if t[\"name\"] in (\"pool-1\", \"acceptor\", \"sleeper\"))
and all(isinstance(f[\"pc\"], str) and f[\"pc\"].startswith(\"0x\") and \"inline\" in f and \"module\" in f and \"build_id\" in f and \"module_offset\" in f and \"function_offset\" in f and \"file\" in f and \"line\" in f for t in j[\"threads\"] for f in t[\"frames\"])"
'

test_expect_success 'blocked time is sensible: a thread asleep since start is older than the run' '
	sleep 1.2 && "$INSPECT" stack --json --max-depth 1000 $FIXTURE_PID >j.json &&
	json_check j.json "[t for t in j[\"threads\"] if t[\"name\"] == \"sleeper\"][0][\"wait\"][\"blocked_ms\"] >= 1000"
'

test_expect_success '--threads gives one block per thread, in TID order' '
	"$INSPECT" stack --threads $FIXTURE_PID >out
	test "$(grep -c "^thread [0-9]* (" out)" = 15 &&
	grep "^thread " out | awk "{print \$2}" >tids && sort -n tids | cmp - tids
'

test_expect_success '--tid restricts the dump to the named threads' '
	a=$(tids_named $FIXTURE_PID acceptor); r=$(tids_named $FIXTURE_PID reader)
	"$INSPECT" stack --json --tid $a --tid $r $FIXTURE_PID >j.json &&
	json_check j.json "sorted(t[\"tid\"] for t in j[\"threads\"]) == sorted([$a, $r])"
'

test_expect_success '--addresses shows the PC and module offset of every frame' '
	"$INSPECT" stack --addresses --max-depth 1000 $FIXTURE_PID >out &&
	test "$(grep -c "^  #[0-9]* .*\[pc 0x[0-9a-f]* [^ ]*+0x[0-9a-f]*\]$" out)" -gt 20 &&
	{ grep "^  #[0-9]* " out | grep -v "(inlined)" |
		grep -v "\[pc 0x[0-9a-f]* [^ ]*+0x[0-9a-f]*\]$" >missing || true; } &&
	test ! -s missing || { cat missing; false; }
'

test_expect_success 'colour only when asked or on a terminal, never with NO_COLOR' '
	"$INSPECT" stack $FIXTURE_PID >plain; expect_no_grep "$(printf "\033")" plain &&
	"$INSPECT" stack --color always $FIXTURE_PID >col; expect_grep "$(printf "\033")\[" col &&
	NO_COLOR=1 script -qc "$INSPECT stack $FIXTURE_PID" /dev/null >tty; expect_no_grep "$(printf "\033")\[1m" tty
'

test_expect_success '--kernel appends the kernel stacks' '
	"$INSPECT" stack --kernel $FIXTURE_PID >out; expect_grep "^  kernel: " out
'

test_expect_success '--stats reports where the time went' '
	"$INSPECT" stack --stats $FIXTURE_PID >/dev/null 2>err
	expect_grep "stats: threads 15, captured 15" err && expect_grep "held [0-9.]+ ms" err
'

test_expect_success 'the target is healthy after all of that' '
	check_healthy $FIXTURE_PID
'

test_done
