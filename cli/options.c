/*
 * options.c - see options.h.
 */
#define _GNU_SOURCE
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* getopt_long's value of option i of the table */
#define OPT_VAL(i) (256 + (int)(i))

static size_t count_opts(const struct opt *opts)
{
	size_t n = 0;
	while (opts[n].kind != OPT_KIND_END)
		n++;
	return n;
}

/* "-d SECONDS", "--max-depth N", "-h, --help" */
static void label(const struct opt *o, char *buf, size_t size)
{
	const char *a = o->arg ? o->arg : "";
	const char *sp = o->arg ? " " : "";
	if (o->name && o->short_name)
		snprintf(buf, size, "-%c, --%s%s%s", o->short_name, o->name, sp, a);
	else if (o->name)
		snprintf(buf, size, "--%s%s%s", o->name, sp, a);
	else
		snprintf(buf, size, "-%c%s%s", o->short_name, sp, a);
}

static void print_help_line(FILE *f, const char *lab, int col, const char *help)
{
	const char *s = help, *nl;
	fprintf(f, "  %-*s%s", col - 2, lab, (int)strlen(lab) > col - 3 ? "\n" : "");
	if ((int)strlen(lab) > col - 3)
		fprintf(f, "%*s", col, "");
	for (;;) {
		nl = strchr(s, '\n');
		fprintf(f, "%.*s\n", nl ? (int)(nl - s) : (int)strlen(s), s);
		if (!nl)
			break;
		s = nl + 1;
		fprintf(f, "%*s", col, "");
	}
}

void cli_usage(FILE *f, const struct command *cmd, const struct opt *opts)
{
	static const struct opt help = { OPT_KIND_BOOL, "help", 'h', NULL, NULL, 0, 0, NULL,
					 NULL, NULL, "this help" };
	size_t i, n = opts ? count_opts(opts) : 0;
	char lab[96];
	int col = 22;
	for (i = 0; i < n; i++) {
		int w;
		if (!opts[i].help)
			continue;
		label(&opts[i], lab, sizeof(lab));
		w = (int)strlen(lab) + 4;
		if (w > col && w <= 30)
			col = w;
	}
	fprintf(f, "usage: %s\n\n%s\n", cmd->synopsis, cmd->description);
	if (cmd->more_help)
		cmd->more_help(f);
	if (cmd->flags & CMD_NEED_PID || n) {
		fputc('\n', f);
		for (i = 0; i < n; i++) {
			if (!opts[i].help)
				continue;
			label(&opts[i], lab, sizeof(lab));
			print_help_line(f, lab, col, opts[i].help);
		}
		label(&help, lab, sizeof(lab));
		print_help_line(f, lab, col, help.help);
	}
	if (cmd->exits)
		fprintf(f, "\n%s\n", cmd->exits);
}

/* "--max-depth", "-d": the option as the user wrote it */
static void spelled(const struct opt *o, char *buf, size_t size)
{
	if (o->name)
		snprintf(buf, size, "--%s", o->name);
	else
		snprintf(buf, size, "-%c", o->short_name);
}

static int take_number(const struct opt *o, const char *arg, struct sb *err)
{
	char *end;
	errno = 0;
	if (o->kind == OPT_KIND_NUM) {
		long v = strtol(arg, &end, 10);
		if (*arg && !*end && !errno && v >= o->lo && v <= o->hi) {
			*(long *)o->value = v;
			return 0;
		}
		sb_addf(err, "takes %s from %ld to %ld", o->unit, (long)o->lo, (long)o->hi);
	} else {
		double v = strtod(arg, &end);
		if (*arg && !*end && !errno && v >= o->lo && v <= o->hi) {
			*(double *)o->value = v;
			return 0;
		}
		sb_addf(err, "takes %s from %g to %g", o->unit, o->lo, o->hi);
	}
	return -1;
}

static int take_choice(const struct opt *o, const char *arg, struct sb *err)
{
	size_t i, n;
	for (n = 0; o->choices[n]; n++)
		if (!strcmp(o->choices[n], arg)) {
			*(int *)o->value = (int)n;
			return 0;
		}
	sb_adds(err, "takes ");
	for (i = 0; i < n; i++)
		sb_addf(err, "%s%s", i ? (i + 1 == n ? " or " : ", ") : "", o->choices[i]);
	return -1;
}

/* Option o with its argument: 0, or the usage error's status */
static int take(const struct command *cmd, const struct opt *o, const char *arg)
{
	struct sb why = { 0 };
	char name[64];
	int rc = 0;
	switch (o->kind) {
	case OPT_KIND_BOOL: *(int *)o->value = 1; return 0;
	case OPT_KIND_STRING: *(const char **)o->value = arg; return 0;
	case OPT_KIND_NUM: case OPT_KIND_SECONDS: rc = take_number(o, arg, &why); break;
	case OPT_KIND_CHOICE: rc = take_choice(o, arg, &why); break;
	case OPT_KIND_FN: rc = o->fn(arg, o->value, &why); break;
	case OPT_KIND_END: break;
	}
	if (!rc) {
		sb_release(&why);
		return 0;
	}
	spelled(o, name, sizeof(name));
	if (o->kind == OPT_KIND_FN)
		rc = usage_error(cmd->name, "%s: %s", name, sb_str(&why));
	else
		rc = usage_error(cmd->name, "%s %s, not '%s'", name, sb_str(&why), arg);
	sb_release(&why);
	return rc;
}

int cli_parse(const struct command *cmd, const struct opt *opts, int argc, char **argv,
	      pid_t *pid)
{
	size_t n = opts ? count_opts(opts) : 0, i;
	struct option *lo = xcalloc(n + 2, sizeof(*lo));
	struct sb shorts = { 0 };
	int c, rc = -1;
	sb_adds(&shorts, "+h");
	for (i = 0; i < n; i++) {
		lo[i].name = opts[i].name ? opts[i].name : "";
		lo[i].has_arg = opts[i].kind == OPT_KIND_BOOL ? no_argument : required_argument;
		lo[i].val = OPT_VAL(i);
		if (opts[i].short_name)
			sb_addf(&shorts, "%c%s", opts[i].short_name,
				opts[i].kind == OPT_KIND_BOOL ? "" : ":");
	}
	lo[n].name = "help";
	lo[n].val = 'h';
	optind = 1;
	opterr = 0;
	while (rc < 0 && (c = getopt_long(argc, argv, shorts.buf, lo, NULL)) != -1) {
		const struct opt *o = NULL;
		if (c == 'h') {
			cli_usage(stdout, cmd, opts);
			rc = 0;
			break;
		}
		if (c >= OPT_VAL(0) && c < OPT_VAL(n))
			o = &opts[c - OPT_VAL(0)];
		for (i = 0; !o && c > 0 && c < 256 && i < n; i++)
			if (opts[i].short_name == c)
				o = &opts[i];
		if (!o) {
			rc = usage_error(cmd->name, "unknown option, or an option without its "
					 "value: '%s'", argv[optind - 1]);
			break;
		}
		if (take(cmd, o, optarg))
			rc = EXIT_USAGE;
	}
	free(lo);
	sb_release(&shorts);
	if (rc >= 0)
		return rc;
	if (!(cmd->flags & CMD_NEED_PID)) {
		if (optind < argc)
			return usage_error(cmd->name, "takes no arguments ('%s' is extra)",
					   argv[optind]);
		return -1;
	}
	if (optind >= argc)
		return usage_error(cmd->name, "which process? give its PID");
	if (optind + 1 < argc)
		return usage_error(cmd->name, "one PID at a time ('%s' is extra)", argv[optind + 1]);
	if ((*pid = parse_pid(argv[optind])) <= 0)
		return usage_error(cmd->name, "'%s' is not a process ID (a positive number)",
				   argv[optind]);
	return -1;
}
