#!/usr/bin/env python3
"""gobench.py - inspect against Delve on a Go program's goroutines.

The target (bench/gotarget/main.go) has N goroutines, half left behind by
a handler on a channel and half waiting on a sync.Cond, and one busy
goroutine on its own thread that records its longest stall.  For each N
each tool runs several times, alternating: a no-op (the noise floor),
`inspect stack` (every goroutine with its stack, grouped), `inspect count`
(the goroutine total, and with `--match logsContainer`: their stacks,
stopping nothing), and, up to
BENCH_DLV_MAX_N, `dlv attach PID` with `goroutines -group userloc` (then
detaching, the target left running).  Prints per tool and N the median
and spread of wall time, the busy goroutine's stall and peak memory; the
ratio inspect/dlv; the stall above the noise floor; what a goroutine
costs inspect (the slope from the smallest N to the largest); count's
total against the same on a C process of as many threads; and, at
N=10000, what `inspect top --batch` costs in CPU per refresh.

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


def top_cpu(pid, iterations):
    """CPU seconds of `inspect top --batch` over that many refreshes at
    the default intervals (1 s, stacks every 5 s)"""
    p = subprocess.Popen([inspect, "top", "--batch", "--iterations", str(iterations), str(pid)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return ru.ru_utime + ru.ru_stime


c_target_bin = os.path.join(build, "bench-target")
top_sizes = [n for n in sizes if n == 10000]
top_iters = int(os.environ.get("BENCH_TOP_ITERS", "21"))
top_reps = int(os.environ.get("BENCH_TOP_REPS", "2"))
topcost = {}
results = {}
stats = {}
for n in sizes:
    proc, ready = benchlib.start_target(target_bin, n, "inspect-gobench.")
    pid = proc.pid
    print("N=%d: target PID %d, %d goroutines" % (n, pid, n + 2), file=sys.stderr)
    tools = [("noop", ["true"], None),
             ("inspect", [inspect, "stack", "--stats", str(pid)], None),
             ("count", [inspect, "count", str(pid)], None),
             ("count-match", [inspect, "count", "--match", "logsContainer", str(pid)], None)]
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
    if n in top_sizes:
        for r in range(top_reps):
            one, many = top_cpu(pid, 1), top_cpu(pid, top_iters)
            topcost.setdefault(n, []).append((many - one) / (top_iters - 1) * 100)
    threads = len(os.listdir("/proc/%d/task" % pid))
    proc.kill()
    proc.wait()
    # inspect count on a C process of the same thread count, for the
    # figure the Go total is held to (within 2 ms of it)
    cproc, cready = benchlib.start_target(c_target_bin, threads - 1, "inspect-gobench-c.")
    for r in range(reps):
        wall, rss, err = run([inspect, "count", str(cproc.pid)])
        results.setdefault(("count-c", n), {"wall": [], "stall": [], "rss": []})
        results[("count-c", n)]["wall"].append(wall)
        # no stall: the C target has no busy goroutine that records one
        results[("count-c", n)]["rss"].append(rss / 1024.0 if rss else None)
    cproc.kill()
    cproc.wait()

print()
print("%-11s %7s  %-24s %-24s %-22s" % ("tool", "N", "wall s (min-max)", "stall ms (min-max)",
                                       "peak MB (min-max)"))
for (name, n), r in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    print("%-11s %7d  %-24s %-24s %-22s" % (name, n, fmt(r["wall"]), fmt(r["stall"]),
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
for n in sizes:
    c, cc, cm = results.get(("count", n)), results.get(("count-c", n)), results.get(("count-match", n))
    noop = results.get(("noop", n))
    line = "N=%-7d" % n
    if c and cc and med(c["wall"]) and med(cc["wall"]):
        line += "  count %.2f ms (a C process of as many threads: %.2f ms, %+.2f ms)" % (
            med(c["wall"]) * 1e3, med(cc["wall"]) * 1e3, (med(c["wall"]) - med(cc["wall"])) * 1e3)
    if cm and med(cm["wall"]):
        line += "  count --match %.1f ms" % (med(cm["wall"]) * 1e3)
        if noop and med(cm["stall"]) is not None and med(noop["stall"]) is not None:
            line += ", stall above noise %.3f ms" % (med(cm["stall"]) - med(noop["stall"]))
    print(line)
for n in sorted(topcost):
    print("inspect top at N=%d, %d refreshes of 1 s (stacks every 5 s): %s of one core"
          % (n, top_iters - 1, fmt(topcost[n], "%")))
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
