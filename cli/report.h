/*
 * report.h - the pipeline every command that needs stacks shares:
 * PID -> /proc facts -> stop, copy, release -> unwind -> group ->
 * symbolize distinct PCs -> classify.  Also the /proc-only variant that
 * stops nothing.
 */
#ifndef INSPECT_REPORT_H
#define INSPECT_REPORT_H

#include "../attach/attach.h"
#include "../symbolize/symbolize.h"

struct report_opts {
	struct proc_opts po;
	struct capture_opts co;
	struct symbolize_opts so;
	size_t max_depth;
	int by_thread;		/* one group per thread */
	int stacks;		/* 0: /proc only, nothing is stopped */
	int go_system;		/* group a Go program's system goroutines too */
	/* with stacks = 0, for a Go program: read its goroutines anyway,
	 * from its memory alone, stopping nothing (go_stacks: their parked
	 * stacks too, each kept only if it did not move meanwhile) */
	int go_nostop, go_stacks;
	/* the goroutines are not grouped (a count that needs no groups;
	 * go_group makes them when it turns out to) */
	int go_ungrouped;
	/* only NumGoroutine is wanted: from the runtime's counters when they
	 * check out (p->go.total_read), else from the g's read one by one */
	int go_total;
};

void report_opts_init(struct report_opts *o);

/* Open /proc/PID and fill p, per o.  On success returns EXIT_OK with
 * *pfd open (the caller closes it and frees p).  When the threads could
 * not be stopped but /proc could be read, returns EXIT_NOSTACKS with the
 * /proc view in p (p->no_stacks says why) and the message printed.
 * Other failures print the message, leave nothing to free, and return
 * the exit status; so does a SIGINT/SIGTERM/SIGHUP taken during the
 * capture (after every thread was released). */
int report_take(pid_t pid, const struct report_opts *o, const pid_t *tids, size_t ntids,
		struct process *p, int *pfd);

/* EXIT_PARTIAL when a live thread lacks a full stack, else status. */
int report_status(const struct process *p, int status);

/* --stats on stderr */
void report_print_stats(const struct process *p);

#endif
