#!/bin/bash
# t0040-corrupt-stacks: stacks that would hang or crash a careless
# unwinder give bounded output, a marked stop and a partial status.
. "$(dirname "$0")/lib.sh"

test_expect_success 'corrupt stacks: partial result (exit 1), no hang, no crash' '
	start_fixture corrupt || return 1
	expect_status 1 timeout 30 "$INSPECT" stack $FIXTURE_PID >out
'

test_expect_success 'a frame-pointer loop ends with a reason' '
	grep -A3 "^  fploop \[" out >fp && expect_grep "fp_loop_pause" fp &&
	expect_grep "unwind stopped: no unwind information at 0x[0-9a-f]+ and the frame-pointer chain ends there" fp
'

test_expect_success 'a garbage stack pointer ends with a reason' '
	grep -A3 "^  badsp \[" out >bad && expect_grep "bad_sp_pause" bad && expect_grep "unwind stopped:" bad
'

test_expect_success 'a handler on a sigaltstack unwinds through the signal frame' '
	grep -A8 "^  altstack \[" out >alt &&
	sed -n "s/^  #[0-9]* *\([^ +]*\).*/\1/p" alt | paste -sd" " - >order &&
	grep -E "^pause on_usr1 __restore_rt .*altstack_thread start_thread __clone3$" order
'

test_expect_success 'a 100,000-deep recursion stops at the depth limit' '
	grep -A6 "^  deep \[" out >deep && expect_grep "unwind stopped: depth limit of 256 frames reached" deep
'

test_expect_success '--max-depth bounds every thread, in JSON too' '
	"$INSPECT" stack --json --max-depth 1000 $FIXTURE_PID >j.json; test $? = 1 &&
	json_check j.json "max(len(t[\"frames\"]) for t in j[\"threads\"]) <= 1000
and [t for t in j[\"threads\"] if t[\"name\"] == \"deep\"][0][\"unwind_stop\"] == \"depth limit of 1000 frames reached\""
'

test_expect_success 'the target survives all of it' '
	check_healthy $FIXTURE_PID
'

test_done
