/*
 * toplayout.h - what `inspect top` shows, as plain lines of text.  The
 * layout is plain code (tests reach it without a terminal); cli/top.c
 * prints the lines (--batch) or hands them to a thin ncurses layer.
 */
#ifndef INSPECT_UI_TOP_H
#define INSPECT_UI_TOP_H

#include "../model/top.h"
#include "../util/util.h"

struct top_view {
	int per_thread;
	enum top_sort sort;
	const char *filter;
	double interval, stack_interval;
	size_t selected;	/* row index (interactive) */
	size_t scroll;		/* first row shown */
	int paused;
	int utf8;		/* sparkline blocks, else ASCII */
	int interactive;	/* show the key hint line */
	int go;			/* a Go program's goroutine groups, not its threads */
	int threads_view;	/* a Go program's threads asked for (t) */
};

struct top_line {
	char *text;
	int attr;		/* TOP_A_* */
};

enum { TOP_A_NORMAL, TOP_A_HEADER, TOP_A_TITLE, TOP_A_SELECTED, TOP_A_HOT, TOP_A_WARN };

/* Lay out the whole screen (height 0: no limit).  Returns the number of
 * lines; *lines and each text are malloc'd (free with top_lines_free).
 * *header is set to the number of lines above the rows. */
size_t top_layout(const struct top_state *s, const struct top_row *rows, size_t nrows,
		  const struct top_view *v, int width, int height, struct top_line **lines,
		  size_t *header);
void top_lines_free(struct top_line *lines, size_t n);

/* The stack of one row, as lines (the detail view). */
size_t top_stack_lines(const struct top_state *s, const struct top_row *row, int width,
		       struct top_line **lines);

/* ---- the keys (topkeys.c) ----------------------------------------------
 * One table says which key does what, in which view; the key handling
 * in cli/top.c, the help screen, the footer and `inspect top --help`
 * are all made from it. */

/* The keys besides characters, as topcurses.c reads them */
enum { TOPKEY_NONE = -1, TOPKEY_UP = 0x1000, TOPKEY_DOWN, TOPKEY_PGUP, TOPKEY_PGDN,
       TOPKEY_HOME, TOPKEY_END, TOPKEY_ENTER, TOPKEY_BACK, TOPKEY_ESC, TOPKEY_RESIZE };

enum top_action {
	TOPACT_NONE, TOPACT_UP, TOPACT_DOWN, TOPACT_PGUP, TOPACT_PGDN, TOPACT_HOME,
	TOPACT_END, TOPACT_STACK, TOPACT_BACK, TOPACT_CLEAR_FILTER, TOPACT_THREADS,
	TOPACT_SORT, TOPACT_FILTER, TOPACT_PAUSE, TOPACT_SLOWER, TOPACT_FASTER,
	TOPACT_KSTACKS, TOPACT_HELP, TOPACT_QUIT
};

/* What key does in the rows view, or in the stack view (in_stack) */
enum top_action top_key_action(int key, int in_stack);

/* The help screen. */
size_t top_help_lines(struct top_line **lines);
/* "Keys: arrows, Enter (stack), ...", for --help */
void top_keys_summary(struct sb *sb);
/* the footer: "q quit  Enter stack  ..." */
void top_keys_hint(struct sb *sb);
/* the help screen's key rows into v (room for n): how many */
size_t top_keys_help(char (*v)[96], size_t n);

#endif
