#!/bin/sh
# deps.sh PKG... [-- PKG...]: make sure these Debian packages are installed.
# As root, installs what is missing (apt-get); otherwise prints the exact
# command to run and fails.
missing=""
for p in "$@"; do
	[ "$p" = "--" ] && continue
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "installing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || { echo "apt-get update failed" >&2; exit 1; }
	apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		{ echo "apt-get install$missing failed" >&2; exit 1; }
	exit 0
fi
echo "missing Debian packages; run as root:" >&2
echo "  apt-get install$missing" >&2
exit 1
