/* test_proc.c - the /proc parsers, on text the kernel prints. */
#include "../../attach/attach.h"
#include "unit.h"

#include <stdlib.h>
#include <sys/syscall.h>

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
	return u_done();
}
