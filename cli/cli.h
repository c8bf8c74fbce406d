/*
 * cli.h - the command table, exit statuses and the few helpers every
 * command shares.  Only cli/ prints errors or exits.
 *
 * To add a command: write cli/NAME.c exporting its struct command (its
 * name, flags, help texts and run function, below), which parses its
 * options with cli_parse (options.h) and returns the exit status;
 * declare it below, add it to `commands[]` in cli/inspect.c, document
 * it in man/inspect.1 and give it a tests/tNNNN-NAME.sh.  The
 * dispatcher there does what the flags ask before it runs the command,
 * and reports a failed write of stdout after it.
 */
#ifndef INSPECT_CLI_H
#define INSPECT_CLI_H

#include <stdio.h>
#include <sys/types.h>
#include "../util/util.h"

#define INSPECT_VERSION "0.1.0"

/* Exit statuses: a contract, documented in man/inspect.1 EXIT STATUS. */
enum {
	EXIT_OK = 0,		/* everything shown */
	EXIT_PARTIAL = 1,	/* shown, but some threads lack a full stack
				   (count: a --max/--expect check failed) */
	EXIT_NOSTACKS = 2,	/* only the /proc view: no user stacks */
	EXIT_NOPROC = 3,	/* no such process (or it exited) */
	EXIT_PERM = 4,		/* not permitted */
	EXIT_UNSUPPORTED = 5,	/* kernel thread, zombie, foreign arch */
	EXIT_USAGE = 64,	/* bad command line */
	EXIT_OUTPUT = 73,	/* an output file could not be written */
	EXIT_INTERNAL = 70,	/* a bug or an unexpected system error */
	EXIT_SIGNAL = 128,	/* + the signal that stopped the inspector */
};

#define CMD_NEED_PID (1u << 0)	/* one PID after the options (cli_parse) */
#define CMD_HOLDS (1u << 1)	/* may hold the target: SIGINT, SIGTERM and
				   SIGHUP wait until every thread is
				   released (capture_install_signal_handlers) */

struct command {
	const char *name;
	/* argv[0] is the command's name; returns the exit status */
	int (*run)(const struct command *cmd, int argc, char **argv);
	unsigned flags;		/* CMD_* */
	const char *summary;	/* one line, for `inspect --help` */
	const char *synopsis;	/* "inspect stack [OPTIONS] PID" */
	const char *description;	/* --help: before the options */
	const char *exits;	/* --help: the exit statuses, after them */
	void (*more_help)(FILE *f);	/* --help: after the description */
};

extern const struct command cmd_stack, cmd_top, cmd_count, cmd_list;

/* Print "inspect: <msg>" on stderr. */
void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "inspect CMD: <msg>" and a hint to --help; return EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Check that /proc is the one of our PID namespace. 0 or exit status. */
int cli_check_proc(void);

/* Whether to colour output on this stream (--color WHEN, NO_COLOR). */
int cli_use_color(FILE *f, const char *when);

/* Flush stdout and report a write error (EPIPE included). */
int cli_finish_output(int status);
/* DEBUGINFOD_URLS as it was when inspect started (main takes it out of
 * the environment), or NULL */
const char *cli_debuginfod_urls(void);

#endif
