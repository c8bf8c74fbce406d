/*
 * proc.c - the process's and its threads' facts from /proc.  Everything
 * here runs before the target is stopped (or instead of stopping it): a
 * stopped thread reads as "tracing stop", and its scheduler clock
 * changes when it is stopped.  The exception is proc_read_waits, which
 * reads what the captured threads wait on after they are released.
 *
 * All paths are opened relative to a /proc/PID directory fd.  The other
 * /proc readers have rooms of their own: blocked.c (the blocked-time
 * clock), maps.c, procnet.c (what an fd is), proclist.c (the list).
 */
#define _GNU_SOURCE
#include "attach.h"
#include "internal.h"
#include "../util/syscalls.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

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

/* ---- the threads' files, kept open (inspect top) ---------------------- */

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


/* ---- one thread ---------------------------------------------------------- */

/* What a thread's stat file does not say: its system call, when it
 * blocked (unless the task iterator said), its wait channel */
static void read_thread_rest(int pfd, struct thread *t, const struct proc_opts *o)
{
	char path[96], buf[4096];
	if (t->state == 'Z' || t->state == 'X')
		return;
	if (!o->syscall_from_regs && read_task_file(pfd, o, t->tid, 1, buf, sizeof(buf)) > 0)
		proc_parse_syscall(buf, t);
	if (o->want_sched && t->state != 'R' && t->exec_start_ms < 0) {
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

static void read_thread(int pfd, struct thread *t, const struct proc_opts *o)
{
	char buf[4096];
	if (read_task_file(pfd, o, t->tid, 0, buf, sizeof(buf)) <= 0 || proc_parse_stat(buf, t) < 0) {
		t->state = '?';
		return;
	}
	read_thread_rest(pfd, t, o);
}

static int cmp_futex_addr(const void *a, const void *b)
{
	uint64_t x = (*(struct thread *const *)a)->args[0], y = (*(struct thread *const *)b)->args[0];
	return x < y ? -1 : x > y;
}

/* The words around every futex wait's address, where a lock names its
 * owner (model/wait.c reads them), all in a few system calls: the half
 * before the address apart, as it may be on a page that is not there.
 * Each address once: a pool's threads all wait on one (10,000 reads of
 * the same words took 3.6 ms). */
static void read_futex_words(struct process *p)
{
	struct thread **ts = xmalloc_array(p->nthreads, sizeof(*ts));
	struct iovec *l, *r;
	size_t *got, *first;
	size_t i, n = 0, k = 0;
	for (i = 0; i < p->nthreads; i++) {
		struct thread *t = &p->threads[i];
		if (t->syscall_nr >= 0 && syscall_is_futex(t->syscall_nr) && t->args[0] >= 4096)
			ts[n++] = t;
	}
	qsort(ts, n, sizeof(*ts), cmp_futex_addr);
	l = xmalloc_array(n ? n : 1, 4 * sizeof(*l));
	r = l + 2 * n;
	got = xmalloc_array(n ? n : 1, 2 * sizeof(*got));
	first = xmalloc_array(n ? n : 1, sizeof(*first));
	for (i = 0; i < n; i++) {
		struct thread *t = ts[i];
		uint64_t a = t->args[0];
		if (i && a == ts[i - 1]->args[0])
			continue;
		first[k] = i;
		l[2 * k].iov_base = t->lock_words;
		l[2 * k + 1].iov_base = t->lock_words + LOCK_WORD_AT;
		l[2 * k].iov_len = r[2 * k].iov_len = LOCK_WORD_AT * 4;
		l[2 * k + 1].iov_len = r[2 * k + 1].iov_len = sizeof(t->lock_words) - LOCK_WORD_AT * 4;
		r[2 * k].iov_base = (void *)(uintptr_t)(a - LOCK_WORD_AT * 4);
		r[2 * k + 1].iov_base = (void *)(uintptr_t)a;
		k++;
	}
	vm_read_ranges(p->mm_tid, l, r, 2 * k, got);
	for (i = 0; i < k; i++) {
		struct thread *t = ts[first[i]];
		size_t j, end = i + 1 < k ? first[i + 1] : n;
		t->lock_read = (got[2 * i] == l[2 * i].iov_len ? LOCK_READ_BEFORE : 0) |
			       (got[2 * i + 1] == l[2 * i + 1].iov_len ? LOCK_READ_AT : 0);
		for (j = first[i] + 1; j < end; j++) {
			memcpy(ts[j]->lock_words, t->lock_words, sizeof(t->lock_words));
			ts[j]->lock_read = t->lock_read;
		}
	}
	free(ts);
	free(l);
	free(got);
	free(first);
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
		fdarg = t->syscall_nr >= 0 ? syscall_fd_arg(t->syscall_nr) : -1;
		if (fdarg >= 0 && o->want_fds && !t->fd_target) {
			t->wait.fd = (int)t->args[fdarg];
			t->fd_target = procnet_fd_target(pfd, t->wait.fd, &st);
		}
	}
	procnet_release(&st);
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

/* ---- the process ------------------------------------------------------- */

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

long proc_status_field(const char *buf, const char *key)
{
	const char *s = strstr(buf, key);
	if (!s)
		return -1;
	return strtol(s + strlen(key), NULL, 10);
}

char *proc_read_cmdline(int dirfd, size_t max)
{
	size_t len, j;
	char *cl = slurp_at(dirfd, "cmdline", max, &len);
	if (!cl)
		return NULL;
	for (j = 0; j + 1 < len; j++)
		if (!cl[j])
			cl[j] = ' ';
	return cl;
}

static enum attach_err gone(const struct process *p, struct sb *err)
{
	sb_addf(err, "no process with PID %d (it exited)", (int)p->pid);
	return ATTACH_ENOPROC;
}

static enum attach_err zombie_error(const struct process *p, struct sb *err, int *zombie)
{
	*zombie = 1;
	sb_addf(err, "process %d (%s) is a zombie: it has exited and waits for its "
		"parent to collect its status", (int)p->pid, p->comm);
	return ATTACH_EUNSUPPORTED;
}

/* "NSpid:\t4242\t7": the last is the PID the process sees itself as */
static pid_t nspid(const char *status, pid_t pid)
{
	const char *s = strstr(status, "\nNSpid:"), *e;
	long v;
	if (!s)
		return pid;
	s += 7;
	e = s + strcspn(s, "\n");
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	while (e > s && e[-1] >= '0' && e[-1] <= '9')
		e--;
	v = strtol(e, NULL, 10);
	return v > 0 && v <= INT32_MAX ? (pid_t)v : pid;
}

/* status: a process (not a thread of one), its owner, tracer, own PID */
static enum attach_err read_status(int pfd, struct process *p, struct sb *err)
{
	char buf[8192];
	long tgid;
	if (read_file_at(pfd, "status", buf, sizeof(buf)) <= 0)
		return gone(p, err);
	tgid = proc_status_field(buf, "\nTgid:");
	if (tgid != p->pid) {
		sb_addf(err, "%d is a thread of process %ld, not a process; "
			"run: inspect stack --tid %d %ld", (int)p->pid, tgid, (int)p->pid, tgid);
		return ATTACH_EUNSUPPORTED;
	}
	p->uid = (uid_t)proc_status_field(buf, "\nUid:");
	p->tracer = (pid_t)proc_status_field(buf, "\nTracerPid:");
	p->nspid = nspid(buf, p->pid);
	return ATTACH_OK;
}

/* the leader's stat and the process's memory: not a kernel thread */
static enum attach_err read_leader(int pfd, struct process *p, struct thread *leader,
				   struct sb *err)
{
	char buf[256];
	if (proc_read_stat(pfd, p->pid, leader) < 0)
		return gone(p, err);
	snprintf(p->comm, sizeof(p->comm), "%s", leader->name);
	p->start_ticks = leader->starttime;
	p->rss_kb = -1;
	if (read_file_at(pfd, "statm", buf, sizeof(buf)) > 0) {
		unsigned long size, res;
		if (sscanf(buf, "%lu %lu", &size, &res) == 2)
			p->rss_kb = (long)(res * (sysconf(_SC_PAGESIZE) / 1024));
	}
	if (leader->flags & PF_KTHREAD) {
		sb_addf(err, "PID %d (%s) is a kernel thread: it has no user-space "
			"stack to show; see /proc/%d/stack for its kernel stack",
			(int)p->pid, p->comm, (int)p->pid);
		return ATTACH_EUNSUPPORTED;
	}
	p->thread_total = leader->group_threads;
	return ATTACH_OK;
}

/* The address space and root are read through a live thread: those of a
 * zombie leader (main called pthread_exit) read as empty. */
static void pick_mm_thread(int pfd, struct process *p, const struct thread *leader)
{
	pid_t *tl = NULL;
	ssize_t k, nt;
	p->pid_dirfd = p->mm_dirfd = pfd;
	p->mm_tid = p->pid;
	if (leader->state != 'Z')
		return;
	nt = proc_list_tids(pfd, &tl);
	for (k = 0; k < nt; k++) {
		char tp[64];
		struct thread tt;
		int fd;
		if (proc_read_stat(pfd, tl[k], &tt) < 0 || tt.state == 'Z')
			continue;
		snprintf(tp, sizeof(tp), "task/%d", (int)tl[k]);
		p->mm_tid = tl[k];
		fd = openat(pfd, tp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			p->mm_dirfd = fd;
		break;
	}
	free(tl);
}

/* exe: its path, and an x86-64 ELF (the only kind supported) */
static enum attach_err check_x86_64(struct process *p, struct sb *err)
{
	char link[PATH_MAX];
	unsigned char ident[20];
	ssize_t n = readlinkat(p->mm_dirfd, "exe", link, sizeof(link) - 1);
	int efd;
	if (n > 0) {
		link[n] = '\0';
		p->exe = xstrdup(link);
	}
	efd = openat(p->mm_dirfd, "exe", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (efd < 0)
		return ATTACH_OK;
	if (read(efd, ident, sizeof(ident)) == (ssize_t)sizeof(ident) &&
	    !memcmp(ident, "\177ELF", 4)) {
		uint16_t machine = ident[18] | (ident[19] << 8);
		if (ident[4] == 1 || machine != 62 /* EM_X86_64 */)
			p->is_32bit = 1;
	}
	close(efd);
	if (p->is_32bit) {
		sb_addf(err, "PID %d (%s) is not an x86-64 process; only x86-64 "
			"targets are supported", (int)p->pid, p->comm);
		return ATTACH_EUNSUPPORTED;
	}
	return ATTACH_OK;
}

/*
 * From this many threads on, their stat and sched files are not read
 * one by one but all at once by the kernel's task iterator, where it is
 * offered (taskiter.c): its set-up (BTF, loading the program) costs
 * about what reading this many threads' files does (5-10 ms here, either
 * way).  INSPECT_BPF=0 never uses it, INSPECT_BPF=1 at any size.
 */
#define BULK_MIN_THREADS 256

static int bulk_wanted(const struct process *p, const struct proc_opts *o)
{
	const char *e = getenv("INSPECT_BPF");
	if (o->only_tids || o->fdcache || (e && !strcmp(e, "0")))
		return 0;
	return (e && !strcmp(e, "1")) || p->thread_total >= BULK_MIN_THREADS;
}

/* Every thread's facts from the task iterator, checked against what its
 * stat file said of the leader (its name and start time, which no
 * thread changes under us but by a rename): 0, or -1 (then nothing is
 * kept) */
static int read_threads_bulk(int pfd, struct process *p, const struct proc_opts *o,
			     const struct thread *leader)
{
	struct task_fact *f;
	size_t n, i;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t tick = 1000000000ull / (uint64_t)(hz > 0 ? hz : 100);
	int leader_ok = 0;
	if (taskiter_read(p->pid, &f, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (f[i].tid == p->pid)
			leader_ok = f[i].start_boottime_ns / tick == leader->starttime &&
				    !strncmp(f[i].comm, leader->name, sizeof(f[i].comm) - 1);
	if (!leader_ok) {
		free(f);
		return -1;
	}
	p->threads = xcalloc(n, sizeof(*p->threads));
	for (i = 0; i < n; i++) {
		struct thread *t = &p->threads[p->nthreads++];
		thread_init(t, f[i].tid);
		snprintf(t->name, sizeof(t->name), "%s", f[i].comm);
		t->state = f[i].state;
		t->cpu = f[i].cpu;
		t->utime = f[i].utime_ns / tick;
		t->stime = f[i].stime_ns / tick;
		t->starttime = f[i].start_boottime_ns / tick;
		t->group_threads = (long)n;
		if (o->want_sched && t->state != 'R' && f[i].exec_start_ns)
			t->exec_start_ms = f[i].exec_start_ns / 1e6;
		/* the stack pointer at its entry to the kernel, as the
		 * syscall file gives it; a running thread's is stale */
		if (t->state != 'R' && t->state != 'Z' && t->state != 'X') {
			t->sp = f[i].user_sp;
			t->fsbase_hint = f[i].fsbase;
		}
		read_thread_rest(pfd, t, o);
	}
	free(f);
	p->facts_bulk = 1;
	return 0;
}

/* Every (wanted) thread's facts; 0, or -1 when none is listed. */
static int read_threads(int pfd, struct process *p, const struct proc_opts *o,
			const struct thread *leader)
{
	pid_t *tids = NULL;
	ssize_t n, i;
	if (bulk_wanted(p, o) && read_threads_bulk(pfd, p, o, leader) == 0)
		return 0;
	n = proc_list_tids(pfd, &tids);
	if (n <= 0) {
		free(tids);
		return -1;
	}
	p->threads = xcalloc(n, sizeof(*p->threads));
	if (o->fdcache)
		o->fdcache->gen++;
	for (i = 0; i < n; i++) {
		struct thread *t;
		if (!wanted(o, tids[i]))
			continue;
		t = &p->threads[p->nthreads];
		thread_init(t, tids[i]);
		read_thread(pfd, t, o);
		if (t->state == '?')	/* exited meanwhile */
			continue;
		p->nthreads++;
	}
	free(tids);
	if (o->fdcache && !o->only_tids)
		fdc_prune(o->fdcache);
	return 0;
}

static enum attach_err proc_read_once(int pfd, struct process *p, const struct proc_opts *o,
				     struct sb *err, int *zombie)
{
	struct thread leader;
	enum attach_err rc;
	uint64_t t0 = now_ns();

	if ((rc = read_status(pfd, p, err)) != ATTACH_OK ||
	    (rc = read_leader(pfd, p, &leader, err)) != ATTACH_OK)
		return rc;
	p->cmdline = proc_read_cmdline(pfd, 4096);
	pick_mm_thread(pfd, p, &leader);
	if ((rc = check_x86_64(p, err)) != ATTACH_OK)
		return rc;
	if (o->threads_only) {
		if (leader.state == 'Z' && leader.group_threads < 2)
			return zombie_error(p, err, zombie);
		p->t_proc = now_ns() - t0;
		return ATTACH_OK;
	}
	/* unreadable maps for another reason: permission, which the
	 * capture reports better */
	if (maps_read(p->mm_dirfd, &p->maps) < 0 && (errno == ESRCH || errno == ENOENT))
		return gone(p, err);
	if (read_threads(pfd, p, o, &leader) < 0)
		return leader.state == 'Z' ? zombie_error(p, err, zombie) : gone(p, err);
	if (!o->syscall_from_regs)
		proc_read_waits(pfd, p, o);
	if (p->nthreads == 1 && p->threads[0].state == 'Z' && p->threads[0].tid == p->pid &&
	    !o->only_tids)
		return zombie_error(p, err, zombie);
	if (o->want_sched)
		blocked_start(p);
	p->t_proc = now_ns() - t0;
	return ATTACH_OK;
}

void proc_explain_eperm(const struct process *p, struct sb *err)
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
		process_clear(p);
		p->pid = pid;
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
	n = proc_status_field(buf, "\nThreads:");
	return n > 0 ? n : -1;
}
