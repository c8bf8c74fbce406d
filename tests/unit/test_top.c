/* test_top.c - the top model and layout, without a terminal. */
#include "../../model/top.h"
#include "../../ui/toplayout.h"
#include "../../util/util.h"
#include "unit.h"

#include <stdlib.h>
#include <sys/syscall.h>

static void snap(struct process *p, int spin_ticks)
{
	int i;
	process_init(p, 100);
	snprintf(p->comm, sizeof(p->comm), "svc");
	p->nthreads = 5;
	p->threads = xcalloc(5, sizeof(struct thread));
	for (i = 0; i < 5; i++) {
		struct thread *t = &p->threads[i];
		t->tid = 100 + i;
		t->state = 'S';
		t->syscall_nr = SYS_read;
		t->args[0] = 7;
		t->pc = 0x1000;
		t->wait.fd = -1;
		t->wait.blocked_ms = -1;
		snprintf(t->name, sizeof(t->name), "worker-%d", i);
	}
	p->threads[4].state = 'R';
	p->threads[4].syscall_nr = SYSCALL_RUNNING;
	p->threads[4].utime = spin_ticks;
	snprintf(p->threads[4].name, sizeof(p->threads[4].name), "hog");
	classify_threads(p);
}

static int has(struct top_line *l, size_t n, const char *needle)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (strstr(l[i].text, needle))
			return 1;
	return 0;
}

int main(void)
{
	struct top_state s;
	struct process p;
	struct top_row *rows;
	struct top_line *lines;
	struct top_view v;
	size_t n, nl, header, i, too_wide = 0;

	top_init(&s);
	snap(&p, 0);
	top_refresh(&s, &p, 1000, 100);
	snap(&p, 100);		/* the hog used 1 s of CPU in 1 s */
	top_refresh(&s, &p, 2000, 100);
	n = top_rows(&s, 0, TOP_SORT_COUNT, "", &rows);
	CHECK(n == 2);
	CHECK(rows[0].count == 4 && rows[0].kind == WAIT_READ);
	CHECK(rows[0].blocked_min_ms == 1000 && rows[0].blocked_max_ms == 1000);
	CHECK(rows[1].count == 1 && rows[1].kind == WAIT_RUNNING);
	CHECK(rows[1].cpu_pct > 99 && rows[1].cpu_pct <= 100);
	CHECK(s.proc_cpu_pct > 99);
	free(rows);
	n = top_rows(&s, 0, TOP_SORT_CPU, "", &rows);
	CHECK(rows[0].kind == WAIT_RUNNING);	/* sorted by CPU */
	free(rows);
	n = top_rows(&s, 1, TOP_SORT_COUNT, "hog", &rows);
	CHECK(n == 1 && rows[0].tids[0] == 104);	/* per thread, filtered */
	free(rows);

	memset(&v, 0, sizeof(v));
	v.interval = 1;
	v.stack_interval = 5;
	v.interactive = 1;
	n = top_rows(&s, 0, TOP_SORT_COUNT, "", &rows);
	nl = top_layout(&s, rows, n, &v, 80, 24, &lines, &header);
	CHECK(nl == 24);	/* fills the screen, key line last */
	CHECK(has(lines, nl, "inspect top - svc (PID 100)"));
	CHECK(has(lines, nl, "threads 5"));
	CHECK(has(lines, nl, "worker-0, worker-1"));	/* the names fit at 80 */
	CHECK(strstr(lines[nl - 1].text, "q quit") != NULL);
	CHECK(lines[header].attr == TOP_A_SELECTED);	/* first row selected */
	for (i = 0; i < nl; i++)
		too_wide += strlen(lines[i].text) > 80;
	CHECK(too_wide == 0);
	top_lines_free(lines, nl);
	free(rows);
	top_release(&s);

	/* a group's names are whole names: worker-1 after worker-10 */
	top_init(&s);
	snap(&p, 0);
	snprintf(p.threads[0].name, sizeof(p.threads[0].name), "worker-10");
	snprintf(p.threads[1].name, sizeof(p.threads[1].name), "worker-1");
	snprintf(p.threads[2].name, sizeof(p.threads[2].name), "worker-10");
	top_refresh(&s, &p, 1000, 100);
	n = top_rows(&s, 0, TOP_SORT_COUNT, "", &rows);
	CHECK_STR(rows[0].names, "worker-10, worker-1, worker-3");
	free(rows);
	top_release(&s);

	/* one key table: the keys do what the help and the footer say */
	CHECK(top_key_action('q', 0) == TOPACT_QUIT && top_key_action('q', 1) == TOPACT_QUIT);
	CHECK(top_key_action(TOPKEY_ENTER, 0) == TOPACT_STACK);
	CHECK(top_key_action(TOPKEY_ESC, 1) == TOPACT_BACK);
	CHECK(top_key_action(TOPKEY_ESC, 0) == TOPACT_CLEAR_FILTER);
	CHECK(top_key_action('t', 1) == TOPACT_NONE);	/* not in the stack view */
	CHECK(top_key_action('x', 0) == TOPACT_NONE);
	nl = top_help_lines(&lines);
	CHECK(has(lines, nl, "inspect top - keys"));
	CHECK(has(lines, nl, "Enter") && has(lines, nl, "quit") && has(lines, nl, "this help"));
	top_lines_free(lines, nl);
	{
		struct sb hint = { 0 };
		top_keys_hint(&hint);
		CHECK_STR(hint.buf, "q quit  Enter stack  t threads  s sort  / filter  p pause  "
			  "+/- interval  ? help");
		sb_release(&hint);
	}
	return u_done();
}
