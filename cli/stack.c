/*
 * stack.c - `inspect stack PID`: the grouped dump.
 *
 * PID -> /proc facts -> stop, copy, release -> unwind -> group ->
 * symbolize distinct PCs -> classify -> render.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "../attach/attach.h"
#include "../symbolize/symbolize.h"
#include "../ui/ui.h"

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: inspect stack [OPTIONS] PID\n"
	"\n"
	"Show every thread of process PID, grouped: threads that wait on the same\n"
	"kind of thing with the same stack form one group, largest first.\n"
	"\n"
	"  --json              one JSON object (schema 1, see inspect(1))\n"
	"  --threads           one block per thread, no grouping\n"
	"  --tid TID           only this thread (repeatable)\n"
	"  --max-depth N       at most N frames per thread (default 256)\n"
	"  --raw               do not demangle C++ and Rust names\n"
	"  --addresses         show the PC and module offset of every frame\n"
	"  --kernel            add kernel stacks from /proc/TID/stack (needs root)\n"
	"  --stop-timeout MS   give up on threads that do not stop within MS\n"
	"                      milliseconds (default 250; D-state threads)\n"
	"  --color WHEN        auto (default), always or never; NO_COLOR is honoured\n"
	"  --stats             print where the time went on stderr\n"
	"  -h, --help          this help\n"
	"\n"
	"Exit status: 0 all shown, 1 partial (a thread without a full stack),\n"
	"2 no user stacks (only the /proc view), 3 no such process, 4 not\n"
	"permitted, 5 unsupported target, 64 usage error.\n";

enum { O_JSON = 256, O_THREADS, O_TID, O_MAXDEPTH, O_RAW, O_ADDR, O_KERNEL,
       O_TIMEOUT, O_COLOR, O_STATS };

static const struct option longopts[] = {
	{ "json", no_argument, NULL, O_JSON },
	{ "threads", no_argument, NULL, O_THREADS },
	{ "tid", required_argument, NULL, O_TID },
	{ "max-depth", required_argument, NULL, O_MAXDEPTH },
	{ "raw", no_argument, NULL, O_RAW },
	{ "addresses", no_argument, NULL, O_ADDR },
	{ "kernel", no_argument, NULL, O_KERNEL },
	{ "stop-timeout", required_argument, NULL, O_TIMEOUT },
	{ "color", required_argument, NULL, O_COLOR },
	{ "colour", required_argument, NULL, O_COLOR },
	{ "stats", no_argument, NULL, O_STATS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_num(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;
	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int status_of(enum attach_err e)
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

static void print_stats(const struct process *p)
{
	fprintf(stderr, "inspect: stats: threads %zu, captured %d, groups %zu, "
		"distinct pcs %zu, scan rounds %d, signal stops %d\n",
		p->nthreads, p->captured, p->ngroups, p->nsyms, p->scan_rounds,
		p->signal_stops);
	fprintf(stderr, "inspect: stats: proc %.2f ms, capture %.2f ms (held %.3f ms), "
		"unwind %.2f ms, symbolize %.2f ms, render %.2f ms\n",
		p->t_proc / 1e6, p->t_capture / 1e6, p->stopped_ns / 1e6,
		p->t_unwind / 1e6, p->t_symbolize / 1e6, p->t_render / 1e6);
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
		process_init(p, pid);
		sb_release(err);
		rc = proc_read(pfd, p, po, err);
		if (rc != ATTACH_OK)
			return rc;
		for (i = 0; i < ntids; i++)
			if (!process_find_thread(p, tids[i])) {
				sb_addf(err, "thread %d is not a thread of process %d",
					(int)tids[i], (int)p->pid);
				return ATTACH_ENOPROC;
			}
		rc = capture_process(pfd, p, co, err);
		if (rc == ATTACH_ESTOP && p->exec_seen && attempt == 0 && !capture_pending_signal()) {
			process_free(p);
			continue;	/* it exec'd under us: once more, on the new image */
		}
		if (rc != ATTACH_OK)
			return rc;
		unwind_process(p, max_depth);
		if (proc_maps_unchanged(pfd, p))
			return ATTACH_OK;
		if (attempt == 0 && !capture_pending_signal()) {
			process_free(p);
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

int cmd_stack(int argc, char **argv)
{
	struct proc_opts po = { .want_sched = 1, .want_fds = 1 };
	struct capture_opts co = { .timeout_ms = 250, .max_stack = 512 * 1024 };
	struct symbolize_opts so = { 0 };
	struct render_opts ro = { 0 };
	int json = 0, stats = 0, c, status = EXIT_OK, pfd, sig;
	long max_depth = 256, v;
	const char *color = "auto";
	pid_t pid, *tids = NULL;
	size_t ntids = 0, i;
	struct process p;
	struct sb err = { 0 };
	enum attach_err rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case O_JSON: json = 1; break;
		case O_THREADS: ro.threads = 1; break;
		case O_TID:
			tids = xrealloc(tids, (ntids + 1) * sizeof(*tids));
			if ((tids[ntids++] = parse_pid(optarg)) <= 0) {
				free(tids);
				return usage_error("stack", "--tid: '%s' is not a thread ID", optarg);
			}
			break;
		case O_MAXDEPTH:
			if (parse_num(optarg, 1, 1000000, &max_depth) < 0)
				return usage_error("stack", "--max-depth takes a number from 1 to 1000000, not '%s'", optarg);
			break;
		case O_RAW: so.raw = 1; break;
		case O_ADDR: ro.addresses = 1; break;
		case O_KERNEL: ro.kernel = po.want_kstack = 1; break;
		case O_TIMEOUT:
			if (parse_num(optarg, 1, 600000, &v) < 0)
				return usage_error("stack", "--stop-timeout takes milliseconds from 1 to 600000, not '%s'", optarg);
			co.timeout_ms = v;
			break;
		case O_COLOR:
			if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
				return usage_error("stack", "--color takes auto, always or never, not '%s'", optarg);
			color = optarg;
			break;
		case O_STATS: stats = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			free(tids);
			return cli_finish_output(0);
		default:
			free(tids);
			return usage_error("stack", "unknown option, or an option without "
					   "its value: '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		free(tids);
		return usage_error("stack", "which process? give its PID");
	}
	if (optind + 1 < argc) {
		free(tids);
		return usage_error("stack", "one PID at a time ('%s' is extra)", argv[optind + 1]);
	}
	if ((pid = cli_parse_pid("stack", argv[optind])) < 0) {
		free(tids);
		return EXIT_USAGE;
	}
	if ((status = cli_check_proc()) != 0) {
		free(tids);
		return status;
	}
	if (pid == getpid()) {
		free(tids);
		error("inspect cannot inspect itself");
		return EXIT_UNSUPPORTED;
	}
	po.only_tids = tids;
	po.n_only_tids = ntids;
	co.no_rescan = ntids > 0;
	ro.color = !json && cli_use_color(stdout, color);
	p.pid = pid;
	capture_install_signal_handlers();

	pfd = proc_open(pid, &err, &rc);
	if (pfd < 0) {
		error("%s", err.buf);
		sb_release(&err);
		free(tids);
		return status_of(rc);
	}
	rc = snapshot(pfd, &p, &po, &co, tids, ntids, (size_t)max_depth, &err);
	sig = capture_pending_signal();
	if (sig) {
		error("released every thread of process %d; stopping on %s",
		      (int)pid, strsignal(sig));
		process_free(&p);
		close(pfd);
		free(tids);
		sb_release(&err);
		return EXIT_SIGNAL + sig;
	}
	if (rc != ATTACH_OK) {
		status = status_of(rc);
		error("%s", err.buf);
		if (status != EXIT_NOSTACKS || !p.nthreads) {
			process_free(&p);
			close(pfd);
			free(tids);
			sb_release(&err);
			return status;
		}
		/* the /proc view: wait labels, wait channels, kernel stacks */
		p.no_stacks = xstrdup(err.buf);
		for (i = 0; i < p.nthreads; i++) {
			free(p.threads[i].cap.stack);
			memset(&p.threads[i].cap, 0, sizeof(p.threads[i].cap));
			proc_read_fallback(pfd, &p.threads[i], po.want_kstack);
		}
		p.captured = 0;
	}
	group_threads(&p, ro.threads);
	symbolize_process(&p, pfd, &so);
	classify_threads(&p);
	classify_groups(&p);
	{
		uint64_t t0 = now_ns();
		if (json)
			render_json(stdout, &p, &ro);
		else
			render_text(stdout, &p, &ro);
		fflush(stdout);
		p.t_render = now_ns() - t0;
	}
	if (stats)
		print_stats(&p);
	if (status == EXIT_OK)
		for (i = 0; i < p.nthreads; i++)
			if (p.threads[i].state != 'Z' &&
			    (p.threads[i].no_stack || p.threads[i].unwind_stop || !p.threads[i].cap.ok))
				status = EXIT_PARTIAL;
	process_free(&p);
	close(pfd);
	free(tids);
	sb_release(&err);
	return cli_finish_output(status);
}
