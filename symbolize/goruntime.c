/*
 * goruntime.c - what a Go executable tells of its runtime, before the
 * capture: its release, where runtime.allgs is, the layout row of its g,
 * its wait-reason names; and, while the report is taken, its tables for
 * the unwinders (frame sizes) and the symbolizer (names, lines).
 *
 * Nothing of the process is read here, only its executable's file, as
 * the target's mapping of it opens (target_files).  The addresses found
 * are checked against the file (in its .bss, in its .data); the capture
 * checks what it reads at them.
 */
#define _GNU_SOURCE
#include "symbolize.h"
#include "gotab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A PC's frame, looked up once: goroutines share most of their PCs */
struct frame_memo {
	uint64_t pc;		/* 0: an empty slot */
	int found;
	struct go_frame f;
};

struct gorun {
	struct gotab *tab;
	struct frame_memo *memo;
	size_t nmemo, memo_cap;	/* memo_cap: a power of two */
	uint8_t *map;
	size_t len;
	uint64_t bias;
	uint64_t text_lo, text_hi;	/* link-time */
	/* where a stack begins: a goroutine's (goexit), a thread's (mstart,
	 * rt0_go), or where a thread's system stack was switched to (mcall,
	 * morestack, systemstack, asmcgocall: what called them is on the
	 * goroutine's stack, shown with the goroutine) */
	uint64_t goexit, mstart, rt0_go, mcall, morestack, systemstack, asmcgocall;
};

/* The executable's first mapping (its ELF header) */
static const struct mapping *exe_mapping(const struct process *p)
{
	size_t i;
	for (i = 0; p->exe && i < p->maps.n; i++)
		if (p->maps.v[i].path && p->maps.v[i].offset == 0 &&
		    !strcmp(p->maps.v[i].path, p->exe))
			return &p->maps.v[i];
	return NULL;
}

/* "go1.22.5" -> 22; -1 when not of the form go1.N */
static int go_minor(const char *v)
{
	char *end;
	long n;
	if (strncmp(v, "go1.", 4))
		return -1;
	n = strtol(v + 4, &end, 10);
	return end == v + 4 || n < 0 || n > 1000 ? -1 : (int)n;
}

/* runtime.allgs: named in .symtab, else the .bss slice header that
 * runtime.allgadd reads at +0, +8 and +16 (its RIP-relative operands) */
static int find_allgs(const struct gotab *t, uint64_t *out)
{
	struct gofunc f;
	uint64_t size, bss, bss_size, *targets = NULL;
	size_t n = 0, nalloc = 0, i, j;
	uint8_t *code;
	int found = -1;
	if (gotab_symbol(t, "runtime.allgs", out, &size) == 0)
		return 0;
	if (gotab_func_named(t, "runtime.allgadd", &f) < 0 ||
	    gotab_section(t, ".bss", &bss, &bss_size) < 0 || f.end - f.entry > 65536)
		return -1;
	code = xmalloc(f.end - f.entry);
	if (gotab_read(t, f.entry, code, f.end - f.entry) < 0) {
		free(code);
		return -1;
	}
	/* REX.W op modrm(mod 00, rm 101) disp32: a 7-byte instruction whose
	 * operand is next-instruction + disp32 */
	for (i = 0; i + 7 <= f.end - f.entry; i++) {
		int32_t disp;
		uint64_t target;
		if ((code[i] & 0xf8) != 0x48 || (code[i + 2] & 0xc7) != 0x05)
			continue;
		if (code[i + 1] != 0x8b && code[i + 1] != 0x89 && code[i + 1] != 0x8d &&
		    code[i + 1] != 0x87 && code[i + 1] != 0x3b && code[i + 1] != 0x39)
			continue;
		memcpy(&disp, code + i + 3, 4);
		target = f.entry + i + 7 + (int64_t)disp;
		if (target < bss || target >= bss + bss_size)
			continue;
		grow((void **)&targets, &nalloc, n, sizeof(*targets));
		targets[n++] = target;
	}
	free(code);
	for (i = 0; i < n && found < 0; i++) {
		int has8 = 0, has16 = 0;
		for (j = 0; j < n; j++) {
			has8 |= targets[j] == targets[i] + 8;
			has16 |= targets[j] == targets[i] + 16;
		}
		if (has8 && has16) {
			*out = targets[i];
			found = 0;
		}
	}
	free(targets);
	return found;
}

/* A string's address in .rodata (the first of them), or 0 */
static uint64_t rodata_string(const struct gotab *t, const char *s)
{
	uint64_t addr, size;
	size_t i, n = strlen(s);
	if (gotab_section(t, ".rodata", &addr, &size) < 0 || size > (1u << 30))
		return 0;
	for (i = 0; i + n <= size; i += 4096) {
		uint8_t chunk[4096 + 64];
		size_t k, m = size - i < sizeof(chunk) ? size - i : sizeof(chunk);
		if (gotab_read(t, addr + i, chunk, m) < 0)
			return 0;
		for (k = 0; k + n <= m && k < 4096; k++)
			if (chunk[k] == (uint8_t)s[0] && !memcmp(chunk + k, s, n))
				return addr + i + k;
	}
	return 0;
}

/* runtime.waitReasonStrings: named in .symtab, else the array of string
 * headers in .data whose entry 1 is "GC assist marking" and entry 0 "" */
static void read_waitreasons(const struct gotab *t, struct go_process *go)
{
	uint64_t arr = 0, size = 0, data, dsize, ro, rosize, s1, w0, w1, va;
	size_t i, n;
	if (gotab_section(t, ".rodata", &ro, &rosize) < 0)
		return;
	if (gotab_symbol(t, "runtime.waitReasonStrings", &arr, &size) < 0) {
		arr = 0;
		if (!(s1 = rodata_string(t, "GC assist marking")) ||
		    gotab_section(t, ".data", &data, &dsize) < 0)
			return;
		for (va = data + 16; va + 16 <= data + dsize && !arr; va += 8)
			if (gotab_word(t, va, &w0) == 0 && w0 == s1 &&
			    gotab_word(t, va + 8, &w1) == 0 && w1 == 17 &&
			    gotab_word(t, va - 8, &w1) == 0 && w1 == 0)
				arr = va - 16;
		size = 256 * 16;
	}
	if (!arr)
		return;
	for (n = 0; n < size / 16 && n < 256; n++) {
		uint64_t p, l;
		if (gotab_word(t, arr + 16 * n, &p) < 0 || gotab_word(t, arr + 16 * n + 8, &l) < 0)
			break;
		if (n && (!l || l > 64 || p < ro || p + l > ro + rosize))
			break;
	}
	go->waitreasons = xcalloc(n, sizeof(*go->waitreasons));
	for (i = 0; i < n; i++) {
		uint64_t p, l;
		char s[65] = "";
		if (gotab_word(t, arr + 16 * i, &p) < 0 || gotab_word(t, arr + 16 * i + 8, &l) < 0)
			break;
		if (l && l <= 64 && gotab_read(t, p, s, l) == 0)
			s[l] = '\0';
		go->waitreasons[i] = xstrdup(s);
	}
	go->nwaitreasons = n;
}

static uint64_t entry_of(const struct gotab *t, const char *name)
{
	struct gofunc f;
	return gotab_func_named(t, name, &f) == 0 ? f.entry : 0;
}

/* Why the goroutines will not be shown (why: a new string) */
static void not_shown(struct go_process *go, char *why)
{
	free(go->not_shown);
	go->not_shown = why;
}

void go_analyse(struct process *p, const struct target_files *files)
{
	struct go_process *go = &p->go;
	const struct mapping *m = exe_mapping(p);
	struct gorun *r;
	struct stat st;
	struct sb why = { 0 };
	uint64_t text, tsize;
	void *map;
	int fd;
	if (!m || (fd = files->open_mapping(files->ctx, m)) < 0)
		return;
	if (fstat(fd, &st) < 0 || st.st_size < 64 ||
	    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		close(fd);
		return;
	}
	close(fd);
	r = xcalloc(1, sizeof(*r));
	r->map = map;
	r->len = (size_t)st.st_size;
	r->tab = gotab_parse(r->map, r->len, &why);
	if (!r->tab) {
		if (why.len) {
			go->is_go = 1;
			go->minor = -1;
			not_shown(go, xasprintf("goroutines not shown: %s", why.buf));
		}
		sb_release(&why);
		munmap(r->map, r->len);
		free(r);
		return;
	}
	go->is_go = 1;
	go->tables = r;
	/* a PIE is mapped where its first mapping is; that holds its
	 * lowest PT_LOAD (Go's own linker puts it at 0x400000) */
	r->bias = gotab_is_pie(r->tab) ? m->start - gotab_load_base(r->tab) : 0;
	if (gotab_section(r->tab, ".text", &text, &tsize) == 0) {
		r->text_lo = text;
		r->text_hi = text + tsize;
	}
	r->goexit = entry_of(r->tab, "runtime.goexit");
	r->mstart = entry_of(r->tab, "runtime.mstart");
	r->rt0_go = entry_of(r->tab, "runtime.rt0_go");
	r->mcall = entry_of(r->tab, "runtime.mcall");
	r->morestack = entry_of(r->tab, "runtime.morestack");
	r->systemstack = entry_of(r->tab, "runtime.systemstack");
	r->asmcgocall = entry_of(r->tab, "runtime.asmcgocall");
	if (gotab_module_path(r->tab))
		go->module = xstrdup(gotab_module_path(r->tab));
	go->minor = -1;
	if (gotab_version(r->tab)) {
		snprintf(go->version, sizeof(go->version), "%s", gotab_version(r->tab));
		go->minor = go_minor(go->version);
	}
	if (go->minor < 0) {
		not_shown(go, xasprintf("goroutines not shown: the Go release of %s is not known "
					"(no .go.buildinfo)", p->comm));
		return;
	}
	go->layout = go_layout_for(go->minor);
	if (!go->layout) {
		not_shown(go, xasprintf("goroutines not shown: Go 1.%d is %s than this inspect "
					"knows (Go 1.19 to 1.%d)", go->minor,
					go->minor > go_layout_newest() ? "newer" : "older",
					go_layout_newest()));
		return;
	}
	if (find_allgs(r->tab, &go->allgs) < 0) {
		not_shown(go, xasprintf("goroutines not shown: runtime.allgs was not found in %s",
					p->comm));
		return;
	}
	go->allgs += r->bias;
	read_waitreasons(r->tab, go);
	if (!go->nwaitreasons && go->layout->waitreasons) {
		size_t i;
		go->waitreasons = xcalloc(go->layout->nwaitreasons, sizeof(*go->waitreasons));
		for (i = 0; i < go->layout->nwaitreasons; i++)
			go->waitreasons[i] = xstrdup(go->layout->waitreasons[i]);
		go->nwaitreasons = go->layout->nwaitreasons;
	}
}

int go_file_release(int fd, char *version, size_t size, char **module)
{
	struct stat st;
	struct sb why = { 0 };
	struct gotab *t;
	void *map;
	int is_go = 0;
	*module = NULL;
	version[0] = '\0';
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 64 ||
	    (uint64_t)st.st_size > (4ull << 30) ||
	    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
		return 0;
	t = gotab_parse(map, (size_t)st.st_size, &why);
	if (t) {
		is_go = 1;
		snprintf(version, size, "%s", gotab_version(t) ? gotab_version(t) : "go?");
		if (gotab_module_path(t))
			*module = xstrdup(gotab_module_path(t));
	}
	gotab_free(t);
	sb_release(&why);
	munmap(map, (size_t)st.st_size);
	return is_go;
}

void go_tables_close(struct process *p)
{
	struct gorun *r = p->go.tables;
	if (!r)
		return;
	gotab_free(r->tab);
	munmap(r->map, r->len);
	free(r->memo);
	free(r);
	p->go.tables = NULL;
}

/* ---- for the unwinders ------------------------------------------------ */

static int lookup_frame(const struct gorun *r, uint64_t pc, struct go_frame *out)
{
	struct gofunc f;
	int64_t d;
	uint64_t lpc = pc - r->bias;
	if (lpc < r->text_lo || lpc >= r->text_hi || gotab_func_at(r->tab, lpc, &f) < 0)
		return -1;
	out->entry = f.entry + r->bias;
	out->outermost = f.entry == r->goexit || f.entry == r->mstart || f.entry == r->rt0_go ||
			 f.entry == r->mcall || f.entry == r->morestack ||
			 f.entry == r->systemstack || f.entry == r->asmcgocall;
	out->sp_delta = gotab_sp_delta(r->tab, &f, lpc, &d) == 0 ? d : -1;
	return 0;
}

static struct frame_memo *memo_slot(struct frame_memo *v, size_t cap, uint64_t pc)
{
	size_t i = (size_t)(pc * 0x9E3779B97F4A7C15ull >> 24) & (cap - 1);
	while (v[i].pc && v[i].pc != pc)
		i = (i + 1) & (cap - 1);
	return &v[i];
}

static int go_frame(void *ctx, uint64_t pc, struct go_frame *out)
{
	struct gorun *r = ctx;
	struct frame_memo *m;
	if (!pc)
		return -1;
	if (r->nmemo * 2 >= r->memo_cap) {
		struct frame_memo *old = r->memo;
		size_t n = r->memo_cap, i;
		r->memo_cap = n ? n * 2 : 1024;
		r->memo = xcalloc(r->memo_cap, sizeof(*r->memo));
		for (i = 0; i < n; i++)
			if (old[i].pc)
				*memo_slot(r->memo, r->memo_cap, old[i].pc) = old[i];
		free(old);
	}
	m = memo_slot(r->memo, r->memo_cap, pc);
	if (!m->pc) {
		m->pc = pc;
		m->found = lookup_frame(r, pc, &m->f) == 0;
		r->nmemo++;
	}
	*out = m->f;
	return m->found ? 0 : -1;
}

struct go_frames go_frames_of(const struct process *p)
{
	struct go_frames f = { p->go.tables, p->go.tables ? go_frame : NULL };
	return f;
}

/* ---- for the symbolizer ------------------------------------------------ */

/* A name as Go's tracebacks print it: the type arguments of a generic
 * function's instance elided, main.f[go.shape.int] as main.f[...] */
static char *name_for_print(const char *name)
{
	struct sb sb = { 0 };
	const char *s = name;
	while (*s) {
		const char *open = strchr(s, '['), *q;
		int depth = 0;
		if (!open) {
			sb_adds(&sb, s);
			break;
		}
		for (q = open; *q; q++) {
			depth += *q == '[';
			depth -= *q == ']';
			if (!depth)
				break;
		}
		if (!*q) {
			sb_adds(&sb, s);
			break;
		}
		sb_addf(&sb, "%.*s[...]", (int)(open - s), s);
		s = q + 1;
	}
	return sb_detach(&sb);
}

size_t go_symbolize(const struct process *p, uint64_t pc, int exact, struct symrow *rows,
		    size_t max)
{
	const struct gorun *r = p->go.tables;
	struct gorow gr[32];
	size_t n, i;
	uint64_t lpc;
	if (!r)
		return 0;
	lpc = pc - r->bias - !exact;
	if (lpc < r->text_lo || lpc >= r->text_hi)
		return 0;
	n = gotab_rows(r->tab, lpc, gr, max < 32 ? max : 32);
	for (i = 0; i < n; i++) {
		memset(&rows[i], 0, sizeof(rows[i]));
		rows[i].pc = pc;
		rows[i].function = name_for_print(gr[i].function);
		rows[i].file = gr[i].file ? xstrdup(gr[i].file) : NULL;
		rows[i].line = gr[i].line;
		rows[i].inlined = gr[i].inlined;
		rows[i].function_offset = gr[i].inlined ? 0 : pc - r->bias - gr[i].entry;
	}
	return n;
}
