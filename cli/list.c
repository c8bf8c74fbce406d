/*
 * list.c - `inspect` with no command: the processes one could inspect.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "options.h"
#include "../attach/attach.h"
#include "../symbolize/symbolize.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "go1.22.5 github.com/x/y" for a Go program (from its executable's
 * .go.buildinfo, as gops shows it), "" otherwise; 1 when Go */
static int go_of(pid_t pid, char *buf, size_t size)
{
	char version[32];
	char *module = NULL;
	int fd = proc_open_exe(pid), is_go;
	buf[0] = '\0';
	if (fd < 0)
		return 0;
	is_go = go_file_release(fd, version, sizeof(version), &module);
	close(fd);
	if (is_go)
		snprintf(buf, size, "%s%s%s", version, module ? " " : "", module ? module : "");
	free(module);
	return is_go;
}

static int run_list(const struct command *cmd, int argc, char **argv)
{
	struct proc_summary *v;
	ssize_t n, i;
	int st, only_go = 0;
	const struct opt opts[] = {
		OPT_BOOL("go", &only_go, "only Go programs"),
		OPT_END(),
	};
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
		char user[32], go[256];
		int is_go;
		if (v[i].pid == getpid())
			continue;
		is_go = go_of(v[i].pid, go, sizeof(go));
		if (only_go && !is_go)
			continue;
		if (pw)
			snprintf(user, sizeof(user), "%.10s", pw->pw_name);
		else
			snprintf(user, sizeof(user), "%u", (unsigned)v[i].uid);
		printf("%7d %7d %7ld %-10s %s%s%s%s\n", (int)v[i].pid, (int)v[i].ppid, v[i].threads,
		       user, v[i].cmdline && *v[i].cmdline ? v[i].cmdline : v[i].comm,
		       is_go ? "  [" : "", go, is_go ? "]" : "");
	}
	proc_summaries_free(v, n);
	return EXIT_OK;
}

const struct command cmd_list = {
	.name = "list",
	.run = run_list,
	.summary = "list processes (the default with no command)",
	.synopsis = "inspect [list] [--go]",
	.description = "List user-space processes: PID, parent PID, thread count, user and\n"
		"command line, and for a Go program its Go release and main module\n"
		"(\"[go1.22.5 github.com/x/y]\", from its executable).  Nothing is\n"
		"stopped.  Then: inspect stack PID.",
};
