#!/bin/bash
# t0800-locks: who holds what.  The owners the locks name (every kind of
# glibc mutex, a rwlock's writer, a join), the chain to the owner's own
# wait, the deadlocks, and count --deadlocks for CI.
. "$(dirname "$0")/lib.sh"

# tid ROLE: the TID the fixture wrote for it
tid() { awk -v r="$1" '$1 == r { print $2 }' "$TIDS"; }

# header_of ROLE FILE: the group header line above the thread line that
# names ROLE (text dump)
header_of() { grep -B1 -E "^  (.*, )?$1(,| \\[)" "$2" | head -n 1; }

test_expect_success 'set-up: the lock fixture, every waiter in its futex wait' '
	start_fixture locks || return 1
	LOCKS=$FIXTURE_PID
	eval "TIDS=\${READY_$LOCKS}.tids"
	test -s "$TIDS" &&
	"$INSPECT" stack $LOCKS >dump; test $? -le 1 &&
	"$INSPECT" stack --json $LOCKS >dump.json; test $? -le 1 &&
	"$INSPECT" stack --threads $LOCKS >threads; test $? -le 1 &&
	check_healthy $LOCKS
'

test_expect_success 'a 2-cycle and a 3-cycle are printed first, each thread, its lock and who holds it' '
	a=$(tid dl-a) b=$(tid dl-b) c1=$(tid cy-1) c2=$(tid cy-2) c3=$(tid cy-3) &&
	first=$(grep -n "^deadlock 1:" dump | cut -d: -f1) &&
	group=$(grep -n "^[0-9]* threads*:" dump | head -n 1 | cut -d: -f1) &&
	test "$first" -lt "$group" &&
	expect_grep "^deadlock 1: 2 threads, each waiting for the next$" dump &&
	expect_grep "^  $a \\(dl-a\\) waits in mutex lock 0x[0-9a-f]+ held by $b \\(dl-b\\)$" dump &&
	expect_grep "^  $b \\(dl-b\\) waits in mutex lock 0x[0-9a-f]+ held by $a \\(dl-a\\)$" dump &&
	expect_grep "^deadlock 2: 3 threads, each waiting for the next$" dump &&
	expect_grep "^  $c1 \\(cy-1\\) waits in mutex lock 0x[0-9a-f]+ held by $c2 \\(cy-2\\)$" dump &&
	expect_grep "^  $c2 \\(cy-2\\) waits in mutex lock 0x[0-9a-f]+ held by $c3 \\(cy-3\\)$" dump &&
	expect_grep "^  $c3 \\(cy-3\\) waits in mutex lock 0x[0-9a-f]+ held by $c1 \\(cy-1\\)$" dump &&
	expect_no_grep "^deadlock 3" dump &&
	header_of cy-1 dump | grep -q "\\[deadlock 2\\]"
'

test_expect_success 'a pile-up behind an owner blocked in read: the header follows the owner once' '
	header_of pile-1 dump >h &&
	expect_grep "^5 threads: mutex lock 0x[0-9a-f]+ held by $(tid stuck) \\(stuck\\), which waits in read fd [0-9]+: pipe [0-9]+" h
'

test_expect_success 'recursive, error-checking and priority-inheritance mutexes name their holders' '
	for k in rec err pi; do
		header_of $k-wait dump >h &&
		expect_grep "^1 thread: mutex lock 0x[0-9a-f]+ held by $(tid $k-hold) \\($k-hold\\), which waits in signal wait" h || return 1
	done
'

test_expect_success 'a robust mutex whose owner died: held by the thread that got EOWNERDEAD, and said so' '
	header_of rb-wait dump >h &&
	expect_grep "held by $(tid rb-hold) \\(rb-hold\\) since its owner died \\(robust: EOWNERDEAD, not made consistent\\)" h
'

test_expect_success 'a rwlock held for writing: its readers and the queued writer name the writer' '
	w=$(tid rw-write) &&
	header_of rw-read-1 dump >h &&
	expect_grep "^2 threads: rwlock wait (0x[0-9a-f]+) held for writing by $w \\(rw-write\\)" h &&
	header_of rw-write2 dump >h2 &&
	expect_grep "^1 thread: rwlock wait (0x[0-9a-f]+) held for writing by $w \\(rw-write\\)" h2 &&
	test "$(grep -o "0x[0-9a-f]*" h)" = "$(grep -o "0x[0-9a-f]*" h2)"
'

test_expect_success 'pthread_join names the thread it joins, and what that thread waits on' '
	header_of locks dump >h &&
	expect_grep "^1 thread: join $(tid joinee) \\(joinee\\), which waits in read fd [0-9]+: pipe" h
'

test_expect_success 'locks that keep no owner name nobody; threads that wait on no lock get no owner' '
	json_check dump.json "all(\"owner\" not in t[\"wait\"] for t in j[\"threads\"]
	    if t[\"name\"] in (\"stuck\", \"joinee\", \"announcer\", \"rec-hold\", \"rw-write\"))"
'

test_expect_success '--threads: a longer chain in full, a cycle marked' '
	c1=$(tid cy-1) c2=$(tid cy-2) c3=$(tid cy-3) &&
	grep -A1 "^thread $c1 " threads >t1 &&
	expect_grep "\\[deadlock 2\\]" t1 &&
	expect_grep "^  waits for $c2 \\(cy-2\\) -> $c3 \\(cy-3\\) -> $c1: a cycle$" t1
'

test_expect_success 'JSON: deadlocks with tids and edges (waiter, lock, kind, holder), each thread its owner and chain' '
	a=$(tid dl-a) b=$(tid dl-b) c1=$(tid cy-1) c2=$(tid cy-2) c3=$(tid cy-3) s=$(tid stuck) &&
	json_check dump.json "len(j[\"deadlocks\"]) == 2" &&
	json_check dump.json "sorted(j[\"deadlocks\"][0][\"tids\"]) == sorted([$a, $b])" &&
	json_check dump.json "sorted(j[\"deadlocks\"][1][\"tids\"]) == sorted([$c1, $c2, $c3])" &&
	json_check dump.json "all(e[\"kind\"] == \"mutex\" and e[\"lock\"].startswith(\"0x\")
	    for d in j[\"deadlocks\"] for e in d[\"edges\"])" &&
	json_check dump.json "{(e[\"waiter\"], e[\"holder\"]) for e in j[\"deadlocks\"][1][\"edges\"]}
	    == {($c1, $c2), ($c2, $c3), ($c3, $c1)}" &&
	json_check dump.json "[t[\"wait\"][\"owner\"] for t in j[\"threads\"] if t[\"name\"] == \"pile-3\"] == [$s]" &&
	json_check dump.json "[t[\"chain\"] for t in j[\"threads\"] if t[\"name\"] == \"cy-1\"] == [[$c2, $c3]]" &&
	json_check dump.json "[t[\"wait\"][\"owner_note\"] for t in j[\"threads\"] if t[\"name\"] == \"rb-wait\"] == [\"owner_died\"]" &&
	json_check dump.json "[t[\"wait\"][\"deadlock\"] for t in j[\"threads\"] if t[\"name\"] == \"dl-b\"] == [0]"
'

test_expect_success 'count --deadlocks: deadlocks 2, exit 1, the cycles on stderr' '
	expect_status 1 "$INSPECT" count --deadlocks $LOCKS >out 2>err &&
	expect_grep "^deadlocks 2$" out &&
	expect_grep "^inspect: process $LOCKS: 2 deadlocks$" err &&
	expect_grep "^  $(tid dl-a) \\(dl-a\\) waits in mutex lock" err &&
	expect_status 1 "$INSPECT" count --deadlocks --json $LOCKS >out.json 2>/dev/null &&
	json_check out.json "len(j[\"deadlocks\"]) == 2 and len(j[\"deadlocks\"][1][\"edges\"]) == 3" &&
	check_healthy $LOCKS
'

test_expect_success 'count --deadlocks on a process without one: deadlocks 0, exit 0' '
	start_fixture locks nodeadlock || return 1
	expect_status 0 "$INSPECT" count --deadlocks $FIXTURE_PID >out 2>err &&
	expect_grep "^deadlocks 0$" out &&
	test ! -s err &&
	"$INSPECT" stack $FIXTURE_PID >nodl; test $? -le 1 &&
	expect_no_grep "^deadlock" nodl &&
	expect_grep "held by .* \\(stuck\\), which waits in read" nodl
'

test_expect_success 'C++: std::mutex and std::shared_mutex name their holders' '
	start_fixture locks-cxx || return 1
	eval "TIDS=\${READY_$FIXTURE_PID}.tids" &&
	"$INSPECT" stack $FIXTURE_PID >cxx; test $? -le 1 &&
	header_of mx-wait cxx >h &&
	expect_grep "^1 thread: mutex lock 0x[0-9a-f]+ held by $(tid mx-hold) \\(mx-hold\\)" h &&
	header_of sh-read cxx >h &&
	expect_grep "^1 thread: rwlock wait 0x[0-9a-f]+ held for writing by $(tid sh-write) \\(sh-write\\)" h
'

test_expect_success 'top marks the rows in a deadlock and shows the cycle in the stack view' '
	"$INSPECT" top --batch --iterations 1 $LOCKS >top &&
	expect_grep "DEADLOCK mutex lock +dl_a" top &&
	expect_grep "DEADLOCK mutex lock +cycler" top &&
	expect_no_grep "DEADLOCK mutex lock +piler" top &&
	S=inspect-t0800-$$ &&
	tmux new-session -d -s "$S" -x 160 -y 40 "$INSPECT top --threads $LOCKS" &&
	wait_screen "DEADLOCK mutex lock" &&
	tmux send-keys -t "$S" "/" && sleep 0.2 && tmux send-keys -t "$S" "dl-a" Enter &&
	sleep 0.5 && tmux send-keys -t "$S" Enter &&
	wait_screen "DEADLOCK: 2 threads, each waiting for the next" &&
	wait_screen "$(tid dl-b) \\(dl-b\\) waits in mutex lock 0x[0-9a-f]+ held by $(tid dl-a)" &&
	tmux send-keys -t "$S" q; sleep 0.3; tmux kill-session -t "$S" 2>/dev/null
	check_healthy $LOCKS
'

test_done
