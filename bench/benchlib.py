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


def stall(pid, path, tries=100):
    """the target's longest stall since its last SIGUSR2, in ms: SIGUSR1
    makes it write the figure (us) to path"""
    os.kill(pid, signal.SIGUSR1)
    for _ in range(tries):
        time.sleep(0.01)
        try:
            with open(path) as f:
                v = f.read().strip()
            if v:
                os.unlink(path)
                return int(v) / 1000.0
        except FileNotFoundError:
            pass
    return None


def fmt(v, unit=""):
    if not v:
        return "-"
    v = [x for x in v if x is not None]
    if not v:
        return "timeout"
    med = statistics.median(v)
    return "%.3g%s (%.3g-%.3g)" % (med, unit, min(v), max(v))


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
