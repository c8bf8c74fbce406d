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
#include "options.h"
#include "report.h"
#include "../model/top.h"
#include "../ui/toplayout.h"
#include "../ui/topcurses.h"

#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One refresh: /proc (always), stacks (when due).  Returns 0, or the
 * exit status when the process is gone or cannot be read. */
static int sample(pid_t pid, struct proc_fdcache *fdcache, struct top_state *s,
		  double stack_interval, int kstacks)
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
	/* a Go program's goroutine total, read from its memory alone */
	o.go_nostop = 1;
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

/* The rows of the view: a Go program's goroutine groups, or threads */
static size_t view_rows(const struct top_state *s, const struct top_view *v,
			struct top_row **rows)
{
	if (v->go)
		return top_go_rows(s, v->filter, rows);
	return top_rows(s, v->per_thread, v->sort, v->filter, rows);
}

static int batch(pid_t pid, struct proc_fdcache *fdcache, struct top_view *v, long iterations)
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
		st = sample(pid, fdcache, &s, v->stack_interval, 0);
		if (st && !s.cur.nthreads) {
			top_release(&s);
			return st;
		}
		v->go = s.cur.go.is_go && !s.cur.go.not_shown && !v->threads_view;
		nrows = view_rows(&s, v, &rows);
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
	return EXIT_OK;
}

/* The rows a page holds: the screen less the header and the footer */
static size_t page_rows(int h, size_t header)
{
	return (size_t)h > header + 1 ? (size_t)h - header - 1 : 1;
}

/* The interactive view's state between keys */
struct screen {
	int detail, help, kstacks, quit;
	char *filter;
	struct top_row detail_row;
	size_t page;		/* rows per page, from the last layout */
};

static void on_rows_key(struct screen *sc, struct top_state *s, struct top_view *v,
			const struct top_row *rows, size_t nrows, int key)
{
	char *f;
	switch (top_key_action(key, 0)) {
	case TOPACT_QUIT: sc->quit = 1; break;
	case TOPACT_UP: if (v->selected) v->selected--; break;
	case TOPACT_DOWN: if (v->selected + 1 < nrows) v->selected++; break;
	case TOPACT_PGUP: v->selected = v->selected > sc->page ? v->selected - sc->page : 0; break;
	case TOPACT_PGDN:
		v->selected = nrows ? (v->selected + sc->page < nrows ? v->selected + sc->page
								  : nrows - 1) : 0;
		break;
	case TOPACT_HOME: v->selected = 0; break;
	case TOPACT_END: v->selected = nrows ? nrows - 1 : 0; break;
	case TOPACT_STACK:
		if (nrows) {
			sc->detail_row = rows[v->selected];
			sc->detail = 1;
		}
		break;
	case TOPACT_THREADS:
		/* a Go program: its goroutines, or its OS threads; else thread
		 * groups, or one row per thread */
		if (s->cur.go.is_go && !s->cur.go.not_shown)
			v->threads_view = !v->threads_view;
		else
			v->per_thread = !v->per_thread;
		v->selected = v->scroll = 0;
		break;
	case TOPACT_SORT: v->sort = (v->sort + 1) % TOP_SORT__N; break;
	case TOPACT_PAUSE: v->paused = !v->paused; break;
	case TOPACT_SLOWER: if (v->interval < 60) v->interval *= 2; break;
	case TOPACT_FASTER: if (v->interval > 0.2) v->interval /= 2; break;
	case TOPACT_KSTACKS: sc->kstacks = !sc->kstacks; s->stacks_ms = 0; break;
	case TOPACT_HELP: sc->help = 1; break;
	case TOPACT_CLEAR_FILTER:
		free(sc->filter);
		sc->filter = NULL;
		v->filter = NULL;
		break;
	case TOPACT_FILTER:
		f = topc_prompt("filter (function, name or wait kind): ");
		free(sc->filter);
		sc->filter = f && *f ? f : NULL;
		if (f && !*f)
			free(f);
		v->filter = sc->filter;
		v->selected = v->scroll = 0;
		break;
	case TOPACT_BACK: case TOPACT_NONE: break;
	}
}

static void on_key(struct screen *sc, struct top_state *s, struct top_view *v,
		   const struct top_row *rows, size_t nrows, int key)
{
	if (sc->help) {
		if (key != TOPKEY_NONE && key != TOPKEY_RESIZE)
			sc->help = 0;
		return;
	}
	if (!sc->detail) {
		on_rows_key(sc, s, v, rows, nrows, key);
		return;
	}
	switch (top_key_action(key, 1)) {
	case TOPACT_QUIT: sc->quit = 1; break;
	case TOPACT_BACK: sc->detail = 0; break;
	case TOPACT_KSTACKS: sc->kstacks = !sc->kstacks; s->stacks_ms = 0; break;
	default: break;
	}
}

/* One frame: the help, the stack of a row, or the rows with the
 * selection kept on the page. */
static void draw_screen(struct screen *sc, const struct top_state *s, struct top_view *v,
			const struct top_row *rows, size_t nrows)
{
	struct top_line *lines;
	size_t nlines, header;
	int w, h;
	topc_size(&w, &h);
	if (nrows && v->selected >= nrows)
		v->selected = nrows - 1;
	if (sc->help) {
		nlines = top_help_lines(&lines);
	} else if (sc->detail) {
		nlines = top_stack_lines(s, &sc->detail_row, w, &lines);
	} else {
		size_t scroll = v->scroll;
		nlines = top_layout(s, rows, nrows, v, w, h, &lines, &header);
		sc->page = page_rows(h, header);
		if (v->selected < v->scroll)
			v->scroll = v->selected;
		if (v->selected >= v->scroll + sc->page)
			v->scroll = v->selected - sc->page + 1;
		if (v->scroll != scroll) {
			top_lines_free(lines, nlines);
			nlines = top_layout(s, rows, nrows, v, w, h, &lines, &header);
		}
	}
	topc_draw(lines, nlines);
	top_lines_free(lines, nlines);
}

static int interactive(pid_t pid, struct proc_fdcache *fdcache, struct top_view *v)
{
	struct top_state s;
	struct screen sc;
	int devnull, saved_err, st;
	uint64_t next = 0;
	const char *cs = nl_langinfo(CODESET);

	memset(&sc, 0, sizeof(sc));
	sc.page = 1;
	v->utf8 = cs && !strcmp(cs, "UTF-8");
	v->interactive = 1;
	top_init(&s);
	/* the first sample before the screen changes: errors print plainly */
	st = sample(pid, fdcache, &s, v->stack_interval, sc.kstacks);
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
	while (!sc.quit && !capture_pending_signal()) {
		struct top_row *rows;
		size_t nrows;
		uint64_t now = now_ns() / 1000000;
		if (!v->paused && !s.exited && now >= next) {
			sample(pid, fdcache, &s, v->stack_interval, sc.kstacks);
			next = now + (uint64_t)(v->interval * 1000);
		}
		v->go = s.cur.go.is_go && !s.cur.go.not_shown && !v->threads_view;
		nrows = view_rows(&s, v, &rows);
		draw_screen(&sc, &s, v, rows, nrows);
		on_key(&sc, &s, v, rows, nrows, topc_key(100));
		free(rows);
	}
	topc_stop();
	if (saved_err >= 0) {
		dup2(saved_err, 2);
		close(saved_err);
	}
	if (devnull >= 0)
		close(devnull);
	free(sc.filter);
	st = capture_pending_signal();
	top_release(&s);
	return st ? EXIT_SIGNAL + st : EXIT_OK;
}

static void top_help(FILE *f)
{
	struct sb sb = { 0 };
	top_keys_summary(&sb);
	fprintf(f, "%s\n", sb_str(&sb));
	sb_release(&sb);
}

static int run_top(const struct command *cmd, int argc, char **argv)
{
	struct top_view v;
	struct proc_fdcache *fdcache;
	int st, use_batch = 0, per_thread = 0;
	long iterations = 0;
	struct rlimit rl;
	pid_t pid = 0;
	const struct opt opts[] = {
		OPT_SECONDS(NULL, 'd', "SECONDS", &v.interval, 0.1, 3600,
			    "refresh interval, from /proc only (default 1)"),
		OPT_SECONDS("stack-interval", 0, "SECONDS", &v.stack_interval, 0.1, 3600,
			    "how often stacks are sampled (default 5)"),
		OPT_BOOL("threads", &per_thread, "start with one row per thread"),
		OPT_BOOL("batch", &use_batch, "print the screen as text every refresh, no terminal"),
		OPT_NUM("iterations", "N", &iterations, 1, 100000000, "a whole number",
			"with --batch: stop after N refreshes"),
		OPT_END(),
	};

	setlocale(LC_ALL, "");
	memset(&v, 0, sizeof(v));
	v.interval = 1;
	v.stack_interval = 5;
	if ((st = cli_parse(cmd, opts, argc, argv, &pid)) >= 0)
		return st;
	v.per_thread = per_thread;
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
	/* the threads' /proc files, open from one refresh to the next */
	fdcache = proc_fdcache_new();
	st = use_batch ? batch(pid, fdcache, &v, iterations) : interactive(pid, fdcache, &v);
	proc_fdcache_free(fdcache);
	return st;
}

const struct command cmd_top = {
	.name = "top",
	.run = run_top,
	.flags = CMD_NEED_PID | CMD_HOLDS,
	.summary = "a live view: which groups burn CPU, which pile up",
	.synopsis = "inspect top [OPTIONS] PID",
	.description = "A live view of process PID: groups of threads (wait kind and most telling\n"
		"frame) with their CPU, how long they have not moved, and their stacks.",
	.more_help = top_help,
	.exits = "Exit status: 0 on q (or after --iterations), 3 no such process, 4 not\n"
		"permitted, 5 unsupported target, 64 usage error (also: not a terminal\n"
		"without --batch).",
};
