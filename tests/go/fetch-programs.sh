#!/bin/sh
# fetch-programs.sh DIR: the programs of tests/go/programs.txt, each
# unpacked into DIR/NAME-VERSION/ from its npm package (npm pack), once.
# Prints the binaries it has; one that cannot be fetched is left out.
set -u
dir=$1
list="$(dirname "$0")/programs.txt"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
command -v npm >/dev/null 2>&1 || exit 0
grep -v '^#' "$list" | while IFS='	' read -r pkg ver bin args rel; do
	[ -n "$pkg" ] || continue
	d="$dir/$(echo "$pkg" | tr -d @ | tr / -)-$ver"
	if [ ! -x "$d/$bin" ]; then
		mkdir -p "$d"
		( cd "$d" && timeout 300 npm pack --silent "$pkg@$ver" >/dev/null 2>&1 &&
		  tar -xzf ./*.tgz && rm -f ./*.tgz ) || { rm -rf "$d"; continue; }
	fi
	printf '%s\t%s\t%s\n' "$d/$bin" "$args" "$rel"
done
