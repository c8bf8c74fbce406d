/*
 * inspect.c - entry point and command table.
 *
 *   inspect                 list processes
 *   inspect stack PID       the grouped stack dump
 *   inspect --version
 */
#define _GNU_SOURCE
#include "cli.h"
#include "../attach/attach.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct command *const commands[] = {
	&cmd_stack, &cmd_top, &cmd_count, &cmd_list,
};

void error(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("inspect: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "inspect %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'inspect %s --help'.\n", cmd);
	return EXIT_USAGE;
}

int cli_check_proc(void)
{
	char buf[64];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
	if (n <= 0) {
		error("/proc is not mounted: inspect reads processes through /proc");
		return EXIT_INTERNAL;
	}
	buf[n] = '\0';
	if (parse_pid(buf) != getpid()) {
		error("the /proc mounted here belongs to another PID namespace "
		      "(it says we are %s, we are %d); mount a /proc for this "
		      "namespace (unshare --mount-proc) or run inspect outside it",
		      buf, (int)getpid());
		return EXIT_UNSUPPORTED;
	}
	return 0;
}

int cli_use_color(FILE *f, const char *when)
{
	const char *nc = getenv("NO_COLOR");
	if (when && !strcmp(when, "always"))
		return 1;
	if (when && !strcmp(when, "never"))
		return 0;
	if (nc && *nc)
		return 0;
	return isatty(fileno(f));
}

int cli_finish_output(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == EPIPE)
			return status;	/* the reader went away: not our error */
		error("could not write the output: %s", strerror(errno));
		return status ? status : EXIT_INTERNAL;
	}
	return status;
}

static void main_usage(FILE *f)
{
	size_t i;
	fputs("usage: inspect [COMMAND] [OPTIONS] [PID]\n"
	      "       inspect --version\n\n"
	      "Look inside a running process without preparing it: every thread's\n"
	      "stack, what it waits on, grouped.\n\ncommands:\n", f);
	for (i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\nRun 'inspect COMMAND --help' for a command's options; see inspect(1).\n", f);
}

/* What every command needs, as its flags say, then the command, then
 * the check that its output was written. */
static int run_command(const struct command *cmd, int argc, char **argv)
{
	if (cmd->flags & CMD_HOLDS)
		capture_install_signal_handlers();
	return cli_finish_output(cmd->run(cmd, argc, argv));
}

static char *debuginfod_urls;

const char *cli_debuginfod_urls(void)
{
	return debuginfod_urls && *debuginfod_urls ? debuginfod_urls : NULL;
}

int main(int argc, char **argv)
{
	size_t i;
	/* symbolizing never goes to the network behind the user's back:
	 * the servers are kept for stack --debuginfod alone */
	if (getenv("DEBUGINFOD_URLS"))
		debuginfod_urls = xstrdup(getenv("DEBUGINFOD_URLS"));
	unsetenv("DEBUGINFOD_URLS");
	if (argc < 2)
		return run_command(&cmd_list, argc, argv);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("inspect %s\n", INSPECT_VERSION);
		return cli_finish_output(0);
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		main_usage(stdout);
		return cli_finish_output(0);
	}
	for (i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (!strcmp(argv[1], commands[i]->name))
			return run_command(commands[i], argc - 1, argv + 1);
	if (parse_pid(argv[1]) > 0) {
		fprintf(stderr, "inspect: '%s' is not a command; to see its threads run: "
			"inspect stack %s\n", argv[1], argv[1]);
		return EXIT_USAGE;
	}
	fprintf(stderr, "inspect: '%s' is not a command\n\n", argv[1]);
	main_usage(stderr);
	return EXIT_USAGE;
}
