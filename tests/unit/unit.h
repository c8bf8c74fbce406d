/* unit.h - a tiny TAP-style checker for the C unit tests. */
#include <stdio.h>
#include <string.h>

static int u_pass, u_fail, u_n;

#define CHECK(cond) do { \
	u_n++; \
	if (cond) { u_pass++; printf("ok %d - %s\n", u_n, #cond); } \
	else { u_fail++; printf("not ok %d - %s (%s:%d)\n", u_n, #cond, __FILE__, __LINE__); } \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	u_n++; \
	if (a_ && b_ && !strcmp(a_, b_)) { u_pass++; printf("ok %d - %s == \"%s\"\n", u_n, #a, b_); } \
	else { u_fail++; printf("not ok %d - %s: got \"%s\", want \"%s\" (%s:%d)\n", u_n, #a, \
			      a_ ? a_ : "(null)", b_ ? b_ : "(null)", __FILE__, __LINE__); } \
} while (0)

static int u_done(void)
{
	printf("# passed %d failed %d\n", u_pass, u_fail);
	return u_fail != 0;
}
