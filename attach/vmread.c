/*
 * vmread.c - many ranges of a target's memory in few system calls.
 */
#define _GNU_SOURCE
#include "attach.h"

#include <sys/uio.h>

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
