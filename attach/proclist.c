/*
 * proclist.c - the process list: one pass over /proc, nothing stopped.
 */
#define _GNU_SOURCE
#include "attach.h"
#include "internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static int cmp(const void *a, const void *b)
{
	const struct proc_summary *x = a, *y = b;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

ssize_t proc_list_processes(struct proc_summary **out)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	struct proc_summary *v = NULL;
	size_t n = 0, cap = 0;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		pid_t pid = parse_pid(e->d_name);
		char buf[4096], *r, *s;
		int pfd;
		struct proc_summary ps;
		unsigned long flags = 0;
		if (pid <= 0)
			continue;
		pfd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0)
			continue;
		memset(&ps, 0, sizeof(ps));
		ps.pid = pid;
		if (read_file_at(pfd, "stat", buf, sizeof(buf)) <= 0 ||
		    !(r = strrchr(buf, ')')) || !(s = strchr(buf, '('))) {
			close(pfd);
			continue;
		}
		snprintf(ps.comm, sizeof(ps.comm), "%.*s", (int)(r - s - 1), s + 1);
		if (sscanf(r + 2, "%*c %d %*d %*d %*d %*d %lu", &ps.ppid, &flags) != 2 ||
		    (flags & PF_KTHREAD)) {
			close(pfd);
			continue;
		}
		if (read_file_at(pfd, "status", buf, sizeof(buf)) > 0) {
			char *t = strstr(buf, "\nThreads:"), *u = strstr(buf, "\nUid:");
			ps.threads = t ? strtol(t + 9, NULL, 10) : 0;
			ps.uid = u ? (uid_t)strtoul(u + 5, NULL, 10) : 0;
		}
		ps.cmdline = proc_read_cmdline(pfd, 512);
		close(pfd);
		grow((void **)&v, &cap, n, sizeof(*v));
		v[n++] = ps;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp);
	*out = v;
	return n;
}

void proc_summaries_free(struct proc_summary *v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(v[i].cmdline);
	free(v);
}

int proc_open_exe(pid_t pid)
{
	char path[64];
	struct stat st;
	int fd;
	/* the kernel's own link to the file it mapped: not a path that the
	 * process could point elsewhere since */
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}
