/*
 * debuginfod.c - see debuginfod.h.
 */
#define _GNU_SOURCE
#include "debuginfod.h"

#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
	int tried;
	void *lib;
	debuginfod_client *(*begin)(void);
	int (*find)(debuginfod_client *, const unsigned char *, int, char **);
	void (*progress)(debuginfod_client *, debuginfod_progressfn_t);
	void (*end)(debuginfod_client *);
	debuginfod_client *client;
	uint64_t deadline;	/* now_ns() past which nothing is asked */
	int spent;		/* the deadline passed: said once */
} d;

/* a download past the run's deadline is given up */
static int progress(debuginfod_client *c, long a, long b)
{
	return now_ns() >= d.deadline;
}

static int load(const struct debuginfod_opts *o)
{
	d.tried = 1;
	d.deadline = now_ns() + (uint64_t)(o->timeout_s * 1e9);
	if (!(d.lib = dlopen(DEBUGINFOD_SONAME, RTLD_NOW | RTLD_LOCAL))) {
		sb_addf(o->log, "inspect: debuginfod: %s cannot be loaded (%s): nothing fetched\n",
			DEBUGINFOD_SONAME, dlerror());
		return -1;
	}
	*(void **)&d.begin = dlsym(d.lib, "debuginfod_begin");
	*(void **)&d.find = dlsym(d.lib, "debuginfod_find_debuginfo");
	*(void **)&d.progress = dlsym(d.lib, "debuginfod_set_progressfn");
	*(void **)&d.end = dlsym(d.lib, "debuginfod_end");
	if (!d.begin || !d.find || !d.progress || !d.end) {
		sb_addf(o->log, "inspect: debuginfod: %s lacks the functions it should have: nothing "
			"fetched\n", DEBUGINFOD_SONAME);
		return -1;
	}
	/* the servers are set for the client alone: libdw never sees them */
	setenv("DEBUGINFOD_URLS", o->urls, 1);
	d.client = d.begin();
	unsetenv("DEBUGINFOD_URLS");
	if (!d.client) {
		sb_addf(o->log, "inspect: debuginfod: the client could not start: nothing fetched\n");
		return -1;
	}
	d.progress(d.client, progress);
	return 0;
}

void debuginfod_finish(void)
{
	if (d.client)
		d.end(d.client);
	d.client = NULL;
}

int debuginfod_fetch(const struct debuginfod_opts *o, const unsigned char *id, int n,
		     const char *name, char **path)
{
	char *hex, secs[32];
	uint64_t t0 = now_ns();
	int fd;
	if (!o || !o->urls || n <= 0)
		return -1;
	if (!d.tried && load(o) < 0)
		return -1;
	if (!d.client)
		return -1;
	hex = hex_string(id, (size_t)n);
	if (t0 >= d.deadline) {
		if (!d.spent)
			sb_addf(o->log, "inspect: debuginfod: the time limit of %g s is spent: no more "
				"debug files asked for (next: %s, build ID %s)\n", o->timeout_s,
				name, hex);
		d.spent = 1;
		free(hex);
		return -1;
	}
	/* what is left of the time limit, for the connection and the
	 * transfer (libdebuginfod reads these at each query) */
	snprintf(secs, sizeof(secs), "%llu",
		 (unsigned long long)((d.deadline - t0 + 999999999) / 1000000000));
	setenv("DEBUGINFOD_URLS", o->urls, 1);
	setenv("DEBUGINFOD_TIMEOUT", secs, 1);
	setenv("DEBUGINFOD_MAXTIME", secs, 1);
	fd = d.find(d.client, id, n, path);
	unsetenv("DEBUGINFOD_URLS");
	if (fd >= 0)
		sb_addf(o->log, "inspect: debuginfod: fetched the debug file of %s (build ID %s) in %.2f s: "
			"%s\n", name, hex, (now_ns() - t0) / 1e9, *path ? *path : "");
	else if (now_ns() >= d.deadline || fd == -ETIME || fd == -ETIMEDOUT)
		sb_addf(o->log, "inspect: debuginfod: timed out fetching the debug file of %s (build ID "
			"%s) after %.2f s (--debuginfod-timeout %g)\n", name, hex,
			(now_ns() - t0) / 1e9, o->timeout_s);
	else
		sb_addf(o->log, "inspect: debuginfod: no server has the debug file of %s (build ID %s): "
			"%s\n", name, hex, strerror(-fd));
	free(hex);
	return fd >= 0 ? fd : -1;
}
