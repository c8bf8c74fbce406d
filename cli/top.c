/*
 * top.c - `inspect top PID`: the live view.
 *
 * Every refresh (-d, default 1 s) reads /proc only: CPU per thread,
 * states, waits; nothing is stopped.  Stacks are sampled on their own,
 * slower interval (--stack-interval, default 5 s) with the snapshot of
 * `inspect stack`.  --batch prints the screen as text each refresh.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "report.h"
#include "../model/top.h"
#include "../ui/top.h"
#include "../ui/topcurses.h"

#include <fcntl.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: inspect top [OPTIONS] PID\n"
	"\n"
	"A live view of process PID: groups of threads (wait kind and most telling\n"
	"frame) with their CPU, how long they have not moved, and their stacks.\n"
	"Keys: arrows, Enter (stack), t (threads), s (sort), / (filter), p (pause),\n"
	"+/- (interval), k (kernel stacks), ? (help), q (quit).\n"
	"\n"
	"  -d SECONDS             refresh interval, from /proc only (default 1)\n"
	"  --stack-interval SECONDS  how often stacks are sampled (default 5)\n"
	"  --threads              start with one row per thread\n"
	"  --batch                print the screen as text every refresh, no terminal\n"
	"  --iterations N         with --batch: stop after N refreshes\n"
	"  -h, --help             this help\n"
	"\n"
	"Exit status: 0 on q (or after --iterations), 3 no such process, 4 not\n"
	"permitted, 5 unsupported target, 64 usage error (also: not a terminal\n"
	"without --batch).\n";

enum { O_STACKINT = 256, O_THREADS, O_BATCH, O_ITER };

static const struct option longopts[] = {
	{ "stack-interval", required_argument, NULL, O_STACKINT },
	{ "threads", no_argument, NULL, O_THREADS },
	{ "batch", no_argument, NULL, O_BATCH },
	{ "iterations", required_argument, NULL, O_ITER },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (*end || end == s || !(v >= 0.1) || v > 3600)
		return -1;
	*out = v;
	return 0;
}

/* the threads' /proc files, open from one refresh to the next */
static struct proc_fdcache *fdcache;

/* One refresh: /proc (always), stacks (when due).  Returns 0, or the
 * exit status when the process is gone or cannot be read. */
static int sample(pid_t pid, struct top_state *s, double stack_interval, int kstacks)
{
	struct report_opts o;
	struct process p;
	int pfd, st;
	uint64_t now = now_ns() / 1000000;
	report_opts_init(&o);
	o.po.fdcache = fdcache;
	o.stacks = 0;
	o.po.want_sched = 0;
	o.po.want_futex = 0;
	memset(&p, 0, sizeof(p));
	st = report_take(pid, &o, NULL, 0, &p, &pfd);
	capture_install_signal_handlers();	/* keep ours between captures */
	if (st != EXIT_OK && st != EXIT_PARTIAL && st != EXIT_NOSTACKS) {
		s->exited = 1;
		return st;
	}
	close(pfd);
	top_refresh(s, &p, now, sysconf(_SC_CLK_TCK));
	if (!s->have_stacks || now - s->stacks_ms >= stack_interval * 1000) {
		report_opts_init(&o);
		o.po.fdcache = fdcache;
		o.po.want_sched = 0;
		o.po.want_kstack = kstacks;
		o.so.cache = s->have_stacks ? &s->stacks : NULL;	/* symbols of steady PCs */
		memset(&p, 0, sizeof(p));
		st = report_take(pid, &o, NULL, 0, &p, &pfd);
		capture_install_signal_handlers();
		if (st == EXIT_OK || st == EXIT_PARTIAL || st == EXIT_NOSTACKS) {
			close(pfd);
			top_take_stacks(s, &p, now);
		} else if (st == EXIT_NOPROC) {
			s->exited = 1;
			return st;
		}
	}
	return 0;
}

static int batch(pid_t pid, struct top_view *v, long iterations)
{
	struct top_state s;
	long it;
	int st = 0;
	top_init(&s);
	for (it = 0; !iterations || it < iterations; it++) {
		struct top_row *rows;
		struct top_line *lines;
		size_t nrows, nlines, header, i;
		if (it) {
			struct timespec ts = { (time_t)v->interval,
					       (long)((v->interval - (time_t)v->interval) * 1e9) };
			nanosleep(&ts, NULL);
			if (capture_pending_signal())
				break;
		}
		st = sample(pid, &s, v->stack_interval, 0);
		if (st && !s.cur.nthreads) {
			top_release(&s);
			return st;
		}
		nrows = top_rows(&s, v->per_thread, v->sort, v->filter, &rows);
		nlines = top_layout(&s, rows, nrows, v, 200, 0, &lines, &header);
		for (i = 0; i < nlines; i++)
			puts(lines[i].text);
		putchar('\n');
		fflush(stdout);
		top_lines_free(lines, nlines);
		free(rows);
		if (st) {
			printf("process %d exited\n", (int)pid);
			break;
		}
	}
	top_release(&s);
	return cli_finish_output(EXIT_OK);
}

static int interactive(pid_t pid, struct top_view *v)
{
	struct top_state s;
	int detail = 0, help = 0, kstacks = 0, devnull, saved_err, st;
	uint64_t next = 0;
	char *filter = NULL;
	const char *cs = nl_langinfo(CODESET);
	struct top_row detail_row;

	v->utf8 = cs && !strcmp(cs, "UTF-8");
	v->interactive = 1;
	top_init(&s);
	/* the first sample before the screen changes: errors print plainly */
	st = sample(pid, &s, v->stack_interval, kstacks);
	if (st) {
		top_release(&s);
		return st;
	}
	if (topc_start(!getenv("NO_COLOR") || !*getenv("NO_COLOR")) < 0) {
		top_release(&s);
		error("top: cannot start the terminal");
		return EXIT_INTERNAL;
	}
	/* messages would scribble on the screen: they go nowhere meanwhile */
	saved_err = dup(2);
	devnull = open("/dev/null", O_WRONLY);
	if (devnull >= 0)
		dup2(devnull, 2);
	next = now_ns() / 1000000 + (uint64_t)(v->interval * 1000);
	for (;;) {
		struct top_row *rows;
		struct top_line *lines;
		size_t nrows, nlines, header;
		int w, h, key;
		uint64_t now = now_ns() / 1000000;
		if (capture_pending_signal())
			break;
		if (!v->paused && !s.exited && now >= next) {
			sample(pid, &s, v->stack_interval, kstacks);
			next = now + (uint64_t)(v->interval * 1000);
		}
		topc_size(&w, &h);
		nrows = top_rows(&s, v->per_thread, v->sort, v->filter, &rows);
		if (nrows && v->selected >= nrows)
			v->selected = nrows - 1;
		if (help) {
			nlines = top_help_lines(&lines);
		} else if (detail) {
			nlines = top_stack_lines(&s, &detail_row, w, &lines);
		} else {
			size_t page = h > 7 ? (size_t)h - 7 : 1;
			if (v->selected < v->scroll)
				v->scroll = v->selected;
			if (v->selected >= v->scroll + page)
				v->scroll = v->selected - page + 1;
			nlines = top_layout(&s, rows, nrows, v, w, h, &lines, &header);
		}
		topc_draw(lines, nlines);
		top_lines_free(lines, nlines);
		key = topc_key(100);
		if (help && key != TOPKEY_NONE && key != TOPKEY_RESIZE) {
			help = 0;
		} else if (key == 'q' || key == 'Q') {
			free(rows);
			break;
		} else if (detail) {
			if (key == TOPKEY_ESC || key == TOPKEY_BACK)
				detail = 0;
			else if (key == 'k')
				kstacks = !kstacks, s.stacks_ms = 0;
		} else {
			size_t page = h > 7 ? (size_t)h - 7 : 1;
			switch (key) {
			case TOPKEY_UP: if (v->selected) v->selected--; break;
			case TOPKEY_DOWN: if (v->selected + 1 < nrows) v->selected++; break;
			case TOPKEY_PGUP: v->selected = v->selected > page ? v->selected - page : 0; break;
			case TOPKEY_PGDN: v->selected = nrows ? (v->selected + page < nrows ? v->selected + page : nrows - 1) : 0; break;
			case TOPKEY_HOME: v->selected = 0; break;
			case TOPKEY_END: v->selected = nrows ? nrows - 1 : 0; break;
			case TOPKEY_ENTER:
				if (nrows) {
					detail_row = rows[v->selected];
					detail = 1;
				}
				break;
			case 't': v->per_thread = !v->per_thread; v->selected = v->scroll = 0; break;
			case 's': v->sort = (v->sort + 1) % TOP_SORT__N; break;
			case 'p': v->paused = !v->paused; break;
			case '+': if (v->interval < 60) v->interval *= 2; break;
			case '-': if (v->interval > 0.2) v->interval /= 2; break;
			case 'k': kstacks = !kstacks; s.stacks_ms = 0; break;
			case '?': case 'h': help = 1; break;
			case TOPKEY_ESC: free(filter); filter = NULL; v->filter = NULL; break;
			case '/': {
				char *f = topc_prompt("filter (function, name or wait kind): ");
				free(filter);
				filter = f && *f ? f : NULL;
				if (f && !*f)
					free(f);
				v->filter = filter;
				v->selected = v->scroll = 0;
				break;
			}
			}
		}
		free(rows);
	}
	topc_stop();
	if (saved_err >= 0) {
		dup2(saved_err, 2);
		close(saved_err);
	}
	if (devnull >= 0)
		close(devnull);
	free(filter);
	st = capture_pending_signal();
	top_release(&s);
	return st ? EXIT_SIGNAL + st : EXIT_OK;
}

int cmd_top(int argc, char **argv)
{
	struct top_view v;
	int c, st, use_batch = 0;
	long iterations = 0;
	struct rlimit rl;
	pid_t pid;

	capture_install_signal_handlers();
	setlocale(LC_ALL, "");
	memset(&v, 0, sizeof(v));
	v.interval = 1;
	v.stack_interval = 5;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hd:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_seconds(optarg, &v.interval) < 0)
				return usage_error("top", "-d takes seconds from 0.1 to 3600, not '%s'", optarg);
			break;
		case O_STACKINT:
			if (parse_seconds(optarg, &v.stack_interval) < 0)
				return usage_error("top", "--stack-interval takes seconds from 0.1 to 3600, not '%s'", optarg);
			break;
		case O_THREADS: v.per_thread = 1; break;
		case O_BATCH: use_batch = 1; break;
		case O_ITER:
			if (cli_parse_num(optarg, 1, 100000000, &iterations) < 0)
				return usage_error("top", "--iterations takes a whole number from 1, not '%s'", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_output(0);
		default:
			return usage_error("top", "unknown option, or an option without its value: '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("top", "which process? give its PID");
	if (optind + 1 < argc)
		return usage_error("top", "one PID at a time ('%s' is extra)", argv[optind + 1]);
	if ((pid = cli_parse_pid("top", argv[optind])) < 0)
		return EXIT_USAGE;
	if (iterations && !use_batch)
		return usage_error("top", "--iterations goes with --batch");
	if (!use_batch && (!isatty(0) || !isatty(1)))
		return usage_error("top", "standard input and output must be a terminal; "
				   "for logs and scripts use --batch");
	/* two files per thread stay open: ask for the hard limit */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fdcache = proc_fdcache_new();
	st = use_batch ? batch(pid, &v, iterations) : interactive(pid, &v);
	proc_fdcache_free(fdcache);
	fdcache = NULL;
	return st;
}
