/*
 * util.c - see util.h.
 */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <malloc.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static void *check(void *p)
{
	if (!p) {
		fputs("inspect: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xmalloc(size_t n) { return check(malloc(n ? n : 1)); }
void *xcalloc(size_t n, size_t size) { return check(calloc(n ? n : 1, size ? size : 1)); }
void *xrealloc(void *p, size_t n) { return check(realloc(p, n ? n : 1)); }
void *xmalloc_array(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		check(NULL);
	return xmalloc(n * size);
}

void *xrealloc_array(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		check(NULL);
	return xrealloc(p, n * size);
}

char *xstrdup(const char *s) { return check(strdup(s ? s : "")); }
char *xstrndup(const char *s, size_t n) { return check(strndup(s ? s : "", n)); }

char *hex_string(const unsigned char *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = xmalloc(2 * n + 1);
	size_t i;
	for (i = 0; i < n; i++) {
		s[2 * i] = digits[b[i] >> 4];
		s[2 * i + 1] = digits[b[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return check(s);
}

void grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t n;
	if (need < *cap)
		return;
	n = *cap ? *cap * 2 : 16;
	while (n <= need)
		n *= 2;
	*v = xrealloc(*v, n * elem);
	memset((char *)*v + *cap * elem, 0, (n - *cap) * elem);
	*cap = n;
}

static void sb_vaddf(struct sb *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	grow((void **)&sb->buf, &sb->cap, sb->len + n + 1, 1);
	vsnprintf(sb->buf + sb->len, n + 1, fmt, ap);
	sb->len += n;
}

void sb_addf(struct sb *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

void sb_adds(struct sb *sb, const char *s)
{
	size_t n = strlen(s);
	grow((void **)&sb->buf, &sb->cap, sb->len + n + 1, 1);
	memcpy(sb->buf + sb->len, s, n + 1);
	sb->len += n;
}

char *sb_detach(struct sb *sb)
{
	char *s = sb->buf ? sb->buf : xstrdup("");
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return s;
}

void sb_release(struct sb *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	uint8_t *data;
};

#define ARENA_CHUNK (256u << 10)

#define HUGE (2u << 20)

/*
 * Chunks are populated at once (MADV_POPULATE_WRITE): the kernel fills in
 * all their pages in one call, where touching them one by one costs a
 * page fault each.  A chunk of 1 MiB or more is also laid out on
 * transparent huge pages where the system allows them (madvise mode, as
 * Debian sets it): where page tables are shadowed (a virtual machine),
 * each 4 KiB page costs microseconds again at the first access from the
 * kernel (process_vm_readv writing a stack copy) and again from user
 * space (the unwinder reading it); a 2 MiB page costs that once.
 */
static void arena_add(struct arena *a, size_t size)
{
	struct arena_chunk *c = xmalloc(sizeof(*c));
	size_t map;
	uint8_t *m;
	size = (size + 4095) & ~(size_t)4095;
	if (size >= (1u << 20)) {
		size = (size + HUGE - 1) & ~(size_t)(HUGE - 1);
		map = size + HUGE;
	} else {
		map = size;
	}
	m = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "inspect: out of memory (%zu bytes)\n", size);
		abort();
	}
	c->data = m;
	if (map > size) {
		/* keep the 2 MiB-aligned part, give back the rest */
		uint8_t *al = (uint8_t *)(((uintptr_t)m + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
		if (al > m)
			munmap(m, al - m);
		if (m + map > al + size)
			munmap(al + size, m + map - (al + size));
		c->data = al;
		madvise(al, size, MADV_HUGEPAGE);
	}
	if (madvise(c->data, size, MADV_POPULATE_WRITE) < 0) {
		/* before Linux 5.14: touch each page */
		size_t i;
		for (i = 0; i < size; i += 4096)
			c->data[i] = 0;
	}
	c->size = size;
	c->used = 0;
	c->next = a->head;
	a->head = c;
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c;
	void *r;
	n = (n + 15) & ~(size_t)15;
	if (!a->head || a->head->size - a->head->used < n)
		arena_add(a, n > ARENA_CHUNK ? n : ARENA_CHUNK);
	c = a->head;
	r = c->data + c->used;
	c->used += n;
	return r;
}

void arena_reserve(struct arena *a, size_t n)
{
	if (!a->head || a->head->size - a->head->used < n)
		arena_add(a, n);
}

void arena_release(struct arena *a)
{
	while (a->head) {
		struct arena_chunk *c = a->head;
		a->head = c->next;
		munmap(c->data, c->size);
		free(c);
	}
}

void heap_prefault(size_t bytes)
{
	static int tuned;
	char *p, *end;
	uintptr_t from;
	if (!tuned) {
		/* one heap for every thread (the capture thread's own arena
		 * would fault page by page), big blocks from it too, and
		 * nothing given back to the kernel until we exit */
		mallopt(M_ARENA_MAX, 1);
		mallopt(M_MMAP_THRESHOLD, 64 << 20);
		mallopt(M_TRIM_THRESHOLD, 1 << 30);
		tuned = 1;
	}
	if (bytes > (1u << 30) || !(p = malloc(bytes)))
		return;
	end = sbrk(0);
	from = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	free(p);		/* back to the top of the heap, pages and all */
	/* only a block that came from the brk heap (not under a sanitizer's
	 * or valgrind's allocator) */
	if (end != (char *)-1 && (uintptr_t)end > from && (uintptr_t)end - from <= bytes + (16u << 20)) {
		/* huge pages where the heap spans them (see arena_add) */
		madvise((void *)from, (uintptr_t)end - from, MADV_HUGEPAGE);
		madvise((void *)from, (uintptr_t)end - from, MADV_POPULATE_WRITE);
	}
}

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

void deadline_ts(struct timespec *ts, uint64_t ns)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)(ns / 1000000000u);
	ts->tv_nsec += (long)(ns % 1000000000u);
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

ssize_t pread_file(int fd, char *buf, size_t size)
{
	ssize_t n, total = 0;
	while ((size_t)total + 1 < size) {
		n = pread(fd, buf + total, size - 1 - total, total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		total += n;
		/* a /proc file that fits comes whole, ending in a newline: spare
		 * the read that would only say end-of-file */
		if ((size_t)total + 1 < size && buf[total - 1] == '\n')
			break;
	}
	buf[total] = '\0';
	return total;
}

ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	ssize_t total;
	int saved;
	if (fd < 0)
		return -1;
	total = pread_file(fd, buf, size);
	saved = errno;
	close(fd);
	errno = saved;
	return total;
}

char *slurp_at(int dirfd, const char *path, size_t max, size_t *len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	size_t cap = 0, n = 0;
	char *buf = NULL;
	ssize_t r;
	int saved;
	if (fd < 0)
		return NULL;
	for (;;) {
		grow((void **)&buf, &cap, n + 4096, 1);
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			free(buf);
			close(fd);
			errno = saved;
			return NULL;
		}
		if (r == 0 || n + r >= max)
			break;
		n += r;
	}
	if (r > 0)
		n += r;
	if (n > max)
		n = max;
	buf[n] = '\0';
	close(fd);
	if (len)
		*len = n;
	return buf;
}

pid_t parse_pid(const char *s)
{
	long v = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -1;
	}
	return v > 0 ? (pid_t)v : -1;
}
