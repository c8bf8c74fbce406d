#!/bin/bash
# t0700-go: Go programs: every goroutine, from outside.  The goleak
# fixture (tests/fixtures/goleak/main.go) built with each Go toolchain
# installed (Debian's 1.19, and 1.21-1.23 from bookworm-backports; see
# tests/go/toolchains.sh), plain, stripped and as a stripped PIE.  The
# oracle is the Go runtime itself: with GOTRACEBACK=all, SIGQUIT makes it
# print every goroutine, and each must be in inspect's view with the
# same goid, status, functions and creator (tests/go/compare-dump.py).
. "$(dirname "$0")/lib.sh"

GOFIX="$BUILD/go"

# start_go BINARY: the Go fixture, its stderr (Go's SIGQUIT dump) kept
start_go() {
	ready="$TMP/ready.go.$RANDOM"
	GOTRACEBACK=all "$1" "$ready" 2>"$TMP/go-stderr" &
	FIXTURE_PID=$!
	PIDS="$PIDS $FIXTURE_PID"
	wait_ready "$ready"
}

# quit_go: SIGQUIT, and wait until Go has printed its dump and exited
quit_go() {
	kill -QUIT $FIXTURE_PID
	for _q in $(seq 1 100); do
		kill -0 $FIXTURE_PID 2>/dev/null || break
		sleep 0.05
	done
	wait $FIXTURE_PID 2>/dev/null
	return 0
}

fixtures=$(ls "$GOFIX"/goleak-1.* 2>/dev/null)
if [ -z "$fixtures" ]; then
	test_skip "Go programs" "no Go toolchain here: run tests/go/toolchains.sh as root"
	test_done
	exit
fi

for bin in $fixtures; do
	b=$(basename "$bin")
	test_expect_success "$b: every goroutine of Go's own dump, the same goid, status, frames and creator" '
		start_go '"$bin"' &&
		"$INSPECT" stack --goroutines --system $FIXTURE_PID >ours.txt 2>err &&
		check_healthy $FIXTURE_PID &&
		quit_go &&
		python3 "$SRCDIR/tests/go/compare-dump.py" "$TMP/go-stderr" ours.txt >cmp.txt;
		st=$?; cat cmp.txt; cat err; test $st = 0 &&
		say "# '"$b"': $(tail -n 1 cmp.txt)"
	'
done

# the newest toolchain here, stripped: the grouped view
bin=$(ls "$GOFIX"/goleak-1.*-s | sort -V | tail -n 1)
test_expect_success "$(basename "$bin"): the grouped dump puts the goroutines first, grouped as pprof does" '
	start_go "'"$bin"'" &&
	"$INSPECT" stack $FIXTURE_PID >out 2>err &&
	expect_grep "^process $FIXTURE_PID \([^)]*\): go1\.[0-9]*\.[0-9]*, [0-9]* threads in [0-9]* groups, 62 goroutines in [0-9]* groups" out &&
	expect_grep "^50 goroutines: chan receive$" out &&
	grep -A 4 "^50 goroutines: chan receive" out | grep -q "main.writeLogStream" &&
	grep -A 5 "^50 goroutines: chan receive" out | grep -q "main.logsContainer" &&
	grep -A 7 "^50 goroutines: chan receive" out | grep -q "created by main.main" &&
	expect_grep "^3 goroutines: (sync.Mutex.Lock|semacquire)$" out &&
	expect_grep "^1 goroutine: select$" out &&
	expect_grep "^1 goroutine: sleep$" out &&
	expect_grep "^1 goroutine: syscall$" out &&
	grep -F -q "main.genericWait[...]" out &&
	! grep -q "??" out && ! grep -q "unwind stopped" out && check_healthy $FIXTURE_PID
'

test_expect_success "a healthy Go process exits 0; its threads end at Go's outermost frames" '
	"$INSPECT" stack --threads $FIXTURE_PID >out &&
	expect_grep "runtime\.(mstart|mcall|goexit|rt0_go)" out &&
	! grep -q "unwind stopped" out
'

test_expect_success "--system adds the runtime's goroutines that Go hides" '
	"$INSPECT" stack --system $FIXTURE_PID >out &&
	expect_grep "\([1-9][0-9]* system, shown\)" out &&
	"$INSPECT" stack --goroutines $FIXTURE_PID >a.txt && "$INSPECT" stack --goroutines --system $FIXTURE_PID >b.txt &&
	test $(grep -c "^goroutine " b.txt) -gt $(grep -c "^goroutine " a.txt)
'

test_expect_success "JSON: the go object, every goroutine and the groups" '
	"$INSPECT" stack --json $FIXTURE_PID >j.json &&
	json_check j.json '"'"'
j["go"]["version"].startswith("go1.") and j["go"]["module"] == "goleak"
and len([g for g in j["goroutines"] if not g["system"]]) == 62
and j["goroutine_groups"][0]["count"] == 50 and j["goroutine_groups"][0]["status"] == "chan receive"
and j["goroutine_groups"][0]["created_by"]["function"] == "main.main"
and j["goroutine_groups"][0]["created_by"]["line"] > 0
and any(f["function"] == "main.logsContainer" for f in j["goroutine_groups"][0]["frames"])
and [g for g in j["goroutines"] if g["goid"] == 1][0]["created_by"] is None
and sum(g["count"] for g in j["goroutine_groups"]) == 62'"'"'
'

test_expect_success "a Go release this inspect does not know: the threads, a clear line, exit 1" '
	python3 - "'"$bin"'" newer <<-PY &&
	import re, sys
	d = bytearray(open(sys.argv[1], "rb").read())
	# the release in .go.buildinfo, go1.N.M -> go1.99.M (same length)
	i = d.index(b"\xff Go buildinf:")
	j = d.index(b"go1.", i)
	k = j + 4
	while chr(d[k]).isdigit():
	    k += 1
	d[j + 4:k] = b"9" * (k - j - 4)
	open(sys.argv[2], "wb").write(bytes(d))
	PY
	chmod +x newer && start_go ./newer &&
	expect_status 1 "$INSPECT" stack $FIXTURE_PID >out 2>err &&
	expect_grep "^goroutines not shown: Go 1\.99 is newer than this inspect knows \(Go 1\.19 to 1\.27\)" out &&
	expect_grep "^[0-9]+ threads?:" out && ! grep -q " goroutines in " out &&
	check_healthy $FIXTURE_PID
'

test_expect_success "the process list marks Go programs with their release and module, stripped or not" '
	start_go "'"$bin"'" && leak=$FIXTURE_PID &&
	start_go "'"${bin%-s}"'" && plain=$FIXTURE_PID &&
	start_fixture states &&
	"$INSPECT" >out && "$INSPECT" list --go >go.out &&
	expect_grep "^ *$leak .*  \[go1\.[0-9]+\.[0-9]+ goleak\]$" out &&
	expect_grep "^ *$plain .*  \[go1\.[0-9]+\.[0-9]+ goleak\]$" out &&
	expect_grep "^ *$FIXTURE_PID " out && ! grep "^ *$FIXTURE_PID " out | grep -q "\[go" &&
	expect_grep "^ *$leak " go.out && ! grep -q "^ *$FIXTURE_PID " go.out
'

cgo=$(ls "$GOFIX"/gocgo-1.* 2>/dev/null | sort -V | tail -n 1)
# cgo's extra M has a dead g of its own, not on a free list but counted
# in sched.ngsys: the counters' total must still be the goroutines'
test_expect_success "a goroutine in a cgo call: its C frames, then its Go ones; the total as counted" '
	start_go "'"$cgo"'" &&
	"$INSPECT" stack $FIXTURE_PID >out &&
	grep -A 12 "^1 goroutine: syscall" out >g.txt && cat g.txt &&
	grep -q "c_blocking_read" g.txt && grep -q "c_wait" g.txt && grep -q "main.cWaiter" g.txt &&
	test $(grep -n c_wait g.txt | head -n 1 | cut -d: -f1) -lt $(grep -n main.cWaiter g.txt | head -n 1 | cut -d: -f1) &&
	"$INSPECT" count --json $FIXTURE_PID >count.json && cat count.json &&
	expect_grep "\"goroutines_from\": \"counters\"" count.json &&
	n1=$(sed -n "s/^ *\"goroutines\": \([0-9]*\),$/\1/p" count.json) &&
	n2=$("$INSPECT" count --match . $FIXTURE_PID | sed -n "s/^goroutines //p") &&
	test -n "$n1" && test "$n1" = "$n2"
'

test_expect_success "a process that is not Go: no go object, and --goroutines says so" '
	start_fixture states &&
	"$INSPECT" stack --json --max-depth 1000 $FIXTURE_PID >j.json &&
	json_check j.json '"'"'"go" in j and j["go"] is None and "goroutines" not in j'"'"' &&
	{ "$INSPECT" stack --goroutines $FIXTURE_PID >out 2>err; true; } &&
	expect_grep "is not a Go program" err
'
test_done
