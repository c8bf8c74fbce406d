/*
 * list.c - `inspect` with no command: the processes one could inspect.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "../attach/attach.h"

#include <pwd.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: inspect [list]\n"
	"\n"
	"List user-space processes: PID, parent PID, thread count, user and\n"
	"command line.  Nothing is stopped.  Then: inspect stack PID.\n";

int cmd_list(int argc, char **argv)
{
	struct proc_summary *v;
	ssize_t n, i;
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage_text, stdout);
		return cli_finish_output(0);
	}
	if (argc > 1 && !strcmp(argv[0], "list"))
		return usage_error("list", "takes no arguments ('%s' is extra)", argv[1]);
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
	return cli_finish_output(0);
}
