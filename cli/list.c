/*
 * list.c - `inspect` with no command: the processes one could inspect.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "options.h"
#include "../attach/attach.h"

#include <pwd.h>
#include <string.h>
#include <unistd.h>

static int run_list(const struct command *cmd, int argc, char **argv)
{
	static const struct opt opts[] = { OPT_END() };
	struct proc_summary *v;
	ssize_t n, i;
	int st;
	if ((st = cli_parse(cmd, opts, argc, argv, NULL)) >= 0)
		return st;
	n = proc_list_processes(&v);
	if (n < 0) {
		error("cannot read /proc: is it mounted?");
		return EXIT_INTERNAL;
	}
	printf("%7s %7s %7s %-10s %s\n", "PID", "PPID", "THREADS", "USER", "COMMAND");
	for (i = 0; i < n; i++) {
		struct passwd *pw = getpwuid(v[i].uid);
		char user[32];
		if (v[i].pid == getpid())
			continue;
		if (pw)
			snprintf(user, sizeof(user), "%.10s", pw->pw_name);
		else
			snprintf(user, sizeof(user), "%u", (unsigned)v[i].uid);
		printf("%7d %7d %7ld %-10s %s\n", (int)v[i].pid, (int)v[i].ppid, v[i].threads,
		       user, v[i].cmdline && *v[i].cmdline ? v[i].cmdline : v[i].comm);
	}
	proc_summaries_free(v, n);
	return EXIT_OK;
}

const struct command cmd_list = {
	.name = "list",
	.run = run_list,
	.summary = "list processes (the default with no command)",
	.synopsis = "inspect [list]",
	.description = "List user-space processes: PID, parent PID, thread count, user and\n"
		"command line.  Nothing is stopped.  Then: inspect stack PID.",
};
