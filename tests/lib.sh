# lib.sh - the test harness, sourced by every tests/tNNNN-*.sh.
#
#   test_expect_success 'what a user would check' '
#       commands; the last status decides
#   '
#   start_fixture states            # sets FIXTURE_PID (and FIXTURE_PORT)
#   check_healthy $FIXTURE_PID      # no thread left stopped or traced
#   test_done
#
# Output is TAP-like ("ok N - title", "not ok N - title" with the
# command's output); the last line is "# passed N failed M", which
# tests/run.sh adds up.  Every fixture started here is killed by PID
# when the script exits.
set -u
TEST_NAME=$(basename "$0" .sh)
: "${INSPECT_BUILD:=build/default}"
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$SRCDIR/$INSPECT_BUILD"
INSPECT="$SRCDIR/inspect"
FIX="$BUILD/fixtures"
TMP=$(mktemp -d "/tmp/inspect-$TEST_NAME.XXXXXX")
PIDS=""
n_pass=0
n_fail=0
n_test=0
_tmux_up=""

cleanup() {
	[ -n "$_tmux_up" ] && tmux kill-server 2>/dev/null
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
# the cache of uncompressed debug files (see man inspect, FILES) of a
# test run stays in its own directory
export INSPECT_CACHE_DIR="$TMP/cache"
trap 'exit 130' INT TERM
cd "$TMP" || exit 1

say() { printf '%s\n' "$*"; }

# bodies run in this shell (so a fixture started in one test is there
# for the next), inside a function (so `return 1` fails the test)
run_body() {
	eval "$1"
}

test_expect_success() {
	n_test=$((n_test + 1))
	if run_body "$2" >"$TMP/out.$n_test" 2>&1; then
		n_pass=$((n_pass + 1))
		say "ok $n_test - $1"
	else
		n_fail=$((n_fail + 1))
		say "not ok $n_test - $1"
		sed 's/^/#   /' "$TMP/out.$n_test" | tail -n 60
	fi
}

test_skip() {
	n_test=$((n_test + 1))
	say "ok $n_test - # skip $1 ($2)"
}

test_done() {
	say "# passed $n_pass failed $n_fail"
	[ "$n_fail" = 0 ]
}

# line_of PATTERN [FILE]: the number of the first line of FILE (default
# $SRC) that holds PATTERN, as the source lines in a dump should say
line_of() { grep -n -- "$1" "${2:-$SRC}" | head -n 1 | cut -d: -f1; }

# wait_ready FILE: until a program wrote its ready file (10 s)
wait_ready() {
	for _wr in $(seq 1 200); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	say "# $1 never got written: the program did not get ready"
	return 1
}

# start_program READYFILE LOG CMD...: start CMD in the background (killed
# at the end of the test file), its output to LOG, and wait until it
# wrote READYFILE; its PID in PROGRAM_PID.
start_program() {
	_ready=$1
	_log=$2
	shift 2
	"$@" >"$_log" 2>&1 &
	PROGRAM_PID=$!
	PIDS="$PIDS $PROGRAM_PID"
	wait_ready "$_ready" || { cat "$_log"; return 1; }
}

# start_fixture NAME [ARGS...]: start a fixture that writes "PID [PORT]"
# to its ready file once every thread is in place.
start_fixture() {
	name=$1
	shift
	ready="$TMP/ready.$name.$$.$RANDOM"
	start_program "$ready" "$TMP/$name.log" "$FIX/$name" "$ready" "$@" || return 1
	FIXTURE_PID=$PROGRAM_PID
	eval "READY_$FIXTURE_PID=\$ready"
	FIXTURE_PORT=$(cut -d' ' -f2 "$ready")
	return 0
}

# wait_thread_state PID NAME STATE: until PID's thread named NAME is in
# STATE (a letter of its stat), 5 s at most; its TID in THREAD_TID
wait_thread_state() {
	THREAD_TID=$(grep -lx "$2" /proc/$1/task/*/comm 2>/dev/null | cut -d/ -f5 | head -n 1)
	[ -n "$THREAD_TID" ] || { say "# process $1 has no thread named $2"; return 1; }
	for _wt in $(seq 1 100); do
		[ "$(sed 's/.*) \(.\).*/\1/' /proc/$1/task/$THREAD_TID/stat 2>/dev/null)" = "$3" ] &&
			return 0
		sleep 0.05
	done
	say "# thread $2 of process $1 never in state $3"
	return 1
}

# thread_states PID: the state letter of every thread
thread_states() {
	for s in /proc/$1/task/*/stat; do
		sed 's/.*) \(.\).*/\1/' "$s" 2>/dev/null
	done
}

# check_healthy PID [ALLOWED]: every thread's state is in R/S/D (plus
# ALLOWED letters) and no thread is traced.  A thread that inspect left
# stopped or traced stays so; a thread of a process that execs or
# churns may be a zombie for a moment on its way out.  So a bad reading
# must persist: up to 10 readings 50 ms apart, healthy at the first
# clean one.
check_healthy() {
	_ch_try=0
	while :; do
		_ch_bad=$(unhealthy_reason "$1" "${2:-}") || return 0
		_ch_try=$((_ch_try + 1))
		if [ $_ch_try -ge 10 ]; then
			say "$_ch_bad (in 10 readings over 0.5 s)"
			return 1
		fi
		sleep 0.05
	done
}

# wait_held PID [some]: until every thread of PID (with "some": one of
# them, as where sleepers are read asleep) is in tracing stop (t), for
# tests that act while inspect holds them (INSPECT_TEST_HOLD_MS); 3 s
wait_held() {
	for _wh in $(seq 1 150); do
		if test "${2:-}" = some; then
			thread_states "$1" | grep -q t && return 0
		else
			test "$(thread_states "$1" | sort -u)" = t && return 0
		fi
		sleep 0.02
	done
	say "the threads of $1 were never ${2:-all} held: $(thread_states "$1" | sort | uniq -c | tr -s ' \n' ' ')"
	return 1
}

# states_counts PID: ask the states fixture PID for its signal counts
# ("usr1 N rt N eintr N"), waiting for its answer (5 s)
states_counts() {
	eval "_sc=\$READY_$1.counts"
	: >"$_sc"
	kill -WINCH "$1"
	for _i in $(seq 1 250); do
		grep -q eintr "$_sc" && { cat "$_sc"; return 0; }
		sleep 0.02
	done
	say "the states fixture $1 never answered for its counts"
	return 1
}

# unhealthy_reason PID [ALLOWED]: print why PID is unhealthy now and
# succeed, or fail when it is healthy
unhealthy_reason() {
	allowed="RSD${2:-}"
	for st in $(thread_states "$1"); do
		case "$allowed" in
		*"$st"*) ;;
		*) say "thread of $1 in state $st"; return 0 ;;
		esac
	done
	for s in /proc/$1/task/*/status; do
		tp=$(awk '/^TracerPid:/ { print $2 }' "$s" 2>/dev/null)
		if [ -n "$tp" ] && [ "$tp" != 0 ]; then
			say "$s: TracerPid $tp"
			return 0
		fi
	done
	return 1
}

# tmux: a server of this test's own, on its own socket, started once by
# a command line no `pkill -f` in a test matches, and kept alive between
# sessions (exit-empty off): a client that connects while the server of a
# just-killed last session is exiting fails with "server exited
# unexpectedly"
tmux() {
	if [ -z "$_tmux_up" ]; then
		command tmux -L "inspect-test-$$" -f /dev/null start-server \; set-option -g exit-empty off || return
		_tmux_up=1
	fi
	command tmux -L "inspect-test-$$" -f /dev/null "$@"
}

# screen, wait_screen REGEX: the tmux session $S's screen as text; wait
# until it shows REGEX (10 s), else print it and fail
screen() { tmux capture-pane -p -t "$S"; }
wait_screen() {
	for _ws in $(seq 1 100); do screen | grep -E -q -- "$1" && return 0; sleep 0.1; done
	screen; echo "screen never showed /$1/"; return 1
}

# expect_status N CMD...: run CMD, fail unless it exits with N
expect_status() {
	want=$1
	shift
	"$@"
	got=$?
	if [ "$got" != "$want" ]; then
		say "expected exit status $want from '$*', got $got"
		return 1
	fi
	return 0
}

# tid_ranges: "1,2,3,5" on stdin -> "1-3,5", as inspect prints TIDs
tid_ranges() {
	tr , '\n' | awk 'NR == 1 { s = p = $1; next }
		$1 == p + 1 { p = $1; next }
		{ out = out (out ? "," : "") (s == p ? s : s "-" p); s = p = $1 }
		END { out = out (out ? "," : "") (s == p ? s : s "-" p); print out }'
}

# grep with a message on failure
expect_grep() {
	if ! grep -E -q -- "$1" "$2"; then
		sed 's/^/  | /' "$2" | head -n 40
		say "expected /$1/ in $2 (shown above)"
		return 1
	fi
}

expect_no_grep() {
	if grep -E -q -- "$1" "$2"; then
		say "did not expect /$1/ in $2:"
		grep -E -- "$1" "$2" | head -n 20
		return 1
	fi
}

# json_check FILE PYTHON-EXPR: evaluate an assertion over the parsed JSON
# (bound to j); prints the expression's value when it is false.
json_check() {
	python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
ok = eval("(" + sys.argv[2] + "\n)")
if not ok:
    print("JSON check failed:", sys.argv[2])
    sys.exit(1)
PY
}

# bpf_offered: whether this kernel gives the BPF task iterator: root, its
# BTF, and 6.1 or later (the per-process iterator)
bpf_offered() {
	[ "$(id -u)" = 0 ] && [ -r /sys/kernel/btf/vmlinux ] &&
		python3 -c 'import os,sys; v=[int(x) for x in os.uname().release.split(".")[:2]]; sys.exit(v < [6, 1])'
}

# same_stacks A.json B.json: every blocked thread has the same frames
# (function, file, line) in both (a running one moves on between them)
same_stacks() {
	python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
def frames(j):
    return {t["tid"]: [(f.get("function"), f.get("file"), f.get("line")) for f in t["frames"]]
            for t in j["threads"] if t["state"] != "R"}
fa, fb = frames(a), frames(b)
bad = [tid for tid in fa if tid in fb and fa[tid] != fb[tid]]
for tid in bad[:3]:
    print(tid, fa[tid], "against", fb.get(tid))
print(len(fa), "threads,", len(bad), "with other frames")
sys.exit(1 if bad or not fa else 0)
PY
}
