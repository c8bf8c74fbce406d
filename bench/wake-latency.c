/*
 * wake-latency.c [N] - how long an interrupted sleeper takes to reach its
 * ptrace stop, on an idle CPU and beside a thread that spins there: the
 * experiment behind the pacing of the stop and the release at 10,000
 * threads.  A child process parks N sleepers (default 200) in a futex on
 * the first allowed CPU, then (second round) starts a thread spinning on
 * the same CPU; this process, on another CPU, seizes each sleeper and
 * times PTRACE_INTERRUPT to its stop, one at a time.
 *
 * On this project's 2-CPU machine (HZ=250) a sleeper beside the spinning
 * thread waited 2.6-3.3 ms on average for its stop (worst 4.2-5.7 ms),
 * against 0.09-0.11 ms on an idle CPU: a woken thread does not preempt a
 * spinning one there; it runs when the spinner's turn ends, at a
 * scheduler tick (every 4 ms).  So sleepers that stop (or are released)
 * beside a busy thread run in bursts, a burst a tick, unless another CPU
 * goes idle and takes them: there a capture's pace is set by ticks, not
 * by its ptrace calls.
 *
 * Build: cc -O2 -pthread -o wake-latency bench/wake-latency.c
 * A benchmark helper: nothing in `make check` depends on it.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int nsleepers = 200;
static pid_t *tids;
static int parked, never;
static int cpu_a = -1, cpu_b = -1;	/* the sleepers' CPU, and ours */

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof(s), &s) < 0)
		perror("sched_setaffinity");
}

static void *sleeper(void *arg)
{
	pin(cpu_a);
	tids[(long)arg] = (pid_t)syscall(SYS_gettid);
	__atomic_add_fetch(&parked, 1, __ATOMIC_SEQ_CST);
	for (;;)
		syscall(SYS_futex, &never, FUTEX_WAIT, 0, NULL, NULL, 0);
	return NULL;
}

static void *spinner(void *arg)
{
	(void)arg;
	pin(cpu_a);
	for (;;)
		__asm__ volatile("" ::: "memory");
	return NULL;
}

/* a child with the sleepers (and a spinner): their TIDs come back on the
 * pipe */
static pid_t start_child(int spin, int fd[2])
{
	pid_t child;
	long i;
	if (pipe(fd) < 0 || (child = fork()) < 0) {
		perror("fork");
		exit(1);
	}
	if (child)
		return child;
	for (i = 0; i < nsleepers; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, sleeper, (void *)i)) {
			perror("pthread_create");
			_exit(1);
		}
	}
	while (__atomic_load_n(&parked, __ATOMIC_SEQ_CST) < nsleepers)
		usleep(1000);
	if (spin) {
		pthread_t t;
		pthread_create(&t, NULL, spinner, NULL);
	}
	if (write(fd[1], tids, nsleepers * sizeof(*tids)) < 0)
		_exit(1);
	pause();
	_exit(0);
}

static void round_of(int spin)
{
	int fd[2], i;
	double sum = 0, worst = 0;
	pid_t child = start_child(spin, fd);
	if (read(fd[0], tids, nsleepers * sizeof(*tids)) != (ssize_t)(nsleepers * sizeof(*tids))) {
		fprintf(stderr, "the child did not start\n");
		exit(1);
	}
	sleep(1);
	for (i = 0; i < nsleepers; i++) {
		siginfo_t si;
		double t0, d;
		if (ptrace(PTRACE_SEIZE, tids[i], 0, 0) < 0) {
			perror("PTRACE_SEIZE");
			break;
		}
		t0 = now_us();
		ptrace(PTRACE_INTERRUPT, tids[i], 0, 0);
		waitid(P_PID, tids[i], &si, WSTOPPED | __WALL);
		d = now_us() - t0;
		sum += d;
		if (d > worst)
			worst = d;
		usleep(200);
	}
	printf("%-28s interrupt to stop: mean %.1f us, worst %.1f us (%d sleepers)\n",
	       spin ? "beside a spinning thread:" : "on an idle CPU:", sum / nsleepers, worst,
	       nsleepers);
	/* let them go first: a killed process whose threads we trace waits
	 * for us to reap them */
	for (i = 0; i < nsleepers; i++)
		ptrace(PTRACE_DETACH, tids[i], 0, 0);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(fd[0]);
	close(fd[1]);
}

int main(int argc, char **argv)
{
	cpu_set_t all;
	int c;
	if (argc > 1 && (nsleepers = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: wake-latency [N]\n");
		return 64;
	}
	if (sched_getaffinity(0, sizeof(all), &all) < 0)
		return 1;
	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all)) {
			if (cpu_a < 0)
				cpu_a = c;
			else if (cpu_b < 0)
				cpu_b = c;
		}
	if (cpu_b < 0) {
		fprintf(stderr, "wake-latency: needs two CPUs\n");
		return 1;
	}
	if (!(tids = calloc(nsleepers, sizeof(*tids))))
		return 1;
	pin(cpu_b);
	round_of(0);
	round_of(1);
	return 0;
}
