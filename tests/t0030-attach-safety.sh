#!/bin/bash
# t0030-attach-safety: the target is never harmed.  Other tracers,
# stopped targets, D-state threads, signals to the target while it is
# held, and the inspector interrupted or killed while it holds threads.
. "$(dirname "$0")/lib.sh"

counts() {	# ask the states fixture for its signal counts
	states_counts $FIXTURE_PID
}

test_expect_success 'inspect uses PTRACE_SEIZE, never PTRACE_ATTACH or EXITKILL' '
	start_fixture states nospin &&
	# LeakSanitizer cannot run under a tracer
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=ptrace -o trace "$INSPECT" stack --max-depth 1000 $FIXTURE_PID >/dev/null &&
	expect_grep "PTRACE_SEIZE" trace && expect_grep "PTRACE_O_TRACEEXEC" trace &&
	expect_no_grep "PTRACE_ATTACH|EXITKILL|PTRACE_POKE|PTRACE_SETREGS" trace
'

test_expect_success 'nothing is held after a run: no t/T state, no tracer' '
	check_healthy $FIXTURE_PID
'

test_expect_success 'a process traced by strace: exit 2, the tracer named, the /proc view' '
	strace -f -qq -o strace.log -p $FIXTURE_PID & spid=$!
	sleep 0.5
	expect_status 2 "$INSPECT" stack $FIXTURE_PID >out 2>err &&
	expect_grep "already traced by PID $spid \(strace\)" err &&
	expect_grep "^no user stacks: .*already traced by PID $spid" out &&
	expect_grep "^3 threads: futex wait 0x[0-9a-f]+" out &&
	expect_grep "^  pool-1, pool-2, pool-3 " out &&
	kill -USR1 $FIXTURE_PID && sleep 0.3 && expect_grep "SIGUSR1" strace.log
	rc=$?
	kill $spid; wait $spid; sleep 0.2
	test $rc = 0 && check_healthy $FIXTURE_PID
'

test_expect_success 'one thread traced (strace without -f): exit 2, that thread named, the rest released' '
	tid=$(grep -l acceptor /proc/$FIXTURE_PID/task/*/comm | cut -d/ -f5)
	strace -qq -o /dev/null -p $tid & spid=$!
	sleep 0.5
	expect_status 2 "$INSPECT" stack $FIXTURE_PID >out 2>err &&
	expect_grep "thread $tid \(acceptor\) of process $FIXTURE_PID is already traced by PID $spid \(strace\)" err &&
	for s in /proc/$FIXTURE_PID/task/*/status; do
		case $s in */$tid/*) continue ;; esac
		awk "/^TracerPid:/ { exit \$2 != 0 }" $s || { echo "$s is traced"; false; break; }
	done
	rc=$?
	kill $spid; wait $spid; sleep 0.2
	test $rc = 0 && check_healthy $FIXTURE_PID
'

test_expect_success 'a process under gdb: exit 2, gdb named, and gdb still works afterwards' '
	# gdb holds every thread stopped while it runs its commands; then it
	# reads a variable and detaches, which must still work after us
	gdb -batch -nx -p $FIXTURE_PID -ex "shell sleep 2" -ex "print (int)getpid()" \
		-ex detach >gdb.out 2>&1 & gpid=$!
	for i in $(seq 1 100); do
		awk "/^TracerPid:/ { exit \$2 == 0 }" /proc/$FIXTURE_PID/status && break
		sleep 0.05
	done
	expect_status 2 "$INSPECT" stack $FIXTURE_PID >out 2>err &&
	expect_grep "already traced by PID $gpid \(gdb\)" err &&
	expect_grep "^no user stacks" out
	rc=$?
	wait $gpid
	test $rc = 0 && expect_grep "^\\\$1 = $FIXTURE_PID" gdb.out &&
	expect_grep "detached\]" gdb.out && check_healthy $FIXTURE_PID
'

test_expect_success 'a stopped process (SIGSTOP) is shown and stays stopped' '
	kill -STOP $FIXTURE_PID && sleep 0.2 &&
	"$INSPECT" stack --max-depth 1000 $FIXTURE_PID >out &&
	expect_grep "^14 threads: stopped \(T\)|threads: stopped \(T\)" out &&
	test "$(thread_states $FIXTURE_PID | sort -u)" = T &&
	kill -CONT $FIXTURE_PID && sleep 0.2 && check_healthy $FIXTURE_PID
'

test_expect_success 'job control: a job stopped with ^Z stays stopped, a bg job keeps running, fg works' '
	J=inspect-job-$$
	tmux new-session -d -s $J -x 120 -y 30 "bash --norc --noprofile -i" &&
	tmux send-keys -t $J "$FIX/states $TMP/ready.job nospin" Enter &&
	wait_ready $TMP/ready.job &&
	jpid=$(cut -d" " -f1 $TMP/ready.job) && PIDS="$PIDS $jpid" &&
	tmux send-keys -t $J C-z && sleep 0.5 &&
	test "$(thread_states $jpid | sort -u)" = T &&
	"$INSPECT" stack --max-depth 1000 $jpid >out && expect_grep "stopped \(T\)" out &&
	test "$(thread_states $jpid | sort -u)" = T &&
	tmux send-keys -t $J "jobs" Enter && sleep 0.3 &&
	tmux capture-pane -p -t $J | grep -q "Stopped" &&
	tmux send-keys -t $J "bg" Enter && sleep 0.5 &&
	"$INSPECT" stack --max-depth 1000 $jpid >out && expect_grep "condition wait" out &&
	check_healthy $jpid &&
	tmux send-keys -t $J "clear; jobs" Enter && sleep 0.3 &&
	tmux capture-pane -p -t $J >screen && expect_grep "Running" screen &&
	expect_no_grep "Stopped" screen &&
	tmux send-keys -t $J "fg" Enter && sleep 0.3 && check_healthy $jpid &&
	tmux send-keys -t $J C-c && sleep 0.3 && ! kill -0 $jpid 2>/dev/null
	rc=$?
	tmux kill-session -t $J 2>/dev/null
	return $rc
'

test_expect_success 'a thread in uninterruptible sleep does not hold the others' '
	start_fixture dstate && wait_thread_state $FIXTURE_PID vforker D &&
	expect_status 1 "$INSPECT" stack --json $FIXTURE_PID >j.json &&
	json_check j.json "j[\"stopped_us\"] < 200000
and [t for t in j[\"threads\"] if t[\"name\"] == \"vforker\"][0][\"no_stack\"].startswith(\"in uninterruptible sleep\")
and len([t for t in j[\"threads\"] if t[\"frames\"]]) == 2" &&
	sleep 0.1 && check_healthy $FIXTURE_PID
'

# At most 32 threads are on their way to a stop at once; a stop timeout
# shorter than the stop of a large pool ends that pacing early.
test_expect_success 'a stop timeout shorter than a 1,000-thread pool takes: exit 0 or 1, all released' '
	start_fixture pool 1000 || return 1
	for t in 1 3; do
		"$INSPECT" stack --stop-timeout $t $FIXTURE_PID >out 2>err
		st=$?
		test $st -le 1 || { echo "--stop-timeout $t: status $st"; cat err; return 1; }
		expect_grep "^process $FIXTURE_PID \(pool\): 1001 threads" out &&
		expect_no_grep "runtime error|AddressSanitizer" err || return 1
	done
	sleep 0.1 && check_healthy $FIXTURE_PID && kill $FIXTURE_PID
'

# Released, sleepers that last ran on the CPU of a running thread go in
# batches of 32, each when that thread has had its CPU back.
if test -r /proc/self/schedstat; then
test_expect_success 'sleepers beside a running thread are released in batches, all of them' '
	start_fixture pool 200 busy pin &&
	"$INSPECT" stack --stats $FIXTURE_PID >out 2>err &&
	expect_grep "^process $FIXTURE_PID \(pool\): 202 threads" out &&
	expect_grep "^200 threads: condition wait" out &&
	expect_grep "released in batches 200 \(7 batches\)" err &&
	sleep 0.1 && check_healthy $FIXTURE_PID &&
	tid=$(grep -l busy /proc/$FIXTURE_PID/task/*/comm | cut -d/ -f5) &&
	test "$(sed "s/.*) \(.\).*/\1/" /proc/$FIXTURE_PID/task/$tid/stat)" = R &&
	kill $FIXTURE_PID
'
else
	test_skip "sleepers beside a running thread are released in batches, all of them" \
		"this kernel has no /proc/PID/schedstat"
fi

test_expect_success 'signals sent while threads are held arrive afterwards, exactly once' '
	start_fixture states nospin || return 1
	INSPECT_TEST_HOLD_MS=1000 "$INSPECT" stack $FIXTURE_PID >/dev/null & ipid=$!
	wait_held $FIXTURE_PID &&
	kill -USR1 $FIXTURE_PID &&
	for i in 1 2 3 4 5 6 7 8 9 10; do kill -s RTMIN+3 $FIXTURE_PID; done
	wait $ipid
	sleep 0.2
	counts >c && expect_grep "^usr1 1 rt 10 " c && check_healthy $FIXTURE_PID
'

for sig in INT TERM HUP; do
	test_expect_success "SIG$sig while threads are held: all released, then exit" '
		INSPECT_TEST_HOLD_MS=3000 "$INSPECT" stack $FIXTURE_PID >/dev/null 2>err & ipid=$!
		wait_held $FIXTURE_PID &&
		kill -'$sig' $ipid
		wait $ipid; st=$?
		test $st = $((128 + $(kill -l '$sig'))) &&
		expect_grep "released every thread of process $FIXTURE_PID" err &&
		check_healthy $FIXTURE_PID
	'
done

test_expect_success 'SIGKILL while threads are held: the target runs on and loses no signal' '
	before=$(counts | awk "{print \$4}")
	INSPECT_TEST_HOLD_MS=3000 "$INSPECT" stack $FIXTURE_PID >/dev/null 2>&1 & ipid=$!
	wait_held $FIXTURE_PID
	for i in 1 2 3 4 5; do kill -s RTMIN+3 $FIXTURE_PID; done
	kill -KILL $ipid; wait $ipid
	sleep 0.3
	check_healthy $FIXTURE_PID || return 1
	# each of the 5 arrives, once: wait for them 2 s at most
	for i in $(seq 1 10); do
		after=$(counts | awk "{print \$4}")
		test "$after" -ge $((before + 5)) && break
		sleep 0.2
	done
	test "$after" = $((before + 5)) || { echo "SIGRTMIN+3 count $before before, $after after"; return 1; }
'

test_expect_success 'the target killed while held: inspect ends with a clear error, no hang' '
	start_fixture states nospin || return 1
	INSPECT_TEST_HOLD_MS=800 timeout 20 "$INSPECT" stack $FIXTURE_PID >out 2>err & ipid=$!
	sleep 0.3
	kill -9 $FIXTURE_PID
	wait $ipid; st=$?
	test $st != 124 && test $st != 0 && cat err && test -s err
'

for from in thread main; do
	case $from in main) who="its main thread" ;; *) who="another thread" ;; esac
	test_expect_success "a target that execs (from $who) every 20 ms: 100 runs, none hangs, nothing left held" '
		start_fixture execer 20 '$from' || return 1
		for i in $(seq 1 100); do
			timeout -s KILL 20 "$INSPECT" stack $FIXTURE_PID >out 2>err; st=$?
			case $st in 0|1|2) ;; *) echo "run $i: status $st"; cat err; return 1 ;; esac
			grep -q "^process $FIXTURE_PID " out || { echo "run $i:"; cat out err; return 1; }
		done
		sleep 0.1
		check_healthy $FIXTURE_PID && ! grep -q "execv" "$TMP"/execer.log
	'
done

test_expect_success 'an unprivileged user: another user'"'"'s process is refused with the reason; its own is shown' '
	start_fixture states nospin || return 1
	u=$TMP/unpriv && mkdir -p $u && chmod 755 "$TMP" &&
	cp "$INSPECT" "$FIX/states" $u/ && chown -R 65534:65534 $u &&
	expect_status 4 setpriv --reuid=65534 --regid=65534 --clear-groups \
		$u/inspect stack $FIXTURE_PID 2>err &&
	expect_grep "belongs to uid 0 and you are uid 65534; .*CAP_SYS_PTRACE" err || return 1
	start_program $u/ready $TMP/unpriv.log \
		setpriv --reuid=65534 --regid=65534 --clear-groups $u/states $u/ready nospin ||
		return 1
	npid=$PROGRAM_PID
	setpriv --reuid=65534 --regid=65534 --clear-groups $u/inspect stack --max-depth 1000 $npid >out 2>err ||
		{ cat err; return 1; }
	expect_grep "^3 threads: condition wait" out && expect_grep "pool_worker" out &&
	expect_grep "states.c:" out &&
	setpriv --reuid=65534 --regid=65534 --clear-groups $u/inspect count $npid >cnt &&
	expect_grep "^threads 14$" cnt && check_healthy $npid
'

# Its maps name files with the jail in front (/…/jail/lib/…/libc.so.6)
# while /proc/PID/root is the jail; without map_files (root only) the
# modules are found by taking that prefix off.
test_expect_success 'an unprivileged user, a chrooted process of its own: frames and source lines' '
	j=$TMP/jail && mkdir -p $j/tmp && chmod 755 "$TMP" $j && chmod 1777 $j/tmp &&
	cp "$FIX/states" $j/ &&
	for l in $(ldd $j/states | grep -o "/[^ ]*"); do
		mkdir -p $j$(dirname $l) && cp $l $j$l || return 1
	done &&
	u=$TMP/unpriv && mkdir -p $u && cp "$INSPECT" $u/ && chown -R 65534:65534 $u || return 1
	start_program $j/tmp/ready $TMP/jail.log \
		chroot --userspec=65534:65534 $j /states /tmp/ready nospin || return 1
	jpid=$PROGRAM_PID
	grep -q " $j/states$" /proc/$jpid/maps &&
	setpriv --reuid=65534 --regid=65534 --clear-groups $u/inspect stack --max-depth 1000 $jpid \
		>out 2>err || { cat err; return 1; }
	expect_grep "^process $jpid \(states\): 14 threads" out &&
	expect_grep "^3 threads: condition wait" out &&
	expect_grep "pool_worker\+0x[0-9a-f]*  states  states.c:" out &&
	expect_grep "pthread_cond_wait\+0x[0-9a-f]*  libc.so.6" out &&
	expect_no_grep "\?\? 0x" out && check_healthy $jpid
'

test_expect_success 'a zombie leader (main called pthread_exit): the others are shown' '
	start_fixture zombie leader &&
	"$INSPECT" stack $FIXTURE_PID >out &&
	expect_grep "^1 thread: zombie" out && expect_grep "^1 thread: sleep" out &&
	expect_grep "survivor" out
'

test_done
