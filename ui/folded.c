/*
 * folded.c - collapsed stacks, as flamegraph.pl, inferno and speedscope
 * read them: one line per distinct stack, its frames from the outermost
 * to the innermost joined by ';', a space, and how many threads (of a Go
 * program: goroutines, then its threads under a first frame [thread])
 * have it.
 *
 *   start_thread;worker_main;pthread_cond_wait 4
 */
#define _GNU_SOURCE
#include "ui.h"
#include "../util/util.h"

#include <stdlib.h>
#include <string.h>

struct line {
	char *stack;
	size_t n;
};

struct lines {
	struct line *v;
	size_t n, nalloc;
};

/* A frame's name as the text dump prints it; ';' would split it, so
 * it becomes ':' (no C++, Rust or Go name has one, a file name may) */
static void add_frame(struct sb *sb, const struct symrow *r, uint64_t pc)
{
	size_t from = sb->len, i;
	if (sb->len)
		sb_adds(sb, ";");
	if (r && r->function)
		sb_addf(sb, "%s%s", r->function, r->inlined ? " (inlined)" : "");
	else if (r && r->module)
		sb_addf(sb, "?? %s+0x%llx", r->module, (unsigned long long)r->module_offset);
	else
		sb_addf(sb, "?? 0x%llx", (unsigned long long)pc);
	for (i = from + (from > 0); i < sb->len; i++)
		if (sb->buf[i] == ';')
			sb->buf[i] = ':';
}

/* pcs innermost first, each PC's rows innermost (inlined) first: both
 * walked backwards.  go: only the rows Go's own dumps show. */
static char *stack_line(const struct process *p, const char *root, const uint64_t *pcs,
			size_t npcs, int go)
{
	struct sb sb = { 0 };
	size_t i, j;
	if (root)
		sb_adds(&sb, root);
	for (i = npcs; i-- > 0;) {
		const struct symframe *sf = process_symframe(p, pcs[i]);
		if (!sf || !sf->nrows) {
			add_frame(&sb, NULL, pcs[i]);
			continue;
		}
		for (j = sf->nrows; j-- > 0;)
			if (!go || go_row_shown(&sf->rows[j]))
				add_frame(&sb, &sf->rows[j], pcs[i]);
	}
	if (!sb.len)	/* no frames: the thread's or goroutine's stack is unknown */
		sb_adds(&sb, "[no stack]");
	return sb_detach(&sb);
}

static void add_line(struct lines *l, char *stack, size_t n)
{
	if (!n) {
		free(stack);
		return;
	}
	grow((void **)&l->v, &l->nalloc, l->n, sizeof(*l->v));
	l->v[l->n].stack = stack;
	l->v[l->n++].n = n;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->stack, ((const struct line *)b)->stack);
}

/* Groups that differ in what they wait on but not in their frames make
 * one line */
static void print_lines(FILE *out, struct lines *l)
{
	size_t i = 0, j;
	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_line);
	while (i < l->n) {
		size_t n = 0;
		for (j = i; j < l->n && !strcmp(l->v[j].stack, l->v[i].stack); j++)
			n += l->v[j].n;
		fprintf(out, "%s %zu\n", l->v[i].stack, n);
		for (; i < j; i++)
			free(l->v[i].stack);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->nalloc = 0;
}

void render_folded(FILE *out, const struct process *p, const struct render_opts *o)
{
	struct lines l = { 0 };
	const struct go_process *go = &p->go;
	size_t i, j;
	for (i = 0; i < go->ngroups; i++) {
		const struct go_group *gr = &go->groups[i];
		size_t n = 0;
		for (j = 0; j < gr->n; j++)
			n += !o->go_mask || o->go_mask[gr->members[j]];
		add_line(&l, stack_line(p, NULL, gr->first->pcs, gr->first->npcs, 1), n);
	}
	print_lines(out, &l);
	for (i = 0; i < p->ngroups && !o->go_only; i++) {
		const struct group *gr = &p->groups[i];
		size_t n = 0;
		for (j = 0; j < gr->nmembers; j++)
			n += !o->mask || o->mask[gr->members[j]];
		add_line(&l, stack_line(p, go->ngroups ? "[thread]" : NULL, gr->first->pcs,
					gr->first->npcs, 0), n);
	}
	print_lines(out, &l);
}
