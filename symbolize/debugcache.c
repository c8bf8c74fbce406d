/*
 * debugcache.c - uncompressed copies of separate debug files, by build ID.
 *
 * Distributions ship debug files (libc6-dbg, *-dbgsym) with compressed
 * .debug_* sections, and libdw inflates every one of them each time it
 * opens the file: about 80 ms for glibc's, the largest single cost of
 * `inspect stack` on 1,000 threads.  So the first inspection that needs
 * such a file writes an uncompressed copy, named by build ID, under
 * $INSPECT_CACHE_DIR (default $XDG_CACHE_HOME/inspect, else
 * ~/.cache/inspect); later ones map the copy.
 *
 * The cache is only an accelerator: any failure (no home, read-only,
 * full disk, a bad or foreign file) falls back to the original file.  A
 * copy is used only when it is a regular file of ours whose build ID is
 * the one asked for; copies are written to a temporary name and renamed;
 * the least recently used are removed beyond CACHE_MAX_FILES.
 */
#define _GNU_SOURCE
#include "symbolize.h"
#include "../util/util.h"

#include <dirent.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_MAX_FILES 64
#define CACHE_MAX_BYTES (2ull << 30)	/* never inflate beyond this */

/* The cache directory, or NULL when caching is off. */
static char *debugcache_dir(void)
{
	const char *e = getenv("INSPECT_CACHE_DIR"), *h;
	if (e)
		return *e ? xstrdup(e) : NULL;
	if ((e = getenv("XDG_CACHE_HOME")) && *e == '/')
		return xasprintf("%s/inspect", e);
	if ((h = getenv("HOME")) && *h == '/')
		return xasprintf("%s/.cache/inspect", h);
	return NULL;
}

/* mkdir -p with mode 0700 for what we create */
int debugcache_mkdirs(const char *dir)
{
	char *d = xstrdup(dir), *s;
	int ok = 0;
	for (s = d + 1;; s++) {
		if (*s == '/' || !*s) {
			char c = *s;
			*s = '\0';
			if (mkdir(d, 0700) < 0 && errno != EEXIST)
				ok = -1;
			*s = c;
			if (!c || ok < 0)
				break;
		}
	}
	free(d);
	return ok;
}

static int same_build_id(Elf *e, const unsigned char *bits, int n)
{
	const void *id;
	ssize_t len = dwelf_elf_gnu_build_id(e, &id);
	return len == n && !memcmp(id, bits, (size_t)n);
}

int debugfile_has_build_id(int fd, const unsigned char *bits, int n)
{
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	int same = e && elf_kind(e) == ELF_K_ELF && same_build_id(e, bits, n);
	if (e)
		elf_end(e);
	return same;
}

/* Uncompressed size of the file's compressed sections, 0 if none, or
 * (size_t)-1 when it is not worth it or not possible. */
static size_t inflated_size(Elf *e)
{
	Elf_Scn *scn = NULL;
	size_t total = 0;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		GElf_Chdr ch;
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_COMPRESSED))
			continue;
		if (!gelf_getchdr(scn, &ch) || ch.ch_type != ELFCOMPRESS_ZLIB)
			return (size_t)-1;
		total += ch.ch_size;
		if (total > CACHE_MAX_BYTES)
			return (size_t)-1;
	}
	return total;
}

/* Open a cached copy if it is ours, sound and the right one. */
static int open_cached(const char *path, const unsigned char *bits, int n)
{
	struct stat st;
	Elf *e;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return -1;
	}
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || !same_build_id(e, bits, n) || inflated_size(e) != 0) {
		if (e)
			elf_end(e);
		close(fd);
		unlink(path);	/* a stale or torn copy: made again below */
		return -1;
	}
	elf_end(e);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	futimens(fd, NULL);	/* recently used */
	return fd;
}

static int copy_file(int in, int out)
{
	char buf[1 << 16];
	off_t off = 0;
	for (;;) {
		ssize_t r = pread(in, buf, sizeof(buf), off), w = 0;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		while (w < r) {
			ssize_t k = write(out, buf + w, (size_t)(r - w));
			if (k <= 0)
				return -1;
			w += k;
		}
		off += r;
	}
}

/* Keep the newest CACHE_MAX_FILES files named *suffix (by last use). */
void debugcache_prune(const char *dir, const char *suffix)
{
	size_t sl = strlen(suffix);
	DIR *d = opendir(dir);
	struct dirent *de;
	struct { char *name; time_t t; } *v = NULL;
	size_t n = 0, cap = 0, i;
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		size_t l = strlen(de->d_name);
		if (l <= sl || strcmp(de->d_name + l - sl, suffix) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		grow((void **)&v, &cap, n, sizeof(*v));
		v[n].name = xstrdup(de->d_name);
		v[n].t = st.st_mtime;
		n++;
	}
	while (n > CACHE_MAX_FILES) {
		size_t old = 0;
		for (i = 1; i < n; i++)
			if (v[i].t < v[old].t)
				old = i;
		unlinkat(dirfd(d), v[old].name, 0);
		free(v[old].name);
		v[old] = v[--n];
	}
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	closedir(d);
}

/* Write the uncompressed copy of fd to path; 0 on success. */
static int make_copy(int fd, const char *dir, const char *path)
{
	char *tmp = xasprintf("%s/.new-XXXXXX", dir);
	int out = -1, ok = -1;
	Elf *e = NULL;
	Elf_Scn *scn = NULL;
	if (debugcache_mkdirs(dir) < 0 || (out = mkstemp(tmp)) < 0)
		goto done;
	if (copy_file(fd, out) < 0)
		goto done;
	elf_version(EV_CURRENT);
	if (!(e = elf_begin(out, ELF_C_RDWR, NULL)))
		goto done;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_COMPRESSED) &&
		    elf_compress(scn, 0, 0) < 0)
			goto done;
	}
	if (elf_update(e, ELF_C_WRITE) < 0)
		goto done;
	elf_end(e);
	e = NULL;
	if (rename(tmp, path) == 0)
		ok = 0;
done:
	if (e)
		elf_end(e);
	if (out >= 0)
		close(out);
	if (ok < 0)
		unlink(tmp);
	free(tmp);
	return ok;
}

char *debugcache_file(const char *build_id, const char *suffix, char **dirp)
{
	char *dir;
	if (!build_id || !*build_id || strlen(build_id) > 128 || strchr(build_id, '/') ||
	    !(dir = debugcache_dir()))
		return NULL;
	*dirp = dir;
	return xasprintf("%s/%s%s", dir, build_id, suffix);
}

/* the copy's file for a build ID, or NULL when caching is off */
static char *cache_path(const unsigned char *bits, int n, char **dirp)
{
	char *hex, *path;
	if (n <= 0 || n > 64)
		return NULL;
	hex = hex_string(bits, (size_t)n);
	path = debugcache_file(hex, ".debug", dirp);
	free(hex);
	return path;
}

int debugcache_open(const unsigned char *bits, int n)
{
	char *dir, *path = cache_path(bits, n, &dir);
	int fd;
	if (!path)
		return -1;
	fd = open_cached(path, bits, n);
	free(path);
	free(dir);
	return fd;
}

void debugcache_add(int fd, const unsigned char *bits, int n)
{
	char *dir, *path = cache_path(bits, n, &dir);
	Elf *e;
	size_t need;
	if (!path)
		return;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	need = e && elf_kind(e) == ELF_K_ELF && same_build_id(e, bits, n) ?
	       inflated_size(e) : (size_t)-1;
	if (e)
		elf_end(e);
	/* nothing to inflate, or not the file it claims to be */
	if (need != 0 && need != (size_t)-1 && make_copy(fd, dir, path) == 0)
		debugcache_prune(dir, ".debug");
	free(path);
	free(dir);
}
