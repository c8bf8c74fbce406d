/*
 * stack.c - `inspect stack PID`: the grouped dump.
 *
 * PID -> /proc facts -> stop, copy, release -> unwind -> group ->
 * symbolize distinct PCs -> classify -> render.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "../attach/attach.h"
#include "report.h"
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


int cmd_stack(int argc, char **argv)
{
	struct report_opts o;
	struct render_opts ro = { 0 };
	int json = 0, stats = 0, c, status, pfd;
	long v;
	const char *color = "auto";
	pid_t pid, *tids = NULL;
	size_t ntids = 0;
	struct process p;

	report_opts_init(&o);
	capture_install_signal_handlers();	/* as early as we can */

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case O_JSON: json = 1; break;
		case O_THREADS: ro.threads = o.by_thread = 1; break;
		case O_TID:
			tids = xrealloc(tids, (ntids + 1) * sizeof(*tids));
			if ((tids[ntids++] = parse_pid(optarg)) <= 0) {
				free(tids);
				return usage_error("stack", "--tid: '%s' is not a thread ID", optarg);
			}
			break;
		case O_MAXDEPTH:
			if (cli_parse_num(optarg, 1, 1000000, &v) < 0)
				return usage_error("stack", "--max-depth takes a number from 1 to 1000000, not '%s'", optarg);
			o.max_depth = v;
			break;
		case O_RAW: o.so.raw = 1; break;
		case O_ADDR: ro.addresses = 1; break;
		case O_KERNEL: ro.kernel = o.po.want_kstack = 1; break;
		case O_TIMEOUT:
			if (cli_parse_num(optarg, 1, 600000, &v) < 0)
				return usage_error("stack", "--stop-timeout takes milliseconds from 1 to 600000, not '%s'", optarg);
			o.co.timeout_ms = v;
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
	ro.color = !json && cli_use_color(stdout, color);
	status = report_take(pid, &o, tids, ntids, &p, &pfd);
	free(tids);
	if (status != EXIT_OK && status != EXIT_NOSTACKS)
		return status;
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
		report_print_stats(&p);
	status = report_status(&p, status);
	process_free(&p);
	close(pfd);
	return cli_finish_output(status);
}
