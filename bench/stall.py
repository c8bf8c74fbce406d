#!/usr/bin/env python3
"""stall.py - the busy thread's stall and inspect's wall at one size, for
experiments on the stop and the release (issue: 10,000 threads).

Starts bench/target.c with N idle threads and one busy one, then runs,
alternating, REPS times: a no-op (the noise floor), bench/floor.c (the
raw stop/copy/release loop), and `inspect stack --stats`.  Prints each
run's stall and wall, then the median and the worst of each, and
inspect's stall above the no-op's.

With --settle S, each run waits S seconds first: long enough (2 s or
more) and a virtual machine that reports its free pages to its host (as
this one does) has given back what the runs before freed, so that every
page a run touches is new to the host, as in `make bench`, where
eu-stack's 12 s at 10,000 threads separate inspect's runs.

With --eu-stack, `eu-stack -p` runs after each inspect run, as in `make
bench`: at 10,000 threads its 12 s runs leave the target slower to stop
for the floor and inspect alike (about 320 ms against 220 held).

With --trace FILE, a first inspect run (the target's first, as in
`make bench`) is recorded by `perf sched record` (the scheduler's own trace: sched_switch, sched_wakeup, ...) and
the busy thread's longest gaps are printed from it: who ran on its CPU
meanwhile, so that a stall can be put down to its cause.

With --explain, each no-op and inspect run is traced as in `make bench`
(benchlib.SchedTrace) and its stall explained: who held the busy
thread's CPU, interrupts, time the CPU did not run.

Usage: stall.py BUILD-DIR INSPECT [N] [--reps K] [--settle S] [--eu-stack] [--trace FILE]
                [--explain] [-- INSPECT-ARGS...]
A benchmark helper: nothing in `make check` depends on it.
"""
import os
import re
import statistics
import subprocess
import sys
import time

import benchlib

args = sys.argv[1:]
extra = []
if "--" in args:
    extra = args[args.index("--") + 1:]
    args = args[:args.index("--")]
trace = benchlib.take_option(args, "--trace")
reps = int(benchlib.take_option(args, "--reps", 7))
settle = float(benchlib.take_option(args, "--settle", 0))
with_eu = "--eu-stack" in args
if with_eu:
    args.remove("--eu-stack")
explain = "--explain" in args
if explain:
    args.remove("--explain")
build, inspect = args[0], args[1]
n = int(args[2]) if len(args) > 2 else 10000
timeit_bin = os.path.join(build, "bench-timeit")
target_bin = os.path.join(build, "bench-target")
floor_bin = os.path.join(build, "bench-floor")

proc, ready = benchlib.start_target(target_bin, n, "inspect-stall.")
pid = proc.pid
busy = benchlib.busy_thread(pid)
print("N=%d: target %d, busy thread %s" % (n, pid, busy), file=sys.stderr)

def traced_run():
    subprocess.call(["perf", "sched", "record", "-q", "-o", trace, "--",
                     timeit_bin, inspect, "stack"] + extra + [str(pid)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # the busy thread's gaps, and what ran on its CPU meanwhile
    print("the busy thread's times off its CPU over 0.5 ms, from %s:" % trace, flush=True)
    subprocess.call(["sh", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        "sched-gaps.sh"), trace, "busy", "0.5"])

if trace and busy:
    traced_run()

tools = [("noop", ["true"]), ("floor", [floor_bin, str(pid)]),
         ("inspect", [inspect, "stack", "--stats"] + extra + [str(pid)])]
if with_eu:
    tools.append(("eu-stack", ["eu-stack", "-p", str(pid)]))
res = {}
for r in range(reps):
    for name, cmd in tools:
        time.sleep(settle)
        traced = explain and name in ("noop", "inspect")
        wall, rss, err, st, why = benchlib.measured_run(timeit_bin, cmd, 300, pid, ready,
                                                        busy if traced else None)
        if traced:
            print("%-8s run %d: stall %.3f ms: %s" % (name, r, st or 0, benchlib.describe(why)),
                  file=sys.stderr)
        d = res.setdefault(name, {"wall": [], "stall": [], "rss": [], "err": []})
        d["wall"].append(wall)
        d["stall"].append(st)
        d["rss"].append(rss / 1024.0 if rss else None)
        d["err"].append(err)
        print("%-8s run %d: wall %.3f s  stall %.3f ms  peak %.1f MB" %
              (name, r, wall or 0, st or 0, (rss or 0) / 1024.0), file=sys.stderr)
        if name == "inspect":
            for line in err.splitlines():
                if line.startswith("inspect: stats:"):
                    print("    " + line, file=sys.stderr)

for name, _ in tools:
    d = res[name]
    st = [x for x in d["stall"] if x is not None]
    print("%-8s wall %s  stall median %.3f worst %.3f ms  peak %s MB" %
          (name, benchlib.fmt(d["wall"], " s"), statistics.median(st), max(st),
           benchlib.fmt(d["rss"])))
noise = statistics.median([x for x in res["noop"]["stall"] if x is not None])
ist = [x for x in res["inspect"]["stall"] if x is not None]
fl = [float(v) for e in res["floor"]["err"] for v in re.findall(r"held ([0-9.]+) ms", e)]
print("N=%d  inspect stall above noise: median %.3f ms, worst %.3f ms" %
      (n, statistics.median(ist) - noise, max(ist) - noise))
if fl:
    print("N=%d  inspect wall %.1f ms = %.2fx the floor's raw hold %.1f ms" %
          (n, benchlib.med(res["inspect"]["wall"]) * 1e3,
           benchlib.med(res["inspect"]["wall"]) * 1e3 / statistics.median(fl),
           statistics.median(fl)))
for k in ("proc", "capture", "held", "unwind", "symbolize", "render"):
    v = [float(x) for e in res["inspect"]["err"] for x in re.findall(r"\b%s ([0-9.]+) ms" % k, e)]
    if v:
        print("  %s %.2f ms" % (k, statistics.median(v)), end="")
print()

proc.kill()
proc.wait()
