#!/bin/bash
# t0910-debuginfod: stack --debuginfod against a real debuginfod server
# (Debian's) that the test starts on a port of its own and asks on
# loopback, serving a directory that holds the debug file of a program
# stripped of its own; a server that never answers, for the time limit.
. "$(dirname "$0")/lib.sh"

if ! command -v debuginfod >/dev/null || ! command -v objcopy >/dev/null; then
	test_skip "stack --debuginfod" "no debuginfod server here (Debian package debuginfod)"
	test_done
	exit
fi
SRC="$SRCDIR/tests/fixtures/inlined.c"
# below the ephemeral ports (32768 on), which a connection of anything
# on the machine may hold
PORT=$((12000 + $$ % 20000))
# the client's own cache, the test's alone
export XDG_CACHE_HOME="$TMP/xdg"

test_expect_success 'set-up: a program without its debug file, a server that has it' '
	mkdir -p srv &&
	cp "$FIX/inlined" inl && objcopy --only-keep-debug inl srv/inl.debug && strip -g inl &&
	! readelf -S inl | grep -q debug_info &&
	id=$(readelf -n inl | awk "/Build ID/ { print \$3 }") && test -n "$id" || return 1
	debuginfod -F -p $PORT -d "$TMP/db.sqlite" -t 0 -g 0 srv >server.log 2>&1 &
	PIDS="$PIDS $!"
	for i in $(seq 1 100); do
		code=$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:$PORT/buildid/$id/debuginfo)
		[ "$code" = 200 ] && break
		sleep 0.1
	done &&
	test "$code" = 200 &&
	READY="$TMP/ready.inl" && start_program "$READY" "$TMP/inl.log" ./inl "$READY" &&
	ipid=$PROGRAM_PID
'

test_expect_success 'without --debuginfod nothing is fetched, whatever DEBUGINFOD_URLS says' '
	DEBUGINFOD_URLS=http://127.0.0.1:$PORT "$INSPECT" stack $ipid >plain.out 2>plain.err &&
	expect_no_grep "inlined.c" plain.out && test ! -s plain.err &&
	expect_no_grep "UA:elfutils" server.log && test ! -e "$XDG_CACHE_HOME/debuginfod_client/$id"
'

test_expect_success '--debuginfod: the debug file fetched by build ID, said on stderr, its lines used' '
	DEBUGINFOD_URLS=http://127.0.0.1:$PORT "$INSPECT" stack --debuginfod $ipid >d.out 2>d.err &&
	cat d.err &&
	expect_grep "^inspect: debuginfod: fetched the debug file of inl \(build ID $id\) in [0-9.]+ s: .*debuginfod_client/$id/debuginfo$" d.err &&
	expect_grep "leaf_wait \(inlined\)  inl  inlined.c:$(line_of "if (read(fd" "$SRC")$" d.out &&
	expect_grep "UA:elfutils.* GET /buildid/$id/debuginfo 200" server.log &&
	test -s "$XDG_CACHE_HOME/debuginfod_client/$id/debuginfo"
'

test_expect_success '--debuginfod without DEBUGINFOD_URLS: a usage error, the target untouched' '
	(unset DEBUGINFOD_URLS; expect_status 64 "$INSPECT" stack --debuginfod $ipid 2>u.err) &&
	expect_grep "DEBUGINFOD_URLS is not set" u.err && check_healthy $ipid
'

test_expect_success 'a server that never answers: given up at --debuginfod-timeout, said so' '
	rm -rf "$XDG_CACHE_HOME" "${INSPECT_CACHE_DIR:?}"
	python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"127.0.0.1\", 0)); s.listen(8)
open(\"silent.ready\", \"w\").write(str(s.getsockname()[1]))
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
" &
	PIDS="$PIDS $!" && wait_ready silent.ready && SILENT=$(cat silent.ready) &&
	t0=$(date +%s%N) &&
	DEBUGINFOD_URLS=http://127.0.0.1:$SILENT "$INSPECT" stack --debuginfod --debuginfod-timeout 1 $ipid >t.out 2>t.err &&
	ms=$((($(date +%s%N) - t0) / 1000000)) && cat t.err && echo "took $ms ms" &&
	expect_grep "^inspect: debuginfod: timed out fetching the debug file of inl \(build ID $id\) after [0-9.]+ s \(--debuginfod-timeout 1\)$" t.err &&
	test $ms -lt 10000 && expect_grep "outer_loop\+0x[0-9a-f]+  inl$" t.out &&
	check_healthy $ipid
'

test_done
