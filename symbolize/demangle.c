/*
 * demangle.c - C++ and Rust names through libiberty's cplus_demangle,
 * the demangler binutils and gdb use: it knows the Itanium C++ ABI and
 * both Rust schemes (legacy, whose hash suffix it drops, and v0).
 */
#include "symbolize.h"
#include "../util/util.h"

#include <libiberty/demangle.h>
#include <stdlib.h>
#include <string.h>

char *demangle(const char *name)
{
	char *d;
	if (!name)
		return NULL;
	if (strncmp(name, "_Z", 2) && strncmp(name, "_R", 2))
		return xstrdup(name);
	d = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI);
	if (!d)
		return xstrdup(name);
	return d;
}
