#!/bin/bash
# t0200-reliability: the target survives many runs, and the inspector's
# own death, at random moments.  (Issue 5's fault suite, first part.)
. "$(dirname "$0")/lib.sh"

churn_count() {
	kill -WINCH $FIXTURE_PID; sleep 0.2
	cat "$TMP"/ready.churn.*.count
}

test_expect_success 'thread churn: 200 runs, none hangs, nothing left held, the churn goes on' '
	start_fixture churn || return 1
	ok=0; partial=0
	for i in $(seq 1 200); do
		timeout -s KILL 20 "$INSPECT" stack $FIXTURE_PID >out 2>err; st=$?
		case $st in
		0) ok=$((ok + 1)) ;;
		1) partial=$((partial + 1)); grep -B4 "unwind stopped" out ;;
		*) echo "run $i: status $st"; cat err; return 1 ;;
		esac
		expect_grep "^process $FIXTURE_PID \(churn\): " out || return 1
		expect_grep "steady" out || return 1
	done
	echo "200 runs: $ok complete, $partial partial"
	# a thread caught inside clone (born, or giving birth) used to end
	# 10% of the runs early: glibc ends the wrappers'"'"' CFI before the call
	test $ok -ge 198 &&
	check_healthy $FIXTURE_PID &&
	a=$(churn_count) && sleep 1 && b=$(churn_count) &&
	echo "churn: $a -> $b in 1 s" && test $((b - a)) -gt 200
'

test_expect_success 'SIGKILL at random moments, 100 trials: the target runs on and loses no signal' '
	start_fixture states nospin || return 1
	before=$(states_counts $FIXTURE_PID | awk "{print \$4}")
	sent=0
	for i in $(seq 1 100); do
		"$INSPECT" stack $FIXTURE_PID >/dev/null 2>&1 & ipid=$!
		sleep 0.0$((RANDOM % 30))
		kill -s RTMIN+3 $FIXTURE_PID; sent=$((sent + 1))
		kill -KILL $ipid 2>/dev/null; wait $ipid 2>/dev/null
		for s in $(thread_states $FIXTURE_PID); do
			case $s in t|T) sleep 0.05 ;; esac
		done
		check_healthy $FIXTURE_PID || { echo "trial $i: left held"; return 1; }
	done
	sleep 0.3
	got=$(states_counts $FIXTURE_PID | awk "{print \$4}")
	echo "sent $sent real-time signals, received $((got - before))"
	test $((got - before)) = $sent
'

for sig in INT TERM HUP; do
	test_expect_success "SIG$sig at random moments, 30 trials: released, said so, exit 128+N" '
		for i in $(seq 1 30); do
			"$INSPECT" stack $FIXTURE_PID >/dev/null 2>err & ipid=$!
			sleep 0.0$((RANDOM % 25))
			kill -'$sig' $ipid 2>/dev/null; wait $ipid; st=$?
			case $st in
			0|1) ;;
			$((128 + $(kill -l '$sig'))) )
				# said so, or died before it held anything
				test ! -s err || expect_grep "released every thread" err || return 1 ;;
			*) echo "trial $i: status $st"; cat err; return 1 ;;
			esac
			check_healthy $FIXTURE_PID || return 1
		done
	'
done

# Standard signals merge while one is pending (POSIX), so they are sent
# 25 ms apart, longer than a hold of this fixture; real-time ones queue.
test_expect_success 'signals to the process and to single threads while inspections run in a loop: each arrives once' '
	start_fixture states nospin || return 1
	before=$(states_counts $FIXTURE_PID) || return 1
	( for i in $(seq 1 40); do "$INSPECT" stack $FIXTURE_PID >/dev/null 2>&1; done ) & loop=$!
	python3 - $FIXTURE_PID >sent <<-PY || return 1
	import ctypes, os, random, signal, sys, time
	pid = int(sys.argv[1]); libc = ctypes.CDLL(None, use_errno=True)
	usr1 = rt = 0
	for i in range(80):
	    tids = [int(t) for t in os.listdir("/proc/%d/task" % pid)]
	    if i % 2:
	        os.kill(pid, signal.SIGUSR1); usr1 += 1
	        libc.syscall(234, pid, random.choice(tids), signal.SIGRTMIN + 3); rt += 1
	    else:
	        libc.syscall(234, pid, random.choice(tids), signal.SIGUSR1); usr1 += 1
	        os.kill(pid, signal.SIGRTMIN + 3); rt += 1
	    time.sleep(0.025)
	print(usr1, rt)
	PY
	wait $loop
	sleep 0.2
	after=$(states_counts $FIXTURE_PID) || return 1
	read su sr <sent
	du=$(( $(echo "$after" | awk "{print \$2}") - $(echo "$before" | awk "{print \$2}") ))
	dr=$(( $(echo "$after" | awk "{print \$4}") - $(echo "$before" | awk "{print \$4}") ))
	echo "sent SIGUSR1 $su, SIGRTMIN+3 $sr (half to single threads); received $du, $dr"
	test $du = $su && test $dr = $sr && check_healthy $FIXTURE_PID
'

test_expect_success 'a binary deleted after start still resolves its functions' '
	cp "$FIX/states" "$TMP/doomed" || return 1
	start_program $TMP/ready.doomed $TMP/doomed.log "$TMP/doomed" $TMP/ready.doomed nospin ||
		return 1
	dpid=$PROGRAM_PID
	rm -f "$TMP/doomed" &&
	grep -q "doomed (deleted)" /proc/$dpid/maps &&
	"$INSPECT" stack $dpid >out; test $? -le 1 &&
	expect_grep "pool_worker\+0x[0-9a-f]+  doomed  states.c:" out
'

test_expect_success 'a process in its own mount and PID namespaces, its binary only inside' '
	mkdir -p "$TMP/ns" &&
	cat >ns.sh <<-EOS &&
	mount -t tmpfs inside "$TMP/ns" && cp "$FIX/states" "$TMP/ns/nsstates" &&
	exec "$TMP/ns/nsstates" "$TMP/ready.ns" nospin
	EOS
	start_program $TMP/ready.ns $TMP/ns.log \
		unshare --mount --pid --fork --kill-child --mount-proc sh ns.sh || return 1
	# the fixture is PID 1 inside; find its PID here
	# (and kill it at the end: PID 1 of a namespace ignores the SIGKILL
	# that unshare --kill-child asks for on its death)
	npid=$(pgrep -f "^$TMP/ns/nsstates") && PIDS="$PIDS $npid" &&
	test "$(cat "$TMP/ready.ns" | cut -d" " -f1)" = 1 &&
	test ! -e "$TMP/ns/nsstates" &&
	"$INSPECT" stack --max-depth 1000 $npid >out &&
	expect_grep "^process $npid \(nsstates\): 14 threads" out &&
	expect_grep "pool_worker\+0x[0-9a-f]+  nsstates  states.c:" out &&
	# the TIDs are the ones seen from here, not from inside
	tid=$(grep -l "^holder$" /proc/$npid/task/*/comm | cut -d/ -f5) &&
	expect_grep "^  holder \[$tid\]" out && check_healthy $npid
'

# A stripped program with its debug file beside it (.gnu_debuglink), the
# convention for locally built programs.  A container owner controls
# that directory: a symlink or a FIFO planted at the debug file name must
# not make inspect open a host file, nor hang it.
plant_prepare() {	# DIR: a stripped copy of states, debug file beside it
	mkdir -p $1 && cp "$FIX/states" $1/states &&
	objcopy --only-keep-debug $1/states $1/states.debug &&
	strip -g $1/states && objcopy --add-gnu-debuglink=$1/states.debug $1/states
}
for plant in none symlink fifo; do
	case $plant in
	none) title="a debug file beside the program (.gnu_debuglink) gives its source lines" ;;
	*) title="a $plant planted at the debug file name: not opened, no hang" ;;
	esac
	test_expect_success "$title" '
		d=$TMP/plant-'$plant' && plant_prepare $d || return 1
		start_program $d/ready $d/states.log $d/states $d/ready nospin || return 1
		ppid=$PROGRAM_PID
		case '$plant' in
		symlink) mv $d/states.debug $TMP/host-file && ln -s $TMP/host-file $d/states.debug ;;
		fifo) rm $d/states.debug && mkfifo $d/states.debug ;;
		esac &&
		ASAN_OPTIONS=detect_leaks=0 timeout -s KILL 20 strace -f -qq -e trace=openat,openat2 -o tr \
			"$INSPECT" stack --max-depth 1000 $ppid >out 2>err
		st=$?
		test $st = 0 || { echo "status $st"; cat err; return 1; }
		expect_grep "pthread_cond_wait" out &&
		if [ '$plant' = none ]; then
			expect_grep "pool_worker\+0x[0-9a-f]+  states  states.c:" out
		else
			# no source lines for the program, its functions from .symtab
			expect_no_grep "  states  states.c:" out &&
			expect_grep "pool_worker\+0x[0-9a-f]+  states$" out &&
			expect_no_grep "host-file" tr
		fi && check_healthy $ppid
	'
done

# A distribution's debug files live in the host's /usr/lib/debug, named
# by build ID.  libdwfl's own search would load libdebuginfod (and
# libcurl with it) for every module it finds nothing for, a cost for a
# server inspect never asks.
if [ "$(id -u)" = 0 ]; then
	test_expect_success 'a debug file in /usr/lib/debug/.build-id gives source lines; no libdebuginfod loaded' '
		d=$TMP/buildid && plant_prepare $d &&
		id=$(readelf -n $d/states | sed -n "s/.*Build ID: *//p") && test -n "$id" &&
		dbg=/usr/lib/debug/.build-id/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).debug &&
		# only the build-ID path has it: none beside the program
		mkdir -p $(dirname $dbg) && mv $d/states.debug $dbg &&
		start_program $d/ready $d/states.log $d/states $d/ready nospin || { rm -f $dbg; return 1; }
		env -u DEBUGINFOD_URLS LD_DEBUG=files INSPECT_CACHE_DIR=$TMP/nocache XDG_CACHE_HOME=$TMP/nocache \
			"$INSPECT" stack --max-depth 1000 $PROGRAM_PID >out 2>ld
		st=$?
		rm -f $dbg
		test $st = 0 &&
		expect_grep "pool_worker\+0x[0-9a-f]+  states  states.c:" out &&
		expect_no_grep "libdebuginfod" ld && check_healthy $PROGRAM_PID
	'
	test_expect_success 'DEBUGINFOD_URLS set: still nothing fetched, libdebuginfod not loaded' '
		ASAN_OPTIONS=detect_leaks=0 DEBUGINFOD_URLS=http://127.0.0.1:9 INSPECT_CACHE_DIR=$TMP/nocache2 \
			LD_DEBUG=files timeout 60 "$INSPECT" stack --max-depth 1000 $PROGRAM_PID >out 2>ld &&
		expect_grep "pool_worker\+0x[0-9a-f]+  states$" out &&
		expect_no_grep "libdebuginfod" ld
	'
else
	test_skip "a debug file in /usr/lib/debug/.build-id gives source lines" "needs root to write /usr/lib/debug"
fi

compressed() {	# FILE: is its .debug_info compressed?
	readelf -SW "$1" 2>/dev/null | grep -q "\.debug_info .* C "
}
test_expect_success 'compressed debug sections: an uncompressed copy cached by build ID, used, repaired, or not made' '
	d=$TMP/zdebug && plant_prepare $d &&
	objcopy --compress-debug-sections=zlib-gabi $d/states.debug &&
	compressed $d/states.debug || return 1
	start_program $d/ready $d/states.log $d/states $d/ready nospin || return 1
	zpid=$PROGRAM_PID
	id=$(readelf -n $d/states | awk "/Build ID/ { print \$3 }") &&
	INSPECT_CACHE_DIR=$TMP/cache "$INSPECT" stack --max-depth 1000 $zpid >out1 &&
	expect_grep "pool_worker\+0x[0-9a-f]+  states  states.c:" out1 &&
	test -f $TMP/cache/$id.debug && ! compressed $TMP/cache/$id.debug &&
	# the next run reads the copy, not the compressed file
	INSPECT_CACHE_DIR=$TMP/cache ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=openat,openat2 \
		-o tr "$INSPECT" stack --max-depth 1000 $zpid >out2 &&
	expect_grep "cache/$id.debug" tr && expect_no_grep "states.debug" tr &&
	diff <(grep -v "held\|blocked" out1) <(grep -v "held\|blocked" out2) &&
	# a torn copy is replaced
	truncate -s 4096 $TMP/cache/$id.debug &&
	INSPECT_CACHE_DIR=$TMP/cache "$INSPECT" stack --max-depth 1000 $zpid >out3 &&
	expect_grep "pool_worker\+0x[0-9a-f]+  states  states.c:" out3 &&
	test $(stat -c %s $TMP/cache/$id.debug) -gt 4096 &&
	# off: nothing written
	INSPECT_CACHE_DIR= HOME=$TMP/home "$INSPECT" stack --max-depth 1000 $zpid >out4 &&
	expect_grep "states.c:" out4 && test ! -e $TMP/home &&
	check_healthy $zpid
'

test_expect_success 'side effects: which blocked calls see EINTR after an inspection (man page NOTES)' '
	start_fixture eintr || return 1
	st=0
	c=$(eval echo \$READY_$FIXTURE_PID).counts
	"$INSPECT" count $FIXTURE_PID >/dev/null && "$INSPECT" count --by kind $FIXTURE_PID >/dev/null &&
	sleep 0.3 && test ! -s $c &&	# count stops nothing: no EINTR at all
	for i in 1 2 3; do "$INSPECT" stack $FIXTURE_PID >/dev/null || return 1; done
	sleep 0.3
	cat $c
	# restarted transparently: never seen by the program
	for k in futex nanosleep poll select read accept; do
		grep -qw "$k 0" $c || { echo "$k saw EINTR"; st=1; }
	done
	# seen by the program, once per inspection, and listed in the man page
	for k in epoll_wait:epoll_wait sigtimedwait:sigtimedwait semop:semop recv_timeo:SO_RCVTIMEO; do
		grep -qw "${k%%:*} 3" $c || { echo "${k%%:*}: not 3 EINTRs"; st=1; }
		grep -q "^\.B.* ${k#*:}" "$SRCDIR/man/inspect.1" || { echo "${k#*:} not in the man page"; st=1; }
	done
	ipcrm -s $FIXTURE_PORT
	test $st = 0
'

test_expect_success 'generated (JIT) code: its frame shown as [anon], the walk goes on by frame pointer' '
	start_fixture jit || return 1
	"$INSPECT" stack $FIXTURE_PID >out &&
	# with a frame pointer: park, the generated frame, then its caller
	awk "/^  jit-fp /,/^$/" out >fp &&
	expect_grep "#3 +park\+0x[0-9a-f]+  jit  jit.c" fp &&
	expect_grep "#4 +\?\? 0x[0-9a-f]+  \[anon\]\+0x" fp &&
	expect_grep "#5 +jit_caller\+0x[0-9a-f]+  jit  jit.c" fp &&
	expect_grep "start_thread" fp &&
	# without one, the caller whose frame pointer it kept is lost (as in
	# eu-stack and gdb); the walk still ends where the thread began
	awk "/^  jit-nofp /,/^$/" out >nofp &&
	expect_grep "\[anon\]\+0x" nofp && expect_grep "start_thread" nofp &&
	expect_no_grep "unwind stopped" out && check_healthy $FIXTURE_PID
'

# node maps part of its text a second time, far from the rest, next to
# its generated code: an address there is looked up where the program
# headers place its file offset, and code between the two is [anon]
test_expect_success 'code run from a second mapping of a file far from the first: its function and line' '
	start_fixture jit remap || return 1
	"$INSPECT" stack $FIXTURE_PID >out &&
	awk "/^  remapped /,/^$/" out >far &&
	expect_grep "#0 +remapped_wait\+0x[0-9a-f]+  jit  jit.c:" far &&
	expect_grep "#1 +remap_caller\+0x[0-9a-f]+  jit  jit.c:" far &&
	awk "/^  jit-fp /,/^$/" out >fp &&
	expect_grep "#4 +\?\? 0x[0-9a-f]+  \[anon\]\+0x" fp &&
	check_healthy $FIXTURE_PID
'

# gcc links -static without .eh_frame_hdr: the search table is built from
# the file's .eh_frame; frame pointers alone skipped the callers of libc
# code (pool_worker, mutex_waiter) and the walk stopped early
test_expect_success 'a statically linked binary (no .eh_frame_hdr): every frame, every line' '
	start_fixture states-static nospin || return 1
	! readelf -lW "$FIX/states-static" | grep -q GNU_EH_FRAME &&
	"$INSPECT" stack --max-depth 1000 $FIXTURE_PID >out &&
	expect_grep "^process $FIXTURE_PID \(states-static\): 14 threads" out &&
	expect_grep "^3 threads: condition wait" out &&
	expect_grep "pool_worker\+0x[0-9a-f]*  states-static  states.c:$(line_of "pthread_cond_wait(&cv" "$SRCDIR/tests/fixtures/states.c")$" out &&
	expect_grep "mutex_waiter\+0x[0-9a-f]*  states-static  states.c:" out &&
	expect_grep "main\+0x[0-9a-f]*  states-static  states.c:" out &&
	expect_grep "_start\+0x" out &&
	expect_no_grep "unwind stopped" out && check_healthy $FIXTURE_PID
'

test_done
