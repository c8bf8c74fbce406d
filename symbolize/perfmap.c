/*
 * perfmap.c - a JIT's perf map; see perfmap.h.
 *
 * The file is the target's and untrusted: every line is checked, a bad
 * one skipped, names are cut at 512 bytes, ranges that wrap are dropped.
 */
#define _GNU_SOURCE
#include "perfmap.h"
#include "../util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct perfmap_entry {
	uint64_t start, end;
	size_t line;		/* later lines win */
	char *name;
};

struct perfmap {
	pid_t pid;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct perfmap_entry *v;
	size_t n;
};

/* the one kept: `inspect top` symbolizes the same process again */
static struct perfmap cache;

static void clear(struct perfmap *m)
{
	size_t i;
	for (i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static int cmp_entry(const void *a, const void *b)
{
	const struct perfmap_entry *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* "3ef414c0 398 LazyCompile:~f /app/x.js:1": start, size, the rest */
static int parse_line(char *s, size_t lineno, struct perfmap_entry *e)
{
	char *end, *name;
	size_t len;
	e->start = strtoull(s, &end, 16);
	if (end == s || *end != ' ')
		return -1;
	s = end + 1;
	e->end = strtoull(s, &end, 16);
	if (end == s || *end != ' ' || !e->end || e->start + e->end < e->start)
		return -1;
	e->end += e->start;
	name = end + 1;
	len = strcspn(name, "\n");
	if (!len)
		return -1;
	if (len > 512)
		len = 512;
	e->name = xstrndup(name, len);
	e->line = lineno;
	return 0;
}

/* the lines of f, at most `limit` bytes (the size it had: a JIT may
 * append while it is read) */
static void load(struct perfmap *m, FILE *f, off_t limit)
{
	char buf[1024];
	size_t nalloc = 0, lineno = 0, i, k = 0;
	while (ftello(f) < limit && fgets(buf, sizeof(buf), f)) {
		struct perfmap_entry e;
		int whole = strchr(buf, '\n') != NULL;
		lineno++;
		if (parse_line(buf, lineno, &e) == 0) {
			grow((void **)&m->v, &nalloc, m->n, sizeof(*m->v));
			m->v[m->n++] = e;
		}
		/* the rest of a line longer than buf is not a line of its own */
		while (!whole && fgets(buf, sizeof(buf), f))
			whole = strchr(buf, '\n') != NULL;
	}
	if (!m->n)
		return;
	qsort(m->v, m->n, sizeof(*m->v), cmp_entry);
	/* of the lines for one start, the last */
	for (i = 0; i < m->n; i++) {
		if (i + 1 < m->n && m->v[i + 1].start == m->v[i].start) {
			free(m->v[i].name);
			continue;
		}
		m->v[k++] = m->v[i];
	}
	m->n = k;
}

const struct perfmap *perfmap_of(const struct process *p, const struct target_files *files)
{
	char path[64];
	struct stat st;
	FILE *f;
	int fd;
	if (!p->nspid || !files || !files->open_path)
		return NULL;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)p->nspid);
	fd = files->open_path(files->ctx, path);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != p->uid ||
	    st.st_size > (off_t)PERFMAP_MAX_SIZE) {
		close(fd);
		return NULL;
	}
	if (cache.pid == p->pid && cache.dev == st.st_dev && cache.ino == st.st_ino &&
	    cache.size == st.st_size && cache.mtime.tv_sec == st.st_mtim.tv_sec &&
	    cache.mtime.tv_nsec == st.st_mtim.tv_nsec) {
		close(fd);
		return &cache;
	}
	clear(&cache);
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		return NULL;
	}
	cache.pid = p->pid;
	cache.dev = st.st_dev;
	cache.ino = st.st_ino;
	cache.size = st.st_size;
	cache.mtime = st.st_mtim;
	load(&cache, f, st.st_size);
	fclose(f);
	return &cache;
}

const char *perfmap_find(const struct perfmap *m, uint64_t pc, uint64_t *start)
{
	size_t lo = 0, hi = m ? m->n : 0;
	/* the last entry that starts at or below pc */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->v[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || pc >= m->v[lo - 1].end)
		return NULL;
	*start = m->v[lo - 1].start;
	return m->v[lo - 1].name;
}
