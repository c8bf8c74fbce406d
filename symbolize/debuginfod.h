/*
 * debuginfod.h - debug files fetched by build ID from the servers in
 * DEBUGINFOD_URLS, only when asked (stack --debuginfod): libdebuginfod,
 * loaded then and only then (it brings libcurl and some 25 libraries
 * more, a start-up cost no other run pays), with one time limit for
 * the whole run.
 */
#ifndef INSPECT_DEBUGINFOD_H
#define INSPECT_DEBUGINFOD_H

#include <stdint.h>
#include "../util/util.h"

struct debuginfod_opts {
	const char *urls;	/* the servers (DEBUGINFOD_URLS); NULL: never ask */
	double timeout_s;	/* for every fetch of the run together */
	struct sb *log;		/* a line per file fetched, not found, timed out */
};

/* The debug file of module `name` whose build ID is id[0..n), as an fd
 * (its path in the client's cache in *path), or -1 */
int debuginfod_fetch(const struct debuginfod_opts *o, const unsigned char *id, int n,
		     const char *name, char **path);

/* The run's fetching is over: the client goes (nothing is fetched after) */
void debuginfod_finish(void);

#endif
