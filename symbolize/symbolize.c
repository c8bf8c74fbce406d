/*
 * symbolize.c - distinct PCs to symbol rows with libdwfl/libdw.
 *
 * One Dwfl per process.  Only modules that hold a PC are reported, each
 * from a file descriptor we opened ourselves (see symbolize.h for how).
 * A return address is looked up at pc-1 (the call instruction), the
 * innermost PC and a PC interrupted by a signal at pc itself.
 */
#define _GNU_SOURCE
#include "symbolize.h"
#include "perfmap.h"
#include "debuginfod.h"
#include "../util/util.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the symbolizer keeps of one module of the maps (model.h) */
struct smod {
	const struct mapping *first;	/* file offset 0 mapping */
	Dwfl_Module *mod;
	char *name;		/* basename */
	char *build_id;
	int tried;
	struct symcache *syms;	/* rows from earlier runs */
};

/* The context of one symbolize_process; libdwfl's callbacks find it in
 * the module's user data. */
struct sctx {
	struct process *p;
	const struct target_files *files;
	Dwfl *dwfl;
	struct modules modules;	/* of p->maps */
	struct smod *mods;	/* parallel to modules.v */
	const struct symbolize_opts *o;
	const struct perfmap *perfmap;	/* read at the first generated code */
	int perfmap_tried;
};

/* every module is reported with the fd we opened: libdwfl looks for none */
static int find_elf_none(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr base,
			 char **file_name, Elf **elfp)
{
	return -1;
}

/*
 * A debug file in the host's /usr/lib/debug: by build ID
 * (.build-id/ab/cdef....debug), or by the .gnu_debuglink name below the
 * module's directory.  libdwfl's own search (dwfl_standard_find_debuginfo)
 * ends, when it finds nothing, by loading libdebuginfod, which pulls in
 * libcurl and about 25 more libraries: a start-up cost of many milliseconds, for a server we never ask
 * (DEBUGINFOD_URLS is unset in main).
 */
static int host_debug_dir(Dwfl_Module *mod, const char *file_name, const char *debuglink_file,
			  char **debuginfo_file_name)
{
	static const char root[] = "/usr/lib/debug";
	const unsigned char *bits;
	const char *slash;
	GElf_Addr vaddr;
	char *path = NULL;
	int n, fd = -1;
	n = dwfl_module_build_id(mod, &bits, &vaddr);
	if (n > 1) {
		char *hex = hex_string(bits, (size_t)n);
		path = xasprintf("%s/.build-id/%.2s/%s.debug", root, hex, hex + 2);
		free(hex);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0 && !debugfile_has_build_id(fd, bits, n)) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0 && debuglink_file && file_name && !strstr(debuglink_file, "..") &&
	    (slash = strrchr(file_name, '/'))) {
		/* an absolute name is a dwz file's (.gnu_debugaltlink): it
		 * has a build ID of its own */
		int alt = debuglink_file[0] == '/';
		free(path);
		path = alt ? xasprintf("%s", debuglink_file)
			   : xasprintf("%s%.*s%s", root, (int)(slash + 1 - file_name), file_name,
				       debuglink_file);
		if (!strncmp(path, root, sizeof(root) - 1))
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		/* a debuglink of another build would give wrong lines */
		if (fd >= 0 && !alt && n > 0 && !debugfile_has_build_id(fd, bits, n)) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) {
		free(path);
		return -1;
	}
	free(*debuginfo_file_name);
	*debuginfo_file_name = path;
	return fd;
}

/*
 * The debug file of a module, in this order:
 *   - an uncompressed copy from our cache (debugcache.c);
 *   - the host's /usr/lib/debug (build ID, or the module's path below
 *     it), which only root can write (host_debug_dir); its find is then
 *     copied into the cache.  (libdwfl keeps the file it was given, so a
 *     copy cannot replace it in this run.)
 *   - the .gnu_debuglink name next to the module or in .debug/ beside it,
 *     in the target's own root.  libdwfl's search would open those paths
 *     on the host, following symlinks and blocking on a FIFO that a
 *     container's owner may plant there; we open them like the module
 *     itself (no symlinks, non-blocking, regular files only) and take
 *     one only when its build ID is the module's.
 */
/* the last place, when the user asked for it: a debuginfod server */
static int fetch(const struct sctx *c, const unsigned char *id, int n, const char *modname,
		 char **debuginfo_file_name)
{
	char *path = NULL;
	int fd;
	if (!c->o->debuginfod)
		return -1;
	fd = debuginfod_fetch(c->o->debuginfod, id, n, modname, &path);
	if (fd < 0) {
		free(path);
		return -1;
	}
	free(*debuginfo_file_name);
	*debuginfo_file_name = path;
	debugcache_add(fd, id, n);
	return fd;
}

static int find_debuginfo(Dwfl_Module *mod, void **ud, const char *modname,
			  GElf_Addr base, const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	static const char *const subdir[] = { "", ".debug/" };
	const struct sctx *c = *ud;
	const unsigned char *bits;
	const char *slash;
	GElf_Addr vaddr;
	size_t k;
	int n = dwfl_module_build_id(mod, &bits, &vaddr), fd;
	/* a dwz file (absolute name) is not the module's debug file */
	int alt = debuglink_file && debuglink_file[0] == '/';
	if (n > 0 && !alt && (fd = debugcache_open(bits, n)) >= 0)
		return fd;
	fd = host_debug_dir(mod, file_name, debuglink_file, debuginfo_file_name);
	if (fd >= 0) {
		if (n > 0 && !alt)
			debugcache_add(fd, bits, n);
		return fd;
	}
	if (n <= 0 || !c)
		return -1;
	if (!file_name || !debuglink_file || strchr(debuglink_file, '/') ||
	    !(slash = strrchr(file_name, '/')))
		return alt ? -1 : fetch(c, bits, n, modname, debuginfo_file_name);
	for (k = 0; k < sizeof(subdir) / sizeof(*subdir); k++) {
		char *path = xasprintf("%.*s%s%s", (int)(slash + 1 - file_name), file_name,
				       subdir[k], debuglink_file);
		fd = strcmp(path, file_name) ? c->files->open_path(c->files->ctx, path) : -1;
		if (fd >= 0 && debugfile_has_build_id(fd, bits, n)) {
			free(*debuginfo_file_name);
			*debuginfo_file_name = path;
			debugcache_add(fd, bits, n);
			return fd;
		}
		if (fd >= 0)
			close(fd);
		free(path);
	}
	return alt ? -1 : fetch(c, bits, n, modname, debuginfo_file_name);
}

/* the host's /usr/lib/debug only: see find_debuginfo */
static char debug_dirs[] = "/usr/lib/debug";
static char *debuginfo_path = debug_dirs;
static const Dwfl_Callbacks callbacks = {
	.find_elf = find_elf_none,
	.find_debuginfo = find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static void build_modules(struct sctx *c)
{
	size_t i;
	maps_modules(&c->p->maps, &c->modules);
	c->mods = xcalloc(c->modules.n, sizeof(*c->mods));
	for (i = 0; i < c->modules.n; i++) {
		const char *path = c->modules.v[i].first->path, *b = strrchr(path, '/');
		c->mods[i].first = c->modules.v[i].first;
		c->mods[i].name = xstrdup(b ? b + 1 : path);
	}
}

static struct smod *module_of(struct sctx *c, const struct mapping *m)
{
	const struct module *mod = modules_of(&c->modules, &c->p->maps, m);
	return mod ? &c->mods[mod - c->modules.v] : NULL;
}

/* addr, mapped by m, moved to where the ELF's program headers place its
 * file offset: the same address unless the segment was mapped again
 * elsewhere, which libdwfl (one base per module) would not know. */
static uint64_t placed_addr(Elf *e, Dwarf_Addr bias, const struct mapping *m, uint64_t addr)
{
	uint64_t off = addr - m->start + m->offset;
	size_t i, n;
	GElf_Phdr ph;
	if (!e || elf_getphdrnum(e, &n) != 0)
		return addr;
	for (i = 0; i < n; i++)
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    off >= ph.p_offset && off - ph.p_offset < ph.p_filesz)
			return ph.p_vaddr + (off - ph.p_offset) + bias;
	return addr;
}

static void report(struct sctx *c, struct smod *sm)
{
	int fd;
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n;
	void **ud;
	sm->tried = 1;
	if (sm->first->offset != 0)
		return;
	fd = c->files->open_mapping(c->files->ctx, sm->first);
	if (fd < 0)
		return;
	dwfl_report_begin_add(c->dwfl);
	sm->mod = dwfl_report_elf(c->dwfl, sm->name, sm->first->path, fd,
				  sm->first->start, false);
	dwfl_report_end(c->dwfl, NULL, NULL);
	if (!sm->mod) {
		close(fd);
		return;
	}
	/* for find_debuginfo, which libdwfl calls later */
	dwfl_module_info(sm->mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	*ud = c;
	n = dwfl_module_build_id(sm->mod, &bits, &vaddr);
	if (n > 0) {
		sm->build_id = hex_string(bits, (size_t)n);
		if (!c->o->raw)
			sm->syms = symcache_open(sm->build_id, fd);
	}
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *s = NULL;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
		s = dwarf_formstring(&a);
	if (s)
		return s;
	if (dwarf_attr_integrate(die, DW_AT_name, &a))
		s = dwarf_formstring(&a);
	return s;
}

static char *fn_name(struct sctx *c, const char *raw)
{
	char *s, *at;
	if (!raw)
		return NULL;
	if (c->o->raw)
		return xstrdup(raw);
	s = demangle(raw);
	/* drop ELF symbol versions: pthread_cond_wait@@GLIBC_2.3.2 */
	if ((at = strchr(s, '@')) && at != s && !strchr(at, '('))
		*at = '\0';
	return s;
}

/* A copy of r as the next row of sf; r's own function and file are
 * given to the row, its module strings copied. */
static void add_row(struct symframe *sf, const struct symrow *r)
{
	struct symrow *n;
	sf->rows = xrealloc_array(sf->rows, sf->nrows + 1, sizeof(*sf->rows));
	n = &sf->rows[sf->nrows++];
	symrow_copy(n, r);
	free(n->function);
	free(n->file);
	n->function = r->function;
	n->file = r->file;
}

static void call_site(Dwarf_Die *cu, Dwarf_Die *die, char **file, int *line)
{
	Dwarf_Attribute a;
	Dwarf_Word w;
	Dwarf_Files *files;
	size_t nfiles;
	*file = NULL;
	*line = 0;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &a), &w) == 0)
		*line = (int)w;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &a), &w) == 0 &&
	    dwarf_getsrcfiles(cu, &files, &nfiles) == 0 && w < nfiles) {
		const char *f = dwarf_filesrc(files, w, NULL, NULL);
		if (f)
			*file = xstrdup(f);
	}
}

static void dwarf_rows(struct sctx *c, struct smod *sm, const struct symrow *b, uint64_t addr,
		       int act, struct symframe *sf);

/* A PC of a Go executable: its own pclntab names it as Go does (with or
 * without DWARF and .symtab); 1 when it did */
static int go_rows(struct sctx *c, const struct symrow *base, uint64_t pc, int act,
		   struct symframe *sf)
{
	struct symrow rows[32];
	size_t n = go_symbolize(c->p, pc, act, rows, 32), i;
	for (i = 0; i < n; i++) {
		struct symrow r = *base;
		r.function = rows[i].function;
		r.function_offset = rows[i].function_offset;
		r.file = rows[i].file;
		r.line = rows[i].line;
		r.inlined = rows[i].inlined;
		r.go = 1;
		add_row(sf, &r);
	}
	return n > 0;
}

/* Generated code named by the runtime's perf map; 1 when it was */
static int jit_row(struct sctx *c, const struct symrow *base, uint64_t addr,
		   struct symframe *sf)
{
	struct symrow r = *base;
	uint64_t start;
	const char *name;
	if (!c->perfmap_tried) {
		c->perfmap = perfmap_of(c->p, c->files);
		c->perfmap_tried = 1;
	}
	if (!(name = perfmap_find(c->perfmap, addr, &start)))
		return 0;
	r.module = NULL;
	r.function = xstrdup(name);
	r.function_offset = base->pc - start;
	r.jit = 1;
	add_row(sf, &r);
	return 1;
}

static void symbolize_pc(struct sctx *c, uint64_t pc, int act, struct symframe *sf)
{
	uint64_t addr = act ? pc : pc - 1, mpc;
	const struct mapping *m = maps_find(&c->p->maps, addr);
	struct smod *sm = module_of(c, m);
	struct symrow base;
	Elf *e;
	Dwarf_Addr bias = 0;

	memset(&base, 0, sizeof(base));
	base.pc = pc;
	if (!sm) {
		base.module = m && m->path ? m->path : (char *)"[anon]";
		base.module_offset = m ? pc - m->start : pc;
		if (m && m->perms[2] == 'x' && jit_row(c, &base, addr, sf))
			return;
		add_row(sf, &base);
		return;
	}
	if (!sm->tried)
		report(c, sm);
	base.module = sm->name;
	base.module_path = sm->first->path;
	base.build_id = sm->build_id;
	base.module_offset = pc - sm->first->start;
	if (go_rows(c, &base, pc, act, sf))
		return;
	if (!sm->mod) {
		add_row(sf, &base);
		return;
	}
	e = dwfl_module_getelf(sm->mod, &bias);
	mpc = placed_addr(e, bias, m, addr) + (pc - addr);
	addr += mpc - pc;
	if (e)
		base.module_offset = mpc - bias;
	/* rows kept from a run without the debug files a server may have */
	if (e && !c->o->raw && !c->o->debuginfod &&
	    symcache_get(sm->syms, base.module_offset, act, &base, sf))
		return;
	dwarf_rows(c, sm, &base, addr, act, sf);
	if (e && !c->o->raw)
		symcache_put(sm->syms, base.module_offset, act, sf);
}

/* The scopes of addr in cu, innermost first, as the concrete chain of
 * its innermost function-like scope: dwarf_getscopes leaves an inlined
 * instance through its abstract origin, and that chain has every
 * inlined caller.  The count (0 when none; free *out either way). */
static int scope_chain(Dwarf_Die *cu, Dwarf_Addr addr, Dwarf_Die **out)
{
	Dwarf_Die *scopes = NULL, *chain = NULL;
	int n = dwarf_getscopes(cu, addr, &scopes), i;
	for (i = 0; i < n; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram) {
			int m = dwarf_getscopes_die(&scopes[i], &chain);
			if (m > 0) {
				free(scopes);
				scopes = chain;
				n = m;
			}
			break;
		}
	}
	*out = scopes;
	return n > 0 ? n : 0;
}

/* One row per inlined call in the scopes, innermost first, each at the
 * line its callee was called from; *file and *line start at addr's own
 * line and end at the physical frame's. */
static void add_inline_rows(struct sctx *c, Dwarf_Die *cu, Dwarf_Die *scopes, int n,
			    const struct symrow *base, char **file, int *line,
			    struct symframe *sf)
{
	int i;
	for (i = 0; i < n; i++) {
		struct symrow r;
		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			continue;
		r = *base;
		r.function = fn_name(c, die_name(&scopes[i]));
		r.function_offset = 0;
		r.file = *file;
		r.line = *line;
		r.inlined = 1;
		add_row(sf, &r);
		call_site(cu, &scopes[i], file, line);
	}
}

/* The rows of addr (pc, or pc-1 for a return address, where the module
 * places it) from the module's symbols and DWARF: inline frames
 * innermost first, then the physical frame. */
static void dwarf_rows(struct sctx *c, struct smod *sm, const struct symrow *b, uint64_t addr,
		       int act, struct symframe *sf)
{
	struct symrow base = *b;
	const char *sym;
	GElf_Off off = 0;
	GElf_Sym s;
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu, *scopes = NULL;
	Dwfl_Line *ln;
	int n = 0, i;

	base.file = NULL;
	base.line = 0;
	sym = dwfl_module_addrinfo(sm->mod, addr, &off, &s, NULL, NULL, NULL);
	if (sym)
		base.function_offset = off + !act;
	ln = dwfl_module_getsrc(sm->mod, addr);
	if (ln) {
		int col;
		const char *f = dwfl_lineinfo(ln, NULL, &base.line, &col, NULL, NULL);
		if (f)
			base.file = xstrdup(f);
	}
	cu = dwfl_module_addrdie(sm->mod, addr, &bias);
	if (cu)
		n = scope_chain(cu, addr - bias, &scopes);
	if (n) {
		add_inline_rows(c, cu, scopes, n, &base, &base.file, &base.line, sf);
		/* the physical frame: the ELF symbol's name when there is one
		 * (qualified for C++), else the subprogram's */
		for (i = 0; !sym && i < n; i++)
			if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram)
				sym = die_name(&scopes[i]);
	}
	free(scopes);
	base.function = fn_name(c, sym);
	add_row(sf, &base);
}

/* Copy the rows of pc from the cache when the same file is mapped at the
 * same place; returns 1 when it did. */
static int from_cache(const struct process *cache, const struct process *p, uint64_t pc,
		      struct symframe *sf)
{
	const struct symframe *old = process_symframe(cache, pc);
	const struct mapping *a = maps_find(&p->maps, pc), *b = maps_find(&cache->maps, pc);
	size_t i;
	/* generated code (no file) is named anew: its perf map may have
	 * grown since (perfmap.c reads it again only when it changed) */
	if (!old || !old->nrows || !a || !b || !a->path || a->start != b->start ||
	    a->end != b->end || a->inode != b->inode || a->offset != b->offset)
		return 0;
	sf->rows = xcalloc(old->nrows, sizeof(*sf->rows));
	sf->nrows = old->nrows;
	for (i = 0; i < old->nrows; i++)
		symrow_copy(&sf->rows[i], &old->rows[i]);
	return 1;
}

/* Add pc to the open-addressing set (entries pc + 1; 0 is empty);
 * 1 when it was not there */
static int pc_set_add(uint64_t *set, size_t cap, uint64_t pc)
{
	size_t i = (size_t)((pc + 1) * 0x9E3779B97F4A7C15ull >> 20) & (cap - 1);
	while (set[i] && set[i] != pc + 1)
		i = (i + 1) & (cap - 1);
	if (set[i])
		return 0;
	set[i] = pc + 1;
	return 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* pc's rows, unless it has them (from an earlier thread, or the cache) */
static void symbolize_one(struct sctx *c, uint64_t pc, int act)
{
	struct process *p = c->p;
	const struct symframe *found = process_symframe(p, pc);
	struct symframe *sf = found ? &p->syms[found - p->syms] : NULL;
	if (!sf || sf->nrows)
		return;
	if (c->o->cache && from_cache(c->o->cache, p, pc, sf))
		return;
	if (c->dwfl)
		symbolize_pc(c, pc, act, sf);
}

void symbolize_process(struct process *p, const struct target_files *files,
			const struct symbolize_opts *o)
{
	struct sctx c;
	size_t i, j, n = 0, total = 0, cap;
	uint64_t *set;
	uint64_t t0 = now_ns();

	memset(&c, 0, sizeof(c));
	c.p = p;
	c.files = files;
	c.o = o;
	c.dwfl = dwfl_begin(&callbacks);
	build_modules(&c);

	/* the distinct PCs: the threads', the goroutines' and where each
	 * goroutine began and was created (a Go program's many goroutines
	 * share few PCs: a set first, then the distinct ones sorted) */
	for (i = 0; i < p->nthreads; i++)
		total += p->threads[i].npcs;
	for (i = 0; i < p->go.ngs; i++)
		total += p->go.gs[i].npcs + 2;
	for (cap = 64; cap < total * 2; cap *= 2)
		;
	set = xcalloc(cap, sizeof(*set));
	for (i = 0; i < p->nthreads; i++)
		for (j = 0; j < p->threads[i].npcs; j++)
			n += pc_set_add(set, cap, p->threads[i].pcs[j]);
	for (i = 0; i < p->go.ngs; i++) {
		const struct goroutine *g = &p->go.gs[i];
		for (j = 0; j < g->npcs; j++)
			n += pc_set_add(set, cap, g->pcs[j]);
		n += pc_set_add(set, cap, g->startpc);
		n += pc_set_add(set, cap, g->gopc);
	}
	p->sym_pcs = xmalloc_array(n, sizeof(*p->sym_pcs));
	p->syms = xcalloc(n, sizeof(*p->syms));
	p->nsyms = 0;
	for (i = 0; i < cap; i++)
		if (set[i])
			p->sym_pcs[p->nsyms++] = set[i] - 1;
	free(set);
	qsort(p->sym_pcs, p->nsyms, sizeof(*p->sym_pcs), cmp_u64);
	/* exact or return address: take it from the first thread using it */
	for (i = 0; i < p->nthreads; i++) {
		struct thread *t = &p->threads[i];
		for (j = 0; j < t->npcs; j++)
			symbolize_one(&c, t->pcs[j], t->activation[j]);
	}
	for (i = 0; i < p->go.ngs; i++) {
		const struct goroutine *g = &p->go.gs[i];
		for (j = 0; j < g->npcs; j++)
			symbolize_one(&c, g->pcs[j], g->activation[j]);
		symbolize_one(&c, g->startpc, 1);	/* a function's entry */
		symbolize_one(&c, g->gopc, 0);		/* a return address */
	}
	if (c.dwfl)
		dwfl_end(c.dwfl);
	if (o->debuginfod)
		debuginfod_finish();
	for (i = 0; i < c.modules.n; i++) {
		symcache_close(c.mods[i].syms);
		free(c.mods[i].name);
		free(c.mods[i].build_id);
	}
	free(c.mods);
	modules_release(&c.modules);
	p->t_symbolize = now_ns() - t0;
}
