/*
 * attach.h - everything that touches the target: /proc readers, the
 * ptrace stop/capture/release, and unwinding over the captured copy.
 *
 * Nothing here prints or exits.  Failures return one of the ATTACH_E*
 * codes below and leave a one-line, lower-case message in `err`;
 * cli/ decides what to print and which exit status to use.
 */
#ifndef INSPECT_ATTACH_H
#define INSPECT_ATTACH_H

#include "../model/model.h"
#include "../util/util.h"

#include <sys/uio.h>

enum attach_err {
	ATTACH_OK = 0,
	ATTACH_ENOPROC,		/* no such process, or it exited */
	ATTACH_EPERM,		/* not permitted */
	ATTACH_EUNSUPPORTED,	/* kernel thread, zombie, foreign arch */
	ATTACH_ETRACED,		/* already traced by another tracer */
	ATTACH_ESTOP,		/* could not stop / capture the threads */
	ATTACH_EINTERNAL,
};

struct proc_opts {
	int want_kstack;	/* read /proc/TID/stack */
	int want_sched;		/* blocked time from /proc/TID/sched */
	int want_fds;		/* resolve the fd a thread waits on */
	int want_futex;		/* read futex words (a mutex's owner) */
	const pid_t *only_tids;	/* when set, only these threads */
	size_t n_only_tids;
	struct proc_fdcache *fdcache;	/* keep threads' stat and syscall
					   files open between reads (top) */
	int threads_only;	/* the process's facts and thread count
				   (p->thread_total) only: no maps, no
				   thread's files */
	int syscall_from_regs;	/* stacks follow: each captured thread's
				   system call comes from its registers, and
				   proc_read_waits runs after the capture */
};

/* Threads' /proc files kept open across proc_read calls on the same
 * process: a read of an open file at offset 0 costs half an
 * open-read-close.  Files of threads that are gone are closed at the
 * next read; a stale one (its TID reused) is opened again. */
struct proc_fdcache *proc_fdcache_new(void);
void proc_fdcache_free(struct proc_fdcache *c);

/* Each blocked thread's wait.blocked_ms, from its se.exec_start read by
 * proc_read (want_sched) and the per-CPU clock calibration proc_read
 * started; waits for that (a scheduler tick at most, 100 ms at worst).
 * To be called once after every proc_read, before process_clear. */
void proc_blocked_times(struct process *p);

/* What each thread waits on, past its system call: the file behind the
 * fd it waits on, the futex word.  A thread whose system call is not
 * known yet (not captured) has it read from /proc first.  proc_read
 * calls this itself unless o->syscall_from_regs. */
void proc_read_waits(int pfd, struct process *p, const struct proc_opts *o);

/* Open /proc/PID as a directory fd; every later read is relative to it
 * so that a recycled PID cannot switch processes under us. */
int proc_open(pid_t pid, struct sb *err, enum attach_err *code);

/* Read the process-level facts and every thread's facts, without
 * stopping anything.  Fills p (maps, threads sorted by TID, ...). */
enum attach_err proc_read(int pfd, struct process *p,
			  const struct proc_opts *o, struct sb *err);

/* Read n ranges of process pid's memory, r[i] into l[i] (equal
 * lengths), up to 1,024 per system call: they share one address space.
 * got[i] is what range i gave: its length, less where it runs into
 * unreadable memory, 0 where it starts there. */
void vm_read_ranges(pid_t pid, const struct iovec *l, const struct iovec *r, size_t n,
		    size_t *got);

/* The same, for many small ranges, most of them a few bytes apart (the
 * objects of a heap): read in address order, near ones as one. */
void vm_read_near(pid_t pid, const struct iovec *l, const struct iovec *r, size_t n,
		  size_t *got);

/* task/TID/stat under pfd parsed into t, cleared first: 0, or -1 when
 * unreadable or malformed.  For the leader (TID = PID) too: the
 * process's own stat sums the times of all its threads, 0.45 ms at
 * 1,000 threads, where the leader's task stat has the same name, state,
 * flags, start time and thread count. */
int proc_read_stat(int pfd, pid_t tid, struct thread *t);

/* Threads: from /proc/PID/status, or -1 */
long proc_count_threads(int pfd);

/* Read /proc/PID/task into a sorted array.  Returns count or -1. */
ssize_t proc_list_tids(int pfd, pid_t **tids);

/* Parsers, exposed for the unit tests.  proc_parse_stat fills name,
 * state, flags, times, cpu and group_threads (0, or -1 when malformed);
 * proc_parse_syscall fills syscall_nr, args, sp, pc;
 * proc_parse_exec_start returns se.exec_start in ms, or -1;
 * proc_parse_maps_line fills m from one line of maps (no newline), its
 * path (NULL when none) pointing into the line, " (deleted)" cut off:
 * 0, or -1 when malformed. */
int proc_parse_stat(const char *buf, struct thread *t);
void proc_parse_syscall(const char *buf, struct thread *t);
double proc_parse_exec_start(const char *buf);
int proc_parse_maps_line(char *line, struct mapping *m);

/* p->maps, when proc_read left them out (threads_only): 0 or -1 */
int proc_read_maps(struct process *p);

/* Re-read /proc facts that are useful when no user stack exists. */
void proc_read_fallback(int pfd, struct thread *t, int want_kstack);

/* 1 when every executable file mapping read before the capture is
 * still mapped at the same place: the unwinder read code and unwind
 * tables from the live process, so an exec or dlclose in between makes
 * its frames suspect. */
int proc_maps_unchanged(int pfd, const struct process *p);

/* Why may we not trace this process?  Appends a human explanation. */
void proc_explain_eperm(const struct process *p, struct sb *err);

struct capture_opts {
	uint64_t timeout_ms;	/* stop deadline */
	size_t max_stack;	/* bytes of live stack copied per thread */
	int no_rescan;		/* only the threads already listed (--tid) */
	int stop_all;		/* stop even the threads it could read asleep */
	int test_hold_ms;	/* the tests' hook: hold this long after the
				   stop (INSPECT_TEST_HOLD_MS) */
};

/* Stop every thread at one instant, copy registers and live stack
 * bytes, release.  Threads that exit meanwhile are dropped; threads
 * that do not stop in time get thread->no_stack.  On success returns
 * ATTACH_OK even if some threads lack a capture (partial result). */
enum attach_err capture_process(int pfd, struct process *p,
				const struct capture_opts *o, struct sb *err);

/* Unwind every captured thread into thread->pcs (max_depth frames),
 * and, for a Go program (go: its frame tables, else NULL), every
 * goroutine into its pcs (gounwind.c). */
void unwind_process(struct process *p, const struct go_frames *go, size_t max_depth);
void go_unwind(struct process *p, const struct go_frames *go, size_t max_depth);

/* Unwind one thread's copy (cap: registers, stack bytes) as above, for
 * what it shows of the stack's layout: 0 with *end the end of the
 * highest bytes of the copy the walk read, when it ended at an outermost
 * frame; -1 when it did not. */
int unwind_copy_end(struct process *p, const struct capture *cap, uint64_t *end);

/* A Go program's goroutines (gocapture.c).  prepare: make room for them
 * (stacks: for their stacks too; held: in memory already touched, for a
 * capture while the threads are held) before the threads are held.  capture:
 * copy allgs, every g and each parked goroutine's live stack (at most
 * max_stack bytes; 0: none) while they are held, or while the process
 * runs.  others_run: some thread runs meanwhile, so a goroutine counts
 * as copied only when its g reads the same again after its stack. */
void go_capture_prepare(struct process *p, int stacks, int held);
void go_capture(struct process *p, size_t max_stack, int others_run);

/* runtime.NumGoroutine of a running Go program, from the runtime's own
 * counters alone (gocapture.c): allgs's length less the dead g's of the
 * free lists (sched.gFree's, each P's) and the system goroutines
 * (sched.ngsys), as the runtime's gcount sums them.  0 and p->go.total
 * set; -1 when the row has no counters or what was read does not check
 * out (free lists whose heads are not dead g's, counts out of range, a
 * P whose id is not its index in allp), even after a few tries. */
int go_read_total(struct process *p);

/* A Go program's goroutines as the capture copied them, decoded and
 * checked (gocapture.c): p->go.gs, or p->go.not_shown saying why none.
 * After capture_process. */
void go_decode(struct process *p);
/* Each running goroutine of p whose thread `from` captured starts where
 * that thread is (its registers, its stack's copy, which stays from's) */
void go_adopt_threads(struct process *p, const struct process *from);
/* A running goroutine whose thread, once held, was not on its stack (it
 * was preempted, or parked, in between): its g read again and, when it
 * is parked now, its stack from its saved state, kept only if the g
 * reads the same after.  1 when it was, 0 otherwise (when it runs again,
 * g->tid is the thread it runs on now). */
int go_reread(struct process *p, struct goroutine *g, size_t max_stack);

/* Signals that asked the inspector to stop during a capture; 0 if none.
 * The capture blocks SIGINT/SIGTERM/SIGHUP while threads are held and
 * records the first one here after every thread is released. */
int capture_pending_signal(void);
void capture_install_signal_handlers(void);
/* After the capture: SIGINT/SIGTERM/SIGHUP end the inspector at once. */
void capture_restore_signal_handlers(void);

/* One row of the process list (`inspect` with no command). */
struct proc_summary {
	pid_t pid, ppid;
	uid_t uid;
	long threads;
	char comm[64];
	char *cmdline;
};

/* Every user-space process; kernel threads are left out.  Returns the
 * count (array in *out, free with proc_summaries_free) or -1. */
ssize_t proc_list_processes(struct proc_summary **out);
void proc_summaries_free(struct proc_summary *v, size_t n);
/* A process's executable, open for reading (a regular file), or -1 */
int proc_open_exe(pid_t pid);

#endif
