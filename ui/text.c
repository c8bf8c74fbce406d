/*
 * text.c - the grouped dump for people.
 *
 *   process 4242 (demo-server): 12 threads in 6 groups, held 0.41 ms
 *
 *   4 threads: condition wait, blocked ~2m-3m
 *     worker-1..worker-4 [4245-4248]
 *     #0  pthread_cond_wait+0x21b   libc.so.6   pthread_cond_wait.c:618
 *     ...
 */
#define _GNU_SOURCE
#include "ui.h"
#include "../util/util.h"

#include <stdlib.h>
#include <string.h>

#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"
#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_CYAN "\033[36m"
#define C_OFF "\033[0m"

static const char *col(const struct render_opts *o, const char *c)
{
	return o->color ? c : "";
}

static const char *kind_color(enum wait_kind k)
{
	switch (k) {
	case WAIT_RUNNING: return C_GREEN;
	case WAIT_MUTEX: case WAIT_RWLOCK: case WAIT_DISK: case WAIT_STOPPED:
	case WAIT_TRACED: case WAIT_ZOMBIE: case WAIT_FAULT:
		return C_RED;
	default: return C_YELLOW;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *group_names(const struct process *p, const struct group *g, size_t max,
		  const uint8_t *mask)
{
	const char **v = xmalloc(g->nmembers * sizeof(*v));
	size_t i, m = 0, n = 0, shown = 0;
	struct sb sb = { 0 };
	for (i = 0; i < g->nmembers; i++)
		if (!mask || mask[g->members[i]])
			v[m++] = p->threads[g->members[i]].name;
	qsort(v, m, sizeof(*v), cmp_str);
	for (i = 0; i < m; i++) {
		if (i && !strcmp(v[i], v[i - 1]))
			continue;
		n++;
		if (shown < max) {
			sb_addf(&sb, "%s%s", shown ? ", " : "", v[i]);
			shown++;
		}
	}
	if (n > shown)
		sb_addf(&sb, " (+%zu more)", n - shown);
	free(v);
	return sb_detach(&sb);
}

static int cmp_tid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return x < y ? -1 : x > y;
}

static const char *base(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;
	return s ? s + 1 : path;
}

static void frame_rows(FILE *out, const struct process *p, const struct thread *t,
		       const struct render_opts *o)
{
	size_t i, j, k = 0, run;
	for (i = 0; i < t->npcs; i++) {
		const struct symframe *sf = process_symframe(p, t->pcs[i]);
		struct symrow fallback;
		size_t nrows;
		/* recursion: a run of the same return address is shown once */
		for (run = 1; i + run < t->npcs && t->pcs[i + run] == t->pcs[i]; run++)
			;
		if (i > 0 && t->pcs[i - 1] == t->pcs[i] && run >= 1) {
			size_t rows = (sf && sf->nrows ? sf->nrows : 1) * run;
			fprintf(out, "  #%zu-#%zu %s(the frame above, %zu more time%s)%s\n", k,
				k + rows - 1, col(o, C_DIM), run, run == 1 ? "" : "s", col(o, C_OFF));
			k += rows;
			i += run - 1;
			continue;
		}
		nrows = sf ? sf->nrows : 0;
		if (!nrows) {
			memset(&fallback, 0, sizeof(fallback));
			fallback.pc = t->pcs[i];
			nrows = 1;
		}
		for (j = 0; j < nrows; j++) {
			const struct symrow *r = sf && sf->nrows ? &sf->rows[j] : &fallback;
			struct sb sb = { 0 };
			if (r->function) {
				sb_adds(&sb, r->function);
				if (r->inlined)
					sb_adds(&sb, " (inlined)");
				else if (r->function_offset)
					sb_addf(&sb, "+0x%llx", (unsigned long long)r->function_offset);
			} else {
				sb_addf(&sb, "?? 0x%llx", (unsigned long long)r->pc);
			}
			fprintf(out, "  #%-3zu %s%s%s  %s", k++, col(o, C_CYAN), sb.buf,
				col(o, C_OFF), r->jit ? "[jit]" : r->module ? base(r->module) : "?");
			if (!r->function && r->module)
				fprintf(out, "+0x%llx", (unsigned long long)r->module_offset);
			if (r->file)
				fprintf(out, "  %s%s:%d%s", col(o, C_DIM), base(r->file), r->line,
					col(o, C_OFF));
			if (o->addresses && !r->inlined)
				fprintf(out, "  [pc 0x%llx %s+0x%llx]", (unsigned long long)r->pc,
					r->module ? base(r->module) : "?",
					(unsigned long long)r->module_offset);
			fputc('\n', out);
			sb_release(&sb);
		}
	}
	if (t->unwind_stop)
		fprintf(out, "  %s-- unwind stopped: %s%s\n", col(o, C_RED), t->unwind_stop,
			col(o, C_OFF));
	if (!t->npcs && t->no_stack && (!p->no_stacks || strcmp(t->no_stack, p->no_stacks)))
		fprintf(out, "  (no user stack: %s)\n", t->no_stack);
	if (!t->npcs && t->wchan)
		fprintf(out, "  kernel wait channel: %s\n", t->wchan);
	if (o->kernel && t->kstack) {
		const char *s = t->kstack;
		while (*s) {
			const char *e = strchr(s, '\n');
			size_t n = e ? (size_t)(e - s) : strlen(s);
			fprintf(out, "  %skernel: %.*s%s\n", col(o, C_DIM), (int)n, s, col(o, C_OFF));
			s += n + (e ? 1 : 0);
		}
	}
}

static void group_header(FILE *out, const struct process *p, const struct group *g,
			 const struct render_opts *o)
{
	const struct wait *w = &g->wait;
	char a[32], b[32];
	pid_t *tids = xmalloc(g->nmembers * sizeof(*tids));
	char *ranges, *names;
	size_t i, n = 0;
	for (i = 0; i < g->nmembers; i++)
		if (!o->mask || o->mask[g->members[i]])
			tids[n++] = p->threads[g->members[i]].tid;
	qsort(tids, n, sizeof(*tids), cmp_tid);
	ranges = format_tid_ranges(tids, n);
	names = group_names(p, g, 6, o->mask);
	fprintf(out, "%s%zu thread%s%s: %s%s%s", col(o, C_BOLD), n,
		n == 1 ? "" : "s", col(o, C_OFF), col(o, kind_color(w->kind)),
		wait_kind_label(w->kind), col(o, C_OFF));
	if (w->detail)
		fprintf(out, " %s", w->detail);
	if (w->deadlock >= 0)
		fprintf(out, " %s[deadlock %d]%s", col(o, C_RED), w->deadlock + 1, col(o, C_OFF));
	if (g->blocked_max_ms >= 0) {
		format_duration(g->blocked_min_ms, a, sizeof(a));
		format_duration(g->blocked_max_ms, b, sizeof(b));
		if (!strcmp(a, b))
			fprintf(out, ", blocked ~%s", a);
		else
			fprintf(out, ", blocked ~%s-%s", a, b);
	}
	fprintf(out, "\n  %s [%s]\n", names, ranges);
	free(ranges);
	free(names);
	free(tids);
}

/* Past the owner the header names: the rest of the chain */
static void chain(FILE *out, const struct process *p, const struct thread *t)
{
	pid_t tids[16];
	size_t n = lock_chain(p, t, tids, 16), i;
	if (n < 2)
		return;
	fputs("  waits for", out);
	for (i = 0; i < n; i++) {
		const struct thread *o = process_thread(p, tids[i]);
		fprintf(out, "%s %d (%s)", i ? " ->" : "", (int)tids[i], o ? o->name : "?");
	}
	if (t->wait.deadlock >= 0)
		fprintf(out, " -> %d: a cycle", (int)t->tid);
	else if (n == 16)
		fputs(" -> ...", out);
	fputc('\n', out);
}

void render_deadlocks(FILE *out, const struct process *p, const struct render_opts *o)
{
	size_t i, j;
	for (i = 0; i < p->ndeadlocks; i++) {
		const struct deadlock *d = &p->deadlocks[i];
		char *title = deadlock_title(d);
		fprintf(out, "%sdeadlock %zu: %s%s\n", col(o, C_RED), i + 1, title, col(o, C_OFF));
		free(title);
		for (j = 0; j < d->n; j++) {
			char *e = lock_edge_text(p, &p->threads[d->members[j]]);
			fprintf(out, "  %s\n", e);
			free(e);
		}
	}
}

static void thread_header(FILE *out, const struct process *p, const struct thread *t,
			  const struct render_opts *o)
{
	const struct goroutine *g = go_on_thread(&p->go, t->tid);
	char d[32];
	fprintf(out, "%sthread %d%s (%s) state %c", col(o, C_BOLD), (int)t->tid, col(o, C_OFF),
		t->name, t->state);
	if (g)
		fprintf(out, ", goroutine %lld", (long long)g->goid);
	fprintf(out, ": %s%s%s", col(o, kind_color(t->wait.kind)), wait_kind_label(t->wait.kind),
		col(o, C_OFF));
	if (t->wait.detail)
		fprintf(out, " %s", t->wait.detail);
	if (t->wait.deadlock >= 0)
		fprintf(out, " %s[deadlock %d]%s", col(o, C_RED), t->wait.deadlock + 1,
			col(o, C_OFF));
	if (t->wait.blocked_ms >= 0) {
		format_duration(t->wait.blocked_ms, d, sizeof(d));
		fprintf(out, ", blocked ~%s", d);
	}
	fputc('\n', out);
	chain(out, p, t);
}

/* One goroutine's shown frames, as the threads' are printed */
static void goroutine_frames(FILE *out, const struct process *p, const struct goroutine *g,
			     const struct render_opts *o)
{
	size_t i, j, k = 0;
	for (i = 0; i < g->npcs; i++) {
		const struct symframe *sf = process_symframe(p, g->pcs[i]);
		if (!sf || !sf->nrows) {
			fprintf(out, "  #%-3zu ?? 0x%llx\n", k++, (unsigned long long)g->pcs[i]);
			continue;
		}
		for (j = 0; j < sf->nrows; j++) {
			const struct symrow *r = &sf->rows[j];
			if (!go_row_shown(r))
				continue;
			fprintf(out, "  #%-3zu %s%s%s%s", k++, col(o, C_CYAN),
				r->function ? r->function : "??", r->inlined ? " (inlined)" : "",
				col(o, C_OFF));
			if (!r->go && r->module)
				fprintf(out, "  %s", base(r->module));
			if (r->file)
				fprintf(out, "  %s%s:%d%s", col(o, C_DIM), r->file, r->line,
					col(o, C_OFF));
			fputc('\n', out);
		}
	}
	if (g->unwind_stop)
		fprintf(out, "  %s-- unwind stopped: %s%s\n", col(o, C_RED), g->unwind_stop,
			col(o, C_OFF));
}

/* "created by net/http.(*Server).Serve in goroutine 1  server.go:3285" */
static void created_by(FILE *out, const struct process *p, const struct goroutine *g,
		       const struct render_opts *o)
{
	const struct symrow *r = go_created_by(p, g);
	if (!r)
		return;
	fprintf(out, "  created by %s", r->function);
	if (g->parent_goid > 0)
		fprintf(out, " in goroutine %lld", (long long)g->parent_goid);
	if (r->file)
		fprintf(out, "  %s%s:%d%s", col(o, C_DIM), r->file, r->line, col(o, C_OFF));
	fputc('\n', out);
}

static int cmp_goid64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* "93-1092,1100": a group's goroutine IDs */
static void goid_ranges(FILE *out, const struct process *p, const struct go_group *gr,
			const uint8_t *mask)
{
	int64_t *v = xmalloc_array(gr->n, sizeof(*v));
	size_t i = 0, j, n = 0, m = 0;
	for (j = 0; j < gr->n; j++)
		if (!mask || mask[gr->members[j]])
			v[m++] = p->go.gs[gr->members[j]].goid;
	qsort(v, m, sizeof(*v), cmp_goid64);
	while (i < m && n < 40) {
		j = i;
		while (j + 1 < m && v[j + 1] == v[j] + 1)
			j++;
		if (j == i)
			fprintf(out, "%s%lld", n ? "," : "", (long long)v[i]);
		else
			fprintf(out, "%s%lld-%lld", n ? "," : "", (long long)v[i], (long long)v[j]);
		n++;
		i = j + 1;
	}
	if (i < m)
		fputs(",...", out);
	free(v);
}

static void go_groups(FILE *out, const struct process *p, const struct render_opts *o)
{
	const struct go_process *go = &p->go;
	size_t i, j;
	for (i = 0; i < go->ngroups; i++) {
		const struct go_group *gr = &go->groups[i];
		const struct goroutine *g = gr->first;
		size_t n = 0;
		for (j = 0; j < gr->n; j++)
			n += !o->go_mask || o->go_mask[gr->members[j]];
		if (!n)
			continue;
		fprintf(out, "\n%s%zu goroutine%s:%s %s%s%s", col(o, C_BOLD), n,
			n == 1 ? "" : "s", col(o, C_OFF), col(o, C_YELLOW), g->status_text,
			col(o, C_OFF));
		if (gr->minutes_max >= 1) {
			if (gr->minutes_min == gr->minutes_max)
				fprintf(out, ", %lld minutes", (long long)gr->minutes_max);
			else
				fprintf(out, ", %lld-%lld minutes", (long long)gr->minutes_min,
					(long long)gr->minutes_max);
		}
		if (g->locked)
			fputs(", locked to thread", out);
		fprintf(out, "\n  goroutine%s ", n == 1 ? "" : "s");
		goid_ranges(out, p, gr, o->go_mask);
		if (n == 1 && g->tid)
			fprintf(out, " (on thread %d)", (int)g->tid);
		fputc('\n', out);
		goroutine_frames(out, p, g, o);
		created_by(out, p, g, o);
	}
}

/* Go's own traceback format, one block per goroutine (runtime.Stack,
 * GOTRACEBACK=all): tools that read Go's dumps read this unchanged */
void render_go_dump(FILE *out, const struct process *p, const struct render_opts *o)
{
	const struct go_process *go = &p->go;
	size_t i, j, k;
	for (i = 0; i < go->ngs; i++) {
		const struct goroutine *g = &go->gs[i];
		const struct symrow *cr = go_created_by(p, g);
		if (g->system && !o->go_system)
			continue;
		fprintf(out, "%sgoroutine %lld [%s", i ? "\n" : "", (long long)g->goid, g->status_text);
		if (g->wait_minutes >= 1)
			fprintf(out, ", %lld minutes", (long long)g->wait_minutes);
		if (g->locked)
			fputs(", locked to thread", out);
		fputs("]:\n", out);
		for (j = 0; j < g->npcs; j++) {
			const struct symframe *sf = process_symframe(p, g->pcs[j]);
			for (k = 0; sf && k < sf->nrows; k++) {
				const struct symrow *r = &sf->rows[k];
				if (!go_row_shown(r))
					continue;
				fprintf(out, "%s(...)\n\t%s:%d", r->function ? r->function : "??",
					r->file ? r->file : "?", r->line);
				if (!r->inlined)
					fprintf(out, " +0x%llx", (unsigned long long)r->function_offset);
				fputc('\n', out);
			}
		}
		if (cr) {
			fprintf(out, "created by %s", cr->function);
			if (g->parent_goid > 0)
				fprintf(out, " in goroutine %lld", (long long)g->parent_goid);
			fprintf(out, "\n\t%s:%d +0x%llx\n", cr->file ? cr->file : "?", cr->line,
				(unsigned long long)(cr->function_offset));
		}
	}
}

void render_text(FILE *out, const struct process *p, const struct render_opts *o)
{
	size_t g;
	const struct go_process *go = &p->go;
	fprintf(out, "%sprocess %d (%s)%s: ", col(o, C_BOLD), (int)p->pid, p->comm,
		col(o, C_OFF));
	if (go->is_go && go->version[0])
		fprintf(out, "%s, ", go->version);
	if (o->go_only)
		fprintf(out, "%zu goroutines, read without stopping it", go->ngs - go->nsystem);
	else
		fprintf(out, "%zu thread%s in %zu group%s", p->nthreads,
			p->nthreads == 1 ? "" : "s", p->ngroups, p->ngroups == 1 ? "" : "s");
	if (go->ngs && !o->go_only)
		fprintf(out, ", %zu goroutines in %zu groups (%zu system%s)", go->ngs - go->nsystem,
			go->ngroups, go->nsystem, o->go_system ? ", shown" : ", hidden");
	if (p->captured)
		fprintf(out, ", held %.2f ms", p->stopped_ns / 1e6);
	if (p->read_asleep)
		fprintf(out, ", %d asleep read in place", p->read_asleep);
	fputc('\n', out);
	if (p->exe)
		fprintf(out, "%s%s%s\n", col(o, C_DIM), p->exe, col(o, C_OFF));
	if (p->no_stacks)
		fprintf(out, "%sno user stacks: %s%s\n", col(o, C_RED), p->no_stacks, col(o, C_OFF));
	if (go->not_shown)
		fprintf(out, "%s%s%s\n", col(o, C_RED), go->not_shown, col(o, C_OFF));
	if (go->not_read)
		fprintf(out, "%s%zu goroutines not read: more than there was room made for, "
			"or past the stack budget%s\n", col(o, C_RED), go->not_read, col(o, C_OFF));
	if (p->ndeadlocks && !o->go_only) {
		fputc('\n', out);
		render_deadlocks(out, p, o);
	}
	if (!o->threads && !o->mask)
		go_groups(out, p, o);
	for (g = 0; g < p->ngroups && !o->go_only; g++) {
		const struct group *gr = &p->groups[g];
		size_t i, shown = 0;
		for (i = 0; i < gr->nmembers; i++)
			shown += !o->mask || o->mask[gr->members[i]];
		if (!shown)
			continue;
		fputc('\n', out);
		if (o->threads)
			thread_header(out, p, gr->first, o);
		else
			group_header(out, p, gr, o);
		frame_rows(out, p, gr->first, o);
	}
}
