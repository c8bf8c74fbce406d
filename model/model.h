/*
 * model.h - the snapshot of one process and the report built from it.
 *
 * Data flows one way through these structures (cli/report.c runs it):
 *
 *   attach/proc.c     fills struct process and each struct thread's /proc
 *                     facts, before anything is stopped;
 *   attach/capture.c  fills struct capture (registers + stack bytes)
 *                     while the threads are held;
 *   attach/unwind.c   fills thread->pcs from the capture, after release;
 *   attach/maps.c     checks that the code unwound over is still mapped
 *                     (else the snapshot is taken again);
 *   attach/blocked.c  turns each thread's last run into blocked time;
 *   attach/proc.c     reads what the captured threads wait on (the fd's
 *                     file, the futex word): after release;
 *   model/group.c     groups threads by wait kind + identical stack;
 *   symbolize/        turns each distinct PC into struct symrow rows,
 *                     opening the target's files through struct
 *                     target_files (attach/modfile.c);
 *   model/wait.c      classifies what each thread waits on;
 *   ui/               renders the finished report, read-only.
 *
 * Ownership: a struct process owns everything hanging from it; free it
 * with process_clear().  Strings are heap-allocated unless said otherwise.
 */
#ifndef INSPECT_MODEL_H
#define INSPECT_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "../util/util.h"
#include "go.h"

/* What a thread waits on.  The key strings are a stable contract
 * (JSON "kind", `inspect count`); see wait_kind_key(). */
enum wait_kind {
	WAIT_UNKNOWN,
	WAIT_RUNNING,
	WAIT_MUTEX,
	WAIT_RWLOCK,
	WAIT_CONDITION,
	WAIT_SEMAPHORE,
	WAIT_JOIN,
	WAIT_FUTEX,
	WAIT_EPOLL,
	WAIT_POLL,
	WAIT_READ,
	WAIT_RECV,
	WAIT_ACCEPT,
	WAIT_WRITE,
	WAIT_SEND,
	WAIT_CONNECT,
	WAIT_SLEEP,
	WAIT_CHILD,
	WAIT_SIGNAL,
	WAIT_SYSCALL,	/* some other system call */
	WAIT_FAULT,	/* blocked, but not in a system call (page fault) */
	WAIT_DISK,	/* uninterruptible sleep, state D */
	WAIT_STOPPED,	/* job-control stop, state T */
	WAIT_TRACED,	/* traced by another tracer, state t */
	WAIT_ZOMBIE,
	WAIT_IDLE,	/* kernel idle thread, state I */
	WAIT__COUNT
};

const char *wait_kind_key(enum wait_kind k);	/* "mutex", "epoll", ... */
const char *wait_kind_label(enum wait_kind k);	/* "mutex lock", ... */
int wait_kind_from_key(const char *key);	/* -1 when unknown */

/* /proc/PID/task/TID/syscall: what the thread is doing in the kernel. */
#define SYSCALL_RUNNING   (-2)	/* "running" */
#define SYSCALL_NONE      (-1)	/* blocked, not in a syscall */
#define SYSCALL_UNKNOWN   (-3)	/* unreadable */

#define LOCK_READ_BEFORE 1	/* [A - 12, A) */
#define LOCK_READ_AT 2		/* [A, A + 20) */
#define LOCK_WORD_AT 3		/* lock_words[3] is the word at A */

struct wait {
	enum wait_kind kind;
	char *detail;		/* e.g. "fd 7: TCP 127.0.0.1:5432", or NULL */
	int fd;			/* -1 when not about an fd */
	uint64_t address;	/* the lock's (a rwlock's own, not its futex's);
				   else the futex address; 0 when none */
	/* what the lock names (model/locks.c): the thread that holds the
	 * mutex or the rwlock for writing, or that a join waits for; 0 when
	 * it names none, or none alive */
	pid_t owner;
	enum owner_note {
		OWNER_NOTE_NONE,
		OWNER_CHANGED,	/* the lock's word moved since the capture */
		OWNER_DIED,	/* robust: the holder got it from a dead owner */
		OWNER_GONE,	/* it names a thread that has exited */
	} owner_note;
	pid_t named;		/* the TID the lock names (OWNER_GONE's too) */
	int deadlock;		/* index of its cycle in p->deadlocks, -1 none */
	int64_t blocked_ms;	/* approximate; -1 when unknown */
};

/* One mapping of /proc/PID/maps. */
struct mapping {
	uint64_t start, end, offset;
	unsigned long dev_major, dev_minor;
	uint64_t inode;
	char perms[5];
	char *path;		/* NULL for anonymous */
	int deleted;		/* path ended in " (deleted)" */
};

struct maps {
	struct mapping *v;
	size_t n;
};

const struct mapping *maps_find(const struct maps *m, uint64_t addr);

/* A module: the mappings of one file, known by its device, inode and
 * path (an inode number alone is unique only within one file system).
 * `first` is its lowest mapping at file offset 0, which holds the ELF
 * header, else the first one seen; [exec_lo, exec_hi) spans its
 * executable mappings (both 0 when it has none).  A module's mappings
 * need not be contiguous (node maps part of its text a second time far
 * away), so an address between them is not the module's. */
struct module {
	const struct mapping *first;
	uint64_t exec_lo, exec_hi;
};

struct modules {
	struct module *v;
	size_t n;
	size_t *of_map;		/* per mapping of the maps: its module's
				   index + 1, or 0 (anonymous, [vdso], ...) */
};

/* The modules of every mapping with an absolute path.  The maps must
 * outlive the result; release it with modules_release. */
void maps_modules(const struct maps *m, struct modules *out);
void modules_release(struct modules *mods);
/* The module of mapping m of maps (NULL when it has none) */
const struct module *modules_of(const struct modules *mods, const struct maps *maps,
				const struct mapping *m);

/* How the stages after the capture open the target's files (module
 * files, debug files beside them), without knowing how that is done
 * safely: attach/modfile.c fills it.  Each returns an fd or -1. */
struct target_files {
	const void *ctx;
	int (*open_mapping)(const void *ctx, const struct mapping *m);
	int (*open_path)(const void *ctx, const char *path);
};

/* Registers and live stack bytes copied while the thread was held. */
struct capture {
	int ok;
	struct user_regs_struct regs;
	uint8_t *stack;		/* bytes [stack_lo, stack_lo + stack_len) */
	uint64_t stack_lo;
	size_t stack_len;
};

/* One row of a symbolized stack: a real frame, or an inlined call
 * inside one (inlined = 1). */
struct symrow {
	uint64_t pc;
	char *module;		/* basename (or "[anon]", "[vdso]") */
	char *module_path;
	char *build_id;		/* hex or NULL */
	uint64_t module_offset;
	char *function;		/* demangled unless --raw; NULL if unknown */
	uint64_t function_offset;
	char *file;		/* NULL when no line info */
	int line;
	int inlined;
	int go;			/* named from a Go executable's own tables */
	int jit;		/* generated code, named from the runtime's perf map
				 * (module NULL) */
};

/* A deep copy of *from into *to (every string its own); release frees
 * the strings of one row. */
void symrow_copy(struct symrow *to, const struct symrow *from);
void symrow_release(struct symrow *r);

/* The symbolized rows of one PC. */
struct symframe {
	struct symrow *rows;
	size_t nrows;
};

struct thread {
	pid_t tid;
	char name[64];
	char state;		/* kernel letter, read before stopping */
	int cpu;		/* last CPU it ran on */
	unsigned long flags;	/* PF_* from stat */
	uint64_t utime, stime;	/* clock ticks */
	unsigned long long starttime;
	long group_threads;	/* num_threads of its stat: the process's live threads */
	pid_t tracer;		/* TracerPid, 0 when not traced */

	long syscall_nr;	/* or SYSCALL_RUNNING/NONE/UNKNOWN */
	uint64_t args[6];
	uint64_t sp, pc;
	double exec_start_ms;	/* se.exec_start, -1 when unknown */
	/* a blocked thread's thread pointer as the kernel's task iterator
	 * read it before the stop (0: not read); with sp, the room its
	 * stack copy will take */
	uint64_t fsbase_hint;
	char *fd_target;	/* what the fd in args[0] points to */
	/* the lock around a futex wait's address A, read after the release:
	 * the words at [A - 12, A + 20), where the fields that name an owner
	 * are (a glibc mutex at A, a rwlock at A - 8 or A - 12, a thread's
	 * TID at A for a join).  lock_word(t, k) is the word at A + 4k. */
	uint32_t lock_words[8];
	int lock_read;		/* LOCK_READ_* bits: which halves were read */
	char *wchan;
	char *kstack;		/* /proc/TID/stack when asked and readable */

	struct capture cap;
	char *no_stack;		/* why there is no user stack, or NULL */

	uint64_t *pcs;		/* unwound PCs, innermost first */
	uint8_t *activation;	/* pcs[i] is exact, not a return address */
	size_t npcs;
	char *unwind_stop;	/* why unwinding stopped early, or NULL */

	struct wait wait;
	int group;		/* index into process->groups */
};

/* A thread as /proc first lists it: nothing known but its TID. */
void thread_init(struct thread *t, pid_t tid);
/* Free what a thread owns (not its capture's stack: p->stacks has it) */
void thread_release(struct thread *t);
/* Running, or runnable: on a CPU, not in a system call */
int thread_is_running(const struct thread *t);
/* Exited, stopped, traced or idle: the kernel state alone says it */
int thread_state_is_final(const struct thread *t);

struct group {
	size_t *members;	/* indexes into process->threads */
	size_t nmembers;
	const struct thread *first;
	struct wait wait;	/* shared detail, when all members agree */
	int64_t blocked_min_ms, blocked_max_ms;	/* -1 when unknown */
};

struct process {
	pid_t pid;
	char comm[64];
	char *cmdline;
	char *exe;
	uid_t uid;
	unsigned long long start_ticks;	/* process start, clock ticks after boot */
	long rss_kb;		/* resident memory, -1 when unknown */
	pid_t tracer;		/* TracerPid of the leader, 0 when none */
	pid_t nspid;		/* its PID in its own PID namespace, 0 unknown */
	int is_32bit;
	struct maps maps;
	pid_t mm_tid;		/* a live thread, for process_vm_readv */
	int pid_dirfd;		/* /proc/PID (the caller's, not owned) */
	int mm_dirfd;		/* /proc/PID, or /proc/PID/task/TID of a live
				   thread when the leader is a zombie; its
				   maps, exe, root and map_files are read */
	struct thread *threads;
	size_t nthreads;
	long thread_total;	/* /proc's count (proc_opts.threads_only) */
	int facts_bulk;		/* the threads' facts came from the kernel's
				   task iterator, not their /proc files */
	/* the threads' stack copies: bytes in all, how many ended at the
	 * first frame, how many were copied whole after the check */
	size_t stack_bytes;
	int stacks_trimmed, stacks_untrimmed;
	int regs_bulk;		/* threads whose registers the task iterator read */
	/* threads read asleep, never stopped (attach/capture.c), in how
	 * many attempts; how many read asleep ran before a check (and were
	 * stopped in the next attempt, or, with read_asleep 0, every thread
	 * was; -1: the registers' check failed) */
	int read_asleep, asleep_tries, asleep_ran;
	/* the blocked-time clock being calibrated (attach/proc.c): to be
	 * collected by proc_blocked_times before process_clear */
	struct calib *calib;
	struct arena stacks;	/* the threads' cap.stack copies */
	struct group *groups;
	size_t ngroups;
	/* cycles of the wait-for graph (model/locks.c): each the indexes of
	 * its threads into threads, each waiting for the next's lock, the
	 * last for the first's */
	struct deadlock {
		size_t *members;
		size_t n;
	} *deadlocks;
	size_t ndeadlocks;

	struct go_process go;	/* a Go program's goroutines (go.h) */

	/* capture results */
	int captured;		/* number of threads with a capture */
	uint64_t stopped_ns;	/* first stop .. last release */
	char *no_stacks;	/* why there are no user stacks at all */
	int exec_seen;		/* target exec'd during the attach */
	int scan_rounds;
	int signal_stops;	/* signal-delivery stops seen (re-injected) */
	int not_stopped;	/* threads that missed the stop deadline */
	int paced, batches;	/* sleepers released in batches; the batches */
	/* the hold's parts (ns): stopping every thread, copying, releasing;
	 * 0 when nothing was held */
	uint64_t t_stop, t_copy, t_release;

	/* symbolized frames keyed by PC (sorted by pc) */
	uint64_t *sym_pcs;
	struct symframe *syms;
	size_t nsyms;

	/* timing in ns, for --stats */
	uint64_t t_proc, t_capture, t_unwind, t_symbolize, t_render;
};

void process_init(struct process *p, pid_t pid);
void process_clear(struct process *p);
/* By TID; NULL when not there.  The const one for readers. */
struct thread *process_find_thread(struct process *p, pid_t tid);
const struct thread *process_thread(const struct process *p, pid_t tid);

/* Symbol rows for one PC, or NULL when the PC was not symbolized. */
const struct symframe *process_symframe(const struct process *p, uint64_t pc);

/* model/group.c: fill p->groups (largest first); threads with
 * identical wait kind and identical PC lists share a group.  When
 * by_thread is set each thread gets its own group.  Returns 0 or -1. */
int group_threads(struct process *p, int by_thread);

/* model/wait.c: classify every thread (needs symbols for the futex
 * sub-kinds; works without).  Then compute each group's shared wait. */
void classify_threads(struct process *p);
/* model/locks.c, called by classify_threads: the owner t's lock names
 * (into t->wait), then the chains' and cycles' text and p->deadlocks */
void lock_owner(const struct process *p, const struct thread *t, struct wait *w);
/* Whether one of t's top `depth` frames' functions has `needle` in its
 * name (model/wait.c) */
int frames_mention(const struct process *p, const struct thread *t, size_t depth,
		   const char *needle);
void lock_chains(struct process *p);
/* "mutex lock 0x... held by 6470 (stuck)": a thread's wait as the dump
 * says it, before its chain */
char *wait_text(const struct wait *w);
/* "4933 (dl-a) waits in mutex lock 0x... held by 4934 (dl-b)": one edge
 * of the wait-for graph, as a deadlock lists it */
char *lock_edge_text(const struct process *p, const struct thread *t);
/* The threads t waits for, one after the other (its owner, the owner's
 * owner, ...), each once, at most max: how many */
size_t lock_chain(const struct process *p, const struct thread *t, pid_t *out, size_t max);
/* "2 threads, each waiting for the next", "a thread waits for itself" */
char *deadlock_title(const struct deadlock *d);
void classify_groups(struct process *p);

/* The most telling row of a thread's stack: the first one in the
 * program's own code rather than in libc, the dynamic loader, libstdc++
 * or the vDSO; else the first row with a function name; NULL if none. */
const struct symrow *thread_telling_row(const struct process *p, const struct thread *t);
/* Its function, or "?" */
const char *thread_telling_function(const struct process *p, const struct thread *t);

/* Compress sorted TIDs into "1-4,7" form.  Caller frees. */
char *format_tid_ranges(const pid_t *tids, size_t n);

/* "3m", "12s", "450ms", "2h5m" */
void format_duration(int64_t ms, char *buf, size_t size);

#endif
