/*
 * golayout.c - what this inspect knows of the Go runtime's structures,
 * release by release: the one table of runtime.g and runtime.m offsets
 * on x86-64, and the wait-reason names for when a target's own table
 * cannot be read.  Each row says where its numbers come from.  Rows not
 * checked against a release's go_asm.h or a live process of it are
 * marked so; every row is also checked at run time (symbolize/goruntime.c
 * and attach/capture.c: goroutine 1 first, stack pointers inside their
 * stacks, statuses known), and a failed check shows no goroutines rather
 * than wrong ones.
 *
 * A new release is a new row here (with `go build -a -work runtime`, its
 * go_asm.h has every number: g_goid, g_sched, gobuf_sp, m_procid, ...).
 */
#include "go.h"

#include <stdlib.h>

/* runtime2.go waitReasonStrings, Go 1.17 to 1.20 (27 entries) */
static const char *const reasons_119[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)",
	"dumping heap", "garbage collection", "garbage collection scan", "panicwait", "select",
	"select (no cases)", "GC assist wait", "GC sweep wait", "GC scavenge wait",
	"chan receive", "chan send", "finalizer wait", "force gc (idle)", "semacquire",
	"sleep", "sync.Cond.Wait", "timer goroutine (idle)", "trace reader (blocked)",
	"wait for GC cycle", "GC worker (idle)", "preempted", "debug call",
};

/* runtime2.go waitReasonStrings, Go 1.25.3 (47 entries) */
static const char *const reasons_125[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)",
	"dumping heap", "garbage collection", "garbage collection scan", "panicwait", "select",
	"select (no cases)", "GC assist wait", "GC sweep wait", "GC scavenge wait",
	"chan receive", "chan send", "finalizer wait", "force gc (idle)",
	"GOMAXPROCS updater (idle)", "semacquire", "sleep", "sync.Cond.Wait",
	"sync.Mutex.Lock", "sync.RWMutex.RLock", "sync.RWMutex.Lock", "sync.WaitGroup.Wait",
	"trace reader (blocked)", "wait for GC cycle", "GC worker (idle)", "GC worker (active)",
	"preempted", "debug call", "GC mark termination", "stopping the world",
	"flushing proc caches", "trace goroutine status", "trace proc status",
	"page trace flush", "coroutine", "GC weak to strong wait", "synctest.Run",
	"synctest.Wait", "chan receive (durable)", "chan send (durable)", "select (durable)",
	"sync.WaitGroup.Wait (durable)", "cleanup wait",
};

#define N(a) (sizeof(a) / sizeof(*(a)))

/*   from to  source                                                    checked
 *   size lo hi  m  sp  pc  bp  ssp spc sbp  stat goid since reason lockedm
 *   parent gopc startpc  m.procid m.curg  ngsys-gFree gFree-counts p.gFree  reasons
 *
 * The counters' numbers (the last three before the reasons) are checked
 * the same way on every run: runtime.gfget's own code must touch
 * sched.gFree's counts and p.gFree's where the row says (goruntime.c).
 * Where they come from: 1.19 and 1.21-1.23, DWARF of the Debian builds
 * (schedt.ngsys 72, schedt.gFree 152 on 1.19 and 160 after, p.gFree
 * 2464, 2456 on 1.23); 1.20 and 1.24-1.27, gfget's code in the stripped
 * programs of tests/go/programs.txt (esbuild 0.19.12, buf 1.60.0,
 * esbuild 0.27.7 and 0.28.2, buf 1.75.0) and their live sched, whose
 * ngsys there equals the system goroutines Go's own dump shows. */
static const struct go_layout rows[] = {
	{ 19, 19, "go_asm.h of Go 1.19.8 (Debian golang-1.19) and its DWARF", 1,
	  392, 0, 8, 48, 56, 64, 104, 112, 120, GO_NONE, 144, 152, 168, 176, 232,
	  GO_NONE, 296, 312, 72, 192, -80, 1, 2464, reasons_119, N(reasons_119) },
	{ 20, 20, "Go 1.20 runtime2.go has 1.19's g up to startpc (research, inferred)", 0,
	  392, 0, 8, 48, 56, 64, 104, 112, 120, GO_NONE, 144, 152, 168, 176, GO_NONE,
	  GO_NONE, 296, 312, 72, 192, -88, 1, 2464, reasons_119, N(reasons_119) },
	{ 21, 21, "go_asm.h of Go 1.21 (Debian bookworm-backports golang-1.21)", 1,
	  408, 0, 8, 48, 56, 64, 104, 112, 120, GO_NONE, 144, 152, 168, 176, 208,
	  272, 280, 296, 72, 192, -88, 1, 2464, NULL, 0 },
	{ 22, 22, "go_asm.h of Go 1.22 (Debian bookworm-backports golang-1.22)", 1,
	  424, 0, 8, 48, 56, 64, 104, 112, 120, GO_NONE, 144, 152, 168, 176, 208,
	  272, 280, 296, 72, 192, -88, 1, 2464, NULL, 0 },
	{ 23, 23, "go_asm.h of Go 1.23 (Debian bookworm-backports golang-1.23)", 1,
	  432, 0, 8, 48, 56, 64, 104, 112, 120, 128, 152, 160, 176, 184, 216,
	  280, 288, 304, 72, 192, -88, 1, 2456, NULL, 0 },
	{ 24, 24, "Go 1.24's g as 1.23's: goid 160 (otel-go-instrumentation offsets, 1.24.x)", 0,
	  432, 0, 8, 48, 56, 64, 104, 112, 120, 128, 152, 160, 176, 184, GO_NONE,
	  280, 288, 304, 72, 192, -88, 1, 2456, NULL, 0 },
	{ 25, 25, "Go 1.25.3 runtime2.go by hand (gobuf.ret gone); goid 152 and m.curg 184 "
	  "agree with otel's tables", 0,
	  424, 0, 8, 48, 56, 64, 96, 104, 112, 120, 144, 152, 168, 176, GO_NONE,
	  272, 280, 296, 64, 184, -88, 2, 2456, reasons_125, N(reasons_125) },
	{ 26, 27, "Go 1.25's prefix; goid 152 (otel-go-instrumentation, 1.26-1.27); gopc "
	  "and startpc from labels - 64 and - 48 (otel-ebpf-profiler: labels 352)", 0,
	  432, 0, 8, 48, 56, 64, 96, 104, 112, 120, 144, 152, 168, 176, GO_NONE,
	  272, 288, 304, 64, 184, -88, 2, 2464, reasons_125, N(reasons_125) },
};

const struct go_layout *go_layout_for(int minor)
{
	size_t i;
	for (i = 0; i < N(rows); i++)
		if (minor >= rows[i].from_minor && minor <= rows[i].to_minor)
			return &rows[i];
	return NULL;
}

int go_layout_newest(void)
{
	return rows[N(rows) - 1].to_minor;
}
