/* test_model.c - grouping, wait classification, formatting. */
#include "../../model/model.h"
#include "../../util/util.h"
#include "unit.h"

#include <stdlib.h>
#include <sys/syscall.h>

static void thread(struct thread *t, pid_t tid, char state, long nr, const uint64_t *pcs, size_t n)
{
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->state = state;
	t->syscall_nr = nr;
	t->wait.fd = -1;
	t->wait.blocked_ms = -1;
	t->group = -1;
	snprintf(t->name, sizeof(t->name), "w-%d", (int)tid);
	t->pcs = xmalloc(n * sizeof(*pcs));
	t->activation = xcalloc(n, 1);
	memcpy(t->pcs, pcs, n * sizeof(*pcs));
	t->npcs = n;
}

static void sym(struct process *p, uint64_t pc, const char *fn)
{
	size_t i = p->nsyms++;
	p->sym_pcs = xrealloc(p->sym_pcs, p->nsyms * sizeof(uint64_t));
	p->syms = xrealloc(p->syms, p->nsyms * sizeof(*p->syms));
	p->sym_pcs[i] = pc;
	p->syms[i].nrows = 1;
	p->syms[i].rows = xcalloc(1, sizeof(struct symrow));
	p->syms[i].rows[0].pc = pc;
	p->syms[i].rows[0].function = xstrdup(fn);
}

int main(void)
{
	pid_t tids[] = { 1, 2, 3, 5, 7, 8 };
	char *s, buf[32];
	struct process p;
	uint64_t a[] = { 0x100, 0x200, 0x300 }, b[] = { 0x110, 0x200, 0x300 },
		 c[] = { 0x120, 0x400 };

	s = format_tid_ranges(tids, 6);
	CHECK_STR(s, "1-3,5,7-8");
	free(s);
	s = format_tid_ranges(tids, 1);
	CHECK_STR(s, "1");
	free(s);
	format_duration(450, buf, sizeof(buf));
	CHECK_STR(buf, "450ms");
	format_duration(12000, buf, sizeof(buf));
	CHECK_STR(buf, "12s");
	format_duration(180000, buf, sizeof(buf));
	CHECK_STR(buf, "3m");
	format_duration(7500000, buf, sizeof(buf));
	CHECK_STR(buf, "2h5m");
	format_duration(-1, buf, sizeof(buf));
	CHECK_STR(buf, "?");
	CHECK(wait_kind_from_key("epoll") == WAIT_EPOLL);
	CHECK(wait_kind_from_key("nonsense") == -1);
	CHECK_STR(wait_kind_label(WAIT_CONDITION), "condition wait");

	/* 6 threads: 3 identical condition waiters, 1 different stack,
	 * 1 mutex waiter on the same stack shape but another PC, 1 running */
	process_init(&p, 1);
	p.nthreads = 6;
	p.threads = xcalloc(6, sizeof(struct thread));
	thread(&p.threads[0], 1, 'S', SYS_futex, a, 3);
	thread(&p.threads[1], 2, 'S', SYS_futex, a, 3);
	thread(&p.threads[2], 3, 'S', SYS_futex, a, 3);
	thread(&p.threads[3], 4, 'S', SYS_futex, b, 3);
	thread(&p.threads[4], 5, 'S', SYS_epoll_wait, c, 2);
	thread(&p.threads[5], 6, 'R', SYSCALL_RUNNING, c, 2);
	p.threads[0].args[0] = p.threads[1].args[0] = p.threads[2].args[0] = 0x1000;
	p.threads[4].wait.fd = 9;
	p.threads[4].fd_target = xstrdup("TCP 127.0.0.1:5432");
	p.threads[3].futex_read = 1;
	p.threads[3].futex_words[2] = 6;	/* owner TID */
	sym(&p, 0x100, "pthread_cond_wait");
	sym(&p, 0x110, "__lll_lock_wait");
	sym(&p, 0x120, "epoll_wait");
	sym(&p, 0x200, "worker");
	sym(&p, 0x300, "start_thread");
	sym(&p, 0x400, "main");
	CHECK(group_threads(&p, 0) == 0);
	CHECK(p.ngroups == 4);
	CHECK(p.groups[0].nmembers == 3);
	CHECK(p.threads[0].group == p.threads[2].group);
	CHECK(p.threads[4].group != p.threads[5].group);	/* same stack, other wait */
	classify_threads(&p);
	classify_groups(&p);
	CHECK(p.threads[0].wait.kind == WAIT_CONDITION);
	CHECK(p.threads[3].wait.kind == WAIT_MUTEX);
	CHECK(p.threads[3].wait.owner == 6);
	CHECK(p.threads[4].wait.kind == WAIT_EPOLL);
	CHECK_STR(p.threads[4].wait.detail, "fd 9");	/* an epoll fd needs no target */
	CHECK(p.threads[5].wait.kind == WAIT_RUNNING);
	CHECK(p.groups[0].wait.kind == WAIT_CONDITION);
	CHECK_STR(p.groups[0].wait.detail, "0x1000");
	process_clear(&p);

	/* --threads: one group per thread, in TID order */
	process_init(&p, 1);
	p.nthreads = 2;
	p.threads = xcalloc(2, sizeof(struct thread));
	thread(&p.threads[0], 10, 'S', SYS_nanosleep, a, 3);
	thread(&p.threads[1], 11, 'S', SYS_nanosleep, a, 3);
	group_threads(&p, 1);
	CHECK(p.ngroups == 2);
	classify_threads(&p);
	CHECK(p.threads[1].wait.kind == WAIT_SLEEP);
	process_clear(&p);

	/* a zombie, a stopped and a D-state thread */
	process_init(&p, 1);
	p.nthreads = 3;
	p.threads = xcalloc(3, sizeof(struct thread));
	thread(&p.threads[0], 1, 'Z', SYSCALL_UNKNOWN, a, 0);
	thread(&p.threads[1], 2, 'T', SYS_read, a, 0);
	thread(&p.threads[2], 3, 'D', SYSCALL_NONE, a, 0);
	classify_threads(&p);
	CHECK(p.threads[0].wait.kind == WAIT_ZOMBIE);
	CHECK(p.threads[1].wait.kind == WAIT_STOPPED);
	CHECK(p.threads[2].wait.kind == WAIT_DISK);
	process_clear(&p);
	return u_done();
}
