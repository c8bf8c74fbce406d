/*
 * target.c READYFILE N - the benchmark target: N idle threads parked as
 * in a real pool (condition wait), plus one busy thread that spins on the
 * clock and records the longest gap in which it did not run: its stall.
 *
 * SIGUSR2 resets the record; SIGUSR1 writes the longest gap since, in
 * microseconds, and when it ended (CLOCK_MONOTONIC, nanoseconds: to find
 * it in the scheduler's trace) to READYFILE.stall.  READYFILE gets "PID"
 * when ready.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int parked;
static volatile long long max_gap_ns, max_gap_end_ns;
static volatile sig_atomic_t want_reset, want_report;

static long long now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

__attribute__((noinline)) static void *idle_worker(void *arg)
{
	pthread_mutex_lock(&m);
	parked++;
	for (;;)
		pthread_cond_wait(&cv, &m);
	return arg;
}

__attribute__((noinline)) static void *busy_clock(void *arg)
{
	long long prev = now(), t, gap;
	prctl(PR_SET_NAME, "busy");
	for (;;) {
		t = now();
		gap = t - prev;
		if (gap > max_gap_ns) {
			max_gap_ns = gap;
			max_gap_end_ns = t;
		}
		prev = t;
	}
	return arg;
}

static char *stall_path;

/* v's digits at b + n (a signal handler has no printf); the new end */
static int put_num(char *b, int n, long long v)
{
	char d[24];
	int k = 0;
	do { d[k++] = '0' + v % 10; v /= 10; } while (v);
	while (k)
		b[n++] = d[--k];
	return n;
}

static void on_sig(int s)
{
	if (s == SIGUSR2) {
		max_gap_ns = 0;
	} else {
		char b[48];
		int n = put_num(b, 0, max_gap_ns / 1000), fd;
		b[n++] = ' ';
		n = put_num(b, n, max_gap_end_ns);
		b[n++] = '\n';
		fd = open(stall_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			if (write(fd, b, n) < 0) {}
			close(fd);
		}
	}
}

int main(int argc, char **argv)
{
	long n, i;
	pthread_attr_t a;
	pthread_t t;
	sigset_t set;
	struct sigaction sa = { .sa_handler = on_sig, .sa_flags = SA_RESTART };
	FILE *f;
	if (argc < 3 || (n = atol(argv[2])) < 0)
		return 2;
	stall_path = malloc(strlen(argv[1]) + 8);
	sprintf(stall_path, "%s.stall", argv[1]);
	/* only the main thread takes the signals */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 << 10);
	for (i = 0; i < n; i++)
		if (pthread_create(&t, &a, idle_worker, NULL)) {
			perror("target: pthread_create");
			return 1;
		}
	pthread_create(&t, &a, busy_clock, NULL);
	while (__atomic_load_n(&parked, __ATOMIC_SEQ_CST) < n)
		usleep(10000);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	f = fopen(argv[1], "w");
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	for (;;)
		pause();
}
