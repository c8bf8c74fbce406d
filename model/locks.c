/*
 * locks.c - who holds what.  A futex wait tells only an address; the
 * lock around it may name the thread that holds it: glibc's mutexes of
 * every kind (the owner field, or the lock word itself for robust and
 * priority-inheritance ones), a rwlock held for writing (its writer
 * field), a join (the joined thread's TID is the futex word).  The words
 * are read after the release (attach/proc.c: lock_words), so a lock word
 * that is no longer the one the waiter went to sleep on says "changed",
 * never a wrong owner.  Locks that keep no owner (semaphores, condition
 * variables, Rust's futex mutex, a rwlock's readers) name nobody.
 *
 * Then each waiter's text follows its owner once ("held by 6470 (stuck),
 * which waits in read fd 3: pipe"), and the cycles of the wait-for graph
 * (each thread waits for at most one other) are the deadlocks.
 *
 * glibc's layouts (x86-64, nptl since 2.25; Debian 12 has 2.36):
 * struct __pthread_mutex_s { int __lock; unsigned __count; int __owner;
 * unsigned __nusers; int __kind; ... } and struct __pthread_rwlock_arch_t
 * { unsigned __readers, __writers, __wrphase_futex, __writers_futex,
 * __pad3, __pad4; int __cur_writer; ... }: readers wait on
 * __wrphase_futex (rwlock + 8), writers on it or on __writers_futex
 * (rwlock + 12).  pthread_join waits on the joined thread's tid field
 * for as long as it holds that TID.
 */
#define _GNU_SOURCE
#include "model.h"
#include "../util/syscalls.h"
#include "../util/util.h"

#include <stdlib.h>
#include <string.h>

#define MUTEX_OWNER 2		/* words from the futex address */
#define MUTEX_KIND 4
#define KIND_ROBUST 16		/* PTHREAD_MUTEX_ROBUST_NORMAL_NP */
#define KIND_PI 32		/* PTHREAD_MUTEX_PRIO_INHERIT_NP */
#define OWNER_INCONSISTENT 0x7fffffff	/* PTHREAD_MUTEX_INCONSISTENT */
#define FUTEX_TID 0x3fffffffu	/* FUTEX_TID_MASK */
#define RW_WRLOCKED 3		/* __readers: PTHREAD_RWLOCK_WRPHASE | WRLOCKED */
#define RW_WRITER 6		/* __cur_writer, words from the rwlock */

#define FUTEX_CMD(op) ((op) & 127)	/* without PRIVATE and CLOCK_REALTIME */
#define FUTEX_WAIT_ 0
#define FUTEX_WAIT_BITSET_ 9

/* The word at the futex address + 4k, when it was read */
static int word(const struct thread *t, int k, uint32_t *v)
{
	if (k < -LOCK_WORD_AT || k >= 8 - LOCK_WORD_AT ||
	    !(t->lock_read & (k < 0 ? LOCK_READ_BEFORE : LOCK_READ_AT)))
		return 0;
	*v = t->lock_words[LOCK_WORD_AT + k];
	return 1;
}

/* The futex word is still what the waiter slept on (a wait that gives
 * the value; FUTEX_LOCK_PI does not, and the kernel keeps its word) */
static int unchanged(const struct thread *t)
{
	uint32_t w;
	long cmd = FUTEX_CMD((long)t->args[1]);
	if (cmd != FUTEX_WAIT_ && cmd != FUTEX_WAIT_BITSET_)
		return 1;
	return word(t, 0, &w) && w == (uint32_t)t->args[2];
}

static void name(const struct process *p, struct wait *w, uint32_t tid)
{
	if (!tid || tid > (uint32_t)INT32_MAX)
		return;
	w->named = (pid_t)tid;
	if (process_thread(p, (pid_t)tid))
		w->owner = (pid_t)tid;
	else if (w->owner_note == OWNER_NOTE_NONE)
		w->owner_note = OWNER_GONE;
}

static void mutex_owner(const struct process *p, const struct thread *t, struct wait *w)
{
	uint32_t lock, owner, kind;
	if (!frames_mention(p, t, 8, "pthread_mutex") || !word(t, 0, &lock) ||
	    !word(t, MUTEX_OWNER, &owner) || !word(t, MUTEX_KIND, &kind) || kind >= 1024)
		return;
	if (!unchanged(t)) {
		w->owner_note = OWNER_CHANGED;
		return;
	}
	if (kind & (KIND_ROBUST | KIND_PI)) {
		/* the lock word is the owner's TID */
		if (kind & KIND_ROBUST && owner == OWNER_INCONSISTENT)
			w->owner_note = OWNER_DIED;
		name(p, w, lock & FUTEX_TID);
	} else {
		name(p, w, owner);
	}
}

static void rwlock_owner(const struct process *p, const struct thread *t, struct wait *w)
{
	static const int at[] = { -2, -3 };	/* the futex's word in the rwlock */
	uint32_t readers, writer, found = 0;
	uint64_t base = 0;
	size_t i;
	if (!frames_mention(p, t, 8, "pthread_rwlock"))
		return;
	for (i = 0; i < 2; i++)
		if (word(t, at[i], &readers) && word(t, at[i] + RW_WRITER, &writer) &&
		    (readers & RW_WRLOCKED) == RW_WRLOCKED && writer &&
		    process_thread(p, (pid_t)writer)) {
			if (found)
				return;	/* both read as one: neither is sure */
			found = writer;
			base = w->address + 4 * (uint64_t)(int64_t)at[i];
		}
	if (!found)
		return;
	if (!unchanged(t)) {
		w->owner_note = OWNER_CHANGED;
		return;
	}
	w->address = base;
	name(p, w, found);
}

static void join_owner(const struct process *p, const struct thread *t, struct wait *w)
{
	uint32_t tid;
	if (!frames_mention(p, t, 8, "pthread_") || !word(t, 0, &tid))
		return;
	if (!unchanged(t) || !tid) {
		w->owner_note = OWNER_CHANGED;
		return;
	}
	name(p, w, tid);
}

static const char *held_by(const struct wait *w)
{
	return w->kind == WAIT_RWLOCK ? "held for writing by" : "held by";
}

/* The wait's detail: the lock's address and what it names */
static char *describe(const struct process *p, const struct wait *w)
{
	const struct thread *o = w->owner ? process_thread(p, w->owner) : NULL;
	unsigned long long a = (unsigned long long)w->address;
	const char *held = held_by(w);
	if (w->owner_note == OWNER_CHANGED)
		return xasprintf("0x%llx owner unknown (changed)", a);
	if (w->owner_note == OWNER_GONE)
		return w->kind == WAIT_JOIN ? xasprintf("%d, which has exited", (int)w->named)
					    : xasprintf("0x%llx %s %d, which has exited", a, held,
							(int)w->named);
	if (!o)
		return a ? xasprintf("0x%llx", a) : NULL;
	if (w->kind == WAIT_JOIN)
		return xasprintf("%d (%s)", (int)o->tid, o->name);
	if (w->owner_note == OWNER_DIED)
		return xasprintf("0x%llx %s %d (%s) since its owner died (robust: EOWNERDEAD, "
				 "not made consistent)", a, held, (int)o->tid, o->name);
	return xasprintf("0x%llx %s %d (%s)", a, held, (int)o->tid, o->name);
}

void lock_owner(const struct process *p, const struct thread *t, struct wait *w)
{
	if (t->lock_read && t->syscall_nr >= 0 && syscall_is_futex(t->syscall_nr)) {
		if (w->kind == WAIT_MUTEX)
			mutex_owner(p, t, w);
		else if (w->kind == WAIT_RWLOCK)
			rwlock_owner(p, t, w);
		else if (w->kind == WAIT_JOIN)
			join_owner(p, t, w);
	}
	free(w->detail);
	w->detail = describe(p, w);
}

char *wait_text(const struct wait *w)
{
	return w->detail ? xasprintf("%s %s", wait_kind_label(w->kind), w->detail)
			 : xstrdup(wait_kind_label(w->kind));
}

/* The thread t's owner is, or NONE */
#define NONE ((size_t)-1)
static size_t next(const struct process *p, size_t t)
{
	const struct thread *o = p->threads[t].wait.owner
				 ? process_thread(p, p->threads[t].wait.owner) : NULL;
	return o ? (size_t)(o - p->threads) : NONE;
}

/* Each thread waits for at most one other: a walk along the owners from
 * a thread not seen yet ends, or comes back to a thread of its own walk,
 * and from there on is a cycle, found once, its threads in the order
 * they wait */
static void find_cycles(struct process *p)
{
	size_t n = p->nthreads, i;
	size_t *walk = xmalloc_array(n ? n : 1, sizeof(*walk));
	size_t *seen = xcalloc(n ? n : 1, sizeof(*seen));	/* 0, or its walk's i + 1 */
	for (i = 0; i < n; i++) {
		size_t k = 0, at = i, j;
		struct deadlock *d;
		while (at != NONE && !seen[at]) {
			seen[at] = i + 1;
			walk[k++] = at;
			at = next(p, at);
		}
		if (at == NONE || seen[at] != i + 1)
			continue;
		for (j = 0; walk[j] != at; j++)
			;
		p->deadlocks = xrealloc(p->deadlocks, (p->ndeadlocks + 1) * sizeof(*p->deadlocks));
		d = &p->deadlocks[p->ndeadlocks];
		d->n = k - j;
		d->members = xmalloc_array(d->n, sizeof(*d->members));
		memcpy(d->members, walk + j, d->n * sizeof(*d->members));
		for (j = 0; j < d->n; j++)
			p->threads[d->members[j]].wait.deadlock = (int)p->ndeadlocks;
		p->ndeadlocks++;
	}
	free(walk);
	free(seen);
}

void lock_chains(struct process *p)
{
	size_t i;
	char **base = xcalloc(p->nthreads ? p->nthreads : 1, sizeof(*base));
	for (i = 0; i < p->ndeadlocks; i++)
		free(p->deadlocks[i].members);
	free(p->deadlocks);
	p->deadlocks = NULL;
	p->ndeadlocks = 0;
	for (i = 0; i < p->nthreads; i++)
		base[i] = wait_text(&p->threads[i].wait);
	for (i = 0; i < p->nthreads; i++) {
		struct wait *w = &p->threads[i].wait;
		const struct thread *o = w->owner ? process_thread(p, w->owner) : NULL;
		char *d;
		if (!o)
			continue;
		d = w->detail;
		if (o == &p->threads[i])
			w->detail = xasprintf("%s, itself", d);
		else if (o->wait.kind == WAIT_RUNNING)
			w->detail = xasprintf("%s, which is running", d);
		else
			w->detail = xasprintf("%s, which waits in %s", d,
					      base[o - p->threads]);
		free(d);
	}
	for (i = 0; i < p->nthreads; i++)
		free(base[i]);
	free(base);
	find_cycles(p);
}

char *lock_edge_text(const struct process *p, const struct thread *t)
{
	const struct wait *w = &t->wait;
	const struct thread *o = w->owner ? process_thread(p, w->owner) : NULL;
	if (!o)
		return xasprintf("%d (%s) waits in %s", (int)t->tid, t->name,
				 wait_kind_label(w->kind));
	if (w->kind == WAIT_JOIN)
		return xasprintf("%d (%s) waits in join for %d (%s)", (int)t->tid, t->name,
				 (int)o->tid, o->name);
	return xasprintf("%d (%s) waits in %s 0x%llx %s %d (%s)", (int)t->tid, t->name,
			 wait_kind_label(w->kind), (unsigned long long)w->address, held_by(w),
			 (int)o->tid, o->name);
}

size_t lock_chain(const struct process *p, const struct thread *t, pid_t *out, size_t max)
{
	size_t n = 0, i;
	const struct thread *at = t;
	while (n < max && at->wait.owner && (at = process_thread(p, at->wait.owner))) {
		for (i = 0; i < n && out[i] != at->tid; i++)
			;
		if (i < n || at == t)
			break;	/* round a cycle: each once */
		out[n++] = at->tid;
	}
	return n;
}

char *deadlock_title(const struct deadlock *d)
{
	return d->n == 1 ? xstrdup("a thread waits for itself")
			 : xasprintf("%zu threads, each waiting for the next", d->n);
}
