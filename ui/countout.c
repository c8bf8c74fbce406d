/*
 * countout.c - `inspect count`'s output: one sample as `key value`
 * lines, one line with --samples, or JSON; and the groups that grew.
 */
#define _GNU_SOURCE
#include "ui.h"
#include "ui_json.h"

#include <json.h>
#include <string.h>
#include <time.h>

void render_count_sample(FILE *out, const struct process *p, const struct count_sample *c)
{
	size_t total = p->threads ? p->nthreads : (size_t)p->thread_total;
	const struct tally *t = c->tally;
	char ts[64];
	time_t now = time(NULL);
	size_t i;
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	if (c->json) {
		json_object *j = json_object_new_object(), *n = json_object_new_object();
		json_object_object_add(j, "schema", json_object_new_int(INSPECT_JSON_SCHEMA));
		if (c->line_mode)
			json_object_object_add(j, "time", json_object_new_string(ts));
		json_object_object_add(j, "pid", json_object_new_int(p->pid));
		json_object_object_add(j, "command", json_object_new_string(p->comm));
		json_object_object_add(j, "threads", json_object_new_int((int)total));
		if (c->go) {
			json_object_object_add(j, "goroutines", json_object_new_int((int)c->goroutines));
			/* how: the runtime's counters, or each goroutine read */
			json_object_object_add(j, "goroutines_from", json_object_new_string(
				p->go.total_read ? "counters" : "goroutines"));
		}
		json_object_object_add(j, "counted", json_object_new_int((int)c->counted));
		json_object_object_add(j, "by", json_object_new_string(count_by_names[c->by]));
		for (i = 0; i < t->len; i++)
			json_object_object_add(n, t->keys[i], json_object_new_int64(t->n[i]));
		json_object_object_add(j, "counts", n);
		if (p->captured)
			json_object_object_add(j, "stopped_us",
					       json_object_new_int64((int64_t)(p->stopped_ns / 1000)));
		if (c->deadlocks)
			json_object_object_add(j, "deadlocks", ui_json_deadlocks(p));
		if (c->by == COUNT_BY_GROUP) {
			json_object *ga = json_object_new_array();
			for (i = 0; i < p->ngroups; i++)
				json_object_array_add(ga, ui_json_group(p, &p->groups[i]));
			json_object_object_add(j, "groups", ga);
		}
		fprintf(out, "%s\n", json_object_to_json_string_ext(j, c->line_mode ?
			JSON_C_TO_STRING_PLAIN : JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
		json_object_put(j);
		return;
	}
	if (c->line_mode) {
		fprintf(out, "%s threads %zu", ts, total);
		if (c->go)
			fprintf(out, " goroutines %zu", c->goroutines);
		if (c->filtered)
			fprintf(out, " counted %zu", c->counted);
		for (i = 0; i < t->len; i++)
			fprintf(out, " %s %ld", t->keys[i], t->n[i]);
		if (c->deadlocks)
			fprintf(out, " deadlocks %zu", p->ndeadlocks);
		fputc('\n', out);
		return;
	}
	fprintf(out, "threads %zu\n", total);
	if (c->go)
		fprintf(out, "goroutines %zu\n", c->goroutines);
	if (c->filtered)
		fprintf(out, "counted %zu\n", c->counted);
	for (i = 0; i < t->len; i++)
		fprintf(out, "%s %ld\n", t->keys[i], t->n[i]);
	if (c->deadlocks)
		fprintf(out, "deadlocks %zu\n", p->ndeadlocks);
}

void render_growth(FILE *out, const struct growth *v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		fprintf(out, "grown %s %ld -> %ld (+%ld)\n", v[i].label, v[i].then, v[i].now,
			v[i].now - v[i].then);
}
