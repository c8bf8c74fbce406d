/*
 * maps.c - /proc/PID/maps: the parser, and the check that the code the
 * unwinder read is still mapped where it was.
 */
#define _GNU_SOURCE
#include "attach.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* A hex or decimal number at *s, which moves past it */
static int num(const char **s, int base, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;
	for (;; p++) {
		int d, ch = *p | 32;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else
			break;
		x = x * base + d;
	}
	if (p == *s)
		return -1;
	*v = x;
	*s = p;
	return 0;
}

static int skip(const char **s, char c)
{
	if (**s != c)
		return -1;
	(*s)++;
	return 0;
}

/* "start-end perms offset major:minor inode   path": by hand, as sscanf
 * took 0.5 us a line, and a process has two lines per thread stack
 * (1 ms a read at 1,000 threads, read twice per dump) */
int proc_parse_maps_line(char *line, struct mapping *m)
{
	const char *s = line;
	uint64_t maj, min;
	size_t i, l;
	memset(m, 0, sizeof(*m));
	if (num(&s, 16, &m->start) || skip(&s, '-') || num(&s, 16, &m->end) || skip(&s, ' '))
		return -1;
	for (i = 0; i < 4 && *s && *s != ' '; i++)
		m->perms[i] = *s++;
	if (skip(&s, ' ') || num(&s, 16, &m->offset) || skip(&s, ' ') ||
	    num(&s, 16, &maj) || skip(&s, ':') || num(&s, 16, &min) || skip(&s, ' ') ||
	    num(&s, 10, &m->inode))
		return -1;
	m->dev_major = maj;
	m->dev_minor = min;
	while (*s == ' ')
		s++;
	if (!*s)
		return 0;
	m->path = line + (s - line);
	l = strlen(m->path);
	if (l > 10 && !strcmp(m->path + l - 10, " (deleted)")) {
		m->path[l - 10] = '\0';
		m->deleted = 1;
	}
	return 0;
}

static void maps_add(struct maps *m, size_t *cap, char *line)
{
	struct mapping mp;
	if (proc_parse_maps_line(line, &mp) < 0)
		return;
	if (mp.path)
		mp.path = xstrdup(mp.path);
	grow((void **)&m->v, cap, m->n, sizeof(*m->v));
	m->v[m->n++] = mp;
}

/* Parsed as read, 64 KiB at a time: at 10,000 threads the file is 1.5
 * MiB, a buffer that would otherwise sit in the heap beside its 20,000
 * parsed lines (each MiB of heap costs 1-2 ms to fault in on a virtual
 * machine whose host took the memory back). */
#define MAPS_CHUNK (64u << 10)

int maps_read(int pfd, struct maps *m)
{
	int fd = openat(pfd, "maps", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), saved;
	int skip = 0;		/* in a line longer than the buffer: dropped */
	char *buf;
	size_t have = 0, cap = 0;
	if (fd < 0)
		return -1;
	buf = xmalloc(MAPS_CHUNK + 1);
	for (;;) {
		ssize_t r = read(fd, buf + have, MAPS_CHUNK - have);
		char *line = buf, *nl;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			saved = errno;
			free(buf);
			close(fd);
			errno = saved;
			return -1;
		}
		have += (size_t)r;
		buf[have] = '\0';
		for (; (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			if (!skip)
				maps_add(m, &cap, line);
			skip = 0;
		}
		if (!r) {
			if (*line && !skip)
				maps_add(m, &cap, line);
			break;
		}
		/* a line cut short waits for the rest */
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == MAPS_CHUNK) {
			skip = 1;
			have = 0;
		}
	}
	free(buf);
	close(fd);
	/* the room grown for more, given back: later blocks take it */
	if (m->n && cap > m->n)
		m->v = xrealloc_array(m->v, m->n, sizeof(*m->v));
	return 0;
}

/* PROCMAP_QUERY (linux/fs.h, Linux 6.11): the mapping at one address,
 * asked of an open maps file, for headers that lack it */
struct procmap_query {
	uint64_t size, query_flags, query_addr;
	uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};
#define PROCMAP_QUERY_IOCTL _IOWR('f', 17, struct procmap_query)

/*
 * The same check, one question per executable file mapping: at 10,000
 * threads the maps file has 20,000 lines, 9 ms to read, where the few
 * mappings that matter take microseconds.  1 same, 0 changed, -1 when
 * the kernel does not answer such questions (before 6.11).
 */
static int maps_unchanged_query(int dirfd, const struct maps *before)
{
	int fd = openat(dirfd, "maps", O_RDONLY | O_CLOEXEC), same = 1;
	size_t i;
	if (fd < 0)
		return -1;
	for (i = 0; i < before->n && same; i++) {
		const struct mapping *m = &before->v[i];
		struct procmap_query q;
		if (m->perms[2] != 'x' || !m->inode)
			continue;
		memset(&q, 0, sizeof(q));
		q.size = sizeof(q);
		q.query_addr = m->start;
		if (ioctl(fd, PROCMAP_QUERY_IOCTL, &q) < 0) {
			if (errno != ENOENT) {
				close(fd);
				return -1;
			}
			same = 0;	/* nothing mapped there now */
			break;
		}
		same = q.vma_start == m->start && q.vma_end == m->end && q.inode == m->inode;
	}
	close(fd);
	return same;
}

int proc_maps_unchanged(int pfd, const struct process *p)
{
	struct maps now = { 0 };
	size_t i, j, k = 0;
	int same = 1;
	int fd = p->mm_dirfd > 0 ? p->mm_dirfd : pfd;
	if ((same = maps_unchanged_query(fd, &p->maps)) >= 0)
		return same;
	same = 1;
	if (maps_read(fd, &now) < 0)
		return 0;
	/* both lists are sorted by address */
	for (i = 0; i < p->maps.n && same; i++) {
		const struct mapping *m = &p->maps.v[i];
		if (m->perms[2] != 'x' || !m->inode)
			continue;
		while (k < now.n && now.v[k].start < m->start)
			k++;
		same = k < now.n && now.v[k].start == m->start && now.v[k].end == m->end &&
		       now.v[k].inode == m->inode;
	}
	for (j = 0; j < now.n; j++)
		free(now.v[j].path);
	free(now.v);
	return same;
}

int proc_read_maps(struct process *p)
{
	if (p->maps.n)
		return 0;
	return maps_read(p->mm_dirfd > 0 ? p->mm_dirfd : p->pid_dirfd, &p->maps);
}
