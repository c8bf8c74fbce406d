/*
 * timeit.c CMD [ARG...] - run CMD and print, on stderr after its own
 * output, "@@timeit WALL_US MAXRSS_KB STATUS": the wall time from fork to
 * reap in microseconds, the peak resident memory, and the wait status.
 *
 * What /usr/bin/time does, for `make bench`, but with a microsecond clock
 * (time's %e has 10 ms steps) and measured here, next to the fork: the
 * harness's own start-up (python's Popen, its pipes, the exec of a timing
 * program) stays out of every tool's wall time.  It forks rather than
 * posix_spawns, so that the child's peak memory starts from this small
 * process's and not from a large parent's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ll + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	long long t0, t1;
	int status;
	pid_t pid;
	if (argc < 2) {
		fputs("usage: timeit CMD [ARG...]\n", stderr);
		return 2;
	}
	t0 = now_us();
	pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "timeit: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("timeit: wait4");
			return 2;
		}
	t1 = now_us();
	fprintf(stderr, "@@timeit %lld %ld %d\n", t1 - t0, ru.ru_maxrss, status);
	return 0;
}
