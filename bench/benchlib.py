"""benchlib.py - what bench.py and gobench.py share: one timed run of a
tool (by bench/timeit.c, from its fork to its reap), the target's stall,
and the medians and spreads of the figures."""
import os
import re
import signal
import statistics
import subprocess
import tempfile
import time


def run(timeit_bin, cmd, timeout, stdin_text=None):
    """wall seconds, peak RSS KiB, stderr: both measured by bench/timeit.c
    around the tool's own fork and reap, so python's start-up of the run
    is in no tool's figures"""
    p = subprocess.Popen([timeit_bin] + cmd, stdin=subprocess.PIPE if stdin_text else None,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        _, err = p.communicate(input=stdin_text, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return None, None, ""
    m = re.search(r"@@timeit (\d+) (\d+)", err)
    if not m:
        return None, None, err
    return int(m.group(1)) / 1e6, int(m.group(2)), err


def stall_when(pid, path, tries=100):
    """the target's longest stall since its last SIGUSR2, in ms, and when
    it ended (CLOCK_MONOTONIC seconds, or None where the target does not
    say): SIGUSR1 makes it write both (us, ns) to path"""
    os.kill(pid, signal.SIGUSR1)
    for _ in range(tries):
        time.sleep(0.01)
        try:
            with open(path) as f:
                v = f.read().split()
            if v:
                os.unlink(path)
                return int(v[0]) / 1000.0, int(v[1]) / 1e9 if len(v) > 1 else None
        except FileNotFoundError:
            pass
    return None, None


def stall(pid, path, tries=100):
    """the target's longest stall since its last SIGUSR2, in ms"""
    return stall_when(pid, path, tries)[0]


def fmt(v, unit=""):
    if not v:
        return "-"
    v = [x for x in v if x is not None]
    if not v:
        return "timeout"
    med = statistics.median(v)
    return "%.3g%s (%.3g-%.3g)" % (med, unit, min(v), max(v))


def measured_run(timeit_bin, cmd, timeout, pid, ready, busy=None):
    """one run of cmd against the target (bench/target.c), its stall
    window opened 50 ms before and closed 50 ms after; with busy (the
    target's busy thread), under the scheduler's trace, which explains
    the stall.  Returns wall s, peak KiB, stderr, stall ms, and explain()'s
    answer (or None)"""
    trace = SchedTrace() if busy else None
    t0 = time.monotonic()
    os.kill(pid, signal.SIGUSR2)
    time.sleep(0.05)
    wall, rss, err = run(timeit_bin, cmd, timeout)
    time.sleep(0.05)
    st, end = stall_when(pid, ready + ".stall")
    t1 = time.monotonic()
    tr = trace.stop() if trace else None
    why = explain(tr, busy, st, end, t0, t1) if tr and st is not None else None
    return wall, rss, err, st, why


def busy_thread(pid):
    """the target's thread that is running (bench/target.c has one), or None"""
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "R":
                    return int(tid)
        except OSError:
            pass
    return None


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def take_option(args, name, default=None):
    """the value after `name` in args (both then taken out), or default"""
    if name not in args:
        return default
    i = args.index(name)
    value = args[i + 1]
    del args[i:i + 2]
    return value


def start_target(target_bin, n, prefix, wait_s=120):
    """the target with n of what it makes; it is ready once it wrote its
    ready file.  Returns (the process, the ready file's path)"""
    ready = os.path.join(tempfile.mkdtemp(prefix=prefix), "ready")
    proc = subprocess.Popen([target_bin, ready, str(n)])
    for _ in range(wait_s * 100):
        if os.path.exists(ready) and open(ready).read().strip():
            break
        time.sleep(0.01)
    time.sleep(0.5)
    return proc, ready


# What stalls the busy thread without the tool, by name: DAMON's monitor
# (kdamond) wakes every 512 ms here and runs 1-3.5 ms on whichever CPU it
# last ran on, the busy thread's too (bench/sched-gaps.sh on a `perf
# sched record` trace); perf is the trace itself; bench-timeit is the
# harness before its child's exec makes it the tool (as in the wall
# times, the harness's start-up counts for no tool).  The other kernel
# threads (kworker, ksoftirqd, rcu, ...) may work for the tool and count
# as its.
NOT_THE_TOOL = ("kdamond.", "perf", "bench-timeit")
PF_KTHREAD = 0x00200000


def bystanders():
    """the threads of the processes that are neither this process's nor
    its descendants' nor kernel threads: the machine's own programs (its
    init and agents, other sessions' shells), which run whatever the
    tools do"""
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read().rsplit(")", 1)[1].split()
            procs[int(d)] = (int(st[1]), int(st[6]))
        except (OSError, IndexError, ValueError):
            pass
    me = os.getpid()

    def ours(pid):
        seen = 0
        while pid > 1 and seen < 64:
            if pid == me:
                return True
            pid = procs.get(pid, (0, 0))[0]
            seen += 1
        return False

    out = set()
    for pid, (ppid, flags) in procs.items():
        if flags & PF_KTHREAD or pid == 2 or ppid == 2 or ours(pid):
            continue
        try:
            out.update(int(t) for t in os.listdir("/proc/%d/task" % pid))
        except OSError:
            pass
    return out


SWITCH = re.compile(r"prev_comm=(.*) prev_pid=(\d+) prev_prio=\d+ "
                    r"prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+) next_prio=")
EVENT = re.compile(r"^\s*\[(\d+)\]\s+([0-9.]+):\s+([a-z_]+):([a-z_]+):\s?(.*)$")
# what the kernel runs on a CPU between two tasks' turns, entry and exit
# (perf takes no more than 14 tracepoints here at once: call_function_single
# and irq_work are left out, the rarest)
IRQ_EVENTS = ["irq:irq_handler_entry", "irq:irq_handler_exit", "irq:softirq_entry",
              "irq:softirq_exit"] + ["irq_vectors:%s_%s" % (v, e) for v in
                                     ("local_timer", "call_function", "reschedule")
                                     for e in ("entry", "exit")]
FORK = re.compile(r"pid=(\d+) child_comm=.* child_pid=(\d+)")


class SchedTrace:
    """the scheduler's own trace (`perf record -e sched:sched_switch -a`,
    with the interrupts' entries and exits, on CLOCK_MONOTONIC, as
    python's time.monotonic) around one run, to say who held the busy
    thread's CPU while it stalled.  perf starts with its events off and
    turns them on through its control FIFO, whose answer says it is
    recording: its start-up is in no run's window.  The machine's own
    threads are listed then (bystanders()), and the trace follows their
    forks."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="inspect-bench-trace.")
        self.data = os.path.join(self.dir, "sched.data")
        ctl, ack = os.path.join(self.dir, "ctl"), os.path.join(self.dir, "ack")
        os.mkfifo(ctl)
        os.mkfifo(ack)
        self.ctl = os.open(ctl, os.O_RDWR)
        self.ack = os.open(ack, os.O_RDWR)
        events = [a for e in ["sched:sched_switch", "sched:sched_process_fork"] + IRQ_EVENTS
                  for a in ("-e", e)]
        self.perf = subprocess.Popen(
            ["perf", "record", "-q", "-a", "-k", "CLOCK_MONOTONIC", "-D", "-1",
             "--control", "fifo:%s,%s" % (ctl, ack), "-o", self.data] + events,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.write(self.ctl, b"enable\n")
        self.ok = self._acked(10)
        # once recording, so that what forks before the list is in the trace
        self.bystanders = bystanders()

    def _acked(self, timeout):
        import select
        r, _, _ = select.select([self.ack], [], [], timeout)
        return bool(r) and os.read(self.ack, 64).startswith(b"ack")

    def stop(self):
        """what was recorded: a Trace, or None"""
        self.perf.send_signal(signal.SIGINT)
        try:
            self.perf.wait(30)
        except subprocess.TimeoutExpired:
            self.perf.kill()
            self.perf.wait()
        os.close(self.ctl)
        os.close(self.ack)
        out = ""
        if self.ok:
            out = subprocess.run(["perf", "script", "-i", self.data, "-F", "cpu,time,event,trace"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 text=True).stdout
        subprocess.call(["rm", "-rf", self.dir])
        t = Trace(out, self.bystanders)
        return t if t.switches else None


class Trace:
    """a trace's switches, (cpu, time, prev pid, prev state, next comm,
    next pid), each CPU's times in interrupts, [(start, end)], and the
    machine's own threads: those given, and those they forked"""

    def __init__(self, text, machine=()):
        self.switches, self.irq, self.machine = [], {}, set(machine)
        depth, since = {}, {}
        for line in text.splitlines():
            m = EVENT.match(line)
            if not m:
                continue
            cpu, t, name, rest = int(m.group(1)), float(m.group(2)), m.group(4), m.group(5)
            if name == "sched_process_fork":
                f = FORK.search(rest)
                if f and int(f.group(1)) in self.machine:
                    self.machine.add(int(f.group(2)))
            elif name == "sched_switch":
                w = SWITCH.search(rest)
                if w:
                    self.switches.append((cpu, t, int(w.group(2)), w.group(3), w.group(4),
                                          int(w.group(5))))
            elif name.endswith("_entry"):
                depth[cpu] = depth.get(cpu, 0) + 1
                if depth[cpu] == 1:
                    since[cpu] = t
            elif name.endswith("_exit") and depth.get(cpu):
                depth[cpu] -= 1
                if not depth[cpu]:
                    self.irq.setdefault(cpu, []).append((since[cpu], t))

    def gaps(self, tid, t0, t1, min_ms=0.5):
        """the thread's times off its CPU over min_ms that end within
        [t0, t1]: (ms, the state it left in, {comm: ms that comm ran on
        the CPU it left, during the gap}, when it ended).  The maps' keys
        are (comm, tid).  Where it came back on another
        CPU, the map is empty: who held which CPU when is not known."""
        out = []
        left = None
        for i, (cpu, t, prev, state, _, nxt) in enumerate(self.switches):
            if prev == tid:
                left = (i, cpu, t, state)
            elif nxt == tid and left:
                li, lcpu, lt, lstate = left
                left = None
                ms = (t - lt) * 1e3
                if ms < min_ms or not t0 <= t <= t1:
                    continue
                held = self.who_ran(cpu, lt, t) if lcpu == cpu else {}
                out.append((ms, lstate, held, t))
        return out

    def who_ran(self, cpu, t0, t1):
        """{(comm, tid): ms} of the tasks that ran on that CPU within [t0, t1]"""
        held, on, since = {}, None, t0
        for c, t, _, _, ncomm, npid in self.switches:
            if c != cpu:
                continue
            if t > t1:
                break
            if on is not None and t > t0:
                held[on] = held.get(on, 0.0) + (t - max(since, t0)) * 1e3
            on, since = (ncomm, npid), t
        if on is not None:
            held[on] = held.get(on, 0.0) + (t1 - max(since, t0)) * 1e3
        return held

    def machine_ms(self, held):
        """of such a map, the time of what is not the tool's: the tasks
        named in NOT_THE_TOOL and the machine's own threads"""
        return sum(v for (comm, tid), v in held.items()
                   if comm.startswith(NOT_THE_TOOL) or tid in self.machine)

    def spells(self, tid, t0, t1):
        """[t0, t1] cut where the thread switched: (start, end, on, cpu),
        on its CPU or off it (then cpu is the one it left), as far as the
        trace says; None where the trace never saw it switch before t1"""
        out, on, cpu, since = [], None, None, t0
        for c, t, prev, _, _, nxt in self.switches:
            if t > t1:
                break
            if tid not in (prev, nxt):
                continue
            if t > t0 and on is not None:
                out.append((since, t, on, cpu))
            on, cpu, since = nxt == tid, c, max(t, t0)
        if on is None:
            return None
        out.append((since, t1, on, cpu))
        return out

    def irq_ms(self, cpu, t0, t1):
        """the time that CPU spent in interrupts within [t0, t1]"""
        return sum(max(0.0, min(e, t1) - max(s, t0)) for s, e in self.irq.get(cpu, [])) * 1e3


def explain(trace, tid, st, end, t0, t1):
    """what the trace says of a stall of st ms that ended at end, the
    busy thread's longest in [t0, t1]: a dict with
      off: the ms it was off its CPU; held, {(comm, tid): ms} of who ran
           on the CPU it left meanwhile
      on:  the ms it was on its CPU by the trace, yet did not run; irq,
           the ms of those in interrupts there; unseen, the rest, in
           which its CPU ran nothing this kernel saw: the host had it
      machine: the ms of the stall that is the machine's own: its own
           tasks (Trace.machine_ms), and the unseen time
      net: the run's longest stall less the machine's own: the stall
           so, or the trace's next longest gap so, whichever is longer
    or None where the trace does not cover the stall"""
    if end is None:
        return None
    sp = trace.spells(tid, end - st / 1e3, end)
    if sp is None:
        return None
    r = {"off": 0.0, "on": 0.0, "held": {}, "irq": 0.0}
    for a, b, on, cpu in sp:
        if on:
            r["on"] += (b - a) * 1e3
            r["irq"] += trace.irq_ms(cpu, a, b)
        else:
            r["off"] += (b - a) * 1e3
            for k, v in trace.who_ran(cpu, a, b).items():
                r["held"][k] = r["held"].get(k, 0.0) + v
    r["unseen"] = max(0.0, r["on"] - r["irq"])
    r["machine"] = trace.machine_ms(r["held"]) + r["unseen"]
    others = [ms - trace.machine_ms(held) for ms, _, held, e in trace.gaps(tid, t0, t1, 0.05)
              if abs(e - end) > 0.3e-3]
    r["net"] = max([st - r["machine"]] + others)
    return r


def describe(why):
    """explain()'s answer in words"""
    if not why:
        return "not in a trace"
    line = ""
    if why["off"] >= 0.05:
        by = {}
        for (comm, _), v in why["held"].items():
            by[comm] = by.get(comm, 0.0) + v
        line += "off its CPU %.3f (%s)" % (why["off"], ", ".join(
            "%s %.3f" % kv for kv in sorted(by.items(), key=lambda kv: -kv[1]) if kv[1] >= 0.01))
    if why["on"] >= 0.05:
        line += "%son it %.3f (interrupts %.3f, nothing seen %.3f)" % (
            ", " if line else "", why["on"], why["irq"], why["unseen"])
    return line + "; the machine's own %.3f" % why["machine"]
