/*
 * taskiter.c - every thread's scheduler facts in one read, from the
 * kernel's own task list: a BPF task iterator over one process.
 *
 * Reading task/TID/stat and task/TID/sched costs about 20 us a thread
 * here (an open, a read and a close each, on procfs): 200 ms at 10,000
 * threads, before anything is stopped, more than the stop itself adds
 * to the raw ptrace loop.  The kernel walks the same threads for a BPF
 * iterator at under 1 us apiece.  So, for a process of many threads and
 * where the kernel allows it (root, BTF, a kernel of 6.1 or later for
 * the per-process iterator), a tiny program is loaded that copies, for
 * each thread, the fields that stat and sched print: TID, state, CPU,
 * name, se.exec_start, utime, stime, start time.  A second program
 * reads the held threads' registers during the capture (see
 * taskiter_regs_open below).  They read; they write nothing and change
 * nothing in any task.  Each lives as long as its read (a few
 * milliseconds); a kernel that audits BPF loads logs a LOAD and an
 * UNLOAD of each.
 *
 * Where each field lies is taken from the kernel's BTF at every run
 * (/sys/kernel/btf/vmlinux), never assumed: the verifier checks each
 * load against the same BTF.  A field this kernel does not have under
 * the names below, a size that is not the expected one, a refusal at
 * any step: the caller reads /proc as before.
 */
#define _GNU_SOURCE
#include "attach.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BTF_PATH "/sys/kernel/btf/vmlinux"
#define BTF_MAX_SIZE (64u << 20)

/* the kinds after BTF_KIND_FLOAT, for older uapi headers */
#define KIND_DECL_TAG 17
#define KIND_TYPE_TAG 18
#define KIND_ENUM64 19

struct btf {
	unsigned char *data;
	size_t size;
	int mapped;
	const unsigned char *types, *strs;
	uint32_t types_len, strs_len;
	uint32_t *at;		/* type ID -> offset into types */
	uint32_t n;		/* IDs 1 .. n-1 */
};

/* The bytes after a type's header that describe it: its members,
 * parameters, ...; -1 for a kind this reader does not know. */
static long btf_extra(const struct btf_type *t)
{
	long v = BTF_INFO_VLEN(t->info);
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT: case BTF_KIND_VAR: case KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return 12;
	case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_DATASEC: case KIND_ENUM64:
		return 12 * v;
	case BTF_KIND_ENUM: case BTF_KIND_FUNC_PROTO:
		return 8 * v;
	case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_FUNC: case BTF_KIND_FLOAT:
	case KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

static void btf_close(struct btf *b)
{
	if (b->mapped)
		munmap(b->data, b->size);
	else
		free(b->data);
	free(b->at);
	memset(b, 0, sizeof(*b));
}

/* The kernel's BTF, mapped (6.16 on) or read, and an index of its
 * types: 0, or -1 */
static int btf_open(struct btf *b)
{
	const struct btf_header *h;
	struct stat st;
	uint32_t cap = 1u << 17, off;
	int fd = open(BTF_PATH, O_RDONLY | O_CLOEXEC);
	memset(b, 0, sizeof(*b));
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(*h) || st.st_size > BTF_MAX_SIZE) {
		close(fd);
		return -1;
	}
	b->size = (size_t)st.st_size;
	b->data = mmap(NULL, b->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (b->data != MAP_FAILED) {
		b->mapped = 1;
	} else {
		unsigned char *buf = xmalloc(b->size);
		size_t got = 0;
		ssize_t n;
		while (got < b->size && (n = read(fd, buf + got, b->size - got)) > 0)
			got += (size_t)n;
		b->data = buf;
		if (got != b->size) {
			close(fd);
			btf_close(b);
			return -1;
		}
	}
	close(fd);
	h = (const struct btf_header *)b->data;
	if (h->magic != BTF_MAGIC || h->version != BTF_VERSION || h->hdr_len < sizeof(*h) ||
	    (uint64_t)h->hdr_len + h->type_off + h->type_len > b->size ||
	    (uint64_t)h->hdr_len + h->str_off + h->str_len > b->size || !h->str_len ||
	    (h->type_off & 3)) {
		btf_close(b);
		return -1;
	}
	b->types = b->data + h->hdr_len + h->type_off;
	b->types_len = h->type_len;
	b->strs = b->data + h->hdr_len + h->str_off;
	b->strs_len = h->str_len;
	b->at = xmalloc_array(cap, sizeof(*b->at));
	b->n = 1;
	for (off = 0; off + sizeof(struct btf_type) <= b->types_len;) {
		const struct btf_type *t = (const void *)(b->types + off);
		long extra = btf_extra(t);
		if (extra < 0 || off + sizeof(*t) + (uint64_t)extra > b->types_len)
			break;
		if (b->n == cap) {
			cap *= 2;
			b->at = xrealloc_array(b->at, cap, sizeof(*b->at));
		}
		b->at[b->n++] = off;
		off += sizeof(*t) + (uint32_t)extra;
	}
	if (off != b->types_len) {	/* a kind not known, or cut short */
		btf_close(b);
		return -1;
	}
	return 0;
}

static const struct btf_type *btf_type(const struct btf *b, uint32_t id)
{
	return id && id < b->n ? (const void *)(b->types + b->at[id]) : NULL;
}

static const char *btf_name(const struct btf *b, uint32_t off)
{
	/* the section ends with a NUL (checked by the kernel, and here) */
	if (off >= b->strs_len || b->strs[b->strs_len - 1])
		return "";
	return (const char *)b->strs + off;
}

static uint32_t btf_find(const struct btf *b, const char *name, int kind)
{
	uint32_t id;
	for (id = 1; id < b->n; id++) {
		const struct btf_type *t = btf_type(b, id);
		if ((int)BTF_INFO_KIND(t->info) == kind && !strcmp(btf_name(b, t->name_off), name))
			return id;
	}
	return 0;
}

/* past typedefs and qualifiers */
static const struct btf_type *btf_resolve(const struct btf *b, uint32_t id)
{
	int depth;
	for (depth = 0; depth < 32; depth++) {
		const struct btf_type *t = btf_type(b, id);
		if (!t)
			return NULL;
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT: case KIND_TYPE_TAG:
			id = t->type;
			continue;
		default:
			return t;
		}
	}
	return NULL;
}

/* The byte offset of member `name` of struct/union type t (searched in
 * its anonymous members too), its type in *type: 0, or -1 */
static int btf_member(const struct btf *b, const struct btf_type *t, const char *name,
		      uint32_t *off, uint32_t *type, int depth)
{
	const struct btf_member *m;
	uint32_t i, vlen;
	if (!t || depth > 8 || (BTF_INFO_KIND(t->info) != BTF_KIND_STRUCT &&
				BTF_INFO_KIND(t->info) != BTF_KIND_UNION))
		return -1;
	m = (const struct btf_member *)(t + 1);
	vlen = BTF_INFO_VLEN(t->info);
	for (i = 0; i < vlen; i++) {
		uint32_t bits = BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BIT_OFFSET(m[i].offset)
							: m[i].offset;
		uint32_t inner;
		if (bits % 8)
			continue;	/* a bit field: none of ours */
		if (!m[i].name_off) {
			if (btf_member(b, btf_resolve(b, m[i].type), name, &inner, type,
				       depth + 1) == 0) {
				*off = bits / 8 + inner;
				return 0;
			}
			continue;
		}
		if (!strcmp(btf_name(b, m[i].name_off), name)) {
			*off = bits / 8;
			*type = m[i].type;
			return 0;
		}
	}
	return -1;
}

/* The size of a scalar type (an integer, or an array of bytes), or 0 */
static uint32_t btf_scalar_size(const struct btf *b, uint32_t id)
{
	const struct btf_type *t = btf_resolve(b, id);
	if (!t)
		return 0;
	if (BTF_INFO_KIND(t->info) == BTF_KIND_INT || BTF_INFO_KIND(t->info) == BTF_KIND_ENUM)
		return t->size;
	if (BTF_INFO_KIND(t->info) == BTF_KIND_ARRAY) {
		const struct btf_array *a = (const void *)(t + 1);
		return btf_scalar_size(b, a->type) == 1 ? a->nelems : 0;
	}
	return 0;
}

/*
 * Each thread's record, as the program writes it.  The offsets in the
 * task are found by name; `cpu` moved from task_struct into thread_info
 * on x86 (6.x), so both are tried, as the kernel's task_cpu() reads it.
 */
struct rec {
	uint32_t tid, state, exit_state, cpu;
	char comm[16];
	uint64_t exec_start, utime, stime, start_boottime;
	uint64_t fsbase, user_sp;
};

/* the fields from F_FSBASE on size the capture's room: where the
 * kernel has no such field or refuses the helper, the rest still come */
enum field { F_TID, F_STATE, F_EXIT, F_CPU, F_COMM, F_EXEC, F_UTIME, F_STIME, F_START,
	     F_FSBASE, NFIELDS };

static const struct {
	const char *name;	/* in task_struct ("se.exec_start": in its se) */
	uint32_t size;
	uint32_t at;		/* in struct rec */
} fields[NFIELDS] = {
	[F_TID] = { "pid", 4, offsetof(struct rec, tid) },
	[F_STATE] = { "__state", 4, offsetof(struct rec, state) },
	[F_EXIT] = { "exit_state", 4, offsetof(struct rec, exit_state) },
	[F_CPU] = { "cpu", 4, offsetof(struct rec, cpu) },
	[F_COMM] = { "comm", 16, offsetof(struct rec, comm) },
	[F_EXEC] = { "se.exec_start", 8, offsetof(struct rec, exec_start) },
	[F_UTIME] = { "utime", 8, offsetof(struct rec, utime) },
	[F_STIME] = { "stime", 8, offsetof(struct rec, stime) },
	[F_START] = { "start_boottime", 8, offsetof(struct rec, start_boottime) },
	[F_FSBASE] = { "thread.fsbase", 8, offsetof(struct rec, fsbase) },
};

/* Where a member lies in a task_struct ("a.b": member b of its member
 * a), if it is a scalar of that size: 0, or -1 */
static int task_member(const struct btf *b, const struct btf_type *task, const char *name,
		       uint32_t size, uint32_t *off)
{
	const char *dot = strchr(name, '.');
	uint32_t type, at, inner;
	if (dot) {
		char outer[32];
		snprintf(outer, sizeof(outer), "%.*s", (int)(dot - name), name);
		if (btf_member(b, task, outer, &at, &type, 0) < 0 ||
		    btf_member(b, btf_resolve(b, type), dot + 1, &inner, &type, 0) < 0)
			return -1;
		at += inner;
	} else if (btf_member(b, task, name, &at, &type, 0) < 0) {
		return -1;
	}
	if (btf_scalar_size(b, type) != size || at > INT16_MAX - 16)
		return -1;
	*off = at;
	return 0;
}

/* Where field f lies in a task_struct: 0, or -1 */
static int task_field(const struct btf *b, const struct btf_type *task, enum field f,
		      uint32_t *off)
{
	if (task_member(b, task, fields[f].name, fields[f].size, off) == 0)
		return 0;
	return f == F_CPU ? task_member(b, task, "thread_info.cpu", 4, off) : -1;
}

#define INSN(op, dst, src, o, k) \
	((struct bpf_insn){ .code = (op), .dst_reg = (dst), .src_reg = (src), \
			    .off = (o), .imm = (k) })

static int sys_bpf(int cmd, union bpf_attr *a)
{
	return (int)syscall(SYS_bpf, cmd, a, sizeof(*a));
}

/* What both programs begin with: r6 = the context's meta, r7 = its task;
 * no task, the end */
static size_t prog_begin(struct bpf_insn *p)
{
	size_t k = 0;
	p[k++] = INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_6, BPF_REG_1, 0, 0);	/* meta */
	p[k++] = INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_7, BPF_REG_1, 8, 0);	/* task */
	p[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_7, 0, 2, 0);
	p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);	/* the end */
	p[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return k;
}

/* ... and end with: the record of `size` bytes at r10 + rec written to
 * the iterator's file */
static size_t prog_end(struct bpf_insn *p, size_t k, int rec, int size)
{
	p[k++] = INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_6, 0, 0);	/* meta->seq */
	p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	p[k++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, rec);
	p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, size);
	p[k++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_seq_write);
	p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	p[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return k;
}

/* A task iterator program loaded (fn: bpf_iter_task's BTF ID): its fd,
 * or -1 with errno */
static int load_prog(uint32_t fn, const struct bpf_insn *prog, size_t n, const char *name)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_TRACING;
	a.expected_attach_type = BPF_TRACE_ITER;
	a.attach_btf_id = fn;
	a.insns = (uintptr_t)prog;
	a.insn_cnt = (uint32_t)n;
	/* the helpers it calls are for GPL-compatible programs: these few
	 * instructions are offered under the GPL */
	a.license = (uintptr_t)"GPL";
	snprintf(a.prog_name, sizeof(a.prog_name), "%s", name);
	return sys_bpf(BPF_PROG_LOAD, &a);
}

/* The program pfd over process pid's threads: the link's fd, or -1.
 * pfd is closed either way: the link keeps the program. */
static int link_prog(int pfd, pid_t pid)
{
	union bpf_iter_link_info li;
	union bpf_attr a;
	int lfd;
	memset(&li, 0, sizeof(li));
	li.task.pid = (uint32_t)pid;
	memset(&a, 0, sizeof(a));
	a.link_create.prog_fd = (uint32_t)pfd;
	a.link_create.attach_type = BPF_TRACE_ITER;
	a.link_create.iter_info = (uintptr_t)&li;
	a.link_create.iter_info_len = sizeof(li);
	lfd = sys_bpf(BPF_LINK_CREATE, &a);
	close(pfd);
	return lfd;
}

/* One walk of the link's iterator: each(arg, record) for every record of
 * `size` bytes, read a few dozen at a time (no buffer of them all: at
 * 10,000 threads that was a MiB of heap to fault in); 0, or -1 (a
 * failed read, or a record cut short) */
#define ITER_CHUNK 16384u

static int iter_read(int link, size_t size, void (*each)(void *arg, const void *rec),
		     void *arg)
{
	union bpf_attr a;
	unsigned char buf[ITER_CHUNK];
	size_t len = 0;
	int ifd, rc = -1;
	memset(&a, 0, sizeof(a));
	a.iter_create.link_fd = (uint32_t)link;
	if ((ifd = sys_bpf(BPF_ITER_CREATE, &a)) < 0)
		return -1;
	for (;;) {
		ssize_t got = read(ifd, buf + len, sizeof(buf) - len);
		size_t i, whole;
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		if (!got) {
			rc = len ? -1 : 0;
			break;
		}
		len += (size_t)got;
		whole = len / size;
		for (i = 0; i < whole; i++)
			each(arg, buf + i * size);
		len -= whole * size;
		memmove(buf, buf + whole * size, len);
	}
	close(ifd);
	return rc;
}

/* The program: for each task, its fields into a record on the stack,
 * written to the iterator's file.  r1 is the context (struct
 * bpf_iter__task: meta, then task).  With sp_off, also the user stack
 * pointer saved at its entry to the kernel (bpf_task_pt_regs(), then
 * pt_regs.sp at sp_off) and its thread pointer; else those are 0. */
static size_t build_prog(struct bpf_insn *p, const uint32_t *off, int32_t sp_off)
{
	const int rec = -(int)sizeof(struct rec);
	size_t k = prog_begin(p);
	int f;
	for (f = 0; f < NFIELDS; f++) {
		uint32_t i, step = fields[f].size > 8 ? 1 : fields[f].size;
		int sz = step == 8 ? BPF_DW : step == 4 ? BPF_W : BPF_B;
		if (f == F_FSBASE && sp_off < 0) {
			p[k++] = INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0,
				      (int16_t)(rec + (int)fields[f].at), 0);
			continue;
		}
		/* the name byte by byte: the verifier allows a load of one
		 * element of an array member */
		for (i = 0; i < fields[f].size; i += step) {
			p[k++] = INSN(BPF_LDX | BPF_MEM | sz, BPF_REG_0, BPF_REG_7,
				      (int16_t)(off[f] + i), 0);
			p[k++] = INSN(BPF_STX | BPF_MEM | sz, BPF_REG_10, BPF_REG_0,
				      (int16_t)(rec + (int)(fields[f].at + i)), 0);
		}
	}
	if (sp_off >= 0) {
		p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_7, 0, 0);
		p[k++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_task_pt_regs);
		p[k++] = INSN(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_0, (int16_t)sp_off, 0);
	} else {
		p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	}
	p[k++] = INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0,
		      (int16_t)(rec + (int)offsetof(struct rec, user_sp)), 0);
	return prog_end(p, k, rec, (int)sizeof(struct rec));
}

/*
 * The state letter /proc prints for a task, from its __state and
 * exit_state bits (include/linux/sched.h, task_state_index(), 6.1 on):
 * the reported bits are TASK_REPORT (0x7f: S 0x1, D 0x2, T 0x4, t 0x8,
 * X 0x10, Z 0x20, P 0x40) and the highest one set names the state;
 * TASK_IDLE (D | NOLOAD 0x400) is I; an rtlock wait (0x1000) or a
 * frozen task (0x8000) reads as D; no bit, R.
 */
static char state_letter(uint32_t state, uint32_t exit_state)
{
	static const char letters[] = "RSDTtXZP";
	uint32_t s = (state | exit_state) & 0x7f;
	int k = 0;
	if ((state & 0x402) == 0x402)
		return 'I';
	if (state & (0x1000 | 0x8000))
		return 'D';
	while (s) {
		k++;
		s >>= 1;
	}
	return letters[k];
}

static int cmp_fact(const void *a, const void *b)
{
	pid_t x = ((const struct task_fact *)a)->tid, y = ((const struct task_fact *)b)->tid;
	return x < y ? -1 : x > y;
}

/*
 * The second program, for the hold: each thread's user registers, as
 * PTRACE_GETREGSET (NT_PRSTATUS) gives them for a stopped thread, for
 * every thread in one read.  At 10,000 threads one GETREGSET a thread
 * took 27 ms of the copy while every thread was held; the iterator
 * walks them all in a fraction of that.  The registers the kernel saved
 * at its entry (pt_regs, whose first 21 words are user_regs_struct's
 * first 21), then the thread's fs and gs bases and its segment
 * selectors from its thread_struct.  capture.c takes a record only for
 * a thread it holds stopped, whose fs and gs selectors are 0 (where
 * GETREGSET reads the bases elsewhere), and compares one thread's with
 * GETREGSET's before it trusts any.
 */
static const char *const pt_regs_names[21] = {
	"r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx",
	"dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss"
};
#define PT_CS 17
#define PT_SS 20

enum { RF_TID, RF_STATE, RF_CPU, RF_FSBASE, RF_GSBASE, RF_ES, RF_DS, RF_FSINDEX, RF_GSINDEX,
       RF_ONCPU, RF_NVCSW, RF_NIVCSW, NRF };

static const struct {
	const char *name;
	uint32_t size;
} regs_fields[NRF] = {
	[RF_TID] = { "pid", 4 }, [RF_STATE] = { "__state", 4 }, [RF_CPU] = { "cpu", 4 },
	[RF_FSBASE] = { "thread.fsbase", 8 }, [RF_GSBASE] = { "thread.gsbase", 8 },
	[RF_ES] = { "thread.es", 2 }, [RF_DS] = { "thread.ds", 2 },
	[RF_FSINDEX] = { "thread.fsindex", 2 }, [RF_GSINDEX] = { "thread.gsindex", 2 },
	[RF_ONCPU] = { "on_cpu", 4 }, [RF_NVCSW] = { "nvcsw", 8 }, [RF_NIVCSW] = { "nivcsw", 8 },
};

struct regs_rec {
	uint32_t tid, state, cpu, on_cpu;
	uint64_t pt[21];
	uint64_t fsbase, gsbase;
	uint16_t es, ds, fsindex, gsindex;
	uint64_t nvcsw, nivcsw;
};

/* what taskiter_read found in this kernel's BTF for it (one kernel a run) */
static struct {
	int known;
	uint32_t fn;
	uint32_t off[NRF];
} regs_layout;

static void learn_regs_layout(const struct btf *b, const struct btf_type *task, uint32_t fn)
{
	const struct btf_type *pt = btf_resolve(b, btf_find(b, "pt_regs", BTF_KIND_STRUCT));
	uint32_t k, at, type;
	int f;
	if (!pt || pt->size < 21 * 8)
		return;
	for (k = 0; k < 21; k++)
		if (btf_member(b, pt, pt_regs_names[k], &at, &type, 0) < 0 || at != k * 8 ||
		    btf_scalar_size(b, type) < ((k == PT_CS || k == PT_SS) ? 2 : 8))
			return;
	for (f = 0; f < NRF; f++)
		if (task_member(b, task, regs_fields[f].name, regs_fields[f].size,
				&regs_layout.off[f]) < 0 &&
		    (f != RF_CPU || task_member(b, task, "thread_info.cpu", 4,
						&regs_layout.off[f]) < 0))
			return;
	regs_layout.fn = fn;
	regs_layout.known = 1;
}

static size_t build_regs_prog(struct bpf_insn *p)
{
	const int rec = -(int)sizeof(struct regs_rec);
	static const int at[NRF] = {
		[RF_TID] = offsetof(struct regs_rec, tid),
		[RF_STATE] = offsetof(struct regs_rec, state),
		[RF_CPU] = offsetof(struct regs_rec, cpu),
		[RF_FSBASE] = offsetof(struct regs_rec, fsbase),
		[RF_GSBASE] = offsetof(struct regs_rec, gsbase),
		[RF_ES] = offsetof(struct regs_rec, es), [RF_DS] = offsetof(struct regs_rec, ds),
		[RF_FSINDEX] = offsetof(struct regs_rec, fsindex),
		[RF_GSINDEX] = offsetof(struct regs_rec, gsindex),
		[RF_ONCPU] = offsetof(struct regs_rec, on_cpu),
		[RF_NVCSW] = offsetof(struct regs_rec, nvcsw),
		[RF_NIVCSW] = offsetof(struct regs_rec, nivcsw),
	};
	size_t k = prog_begin(p);
	int f;
	for (f = 0; f < NRF; f++) {
		uint32_t size = regs_fields[f].size;
		int sz = size == 8 ? BPF_DW : size == 4 ? BPF_W : BPF_H;
		p[k++] = INSN(BPF_LDX | BPF_MEM | sz, BPF_REG_0, BPF_REG_7,
			      (int16_t)regs_layout.off[f], 0);
		p[k++] = INSN(BPF_STX | BPF_MEM | sz, BPF_REG_10, BPF_REG_0, (int16_t)(rec + at[f]), 0);
	}
	p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_7, 0, 0);
	p[k++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_task_pt_regs);
	p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_8, BPF_REG_0, 0, 0);
	for (f = 0; f < 21; f++) {
		/* cs and ss as GETREGSET gives them: their 16 bits (a
		 * kernel with FRED keeps more in the words around them),
		 * the load zero-extends */
		int sz = f == PT_CS || f == PT_SS ? BPF_H : BPF_DW;
		p[k++] = INSN(BPF_LDX | BPF_MEM | sz, BPF_REG_0, BPF_REG_8, (int16_t)(f * 8), 0);
		p[k++] = INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0,
			      (int16_t)(rec + (int)offsetof(struct regs_rec, pt) + f * 8), 0);
	}
	return prog_end(p, k, rec, (int)sizeof(struct regs_rec));
}

int taskiter_regs_open(pid_t pid)
{
	struct bpf_insn prog[8 + NRF * 2 + 21 * 2 + 16];
	int pfd;
	if (!regs_layout.known ||
	    (pfd = load_prog(regs_layout.fn, prog, build_regs_prog(prog), "inspect_regs")) < 0)
		return -1;
	return link_prog(pfd, pid);
}

struct regs_each {
	void (*each)(void *arg, const struct held_regs *h);
	void *arg;
};

static void regs_record(void *arg, const void *rec)
{
	const struct regs_each *e = arg;
	struct regs_rec r;
	struct held_regs h;
	memcpy(&r, rec, sizeof(r));
	if (r.fsindex || r.gsindex)
		return;		/* GETREGSET reads those bases elsewhere */
	memset(&h, 0, sizeof(h));
	h.tid = (pid_t)r.tid;
	h.traced = (r.state & 0x8) != 0;
	/* S alone (TASK_INTERRUPTIBLE; not frozen, not exiting) and off
	 * every CPU: blocked in the kernel, its user state saved */
	h.sleeping = (r.state & 0x80ff) == 0x1 && !r.on_cpu;
	h.switches = r.nvcsw + r.nivcsw;
	h.cpu = (int)r.cpu;
	memcpy(&h.regs, r.pt, sizeof(r.pt));
	h.regs.fs_base = r.fsbase;
	h.regs.gs_base = r.gsbase;
	h.regs.ds = r.ds;
	h.regs.es = r.es;
	e->each(e->arg, &h);
}

int taskiter_regs_read(int link, void (*each)(void *arg, const struct held_regs *h), void *arg)
{
	struct regs_each e = { each, arg };
	return iter_read(link, sizeof(struct regs_rec), regs_record, &e);
}

/* The facts' records, gathered */
struct facts {
	struct task_fact *v;
	size_t n, cap;
};

static void fact_record(void *arg, const void *rec)
{
	struct facts *fs = arg;
	struct task_fact *t;
	struct rec r;
	memcpy(&r, rec, sizeof(r));
	grow((void **)&fs->v, &fs->cap, fs->n, sizeof(*fs->v));
	t = &fs->v[fs->n++];
	t->tid = (pid_t)r.tid;
	t->state = state_letter(r.state, r.exit_state);
	t->cpu = (int)r.cpu;
	memcpy(t->comm, r.comm, sizeof(r.comm));
	t->comm[sizeof(t->comm) - 1] = '\0';
	t->exec_start_ns = r.exec_start;
	t->utime_ns = r.utime;
	t->stime_ns = r.stime;
	t->start_boottime_ns = r.start_boottime;
	t->fsbase = r.fsbase;
	t->user_sp = r.user_sp;
}

int taskiter_read(pid_t pid, struct task_fact **out, size_t *nout)
{
	struct bpf_insn prog[8 + NFIELDS * 32 + 16];
	uint32_t off[NFIELDS], fn, sp_at, sp_type;
	int32_t sp_off = -1;
	const struct btf_type *task;
	struct btf b;
	struct facts fs = { 0 };
	int f, pfd, lfd, rc;

	if (btf_open(&b) < 0)
		return -1;
	task = btf_resolve(&b, btf_find(&b, "task_struct", BTF_KIND_STRUCT));
	fn = btf_find(&b, "bpf_iter_task", BTF_KIND_FUNC);
	for (f = 0; f < F_FSBASE; f++)
		if (task_field(&b, task, f, &off[f]) < 0 || off[f] > INT16_MAX - 16)
			break;
	/* the thread pointer and stack pointer only with both */
	if (task_field(&b, task, F_FSBASE, &off[F_FSBASE]) == 0 && off[F_FSBASE] <= INT16_MAX &&
	    btf_member(&b, btf_resolve(&b, btf_find(&b, "pt_regs", BTF_KIND_STRUCT)), "sp",
		       &sp_at, &sp_type, 0) == 0 && btf_scalar_size(&b, sp_type) == 8 &&
	    sp_at <= INT16_MAX)
		sp_off = (int32_t)sp_at;
	if (task && fn && f == F_FSBASE && sp_off >= 0)
		learn_regs_layout(&b, task, fn);
	btf_close(&b);
	if (!task || !fn || f < F_FSBASE)
		return -1;

	/* a kernel that refuses bpf_task_pt_regs() here still gives the
	 * rest */
	while ((pfd = load_prog(fn, prog, build_prog(prog, off, sp_off), "inspect_tasks")) < 0) {
		if (sp_off < 0 || errno == EPERM)
			return -1;
		sp_off = -1;
	}
	if ((lfd = link_prog(pfd, pid)) < 0)
		return -1;
	rc = iter_read(lfd, sizeof(struct rec), fact_record, &fs);
	close(lfd);
	if (rc < 0 || !fs.n) {
		free(fs.v);
		return -1;
	}
	qsort(fs.v, fs.n, sizeof(*fs.v), cmp_fact);
	*out = fs.v;
	*nout = fs.n;
	return 0;
}
