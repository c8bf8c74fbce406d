/*
 * gogroup.c - goroutines as Go's own dumps show them: the state in the
 * runtime's words, the minutes, which are system goroutines and which
 * frames Go hides; and the groups pprof's goroutine profile (debug=1)
 * makes: the same state, the same frames, the same creator.
 */
#define _GNU_SOURCE
#include "model.h"

#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
	"idle", "runnable", "running", "syscall", "waiting", "moribund_unused", "dead",
	"enqueue_unused", "copystack", "preempted",
};

const char *go_status_text(const struct go_process *go, const struct goroutine *g)
{
	if (g->status == GO_WAITING && g->waitreason && g->waitreason < go->nwaitreasons &&
	    go->waitreasons[g->waitreason][0])
		return go->waitreasons[g->waitreason];
	if (g->status < sizeof(status_names) / sizeof(*status_names))
		return status_names[g->status];
	return "???";
}

int go_frame_shown(const char *function)
{
	/* Go's showfuncinfo: a qualified name, not the runtime's own
	 * unexported functions (runtime.Gosched is shown, runtime.gopark is
	 * not) */
	if (!function || !strchr(function, '.'))
		return 0;
	if (strncmp(function, "runtime.", 8))
		return 1;
	return function[8] >= 'A' && function[8] <= 'Z';
}

int go_row_shown(const struct symrow *r)
{
	return r->go ? go_frame_shown(r->function) : 1;
}

/* The physical row of pc (the last: inlined calls come first) */
static const struct symrow *physical_row(const struct process *p, uint64_t pc)
{
	const struct symframe *sf = process_symframe(p, pc);
	return sf && sf->nrows ? &sf->rows[sf->nrows - 1] : NULL;
}

const char *go_function(const struct process *p, uint64_t pc)
{
	const struct symrow *r = physical_row(p, pc);
	return r ? r->function : NULL;
}

const struct symrow *go_created_by(const struct process *p, const struct goroutine *g)
{
	const struct symrow *r = g->gopc && g->goid != 1 ? physical_row(p, g->gopc) : NULL;
	return r && r->function ? r : NULL;
}

/* Go's isSystemGoroutine: started in a runtime function other than
 * runtime.main and runtime.handleAsyncEvent (the finalizer goroutine
 * counts as the user's while it runs a finalizer; it is taken as
 * system here) */
static int is_system(const struct process *p, const struct goroutine *g)
{
	const char *f = go_function(p, g->startpc);
	if (!f)
		return 0;
	if (!strcmp(f, "runtime.main") || !strcmp(f, "runtime.handleAsyncEvent"))
		return 0;
	return !strncmp(f, "runtime.", 8);
}

/* The grouping key: the state, the stack (the same PCs are the same
 * functions and lines), the creator's function */
static int cmp_members(const void *a, const void *b, void *arg)
{
	const struct process *p = arg;
	const struct goroutine *x = &p->go.gs[*(const size_t *)a];
	const struct goroutine *y = &p->go.gs[*(const size_t *)b];
	int c;
	if (x->status_text != y->status_text && (c = strcmp(x->status_text, y->status_text)))
		return c;
	if (x->npcs != y->npcs)
		return x->npcs < y->npcs ? -1 : 1;
	if (x->npcs && (c = memcmp(x->pcs, y->pcs, x->npcs * sizeof(*x->pcs))))
		return c;
	if (x->creator != y->creator &&
	    (c = strcmp(x->creator ? x->creator : "", y->creator ? y->creator : "")))
		return c;
	return x->goid < y->goid ? -1 : x->goid > y->goid;
}

static int same_group(const struct process *p, size_t a, size_t b)
{
	const struct goroutine *x = &p->go.gs[a], *y = &p->go.gs[b];
	return (x->status_text == y->status_text || !strcmp(x->status_text, y->status_text)) &&
	       x->npcs == y->npcs &&
	       (!x->npcs || !memcmp(x->pcs, y->pcs, x->npcs * sizeof(*x->pcs))) &&
	       (x->creator == y->creator ||
		!strcmp(x->creator ? x->creator : "", y->creator ? y->creator : ""));
}

static int cmp_group(const void *a, const void *b, void *arg)
{
	const struct go_group *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->first->goid < y->first->goid ? -1 : x->first->goid > y->first->goid;
}

void go_classify(struct process *p)
{
	struct go_process *go = &p->go;
	size_t i;
	for (i = 0; i < go->ngs; i++) {
		struct goroutine *g = &go->gs[i];
		g->status_text = go_status_text(go, g);
		g->creator = g->gopc ? go_function(p, g->gopc) : NULL;
		g->system = is_system(p, g);
		go->nsystem += g->system;
		g->wait_minutes = -1;
		if ((g->status == GO_WAITING || g->status == GO_SYSCALL) && g->waitsince > 0 &&
		    go->nanotime > g->waitsince)
			g->wait_minutes = (go->nanotime - g->waitsince) / 60000000000ll;
	}
}

void go_group(struct process *p, int with_system)
{
	struct go_process *go = &p->go;
	size_t i, n = 0, *start, *idx;
	if (go->grouped)
		return;
	go->grouped = 1;
	idx = xmalloc_array(go->ngs, sizeof(*idx));
	start = xmalloc_array(go->ngs, sizeof(*start));
	for (i = 0; i < go->ngs; i++)
		if (with_system || !go->gs[i].system)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_members, p);
	go->groups = xcalloc(n, sizeof(*go->groups));
	for (i = 0; i < n; i++) {
		struct go_group *gr;
		const struct goroutine *g = &go->gs[idx[i]];
		if (!i || !same_group(p, idx[i], idx[i - 1])) {
			start[go->ngroups] = i;	/* a run of idx */
			gr = &go->groups[go->ngroups++];
			gr->first = g;
			gr->minutes_min = gr->minutes_max = -1;
		} else {
			gr = &go->groups[go->ngroups - 1];
		}
		gr->n++;
		if (g->wait_minutes >= 0) {
			if (gr->minutes_min < 0 || g->wait_minutes < gr->minutes_min)
				gr->minutes_min = g->wait_minutes;
			if (g->wait_minutes > gr->minutes_max)
				gr->minutes_max = g->wait_minutes;
		}
	}
	for (i = 0; i < go->ngroups; i++) {
		struct go_group *gr = &go->groups[i];
		gr->members = xmalloc_array(gr->n, sizeof(*gr->members));
		memcpy(gr->members, idx + start[i], gr->n * sizeof(*gr->members));
	}
	free(idx);
	free(start);
	qsort_r(go->groups, go->ngroups, sizeof(*go->groups), cmp_group, NULL);
	for (i = 0; i < go->ngroups; i++) {
		size_t j;
		for (j = 0; j < go->groups[i].n; j++)
			go->gs[go->groups[i].members[j]].group = (int)i;
	}
}

void go_goroutines_release(struct go_process *go)
{
	size_t i;
	for (i = 0; i < go->ngs; i++) {
		free(go->gs[i].pcs);
		free(go->gs[i].activation);
		free(go->gs[i].unwind_stop);
	}
	free(go->gs);
	go->gs = NULL;
	go->ngs = 0;
}

void go_process_release(struct go_process *go)
{
	size_t i;
	go_goroutines_release(go);
	for (i = 0; i < go->ngroups; i++)
		free(go->groups[i].members);
	free(go->groups);
	for (i = 0; i < go->nwaitreasons; i++)
		free(go->waitreasons[i]);
	free(go->waitreasons);
	free(go->module);
	free(go->not_shown);
	go_copies_release(go);
	memset(go, 0, sizeof(*go));
}

void go_forget_copies(struct process *p)
{
	size_t i;
	for (i = 0; i < p->go.ngs; i++) {
		p->go.gs[i].stack = NULL;
		p->go.gs[i].copy_len = 0;
	}
}

void go_copies_release(struct go_process *go)
{
	free(go->gptrs);
	free(go->graw);
	free(go->graw2);
	free(go->todo);
	free(go->copies);
	free(go->iov);
	go->gptrs = NULL;
	go->graw = go->graw2 = NULL;
	go->todo = NULL;
	go->copies = NULL;
	go->iov = NULL;
}

const struct goroutine *go_on_thread(const struct go_process *go, pid_t tid)
{
	size_t i;
	for (i = 0; tid && i < go->ngs; i++)
		if (go->gs[i].tid == tid &&
		    (go->gs[i].status == GO_RUNNING || go->gs[i].status == GO_SYSCALL))
			return &go->gs[i];
	return NULL;
}
