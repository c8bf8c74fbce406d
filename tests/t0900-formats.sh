#!/bin/bash
# t0900-formats: the dump in the forms other tools read: collapsed stacks
# (--folded, as flamegraph.pl and inferno parse them) and pprof profiles
# (--pprof, read by `go tool pprof` itself).
. "$(dirname "$0")/lib.sh"

SRC="$SRCDIR/tests/fixtures/inlined.c"
# the newest Go toolchain here, for its pprof; and a Go fixture
GO=$(ls -d /usr/lib/go-1.*/bin/go 2>/dev/null | sort -V | tail -n 1)
GOLEAK=$(ls "$BUILD"/go/goleak-1.*-s 2>/dev/null | sort -V | tail -n 1)
# the perf maps the tests write (in /tmp, where runtimes write them)
PERFMAPS=""
trap 'cleanup; rm -f $PERFMAPS' EXIT

# folded_ok FILE: every line is "STACK COUNT" as flamegraph.pl splits it
# (the last run of spaces before a number), with no empty frame; prints
# the sum of the counts
folded_ok() {
	awk '{ if (!match($0, / [0-9]+$/) || substr($0, 1, RSTART - 1) ~ /(^;|;;|;$)/) bad = NR
	       n += substr($0, RSTART + 1) }
	     END { if (bad || !NR) { print "bad line " bad > "/dev/stderr"; exit 1 } print n }' "$1"
}

test_expect_success '--folded: one line per stack, outermost first, the counts add up to the threads' '
	start_fixture states || return 1
	# exit 1: its recursing thread is deeper than --max-depth, and said so
	expect_status 1 "$INSPECT" stack --folded $FIXTURE_PID >f.out && cat f.out &&
	sum=$(folded_ok f.out) && test "$sum" = "$(ls /proc/$FIXTURE_PID/task | wc -l)" &&
	expect_grep "^(__clone3|clone);start_thread;pool_worker;.*pthread_cond_wait[^;]*;.* 3$" f.out &&
	expect_grep "^_start;__libc_start_main.*;main;" f.out &&
	test "$(cut -d" " -f1 f.out | sort | uniq -d | wc -l)" = 0
'

test_expect_success '--folded: inline rows are frames of their own, as the dump names them' '
	start_fixture inlined || return 1
	"$INSPECT" stack --folded $FIXTURE_PID >fi.out && folded_ok fi.out >/dev/null &&
	expect_grep ";outer_loop;middle_step \(inlined\);leaf_wait \(inlined\);" fi.out
'

if [ -n "$GOLEAK" ]; then
test_expect_success '--folded on a Go program: the goroutines as Go shows them, then the threads' '
	READY="$TMP/ready.goleak" &&
	start_program "$READY" "$TMP/goleak.log" "$GOLEAK" "$READY" &&
	gpid=$PROGRAM_PID &&
	"$INSPECT" stack --folded $gpid >fg.out && folded_ok fg.out >/dev/null &&
	"$INSPECT" count $gpid >count.out && cat count.out &&
	g=$(grep -v "^\[thread\];" fg.out | awk "{ n += \$NF } END { print n }") &&
	t=$(grep "^\[thread\];" fg.out | awk "{ n += \$NF } END { print n }") &&
	echo "goroutines $g threads $t" &&
	grep -qx "goroutines $g" count.out && test "$t" = "$(ls /proc/$gpid/task | wc -l)" &&
	expect_grep "^main.main.gowrap1;main.logsContainer;main.writeLogStream 50$" fg.out &&
	expect_no_grep "^[^[].*runtime.gopark" fg.out
'
else
	test_skip "--folded on a Go program" "no Go toolchain here"
fi

if [ -n "$GO" ]; then
test_expect_success '--pprof: go tool pprof reads it; a sample per thread with its labels' '
	"$INSPECT" stack --pprof p.pb.gz $FIXTURE_PID >p.stdout && test ! -s p.stdout &&
	test -s p.pb.gz &&
	test "$(head -c 2 p.pb.gz | od -An -tx1 | tr -d " ")" = 1f8b &&
	"$GO" tool pprof -top p.pb.gz >top.out 2>&1 && cat top.out &&
	n=$(ls /proc/$FIXTURE_PID/task | wc -l) &&
	expect_grep "^Type: threads$" top.out &&
	expect_grep "accounting for $n, 100% of $n total" top.out &&
	"$GO" tool pprof -raw p.pb.gz >raw.out 2>&1 &&
	expect_grep "thread:\[inliner\]" raw.out && expect_grep "wait:\[read\]" raw.out &&
	expect_grep "tid:\[[0-9]+\]" raw.out
'

test_expect_success '--pprof: functions with their files and lines, inline frames as pprof marks them' '
	"$GO" tool pprof -traces p.pb.gz >traces.out 2>&1 &&
	expect_grep "leaf_wait \(inline\)" traces.out && expect_grep "middle_step \(inline\)" traces.out &&
	"$GO" tool pprof -lines -top p.pb.gz >lines.out 2>&1 &&
	expect_grep " leaf_wait (.*/)?inlined.c:$(line_of "if (read(fd" "$SRC") \(inline\)$" lines.out &&
	expect_grep " outer_loop (.*/)?inlined.c:$(line_of "		middle_step(fd);" "$SRC")$" lines.out
'

if [ -n "$GOLEAK" ]; then
test_expect_success '--pprof on a Go program: goroutines by default, threads as the second type' '
	"$INSPECT" stack --pprof g.pb.gz $gpid &&
	g=$(sed -n "s/^goroutines //p" count.out) && t=$(ls /proc/$gpid/task | wc -l) &&
	"$GO" tool pprof -top g.pb.gz >gtop.out 2>&1 && cat gtop.out &&
	expect_grep "^Type: goroutines$" gtop.out &&
	expect_grep "accounting for $g, 100% of $g total" gtop.out &&
	expect_grep " main.logsContainer$" gtop.out &&
	"$GO" tool pprof -sample_index=threads -top g.pb.gz >gt.out 2>&1 &&
	expect_grep "accounting for $t, 100% of $t total" gt.out &&
	"$GO" tool pprof -raw g.pb.gz >graw.out 2>&1 &&
	expect_grep "wait:\[chan receive\]" graw.out && expect_grep "goroutine:\[1\]" graw.out
'
fi
else
	test_skip "--pprof read by go tool pprof" "no Go toolchain here"
fi

test_expect_success '--pprof to a file that cannot be written: exit 73 before the target is touched' '
	expect_status 73 "$INSPECT" stack --pprof /nonexistent/dir/p.pb.gz $FIXTURE_PID 2>err &&
	expect_grep "cannot write ./nonexistent/dir/p.pb.gz.: No such file or directory" err &&
	check_healthy $FIXTURE_PID
'

test_expect_success '--pprof of a process that is not there: exit 3, no file left behind' '
	expect_status 3 "$INSPECT" stack --pprof gone.pb.gz 999999999 2>err && test ! -e gone.pb.gz
'

test_expect_success 'one output form at a time: --folded with --json is a usage error' '
	expect_status 64 "$INSPECT" stack --folded --json $FIXTURE_PID 2>err &&
	expect_grep "give one" err
'

# jit_stub PID THREAD: where the generated code of the jit fixture's
# THREAD begins (each stub has a page of its own; its frame's PC is the
# return address of its call)
jit_stub() {
	"$INSPECT" stack "$1" | awk "/^  $2 /,/^\$/" | grep -o "?? 0x[0-9a-f]*" | head -n 1 |
		cut -d" " -f2 | { read -r pc && printf "%x\n" $((pc & ~0xfff)); }
}

test_expect_success 'JIT frames: named from /tmp/perf-PID.map, marked [jit], and jit in JSON' '
	start_fixture jit || return 1
	fp=$(jit_stub $FIXTURE_PID jit-fp) && test -n "$fp" &&
	map=/tmp/perf-$FIXTURE_PID.map && PERFMAPS="$map" &&
	printf "%s 40 JS:*fpStub /app/jit.js:1\n" "$fp" >"$map" &&
	"$INSPECT" stack $FIXTURE_PID >j.out && awk "/^  jit-fp /,/^$/" j.out >fp.out && cat fp.out &&
	expect_grep "#4 +JS:\*fpStub /app/jit.js:1\+0x10  \[jit\]$" fp.out &&
	expect_grep "#5 +jit_caller\+0x" fp.out &&
	awk "/^  jit-nofp /,/^$/" j.out >nofp.out && expect_grep "\[anon\]\+0x" nofp.out &&
	"$INSPECT" stack --json $FIXTURE_PID >j.json &&
	json_check j.json "[(f[\"function\"], f[\"module\"], f[\"function_offset\"]) for t in j[\"threads\"] if t[\"name\"] == \"jit-fp\" for f in t[\"frames\"] if f.get(\"jit\")] == [(\"JS:*fpStub /app/jit.js:1\", None, 16)]" &&
	"$INSPECT" stack --folded $FIXTURE_PID | grep -q ";jit_caller;JS:\*fpStub /app/jit.js:1;park;"
'

test_expect_success 'JIT frames: a later line for the same code wins; bad lines are skipped' '
	{ printf "zz 40 bad\n%s 0 empty\n%s\n" "$fp" "$fp" &&
	  printf "%s 40 JS:old\n%s 40 JS:new\n" "$fp" "$fp"; } >"$map" &&
	"$INSPECT" stack $FIXTURE_PID | awk "/^  jit-fp /,/^$/" >fp2.out &&
	expect_grep "#4 +JS:new\+0x10  \[jit\]$" fp2.out
'

test_expect_success 'JIT frames: a perf map that is a symlink, or another user'"'"'s, is not read' '
	printf "%s 40 JS:*fpStub\n" "$fp" >"$TMP/elsewhere.map" && rm -f "$map" &&
	ln -s "$TMP/elsewhere.map" "$map" &&
	"$INSPECT" stack $FIXTURE_PID >s.out && expect_no_grep "fpStub" s.out &&
	rm -f "$map" && cp "$TMP/elsewhere.map" "$map" && chown nobody "$map" &&
	"$INSPECT" stack $FIXTURE_PID >o.out && expect_no_grep "fpStub" o.out &&
	chown root "$map" && "$INSPECT" stack $FIXTURE_PID >r.out && expect_grep "fpStub" r.out &&
	rm -f "$map" && check_healthy $FIXTURE_PID
'

if command -v node >/dev/null; then
test_expect_success 'node --perf-basic-prof: its JavaScript frames by name' '
	cat >spin.js <<-EOS
	function spinForever() { let x = 0; for (;;) { x = (x + 1) | 0; } }
	setTimeout(spinForever, 10);
	EOS
	node --perf-basic-prof spin.js &
	npid=$! && PIDS="$PIDS $npid" && PERFMAPS="$PERFMAPS /tmp/perf-$npid.map" &&
	for i in $(seq 1 50); do grep -q spinForever /tmp/perf-$npid.map 2>/dev/null && break; sleep 0.1; done &&
	"$INSPECT" stack $npid >n.out; cat n.out | head -n 20 &&
	expect_grep "#0 +JS:\*?spinForever .*spin.js:1.*\[jit\]$" n.out &&
	expect_grep "Builtins_JSEntry" n.out
'
else
	test_skip "node --perf-basic-prof" "no node here"
fi

test_done
