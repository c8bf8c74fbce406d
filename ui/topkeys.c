/*
 * topkeys.c - the keys of `inspect top`: see toplayout.h.
 */
#include "toplayout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IN_ROWS 1
#define IN_STACK 2

struct top_key {
	enum top_action action;
	int keys[3];		/* 0 ends the list */
	int where;		/* IN_ROWS, IN_STACK */
	const char *label;	/* the keys as the help screen names them */
	const char *help;	/* what they do; NULL: the row above says it */
	const char *word;	/* the short of it, for --help; NULL: none */
	int footer;		/* the label and word are in the footer */
};

static const struct top_key keys[] = {
	{ TOPACT_QUIT, { 'q', 'Q' }, IN_ROWS | IN_STACK, "q", "quit",
	  "quit", 1 },
	{ TOPACT_UP, { TOPKEY_UP }, IN_ROWS, "Up/Down PgUp/PgDn Home/End", "move",
	  NULL, 0 },
	{ TOPACT_DOWN, { TOPKEY_DOWN }, IN_ROWS, NULL, NULL,
	  NULL, 0 },
	{ TOPACT_PGUP, { TOPKEY_PGUP }, IN_ROWS, NULL, NULL,
	  NULL, 0 },
	{ TOPACT_PGDN, { TOPKEY_PGDN }, IN_ROWS, NULL, NULL,
	  NULL, 0 },
	{ TOPACT_HOME, { TOPKEY_HOME }, IN_ROWS, NULL, NULL,
	  NULL, 0 },
	{ TOPACT_END, { TOPKEY_END }, IN_ROWS, NULL, NULL,
	  NULL, 0 },
	{ TOPACT_STACK, { TOPKEY_ENTER }, IN_ROWS, "Enter", "the full stack of the row",
	  "stack", 1 },
	{ TOPACT_BACK, { TOPKEY_ESC, TOPKEY_BACK }, IN_STACK, "Esc, Backspace", "back",
	  "back", 0 },
	{ TOPACT_THREADS, { 't' }, IN_ROWS, "t", "threads / groups",
	  "threads", 1 },
	{ TOPACT_SORT, { 's' }, IN_ROWS, "s", "sort: count, CPU, blocked time, name",
	  "sort", 1 },
	{ TOPACT_FILTER, { '/' }, IN_ROWS, "/",
	  "filter by function, name or wait kind (Esc clears)",
	  "filter", 1 },
	{ TOPACT_CLEAR_FILTER, { TOPKEY_ESC }, IN_ROWS, NULL, NULL,
	  NULL, 0 },
	{ TOPACT_PAUSE, { 'p' }, IN_ROWS, "p", "pause / resume refreshing",
	  "pause", 1 },
	{ TOPACT_SLOWER, { '+' }, IN_ROWS, "+/-", "refresh interval",
	  "interval", 1 },
	{ TOPACT_FASTER, { '-' }, IN_ROWS, NULL, NULL,
	  NULL, 0 },
	{ TOPACT_KSTACKS, { 'k' }, IN_ROWS | IN_STACK, "k", "kernel stacks in the stack view",
	  "kernel stacks", 0 },
	{ TOPACT_HELP, { '?', 'h' }, IN_ROWS, "?", "this help",
	  "help", 1 },
};

#define NKEYS (sizeof(keys) / sizeof(*keys))

enum top_action top_key_action(int key, int in_stack)
{
	size_t i, k;
	int where = in_stack ? IN_STACK : IN_ROWS;
	for (i = 0; i < NKEYS; i++)
		for (k = 0; k < 3 && keys[i].keys[k]; k++)
			if (keys[i].keys[k] == key && keys[i].where & where)
				return keys[i].action;
	return TOPACT_NONE;
}

/* The footer of the rows view: "q quit  Enter stack  ..." */
void top_keys_hint(struct sb *sb)
{
	size_t i;
	for (i = 0; i < NKEYS; i++)
		if (keys[i].footer)
			sb_addf(sb, "%s%s %s", sb->len ? "  " : "", keys[i].label, keys[i].word);
}

void top_keys_summary(struct sb *sb)
{
	size_t i, line = 0;
	sb_adds(sb, "Keys: arrows");
	for (i = 0; i < NKEYS; i++) {
		size_t before = sb->len;
		if (!keys[i].word)
			continue;
		sb_addf(sb, ", %s (%s)", keys[i].label, keys[i].word);
		/* a new line before an item that would pass column 72 */
		if (sb->len - line > 72) {
			char *item = xstrdup(sb->buf + before + 2);
			sb->len = before;
			sb->buf[sb->len] = '\0';
			sb_addf(sb, ",\n%s", item);
			line = before + 2;
			free(item);
		}
	}
	sb_adds(sb, ".");
}

/* the help screen's rows of keys, into v (at least NKEYS): their count */
size_t top_keys_help(char (*v)[96], size_t n)
{
	size_t i, k = 0;
	for (i = 0; i < NKEYS && k < n; i++)
		if (keys[i].help)
			snprintf(v[k++], sizeof(*v), "  %-29s%s", keys[i].label, keys[i].help);
	return k;
}
