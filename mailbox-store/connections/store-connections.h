/*
 * store-connections.h: the scheduler's durable records (library pb_store_connections, CF
 * connections): one record per connection method — its schedule (rules), what it runs
 * (collectors, sending) and paused — together with the outcome of its last run, so `pillarbox
 * connection list` shows the last poll and the last failure after a restart. Owner: the
 * scheduler actor. A change of a method's settings is recorded in its history (store-db.h
 * pb_store_history_*, kind PB_HISTORY_CONNECTION) in the same write. Conventions: store-db.h.
 * THREAD: any; the history's one writer is the scheduler.
 */
#ifndef PB_STORE_CONNECTIONS_H
#define PB_STORE_CONNECTIONS_H

#include "store-db.h"

#include <stdbool.h>

#define PB_STORE_CONN_NAME_MAX 64
#define PB_STORE_CONN_RULES_MAX 8
#define PB_STORE_CONN_COLLECTORS_MAX 64

/* One schedule rule (meaning: actors/scheduler/sched-calc.h). */
struct pb_store_conn_rule {
	uint32_t every_min, from_min, to_min, days, min_waiting;
};

/* One connection method. Times are wall-clock ms (0: never). */
struct pb_store_conn {
	char *name; /* the record's key */
	bool paused, send;
	char **collectors; /* n_collectors names */
	size_t n_collectors;
	struct pb_store_conn_rule rules[PB_STORE_CONN_RULES_MAX];
	size_t n_rules;
	int64_t last_start_ms, last_end_ms, last_error_ms;
	char *last_result, *last_error; /* "" none */
};

/* Writes (or replaces) the record of c->name (1..PB_STORE_CONN_NAME_MAX bytes), synced.
 * NULL strings are stored as "". Returns 0 / -1 (a name, a count out of bounds). */
int pb_store_conn_put(struct pb_store *s, const struct pb_store_conn *c, const char **error_r);
/* The settings of c as its history keeps them (store-db.h pb_store_history_*: name, paused,
 * send, collectors, rules; never the last run): JSON, allocated. */
char *pb_store_conn_settings_json(const struct pb_store_conn *c);
/* Deletes the record of name. Returns 1 deleted, 0 absent, -1 error. */
int pb_store_conn_delete(struct pb_store *s, const char *name, const char **error_r);
/* Every record, in name order, into *v_r (*n_r; free with pb_store_conn_list_free). A record
 * that does not decode is skipped and counted in *bad_r. Returns 0 / -1. */
int pb_store_conn_list(struct pb_store *s, struct pb_store_conn **v_r, size_t *n_r,
		       size_t *bad_r, const char **error_r);
/* Whether the scheduler has seeded this store with its default method (once per data
 * directory, so deleting every method is not undone at the next start). 1 yes, 0 no, -1. */
int pb_store_conn_seeded(struct pb_store *s, const char **error_r);
/* Notes that it has, synced. 0 / -1. */
int pb_store_conn_set_seeded(struct pb_store *s, const char **error_r);
/* Frees the strings of one record (not c itself). */
void pb_store_conn_clear(struct pb_store_conn *c);
void pb_store_conn_list_free(struct pb_store_conn *v, size_t n);

#endif
