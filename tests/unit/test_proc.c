/* test_proc.c - the /proc parsers, on text the kernel prints. */
#include "../../attach/attach.h"
#include "unit.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	struct thread t;
	/* comm may hold spaces and ')': the fields start after the last ')' */
	memset(&t, 0, sizeof(t));
	CHECK(proc_parse_stat("4242 (a) b (c) S 1 4242 4242 0 -1 4194624 97 0 0 0 "
			      "12 34 0 0 20 0 3 0 5678 1000 100 18446744073709551615 "
			      "1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0", &t) == 0);
	CHECK_STR(t.name, "a) b (c");
	CHECK(t.state == 'S');
	CHECK(t.utime == 12 && t.stime == 34);
	CHECK(t.starttime == 5678);
	CHECK(t.cpu == 1);
	CHECK(t.flags == 4194624);
	CHECK(proc_parse_stat("garbage", &t) < 0);

	memset(&t, 0, sizeof(t));
	proc_parse_syscall("running\n", &t);
	CHECK(t.syscall_nr == SYSCALL_RUNNING);
	proc_parse_syscall("232 0x9 0x7ffe1234 0x1 0xffffffffffffffff 0x0 0x0 0x7ffc0000b57 0x7f0000001234\n", &t);
	CHECK(t.syscall_nr == SYS_epoll_wait);
	CHECK(t.args[0] == 9 && t.args[2] == 1);
	CHECK(t.args[3] == 0xffffffffffffffffull);
	CHECK(t.sp == 0x7ffc0000b57ull && t.pc == 0x7f0000001234ull);
	proc_parse_syscall("-1 0x7ffc00001000 0x401000\n", &t);
	CHECK(t.syscall_nr == SYSCALL_NONE);
	CHECK(t.sp == 0x7ffc00001000ull && t.pc == 0x401000);
	proc_parse_syscall("", &t);
	CHECK(t.syscall_nr == SYSCALL_UNKNOWN);

	CHECK(proc_parse_exec_start("x (1, #threads: 1)\n---\nse.exec_start                                :      12345.678901\n") > 12345.6);
	CHECK(proc_parse_exec_start("nothing here") < 0);
	{
		char l1[] = "7f0135866000-7f013588c000 r-xp 00028000 fe:01 1835    "
			    "                  /usr/lib/x86_64-linux-gnu/libc.so.6";
		char l2[] = "7ffc0000a000-7ffc0002b000 rw-p 00000000 00:00 0";
		char l3[] = "55ccd6d20000-55ccd6d21000 r--p 00001000 103:0a 99 /tmp/a b (deleted)";
		char l4[] = "55ccd6d20000 r--p 00001000 fe:01 99 /x";
		struct mapping m;
		CHECK(proc_parse_maps_line(l1, &m) == 0);
		CHECK(m.start == 0x7f0135866000ull && m.end == 0x7f013588c000ull);
		CHECK_STR(m.perms, "r-xp");
		CHECK(m.offset == 0x28000 && m.dev_major == 0xfe && m.dev_minor == 1);
		CHECK(m.inode == 1835 && !m.deleted);
		CHECK_STR(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
		CHECK(proc_parse_maps_line(l2, &m) == 0);
		CHECK(m.path == NULL && m.inode == 0 && m.perms[0] == 'r' && m.perms[1] == 'w');
		CHECK(proc_parse_maps_line(l3, &m) == 0);
		CHECK(m.dev_major == 0x103 && m.dev_minor == 0xa && m.deleted);
		CHECK_STR(m.path, "/tmp/a b");
		CHECK(proc_parse_maps_line(l4, &m) < 0);
	}
	{
		/* the check that the code read is still mapped, on this
		 * process: true as it is, false once an executable file
		 * mapping it saw is gone (asked of the kernel one mapping at
		 * a time where it answers, else from the whole file) */
		struct process p, q;
		int pfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int efd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		void *code;
		process_init(&p, getpid());
		process_init(&q, getpid());
		p.pid_dirfd = q.pid_dirfd = pfd;
		CHECK(pfd >= 0 && efd >= 0 && proc_read_maps(&p) == 0);
		CHECK(proc_maps_unchanged(pfd, &p) == 1);
		code = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, efd, 0);
		CHECK(code != MAP_FAILED && proc_read_maps(&q) == 0);
		CHECK(proc_maps_unchanged(pfd, &q) == 1);
		munmap(code, 4096);
		CHECK(proc_maps_unchanged(pfd, &q) == 0);
		CHECK(proc_maps_unchanged(pfd, &p) == 1);
		process_clear(&p);
		process_clear(&q);
		close(efd);
		close(pfd);
	}
	{
		/* a maps file of many chunks (it is parsed as read): every
		 * line, the last one too, one mapping each, in order.  The
		 * heap is made first, so that no allocation adds a mapping
		 * between the count and the parse. */
		struct process p;
		int pfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
		static char chunk[4096];
		ssize_t r;
		size_t i, lines = 0, sorted = 1;
		uint8_t *area = mmap(NULL, 4000 * 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(area != MAP_FAILED);
		/* every other page readable: 4,000 mappings that cannot merge */
		for (i = 0; i < 4000; i++)
			mprotect(area + i * 8192, 4096, PROT_READ);
		heap_prefault(8 << 20);
		process_init(&p, getpid());
		p.pid_dirfd = pfd;
		fd = openat(pfd, "maps", O_RDONLY | O_CLOEXEC);
		while (fd >= 0 && (r = read(fd, chunk, sizeof(chunk))) > 0)
			for (i = 0; i < (size_t)r; i++)
				lines += chunk[i] == '\n';
		if (fd >= 0)
			close(fd);
		CHECK(pfd >= 0 && proc_read_maps(&p) == 0);
		CHECK(lines > 8000 && p.maps.n == lines);
		for (i = 1; i < p.maps.n; i++)
			sorted &= p.maps.v[i].start >= p.maps.v[i - 1].end;
		CHECK(sorted);
		munmap(area, 4000 * 8192);
		process_clear(&p);
		close(pfd);
	}
	return u_done();
}
