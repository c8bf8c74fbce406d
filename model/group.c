/*
 * group.c - threads that wait the same way with the same stack form one
 * group, largest group first.
 *
 * The key is (coarse wait: state letter class and system call number,
 * exact PC list).  Identical PCs mean identical functions, so the finer
 * classification done after symbolizing (mutex vs condition variable)
 * agrees across a group.
 */
#define _GNU_SOURCE
#include "model.h"
#include "../util/syscalls.h"
#include "../util/util.h"

#include <stdlib.h>
#include <string.h>

static long coarse(const struct thread *t)
{
	if (thread_state_is_final(t))
		return -1000 - t->state;
	if (thread_is_running(t))
		return -10;
	return t->syscall_nr + (t->state == 'D' ? 100000 : 0);
}

static int cmp_key(const struct thread *a, const struct thread *b)
{
	long ka = coarse(a), kb = coarse(b);
	size_t i;
	if (ka != kb)
		return ka < kb ? -1 : 1;
	if (a->npcs != b->npcs)
		return a->npcs < b->npcs ? -1 : 1;
	for (i = 0; i < a->npcs; i++)
		if (a->pcs[i] != b->pcs[i])
			return a->pcs[i] < b->pcs[i] ? -1 : 1;
	/* threads without a user stack (the /proc view) group by what
	 * they wait on: the same futex, the same fd */
	if (!a->npcs && a->syscall_nr >= 0 &&
	    (syscall_is_futex(a->syscall_nr) || syscall_fd_arg(a->syscall_nr) >= 0) &&
	    a->args[0] != b->args[0])
		return a->args[0] < b->args[0] ? -1 : 1;
	/* and keep distinct reasons apart */
	if (!a->npcs && (a->no_stack || b->no_stack)) {
		if (!a->no_stack || !b->no_stack)
			return a->no_stack ? 1 : -1;
		return strcmp(a->no_stack, b->no_stack);
	}
	return 0;
}

static int cmp_idx(const void *x, const void *y, void *arg)
{
	const struct process *p = arg;
	const struct thread *a = &p->threads[*(const size_t *)x];
	const struct thread *b = &p->threads[*(const size_t *)y];
	int c = cmp_key(a, b);
	if (c)
		return c;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

static int cmp_group(const void *x, const void *y, void *arg)
{
	const struct process *p = arg;
	const struct group *a = x, *b = y;
	if (a->nmembers != b->nmembers)
		return a->nmembers > b->nmembers ? -1 : 1;
	return p->threads[a->members[0]].tid < p->threads[b->members[0]].tid ? -1 : 1;
}

int group_threads(struct process *p, int by_thread)
{
	size_t *idx, i, g;
	if (!p->nthreads)
		return 0;
	idx = xmalloc_array(p->nthreads, sizeof(*idx));
	for (i = 0; i < p->nthreads; i++)
		idx[i] = i;
	if (!by_thread)
		qsort_r(idx, p->nthreads, sizeof(*idx), cmp_idx, p);
	p->groups = xcalloc(p->nthreads, sizeof(*p->groups));
	p->ngroups = 0;
	/* a group is a run of equal keys in idx: count the runs, then give
	 * each its own copy */
	for (i = 0; i < p->nthreads; i++) {
		struct group *gr;
		if (by_thread || !i || cmp_key(&p->threads[idx[i]], &p->threads[idx[i - 1]])) {
			gr = &p->groups[p->ngroups++];
			gr->members = &idx[i];
			gr->wait.fd = -1;
			gr->wait.blocked_ms = -1;
			gr->wait.deadlock = -1;
		} else {
			gr = &p->groups[p->ngroups - 1];
		}
		gr->nmembers++;
	}
	for (g = 0; g < p->ngroups; g++) {
		size_t *m = xmalloc_array(p->groups[g].nmembers, sizeof(*m));
		memcpy(m, p->groups[g].members, p->groups[g].nmembers * sizeof(*m));
		p->groups[g].members = m;
	}
	if (!by_thread)
		qsort_r(p->groups, p->ngroups, sizeof(*p->groups), cmp_group, p);
	for (g = 0; g < p->ngroups; g++) {
		p->groups[g].first = &p->threads[p->groups[g].members[0]];
		for (i = 0; i < p->groups[g].nmembers; i++)
			p->threads[p->groups[g].members[i]].group = (int)g;
	}
	free(idx);
	return 0;
}
