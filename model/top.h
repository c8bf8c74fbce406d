/*
 * top.h - the state behind `inspect top`: what changes from one refresh
 * to the next (CPU time per thread, how long each has not moved, the
 * thread count over time) and the rows the view shows.
 *
 * Plain code: no terminal, no /proc.  cli/top.c feeds it snapshots
 * (a /proc-only one every refresh, one with stacks now and then);
 * ui/ lays the rows out.
 */
#ifndef INSPECT_TOP_H
#define INSPECT_TOP_H

#include "model.h"

#define TOP_HISTORY 60

struct top_thread {
	pid_t tid;
	uint64_t ticks;		/* utime + stime at the last refresh */
	double cpu_pct;		/* over the last interval */
	long syscall_nr;	/* the tuple that says "has not moved" */
	uint64_t arg0, pc;
	char state;
	uint64_t still_since_ms;	/* when the tuple last changed */
	char frame[128];	/* most telling frame of the last stack sample */
	enum wait_kind stack_kind;	/* its wait, told apart by frames */
	int has_stack_kind;
	int seen;		/* present in the current refresh */
};

enum top_sort { TOP_SORT_COUNT, TOP_SORT_CPU, TOP_SORT_BLOCKED, TOP_SORT_NAME, TOP_SORT__N };

struct top_row {
	char key[192];		/* kind + frame; the row's identity */
	enum wait_kind kind;
	char detail[96];	/* shared detail, "" when they differ */
	char frame[128];
	size_t count;
	double cpu_pct;
	int64_t blocked_min_ms, blocked_max_ms;	/* -1: running or unknown */
	char names[128];
	pid_t tids[8];		/* the first TIDs */
	size_t ntids;
	char state;		/* thread mode */
	int go;			/* a row of goroutines (top_go_rows) */
	long change;		/* goroutines: the count less the first seen */
	int64_t goid;		/* goroutines: the first of the group */
	int deadlock;		/* one of its threads is in a deadlock (the last
				   stack sample's, the thread still since) */
};

/* A goroutine group's count when top first saw it */
struct top_first {
	char key[192];
	long count;
};

struct top_state {
	struct top_thread *th;
	size_t nth, cap;
	uint64_t last_ms;	/* time of the last refresh */
	double proc_cpu_pct;
	int64_t uptime_ms;	/* of the process, at the last refresh */
	size_t count_hist[TOP_HISTORY];
	size_t nhist;
	struct process cur;	/* the last /proc snapshot (owned) */
	struct process stacks;	/* the last stack sample (owned) */
	int have_stacks;
	uint64_t stacks_ms;	/* when it was taken */
	int exited;		/* the process is gone */
	/* a Go program: its goroutine total at each refresh, and each
	 * goroutine group's count when first seen */
	size_t go_hist[TOP_HISTORY];
	size_t ngo_hist;
	struct top_first *first;
	size_t nfirst, first_cap;
};

void top_init(struct top_state *s);
void top_release(struct top_state *s);

/* A /proc-only snapshot taken at now_ms (monotonic); s takes p over. */
void top_refresh(struct top_state *s, struct process *p, uint64_t now_ms, long hz);

/* A snapshot with stacks (grouped, symbolized, classified); s takes it. */
void top_take_stacks(struct top_state *s, struct process *p, uint64_t now_ms);

/* The rows: grouped (kind + most telling frame) or one per thread,
 * filtered by a substring of kind, label, frame or name ("" = all),
 * sorted.  Returns the count; *rows is malloc'd. */
size_t top_rows(const struct top_state *s, int per_thread, enum top_sort sort,
		const char *filter, struct top_row **rows);

const char *top_sort_name(enum top_sort s);

/* A Go program's goroutine groups of the last stack sample, as rows:
 * key "status@function" (the most telling frame), count, the change
 * since top first saw the group, filtered by a substring of the status,
 * the frame or the key; largest first.  Returns the count; *rows is
 * malloc'd. */
size_t top_go_rows(const struct top_state *s, const char *filter, struct top_row **rows);

#endif
