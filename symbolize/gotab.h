/*
 * gotab.h - a Go executable's own tables, read from its file: the
 * pclntab (function names, file:line, inline trees, frame sizes), the
 * release (.go.buildinfo), moduledata, and .symtab when it is there.
 * They are in every Go binary, stripped (-s -w) or not, PIE or not.
 *
 * Everything here reads untrusted bytes: every offset is checked
 * against the length of what it points into; a table that does not
 * check out is refused with a reason, never followed.
 *
 * Addresses are the file's own (link-time) ones; a PIE's load bias is
 * the caller's to add or subtract.
 */
#ifndef INSPECT_GOTAB_H
#define INSPECT_GOTAB_H

#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"

struct gotab;

/* The tables of the ELF file in buf[0..len) (the caller keeps buf alive
 * as long as the result); NULL when it is not a Go binary (why says so
 * when it looked like one but its tables did not check out). */
struct gotab *gotab_parse(const uint8_t *buf, size_t len, struct sb *why);
void gotab_free(struct gotab *t);

/* "go1.22.5", or NULL when .go.buildinfo says nothing */
const char *gotab_version(const struct gotab *t);
/* The main module's path ("github.com/x/y"), or NULL */
const char *gotab_module_path(const struct gotab *t);
/* Whether the file is position-independent (ET_DYN) */
int gotab_is_pie(const struct gotab *t);
/* The lowest address its PT_LOAD segments ask for, page-aligned: where
 * a PIE's first mapping is, less its load bias */
uint64_t gotab_load_base(const struct gotab *t);

/* One function of the pclntab */
struct gofunc {
	uint64_t entry, end;	/* [entry, end) */
	const char *name;	/* points into the table */
	uint8_t funcid;		/* Go's abi.FuncID: 0 normal, others special */
	size_t index;		/* in the table */
};

/* The function holding pc; 0, or -1 when no Go function does */
int gotab_func_at(const struct gotab *t, uint64_t pc, struct gofunc *f);
/* The function of this name; 0 or -1 */
int gotab_func_named(const struct gotab *t, const char *name, struct gofunc *f);

/* The stack pointer's distance from its value at f's entry, at pc (the
 * frame size there, the return address excluded); 0, or -1 when the
 * table does not say */
int gotab_sp_delta(const struct gotab *t, const struct gofunc *f, uint64_t pc, int64_t *delta);

/* One row of a PC: an inlined call or the physical function */
struct gorow {
	const char *function;	/* points into the table */
	const char *file;	/* NULL when unknown */
	int line;
	int inlined;
	uint64_t entry;		/* the physical function's entry */
};

/* The rows of pc (look up pc itself: the caller backs a return address
 * up by one), inlined calls innermost first, then the physical
 * function; at most max; the count (0: no Go function there). */
size_t gotab_rows(const struct gotab *t, uint64_t pc, struct gorow *rows, size_t max);

/* A .symtab symbol's address and size; 0, or -1 (none, or stripped) */
int gotab_symbol(const struct gotab *t, const char *name, uint64_t *addr, uint64_t *size);

/* The file's sections, by name: its address and size; 0 or -1 */
int gotab_section(const struct gotab *t, const char *name, uint64_t *addr, uint64_t *size);

/* n bytes at link-time address va from the file (initialised data
 * only); 0, or -1 when the file does not hold them all */
int gotab_read(const struct gotab *t, uint64_t va, void *out, size_t n);

/* The 8-byte word at va as the loader leaves it: the file's bytes, or
 * the addend of a R_X86_64_RELATIVE relocation there (a PIE's pointers);
 * 0 or -1 */
int gotab_word(const struct gotab *t, uint64_t va, uint64_t *out);

#endif
