/*
 * statushub-private.h: what statushub-actor.c (the log, the sessions, the fan-out) and
 * statushub-keys.c (the API keys' messages and their record) share. Nobody else includes it.
 * OWNS: the types. THREAD: the hub's actor thread.
 */
#ifndef STATUSHUB_PRIVATE_H
#define STATUSHUB_PRIVATE_H

#include "statushub-actor.h"
#include "statushub-apikeys.h"
#include "statushub-log.h"

#include "pb-client.h"

#include <stdbool.h>
#include <stdint.h>

/* The inbox counts: asked of the directory this long after the first change (the changes
 * within it coalesce into one list); a list unanswered this long is given up. */
#define STATUSHUB_INBOX_DELAY_MS 300
#define STATUSHUB_INBOX_LIST_TIMEOUT_MS 10000
/* The API keys' record in the store's settings documents (the hub owns this one key). */
#define STATUSHUB_KEYS_RECORD "statushub.apikeys"

/* The jobs in progress kept for snapshots (more are pushed, not kept). */
#define STATUSHUB_PROGRESS_MAX 64

struct hub_progress {
	char *method, *kind, *job;
	uint64_t done, total, bytes;
};

struct hub_session {
	char *addr, *user;
	uint32_t topics;
	bool receive_im;
};

struct statushub {
	struct pb_store *store; /* NULL: API keys kept in memory only (actor tests) */
	uint64_t started_ms;
	struct statushub_log log;
	struct hub_session *s;
	size_t n, cap;
	struct pb_shard_sum queue; /* the queue shards' entries, held and sending */
	uint64_t sending;          /* their sum of sending: transactions in flight */
	struct hub_progress progress[STATUSHUB_PROGRESS_MAX]; /* n_progress of them */
	size_t n_progress;
	uint64_t lost; /* events a session's inbox could not take */
	bool inbox_dirty;   /* a count changed since the last list was asked */
	bool inbox_listing; /* a DIR_USER_LIST_REQ is in flight (since inbox_listing_since) */
	uint64_t inbox_listing_since;
	struct statushub_apikeys keys;
};

/* statushub-keys.c: loads the keys' record at init: 0, or -1 with error_r. */
int statushub_keys_load(struct statushub *h, const char **error_r);
int statushub_on_apikey_add(struct pb_actor *a, void *state, struct pb_msg *m);
int statushub_on_apikey_list(struct pb_actor *a, void *state, struct pb_msg *m);
int statushub_on_apikey_del(struct pb_actor *a, void *state, struct pb_msg *m);
int statushub_on_apikey_check(struct pb_actor *a, void *state, struct pb_msg *m);

#endif
