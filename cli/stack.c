/*
 * stack.c - `inspect stack PID`: the grouped dump.
 *
 * PID -> /proc facts -> stop, copy, release -> unwind -> group ->
 * symbolize distinct PCs -> classify -> render.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "options.h"
#include "report.h"
#include "../ui/ui.h"
#include "../symbolize/debuginfod.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const color_whens[] = { "auto", "always", "never", NULL };

/* --tid, repeatable */
struct tids {
	pid_t *v;
	size_t n, nalloc;
};

static int add_tid(const char *arg, void *value, struct sb *err)
{
	struct tids *t = value;
	pid_t tid = parse_pid(arg);
	if (tid <= 0) {
		sb_addf(err, "'%s' is not a thread ID", arg);
		return -1;
	}
	grow((void **)&t->v, &t->nalloc, t->n, sizeof(*t->v));
	t->v[t->n++] = tid;
	return 0;
}

static int run_stack(const struct command *cmd, int argc, char **argv)
{
	struct report_opts o;
	struct render_opts ro = { 0 };
	struct tids tids = { 0 };
	struct process p;
	int json = 0, threads = 0, raw = 0, addresses = 0, kernel = 0, stats = 0, color = 0;
	int goroutines = 0, go_system = 0, folded = 0, stop_all = 0;
	const char *pprof = NULL;
	FILE *pprof_out = NULL;
	int pprof_failed = 0, pprof_written = 0, debuginfod = 0;
	double debuginfod_timeout = 5;
	struct debuginfod_opts dio = { 0 };
	struct sb dlog = { 0 };
	int status, pfd;
	long max_depth = 256, timeout_ms = 250;
	pid_t pid = 0;
	uint64_t t0;
	const struct opt opts[] = {
		OPT_BOOL("json", &json, "one JSON object (schema 1, see inspect(1))"),
		OPT_BOOL("threads", &threads, "one block per thread, no grouping"),
		OPT_BOOL("folded", &folded, "collapsed stacks for flame graphs (flamegraph.pl,\n"
			 "inferno, speedscope): one line per distinct stack,\n"
			 "outermost frame first, and how many have it"),
		OPT_STRING("pprof", "FILE", &pprof, "write a gzipped pprof profile to FILE (go tool\n"
			"pprof reads it): a sample per thread and goroutine"),
		OPT_BOOL("goroutines", &goroutines,
			 "a Go program's goroutines in Go's own dump format,\n"
			 "one block each (as runtime.Stack and SIGQUIT print them)"),
		OPT_BOOL("system", &go_system, "a Go program's system goroutines too (GC workers,\n"
			 "the finalizer, ...), which Go's dumps hide"),
		OPT_FN("tid", "TID", &tids, add_tid, "only this thread (repeatable)"),
		OPT_NUM("max-depth", "N", &max_depth, 1, 1000000, "a number",
			"at most N frames per thread (default 256)"),
		OPT_BOOL("raw", &raw, "do not demangle C++ and Rust names"),
		OPT_BOOL("debuginfod", &debuginfod,
			 "fetch missing debug files by build ID from the\n"
			 "servers in DEBUGINFOD_URLS (never without this option)"),
		OPT_SECONDS("debuginfod-timeout", 0, "SECONDS", &debuginfod_timeout, 0.1, 3600,
			    "the time all fetches of the run may take\n"
			    "together (default 5)"),
		OPT_BOOL("addresses", &addresses, "show the PC and module offset of every frame"),
		OPT_BOOL("kernel", &kernel, "add kernel stacks from /proc/TID/stack (needs root)"),
		OPT_NUM("stop-timeout", "MS", &timeout_ms, 1, 600000, "milliseconds",
			"give up on threads not stopped MS milliseconds\n"
			"after the last that did (default 250)"),
		OPT_BOOL("stop-all", &stop_all, "stop every thread, even those read asleep in\n"
			 "place otherwise (see CAPTURE in inspect(1))"),
		OPT_CHOICE("color", "WHEN", &color, color_whens,
			   "auto (default), always or never; NO_COLOR is honoured"),
		OPT_CHOICE("colour", "WHEN", &color, color_whens, NULL),
		OPT_BOOL("stats", &stats, "print where the time went on stderr"),
		OPT_END(),
	};

	if ((status = cli_parse(cmd, opts, argc, argv, &pid)) >= 0)
		goto out;
	if (json + folded + goroutines + !!pprof > 1) {
		status = usage_error("stack", "--json, --folded, --pprof and --goroutines each "
				     "choose the output: give one");
		goto out;
	}
	if (debuginfod && !cli_debuginfod_urls()) {
		status = usage_error("stack", "--debuginfod: DEBUGINFOD_URLS is not set, so there is "
				     "no server to ask (e.g. DEBUGINFOD_URLS=https://debuginfod.debian.net)");
		goto out;
	}
	/* opened before the target is touched: a bad path costs it nothing */
	if (pprof && !(pprof_out = strcmp(pprof, "-") ? fopen(pprof, "wb") : stdout)) {
		error("--pprof: cannot write '%s': %s", pprof, strerror(errno));
		status = EXIT_OUTPUT;
		goto out;
	}
	report_opts_init(&o);
	o.by_thread = ro.threads = threads;
	o.max_depth = (size_t)max_depth;
	o.so.raw = raw;
	if (debuginfod) {
		dio.urls = cli_debuginfod_urls();
		dio.timeout_s = debuginfod_timeout;
		dio.log = &dlog;
		o.so.debuginfod = &dio;
	}
	o.po.want_kstack = ro.kernel = kernel;
	o.co.timeout_ms = (uint64_t)timeout_ms;
	o.co.stop_all = stop_all;
	ro.addresses = addresses;
	o.go_system = ro.go_system = go_system;
	ro.color = !json && cli_use_color(stdout, color_whens[color]);
	status = report_take(pid, &o, tids.v, tids.n, &p, &pfd);
	/* what was fetched, before the dump: the dump may be long */
	if (dlog.len)
		fputs(sb_str(&dlog), stderr);
	if (status != EXIT_OK && status != EXIT_NOSTACKS)
		goto out;
	t0 = now_ns();
	if (json)
		render_json(stdout, &p, &ro);
	else if (folded)
		render_folded(stdout, &p, &ro);
	else if (pprof) {
		errno = 0;
		if (render_pprof(pprof_out, &p, &ro) < 0 || fflush(pprof_out) != 0 ||
		    ferror(pprof_out))
			pprof_failed = errno ? errno : EIO;
		pprof_written = 1;
	} else if (goroutines && p.go.not_shown)
		error("%s", p.go.not_shown);
	else if (goroutines)
		render_go_dump(stdout, &p, &ro);
	else
		render_text(stdout, &p, &ro);
	fflush(stdout);
	p.t_render = now_ns() - t0;
	if (stats)
		report_print_stats(&p);
	status = report_status(&p, status);
	/* a Go program whose goroutines could not be shown is shown in part */
	if (status == EXIT_OK && p.go.is_go && p.go.not_shown)
		status = EXIT_PARTIAL;
	if (goroutines && !p.go.is_go)
		error("process %d (%s) is not a Go program: it has no goroutines", (int)pid, p.comm);
	if (pprof_failed) {
		error("--pprof: writing '%s' failed: %s", pprof, strerror(pprof_failed));
		status = EXIT_OUTPUT;
	}
	process_clear(&p);
	close(pfd);
out:
	if (pprof_out && pprof_out != stdout && fclose(pprof_out) != 0 && status != EXIT_OUTPUT) {
		error("--pprof: writing '%s' failed: %s", pprof, strerror(errno));
		status = EXIT_OUTPUT;
	}
	/* no profile (the process was not there, ...): no empty file left */
	if (pprof_out && pprof_out != stdout && !pprof_written)
		unlink(pprof);
	free(tids.v);
	sb_release(&dlog);
	return status;
}

const struct command cmd_stack = {
	.name = "stack",
	.run = run_stack,
	.flags = CMD_NEED_PID | CMD_HOLDS,
	.summary = "show every thread's stack, grouped by wait and stack",
	.synopsis = "inspect stack [OPTIONS] PID",
	.description = "Show every thread of process PID, grouped: threads that wait on the same\n"
		"kind of thing with the same stack form one group, largest first.",
	.exits = "Exit status: 0 all shown, 1 partial (a thread without a full stack),\n"
		"2 no user stacks (only the /proc view), 3 no such process, 4 not\n"
		"permitted, 5 unsupported target, 64 usage error, 73 the --pprof file\n"
		"could not be written.",
};
