/*
 * wait.c - what is each thread waiting on?
 *
 * The kernel state letter and the current system call with its
 * arguments (/proc/TID/syscall, read before stopping) give the coarse
 * kind; the fd target gives the detail; the top frames tell the futex
 * waits apart (mutex, condition variable, semaphore, join), because the
 * futex call itself looks the same for all of them.
 */
#define _GNU_SOURCE
#include "model.h"
#include "../util/syscalls.h"
#include "../util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

static const struct {
	const char *key, *label;
} kinds[WAIT__COUNT] = {
	[WAIT_UNKNOWN] = { "unknown", "unknown" },
	[WAIT_RUNNING] = { "running", "running" },
	[WAIT_MUTEX] = { "mutex", "mutex lock" },
	[WAIT_RWLOCK] = { "rwlock", "rwlock wait" },
	[WAIT_CONDITION] = { "condition", "condition wait" },
	[WAIT_SEMAPHORE] = { "semaphore", "semaphore wait" },
	[WAIT_JOIN] = { "join", "join" },
	[WAIT_FUTEX] = { "futex", "futex wait" },
	[WAIT_EPOLL] = { "epoll", "epoll wait" },
	[WAIT_POLL] = { "poll", "poll/select" },
	[WAIT_READ] = { "read", "read" },
	[WAIT_RECV] = { "recv", "recv" },
	[WAIT_ACCEPT] = { "accept", "accept" },
	[WAIT_WRITE] = { "write", "write" },
	[WAIT_SEND] = { "send", "send" },
	[WAIT_CONNECT] = { "connect", "connect" },
	[WAIT_SLEEP] = { "sleep", "sleep" },
	[WAIT_CHILD] = { "child", "child wait" },
	[WAIT_SIGNAL] = { "signal", "signal wait" },
	[WAIT_SYSCALL] = { "syscall", "syscall" },
	[WAIT_FAULT] = { "fault", "page fault" },
	[WAIT_DISK] = { "disk", "disk wait (D)" },
	[WAIT_STOPPED] = { "stopped", "stopped (T)" },
	[WAIT_TRACED] = { "traced", "traced (t)" },
	[WAIT_ZOMBIE] = { "zombie", "zombie" },
	[WAIT_IDLE] = { "idle", "idle" },
};

const char *wait_kind_key(enum wait_kind k)
{
	return k < WAIT__COUNT ? kinds[k].key : "unknown";
}

const char *wait_kind_label(enum wait_kind k)
{
	return k < WAIT__COUNT ? kinds[k].label : "unknown";
}

int wait_kind_from_key(const char *key)
{
	int i;
	for (i = 0; i < WAIT__COUNT; i++)
		if (!strcmp(kinds[i].key, key))
			return i;
	return -1;
}

static enum wait_kind kind_of_syscall(long nr)
{
	switch (nr) {
	case SYS_futex: return WAIT_FUTEX;
	case SYS_epoll_wait: case SYS_epoll_pwait:
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
#endif
		return WAIT_EPOLL;
	case SYS_poll: case SYS_ppoll: case SYS_select: case SYS_pselect6:
		return WAIT_POLL;
	case SYS_read: case SYS_readv: case SYS_pread64: case SYS_preadv:
		return WAIT_READ;
	case SYS_recvfrom: case SYS_recvmsg: case SYS_recvmmsg:
		return WAIT_RECV;
	case SYS_accept: case SYS_accept4:
		return WAIT_ACCEPT;
	case SYS_write: case SYS_writev: case SYS_pwrite64: case SYS_pwritev:
		return WAIT_WRITE;
	case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg:
		return WAIT_SEND;
	case SYS_connect:
		return WAIT_CONNECT;
	case SYS_nanosleep: case SYS_clock_nanosleep:
		return WAIT_SLEEP;
	case SYS_wait4: case SYS_waitid:
		return WAIT_CHILD;
	case SYS_rt_sigtimedwait: case SYS_rt_sigsuspend: case SYS_pause:
		return WAIT_SIGNAL;
	case SYS_semop: case SYS_semtimedop:
		return WAIT_SEMAPHORE;
	}
	return WAIT_SYSCALL;
}

/* A function name fragment and the wait it tells. */
struct needle {
	const char *needle;
	enum wait_kind kind;
};

/* The first needle found in the function names of the top `depth`
 * frames (demangled or raw, substrings), or `otherwise`. */
static enum wait_kind match_frames(const struct process *p, const struct thread *t,
				   size_t depth, const struct needle *v, size_t n,
				   enum wait_kind otherwise)
{
	size_t i, j, k;
	for (i = 0; i < t->npcs && i < depth; i++) {
		const struct symframe *sf = process_symframe(p, t->pcs[i]);
		if (!sf)
			continue;
		for (j = 0; j < sf->nrows; j++) {
			const char *fn = sf->rows[j].function;
			if (!fn)
				continue;
			for (k = 0; k < n; k++)
				if (strstr(fn, v[k].needle))
					return v[k].kind;
		}
	}
	return otherwise;
}

int frames_mention(const struct process *p, const struct thread *t, size_t depth,
		   const char *needle)
{
	/* a table of one: its kind found, or the other */
	const struct needle v = { needle, WAIT_MUTEX };
	return match_frames(p, t, depth, &v, 1, WAIT_UNKNOWN) == WAIT_MUTEX;
}

/* Function names that tell a futex wait apart. */
static const struct needle futex_users[] = {
	{ "pthread_rwlock", WAIT_RWLOCK },
	{ "RwLock", WAIT_RWLOCK },
	{ "shared_mutex", WAIT_RWLOCK },
	{ "pthread_mutex_lock", WAIT_MUTEX },
	{ "pthread_mutex_timedlock", WAIT_MUTEX },
	{ "pthread_mutex_clocklock", WAIT_MUTEX },
	{ "lll_lock_wait", WAIT_MUTEX },
	{ "Mutex::lock", WAIT_MUTEX },
	{ "mutex::lock", WAIT_MUTEX },
	{ "pthread_cond_wait", WAIT_CONDITION },
	{ "pthread_cond_timedwait", WAIT_CONDITION },
	{ "pthread_cond_clockwait", WAIT_CONDITION },
	{ "condition_variable", WAIT_CONDITION },
	{ "Condvar::wait", WAIT_CONDITION },
	{ "sem_wait", WAIT_SEMAPHORE },
	{ "sem_timedwait", WAIT_SEMAPHORE },
	{ "sem_clockwait", WAIT_SEMAPHORE },
	{ "pthread_join", WAIT_JOIN },
	{ "pthread_clockjoin", WAIT_JOIN },
	{ "pthread_timedjoin", WAIT_JOIN },
	{ "thread::join", WAIT_JOIN },
	{ "JoinHandle", WAIT_JOIN },
	{ "JoinInner", WAIT_JOIN },
};

static enum wait_kind futex_kind(const struct process *p, const struct thread *t)
{
	return match_frames(p, t, 12, futex_users, sizeof(futex_users) / sizeof(*futex_users),
			    WAIT_FUTEX);
}

/* After any stop (a debugger's, or ours) an interrupted nanosleep or
 * poll shows as restart_syscall; the top frames say what it restarts. */
static const struct needle restarted[] = {
	{ "nanosleep", WAIT_SLEEP },
	{ "sleep", WAIT_SLEEP },
	{ "epoll", WAIT_EPOLL },
	{ "poll", WAIT_POLL },
	{ "select", WAIT_POLL },
	{ "futex", WAIT_FUTEX },
	{ "pthread_", WAIT_FUTEX },
	{ "sem_", WAIT_FUTEX },
	{ "wait4", WAIT_CHILD },
	{ "waitpid", WAIT_CHILD },
	{ "waitid", WAIT_CHILD },
	{ "sigsuspend", WAIT_SIGNAL },
	{ "pause", WAIT_SIGNAL },
};

static enum wait_kind restart_kind(const struct process *p, const struct thread *t)
{
	return match_frames(p, t, 4, restarted, sizeof(restarted) / sizeof(*restarted),
			    WAIT_SYSCALL);
}

static void classify(struct process *p, struct thread *t)
{
	struct wait *w = &t->wait;
	free(w->detail);
	w->detail = NULL;
	w->address = 0;
	w->owner = w->named = 0;
	w->owner_note = OWNER_NOTE_NONE;
	w->deadlock = -1;
	switch (t->state) {
	case 'Z': case 'X': w->kind = WAIT_ZOMBIE; return;
	case 'T': w->kind = WAIT_STOPPED; return;
	case 't': w->kind = WAIT_TRACED; return;
	case 'I': w->kind = WAIT_IDLE; return;
	}
	if (thread_is_running(t)) {
		w->kind = WAIT_RUNNING;
		w->blocked_ms = -1;
		return;
	}
	if (t->syscall_nr == SYSCALL_NONE) {
		w->kind = t->state == 'D' ? WAIT_DISK : WAIT_FAULT;
		if (t->wchan)
			w->detail = xasprintf("in %s", t->wchan);
		return;
	}
	if (t->syscall_nr < 0) {
		w->kind = t->state == 'D' ? WAIT_DISK : WAIT_UNKNOWN;
		return;
	}
	w->kind = kind_of_syscall(t->syscall_nr);
	if (t->syscall_nr == SYS_restart_syscall)
		w->kind = restart_kind(p, t);
	if (w->kind == WAIT_FUTEX) {
		if (syscall_is_futex(t->syscall_nr))
			w->address = t->args[0];
		w->kind = futex_kind(p, t);
		lock_owner(p, t, w);
	} else if (w->kind == WAIT_SYSCALL) {
		const char *n = syscall_name(t->syscall_nr);
		w->detail = n ? xstrdup(n) : xasprintf("#%ld", t->syscall_nr);
	} else if (w->kind == WAIT_SLEEP || w->kind == WAIT_POLL || w->kind == WAIT_CHILD ||
		   w->kind == WAIT_SIGNAL) {
		/* no detail */
	} else if (w->kind == WAIT_EPOLL && w->fd >= 0) {
		w->detail = xasprintf("fd %d", w->fd);	/* the target is "[eventpoll]" */
	} else if (w->fd >= 0) {
		w->detail = t->fd_target ? xasprintf("fd %d: %s", w->fd, t->fd_target)
					 : xasprintf("fd %d", w->fd);
	}
	if (t->state == 'D' && w->kind != WAIT_DISK) {
		/* uninterruptible inside a syscall: say so */
		char *d = w->detail;
		w->detail = xasprintf("%s%s(D)", d ? d : "", d ? " " : "");
		free(d);
	}
}

void classify_threads(struct process *p)
{
	size_t i;
	for (i = 0; i < p->nthreads; i++)
		classify(p, &p->threads[i]);
	lock_chains(p);
}

void classify_groups(struct process *p)
{
	size_t g, i;
	for (g = 0; g < p->ngroups; g++) {
		struct group *gr = &p->groups[g];
		const struct thread *f = &p->threads[gr->members[0]];
		int same = 1;
		free(gr->wait.detail);
		gr->wait = f->wait;
		gr->wait.detail = NULL;
		gr->first = f;
		gr->blocked_min_ms = gr->blocked_max_ms = -1;
		for (i = 0; i < gr->nmembers; i++) {
			const struct thread *t = &p->threads[gr->members[i]];
			int64_t b = t->wait.blocked_ms;
			if ((t->wait.detail || f->wait.detail) &&
			    (!t->wait.detail || !f->wait.detail ||
			     strcmp(t->wait.detail, f->wait.detail)))
				same = 0;
			if (b >= 0) {
				if (gr->blocked_min_ms < 0 || b < gr->blocked_min_ms)
					gr->blocked_min_ms = b;
				if (b > gr->blocked_max_ms)
					gr->blocked_max_ms = b;
			}
		}
		if (same) {
			gr->wait.detail = f->wait.detail ? xstrdup(f->wait.detail) : NULL;
		} else {
			gr->wait.fd = -1;
			gr->wait.address = 0;
			gr->wait.owner = 0;
			gr->wait.owner_note = OWNER_NOTE_NONE;
			gr->wait.detail = xstrdup("various");
		}
		/* a group is in a deadlock when one of its threads is */
		for (i = 0; i < gr->nmembers; i++)
			if (p->threads[gr->members[i]].wait.deadlock >= 0)
				gr->wait.deadlock = p->threads[gr->members[i]].wait.deadlock;
		gr->wait.blocked_ms = gr->blocked_max_ms;
	}
}
