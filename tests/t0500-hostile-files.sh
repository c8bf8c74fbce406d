#!/bin/bash
# t0500-hostile-files: the symbolizer on damaged ELF/DWARF files, through
# the process-less entry point (tests/fuzz/symfile.c): truncated files,
# tables and sections pointing outside the file or claiming huge sizes,
# a compressed section claiming a terabyte, a debuglink to itself, byte
# flips (tests/hostile/make-hostile.py, seeded).  Each must end in time,
# cleanly, within bounded memory.  (`make fuzz` runs libFuzzer on the
# same entry point.)
. "$(dirname "$0")/lib.sh"

SYMFILE="$BUILD/symfile"
# elfutils' own leaks on malformed files are not ours (see the file)
export LSAN_OPTIONS="suppressions=$SRCDIR/tests/fuzz/lsan.supp"

test_expect_success 'the entry point symbolizes intact files' '
	"$SYMFILE" "$FIX/inlined" "$FIX/cxx" >out &&
	expect_grep "inlined: [1-9][0-9]* rows" out && expect_grep "cxx: [1-9][0-9]* rows" out
'

GOBIN=$(ls "$BUILD"/go/goleak-1.*-s 2>/dev/null | head -n 1)
if [ -n "$GOBIN" ]; then
	test_expect_success 'the entry point reads an intact Go binary'"'"'s own tables' '
		"$SYMFILE" "$GOBIN" >out && expect_grep ": [0-9]* rows, Go [1-9][0-9]* rows" out
	'
fi

for src in inlined cxx states-static libc ${GOBIN:+goleak}; do
	test_expect_success "damaged copies of $src: no crash, no hang, bounded memory" '
		case '$src' in
		libc) f=$(ldd "$FIX/states" | awk "/libc.so/ { print \$3 }") ;;
		goleak) f="$GOBIN" ;;
		*) f="$FIX/'$src'" ;;
		esac
		python3 "$SRCDIR/tests/hostile/make-hostile.py" "$f" h-'$src' || return 1
		bad=0 n=0
		for h in h-'$src'/*; do
			n=$((n + 1))
			# 2 GiB of address space, except under ASan (its shadow
			# memory reserves terabytes)
			( case "$INSPECT_BUILD" in *sanitize*) ;; *) ulimit -v 2000000 ;; esac
			  exec timeout -s KILL 20 "$SYMFILE" "$h" ) >/dev/null 2>err; st=$?
			if [ $st != 0 ] || grep -q "Sanitizer\|runtime error" err; then
				echo "$h: status $st"; head -5 err; bad=$((bad + 1))
			fi
		done
		echo "$n damaged files, $bad failed"
		test $n -gt 50 && test $bad = 0
	'
done

test_expect_success 'inputs the fuzzer found, kept: clean' '
	for f in "$SRCDIR"/tests/fuzz/*.elf; do
		timeout -s KILL 20 "$SYMFILE" "$f" >out 2>err || { echo "$f"; cat err; return 1; }
		expect_no_grep "Sanitizer|runtime error" err || return 1
	done
'

test_done
