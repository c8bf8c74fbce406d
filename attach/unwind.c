/*
 * unwind.c - unwind each thread from its captured registers and stack
 * bytes, after every thread has been released.
 *
 * libunwind's remote API does the work (DWARF CFI from .eh_frame, its
 * frame-pointer fallback where no CFI covers a PC, signal frames), with
 * our own accessors:
 *   - registers come from the capture;
 *   - memory inside the captured stack range comes from the copy;
 *   - anything else (code, .eh_frame_hdr/.eh_frame of a module, which do
 *     not change while the process runs) is read from the target's own
 *     memory with process_vm_readv, one cached page at a time;
 *   - writes are refused: the unwinder never changes the target.
 * The unwind table of a module is found from the ELF program headers
 * mapped in the target itself (PT_GNU_EH_FRAME), so no file is opened:
 * a binary that was deleted, replaced, or lives in another mount
 * namespace unwinds the same.  Only a module without that header (a
 * -static binary from gcc) has its file opened, as the symbolizer opens
 * it (modfile.h), to build the table from .eh_frame.  We do not
 * use libunwind-ptrace's
 * _UPT_find_proc_info: it re-reads /proc/PID/maps, opens module paths
 * on the host, and needs the thread stopped.
 *
 * A corrupt stack cannot hang or crash this: frames are capped, the
 * stack pointer must move outward (except across a signal frame), and
 * an (ip, sp) pair seen twice ends the walk with a reason.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "modfile.h"

#include <elf.h>
#include <errno.h>
#include <libunwind.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t, unw_word_t,
					      unw_dyn_info_t *, unw_proc_info_t *,
					      int, void *);

#define PAGE 4096u
#define NPAGES 4096u		/* cache slots */

struct page {
	uint64_t addr;		/* page address + 1; 0 = empty slot */
	int ok;
	uint8_t *data;
};

/* The unwind table of one module of the maps (model.h) */
struct umod {
	const struct module *mod;
	int state;		/* 0 unknown, 1 has table, -1 none */
	unw_dyn_info_t di;
	int32_t *table;		/* our own search table (no PT_GNU_EH_FRAME) */
	size_t table_bytes;
};

/* Where libunwind reads a table we built: an address no user process
 * can map, module i's at TABLE_BASE + i * TABLE_SPAN. */
#define TABLE_BASE 0xfff0000000000000ull
#define TABLE_SPAN (1ull << 36)

/* Whether CFI covers a PC, asked once per distinct PC: asking libunwind
 * costs a search of the unwind table and, inside libunwind, four
 * sigprocmask calls, which were most of the unwind time at 1,000
 * threads with the same few PCs. */
struct pcinfo {
	uint64_t pc;		/* 0 = empty slot */
	int has_info;
};

/* The context of one unwind_process: libunwind hands it back to every
 * accessor as its `arg`. */
struct uctx {
	struct process *p;
	struct thread *t;
	struct user_regs_struct regs;	/* the frame a cursor starts from */
	struct page *pages;
	struct modules modules;	/* of p->maps */
	struct umod *mods;	/* parallel to modules.v */
	struct pcinfo *pcinfo;
	size_t npcinfo, pcinfo_cap;	/* cap: a power of two */
	struct modfiles files;
	const struct go_frames *go;	/* a Go program's frame tables, or NULL */
	uint64_t copy_end;	/* the highest byte of the copy read, + 1 */
	/* the walk's frames, before they are kept (unwind_thread) */
	uint64_t *pcs;
	uint8_t *act;
	size_t room;
};

/*
 * libunwind blocks every signal around each lock it takes (its caches
 * are meant to be usable from signal handlers of the process unwinding
 * itself): two sigprocmask system calls per unw_step, half of all our
 * unwind time.  We never unwind from a signal handler, so while this
 * thread unwinds, libunwind's calls (its only use of the symbol; ours
 * use pthread_sigmask) leave the mask alone.  Everywhere else this is
 * the real sigprocmask.
 */
static __thread int unwinding;

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	int e;
	if (unwinding) {
		if (old)
			sigemptyset(old);	/* given back only to us */
		return 0;
	}
	e = pthread_sigmask(how, set, old);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

static const uint8_t *live_page(struct uctx *u, uint64_t pa)
{
	size_t h = (pa / PAGE) % NPAGES, i;
	for (i = 0; i < 8; i++) {
		struct page *pg = &u->pages[(h + i) % NPAGES];
		if (pg->addr == pa + 1)
			return pg->ok ? pg->data : NULL;
		if (!pg->addr || i == 7) {
			struct iovec l, r;
			if (!pg->data)
				pg->data = xmalloc(PAGE);
			l.iov_base = pg->data;
			l.iov_len = PAGE;
			r.iov_base = (void *)(uintptr_t)pa;
			r.iov_len = PAGE;
			pg->addr = pa + 1;
			pg->ok = process_vm_readv(u->p->mm_tid, &l, 1, &r, 1, 0) == PAGE;
			return pg->ok ? pg->data : NULL;
		}
	}
	return NULL;
}

/* Read n bytes at addr: from the captured stack, else live memory. */
static int read_mem(struct uctx *u, uint64_t addr, void *out, size_t n)
{
	const struct capture *c = &u->t->cap;
	uint8_t *o = out;
	if (addr >= c->stack_lo && addr + n <= c->stack_lo + c->stack_len &&
	    addr + n > addr) {
		memcpy(out, c->stack + (addr - c->stack_lo), n);
		if (addr + n > u->copy_end)
			u->copy_end = addr + n;
		return 0;
	}
	if (addr >= TABLE_BASE) {
		size_t i = (addr - TABLE_BASE) / TABLE_SPAN;
		uint64_t off = (addr - TABLE_BASE) % TABLE_SPAN;
		if (i >= u->modules.n || off + n > u->mods[i].table_bytes || off + n < off)
			return -1;
		memcpy(out, (const uint8_t *)u->mods[i].table + off, n);
		return 0;
	}
	while (n) {
		uint64_t pa = addr & ~(uint64_t)(PAGE - 1);
		size_t off = addr - pa, k = PAGE - off;
		const uint8_t *pg;
		if (k > n)
			k = n;
		pg = live_page(u, pa);
		if (!pg)
			return -1;
		memcpy(o, pg + off, k);
		o += k;
		addr += k;
		n -= k;
	}
	return 0;
}

/* ---- module unwind tables ----------------------------------------------- */

/*
 * A module without PT_GNU_EH_FRAME: gcc links -static binaries without
 * --eh-frame-hdr, so their .eh_frame has no search table, and without
 * one libunwind falls back to frame pointers, which skip frames of code
 * built without them.  We build the table ourselves from the module's
 * file (the section headers are not in memory): the start address and
 * offset of every FDE in .eh_frame, sorted, in the format of
 * .eh_frame_hdr's table, which libunwind then searches like any other.
 */
#define EH_MAX (64u << 20)		/* a larger .eh_frame is not believed */

struct ehbuf {
	const uint8_t *d;
	size_t n;
	uint64_t rt;		/* run-time address of d[0] */
	uint64_t bias;		/* added to absolute values (read from a file) */
	uint64_t datarel;	/* base of datarel values; 0: not taken */
};

static int eh_uleb(const struct ehbuf *b, size_t *p, uint64_t *v)
{
	unsigned shift = 0;
	*v = 0;
	while (*p < b->n && shift < 64) {
		uint8_t c = b->d[(*p)++];
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

/* a pointer of encoding enc at d[*p]; -1 for encodings we do not take */
static int eh_ptr(const struct ehbuf *b, size_t *p, uint8_t enc, uint64_t *v)
{
	size_t at = *p, k;
	uint64_t x = 0;
	switch (enc & 0x0f) {
	case 0x00: case 0x04: case 0x0c: k = 8; break;
	case 0x03: case 0x0b: k = 4; break;
	case 0x02: case 0x0a: k = 2; break;
	default: return -1;
	}
	if (at + k > b->n)
		return -1;
	memcpy(&x, b->d + at, k);	/* little-endian */
	if ((enc & 0x0f) == 0x0b)
		x = (uint64_t)(int64_t)(int32_t)x;
	else if ((enc & 0x0f) == 0x0a)
		x = (uint64_t)(int64_t)(int16_t)x;
	*p = at + k;
	switch (enc & 0x70) {
	case 0x00: *v = x + b->bias; return 0;		/* absolute, as linked */
	case 0x10: *v = x + b->rt + at; return 0;	/* pcrel */
	case 0x30:					/* datarel */
		if (!b->datarel)
			return -1;
		*v = x + b->datarel;
		return 0;
	default: return -1;
	}
}

/* the FDE pointer encoding of the CIE whose body (after its id) is at p */
static int eh_cie_enc(const struct ehbuf *b, size_t p, size_t end)
{
	const char *aug;
	size_t i, alen;
	uint64_t v;
	uint8_t version;
	struct ehbuf lim = *b;
	lim.n = end;
	if (p >= end)
		return -1;
	version = b->d[p++];
	aug = (const char *)b->d + p;
	alen = strnlen(aug, end - p);
	if (p + alen >= end)
		return -1;
	p += alen + 1;
	if (strstr(aug, "eh"))
		p += 8;
	if (eh_uleb(&lim, &p, &v) < 0 || eh_uleb(&lim, &p, &v) < 0)	/* code, data align */
		return -1;
	if (version == 1)
		p++;
	else if (eh_uleb(&lim, &p, &v) < 0)
		return -1;
	if (aug[0] != 'z')
		return 0;
	if (eh_uleb(&lim, &p, &v) < 0)
		return -1;
	for (i = 1; i < alen; i++) {
		if (p >= end)
			return -1;
		switch (aug[i]) {
		case 'R': return b->d[p];
		case 'L': p++; break;
		case 'P': {
			uint8_t e = b->d[p++];
			if (eh_ptr(&lim, &p, e & 0x0f, &v) < 0)
				return -1;
			break;
		}
		case 'S': case 'B': case 'G': break;
		default: return -1;
		}
	}
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return x < y ? -1 : x > y;
}

/* the entry (CIE or FDE) at pos: its id field at *body, its end */
static int eh_entry(const struct ehbuf *b, size_t pos, size_t *body, size_t *end)
{
	uint64_t len;
	uint32_t l4;
	if (pos > b->n || b->n - pos < 4)
		return -1;
	memcpy(&l4, b->d + pos, 4);
	*body = pos + 4;
	len = l4;
	if (l4 == 0xffffffffu) {
		if (b->n - pos < 12)
			return -1;
		memcpy(&len, b->d + pos + 4, 8);
		*body = pos + 12;
	}
	if (len < 4 || len > b->n - *body)
		return -1;	/* also the terminator (length 0) */
	*end = *body + len;
	return 0;
}

/* the (start, FDE) table of .eh_frame in b, relative to b->rt */
static size_t eh_table(const struct ehbuf *b, int32_t **out)
{
	size_t pos = 0, n = 0, cap = 0, cie = (size_t)-1, body, end, cbody, cend, p;
	int32_t *t = NULL;
	int enc = -1;
	uint64_t start;
	uint32_t id;
	for (; eh_entry(b, pos, &body, &end) == 0; pos = end) {
		memcpy(&id, b->d + body, 4);
		if (!id || id > body)
			continue;	/* a CIE, or a pointer out of the section */
		if (body - id != cie) {
			cie = body - id;
			enc = eh_entry(b, cie, &cbody, &cend) < 0 || memcmp(b->d + cbody, "\0\0\0", 4)
			    ? -1 : eh_cie_enc(b, cbody + 4, cend);
		}
		p = body + 4;
		if (enc < 0 || eh_ptr(b, &p, (uint8_t)enc, &start) < 0 || !start ||
		    start - b->rt + 0x80000000ull > 0xffffffffull || pos > 0x7fffffffu)
			continue;
		grow((void **)&t, &cap, n, 2 * sizeof(*t));
		t[2 * n] = (int32_t)(int64_t)(start - b->rt);
		t[2 * n + 1] = (int32_t)pos;
		n++;
	}
	if (n)
		qsort(t, n, 2 * sizeof(*t), cmp_entry);
	*out = t;
	return n;
}

/* .eh_frame of the module's file, read into *buf; its address as linked */
static int eh_section(int fd, uint8_t **buf, size_t *len, uint64_t *addr)
{
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL, str;
	char *names = NULL;
	int i, found = -1;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(*sh) ||
	    !eh.e_shnum || eh.e_shnum > 8192 || eh.e_shstrndx >= eh.e_shnum)
		return -1;
	sh = xmalloc(eh.e_shnum * sizeof(*sh));
	if (pread(fd, sh, eh.e_shnum * sizeof(*sh), eh.e_shoff) != (ssize_t)(eh.e_shnum * sizeof(*sh)))
		goto out;
	str = sh[eh.e_shstrndx];
	if (str.sh_size > (1u << 20))
		goto out;
	names = xmalloc(str.sh_size + 1);
	if (pread(fd, names, str.sh_size, str.sh_offset) != (ssize_t)str.sh_size)
		goto out;
	names[str.sh_size] = '\0';
	for (i = 0; i < eh.e_shnum; i++) {
		if (sh[i].sh_name >= str.sh_size || strcmp(names + sh[i].sh_name, ".eh_frame") ||
		    sh[i].sh_type != SHT_PROGBITS || !(sh[i].sh_flags & SHF_ALLOC) ||
		    !sh[i].sh_size || sh[i].sh_size > EH_MAX)
			continue;
		*buf = xmalloc(sh[i].sh_size);
		if (pread(fd, *buf, sh[i].sh_size, sh[i].sh_offset) != (ssize_t)sh[i].sh_size) {
			free(*buf);
			break;
		}
		*len = sh[i].sh_size;
		*addr = sh[i].sh_addr;
		found = 0;
		break;
	}
out:
	free(sh);
	free(names);
	return found;
}

/* module m searches the table of n (start, FDE) entries at table,
 * offsets from segbase, as in .eh_frame_hdr */
static void use_table(struct umod *m, uint64_t segbase, uint64_t table, size_t n)
{
	memset(&m->di, 0, sizeof(m->di));
	m->di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	m->di.start_ip = m->mod->exec_lo;
	m->di.end_ip = m->mod->exec_hi;
	m->di.u.rti.segbase = segbase;
	m->di.u.rti.table_data = table;
	m->di.u.rti.table_len = n * 8 / sizeof(unw_word_t);
	m->state = 1;
}

static void build_table(struct uctx *u, struct umod *m, uint64_t bias)
{
	const struct mapping *f = m->mod->first;
	struct ehbuf b;
	uint8_t *buf;
	size_t n;
	uint64_t addr;
	int fd = modfiles_open_mapping(&u->files, f->start, f->end, f->path, f->deleted,
				       f->inode);
	memset(&b, 0, sizeof(b));
	if (fd < 0)
		return;
	if (eh_section(fd, &buf, &b.n, &addr) < 0) {
		close(fd);
		return;
	}
	close(fd);
	b.d = buf;
	b.bias = bias;
	b.rt = addr + bias;
	n = eh_table(&b, &m->table);
	free(buf);
	if (!n)
		return;
	m->table_bytes = n * 2 * sizeof(int32_t);
	use_table(m, b.rt, TABLE_BASE + (uint64_t)(m - u->mods) * TABLE_SPAN, n);
}

static void load_module(struct uctx *u, struct umod *m)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint64_t base = m->mod->first->start, bias = 0, hdr = 0, eh_frame, fde_count;
	int i, have_load = 0;
	uint8_t h[20];
	struct ehbuf b;
	size_t pos = 4;
	m->state = -1;
	if (m->mod->first->offset != 0 || !m->mod->exec_hi ||
	    read_mem(u, base, &eh, sizeof(eh)) < 0 || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph) ||
	    eh.e_phnum > 256)
		return;
	for (i = 0; i < eh.e_phnum; i++) {
		if (read_mem(u, base + eh.e_phoff + i * sizeof(ph), &ph, sizeof(ph)) < 0)
			return;
		if (ph.p_type == PT_LOAD && !have_load) {
			have_load = 1;
			if (eh.e_type == ET_DYN)
				bias = base - (ph.p_vaddr & ~(ph.p_align ? ph.p_align - 1 : 0));
		}
		if (ph.p_type == PT_GNU_EH_FRAME)
			hdr = ph.p_vaddr;
	}
	if (!hdr) {
		build_table(u, m, bias);
		return;
	}
	hdr += bias;
	if (read_mem(u, hdr, h, 4) < 0 || h[0] != 1 || h[3] != 0x3b)
		return;		/* only the binary-search table format */
	/* then two encoded values of at most 8 bytes each */
	memset(&b, 0, sizeof(b));
	b.d = h;
	b.n = read_mem(u, hdr, h, 20) == 0 ? 20 : read_mem(u, hdr, h, 12) == 0 ? 12 : 4;
	b.rt = b.datarel = hdr;
	if (eh_ptr(&b, &pos, h[1], &eh_frame) < 0 || eh_ptr(&b, &pos, h[2], &fde_count) < 0 ||
	    !fde_count || fde_count > (1u << 26))
		return;
	use_table(m, hdr, hdr + pos, fde_count);
}

static void build_modules(struct uctx *u)
{
	size_t i;
	maps_modules(&u->p->maps, &u->modules);
	u->mods = xcalloc(u->modules.n, sizeof(*u->mods));
	for (i = 0; i < u->modules.n; i++)
		u->mods[i].mod = &u->modules.v[i];
}

/* ---- accessors ------------------------------------------------------------ */

static int a_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			    int need, void *arg)
{
	/* by the mapping, not by the module's range (model.h) */
	struct uctx *u = arg;
	const struct mapping *map = maps_find(&u->p->maps, ip);
	const struct module *mod = map && map->perms[2] == 'x' ?
				   modules_of(&u->modules, &u->p->maps, map) : NULL;
	struct umod *m;
	if (!mod)
		return -UNW_ENOINFO;
	m = &u->mods[mod - u->modules.v];
	if (!m->state)
		load_module(u, m);
	if (m->state < 0)
		return -UNW_ENOINFO;
	return _Ux86_64_dwarf_search_unwind_table(as, ip, &m->di, pi, need, arg);
}

static void a_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	/* libunwind frees table-format info */
}

static int a_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *v, void *arg)
{
	return -UNW_ENOINFO;
}

static int a_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val,
			int write, void *arg)
{
	if (write)
		return -UNW_EREADONLYREG;	/* never write to the target */
	return read_mem(arg, addr, val, sizeof(*val)) < 0 ? -UNW_EINVAL : 0;
}

static int a_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val,
			int write, void *arg)
{
	const struct user_regs_struct *r = &((struct uctx *)arg)->regs;
	if (write)
		return -UNW_EREADONLYREG;
	switch (reg) {
	case UNW_X86_64_RAX: *val = r->rax; break;
	case UNW_X86_64_RDX: *val = r->rdx; break;
	case UNW_X86_64_RCX: *val = r->rcx; break;
	case UNW_X86_64_RBX: *val = r->rbx; break;
	case UNW_X86_64_RSI: *val = r->rsi; break;
	case UNW_X86_64_RDI: *val = r->rdi; break;
	case UNW_X86_64_RBP: *val = r->rbp; break;
	case UNW_X86_64_RSP: *val = r->rsp; break;
	case UNW_X86_64_R8: *val = r->r8; break;
	case UNW_X86_64_R9: *val = r->r9; break;
	case UNW_X86_64_R10: *val = r->r10; break;
	case UNW_X86_64_R11: *val = r->r11; break;
	case UNW_X86_64_R12: *val = r->r12; break;
	case UNW_X86_64_R13: *val = r->r13; break;
	case UNW_X86_64_R14: *val = r->r14; break;
	case UNW_X86_64_R15: *val = r->r15; break;
	case UNW_X86_64_RIP: *val = r->rip; break;
	default: return -UNW_EBADREG;
	}
	return 0;
}

static int a_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val,
			  int write, void *arg)
{
	return -UNW_EBADREG;
}

static int a_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	return -UNW_EINVAL;
}

static int a_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf,
			   size_t len, unw_word_t *off, void *arg)
{
	return -UNW_ENOINFO;	/* symbolize/ names frames later */
}

static unw_accessors_t accessors = {
	.find_proc_info = a_find_proc_info,
	.put_unwind_info = a_put_unwind_info,
	.get_dyn_info_list_addr = a_get_dyn_info_list_addr,
	.access_mem = a_access_mem,
	.access_reg = a_access_reg,
	.access_fpreg = a_access_fpreg,
	.resume = a_resume,
	.get_proc_name = a_get_proc_name,
};

/* ---- the walk ------------------------------------------------------------- */

static struct pcinfo *pcinfo_slot(struct uctx *u, uint64_t pc)
{
	size_t i = (size_t)(pc * 0x9E3779B97F4A7C15ull >> 20) & (u->pcinfo_cap - 1);
	while (u->pcinfo[i].pc && u->pcinfo[i].pc != pc)
		i = (i + 1) & (u->pcinfo_cap - 1);
	return &u->pcinfo[i];
}

/* Does unwind information cover the cursor's PC?  Without it libunwind
 * makes up a one-byte range. */
static int has_unwind_info(struct uctx *u, unw_cursor_t *c, uint64_t ip)
{
	struct pcinfo *e;
	unw_proc_info_t pi;
	if (u->npcinfo * 2 >= u->pcinfo_cap) {
		struct pcinfo *old = u->pcinfo;
		size_t n = u->pcinfo_cap, i;
		u->pcinfo_cap = n ? n * 2 : 256;
		u->pcinfo = xcalloc(u->pcinfo_cap, sizeof(*u->pcinfo));
		for (i = 0; i < n; i++)
			if (old[i].pc)
				*pcinfo_slot(u, old[i].pc) = old[i];
		free(old);
	}
	e = pcinfo_slot(u, ip);
	if (!e->pc) {
		e->pc = ip;
		e->has_info = unw_get_proc_info(c, &pi) == 0 &&
			      !(pi.start_ip == ip && pi.end_ip == ip + 1);
		u->npcinfo++;
	}
	return e->has_info;
}

/* into the walk's room (unwind_thread): never more than max_depth */
static void push(struct thread *t, uint64_t pc, int act)
{
	t->pcs[t->npcs] = pc;
	t->activation[t->npcs] = act;
	t->npcs++;
}

/* Whether r is at the return of a clone system call: in it (the call
 * number) or stopped at the next instruction ("mov $nr, %eax; syscall"
 * just before). */
static int after_clone(struct uctx *u, const struct user_regs_struct *r)
{
	uint8_t code[7];
	uint32_t nr;
	if (r->orig_rax == SYS_clone3 || r->orig_rax == SYS_clone)
		return 1;
	if (read_mem(u, r->rip - 7, code, sizeof(code)) < 0 || code[0] != 0xb8 ||
	    code[5] != 0x0f || code[6] != 0x05)
		return 0;
	memcpy(&nr, code + 1, 4);
	return nr == SYS_clone3 || nr == SYS_clone;
}

/*
 * A thread stopped on its way back into the call a signal interrupted:
 * the handler's rt_sigreturn left it outside any call (orig_rax -1), its
 * rip moved back onto the syscall instruction and the call's number in
 * rax, so that the call restarts.  It waits in that call as before the
 * signal: taken as inside it (rip past the instruction, where the
 * kernel puts it), it is classified and grouped with the threads that
 * never left the call.  The code is read here, after the release, not
 * while the thread is held.
 */
static void restarting_call(struct uctx *u)
{
	struct thread *t = u->t;
	struct user_regs_struct *r = &t->cap.regs;
	uint8_t code[2];
	if (t->syscall_nr != SYSCALL_NONE || (long)r->orig_rax >= 0 || r->rax >= 1024 ||
	    read_mem(u, r->rip, code, sizeof(code)) < 0 || code[0] != 0x0f || code[1] != 0x05)
		return;
	r->rip += 2;
	t->pc = r->rip;
	t->syscall_nr = (long)r->rax;
	args_from_regs(t, r);
}

/* What a restart of the walk gives: go on from the new cursor, end the
 * walk (the outermost frame, or t->unwind_stop says why), or neither
 * (take libunwind's own step). */
enum restart { RESTART_GO_ON, RESTART_END, RESTART_NONE };

/* The innermost frame is in a clone wrapper: glibc's end their CFI
 * before the system call (the child's stack is not the caller's).
 * Caught as clone returns 0 to it, a thread has just been born and its
 * fresh stack holds no caller.  Otherwise this is the parent, in a leaf
 * that pushed nothing: the return address is at the stack pointer. */
static enum restart restart_after_clone(struct uctx *u, unw_addr_space_t as, unw_cursor_t *c,
					uint64_t sp)
{
	uint64_t ra;
	if (!u->t->cap.regs.rax)
		return RESTART_END;
	if (read_mem(u, sp, &ra, sizeof(ra)) < 0 || !ra)
		return RESTART_NONE;
	u->regs.rip = ra;
	u->regs.rsp = sp + 8;
	return unw_init_remote(c, as, u) == 0 ? RESTART_GO_ON : RESTART_NONE;
}

/* No CFI covers ip (JIT code, hand-written assembly, code built without
 * unwind tables): follow the frame pointer ourselves and start a fresh
 * cursor in the caller.  libunwind's own guess loses the caller's stack
 * pointer in this case. */
static enum restart restart_by_frame_pointer(struct uctx *u, unw_addr_space_t as,
					     unw_cursor_t *c, uint64_t ip, uint64_t sp)
{
	struct thread *t = u->t;
	unw_word_t rbp = 0;
	uint64_t saved[2];
	int ret;
	unw_get_reg(c, UNW_X86_64_RBP, &rbp);
	if (!rbp && t->cap.stack_len)
		return RESTART_END;	/* the ABI's mark of the outermost frame (_start) */
	if (!rbp || rbp < sp || rbp - sp > (64u << 20) ||
	    read_mem(u, rbp, saved, sizeof(saved)) < 0 || !saved[1]) {
		if (!t->cap.stack_len)
			t->unwind_stop = xasprintf("the stack at 0x%llx could not be read "
						   "(corrupt stack pointer?)",
						   (unsigned long long)t->cap.regs.rsp);
		else
			t->unwind_stop = xasprintf("no unwind information at 0x%llx and the "
						   "frame-pointer chain ends there",
						   (unsigned long long)ip);
		return RESTART_END;
	}
	u->regs.rip = saved[1];
	u->regs.rsp = rbp + 16;
	u->regs.rbp = saved[0];
	if ((ret = unw_init_remote(c, as, u)) < 0) {
		t->unwind_stop = xasprintf("%s", unw_strerror(ret));
		return RESTART_END;
	}
	return RESTART_GO_ON;
}

/* A PC in Go code: Go's own frame size at it (the pclntab's pcsp) gives
 * the return address and the caller's stack pointer; Go's outermost
 * functions (mstart, rt0_go, mcall, ...) end the walk cleanly.  NONE
 * when pc is not Go's, or the table does not say. */
static enum restart restart_by_go_frame(struct uctx *u, unw_addr_space_t as, unw_cursor_t *c,
					uint64_t ip, uint64_t sp, int exact)
{
	struct go_frame fr;
	uint64_t ra, bp;
	if (!u->go || !u->go->frame || u->go->frame(u->go->ctx, ip - !exact, &fr) < 0)
		return RESTART_NONE;
	if (fr.outermost)
		return RESTART_END;
	if (fr.sp_delta < 0 || read_mem(u, sp + (uint64_t)fr.sp_delta, &ra, sizeof(ra)) < 0 || !ra)
		return RESTART_NONE;
	/* a Go frame with a frame pointer keeps the caller's just below the
	 * return address */
	if (fr.sp_delta >= 8 && read_mem(u, sp + (uint64_t)fr.sp_delta - 8, &bp, sizeof(bp)) == 0)
		u->regs.rbp = bp;
	u->regs.rip = ra;
	u->regs.rsp = sp + (uint64_t)fr.sp_delta + 8;
	return unw_init_remote(c, as, u) == 0 ? RESTART_GO_ON : RESTART_NONE;
}

/* The walk: libunwind's steps over CFI, the restarts above where it has
 * none, and the checks that end a corrupt stack (see the file header). */
static void walk(struct uctx *u, unw_addr_space_t as, size_t max_depth)
{
	struct thread *t = u->t;
	unw_cursor_t c;
	int ret;
	uint64_t prev_sp = 0;
	if (!t->cap.ok)
		return;
	restarting_call(u);
	u->regs = t->cap.regs;
	if ((ret = unw_init_remote(&c, as, u)) < 0) {
		push(t, t->cap.regs.rip, 1);
		t->unwind_stop = xasprintf("cannot start unwinding: %s", unw_strerror(ret));
		return;
	}
	for (;;) {
		unw_word_t ip = 0, sp = 0;
		enum restart r = RESTART_NONE;
		int sig, has_info;
		unw_get_reg(&c, UNW_REG_IP, &ip);
		unw_get_reg(&c, UNW_REG_SP, &sp);
		if (!ip)
			break;
		/* libunwind flags the frame a signal interrupted: its PC is
		 * exact, and so is the trampoline's above it (the kernel put
		 * it there); the stack pointer may jump (sigaltstack) */
		sig = unw_is_signal_frame(&c) > 0;
		if (sig && t->npcs)
			t->activation[t->npcs - 1] = 1;
		if (t->npcs && !sig && sp <= prev_sp) {
			t->unwind_stop = xstrdup(sp == prev_sp ?
				"frame repeats itself (corrupt stack?)" :
				"stack pointer moved inward (corrupt stack?)");
			break;
		}
		if (t->npcs >= max_depth) {
			t->unwind_stop = xasprintf("depth limit of %zu frames reached", max_depth);
			break;
		}
		push(t, ip, !t->npcs || sig);
		prev_sp = sp;
		has_info = has_unwind_info(u, &c, ip);
		if (!has_info && !sig)
			r = restart_by_go_frame(u, as, &c, ip, sp, t->npcs == 1);
		if (r == RESTART_NONE && !has_info && t->npcs == 1 && after_clone(u, &t->cap.regs))
			r = restart_after_clone(u, as, &c, sp);
		if (r == RESTART_NONE && !has_info && !sig)
			r = restart_by_frame_pointer(u, as, &c, ip, sp);
		if (r == RESTART_END)
			break;
		if (r == RESTART_GO_ON)
			continue;
		ret = unw_step(&c);
		if (ret == 0)
			break;
		if (ret < 0) {
			t->unwind_stop = xasprintf("%s", unw_strerror(ret));
			break;
		}
	}
}

/* The walk into room for max_depth frames, shared by every walk, then
 * the frames kept in a block of their own size: a block per thread grown
 * 32 frames at a time is 3.2 MiB of heap at 10,000 threads of 7 frames,
 * pages faulted in one by one (1-2 ms a MiB on a virtual machine whose
 * host took the memory back). */
static void unwind_thread(struct uctx *u, unw_addr_space_t as, size_t max_depth)
{
	struct thread *t = u->t;
	if (u->room < max_depth + 1) {
		u->room = max_depth + 1;
		u->pcs = xrealloc_array(u->pcs, u->room, sizeof(*u->pcs));
		u->act = xrealloc(u->act, u->room);
	}
	t->pcs = u->pcs;
	t->activation = u->act;
	t->npcs = 0;
	walk(u, as, max_depth);
	if (!t->npcs) {
		t->pcs = NULL;
		t->activation = NULL;
		return;
	}
	t->pcs = xmalloc_array(t->npcs, sizeof(*t->pcs));
	t->activation = xmalloc(t->npcs);
	memcpy(t->pcs, u->pcs, t->npcs * sizeof(*t->pcs));
	memcpy(t->activation, u->act, t->npcs);
}

static void uctx_open(struct uctx *u, struct process *p, const struct go_frames *go)
{
	memset(u, 0, sizeof(*u));
	u->p = p;
	u->go = go;
	u->pages = xcalloc(NPAGES, sizeof(*u->pages));
	build_modules(u);
	modfiles_init(&u->files, p->mm_dirfd > 0 ? p->mm_dirfd : p->pid_dirfd, MODFILE_MAX_SIZE);
}

static void uctx_close(struct uctx *u)
{
	size_t i;
	for (i = 0; i < NPAGES; i++)
		free(u->pages[i].data);
	free(u->pages);
	for (i = 0; i < u->modules.n; i++)
		free(u->mods[i].table);
	free(u->mods);
	modules_release(&u->modules);
	free(u->pcinfo);
	free(u->pcs);
	free(u->act);
	modfiles_release(&u->files);
}

void unwind_process(struct process *p, const struct go_frames *go, size_t max_depth)
{
	struct uctx u;
	unw_addr_space_t as;
	size_t i;
	uint64_t t0 = now_ns();
	uctx_open(&u, p, go);
	as = unw_create_addr_space(&accessors, 0);
	if (as) {
		unw_set_caching_policy(as, UNW_CACHE_PER_THREAD);
		unwinding = 1;
		for (i = 0; i < p->nthreads; i++) {
			u.t = &p->threads[i];
			unwind_thread(&u, as, max_depth);
		}
		unwinding = 0;
		unw_destroy_addr_space(as);
	}
	uctx_close(&u);
	if (go)
		go_unwind(p, go, max_depth);
	p->t_unwind = now_ns() - t0;
}

int unwind_copy_end(struct process *p, const struct capture *cap, uint64_t *end)
{
	struct uctx u;
	struct thread t;
	unw_addr_space_t as;
	int ok = 0;
	uctx_open(&u, p, NULL);
	memset(&t, 0, sizeof(t));
	t.cap = *cap;
	u.t = &t;
	if ((as = unw_create_addr_space(&accessors, 0))) {
		unwinding = 1;
		unwind_thread(&u, as, 256);
		unwinding = 0;
		unw_destroy_addr_space(as);
		/* a walk that ended at the outermost frame, by its CFI */
		ok = !t.unwind_stop && t.npcs >= 2 && u.copy_end > cap->regs.rsp;
	}
	*end = u.copy_end;
	free(t.pcs);
	free(t.activation);
	free(t.unwind_stop);
	uctx_close(&u);
	return ok ? 0 : -1;
}
