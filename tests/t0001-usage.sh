#!/bin/bash
# t0001-usage: help, version, bad input, and the targets inspect refuses.
. "$(dirname "$0")/lib.sh"

test_expect_success 'inspect --version prints the version' '
	"$INSPECT" --version >out && grep -E "^inspect [0-9]+\.[0-9]+\.[0-9]+$" out
'

test_expect_success 'inspect --help lists the commands' '
	"$INSPECT" --help >out && expect_grep "^  stack " out && expect_grep "^  list " out
'

test_expect_success 'inspect stack --help shows the synopsis and every option' '
	"$INSPECT" stack --help >out &&
	expect_grep "^usage: inspect stack \[OPTIONS\] PID" out &&
	for o in --json --threads --tid --max-depth --raw --addresses --kernel --stop-timeout --color; do
		expect_grep "$o" out || return 1
	done
'

test_expect_success 'the man page documents every stack option and exit status' '
	for o in json threads tid max-depth raw addresses kernel stop-timeout color stats; do
		grep -q -- "fB\\\\-\\\\-$o" "$SRCDIR/man/inspect.1" || { echo "man page lacks --$o"; return 1; }
	done &&
	for s in 0 1 2 3 4 5 64; do
		grep -q "^\.IP $s\$" "$SRCDIR/man/inspect.1" || { echo "man page lacks exit status $s"; return 1; }
	done
'

test_expect_success 'a PID that is not a number is a usage error (64)' '
	expect_status 64 "$INSPECT" stack abc 2>err && expect_grep "not a process ID" err
'

test_expect_success 'a missing PID is a usage error (64)' '
	expect_status 64 "$INSPECT" stack 2>err && expect_grep "give its PID" err
'

test_expect_success 'two PIDs are a usage error (64)' '
	expect_status 64 "$INSPECT" stack 1 2 2>err && expect_grep "one PID at a time" err
'

test_expect_success 'an unknown option is a usage error (64)' '
	expect_status 64 "$INSPECT" stack --frobnicate 1 2>err && expect_grep "frobnicate" err
'

test_expect_success 'a bad --max-depth is a usage error (64)' '
	expect_status 64 "$INSPECT" stack --max-depth zero 1 2>err && expect_grep "max-depth" err
'

test_expect_success 'an unknown command is a usage error; a bare PID gets a hint' '
	expect_status 64 "$INSPECT" frob 2>err && expect_grep "not a command" err &&
	expect_status 64 "$INSPECT" 1 2>err && expect_grep "inspect stack 1" err
'

test_expect_success 'no such process exits 3 with a clear message' '
	pid=$(cat /proc/sys/kernel/pid_max); pid=$((pid - 1))
	while [ -d /proc/$pid ]; do pid=$((pid - 1)); done
	expect_status 3 "$INSPECT" stack $pid 2>err && expect_grep "no process with PID $pid" err
'

test_expect_success 'a kernel thread exits 5 and says so' '
	expect_status 5 "$INSPECT" stack 2 2>err && expect_grep "kernel thread" err
'

test_expect_success 'a zombie process exits 5 and says so' '
	start_fixture zombie child && child=$FIXTURE_PORT &&
	expect_status 5 "$INSPECT" stack $child 2>err && expect_grep "zombie" err
'

test_expect_success 'a thread ID that is not a process is refused with a hint' '
	start_fixture states nospin &&
	tid=$(ls /proc/$FIXTURE_PID/task | grep -v "^$FIXTURE_PID$" | head -n 1) &&
	expect_status 5 "$INSPECT" stack $tid 2>err && expect_grep "is a thread of process $FIXTURE_PID" err
'

test_expect_success 'inspect refuses to inspect itself' '
	expect_status 5 sh -c "exec \"$INSPECT\" stack \$\$" 2>err && expect_grep "itself" err
'

test_expect_success 'inspect with no command lists processes, a fixture among them' '
	start_fixture states nospin &&
	"$INSPECT" >out && expect_grep "^ *PID +PPID +THREADS" out &&
	expect_grep "^ *$FIXTURE_PID +[0-9]+ +14 " out
'

test_expect_success '--tid of a thread of another process is refused (3)' '
	start_fixture states nospin &&
	expect_status 3 "$INSPECT" stack --tid 1 $FIXTURE_PID 2>err &&
	expect_grep "thread 1 is not a thread of process $FIXTURE_PID" err
'

test_done
