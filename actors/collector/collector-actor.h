/*
 * collector-actor.h: the mail collectors' actors. "collector" (node singleton) owns the
 * definitions (in the store, passwords sealed with pb-secret.h) and answers the CLI;
 * "cwork" runs collections on a pool of worker threads (collector.max_parallel at once, one
 * run of a collector at a time; blocking with deadlines), when
 * asked (CWORK_RUN_REQ: the CLI, and "collector" for the connection methods' jobs,
 * collector-jobs.h) or when the interval_min of a collector no method lists comes. Both take
 * the store as arg.
 * OWNS: see the .c files. THREAD: each actor's own.
 */
#ifndef COLLECTOR_ACTOR_H
#define COLLECTOR_ACTOR_H

#include "pb-runtime.h"
#include "store-db.h"

#include <stddef.h>

extern const struct pb_actor_def collector_actor_def;
extern const struct pb_actor_def cwork_actor_def;

/* The data directory of store (its parent: where pb-secret's key lives). */
void collector_data_dir(struct pb_store *store, char *buf, size_t size);

#endif
