/*
 * symfile.c - the symbolizer without a process: for hostile ELF/DWARF
 * files, in the tests and under libFuzzer.
 *
 * symfile FILE...   maps each FILE, as far as the symbolizer knows, at
 *                   0x400000 in a process of one thread whose stack holds
 *                   a PC every 61 bytes of the file (at most 2,000), runs
 *                   symbolize_process on it and prints "FILE: N rows".
 *                   Exit 0 unless it cannot even stat a FILE.
 * With -DFUZZ it is a libFuzzer target instead: each input is written to
 * a file and symbolized the same way (see `make fuzz`).
 *
 * The files are opened the way a target's would be: by path under
 * /proc/self/root, regular files only, inode checked.  A file that
 * reads as a Go binary also has its Go tables walked (symbolize/gotab.c):
 * a function, its frame sizes and rows at every 61st byte of its text, a
 * lookup by name; "FILE: N rows, Go M rows".
 */
#define _GNU_SOURCE
#include "../../attach/modfile.h"
#include "../../symbolize/gotab.h"
#include "../../symbolize/symbolize.h"
#include "../../util/util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BASE 0x400000ull

/* The Go tables of the file, if it has them: the count of rows found */
static size_t gofile(const char *path)
{
	struct stat st;
	struct sb why = { 0 };
	struct gotab *t;
	struct gofunc f;
	uint64_t text, size, pc;
	size_t rows = 0;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || st.st_size < 64 ||
	    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		close(fd);
		return 0;
	}
	close(fd);
	t = gotab_parse(map, (size_t)st.st_size, &why);
	if (t && gotab_section(t, ".text", &text, &size) == 0) {
		if (size > (64u << 20))
			size = 64u << 20;
		for (pc = text; pc < text + size; pc += 61) {
			struct gorow r[16];
			int64_t d;
			if (gotab_func_at(t, pc, &f) == 0)
				gotab_sp_delta(t, &f, pc, &d);
			rows += gotab_rows(t, pc, r, 16);
		}
		gotab_func_named(t, "runtime.allgadd", &f);
	}
	gotab_free(t);
	sb_release(&why);
	munmap(map, (size_t)st.st_size);
	return rows;
}

static size_t symfile(const char *path)
{
	struct process p;
	struct mapping m;
	struct thread t;
	struct symbolize_opts o;
	struct modfiles mf;
	struct target_files files;
	struct stat st;
	char abs[PATH_MAX];
	size_t i, n, rows = 0;
	int pfd;
	if (!realpath(path, abs) || stat(abs, &st) < 0)
		return (size_t)-1;
	process_init(&p, getpid());
	memset(&m, 0, sizeof(m));
	m.start = BASE;
	m.end = BASE + ((st.st_size + 4095) & ~4095ull) + 4096;
	m.path = abs;
	m.inode = st.st_ino;
	m.perms[0] = 'r';
	m.perms[2] = 'x';
	p.maps.v = &m;
	p.maps.n = 1;
	memset(&t, 0, sizeof(t));
	n = (size_t)st.st_size / 61 + 1;
	if (n > 2000)
		n = 2000;
	t.pcs = xcalloc(n, sizeof(*t.pcs));
	t.activation = xcalloc(n, 1);
	for (i = 0; i < n; i++)
		t.pcs[i] = BASE + 1 + i * 61;
	t.npcs = n;
	p.threads = &t;
	p.nthreads = 1;
	memset(&o, 0, sizeof(o));
	pfd = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	p.mm_dirfd = pfd;
	modfiles_init(&mf, pfd, MODFILE_MAX_SIZE);
	files = modfiles_opener(&mf);
	symbolize_process(&p, &files, &o);
	modfiles_release(&mf);
	for (i = 0; i < p.nsyms; i++)
		rows += p.syms[i].nrows;
	/* the parts that are ours, not the symbolizer's */
	p.maps.v = NULL;
	p.maps.n = 0;
	p.threads = NULL;
	p.nthreads = 0;
	free(t.pcs);
	free(t.activation);
	process_clear(&p);
	close(pfd);
	return rows;
}

#ifdef FUZZ
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	int fd;
	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/inspect-fuzz.%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	close(fd);
	symfile(path);
	gofile(path);
	return 0;
}
#else
int main(int argc, char **argv)
{
	int i, rc = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: symfile FILE...\n");
		return 64;
	}
	for (i = 1; i < argc; i++) {
		size_t rows = symfile(argv[i]);
		if (rows == (size_t)-1) {
			fprintf(stderr, "symfile: %s: cannot stat\n", argv[i]);
			rc = 1;
			continue;
		}
		printf("%s: %zu rows, Go %zu rows\n", argv[i], rows, gofile(argv[i]));
	}
	return rc;
}
#endif
