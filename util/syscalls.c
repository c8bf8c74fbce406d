/*
 * syscalls.c - see syscalls.h.
 */
#include "syscalls.h"

#include <stddef.h>
#include <sys/syscall.h>

#include "syscallnames.h"	/* generated from <asm/unistd_64.h> */

const char *syscall_name(long nr)
{
	if (nr >= 0 && nr < (long)(sizeof(syscall_names) / sizeof(*syscall_names)) &&
	    syscall_names[nr])
		return syscall_names[nr];
	return NULL;
}

int syscall_fd_arg(long nr)
{
	switch (nr) {
	case SYS_read: case SYS_readv: case SYS_pread64: case SYS_preadv:
	case SYS_write: case SYS_writev: case SYS_pwrite64: case SYS_pwritev:
	case SYS_recvfrom: case SYS_recvmsg: case SYS_recvmmsg:
	case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg:
	case SYS_accept: case SYS_accept4: case SYS_connect:
	case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_flock:
#ifdef SYS_epoll_pwait2
	case SYS_epoll_pwait2:
#endif
		return 0;
	}
	return -1;
}

int syscall_is_futex(long nr)
{
	return nr == SYS_futex
#ifdef SYS_futex_wait
		|| nr == SYS_futex_wait
#endif
		;
}
