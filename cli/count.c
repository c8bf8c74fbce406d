/*
 * count.c - `inspect count PID`: numbers for scripts and CI, and the
 * thread-leak checks built on them.
 *
 * Without options it reads /proc only and stops nothing.  Stacks are
 * taken only when an option needs them (--by group|function, --match,
 * --baseline, --kind of a futex sub-kind), with the same snapshot as
 * `inspect stack`.  What is counted is model/count.c's; how it is
 * printed, ui/countout.c's.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "options.h"
#include "report.h"
#include "../ui/ui.h"

#include <json.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* --match, repeatable */
struct patterns {
	regex_t *re;
	const char **src;
	size_t n, nalloc;
};

static int add_pattern(const char *arg, void *value, struct sb *err)
{
	struct patterns *m = value;
	size_t nalloc = m->nalloc;
	char msg[256];
	int rc;
	grow((void **)&m->re, &m->nalloc, m->n, sizeof(*m->re));
	grow((void **)&m->src, &nalloc, m->n, sizeof(*m->src));
	rc = regcomp(&m->re[m->n], arg, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, &m->re[m->n], msg, sizeof(msg));
		regfree(&m->re[m->n]);
		sb_addf(err, "'%s' is not a valid regular expression: %s", arg, msg);
		return -1;
	}
	m->src[m->n++] = arg;
	return 0;
}

static void patterns_release(struct patterns *m)
{
	size_t i;
	for (i = 0; i < m->n; i++)
		regfree(&m->re[i]);
	free(m->re);
	free(m->src);
}

static int take_kind(const char *arg, void *value, struct sb *err)
{
	int k;
	if ((*(int *)value = wait_kind_from_key(arg)) >= 0)
		return 0;
	sb_addf(err, "'%s' is not a wait kind; the kinds are ", arg);
	for (k = 0; k < WAIT__COUNT; k++)
		sb_addf(err, "%s%s", k ? ", " : "", wait_kind_key(k));
	return -1;
}

struct count_args {
	int by;			/* enum count_by */
	struct patterns match;
	struct count_filter f;
	long max, expect, max_growth, samples;	/* -1: unset */
	double interval;
	const char *baseline_path;
	struct baseline baseline;	/* its thread groups */
	struct baseline go_baseline;	/* its goroutine groups */
	int json;
	int deadlocks;		/* --deadlocks: count the cycles, fail on one */
};

/* The groups of `array` ("groups", "goroutine_groups") of an earlier
 * report into b, by the signature model/count.c matches them with: the
 * wait kind (`kind_at`: "wait"."kind") or the status ("status"), then each
 * frame's function; their TIDs or goroutine IDs (`ids`).  0, or -1 with
 * the group that lacks a field in *bad. */
static int read_groups(json_object *gs, const char *ids, int by_status, struct baseline *b,
		       size_t *bad)
{
	size_t i, n = json_object_array_length(gs);
	b->v = xcalloc(n, sizeof(*b->v));
	for (i = 0; i < n; i++) {
		json_object *g = json_object_array_get_idx(gs, i), *w, *k = NULL, *fr, *c, *idv;
		struct baseline_group *bg = &b->v[b->n];
		struct sb sig = { 0 };
		size_t f, nf;
		if (by_status ? !json_object_object_get_ex(g, "status", &k)
			      : !json_object_object_get_ex(g, "wait", &w) ||
				!json_object_object_get_ex(w, "kind", &k)) {
			*bad = i;
			return -1;
		}
		if (!json_object_object_get_ex(g, "frames", &fr) ||
		    !json_object_is_type(fr, json_type_array)) {
			*bad = i;
			return -1;
		}
		signature_start(&sig, json_object_get_string(k));
		nf = json_object_array_length(fr);
		for (f = 0; f < nf; f++) {
			json_object *fn = NULL;
			json_object_object_get_ex(json_object_array_get_idx(fr, f), "function", &fn);
			signature_frame(&sig, fn ? json_object_get_string(fn) : NULL);
		}
		bg->signature = sb_detach(&sig);
		bg->count = json_object_object_get_ex(g, "count", &c) ? json_object_get_int(c) : 0;
		if (json_object_object_get_ex(g, ids, &idv) && json_object_is_type(idv, json_type_array)) {
			bg->nids = json_object_array_length(idv);
			bg->ids = xmalloc_array(bg->nids, sizeof(*bg->ids));
			for (f = 0; f < bg->nids; f++)
				bg->ids[f] = json_object_get_int64(json_object_array_get_idx(idv, f));
		}
		b->n++;
	}
	return 0;
}

/* An earlier `inspect stack --json` or `inspect count --json --by group`:
 * its thread groups into b, and, of a Go program, its goroutine groups
 * into gb.  0, or the usage error's status. */
static int load_baseline(const char *path, struct baseline *b, struct baseline *gb)
{
	json_object *j = json_object_from_file(path), *gs;
	size_t bad = 0;
	if (!j)
		return usage_error("count", "--baseline: cannot read '%s' as JSON: %s", path,
				   json_util_get_last_err() ? json_util_get_last_err()
							    : "unknown error");
	if (!json_object_object_get_ex(j, "groups", &gs) || !json_object_is_type(gs, json_type_array)) {
		json_object_put(j);
		return usage_error("count", "--baseline: '%s' has no \"groups\" array; make it "
				   "with inspect stack --json or inspect count --json --by group",
				   path);
	}
	if (read_groups(gs, "tids", 0, b, &bad) < 0) {
		json_object_put(j);
		return usage_error("count", "--baseline: group %zu of '%s' lacks wait.kind "
				   "or frames", bad, path);
	}
	if (json_object_object_get_ex(j, "goroutine_groups", &gs) &&
	    json_object_is_type(gs, json_type_array) && read_groups(gs, "goids", 1, gb, &bad) < 0) {
		json_object_put(j);
		return usage_error("count", "--baseline: goroutine group %zu of '%s' lacks status "
				   "or frames", bad, path);
	}
	json_object_put(j);
	return 0;
}

/* "threads matching 'x' named 'y' in mutex" (what: "threads",
 * "goroutines"): what was counted */
static void describe(const struct count_args *a, const char *what, struct sb *sb)
{
	size_t i;
	sb_adds(sb, what);
	for (i = 0; i < a->match.n; i++)
		sb_addf(sb, "%s'%s'", i ? " or " : " matching ", a->match.src[i]);
	if (a->f.name_glob)
		sb_addf(sb, " named '%s'", a->f.name_glob);
	if (a->f.kind >= 0)
		sb_addf(sb, " in %s", wait_kind_key(a->f.kind));
}

/* Print the grouped stacks of the threads in mask on stderr; take a
 * snapshot of just them when this sample had no stacks. */
static void print_offenders(pid_t pid, struct process *p, const uint8_t *mask)
{
	struct render_opts ro = { 0 };
	struct report_opts ropts;
	struct process q;
	pid_t *tids;
	size_t i, n = 0;
	int pfd, st;
	if (p->captured || p->no_stacks) {
		ro.mask = mask;
		fputs("\n", stderr);
		render_text(stderr, p, &ro);
		return;
	}
	tids = xmalloc_array(p->nthreads, sizeof(*tids));
	for (i = 0; i < p->nthreads; i++)
		if (mask[i])
			tids[n++] = p->threads[i].tid;
	report_opts_init(&ropts);
	memset(&q, 0, sizeof(q));
	/* the total alone was read: every thread */
	st = n ? report_take(pid, &ropts, tids, n, &q, &pfd)
	       : !p->threads ? report_take(pid, &ropts, NULL, 0, &q, &pfd) : EXIT_INTERNAL;
	free(tids);
	if (st == EXIT_OK || st == EXIT_NOSTACKS) {
		fputs("\n", stderr);
		render_text(stderr, &q, &ro);
		process_clear(&q);
		close(pfd);
	}
}

/* The goroutines of the Go program p, in Go's grouped form, those in
 * gmask alone, on stderr */
static void print_go_offenders(struct process *p, const uint8_t *gmask)
{
	struct render_opts ro = { 0 };
	go_group(p, 0);
	ro.go_mask = gmask;
	ro.go_only = 1;
	fputs("\n", stderr);
	render_text(stderr, p, &ro);
}

/* --max and --expect on the threads (or, go, the goroutines) in mask;
 * 1 when the check failed, their stacks then on stderr */
static int check_count(pid_t pid, struct process *p, const struct count_args *a,
		       size_t counted, const uint8_t *mask, const char *what, int go)
{
	if (a->max >= 0 && (long)counted > a->max)
		error("count: %zu %s in process %d (%s), more than --max %ld", counted, what,
		      (int)pid, p->comm, a->max);
	else if (a->expect >= 0 && (long)counted != a->expect)
		error("count: %zu %s in process %d (%s), not --expect %ld", counted, what,
		      (int)pid, p->comm, a->expect);
	else
		return 0;
	if (go)
		print_go_offenders(p, mask);
	else
		print_offenders(pid, p, mask);
	return 1;
}

/* A sample's output fields from the options */
static void sample_init(struct count_sample *cs, const struct count_args *a, int line_mode,
			const struct tally *t)
{
	memset(cs, 0, sizeof(*cs));
	cs->by = (enum count_by)a->by;
	cs->tally = t;
	cs->json = a->json;
	cs->line_mode = line_mode;
}

/* --baseline: the groups (of threads, or of a Go program's goroutines:
 * go) that grew, on stdout; 1 when one grew past --max-growth, and then
 * its new threads' or goroutines' stacks on stderr */
static int check_growth(pid_t pid, struct process *p, const struct count_args *a,
			const uint8_t *mask, const char *what, int go)
{
	struct growth *v;
	uint8_t *grown = xcalloc(go ? p->go.ngs : p->nthreads, 1);
	size_t n = go ? go_baseline_compare(p, &a->go_baseline, mask, grown, &v)
		      : baseline_compare(p, &a->baseline, mask, grown, &v), i;
	long worst = 0;
	int failed = 0;
	render_growth(stdout, v, n);
	for (i = 0; i < n; i++)
		if (v[i].now - v[i].then > worst)
			worst = v[i].now - v[i].then;
	if (worst > a->max_growth) {
		error("count: a group of %s in process %d (%s) grew by %ld since %s, more than "
		      "--max-growth %ld; its new %s:", what, (int)pid, p->comm, worst,
		      a->baseline_path, a->max_growth, go ? "goroutines" : "threads");
		if (go)
			print_go_offenders(p, grown);
		else
			print_offenders(pid, p, grown);
		failed = 1;
	}
	free(v);
	free(grown);
	return failed;
}

/* A Go program, its goroutines read without stopping any thread: 1 when
 * p is one (the sample is taken and printed), 0 when it is not (*status
 * EXIT_OK) or on an error (*status).  The total alone comes from the
 * runtime's counters when it can; a check that fails on it is made
 * again on the goroutines read one by one, with their stacks, which it
 * then shows. */
static int go_sample(pid_t pid, const struct count_args *a, int line_mode, int *failed,
		     int *status)
{
	static const struct count_filter every = { NULL, 0, NULL, -1 };
	struct report_opts ro;
	struct count_sample cs;
	struct tally t = { 0 };
	struct sb what = { 0 };
	struct process p;
	uint8_t *gmask;
	int pfd;
	report_opts_init(&ro);
	ro.stacks = 0;
	ro.po.threads_only = 1;
	ro.go_nostop = 1;
	ro.go_stacks = a->f.nre || a->by == COUNT_BY_GROUP || a->by == COUNT_BY_FUNCTION ||
		       a->baseline_path;
	ro.go_ungrouped = !ro.go_stacks;
	ro.go_total = !ro.go_stacks && a->by == COUNT_BY_TOTAL;
again:
	memset(&p, 0, sizeof(p));
	*status = report_take(pid, &ro, NULL, 0, &p, &pfd);
	if (*status != EXIT_OK && *status != EXIT_PARTIAL && *status != EXIT_NOSTACKS)
		return 0;
	*status = EXIT_OK;
	if (!p.go.is_go) {
		process_clear(&p);
		close(pfd);
		return 0;
	}
	if (p.go.not_shown) {
		error("%s", p.go.not_shown);
		process_clear(&p);
		close(pfd);
		*status = EXIT_NOSTACKS;
		return 1;
	}
	sample_init(&cs, a, line_mode, &t);
	cs.go = 1;
	if (p.go.total_read) {
		cs.goroutines = cs.counted = p.go.total;
		if ((a->max >= 0 && (long)cs.counted > a->max) ||
		    (a->expect >= 0 && (long)cs.counted != a->expect)) {
			process_clear(&p);
			close(pfd);
			/* the offenders are shown with their stacks */
			ro.go_total = 0;
			ro.go_stacks = 1;
			ro.go_ungrouped = 0;
			goto again;
		}
		render_count_sample(stdout, &p, &cs);
		fflush(stdout);
		process_clear(&p);
		close(pfd);
		return 1;
	}
	gmask = xcalloc(p.go.ngs, 1);
	cs.goroutines = count_goroutines(&p, &every, gmask);
	cs.counted = count_goroutines(&p, &a->f, gmask);
	cs.filtered = a->f.nre > 0;
	count_goroutine_breakdown(&p, cs.by, gmask, &t);
	render_count_sample(stdout, &p, &cs);
	describe(a, "goroutines", &what);
	*failed |= check_count(pid, &p, a, cs.counted, gmask, sb_str(&what), 1);
	if (a->baseline_path)
		*failed |= check_growth(pid, &p, a, gmask, sb_str(&what), 1);
	fflush(stdout);
	sb_release(&what);
	tally_release(&t);
	free(gmask);
	process_clear(&p);
	close(pfd);
	return 1;
}

static int one_sample(pid_t pid, const struct count_args *a, int line_mode, int *failed)
{
	struct report_opts ro;
	struct count_sample cs;
	struct tally t = { 0 };
	struct sb what = { 0 };
	struct process p;
	uint8_t *mask;
	int pfd, status = EXIT_OK;

	/* a Go program: its goroutines are counted, stopping nothing */
	if (!a->f.name_glob && a->f.kind < 0 && !a->deadlocks &&
	    go_sample(pid, a, line_mode, failed, &status))
		return status;
	if (status != EXIT_OK)
		return status;
	if (a->by == COUNT_BY_STATUS)
		return usage_error("count", "--by status counts a Go program's goroutines: "
				   "process %d is not one", (int)pid);
	report_opts_init(&ro);
	/* a lock's kind is told by its waiters' frames */
	ro.stacks = count_needs_stacks(a->by, &a->f) || a->baseline_path || a->deadlocks;
	/* the total alone: the count in the main thread's stat, no other
	 * thread's files */
	ro.po.threads_only = a->by == COUNT_BY_TOTAL && !ro.stacks && !a->f.name_glob &&
			     a->f.kind < 0;
	if (!ro.stacks) {
		/* /proc only: the cheapest facts that still tell the wait kind */
		ro.po.want_sched = 0;
		ro.po.want_fds = 0;
		ro.po.want_futex = 0;
	}
	memset(&p, 0, sizeof(p));
	status = report_take(pid, &ro, NULL, 0, &p, &pfd);
	if (status != EXIT_OK && status != EXIT_PARTIAL && status != EXIT_NOSTACKS)
		return status;
	if (status == EXIT_NOSTACKS && ro.stacks) {
		process_clear(&p);
		close(pfd);
		return EXIT_NOSTACKS;
	}
	mask = xcalloc(p.nthreads, 1);
	sample_init(&cs, a, line_mode, &t);
	cs.counted = ro.po.threads_only ? (size_t)p.thread_total : count_select(&p, &a->f, mask);
	cs.filtered = a->f.nre || a->f.name_glob || a->f.kind >= 0;
	count_breakdown(&p, cs.by, mask, &t);
	cs.deadlocks = a->deadlocks;
	render_count_sample(stdout, &p, &cs);
	describe(a, "threads", &what);
	*failed |= check_count(pid, &p, a, cs.counted, mask, sb_str(&what), 0);
	if (a->deadlocks && p.ndeadlocks) {
		struct render_opts rdo = { 0 };
		fflush(stdout);
		fprintf(stderr, "inspect: process %d: %zu deadlock%s\n", (int)pid, p.ndeadlocks,
			p.ndeadlocks == 1 ? "" : "s");
		render_deadlocks(stderr, &p, &rdo);
		*failed = 1;
	}
	if (a->baseline_path)
		*failed |= check_growth(pid, &p, a, mask, sb_str(&what), 0);
	fflush(stdout);
	sb_release(&what);
	tally_release(&t);
	free(mask);
	process_clear(&p);
	close(pfd);
	return EXIT_OK;
}

/* The options that contradict or need each other: 0 or EXIT_USAGE */
static int check_args(struct count_args *a)
{
	if (a->max >= 0 && a->expect >= 0)
		return usage_error("count", "--max and --expect contradict each other: give one");
	if (a->interval > 0 && a->samples < 2)
		return usage_error("count", "--interval needs --samples K (2 or more)");
	if (a->samples > 1 && a->interval <= 0)
		a->interval = 1;
	if (!a->baseline_path && a->max_growth)
		return usage_error("count", "--max-growth goes with --baseline");
	return 0;
}

static int run_count(const struct command *cmd, int argc, char **argv)
{
	struct count_args a;
	int status, failed = 0;
	long k;
	pid_t pid = 0;
	const struct opt opts[] = {
		OPT_CHOICE("by", "WHAT", &a.by, count_by_names,
			   "total (default); kind: the count per wait kind;\n"
			   "name (trailing digits folded: worker-17 ->\n"
			   "worker-*); group (needs stacks: wait kind @ most\n"
			   "telling frame); function (threads whose stack\n"
			   "holds each function).  kind and name read two\n"
			   "/proc files per thread.  status: a Go program's\n"
			   "goroutines by their state (chan receive, ...)"),
		OPT_FN("match", "REGEX", &a.match, add_pattern,
		       "count threads with a frame whose function matches\n"
		       "(POSIX extended regex; repeatable: any of them)"),
		OPT_STRING("name", "GLOB", &a.f.name_glob, "only threads whose name matches"),
		OPT_FN("kind", "KIND", &a.f.kind, take_kind,
		       "only threads waiting this way (see inspect(1))"),
		OPT_NUM("max", "N", &a.max, 0, 100000000, "a whole number",
			"fail (exit 1) when more than N threads are counted"),
		OPT_NUM("expect", "N", &a.expect, 0, 100000000, "a whole number",
			"fail (exit 1) when the count is not N"),
		OPT_STRING("baseline", "FILE", &a.baseline_path,
			   "compare with an earlier `inspect stack --json` or\n"
			   "`inspect count --json --by group`: report the groups\n"
			   "that grew, with their new threads' stacks"),
		OPT_NUM("max-growth", "N", &a.max_growth, 0, 100000000, "a whole number",
			"with --baseline: fail when a group grew by more\n"
			"than N threads (default 0)"),
		OPT_SECONDS("interval", 0, "SECONDS", &a.interval, 0.001, 86400,
			    "with --samples: one line per sample, this far apart"),
		OPT_NUM("samples", "K", &a.samples, 1, 100000000, "a whole number",
			"take K samples (default 1)"),
		OPT_BOOL("deadlocks", &a.deadlocks,
			 "print `deadlocks N`, the cycles of threads each\n"
			 "waiting for a lock the next holds (needs stacks);\n"
			 "fail (exit 1) when N > 0, the cycles on stderr"),
		OPT_BOOL("json", &a.json, "JSON: one object (one per line with --samples)"),
		OPT_END(),
	};

	memset(&a, 0, sizeof(a));
	a.f.kind = -1;
	a.max = a.expect = -1;
	a.samples = 1;
	if ((status = cli_parse(cmd, opts, argc, argv, &pid)) >= 0 ||
	    (status = check_args(&a)) != 0 ||
	    (a.baseline_path && (status = load_baseline(a.baseline_path, &a.baseline,
						   &a.go_baseline)) != 0))
		goto out;
	a.f.re = a.match.re;
	a.f.nre = a.match.n;
	for (k = 0; k < a.samples; k++) {
		if (k) {
			struct timespec ts = { (time_t)a.interval,
					       (long)((a.interval - (time_t)a.interval) * 1e9) };
			while (nanosleep(&ts, &ts) < 0)
				if (capture_pending_signal())
					break;
			if (capture_pending_signal()) {
				status = EXIT_SIGNAL + capture_pending_signal();
				goto out;
			}
		}
		if ((status = one_sample(pid, &a, a.samples > 1, &failed)) != EXIT_OK)
			goto out;
	}
	status = failed ? EXIT_PARTIAL : EXIT_OK;
out:
	patterns_release(&a.match);
	baseline_release(&a.baseline);
	baseline_release(&a.go_baseline);
	return status;
}

const struct command cmd_count = {
	.name = "count",
	.run = run_count,
	.flags = CMD_NEED_PID | CMD_HOLDS,
	.summary = "count threads, by wait kind, name, group or function; leak checks",
	.synopsis = "inspect count [OPTIONS] PID",
	.description = "Count the threads of process PID, one `key value` pair per line.\n"
		"Without options it prints the total alone, from one small /proc file:\n"
		"as cheap at 10,000 threads as at 10.  Nothing is ever stopped unless an\n"
		"option needs stacks.  A Go program's goroutines are counted too, and\n"
		"--match, --by group, function and status count goroutines: read from its\n"
		"memory, stopping no thread but one running a goroutine whose frames\n"
		"are needed.",
	.exits = "Exit status: 0 the checks hold, 1 a check failed (what was counted, the\n"
		"number and the limit on stderr, then the offending stacks; or a\n"
		"deadlock, its cycles on stderr), 2 stacks were needed but could not\n"
		"be taken, 3 no such process, 4 not permitted, 5 unsupported target,\n"
		"64 usage error.",
};
