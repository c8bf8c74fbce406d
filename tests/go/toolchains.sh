#!/bin/sh
# toolchains.sh: the Go toolchains the tests build their fixtures with:
# Debian 12's golang-1.19-go, and golang-1.21-go, -1.22-go and -1.23-go
# from the bookworm-backports suite of the same Debian archive, which
# this adds as an apt source (for the tests only: inspect's own build
# needs none of it).  As root; otherwise prints what to run.
set -eu
pkgs="golang-1.19-go golang-1.21-go golang-1.22-go golang-1.23-go"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "the Go tests need:$missing (from bookworm and bookworm-backports); as root run" >&2
	echo "  sh tests/go/toolchains.sh" >&2
	exit 0
fi
src=/etc/apt/sources.list.d/inspect-tests-backports.sources
if [ ! -e "$src" ] && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d; then
	cat >"$src" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
echo "installing the Go toolchains for the tests:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
