/*
 * topcurses.c - see topcurses.h.  Drawn with erase() and one refresh()
 * per frame, which curses turns into the minimal update: no flicker.
 */
#include "topcurses.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

static int active, colors;

int topc_start(int color)
{
	if (!initscr())
		return -1;
	active = 1;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	colors = color && has_colors();
	if (colors) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_CYAN, -1);
		init_pair(2, COLOR_RED, -1);
		init_pair(3, COLOR_YELLOW, -1);
	}
	return 0;
}

void topc_size(int *width, int *height)
{
	getmaxyx(stdscr, *height, *width);
}

static int attr_of(int a)
{
	switch (a) {
	case TOP_A_TITLE: return A_BOLD;
	case TOP_A_HEADER: return A_REVERSE;
	case TOP_A_SELECTED: return A_REVERSE | A_BOLD;
	case TOP_A_HOT: return colors ? COLOR_PAIR(2) | A_BOLD : A_BOLD;
	case TOP_A_WARN: return colors ? COLOR_PAIR(3) : A_NORMAL;
	}
	return A_NORMAL;
}

void topc_draw(const struct top_line *lines, size_t n)
{
	int w, h;
	size_t i;
	getmaxyx(stdscr, h, w);
	erase();
	for (i = 0; i < n && (int)i < h; i++) {
		attrset(attr_of(lines[i].attr));
		mvaddnstr((int)i, 0, lines[i].text, w);
		if (lines[i].attr == TOP_A_HEADER || lines[i].attr == TOP_A_SELECTED)
			for (int x = (int)strlen(lines[i].text); x < w; x++)
				mvaddch((int)i, x, ' ');
	}
	attrset(A_NORMAL);
	refresh();
}

int topc_key(int timeout_ms)
{
	int c;
	timeout(timeout_ms);
	c = getch();
	switch (c) {
	case ERR: return TOPKEY_NONE;
	case KEY_UP: return TOPKEY_UP;
	case KEY_DOWN: return TOPKEY_DOWN;
	case KEY_PPAGE: return TOPKEY_PGUP;
	case KEY_NPAGE: return TOPKEY_PGDN;
	case KEY_HOME: return TOPKEY_HOME;
	case KEY_END: return TOPKEY_END;
	case KEY_ENTER: case '\n': case '\r': return TOPKEY_ENTER;
	case KEY_BACKSPACE: case 127: case 8: return TOPKEY_BACK;
	case 27: return TOPKEY_ESC;
	case KEY_RESIZE: return TOPKEY_RESIZE;
	}
	return c;
}

char *topc_prompt(const char *prompt)
{
	char buf[128];
	size_t n = 0;
	int w, h, c;
	getmaxyx(stdscr, h, w);
	(void)w;
	curs_set(1);
	for (;;) {
		buf[n] = '\0';
		move(h - 1, 0);
		clrtoeol();
		attrset(A_BOLD);
		printw("%s%s", prompt, buf);
		attrset(A_NORMAL);
		refresh();
		timeout(-1);
		c = getch();
		if (c == 27) {
			curs_set(0);
			return NULL;
		}
		if (c == '\n' || c == '\r' || c == KEY_ENTER)
			break;
		if ((c == KEY_BACKSPACE || c == 127 || c == 8) && n > 0)
			n--;
		else if (c >= 32 && c < 127 && n + 1 < sizeof(buf))
			buf[n++] = (char)c;
	}
	curs_set(0);
	return strdup(buf);
}

void topc_stop(void)
{
	if (!active)
		return;
	active = 0;
	curs_set(1);
	endwin();
}
