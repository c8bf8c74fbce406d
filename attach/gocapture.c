/*
 * gocapture.c - a Go program's goroutines, copied while its threads are
 * held (capture.c calls go_capture between the threads' stops and their
 * release), then decoded after: runtime.allgs, every g, and the live part
 * of every parked goroutine's stack, in four batched reads.
 *
 * Nothing read is trusted: allgs's length is bounded by the room made
 * before the hold; a g is kept only when its status is one the runtime
 * has, its stack pointer inside its stack; goroutine 1 must be there.
 * Otherwise no goroutine is shown and go.not_shown says why.
 */
#define _GNU_SOURCE
#include "attach.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

/* at most this many goroutines, and this many bytes of their stacks */
#define GO_MAX_GOROUTINES (4u << 20)
#define GO_STACK_BUDGET (512ull << 20)
/* g's read and decoded at a time when no stack is copied: graw stays in
 * the cache and no memory is touched for the first time */
#define G_CHUNK 256u

struct go_iov {
	struct iovec *l, *r;
	size_t *got;
};

static uint64_t u64_at(const uint8_t *g, uint16_t off)
{
	uint64_t v;
	memcpy(&v, g + off, 8);
	return v;
}

static uint32_t u32_at(const uint8_t *g, uint16_t off)
{
	uint32_t v;
	memcpy(&v, g + off, 4);
	return v;
}

static int read_one(pid_t pid, void *to, uint64_t from, size_t n)
{
	struct iovec l = { to, n }, r = { (void *)(uintptr_t)from, n };
	size_t got = 0;
	vm_read_ranges(pid, &l, &r, 1, &got);
	return got == n ? 0 : -1;
}

/* What one try at NumGoroutine's counters reads: the slice headers of
 * allgs and allp, sched.gFree (lock, two lists and their counts) and
 * sched.ngsys; then each P's id and free list; then the status of the
 * g at the head of each free list */
#define TOTAL_TRIES 4
#define MAX_PS 4096

struct counters {
	uint64_t allgs[3], allp[3], gfree[5];
	int32_t ngsys;
};

/* A free list's head: none, or a dead g */
static int head_ok(pid_t pid, const struct go_layout *L, uint64_t head)
{
	uint32_t status;
	return !head || (read_one(pid, &status, head + L->atomicstatus, 4) == 0 &&
			 (status & ~(uint32_t)GO_SCAN) == GO_DEAD);
}

/* The free g's a list with its own count says it has, or -1 when it
 * does not check out: its head is 0 exactly when its count is */
static long free_list(pid_t pid, const struct go_layout *L, uint64_t head, int32_t count)
{
	if (count < 0 || (head == 0) != (count == 0) || !head_ok(pid, L, head))
		return -1;
	return count;
}

static int try_total(pid_t pid, const struct go_process *go, size_t *total)
{
	const struct go_layout *L = go->layout;
	struct counters c;
	struct iovec l[4] = { { c.allgs, 24 }, { c.allp, 24 }, { c.gfree, 40 }, { &c.ngsys, 4 } };
	struct iovec r[4] = { { (void *)(uintptr_t)go->allgs, 24 },
			      { (void *)(uintptr_t)go->allp, 24 },
			      { (void *)(uintptr_t)go->gfree, 40 },
			      { (void *)(uintptr_t)(go->gfree + L->ngsys_from_gfree), 4 } };
	size_t got[4] = { 0 }, i, nps;
	uint64_t *ps, (*pv)[3];
	long nfree, f;
	int bad = 0;
	vm_read_ranges(pid, l, r, 4, got);
	for (i = 0; i < 4; i++)
		if (got[i] != l[i].iov_len)
			return -1;
	nps = c.allp[1];
	if (c.allgs[1] == 0 || c.allgs[1] > c.allgs[2] || c.allgs[1] > GO_MAX_GOROUTINES ||
	    nps == 0 || nps > c.allp[2] || nps > MAX_PS || c.ngsys < 0 ||
	    (uint64_t)c.ngsys > c.allgs[1])
		return -1;
	/* sched.gFree: one count for its two lists, or one each */
	if (L->gfree_counts == 1) {
		int32_t nn;
		memcpy(&nn, (uint8_t *)c.gfree + 24, 4);
		if (nn < 0 || (nn == 0) != (c.gfree[1] == 0 && c.gfree[2] == 0) ||
		    !head_ok(pid, L, c.gfree[1]) || !head_ok(pid, L, c.gfree[2]))
			return -1;
		nfree = nn;
	} else {
		nfree = free_list(pid, L, c.gfree[1], (int32_t)c.gfree[2]);
		f = free_list(pid, L, c.gfree[3], (int32_t)c.gfree[4]);
		if (nfree < 0 || f < 0)
			return -1;
		nfree += f;
	}
	ps = xmalloc_array(nps, sizeof(*ps));
	pv = xmalloc_array(nps, sizeof(*pv));
	if (read_one(pid, ps, c.allp[0], nps * sizeof(*ps)) < 0) {
		bad = 1;
	} else {
		struct iovec *pl = xmalloc_array(2 * nps, sizeof(*pl));
		struct iovec *pr = xmalloc_array(2 * nps, sizeof(*pr));
		size_t *pgot = xcalloc(2 * nps, sizeof(*pgot));
		for (i = 0; i < nps; i++) {
			/* p.id, p.status; p.gFree's head and count */
			pl[2 * i] = (struct iovec){ &pv[i][0], 8 };
			pr[2 * i] = (struct iovec){ (void *)(uintptr_t)ps[i], 8 };
			pl[2 * i + 1] = (struct iovec){ &pv[i][1], 16 };
			pr[2 * i + 1] = (struct iovec){ (void *)(uintptr_t)(ps[i] + L->p_gfree), 16 };
		}
		vm_read_ranges(pid, pl, pr, 2 * nps, pgot);
		for (i = 0; i < nps && !bad; i++) {
			uint32_t id = (uint32_t)pv[i][0], st = (uint32_t)(pv[i][0] >> 32);
			if (!ps[i] || pgot[2 * i] != 8 || pgot[2 * i + 1] != 16 || id != i || st > 4 ||
			    (f = free_list(pid, L, pv[i][1], (int32_t)pv[i][2])) < 0)
				bad = 1;
			else
				nfree += f;
		}
		free(pl);
		free(pr);
		free(pgot);
	}
	free(ps);
	free(pv);
	if (bad || (uint64_t)nfree + (uint64_t)c.ngsys >= c.allgs[1])
		return -1;
	*total = c.allgs[1] - (uint64_t)nfree - (uint64_t)c.ngsys;
	return 0;
}

int go_read_total(struct process *p)
{
	struct go_process *go = &p->go;
	int i;
	if (!go->is_go || go->not_shown || !go->layout || !go->gfree || !go->allp)
		return -1;
	/* the counters change while they are read, as they do for the
	 * runtime's own gcount; a read caught between two of them fails a
	 * check, and the next one most likely does not */
	for (i = 0; i < TOTAL_TRIES; i++)
		if (try_total(p->mm_tid, go, &go->total) == 0) {
			go->total_read = 1;
			return 0;
		}
	return -1;
}

/* what a parked goroutine's unwound PCs take, at a guess (16 frames) */
#define GO_PCS_GUESS (16 * 9 + 32)

/* The bytes of a g that the check that it did not move compares: up to
 * the last of the fields settled() reads */
static size_t check_bytes(const struct go_layout *L)
{
	uint16_t m = L->atomicstatus + 4;
	if (L->sched_pc + 8 > m)
		m = L->sched_pc + 8;
	if (L->syscallsp + 8 > m)
		m = L->syscallsp + 8;
	return m;
}

void go_capture_prepare(struct process *p, int stacks, int held)
{
	struct go_process *go = &p->go;
	uint64_t hdr[3];
	struct go_iov *iov;
	size_t cap;
	if (!go->is_go || go->not_shown || !go->layout)
		return;
	/* an estimate, read while the process runs: the room made here is
	 * all the capture takes */
	if (read_one(p->mm_tid, hdr, go->allgs, sizeof(hdr)) < 0 || hdr[1] > hdr[2] ||
	    hdr[1] > GO_MAX_GOROUTINES) {
		go->not_shown = xstrdup("goroutines not shown: runtime.allgs could not be read");
		return;
	}
	cap = hdr[1] + hdr[1] / 8 + 256;
	if (cap > GO_MAX_GOROUTINES)
		cap = GO_MAX_GOROUTINES;
	go->gcap = cap;
	/* the heap all this takes, and the decoded goroutines after, in
	 * place at once: a page first touched by process_vm_readv's copy
	 * costs a fault each (a third of the read's time at 10,000).  A g
	 * apiece even when they are read a chunk at a time: the count's
	 * later stages use that heap (measured: 2 ms less at 10,000 than
	 * with room for the chunk alone) */
	heap_prefault(cap * (go->layout->g_size + (stacks ? check_bytes(go->layout) : 0) +
			     sizeof(*go->gptrs) + sizeof(*go->todo) + sizeof(*go->copies) +
			     2 * sizeof(struct iovec) + sizeof(size_t) + sizeof(struct goroutine) +
			     (stacks ? GO_PCS_GUESS : 0)));
	go->gptrs = xmalloc_array(cap, sizeof(*go->gptrs));
	/* without stacks the g's are decoded as they are read, a chunk at
	 * a time */
	go->graw_slots = stacks || cap < G_CHUNK ? cap : G_CHUNK;
	go->graw = xmalloc_array(go->graw_slots, go->layout->g_size);
	go->graw2 = stacks ? xmalloc_array(cap, check_bytes(go->layout)) : NULL;
	go->todo = xmalloc_array(cap, sizeof(*go->todo));
	go->copies = xcalloc(cap, sizeof(*go->copies));
	/* one block, which go_process_release frees as one */
	iov = xcalloc(1, sizeof(*iov) + cap * (2 * sizeof(struct iovec) + sizeof(size_t)));
	iov->l = (struct iovec *)(iov + 1);
	iov->r = iov->l + cap;
	iov->got = (size_t *)(iov->r + cap);
	go->iov = iov;
	/* most parked goroutines' live stacks are under 1 KiB; without a
	 * hold the copies' pages are better touched as they are written */
	if (stacks && held)
		arena_reserve(&p->stacks, cap * 768);
}

/* Where a parked goroutine's stack is unwound from: its saved state, or
 * its system-call state */
static uint64_t saved_sp(const struct go_layout *L, const uint8_t *g, uint32_t status)
{
	return status == GO_SYSCALL ? u64_at(g, L->syscallsp) : u64_at(g, L->sched_sp);
}

static void decode_gs(struct process *p, size_t from, size_t to);

/* Read the g's of goroutines todo[0..n) into graw (goroutine k at slot
 * k - base); or, into `check` when set, the first check_bytes of each,
 * to see that they did not move */
static void read_gs(struct process *p, const size_t *todo, size_t n, size_t base,
		    uint8_t *check)
{
	struct go_process *go = &p->go;
	const struct go_layout *L = go->layout;
	struct go_iov *iov = go->iov;
	size_t i, len = check ? check_bytes(L) : L->g_size;
	for (i = 0; i < n; i++) {
		size_t k = todo[i];
		iov->l[i].iov_base = check ? check + k * len : go->graw + (k - base) * L->g_size;
		iov->l[i].iov_len = iov->r[i].iov_len = len;
		iov->r[i].iov_base = (void *)(uintptr_t)go->gptrs[k];
	}
	vm_read_near(p->mm_tid, iov->l, iov->r, n, iov->got);
	for (i = 0; i < n && !check; i++)
		go->copies[todo[i]].g_read = iov->got[i] == L->g_size;
	for (i = 0; i < n && check; i++)
		if (iov->got[i] != len)	/* unreadable now: as good as moved */
			memset(check + todo[i] * len, 0xff, len);
}

/* The live stacks of the parked ones among todo[0..n), from the saved
 * stack pointer up to the stack's top */
static void copy_stacks(struct process *p, const size_t *todo, size_t n, size_t max_stack,
			uint64_t *budget)
{
	struct go_process *go = &p->go;
	const struct go_layout *L = go->layout;
	struct go_iov *iov = go->iov;
	size_t i, k = 0, want = 0;
	for (i = 0; i < n; i++) {
		struct go_copy *c = &go->copies[todo[i]];
		const uint8_t *g = go->graw + todo[i] * L->g_size;
		uint32_t status = u32_at(g, L->atomicstatus) & ~(uint32_t)GO_SCAN;
		uint64_t lo = u64_at(g, L->stack_lo), hi = u64_at(g, L->stack_hi), sp, len;
		c->buf = NULL;
		c->len = 0;
		if (!c->g_read || status == GO_DEAD || status == GO_RUNNING || status == GO_IDLE)
			continue;
		sp = saved_sp(L, g, status);
		if (!max_stack || sp < lo || sp >= hi || hi - lo > (1ull << 30))
			continue;
		len = hi - sp < max_stack ? hi - sp : max_stack;
		if (len > *budget) {
			go->not_read++;
			continue;
		}
		*budget -= len;
		c->lo = sp;
		c->len = len;
		want += len;
	}
	/* when prepare made no room (nothing is held), the copies' room is
	 * made now, touched at once rather than page by page */
	if (want && !p->stacks.head)
		arena_reserve(&p->stacks, want);
	for (i = 0; i < n; i++) {
		struct go_copy *c = &go->copies[todo[i]];
		if (!c->len)
			continue;
		c->buf = arena_alloc(&p->stacks, c->len);
		iov->l[k].iov_base = c->buf;
		iov->l[k].iov_len = iov->r[k].iov_len = c->len;
		iov->r[k].iov_base = (void *)(uintptr_t)c->lo;
		c->len = k;	/* its iovec, until the read */
		k++;
	}
	vm_read_near(p->mm_tid, iov->l, iov->r, k, iov->got);
	for (i = 0; i < n; i++) {
		struct go_copy *c = &go->copies[todo[i]];
		if (c->buf) {
			c->len = iov->got[c->len];
			go->stack_bytes += c->len;
		}
	}
}

/* Whether goroutine k's g reads now as it did when its stack was copied:
 * the same status, the same saved stack pointer and PC (now: its first
 * check_bytes) */
static int settled(const struct go_layout *L, const uint8_t *then, const uint8_t *now)
{
	return u32_at(then, L->atomicstatus) == u32_at(now, L->atomicstatus) &&
	       u64_at(then, L->sched_sp) == u64_at(now, L->sched_sp) &&
	       u64_at(then, L->sched_pc) == u64_at(now, L->sched_pc) &&
	       u64_at(then, L->syscallsp) == u64_at(now, L->syscallsp) &&
	       u64_at(then, L->stack_hi) == u64_at(now, L->stack_hi);
}

#define SETTLE_ROUNDS 3

void go_capture(struct process *p, size_t max_stack, int others_run)
{
	struct go_process *go = &p->go;
	const struct go_layout *L = go->layout;
	uint64_t hdr[3], budget = GO_STACK_BUDGET;
	struct timespec ts;
	size_t n, i, ntodo, round;
	if (!go->iov)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	go->nanotime = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (read_one(p->mm_tid, hdr, go->allgs, sizeof(hdr)) < 0 || hdr[1] > hdr[2])
		return;
	n = hdr[1] < go->gcap ? hdr[1] : go->gcap;
	go->not_read = hdr[1] - n;
	if (!n || read_one(p->mm_tid, go->gptrs, hdr[0], n * 8) < 0)
		return;
	go->nread = n;
	for (i = 0; i < n; i++)
		go->todo[i] = i;
	ntodo = n;
	go->nbad = 0;
	go->have_main = 0;
	if (go->graw_slots < n) {
		/* room made for no stacks (and no hold): nothing is compared
		 * after, each chunk of g's is decoded as it is read */
		for (i = 0; i < n; i += go->graw_slots) {
			size_t k = n - i < go->graw_slots ? n - i : go->graw_slots;
			read_gs(p, go->todo + i, k, i, NULL);
			decode_gs(p, i, i + k);
		}
		return;
	}
	/* Threads that were running are released already (they are held
	 * for the shortest time): what they run may park a goroutine, wake
	 * one, grow its stack.  So a goroutine is kept as copied only if its
	 * g reads the same after its stack was copied; the others are copied
	 * again, a few times at most. */
	for (round = 0; ntodo; round++) {
		size_t k = 0;
		read_gs(p, go->todo, ntodo, 0, NULL);
		copy_stacks(p, go->todo, ntodo, max_stack, &budget);
		/* without stacks, what moved is as good as it was read */
		if (!others_run || !max_stack || !go->graw2)
			return;
		read_gs(p, go->todo, ntodo, 0, go->graw2);
		for (i = 0; i < ntodo; i++) {
			size_t g = go->todo[i];
			if (!settled(L, go->graw + g * L->g_size, go->graw2 + g * check_bytes(L)))
				go->todo[k++] = g;
		}
		ntodo = k;
		if (round + 1 == SETTLE_ROUNDS) {
			for (i = 0; i < ntodo; i++)
				go->copies[go->todo[i]].moved = 1;
			go->moved = ntodo;
			return;
		}
	}
}

/* The thread whose M is m, by each running goroutine's m.procid (read
 * now: an M's thread does not change) */
static void find_threads(struct process *p)
{
	struct go_process *go = &p->go;
	const struct go_layout *L = go->layout;
	size_t i, k = 0;
	uint64_t *tid = xcalloc(go->ngs, sizeof(*tid));
	struct iovec *l = xcalloc(go->ngs, sizeof(*l)), *r = xcalloc(go->ngs, sizeof(*r));
	size_t *got = xcalloc(go->ngs, sizeof(*got));
	for (i = 0; i < go->ngs; i++) {
		struct goroutine *g = &go->gs[i];
		if (!g->m || (g->status != GO_RUNNING && g->status != GO_SYSCALL))
			continue;
		l[k].iov_base = &tid[i];
		l[k].iov_len = r[k].iov_len = 8;
		r[k].iov_base = (void *)(uintptr_t)(g->m + L->m_procid);
		k++;
	}
	vm_read_ranges(p->mm_tid, l, r, k, got);
	/* the process's own thread (when its threads were listed) */
	for (i = 0; i < go->ngs; i++)
		if (tid[i] > 0 && tid[i] < (uint64_t)INT32_MAX &&
		    (!p->nthreads || process_thread(p, (pid_t)tid[i])))
			go->gs[i].tid = (pid_t)tid[i];
	go_adopt_threads(p, p);
	free(tid);
	free(l);
	free(r);
	free(got);
}

void go_adopt_threads(struct process *p, const struct process *from)
{
	size_t i;
	for (i = 0; i < p->go.ngs; i++) {
		struct goroutine *g = &p->go.gs[i];
		const struct thread *t = g->tid ? process_thread(from, g->tid) : NULL;
		/* a running goroutine is where its thread is, when the thread
		 * is on the goroutine's own stack (not on g0's or the signal
		 * stack: then its saved state says where it was) */
		if (t && g->status == GO_RUNNING && t->cap.ok && t->cap.regs.rsp >= g->stack_lo &&
		    t->cap.regs.rsp < g->stack_hi) {
			g->sp = t->cap.regs.rsp;
			g->pc = t->cap.regs.rip;
			g->bp = t->cap.regs.rbp;
			g->stack = t->cap.stack;
			g->copy_lo = t->cap.stack_lo;
			g->copy_len = t->cap.stack_len;
		}
	}
}

struct goid_key {
	int64_t goid;
	size_t i;
};

static int cmp_goid(const void *a, const void *b)
{
	const struct goid_key *x = a, *y = b;
	return x->goid < y->goid ? -1 : x->goid > y->goid;
}

/* The goroutines by goid.  allgs holds them mostly in the order they
 * were made, so they are often in order already (one pass); else their
 * keys are sorted and each goroutine (some 200 bytes) is moved once */
static void sort_by_goid(struct go_process *go)
{
	struct goid_key *k;
	struct goroutine *sorted;
	size_t i;
	for (i = 1; i < go->ngs && go->gs[i - 1].goid <= go->gs[i].goid; i++)
		;
	if (i >= go->ngs)
		return;
	k = xmalloc_array(go->ngs, sizeof(*k));
	for (i = 0; i < go->ngs; i++) {
		k[i].goid = go->gs[i].goid;
		k[i].i = i;
	}
	qsort(k, go->ngs, sizeof(*k), cmp_goid);
	sorted = xmalloc_array(go->ngs, sizeof(*sorted));
	for (i = 0; i < go->ngs; i++)
		sorted[i] = go->gs[k[i].i];
	free(go->gs);
	go->gs = sorted;
	free(k);
}

/* What a g says of where its goroutine is: its status (st, the scan bit
 * off), why and since when it waits, its stack, where unwinding starts */
static void wait_state(const struct go_layout *L, const uint8_t *raw, uint32_t st,
		       struct goroutine *g)
{
	g->status = st;
	g->waitreason = raw[L->waitreason];
	g->waitsince = (int64_t)u64_at(raw, L->waitsince);
	g->stack_lo = u64_at(raw, L->stack_lo);
	g->stack_hi = u64_at(raw, L->stack_hi);
	g->sp = saved_sp(L, raw, st);
	g->pc = st == GO_SYSCALL ? u64_at(raw, L->syscallpc) : u64_at(raw, L->sched_pc);
	g->bp = st == GO_SYSCALL ? (L->syscallbp != GO_NONE ? u64_at(raw, L->syscallbp) : 0)
				 : u64_at(raw, L->sched_bp);
}

/* Goroutines [from, to) of allgs, their g's in graw from slot 0, decoded
 * into gs: those that are alive and check out */
static void decode_gs(struct process *p, size_t from, size_t to)
{
	struct go_process *go = &p->go;
	const struct go_layout *L = go->layout;
	size_t i;
	if (!go->gs)
		go->gs = xcalloc(go->nread, sizeof(*go->gs));
	for (i = from; i < to; i++) {
		const uint8_t *raw = go->graw + (i - from) * L->g_size;
		struct goroutine *g = &go->gs[go->ngs];
		uint32_t st = u32_at(raw, L->atomicstatus) & ~(uint32_t)GO_SCAN;
		if (!go->copies[i].g_read) {
			go->nbad++;
			continue;
		}
		if (st == GO_DEAD || st == GO_IDLE)
			continue;
		if (st != GO_RUNNABLE && st != GO_RUNNING && st != GO_SYSCALL && st != GO_WAITING &&
		    st != GO_COPYSTACK && st != GO_PREEMPTED) {
			go->nbad++;
			continue;
		}
		memset(g, 0, sizeof(*g));
		g->addr = go->gptrs[i];
		g->goid = (int64_t)u64_at(raw, L->goid);
		g->parent_goid = L->parent_goid != GO_NONE ? (int64_t)u64_at(raw, L->parent_goid) : 0;
		g->gopc = u64_at(raw, L->gopc);
		g->startpc = u64_at(raw, L->startpc);
		g->m = u64_at(raw, L->m);
		g->locked = L->lockedm != GO_NONE && u64_at(raw, L->lockedm);
		wait_state(L, raw, st, g);
		g->stack = go->copies[i].buf;
		g->copy_lo = go->copies[i].lo;
		g->copy_len = go->copies[i].buf ? go->copies[i].len : 0;
		if (go->copies[i].moved)
			g->unwind_stop = xstrdup("it ran while it was copied, each of 3 times: "
						 "its stack may not be this one");
		g->wait_minutes = -1;
		g->group = -1;
		if (g->goid <= 0 || g->stack_lo >= g->stack_hi ||
		    (st != GO_RUNNING && (g->sp < g->stack_lo || g->sp >= g->stack_hi))) {
			go->nbad++;
			continue;
		}
		go->have_main |= g->goid == 1;
		go->ngs++;
	}
}

void go_decode(struct process *p)
{
	struct go_process *go = &p->go;
	const struct go_layout *L = go->layout;
	size_t bad;
	if (!go->iov || go->not_shown)
		goto out;
	if (!go->nread) {
		go->not_shown = xstrdup("goroutines not shown: runtime.allgs could not be read "
					"while the threads were held");
		goto out;
	}
	if (!go->gs)	/* not decoded as read */
		decode_gs(p, 0, go->nread);
	bad = go->nbad;
	/* the layout row must fit what was read: goroutine 1 (the main one)
	 * is there, and next to nothing failed the checks */
	if (!go->have_main || bad > go->ngs / 8) {
		go->not_shown = xasprintf("goroutines not shown: what was read at runtime.allgs "
					  "does not check out as %s's goroutines (%zu of %zu failed, "
					  "goroutine 1 %s); the layout of this release is %s",
					  go->version, bad, bad + go->ngs,
					  go->have_main ? "found" : "missing",
					  L->checked ? "known" : "inferred, not checked");
		go_goroutines_release(go);
		goto out;
	}
	sort_by_goid(go);
	find_threads(p);
out:
	go_copies_release(go);
}

int go_reread(struct process *p, struct goroutine *g, size_t max_stack)
{
	const struct go_layout *L = p->go.layout;
	uint8_t *raw, *again, *stack;
	uint64_t sp, lo, hi, len;
	uint32_t st;
	int ok = 0;
	if (!L || !max_stack)
		return 0;
	raw = xmalloc(L->g_size);
	again = xmalloc(L->g_size);
	if (read_one(p->mm_tid, raw, g->addr, L->g_size) < 0)
		goto out;
	st = u32_at(raw, L->atomicstatus) & ~(uint32_t)GO_SCAN;
	if (st == GO_RUNNING && (int64_t)u64_at(raw, L->goid) == g->goid) {
		/* running again, maybe on another M: its thread now */
		uint64_t m = u64_at(raw, L->m), tid = 0;
		if (m && read_one(p->mm_tid, &tid, m + L->m_procid, 8) == 0 && tid > 0 &&
		    tid < (uint64_t)INT32_MAX) {
			g->m = m;
			g->tid = (pid_t)tid;
		}
		goto out;
	}
	if ((st != GO_RUNNABLE && st != GO_WAITING && st != GO_SYSCALL && st != GO_PREEMPTED) ||
	    (int64_t)u64_at(raw, L->goid) != g->goid)
		goto out;
	sp = saved_sp(L, raw, st);
	lo = u64_at(raw, L->stack_lo);
	hi = u64_at(raw, L->stack_hi);
	if (sp < lo || sp >= hi || hi - lo > (1ull << 30))
		goto out;
	len = hi - sp < max_stack ? hi - sp : max_stack;
	stack = arena_alloc(&p->stacks, len);
	if (read_one(p->mm_tid, stack, sp, len) < 0 ||
	    read_one(p->mm_tid, again, g->addr, L->g_size) < 0 || !settled(L, raw, again))
		goto out;
	wait_state(L, raw, st, g);
	g->stack = stack;
	g->copy_lo = sp;
	g->copy_len = len;
	if (st != GO_SYSCALL)
		g->tid = 0;
	ok = 1;
out:
	free(raw);
	free(again);
	return ok;
}
