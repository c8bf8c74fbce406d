/* test_demangle.c - C++ and Rust (legacy and v0) names. */
#include "../../symbolize/symbolize.h"
#include "unit.h"

#include <stdlib.h>

static void check(const char *in, const char *want)
{
	char *got = demangle(in);
	CHECK_STR(got, want);
	free(got);
}

int main(void)
{
	check("_ZN3app5QueueIiE3popEv", "app::Queue<int>::pop()");
	check("_ZNSt6thread4joinEv", "std::thread::join()");
	check("_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write");
	check("_RNvCs1234_7mycrate3foo", "mycrate::foo");
	check("plain_c_function", "plain_c_function");
	check("_Znot_really_mangled", "_Znot_really_mangled");
	return u_done();
}
