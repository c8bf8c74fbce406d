/*
 * modfile.c - the files behind a target's mappings; see modfile.h.
 */
#define _GNU_SOURCE
#include "modfile.h"
#include "../util/util.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void modfiles_init(struct modfiles *f, int mm_dirfd, uint64_t max_size)
{
	char buf[PATH_MAX];
	ssize_t n;
	memset(f, 0, sizeof(*f));
	f->mfd = mm_dirfd;
	f->max_size = max_size;
	f->rootfd = openat(mm_dirfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	n = readlinkat(mm_dirfd, "root", buf, sizeof(buf) - 1);
	if (n > 1 && buf[0] == '/') {
		buf[n] = '\0';
		f->prefix = xstrdup(buf);
	}
}

void modfiles_release(struct modfiles *f)
{
	if (f->rootfd >= 0)
		close(f->rootfd);
	free(f->prefix);
	memset(f, 0, sizeof(*f));
	f->rootfd = -1;
}

/* a regular file of sane size, made blocking again for libelf */
static int check_file(const struct modfiles *f, int fd, uint64_t inode)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > f->max_size || (inode && (uint64_t)st.st_ino != inode)) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static int open_in_root(const struct modfiles *f, const char *path)
{
	struct open_how how;
	if (f->rootfd < 0 || path[0] != '/')
		return -1;
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS;
	return (int)syscall(SYS_openat2, f->rootfd, path, &how, sizeof(how));
}

static int open_path(const struct modfiles *f, const char *path, uint64_t inode)
{
	int fd = -1;
	if (f->prefix) {
		size_t k = strlen(f->prefix);
		if (!strncmp(path, f->prefix, k) && path[k] == '/')
			fd = open_in_root(f, path + k);
	}
	if (fd < 0)
		fd = open_in_root(f, path);
	return fd < 0 ? -1 : check_file(f, fd, inode);
}

int modfiles_open_path(const struct modfiles *f, const char *path)
{
	return open_path(f, path, 0);
}

int modfiles_open_mapping(const struct modfiles *f, uint64_t start, uint64_t end,
			  const char *path, int deleted, uint64_t inode)
{
	char name[64];
	int fd;
	snprintf(name, sizeof(name), "map_files/%llx-%llx", (unsigned long long)start,
		 (unsigned long long)end);
	fd = openat(f->mfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0 && (fd = check_file(f, fd, 0)) >= 0)
		return fd;
	if (deleted || !path)
		return -1;
	return open_path(f, path, inode);
}

static int opener_mapping(const void *ctx, const struct mapping *m)
{
	return modfiles_open_mapping(ctx, m->start, m->end, m->path, m->deleted, m->inode);
}

static int opener_path(const void *ctx, const char *path)
{
	return modfiles_open_path(ctx, path);
}

struct target_files modfiles_opener(const struct modfiles *f)
{
	struct target_files t = { f, opener_mapping, opener_path };
	return t;
}
