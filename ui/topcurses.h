/*
 * topcurses.h - the thin ncurses layer of `inspect top`: start, draw a
 * list of lines, read a key, stop.  Nothing else touches curses.
 */
#ifndef INSPECT_TOPCURSES_H
#define INSPECT_TOPCURSES_H

#include "toplayout.h"

int topc_start(int color);	/* 0, or -1 when the terminal cannot be used */
void topc_size(int *width, int *height);
void topc_draw(const struct top_line *lines, size_t n);
int topc_key(int timeout_ms);	/* a character, a TOPKEY_*, or TOPKEY_NONE */
/* Read a line at the bottom (the / filter); returns a new string or NULL
 * when cancelled with Esc. */
char *topc_prompt(const char *prompt);
void topc_stop(void);		/* restores the terminal; safe to call twice */

#endif
