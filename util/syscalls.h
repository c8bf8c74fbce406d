/*
 * syscalls.h - facts about x86-64 system calls that both the /proc
 * reader (attach/) and the classifier (model/) need: its name, which
 * argument is the fd it waits on, whether it is a futex wait.
 */
#ifndef INSPECT_SYSCALLS_H
#define INSPECT_SYSCALLS_H

/* The kernel's name of system call nr ("epoll_wait"), or NULL */
const char *syscall_name(long nr);
/* Which argument of system call nr is the fd it waits on, or -1 */
int syscall_fd_arg(long nr);
/* Whether nr waits on a futex (its first argument is the address) */
int syscall_is_futex(long nr);

#endif
