#!/bin/bash
# t0060-runtimes: real managed runtimes, node and a JVM, whose generated
# code has no ELF file behind it: the walk goes through it to the
# thread's start, the runtime's own frames are named, nothing is held.
. "$(dirname "$0")/lib.sh"

# every thread, and /proc's count of them
same_threads() {
	n=$(ls /proc/$1/task | wc -l) &&
	expect_grep "^process $1 \($2\): $n threads" out
}

if ! command -v node >/dev/null; then
	test_skip "node: JIT frames walked through to the thread's start" "node is not installed"
else
	test_expect_success 'node: JIT frames walked through to the thread'"'"'s start, 5 runs' '
		start_program $TMP/node.ready $TMP/node.log node "$SRCDIR/tests/runtimes/park.js" $TMP/node.ready ||
			return 1
		for i in 1 2 3 4 5; do
			"$INSPECT" stack $PROGRAM_PID >out || { cat out; return 1; }
			expect_no_grep "unwind stopped" out || return 1
		done
		same_threads $PROGRAM_PID node &&
		awk "/^1 thread: running/,/^$/" out >main &&
		expect_grep "Builtins_JSEntry" main &&
		expect_grep "node::Start\(int, char\*\*\)" main && expect_grep "_start\+0x" main &&
		expect_grep "uv_run\+0x[0-9a-f]+  node" out &&
		"$INSPECT" count --by kind $PROGRAM_PID >cnt && expect_grep "^running 1$" cnt &&
		check_healthy $PROGRAM_PID
	'
fi

# JIT-compiled Java keeps no frame pointer unless asked to
# (-XX:+PreserveFramePointer) and has no unwind tables: with it, every
# walk reaches the thread's start; without it, a thread inside compiled
# code stops there with the reason (exit 1); the interpreter keeps one.
if ! command -v javac >/dev/null || ! command -v java >/dev/null; then
	test_skip "a JVM: Java threads by name, through JIT frames" "java or javac is not installed"
else
	javac -d "$TMP" "$SRCDIR/tests/runtimes/Park.java"
	for fp in -XX:+PreserveFramePointer -XX:-PreserveFramePointer; do
	test_expect_success "a JVM ($fp): Java threads by name, through interpreted and JIT frames" '
		rm -f $TMP/java.ready &&
		start_program $TMP/java.ready $TMP/java.log java $fp \
			-XX:-UseDynamicNumberOfCompilerThreads -XX:-UseDynamicNumberOfGCThreads -cp $TMP Park $TMP/java.ready || return 1
		"$INSPECT" stack $PROGRAM_PID >out; st=$?
		same_threads $PROGRAM_PID java &&
		awk "/sleeper-0, sleeper-1, sleeper-2, sleeper-3/,/^$/" out >sleep &&
		expect_grep "JVM_Sleep" sleep && expect_grep "\[anon\]\+0x" sleep &&
		expect_grep "JavaCalls::call_helper" sleep && expect_grep "start_thread" sleep &&
		awk "/^  waiter /,/^$/" out >wait &&
		expect_grep "JVM_MonitorWait" wait && expect_grep "start_thread" wait &&
		awk "/^  spinner /,/^$/" out >spin || return 1
		if [ $fp = -XX:+PreserveFramePointer ]; then
			test $st = 0 && expect_no_grep "unwind stopped" out &&
			expect_grep "JavaCalls::call_helper" spin && expect_grep "start_thread" spin
		else
			# only the compiled code stops a walk, and says where
			test $st -le 1 &&
			! grep -B1 "unwind stopped" out | grep -v "^--$" | grep -v "unwind stopped" |
				grep -v "\[anon\]" &&
			if [ $st = 1 ]; then
				expect_grep "unwind stopped: no unwind information at 0x" out
			fi
		fi &&
		"$INSPECT" count $PROGRAM_PID >cnt &&
		expect_grep "^threads $(ls /proc/$PROGRAM_PID/task | wc -l)$" cnt &&
		check_healthy $PROGRAM_PID && kill $PROGRAM_PID
	'
	done
fi

test_done
