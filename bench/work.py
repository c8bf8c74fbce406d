#!/usr/bin/env python3
"""work.py - where the CPU time of one capture goes, for the 10,000-thread
experiments: the tool's own (user + system, from its rusage) and the
target's idle threads' (each must run to reach its stop and again to go
back to sleep: the sum of their schedstat run times before and after).

For bench/floor.c, whose raw loop runs the idle threads' share on the
busy thread's CPU, beside its own (its stall shows it), and for `inspect
stack`, which must keep that share off the busy thread's CPU or hand it
out in short turns.  On a machine of two CPUs, one of them the busy
thread's, the held time of a capture that leaves the busy thread alone
is at least the tool's own time in the loop plus the idle threads' time.

Usage: work.py BUILD-DIR INSPECT [N] [--reps K]
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
reps = int(benchlib.take_option(args, "--reps", 3))
build, inspect = args[0], args[1]
n = int(args[2]) if len(args) > 2 else 10000

proc, ready = benchlib.start_target(os.path.join(build, "bench-target"), n, "inspect-work.")
pid = proc.pid


def sleepers_cpu():
    """each idle thread's run time (ns) and the number of times it ran"""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip() == "busy":
                    continue
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                v = f.read().split()
        except OSError:
            continue
        out[tid] = (int(v[0]), int(v[2]))
    return out


def run(cmd):
    before = sleepers_cpu()
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = p.stderr.read()
    _, _, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    after = sleepers_cpu()
    ran = sum(after[t][0] - before[t][0] for t in after if t in before) / 1e6
    runs = sum(after[t][1] - before[t][1] for t in after if t in before)
    held = re.findall(r"held ([0-9.]+) ms", err)
    return {"wall": wall * 1e3, "own": (ru.ru_utime + ru.ru_stime) * 1e3,
            "sleepers": ran, "runs": runs, "held": float(held[-1]) if held else None}


tools = [("floor", [os.path.join(build, "bench-floor"), str(pid)]),
         ("inspect", [inspect, "stack", "--stats", str(pid)])]
res = {}
for _ in range(reps):
    for name, cmd in tools:
        res.setdefault(name, []).append(run(cmd))
proc.kill()
proc.wait()

print("N=%d, median of %d runs (ms):" % (n, reps))
print("%-8s %8s %8s %10s %14s %12s" % ("tool", "wall", "held", "own cpu", "sleepers' cpu",
                                       "sleeper runs"))
for name, _ in tools:
    r = res[name]
    med = lambda k: statistics.median(x[k] for x in r if x[k] is not None)
    print("%-8s %8.1f %8.1f %10.1f %14.1f %12d" % (name, med("wall"), med("held"), med("own"),
                                                 med("sleepers"), med("runs")))
print("(floor's own cpu counts its /proc reads too, about as long as its hold)")
