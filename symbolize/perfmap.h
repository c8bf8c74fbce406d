/*
 * perfmap.h - names for generated code from the perf map a JIT writes
 * (/tmp/perf-PID.map: "START SIZE NAME" lines, hexadecimal; node
 * --perf-basic-prof, the JVM's Compiler.perfmap, and others).
 */
#ifndef INSPECT_PERFMAP_H
#define INSPECT_PERFMAP_H

#include "../model/model.h"

/* The size past which a perf map is not read */
#define PERFMAP_MAX_SIZE (64u << 20)

/* The perf map of process p, as p sees it: /tmp/perf-NSPID.map inside
 * its root, opened as its module files are (no symlinks, a regular
 * file), owned by p's user and at most PERFMAP_MAX_SIZE.  The last one
 * read is kept and read again only when it changed (a JIT appends).
 * NULL when there is none or it may not be used. */
struct perfmap;
const struct perfmap *perfmap_of(const struct process *p, const struct target_files *files);

/* The name of the code at pc and where that code begins, or NULL.  A
 * later line for the same start replaces an earlier (code moved). */
const char *perfmap_find(const struct perfmap *m, uint64_t pc, uint64_t *start);

#endif
