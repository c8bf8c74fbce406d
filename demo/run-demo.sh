#!/bin/sh
# run-demo.sh SERVER INSPECT: start the demo service, show `inspect stack`
# of it, stop it.
server=$1
inspect=$2
ready=$(mktemp)
rm -f "$ready"
"$server" "$ready" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$ready"' EXIT
i=0
while [ ! -s "$ready" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "demo: the demo service did not start" >&2
		exit 1
	fi
	sleep 0.1
done
echo "demo service running as PID $pid; its threads are parked in typical waits."
echo "\$ inspect stack $pid"
echo
"$inspect" stack "$pid"
status=$?
echo
echo "(inspect exited with status $status; the demo service is stopped now)"
exit 0
