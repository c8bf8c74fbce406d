/*
 * ui_json.h - the JSON objects of the schema, for commands that embed
 * them (count reuses wait, frame and group objects).
 */
#ifndef INSPECT_UI_JSON_H
#define INSPECT_UI_JSON_H

#include <json.h>
#include "../model/model.h"

/* The number every top-level object carries as "schema" */
#define INSPECT_JSON_SCHEMA 1

json_object *ui_json_wait(const struct wait *w);
json_object *ui_json_frames(const struct process *p, const struct thread *t);
json_object *ui_json_pcs(const struct process *p, const uint64_t *pcs, size_t npcs);
json_object *ui_json_group(const struct process *p, const struct group *g);
/* p->deadlocks: each its tids and edges */
json_object *ui_json_deadlocks(const struct process *p);
json_object *ui_json_process(const struct process *p, int kernel);

#endif
