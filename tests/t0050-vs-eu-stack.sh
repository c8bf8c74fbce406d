#!/bin/bash
# t0050-vs-eu-stack: on a pool of idle threads, the states fixture (dynamic
# and static) and generated (JIT) code, every thread shows the same
# functions as eu-stack shows for it.
. "$(dirname "$0")/lib.sh"

# compare FILE-EU FILE-OURS: per TID, the list of function names
compare() {
	python3 - "$1" "$2" <<'PY'
import json, re, sys
eu, tid = {}, None
for line in open(sys.argv[1]):
    m = re.match(r"TID (\d+):", line)
    if m:
        tid = int(m.group(1)); eu[tid] = []; continue
    m = re.match(r"#\d+\s+0x[0-9a-f]+\s*(\S*)", line)
    if m and tid is not None:
        eu[tid].append(m.group(1) or "??")
j = json.load(open(sys.argv[2]))
ours = {t["tid"]: [f["function"] or "??" for f in t["frames"] if not f["inline"]] for t in j["threads"]}
bad = [t for t in ours if ours[t] != eu.get(t)]
for t in bad[:3]:
    print("TID", t, "\n  eu-stack:", (eu.get(t) or [])[:12], "\n  inspect: ", ours[t][:12])
print(len(ours), "threads,", len(bad), "differ")
sys.exit(1 if bad or len(ours) != len(eu) else 0)
PY
}

test_expect_success 'a pool of 300 idle threads: the same functions as eu-stack, thread by thread' '
	start_fixture pool 300 || return 1
	eu-stack -r -n 0 -p $FIXTURE_PID >eu.txt 2>/dev/null
	"$INSPECT" stack --raw --json $FIXTURE_PID >ours.json &&
	compare eu.txt ours.json
'

# states-static: gcc links a -static binary without .eh_frame_hdr
for fx in states states-static; do
	test_expect_success "the $fx fixture: the same functions as eu-stack, thread by thread" '
		start_fixture $fx nospin || return 1
		eu-stack -r -n 0 -p $FIXTURE_PID >eu.txt 2>/dev/null
		"$INSPECT" stack --raw --json --max-depth 1000 $FIXTURE_PID >ours.json &&
		compare eu.txt ours.json
	'
done

test_expect_success 'generated code (JIT) without ELF or CFI: the same frames as eu-stack' '
	start_fixture jit || return 1
	eu-stack -r -n 0 -p $FIXTURE_PID >eu.txt 2>/dev/null
	"$INSPECT" stack --raw --json $FIXTURE_PID >ours.json &&
	compare eu.txt ours.json
'

test_done
