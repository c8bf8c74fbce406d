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
	p.threads[3].args[0] = 0x2000;
	p.threads[3].args[1] = 128;	/* FUTEX_WAIT_PRIVATE */
	p.threads[3].args[2] = 2;	/* the word it slept on */
	p.threads[3].lock_read = LOCK_READ_BEFORE | LOCK_READ_AT;
	p.threads[3].lock_words[LOCK_WORD_AT] = 2;
	p.threads[3].lock_words[LOCK_WORD_AT + 2] = 6;	/* owner TID */
	sym(&p, 0x100, "pthread_cond_wait");
	sym(&p, 0x110, "___pthread_mutex_lock");
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

	/* locks: 1 and 2 hold each other's mutex (a cycle), 3 waits for 1,
	 * 4 for a thread that has exited, 5 on a word that moved since it
	 * went to sleep, 6 on its own mutex (it locked it twice) */
	process_init(&p, 1);
	p.nthreads = 6;
	p.threads = xcalloc(6, sizeof(struct thread));
	{
		static const pid_t owner[] = { 2, 1, 1, 99, 1, 6 };
		size_t i;
		for (i = 0; i < 6; i++) {
			struct thread *t = &p.threads[i];
			thread(t, (pid_t)i + 1, 'S', SYS_futex, b, 3);
			t->args[0] = 0x5000 + 0x40 * i;
			t->args[1] = 128;
			t->args[2] = 2;
			t->lock_read = LOCK_READ_BEFORE | LOCK_READ_AT;
			t->lock_words[LOCK_WORD_AT] = i == 4 ? 0 : 2;
			t->lock_words[LOCK_WORD_AT + 2] = (uint32_t)owner[i];
		}
	}
	sym(&p, 0x110, "___pthread_mutex_lock");
	sym(&p, 0x200, "worker");
	sym(&p, 0x300, "start_thread");
	classify_threads(&p);
	CHECK(p.ndeadlocks == 2);
	CHECK(p.deadlocks[0].n == 2 && p.threads[p.deadlocks[0].members[0]].tid == 1 &&
	      p.threads[p.deadlocks[0].members[1]].tid == 2);
	CHECK(p.deadlocks[1].n == 1 && p.threads[p.deadlocks[1].members[0]].tid == 6);
	CHECK(p.threads[0].wait.deadlock == 0 && p.threads[2].wait.deadlock == -1);
	CHECK_STR(p.threads[2].wait.detail,
		  "0x5080 held by 1 (w-1), which waits in mutex lock 0x5000 held by 2 (w-2)");
	CHECK(p.threads[3].wait.owner == 0 && p.threads[3].wait.owner_note == OWNER_GONE);
	CHECK_STR(p.threads[3].wait.detail, "0x50c0 held by 99, which has exited");
	CHECK(p.threads[4].wait.owner == 0 && p.threads[4].wait.owner_note == OWNER_CHANGED);
	CHECK_STR(p.threads[4].wait.detail, "0x5100 owner unknown (changed)");
	CHECK_STR(p.threads[5].wait.detail, "0x5140 held by 6 (w-6), itself");
	{
		pid_t ch[4];
		CHECK(lock_chain(&p, &p.threads[2], ch, 4) == 2 && ch[0] == 1 && ch[1] == 2);
	}
	s = lock_edge_text(&p, &p.threads[1]);
	CHECK_STR(s, "2 (w-2) waits in mutex lock 0x5040 held by 1 (w-1)");
	free(s);
	/* without the owner's frames (no pthread_mutex), nothing is named */
	free(p.syms[0].rows[0].function);
	p.syms[0].rows[0].function = xstrdup("std::sys::futex::Mutex::lock");
	classify_threads(&p);
	CHECK(p.ndeadlocks == 0 && p.threads[2].wait.owner == 0);
	CHECK_STR(p.threads[2].wait.detail, "0x5080");
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
