/*
 * procnet.c - what a file descriptor of the target is: a socket with its
 * addresses (from the target's own view of /proc/net), a pipe, an
 * anonymous inode, or a path.
 */
#define _GNU_SOURCE
#include "attach.h"
#include "internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sock {
	uint64_t inode;
	char *desc;
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

char *procnet_fd_target(int pfd, int fd, struct socktab *st)
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

void procnet_release(struct socktab *st)
{
	size_t i;
	for (i = 0; i < st->n; i++)
		free(st->v[i].desc);
	free(st->v);
	memset(st, 0, sizeof(*st));
}
