#!/bin/sh
# build-fixtures.sh OUTDIR: the Go fixtures with every Go toolchain
# installed here (Debian's /usr/lib/go-1.NN): tests/fixtures/goleak built
# three ways, plain, stripped (-ldflags="-s -w") and a stripped PIE, as
# OUTDIR/goleak-1.NN, -1.NN-s, -1.NN-pie; tests/fixtures/gochurn,
# stripped, as OUTDIR/gochurn-1.NN; tests/fixtures/gocgo (cgo, with
# symbols for its C functions) as OUTDIR/gocgo-1.NN.  Prints what it built.  No toolchain:
# builds nothing (the tests skip).
set -eu
mkdir -p "$1"
out=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../fixtures/goleak" && pwd)
churn=$(cd "$(dirname "$0")/../fixtures/gochurn" && pwd)
cgo=$(cd "$(dirname "$0")/../fixtures/gocgo" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/leak" "$work/churn" "$work/cgo"
cp "$src/main.go" "$work/leak/"
cp "$churn/main.go" "$work/churn/"
cp "$cgo/main.go" "$work/cgo/"
printf 'module goleak\n\ngo 1.19\n' >"$work/leak/go.mod"
printf 'module gochurn\n\ngo 1.19\n' >"$work/churn/go.mod"
printf 'module gocgo\n\ngo 1.19\n' >"$work/cgo/go.mod"
export HOME="$work" GOCACHE="$work/cache" GOPATH="$work/gopath" GOFLAGS=-mod=mod \
	GOTOOLCHAIN=local GO111MODULE=on CGO_ENABLED=0 GOPROXY=off
for go in /usr/lib/go-1.*/bin/go; do
	[ -x "$go" ] || continue
	v=$(basename "$(dirname "$(dirname "$go")")" | sed 's/^go-//')
	if [ -x "$out/goleak-$v-pie" ] && [ "$out/goleak-$v-pie" -nt "$src/main.go" ] &&
	   [ -x "$out/gochurn-$v" ] && [ "$out/gochurn-$v" -nt "$churn/main.go" ] &&
	   [ -x "$out/gocgo-$v" ] && [ "$out/gocgo-$v" -nt "$cgo/main.go" ]; then
		echo "goleak-$v (up to date)"
		continue
	fi
	(cd "$work/leak" &&
	 "$go" build -o "$out/goleak-$v" . &&
	 "$go" build -ldflags="-s -w" -o "$out/goleak-$v-s" . &&
	 "$go" build -buildmode=pie -ldflags="-s -w" -o "$out/goleak-$v-pie" . &&
	 cd "$work/churn" && "$go" build -ldflags="-s -w" -o "$out/gochurn-$v" . &&
	 cd "$work/cgo" && CGO_ENABLED=1 "$go" build -o "$out/gocgo-$v" .) ||
		{ echo "goleak-$v: the build failed" >&2; exit 1; }
	echo "goleak-$v"
done
