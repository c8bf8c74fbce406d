/*
 * capture.c - stop every thread at one instant, copy registers and the
 * live part of each stack, release.  Nothing else happens while the
 * target is held: no ELF file is opened, nothing is unwound or printed.
 *
 * The rules (docs/attach.md says why each is there):
 *  - PTRACE_SEIZE + PTRACE_INTERRUPT, never PTRACE_ATTACH, never
 *    PTRACE_O_EXITKILL, never a SIGSTOP of ours: if the inspector dies,
 *    the kernel detaches and the target runs on.
 *  - PTRACE_O_TRACEEXEC, and every tracee's exit is reaped, so an exec in
 *    the target cannot deadlock us.
 *  - Signal-delivery stops are observed with WNOWAIT and never reaped, so
 *    the signal survives even a SIGKILLed inspector; PTRACE_DETACH hands
 *    it back to the thread, exactly once.
 *  - Every wait has a deadline; a thread that does not stop in time (D
 *    state) is reported from /proc and the others are released on time.
 *  - All ptrace calls come from one dedicated thread.  When it exits, the
 *    kernel detaches whatever it still traces (a thread that stopped too
 *    late), so nothing can stay held after a capture.
 *  - Blocked threads are stopped first and running ones last; running
 *    ones are captured and released first.
 *  - A thread asleep, where the task iterator can tell it stayed so from
 *    before the stop to after the release, is read in place and never
 *    stopped (capture_asleep).
 */
#define _GNU_SOURCE
#include "attach.h"
#include "internal.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* how long the others are held for a thread in uninterruptible sleep */
#define D_GRACE_MS 20

/*
 * At most this many threads are on their way to a stop at once.  Each
 * interrupted sleeper must run to reach its stop; interrupted all at
 * once, a pool of 1,000 queues before the one thread that still runs on
 * the target's cores, and that thread stalls for milliseconds (1.9 ms
 * in the benchmark on 2 cores, against 0.3 ms with a window of 32).  The
 * stop phase takes no longer: its pace is that of the ptrace calls.
 */
#define STOP_WINDOW 32
/*
 * The window bounds how many are on their way, not how fast they come:
 * the ptrace calls interrupt a sleeper every 10 us or so, and at 10,000
 * threads the sleepers that last ran beside a busy thread (7 us each to
 * reach the stop) came in runs of 60-140 that kept it off its CPU for
 * 0.7-1.1 ms (perf sched timehist, bench/stall.py --trace).  So after
 * STOP_GROUP sleepers the window is let empty before the next: those
 * sleepers have all reached their stops, and the busy thread has its CPU
 * to itself until the next group wakes.
 */
#define STOP_GROUP 16
/* a thread longer on its way than this leaves the window (it may have
 * entered an uninterruptible sleep); wait_stops still waits for it */
#define STOP_WINDOW_NS 2000000ull

/*
 * The release has the same trouble: a released sleeper runs to go back
 * to sleep, mostly on the CPU it last ran on, and one PTRACE_DETACH
 * after another wakes them faster than that CPU runs them.  1,000
 * sleepers that last ran beside the benchmark's busy thread kept it off
 * its CPU for 1-10 ms once it was released.  So they go RELEASE_WINDOW
 * at a time, the next batch when the thread that runs there has had its
 * CPU back (its schedstat counts the times it was given one), or after
 * RELEASE_WINDOW_NS.  That holds for the sleepers of other CPUs too: the
 * CPU they last ran on is often the one the ptrace thread keeps busy,
 * and the scheduler then wakes them beside the busy thread instead (at
 * 10,000 threads, runs of 60-136 of them, gaps of 0.6-1.4 ms, when they
 * were released unpaced).  Only with no thread to watch does the release
 * go unpaced.
 */
#define RELEASE_WINDOW 32
#define RELEASE_WINDOW_NS 500000ull
#define MAX_WATCH 16		/* CPUs watched so */

/* TS_ATTACHED: seized, not asked to stop yet; TS_SEIZED: asked to stop,
 * not stopped yet; TS_ASLEEP: read asleep, not to be stopped (see
 * capture_asleep) */
enum ts { TS_NEW, TS_ATTACHED, TS_SEIZED, TS_STOPPED, TS_GONE, TS_SKIP, TS_DONE, TS_ASLEEP };

struct tctl {
	enum ts st;
	int sig;		/* signal to hand back at detach */
	int running;		/* was running before the stop */
	int late;		/* stopped only after the others were released */
	int unreaped;		/* its event stop's report still sits in the kernel */
	/* its registers came from the task iterator, which also read the
	 * CPU it stopped on: 1 + that CPU; else 0 */
	int cpu_held;
	int nr_from_regs;	/* its system call was taken from its registers */
	int unchanged;		/* asleep: still so, as it was, after the hold */
	int trim;		/* its copy ended at the first frame (1), or was
				   made whole after the check (2), else 0 */
	uint64_t switches;	/* asleep: how many times it had left a CPU */
};

/* The state of one capture, shared by the calling thread and the ptrace
 * thread (which alone changes it while it runs). */
struct stopper {
	int pfd;
	struct process *p;
	const struct capture_opts *o;
	struct sb *err;
	enum attach_err rc;
	struct tctl *tc;	/* parallel to p->threads */
	size_t nalloc;		/* of p->threads and tc */
	int sigstop_held;	/* an unreaped signal-delivery stop exists */
	size_t unreaped;	/* event stops not reaped yet (reap_stops) */
	size_t pending, pending_d;	/* seized, not stopped yet (D: in D state) */
	ssize_t *hash;		/* TID -> index into threads, open addressing */
	size_t hcap;
	uint64_t t_first, t_last;
	uint64_t t_progress;	/* a seized thread last stopped or exited */
	uint64_t t_stopped, t_copied, t_released;	/* the hold's parts' ends */
	uint64_t deadline;	/* for every thread to stop */
	uint64_t deadline_d;	/* for threads that were in D state */
	int cpu;		/* where the ptrace thread ended */
	/* the stack copies' batch, made before anything is held; btrim:
	 * which copies end at the first frame (see learn_frames_top) */
	struct thread **bt;
	struct iovec *bl, *br;
	size_t *bgot, bcap;
	uint8_t *btrim;
	/* where a thread's frames end, this far below its thread pointer,
	 * and the word just below that end; top_gap 0 when not known */
	uint64_t top_gap, top_word;
	/* the task iterator's link for the held threads' registers, or -1 */
	int regs_link;
	size_t win[STOP_WINDOW];	/* interrupted, not seen stopped yet */
	uint64_t win_t[STOP_WINDOW];	/* when each was interrupted */
	size_t nwin;
	/* for release_sleepers: per CPU where a thread ran, that thread's
	 * schedstat */
	struct watch {
		int cpu, fd;
	} watch[MAX_WATCH];
	size_t nwatch;
	size_t group;		/* sleepers interrupted since the window was last empty */
	/* the CPUs the ptrace thread runs on (capture_cpus), if any */
	cpu_set_t cpus;
	int have_cpus;
	/* capture_asleep: the sleeper stopped to check the registers the
	 * task iterator read asleep, and those registers */
	ssize_t witness;
	struct user_regs_struct witness_regs;
	int asleep;		/* some threads are read asleep: no bulk read_regs */
	uint64_t held_before;	/* how long its attempt held threads, when undone */
};

static volatile sig_atomic_t pending_signal;

/* the ptrace thread's TID, for unblock_exec below */
static volatile pid_t tracer_tid;

static void explain_tracer(const struct process *p, pid_t tid, const char *name,
			   long tracer, struct sb *err);

static void on_signal(int sig)
{
	if (!pending_signal)
		pending_signal = sig;
}

void capture_install_signal_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void capture_restore_signal_handlers(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

int capture_pending_signal(void)
{
	return pending_signal;
}

static struct thread *thr(struct stopper *c, size_t i)
{
	return &c->p->threads[i];
}

static size_t slot(struct stopper *c, pid_t tid)
{
	return ((size_t)tid * 2654435761u) & (c->hcap - 1);
}

static ssize_t find_tid(struct stopper *c, pid_t tid)
{
	size_t h;
	for (h = slot(c, tid); c->hash[h] >= 0; h = (h + 1) & (c->hcap - 1))
		if (c->p->threads[c->hash[h]].tid == tid)
			return c->hash[h];
	return -1;
}

/* (Re)build the TID index when it is more than half full. */
static void index_threads(struct stopper *c)
{
	size_t i, h;
	if (c->hcap && c->p->nthreads * 2 < c->hcap)
		return;
	free(c->hash);
	for (c->hcap = 64; c->hcap < c->p->nthreads * 4; c->hcap *= 2)
		;
	c->hash = xmalloc(c->hcap * sizeof(*c->hash));
	for (h = 0; h < c->hcap; h++)
		c->hash[h] = -1;
	for (i = 0; i < c->p->nthreads; i++) {
		for (h = slot(c, c->p->threads[i].tid); c->hash[h] >= 0; h = (h + 1) & (c->hcap - 1))
			;
		c->hash[h] = i;
	}
}

/* Every state change goes through here, so that the counts of threads
 * still to stop are kept without scanning. */
static void set_state(struct stopper *c, size_t i, enum ts st)
{
	int d = c->p->threads[i].state == 'D';
	if (c->tc[i].st == TS_SEIZED) {
		c->pending--;
		c->pending_d -= d;
	}
	if (st == TS_SEIZED) {
		c->pending++;
		c->pending_d += d;
	}
	if (c->tc[i].st == TS_SEIZED && st != TS_SEIZED)
		c->t_progress = now_ns();
	c->tc[i].st = st;
}

static size_t add_thread(struct stopper *c, pid_t tid)
{
	struct process *p = c->p;
	struct thread *t;
	char path[64], buf[1024];
	size_t old = c->nalloc;
	grow((void **)&p->threads, &c->nalloc, p->nthreads, sizeof(*p->threads));
	if (c->nalloc != old) {
		c->tc = xrealloc_array(c->tc, c->nalloc, sizeof(*c->tc));
		memset(c->tc + old, 0, (c->nalloc - old) * sizeof(*c->tc));
	}
	t = &p->threads[p->nthreads];
	thread_init(t, tid);
	t->state = 'R';	/* new: taken as running, as it may be */
	snprintf(path, sizeof(path), "task/%d/comm", (int)tid);
	if (read_file_at(c->pfd, path, buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(t->name, sizeof(t->name), "%.63s", buf);
	}
	c->tc[p->nthreads].st = TS_NEW;
	c->tc[p->nthreads].running = 1;
	p->nthreads++;
	if (c->hcap && p->nthreads * 2 >= c->hcap) {
		index_threads(c);
	} else {
		size_t h;
		for (h = slot(c, tid); c->hash[h] >= 0; h = (h + 1) & (c->hcap - 1))
			;
		c->hash[h] = p->nthreads - 1;
	}
	return p->nthreads - 1;
}

static long status_of(struct stopper *c, pid_t tid, const char *key, char *state)
{
	char path[64], buf[4096];
	const char *s;
	snprintf(path, sizeof(path), "task/%d/status", (int)tid);
	if (read_file_at(c->pfd, path, buf, sizeof(buf)) <= 0)
		return -2;	/* gone */
	if (state) {
		s = strstr(buf, "\nState:");
		*state = '?';
		if (s) {
			s += 7;
			while (*s == ' ' || *s == '\t')
				s++;
			*state = *s;
		}
	}
	return proc_status_field(buf, key);
}

/* Thread i, attached, is asked to stop.  (One that died meanwhile is
 * seen when its exit is reported.)  After a refusal, nothing more is
 * stopped: the attached threads are let go, running, when this thread
 * exits. */
static void interrupt(struct stopper *c, size_t i)
{
	if (c->tc[i].st != TS_ATTACHED || c->rc != ATTACH_OK)
		return;
	if (!c->t_first)
		c->t_first = now_ns();
	ptrace(PTRACE_INTERRUPT, thr(c, i)->tid, 0, 0);
	set_state(c, i, TS_SEIZED);
}

/* Attach to thread i (PTRACE_SEIZE): it runs on, nothing is stopped */
static void attach(struct stopper *c, size_t i)
{
	struct thread *t = thr(c, i);
	char state = '?';
	long tracer;
	int tries;
	if (c->rc != ATTACH_OK)
		return;
	if (ptrace(PTRACE_SEIZE, t->tid, 0, (void *)(long)PTRACE_O_TRACEEXEC) == 0) {
		set_state(c, i, TS_ATTACHED);
		return;
	}
	if (errno == ESRCH) {
		set_state(c, i, TS_GONE);
		return;
	}
	/* EPERM is ambiguous: exiting (an exec zaps the other threads),
	 * zombie, traced, or really denied.  A thread on its way out is
	 * gone a moment later. */
	for (tries = 0; tries < 5; tries++) {
		struct timespec ts = { 0, 1000000 };
		tracer = status_of(c, t->tid, "\nTracerPid:", &state);
		if (tracer == -2 || state == 'X' || state == 'Z' || tracer > 0)
			break;
		if (ptrace(PTRACE_SEIZE, t->tid, 0, (void *)(long)PTRACE_O_TRACEEXEC) == 0) {
			set_state(c, i, TS_ATTACHED);
			return;
		}
		if (errno == ESRCH) {
			set_state(c, i, TS_GONE);
			return;
		}
		nanosleep(&ts, NULL);
	}
	if (tracer == -2 || state == 'X') {
		set_state(c, i, TS_GONE);
		return;
	}
	if (state == 'Z') {
		set_state(c, i, TS_SKIP);
		t->state = 'Z';
		free(t->no_stack);
		t->no_stack = xstrdup("the thread has exited (zombie)");
		return;
	}
	if (tracer > 0 && tracer != getpid()) {
		explain_tracer(c->p, t->tid, t->name, tracer, c->err);
		c->rc = ATTACH_ETRACED;
		return;
	}
	if (errno == EPERM) {
		proc_explain_eperm(c->p, c->err);
		c->rc = ATTACH_EPERM;
	} else {
		sb_addf(c->err, "cannot attach to thread %d: %s", (int)t->tid,
			strerror(errno));
		c->rc = ATTACH_ESTOP;
	}
}


/* A report of the thread's end: it exited or was killed */
static int is_exit(const siginfo_t *si)
{
	return si->si_code == CLD_EXITED || si->si_code == CLD_KILLED ||
	       si->si_code == CLD_DUMPED;
}

/* Thread i's event stop report is gone (reaped with its exit, or
 * dropped by the detach) */
static void forget_report(struct stopper *c, size_t i)
{
	if (c->tc[i].unreaped) {
		c->tc[i].unreaped = 0;
		c->unreaped--;
	}
}

/* Handle one stop report for thread i.  `peeked` says the report was
 * read with WNOWAIT and still sits in the kernel. */
static void on_stop(struct stopper *c, size_t i, const siginfo_t *si, int peeked)
{
	int status = si->si_status;
	int event = (status >> 8) & 0xff, sig = status & 0xff;
	pid_t tid = thr(c, i)->tid;
	siginfo_t tmp;
	if (is_exit(si)) {
		/* it exited or was killed: reap it */
		if (peeked) {
			memset(&tmp, 0, sizeof(tmp));
			waitid(P_PID, tid, &tmp, WEXITED | __WALL | WNOHANG);
		}
		forget_report(c, i);
		set_state(c, i, TS_GONE);
		return;
	}
	if (event == 0) {
		/* a signal-delivery stop: leave it unreaped, so that the kernel
		 * still owns the signal if we die; hand it back at detach */
		set_state(c, i, TS_STOPPED);
		c->tc[i].sig = sig;
		c->sigstop_held = 1;
		c->p->signal_stops++;
		return;
	}
	/* an event stop's report is reaped only before a wait that would
	 * see it again (reap_stops): the thread is stopped all the same,
	 * and a detach drops the report; one more wait a thread, 10,000 at
	 * 10,000 threads, kept every other thread held meanwhile */
	if (peeked && !c->tc[i].unreaped) {
		c->tc[i].unreaped = 1;
		c->unreaped++;
	}
	set_state(c, i, TS_STOPPED);
	c->tc[i].sig = 0;
	if (event == PTRACE_EVENT_EXEC)
		c->p->exec_seen = 1;
}

/* Whether seized thread i has stopped or exited (then taken note of, as
 * on_stop does): 1; 0 while it is on its way.  A thread that the main
 * thread reaped for us (unblock_exec) answers ECHILD: gone. */
static int peek_stop(struct stopper *c, size_t i)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, thr(c, i)->tid, &si,
		   WSTOPPED | WEXITED | __WALL | WNOHANG | WNOWAIT) < 0) {
		if (errno == ECHILD)
			set_state(c, i, TS_GONE);
		return 1;
	}
	if (!si.si_pid)
		return 0;
	on_stop(c, i, &si, 1);
	return 1;
}

#define EXIT_SCAN_AFTER_NS 2000000ull

/* Reap the event stops on_stop left in the kernel, before a wait on
 * P_ALL, which would otherwise return the first of them every time. */
static void reap_stops(struct stopper *c)
{
	size_t i;
	for (i = 0; i < c->p->nthreads && c->unreaped; i++)
		if (c->tc[i].unreaped) {
			siginfo_t si;
			memset(&si, 0, sizeof(si));
			waitid(P_PID, thr(c, i)->tid, &si, WSTOPPED | __WALL | WNOHANG);
			c->tc[i].unreaped = 0;
			c->unreaped--;
		}
}

/* Collect stop and exit reports.  Note that for a tracee the kernel
 * reports ptrace stops even to a wait for WEXITED only, so every wait
 * here peeks first (WNOWAIT) and reaps only what is safe to reap: exits
 * and PTRACE_EVENT stops, never a signal-delivery stop. */
static void poll_stops(struct stopper *c)
{
	size_t i;
	/* Ask each thread still to stop on its own: a wait on P_ALL walks
	 * every tracee in the kernel, so one per stop would cost n^2 (seconds
	 * at 10,000 threads). */
	for (i = 0; i < c->p->nthreads && c->pending; i++)
		if (c->tc[i].st == TS_SEIZED)
			peek_stop(c, i);
	/* Then the exits of threads already stopped: an exec in the target
	 * kills them and waits until we reap them.  (Once a signal-delivery
	 * stop is held unreaped, a P_ALL wait would return it forever.)  Only
	 * while some thread is still to stop: such a wait walks every tracee
	 * in the kernel, milliseconds at 10,000 threads, and once the running
	 * threads have stopped it held them that much longer; an exec then
	 * is seen by the maps' check after the capture.  And only once no
	 * stop has come for a while: then the threads still to stop may be
	 * waiting on an exec, which waits on us to reap; otherwise (a
	 * running thread stops microseconds after its interrupt) the walk
	 * only holds every thread the longer: 3 ms at 10,000 threads, in
	 * the running pass, where the running thread already waits. */
	while (!c->sigstop_held && c->pending && now_ns() - c->t_progress > EXIT_SCAN_AFTER_NS) {
		siginfo_t si;
		ssize_t k;
		reap_stops(c);
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | __WALL | WNOHANG | WNOWAIT) < 0 ||
		    !si.si_pid)
			return;
		k = find_tid(c, si.si_pid);
		if (k < 0) {
			/* not one of ours (cannot happen): reap it */
			waitid(P_PID, si.si_pid, &si, WEXITED | WSTOPPED | __WALL | WNOHANG);
			continue;
		}
		if (!is_exit(&si) && c->tc[k].st != TS_SEIZED)
			return;		/* nothing new */
		on_stop(c, k, &si, 1);
	}
}

/* "thread 12 (acceptor) of process 10 is already traced by PID 99
 * (strace)"; tid 0 means the whole process. */
static void explain_tracer(const struct process *p, pid_t tid, const char *name,
			   long tracer, struct sb *err)
{
	char comm[64] = "?", path[64];
	snprintf(path, sizeof(path), "/proc/%ld/comm", tracer);
	if (read_file_at(AT_FDCWD, path, comm, sizeof(comm)) > 0)
		comm[strcspn(comm, "\n")] = '\0';
	if (tid)
		sb_addf(err, "thread %d (%s) of process %d is already traced by PID %ld (%s)",
			(int)tid, name, (int)p->pid, tracer, comm);
	else
		sb_addf(err, "process %d (%s) is already traced by PID %ld (%s)",
			(int)p->pid, p->comm, tracer, comm);
	sb_adds(err, "; only one tracer may attach at a time: stop that tracer or detach it");
}

/* Seized threads that have not stopped yet; a thread that was in
 * uninterruptible sleep (D) before we began counts only while
 * `count_d` is set: it cannot stop before its kernel sleep ends, which
 * may take long, so we hold the others for it only briefly. */
static size_t count_pending(struct stopper *c, int count_d)
{
	return count_d ? c->pending : c->pending - c->pending_d;
}

/*
 * The stop gives up on threads that do not stop within the timeout: the
 * timeout counts from the last thread that stopped (or from the start),
 * not from the start alone.  Paced, 10,000 sleepers take 90-250 ms to
 * stop here, and past a fixed deadline the pacing ended and the rest
 * were interrupted at once: 1,010 of them stopped on the busy thread's
 * CPU in one 6.6 ms stall (perf sched, a slow run).
 */
static uint64_t stop_deadline(const struct stopper *c)
{
	uint64_t d = c->t_progress + c->o->timeout_ms * 1000000ull;
	return c->t_progress && d > c->deadline ? d : c->deadline;
}

/* Thread i was just interrupted: if STOP_WINDOW threads are now on
 * their way to a stop, wait until the oldest of them has stopped (or
 * been on its way too long); after each STOP_GROUP sleepers, until all
 * of them have. */
static void pace_stops(struct stopper *c, size_t i)
{
	sigset_t chld;
	int drain = 0;
	if (c->tc[i].st != TS_SEIZED || thr(c, i)->state == 'D')
		return;		/* gone, or not to stop soon: not paced */
	if (c->nwin == STOP_WINDOW)
		return;		/* past the deadline: no more pacing */
	c->win[c->nwin] = i;
	c->win_t[c->nwin++] = now_ns();
	if (!c->tc[i].running && ++c->group == STOP_GROUP) {
		c->group = 0;
		drain = 1;
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while ((c->nwin == STOP_WINDOW || (drain && c->nwin)) && c->rc == ATTACH_OK) {
		uint64_t now = now_ns();
		size_t k = 0;
		if (now >= stop_deadline(c))
			return;
		/* threads stop about in the order they were interrupted:
		 * look at the oldest first, and no further than one that
		 * is still on its way */
		while (k < c->nwin) {
			size_t j = c->win[k];
			if (c->tc[j].st == TS_SEIZED)
				peek_stop(c, j);
			if (c->tc[j].st == TS_SEIZED && now - c->win_t[k] < STOP_WINDOW_NS)
				break;
			k++;
		}
		if (k) {
			c->nwin -= k;
			memmove(c->win, c->win + k, c->nwin * sizeof(*c->win));
			memmove(c->win_t, c->win_t + k, c->nwin * sizeof(*c->win_t));
		} else {
			struct timespec ts = { 0, 50000 };
			sigtimedwait(&chld, NULL, &ts);
		}
	}
}

/* Wait until every seized thread stopped, or the deadlines passed. */
static void wait_stops(struct stopper *c)
{
	sigset_t chld;
	c->nwin = 0;		/* pace_stops' window: all waited for here */
	if (!c->t_progress)
		c->t_progress = now_ns();
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		uint64_t now, until;
		struct timespec ts;
		poll_stops(c);
		if (c->p->exec_seen)
			return;
		now = now_ns();
		if (!count_pending(c, now < c->deadline_d))
			return;
		if (now >= stop_deadline(c))
			return;
		until = count_pending(c, 0) ? stop_deadline(c) : c->deadline_d;
		until = until > now ? until - now : 0;
		if (until > 2000000)
			until = 2000000;	/* re-poll: SIGCHLDs coalesce */
		ts.tv_sec = 0;
		ts.tv_nsec = until;
		sigtimedwait(&chld, NULL, &ts);
	}
}

/* Where a copy from lo ends for a thread whose thread pointer is tp,
 * above lo: at its first frame when learn_frames_top knows where that
 * is and it lies above lo, else at tp */
static uint64_t frames_end(const struct stopper *c, uint64_t lo, uint64_t tp)
{
	return c->top_gap && tp - lo > c->top_gap + 8 ? tp - c->top_gap : tp;
}

/* Registers of thread i, and where its stack copy goes (t->cap.stack,
 * stack_lo; stack_len is the size wanted until the bytes are read). */
static int grab(struct stopper *c, size_t i)
{
	struct thread *t = thr(c, i);
	struct iovec iov = { &t->cap.regs, sizeof(t->cap.regs) };
	const struct mapping *m;
	uint64_t lo, hi;
	int trimmed = 0;
	if (!c->tc[i].cpu_held && ptrace(PTRACE_GETREGSET, t->tid, (void *)NT_PRSTATUS, &iov) < 0)
		return 0;
	if (t->syscall_nr == SYSCALL_UNKNOWN) {
		/* what /proc/TID/syscall would say of the stopped thread:
		 * orig_rax is the system call it is in (the result, -ERESTART*,
		 * is in rax), or -1 outside one */
		const struct user_regs_struct *r = &t->cap.regs;
		t->syscall_nr = (long)r->orig_rax < 0 ? SYSCALL_NONE : (long)r->orig_rax;
		c->tc[i].nr_from_regs = 1;
		args_from_regs(t, r);
		t->sp = r->rsp;
		t->pc = r->rip;
	}
	lo = t->cap.regs.rsp > 128 ? t->cap.regs.rsp - 128 : 0;	/* red zone */
	m = maps_find(&c->p->maps, t->cap.regs.rsp);
	hi = lo + c->o->max_stack;
	if (m && m->end < hi)
		hi = m->end;
	if (m && lo < m->start)
		lo = m->start;
	/* the thread pointer: glibc (and musl) put a thread's control block
	 * at the top of its stack mapping, above every frame; about 2.3 KiB
	 * of each copy that no unwind reads */
	if (t->cap.regs.fs_base > lo && t->cap.regs.fs_base < hi) {
		/* and no further than where its first frame begins, when
		 * its copy is checked to end as the probe's did */
		hi = frames_end(c, lo, t->cap.regs.fs_base);
		trimmed = hi != t->cap.regs.fs_base;
	}
	t->cap.stack = arena_alloc(&c->p->stacks, hi - lo);
	t->cap.stack_lo = lo;
	t->cap.stack_len = hi - lo;
	t->cap.ok = 1;
	return trimmed;
}

/*
 * A copy that ends at the first frame (grab) is kept when its last word
 * is the probe's (the return address its first frame was called from);
 * else the thread is not laid out as the probe's were, and its stack is
 * copied up to its thread pointer after all.  1 when kept, 2 when copied
 * whole.
 */
static int check_trimmed(struct stopper *c, struct thread *t)
{
	uint64_t word, lo = t->cap.stack_lo, len = t->cap.stack_len;
	struct iovec l, r;
	size_t got;
	memcpy(&word, t->cap.stack + len - 8, 8);
	if (word == c->top_word) {
		c->p->stacks_trimmed++;
		return 1;
	}
	c->p->stacks_untrimmed++;
	len += c->top_gap;
	t->cap.stack = arena_alloc(&c->p->stacks, len);
	l.iov_base = t->cap.stack;
	r.iov_base = (void *)(uintptr_t)lo;
	l.iov_len = r.iov_len = len;
	vm_read_ranges(c->p->mm_tid, &l, &r, 1, &got);
	t->cap.stack_len = got;
	return 2;
}

static void release(struct stopper *c, size_t i)
{
	pid_t tid = thr(c, i)->tid;
	if (c->tc[i].st != TS_STOPPED)
		return;
	if (ptrace(PTRACE_DETACH, tid, 0, (void *)(long)c->tc[i].sig) < 0 && errno != ESRCH) {
		/* nothing else can be done: our thread's exit detaches it */
	}
	forget_report(c, i);
	set_state(c, i, TS_DONE);
	c->t_last = now_ns();
}

/* How many times a thread was given a CPU, from its schedstat; -1 if
 * unknown. */
static long times_ran(int fd)
{
	char buf[96];
	const char *s;
	if (pread_file(fd, buf, sizeof(buf)) <= 0)
		return -1;
	if (!(s = strchr(buf, ' ')) || !(s = strchr(s + 1, ' ')))
		return -1;
	return strtol(s + 1, NULL, 10);
}

/* Before anything is held: one running thread's schedstat per CPU
 * where threads run, for release_sleepers. */
static void open_watches(struct stopper *c)
{
	size_t i, w;
	c->nwatch = 0;
	for (i = 0; i < c->p->nthreads && c->nwatch < MAX_WATCH; i++) {
		const struct thread *t = thr(c, i);
		char path[64];
		int fd;
		if (!c->tc[i].running || t->cpu < 0)
			continue;
		for (w = 0; w < c->nwatch && c->watch[w].cpu != t->cpu; w++)
			;
		if (w < c->nwatch)
			continue;
		snprintf(path, sizeof(path), "task/%d/schedstat", (int)t->tid);
		if ((fd = openat(c->pfd, path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		if (times_ran(fd) < 0) {
			close(fd);
			continue;
		}
		c->watch[c->nwatch].cpu = t->cpu;
		c->watch[c->nwatch++].fd = fd;
	}
}

/* A held sleeper, not the leader, that last ran on `cpu` (-1: on no
 * watched CPU): the CPU it stopped on where the task iterator read it
 * while held (a released thread wakes there), else where it ran before
 * the stop.  With the CPU from before the stop alone, the sleepers that
 * stopped beside the busy thread but had run elsewhere went unpaced:
 * 135-152 of them at a time kept it off its CPU 1.1-1.5 ms at 10,000
 * threads (perf sched). */
static int sleeper_on(struct stopper *c, size_t i, int cpu)
{
	const struct thread *t = thr(c, i);
	int on = c->tc[i].cpu_held ? c->tc[i].cpu_held - 1 : t->cpu;
	size_t w;
	if (c->tc[i].running || c->tc[i].st != TS_STOPPED || t->tid == c->p->pid)
		return 0;
	if (cpu >= 0)
		return on == cpu;
	for (w = 0; w < c->nwatch; w++)
		if (on == c->watch[w].cpu)
			return 0;
	return 1;
}

/* Release the held sleepers but the leader in batches (see
 * RELEASE_WINDOW): those that last ran on a watched CPU with that CPU's
 * batches, the others with the last watched CPU's.  The caller releases
 * what is left (all of them, when no thread is watched). */
static void release_sleepers(struct stopper *c)
{
	size_t n = c->p->nthreads, i, w, nhot = 0, left = 0;
	size_t *hot = c->bgot;	/* free again once the copies are made */
	size_t k[MAX_WATCH], end[MAX_WATCH];
	long ran[MAX_WATCH];
	uint64_t sent[MAX_WATCH];
	struct thread t;
	for (w = 0; w < c->nwatch; w++) {
		k[w] = nhot;
		for (i = 0; i < n; i++)
			if (sleeper_on(c, i, c->watch[w].cpu))
				hot[nhot++] = i;
		if (w == c->nwatch - 1)
			for (i = 0; i < n; i++)
				if (sleeper_on(c, i, -1))
					hot[nhot++] = i;
		end[w] = nhot;
		sent[w] = 0;
		left += end[w] - k[w];
	}
	while (left) {
		int progress = 0;
		for (w = 0; w < c->nwatch; w++) {
			size_t b;
			long r;
			if (k[w] == end[w])
				continue;
			r = times_ran(c->watch[w].fd);
			/* the batch before is still waiting, unless that
			 * thread is gone */
			if (sent[w] && r == ran[w] && r >= 0 &&
			    now_ns() - sent[w] < RELEASE_WINDOW_NS)
				continue;
			ran[w] = r;
			for (b = 0; b < RELEASE_WINDOW && k[w] < end[w]; b++, left--)
				release(c, hot[k[w]++]);
			sent[w] = now_ns();
			/* the last of them woke elsewhere, on an idle CPU if
			 * there is one: nothing to wait for */
			if (proc_read_stat(c->pfd, thr(c, hot[k[w] - 1])->tid, &t) == 0 &&
			    t.cpu != c->watch[w].cpu)
				sent[w] = 0;
			c->p->paced += b;
			c->p->batches++;
			progress = 1;
		}
		if (!progress) {
			/* this CPU is free meanwhile for the sleepers to run on */
			struct timespec ts = { 0, 20000 };
			nanosleep(&ts, NULL);
		}
	}
}

/* Room for n threads' stack copies in one batch; threads found by a
 * rescan may grow it while held, the first call is made before. */
static void batch_reserve(struct stopper *c, size_t n)
{
	if (n <= c->bcap)
		return;
	c->bt = xrealloc_array(c->bt, n, sizeof(*c->bt));
	c->bl = xrealloc_array(c->bl, n, sizeof(*c->bl));
	c->br = xrealloc_array(c->br, n, sizeof(*c->br));
	c->bgot = xrealloc_array(c->bgot, n, sizeof(*c->bgot));
	c->btrim = xrealloc_array(c->btrim, n, sizeof(*c->btrim));
	c->bcap = n;
}

static void take_regs(void *arg, const struct held_regs *h)
{
	struct stopper *c = arg;
	ssize_t i = find_tid(c, h->tid);
	if (i < 0 || !h->traced || c->tc[i].st != TS_STOPPED || c->tc[i].running)
		return;
	thr(c, (size_t)i)->cap.regs = h->regs;
	c->tc[i].cpu_held = h->cpu + 1;
}

/*
 * The held sleepers' registers, all in one read of the task iterator
 * (taskiter.c), where the facts came from it too: one GETREGSET a
 * thread took 27 ms of the hold at 10,000 threads.  Trusted only when
 * the first thread's are what GETREGSET gives; else, or where anything
 * fails, each thread's are asked for as before.
 */
static void read_regs(struct stopper *c)
{
	size_t i, n = 0;
	int same = 0;
	if (c->regs_link < 0 || c->asleep)
		return;
	if (taskiter_regs_read(c->regs_link, take_regs, c) == 0)
		for (i = 0; i < c->p->nthreads; i++) {
			struct user_regs_struct r;
			struct iovec iov = { &r, sizeof(r) };
			if (!c->tc[i].cpu_held)
				continue;
			if (!n++)
				same = ptrace(PTRACE_GETREGSET, thr(c, i)->tid, (void *)NT_PRSTATUS,
					      &iov) == 0 &&
				       !memcmp(&r, &thr(c, i)->cap.regs, sizeof(r));
		}
	if (!same) {
		for (i = 0; i < c->p->nthreads; i++)
			c->tc[i].cpu_held = 0;
		n = 0;
	}
	c->p->regs_bulk = (int)n;
}

/* The registers (grab) and the stacks, in one batched read, of the
 * threads in state st that ran (running) or not before the stop */
static void copy_stacks(struct stopper *c, enum ts st, int running)
{
	size_t i, n = c->p->nthreads, ng = 0;
	struct thread **ts;
	struct iovec *l, *r;
	batch_reserve(c, n);
	ts = c->bt;
	l = c->bl;
	r = c->br;
	for (i = 0; i < n; i++)
		if (c->tc[i].st == st && c->tc[i].running == running &&
		    !c->p->exec_seen && c->rc == ATTACH_OK) {
			struct thread *t = thr(c, i);
			c->btrim[ng] = (uint8_t)grab(c, i);
			if (!t->cap.ok)
				continue;
			l[ng].iov_base = t->cap.stack;
			r[ng].iov_base = (void *)(uintptr_t)t->cap.stack_lo;
			l[ng].iov_len = r[ng].iov_len = t->cap.stack_len;
			ts[ng++] = t;
		}
	/* a short copy keeps what it got: registers alone still give the
	 * top frame */
	vm_read_ranges(c->p->mm_tid, l, r, ng, c->bgot);
	for (i = 0; i < ng; i++) {
		int whole = c->bgot[i] == ts[i]->cap.stack_len;
		ts[i]->cap.stack_len = c->bgot[i];
		if (c->btrim[i] && whole)
			c->tc[ts[i] - c->p->threads].trim = check_trimmed(c, ts[i]);
		c->p->stack_bytes += ts[i]->cap.stack_len;
	}
}

static void capture_and_release(struct stopper *c, int running_pass)
{
	size_t i, n = c->p->nthreads;
	if (!running_pass)
		read_regs(c);
	copy_stacks(c, TS_STOPPED, running_pass);
	if (!running_pass)
		c->t_copied = now_ns();
	/* release non-leaders first, the leader last */
	if (!running_pass)
		release_sleepers(c);
	for (i = 0; i < n; i++)
		if (c->tc[i].running == running_pass && thr(c, i)->tid != c->p->pid)
			release(c, i);
	for (i = 0; i < n; i++)
		if (c->tc[i].running == running_pass)
			release(c, i);
}


/* Whether a thread was running (and is released by now) */
static int running_threads(struct stopper *c)
{
	size_t i;
	for (i = 0; i < c->p->nthreads; i++)
		if (c->tc[i].running && c->tc[i].st != TS_SKIP && c->tc[i].st != TS_GONE)
			return 1;
	return 0;
}

/* threads we know of that may still be alive */
static size_t held_count(struct stopper *c)
{
	size_t i, n = 0;
	for (i = 0; i < c->p->nthreads; i++)
		n += c->tc[i].st != TS_GONE && c->tc[i].st != TS_SKIP;
	return n;
}

static void hold_for_tests(struct stopper *c)
{
	struct timespec ts;
	if (c->o->test_hold_ms <= 0)
		return;
	ts.tv_sec = c->o->test_hold_ms / 1000;
	ts.tv_nsec = (c->o->test_hold_ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

#define STACK_GUESS 4096u

/*
 * grab() copies a thread's stack from below its stack pointer up to its
 * thread pointer.  glibc and musl put a thread's static TLS there, above
 * its first frame, and no unwind reads it: at 10,000 threads of the
 * benchmark's pool, 1.8 KiB of each 2.3 KiB copy, 18 MiB of pages to
 * fault in before the stop (where a virtual machine's host gave the
 * memory back, about 1.4 ms a MiB here) and to copy while held.  The
 * first frame begins at the same distance below the thread pointer in
 * every thread a process's libc started, and the word just below is the
 * same return address (into clone3).  Both are learnt here, before the
 * stop, by unwinding the live stacks of two blocked threads, which must
 * agree; grab() then stops each copy there, and a copy that does not end
 * in that word is made again up to the thread pointer (check_trimmed).
 * A thread whose frames lie elsewhere (Go's, a coroutine's, one on a
 * signal stack) has its thread pointer outside its copy: nothing cut.
 */
#define PROBES 2

static int probe_thread(struct stopper *c, const struct thread *t, uint64_t *gap,
			uint64_t *word)
{
	struct process *p = c->p;
	struct thread now;
	struct capture cap;
	const struct mapping *m;
	char path[64], buf[512];
	uint64_t lo, end;
	size_t got;
	struct iovec l, r;
	int rc = -1;
	snprintf(path, sizeof(path), "task/%d/syscall", (int)t->tid);
	if (read_file_at(c->pfd, path, buf, sizeof(buf)) <= 0)
		return -1;
	memset(&now, 0, sizeof(now));
	proc_parse_syscall(buf, &now);
	/* blocked in a system call, its stack where the iterator saw it */
	if (now.syscall_nr < 0 || now.sp != t->sp || !now.pc || t->sp <= 128)
		return -1;
	lo = t->sp - 128;
	memset(&cap, 0, sizeof(cap));
	cap.regs.rsp = t->sp;
	cap.regs.rip = now.pc;
	cap.regs.fs_base = t->fsbase_hint;
	cap.stack_lo = lo;
	cap.stack_len = t->fsbase_hint - lo;
	cap.stack = xmalloc(cap.stack_len);
	l.iov_base = cap.stack;
	r.iov_base = (void *)(uintptr_t)lo;
	l.iov_len = r.iov_len = cap.stack_len;
	vm_read_ranges(p->mm_tid, &l, &r, 1, &got);
	cap.ok = got == cap.stack_len;
	if (cap.ok && unwind_copy_end(p, &cap, &end) == 0 && end >= lo + 8 &&
	    end < t->fsbase_hint) {
		memcpy(word, cap.stack + (end - 8 - lo), 8);
		*gap = t->fsbase_hint - end;
		m = maps_find(&p->maps, *word);
		rc = m && m->perms[2] == 'x' ? 0 : -1;
	}
	free(cap.stack);
	return rc;
}

static void learn_frames_top(struct stopper *c)
{
	const struct process *p = c->p;
	size_t i, tried = 0, agreed = 0;
	uint64_t gap, word;
	for (i = 0; i < p->nthreads && tried < 2 * PROBES && agreed < PROBES; i++) {
		const struct thread *t = &p->threads[i];
		if (t->tid == p->pid || t->state != 'S' || !t->sp || t->fsbase_hint <= t->sp ||
		    t->fsbase_hint - t->sp > c->o->max_stack)
			continue;
		tried++;
		if (probe_thread(c, t, &gap, &word) < 0)
			continue;
		if (agreed && (gap != c->top_gap || word != c->top_word))
			break;
		c->top_gap = gap;
		c->top_word = word;
		agreed++;
	}
	if (agreed < PROBES)
		c->top_gap = 0;
}

/*
 * The room the stack copies will take: for a blocked thread whose stack
 * and thread pointers the task iterator read, what grab() will copy
 * ([sp - 128, thread pointer), less what learn_frames_top found, unless
 * it runs before the stop); for the others a guess, about 2.5 KiB a
 * thread of a pool up to its control block.  At 10,000 threads of a
 * pool: 5.9 MiB where the guess alone made 40 MiB.  A thread that needs
 * more takes a new chunk while held.
 */
static size_t stack_room(struct stopper *c)
{
	size_t i, room = 64 << 10;
	for (i = 0; i < c->p->nthreads; i++) {
		const struct thread *t = thr(c, i);
		uint64_t lo = t->sp - 128, tp = t->fsbase_hint;
		if (c->tc[i].st != TS_NEW)
			continue;	/* copied already, or not to be */
		if (t->sp > 128 && tp > lo && tp - lo <= c->o->max_stack)
			room += (size_t)((frames_end(c, lo, tp) - lo + 15) & ~15ull);
		else
			room += STACK_GUESS;
	}
	return room;
}

/* Which threads /proc saw running, and which have exited already. */
static void mark_known(struct stopper *c)
{
	struct process *p = c->p;
	size_t i;
	for (i = 0; i < p->nthreads; i++) {
		c->tc[i].running = p->threads[i].state == 'R';
		if (p->threads[i].state == 'Z' || p->threads[i].state == 'X') {
			set_state(c, i, TS_SKIP);
			p->threads[i].no_stack = xstrdup("the thread has exited (zombie)");
		}
	}
}

/*
 * The threads /proc listed: all attached first, then blocked ones
 * stopped, then running ones.  Attaching takes the kernel's tasklist
 * lock for writing, and a thread on its way to its stop takes it for
 * reading: attached and stopped one after the other, at 10,000 threads
 * the sleepers that stopped beside a running thread spun on that lock
 * there, 19 of them for 5 ms in one trace (perf sched).  Attached, a
 * thread runs on as before; one that takes a signal or execs meanwhile
 * stops for us as it would once asked.
 */
static void seize_known(struct stopper *c)
{
	struct process *p = c->p;
	size_t i;
	int pass;
	for (i = 0; i < p->nthreads; i++)
		if (c->tc[i].st == TS_NEW)
			attach(c, i);
	for (pass = 0; pass < 2; pass++) {
		/* the running threads, stopped last, get the whole timeout
		 * too: the sleepers' stops, paced, may have used it up */
		if (pass == 1 && c->deadline < now_ns() + c->o->timeout_ms * 1000000ull)
			c->deadline = now_ns() + c->o->timeout_ms * 1000000ull;
		for (i = 0; i < p->nthreads; i++)
			if (c->tc[i].st == TS_ATTACHED && c->tc[i].running == pass) {
				interrupt(c, i);
				pace_stops(c, i);
			}
		wait_stops(c);
	}
}

/* Then any thread that appeared meanwhile, until a scan finds nothing
 * new: a stopped thread cannot create another. */
static void seize_new(struct stopper *c)
{
	struct process *p = c->p;
	int round;
	for (round = 0; !c->o->no_rescan && round < 1000 && c->rc == ATTACH_OK &&
	     !p->exec_seen; round++) {
		pid_t *tids = NULL;
		ssize_t n, k;
		int added = 0;
		p->scan_rounds = round + 1;
		/* the thread count in /proc/PID/status is one small read; only
		 * when it says there are more threads than we hold is the task
		 * directory listed (a running thread is held meanwhile; an
		 * unreadable count, -1, lists it too) */
		if ((size_t)proc_count_threads(c->pfd) <= held_count(c))
			break;
		n = proc_list_tids(c->pfd, &tids);
		for (k = 0; k < n; k++) {
			size_t j;
			if (find_tid(c, tids[k]) >= 0)
				continue;
			j = add_thread(c, tids[k]);
			attach(c, j);
			interrupt(c, j);
			pace_stops(c, j);
			added++;
		}
		free(tids);
		if (!added)
			break;
		wait_stops(c);
	}
}

/* A thread interrupted that had not stopped by the deadline stops as
 * soon as it leaves what held it up (a running one: microseconds).
 * Left so, it would stay stopped until this thread exits and the kernel
 * detaches it: at 10,000 threads, a busy thread interrupted after the
 * deadline stalled for the rest of the capture (216-221 ms here).  So each is
 * waited for a little more, once the others are released, and let go
 * as soon as it stops; one still on its way after that (in
 * uninterruptible sleep) no longer stops once this thread's exit
 * detaches it. */
#define LATE_WAIT_NS 20000000ull

static void release_late(struct stopper *c)
{
	uint64_t until = now_ns() + LATE_WAIT_NS;
	struct timespec ts = { 0, 50000 };
	size_t i, left;
	for (;;) {
		left = 0;
		for (i = 0; i < c->p->nthreads; i++) {
			if (c->tc[i].st != TS_SEIZED)
				continue;
			if (!peek_stop(c, i)) {
				left++;
			} else if (c->tc[i].st == TS_STOPPED) {
				c->tc[i].late = 1;
				release(c, i);
			}
		}
		if (!left || now_ns() >= until)
			return;
		nanosleep(&ts, NULL);
	}
}

/*
 * A thread asleep in the kernel does not change its registers or its
 * own stack until it runs again, and it cannot run again without the
 * kernel counting it: every time a thread leaves a CPU, one of its
 * nvcsw and nivcsw counts grows.  So a thread that the task iterator
 * reads asleep (S, on no CPU), then, after the other threads were held
 * and released, reads again asleep with the same count and the same
 * registers, was in that state all along: at the instant every other
 * thread was held too.  It is read where it sleeps, never stopped:
 * at 10,000 threads of a pool, each stop woke a sleeper (which then
 * had to run, beside the busy thread on a 2-CPU machine as often as
 * not), and so did each release.
 *
 * The registers it read asleep are checked against PTRACE_GETREGSET
 * on one sleeper that is stopped (the witness): the same but rax,
 * which an interrupted system call sets on its way out.  If that check
 * fails, nothing read asleep is kept: every thread is stopped and
 * copied as for a process of busy threads (1 is returned when that is
 * not needed).  So it is too when sleepers still run (or exit) after
 * ASLEEP_TRIES attempts, below.
 */
static void note_asleep(void *arg, const struct held_regs *h)
{
	struct stopper *c = arg;
	ssize_t i = find_tid(c, h->tid);
	if (i < 0 || !h->sleeping || h->traced || c->tc[i].st != TS_NEW || c->tc[i].running)
		return;
	thr(c, (size_t)i)->cap.regs = h->regs;
	c->tc[i].cpu_held = h->cpu + 1;
	c->tc[i].switches = h->switches;
	set_state(c, (size_t)i, TS_ASLEEP);
}

/* Whether a thread asleep in system call nr, once stopped, goes back
 * to it by itself: the kernel restarts these; epoll_wait, semop,
 * sigtimedwait, ... return EINTR to the target instead (inspect(1),
 * NOTES) */
static int restarts(unsigned long long nr)
{
	static const unsigned short calls[] = {
		SYS_futex, SYS_nanosleep, SYS_clock_nanosleep, SYS_poll, SYS_ppoll, SYS_select,
		SYS_pselect6, SYS_read, SYS_accept, SYS_accept4, SYS_pause, SYS_wait4, SYS_waitid,
	};
	size_t k;
	for (k = 0; k < sizeof(calls) / sizeof(calls[0]); k++)
		if (nr == calls[k])
			return 1;
	return 0;
}

static void check_asleep(void *arg, const struct held_regs *h)
{
	struct stopper *c = arg;
	ssize_t i = find_tid(c, h->tid);
	if (i >= 0 && c->tc[i].st == TS_ASLEEP && h->sleeping && !h->traced &&
	    h->switches == c->tc[i].switches &&
	    !memcmp(&h->regs, &thr(c, (size_t)i)->cap.regs, sizeof(h->regs)))
		c->tc[i].unchanged = 1;
}

/* The witness's registers, stopped, are those read asleep but rax */
static int witness_agrees(struct stopper *c)
{
	struct user_regs_struct a, b;
	const struct thread *t;
	if (c->witness < 0)
		return 0;
	t = thr(c, (size_t)c->witness);
	if (!t->cap.ok)
		return 0;
	a = t->cap.regs;
	b = c->witness_regs;
	a.rax = b.rax = 0;
	return !memcmp(&a, &b, sizeof(a));
}

/* Undo capture_asleep's attempt: every thread it stopped is to be
 * stopped again, and so is every thread read asleep, but, with
 * keep_unchanged, those that were still asleep as they were */
static void redo_asleep(struct stopper *c, int keep_unchanged)
{
	struct process *p = c->p;
	size_t i;
	for (i = 0; i < p->nthreads; i++) {
		struct tctl *tc = &c->tc[i];
		struct thread *t = thr(c, i);
		if (tc->st == TS_ASLEEP && keep_unchanged && tc->unchanged) {
			tc->unchanged = 0;
			continue;
		}
		if (tc->st == TS_DONE || tc->st == TS_ASLEEP)
			set_state(c, i, TS_NEW);
		if (tc->nr_from_regs)
			t->syscall_nr = SYSCALL_UNKNOWN;
		if (t->cap.ok)
			p->stack_bytes -= t->cap.stack_len;
		p->stacks_trimmed -= tc->trim == 1;
		p->stacks_untrimmed -= tc->trim == 2;
		tc->nr_from_regs = tc->late = tc->cpu_held = tc->sig = tc->unchanged = tc->trim = 0;
		memset(&t->cap, 0, sizeof(t->cap));
	}
	c->sigstop_held = 0;
	if (c->t_first && c->t_last > c->t_first)
		c->held_before += c->t_last - c->t_first;
	c->t_first = c->t_last = c->t_progress = 0;
	c->nwin = c->group = 0;
	c->asleep = keep_unchanged;
	arena_reserve(&p->stacks, stack_room(c));
}

static void start_deadlines(struct stopper *c)
{
	uint64_t d = c->o->timeout_ms < D_GRACE_MS ? c->o->timeout_ms : D_GRACE_MS;
	c->deadline = now_ns() + c->o->timeout_ms * 1000000ull;
	c->deadline_d = now_ns() + d * 1000000ull;
}

static void hold_and_copy(struct stopper *c);

/*
 * A sleeper that ran during an attempt (a timer's thread, say) is
 * stopped with the running threads in the next, while those still
 * asleep as they were stay read: the snapshot is then that attempt's
 * instant.  After ASLEEP_TRIES attempts, every thread is stopped.
 */
#define ASLEEP_TRIES 3

static int capture_asleep(struct stopper *c)
{
	struct process *p = c->p;
	size_t i, nasleep = 0, ran = 0;
	int try;
	if (c->regs_link < 0 || p->go.is_go || c->o->stop_all)
		return 0;
	c->witness = -1;
	if (taskiter_regs_read(c->regs_link, note_asleep, c) < 0) {
		redo_asleep(c, 0);
		return 0;
	}
	for (i = 0; i < p->nthreads; i++) {
		if (c->tc[i].st != TS_ASLEEP)
			continue;
		if (c->witness < 0 && thr(c, i)->tid != p->pid &&
		    restarts(thr(c, i)->cap.regs.orig_rax)) {
			c->witness = (ssize_t)i;
			c->witness_regs = thr(c, i)->cap.regs;
			c->tc[i].cpu_held = 0;
			set_state(c, i, TS_NEW);
			continue;
		}
		nasleep++;
	}
	if (!nasleep || c->witness < 0) {
		redo_asleep(c, 0);
		return 0;
	}
	c->asleep = 1;
	copy_stacks(c, TS_ASLEEP, 0);
	for (try = 1;; try++) {
		hold_and_copy(c);
		if (c->rc != ATTACH_OK || p->exec_seen)
			return 1;	/* an error, which the caller reports */
		/* the registers' check, once: a witness stopped again after
		 * a restart may be in restart_syscall instead */
		if (try == 1 && !witness_agrees(c)) {
			p->asleep_ran = -1;
			break;
		}
		if (taskiter_regs_read(c->regs_link, check_asleep, c) < 0)
			break;
		ran = nasleep = 0;
		for (i = 0; i < p->nthreads; i++)
			if (c->tc[i].st == TS_ASLEEP) {
				ran += !c->tc[i].unchanged;
				nasleep += c->tc[i].unchanged;
			}
		p->asleep_ran += (int)ran;
		if (!ran) {
			for (i = 0; i < p->nthreads; i++)
				if (c->tc[i].st == TS_ASLEEP)
					set_state(c, i, TS_DONE);
			p->read_asleep = (int)nasleep;
			p->asleep_tries = try;
			return 1;
		}
		if (try == ASLEEP_TRIES || !nasleep)
			break;
		redo_asleep(c, 1);
	}
	redo_asleep(c, 0);
	return 0;
}

/* Stop the threads to stop, copy them, release them */
static void hold_and_copy(struct stopper *c)
{
	struct process *p = c->p;
	start_deadlines(c);
	seize_known(c);
	seize_new(c);
	c->t_stopped = now_ns();
	hold_for_tests(c);
	/* running threads are captured and released first; then a Go
	 * program's goroutines are copied while the others are held */
	capture_and_release(c, 1);
	if (c->rc == ATTACH_OK && !p->exec_seen)
		go_capture(p, c->o->max_stack, running_threads(c));
	capture_and_release(c, 0);
	release_late(c);
	c->t_released = now_ns();
}

/* The ptrace thread: every ptrace call of the capture is made here. */
static void *ptrace_thread_main(void *arg)
{
	struct stopper *c = arg;
	struct process *p = c->p;
	size_t i;
	tracer_tid = (pid_t)syscall(SYS_gettid);
	/* the pacing of stops and release sleeps 20 us at a time: with the
	 * default timer slack (50 us) each sleep took three times that */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	/* room for the threads' live stacks, reserved (faulted in) before
	 * anything is held */
	learn_frames_top(c);
	arena_reserve(&p->stacks, stack_room(c));
	if (p->facts_bulk)
		c->regs_link = taskiter_regs_open(p->pid);
	batch_reserve(c, p->nthreads);
	mark_known(c);
	open_watches(c);
	if (!capture_asleep(c))
		hold_and_copy(c);
	c->cpu = sched_getcpu();
	for (i = 0; i < c->nwatch; i++)
		close(c->watch[i].fd);
	return NULL;
}

/* An exec in the target takes its cred_guard_mutex, then waits in
 * de_thread() until the other threads, killed by the exec, are reaped;
 * if they are our tracees, only we can reap them.  A PTRACE_SEIZE of
 * the exec'ing thread meanwhile sleeps on that mutex: the ptrace thread
 * is stuck, and so is the target.  A sibling thread may reap a thread's
 * tracees, so the main thread, seeing the ptrace thread blocked in
 * PTRACE_SEIZE, reaps our zombie tracees; the exec completes, the seize
 * returns, and the capture notices the exec. */
static void unblock_exec(int pfd, char *last, size_t lastsize)
{
	char path[96], buf[512];
	pid_t *tids = NULL;
	ssize_t n, i;
	int same;
	if (!tracer_tid)
		return;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tracer_tid);
	if (read_file_at(AT_FDCWD, path, buf, sizeof(buf)) <= 0 ||
	    strncmp(buf, "101 0x4206 ", 11)) {	/* ptrace(PTRACE_SEIZE, ...) */
		last[0] = '\0';
		return;
	}
	/* A seize takes microseconds: only one still in the same call (same
	 * thread) a poll later is stuck.  Seen once, it is only busy, and a
	 * scan of every thread's state would slow the capture it waits on. */
	same = !strcmp(buf, last);
	snprintf(last, lastsize, "%s", buf);
	if (!same)
		return;
	n = proc_list_tids(pfd, &tids);
	for (i = 0; i < n; i++) {
		struct thread t;
		siginfo_t si;
		if (proc_read_stat(pfd, tids[i], &t) < 0 || t.state != 'Z')
			continue;
		memset(&si, 0, sizeof(si));
		waitid(P_PID, tids[i], &si, WEXITED | __WALL | WNOHANG);
	}
	free(tids);
}

/*
 * Move the calling thread to the CPU where the ptrace thread ended, and
 * leave it free to move again.  The main thread woke now and then while
 * it waited, on whatever CPU the scheduler chose, often one where a
 * thread of the target runs; left there, the unwinding and symbolizing
 * that follow take turns with that thread, a tick (4 ms) at a time,
 * while the ptrace thread's CPU goes idle.
 */
static void follow_to_cpu(int cpu)
{
	cpu_set_t all, one;
	if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof(all), &all) < 0 ||
	    !CPU_ISSET(cpu, &all) || CPU_COUNT(&all) < 2)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) == 0)
		sched_setaffinity(0, sizeof(all), &all);
}

/*
 * The CPUs the capture thread may run on: ours, less those where a
 * thread of the target was running when its facts were read.  Started
 * anywhere, the scheduler often put it beside a busy thread of the
 * target while another CPU sat idle, and the two then took turns a tick
 * (4 ms) at a time: that thread's stall, before anything was held.
 * Returns 0 when no CPU is left (every one runs a thread of the target):
 * then the scheduler chooses.
 */
static int capture_cpus(const struct process *p, cpu_set_t *set)
{
	size_t i;
	if (sched_getaffinity(0, sizeof(*set), set) < 0)
		return 0;
	for (i = 0; i < p->nthreads; i++)
		if (p->threads[i].state == 'R' && p->threads[i].cpu >= 0 &&
		    p->threads[i].cpu < CPU_SETSIZE)
			CPU_CLR(p->threads[i].cpu, set);
	return CPU_COUNT(set) > 0;
}

/* Start the ptrace thread, with the signals that must wait blocked
 * (in *old, the mask before) and off the CPUs where the target runs.
 * 0, or -1 with the message in err. */
static int cap_start(struct stopper *c, pthread_t *th, sigset_t *old)
{
	pthread_attr_t attr;
	cpu_set_t cpus;
	sigset_t block;
	int started;
	/* While threads are held, SIGINT/TERM/HUP (and job control) wait;
	 * SIGCHLD is only ever taken by sigtimedwait in the ptrace thread. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, SIGTSTP);
	sigaddset(&block, SIGTTIN);
	sigaddset(&block, SIGTTOU);
	sigaddset(&block, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &block, old);
	pthread_attr_init(&attr);
	if ((c->have_cpus = capture_cpus(c->p, &cpus))) {
		pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
		c->cpus = cpus;
	}
	started = pthread_create(th, &attr, ptrace_thread_main, c) == 0;
	pthread_attr_destroy(&attr);
	if (started)
		return 0;
	pthread_sigmask(SIG_SETMASK, old, NULL);
	sb_addf(c->err, "cannot start the capture thread: %s", strerror(errno));
	return -1;
}

/* Wait for the ptrace thread, meanwhile keeping an exec in the target
 * from deadlocking it (see unblock_exec); then reap what the kernel's
 * detach at its exit left (exit reports) and restore the signal mask. */
static void cap_join(struct stopper *c, pthread_t th, const sigset_t *old)
{
	char last[512];
	cpu_set_t mine;
	/* this thread wakes every 5 ms meanwhile: on the ptrace thread's
	 * CPUs, not beside a busy thread of the target.  There, too, reading
	 * the ptrace thread's syscall file (which waits until that thread is
	 * off its CPU) costs nothing: at 10,000 threads, on the busy
	 * thread's CPU, it spun there 2-3 ms at a time (perf sched) */
	int moved = c->have_cpus && sched_getaffinity(0, sizeof(mine), &mine) == 0 &&
		    sched_setaffinity(0, sizeof(c->cpus), &c->cpus) == 0;
	last[0] = '\0';
	for (;;) {
		struct timespec ts;
		deadline_ts(&ts, 5000000);
		if (pthread_timedjoin_np(th, NULL, &ts) == 0)
			break;
		unblock_exec(c->pfd, last, sizeof(last));
	}
	if (moved)
		sched_setaffinity(0, sizeof(mine), &mine);
	follow_to_cpu(c->cpu);
	for (;;) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | __WALL | WNOHANG) < 0 ||
		    !si.si_pid)
			break;
	}
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* Threads seized but never stopped say why, from /proc; the captured
 * ones are counted. */
static void mark_unstopped(struct stopper *c)
{
	struct process *p = c->p;
	uint64_t grace = c->o->timeout_ms < D_GRACE_MS ? c->o->timeout_ms : D_GRACE_MS;
	size_t i;
	for (i = 0; i < p->nthreads; i++) {
		struct thread *t = &p->threads[i];
		if (c->tc[i].st == TS_SEIZED || c->tc[i].late) {
			p->not_stopped++;
			free(t->no_stack);
			proc_read_fallback(c->pfd, t, 0);
			if (t->state == 'D')
				t->no_stack = xasprintf("in uninterruptible sleep (D%s%s), it "
							"cannot stop until that ends; the others "
							"were released after %d ms",
							t->wchan ? ", in " : "", t->wchan ? t->wchan : "",
							(int)grace);
			else
				t->no_stack = xasprintf("did not stop within %llu ms (state %c%s%s)",
							(unsigned long long)c->o->timeout_ms, t->state,
							t->wchan ? ", in " : "", t->wchan ? t->wchan : "");
		}
		if (t->cap.ok)
			p->captured++;
	}
}

/* Threads that exited during the attach are dropped. */
static void drop_gone(struct stopper *c)
{
	struct process *p = c->p;
	size_t i, w = 0;
	for (i = 0; i < p->nthreads; i++) {
		if (c->tc[i].st == TS_GONE && !p->threads[i].cap.ok) {
			thread_release(&p->threads[i]);
			continue;
		}
		p->threads[w++] = p->threads[i];
	}
	p->nthreads = w;
}

static enum attach_err exec_error(struct process *p, struct sb *err)
{
	p->exec_seen = 1;
	sb_addf(err, "process %d called exec during the capture; its old threads are gone "
		"(run inspect again)", (int)p->pid);
	return ATTACH_ESTOP;
}

/* What the capture came to.  No thread captured means the process is
 * gone, or in the middle of an exec: the old leader reads as a zombie
 * for a moment while another thread takes its place. */
static enum attach_err capture_outcome(struct stopper *c)
{
	struct process *p = c->p;
	int tries;
	if (c->rc != ATTACH_OK)
		return c->rc;
	if (p->exec_seen)
		return exec_error(p, c->err);
	if (p->nthreads && p->captured)
		return ATTACH_OK;
	for (tries = 0; tries < 10; tries++) {
		struct thread lt;
		struct timespec ts = { 0, 5000000 };
		if (proc_read_stat(c->pfd, p->pid, &lt) < 0 || lt.state == 'X')
			break;
		if (lt.state != 'Z')
			return exec_error(p, c->err);
		nanosleep(&ts, NULL);
	}
	sb_addf(c->err, "process %d exited during the capture", (int)p->pid);
	return ATTACH_ENOPROC;
}

static void stopper_release(struct stopper *c)
{
	free(c->tc);
	free(c->hash);
	free(c->bt);
	free(c->bl);
	free(c->br);
	free(c->bgot);
	free(c->btrim);
	if (c->regs_link >= 0)
		close(c->regs_link);
}

enum attach_err capture_process(int pfd, struct process *p,
				const struct capture_opts *o, struct sb *err)
{
	struct stopper c;
	enum attach_err rc = ATTACH_EINTERNAL;
	pthread_t th;
	sigset_t old;
	uint64_t t0 = now_ns();

	if (p->tracer && p->tracer != getpid()) {
		/* traced as a whole: stop nothing */
		explain_tracer(p, 0, NULL, p->tracer, err);
		return ATTACH_ETRACED;
	}
	memset(&c, 0, sizeof(c));
	c.cpu = -1;
	c.regs_link = -1;
	c.pfd = pfd;
	c.p = p;
	c.o = o;
	c.err = err;
	c.nalloc = p->nthreads;
	index_threads(&c);
	tracer_tid = 0;
	c.tc = xcalloc(c.nalloc, sizeof(*c.tc));
	go_capture_prepare(p, 1, 1);
	if (cap_start(&c, &th, &old) == 0) {
		cap_join(&c, th, &old);
		if (c.t_first)
			p->stopped_ns = (c.t_last > c.t_first ? c.t_last : now_ns()) - c.t_first;
		p->stopped_ns += c.held_before;
		/* the hold's parts, from the first stop on (none: nothing held) */
		if (c.t_first && c.t_stopped >= c.t_first && c.t_copied >= c.t_stopped &&
		    c.t_released >= c.t_copied) {
			p->t_stop = c.t_stopped - c.t_first;
			p->t_copy = c.t_copied - c.t_stopped;
			p->t_release = c.t_released - c.t_copied;
		}
		mark_unstopped(&c);
		drop_gone(&c);
		rc = capture_outcome(&c);
	}
	stopper_release(&c);
	p->t_capture = now_ns() - t0;
	return rc;
}
