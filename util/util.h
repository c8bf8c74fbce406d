/*
 * util.h - small helpers shared by every layer: allocation that cannot
 * fail silently, a growable string, monotonic time, whole-file reads.
 *
 * Allocation failure aborts: an inspector that cannot allocate a few
 * bytes cannot report anything useful, and abort() never harms the
 * target (the kernel detaches a dying tracer's tracees).
 */
#ifndef INSPECT_UTIL_H
#define INSPECT_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* n elements of size bytes: aborts when n * size overflows, as when the
 * memory cannot be had.  0 elements give a valid pointer, as xmalloc's
 * 0 bytes do. */
void *xmalloc_array(size_t n, size_t size);
void *xrealloc_array(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* n bytes as lower-case hex, a new string */
char *hex_string(const unsigned char *b, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *v (of *cap elements of size elem) so that index `need` fits. */
void grow(void **v, size_t *cap, size_t need, size_t elem);

/* A growable string.  { 0 } is an empty one; its buf is NULL until the
 * first add, so print an sb that may be empty with sb_str(). */
struct sb {
	char *buf;
	size_t len, cap;
};
#define sb_str(sb) ((sb)->buf ? (sb)->buf : "")
void sb_addf(struct sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_adds(struct sb *sb, const char *s);
char *sb_detach(struct sb *sb);	/* returns buf ("" if empty); sb is reset */
void sb_release(struct sb *sb);

/* A bump allocator: many small blocks, freed all at once.  The stack
 * copies are made while threads are held, and a malloc per thread there
 * (in a thread's own arena, grown page by page with mprotect) was a
 * system call per thread of the hold. */
struct arena {
	struct arena_chunk *head;
};
void *arena_alloc(struct arena *a, size_t n);	/* 16-byte aligned */
/* Room for n bytes of arena_alloc in one chunk, made before the threads
 * are held: its pages are in place, no page fault while they are held. */
void arena_reserve(struct arena *a, size_t n);
void arena_release(struct arena *a);

/* Make the next `bytes` of malloc come from pages already in place.  A
 * first touch of a page costs a fault, each one microseconds on a
 * virtual machine; one madvise(MADV_POPULATE_WRITE) puts them all in at
 * a fraction of that, on transparent huge pages where the heap spans
 * them (see arena_add in util.c).  Best effort. */
void heap_prefault(size_t bytes);

uint64_t now_ns(void);		/* CLOCK_MONOTONIC */
/* CLOCK_REALTIME now + ns, for the timed waits (pthread_timedjoin_np) */
struct timespec;
void deadline_ts(struct timespec *ts, uint64_t ns);

/* Read at most size-1 bytes of dirfd/path into buf, NUL-terminated.
 * Meant for small /proc files: a read that ends in a newline with room
 * to spare is taken as the whole file.  Returns the byte count, or -1
 * with errno set. */
ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t size);
/* The same for an open file, read from its start (a /proc file kept
 * open is generated afresh by each read at offset 0). */
ssize_t pread_file(int fd, char *buf, size_t size);

/* Read a whole file (up to max bytes) into a new buffer; *len set.
 * Returns NULL with errno set on failure. */
char *slurp_at(int dirfd, const char *path, size_t max, size_t *len);

/* Strictly parse a decimal PID/TID ("123"); returns -1 when invalid. */
pid_t parse_pid(const char *s);

#endif
