#!/bin/bash
# t0220-asleep: where the kernel's task iterator reads the threads (root,
# BTF, Linux 6.1 on; from 256 threads, or at any count with
# INSPECT_BPF=1), a thread asleep is read in place and never stopped:
# its context switches do not move, its blocked calls see no EINTR, and
# its stack is the one a stop of every thread (--stop-all) gives.  A
# sleeper that runs during the capture is stopped in a further attempt;
# sleepers that still run after three make inspect stop every thread
# after all; no signal is lost either way.
. "$(dirname "$0")/lib.sh"

if ! bpf_offered; then
	test_skip "sleepers read in place" "it needs root, /sys/kernel/btf/vmlinux and Linux 6.1 or later"
	test_done
fi

# switches PID: "TID N" for each worker-* thread, N its voluntary and
# involuntary context switches: how many times it left a CPU
switches() {
	for _d in /proc/$1/task/*; do
		case "$(cat $_d/comm 2>/dev/null)" in worker-*) ;; *) continue ;; esac
		awk -v t="${_d##*/}" '/^(non)?voluntary_ctxt_switches/ { n += $2 } END { print t, n }' \
			$_d/status
	done | sort
}

# woken A B: how many threads' counts differ between the two lists
woken() {
	join "$1" "$2" | awk '$2 != $3 { n++ } END { print n + 0 }'
}

test_expect_success 'a pool of 300 beside a busy thread: read asleep, one worker woken (the witness), every stack the one a stop of all gives' '
	start_fixture pool 300 busy &&
	switches $FIXTURE_PID >s0 &&
	"$INSPECT" stack --json --stats $FIXTURE_PID >asleep.json 2>asleep.err &&
	switches $FIXTURE_PID >s1 &&
	"$INSPECT" stack --stop-all --json --stats $FIXTURE_PID >all.json 2>all.err &&
	switches $FIXTURE_PID >s2 &&
	test $(wc -l <s0) = 300 &&
	expect_grep "3[0-9][0-9] threads read asleep, not stopped" asleep.err &&
	expect_no_grep "read asleep|facts from their /proc files" all.err &&
	echo "woken: $(woken s0 s1) by the capture read asleep, $(woken s1 s2) by --stop-all" &&
	test $(woken s0 s1) = 1 && test $(woken s1 s2) = 300 &&
	json_check asleep.json "j[\"read_asleep\"] >= 299 and j[\"stopped_us\"] < 100000" &&
	json_check all.json "j[\"read_asleep\"] == 0" &&
	same_stacks asleep.json all.json &&
	json_check asleep.json "len([t for t in j[\"threads\"] if [f[\"function\"] for f in t[\"frames\"]][-3:] == [\"pool_worker\", \"start_thread\", \"__clone3\"]]) == 300" &&
	"$INSPECT" stack $FIXTURE_PID >out &&
	expect_grep "^process $FIXTURE_PID \(pool\): 302 threads in [0-9]+ groups, held [0-9.]+ ms, 3[0-9][0-9] asleep read in place$" out &&
	expect_grep "^300 threads: condition wait" out &&
	check_healthy $FIXTURE_PID
'

test_expect_success 'three threads that wake every millisecond: stopped in a second attempt, the pool still read asleep' '
	start_fixture pool 300 busy tick 3 &&
	switches $FIXTURE_PID >s0 &&
	"$INSPECT" stack --json --stats $FIXTURE_PID >j.json 2>err &&
	switches $FIXTURE_PID >s1 &&
	cat err &&
	expect_grep "3[0-9][0-9] threads read asleep, not stopped, in [23] attempts \([0-9]+ that ran meanwhile stopped instead\)" err &&
	test $(woken s0 s1) = 1 &&
	json_check j.json "len([t for t in j[\"threads\"] if t[\"name\"].startswith(\"ticker-\") and \"ticker\" in [f[\"function\"] for f in t[\"frames\"]]]) == 3" &&
	json_check j.json "len([t for t in j[\"threads\"] if [f[\"function\"] for f in t[\"frames\"]][-3:] == [\"pool_worker\", \"start_thread\", \"__clone3\"]]) == 300" &&
	check_healthy $FIXTURE_PID
'

test_expect_success 'read asleep, no blocked call sees EINTR; stopped (--stop-all), those of the man page do' '
	start_fixture eintr || return 1
	c=$(eval echo \$READY_$FIXTURE_PID).counts
	for i in 1 2 3; do
		INSPECT_BPF=1 "$INSPECT" stack --stats $FIXTURE_PID >/dev/null 2>err || return 1
		expect_grep "threads read asleep, not stopped" err || return 1
	done
	sleep 0.3 &&
	test ! -s $c &&
	INSPECT_BPF=1 "$INSPECT" stack --stop-all $FIXTURE_PID >/dev/null &&
	sleep 0.3 && cat $c &&
	grep -qw "epoll_wait 1" $c && grep -qw "semop 1" $c && grep -qw "futex 0" $c
	st=$?
	ipcrm -s $FIXTURE_PORT
	test $st = 0
'

# The witness is the one sleeper stopped; the signals wake other
# sleepers (the main thread first, then others, as each has one pending),
# which the check after the hold finds ran: they are stopped in a second
# attempt, the rest stay read asleep.
test_expect_success 'sleepers woken during the capture are stopped in a further attempt; each signal arrives once' '
	start_fixture states nospin || return 1
	INSPECT_BPF=1 INSPECT_TEST_HOLD_MS=1000 "$INSPECT" stack --max-depth 1000 --stats $FIXTURE_PID \
		>out 2>err & ipid=$!
	wait_held $FIXTURE_PID some &&
	kill -USR1 $FIXTURE_PID &&
	for i in 1 2 3 4 5 6 7 8 9 10; do kill -s RTMIN+3 $FIXTURE_PID; done
	wait $ipid || { cat err; return 1; }
	sleep 0.2
	states_counts $FIXTURE_PID >c && cat c && expect_grep "^usr1 1 rt 10 " c &&
	expect_grep "[0-9]+ threads read asleep, not stopped, in [23] attempts \([0-9]+ that ran meanwhile stopped instead\)" err &&
	expect_grep "^process $FIXTURE_PID \(states\): 14 threads in 11 groups, held [0-9.]+ ms, [0-9]+ asleep read in place$" out &&
	expect_grep "^1 thread: sleep" out &&
	check_healthy $FIXTURE_PID
'

# A signal to one thread after another, all through the capture: some
# sleeper runs in every attempt, so after the third every thread is
# stopped, as with --stop-all.
test_expect_success 'sleepers that keep waking through three attempts: every thread stopped; each signal arrives once' '
	start_fixture states nospin || return 1
	python3 - $FIXTURE_PID >sent <<-\PY &
	import ctypes, os, signal, sys, time
	pid = int(sys.argv[1])
	libc = ctypes.CDLL(None, use_errno=True)
	tids = sorted(int(t) for t in os.listdir("/proc/%d/task" % pid))
	L = ctypes.c_long
	sent = k = 0
	open("go", "w").close()
	# until told to stop, a signal every 10 ms, each to the next thread:
	# every thread has one within the hold of each attempt (300 ms)
	while not os.path.exists("stop"):
	    if libc.syscall(L(234), L(pid), L(tids[k % len(tids)]), L(signal.SIGRTMIN + 3)) == 0:
	        sent += 1
	    k += 1
	    time.sleep(0.01)
	print(sent)
	PY
	spid=$!
	rm -f stop && while ! test -e go; do sleep 0.05; done &&
	INSPECT_BPF=1 INSPECT_TEST_HOLD_MS=300 "$INSPECT" stack --max-depth 1000 --stats $FIXTURE_PID \
		>out 2>err; st=$?
	touch stop && wait $spid && test $st = 0 || { cat err; return 1; }
	sleep 0.2
	states_counts $FIXTURE_PID >c && cat c sent &&
	expect_grep "^usr1 0 rt $(cat sent) " c &&
	expect_grep "of the threads read asleep ran before the check: every thread stopped instead" err &&
	expect_grep "^process $FIXTURE_PID \(states\): 14 threads in 11 groups, held [0-9.]+ ms$" out &&
	check_healthy $FIXTURE_PID
'

test_done
