/*
 * json.c - the --json contract (schema 1), written with json-c.
 *
 * { "schema": 1, "pid", "command", "exe", "stopped_us", "partial",
 *   "threads": [ { "tid", "name", "state", "wait", "frames", ... } ],
 *   "groups":  [ { "count", "wait", "tids", "names", "frames" } ] }
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
	if (w->blocked_ms >= 0)
		json_object_object_add(o, "blocked_ms", json_object_new_int64(w->blocked_ms));
	return o;
}

json_object *ui_json_frames(const struct process *p, const struct thread *t)
{
	json_object *a = json_object_new_array();
	size_t i, j;
	for (i = 0; i < t->npcs; i++) {
		const struct symframe *sf = process_symframe(p, t->pcs[i]);
		size_t n = sf ? sf->nrows : 0;
		if (!n) {
			json_object *f = json_object_new_object();
			json_object_object_add(f, "pc", hex(t->pcs[i]));
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
	json_object_object_add(o, "frames", ui_json_frames(p, t));
	if (t->unwind_stop)
		json_object_object_add(o, "unwind_stop", json_object_new_string(t->unwind_stop));
	if (t->no_stack || (!t->npcs && p->no_stacks))
		json_object_object_add(o, "no_stack",
				       json_object_new_string(t->no_stack ? t->no_stack : p->no_stacks));
	if (t->wchan)
		json_object_object_add(o, "wchan", json_object_new_string(t->wchan));
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
	if (p->no_stacks)
		json_object_object_add(o, "no_stacks", json_object_new_string(p->no_stacks));
	for (i = 0; i < p->nthreads; i++)
		json_object_array_add(th, thread_obj(p, &p->threads[i], kernel));
	for (i = 0; i < p->ngroups; i++)
		json_object_array_add(gr, ui_json_group(p, &p->groups[i]));
	json_object_object_add(o, "threads", th);
	json_object_object_add(o, "groups", gr);
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
