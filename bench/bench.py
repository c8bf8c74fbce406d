#!/usr/bin/env python3
"""bench.py - inspect against eu-stack and gdb, side by side.

For each N (idle threads in the target, plus one busy thread that records
its longest stall), runs each tool several times, alternating: a no-op
(the noise floor), `inspect stack`, `eu-stack -p`, `gdb -batch -ex "thread
apply all bt"`, and `inspect count`.  Prints, per tool and N, the median
and spread (min-max) of wall time, of the busy thread's stall, and of peak
memory, then the ratios inspect/eu-stack and inspect/gdb (raw, and net
of the no-op's wall: what any program's fork, exec, exit and reap cost), what one
more thread costs `inspect count`, and where inspect's own time goes
(its --stats).  At N=1000 it also measures what
`inspect top --batch` costs in CPU per refresh at its default intervals
(1 s, stacks every 5 s): 21 refreshes less 1, over 20 s, 3 times.

Each run's wall time and peak memory are taken by bench/timeit.c, from
its fork of the tool to the reap, so that python's own work to start a
run counts for no tool.

The no-op's and inspect's runs are also recorded by the scheduler's own
trace (perf: sched_switch, forks, interrupts; as root, where perf is),
one trace a run, so that each stall is told apart from what the machine
does anyway: for every stall over 1 ms above the noise it prints what
held the busy thread's CPU meanwhile, and then inspect's stall less the
machine's own: its own programs (benchlib.bystanders: its init and
agents, other sessions), DAMON's kdamond, perf itself and the harness's
timer before it becomes the tool (benchlib.NOT_THE_TOOL), and time in
which the CPU ran nothing the kernel saw (the host had it).  Other
kernel threads count as inspect's.  The
other tools are not traced: a trace's cost on each switch would be in
the floor's figures.

Usage: bench.py BUILD-DIR INSPECT [N ...]   (default N: 100 1000 10000)
Environment: BENCH_REPS (default 7), BENCH_GDB_MAX_N (default 1000: gdb
takes minutes on 10,000 threads), BENCH_TIMEOUT (seconds per run, 300),
BENCH_TRACE=0 (no trace).
It is a benchmark: nothing in `make check` depends on its timings.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

import benchlib

build, inspect = sys.argv[1], sys.argv[2]
sizes = [int(n) for n in sys.argv[3:]] or [100, 1000, 10000]
reps = int(os.environ.get("BENCH_REPS", "7"))
gdb_max = int(os.environ.get("BENCH_GDB_MAX_N", "1000"))
timeout = int(os.environ.get("BENCH_TIMEOUT", "300"))
target_bin = os.path.join(build, "bench-target")
timeit_bin = os.path.join(build, "bench-timeit")


floor_bin = os.path.join(build, "bench-floor")
cold_dirs = []
traced = ("noop", "inspect")
tracing = os.environ.get("BENCH_TRACE", "1") != "0" and os.geteuid() == 0 and \
    shutil.which("perf") is not None


def tools(pid, n):
    cold = tempfile.mkdtemp(prefix="inspect-bench-cache.")
    cold_dirs.append(cold)
    t = [("noop", ["true"]),
         ("floor", [floor_bin, str(pid)]),
         ("inspect", [inspect, "stack", "--stats", str(pid)]),
         ("inspect-cold", ["env", "INSPECT_CACHE_DIR=" + cold, inspect, "stack", "--stats",
                           str(pid)]),
         ("eu-stack", ["eu-stack", "-p", str(pid)])]
    if n <= gdb_max:
        t.append(("gdb", ["gdb", "-batch", "-nx", "-p", str(pid), "-ex", "thread apply all bt"]))
    t.append(("count", [inspect, "count", str(pid)]))
    return t


fmt, med = benchlib.fmt, benchlib.med


def top_cpu(pid, iterations):
    """CPU seconds (user + system) of `inspect top --batch` over that many
    refreshes at the default intervals (1 s, stacks every 5 s)"""
    p = subprocess.Popen([inspect, "top", "--batch", "--iterations", str(iterations), str(pid)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return ru.ru_utime + ru.ru_stime


top_sizes = [n for n in sizes if n == 1000]
top_iters = 21
top_reps = 3
topcost = {}
topall = {}
results = {}
stats = {}
for n in sizes:
    proc, ready = benchlib.start_target(target_bin, n, "inspect-bench.")
    pid = proc.pid
    print("N=%d: target PID %d, %d threads" % (n, pid, len(os.listdir("/proc/%d/task" % pid))),
          file=sys.stderr)
    busy = benchlib.busy_thread(pid)
    for r in range(reps):
        for name, cmd in tools(pid, n):
            wall, rss, err, st, why = benchlib.measured_run(
                timeit_bin, cmd, timeout, pid, ready,
                busy if tracing and name in traced else None)
            res = results.setdefault((name, n), {"wall": [], "stall": [], "rss": [], "why": []})
            res["wall"].append(wall)
            res["stall"].append(st)
            res["why"].append(why)
            res["rss"].append(rss / 1024.0 if rss else None)
            if name == "inspect":
                for k, v in re.findall(r"(proc|capture|held|unwind|symbolize|render) ([0-9.]+) ms", err):
                    stats.setdefault((n, k), []).append(float(v))
            if name == "floor":
                for k, v in re.findall(r"(proc-read|held) ([0-9.]+) ms", err):
                    stats.setdefault((n, "floor " + k), []).append(float(v))
    if n in top_sizes:
        for r in range(top_reps):
            one, many = top_cpu(pid, 1), top_cpu(pid, top_iters)
            topcost.setdefault(n, []).append((many - one) / (top_iters - 1) * 100)
            topall.setdefault(n, []).append(many / (top_iters - 1) * 100)
    proc.kill()
    proc.wait()

print()
print("%-9s %6s  %-24s %-24s %-22s" % ("tool", "N", "wall s (min-max)", "stall ms (min-max)",
                                        "peak MB (min-max)"))
for (name, n), r in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    print("%-9s %6d  %-24s %-24s %-22s" % (name, n, fmt(r["wall"]), fmt(r["stall"]),
                                           fmt(r["rss"])))
print()
for n in sizes:
    i = results.get(("inspect", n))
    line = "N=%-6d" % n
    noop = results.get(("noop", n))
    for other in ("eu-stack", "gdb"):
        o = results.get((other, n))
        if i and o and med(i["wall"]) and med(o["wall"]):
            line += "  inspect/%s wall %.3f" % (other, med(i["wall"]) / med(o["wall"]))
            # the same less the no-op's wall: what starting and reaping
            # any program costs (fork, exec, the dynamic loader, exit)
            if noop and med(noop["wall"]):
                line += " (%.3f net of the no-op)" % (
                    (med(i["wall"]) - med(noop["wall"])) / (med(o["wall"]) - med(noop["wall"])))
    if i and noop and med(i["stall"]) is not None and med(noop["stall"]) is not None:
        line += "  inspect stall above noise %.3f ms (worst %.3f)" % (
            med(i["stall"]) - med(noop["stall"]),
            max(x for x in i["stall"] if x is not None) - med(noop["stall"]))
    c = results.get(("count", n))
    if c and med(c["wall"]):
        line += "  count %.2f ms per 1000 threads" % (med(c["wall"]) * 1e6 / n)
        if noop:
            line += " (%.2f net of the no-op)" % ((med(c["wall"]) - med(noop["wall"])) * 1e6 / n)
    print(line)
if tracing:
    print()
    print("from the scheduler's trace (perf: sched_switch, forks, interrupts) of the no-op's")
    print("and inspect's runs: each stall over 1 ms above the noise, and what held the busy")
    print("thread's CPU meanwhile (ms); then inspect's stall above noise less the machine's")
    print("own: its own programs (init, agents, other sessions), %s, and time in"
          % ", ".join(k.rstrip(".") for k in benchlib.NOT_THE_TOOL))
    print("which its CPU ran neither a task nor an interrupt (the host had it)")
    for n in sizes:
        noop, i = results.get(("noop", n)), results.get(("inspect", n))
        if not noop or not i or med(noop["stall"]) is None:
            continue
        noise = med(noop["stall"])
        for name, r in (("noop", noop), ("inspect", i)):
            for k, (st, why) in enumerate(zip(r["stall"], r["why"])):
                if st is None or st - noise <= 1.0:
                    continue
                print("  N=%-6d %-8s run %d: stall %.3f ms: %s"
                      % (n, name, k + 1, st, benchlib.describe(why)))
        nets = [w["net"] if w else st for st, w in zip(i["stall"], i["why"]) if st is not None]
        if nets:
            print("  N=%-6d inspect stall above noise, less the machine's own: median %.3f ms "
                  "(worst %.3f)" % (n, statistics.median(nets) - noise, max(nets) - noise))
# what each more thread costs `inspect count` (the slope between the
# smallest and the largest N): the figure that does not count process
# start-up, the same at any N
cs = [n for n in sizes if results.get(("count", n)) and med(results[("count", n)]["wall"])]
if len(cs) >= 2:
    lo, hi = min(cs), max(cs)
    slope = (med(results[("count", hi)]["wall"]) - med(results[("count", lo)]["wall"])) / (hi - lo)
    print("inspect count: %.3f ms per 1000 more threads (N=%d to N=%d)" % (slope * 1e6, lo, hi))
for d in cold_dirs:
    subprocess.call(["rm", "-rf", d])
print()
print("where inspect's time goes (median ms; inspect-cold: without its cache of")
print("uncompressed debug files, as on a first run):")
for n in sizes:
    print("  N=%-6d " % n + "  ".join("%s %.2f" % (k, med(stats.get((n, k), [0])))
                                     for k in ("proc", "capture", "held", "unwind", "symbolize",
                                               "render")))
print("the floor (bench/floor.c: the raw stop/copy/release loop alone, and reading")
print("each thread's stat and syscall files, the least `inspect count` reads):")
for n in sizes:
    h, pr, ih = med(stats.get((n, "floor held"), [])), med(stats.get((n, "floor proc-read"), [])), \
        med(stats.get((n, "held"), []))
    if h and pr and ih:
        line = "  N=%-6d raw hold %.2f ms (inspect held %.2f ms, %.2fx; its wall %.2f ms, %.2fx)" \
            "  raw stat+syscall reads %.2f ms" \
            % (n, h, ih, ih / h, med(results[("inspect", n)]["wall"]) * 1e3,
               med(results[("inspect", n)]["wall"]) * 1e3 / h, pr)
        c = results.get(("count", n))
        if c and med(c["wall"]):
            line += " (inspect count %.2f ms in all)" % (med(c["wall"]) * 1e3)
        print(line)
for n in sorted(topcost):
    print("inspect top at N=%d, %d refreshes of 1 s (stack samples every 5 s): after the first"
          % (n, top_iters - 1))
    print("  sample %s of one core (min-max); with the first sample and start-up %s"
          % (fmt(topcost[n], "%"), fmt(topall[n], "%")))
