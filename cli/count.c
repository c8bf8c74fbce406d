/*
 * count.c - `inspect count PID`: numbers for scripts and CI, and the
 * thread-leak checks built on them.
 *
 * Without options it reads /proc only and stops nothing.  Stacks are
 * taken only when an option needs them (--by group|function, --match,
 * --baseline, --kind of a futex sub-kind), with the same snapshot as
 * `inspect stack`.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "report.h"
#include "../ui/ui.h"
#include "../ui/ui_json.h"

#include <fnmatch.h>
#include <getopt.h>
#include <json.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: inspect count [OPTIONS] PID\n"
	"\n"
	"Count the threads of process PID, one `key value` pair per line.\n"
	"Without options it prints the total alone, from one small /proc file:\n"
	"as cheap at 10,000 threads as at 10.  Nothing is ever stopped unless an\n"
	"option needs stacks.\n"
	"\n"
	"  --by WHAT           total (default); kind: the count per wait kind;\n"
	"                      name (trailing digits folded: worker-17 ->\n"
	"                      worker-*); group (needs stacks: wait kind @ most\n"
	"                      telling frame); function (threads whose stack\n"
	"                      holds each function).  kind and name read two\n"
	"                      /proc files per thread.\n"
	"  --match REGEX       count threads with a frame whose function matches\n"
	"                      (POSIX extended regex; repeatable: any of them)\n"
	"  --name GLOB         only threads whose name matches\n"
	"  --kind KIND         only threads waiting this way (see inspect(1))\n"
	"  --max N             fail (exit 1) when more than N threads are counted\n"
	"  --expect N          fail (exit 1) when the count is not N\n"
	"  --baseline FILE     compare with an earlier `inspect stack --json` or\n"
	"                      `inspect count --json --by group`: report the groups\n"
	"                      that grew, with their new threads' stacks\n"
	"  --max-growth N      with --baseline: fail when a group grew by more\n"
	"                      than N threads (default 0)\n"
	"  --interval SECONDS  with --samples: one line per sample, this far apart\n"
	"  --samples K         take K samples (default 1)\n"
	"  --json              JSON: one object (one per line with --samples)\n"
	"  -h, --help          this help\n"
	"\n"
	"Exit status: 0 the checks hold, 1 a check failed (what was counted, the\n"
	"number and the limit on stderr, then the offending stacks), 2 stacks\n"
	"were needed but could not be taken, 3 no such process, 4 not permitted,\n"
	"5 unsupported target, 64 usage error.\n";

enum by { BY_TOTAL, BY_KIND, BY_NAME, BY_GROUP, BY_FUNCTION };

enum { O_BY = 256, O_MATCH, O_NAME, O_KIND, O_MAX, O_EXPECT, O_BASELINE, O_MAXGROWTH,
       O_INTERVAL, O_SAMPLES, O_JSON };

static const struct option longopts[] = {
	{ "by", required_argument, NULL, O_BY },
	{ "match", required_argument, NULL, O_MATCH },
	{ "name", required_argument, NULL, O_NAME },
	{ "kind", required_argument, NULL, O_KIND },
	{ "max", required_argument, NULL, O_MAX },
	{ "expect", required_argument, NULL, O_EXPECT },
	{ "baseline", required_argument, NULL, O_BASELINE },
	{ "max-growth", required_argument, NULL, O_MAXGROWTH },
	{ "interval", required_argument, NULL, O_INTERVAL },
	{ "samples", required_argument, NULL, O_SAMPLES },
	{ "json", no_argument, NULL, O_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct count_opts {
	enum by by;
	regex_t *re;
	char **re_src;
	size_t nre;
	const char *name_glob;
	int kind;		/* -1: any */
	long max, expect, max_growth;	/* -1: unset */
	json_object *baseline;
	const char *baseline_path;
	double interval;
	long samples;
	int json;
};

/* a key and how many threads have it, in first-seen order */
struct tally {
	char **keys;
	long *n;
	size_t len;
};

static void tally_add(struct tally *t, const char *key)
{
	size_t i;
	for (i = 0; i < t->len; i++)
		if (!strcmp(t->keys[i], key)) {
			t->n[i]++;
			return;
		}
	t->keys = xrealloc(t->keys, (t->len + 1) * sizeof(*t->keys));
	t->n = xrealloc(t->n, (t->len + 1) * sizeof(*t->n));
	t->keys[t->len] = xstrdup(key);
	t->n[t->len++] = 1;
}

static void tally_free(struct tally *t)
{
	size_t i;
	for (i = 0; i < t->len; i++)
		free(t->keys[i]);
	free(t->keys);
	free(t->n);
	memset(t, 0, sizeof(*t));
}

/* sort by count, largest first, ties by key */
static void tally_sort(struct tally *t)
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

static int needs_stacks(const struct count_opts *o)
{
	return o->by == BY_GROUP || o->by == BY_FUNCTION || o->nre || o->baseline ||
	       o->kind == WAIT_MUTEX || o->kind == WAIT_RWLOCK || o->kind == WAIT_CONDITION ||
	       o->kind == WAIT_SEMAPHORE || o->kind == WAIT_JOIN;
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

static int thread_matches(const struct process *p, const struct thread *t,
			  const struct count_opts *o)
{
	size_t i, j, k;
	for (i = 0; i < t->npcs; i++) {
		const struct symframe *sf = process_symframe(p, t->pcs[i]);
		for (j = 0; sf && j < sf->nrows; j++)
			for (k = 0; k < o->nre; k++)
				if (sf->rows[j].function &&
				    !regexec(&o->re[k], sf->rows[j].function, 0, NULL, 0))
					return 1;
	}
	return 0;
}

/* Which threads are counted: name and kind filters, then --match. */
static size_t select_threads(const struct process *p, const struct count_opts *o, uint8_t *mask)
{
	size_t i, n = 0;
	for (i = 0; i < p->nthreads; i++) {
		const struct thread *t = &p->threads[i];
		mask[i] = 0;
		if (o->name_glob && fnmatch(o->name_glob, t->name, 0))
			continue;
		if (o->kind >= 0 && (int)t->wait.kind != o->kind)
			continue;
		if (o->nre && !thread_matches(p, t, o))
			continue;
		mask[i] = 1;
		n++;
	}
	return n;
}

static void group_key(const struct process *p, const struct group *g, char *buf, size_t size)
{
	const struct symrow *r = thread_telling_row(p, g->first);
	snprintf(buf, size, "%s@%s", wait_kind_key(g->wait.kind),
		 r && r->function ? r->function : "?");
}

static void breakdown(const struct process *p, const struct count_opts *o,
		      const uint8_t *mask, struct tally *t)
{
	size_t i, j, k;
	char buf[512];
	if (o->by == BY_TOTAL)
		return;		/* no breakdown */
	if (o->by == BY_GROUP) {
		for (i = 0; i < p->ngroups; i++) {
			const struct group *g = &p->groups[i];
			group_key(p, g, buf, sizeof(buf));
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
		if (o->by == BY_KIND) {
			tally_add(t, wait_kind_key(th->wait.kind));
		} else if (o->by == BY_NAME) {
			fold_name(th->name, buf, sizeof(buf));
			tally_add(t, buf);
		} else {
			/* each function once per thread */
			struct tally seen = { 0 };
			for (j = 0; j < th->npcs; j++) {
				const struct symframe *sf = process_symframe(p, th->pcs[j]);
				for (k = 0; sf && k < sf->nrows; k++) {
					const char *fn = sf->rows[k].function;
					size_t s;
					int dup = 0;
					if (!fn)
						continue;
					for (s = 0; s < seen.len; s++)
						dup |= !strcmp(seen.keys[s], fn);
					if (!dup) {
						tally_add(&seen, fn);
						tally_add(t, fn);
					}
				}
			}
			tally_free(&seen);
		}
	}
	if (o->by == BY_KIND) {
		/* stable order: the order of the wait kinds */
		struct tally s = { 0 };
		int kk;
		for (kk = 0; kk < WAIT__COUNT; kk++)
			for (i = 0; i < t->len; i++)
				if (!strcmp(t->keys[i], wait_kind_key(kk))) {
					tally_add(&s, t->keys[i]);
					s.n[s.len - 1] = t->n[i];
				}
		tally_free(t);
		*t = s;
	} else {
		tally_sort(t);
	}
}

static const char *by_name(enum by b)
{
	static const char *const n[] = { "total", "kind", "name", "group", "function" };
	return n[b];
}

/* ---- the baseline ------------------------------------------------------ */

/* "kind|f1|f2|..." for a JSON group or a live one */
static char *json_group_key(json_object *g)
{
	json_object *w, *k, *fr;
	struct sb sb = { 0 };
	size_t i, n;
	if (!json_object_object_get_ex(g, "wait", &w) || !json_object_object_get_ex(w, "kind", &k) ||
	    !json_object_object_get_ex(g, "frames", &fr) || !json_object_is_type(fr, json_type_array))
		return NULL;
	sb_adds(&sb, json_object_get_string(k));
	n = json_object_array_length(fr);
	for (i = 0; i < n; i++) {
		json_object *f = json_object_array_get_idx(fr, i), *fn;
		sb_adds(&sb, "|");
		if (json_object_object_get_ex(f, "function", &fn) && json_object_get_string(fn))
			sb_adds(&sb, json_object_get_string(fn));
	}
	return sb_detach(&sb);
}

static char *live_group_key(const struct process *p, const struct group *g)
{
	json_object *o = ui_json_group(p, g);
	char *k = json_group_key(o);
	json_object_put(o);
	return k;
}

static int load_baseline(const char *path, json_object **out)
{
	json_object *j = json_object_from_file(path), *g;
	size_t i, n;
	if (!j) {
		usage_error("count", "--baseline: cannot read '%s' as JSON: %s", path,
			    json_util_get_last_err() ? json_util_get_last_err() : "unknown error");
		return -1;
	}
	if (!json_object_object_get_ex(j, "groups", &g) || !json_object_is_type(g, json_type_array)) {
		json_object_put(j);
		usage_error("count", "--baseline: '%s' has no \"groups\" array; make it with "
			    "inspect stack --json or inspect count --json --by group", path);
		return -1;
	}
	n = json_object_array_length(g);
	for (i = 0; i < n; i++) {
		char *k = json_group_key(json_object_array_get_idx(g, i));
		if (!k) {
			json_object_put(j);
			usage_error("count", "--baseline: group %zu of '%s' lacks wait.kind or frames",
				    i, path);
			return -1;
		}
		free(k);
	}
	*out = j;
	return 0;
}

/* Compare the counted threads' groups with the baseline.  Marks the new
 * threads of grown groups in `grown`; returns the largest growth. */
static long compare_baseline(const struct process *p, const struct count_opts *o,
			     const uint8_t *mask, uint8_t *grown, FILE *out)
{
	json_object *bg;
	size_t i, j, k, nb;
	long worst = 0;
	json_object_object_get_ex(o->baseline, "groups", &bg);
	nb = json_object_array_length(bg);
	memset(grown, 0, p->nthreads);
	for (i = 0; i < p->ngroups; i++) {
		const struct group *g = &p->groups[i];
		char *key = live_group_key(p, g);
		long now = 0, then = 0;
		json_object *tids = NULL;
		for (j = 0; j < g->nmembers; j++)
			now += mask[g->members[j]];
		for (k = 0; k < nb && key; k++) {
			json_object *b = json_object_array_get_idx(bg, k), *c;
			char *bk = json_group_key(b);
			if (bk && !strcmp(bk, key) && json_object_object_get_ex(b, "count", &c)) {
				then += json_object_get_int(c);
				json_object_object_get_ex(b, "tids", &tids);
			}
			free(bk);
		}
		if (now > then) {
			const struct symrow *r = thread_telling_row(p, g->first);
			fprintf(out, "grown %s@%s %ld -> %ld (+%ld)\n", wait_kind_key(g->wait.kind),
				r && r->function ? r->function : "?", then, now, now - then);
			if (now - then > worst)
				worst = now - then;
			/* the new threads: those the baseline did not list */
			for (j = 0; j < g->nmembers; j++) {
				size_t m = g->members[j], t;
				int old = 0;
				if (!mask[m])
					continue;
				for (t = 0; tids && t < json_object_array_length(tids); t++)
					old |= json_object_get_int(json_object_array_get_idx(tids, t)) ==
					       p->threads[m].tid;
				grown[m] = !old;
			}
		}
		free(key);
	}
	return worst;
}

/* ---- one sample -------------------------------------------------------- */

static void print_sample(const struct process *p, const struct count_opts *o, size_t counted,
			 const struct tally *t, int filtered, int line_mode)
{
	size_t total = p->threads ? p->nthreads : (size_t)p->thread_total;
	char ts[64];
	time_t now = time(NULL);
	size_t i;
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	if (o->json) {
		json_object *j = json_object_new_object(), *c = json_object_new_object();
		json_object_object_add(j, "schema", json_object_new_int(1));
		if (line_mode)
			json_object_object_add(j, "time", json_object_new_string(ts));
		json_object_object_add(j, "pid", json_object_new_int(p->pid));
		json_object_object_add(j, "command", json_object_new_string(p->comm));
		json_object_object_add(j, "threads", json_object_new_int((int)total));
		json_object_object_add(j, "counted", json_object_new_int((int)counted));
		json_object_object_add(j, "by", json_object_new_string(by_name(o->by)));
		for (i = 0; i < t->len; i++)
			json_object_object_add(c, t->keys[i], json_object_new_int64(t->n[i]));
		json_object_object_add(j, "counts", c);
		if (p->captured)
			json_object_object_add(j, "stopped_us",
					       json_object_new_int64((int64_t)(p->stopped_ns / 1000)));
		if (o->by == BY_GROUP) {
			json_object *ga = json_object_new_array();
			for (i = 0; i < p->ngroups; i++)
				json_object_array_add(ga, ui_json_group(p, &p->groups[i]));
			json_object_object_add(j, "groups", ga);
		}
		puts(json_object_to_json_string_ext(j, line_mode ? JSON_C_TO_STRING_PLAIN :
						    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
		json_object_put(j);
		return;
	}
	if (line_mode) {
		printf("%s threads %zu", ts, total);
		if (filtered)
			printf(" counted %zu", counted);
		for (i = 0; i < t->len; i++)
			printf(" %s %ld", t->keys[i], t->n[i]);
		putchar('\n');
		return;
	}
	printf("threads %zu\n", total);
	if (filtered)
		printf("counted %zu\n", counted);
	for (i = 0; i < t->len; i++)
		printf("%s %ld\n", t->keys[i], t->n[i]);
}

static void describe(const struct count_opts *o, struct sb *sb)
{
	size_t i;
	sb_adds(sb, "threads");
	for (i = 0; i < o->nre; i++)
		sb_addf(sb, "%s'%s'", i ? " or " : " matching ", o->re_src[i]);
	if (o->name_glob)
		sb_addf(sb, " named '%s'", o->name_glob);
	if (o->kind >= 0)
		sb_addf(sb, " in %s", wait_kind_key(o->kind));
}

/* Print the grouped stacks of the threads in mask on stderr; take a
 * snapshot of just them when this sample had no stacks. */
static void print_offenders(pid_t pid, struct process *p, const uint8_t *mask)
{
	struct render_opts ro = { 0 };
	size_t i, n = 0;
	if (p->captured || p->no_stacks) {
		ro.mask = mask;
		fputs("\n", stderr);
		render_text(stderr, p, &ro);
		return;
	}
	{
		pid_t *tids = xmalloc((p->nthreads ? p->nthreads : 1) * sizeof(*tids));
		struct report_opts ropts;
		struct process q;
		int pfd, st;
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
			process_free(&q);
			close(pfd);
		}
	}
}

static int one_sample(pid_t pid, const struct count_opts *o, int line_mode, int *failed)
{
	struct report_opts ro;
	struct process p;
	int pfd, status;
	uint8_t *mask, *grown = NULL;
	size_t counted;
	struct tally t = { 0 };
	struct sb what = { 0 };
	long worst = 0;

	report_opts_init(&ro);
	ro.stacks = needs_stacks(o);
	/* the total alone: the count in the main thread's stat, no other
	 * thread's files */
	ro.po.threads_only = o->by == BY_TOTAL && !ro.stacks && !o->name_glob && o->kind < 0;
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
		process_free(&p);
		close(pfd);
		return EXIT_NOSTACKS;
	}
	mask = xcalloc(p.nthreads ? p.nthreads : 1, 1);
	counted = ro.po.threads_only ? (size_t)p.thread_total : select_threads(&p, o, mask);
	breakdown(&p, o, mask, &t);
	print_sample(&p, o, counted, &t, o->nre || o->name_glob || o->kind >= 0, line_mode);
	describe(o, &what);
	if (o->max >= 0 && (long)counted > o->max) {
		error("count: %zu %s in process %d (%s), more than --max %ld", counted, what.buf,
		      (int)pid, p.comm, o->max);
		print_offenders(pid, &p, mask);
		*failed = 1;
	} else if (o->expect >= 0 && (long)counted != o->expect) {
		error("count: %zu %s in process %d (%s), not --expect %ld", counted, what.buf,
		      (int)pid, p.comm, o->expect);
		print_offenders(pid, &p, mask);
		*failed = 1;
	}
	if (o->baseline) {
		grown = xcalloc(p.nthreads ? p.nthreads : 1, 1);
		worst = compare_baseline(&p, o, mask, grown, stdout);
		if (worst > o->max_growth) {
			error("count: a group of %s in process %d (%s) grew by %ld since %s, more "
			      "than --max-growth %ld; its new threads:", what.buf, (int)pid, p.comm,
			      worst, o->baseline_path, o->max_growth);
			print_offenders(pid, &p, grown);
			*failed = 1;
		}
	}
	fflush(stdout);
	sb_release(&what);
	tally_free(&t);
	free(mask);
	free(grown);
	process_free(&p);
	close(pfd);
	return EXIT_OK;
}

int cmd_count(int argc, char **argv)
{
	struct count_opts o;
	int c, status = EXIT_OK, failed = 0;
	long v, k;
	pid_t pid;
	size_t i;

	capture_install_signal_handlers();	/* as early as we can */
	memset(&o, 0, sizeof(o));
	o.kind = -1;
	o.max = o.expect = -1;
	o.samples = 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case O_BY:
			if (!strcmp(optarg, "total")) o.by = BY_TOTAL;
			else if (!strcmp(optarg, "kind")) o.by = BY_KIND;
			else if (!strcmp(optarg, "name")) o.by = BY_NAME;
			else if (!strcmp(optarg, "group")) o.by = BY_GROUP;
			else if (!strcmp(optarg, "function")) o.by = BY_FUNCTION;
			else {
				status = usage_error("count", "--by takes total, kind, name, group or function, not '%s'", optarg);
				goto out;
			}
			break;
		case O_MATCH: {
			int rc;
			o.re = xrealloc(o.re, (o.nre + 1) * sizeof(*o.re));
			o.re_src = xrealloc(o.re_src, (o.nre + 1) * sizeof(*o.re_src));
			rc = regcomp(&o.re[o.nre], optarg, REG_EXTENDED | REG_NOSUB);
			if (rc) {
				char msg[256];
				regerror(rc, &o.re[o.nre], msg, sizeof(msg));
				status = usage_error("count", "--match: '%s' is not a valid regular expression: %s", optarg, msg);
				goto out;
			}
			o.re_src[o.nre++] = optarg;
			break;
		}
		case O_NAME: o.name_glob = optarg; break;
		case O_KIND:
			if ((o.kind = wait_kind_from_key(optarg)) < 0) {
				struct sb sb = { 0 };
				for (k = 0; k < WAIT__COUNT; k++)
					sb_addf(&sb, "%s%s", k ? ", " : "", wait_kind_key(k));
				status = usage_error("count", "--kind: '%s' is not a wait kind; the kinds are %s", optarg, sb.buf);
				sb_release(&sb);
				goto out;
			}
			break;
		case O_MAX: case O_EXPECT: case O_MAXGROWTH: case O_SAMPLES:
			if (cli_parse_num(optarg, c == O_SAMPLES ? 1 : 0, 100000000, &v) < 0) {
				status = usage_error("count", "%s takes a whole number%s, not '%s'",
						     argv[optind - 1][1] == '-' ? argv[optind - 1] : "the option",
						     c == O_SAMPLES ? " from 1" : " from 0", optarg);
				goto out;
			}
			if (c == O_MAX) o.max = v;
			else if (c == O_EXPECT) o.expect = v;
			else if (c == O_MAXGROWTH) o.max_growth = v;
			else o.samples = v;
			break;
		case O_INTERVAL: {
			char *end;
			o.interval = strtod(optarg, &end);
			if (*end || end == optarg || !(o.interval > 0) || o.interval > 86400) {
				status = usage_error("count", "--interval takes seconds (e.g. 0.5), not '%s'", optarg);
				goto out;
			}
			break;
		}
		case O_BASELINE: o.baseline_path = optarg; break;
		case O_JSON: o.json = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			status = cli_finish_output(0);
			goto out;
		default:
			status = usage_error("count", "unknown option, or an option without its value: '%s'",
					     argv[optind - 1]);
			goto out;
		}
	}
	if (optind >= argc) {
		status = usage_error("count", "which process? give its PID");
		goto out;
	}
	if (optind + 1 < argc) {
		status = usage_error("count", "one PID at a time ('%s' is extra)", argv[optind + 1]);
		goto out;
	}
	if (o.max >= 0 && o.expect >= 0) {
		status = usage_error("count", "--max and --expect contradict each other: give one");
		goto out;
	}
	if (o.interval > 0 && o.samples < 2) {
		status = usage_error("count", "--interval needs --samples K (2 or more)");
		goto out;
	}
	if (o.samples > 1 && o.interval <= 0)
		o.interval = 1;
	if (!o.baseline_path && o.max_growth) {
		status = usage_error("count", "--max-growth goes with --baseline");
		goto out;
	}
	if ((pid = cli_parse_pid("count", argv[optind])) < 0) {
		status = EXIT_USAGE;
		goto out;
	}
	if (o.baseline_path && load_baseline(o.baseline_path, &o.baseline) < 0) {
		status = EXIT_USAGE;
		goto out;
	}
	for (k = 0; k < o.samples; k++) {
		if (k) {
			struct timespec ts = { (time_t)o.interval,
					       (long)((o.interval - (time_t)o.interval) * 1e9) };
			while (nanosleep(&ts, &ts) < 0)
				if (capture_pending_signal())
					break;
			if (capture_pending_signal()) {
				status = EXIT_SIGNAL + capture_pending_signal();
				goto out;
			}
		}
		status = one_sample(pid, &o, o.samples > 1, &failed);
		if (status != EXIT_OK)
			goto out;
	}
	status = cli_finish_output(failed ? EXIT_PARTIAL : EXIT_OK);
out:
	for (i = 0; i < o.nre; i++)
		regfree(&o.re[i]);
	free(o.re);
	free(o.re_src);
	if (o.baseline)
		json_object_put(o.baseline);
	return status;
}
