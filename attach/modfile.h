/*
 * modfile.h - open the files behind a target's mappings (its modules,
 * and debug files beside them) without following anything the target
 * controls outside its own root.
 *
 * Order: /proc/PID/map_files/<range> (the very inode mapped; needs
 * CAP_SYS_ADMIN), else the mapping's path opened inside the target's
 * root (/proc/PID/root) with openat2: no symlinks (a path in maps has
 * them resolved already; one there now was planted since), no magic
 * links, non-blocking (a FIFO never hangs us), regular files only.
 *
 * Paths in /proc/PID/maps are written as the reader sees them: for a
 * chrooted target they carry the chroot's directory in front
 * ("/srv/jail/usr/lib/libc.so.6") while /proc/PID/root is that
 * directory.  That prefix is taken off before the path is looked up
 * inside the root.
 */
#ifndef INSPECT_MODFILE_H
#define INSPECT_MODFILE_H

#include "../model/model.h"

#include <stdint.h>

/* larger "libraries" are refused */
#define MODFILE_MAX_SIZE (4ull << 30)

struct modfiles {
	int mfd;		/* /proc/PID (or a live task's dir): not owned */
	int rootfd;		/* its root, O_PATH; -1 when unreadable */
	char *prefix;		/* the root as we see it, when not "/" */
	uint64_t max_size;	/* refuse larger files */
};

void modfiles_init(struct modfiles *f, int mm_dirfd, uint64_t max_size);
void modfiles_release(struct modfiles *f);

/* A path as the target names it (from its maps, or a debuglink beside
 * one), inside the target's root.  Returns an fd (blocking reads) or -1. */
int modfiles_open_path(const struct modfiles *f, const char *path);

/* The file behind the mapping [start, end) of path (NULL when it has
 * none); a file opened by path must have the mapping's inode. */
int modfiles_open_mapping(const struct modfiles *f, uint64_t start, uint64_t end,
			  const char *path, int deleted, uint64_t inode);

/* The same two, as the later stages take them (model.h): symbolize/
 * opens the target's files through this without knowing how. */
struct target_files modfiles_opener(const struct modfiles *f);

#endif
