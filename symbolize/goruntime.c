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

/* What a function's code refers to, found by the shapes of its
 * instructions alone: a byte pattern, not a disassembly, so what it finds
 * is used only where it agrees with something else (the row of the
 * layout table, the other references, what memory then holds). */
enum ref_kind {
	REF_RIP,	/* a 64-bit move, compare or exchange with a RIP-relative operand */
	REF_LEA,	/* LEA of a RIP-relative address */
	REF_DEC_RIP,	/* a 32-bit DEC of a RIP-relative operand */
	REF_DEC_REG,	/* a 32-bit DEC of disp32(register): v is the displacement */
};

struct code_ref {
	uint64_t v;
	enum ref_kind kind;
};

static size_t code_refs(const struct gotab *t, const char *func, struct code_ref **out)
{
	struct gofunc f;
	struct code_ref *v = NULL;
	size_t n = 0, nalloc = 0, i, len;
	uint8_t *code;
	*out = NULL;
	if (gotab_func_named(t, func, &f) < 0 || f.end <= f.entry || f.end - f.entry > 65536)
		return 0;
	len = f.end - f.entry;
	code = xmalloc(len);
	if (gotab_read(t, f.entry, code, len) < 0) {
		free(code);
		return 0;
	}
	for (i = 0; i + 6 <= len; i++) {
		struct code_ref r;
		int32_t disp;
		uint8_t op = i + 1 < len ? code[i + 1] : 0;
		if ((code[i] & 0xf8) == 0x48 && i + 7 <= len && (code[i + 2] & 0xc7) == 0x05 &&
		    (op == 0x8b || op == 0x89 || op == 0x8d || op == 0x87 || op == 0x3b ||
		     op == 0x39 || (op == 0x83 && i + 8 <= len))) {
			/* REX.W op modrm(mod 00, rm 101) disp32 [imm8]: the
			 * operand is the next instruction + disp32 */
			size_t ilen = op == 0x83 ? 8 : 7;
			memcpy(&disp, code + i + 3, 4);
			r.v = f.entry + i + ilen + (int64_t)disp;
			r.kind = op == 0x8d ? REF_LEA : REF_RIP;
		} else if (code[i] == 0xff && code[i + 1] == 0x0d) {
			memcpy(&disp, code + i + 2, 4);
			r.v = f.entry + i + 6 + (int64_t)disp;
			r.kind = REF_DEC_RIP;
		} else if (code[i] == 0xff && (code[i + 1] & 0xf8) == 0x88 && code[i + 1] != 0x8c) {
			/* modrm mod 10, reg 001 (DEC), rm not SIB: disp32(reg) */
			memcpy(&disp, code + i + 2, 4);
			r.v = (uint64_t)(int64_t)disp;
			r.kind = REF_DEC_REG;
		} else {
			continue;
		}
		grow((void **)&v, &nalloc, n, sizeof(*v));
		v[n++] = r;
	}
	free(code);
	*out = v;
	return n;
}

static int has_ref(const struct code_ref *v, size_t n, uint64_t value, enum ref_kind kind)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (v[i].v == value && (v[i].kind == kind || (kind == REF_RIP && v[i].kind == REF_LEA)))
			return 1;
	return 0;
}

static int in_section(const struct gotab *t, const char *name, uint64_t a)
{
	uint64_t addr, size;
	return gotab_section(t, name, &addr, &size) == 0 && a >= addr && a - addr < size;
}

static int in_bss(const struct gotab *t, uint64_t a)
{
	return in_section(t, ".bss", a) || in_section(t, ".noptrbss", a);
}

/* A slice header in .bss that func reads at +0 and +8 (and, with
 * cap_too, at +16), when exactly one does */
static int slice_read_by(const struct gotab *t, const char *func, int cap_too, uint64_t *out)
{
	struct code_ref *v;
	size_t n = code_refs(t, func, &v), i, found = 0;
	for (i = 0; i < n; i++) {
		uint64_t a = v[i].v;
		if (v[i].kind == REF_DEC_REG || v[i].kind == REF_DEC_RIP || !in_section(t, ".bss", a) ||
		    !has_ref(v, n, a + 8, REF_RIP) || (cap_too && !has_ref(v, n, a + 16, REF_RIP)) ||
		    (found && a == *out))
			continue;
		*out = a;
		found++;
	}
	free(v);
	return found == 1 ? 0 : -1;
}

/* runtime.allgs: named in .symtab, else the .bss slice header that
 * runtime.allgadd reads at +0, +8 and +16 */
static int find_allgs(const struct gotab *t, uint64_t *out)
{
	uint64_t size;
	if (gotab_symbol(t, "runtime.allgs", out, &size) == 0)
		return 0;
	return slice_read_by(t, "runtime.allgadd", 1, out);
}

/* runtime.sched.gFree and runtime.allp, for NumGoroutine's counters.
 * gfget takes sched.gFree's lock (LEA of it), looks at its first list
 * (+8) and decrements its counts where the row says; and decrements
 * p.gFree's count (the row's p.gFree + 8).  A row that its release's
 * own gfget does not bear out is not used.  allp: named in .symtab, else
 * the slice header runtime.preemptall ranges over. */
static void find_counters(const struct gotab *t, const struct go_layout *L, uint64_t *gfree,
			  uint64_t *allp)
{
	struct code_ref *v;
	size_t n, i, found = 0;
	uint64_t size, at = 0;
	*gfree = *allp = 0;
	if (!L->gfree_counts)
		return;
	n = code_refs(t, "runtime.gfget", &v);
	if (has_ref(v, n, (uint64_t)L->p_gfree + 8, REF_DEC_REG))
		for (i = 0; i < n; i++) {
			uint64_t a = v[i].v;
			if (v[i].kind != REF_LEA || !in_bss(t, a) || !has_ref(v, n, a + 8, REF_RIP) ||
			    (found && a == at))
				continue;
			if (L->gfree_counts == 1 ? !has_ref(v, n, a + 24, REF_DEC_RIP)
						 : !has_ref(v, n, a + 16, REF_DEC_RIP) ||
						   !has_ref(v, n, a + 32, REF_DEC_RIP))
				continue;
			at = a;
			found++;
		}
	free(v);
	if (found != 1)
		return;
	if (gotab_symbol(t, "runtime.allp", allp, &size) < 0 &&
	    slice_read_by(t, "runtime.preemptall", 0, allp) < 0) {
		*allp = 0;
		return;
	}
	*gfree = at;
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
	find_counters(r->tab, go->layout, &go->gfree, &go->allp);
	if (go->gfree) {
		go->gfree += r->bias;
		go->allp += r->bias;
	}
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
