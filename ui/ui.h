/*
 * ui.h - renderers.  Each receives a finished, read-only report and
 * writes it to a stream; none reads /proc or the target.
 */
#ifndef INSPECT_UI_H
#define INSPECT_UI_H

#include <stdio.h>
#include "../model/model.h"
#include "../model/count.h"

struct render_opts {
	int color;		/* ANSI colours */
	int addresses;		/* PC and module offset on every frame */
	int kernel;		/* kernel stacks where read */
	int threads;		/* one block per thread (no grouping) */
	const uint8_t *mask;	/* when set, only threads i with mask[i] */
	int go_system;		/* a Go program's system goroutines are grouped too */
	const uint8_t *go_mask;	/* when set, only goroutines i with go_mask[i] */
	int go_only;		/* the goroutines alone, not the threads */
};

void render_text(FILE *out, const struct process *p, const struct render_opts *o);
/* The deadlocks, each its threads and the lock each waits for (the
 * dump prints them first; count --deadlocks on stderr) */
void render_deadlocks(FILE *out, const struct process *p, const struct render_opts *o);
void render_json(FILE *out, const struct process *p, const struct render_opts *o);
/* A gzipped pprof profile (stack --pprof, pprof.c); -1 when it could
 * not be written */
int render_pprof(FILE *out, const struct process *p, const struct render_opts *o);
/* Collapsed stacks for flame graphs (stack --folded, folded.c) */
void render_folded(FILE *out, const struct process *p, const struct render_opts *o);
/* A Go program's goroutines in Go's own dump format (stack --goroutines) */
void render_go_dump(FILE *out, const struct process *p, const struct render_opts *o);

/* One sample of `inspect count` (countout.c) */
struct count_sample {
	size_t counted;		/* threads (goroutines, for go) the filters selected */
	int go;			/* a Go program's goroutines were counted */
	size_t goroutines;	/* as runtime.NumGoroutine counts them */
	int filtered;		/* a filter was given: say `counted` */
	enum count_by by;
	const struct tally *tally;	/* the breakdown */
	int json;
	int line_mode;		/* --samples: one line (or one JSON object) each */
	int deadlocks;		/* --deadlocks: say p->ndeadlocks */
};
void render_count_sample(FILE *out, const struct process *p, const struct count_sample *c);
/* "grown mutex@f 2 -> 5 (+3)" for each */
void render_growth(FILE *out, const struct growth *v, size_t n);

/* "worker-1, worker-2 (+3 more)": the distinct thread names of a group. */
char *group_names(const struct process *p, const struct group *g, size_t max,
		  const uint8_t *mask);

#endif
