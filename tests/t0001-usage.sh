#!/bin/bash
# t0001-usage: help, version, bad input, and the targets inspect refuses.
. "$(dirname "$0")/lib.sh"

test_expect_success 'inspect --version prints the version' '
	"$INSPECT" --version >out && grep -E "^inspect [0-9]+\.[0-9]+\.[0-9]+$" out
'

test_expect_success 'inspect --help lists the commands' '
	"$INSPECT" --help >out && expect_grep "^  stack " out && expect_grep "^  count " out &&
	expect_grep "^  top " out && expect_grep "^  list " out
'

test_expect_success 'inspect stack --help shows the synopsis and every option' '
	"$INSPECT" stack --help >out &&
	expect_grep "^usage: inspect stack \[OPTIONS\] PID" out &&
	for o in --json --threads --tid --max-depth --raw --addresses --kernel --stop-timeout --color; do
		expect_grep "$o" out || return 1
	done
'

test_expect_success 'the man page documents every stack option and exit status' '
	MANWIDTH=200 man -l "$SRCDIR/man/inspect.1" 2>/dev/null >man.txt &&
	for o in json threads tid max-depth raw addresses kernel stop-timeout color stats help; do
		grep -q -- "--$o" man.txt || { echo "man page lacks --$o"; return 1; }
	done &&
	for s in 0 1 2 3 4 5 64 70; do
		grep -q "^\.IP $s\$" "$SRCDIR/man/inspect.1" || { echo "man page lacks exit status $s"; return 1; }
	done &&
	for cmd in stack count top; do
		"$INSPECT" $cmd --help | grep -o -- "--[a-z-]*" | sort -u >help.opts &&
		while read -r o; do grep -q -- "$o" man.txt || { echo "$cmd --help shows $o, the man page does not"; return 1; }; done <help.opts || return 1
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

test_expect_success 'kernel threads (kthreadd, a kworker) exit 5 and say so' '
	expect_status 5 "$INSPECT" stack 2 2>err && expect_grep "kernel thread" err &&
	kw=$(ps -eo pid=,comm= | awk "\$2 ~ /^kworker/ { print \$1; exit }") &&
	expect_status 5 "$INSPECT" stack $kw 2>err && expect_grep "PID $kw .* is a kernel thread" err &&
	expect_status 5 "$INSPECT" count $kw 2>err && expect_grep "kernel thread" err
'

# a 32-bit program without libc (no multilib needed): pause(2) forever
printf ".globl _start\n_start:\n1:\tmovl \$29, %%eax\n\tint \$0x80\n\tjmp 1b\n" >m32.S
m32=
if gcc -m32 -nostdlib -static -o m32 m32.S 2>/dev/null; then
	(./m32 2>/dev/null) & m32=$!
	PIDS="$PIDS $m32"
	sleep 0.3
	kill -0 $m32 2>/dev/null || m32=
fi
if [ -n "$m32" ]; then
	test_expect_success 'a 32-bit process: exit 5 and says so' '
		m32=$(pgrep -x -P $m32 m32 || echo $m32)
		expect_status 5 "$INSPECT" stack $m32 2>err &&
		expect_grep "is not an x86-64 process; only x86-64 targets are supported" err &&
		expect_status 5 "$INSPECT" count $m32 2>err
	'
else
	test_skip "a 32-bit process: exit 5 and says so" "this kernel cannot run 32-bit programs"
fi

test_expect_success 'a zombie process exits 5 and says so' '
	start_fixture zombie child && child=$FIXTURE_PORT &&
	expect_status 5 "$INSPECT" stack $child 2>err && expect_grep "zombie" err &&
	expect_status 5 "$INSPECT" count $child 2>err && expect_grep "zombie" err &&
	expect_status 5 "$INSPECT" count --by kind $child 2>err && expect_grep "zombie" err
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

test_expect_success 'another user is not permitted (4), and the message says why' '
	start_fixture states nospin || return 1
	chmod 755 "$TMP"
	expect_status 4 setpriv --reuid=65534 --regid=65534 --clear-groups "$INSPECT" stack $FIXTURE_PID 2>err &&
	expect_grep "not permitted to trace process $FIXTURE_PID \(states\): it belongs to uid 0 and you are uid 65534" err &&
	expect_grep "CAP_SYS_PTRACE" err && check_healthy $FIXTURE_PID
'

test_expect_success 'make install honours PREFIX and DESTDIR' '
	san=; case "$INSPECT_BUILD" in *sanitize) san=1 ;; esac
	make -C "$SRCDIR" --no-print-directory install SANITIZE=$san DESTDIR="$TMP/root" PREFIX=/opt/x >/dev/null &&
	test -x "$TMP/root/opt/x/bin/inspect" && test -f "$TMP/root/opt/x/share/man/man1/inspect.1" &&
	test -f "$TMP/root/opt/x/share/bash-completion/completions/inspect"
'

# complete WORD...: what the installed bash completion offers for the
# last word of "inspect WORD...", one per line
complete_words() {
	bash --norc --noprofile -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_inspect; [ ${#COMPREPLY[@]} = 0 ] || printf "%s\n" "${COMPREPLY[@]}"' \
		complete "$TMP/root/opt/x/share/bash-completion/completions/inspect" "$INSPECT" "$@"
}

test_expect_success 'bash completion: the commands, each command'"'"'s own options, option values' '
	complete_words "" >c1 && test "$(sort c1 | paste -sd" " -)" = "count list stack top" &&
	complete_words "st" >c2 && test "$(cat c2)" = stack &&
	complete_words stack --fo >c3 && test "$(cat c3)" = --folded &&
	complete_words count --d >c4 && test "$(cat c4)" = --deadlocks &&
	complete_words stack --color "" >c5 && test "$(paste -sd" " - <c5)" = "auto always never" &&
	complete_words count --by s >c6 && test "$(cat c6)" = status &&
	complete_words stack --max-depth "" >c7 && test ! -s c7
'

test_expect_success 'bash completion: PIDs with their command names; a name completes to its PID' '
	start_fixture states || return 1
	complete_words stack "$FIXTURE_PID" >p1 && grep -qx "$FIXTURE_PID" p1 &&
	complete_words stack "" >p2 && grep -qx "$FIXTURE_PID (states)" p2 &&
	test "$(wc -l <p2)" -gt 1 &&
	# the fixture PID alone, or listed with every other "states"
	complete_words top states >p3 && cat p3 && grep -qxE "$FIXTURE_PID( \(states\))?" p3 &&
	! grep -vqE "^[0-9]+( \(states\))?$" p3 &&
	complete_words stack --tid "" "$FIXTURE_PID" >/dev/null &&
	complete_words stack "$FIXTURE_PID" --tid "" >p4 &&
	test "$(wc -l <p4)" = "$(ls /proc/$FIXTURE_PID/task | wc -l)"
'

test_done
