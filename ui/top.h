/*
 * top.h (ui) - what `inspect top` shows, as plain lines of text.  The
 * layout is plain code (tests reach it without a terminal); cli/top.c
 * prints the lines (--batch) or hands them to a thin ncurses layer.
 */
#ifndef INSPECT_UI_TOP_H
#define INSPECT_UI_TOP_H

#include "../model/top.h"

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

/* The help screen. */
size_t top_help_lines(struct top_line **lines);

#endif
