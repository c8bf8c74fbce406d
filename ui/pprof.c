/*
 * pprof.c - the report as a gzipped profile.proto (stack --pprof FILE),
 * which `go tool pprof` reads: one sample per thread, of a Go program
 * one per goroutine and one per thread (two sample types: goroutines
 * and threads, each sample 1 of its own), each with its stack and
 * labels for what it waits on and its thread's name.
 *
 * The messages are protobuf-c's, generated from pprof's own
 * profile.proto.  Every location is already symbolized (its mapping
 * says so), so pprof looks for no binaries.  A location's lines are its
 * PC's rows: the inlined ones first, the function they were inlined
 * into last, as profile.proto orders them.
 */
#define _GNU_SOURCE
#include "ui.h"
#include "../util/util.h"
#include "profile.pb-c.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__ValueType ValueType;

/* A string table and the keys of functions and locations, each found
 * again through an open-addressing hash of its index */
struct table {
	uint64_t *slots;	/* index + 1; 0 empty */
	size_t cap;
};

struct builder {
	const struct process *p;
	Profile prof;
	char **strs;
	size_t nstrs, strs_alloc;
	struct table str_index, loc_index, fn_index;
	size_t samples_alloc, locs_alloc, fns_alloc, maps_alloc;
	int nvalues;
	Label *labels;		/* every sample's, one block */
	size_t nlabels;
};

static uint64_t hash_bytes(const void *s, size_t n, uint64_t h)
{
	const unsigned char *c = s;
	size_t i;
	for (i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ull;
	return h;
}

/* Slot of key in t, per eq(index): its index, or the empty slot to use
 * (*found 0) */
static uint64_t *table_slot(struct table *t, uint64_t h, int (*eq)(struct builder *, size_t,
								   const void *),
			    struct builder *b, const void *key)
{
	size_t i = h & (t->cap - 1);
	while (t->slots[i] && !eq(b, t->slots[i] - 1, key))
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

/* Room for one more in t, of which n are used; rehash(index) gives
 * each used one's hash again */
static void table_room(struct table *t, size_t n, struct builder *b,
		       uint64_t (*rehash)(struct builder *, size_t))
{
	size_t i, j, cap;
	uint64_t *old = t->slots;
	if (t->cap && (n + 1) * 2 <= t->cap)
		return;
	cap = t->cap ? t->cap * 2 : 256;
	t->slots = xcalloc(cap, sizeof(*t->slots));
	for (i = 0; i < t->cap; i++) {
		if (!old[i])
			continue;
		j = rehash(b, old[i] - 1) & (cap - 1);
		while (t->slots[j])
			j = (j + 1) & (cap - 1);
		t->slots[j] = old[i];
	}
	t->cap = cap;
	free(old);
}

static int str_eq(struct builder *b, size_t i, const void *key)
{
	return !strcmp(b->strs[i], key);
}

static uint64_t str_rehash(struct builder *b, size_t i)
{
	return hash_bytes(b->strs[i], strlen(b->strs[i]), 0xcbf29ce484222325ull);
}

/* s's index in the string table (0 is ""), added when new */
static int64_t str_id(struct builder *b, const char *s)
{
	uint64_t *slot;
	if (!s)
		s = "";
	table_room(&b->str_index, b->nstrs, b, str_rehash);
	slot = table_slot(&b->str_index, hash_bytes(s, strlen(s), 0xcbf29ce484222325ull), str_eq,
			  b, s);
	if (!*slot) {
		grow((void **)&b->strs, &b->strs_alloc, b->nstrs, sizeof(*b->strs));
		b->strs[b->nstrs] = xstrdup(s);
		*slot = ++b->nstrs;
	}
	return (int64_t)(*slot - 1);
}

/* functions: by name and file */
struct fn_key {
	int64_t name, file;
};

static int fn_eq(struct builder *b, size_t i, const void *key)
{
	const struct fn_key *k = key;
	const Function *f = b->prof.function[i];
	return f->name == k->name && f->filename == k->file;
}

static uint64_t fn_hash(int64_t name, int64_t file)
{
	return hash_bytes(&file, sizeof(file), hash_bytes(&name, sizeof(name),
							   0xcbf29ce484222325ull));
}

static uint64_t fn_rehash(struct builder *b, size_t i)
{
	return fn_hash(b->prof.function[i]->name, b->prof.function[i]->filename);
}

static uint64_t function_id(struct builder *b, const char *name, const char *file)
{
	struct fn_key k = { str_id(b, name), str_id(b, file) };
	Profile *pr = &b->prof;
	uint64_t *slot;
	Function *f;
	table_room(&b->fn_index, pr->n_function, b, fn_rehash);
	slot = table_slot(&b->fn_index, fn_hash(k.name, k.file), fn_eq, b, &k);
	if (*slot)
		return *slot;
	f = xmalloc(sizeof(*f));
	perftools__profiles__function__init(f);
	f->id = pr->n_function + 1;
	f->name = f->system_name = k.name;
	f->filename = k.file;
	grow((void **)&pr->function, &b->fns_alloc, pr->n_function, sizeof(*pr->function));
	pr->function[pr->n_function++] = f;
	*slot = f->id;
	return f->id;
}

/* The mapping (of /proc/PID/maps) that holds pc, made a pprof mapping
 * once; 0 for none */
static uint64_t mapping_id(struct builder *b, uint64_t pc, const struct symrow *r)
{
	const struct mapping *m = maps_find(&b->p->maps, pc);
	Profile *pr = &b->prof;
	Mapping *mp;
	size_t i;
	if (!m)
		return 0;
	for (i = 0; i < pr->n_mapping; i++)
		if (pr->mapping[i]->memory_start == m->start)
			return pr->mapping[i]->id;
	mp = xmalloc(sizeof(*mp));
	perftools__profiles__mapping__init(mp);
	mp->id = pr->n_mapping + 1;
	mp->memory_start = m->start;
	mp->memory_limit = m->end;
	mp->file_offset = m->offset;
	mp->filename = str_id(b, m->path ? m->path : r && r->module ? r->module : "");
	mp->build_id = str_id(b, r ? r->build_id : NULL);
	mp->has_functions = mp->has_filenames = mp->has_line_numbers = mp->has_inline_frames = 1;
	grow((void **)&pr->mapping, &b->maps_alloc, pr->n_mapping, sizeof(*pr->mapping));
	pr->mapping[pr->n_mapping++] = mp;
	return mp->id;
}

static int loc_eq(struct builder *b, size_t i, const void *key)
{
	return b->prof.location[i]->address == *(const uint64_t *)key;
}

static uint64_t loc_rehash(struct builder *b, size_t i)
{
	return b->prof.location[i]->address * 0x9e3779b97f4a7c15ull;
}

/* A location per distinct PC, its lines from its rows */
static uint64_t location_id(struct builder *b, uint64_t pc)
{
	const struct symframe *sf = process_symframe(b->p, pc);
	Profile *pr = &b->prof;
	uint64_t *slot;
	Location *l;
	size_t j;
	table_room(&b->loc_index, pr->n_location, b, loc_rehash);
	slot = table_slot(&b->loc_index, pc * 0x9e3779b97f4a7c15ull, loc_eq, b, &pc);
	if (*slot)
		return *slot;
	l = xmalloc(sizeof(*l));
	perftools__profiles__location__init(l);
	l->id = pr->n_location + 1;
	l->address = pc;
	l->mapping_id = mapping_id(b, pc, sf && sf->nrows ? &sf->rows[0] : NULL);
	if (sf && sf->nrows) {
		l->line = xmalloc_array(sf->nrows, sizeof(*l->line));
		for (j = 0; j < sf->nrows; j++) {
			const struct symrow *r = &sf->rows[j];
			Line *ln;
			char unknown[64];
			if (!r->function)
				snprintf(unknown, sizeof(unknown), "?? %s+0x%llx",
					 r->module ? r->module : "", (unsigned long long)r->module_offset);
			ln = xmalloc(sizeof(*ln));
			perftools__profiles__line__init(ln);
			ln->function_id = function_id(b, r->function ? r->function : unknown, r->file);
			ln->line = r->line;
			l->line[l->n_line++] = ln;
		}
	}
	grow((void **)&pr->location, &b->locs_alloc, pr->n_location, sizeof(*pr->location));
	pr->location[pr->n_location++] = l;
	*slot = l->id;
	return l->id;
}

static void add_label(struct builder *b, Sample *s, const char *key, const char *str,
		      int64_t num)
{
	Label *l = &b->labels[b->nlabels++];
	perftools__profiles__label__init(l);
	l->key = str_id(b, key);
	l->str = str ? str_id(b, str) : 0;
	l->num = num;
	s->label[s->n_label++] = l;
}

/* One sample: value 1 at index `which` of the sample types */
static Sample *add_sample(struct builder *b, const uint64_t *pcs, size_t npcs, int which,
			  int nlabels)
{
	Profile *pr = &b->prof;
	Sample *s = xmalloc(sizeof(*s));
	size_t i;
	perftools__profiles__sample__init(s);
	s->location_id = xmalloc_array(npcs ? npcs : 1, sizeof(*s->location_id));
	for (i = 0; i < npcs; i++)
		s->location_id[s->n_location_id++] = location_id(b, pcs[i]);
	s->n_value = (size_t)b->nvalues;
	s->value = xcalloc((size_t)b->nvalues, sizeof(*s->value));
	s->value[which] = 1;
	s->label = xcalloc((size_t)nlabels, sizeof(*s->label));
	grow((void **)&pr->sample, &b->samples_alloc, pr->n_sample, sizeof(*pr->sample));
	pr->sample[pr->n_sample++] = s;
	return s;
}

static ValueType *value_type(struct builder *b, const char *type, const char *unit)
{
	ValueType *v = xmalloc(sizeof(*v));
	perftools__profiles__value_type__init(v);
	v->type = str_id(b, type);
	v->unit = str_id(b, unit);
	return v;
}

static void build(struct builder *b, const struct render_opts *o)
{
	const struct process *p = b->p;
	Profile *pr = &b->prof;
	size_t i;
	int go = p->go.ngs > 0, threads_at = go ? 1 : 0;
	struct timespec ts;
	char comment[160];
	perftools__profiles__profile__init(pr);
	str_id(b, "");
	b->nvalues = go ? 2 : 1;
	pr->sample_type = xcalloc(2, sizeof(*pr->sample_type));
	/* pprof shows the last type unless the profile names another */
	if (go) {
		pr->sample_type[pr->n_sample_type++] = value_type(b, "goroutines", "count");
		pr->default_sample_type = str_id(b, "goroutines");
	}
	pr->sample_type[pr->n_sample_type++] = value_type(b, "threads", "count");
	pr->period_type = value_type(b, "threads", "count");
	pr->period = 1;
	clock_gettime(CLOCK_REALTIME, &ts);
	pr->time_nanos = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	snprintf(comment, sizeof(comment), "inspect stack: process %d (%s)", (int)p->pid, p->comm);
	pr->comment = xmalloc(sizeof(*pr->comment));
	pr->comment[pr->n_comment++] = str_id(b, comment);
	/* mapping 1 is the executable's, as pprof takes the first for the
	 * main binary */
	for (i = 0; i < p->maps.n && p->exe; i++)
		if (p->maps.v[i].perms[2] == 'x' && p->maps.v[i].path &&
		    !strcmp(p->maps.v[i].path, p->exe)) {
			mapping_id(b, p->maps.v[i].start, NULL);
			break;
		}
	/* at most 3 labels a sample: wait, thread, goroutine or tid */
	b->labels = xcalloc(3 * (p->go.ngs + p->nthreads) + 1, sizeof(*b->labels));
	for (i = 0; i < p->go.ngs; i++) {
		const struct goroutine *g = &p->go.gs[i];
		const struct thread *t = g->tid ? process_thread(p, g->tid) : NULL;
		Sample *s;
		if ((g->system && !o->go_system) || (o->go_mask && !o->go_mask[i]))
			continue;
		s = add_sample(b, g->pcs, g->npcs, 0, 3);
		add_label(b, s, "wait", g->status_text, 0);
		add_label(b, s, "goroutine", NULL, g->goid);
		if (t)
			add_label(b, s, "thread", t->name, 0);
	}
	for (i = 0; i < p->nthreads && !o->go_only; i++) {
		const struct thread *t = &p->threads[i];
		Sample *s;
		if (o->mask && !o->mask[i])
			continue;
		s = add_sample(b, t->pcs, t->npcs, threads_at, 3);
		add_label(b, s, "wait", wait_kind_label(t->wait.kind), 0);
		add_label(b, s, "thread", t->name, 0);
		add_label(b, s, "tid", NULL, t->tid);
	}
	pr->string_table = b->strs;
	pr->n_string_table = b->nstrs;
}

static void release(struct builder *b)
{
	Profile *pr = &b->prof;
	size_t i, j;
	for (i = 0; i < pr->n_sample; i++) {
		free(pr->sample[i]->location_id);
		free(pr->sample[i]->value);
		free(pr->sample[i]->label);
		free(pr->sample[i]);
	}
	for (i = 0; i < pr->n_location; i++) {
		for (j = 0; j < pr->location[i]->n_line; j++)
			free(pr->location[i]->line[j]);
		free(pr->location[i]->line);
		free(pr->location[i]);
	}
	for (i = 0; i < pr->n_function; i++)
		free(pr->function[i]);
	for (i = 0; i < pr->n_mapping; i++)
		free(pr->mapping[i]);
	for (i = 0; i < pr->n_sample_type; i++)
		free(pr->sample_type[i]);
	for (i = 0; i < b->nstrs; i++)
		free(b->strs[i]);
	free(pr->sample);
	free(pr->location);
	free(pr->function);
	free(pr->mapping);
	free(pr->sample_type);
	free(pr->period_type);
	free(pr->comment);
	free(b->strs);
	free(b->labels);
	free(b->str_index.slots);
	free(b->loc_index.slots);
	free(b->fn_index.slots);
}

/* gzip of buf, as pprof reads profiles */
static int write_gzip(FILE *out, const uint8_t *buf, size_t len)
{
	z_stream z;
	uint8_t chunk[65536];
	int rc;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -1;
	z.next_in = (uint8_t *)(uintptr_t)buf;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = deflate(&z, Z_FINISH);
		if (rc == Z_STREAM_ERROR ||
		    fwrite(chunk, 1, sizeof(chunk) - z.avail_out, out) != sizeof(chunk) - z.avail_out) {
			deflateEnd(&z);
			return -1;
		}
	} while (rc != Z_STREAM_END);
	deflateEnd(&z);
	return 0;
}

int render_pprof(FILE *out, const struct process *p, const struct render_opts *o)
{
	struct builder b;
	uint8_t *buf;
	size_t len;
	int rc;
	memset(&b, 0, sizeof(b));
	b.p = p;
	build(&b, o);
	len = perftools__profiles__profile__get_packed_size(&b.prof);
	buf = xmalloc(len ? len : 1);
	perftools__profiles__profile__pack(&b.prof, buf);
	rc = write_gzip(out, buf, len);
	free(buf);
	release(&b);
	return rc;
}
