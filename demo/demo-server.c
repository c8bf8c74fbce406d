/*
 * demo-server.c - the bundled demo service for `make demo`.
 *
 * A small loopback "web service" caught in a typical bad moment:
 *   - four request workers idle in their pool (condition wait);
 *   - two requests stuck on the cache lock, which the evictor holds
 *     while it sleeps (mutex lock, with the owner named);
 *   - one request waiting for its database, which never answers
 *     (read on a TCP connection);
 *   - the acceptor waiting for connections (accept);
 *   - an event loop (epoll wait), a metrics flusher (sleep), and a
 *     compressor burning CPU (running);
 *   - main waiting for a shutdown signal (signal wait).
 *
 * Usage: demo-server READYFILE   (writes "PID PORT" when ready)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

struct job { int fd; struct job *next; };

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cv = PTHREAD_COND_INITIALIZER;
static struct job *queue;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t started;
static int http_fd, db_fd;
static volatile unsigned long compressed;

static int listen_loopback(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		perror("demo-server: listen");
		exit(1);
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

NOINLINE static struct job *next_job(void)
{
	struct job *j;
	pthread_mutex_lock(&queue_lock);
	while (!queue)
		pthread_cond_wait(&queue_cv, &queue_lock);
	j = queue;
	queue = j->next;
	pthread_mutex_unlock(&queue_lock);
	return j;
}

NOINLINE static void *request_worker(void *arg)
{
	char name[16];
	snprintf(name, sizeof(name), "http-worker-%ld", (long)arg);
	prctl(PR_SET_NAME, name);
	pthread_barrier_wait(&started);
	for (;;)
		close(next_job()->fd);
	return NULL;
}

NOINLINE static void cache_lookup(void)
{
	pthread_mutex_lock(&cache_lock);
	pthread_mutex_unlock(&cache_lock);
}

NOINLINE static void *cached_request(void *arg)
{
	char name[16];
	snprintf(name, sizeof(name), "http-cached-%ld", (long)arg);
	prctl(PR_SET_NAME, name);
	pthread_barrier_wait(&started);
	cache_lookup();
	return NULL;
}

NOINLINE static void *cache_evictor(void *arg)
{
	prctl(PR_SET_NAME, "cache-evictor");
	pthread_mutex_lock(&cache_lock);	/* and forgets to let go */
	pthread_barrier_wait(&started);
	for (;;)
		sleep(3600);
	return arg;
}

NOINLINE static ssize_t db_query(int fd, char *reply, size_t size)
{
	static const char q[] = "SELECT * FROM orders WHERE id = 42\n";
	if (write(fd, q, sizeof(q) - 1) < 0)
		return -1;
	return read(fd, reply, size);	/* the database never answers */
}

NOINLINE static void *report_request(void *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	char reply[256];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	prctl(PR_SET_NAME, "http-report");
	getsockname(db_fd, (struct sockaddr *)&sa, &len);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		perror("demo-server: connect");
	pthread_barrier_wait(&started);
	for (;;)
		if (db_query(fd, reply, sizeof(reply)) <= 0)
			sleep(1);
	return arg;
}

NOINLINE static void *acceptor(void *arg)
{
	prctl(PR_SET_NAME, "acceptor");
	pthread_barrier_wait(&started);
	for (;;) {
		struct job *j = malloc(sizeof(*j));
		j->fd = accept(http_fd, NULL, NULL);
		pthread_mutex_lock(&queue_lock);
		j->next = queue;
		queue = j;
		pthread_cond_signal(&queue_cv);
		pthread_mutex_unlock(&queue_lock);
	}
	return arg;
}

NOINLINE static void *event_loop(void *arg)
{
	struct epoll_event ev;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	prctl(PR_SET_NAME, "event-loop");
	pthread_barrier_wait(&started);
	for (;;)
		epoll_wait(ep, &ev, 1, -1);
	return arg;
}

NOINLINE static void *metrics_flusher(void *arg)
{
	prctl(PR_SET_NAME, "metrics");
	pthread_barrier_wait(&started);
	for (;;)
		sleep(60);
	return arg;
}

NOINLINE static unsigned long compress_block(unsigned long x)
{
	int i;
	for (i = 0; i < 1000; i++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	return x;
}

NOINLINE static void *compressor(void *arg)
{
	unsigned long x = 1;
	prctl(PR_SET_NAME, "compressor");
	pthread_barrier_wait(&started);
	for (;;) {
		x = compress_block(x);
		compressed++;
	}
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t t;
	int port, db_port, sig;
	long i;
	sigset_t set;
	FILE *f;
	if (argc != 2) {
		fprintf(stderr, "usage: demo-server READYFILE\n");
		return 2;
	}
	http_fd = listen_loopback(&port);
	db_fd = listen_loopback(&db_port);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_barrier_init(&started, NULL, 13);
	for (i = 1; i <= 4; i++)
		pthread_create(&t, NULL, request_worker, (void *)i);
	pthread_create(&t, NULL, cache_evictor, NULL);
	for (i = 1; i <= 2; i++)
		pthread_create(&t, NULL, cached_request, (void *)i);
	pthread_create(&t, NULL, report_request, NULL);
	pthread_create(&t, NULL, acceptor, NULL);
	pthread_create(&t, NULL, event_loop, NULL);
	pthread_create(&t, NULL, metrics_flusher, NULL);
	pthread_create(&t, NULL, compressor, NULL);
	pthread_barrier_wait(&started);
	usleep(300000);		/* let every thread reach its wait */
	f = fopen(argv[1], "w");
	if (!f)
		return 1;
	fprintf(f, "%d %d\n", (int)getpid(), port);
	fclose(f);
	sigwait(&set, &sig);	/* until asked to stop */
	return 0;
}
