/*
 * vmread.c - many ranges of a target's memory in few system calls.
 */
#define _GNU_SOURCE
#include "attach.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "../util/util.h"

#define BATCH 1024		/* UIO_MAXIOV: ranges per process_vm_readv */

void vm_read_ranges(pid_t pid, const struct iovec *l, const struct iovec *r, size_t n,
		    size_t *got)
{
	size_t i = 0;
	while (i < n) {
		size_t k = n - i < BATCH ? n - i : BATCH, j;
		ssize_t m = process_vm_readv(pid, l + i, k, r + i, k, 0);
		if (m < 0)
			m = 0;
		for (j = 0; j < k && (size_t)m >= l[i + j].iov_len; j++) {
			got[i + j] = l[i + j].iov_len;
			m -= l[i + j].iov_len;
		}
		if (j < k) {
			/* the call stopped in this range: read it alone for
			 * what it has, then go on after it */
			m = process_vm_readv(pid, l + i + j, 1, r + i + j, 1, 0);
			got[i + j] = m < 0 ? 0 : (size_t)m;
			j++;
		}
		i += j;
	}
}

/* Ranges closer than this are read as one remote range, the bytes
 * between them dropped: the kernel pins pages per remote range, and many
 * small objects of one heap span (Go's g's) then cost one pin per page
 * instead of one per object.  A gap is shorter than a page, so its
 * bytes are on the pages of the ranges beside it: merging reads no page
 * that the ranges alone would not. */
#define GAP_MAX 512

static int cmp_remote(const void *a, const void *b, void *arg)
{
	const struct iovec *r = arg;
	uintptr_t x = (uintptr_t)r[*(const size_t *)a].iov_base;
	uintptr_t y = (uintptr_t)r[*(const size_t *)b].iov_base;
	return x < y ? -1 : x > y;
}

void vm_read_near(pid_t pid, const struct iovec *l, const struct iovec *r, size_t n,
		  size_t *got)
{
	uint8_t gap[GAP_MAX];
	struct iovec ll[BATCH], rr[BATCH];
	size_t first[BATCH + 1];	/* rr[k]'s first range, in order */
	size_t *order, i = 0, j;
	if (n < 2) {
		vm_read_ranges(pid, l, r, n, got);
		return;
	}
	order = xmalloc_array(n, sizeof(*order));
	for (j = 0; j < n; j++)
		order[j] = j;
	qsort_r(order, n, sizeof(*order), cmp_remote, (void *)(uintptr_t)r);
	while (i < n) {
		/* one call: runs of near ranges, each run one remote iovec
		 * and its pieces' and gaps' local ones */
		size_t nl = 0, nr = 0, done;
		ssize_t m;
		j = i;
		while (j < n && nr < BATCH && nl + 2 <= BATCH) {
			const struct iovec *x = &r[order[j]];
			uintptr_t at = (uintptr_t)x->iov_base, end = 0;
			if (nr)
				end = (uintptr_t)rr[nr - 1].iov_base + rr[nr - 1].iov_len;
			if (nr && at >= end && at - end <= GAP_MAX) {
				if (at > end) {
					ll[nl].iov_base = gap;
					ll[nl++].iov_len = at - end;
				}
				rr[nr - 1].iov_len += at - end + x->iov_len;
			} else {
				first[nr] = j;
				rr[nr++] = *x;
			}
			ll[nl++] = l[order[j]];
			j++;
		}
		first[nr] = j;
		m = process_vm_readv(pid, ll, nl, rr, nr, 0);
		if (m < 0)
			m = 0;
		/* the whole runs read; the run the call stopped in is read
		 * range by range, and the next call starts after it */
		for (done = 0; done < nr && (size_t)m >= rr[done].iov_len; done++) {
			size_t k;
			m -= rr[done].iov_len;
			for (k = first[done]; k < first[done + 1]; k++)
				got[order[k]] = l[order[k]].iov_len;
		}
		if (done < nr) {
			size_t k;
			for (k = first[done]; k < first[done + 1]; k++)
				vm_read_ranges(pid, &l[order[k]], &r[order[k]], 1, &got[order[k]]);
			done++;
		}
		i = first[done];
	}
	free(order);
}
