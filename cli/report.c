/*
 * report.c - see report.h.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "report.h"
#include "../attach/modfile.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void report_opts_init(struct report_opts *o)
{
	const char *hold;
	memset(o, 0, sizeof(*o));
	o->po.want_sched = 1;
	o->po.want_fds = 1;
	o->po.want_futex = 1;
	o->co.timeout_ms = 250;
	o->co.max_stack = 512 * 1024;
	/* the tests hold the threads a while to send them signals then */
	if ((hold = getenv("INSPECT_TEST_HOLD_MS")))
		o->co.test_hold_ms = atoi(hold);
	o->max_depth = 256;
	o->stacks = 1;
}

static int exit_status_of(enum attach_err e)
{
	switch (e) {
	case ATTACH_OK: return EXIT_OK;
	case ATTACH_ENOPROC: return EXIT_NOPROC;
	case ATTACH_EPERM: return EXIT_PERM;
	case ATTACH_EUNSUPPORTED: return EXIT_UNSUPPORTED;
	case ATTACH_ETRACED: case ATTACH_ESTOP: return EXIT_NOSTACKS;
	default: return EXIT_INTERNAL;
	}
}

void report_print_stats(const struct process *p)
{
	fprintf(stderr, "inspect: stats: threads %zu, captured %d, groups %zu, "
		"distinct pcs %zu, scan rounds %d, signal stops %d, "
		"released in batches %d (%d batches)\n",
		p->nthreads, p->captured, p->ngroups, p->nsyms, p->scan_rounds,
		p->signal_stops, p->paced, p->batches);
	if (p->facts_bulk)
		fprintf(stderr, "inspect: stats: threads' facts from the kernel's task iterator "
			"(BPF), and the registers of %d held threads\n", p->regs_bulk);
	else
		fprintf(stderr, "inspect: stats: threads' facts from their /proc files\n");
	if (p->read_asleep && p->asleep_tries > 1)
		fprintf(stderr, "inspect: stats: %d threads read asleep, not stopped, in %d "
			"attempts (%d that ran meanwhile stopped instead)\n", p->read_asleep,
			p->asleep_tries, p->asleep_ran);
	else if (p->read_asleep)
		fprintf(stderr, "inspect: stats: %d threads read asleep, not stopped\n",
			p->read_asleep);
	else if (p->asleep_ran > 0)
		fprintf(stderr, "inspect: stats: %d of the threads read asleep ran before the "
			"check: every thread stopped instead\n", p->asleep_ran);
	else if (p->asleep_ran < 0)
		fprintf(stderr, "inspect: stats: the registers read asleep were not those a stop "
			"gave: every thread stopped instead\n");
	fprintf(stderr, "inspect: stats: proc %.2f ms, capture %.2f ms (held %.3f ms), "
		"unwind %.2f ms, symbolize %.2f ms, render %.2f ms\n",
		p->t_proc / 1e6, p->t_capture / 1e6, p->stopped_ns / 1e6,
		p->t_unwind / 1e6, p->t_symbolize / 1e6, p->t_render / 1e6);
	fprintf(stderr, "inspect: stats: held: stopping %.2f ms, copying %.2f ms, "
		"releasing %.2f ms\n", p->t_stop / 1e6, p->t_copy / 1e6, p->t_release / 1e6);
	fprintf(stderr, "inspect: stats: threads' stacks %zu KiB copied, %d ended at the "
		"first frame, %d copied whole after the check\n", p->stack_bytes / 1024,
		p->stacks_trimmed, p->stacks_untrimmed);
	if (p->go.ngs || p->go.nread)
		fprintf(stderr, "inspect: stats: goroutines %zu read, stacks %zu KiB copied, "
			"%zu not read (past the room or budget), %zu moved while copied\n",
			p->go.nread, p->go.stack_bytes / 1024, p->go.not_read, p->go.moved);
}

/* Every thread asked for (--tid) is one of the process's. */
static enum attach_err check_tids(const struct process *p, const pid_t *tids, size_t ntids,
				  struct sb *err)
{
	size_t i;
	for (i = 0; i < ntids; i++)
		if (!process_thread(p, tids[i])) {
			sb_addf(err, "thread %d is not a thread of process %d", (int)tids[i],
				(int)p->pid);
			return ATTACH_ENOPROC;
		}
	return ATTACH_OK;
}

/* A Go program's tables (symbolize/goruntime.c), read from its
 * executable before the capture: where its goroutines are */
static void open_go_tables(int pfd, struct process *p)
{
	struct modfiles mf;
	struct target_files files;
	modfiles_init(&mf, p->mm_dirfd > 0 ? p->mm_dirfd : pfd, MODFILE_MAX_SIZE);
	files = modfiles_opener(&mf);
	go_analyse(p, &files);
	modfiles_release(&mf);
}

static void start_over(struct process *p)
{
	proc_blocked_times(p);
	go_tables_close(p);
	process_clear(p);
}

/* /proc facts, capture, unwind.  A target that calls exec (or unmaps a
 * library) under us is taken once more from the start; the second time
 * its frames are marked as possibly wrong. */
static enum attach_err snapshot(int pfd, struct process *p, const struct proc_opts *po,
				const struct capture_opts *co, const pid_t *tids, size_t ntids,
				size_t max_depth, struct sb *err)
{
	enum attach_err rc;
	size_t i;
	int attempt;
	pid_t pid = p->pid;
	for (attempt = 0;; attempt++) {
		struct go_frames gof;
		process_init(p, pid);
		sb_release(err);
		if ((rc = proc_read(pfd, p, po, err)) != ATTACH_OK ||
		    (rc = check_tids(p, tids, ntids, err)) != ATTACH_OK)
			return rc;
		if (!ntids)
			open_go_tables(pfd, p);
		rc = capture_process(pfd, p, co, err);
		if (rc == ATTACH_ESTOP && p->exec_seen && attempt == 0 && !capture_pending_signal()) {
			start_over(p);
			continue;	/* it exec'd under us: once more, on the new image */
		}
		if (rc != ATTACH_OK)
			return rc;
		go_decode(p);
		gof = go_frames_of(p);
		unwind_process(p, p->go.tables ? &gof : NULL, max_depth);
		if (proc_maps_unchanged(pfd, p))
			return ATTACH_OK;
		if (attempt == 0 && !capture_pending_signal()) {
			start_over(p);
			continue;
		}
		for (i = 0; i < p->nthreads; i++)
			if (p->threads[i].npcs && !p->threads[i].unwind_stop)
				p->threads[i].unwind_stop = xstrdup(
					"the process replaced its code (exec, dlclose) while it "
					"was unwound; these frames may be wrong");
		return ATTACH_OK;
	}
}

/* The threads could not be stopped: what /proc tells of them (wait
 * labels, wait channels, kernel stacks) is the view. */
static void proc_view_fallback(int pfd, struct process *p, const struct proc_opts *po,
			       const char *why)
{
	size_t i;
	p->no_stacks = xstrdup(why);
	p->read_asleep = 0;
	for (i = 0; i < p->nthreads; i++) {
		memset(&p->threads[i].cap, 0, sizeof(p->threads[i].cap));
		proc_read_fallback(pfd, &p->threads[i], po->want_kstack);
	}
	p->captured = 0;
}

#define RUNNING_ROUNDS 3

/* The threads that run the running goroutines of p, held for their
 * registers and stacks (they run Go code, in no system call that a stop
 * could interrupt); their capture in q[0..RUNNING_ROUNDS), which the
 * caller clears.  Go preempts a busy goroutine every 10 ms: one its
 * thread was not running by the time the thread was held is parked, and
 * read again from its g; or running again, and its thread held again. */
static void capture_running(int pfd, struct process *p, const struct report_opts *o,
			    struct process *q)
{
	size_t i, j, round;
	for (round = 0; round < RUNNING_ROUNDS; round++) {
		struct proc_opts po = o->po;
		struct capture_opts co = o->co;
		struct sb err = { 0 };
		pid_t tids[64];
		size_t n = 0;
		process_init(&q[round], p->pid);
		for (i = 0; i < p->go.ngs && n < 64; i++) {
			const struct goroutine *g = &p->go.gs[i];
			int dup = 0;
			if (g->status != GO_RUNNING || !g->tid || g->stack)
				continue;
			for (j = 0; j < n; j++)
				dup |= tids[j] == g->tid;
			if (!dup)
				tids[n++] = g->tid;
		}
		if (!n)
			continue;
		po.only_tids = tids;
		po.n_only_tids = n;
		po.threads_only = 0;
		po.want_sched = 0;
		po.syscall_from_regs = 1;
		co.no_rescan = 1;
		if (proc_read(pfd, &q[round], &po, &err) == ATTACH_OK &&
		    capture_process(pfd, &q[round], &co, &err) == ATTACH_OK)
			go_adopt_threads(p, &q[round]);
		sb_release(&err);
		for (i = 0; i < p->go.ngs; i++) {
			struct goroutine *g = &p->go.gs[i];
			if (g->status == GO_RUNNING && g->tid && !g->stack)
				go_reread(p, g, o->co.max_stack);
		}
	}
}

/* A Go program's goroutines read while it runs, no thread stopped: each
 * g, and its stack when asked, is kept only if it reads the same after
 * (attach/gocapture.c); for a running goroutine's stack its thread is
 * held, and only it */
static void go_without_stop(int pfd, struct process *p, const struct report_opts *o)
{
	struct go_frames gof;
	if (proc_read_maps(p) < 0)
		return;
	open_go_tables(pfd, p);
	if (!p->go.is_go || (o->go_total && go_read_total(p) == 0))
		return;
	go_capture_prepare(p, o->go_stacks, 0);
	go_capture(p, o->go_stacks ? o->co.max_stack : 0, 1);
	go_decode(p);
	gof = go_frames_of(p);
	if (o->go_stacks && p->go.tables) {
		struct process q[RUNNING_ROUNDS];
		size_t i;
		capture_running(pfd, p, o, q);
		go_unwind(p, &gof, o->max_depth);
		go_forget_copies(p);
		for (i = 0; i < RUNNING_ROUNDS; i++)
			process_clear(&q[i]);
	}
}

/* The stages after the capture: group, symbolize, classify. */
static void analyse(int pfd, struct process *p, const struct report_opts *o)
{
	group_threads(p, o->by_thread);
	if (o->stacks || p->go.ngs) {
		struct modfiles mf;
		struct target_files files;
		modfiles_init(&mf, p->mm_dirfd > 0 ? p->mm_dirfd : pfd, MODFILE_MAX_SIZE);
		files = modfiles_opener(&mf);
		symbolize_process(p, &files, &o->so);
		modfiles_release(&mf);
	}
	go_tables_close(p);
	go_classify(p);
	if (!o->go_ungrouped)
		go_group(p, o->go_system);
	classify_threads(p);
	classify_groups(p);
}

int report_take(pid_t pid, const struct report_opts *o, const pid_t *tids, size_t ntids,
		struct process *p, int *pfdp)
{
	struct proc_opts po = o->po;
	struct capture_opts co = o->co;
	struct sb err = { 0 };
	enum attach_err rc;
	int status, pfd, sig;
	long n;

	if ((status = cli_check_proc()) != 0)
		return status;
	if (pid == getpid()) {
		error("inspect cannot inspect itself");
		return EXIT_UNSUPPORTED;
	}
	po.only_tids = tids;
	po.n_only_tids = ntids;
	po.syscall_from_regs = o->stacks;
	co.no_rescan = ntids > 0;
	capture_install_signal_handlers();
	pfd = proc_open(pid, &err, &rc);
	if (pfd < 0) {
		error("%s", sb_str(&err));
		sb_release(&err);
		return exit_status_of(rc);
	}
	p->pid = pid;
	/* the heap this run will need, faulted in at once: per thread, its
	 * facts, stack copy bookkeeping, frames (measured at 10,000 threads
	 * of the benchmark's pool: 11.3-12.2 MiB at the end of `stack`).  No
	 * more: where a virtual machine's host took back the memory freed
	 * before, each MiB faulted in costs 1.4-2 ms */
	n = o->po.threads_only ? 0 : proc_count_threads(pfd);
	if (n > 0)
		heap_prefault((2u << 20) + (size_t)(n < 20000 ? n : 20000) * 1024);
	if (o->stacks) {
		rc = snapshot(pfd, p, &po, &co, tids, ntids, o->max_depth, &err);
	} else {
		process_init(p, pid);
		rc = proc_read(pfd, p, &po, &err);
		if (rc == ATTACH_OK)
			rc = check_tids(p, tids, ntids, &err);
		if (rc == ATTACH_OK && o->go_nostop)
			go_without_stop(pfd, p, o);
	}
	proc_blocked_times(p);
	/* nothing is held any more: a signal from now on ends us at once */
	capture_restore_signal_handlers();
	if ((sig = capture_pending_signal())) {
		error("released every thread of process %d; stopping on %s",
		      (int)pid, strsignal(sig));
		status = EXIT_SIGNAL + sig;
		goto fail;
	}
	status = exit_status_of(rc);
	if (rc != ATTACH_OK) {
		error("%s", sb_str(&err));
		if (status != EXIT_NOSTACKS || !p->nthreads)
			goto fail;
		proc_view_fallback(pfd, p, &po, sb_str(&err));
	}
	if (po.syscall_from_regs)
		proc_read_waits(pfd, p, &po);
	analyse(pfd, p, o);
	sb_release(&err);
	*pfdp = pfd;
	return status;
fail:
	go_tables_close(p);
	process_clear(p);
	close(pfd);
	sb_release(&err);
	return status;
}

int report_status(const struct process *p, int status)
{
	size_t i;
	if (status != EXIT_OK)
		return status;
	for (i = 0; i < p->nthreads; i++)
		if (p->threads[i].state != 'Z' &&
		    (p->threads[i].no_stack || p->threads[i].unwind_stop || !p->threads[i].cap.ok))
			return EXIT_PARTIAL;
	return status;
}
