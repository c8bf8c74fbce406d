/*
 * gotab.c - see gotab.h.
 *
 * The formats, with their sources, are in ../shared/research/go-runtime.md
 * (section 4): the pclntab header of Go 1.16-1.17 (magic 0xfffffffa),
 * 1.18-1.19 (0xfffffff0) and 1.20 onwards (0xfffffff1); _func and its
 * pcvalue tables; the inline tree (20-byte records up to 1.19, 16-byte
 * ones from 1.20); .go.buildinfo in its pointer-free form (flag 2, Go
 * 1.18+) and the older pointer form.
 */
#define _GNU_SOURCE
#include "gotab.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC_116 0xfffffffau
#define MAGIC_118 0xfffffff0u
#define MAGIC_120 0xfffffff1u

#define PCDATA_INLTREE 2
#define FUNCDATA_INLTREE 3
#define MAX_INLINE_DEPTH 64

struct sect {
	const char *name;
	uint64_t addr, size, off;
	uint32_t type;
};

struct gotab {
	const uint8_t *buf;
	size_t len;
	int pie;
	struct sect *sects;
	size_t nsects;
	const Elf64_Phdr *ph;
	size_t nph;
	const Elf64_Rela *rela;	/* .rela.dyn, for gotab_word */
	size_t nrela;
	/* the pclntab */
	const uint8_t *pcln;
	size_t pcln_len;
	uint64_t pcln_addr;
	uint32_t magic;
	uint64_t nfunc, text_start;
	uint64_t funcname_off, cu_off, filetab_off, pctab_off, functab_off;
	uint64_t gofunc;	/* moduledata.gofunc: the inline trees' base; 0 unknown */
	char *version, *module;
};

/* ---- bounded reads ----------------------------------------------------- */

static int rd32(const uint8_t *b, size_t len, uint64_t off, uint32_t *v)
{
	if (off > len || len - off < 4)
		return -1;
	memcpy(v, b + off, 4);
	return 0;
}

static int rd64(const uint8_t *b, size_t len, uint64_t off, uint64_t *v)
{
	if (off > len || len - off < 8)
		return -1;
	memcpy(v, b + off, 8);
	return 0;
}

/* A NUL-terminated string at off, within len; NULL when it runs out */
static const char *cstr(const uint8_t *b, size_t len, uint64_t off)
{
	const void *nul;
	if (off >= len)
		return NULL;
	nul = memchr(b + off, 0, len - off);
	return nul ? (const char *)b + off : NULL;
}

/* ---- ELF --------------------------------------------------------------- */

static int parse_elf(struct gotab *t)
{
	const Elf64_Ehdr *eh = (const void *)t->buf;
	const Elf64_Shdr *sh;
	const char *shstr;
	size_t i, shstr_len;
	if (t->len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
		return -1;
	t->pie = eh->e_type == ET_DYN;
	if (eh->e_phoff < t->len && eh->e_phentsize == sizeof(Elf64_Phdr) &&
	    eh->e_phnum <= (t->len - eh->e_phoff) / sizeof(Elf64_Phdr) && !(eh->e_phoff % 8)) {
		t->ph = (const void *)(t->buf + eh->e_phoff);
		t->nph = eh->e_phnum;
	}
	if (!eh->e_shoff || eh->e_shoff >= t->len || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shnum > (t->len - eh->e_shoff) / sizeof(Elf64_Shdr) || eh->e_shoff % 8 ||
	    eh->e_shstrndx >= eh->e_shnum)
		return -1;
	sh = (const void *)(t->buf + eh->e_shoff);
	if (sh[eh->e_shstrndx].sh_offset >= t->len ||
	    sh[eh->e_shstrndx].sh_size > t->len - sh[eh->e_shstrndx].sh_offset)
		return -1;
	shstr = (const char *)t->buf + sh[eh->e_shstrndx].sh_offset;
	shstr_len = sh[eh->e_shstrndx].sh_size;
	t->sects = xcalloc(eh->e_shnum, sizeof(*t->sects));
	for (i = 0; i < eh->e_shnum; i++) {
		const char *n = sh[i].sh_name < shstr_len ?
				cstr((const uint8_t *)shstr, shstr_len, sh[i].sh_name) : NULL;
		if (!n)
			continue;
		if (sh[i].sh_type != SHT_NOBITS &&
		    (sh[i].sh_offset > t->len || sh[i].sh_size > t->len - sh[i].sh_offset))
			continue;	/* claims bytes the file does not have */
		t->sects[t->nsects].name = n;
		t->sects[t->nsects].addr = sh[i].sh_addr;
		t->sects[t->nsects].size = sh[i].sh_size;
		t->sects[t->nsects].off = sh[i].sh_offset;
		t->sects[t->nsects].type = sh[i].sh_type;
		t->nsects++;
	}
	return 0;
}

static const struct sect *section(const struct gotab *t, const char *name)
{
	size_t i;
	for (i = 0; i < t->nsects; i++)
		if (!strcmp(t->sects[i].name, name))
			return &t->sects[i];
	return NULL;
}

int gotab_section(const struct gotab *t, const char *name, uint64_t *addr, uint64_t *size)
{
	const struct sect *s = section(t, name);
	if (!s)
		return -1;
	*addr = s->addr;
	*size = s->size;
	return 0;
}

int gotab_read(const struct gotab *t, uint64_t va, void *out, size_t n)
{
	size_t i;
	for (i = 0; i < t->nph; i++) {
		const Elf64_Phdr *p = &t->ph[i];
		if (p->p_type != PT_LOAD || va < p->p_vaddr || va - p->p_vaddr >= p->p_filesz)
			continue;
		if (n > p->p_filesz - (va - p->p_vaddr) || p->p_offset > t->len ||
		    va - p->p_vaddr + n > t->len - p->p_offset)
			return -1;
		memcpy(out, t->buf + p->p_offset + (va - p->p_vaddr), n);
		return 0;
	}
	return -1;
}

int gotab_word(const struct gotab *t, uint64_t va, uint64_t *out)
{
	size_t i;
	if (gotab_read(t, va, out, 8) < 0)
		return -1;
	if (*out || !t->pie)
		return 0;
	for (i = 0; i < t->nrela; i++)
		if (t->rela[i].r_offset == va && ELF64_R_TYPE(t->rela[i].r_info) == R_X86_64_RELATIVE) {
			*out = (uint64_t)t->rela[i].r_addend;
			return 0;
		}
	return 0;
}

int gotab_symbol(const struct gotab *t, const char *name, uint64_t *addr, uint64_t *size)
{
	const struct sect *st = section(t, ".symtab"), *ss = section(t, ".strtab");
	size_t i, n;
	if (!st || !ss || st->type != SHT_SYMTAB)
		return -1;
	n = st->size / sizeof(Elf64_Sym);
	for (i = 0; i < n; i++) {
		Elf64_Sym s;
		const char *nm;
		memcpy(&s, t->buf + st->off + i * sizeof(s), sizeof(s));
		nm = s.st_name < ss->size ? cstr(t->buf + ss->off, ss->size, s.st_name) : NULL;
		if (nm && !strcmp(nm, name)) {
			*addr = s.st_value;
			*size = s.st_size;
			return 0;
		}
	}
	return -1;
}

/* ---- .go.buildinfo ------------------------------------------------------- */

static int uvarint(const uint8_t *b, size_t len, size_t *pos, uint64_t *v)
{
	int shift = 0;
	*v = 0;
	while (*pos < len && shift < 64) {
		uint8_t c = b[(*pos)++];
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

static char *varint_string(const uint8_t *b, size_t len, size_t *pos)
{
	uint64_t n;
	char *s;
	if (uvarint(b, len, pos, &n) < 0 || n > len - *pos || n > 1 << 20)
		return NULL;
	s = xstrndup((const char *)b + *pos, n);
	*pos += n;
	return s;
}

/* A Go string header {ptr, len} at va, read through the file */
static char *string_at(const struct gotab *t, uint64_t va)
{
	uint64_t p, n;
	char *s;
	if (gotab_word(t, va, &p) < 0 || gotab_word(t, va + 8, &n) < 0 || n > 4096)
		return NULL;
	s = xcalloc(n + 1, 1);
	if (gotab_read(t, p, s, n) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* "path\tgithub.com/x/y\n..." -> "github.com/x/y" */
static char *main_path(const char *modinfo)
{
	const char *s = modinfo ? strstr(modinfo, "path\t") : NULL, *e;
	if (!s)
		return NULL;
	s += 5;
	e = strchr(s, '\n');
	return xstrndup(s, e ? (size_t)(e - s) : strlen(s));
}

/* "go1.25.7" and the like (a release, not a development build) */
static int is_go_version(const char *s, size_t n)
{
	size_t i = 4;
	if (n < 5 || n > 40 || memcmp(s, "go1.", 4))
		return 0;
	for (; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || (s[i] >= 'a' && s[i] <= 'z')))
			return 0;
	return s[4] >= '0' && s[4] <= '9';
}

/* Without .go.buildinfo (a binary stripped of it too): the runtime's own
 * runtime.buildVersion, a string header in .data or .noptrdata that
 * points at "go1.N..." in .rodata */
static void version_from_runtime(struct gotab *t)
{
	static const char *const where[] = { ".noptrdata", ".data" };
	const struct sect *ro = section(t, ".rodata");
	size_t i;
	uint64_t va, p, n;
	char buf[41];
	for (i = 0; ro && i < sizeof(where) / sizeof(*where) && !t->version; i++) {
		const struct sect *s = section(t, where[i]);
		if (!s || s->type == SHT_NOBITS)
			continue;
		for (va = s->addr; va + 16 <= s->addr + s->size; va += 8) {
			if (gotab_word(t, va, &p) < 0 || p < ro->addr || p >= ro->addr + ro->size ||
			    gotab_word(t, va + 8, &n) < 0 || n < 5 || n > 40 ||
			    gotab_read(t, p, buf, n) < 0 || !is_go_version(buf, n))
				continue;
			t->version = xstrndup(buf, n);
			break;
		}
	}
}

static void parse_buildinfo(struct gotab *t)
{
	static const char magic[] = "\xff Go buildinf:";
	const struct sect *s = section(t, ".go.buildinfo");
	const uint8_t *b;
	char *modinfo = NULL;
	size_t pos = 32;
	if (!s || s->type == SHT_NOBITS || s->size < 32)
		return;
	b = t->buf + s->off;
	if (memcmp(b, magic, 14) || b[14] != 8)
		return;
	if (b[15] & 2) {
		t->version = varint_string(b, s->size, &pos);
		modinfo = varint_string(b, s->size, &pos);
	} else {
		uint64_t vp, mp;
		memcpy(&vp, b + 16, 8);
		memcpy(&mp, b + 24, 8);
		t->version = string_at(t, vp);
		modinfo = string_at(t, mp);
	}
	t->module = main_path(modinfo);
	free(modinfo);
	if (t->version && strncmp(t->version, "go", 2)) {
		free(t->version);
		t->version = NULL;
	}
}

/* ---- the pclntab --------------------------------------------------------- */

static int parse_pclntab(struct gotab *t, struct sb *why)
{
	const struct sect *s = section(t, ".gopclntab");
	uint64_t w[8];
	size_t i, nw, base;
	if (!s)
		s = section(t, ".data.rel.ro.gopclntab");
	if (!s || s->type == SHT_NOBITS || s->size < 64)
		return -1;
	t->pcln = t->buf + s->off;
	t->pcln_len = s->size;
	t->pcln_addr = s->addr;
	memcpy(&t->magic, t->pcln, 4);
	if (t->magic != MAGIC_116 && t->magic != MAGIC_118 && t->magic != MAGIC_120) {
		sb_addf(why, "its pclntab has magic 0x%x, a format this inspect does not know",
			t->magic);
		return -1;
	}
	if (t->pcln[4] || t->pcln[5] || t->pcln[6] != 1 || t->pcln[7] != 8) {
		sb_adds(why, "its pclntab header is not that of an x86-64 Go binary");
		return -1;
	}
	nw = t->magic == MAGIC_116 ? 7 : 8;
	for (i = 0; i < nw; i++)
		if (rd64(t->pcln, t->pcln_len, 8 + 8 * i, &w[i]) < 0)
			return -1;
	t->nfunc = w[0];
	base = 2;
	if (t->magic != MAGIC_116)
		t->text_start = w[base++];
	/* Go 1.26 on leaves the header's textStart 0 (moduledata has it):
	 * the functions' offsets are from .text's start */
	if (t->magic == MAGIC_120 && !t->text_start && section(t, ".text"))
		t->text_start = section(t, ".text")->addr;
	t->funcname_off = w[base];
	t->cu_off = w[base + 1];
	t->filetab_off = w[base + 2];
	t->pctab_off = w[base + 3];
	t->functab_off = w[base + 4];
	/* the function table: nfunc + 1 pairs, all inside the pclntab */
	if (t->functab_off >= t->pcln_len || t->funcname_off >= t->pcln_len ||
	    t->cu_off >= t->pcln_len || t->filetab_off >= t->pcln_len ||
	    t->pctab_off >= t->pcln_len || !t->nfunc ||
	    t->nfunc >= (t->pcln_len - t->functab_off) / (t->magic == MAGIC_116 ? 16 : 8)) {
		sb_adds(why, "its pclntab's offsets point outside it");
		return -1;
	}
	return 0;
}

/* Entry i of the function table: the function's entry, and its _func's
 * offset (from the function table) */
static int functab(const struct gotab *t, size_t i, uint64_t *entry, uint64_t *funcoff)
{
	const uint8_t *ft = t->pcln + t->functab_off;
	size_t flen = t->pcln_len - t->functab_off;
	if (i > t->nfunc)
		return -1;
	if (t->magic == MAGIC_116) {
		return rd64(ft, flen, 16 * i, entry) < 0 || rd64(ft, flen, 16 * i + 8, funcoff) < 0
		       ? -1 : 0;
	} else {
		uint32_t e, f;
		if (rd32(ft, flen, 8 * i, &e) < 0 || rd32(ft, flen, 8 * i + 4, &f) < 0)
			return -1;
		*entry = t->text_start + e;
		*funcoff = f;
	}
	return 0;
}

/* The fields of a _func used here */
struct fn {
	uint64_t entry;
	const uint8_t *p;	/* the _func */
	size_t len;		/* bytes from p to the pclntab's end */
	int32_t nameoff;
	uint32_t pcsp, pcfile, pcln, npcdata, cu;
	uint8_t funcid, nfuncdata;
	size_t pcdata_at;	/* offset of pcdata[0] from p */
};

static int read_fn(const struct gotab *t, size_t i, struct fn *f)
{
	uint64_t entry, off;
	size_t o = t->magic == MAGIC_116 ? 8 : 4;	/* past the entry */
	uint32_t v[8];
	size_t k;
	if (functab(t, i, &entry, &off) < 0 || off >= t->pcln_len - t->functab_off)
		return -1;
	f->p = t->pcln + t->functab_off + off;
	f->len = t->pcln_len - t->functab_off - off;
	f->entry = entry;
	for (k = 0; k < 8; k++)
		if (rd32(f->p, f->len, o + 4 * k, &v[k]) < 0)
			return -1;
	/* nameoff, args, deferreturn, pcsp, pcfile, pcln, npcdata, cuOffset */
	f->nameoff = (int32_t)v[0];
	f->pcsp = v[3];
	f->pcfile = v[4];
	f->pcln = v[5];
	f->npcdata = v[6];
	f->cu = v[7];
	o += 32;
	if (t->magic == MAGIC_120)
		o += 4;		/* startLine */
	if (o + 4 > f->len || f->npcdata > 1000)
		return -1;
	f->funcid = f->p[o];
	f->nfuncdata = f->p[o + 3];
	f->pcdata_at = o + 4;
	return 0;
}

static const char *fn_name(const struct gotab *t, int32_t nameoff)
{
	if (nameoff < 0)
		return NULL;
	return cstr(t->pcln + t->funcname_off, t->pcln_len - t->funcname_off, (uint64_t)nameoff);
}

/* Go's pcvalue: the value of table `off` (in pctab) at pc, or -1 with
 * *ok = 0 when the table does not cover pc */
static int32_t pcvalue(const struct gotab *t, uint32_t off, uint64_t entry, uint64_t pc, int *ok)
{
	const uint8_t *b = t->pcln + t->pctab_off;
	size_t len = t->pcln_len - t->pctab_off, pos = off;
	uint64_t cur = entry;
	int32_t val = -1;
	int first = 1, steps = 0;
	*ok = 0;
	if (!off || off >= len)
		return -1;
	while (steps++ < 1000000) {
		uint64_t uv, pd;
		if (pos >= len)
			return -1;
		if (b[pos] == 0 && !first)
			return -1;
		if (uvarint(b, len, &pos, &uv) < 0)
			return -1;
		val += (int32_t)(-(uint32_t)(uv & 1) ^ (uint32_t)(uv >> 1));
		if (uvarint(b, len, &pos, &pd) < 0)
			return -1;
		cur += pd;	/* the PC quantum is 1 on x86-64 */
		first = 0;
		if (pc < cur) {
			*ok = 1;
			return val;
		}
	}
	return -1;
}

static int find_index(const struct gotab *t, uint64_t pc, size_t *idx)
{
	size_t lo = 0, hi = t->nfunc;
	uint64_t e, off, end;
	if (functab(t, 0, &e, &off) < 0 || pc < e || functab(t, t->nfunc, &end, &off) < 0 ||
	    pc >= end)
		return -1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (functab(t, mid, &e, &off) < 0)
			return -1;
		if (e <= pc)
			lo = mid;
		else
			hi = mid;
	}
	*idx = lo;
	return 0;
}

static int fill_func(const struct gotab *t, size_t i, struct gofunc *out)
{
	struct fn f;
	uint64_t end, off;
	if (read_fn(t, i, &f) < 0 || functab(t, i + 1, &end, &off) < 0)
		return -1;
	out->entry = f.entry;
	out->end = end;
	out->name = fn_name(t, f.nameoff);
	out->funcid = f.funcid;
	out->index = i;
	return out->name ? 0 : -1;
}

int gotab_func_at(const struct gotab *t, uint64_t pc, struct gofunc *f)
{
	size_t i;
	if (find_index(t, pc, &i) < 0)
		return -1;
	return fill_func(t, i, f);
}

int gotab_func_named(const struct gotab *t, const char *name, struct gofunc *f)
{
	size_t i;
	for (i = 0; i < t->nfunc; i++) {
		struct fn fn;
		const char *n;
		if (read_fn(t, i, &fn) < 0)
			continue;
		n = fn_name(t, fn.nameoff);
		if (n && !strcmp(n, name))
			return fill_func(t, i, f);
	}
	return -1;
}

int gotab_sp_delta(const struct gotab *t, const struct gofunc *gf, uint64_t pc, int64_t *delta)
{
	struct fn f;
	int ok;
	int32_t v;
	if (read_fn(t, gf->index, &f) < 0)
		return -1;
	v = pcvalue(t, f.pcsp, f.entry, pc, &ok);
	if (!ok || v < 0)
		return -1;
	*delta = v;
	return 0;
}

static const char *file_of(const struct gotab *t, const struct fn *f, int32_t fileno)
{
	uint32_t off;
	if (fileno < 0 || t->magic == MAGIC_116 + 1)
		return NULL;
	if (rd32(t->pcln + t->cu_off, t->pcln_len - t->cu_off,
		 ((uint64_t)f->cu + (uint64_t)fileno) * 4, &off) < 0 || off == 0xffffffffu)
		return NULL;
	return cstr(t->pcln + t->filetab_off, t->pcln_len - t->filetab_off, off);
}

static uint32_t pcdata_off(const struct fn *f, uint32_t k)
{
	uint32_t v;
	if (k >= f->npcdata || rd32(f->p, f->len, f->pcdata_at + 4 * (uint64_t)k, &v) < 0)
		return 0;
	return v;
}

static int funcdata_off(const struct fn *f, uint32_t k, uint32_t *v)
{
	if (k >= f->nfuncdata)
		return -1;
	return rd32(f->p, f->len, f->pcdata_at + 4 * ((uint64_t)f->npcdata + k), v);
}

/* Inline tree entry k at base (link-time address): its name, the
 * offset of its call site from the function's entry */
static int inl_entry(const struct gotab *t, uint64_t base, int32_t k, const char **name,
		     int32_t *parent_pc)
{
	uint8_t e[20];
	int32_t nameoff;
	size_t sz = t->magic == MAGIC_120 ? 16 : 20;
	if (k < 0 || gotab_read(t, base + (uint64_t)k * sz, e, sz) < 0)
		return -1;
	if (t->magic == MAGIC_120) {
		memcpy(&nameoff, e + 4, 4);
		memcpy(parent_pc, e + 8, 4);
	} else {
		memcpy(&nameoff, e + 12, 4);
		memcpy(parent_pc, e + 16, 4);
	}
	*name = fn_name(t, nameoff);
	return *name ? 0 : -1;
}

size_t gotab_rows(const struct gotab *t, uint64_t pc, struct gorow *rows, size_t max)
{
	struct fn f;
	size_t i, n = 0;
	uint32_t inl = 0;
	int ok, depth;
	if (!max || find_index(t, pc, &i) < 0 || read_fn(t, i, &f) < 0)
		return 0;
	/* the inline tree (Go 1.18+, where funcdata are offsets from gofunc) */
	if (t->gofunc && t->magic != MAGIC_116 && pcdata_off(&f, PCDATA_INLTREE) &&
	    funcdata_off(&f, FUNCDATA_INLTREE, &inl) == 0 && inl != 0xffffffffu) {
		for (depth = 0; depth < MAX_INLINE_DEPTH && n + 1 < max; depth++) {
			int32_t k = pcvalue(t, pcdata_off(&f, PCDATA_INLTREE), f.entry, pc, &ok), ppc;
			const char *name;
			if (!ok || k < 0 || inl_entry(t, t->gofunc + inl, k, &name, &ppc) < 0)
				break;
			rows[n].function = name;
			rows[n].file = file_of(t, &f, pcvalue(t, f.pcfile, f.entry, pc, &ok));
			rows[n].line = pcvalue(t, f.pcln, f.entry, pc, &ok);
			rows[n].inlined = 1;
			rows[n].entry = f.entry;
			n++;
			if (ppc < 0)
				break;
			pc = f.entry + (uint64_t)ppc;
		}
	}
	rows[n].function = fn_name(t, f.nameoff);
	rows[n].file = file_of(t, &f, pcvalue(t, f.pcfile, f.entry, pc, &ok));
	rows[n].line = pcvalue(t, f.pcln, f.entry, pc, &ok);
	if (rows[n].line < 0)
		rows[n].line = 0;
	rows[n].inlined = 0;
	rows[n].entry = f.entry;
	return rows[n].function ? n + 1 : 0;
}

/* ---- moduledata ------------------------------------------------------------ */

/*
 * moduledata begins with a pointer to the pclntab; gofunc (the inline
 * trees' base) is the word after the one that holds .rodata's address
 * (the last such word of its first 64).  It is found in .noptrdata
 * (Go up to 1.25) or .go.module (1.26 on); .symtab, when there, names
 * go:func.* (go.func.* before 1.20) directly.
 */
static void find_gofunc(struct gotab *t)
{
	static const char *const where[] = { ".go.module", ".noptrdata", ".data" };
	const struct sect *ro = section(t, ".rodata");
	uint64_t a, sz, w, k;
	size_t i;
	if (gotab_symbol(t, "go:func.*", &a, &sz) == 0 || gotab_symbol(t, "go.func.*", &a, &sz) == 0) {
		t->gofunc = a;
		return;
	}
	if (!ro)
		return;
	for (i = 0; i < sizeof(where) / sizeof(*where); i++) {
		const struct sect *s = section(t, where[i]);
		uint64_t va;
		if (!s || s->type == SHT_NOBITS)
			continue;
		for (va = s->addr; va + 8 <= s->addr + s->size; va += 8) {
			uint64_t last = 0;
			if (gotab_word(t, va, &w) < 0 || w != t->pcln_addr)
				continue;
			for (k = 1; k < 64; k++)
				if (gotab_word(t, va + 8 * k, &w) == 0 && w == ro->addr)
					last = k;
			/* in .rodata up to Go 1.25, in the pclntab's segment on */
			if (last && gotab_word(t, va + 8 * (last + 1), &w) == 0 &&
			    gotab_read(t, w, &k, 1) == 0) {
				t->gofunc = w;
				return;
			}
		}
	}
}

struct gotab *gotab_parse(const uint8_t *buf, size_t len, struct sb *why)
{
	struct gotab *t = xcalloc(1, sizeof(*t));
	const struct sect *r;
	t->buf = buf;
	t->len = len;
	if (parse_elf(t) < 0 || parse_pclntab(t, why) < 0) {
		gotab_free(t);
		return NULL;
	}
	r = section(t, ".rela.dyn");
	if (!r)
		r = section(t, ".rela");	/* Go's own linker's name */
	if (r && r->type == SHT_RELA && !(r->off % 8)) {
		t->rela = (const void *)(t->buf + r->off);
		t->nrela = r->size / sizeof(Elf64_Rela);
	}
	parse_buildinfo(t);
	if (!t->version)
		version_from_runtime(t);
	find_gofunc(t);
	return t;
}

void gotab_free(struct gotab *t)
{
	if (!t)
		return;
	free(t->sects);
	free(t->version);
	free(t->module);
	free(t);
}

const char *gotab_version(const struct gotab *t)
{
	return t->version;
}

const char *gotab_module_path(const struct gotab *t)
{
	return t->module;
}

int gotab_is_pie(const struct gotab *t)
{
	return t->pie;
}

uint64_t gotab_load_base(const struct gotab *t)
{
	uint64_t lo = UINT64_MAX;
	size_t i;
	for (i = 0; i < t->nph; i++)
		if (t->ph[i].p_type == PT_LOAD && t->ph[i].p_vaddr < lo)
			lo = t->ph[i].p_vaddr;
	return lo == UINT64_MAX ? 0 : lo & ~(uint64_t)0xfff;
}
