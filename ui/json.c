/*
 * json.c - the --json contract (schema 1), written with json-c.
 *
 * { "schema": 1, "pid", "command", "exe", "stopped_us", "partial",
 *   "threads": [ { "tid", "name", "state", "wait", "frames", ... } ],
 *   "groups":  [ { "count", "wait", "tids", "names", "frames" } ],
 *   "go": { "version", "module", ... } or null,
 *   "goroutines": [ { "goid", "status", "frames", "created_by", ... } ],
 *   "goroutine_groups": [ { "count", "status", "goids", "frames", ... } ] }
 * man/inspect.1 documents every field; later commands reuse the wait
 * and frame objects (ui_json_wait, ui_json_frames).
 */
#define _GNU_SOURCE
#include "ui.h"
#include "ui_json.h"
#include "../util/util.h"

#include <json.h>
#include <stdlib.h>
#include <string.h>

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;	/* NULL = json null */
}

static json_object *hex(uint64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
	return json_object_new_string(b);
}

json_object *ui_json_wait(const struct wait *w)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string(wait_kind_key(w->kind)));
	json_object_object_add(o, "label", json_object_new_string(wait_kind_label(w->kind)));
	json_object_object_add(o, "detail", str_or_null(w->detail));
	if (w->fd >= 0)
		json_object_object_add(o, "fd", json_object_new_int(w->fd));
	if (w->address)
		json_object_object_add(o, "address", hex(w->address));
	if (w->owner)
		json_object_object_add(o, "owner", json_object_new_int(w->owner));
	if (w->owner_note != OWNER_NOTE_NONE) {
		static const char *const notes[] = { NULL, "changed", "owner_died", "exited" };
		json_object_object_add(o, "owner_note", json_object_new_string(notes[w->owner_note]));
		if (w->named && !w->owner)
			json_object_object_add(o, "named", json_object_new_int(w->named));
	}
	if (w->deadlock >= 0)
		json_object_object_add(o, "deadlock", json_object_new_int(w->deadlock));
	if (w->blocked_ms >= 0)
		json_object_object_add(o, "blocked_ms", json_object_new_int64(w->blocked_ms));
	return o;
}

json_object *ui_json_frames(const struct process *p, const struct thread *t)
{
	return ui_json_pcs(p, t->pcs, t->npcs);
}

json_object *ui_json_pcs(const struct process *p, const uint64_t *pcs, size_t npcs)
{
	json_object *a = json_object_new_array();
	size_t i, j;
	for (i = 0; i < npcs; i++) {
		const struct symframe *sf = process_symframe(p, pcs[i]);
		size_t n = sf ? sf->nrows : 0;
		if (!n) {
			json_object *f = json_object_new_object();
			json_object_object_add(f, "pc", hex(pcs[i]));
			json_object_object_add(f, "module", NULL);
			json_object_object_add(f, "function", NULL);
			json_object_object_add(f, "inline", json_object_new_boolean(0));
			json_object_array_add(a, f);
			continue;
		}
		for (j = 0; j < n; j++) {
			const struct symrow *r = &sf->rows[j];
			json_object *f = json_object_new_object();
			json_object_object_add(f, "pc", hex(r->pc));
			json_object_object_add(f, "module", str_or_null(r->module));
			json_object_object_add(f, "build_id", str_or_null(r->build_id));
			json_object_object_add(f, "module_offset", hex(r->module_offset));
			json_object_object_add(f, "function", str_or_null(r->function));
			json_object_object_add(f, "function_offset",
					       json_object_new_int64((int64_t)r->function_offset));
			json_object_object_add(f, "file", str_or_null(r->file));
			json_object_object_add(f, "line", r->line ? json_object_new_int(r->line) : NULL);
			json_object_object_add(f, "inline", json_object_new_boolean(r->inlined));
			if (r->jit)
				json_object_object_add(f, "jit", json_object_new_boolean(1));
			json_object_array_add(a, f);
		}
	}
	return a;
}

static json_object *thread_obj(const struct process *p, const struct thread *t, int kernel)
{
	json_object *o = json_object_new_object();
	char st[2] = { t->state, 0 };
	json_object_object_add(o, "tid", json_object_new_int(t->tid));
	json_object_object_add(o, "name", json_object_new_string(t->name));
	json_object_object_add(o, "state", json_object_new_string(st));
	json_object_object_add(o, "wait", ui_json_wait(&t->wait));
	if (t->wait.owner) {
		pid_t tids[64];
		size_t n = lock_chain(p, t, tids, 64), i;
		json_object *c = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(c, json_object_new_int(tids[i]));
		json_object_object_add(o, "chain", c);
	}
	json_object_object_add(o, "frames", ui_json_frames(p, t));
	if (t->unwind_stop)
		json_object_object_add(o, "unwind_stop", json_object_new_string(t->unwind_stop));
	if (t->no_stack || (!t->npcs && p->no_stacks))
		json_object_object_add(o, "no_stack",
				       json_object_new_string(t->no_stack ? t->no_stack : p->no_stacks));
	if (t->wchan)
		json_object_object_add(o, "wchan", json_object_new_string(t->wchan));
	if (go_on_thread(&p->go, t->tid))
		json_object_object_add(o, "goroutine",
				       json_object_new_int64(go_on_thread(&p->go, t->tid)->goid));
	if (kernel && t->kstack)
		json_object_object_add(o, "kernel_stack", json_object_new_string(t->kstack));
	return o;
}

static int cmp_tid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return x < y ? -1 : x > y;
}

json_object *ui_json_group(const struct process *p, const struct group *g)
{
	json_object *o = json_object_new_object(), *tids = json_object_new_array(),
		    *names = json_object_new_array();
	pid_t *v = xmalloc(g->nmembers * sizeof(*v));
	size_t i;
	struct wait w = g->wait;
	w.blocked_ms = g->blocked_max_ms;
	for (i = 0; i < g->nmembers; i++)
		v[i] = p->threads[g->members[i]].tid;
	qsort(v, g->nmembers, sizeof(*v), cmp_tid);
	for (i = 0; i < g->nmembers; i++) {
		const struct thread *t = process_thread(p, v[i]);
		json_object_array_add(tids, json_object_new_int(v[i]));
		json_object_array_add(names, json_object_new_string(t ? t->name : ""));
	}
	free(v);
	json_object_object_add(o, "count", json_object_new_int((int)g->nmembers));
	json_object_object_add(o, "wait", ui_json_wait(&w));
	if (g->blocked_min_ms >= 0)
		json_object_object_add(o, "blocked_min_ms", json_object_new_int64(g->blocked_min_ms));
	json_object_object_add(o, "tids", tids);
	json_object_object_add(o, "names", names);
	json_object_object_add(o, "frames", ui_json_frames(p, g->first));
	return o;
}

/* {function, file, line, goid} of where a goroutine was created, or null */
static json_object *created_by_json(const struct process *p, const struct goroutine *g)
{
	const struct symrow *r = go_created_by(p, g);
	json_object *o;
	if (!r)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "function", json_object_new_string(r->function));
	json_object_object_add(o, "file", str_or_null(r->file));
	json_object_object_add(o, "line", r->line ? json_object_new_int(r->line) : NULL);
	json_object_object_add(o, "goid", g->parent_goid > 0 ?
			       json_object_new_int64(g->parent_goid) : NULL);
	return o;
}

static json_object *goroutine_json(const struct process *p, const struct goroutine *g)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "goid", json_object_new_int64(g->goid));
	json_object_object_add(o, "status", json_object_new_string(g->status_text));
	json_object_object_add(o, "wait_minutes", g->wait_minutes >= 0 ?
			       json_object_new_int64(g->wait_minutes) : NULL);
	json_object_object_add(o, "locked_to_thread", json_object_new_boolean(g->locked));
	json_object_object_add(o, "tid", g->tid ? json_object_new_int(g->tid) : NULL);
	json_object_object_add(o, "system", json_object_new_boolean(g->system));
	json_object_object_add(o, "frames", ui_json_pcs(p, g->pcs, g->npcs));
	if (g->unwind_stop)
		json_object_object_add(o, "unwind_stop", json_object_new_string(g->unwind_stop));
	json_object_object_add(o, "created_by", created_by_json(p, g));
	return o;
}

static json_object *go_group_json(const struct process *p, const struct go_group *gr)
{
	json_object *o = json_object_new_object(), *ids = json_object_new_array();
	size_t i;
	for (i = 0; i < gr->n; i++)
		json_object_array_add(ids, json_object_new_int64(p->go.gs[gr->members[i]].goid));
	json_object_object_add(o, "count", json_object_new_int((int)gr->n));
	json_object_object_add(o, "status", json_object_new_string(gr->first->status_text));
	json_object_object_add(o, "wait_minutes_min", gr->minutes_min >= 0 ?
			       json_object_new_int64(gr->minutes_min) : NULL);
	json_object_object_add(o, "wait_minutes_max", gr->minutes_max >= 0 ?
			       json_object_new_int64(gr->minutes_max) : NULL);
	json_object_object_add(o, "goids", ids);
	json_object_object_add(o, "frames", ui_json_pcs(p, gr->first->pcs, gr->first->npcs));
	json_object_object_add(o, "created_by", created_by_json(p, gr->first));
	return o;
}

/* "go": {version, module, goroutines_not_shown}, or null for a process
 * that is not Go; then its goroutines and their groups */
static void add_go(json_object *o, const struct process *p)
{
	const struct go_process *go = &p->go;
	json_object *g, *gs = json_object_new_array(), *grs = json_object_new_array();
	size_t i;
	if (!go->is_go) {
		json_object_object_add(o, "go", NULL);
		json_object_put(gs);
		json_object_put(grs);
		return;
	}
	g = json_object_new_object();
	json_object_object_add(g, "version", go->version[0] ? json_object_new_string(go->version)
							    : NULL);
	json_object_object_add(g, "module", str_or_null(go->module));
	json_object_object_add(g, "goroutines_not_shown", str_or_null(go->not_shown));
	json_object_object_add(g, "system_goroutines", json_object_new_int((int)go->nsystem));
	json_object_object_add(o, "go", g);
	for (i = 0; i < go->ngs; i++)
		json_object_array_add(gs, goroutine_json(p, &go->gs[i]));
	for (i = 0; i < go->ngroups; i++)
		json_object_array_add(grs, go_group_json(p, &go->groups[i]));
	json_object_object_add(o, "goroutines", gs);
	json_object_object_add(o, "goroutine_groups", grs);
}

static json_object *deadlock_json(const struct process *p, const struct deadlock *d)
{
	json_object *o = json_object_new_object(), *tids = json_object_new_array(),
		    *edges = json_object_new_array();
	size_t i;
	for (i = 0; i < d->n; i++) {
		const struct thread *t = &p->threads[d->members[i]];
		json_object *e = json_object_new_object();
		json_object_array_add(tids, json_object_new_int(t->tid));
		json_object_object_add(e, "waiter", json_object_new_int(t->tid));
		json_object_object_add(e, "lock", t->wait.address ? hex(t->wait.address) : NULL);
		json_object_object_add(e, "kind", json_object_new_string(wait_kind_key(t->wait.kind)));
		json_object_object_add(e, "holder", json_object_new_int(t->wait.owner));
		json_object_array_add(edges, e);
	}
	json_object_object_add(o, "tids", tids);
	json_object_object_add(o, "edges", edges);
	return o;
}

json_object *ui_json_deadlocks(const struct process *p)
{
	json_object *a = json_object_new_array();
	size_t i;
	for (i = 0; i < p->ndeadlocks; i++)
		json_object_array_add(a, deadlock_json(p, &p->deadlocks[i]));
	return a;
}

json_object *ui_json_process(const struct process *p, int kernel)
{
	json_object *o = json_object_new_object(), *th = json_object_new_array(),
		    *gr = json_object_new_array();
	size_t i;
	json_object_object_add(o, "schema", json_object_new_int(INSPECT_JSON_SCHEMA));
	json_object_object_add(o, "pid", json_object_new_int(p->pid));
	json_object_object_add(o, "command", json_object_new_string(p->comm));
	json_object_object_add(o, "exe", str_or_null(p->exe));
	json_object_object_add(o, "stopped_us", json_object_new_int64((int64_t)(p->stopped_ns / 1000)));
	json_object_object_add(o, "read_asleep", json_object_new_int(p->read_asleep));
	if (p->no_stacks)
		json_object_object_add(o, "no_stacks", json_object_new_string(p->no_stacks));
	for (i = 0; i < p->nthreads; i++)
		json_object_array_add(th, thread_obj(p, &p->threads[i], kernel));
	for (i = 0; i < p->ngroups; i++)
		json_object_array_add(gr, ui_json_group(p, &p->groups[i]));
	json_object_object_add(o, "threads", th);
	json_object_object_add(o, "groups", gr);
	json_object_object_add(o, "deadlocks", ui_json_deadlocks(p));
	add_go(o, p);
	return o;
}

void render_json(FILE *out, const struct process *p, const struct render_opts *o)
{
	json_object *j = ui_json_process(p, o->kernel);
	fputs(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
					     JSON_C_TO_STRING_SPACED |
					     JSON_C_TO_STRING_NOSLASHESCAPE), out);
	fputc('\n', out);
	json_object_put(j);
}
