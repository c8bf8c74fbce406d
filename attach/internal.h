/*
 * internal.h - what the files of attach/ share among themselves; the
 * rest of the program uses attach.h.
 */
#ifndef INSPECT_ATTACH_INTERNAL_H
#define INSPECT_ATTACH_INTERNAL_H

#include "attach.h"

#define PF_KTHREAD 0x00200000	/* a kernel thread, in stat's flags */

/* A system call's arguments as the registers hold them */
static inline void args_from_regs(struct thread *t, const struct user_regs_struct *r)
{
	t->args[0] = r->rdi;
	t->args[1] = r->rsi;
	t->args[2] = r->rdx;
	t->args[3] = r->r10;
	t->args[4] = r->r8;
	t->args[5] = r->r9;
}

/* The number after `key` ("\nTgid:") in a /proc status file, or -1 */
long proc_status_field(const char *buf, const char *key);

/* dirfd/cmdline with its NULs as spaces (at most max bytes), or NULL */
char *proc_read_cmdline(int dirfd, size_t max);

/* blocked.c: start the calibration of the blocked-time clock on each
 * CPU a blocked thread of p last ran on; proc_blocked_times ends it. */
void blocked_start(struct process *p);

/* maps.c: dirfd/maps into m (each path its own copy); 0, or -1 with
 * errno set when it cannot be read. */
int maps_read(int dirfd, struct maps *m);

/* procnet.c: what fd `fd` of the target is ("TCP 127.0.0.1:80 -> ...",
 * "pipe 1234", a path), a new string, or NULL when it is not open.  The
 * socket tables are read once per socktab, at its first socket. */
struct socktab {
	int loaded;
	struct sock *v;
	size_t n, cap;
};
char *procnet_fd_target(int pfd, int fd, struct socktab *st);
void procnet_release(struct socktab *st);

/* taskiter.c: what a thread's stat and sched files say, for every
 * thread of process pid at once, read by the kernel (a BPF task
 * iterator); sorted by TID */
struct task_fact {
	pid_t tid;
	char state;		/* as /proc prints it */
	int cpu;
	char comm[16];
	uint64_t exec_start_ns;	/* se.exec_start */
	uint64_t utime_ns, stime_ns;	/* not scaled as stat's are */
	uint64_t start_boottime_ns;
	/* its thread pointer, and its stack pointer when it last entered
	 * the kernel (where a blocked thread's stack ends and begins): 0
	 * when not read */
	uint64_t fsbase, user_sp;
};
/* 0 with *out (to free) and *n, or -1 when the kernel does not offer it
 * or would not let us (not root, no BTF, older than 6.1, locked down) */
int taskiter_read(pid_t pid, struct task_fact **out, size_t *n);

/* Every thread's user registers at once, from the same iterator: open
 * (before the stop, after a taskiter_read that succeeded) gives a link
 * to read, or -1 where the kernel will not; read calls each(arg, h) per
 * thread: regs as PTRACE_GETREGSET would give them for a stopped thread
 * (traced: in a ptrace stop; for one asleep, those saved when it entered
 * the kernel, rax aside), the CPU it is on and how many times it left a
 * CPU; 0, or -1 (what each was given before then still stands).
 * close() the link. */
struct held_regs {
	pid_t tid;
	int traced;
	int sleeping;		/* in S, off every CPU */
	int cpu;
	uint64_t switches;	/* times it left a CPU (nvcsw + nivcsw) */
	struct user_regs_struct regs;
};
int taskiter_regs_open(pid_t pid);
int taskiter_regs_read(int link, void (*each)(void *arg, const struct held_regs *h), void *arg);

#endif
