/* test_count.c - what inspect count counts: filters, breakdowns, the
 * baseline comparison, without a process. */
#include "../../model/count.h"
#include "../../util/util.h"
#include "unit.h"

#include <stdlib.h>
#include <sys/syscall.h>

static void thread(struct thread *t, pid_t tid, const char *name, long nr, const uint64_t *pcs,
		   size_t n)
{
	thread_init(t, tid);
	t->state = 'S';
	t->syscall_nr = nr;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->pcs = xmalloc_array(n, sizeof(*pcs));
	t->activation = xcalloc(n, 1);
	memcpy(t->pcs, pcs, n * sizeof(*pcs));
	t->npcs = n;
}

/* PCs must be added in increasing order */
static void sym(struct process *p, uint64_t pc, const char *module, const char *fn)
{
	size_t i = p->nsyms++;
	p->sym_pcs = xrealloc_array(p->sym_pcs, p->nsyms, sizeof(uint64_t));
	p->syms = xrealloc_array(p->syms, p->nsyms, sizeof(*p->syms));
	p->sym_pcs[i] = pc;
	p->syms[i].nrows = 1;
	p->syms[i].rows = xcalloc(1, sizeof(struct symrow));
	p->syms[i].rows[0].pc = pc;
	p->syms[i].rows[0].module = xstrdup(module);
	p->syms[i].rows[0].function = xstrdup(fn);
}

/* five threads: three leaky handlers reading (two stacks), one in
 * epoll, one sleeping */
static void snapshot(struct process *p)
{
	static const uint64_t leak[] = { 0x100, 0x200, 0x300 }, leak2[] = { 0x100, 0x210, 0x300 },
			      poll[] = { 0x400, 0x300 }, nap[] = { 0x500 };
	process_init(p, 10);
	p->threads = xcalloc(5, sizeof(*p->threads));
	p->nthreads = 5;
	thread(&p->threads[0], 11, "handler-1", SYS_read, leak, 3);
	thread(&p->threads[1], 12, "handler-2", SYS_read, leak, 3);
	thread(&p->threads[2], 13, "handler-17", SYS_read, leak2, 3);
	thread(&p->threads[3], 14, "loop", SYS_epoll_wait, poll, 2);
	thread(&p->threads[4], 15, "nap", SYS_nanosleep, nap, 1);
	sym(p, 0x100, "libc.so.6", "read");
	sym(p, 0x200, "svc", "leaky_handler");
	sym(p, 0x210, "svc", "leaky_handler");
	sym(p, 0x300, "svc", "main");
	sym(p, 0x400, "libc.so.6", "epoll_wait");
	sym(p, 0x500, "libc.so.6", "nanosleep");
	group_threads(p, 0);
	classify_threads(p);
	classify_groups(p);
}

int main(void)
{
	struct process p;
	struct count_filter f = { NULL, 0, NULL, -1 };
	struct tally t = { 0 };
	struct baseline b = { 0 };
	struct growth *g;
	uint8_t mask[5], grown[5];
	regex_t re;
	char label[64], *sig;
	size_t n;

	snapshot(&p);
	CHECK(count_select(&p, &f, mask) == 5);
	regcomp(&re, "^leaky", REG_EXTENDED | REG_NOSUB);
	f.re = &re;
	f.nre = 1;
	CHECK(count_select(&p, &f, mask) == 3);
	CHECK(mask[0] && mask[1] && mask[2] && !mask[3] && !mask[4]);
	CHECK(count_needs_stacks(COUNT_BY_TOTAL, &f));
	f.nre = 0;
	f.name_glob = "handler-1*";
	CHECK(count_select(&p, &f, mask) == 2);	/* handler-1, handler-17 */
	CHECK(!count_needs_stacks(COUNT_BY_KIND, &f));
	f.name_glob = NULL;
	f.kind = WAIT_EPOLL;
	CHECK(count_select(&p, &f, mask) == 1 && mask[3]);
	f.kind = -1;

	/* breakdowns */
	count_select(&p, &f, mask);
	count_breakdown(&p, COUNT_BY_KIND, mask, &t);
	CHECK(t.len == 3);	/* the order of the wait kinds: epoll, read, sleep */
	CHECK_STR(t.keys[0], "epoll");
	CHECK_STR(t.keys[1], "read");
	CHECK(t.n[1] == 3);
	tally_release(&t);
	count_breakdown(&p, COUNT_BY_NAME, mask, &t);
	CHECK_STR(t.keys[0], "handler-*");	/* the largest first */
	CHECK(t.n[0] == 3);
	tally_release(&t);
	count_breakdown(&p, COUNT_BY_FUNCTION, mask, &t);
	CHECK_STR(t.keys[0], "main");	/* in 4 stacks, once each */
	CHECK(t.n[0] == 4);
	tally_release(&t);
	count_breakdown(&p, COUNT_BY_GROUP, mask, &t);
	CHECK_STR(t.keys[0], "read@leaky_handler");	/* both stacks: one label */
	CHECK(t.n[0] == 3);
	tally_release(&t);
	count_breakdown(&p, COUNT_BY_TOTAL, mask, &t);
	CHECK(t.len == 0);

	/* the signature: kind and every frame's function */
	sig = group_signature(&p, &p.groups[0]);
	CHECK_STR(sig, "read|read|leaky_handler|main");
	group_label(&p, &p.groups[0], label, sizeof(label));
	CHECK_STR(label, "read@leaky_handler");

	/* a baseline with one thread of the largest group: it grew by one,
	 * and the new thread is the one the baseline did not list */
	b.v = xcalloc(1, sizeof(*b.v));
	b.n = 1;
	b.v[0].signature = sig;
	b.v[0].count = 1;
	b.v[0].ids = xcalloc(1, sizeof(int64_t));
	b.v[0].ids[0] = 11;
	b.v[0].nids = 1;
	n = baseline_compare(&p, &b, mask, grown, &g);
	/* epoll and sleep were not in the baseline at all; the second
	 * read group has the same functions, so the same signature, and one
	 * thread as the baseline had */
	CHECK(n == 3);
	CHECK_STR(g[0].label, "read@leaky_handler");
	CHECK(g[0].then == 1 && g[0].now == 2);
	CHECK(!grown[0] && grown[1]);
	free(g);
	baseline_release(&b);

	regfree(&re);
	process_clear(&p);
	return u_done();
}
