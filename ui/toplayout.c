/*
 * toplayout.c - the screen of `inspect top` as lines of text.
 */
#define _GNU_SOURCE
#include "toplayout.h"
#include "../util/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add(struct top_line **v, size_t *n, size_t *cap, int width, int attr,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void add(struct top_line **v, size_t *n, size_t *cap, int width, int attr,
		const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = xstrdup("");
	va_end(ap);
	if (width > 0 && (int)strlen(s) > width) {
		/* cut on a character boundary (UTF-8 continuation bytes) */
		int w = width;
		while (w > 0 && (s[w] & 0xc0) == 0x80)
			w--;
		s[w] = '\0';
	}
	grow((void **)v, cap, *n, sizeof(**v));
	(*v)[*n].text = s;
	(*v)[*n].attr = attr;
	(*n)++;
}

static void blocked_range(const struct top_row *r, char *buf, size_t size)
{
	char a[24], b[24];
	if (r->blocked_max_ms < 0) {
		snprintf(buf, size, "-");
		return;
	}
	format_duration(r->blocked_min_ms, a, sizeof(a));
	format_duration(r->blocked_max_ms, b, sizeof(b));
	if (!strcmp(a, b))
		snprintf(buf, size, ">=%s", a);
	else
		snprintf(buf, size, ">=%s-%s", a, b);
}

/* The last 20 of a history of counts as a sparkline */
static void spark_of(const size_t *hist, size_t nhist, int utf8, char *buf, size_t size)
{
	static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584",
					      "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = "_.-~=+*#";
	size_t i, lo = (size_t)-1, hi = 0, o = 0;
	for (i = 0; i < nhist; i++) {
		if (hist[i] < lo)
			lo = hist[i];
		if (hist[i] > hi)
			hi = hist[i];
	}
	buf[0] = '\0';
	for (i = nhist > 20 ? nhist - 20 : 0; i < nhist && o + 4 < size; i++) {
		int level = hi > lo ? (int)((hist[i] - lo) * 7 / (hi - lo)) : 0;
		if (utf8)
			o += snprintf(buf + o, size - o, "%s", blocks[level]);
		else
			buf[o++] = ascii[level], buf[o] = '\0';
	}
}

static void sparkline(const struct top_state *s, int utf8, char *buf, size_t size)
{
	spark_of(s->count_hist, s->nhist, utf8, buf, size);
}

static void go_sparkline(const struct top_state *s, int utf8, char *buf, size_t size)
{
	spark_of(s->go_hist, s->ngo_hist, utf8, buf, size);
}

size_t top_layout(const struct top_state *s, const struct top_row *rows, size_t nrows,
		  const struct top_view *v, int width, int height, struct top_line **out,
		  size_t *header)
{
	const struct process *p = &s->cur;
	struct top_line *l = NULL;
	size_t n = 0, cap = 0, i, kinds[WAIT__COUNT] = { 0 };
	char spark[128], up[32], kindsum[512] = "", held[96] = "";
	size_t avail;
	int ww, fw;

	format_duration(s->uptime_ms, up, sizeof(up));
	for (i = 0; i < p->nthreads; i++)
		kinds[p->threads[i].wait.kind]++;
	for (i = 0; i < WAIT__COUNT; i++)
		if (kinds[i])
			snprintf(kindsum + strlen(kindsum), sizeof(kindsum) - strlen(kindsum),
				 "  %s %zu", wait_kind_key(i), kinds[i]);
	sparkline(s, v->utf8, spark, sizeof(spark));
	if (s->have_stacks)
		snprintf(held, sizeof(held), "stacks held %.2f ms", s->stacks.stopped_ns / 1e6);
	else
		snprintf(held, sizeof(held), "no stacks yet");

	add(&l, &n, &cap, width, TOP_A_TITLE, "inspect top - %s (PID %d)  up %s  CPU %.1f%%  RSS %.1f MB%s",
	    p->comm, (int)p->pid, up, s->proc_cpu_pct, p->rss_kb >= 0 ? p->rss_kb / 1024.0 : 0.0,
	    s->exited ? "  [process exited]" : "");
	if (v->go) {
		char gspark[128];
		go_sparkline(s, v->utf8, gspark, sizeof(gspark));
		add(&l, &n, &cap, width, TOP_A_NORMAL, "%s, goroutines %zu %s  threads %zu",
		    p->go.version, s->ngo_hist ? s->go_hist[s->ngo_hist - 1] : 0, gspark,
		    p->nthreads);
	} else {
		add(&l, &n, &cap, width, TOP_A_NORMAL, "threads %zu %s%s", p->nthreads, spark,
		    kindsum);
	}
	add(&l, &n, &cap, width, TOP_A_NORMAL, "refresh %.1fs, stacks %.1fs (%s)  sort: %s%s%s%s%s",
	    v->interval, v->stack_interval, held, top_sort_name(v->sort),
	    v->filter && *v->filter ? "  filter: " : "", v->filter ? v->filter : "",
	    v->paused ? "  [paused]" : "", v->per_thread ? "  [threads]" : "");
	add(&l, &n, &cap, width, TOP_A_NORMAL, "%s", "");
	/* columns widen with the terminal; at 80 columns every one fits */
	ww = width <= 0 || width >= 120 ? 32 : 20;
	fw = width <= 0 || width >= 120 ? 28 : 16;
	if (v->go)
		add(&l, &n, &cap, width, TOP_A_HEADER, "%5s %6s %-10s %-*s %s", "COUNT", "CHANGE",
		    "WAITING", ww, "STATUS", "FRAME");
	else if (v->per_thread)
		add(&l, &n, &cap, width, TOP_A_HEADER, "%-7s %-15s %s %5s %-10s %-*s %s", "TID", "NAME",
		    "S", "CPU%", "BLOCKED", ww, "WAIT", "FRAME");
	else
		add(&l, &n, &cap, width, TOP_A_HEADER, "%5s %5s %-10s %-*s %-*s %s", "COUNT", "CPU%",
		    "BLOCKED", ww, "WAIT", fw, "FRAME", "THREADS");
	*header = n;
	avail = height > 0 ? (size_t)(height - (int)n - (v->interactive ? 1 : 0)) : nrows;
	if (height > 0 && height <= (int)n + 1)
		avail = 0;
	for (i = v->scroll; i < nrows && i - v->scroll < avail; i++) {
		const struct top_row *r = &rows[i];
		char b[64], wait[160];
		int attr = v->interactive && i == v->selected ? TOP_A_SELECTED :
			   r->cpu_pct >= 50 ? TOP_A_HOT :
			   (r->kind == WAIT_MUTEX || r->kind == WAIT_DISK) ? TOP_A_WARN : TOP_A_NORMAL;
		blocked_range(r, b, sizeof(b));
		snprintf(wait, sizeof(wait), "%s%s%s%s", r->deadlock ? "DEADLOCK " : "",
			 wait_kind_label(r->kind), r->detail[0] ? " " : "", r->detail);
		if (r->deadlock && attr == TOP_A_NORMAL)
			attr = TOP_A_HOT;
		if (r->go)
			add(&l, &n, &cap, width, attr, "%5zu %+6ld %-10.10s %-*.*s %s", r->count,
			    r->change, b, ww, ww, r->detail, r->frame);
		else if (v->per_thread)
			add(&l, &n, &cap, width, attr, "%-7d %-15.15s %c %5.1f %-10.10s %-*.*s %s",
			    (int)r->tids[0], r->names, r->state, r->cpu_pct, b, ww, ww, wait, r->frame);
		else
			add(&l, &n, &cap, width, attr, "%5zu %5.1f %-10.10s %-*.*s %-*.*s %s", r->count,
			    r->cpu_pct, b, ww, ww, wait, fw, fw, r->frame, r->names);
	}
	if (v->interactive && height > 0) {
		struct sb hint = { 0 };
		while ((int)n < height - 1)
			add(&l, &n, &cap, width, TOP_A_NORMAL, "%s", "");
		top_keys_hint(&hint);
		add(&l, &n, &cap, width, TOP_A_HEADER, "%s", sb_str(&hint));
		sb_release(&hint);
	}
	*out = l;
	return n;
}

void top_lines_free(struct top_line *lines, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(lines[i].text);
	free(lines);
}

/* The stack of a goroutine group's first goroutine, with its creator */
static size_t go_stack_lines(const struct top_state *s, const struct top_row *row, int width,
			     struct top_line **out)
{
	const struct process *p = &s->stacks;
	const struct goroutine *g = NULL;
	const struct symrow *creator;
	struct top_line *l = NULL;
	size_t n = 0, cap = 0, i, j;
	for (i = 0; i < p->go.ngs && !g; i++)
		if (p->go.gs[i].goid == row->goid)
			g = &p->go.gs[i];
	add(&l, &n, &cap, width, TOP_A_TITLE, "%zu goroutine%s: %s", row->count,
	    row->count == 1 ? "" : "s", row->detail);
	if (!g) {
		add(&l, &n, &cap, width, TOP_A_NORMAL, "  (goroutine %lld is gone)",
		    (long long)row->goid);
	} else {
		add(&l, &n, &cap, width, TOP_A_NORMAL, "  goroutine %lld%s", (long long)g->goid,
		    row->count > 1 ? " and the others of its group" : "");
		for (i = 0; i < g->npcs; i++) {
			const struct symframe *sf = process_symframe(p, g->pcs[i]);
			for (j = 0; sf && j < sf->nrows; j++) {
				const struct symrow *r = &sf->rows[j];
				if (!go_row_shown(r))
					continue;
				add(&l, &n, &cap, width, TOP_A_NORMAL, "  %s%s  %s:%d",
				    r->function ? r->function : "??", r->inlined ? " (inlined)" : "",
				    r->file ? r->file : "?", r->line);
			}
		}
		if ((creator = go_created_by(p, g))) {
			char parent[48] = "";
			if (g->parent_goid > 0)
				snprintf(parent, sizeof(parent), " in goroutine %lld",
					 (long long)g->parent_goid);
			add(&l, &n, &cap, width, TOP_A_NORMAL, "  created by %s%s  %s:%d",
			    creator->function, parent, creator->file ? creator->file : "?",
			    creator->line);
		}
	}
	add(&l, &n, &cap, width, TOP_A_NORMAL, "%s", "");
	add(&l, &n, &cap, width, TOP_A_HEADER, "Esc/Backspace back  q quit");
	*out = l;
	return n;
}

/* What t's lock names, as the sample saw it: the chain of owners, and
 * the deadlock it is in */
static void lock_lines(const struct process *p, const struct thread *t, int width,
		       struct top_line **l, size_t *n, size_t *cap)
{
	pid_t tids[16];
	size_t k = lock_chain(p, t, tids, 16), i;
	if (t->wait.deadlock >= 0) {
		const struct deadlock *d = &p->deadlocks[t->wait.deadlock];
		char *title = deadlock_title(d);
		add(l, n, cap, width, TOP_A_HOT, "  DEADLOCK: %s", title);
		free(title);
		for (i = 0; i < d->n; i++) {
			char *e = lock_edge_text(p, &p->threads[d->members[i]]);
			add(l, n, cap, width, TOP_A_HOT, "    %s", e);
			free(e);
		}
		return;
	}
	for (i = 0; i < k; i++) {
		const struct thread *o = process_thread(p, tids[i]);
		char *w = o ? wait_text(&o->wait) : NULL;
		add(l, n, cap, width, TOP_A_NORMAL, "  %s %d (%s): %s", i ? "which waits for" :
		    "waits for", (int)tids[i], o ? o->name : "?", w ? w : "?");
		free(w);
	}
}

size_t top_stack_lines(const struct top_state *s, const struct top_row *row, int width,
		       struct top_line **out)
{
	struct top_line *l = NULL;
	size_t n = 0, cap = 0, i, j, k;
	const struct process *p = &s->stacks;
	const struct thread *t = NULL;
	struct sb tids = { 0 };
	if (row->go)
		return go_stack_lines(s, row, width, out);
	for (i = 0; i < row->ntids; i++)
		sb_addf(&tids, "%s%d", i ? "," : "", (int)row->tids[i]);
	if (row->count > row->ntids)
		sb_addf(&tids, " (+%zu more)", row->count - row->ntids);
	add(&l, &n, &cap, width, TOP_A_TITLE, "%zu thread%s: %s%s%s", row->count,
	    row->count == 1 ? "" : "s", wait_kind_label(row->kind), row->detail[0] ? " " : "",
	    row->detail);
	add(&l, &n, &cap, width, TOP_A_NORMAL, "  %s [%s]", row->names, tids.buf ? tids.buf : "");
	sb_release(&tids);
	for (i = 0; s->have_stacks && i < row->ntids && !t; i++)
		t = process_thread(p, row->tids[i]);
	if (!t) {
		add(&l, &n, &cap, width, TOP_A_NORMAL, "  (no stack sample of %s yet)",
		    row->ntids > 1 ? "these threads" : "this thread");
	} else {
		lock_lines(p, t, width, &l, &n, &cap);
		for (i = 0, k = 0; i < t->npcs; i++) {
			const struct symframe *sf = process_symframe(p, t->pcs[i]);
			for (j = 0; sf && j < sf->nrows; j++, k++) {
				const struct symrow *r = &sf->rows[j];
				char loc[256] = "";
				if (r->file) {
					const char *b = strrchr(r->file, '/');
					snprintf(loc, sizeof(loc), "  %s:%d", b ? b + 1 : r->file, r->line);
				}
				add(&l, &n, &cap, width, TOP_A_NORMAL, "  #%-3zu %s%s  %s%s", k,
				    r->function ? r->function : "??", r->inlined ? " (inlined)" : "",
				    r->module ? r->module : "?", loc);
			}
		}
		if (t->unwind_stop)
			add(&l, &n, &cap, width, TOP_A_WARN, "  -- unwind stopped: %s", t->unwind_stop);
		if (t->kstack) {
			const char *ks = t->kstack;
			while (*ks) {
				const char *e = strchr(ks, '\n');
				int len = e ? (int)(e - ks) : (int)strlen(ks);
				add(&l, &n, &cap, width, TOP_A_NORMAL, "  kernel: %.*s", len, ks);
				ks += len + (e ? 1 : 0);
			}
		}
	}
	add(&l, &n, &cap, width, TOP_A_NORMAL, "%s", "");
	add(&l, &n, &cap, width, TOP_A_HEADER, "Esc/Backspace back  q quit");
	*out = l;
	return n;
}

size_t top_help_lines(struct top_line **out)
{
	static const char *const after[] = {
		"",
		"CPU, states and waits come from /proc every refresh and stop nothing.",
		"Stacks are sampled every few seconds with a short stop of every thread,",
		"which hands threads in epoll_wait and similar calls one EINTR.",
		"",
		"Any key to go back.",
	};
	char rows[32][96];
	struct top_line *l = NULL;
	size_t n = 0, cap = 0, i, nk = top_keys_help(rows, 32);
	add(&l, &n, &cap, 0, TOP_A_TITLE, "%s", "inspect top - keys");
	add(&l, &n, &cap, 0, TOP_A_NORMAL, "%s", "");
	for (i = 0; i < nk; i++)
		add(&l, &n, &cap, 0, TOP_A_NORMAL, "%s", rows[i]);
	for (i = 0; i < sizeof(after) / sizeof(*after); i++)
		add(&l, &n, &cap, 0, TOP_A_NORMAL, "%s", after[i]);
	*out = l;
	return n;
}
