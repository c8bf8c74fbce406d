/*
 * floor.c PID - the raw stop/capture/release loop alone, for `make
 * bench`: how fast can all threads of PID be stopped, their registers and
 * 8 KiB of stack copied, and released, with nothing else done?  inspect
 * does this plus /proc reads, unwinding and symbolizing; the benchmark
 * prints this loop's time beside inspect's held time.
 *
 * Also times reading each thread's stat and syscall files, the least
 * `inspect count` must read.  Prints (on stderr) "floor threads N
 * proc-read MS held MS".  A benchmark helper, not a tool: it assumes the
 * target cooperates (no exits, no exec, no other tracer).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	pid_t *tids = NULL;
	size_t n = 0, cap = 0, i;
	static char stack[8192];
	double t0, t1, tp;
	if (argc != 2) {
		fprintf(stderr, "usage: floor PID\n");
		return 64;
	}
	snprintf(path, sizeof(path), "/proc/%s/task", argv[1]);
	if (!(d = opendir(path))) {
		perror(path);
		return 3;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			tids = realloc(tids, cap * sizeof(*tids));
		}
		tids[n++] = atoi(e->d_name);
	}
	closedir(d);

	t0 = now_ms();
	for (i = 0; i < n; i++) {
		static const char *files[] = { "stat", "syscall" };
		int k;
		for (k = 0; k < 2; k++) {
			int fd;
			snprintf(path, sizeof(path), "/proc/%s/task/%d/%s", argv[1], (int)tids[i], files[k]);
			if ((fd = open(path, O_RDONLY)) >= 0) {
				if (read(fd, stack, sizeof(stack)) < 0)
					perror(path);
				close(fd);
			}
		}
	}
	tp = now_ms() - t0;

	t0 = now_ms();
	for (i = 0; i < n; i++)
		if (ptrace(PTRACE_SEIZE, tids[i], 0, 0) < 0 ||
		    ptrace(PTRACE_INTERRUPT, tids[i], 0, 0) < 0) {
			perror("seize");
			return 1;
		}
	for (i = 0; i < n; i++) {
		struct user_regs_struct r;
		struct iovec io = { &r, sizeof(r) }, l = { stack, sizeof(stack) }, rm;
		siginfo_t si;
		if (waitid(P_PID, tids[i], &si, WSTOPPED | __WALL) < 0) {
			perror("waitid");
			return 1;
		}
		ptrace(PTRACE_GETREGSET, tids[i], NT_PRSTATUS, &io);
		rm.iov_base = (void *)(r.rsp & ~4095ul);
		rm.iov_len = sizeof(stack);
		process_vm_readv(tids[i], &l, 1, &rm, 1, 0);
	}
	for (i = 0; i < n; i++)
		ptrace(PTRACE_DETACH, tids[i], 0, 0);
	t1 = now_ms();
	fprintf(stderr, "floor threads %zu proc-read %.2f ms held %.2f ms\n", n, tp, t1 - t0);
	return 0;
}
