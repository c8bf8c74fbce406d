#!/usr/bin/env python3
"""gobench.py - inspect against Delve on a Go program's goroutines.

The target (bench/gotarget/main.go) has N goroutines, half left behind by
a handler on a channel and half waiting on a sync.Cond, and one busy
goroutine on its own thread that records its longest stall.  For each N
each tool runs several times, alternating: a no-op (the noise floor),
`inspect stack` (every goroutine with its stack, grouped), and, up to
BENCH_DLV_MAX_N, `dlv attach PID` with `goroutines -group userloc` (then
detaching, the target left running).  Prints per tool and N the median
and spread of wall time, the busy goroutine's stall and peak memory; the
ratio inspect/dlv; the stall above the noise floor; and what a goroutine
costs inspect (the slope from the smallest N to the largest).

Usage: gobench.py BUILD-DIR INSPECT [N ...]   (default N: 10000 100000)
Environment: BENCH_REPS (default 5), BENCH_DLV_MAX_N (default 10000),
BENCH_TIMEOUT (seconds per run, 300).  A benchmark: nothing in `make
check` depends on its timings.
"""
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import benchlib

build, inspect = sys.argv[1], sys.argv[2]
sizes = [int(n) for n in sys.argv[3:]] or [10000, 100000]
reps = int(os.environ.get("BENCH_REPS", "5"))
dlv_max = int(os.environ.get("BENCH_DLV_MAX_N", "10000"))
timeout = int(os.environ.get("BENCH_TIMEOUT", "300"))
target_bin = os.path.join(build, "bench-gotarget")
timeit_bin = os.path.join(build, "bench-timeit")


def run(cmd, stdin_text=None):
    return benchlib.run(timeit_bin, cmd, timeout, stdin_text)


def stall(pid, path):
    return benchlib.stall(pid, path, tries=200)


fmt, med = benchlib.fmt, benchlib.med


results = {}
stats = {}
for n in sizes:
    proc, ready = benchlib.start_target(target_bin, n, "inspect-gobench.")
    pid = proc.pid
    print("N=%d: target PID %d, %d goroutines" % (n, pid, n + 2), file=sys.stderr)
    tools = [("noop", ["true"], None),
             ("inspect", [inspect, "stack", "--stats", str(pid)], None)]
    if n <= dlv_max:
        tools.append(("dlv", ["dlv", "attach", str(pid), "--allow-non-terminal-interactive=true"],
                      "goroutines -group userloc\nexit\nn\n"))
    for r in range(reps):
        for name, cmd, stdin_text in tools:
            os.kill(pid, signal.SIGUSR2)
            time.sleep(0.1)
            wall, rss, err = run(cmd, stdin_text)
            time.sleep(0.1)
            st = stall(pid, ready + ".stall")
            res = results.setdefault((name, n), {"wall": [], "stall": [], "rss": []})
            res["wall"].append(wall)
            res["stall"].append(st)
            res["rss"].append(rss / 1024.0 if rss else None)
            if name == "inspect":
                for k, v in re.findall(r"(proc|capture|held|unwind|symbolize|render) ([0-9.]+) ms",
                                       err):
                    stats.setdefault((n, k), []).append(float(v))
            if proc.poll() is not None:
                sys.exit("the target died under %s" % name)
    proc.kill()
    proc.wait()

print()
print("%-8s %7s  %-24s %-24s %-22s" % ("tool", "N", "wall s (min-max)", "stall ms (min-max)",
                                       "peak MB (min-max)"))
for (name, n), r in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    print("%-8s %7d  %-24s %-24s %-22s" % (name, n, fmt(r["wall"]), fmt(r["stall"]),
                                           fmt(r["rss"])))
print()
for n in sizes:
    i, d, noop = results.get(("inspect", n)), results.get(("dlv", n)), results.get(("noop", n))
    line = "N=%-7d" % n
    if i and d and med(i["wall"]) and med(d["wall"]):
        line += "  inspect/dlv wall %.3f" % (med(i["wall"]) / med(d["wall"]))
    if i and noop and med(i["stall"]) is not None and med(noop["stall"]) is not None:
        line += "  inspect stall above noise %.3f ms" % (med(i["stall"]) - med(noop["stall"]))
    if i and med(i["wall"]):
        line += "  inspect %.1f us per goroutine" % (med(i["wall"]) * 1e6 / n)
    print(line)
ns = [n for n in sizes if results.get(("inspect", n)) and med(results[("inspect", n)]["wall"])]
if len(ns) >= 2:
    lo, hi = min(ns), max(ns)
    slope = (med(results[("inspect", hi)]["wall"]) - med(results[("inspect", lo)]["wall"])) / (hi - lo)
    print("inspect stack: %.2f us per more goroutine (N=%d to N=%d)" % (slope * 1e6, lo, hi))
print()
print("where inspect's time goes (median ms):")
for n in sizes:
    print("  N=%-7d " % n + "  ".join("%s %.2f" % (k, med(stats.get((n, k), [0])))
                                      for k in ("proc", "capture", "held", "unwind", "symbolize",
                                                "render")))
