/*
 * count.c - see count.h.
 */
#define _GNU_SOURCE
#include "count.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const count_by_names[] = { "total", "kind", "name", "group", "function", "status",
					NULL };

void tally_add(struct tally *t, const char *key)
{
	size_t i, nalloc = t->nalloc;
	for (i = 0; i < t->len; i++)
		if (!strcmp(t->keys[i], key)) {
			t->n[i]++;
			return;
		}
	grow((void **)&t->keys, &t->nalloc, t->len, sizeof(*t->keys));
	grow((void **)&t->n, &nalloc, t->len, sizeof(*t->n));
	t->keys[t->len] = xstrdup(key);
	t->n[t->len++] = 1;
}

void tally_release(struct tally *t)
{
	size_t i;
	for (i = 0; i < t->len; i++)
		free(t->keys[i]);
	free(t->keys);
	free(t->n);
	memset(t, 0, sizeof(*t));
}

void tally_sort(struct tally *t)
{
	size_t i, j;
	for (i = 1; i < t->len; i++)
		for (j = i; j > 0 && (t->n[j] > t->n[j - 1] ||
				      (t->n[j] == t->n[j - 1] &&
				       strcmp(t->keys[j], t->keys[j - 1]) < 0)); j--) {
			char *k = t->keys[j];
			long n = t->n[j];
			t->keys[j] = t->keys[j - 1];
			t->n[j] = t->n[j - 1];
			t->keys[j - 1] = k;
			t->n[j - 1] = n;
		}
}

int count_needs_stacks(enum count_by by, const struct count_filter *f)
{
	return by == COUNT_BY_GROUP || by == COUNT_BY_FUNCTION || f->nre ||
	       f->kind == WAIT_MUTEX || f->kind == WAIT_RWLOCK || f->kind == WAIT_CONDITION ||
	       f->kind == WAIT_SEMAPHORE || f->kind == WAIT_JOIN;
}

/* worker-17 -> worker-*, pool3 -> pool* */
static void fold_name(const char *in, char *out, size_t size)
{
	size_t n = strlen(in);
	while (n && in[n - 1] >= '0' && in[n - 1] <= '9')
		n--;
	if (n == strlen(in))
		snprintf(out, size, "%s", in);
	else
		snprintf(out, size, "%.*s*", (int)n, in);
}

static int pcs_match(const struct process *p, const uint64_t *pcs, size_t n,
		     const struct count_filter *f)
{
	size_t i, j, k;
	for (i = 0; i < n; i++) {
		const struct symframe *sf = process_symframe(p, pcs[i]);
		for (j = 0; sf && j < sf->nrows; j++)
			for (k = 0; k < f->nre; k++)
				if (sf->rows[j].function &&
				    !regexec(&f->re[k], sf->rows[j].function, 0, NULL, 0))
					return 1;
	}
	return 0;
}

size_t count_select(const struct process *p, const struct count_filter *f, uint8_t *mask)
{
	size_t i, n = 0;
	for (i = 0; i < p->nthreads; i++) {
		const struct thread *t = &p->threads[i];
		mask[i] = 0;
		if (f->name_glob && fnmatch(f->name_glob, t->name, 0))
			continue;
		if (f->kind >= 0 && (int)t->wait.kind != f->kind)
			continue;
		if (f->nre && !pcs_match(p, t->pcs, t->npcs, f))
			continue;
		mask[i] = 1;
		n++;
	}
	return n;
}

size_t count_goroutines(const struct process *p, const struct count_filter *f, uint8_t *gmask)
{
	size_t i, n = 0;
	uint8_t *group_match = NULL;
	/* a group's goroutines have the same PCs: the patterns are tried on
	 * each group once */
	if (f->nre && p->go.ngroups) {
		group_match = xmalloc_array(p->go.ngroups, 1);
		for (i = 0; i < p->go.ngroups; i++) {
			const struct goroutine *g = p->go.groups[i].first;
			group_match[i] = (uint8_t)pcs_match(p, g->pcs, g->npcs, f);
		}
	}
	for (i = 0; i < p->go.ngs; i++) {
		const struct goroutine *g = &p->go.gs[i];
		int m = !f->nre;
		if (!m)
			m = g->group >= 0 && group_match ? group_match[g->group]
							 : pcs_match(p, g->pcs, g->npcs, f);
		gmask[i] = !g->system && m;
		n += gmask[i];
	}
	free(group_match);
	return n;
}

/* "chan receive@main.logsContainer": the state and the first frame Go
 * shows that is not the standard library's (else the first shown) */
static void goroutine_label(const struct process *p, const struct goroutine *g, char *buf,
			    size_t size)
{
	const char *first = NULL, *own = NULL;
	size_t i, j;
	for (i = 0; i < g->npcs && !own; i++) {
		const struct symframe *sf = process_symframe(p, g->pcs[i]);
		for (j = 0; sf && j < sf->nrows && !own; j++) {
			const char *fn = sf->rows[j].function;
			if (!go_row_shown(&sf->rows[j]) || !fn)
				continue;
			if (!first)
				first = fn;
			/* a package path with a dot in its first element, or main */
			if (!strncmp(fn, "main.", 5) || (strchr(fn, '.') < strchr(fn, '/') &&
							  strchr(fn, '/')))
				own = fn;
		}
	}
	snprintf(buf, size, "%s@%s", g->status_text, own ? own : first ? first : "?");
}

/* each function of a stack once (go: the rows Go's dumps show alone) */
static void add_functions(const struct process *p, const uint64_t *pcs, size_t n, int go,
			  struct tally *t)
{
	struct tally seen = { 0 };
	size_t j, k, s;
	for (j = 0; j < n; j++) {
		const struct symframe *sf = process_symframe(p, pcs[j]);
		for (k = 0; sf && k < sf->nrows; k++) {
			const char *fn = sf->rows[k].function;
			int dup = 0;
			if (!fn || (go && !go_row_shown(&sf->rows[k])))
				continue;
			for (s = 0; s < seen.len && !dup; s++)
				dup = !strcmp(seen.keys[s], fn);
			if (!dup) {
				tally_add(&seen, fn);
				tally_add(t, fn);
			}
		}
	}
	tally_release(&seen);
}

void count_goroutine_breakdown(const struct process *p, enum count_by by, const uint8_t *gmask,
			       struct tally *t)
{
	size_t i;
	char buf[512];
	if (by == COUNT_BY_TOTAL)
		return;
	for (i = 0; i < p->go.ngs; i++) {
		const struct goroutine *g = &p->go.gs[i];
		if (!gmask[i])
			continue;
		if (by == COUNT_BY_STATUS) {
			tally_add(t, g->status_text);
		} else if (by == COUNT_BY_FUNCTION) {
			add_functions(p, g->pcs, g->npcs, 1, t);
		} else {
			goroutine_label(p, g, buf, sizeof(buf));
			tally_add(t, buf);
		}
	}
	tally_sort(t);
}

void group_label(const struct process *p, const struct group *g, char *buf, size_t size)
{
	snprintf(buf, size, "%s@%s", wait_kind_key(g->wait.kind),
		 thread_telling_function(p, g->first));
}

/* t in the order of the wait kinds */
static void order_by_kind(struct tally *t)
{
	struct tally s = { 0 };
	size_t i;
	int k;
	for (k = 0; k < WAIT__COUNT; k++)
		for (i = 0; i < t->len; i++)
			if (!strcmp(t->keys[i], wait_kind_key(k))) {
				tally_add(&s, t->keys[i]);
				s.n[s.len - 1] = t->n[i];
			}
	tally_release(t);
	*t = s;
}

void count_breakdown(const struct process *p, enum count_by by, const uint8_t *mask,
		     struct tally *t)
{
	size_t i, j;
	char buf[512];
	if (by == COUNT_BY_TOTAL)
		return;
	if (by == COUNT_BY_GROUP) {
		for (i = 0; i < p->ngroups; i++) {
			const struct group *g = &p->groups[i];
			group_label(p, g, buf, sizeof(buf));
			for (j = 0; j < g->nmembers; j++)
				if (mask[g->members[j]])
					tally_add(t, buf);
		}
		tally_sort(t);
		return;
	}
	for (i = 0; i < p->nthreads; i++) {
		const struct thread *th = &p->threads[i];
		if (!mask[i])
			continue;
		if (by == COUNT_BY_KIND) {
			tally_add(t, wait_kind_key(th->wait.kind));
		} else if (by == COUNT_BY_NAME) {
			fold_name(th->name, buf, sizeof(buf));
			tally_add(t, buf);
		} else {
			add_functions(p, th->pcs, th->npcs, 0, t);
		}
	}
	if (by == COUNT_BY_KIND)
		order_by_kind(t);
	else
		tally_sort(t);
}

void signature_start(struct sb *sb, const char *kind_key)
{
	sb_adds(sb, kind_key);
}

void signature_frame(struct sb *sb, const char *function)
{
	sb_adds(sb, "|");
	if (function)
		sb_adds(sb, function);
}

/* start, then every row of the stack pcs */
static char *signature_of(const struct process *p, const char *start, const uint64_t *pcs,
			  size_t n)
{
	struct sb sb = { 0 };
	size_t i, j;
	signature_start(&sb, start);
	for (i = 0; i < n; i++) {
		const struct symframe *sf = process_symframe(p, pcs[i]);
		if (!sf || !sf->nrows)
			signature_frame(&sb, NULL);
		for (j = 0; sf && j < sf->nrows; j++)
			signature_frame(&sb, sf->rows[j].function);
	}
	return sb_detach(&sb);
}

char *group_signature(const struct process *p, const struct group *g)
{
	return signature_of(p, wait_kind_key(g->wait.kind), g->first->pcs, g->first->npcs);
}

char *go_group_signature(const struct process *p, const struct go_group *g)
{
	return signature_of(p, g->first->status_text, g->first->pcs, g->first->npcs);
}

void baseline_release(struct baseline *b)
{
	size_t i;
	for (i = 0; i < b->n; i++) {
		free(b->v[i].signature);
		free(b->v[i].ids);
	}
	free(b->v);
	memset(b, 0, sizeof(*b));
}

static int in_baseline(const struct baseline_group *bg, int64_t id)
{
	size_t i;
	for (i = 0; bg && i < bg->nids; i++)
		if (bg->ids[i] == id)
			return 1;
	return 0;
}

/* Groups of threads or goroutines, as the comparison with a baseline
 * sees them */
struct groups_view {
	size_t ngroups;
	char *(*signature)(const struct process *p, size_t g);
	void (*label)(const struct process *p, size_t g, char *buf, size_t size);
	size_t (*size)(const struct process *p, size_t g);
	size_t (*member)(const struct process *p, size_t g, size_t j);	/* its index */
	int64_t (*id)(const struct process *p, size_t m);	/* TID, goroutine ID */
	size_t nmembers;	/* of the mask */
};

static size_t compare_view(const struct process *p, const struct groups_view *gv,
			   const struct baseline *b, const uint8_t *mask, uint8_t *grown,
			   struct growth **out)
{
	struct growth *v = NULL;
	size_t i, j, k, n = 0, nalloc = 0;
	memset(grown, 0, gv->nmembers);
	for (i = 0; i < gv->ngroups; i++) {
		const struct baseline_group *last = NULL;
		char *sig = gv->signature(p, i);
		long now = 0, then = 0;
		for (j = 0; j < gv->size(p, i); j++)
			now += mask[gv->member(p, i, j)];
		for (k = 0; k < b->n; k++)
			if (!strcmp(b->v[k].signature, sig)) {
				then += b->v[k].count;
				last = &b->v[k];
			}
		free(sig);
		if (now <= then)
			continue;
		grow((void **)&v, &nalloc, n, sizeof(*v));
		gv->label(p, i, v[n].label, sizeof(v[n].label));
		v[n].then = then;
		v[n].now = now;
		n++;
		/* the new ones: those the baseline's group did not list */
		for (j = 0; j < gv->size(p, i); j++) {
			size_t m = gv->member(p, i, j);
			if (mask[m])
				grown[m] = !in_baseline(last, gv->id(p, m));
		}
	}
	*out = v;
	return n;
}

static char *thread_sig(const struct process *p, size_t g)
{
	return group_signature(p, &p->groups[g]);
}

static void thread_label(const struct process *p, size_t g, char *buf, size_t size)
{
	group_label(p, &p->groups[g], buf, size);
}

static size_t thread_group_size(const struct process *p, size_t g)
{
	return p->groups[g].nmembers;
}

static size_t thread_member(const struct process *p, size_t g, size_t j)
{
	return p->groups[g].members[j];
}

static int64_t thread_id(const struct process *p, size_t m)
{
	return p->threads[m].tid;
}

size_t baseline_compare(const struct process *p, const struct baseline *b,
			const uint8_t *mask, uint8_t *grown, struct growth **out)
{
	struct groups_view gv = { p->ngroups, thread_sig, thread_label, thread_group_size,
				  thread_member, thread_id, p->nthreads };
	return compare_view(p, &gv, b, mask, grown, out);
}

static char *go_sig(const struct process *p, size_t g)
{
	return go_group_signature(p, &p->go.groups[g]);
}

static void go_label(const struct process *p, size_t g, char *buf, size_t size)
{
	goroutine_label(p, p->go.groups[g].first, buf, size);
}

static size_t go_group_size(const struct process *p, size_t g)
{
	return p->go.groups[g].n;
}

static size_t go_member(const struct process *p, size_t g, size_t j)
{
	return p->go.groups[g].members[j];
}

static int64_t go_id(const struct process *p, size_t m)
{
	return p->go.gs[m].goid;
}

size_t go_baseline_compare(const struct process *p, const struct baseline *b,
			   const uint8_t *gmask, uint8_t *grown, struct growth **out)
{
	struct groups_view gv = { p->go.ngroups, go_sig, go_label, go_group_size, go_member,
				  go_id, p->go.ngs };
	return compare_view(p, &gv, b, gmask, grown, out);
}
