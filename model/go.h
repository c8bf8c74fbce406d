/*
 * go.h - a Go process's goroutines: what the runtime's structures are
 * like in each release (golayout.c, the one table), what the capture
 * copies of each goroutine, and the groups they form.
 *
 *   symbolize/goruntime.c  reads the executable: the release, where
 *                          runtime.allgs is, the layout row, the wait
 *                          reasons; fills struct go_process;
 *   attach/capture.c       copies allgs, every g and every live stack
 *                          while the threads are held;
 *   attach/gounwind.c      unwinds each goroutine from its copy, after;
 *   symbolize/             names the frames from the pclntab;
 *   model/gogroup.c        classifies (status, minutes, system) and
 *                          groups them as pprof's debug=1 does.
 */
#ifndef INSPECT_GO_H
#define INSPECT_GO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GO_NONE 0xffff		/* a field this release does not have */

/* Where the fields of runtime.g and runtime.m are in one range of Go
 * releases on x86-64, in bytes from the start of the struct. */
struct go_layout {
	int from_minor, to_minor;	/* Go 1.from_minor .. 1.to_minor */
	const char *source;		/* where the numbers come from */
	int checked;			/* against go_asm.h or a live process */
	uint16_t g_size;		/* bytes of g copied */
	uint16_t stack_lo, stack_hi, m, sched_sp, sched_pc, sched_bp;
	uint16_t syscallsp, syscallpc, syscallbp;
	uint16_t atomicstatus, goid, waitsince, waitreason, lockedm;
	uint16_t parent_goid, gopc, startpc;
	uint16_t m_procid, m_curg;
	/* runtime.NumGoroutine's counters (gcount): sched.ngsys's offset from
	 * sched.gFree; how sched.gFree counts its g's (1: one int32 at +24,
	 * after the lock and two lists; 2: each list's own size, at +16 and
	 * +32); p.gFree's offset in p (its count at +8).  gfree_counts 0:
	 * not known, the g's are read one by one */
	int16_t ngsys_from_gfree;
	uint8_t gfree_counts;
	uint16_t p_gfree;
	/* the release's wait reasons, when the target's own cannot be read */
	const char *const *waitreasons;
	size_t nwaitreasons;
};

/* The row for Go 1.minor, or NULL when this inspect does not know it */
const struct go_layout *go_layout_for(int minor);
/* The newest release the table knows */
int go_layout_newest(void);

/* Goroutine statuses (runtime2.go, unchanged from 1.17) */
enum {
	GO_IDLE = 0, GO_RUNNABLE = 1, GO_RUNNING = 2, GO_SYSCALL = 3, GO_WAITING = 4,
	GO_DEAD = 6, GO_COPYSTACK = 8, GO_PREEMPTED = 9, GO_SCAN = 0x1000,
};

/* One goroutine: its g as copied while the threads were held, and what
 * the later stages make of it. */
struct goroutine {
	uint64_t addr;		/* of its g */
	int64_t goid, parent_goid;	/* parent_goid 0 when unknown */
	uint32_t status;	/* the scan bit taken off */
	uint8_t waitreason;
	int64_t waitsince;	/* the runtime's nanotime; 0 unknown */
	uint64_t gopc, startpc;
	uint64_t m;		/* its M; 0 none */
	int locked;		/* locked to its thread */
	uint64_t sp, pc, bp;	/* where unwinding starts */
	uint64_t stack_lo, stack_hi;
	uint8_t *stack;		/* [copy_lo, copy_lo + copy_len), in p->stacks */
	uint64_t copy_lo;
	size_t copy_len;
	pid_t tid;		/* the thread it runs on; 0 none */

	uint64_t *pcs;		/* unwound, innermost first */
	uint8_t *activation;	/* pcs[i] is exact, not a return address */
	size_t npcs;
	char *unwind_stop;	/* why unwinding ended early, or NULL */

	const char *status_text;	/* as Go prints it: "chan receive" */
	const char *creator;	/* the function at gopc, or NULL */
	int64_t wait_minutes;	/* -1 unknown */
	int system;		/* a runtime goroutine Go hides */
	int group;
};

struct go_group {
	size_t *members;	/* indexes into go_process.gs */
	size_t n;
	const struct goroutine *first;
	int64_t minutes_min, minutes_max;	/* -1 unknown */
};

struct go_process {
	int is_go;		/* the executable is a Go binary */
	char version[32];	/* "go1.22.5", "" unknown */
	int minor;		/* 22; -1 unknown */
	char *module;		/* the main module's path, or NULL */
	char *not_shown;	/* why goroutines are not shown, or NULL */
	const struct go_layout *layout;
	uint64_t allgs;		/* runtime address of runtime.allgs */
	uint64_t gfree, allp;	/* of runtime.sched.gFree and runtime.allp; 0 not found */
	int total_read;		/* total: NumGoroutine, from its counters alone */
	size_t total;
	char **waitreasons;	/* by value */
	size_t nwaitreasons;
	int64_t nanotime;	/* CLOCK_MONOTONIC at the capture, ns */
	struct goroutine *gs;	/* by goid */
	size_t ngs;
	size_t nsystem;		/* of them system goroutines */
	struct go_group *groups;	/* largest first */
	size_t ngroups;
	int grouped;		/* go_group ran */
	/* symbolize/'s tables, while the report is being made (not owned) */
	void *tables;
	/* the capture's copies: allgs's pointers and each g's bytes, made
	 * room for before the threads are held (gcap of each) */
	uint64_t *gptrs;
	uint8_t *graw, *graw2;	/* graw2: read again, to see it did not move */
	size_t *todo;
	struct go_copy {
		int g_read;	/* its g was read whole */
		int moved;	/* it never read the same twice */
		uint8_t *buf;	/* its stack's copy, in p->stacks */
		uint64_t lo;
		size_t len;
	} *copies;
	void *iov;		/* attach/'s: room for the reads' iovecs */
	size_t gcap, nread;
	size_t graw_slots;	/* g's graw holds: gcap, or a chunk's */
	size_t nbad;		/* g's that failed the checks, decoding */
	int have_main;		/* goroutine 1 was among them */
	size_t stack_bytes;	/* copied of the goroutines' stacks */
	size_t not_read;	/* goroutines past gcap or the byte budget */
	size_t moved;		/* goroutines that ran while they were copied */
};

void go_process_release(struct go_process *g);
/* Free the goroutines alone; the capture's copies alone */
void go_goroutines_release(struct go_process *g);
void go_copies_release(struct go_process *g);
/* Once unwound, the goroutines' stack copies are needed no more (some
 * are another process snapshot's, soon gone) */
struct process;
void go_forget_copies(struct process *p);

/* Go's frame tables, for the unwinders in attach/ (symbolize/goruntime.c
 * gives them): the Go function at pc (a runtime address), its entry,
 * the stack pointer's distance from its value at the entry (-1 when the
 * table does not say), and whether a stack begins there (runtime.goexit,
 * mstart, rt0_go; on a thread's system stack mcall, morestack,
 * systemstack, asmcgocall).  frame returns -1 when pc is not
 * in a Go function. */
struct go_frame {
	uint64_t entry;
	int64_t sp_delta;
	int outermost;
};

struct go_frames {
	void *ctx;
	int (*frame)(void *ctx, uint64_t pc, struct go_frame *out);
};

/* The runtime's name of a goroutine's state, as its tracebacks print
 * it: the wait reason of a waiting goroutine, else the status's name */
const char *go_status_text(const struct go_process *go, const struct goroutine *g);

/* After symbolizing: each goroutine's state, minutes, creator and
 * whether it is a system goroutine.  Then, when they are needed, the
 * groups (with_system: theirs too) */
void go_classify(struct process *p);
void go_group(struct process *p, int with_system);
/* The goroutine running on thread tid, or NULL */
const struct goroutine *go_on_thread(const struct go_process *go, pid_t tid);
/* Whether Go's own dumps show this row: not the runtime's own Go
 * functions (a C function's row, in a cgo program, is shown) */
struct symrow;
int go_row_shown(const struct symrow *r);
int go_frame_shown(const char *function);
/* The physical function at pc, as symbolized; NULL when not */
const char *go_function(const struct process *p, uint64_t pc);
/* Where goroutine g was created: the row of its creator's call, with a
 * function; NULL when unknown, and for goroutine 1 (Go prints none) */
const struct symrow *go_created_by(const struct process *p, const struct goroutine *g);

#endif
