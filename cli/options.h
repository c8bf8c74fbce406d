/*
 * options.h - a command's options as data: one table parses them,
 * checks their values and prints --help, as git's parse-options does.
 *
 *   long max_depth = 256;
 *   int json = 0;
 *   const struct opt opts[] = {
 *       OPT_BOOL("json", &json, "one JSON object"),
 *       OPT_NUM("max-depth", "N", &max_depth, 1, 1000000, "a number",
 *               "at most N frames per thread (default 256)"),
 *       OPT_END(),
 *   };
 *   if ((st = cli_parse(cmd, opts, argc, argv, &pid)) >= 0)
 *       return st;
 *
 * A help text runs on over lines that begin with '\n'.
 */
#ifndef INSPECT_OPTIONS_H
#define INSPECT_OPTIONS_H

#include "cli.h"

enum opt_kind {
	OPT_KIND_END,
	OPT_KIND_BOOL,		/* int: set to 1 */
	OPT_KIND_NUM,		/* long in [lo, hi] */
	OPT_KIND_SECONDS,	/* double in [lo, hi] */
	OPT_KIND_CHOICE,	/* int: the index of the value in choices */
	OPT_KIND_STRING,	/* const char *: the argument itself */
	OPT_KIND_FN,		/* fn(arg, value, err): 0, or -1 with the reason */
};

struct opt {
	enum opt_kind kind;
	const char *name;	/* the long name, or NULL */
	int short_name;		/* or 0 */
	const char *arg;	/* the value's name in --help ("N"); NULL: none */
	void *value;
	double lo, hi;		/* NUM, SECONDS */
	const char *unit;	/* NUM, SECONDS: what the value is ("milliseconds") */
	const char *const *choices;	/* CHOICE, NULL at the end */
	int (*fn)(const char *arg, void *value, struct sb *err);	/* FN */
	const char *help;	/* NULL: an alias, left out of --help */
};

#define OPT_BOOL(n, v, h) { OPT_KIND_BOOL, n, 0, NULL, v, 0, 0, NULL, NULL, NULL, h }
#define OPT_NUM(n, a, v, l, u, unit, h) { OPT_KIND_NUM, n, 0, a, v, l, u, unit, NULL, NULL, h }
#define OPT_SECONDS(n, s, a, v, l, u, h) \
	{ OPT_KIND_SECONDS, n, s, a, v, l, u, "seconds", NULL, NULL, h }
#define OPT_CHOICE(n, a, v, c, h) { OPT_KIND_CHOICE, n, 0, a, v, 0, 0, NULL, c, NULL, h }
#define OPT_STRING(n, a, v, h) { OPT_KIND_STRING, n, 0, a, v, 0, 0, NULL, NULL, NULL, h }
#define OPT_FN(n, a, v, f, h) { OPT_KIND_FN, n, 0, a, v, 0, 0, NULL, NULL, f, h }
#define OPT_END() { OPT_KIND_END, NULL, 0, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL }

/* Parse argv (argv[0] is the command's name) by opts and cmd's flags:
 * CMD_NEED_PID takes exactly one PID after the options, into *pid;
 * otherwise no argument is taken.  -h and --help print the command's
 * usage.  Returns -1 to go on, else the exit status to return at once
 * (0 after --help; EXIT_USAGE after a message on stderr). */
int cli_parse(const struct command *cmd, const struct opt *opts, int argc, char **argv,
	      pid_t *pid);

/* The command's usage on f: synopsis, description, options, exits */
void cli_usage(FILE *f, const struct command *cmd, const struct opt *opts);

#endif
