/*
 * count.h - what `inspect count` counts, as plain code the unit tests
 * reach: which threads a filter selects, the breakdowns (a tally of
 * keys), and the comparison of groups with a baseline.
 */
#ifndef INSPECT_COUNT_H
#define INSPECT_COUNT_H

#include <regex.h>

#include "model.h"

/* Keys and how many threads have each, in first-seen order until
 * tally_sort.  { 0 } is an empty tally. */
struct tally {
	char **keys;
	long *n;
	size_t len, nalloc;
};
void tally_add(struct tally *t, const char *key);
/* By count, largest first; ties by key */
void tally_sort(struct tally *t);
void tally_release(struct tally *t);

enum count_by { COUNT_BY_TOTAL, COUNT_BY_KIND, COUNT_BY_NAME, COUNT_BY_GROUP,
		COUNT_BY_FUNCTION, COUNT_BY_STATUS };
extern const char *const count_by_names[];	/* "total", ..., NULL */

struct count_filter {
	const regex_t *re;	/* a frame's function matches any of them */
	size_t nre;
	const char *name_glob;	/* the thread's name matches */
	int kind;		/* its wait kind; -1: any */
};

/* Whether counting needs the threads' stacks (not only /proc) */
int count_needs_stacks(enum count_by by, const struct count_filter *f);

/* mask[i] = 1 for the threads f selects; returns how many */
size_t count_select(const struct process *p, const struct count_filter *f, uint8_t *mask);

/* The breakdown of the selected threads (mask) by `by` into t: by
 * kind in the order of the wait kinds, the others largest first;
 * nothing for COUNT_BY_TOTAL.  Names fold their trailing digits
 * (worker-17 -> worker-*); a function counts once per thread. */
void count_breakdown(const struct process *p, enum count_by by, const uint8_t *mask,
		     struct tally *t);

/* A Go program's goroutines, as Go's runtime.NumGoroutine counts them
 * (not the runtime's own): those f selects (--match: a frame's
 * function) into gmask (one per p->go.gs); how many.  The breakdown by
 * status (Go's words), group ("chan receive@main.f") or function. */
size_t count_goroutines(const struct process *p, const struct count_filter *f, uint8_t *gmask);
void count_goroutine_breakdown(const struct process *p, enum count_by by, const uint8_t *gmask,
			       struct tally *t);

/* "mutex@cache_evict": a group's wait kind and its most telling
 * function, as count --by group and top name a group */
void group_label(const struct process *p, const struct group *g, char *buf, size_t size);

/* A group's signature, as --baseline matches groups: "kind|f1|f2|...",
 * one entry per row of its stack (inlined rows too), the function or
 * nothing.  signature_start and signature_frame make one piece by piece
 * (from a baseline file); group_signature from a live group. */
void signature_start(struct sb *sb, const char *kind_key);
void signature_frame(struct sb *sb, const char *function);
char *group_signature(const struct process *p, const struct group *g);

/* An earlier report's groups: of threads (ids: TIDs), or of a Go
 * program's goroutines (ids: goroutine IDs) */
struct baseline_group {
	char *signature;
	long count;
	int64_t *ids;
	size_t nids;
};
struct baseline {
	struct baseline_group *v;
	size_t n, nalloc;
};
void baseline_release(struct baseline *b);

/* A group with more selected threads now than the baseline had */
struct growth {
	char label[256];	/* group_label */
	long then, now;
};

/* Compare the selected threads' groups with the baseline: the groups
 * that grew, in the order of p->groups, into *out (free it); their new
 * threads (not among the baseline's TIDs) get grown[i] = 1.  Returns
 * the count of groups that grew. */
size_t baseline_compare(const struct process *p, const struct baseline *b,
			const uint8_t *mask, uint8_t *grown, struct growth **out);

/* The same for a Go program's goroutine groups: a group's signature is
 * "status|f1|f2|...", one entry per row of its stack, as the JSON's
 * goroutine_groups has them; gmask and grown are per p->go.gs */
char *go_group_signature(const struct process *p, const struct go_group *g);
size_t go_baseline_compare(const struct process *p, const struct baseline *b,
			   const uint8_t *gmask, uint8_t *grown, struct growth **out);

#endif
