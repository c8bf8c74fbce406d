/*
 * symcache.c - the symbol rows of a module's PCs, kept between runs, by
 * build ID.
 *
 * The first line lookup in a large debug file is the dearest step of a
 * symbolization: libdw reads every compilation unit's header to build
 * its address ranges (about 10 ms for glibc's, whatever the number of
 * PCs).  A build ID names one build of a module, and its PCs' rows never
 * change, so the rows of each PC that had source lines are written to
 * <build-id>.syms beside the uncompressed debug files (debugcache.c),
 * and a later run takes them from there without opening the debug file.
 *
 * Only rows with source lines are kept: a PC without them costs libdw
 * nothing much, and a debug file installed later then still counts.
 * The file is an accelerator like the rest of the cache: a file not
 * ours, not regular, too large or malformed is not used (a malformed
 * one is removed), and any failure to write only means no file.
 *
 * The rows are those of one file: a build ID can be forged (a container
 * may hold a "libc" of its own making), so the header names the module
 * file (device, inode, size, modification time), and rows of another
 * file with the same build ID replace the old ones rather than mix.
 *
 * Format, one record per PC, appended (one write per run and module):
 *   inspect-syms 1 <dev>:<inode>:<size>:<mtime, ns>
 *   <a|r><module offset, hex> <rows>
 *   <inlined 0|1> <function offset, hex> <line> <function> <file>
 * fields separated by tabs; a string is '=' and its text, or '-' for
 * none.  Texts with a tab or a newline are not kept.
 */
#define _GNU_SOURCE
#include "symbolize.h"
#include "../util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYMS_MAX_BYTES (4u << 20)
#define SYMS_MAGIC "inspect-syms 1 "

struct syms_entry {
	uint64_t key;		/* module offset << 1 | exact */
	struct symrow *rows;	/* function, file and the numbers only */
	size_t nrows;
};

struct symcache {
	char *path, *dir;
	char *header;		/* SYMS_MAGIC, the file's stamp, newline */
	int replace;		/* the file is another module's: rewrite it */
	struct syms_entry *v;	/* from the file, sorted by key */
	size_t n;
	struct sb pending;	/* records to append */
};

static void free_rows(struct symrow *rows, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		symrow_release(&rows[i]);
	free(rows);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct syms_entry *x = a, *y = b;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* '=' text or '-' (none), up to the next tab or the end of the line */
static int parse_text(char **s, char **out)
{
	char *p = *s, *end = p + strcspn(p, "\t\n");
	*out = NULL;
	if (*p == '=')
		*out = xstrndup(p + 1, end - p - 1);
	else if (*p != '-' || end != p + 1)
		return -1;
	*s = *end == '\t' ? end + 1 : end;
	return 0;
}

/* one row line; s moves past its newline */
static int parse_row(char **s, struct symrow *r)
{
	char *p = *s, *end;
	memset(r, 0, sizeof(*r));
	if ((*p != '0' && *p != '1') || p[1] != '\t')
		return -1;
	r->inlined = *p == '1';
	p += 2;
	r->function_offset = strtoull(p, &end, 16);
	if (end == p || *end != '\t')
		return -1;
	p = end + 1;
	r->line = (int)strtol(p, &end, 10);
	if (end == p || *end != '\t' || r->line < 0)
		return -1;
	p = end + 1;
	if (parse_text(&p, &r->function) < 0 || parse_text(&p, &r->file) < 0 || *p != '\n') {
		free(r->function);
		free(r->file);
		return -1;
	}
	*s = p + 1;
	return 0;
}

static int parse(struct symcache *c, char *buf)
{
	char *s = buf + strlen(c->header), *end;
	size_t cap = 0;
	if (strncmp(buf, c->header, strlen(c->header))) {
		/* the rows of another file of this build ID (or torn) */
		c->replace = 1;
		return 0;
	}
	while (*s) {
		struct syms_entry e;
		unsigned long long off;
		unsigned long nrows, i;
		if (*s != 'a' && *s != 'r')
			return -1;
		off = strtoull(s + 1, &end, 16);
		if (end == s + 1 || *end != '\t' || off >> 62)
			return -1;
		e.key = (uint64_t)off << 1 | (*s == 'a');
		s = end + 1;
		nrows = strtoul(s, &end, 10);
		if (end == s || *end != '\n' || !nrows || nrows > 64)
			return -1;
		s = end + 1;
		e.rows = xcalloc(nrows, sizeof(*e.rows));
		for (i = 0; i < nrows; i++)
			if (parse_row(&s, &e.rows[i]) < 0) {
				free_rows(e.rows, i);
				return -1;
			}
		e.nrows = nrows;
		grow((void **)&c->v, &cap, c->n, sizeof(*c->v));
		c->v[c->n++] = e;
	}
	qsort(c->v, c->n, sizeof(*c->v), cmp_entry);
	return 0;
}

struct symcache *symcache_open(const char *build_id, int module_fd)
{
	struct symcache *c;
	char *dir = NULL, *buf, *path;
	struct stat st;
	int fd;
	if (fstat(module_fd, &st) < 0 || !(path = debugcache_file(build_id, ".syms", &dir)))
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->path = path;
	c->dir = dir;
	c->header = xasprintf("%s%llx:%llu:%lld:%lld%09ld\n", SYMS_MAGIC,
			      (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
			      (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			      st.st_mtim.tv_nsec);
	fd = open(c->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return c;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_size > SYMS_MAX_BYTES) {
		close(fd);
		return c;	/* not used; not written to either (see flush) */
	}
	buf = xmalloc((size_t)st.st_size + 1);
	if (pread_file(fd, buf, (size_t)st.st_size + 1) != st.st_size || parse(c, buf) < 0) {
		size_t i;
		for (i = 0; i < c->n; i++)
			free_rows(c->v[i].rows, c->v[i].nrows);
		free(c->v);
		c->v = NULL;
		c->n = 0;
		unlink(c->path);	/* torn or foreign: made again */
	}
	free(buf);
	close(fd);
	return c;
}

int symcache_get(const struct symcache *c, uint64_t module_offset, int exact,
		 const struct symrow *base, struct symframe *sf)
{
	struct syms_entry key = { module_offset << 1 | !!exact, NULL, 0 }, *e;
	size_t i;
	if (!c || !c->n || !(e = bsearch(&key, c->v, c->n, sizeof(*c->v), cmp_entry)))
		return 0;
	sf->rows = xcalloc(e->nrows, sizeof(*sf->rows));
	sf->nrows = e->nrows;
	for (i = 0; i < e->nrows; i++) {
		/* the module's fields from base, the rest from the cache */
		struct symrow r = *base;
		r.function = e->rows[i].function;
		r.function_offset = e->rows[i].function_offset;
		r.file = e->rows[i].file;
		r.line = e->rows[i].line;
		r.inlined = e->rows[i].inlined;
		symrow_copy(&sf->rows[i], &r);
	}
	return 1;
}

static int keepable(const char *s)
{
	return !s || !strpbrk(s, "\t\n");
}

static void add_text(struct sb *sb, const char *s, char sep)
{
	if (s)
		sb_addf(sb, "=%s%c", s, sep);
	else
		sb_addf(sb, "-%c", sep);
}

void symcache_put(struct symcache *c, uint64_t module_offset, int exact,
		  const struct symframe *sf)
{
	size_t i;
	if (!c || !sf->nrows || sf->nrows > 64 || module_offset >> 62 || !sf->rows[sf->nrows - 1].file)
		return;		/* no source lines: not kept */
	for (i = 0; i < sf->nrows; i++)
		if (!keepable(sf->rows[i].function) || !keepable(sf->rows[i].file))
			return;
	sb_addf(&c->pending, "%c%llx\t%zu\n", exact ? 'a' : 'r',
		(unsigned long long)module_offset, sf->nrows);
	for (i = 0; i < sf->nrows; i++) {
		const struct symrow *r = &sf->rows[i];
		sb_addf(&c->pending, "%d\t%llx\t%d\t", r->inlined ? 1 : 0,
			(unsigned long long)r->function_offset, r->line < 0 ? 0 : r->line);
		add_text(&c->pending, r->function, '\t');
		add_text(&c->pending, r->file, '\n');
	}
}

/* Append what this run added, then free. */
void symcache_close(struct symcache *c)
{
	size_t i;
	if (!c)
		return;
	if (c->pending.len) {
		struct stat st;
		int fd = debugcache_mkdirs(c->dir) < 0 ? -1 :
			 open(c->path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
				       (c->replace ? O_TRUNC : O_APPEND), 0600);
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid() && st.st_size + c->pending.len <= SYMS_MAX_BYTES) {
			struct sb all = { 0 };
			if (st.st_size == 0) {
				debugcache_prune(c->dir, ".syms");	/* a new file */
				sb_adds(&all, c->header);
			}
			sb_adds(&all, c->pending.buf);
			/* one write: records of runs in parallel do not mix */
			if (write(fd, all.buf, all.len) != (ssize_t)all.len)
				(void)ftruncate(fd, st.st_size);
			sb_release(&all);
		}
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < c->n; i++)
		free_rows(c->v[i].rows, c->v[i].nrows);
	free(c->v);
	sb_release(&c->pending);
	free(c->header);
	free(c->path);
	free(c->dir);
	free(c);
}
