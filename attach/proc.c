/*
 * proc.c - /proc readers.  Everything here runs before the target is
 * stopped (or instead of stopping it): a stopped thread reads as
 * "tracing stop", and its scheduler clock changes when it is stopped.
 *
 * All paths are opened relative to a /proc/PID directory fd.
 */
#define _GNU_SOURCE
#include "attach.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PF_KTHREAD 0x00200000

int proc_open(pid_t pid, struct sb *err, enum attach_err *code)
{
	char path[64];
	int fd;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			sb_addf(err, "no process with PID %d", (int)pid);
			*code = ATTACH_ENOPROC;
		} else {
			sb_addf(err, "cannot open %s: %s", path, strerror(errno));
			*code = errno == EACCES ? ATTACH_EPERM : ATTACH_EINTERNAL;
		}
	}
	return fd;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return x < y ? -1 : x > y;
}

ssize_t proc_list_tids(int pfd, pid_t **out)
{
	int fd = openat(pfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	pid_t *v = NULL;
	size_t n = 0, cap = 0;
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d))) {
		pid_t t = parse_pid(e->d_name);
		if (t <= 0)
			continue;
		grow((void **)&v, &cap, n, sizeof(*v));
		v[n++] = t;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_pid);
	*out = v;
	return n;
}

/* Parse /proc/.../stat: comm may hold spaces and ')', so the fields
 * start after the last ')'. */
int proc_parse_stat(const char *buf, struct thread *t)
{
	const char *l = strchr(buf, '('), *r = strrchr(buf, ')');
	unsigned long long f[40];
	char state;
	size_t n;
	int i;
	const char *s;
	if (!l || !r || r < l)
		return -1;
	n = r - l - 1;
	if (n >= sizeof(t->name))
		n = sizeof(t->name) - 1;
	memcpy(t->name, l + 1, n);
	t->name[n] = '\0';
	s = r + 1;
	while (*s == ' ')
		s++;
	state = *s++;
	/* fields 4.. */
	memset(f, 0, sizeof(f));
	/* up to field 39 (processor), the last one used */
	for (i = 4; i < 40 && *s; i++) {
		char *end;
		while (*s == ' ')
			s++;
		f[i] = strtoull(s, &end, 10);
		if (end == s) {
			/* negative numbers (priority, nice) */
			f[i] = (unsigned long long)strtoll(s, &end, 10);
			if (end == s)
				break;
		}
		s = end;
	}
	t->state = state;
	t->flags = f[9];
	t->utime = f[14];
	t->stime = f[15];
	t->group_threads = (long)f[20];
	t->starttime = f[22];
	t->cpu = (int)f[39];
	return 0;
}

int proc_read_stat(int pfd, pid_t tid, struct thread *t)
{
	char buf[1024], path[64];
	memset(t, 0, sizeof(*t));
	snprintf(path, sizeof(path), "task/%d/stat", (int)tid);
	if (read_file_at(pfd, path, buf, sizeof(buf)) <= 0)
		return -1;
	return proc_parse_stat(buf, t);
}

void proc_parse_syscall(const char *buf, struct thread *t)
{
	char *end;
	int i;
	const char *s = buf;
	t->syscall_nr = SYSCALL_UNKNOWN;
	if (!strncmp(buf, "running", 7)) {
		t->syscall_nr = SYSCALL_RUNNING;
		return;
	}
	t->syscall_nr = strtol(s, &end, 10);
	if (end == s) {
		t->syscall_nr = SYSCALL_UNKNOWN;
		return;
	}
	s = end;
	if (t->syscall_nr == -1) {
		t->sp = strtoull(s, &end, 16);
		t->pc = strtoull(end, &end, 16);
		return;
	}
	for (i = 0; i < 6; i++) {
		t->args[i] = strtoull(s, &end, 16);
		s = end;
	}
	t->sp = strtoull(s, &end, 16);
	t->pc = strtoull(end, &end, 16);
}

double proc_parse_exec_start(const char *buf)
{
	const char *s = strstr(buf, "se.exec_start");
	if (!s)
		return -1;
	s = strchr(s, ':');
	if (!s)
		return -1;
	return strtod(s + 1, NULL);
}

/* ---- the blocked-time clock ------------------------------------------
 * se.exec_start is the rq clock_task of the thread's last CPU at the time
 * it last ran.  That clock lags CLOCK_MONOTONIC by the CPU's IRQ and steal
 * time, so we calibrate it per CPU: a thread of ours on that CPU yields
 * (which refreshes its own exec_start) and compares with the monotonic
 * clock.  The result is approximate (a tick) and a lower bound.
 *
 * One such thread per CPU, started when the threads' facts are read and
 * joined only when the figures are needed (proc_blocked_times): a CPU
 * busy with a thread of the target lets ours run only at its next tick
 * (4 ms), and the capture goes on meanwhile.  Moving the main thread
 * there itself, as before, waited that tick in line.
 *
 * The thread starts on our own CPU, opens its file there, moves, reads
 * and moves back: started on a CPU where a thread of the target runs,
 * its start (page faults, TLS) and end took that thread's place for
 * 0.4-1.3 ms; now only a read of its own sched file does.  (An idle-class
 * thread, SCHED_IDLE, would preempt nothing, but holding a lock of ours,
 * in the kernel or in libc, it kept the capture waiting for tens of ms.) */

struct calib_cpu {
	int cpu;
	int tried;		/* a thread was asked for (started: it runs) */
	int started, joined;
	int ok;			/* offset_ms measured */
	double offset_ms;	/* monotonic - clock_task */
	pthread_t th;
};

struct calib {
	struct calib_cpu *v;	/* by CPU number */
	size_t n;
};

static void *calib_run(void *arg)
{
	struct calib_cpu *c = arg;
	char buf[4096];
	double es;
	struct timespec ts;
	cpu_set_t set;
	ssize_t n;
	int from = sched_getcpu(), fd;
	/* all that can be done here is done before the move: the file
	 * opened, the buffer's page touched */
	memset(buf, 0, sizeof(buf));
	if ((fd = open("/proc/thread-self/sched", O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	CPU_ZERO(&set);
	CPU_SET(c->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		close(fd);
		return NULL;
	}
	/* moved: it runs there from now on, its exec_start fresh; else a
	 * yield refreshes it */
	if (from == c->cpu)
		sched_yield();
	n = pread_file(fd, buf, sizeof(buf));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (sched_getcpu() == c->cpu && n > 0 && (es = proc_parse_exec_start(buf)) > 0) {
		c->offset_ms = ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6 - es;
		c->ok = 1;
	}
	/* and back, to end where it began rather than beside a thread of
	 * the target */
	if (from != c->cpu && from >= 0) {
		CPU_ZERO(&set);
		CPU_SET(from, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	close(fd);
	return NULL;
}

/* Start a calibrating thread on each CPU that a blocked thread last ran
 * on; proc_blocked_times collects them. */
static void start_calibration(struct process *p)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	struct calib *cb;
	sigset_t all, old;
	size_t i;
	int here = sched_getcpu();
	if (ncpu <= 0 || ncpu > CPU_SETSIZE || here < 0 || here >= CPU_SETSIZE)
		return;
	cb = xcalloc(1, sizeof(*cb));
	cb->n = (size_t)ncpu;
	cb->v = xcalloc(cb->n, sizeof(*cb->v));
	/* no signal of ours (SIGCHLD of the capture, SIGINT) goes to them */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < p->nthreads; i++) {
		int cpu = p->threads[i].cpu;
		struct calib_cpu *c;
		pthread_attr_t attr;
		cpu_set_t set;
		if (p->threads[i].exec_start_ms <= 0 || cpu < 0 || (size_t)cpu >= cb->n ||
		    cb->v[cpu].tried)
			continue;
		c = &cb->v[cpu];
		c->tried = 1;
		c->cpu = cpu;
		CPU_ZERO(&set);
		CPU_SET(here, &set);
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 64 << 10);
		c->started = pthread_attr_setaffinity_np(&attr, sizeof(set), &set) == 0 &&
			     pthread_create(&c->th, &attr, calib_run, c) == 0;
		pthread_attr_destroy(&attr);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	p->calib = cb;
}

void proc_blocked_times(struct process *p)
{
	struct calib *cb = p->calib;
	struct timespec ts, until;
	double now, boot_now;
	long hz = sysconf(_SC_CLK_TCK);
	size_t i;
	int abandoned = 0;
	if (!cb)
		return;
	p->calib = NULL;
	/* a CPU that a real-time task keeps busy may never run ours: wait
	 * 100 ms at most, then leave those threads be (and their memory) */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 100000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	for (i = 0; i < cb->n; i++) {
		if (!cb->v[i].started)
			continue;
		cb->v[i].joined = pthread_timedjoin_np(cb->v[i].th, NULL, &until) == 0;
		if (!cb->v[i].joined) {
			pthread_detach(cb->v[i].th);
			abandoned = 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	boot_now = ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
	for (i = 0; i < p->nthreads; i++) {
		struct thread *t = &p->threads[i];
		const struct calib_cpu *c;
		double b, age;
		t->wait.blocked_ms = -1;
		if (t->exec_start_ms <= 0 || t->cpu < 0 || (size_t)t->cpu >= cb->n)
			continue;
		c = &cb->v[t->cpu];
		if (!c->joined || !c->ok)
			continue;
		b = now - c->offset_ms - t->exec_start_ms;
		age = boot_now - (double)t->starttime * 1000.0 / (hz > 0 ? hz : 100);
		/* a migration resets exec_start; an impossible figure is left out */
		if (b < 0 || b > age + 1000)
			continue;
		t->wait.blocked_ms = (int64_t)b;
	}
	if (!abandoned)		/* else still written to by a thread */
		free(cb->v);
	free(cb);
}

/* ---- sockets behind file descriptors ---------------------------------- */

struct sock {
	uint64_t inode;
	char *desc;
};

struct socktab {
	int loaded;
	struct sock *v;
	size_t n, cap;
};

static void addr_v4(const char *hex, char *out, size_t size)
{
	unsigned a, port;
	if (sscanf(hex, "%8X:%X", &a, &port) != 2) {
		snprintf(out, size, "?");
		return;
	}
	snprintf(out, size, "%u.%u.%u.%u:%u", a & 255, (a >> 8) & 255,
		 (a >> 16) & 255, a >> 24, port);
}

static void addr_v6(const char *hex, char *out, size_t size)
{
	unsigned w[4], port;
	unsigned char b[16];
	int i, j;
	struct sb sb = { 0 };
	if (sscanf(hex, "%8X%8X%8X%8X:%X", &w[0], &w[1], &w[2], &w[3], &port) != 5) {
		snprintf(out, size, "?");
		return;
	}
	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++)
			b[i * 4 + j] = (w[i] >> (8 * j)) & 255;
	/* ::ffff:a.b.c.d and :: forms are the common ones; keep it simple */
	if (!memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
		snprintf(out, size, "%u.%u.%u.%u:%u", b[12], b[13], b[14], b[15], port);
		return;
	}
	sb_adds(&sb, "[");
	for (i = 0; i < 16; i += 2)
		sb_addf(&sb, "%s%x", i ? ":" : "", (b[i] << 8) | b[i + 1]);
	sb_addf(&sb, "]:%u", port);
	snprintf(out, size, "%s", sb.buf);
	sb_release(&sb);
}

static void load_inet(int pfd, struct socktab *st, const char *file,
		      const char *proto, int v6)
{
	char *buf = slurp_at(pfd, file, 64 << 20, NULL), *line, *save = NULL;
	if (!buf)
		return;
	line = strtok_r(buf, "\n", &save);	/* header */
	while ((line = strtok_r(NULL, "\n", &save))) {
		char la[64], ra[64], l[80], r[80];
		unsigned stt;
		unsigned long long inode;
		if (sscanf(line, "%*d: %63s %63s %X %*s %*s %*s %*s %*s %llu",
			   la, ra, &stt, &inode) != 4 || !inode)
			continue;
		(v6 ? addr_v6 : addr_v4)(la, l, sizeof(l));
		(v6 ? addr_v6 : addr_v4)(ra, r, sizeof(r));
		grow((void **)&st->v, &st->cap, st->n, sizeof(*st->v));
		st->v[st->n].inode = inode;
		if (!strcmp(proto, "TCP") && stt == 0x0A)
			st->v[st->n].desc = xasprintf("%s listen %s", proto, l);
		else if (strstr(r, ":0") && (!strcmp(r, "0.0.0.0:0") || !strcmp(r, "[0:0:0:0:0:0:0:0]:0")))
			st->v[st->n].desc = xasprintf("%s %s", proto, l);
		else
			st->v[st->n].desc = xasprintf("%s %s -> %s", proto, l, r);
		st->n++;
	}
	free(buf);
}

static void load_unix(int pfd, struct socktab *st)
{
	char *buf = slurp_at(pfd, "net/unix", 64 << 20, NULL), *line, *save = NULL;
	if (!buf)
		return;
	line = strtok_r(buf, "\n", &save);
	while ((line = strtok_r(NULL, "\n", &save))) {
		unsigned long long inode;
		int pos = 0;
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %llu%n", &inode, &pos) < 1)
			continue;
		while (line[pos] == ' ')
			pos++;
		grow((void **)&st->v, &st->cap, st->n, sizeof(*st->v));
		st->v[st->n].inode = inode;
		st->v[st->n].desc = line[pos] ? xasprintf("unix %s", line + pos)
					       : xstrdup("unix socket");
		st->n++;
	}
	free(buf);
}

static const char *sock_lookup(int pfd, struct socktab *st, uint64_t inode)
{
	size_t i;
	if (!st->loaded) {
		st->loaded = 1;
		load_inet(pfd, st, "net/tcp", "TCP", 0);
		load_inet(pfd, st, "net/tcp6", "TCP", 1);
		load_inet(pfd, st, "net/udp", "UDP", 0);
		load_inet(pfd, st, "net/udp6", "UDP", 1);
		load_unix(pfd, st);
	}
	for (i = 0; i < st->n; i++)
		if (st->v[i].inode == inode)
			return st->v[i].desc;
	return NULL;
}

static char *fd_target(int pfd, int fd, struct socktab *st)
{
	char path[64], link[PATH_MAX];
	ssize_t n;
	unsigned long long inode;
	snprintf(path, sizeof(path), "fd/%d", fd);
	n = readlinkat(pfd, path, link, sizeof(link) - 1);
	if (n < 0)
		return NULL;
	link[n] = '\0';
	if (sscanf(link, "socket:[%llu]", &inode) == 1) {
		const char *d = sock_lookup(pfd, st, inode);
		return d ? xstrdup(d) : xasprintf("socket inode %llu", inode);
	}
	if (sscanf(link, "pipe:[%llu]", &inode) == 1)
		return xasprintf("pipe %llu", inode);
	if (!strncmp(link, "anon_inode:", 11))
		return xstrdup(link + 11);
	return xstrdup(link);
}

/* ---- maps ------------------------------------------------------------- */

/* A hex or decimal number at *s, which moves past it */
static int num(const char **s, int base, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;
	for (;; p++) {
		int d, ch = *p | 32;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else
			break;
		x = x * base + d;
	}
	if (p == *s)
		return -1;
	*v = x;
	*s = p;
	return 0;
}

static int skip(const char **s, char c)
{
	if (**s != c)
		return -1;
	(*s)++;
	return 0;
}

/* "start-end perms offset major:minor inode   path": by hand, as sscanf
 * took 0.5 us a line, and a process has two lines per thread stack
 * (1 ms a read at 1,000 threads, read twice per dump) */
int proc_parse_maps_line(char *line, struct mapping *m)
{
	const char *s = line;
	uint64_t maj, min;
	size_t i, l;
	memset(m, 0, sizeof(*m));
	if (num(&s, 16, &m->start) || skip(&s, '-') || num(&s, 16, &m->end) || skip(&s, ' '))
		return -1;
	for (i = 0; i < 4 && *s && *s != ' '; i++)
		m->perms[i] = *s++;
	if (skip(&s, ' ') || num(&s, 16, &m->offset) || skip(&s, ' ') ||
	    num(&s, 16, &maj) || skip(&s, ':') || num(&s, 16, &min) || skip(&s, ' ') ||
	    num(&s, 10, &m->inode))
		return -1;
	m->dev_major = maj;
	m->dev_minor = min;
	while (*s == ' ')
		s++;
	if (!*s)
		return 0;
	m->path = line + (s - line);
	l = strlen(m->path);
	if (l > 10 && !strcmp(m->path + l - 10, " (deleted)")) {
		m->path[l - 10] = '\0';
		m->deleted = 1;
	}
	return 0;
}

static int parse_maps(int pfd, struct maps *m)
{
	size_t len, cap = 0;
	char *buf = slurp_at(pfd, "maps", 256 << 20, &len), *line, *save = NULL;
	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct mapping mp;
		if (proc_parse_maps_line(line, &mp) < 0)
			continue;
		if (mp.path)
			mp.path = xstrdup(mp.path);
		grow((void **)&m->v, &cap, m->n, sizeof(*m->v));
		m->v[m->n++] = mp;
	}
	free(buf);
	return 0;
}

/* ---- threads ---------------------------------------------------------- */

struct fdc_ent {
	pid_t tid;
	int fd[2];		/* stat, syscall; -1 when not open */
	unsigned gen;		/* the read that last saw it */
};

struct proc_fdcache {
	struct fdc_ent *v;	/* sorted by tid */
	size_t n, cap;
	unsigned gen;
	size_t nfds, max_fds;
};

struct proc_fdcache *proc_fdcache_new(void)
{
	struct proc_fdcache *c = xcalloc(1, sizeof(*c));
	struct rlimit rl;
	/* leave room for everything else we open (modules, debug files) */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 1024)
		c->max_fds = rl.rlim_cur - 1024;
	return c;
}

static void fdc_close(struct proc_fdcache *c, struct fdc_ent *e)
{
	int k;
	for (k = 0; k < 2; k++)
		if (e->fd[k] >= 0) {
			close(e->fd[k]);
			e->fd[k] = -1;
			c->nfds--;
		}
}

void proc_fdcache_free(struct proc_fdcache *c)
{
	size_t i;
	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		fdc_close(c, &c->v[i]);
	free(c->v);
	free(c);
}

static struct fdc_ent *fdc_get(struct proc_fdcache *c, pid_t tid)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->v[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->n || c->v[lo].tid != tid) {
		grow((void **)&c->v, &c->cap, c->n, sizeof(*c->v));
		memmove(&c->v[lo + 1], &c->v[lo], (c->n - lo) * sizeof(*c->v));
		c->n++;
		c->v[lo].tid = tid;
		c->v[lo].fd[0] = c->v[lo].fd[1] = -1;
	}
	c->v[lo].gen = c->gen;
	return &c->v[lo];
}

/* close the files of threads the last read did not see */
static void fdc_prune(struct proc_fdcache *c)
{
	size_t i, w;
	for (i = w = 0; i < c->n; i++) {
		if (c->v[i].gen != c->gen)
			fdc_close(c, &c->v[i]);
		else
			c->v[w++] = c->v[i];
	}
	c->n = w;
}

/* task/TID/<name> (which: 0 stat, 1 syscall), through the cache if any */
static ssize_t read_task_file(int pfd, const struct proc_opts *o, pid_t tid, int which,
			      char *buf, size_t size)
{
	static const char *const names[] = { "stat", "syscall" };
	char path[64];
	struct fdc_ent *e;
	int tries;
	snprintf(path, sizeof(path), "task/%d/%s", (int)tid, names[which]);
	if (!o->fdcache)
		return read_file_at(pfd, path, buf, size);
	e = fdc_get(o->fdcache, tid);
	for (tries = 0; tries < 2; tries++) {
		ssize_t n;
		if (e->fd[which] < 0) {
			if (o->fdcache->nfds >= o->fdcache->max_fds)
				return read_file_at(pfd, path, buf, size);
			e->fd[which] = openat(pfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
			if (e->fd[which] < 0)
				return -1;
			o->fdcache->nfds++;
		}
		if ((n = pread_file(e->fd[which], buf, size)) >= 0)
			return n;
		/* the thread is gone, perhaps its TID reused: open again */
		close(e->fd[which]);
		e->fd[which] = -1;
		o->fdcache->nfds--;
	}
	return -1;
}


static void read_thread(int pfd, struct thread *t, const struct proc_opts *o)
{
	char path[96], buf[4096];
	t->exec_start_ms = -1;
	t->wait.blocked_ms = -1;
	t->wait.fd = -1;
	t->syscall_nr = SYSCALL_UNKNOWN;
	if (read_task_file(pfd, o, t->tid, 0, buf, sizeof(buf)) <= 0 || proc_parse_stat(buf, t) < 0) {
		t->state = '?';
		return;
	}
	if (t->state == 'Z' || t->state == 'X')
		return;
	if (!o->syscall_from_regs && read_task_file(pfd, o, t->tid, 1, buf, sizeof(buf)) > 0)
		proc_parse_syscall(buf, t);
	if (o->want_sched && t->state != 'R') {
		snprintf(path, sizeof(path), "task/%d/sched", (int)t->tid);
		if (read_file_at(pfd, path, buf, sizeof(buf)) > 0)
			t->exec_start_ms = proc_parse_exec_start(buf);
	}
	if (t->state == 'D') {
		snprintf(path, sizeof(path), "task/%d/wchan", (int)t->tid);
		if (read_file_at(pfd, path, buf, sizeof(buf)) > 0 && strcmp(buf, "0"))
			t->wchan = xstrdup(buf);
	}
	if (o->want_kstack)
		proc_read_fallback(pfd, t, 1);
}

/* The futex word of every thread in a futex wait and, for a glibc mutex,
 * its owner TID (+8), all in a few system calls. */
static void read_futex_words(struct process *p)
{
	struct thread **ts = xmalloc((p->nthreads ? p->nthreads : 1) * sizeof(*ts));
	struct iovec *l = xmalloc((p->nthreads ? p->nthreads : 1) * 2 * sizeof(*l));
	struct iovec *r = l + (p->nthreads ? p->nthreads : 1);
	size_t *got = xmalloc((p->nthreads ? p->nthreads : 1) * sizeof(*got));
	size_t i, k = 0;
	for (i = 0; i < p->nthreads; i++) {
		struct thread *t = &p->threads[i];
		if (t->syscall_nr < 0 || !wait_syscall_is_futex(t->syscall_nr) || !t->args[0])
			continue;
		l[k].iov_base = t->futex_words;
		r[k].iov_base = (void *)(uintptr_t)t->args[0];
		l[k].iov_len = r[k].iov_len = sizeof(t->futex_words);
		ts[k++] = t;
	}
	vm_read_ranges(p->mm_tid, l, r, k, got);
	for (i = 0; i < k; i++)
		ts[i]->futex_read = got[i] == sizeof(ts[i]->futex_words);
	free(ts);
	free(l);
	free(got);
}

void proc_read_waits(int pfd, struct process *p, const struct proc_opts *o)
{
	struct socktab st = { 0 };
	char buf[512];
	size_t i;
	for (i = 0; i < p->nthreads; i++) {
		struct thread *t = &p->threads[i];
		int fdarg;
		if (t->state == 'Z' || t->state == 'X')
			continue;
		/* not captured: what /proc says now */
		if (t->syscall_nr == SYSCALL_UNKNOWN &&
		    read_task_file(pfd, o, t->tid, 1, buf, sizeof(buf)) > 0)
			proc_parse_syscall(buf, t);
		fdarg = t->syscall_nr >= 0 ? wait_syscall_fd_arg(t->syscall_nr) : -1;
		if (fdarg >= 0 && o->want_fds && !t->fd_target) {
			t->wait.fd = (int)t->args[fdarg];
			t->fd_target = fd_target(pfd, t->wait.fd, &st);
		}
	}
	for (i = 0; i < st.n; i++)
		free(st.v[i].desc);
	free(st.v);
	if (o->want_futex)
		read_futex_words(p);
}

void proc_read_fallback(int pfd, struct thread *t, int want_kstack)
{
	char path[96], buf[8192];
	if (!t->wchan) {
		snprintf(path, sizeof(path), "task/%d/wchan", (int)t->tid);
		if (read_file_at(pfd, path, buf, sizeof(buf)) > 0 && strcmp(buf, "0"))
			t->wchan = xstrdup(buf);
	}
	if (want_kstack && !t->kstack) {
		snprintf(path, sizeof(path), "task/%d/stack", (int)t->tid);
		if (read_file_at(pfd, path, buf, sizeof(buf)) > 0)
			t->kstack = xstrdup(buf);
	}
}

static int wanted(const struct proc_opts *o, pid_t tid)
{
	size_t i;
	if (!o->only_tids)
		return 1;
	for (i = 0; i < o->n_only_tids; i++)
		if (o->only_tids[i] == tid)
			return 1;
	return 0;
}

static long status_field(const char *buf, const char *key)
{
	const char *s = strstr(buf, key);
	if (!s)
		return -1;
	return strtol(s + strlen(key), NULL, 10);
}

static enum attach_err is_zombie(const struct process *p, struct sb *err, int *zombie)
{
	*zombie = 1;
	sb_addf(err, "process %d (%s) is a zombie: it has exited and waits for its "
		"parent to collect its status", (int)p->pid, p->comm);
	return ATTACH_EUNSUPPORTED;
}

static enum attach_err proc_read_once(int pfd, struct process *p, const struct proc_opts *o,
				     struct sb *err, int *zombie)
{
	char buf[8192], link[PATH_MAX];
	pid_t *tids = NULL;
	ssize_t n, i;
	struct thread leader;
	int efd, mfd;
	uint64_t t0 = now_ns();

	if (read_file_at(pfd, "status", buf, sizeof(buf)) <= 0) {
		sb_addf(err, "no process with PID %d (it exited)", (int)p->pid);
		return ATTACH_ENOPROC;
	}
	if (status_field(buf, "\nTgid:") != p->pid) {
		sb_addf(err, "%d is a thread of process %ld, not a process; "
			"run: inspect stack --tid %d %ld", (int)p->pid,
			status_field(buf, "\nTgid:"), (int)p->pid,
			status_field(buf, "\nTgid:"));
		return ATTACH_EUNSUPPORTED;
	}
	p->uid = (uid_t)status_field(buf, "\nUid:");
	p->tracer = (pid_t)status_field(buf, "\nTracerPid:");

	if (proc_read_stat(pfd, p->pid, &leader) < 0) {
		sb_addf(err, "no process with PID %d (it exited)", (int)p->pid);
		return ATTACH_ENOPROC;
	}
	snprintf(p->comm, sizeof(p->comm), "%s", leader.name);
	p->start_ticks = leader.starttime;
	p->rss_kb = -1;
	if (read_file_at(pfd, "statm", buf, sizeof(buf)) > 0) {
		unsigned long size, res;
		if (sscanf(buf, "%lu %lu", &size, &res) == 2)
			p->rss_kb = (long)(res * (sysconf(_SC_PAGESIZE) / 1024));
	}
	if (leader.flags & PF_KTHREAD) {
		sb_addf(err, "PID %d (%s) is a kernel thread: it has no user-space "
			"stack to show; see /proc/%d/stack for its kernel stack",
			(int)p->pid, p->comm, (int)p->pid);
		return ATTACH_EUNSUPPORTED;
	}
	p->thread_total = leader.group_threads;

	{
		size_t len;
		char *cl = slurp_at(pfd, "cmdline", 4096, &len);
		if (cl) {
			size_t j;
			for (j = 0; j + 1 < len; j++)
				if (!cl[j])
					cl[j] = ' ';
			p->cmdline = cl;
		}
	}
	/* the address space and root are read through a live thread: those
	 * of a zombie leader (main called pthread_exit) read as empty */
	mfd = pfd;
	p->mm_tid = p->pid;
	if (leader.state == 'Z') {
		pid_t *tl = NULL;
		ssize_t k, nt = proc_list_tids(pfd, &tl);
		for (k = 0; k < nt; k++) {
			char tp[64];
			struct thread tt;
			if (proc_read_stat(pfd, tl[k], &tt) == 0 && tt.state != 'Z') {
				p->mm_tid = tl[k];
				snprintf(tp, sizeof(tp), "task/%d", (int)tl[k]);
				mfd = openat(pfd, tp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
				if (mfd < 0)
					mfd = pfd;
				break;
			}
		}
		free(tl);
	}
	p->pid_dirfd = pfd;
	p->mm_dirfd = mfd;
	n = readlinkat(mfd, "exe", link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		p->exe = xstrdup(link);
	}
	efd = openat(mfd, "exe", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (efd >= 0) {
		unsigned char ident[20];
		if (read(efd, ident, sizeof(ident)) == (ssize_t)sizeof(ident) &&
		    !memcmp(ident, "\177ELF", 4)) {
			uint16_t machine = ident[18] | (ident[19] << 8);
			if (ident[4] == 1 || machine != 62 /* EM_X86_64 */)
				p->is_32bit = 1;
		}
		close(efd);
	}
	if (p->is_32bit) {
		sb_addf(err, "PID %d (%s) is not an x86-64 process; only x86-64 "
			"targets are supported", (int)p->pid, p->comm);
		return ATTACH_EUNSUPPORTED;
	}

	if (o->threads_only) {
		if (leader.state == 'Z' && leader.group_threads < 2)
			return is_zombie(p, err, zombie);
		p->t_proc = now_ns() - t0;
		return ATTACH_OK;
	}
	if (parse_maps(mfd, &p->maps) < 0) {
		if (errno == ESRCH || errno == ENOENT) {
			sb_addf(err, "no process with PID %d (it exited)", (int)p->pid);
			return ATTACH_ENOPROC;
		}
		/* unreadable maps: permission; report later through ptrace */
	}

	n = proc_list_tids(pfd, &tids);
	if (n <= 0) {
		free(tids);
		if (leader.state == 'Z')
			return is_zombie(p, err, zombie);
		sb_addf(err, "no process with PID %d (it exited)", (int)p->pid);
		return ATTACH_ENOPROC;
	}
	p->threads = xcalloc(n, sizeof(*p->threads));
	if (o->fdcache)
		o->fdcache->gen++;
	for (i = 0; i < n; i++) {
		struct thread *t;
		if (!wanted(o, tids[i]))
			continue;
		t = &p->threads[p->nthreads];
		t->tid = tids[i];
		t->group = -1;
		read_thread(pfd, t, o);
		if (t->state == '?')	/* exited meanwhile */
			continue;
		p->nthreads++;
	}
	free(tids);
	if (o->fdcache && !o->only_tids)
		fdc_prune(o->fdcache);
	if (!o->syscall_from_regs)
		proc_read_waits(pfd, p, o);
	if (p->nthreads == 1 && p->threads[0].state == 'Z' && p->threads[0].tid == p->pid &&
	    !o->only_tids)
		return is_zombie(p, err, zombie);
	if (o->want_sched)
		start_calibration(p);
	p->t_proc = now_ns() - t0;
	return ATTACH_OK;
}

int proc_maps_unchanged(int pfd, const struct process *p)
{
	struct maps now = { 0 };
	size_t i, j, k = 0;
	int same = 1;
	int fd = p->mm_dirfd > 0 ? p->mm_dirfd : pfd;
	if (parse_maps(fd, &now) < 0)
		return 0;
	/* both lists are sorted by address */
	for (i = 0; i < p->maps.n && same; i++) {
		const struct mapping *m = &p->maps.v[i];
		if (m->perms[2] != 'x' || !m->inode)
			continue;
		while (k < now.n && now.v[k].start < m->start)
			k++;
		same = k < now.n && now.v[k].start == m->start && now.v[k].end == m->end &&
		       now.v[k].inode == m->inode;
	}
	for (j = 0; j < now.n; j++)
		free(now.v[j].path);
	free(now.v);
	return same;
}

void proc_explain_eperm(int pfd, const struct process *p, struct sb *err)
{
	char buf[256];
	uid_t me = getuid();
	long scope = -1;
	sb_addf(err, "not permitted to trace process %d (%s)", (int)p->pid, p->comm);
	if (read_file_at(AT_FDCWD, "/proc/sys/kernel/yama/ptrace_scope", buf, sizeof(buf)) > 0)
		scope = strtol(buf, NULL, 10);
	if (p->uid != me && me != 0)
		sb_addf(err, ": it belongs to uid %u and you are uid %u; run inspect "
			"as that user or as root, or give it CAP_SYS_PTRACE "
			"(setcap cap_sys_ptrace+ep inspect)", (unsigned)p->uid,
			(unsigned)me);
	else if (scope >= 1)
		sb_addf(err, ": kernel.yama.ptrace_scope = %ld restricts ptrace to %s; "
			"run as root, or lower it with sysctl kernel.yama.ptrace_scope=0",
			scope, scope == 1 ? "a process's ancestors" :
			scope == 2 ? "CAP_SYS_PTRACE holders" : "nobody");
	else if (me != 0)
		sb_adds(err, ": the process may be non-dumpable (setuid, file "
			"capabilities, or prctl(PR_SET_DUMPABLE, 0)); that needs "
			"CAP_SYS_PTRACE (run as root)");
	else
		sb_adds(err, ": a security module (SELinux, AppArmor, seccomp) or a "
			"user namespace denied it");
	(void)pfd;
}

/* While a process calls exec, its files may read as gone (no threads
 * listed, maps unreadable) and its leader as a zombie although the
 * process lives on: the exec'ing thread waits, in the kernel, for its
 * siblings to die, which on a busy machine takes more than a few
 * milliseconds.  So: read again while the process's own stat is
 * readable, unless it is a zombie process (a zombie leader counting one
 * thread); up to 200 ms. */
enum attach_err proc_read(int pfd, struct process *p, const struct proc_opts *o,
			  struct sb *err)
{
	pid_t pid = p->pid;
	enum attach_err rc;
	struct thread leader;
	int attempt;
	for (attempt = 0;; attempt++) {
		int zombie = 0;
		rc = proc_read_once(pfd, p, o, err, &zombie);
		if ((rc != ATTACH_ENOPROC && !zombie) || attempt == 100 ||
		    proc_read_stat(pfd, p->pid, &leader) < 0)
			return rc;
		/* a zombie process counts one thread; a leader still a
		 * zombie beside live threads, or no longer one, was an exec */
		if (zombie && leader.state == 'Z' && leader.group_threads < 2)
			return rc;
		process_free(p);
		process_init(p, pid);
		sb_release(err);
		usleep(2000);
	}
}

/* From status, not stat: the process's stat sums the times of all its
 * threads (45 us at 1,000 threads, status 9 us), and the capture asks
 * while it holds them all. */
long proc_count_threads(int pfd)
{
	char buf[8192];
	long n;
	if (read_file_at(pfd, "status", buf, sizeof(buf)) <= 0)
		return -1;
	n = status_field(buf, "\nThreads:");
	return n > 0 ? n : -1;
}
