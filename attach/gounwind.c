/*
 * gounwind.c - each goroutine's stack, unwound from its copy with Go's
 * own frame-size tables (the pclntab's pcsp, through struct go_frames):
 * the return address of a frame is at sp + its frame size, the caller's
 * stack pointer 8 above it.  No frame pointer is needed.  The walk ends
 * cleanly at runtime.goexit (where every goroutine begins); it ends
 * with a reason where the copy ends, a PC is no Go function's, or the
 * stack pointer does not move outward.
 */
#define _GNU_SOURCE
#include "attach.h"

#include <stdlib.h>
#include <string.h>

static int copy_word(const struct goroutine *g, uint64_t addr, uint64_t *v)
{
	if (!g->stack || addr < g->copy_lo || addr + 8 > g->copy_lo + g->copy_len ||
	    addr + 8 < addr)
		return -1;
	memcpy(v, g->stack + (addr - g->copy_lo), 8);
	return 0;
}

static void push(struct goroutine *g, size_t *cap, uint64_t pc, int act)
{
	if (g->npcs >= *cap) {
		*cap = *cap ? *cap * 2 : 16;
		g->pcs = xrealloc_array(g->pcs, *cap, sizeof(*g->pcs));
		g->activation = xrealloc(g->activation, *cap);
	}
	g->pcs[g->npcs] = pc;
	g->activation[g->npcs++] = act;
}

static void unwind_goroutine(struct goroutine *g, const struct go_frames *f, size_t max_depth)
{
	uint64_t pc = g->pc, sp = g->sp;
	size_t cap = 0;
	/* a running goroutine's first PC is where its thread was */
	int exact = g->status == GO_RUNNING && g->tid;
	if (!g->stack) {
		g->unwind_stop = xstrdup(g->status == GO_RUNNING ?
			"running on another thread whose registers were not captured" :
			"its stack was not copied");
		return;
	}
	while (pc) {
		struct go_frame fr;
		uint64_t ra;
		if (g->npcs >= max_depth) {
			g->unwind_stop = xasprintf("depth limit of %zu frames reached", max_depth);
			return;
		}
		push(g, &cap, pc, exact);
		if (f->frame(f->ctx, pc - !exact, &fr) < 0) {
			g->unwind_stop = xasprintf("no Go function at 0x%llx", (unsigned long long)pc);
			return;
		}
		if (fr.outermost)
			return;
		if (fr.sp_delta < 0) {
			g->unwind_stop = xasprintf("no frame size at 0x%llx", (unsigned long long)pc);
			return;
		}
		if (copy_word(g, sp + (uint64_t)fr.sp_delta, &ra) < 0) {
			g->unwind_stop = xstrdup("the stack copy ends here (its size limit)");
			return;
		}
		sp += (uint64_t)fr.sp_delta + 8;
		pc = ra;
		exact = 0;
	}
}

/* A goroutine in a cgo call: its thread is in C, whose frames (unwound
 * with the thread, by libunwind) come first, down to the first Go one */
static void prepend_c_frames(const struct process *p, struct goroutine *g,
			     const struct go_frames *f)
{
	const struct thread *t = process_thread(p, g->tid);
	struct go_frame fr;
	size_t k = 0;
	uint64_t *pcs;
	uint8_t *act;
	if (!t || !t->npcs)
		return;
	while (k < t->npcs && f->frame(f->ctx, t->pcs[k] - !t->activation[k], &fr) < 0)
		k++;
	if (!k || k == t->npcs)
		return;		/* all Go (a system call from Go), or no Go at all */
	pcs = xmalloc_array(k + g->npcs, sizeof(*pcs));
	act = xmalloc(k + g->npcs);
	memcpy(pcs, t->pcs, k * sizeof(*pcs));
	memcpy(act, t->activation, k);
	if (g->npcs) {
		memcpy(pcs + k, g->pcs, g->npcs * sizeof(*pcs));
		memcpy(act + k, g->activation, g->npcs);
	}
	free(g->pcs);
	free(g->activation);
	g->pcs = pcs;
	g->activation = act;
	g->npcs += k;
}

void go_unwind(struct process *p, const struct go_frames *f, size_t max_depth)
{
	size_t i;
	if (!f->frame)
		return;
	for (i = 0; i < p->go.ngs; i++) {
		struct goroutine *g = &p->go.gs[i];
		unwind_goroutine(g, f, max_depth);
		if (g->status == GO_SYSCALL && g->tid)
			prepend_c_frames(p, g, f);
	}
}
