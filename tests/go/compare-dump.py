#!/usr/bin/env python3
"""compare-dump.py GO_DUMP INSPECT_DUMP: the Go runtime's own dump (SIGQUIT
with GOTRACEBACK=all) against `inspect stack --goroutines --system`.  The
runtime's own frames are left aside on both sides (SIGQUIT shows them,
Go's other dumps do not).  Every
goroutine in Go's dump must be in inspect's with the same goid, the same
status and the same functions in order, and the same creator.  A busy
goroutine may be running in one and runnable in the other (it was
preempted between the two dumps): those two count as the same.  Prints
"N goroutines agree" or what differs; exit 1 on any difference."""
import re
import sys


def shown(fn):
    """the frames Go's dumps show at the default level: not the runtime's
    own unexported functions (a SIGQUIT dump shows them too)"""
    if "." not in fn:
        return False
    if not fn.startswith("runtime."):
        return True
    return fn[8:9].isupper()


def parse(path):
    gs = {}
    cur = None
    lines = open(path, errors="replace").read().splitlines()
    i = 0
    while i < len(lines):
        ln = lines[i]
        m = re.match(r"^goroutine (\d+) (?:gp=\S+ m=\S+ (?:mp=\S+ )?)?\[([^\]]*)\]:$", ln)
        if m:
            status = m.group(2)
            status = re.sub(r", \d+ minutes?", "", status)
            status = status.replace(", locked to thread", "").replace(" (scan)", "")
            cur = {"status": status, "frames": [], "created": None, "elided": None}
            gs[int(m.group(1))] = cur
        elif cur is not None and ln.startswith("created by "):
            cur["created"] = ln[len("created by "):].split(" in goroutine")[0].strip()
            cur = None
        elif cur is not None and ln.startswith("...") and "elided" in ln:
            # Go prints at most 100 frames: the first ones (1.19-1.20),
            # or the 50 innermost and the 50 outermost (1.21 on)
            cur["elided"] = len(cur["frames"])
        elif cur is not None and ln and not ln.startswith("\t") and not ln.startswith("..."):
            fn = re.sub(r"\([^()]*\)$", "", ln.strip())
            if shown(fn) and not ln.startswith("goroutine running on other thread"):
                cur["frames"].append(fn)
        i += 1
    return gs


def same_status(a, b):
    busy = {"running", "runnable"}
    return a == b or (a in busy and b in busy)


go, ours = parse(sys.argv[1]), parse(sys.argv[2])
bad = later = 0
newest = max(ours) if ours else 0
# goroutine 0 is the g0 of the thread that took the SIGQUIT: no goroutine
go.pop(0, None)
for goid, g in sorted(go.items()):
    o = ours.get(goid)
    # created after inspect's view, before the SIGQUIT: a goroutine the
    # runtime starts on its own (a GC worker at the first GC), which may
    # take a lower goid than older ones (each P takes goids 16 at a time)
    if o is None and (goid > newest or (g["created"] or "").startswith("runtime.")):
        print("goroutine %d [%s] created by %s: not in inspect's view, started after it"
              % (goid, g["status"], g["created"]))
        later += 1
        continue
    if o is None:
        print("goroutine %d [%s] is in Go's dump, not in inspect's" % (goid, g["status"]))
        bad += 1
        continue
    why = []
    if not same_status(g["status"], o["status"]):
        why.append("status %r, inspect %r" % (g["status"], o["status"]))
    # a goroutine Go could not walk (running elsewhere) has no frames there
    theirs = o["frames"]
    if g["elided"] is not None:
        k, after = g["elided"], len(g["frames"]) - g["elided"]
        theirs = theirs[:k] + (theirs[len(theirs) - after:] if after else [])
    if g["frames"] and g["frames"] != theirs:
        why.append("frames %s, inspect %s" % (g["frames"], o["frames"]))
    if g["created"] != o["created"]:
        why.append("created by %r, inspect %r" % (g["created"], o["created"]))
    if why:
        print("goroutine %d: %s" % (goid, "; ".join(why)))
        bad += 1
print("%d goroutines agree, %d differ (Go's dump has %d, inspect's %d; %d created after)"
      % (len(go) - bad - later, bad, len(go), len(ours), later))
sys.exit(1 if bad else 0)
