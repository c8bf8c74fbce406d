/*
 * blocked.c - how long each blocked thread has been blocked.
 *
 * se.exec_start is the rq clock_task of the thread's last CPU at the time
 * it last ran.  That clock lags CLOCK_MONOTONIC by the CPU's IRQ and steal
 * time, so we calibrate it per CPU: a thread of ours on that CPU yields
 * (which refreshes its own exec_start) and compares with the monotonic
 * clock.  The result is approximate (a tick) and a lower bound.
 *
 * One such thread per CPU, started when the threads' facts are read and
 * joined only when the figures are needed (proc_blocked_times): a CPU
 * busy with a thread of the target lets ours run only at its next tick
 * (4 ms), and the capture goes on meanwhile.
 *
 * The thread starts on our own CPU, opens its file there, moves, reads
 * and moves back: only the read of its own sched file takes the place of
 * a thread of the target that runs there, not its start (page faults,
 * TLS) and end.  It is not an idle-class thread (SCHED_IDLE): that would
 * preempt nothing, but could hold a lock of ours, in the kernel or in
 * libc, and keep the capture waiting.
 */
#define _GNU_SOURCE
#include "attach.h"
#include "internal.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


struct calib_cpu {
	int cpu;
	int tried;		/* a thread was asked for (started: it runs) */
	int started, joined;
	int ok;			/* offset_ms measured */
	double offset_ms;	/* monotonic - clock_task */
	pthread_t th;
};

struct calib {
	struct calib_cpu *v;	/* by CPU number */
	size_t n;
};

static void *calib_run(void *arg)
{
	struct calib_cpu *c = arg;
	char buf[4096];
	double es;
	struct timespec ts;
	cpu_set_t set;
	ssize_t n;
	int from = sched_getcpu(), fd;
	/* all that can be done here is done before the move: the file
	 * opened, the buffer's page touched */
	memset(buf, 0, sizeof(buf));
	if ((fd = open("/proc/thread-self/sched", O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	CPU_ZERO(&set);
	CPU_SET(c->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		close(fd);
		return NULL;
	}
	/* moved: it runs there from now on, its exec_start fresh; else a
	 * yield refreshes it */
	if (from == c->cpu)
		sched_yield();
	n = pread_file(fd, buf, sizeof(buf));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (sched_getcpu() == c->cpu && n > 0 && (es = proc_parse_exec_start(buf)) > 0) {
		c->offset_ms = ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6 - es;
		c->ok = 1;
	}
	/* and back, to end where it began rather than beside a thread of
	 * the target */
	if (from != c->cpu && from >= 0) {
		CPU_ZERO(&set);
		CPU_SET(from, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	close(fd);
	return NULL;
}

/* Start a calibrating thread on each CPU that a blocked thread last ran
 * on; proc_blocked_times collects them. */
void blocked_start(struct process *p)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	struct calib *cb;
	sigset_t all, old;
	size_t i;
	int here = sched_getcpu();
	if (ncpu <= 0 || ncpu > CPU_SETSIZE || here < 0 || here >= CPU_SETSIZE)
		return;
	cb = xcalloc(1, sizeof(*cb));
	cb->n = (size_t)ncpu;
	cb->v = xcalloc(cb->n, sizeof(*cb->v));
	/* no signal of ours (SIGCHLD of the capture, SIGINT) goes to them */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < p->nthreads; i++) {
		int cpu = p->threads[i].cpu;
		struct calib_cpu *c;
		pthread_attr_t attr;
		cpu_set_t set;
		if (p->threads[i].exec_start_ms <= 0 || cpu < 0 || (size_t)cpu >= cb->n ||
		    cb->v[cpu].tried)
			continue;
		c = &cb->v[cpu];
		c->tried = 1;
		c->cpu = cpu;
		CPU_ZERO(&set);
		CPU_SET(here, &set);
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 64 << 10);
		c->started = pthread_attr_setaffinity_np(&attr, sizeof(set), &set) == 0 &&
			     pthread_create(&c->th, &attr, calib_run, c) == 0;
		pthread_attr_destroy(&attr);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	p->calib = cb;
}

void proc_blocked_times(struct process *p)
{
	struct calib *cb = p->calib;
	struct timespec ts, until;
	double now, boot_now;
	long hz = sysconf(_SC_CLK_TCK);
	size_t i;
	int abandoned = 0;
	if (!cb)
		return;
	p->calib = NULL;
	/* a CPU that a real-time task keeps busy may never run ours: wait
	 * 100 ms at most, then leave those threads be (and their memory) */
	deadline_ts(&until, 100000000);
	for (i = 0; i < cb->n; i++) {
		if (!cb->v[i].started)
			continue;
		cb->v[i].joined = pthread_timedjoin_np(cb->v[i].th, NULL, &until) == 0;
		if (!cb->v[i].joined) {
			pthread_detach(cb->v[i].th);
			abandoned = 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	boot_now = ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
	for (i = 0; i < p->nthreads; i++) {
		struct thread *t = &p->threads[i];
		const struct calib_cpu *c;
		double b, age;
		t->wait.blocked_ms = -1;
		if (t->exec_start_ms <= 0 || t->cpu < 0 || (size_t)t->cpu >= cb->n)
			continue;
		c = &cb->v[t->cpu];
		if (!c->joined || !c->ok)
			continue;
		b = now - c->offset_ms - t->exec_start_ms;
		age = boot_now - (double)t->starttime * 1000.0 / (hz > 0 ? hz : 100);
		/* a migration resets exec_start; an impossible figure is left out */
		if (b < 0 || b > age + 1000)
			continue;
		t->wait.blocked_ms = (int64_t)b;
	}
	if (!abandoned)		/* else still written to by a thread */
		free(cb->v);
	free(cb);
}
