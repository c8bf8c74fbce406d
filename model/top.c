/*
 * top.c - see top.h (the state of `inspect top`; its layout is ui/toplayout.c).
 *
 * "Blocked" here is exact as a lower bound: a thread whose state, system
 * call, first argument, user PC and CPU time have not changed since it
 * was first seen that way has not run for at least that long (at the
 * resolution of the refresh interval).
 */
#define _GNU_SOURCE
#include "top.h"
#include "../util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <time.h>

void top_init(struct top_state *s)
{
	memset(s, 0, sizeof(*s));
}

void top_release(struct top_state *s)
{
	free(s->th);
	process_clear(&s->cur);
	if (s->have_stacks)
		process_clear(&s->stacks);
	free(s->first);
	memset(s, 0, sizeof(*s));
}

/* Whether the ", "-joined list holds this very name (worker-10 is not
 * worker-1) */
static int names_have(const char *names, const char *name)
{
	size_t n = strlen(name);
	const char *s = names;
	while ((s = strstr(s, name))) {
		if ((s == names || (s >= names + 2 && !strncmp(s - 2, ", ", 2))) &&
		    (!s[n] || !strncmp(s + n, ", ", 2)))
			return 1;
		s++;
	}
	return 0;
}

static const struct top_thread *find_const(const struct top_state *s, pid_t tid)
{
	size_t i;
	for (i = 0; i < s->nth; i++)
		if (s->th[i].tid == tid)
			return &s->th[i];
	return NULL;
}

static struct top_thread *find(struct top_state *s, pid_t tid)
{
	const struct top_thread *x = find_const(s, tid);
	return x ? &s->th[x - s->th] : NULL;
}

void top_refresh(struct top_state *s, struct process *p, uint64_t now_ms, long hz)
{
	size_t i, w;
	double dt = s->last_ms ? (now_ms - s->last_ms) / 1000.0 : 0;
	uint64_t total_ticks = 0;
	for (i = 0; i < s->nth; i++)
		s->th[i].seen = 0;
	for (i = 0; i < p->nthreads; i++) {
		const struct thread *t = &p->threads[i];
		struct top_thread *x = find(s, t->tid);
		uint64_t ticks = t->utime + t->stime;
		if (!x) {
			grow((void **)&s->th, &s->cap, s->nth, sizeof(*s->th));
			x = &s->th[s->nth++];
			memset(x, 0, sizeof(*x));
			x->tid = t->tid;
			x->ticks = ticks;
			x->still_since_ms = now_ms;
			x->syscall_nr = t->syscall_nr;
			x->arg0 = t->args[0];
			x->pc = t->pc;
			x->state = t->state;
		}
		x->cpu_pct = dt > 0 && hz > 0 ? (ticks - x->ticks) * 100.0 / (dt * hz) : 0;
		if (x->cpu_pct > 100)
			x->cpu_pct = 100;	/* tick granularity */
		total_ticks += ticks - x->ticks;
		/* a stop (ours, for a stack sample) turns a sleep into
		 * restart_syscall: that is not the thread moving */
		if (ticks != x->ticks ||
		    (t->syscall_nr != x->syscall_nr && t->syscall_nr != SYS_restart_syscall) ||
		    (t->syscall_nr != SYS_restart_syscall && t->args[0] != x->arg0) ||
		    t->pc != x->pc || t->state != x->state || t->state == 'R') {
			x->still_since_ms = now_ms;
			x->syscall_nr = t->syscall_nr;
			x->arg0 = t->args[0];
			x->pc = t->pc;
			x->state = t->state;
		}
		x->ticks = ticks;
		x->seen = 1;
		if (t->syscall_nr == SYS_restart_syscall)
			x->syscall_nr = SYS_restart_syscall;
	}
	/* forget threads that ended */
	for (i = w = 0; i < s->nth; i++)
		if (s->th[i].seen)
			s->th[w++] = s->th[i];
	s->nth = w;
	s->proc_cpu_pct = dt > 0 && hz > 0 ? total_ticks * 100.0 / (dt * hz) : 0;
	{
		struct timespec ts;
		clock_gettime(CLOCK_BOOTTIME, &ts);
		s->uptime_ms = (int64_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000) -
			       (int64_t)(p->start_ticks * 1000 / (hz > 0 ? hz : 100));
	}
	if (s->nhist == TOP_HISTORY) {
		memmove(s->count_hist, s->count_hist + 1, (TOP_HISTORY - 1) * sizeof(size_t));
		s->nhist--;
	}
	s->count_hist[s->nhist++] = p->nthreads;
	if (p->go.is_go && !p->go.not_shown) {
		if (s->ngo_hist == TOP_HISTORY) {
			memmove(s->go_hist, s->go_hist + 1, (TOP_HISTORY - 1) * sizeof(size_t));
			s->ngo_hist--;
		}
		s->go_hist[s->ngo_hist++] = p->go.ngs - p->go.nsystem;
	}
	process_clear(&s->cur);
	s->cur = *p;
	memset(p, 0, sizeof(*p));
	s->last_ms = now_ms;
}

/* "chan receive@main.handler": a goroutine group's key */
static void go_key(const struct process *p, const struct go_group *g, char *buf, size_t size)
{
	const char *fn = NULL;
	size_t i, j;
	for (i = 0; i < g->first->npcs && !fn; i++) {
		const struct symframe *sf = process_symframe(p, g->first->pcs[i]);
		for (j = 0; sf && j < sf->nrows && !fn; j++)
			if (go_row_shown(&sf->rows[j]))
				fn = sf->rows[j].function;
	}
	snprintf(buf, size, "%s@%s", g->first->status_text, fn ? fn : "?");
}

static const struct top_first *first_seen(const struct top_state *s, const char *key)
{
	size_t i;
	for (i = 0; i < s->nfirst; i++)
		if (!strcmp(s->first[i].key, key))
			return &s->first[i];
	return NULL;
}

/* each goroutine group's count, the first time one with its key shows */
static void note_first(struct top_state *s, const struct process *p)
{
	size_t i;
	for (i = 0; i < p->go.ngroups; i++) {
		char key[192];
		go_key(p, &p->go.groups[i], key, sizeof(key));
		if (first_seen(s, key))
			continue;
		grow((void **)&s->first, &s->first_cap, s->nfirst, sizeof(*s->first));
		snprintf(s->first[s->nfirst].key, sizeof(s->first[s->nfirst].key), "%s", key);
		s->first[s->nfirst++].count = (long)p->go.groups[i].n;
	}
}

size_t top_go_rows(const struct top_state *s, const char *filter, struct top_row **out)
{
	const struct process *p = &s->stacks;
	struct top_row *rows;
	size_t i, n = 0;
	if (!s->have_stacks || !p->go.ngroups) {
		*out = xcalloc(1, sizeof(**out));
		return 0;
	}
	rows = xcalloc(p->go.ngroups, sizeof(*rows));
	for (i = 0; i < p->go.ngroups; i++) {
		const struct go_group *g = &p->go.groups[i];
		const struct top_first *f;
		struct top_row *r = &rows[n];
		const char *at;
		go_key(p, g, r->key, sizeof(r->key));
		if (filter && *filter && !strstr(r->key, filter))
			continue;
		at = strrchr(r->key, '@');
		snprintf(r->frame, sizeof(r->frame), "%s", at ? at + 1 : "?");
		snprintf(r->detail, sizeof(r->detail), "%s", g->first->status_text);
		r->count = g->n;
		r->go = 1;
		r->goid = g->first->goid;
		r->blocked_min_ms = g->minutes_min >= 0 ? g->minutes_min * 60000 : -1;
		r->blocked_max_ms = g->minutes_max >= 0 ? g->minutes_max * 60000 : -1;
		f = first_seen(s, r->key);
		r->change = f ? (long)g->n - f->count : 0;
		n++;
	}
	*out = rows;
	return n;	/* the groups are largest first already */
}

void top_take_stacks(struct top_state *s, struct process *p, uint64_t now_ms)
{
	size_t i;
	note_first(s, p);
	for (i = 0; i < p->nthreads; i++) {
		struct top_thread *x = find(s, p->threads[i].tid);
		const struct symrow *r = thread_telling_row(p, &p->threads[i]);
		if (x) {
			snprintf(x->frame, sizeof(x->frame), "%s", r && r->function ? r->function : "?");
			x->stack_kind = p->threads[i].wait.kind;
			x->has_stack_kind = 1;
		}
	}
	if (s->have_stacks)
		process_clear(&s->stacks);
	s->stacks = *p;
	memset(p, 0, sizeof(*p));
	s->have_stacks = 1;
	s->stacks_ms = now_ms;
}

const char *top_sort_name(enum top_sort s)
{
	static const char *const n[] = { "count", "cpu", "blocked", "name" };
	return s < TOP_SORT__N ? n[s] : "count";
}

static int visible(const struct thread *t, const struct top_thread *x, const char *filter)
{
	if (!filter || !*filter)
		return 1;
	return strcasestr(t->name, filter) || strcasestr(wait_kind_key(t->wait.kind), filter) ||
	       strcasestr(wait_kind_label(t->wait.kind), filter) ||
	       (x && strcasestr(x->frame, filter));
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct top_row *x = a, *y = b;
	switch (*(const enum top_sort *)arg) {
	case TOP_SORT_CPU:
		if (x->cpu_pct != y->cpu_pct)
			return x->cpu_pct > y->cpu_pct ? -1 : 1;
		break;
	case TOP_SORT_BLOCKED:
		if (x->blocked_max_ms != y->blocked_max_ms)
			return x->blocked_max_ms > y->blocked_max_ms ? -1 : 1;
		break;
	case TOP_SORT_NAME:
		return strcmp(x->names, y->names);
	default:
		break;
	}
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->key, y->key);
}

size_t top_rows(const struct top_state *s, int per_thread, enum top_sort sort,
		const char *filter, struct top_row **out)
{
	const struct process *p = &s->cur;
	struct top_row *rows = xcalloc(p->nthreads, sizeof(*rows));
	size_t n = 0, i, j;
	for (i = 0; i < p->nthreads; i++) {
		const struct thread *t = &p->threads[i];
		const struct top_thread *x = find_const(s, t->tid);
		const char *frame = x && x->frame[0] ? x->frame : "-";
		char key[192];
		struct top_row *r = NULL;
		int64_t blocked = -1;
		enum wait_kind kind = t->wait.kind;
		/* /proc alone cannot tell a mutex from a condition variable, nor
		 * what a restarted call was: the last stack sample can, as long
		 * as the thread has not moved since */
		if (x && x->has_stack_kind && (kind == WAIT_FUTEX || kind == WAIT_SYSCALL) &&
		    x->still_since_ms <= s->stacks_ms)
			kind = x->stack_kind;
		if (!visible(t, x, filter))
			continue;
		if (x && t->state != 'R' && kind != WAIT_RUNNING)
			blocked = (int64_t)(s->last_ms - x->still_since_ms);
		if (per_thread)
			snprintf(key, sizeof(key), "%d", (int)t->tid);
		else
			snprintf(key, sizeof(key), "%s|%s", wait_kind_key(kind), frame);
		for (j = 0; j < n && !per_thread; j++)
			if (!strcmp(rows[j].key, key)) {
				r = &rows[j];
				break;
			}
		if (!r) {
			r = &rows[n++];
			snprintf(r->key, sizeof(r->key), "%s", key);
			r->kind = kind;
			snprintf(r->detail, sizeof(r->detail), "%s",
				 t->wait.detail && kind == t->wait.kind ? t->wait.detail : "");
			snprintf(r->frame, sizeof(r->frame), "%s", frame);
			r->blocked_min_ms = r->blocked_max_ms = blocked;
			r->state = t->state;
		} else if (strcmp(r->detail, t->wait.detail && kind == t->wait.kind ? t->wait.detail : "")) {
			r->detail[0] = '\0';
		}
		if (x && s->have_stacks && x->still_since_ms <= s->stacks_ms) {
			const struct thread *st = process_thread(&s->stacks, t->tid);
			r->deadlock |= st && st->wait.deadlock >= 0;
		}
		r->count++;
		r->cpu_pct += x ? x->cpu_pct : 0;
		if (blocked >= 0 && (r->blocked_min_ms < 0 || blocked < r->blocked_min_ms))
			r->blocked_min_ms = blocked;
		if (blocked > r->blocked_max_ms)
			r->blocked_max_ms = blocked;
		if (r->ntids < sizeof(r->tids) / sizeof(*r->tids))
			r->tids[r->ntids++] = t->tid;
		if (!names_have(r->names, t->name) &&
		    strlen(r->names) + strlen(t->name) + 3 < sizeof(r->names))
			snprintf(r->names + strlen(r->names), sizeof(r->names) - strlen(r->names),
				 "%s%s", r->names[0] ? ", " : "", t->name);
	}
	qsort_r(rows, n, sizeof(*rows), cmp_rows, &sort);
	*out = rows;
	return n;
}
