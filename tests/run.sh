#!/bin/sh
# run.sh [PATTERN]: run the unit tests and every tests/t*.sh, then print
# one line "N passed, N failed".  Exit status 1 when anything failed.
cd "$(dirname "$0")/.." || exit 1
: "${INSPECT_BUILD:=build/default}"
export INSPECT_BUILD
pass=0
fail=0
log=$(mktemp)
for u in "$INSPECT_BUILD"/unit/test_*; do
	case "$u" in *.d) continue ;; esac
	[ -x "$u" ] || continue
	case "$u" in *"${1:-}"*) ;; *) continue ;; esac
	echo "== $(basename "$u")"
	timeout 120 "$u" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^# passed \([0-9]*\) failed \([0-9]*\)$/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^# passed \([0-9]*\) failed \([0-9]*\)$/\2/p' "$log" | tail -n 1)
	[ -n "$p" ] || { p=0; f=1; echo "not ok - $(basename "$u") crashed (status $rc)"; }
	[ "$rc" = 0 ] || [ "$f" != 0 ] || { f=1; echo "not ok - $(basename "$u") exited $rc"; }
	pass=$((pass + p))
	fail=$((fail + f))
done
for t in tests/t[0-9]*.sh; do
	case "$t" in *"${1:-}"*) ;; *) continue ;; esac
	echo "== $t"
	timeout 600 bash "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^# passed \([0-9]*\) failed \([0-9]*\)$/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^# passed \([0-9]*\) failed \([0-9]*\)$/\2/p' "$log" | tail -n 1)
	[ -n "$p" ] || { p=0; f=1; echo "not ok - $t did not finish (status $rc)"; }
	pass=$((pass + p))
	fail=$((fail + f))
done
rm -f "$log"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
