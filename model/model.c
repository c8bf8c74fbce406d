/*
 * model.c - life cycle of struct process and small formatting helpers.
 */
#define _GNU_SOURCE
#include "model.h"
#include "../util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void process_init(struct process *p, pid_t pid)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
}

void thread_init(struct thread *t, pid_t tid)
{
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->group = -1;
	t->syscall_nr = SYSCALL_UNKNOWN;
	t->exec_start_ms = -1;
	t->wait.blocked_ms = -1;
	t->wait.fd = -1;
	t->wait.deadlock = -1;
}

void thread_release(struct thread *t)
{
	free(t->fd_target);
	free(t->wchan);
	free(t->kstack);
	free(t->no_stack);
	free(t->pcs);
	free(t->activation);
	free(t->unwind_stop);
	free(t->wait.detail);
	t->fd_target = t->wchan = t->kstack = t->no_stack = t->unwind_stop = NULL;
	t->wait.detail = NULL;
	t->pcs = NULL;
	t->activation = NULL;
	t->npcs = 0;
}

int thread_state_is_final(const struct thread *t)
{
	return t->state == 'Z' || t->state == 'X' || t->state == 'T' || t->state == 't' ||
	       t->state == 'I';
}

int thread_is_running(const struct thread *t)
{
	return !thread_state_is_final(t) &&
	       (t->syscall_nr == SYSCALL_RUNNING || (t->state == 'R' && t->syscall_nr < 0));
}

void symrow_copy(struct symrow *to, const struct symrow *from)
{
	*to = *from;
	to->module = from->module ? xstrdup(from->module) : NULL;
	to->module_path = from->module_path ? xstrdup(from->module_path) : NULL;
	to->build_id = from->build_id ? xstrdup(from->build_id) : NULL;
	to->function = from->function ? xstrdup(from->function) : NULL;
	to->file = from->file ? xstrdup(from->file) : NULL;
}

void symrow_release(struct symrow *r)
{
	free(r->function);
	free(r->file);
	free(r->module);
	free(r->module_path);
	free(r->build_id);
	memset(r, 0, sizeof(*r));
}

void process_clear(struct process *p)
{
	size_t i, j;
	for (i = 0; i < p->nthreads; i++)
		thread_release(&p->threads[i]);
	free(p->threads);
	arena_release(&p->stacks);
	for (i = 0; i < p->ngroups; i++) {
		free(p->groups[i].members);
		free(p->groups[i].wait.detail);
	}
	free(p->groups);
	for (i = 0; i < p->ndeadlocks; i++)
		free(p->deadlocks[i].members);
	free(p->deadlocks);
	for (i = 0; i < p->maps.n; i++)
		free(p->maps.v[i].path);
	free(p->maps.v);
	for (i = 0; i < p->nsyms; i++) {
		for (j = 0; j < p->syms[i].nrows; j++)
			symrow_release(&p->syms[i].rows[j]);
		free(p->syms[i].rows);
	}
	free(p->syms);
	free(p->sym_pcs);
	free(p->cmdline);
	free(p->exe);
	free(p->no_stacks);
	go_process_release(&p->go);
	if (p->mm_dirfd > 0 && p->mm_dirfd != p->pid_dirfd)
		close(p->mm_dirfd);
	memset(p, 0, sizeof(*p));
}

const struct thread *process_thread(const struct process *p, pid_t tid)
{
	size_t lo = 0, hi = p->nthreads, i;
	/* threads are sorted by TID, except ones added during the attach */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (p->threads[mid].tid == tid)
			return &p->threads[mid];
		if (p->threads[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = 0; i < p->nthreads; i++)
		if (p->threads[i].tid == tid)
			return &p->threads[i];
	return NULL;
}

struct thread *process_find_thread(struct process *p, pid_t tid)
{
	const struct thread *t = process_thread(p, tid);
	return t ? &p->threads[t - p->threads] : NULL;
}

const struct mapping *maps_find(const struct maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

static int same_file(const struct mapping *a, const struct mapping *b)
{
	return a->inode == b->inode && a->dev_major == b->dev_major &&
	       a->dev_minor == b->dev_minor && !strcmp(a->path, b->path);
}

void maps_modules(const struct maps *mp, struct modules *out)
{
	size_t i, j;
	memset(out, 0, sizeof(*out));
	out->v = xcalloc(mp->n, sizeof(*out->v));
	out->of_map = xcalloc(mp->n, sizeof(*out->of_map));
	for (i = 0; i < mp->n; i++) {
		const struct mapping *m = &mp->v[i];
		struct module *mod = NULL;
		if (!m->path || m->path[0] != '/')
			continue;
		/* a process maps few files: a linear search is enough */
		for (j = out->n; j-- > 0;)
			if (same_file(out->v[j].first, m)) {
				mod = &out->v[j];
				break;
			}
		if (!mod) {
			mod = &out->v[out->n++];
			mod->first = m;
		}
		if (m->offset == 0 && (mod->first->offset != 0 || m->start < mod->first->start))
			mod->first = m;
		if (m->perms[2] == 'x') {
			if (!mod->exec_hi)
				mod->exec_lo = m->start;
			mod->exec_hi = m->end;
		}
		out->of_map[i] = (size_t)(mod - out->v) + 1;
	}
}

void modules_release(struct modules *mods)
{
	free(mods->v);
	free(mods->of_map);
	memset(mods, 0, sizeof(*mods));
}

const struct module *modules_of(const struct modules *mods, const struct maps *maps,
				const struct mapping *m)
{
	size_t k;
	if (!m || m < maps->v || m >= maps->v + maps->n)
		return NULL;
	k = mods->of_map[m - maps->v];
	return k ? &mods->v[k - 1] : NULL;
}

const struct symframe *process_symframe(const struct process *p, uint64_t pc)
{
	size_t lo = 0, hi = p->nsyms;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (p->sym_pcs[mid] == pc)
			return &p->syms[mid];
		if (p->sym_pcs[mid] < pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

char *format_tid_ranges(const pid_t *tids, size_t n)
{
	struct sb sb = { 0 };
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j + 1 < n && tids[j + 1] == tids[j] + 1)
			j++;
		if (sb.len)
			sb_adds(&sb, ",");
		if (j == i)
			sb_addf(&sb, "%d", (int)tids[i]);
		else
			sb_addf(&sb, "%d-%d", (int)tids[i], (int)tids[j]);
		i = j + 1;
	}
	return sb_detach(&sb);
}

void format_duration(int64_t ms, char *buf, size_t size)
{
	if (ms < 0)
		snprintf(buf, size, "?");
	else if (ms < 1000)
		snprintf(buf, size, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(buf, size, "%llds", (long long)(ms / 1000));
	else if (ms < 3600000)
		snprintf(buf, size, "%lldm", (long long)(ms / 60000));
	else if (ms < 86400000)
		snprintf(buf, size, "%lldh%lldm", (long long)(ms / 3600000),
			 (long long)(ms % 3600000 / 60000));
	else
		snprintf(buf, size, "%lldd%lldh", (long long)(ms / 86400000),
			 (long long)(ms % 86400000 / 3600000));
}

static int system_module(const char *m)
{
	static const char *const sys[] = { "libc.so", "libc-", "ld-linux", "libpthread",
					   "libstdc++", "libgcc_s", "libm.so", "[vdso]",
					   "linux-vdso" };
	size_t i;
	if (!m)
		return 1;
	for (i = 0; i < sizeof(sys) / sizeof(*sys); i++)
		if (!strncmp(m, sys[i], strlen(sys[i])))
			return 1;
	return 0;
}

const struct symrow *thread_telling_row(const struct process *p, const struct thread *t)
{
	const struct symrow *first = NULL;
	size_t i, j;
	for (i = 0; i < t->npcs; i++) {
		const struct symframe *sf = process_symframe(p, t->pcs[i]);
		if (!sf)
			continue;
		for (j = 0; j < sf->nrows; j++) {
			const struct symrow *r = &sf->rows[j];
			if (!r->function)
				continue;
			if (!first)
				first = r;
			if (!system_module(r->module))
				return r;
		}
	}
	return first;
}

const char *thread_telling_function(const struct process *p, const struct thread *t)
{
	const struct symrow *r = thread_telling_row(p, t);
	return r && r->function ? r->function : "?";
}
