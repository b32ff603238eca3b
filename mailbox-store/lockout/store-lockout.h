/*
 * store-lockout.h: the lockout guard's durable records (library pb_store_lockout, CF lockout):
 * the block list, manual and automatic IP blocks with their expiry, so they survive a
 * restart. Account locks and failure counts are never stored (the reference clears them on
 * restart). Owner: the lockout actor. Conventions: store-db.h. THREAD: any.
 */
#ifndef PB_STORE_LOCKOUT_H
#define PB_STORE_LOCKOUT_H

#include "store-db.h"

#include <stdbool.h>

/* Longest network name kept (an IPv6 network's text, e.g. "2001:db8::/32"). */
#define PB_STORE_BLOCK_NET_MAX 64

/* One block list entry. Times are wall-clock ms; until_ms 0: forever. */
struct pb_store_block {
	char *net; /* the canonical network text: the record's key */
	int64_t created_ms, until_ms;
	bool automatic;
	char *reason, *protocol;
};

/* Writes (or replaces) the entry for b->net (1..PB_STORE_BLOCK_NET_MAX bytes), synced.
 * Returns 0 / -1. */
int pb_store_block_put(struct pb_store *s, const struct pb_store_block *b, const char **error_r);
/* A manual block as its history keeps it (store-db.h pb_store_history_*, kind
 * PB_HISTORY_BLOCK: net, until_ms, reason, protocol): JSON allocated; NULL for NULL or an
 * automatic block (not recorded). */
char *pb_store_block_history_json(const struct pb_store_block *b);
/* Deletes the entry for net. Returns 1 deleted, 0 absent, -1 error. */
int pb_store_block_delete(struct pb_store *s, const char *net, const char **error_r);
/* Every entry, in key order, into *v_r (*n_r of them; free with pb_store_block_list_free).
 * A record that does not decode is skipped and counted in *bad_r. Returns 0 / -1. */
int pb_store_block_list(struct pb_store *s, struct pb_store_block **v_r, size_t *n_r,
			size_t *bad_r, const char **error_r);
void pb_store_block_list_free(struct pb_store_block *v, size_t n);

#endif
