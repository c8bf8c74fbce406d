/*
 * symbolize.h - turn PCs into functions, source lines and inline chains.
 *
 * Runs only after every thread of the target has been released.
 * Module files are opened so that a container's files, a deleted or
 * replaced binary, a planted symlink or a FIFO cannot mislead or hang
 * us: /proc/PID/map_files/ first (needs CAP_SYS_ADMIN or
 * CAP_CHECKPOINT_RESTORE), else openat2() under /proc/PID/root with
 * RESOLVE_IN_ROOT and no symlinks followed (the maps path has them
 * resolved already), O_NONBLOCK, regular files only, inode checked
 * against the mapping.  libdwfl then reads .symtab/.dynsym, separate
 * debug files (build-id under /usr/lib/debug/.build-id, .gnu_debuglink)
 * and MiniDebugInfo (.gnu_debugdata, xz via libdwfl's lzma support).
 */
#ifndef INSPECT_SYMBOLIZE_H
#define INSPECT_SYMBOLIZE_H

#include "../model/model.h"

struct symbolize_opts {
	int raw;		/* keep mangled names */
	/* an earlier report of the same process (inspect top): a PC whose
	 * mapping is unchanged takes its rows from there */
	const struct process *cache;
	/* stack --debuginfod: where missing debug files are fetched from;
	 * NULL: never (symbolize/debuginfod.h) */
	const struct debuginfod_opts *debuginfod;
};

/* Symbolize every distinct PC of every thread into p->sym_pcs/p->syms,
 * opening the module files through `files` (attach/modfile.c opens them
 * as described above).  Never fails as a whole: a PC that cannot be
 * resolved keeps its module and offset. */
void symbolize_process(struct process *p, const struct target_files *files,
		       const struct symbolize_opts *o);

/* Go programs (goruntime.c).  analyse: read the executable's Go tables
 * and fill p->go (is_go, version, layout, allgs, wait reasons, or
 * not_shown saying why there will be no goroutines); before the capture.
 * The tables stay open, for frames_of (the unwinders) and symbolize
 * (names), until tables_close.  go_symbolize: the rows of a PC in the
 * Go executable (exact: not a return address), at most max; 0 when the
 * pclntab does not cover it. */
void go_analyse(struct process *p, const struct target_files *files);
struct go_frames go_frames_of(const struct process *p);
size_t go_symbolize(const struct process *p, uint64_t pc, int exact, struct symrow *rows,
		    size_t max);
void go_tables_close(struct process *p);
/* Whether the executable open at fd is a Go program; its release
 * ("go1.22.5", "go?" when it does not say) into version, its main
 * module's path (or NULL) into *module, a new string.  Reads the file
 * alone (the process list, as gops lists Go processes). */
int go_file_release(int fd, char *version, size_t size, char **module);

/* The cache of uncompressed debug files (debugcache.c).  open: a
 * descriptor of the cached copy for build ID bits[0..n), or -1.  add:
 * cache a copy of debug file fd when its sections are compressed; any
 * failure only means no copy. */
int debugcache_open(const unsigned char *bits, int n);
void debugcache_add(int fd, const unsigned char *bits, int n);
/* The cache directory ($INSPECT_CACHE_DIR, $XDG_CACHE_HOME/inspect,
 * ~/.cache/inspect).  file: dir/<build_id><suffix>, and dir in *dirp;
 * NULL when caching is off or build_id (hex) is not a plain name.
 * mkdirs: mkdir -p it (0700).  prune: keep its newest 64 files named
 * *suffix. */
char *debugcache_file(const char *build_id, const char *suffix, char **dirp);
int debugcache_mkdirs(const char *dir);
void debugcache_prune(const char *dir, const char *suffix);

/* The rows of a module's PCs from earlier runs (symcache.c), by build ID
 * (hex) and module file (module_fd).  open: NULL when caching is off.
 * get: fill sf with the rows of the PC at module_offset (exact: not a
 * return address), the module fields taken from base; 1 when found.
 * put: keep sf's rows (only rows with source lines are kept).  close:
 * write what was put, and free. */
struct symcache;
struct symcache *symcache_open(const char *build_id, int module_fd);
int symcache_get(const struct symcache *c, uint64_t module_offset, int exact,
		 const struct symrow *base, struct symframe *sf);
void symcache_put(struct symcache *c, uint64_t module_offset, int exact,
		  const struct symframe *sf);
void symcache_close(struct symcache *c);

/* Is fd an ELF file whose build ID is bits[0..n)? */
int debugfile_has_build_id(int fd, const unsigned char *bits, int n);

/* Demangle a C++ (_Z) or Rust (legacy _ZN..E, v0 _R) name.  Returns a
 * new string: the demangled name, or a copy of the input. */
char *demangle(const char *name);

#endif
