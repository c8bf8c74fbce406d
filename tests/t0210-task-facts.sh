#!/bin/bash
# t0210-task-facts: the threads' facts (name, state, CPU, when each
# blocked) read all at once by the kernel's task iterator (a BPF
# program, INSPECT_BPF=1, and by default from 256 threads on) say what
# their /proc files say (INSPECT_BPF=0), thread by thread; where the
# kernel does not let us load it (not root), the /proc files are read
# and nothing else changes.
. "$(dirname "$0")/lib.sh"

if ! bpf_offered; then
	test_skip "the task iterator and /proc agree" "it needs root, /sys/kernel/btf/vmlinux and Linux 6.1 or later"
	test_done
fi

# same A.json B.json: the same threads, each with the same name, state
# and wait, and a blocked time in both or in neither (within the time
# between the two runs, plus a second)
same() {
	python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
ta = {t["tid"]: t for t in a["threads"]}
tb = {t["tid"]: t for t in b["threads"]}
bad = []
if sorted(ta) != sorted(tb):
    bad.append("TIDs differ: %s" % sorted(set(ta) ^ set(tb)))
for tid in sorted(set(ta) & set(tb)):
    x, y = ta[tid], tb[tid]
    for k in ("name", "state"):
        if x[k] != y[k]:
            bad.append("%d %s: %r against %r" % (tid, k, x[k], y[k]))
    if x["wait"]["kind"] != y["wait"]["kind"]:
        bad.append("%d wait: %r against %r" % (tid, x["wait"]["kind"], y["wait"]["kind"]))
    bx, by = x["wait"].get("blocked_ms"), y["wait"].get("blocked_ms")
    if (bx is None) != (by is None) or (bx is not None and abs(bx - by) > 3000):
        bad.append("%d blocked_ms: %r against %r" % (tid, bx, by))
print("\n".join(bad[:10]))
print(len(ta), "threads,", len(bad), "differences")
sys.exit(1 if bad else 0)
PY
}

test_expect_success 'the states fixture: the task iterator and /proc give the same threads, states, waits and blocked times' '
	start_fixture states &&
	sleep 1.2 &&
	INSPECT_BPF=1 "$INSPECT" stack --json --stats $FIXTURE_PID >bpf.json 2>bpf.err
	INSPECT_BPF=0 "$INSPECT" stack --json --stats $FIXTURE_PID >proc.json 2>proc.err
	expect_grep "facts from the kernel.s task iterator \(BPF\)" bpf.err &&
	expect_grep "facts from their /proc files" proc.err &&
	same bpf.json proc.json &&
	json_check bpf.json "[t for t in j[\"threads\"] if t[\"name\"] == \"sleeper\"][0][\"wait\"][\"blocked_ms\"] >= 1000
and [t for t in j[\"threads\"] if t[\"name\"] == \"spinner\"][0][\"state\"] == \"R\"" &&
	check_healthy $FIXTURE_PID
'

test_expect_success 'a pool of 300 threads: the iterator by default, every worker named as /proc names it' '
	start_fixture pool 300 busy &&
	"$INSPECT" stack --json --stats $FIXTURE_PID >bpf.json 2>bpf.err &&
	INSPECT_BPF=0 "$INSPECT" stack --json $FIXTURE_PID >proc.json &&
	expect_grep "facts from the kernel.s task iterator \(BPF\)" bpf.err &&
	same bpf.json proc.json &&
	json_check bpf.json "sorted(t[\"name\"] for t in j[\"threads\"] if t[\"name\"].startswith(\"worker-\")) == sorted(\"worker-%d\" % i for i in range(1, 301))" &&
	check_healthy $FIXTURE_PID
'

test_expect_success 'a thread in uninterruptible sleep reads as D, with its wait channel, from the iterator too' '
	start_fixture dstate && wait_thread_state $FIXTURE_PID vforker D &&
	INSPECT_BPF=1 "$INSPECT" stack --json --stats $FIXTURE_PID >j.json 2>err
	expect_grep "task iterator" err &&
	json_check j.json "[t for t in j[\"threads\"] if t[\"name\"] == \"vforker\"][0][\"state\"] == \"D\"
and [t for t in j[\"threads\"] if t[\"name\"] == \"vforker\"][0][\"no_stack\"].startswith(\"in uninterruptible sleep\")" &&
	sleep 0.1 && check_healthy $FIXTURE_PID
'

test_expect_success 'a pool of 300, every thread stopped: registers from the iterator, each stack copy ends at the first frame, and every stack is the one GETREGSET and the whole copy give' '
	start_fixture pool 300 busy &&
	"$INSPECT" stack --stop-all --json --stats $FIXTURE_PID >cut.json 2>cut.err &&
	INSPECT_BPF=0 "$INSPECT" stack --json --stats $FIXTURE_PID >whole.json 2>whole.err &&
	expect_grep "3[0-9][0-9] ended at the first frame, 0 copied whole after the check" cut.err &&
	expect_grep "and the registers of 30[0-9] held threads" cut.err &&
	expect_grep " 0 ended at the first frame" whole.err &&
	same_stacks cut.json whole.json &&
	json_check cut.json "len([t for t in j[\"threads\"] if [f[\"function\"] for f in t[\"frames\"]][-3:] == [\"pool_worker\", \"start_thread\", \"__clone3\"]]) == 300" &&
	check_healthy $FIXTURE_PID
'

test_expect_success 'a thread laid out unlike libc'"'"'s (its thread pointer in its stack, its frames just below) is copied whole, all its frames there' '
	start_fixture pool 300 oddtls &&
	"$INSPECT" stack --json --stats $FIXTURE_PID >j.json 2>err &&
	expect_grep "300 ended at the first frame, 1 copied whole after the check" err &&
	json_check j.json "[f[\"function\"] for f in [t for t in j[\"threads\"] if t[\"name\"] == \"oddtls\"][0][\"frames\"]] == [\"odd_wait\", \"odd_worker\", \"__clone\"]" &&
	check_healthy $FIXTURE_PID
'

test_expect_success 'not root: the /proc files are read, with the same result' '
	u=$TMP/unpriv && mkdir -p $u && chmod 755 "$TMP" &&
	cp "$INSPECT" "$FIX/pool" $u/ && chown -R 65534:65534 $u &&
	start_program $u/ready $TMP/unpriv.log \
		setpriv --reuid=65534 --regid=65534 --clear-groups $u/pool $u/ready 300 || return 1
	npid=$PROGRAM_PID
	INSPECT_BPF=1 setpriv --reuid=65534 --regid=65534 --clear-groups $u/inspect stack --json --stats \
		$npid >user.json 2>user.err || { cat user.err; return 1; }
	"$INSPECT" stack --json $npid >root.json &&
	expect_grep "facts from their /proc files" user.err &&
	same user.json root.json && check_healthy $npid
'

test_expect_success 'INSPECT_BPF=0 keeps a large pool on /proc' '
	start_fixture pool 300 &&
	INSPECT_BPF=0 "$INSPECT" stack --stats $FIXTURE_PID >out 2>err &&
	expect_grep "facts from their /proc files" err &&
	expect_grep "^300 threads: condition wait" out
'

test_done
