#!/bin/bash
# t0020-symbols: inline frames, C++ demangling, --raw.
. "$(dirname "$0")/lib.sh"

SRC="$SRCDIR/tests/fixtures/inlined.c"

test_expect_success 'inlined calls show as their own rows, marked inlined, with call sites' '
	start_fixture inlined &&
	"$INSPECT" stack $FIXTURE_PID >out &&
	expect_grep "^  #[0-9]+ +leaf_wait \(inlined\)  inlined  inlined.c:$(line_of "if (read(fd" "$SRC")$" out &&
	expect_grep "^  #[0-9]+ +middle_step \(inlined\)  inlined  inlined.c:$(line_of "	leaf_wait(fd);" "$SRC")$" out &&
	expect_grep "^  #[0-9]+ +outer_loop\+0x[0-9a-f]+  inlined  inlined.c:$(line_of "		middle_step(fd);" "$SRC")$" out
'

test_expect_success 'inline rows come innermost first, then the real frame' '
	grep -E "leaf_wait|middle_step|outer_loop" out | sed "s/^  #[0-9]* *//; s/ .*//" | paste -sd" " - >order &&
	test "$(cat order)" = "leaf_wait middle_step outer_loop+0x$(grep -o "outer_loop+0x[0-9a-f]*" out | head -n 1 | cut -dx -f2)"
'

test_expect_success 'JSON marks inline frames and keeps one PC for the chain' '
	"$INSPECT" stack --json $FIXTURE_PID >j.json &&
	json_check j.json "
[(f[\"function\"], f[\"inline\"]) for t in j[\"threads\"] if t[\"name\"] == \"inliner\" for f in t[\"frames\"] if f[\"module\"] == \"inlined\"][:3] == [(\"leaf_wait\", True), (\"middle_step\", True), (\"outer_loop\", False)]
and len(set(f[\"pc\"] for t in j[\"threads\"] if t[\"name\"] == \"inliner\" for f in t[\"frames\"] if f[\"function\"] in (\"leaf_wait\", \"middle_step\", \"outer_loop\"))) == 1"
'

test_expect_success 'same functions as eu-stack -i for the inlined thread' '
	tid=$(grep -l inliner /proc/$FIXTURE_PID/task/*/comm | cut -d/ -f5) &&
	eu-stack -i -p $FIXTURE_PID 2>/dev/null | sed -n "/^TID $tid:/,/^TID/p" | grep "^#" |
		awk "{print \$3}" | grep -E "leaf_wait|middle_step|outer_loop|run|start_thread" >eu &&
	"$INSPECT" stack --tid $tid --raw $FIXTURE_PID | grep "^  #" | awk "{print \$2}" | sed "s/+0x.*//" |
		grep -E "leaf_wait|middle_step|outer_loop|run|start_thread" >ours &&
	diff eu ours
'

test_expect_success 'C++ names are demangled: namespaces, templates, lambdas' '
	start_fixture cxx &&
	"$INSPECT" stack $FIXTURE_PID >out &&
	expect_grep "^1 thread: condition wait" out &&
	expect_grep "  app::Queue<int>::pop\(\)\+0x" out &&
	expect_grep "  app::Server::serve\(\)\+0x" out &&
	expect_grep "  main::\{lambda\(\)#1\}::operator\(\)\(\) const\+0x" out &&
	expect_grep "  void app::nap<long>\(long\)\+0x" out &&
	expect_grep "std::condition_variable::wait<" out
'

test_expect_success 'the C++ frames come in call order' '
	grep -E "^  #[0-9]+ +(app::Queue<int>::pop|app::Server::serve|main::\{lambda\(\)#1\}::operator)" out | head -n 3 |
		sed "s/^  #[0-9]* *//" | cut -c1-12 | paste -sd"|" - >order &&
	test "$(cat order)" = "app::Queue<i|app::Server:|main::{lambd"
'

test_expect_success '--raw keeps mangled names' '
	"$INSPECT" stack --raw $FIXTURE_PID >raw &&
	expect_grep "_ZN3app5QueueIiE3popEv" raw && expect_no_grep "app::Queue<int>::pop" raw
'

# The symbol rows of PCs with source lines are kept by build ID
# (<build-id>.syms in the cache directory) and taken from there by the
# next run, but only for the same module file.
syms_dump() {	# PID [CACHE-DIR]: the dump without the header and blocked times
	INSPECT_CACHE_DIR=${2-$TMP/symcache} "$INSPECT" stack "$1" | sed "1d; s/, blocked .*//"
}
sc=$TMP/symcache
test_expect_success 'symbol rows kept by build ID: a second run takes them from the cache, the same dump' '
	start_fixture inlined || return 1
	syms_dump $FIXTURE_PID >first &&
	id=$(readelf -n "$FIX/inlined" | sed -n "s/.*Build ID: *//p") &&
	test -s $sc/$id.syms &&
	expect_grep "=leaf_wait	=.*inlined.c$" $sc/$id.syms &&
	syms_dump $FIXTURE_PID >second && diff first second &&
	# what the next run shows comes from the file
	sed -i "s/=leaf_wait	/=leaf_from_cache	/" $sc/$id.syms &&
	syms_dump $FIXTURE_PID >third && expect_grep "leaf_from_cache \(inlined\)" third
'

test_expect_success 'the cache is not used for another file of the same build ID, nor when malformed' '
	mkdir -p $TMP/copy && cp "$FIX/inlined" $TMP/copy/inlined &&
	start_program $TMP/copy/ready $TMP/copy/log $TMP/copy/inlined $TMP/copy/ready || return 1
	syms_dump $PROGRAM_PID >copied &&
	expect_no_grep "leaf_from_cache" copied && expect_grep "leaf_wait \(inlined\)" copied &&
	expect_no_grep "leaf_from_cache" $sc/$id.syms &&
	printf "inspect-syms 1 garbage\nr1x\n\001\n" >$sc/$id.syms &&
	syms_dump $FIXTURE_PID >garbled && diff first garbled &&
	head -n 1 $sc/$id.syms >torn && printf "r12\t1\n0\tzz\n" >>torn && cp torn $sc/$id.syms &&
	syms_dump $FIXTURE_PID >torn.out && diff first torn.out &&
	rm -f $sc/$id.syms && echo keep >$TMP/elsewhere && ln -s $TMP/elsewhere $sc/$id.syms &&
	syms_dump $FIXTURE_PID >linked && diff first linked &&
	test "$(cat $TMP/elsewhere)" = keep && rm -f $sc/$id.syms &&
	syms_dump $FIXTURE_PID "" >off && diff first off && test ! -e $sc/$id.syms
'

test_expect_success 'the demangler knows Rust legacy and v0 names (unit)' '
	"$BUILD/unit/test_demangle"
'

test_done
