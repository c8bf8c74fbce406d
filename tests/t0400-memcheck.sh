#!/bin/bash
# t0400-memcheck: inspect under valgrind memcheck on the fixtures: no
# invalid read or write, no use of uninitialised memory, no leak.  (The
# ASan + UBSan build runs the whole suite; valgrind cannot run that
# build, so this file runs in the default build only.)
. "$(dirname "$0")/lib.sh"

# memcheck CMD...: run inspect CMD under valgrind; fail on any report
memcheck() {
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect "$INSPECT" "$@" >out 2>vg
	st=$?
	if [ $st = 99 ] || grep -q "^==[0-9]*==" vg; then
		echo "valgrind reports, running inspect $*:"
		cat vg
		return 1
	fi
	return 0
}

case "$INSPECT_BUILD" in
*sanitize*)
	test_skip "memcheck" "the ASan build cannot run under valgrind; the default build runs this"
	test_done
	exit
	;;
esac

test_expect_success 'inspect stack on the states fixture: text, --threads, JSON with kernel stacks' '
	start_fixture states nospin || return 1
	memcheck stack --max-depth 1000 $FIXTURE_PID && expect_grep "pool_worker" out &&
	memcheck stack --threads --max-depth 1000 $FIXTURE_PID &&
	memcheck stack --json --kernel --addresses --max-depth 1000 $FIXTURE_PID &&
	expect_grep "\"schema\"" out
'

test_expect_success 'inspect count, plain and with stacks' '
	memcheck count $FIXTURE_PID && expect_grep "^threads 14$" out &&
	memcheck count --by function --match pool_worker $FIXTURE_PID
'

test_expect_success 'inspect top --batch, two refreshes with a stack sample each' '
	memcheck top --batch --iterations 2 -d 0.2 --stack-interval 0.2 $FIXTURE_PID &&
	expect_grep "condition wait" out
'

test_expect_success 'C++ and inline frames' '
	start_fixture cxx || return 1
	memcheck stack $FIXTURE_PID && start_fixture inlined || return 1
	memcheck stack $FIXTURE_PID
'

test_expect_success 'corrupt stacks: a partial result, still clean' '
	start_fixture corrupt || return 1
	memcheck stack $FIXTURE_PID && test $st = 1 && expect_grep "unwind stopped" out
'

test_done
