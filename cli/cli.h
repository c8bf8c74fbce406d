/*
 * cli.h - the command table, exit statuses and the few helpers every
 * command shares.  Only cli/ prints errors or exits.
 *
 * To add a command: write cli/NAME.c exporting
 *     int cmd_NAME(int argc, char **argv);
 * (argv[0] is the command name; return the exit status), declare it
 * below, add a row to `commands[]` in cli/inspect.c, document it in
 * man/inspect.1 and give it a tests/tNNNN-NAME.sh.
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
	EXIT_INTERNAL = 70,	/* a bug or an unexpected system error */
	EXIT_SIGNAL = 128,	/* + the signal that stopped the inspector */
};

int cmd_stack(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_count(int argc, char **argv);
int cmd_top(int argc, char **argv);

/* Print "inspect: <msg>" on stderr. */
void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "inspect CMD: <msg>" and a hint to --help; return EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse a PID argument; prints the error and returns -1 when invalid. */
pid_t cli_parse_pid(const char *cmd, const char *arg);

/* Parse a whole decimal number in [lo, hi]; 0 or -1. */
int cli_parse_num(const char *s, long lo, long hi, long *out);

/* Check that /proc is the one of our PID namespace. 0 or exit status. */
int cli_check_proc(void);

/* Whether to colour output on this stream (--color WHEN, NO_COLOR). */
int cli_use_color(FILE *f, const char *when);

/* Flush stdout and report a write error (EPIPE included). */
int cli_finish_output(int status);

#endif
