/*
 * store-collector.h: the mail collectors' records (library pb_store_collector): each
 * collector's definition and last-run status (opaque JSON text the collector module reads and
 * writes), an IMAP collector's progress per folder, the UIDLs it has seen at its remote mailbox,
 * and the fetch tokens its too-big notices name. Owner: the collector actor and the
 * run of that collector (one run at a time). The spool writes one seen mark on a collector's
 * behalf: in the synced batch that commits a downloaded message (pb_spool_rec.mark, see
 * store-spool.h and docs/storage.md "Collectors: exactly once").
 * Conventions: store-db.h. THREAD: any.
 */
#ifndef PB_STORE_COLLECTOR_H
#define PB_STORE_COLLECTOR_H

#include "store-db.h"

#include <stdbool.h>

/* A collector name: 1..PB_COLLECTOR_NAME_MAX of letters, digits, '.', '_', '-'. */
#define PB_COLLECTOR_NAME_MAX 64
/* A UIDL: 1..70 characters 0x21..0x7E (RFC 1939 7). */
#define PB_COLLECTOR_UIDL_MAX 70
bool pb_collector_name_valid(const char *name);
bool pb_collector_uidl_valid(const char *uidl);

/* ---- definitions and status: name -> JSON text ---- */

/* Stores (replaces) a definition: one synced write. 0 / -1. */
int pb_store_collector_put(struct pb_store *s, const char *name, const char *json,
			   const char **error_r);
/* *json_r (owned) for name: 1 found, 0 none, -1. */
int pb_store_collector_get(struct pb_store *s, const char *name, char **json_r,
			   const char **error_r);
/* Deletes the definition, its status and every seen mark of name in one synced batch.
 * 1 deleted, 0 none, -1. */
int pb_store_collector_del(struct pb_store *s, const char *name, const char **error_r);
/* Calls cb for every definition in name order; cb returns nonzero to stop. 0 / -1. */
int pb_store_collector_iter(struct pb_store *s,
			    int (*cb)(const char *name, const char *json, void *ctx), void *ctx,
			    const char **error_r);
/* The last-run status of name (not synced: a lost status only shows an older run). 0 / -1. */
int pb_store_collector_status_put(struct pb_store *s, const char *name, const char *json,
				  const char **error_r);
int pb_store_collector_status_get(struct pb_store *s, const char *name, char **json_r,
				  const char **error_r);
/* An IMAP collector's progress per folder (opaque JSON of imap-collect.c): synced, as it is
 * what says which messages are safe here. Deleted with the definition. 0 / -1; get: 1, 0, -1. */
int pb_store_collector_progress_put(struct pb_store *s, const char *name, const char *json,
				    const char **error_r);
int pb_store_collector_progress_get(struct pb_store *s, const char *name, char **json_r,
				    const char **error_r);

/* ---- seen marks: "NAME UIDL" -> state, first-seen time ---- */

enum pb_seen_state {
	PB_SEEN_FETCHED = 1,   /* in the spool: never downloaded again */
	PB_SEEN_NOTIFIED = 2,  /* too big: its recipients were told, not downloaded */
	PB_SEEN_REQUESTED = 3, /* too big, and asked for: the next run downloads it */
};

struct pb_seen {
	char uidl[PB_COLLECTOR_UIDL_MAX + 1];
	uint8_t state;
	int64_t first_ms; /* when it was first seen at the server (wall clock) */
};

/* The mark text of (name, uidl): "name uidl" into buf (size >= PB_COLLECTOR_NAME_MAX +
 * PB_COLLECTOR_UIDL_MAX + 2). */
void pb_collector_mark(const char *name, const char *uidl, char *buf, size_t size);
/* Sets one mark (state, first_ms; synced). 0 / -1. */
int pb_store_seen_put(struct pb_store *s, const char *name, const struct pb_seen *seen,
		      const char **error_r);
/* Removes marks of name: a UIDL no longer at the server is forgotten (not synced: a lost
 * forget is done again next run). 0 / -1. */
int pb_store_seen_forget(struct pb_store *s, const char *name, const char *uidl,
			 const char **error_r);
/* Calls cb for each mark of name; cb returns nonzero to stop. 0 / -1. */
int pb_store_seen_iter(struct pb_store *s, const char *name,
		       int (*cb)(const struct pb_seen *seen, void *ctx), void *ctx,
		       const char **error_r);

/* ---- fetch tokens: token -> JSON (the collector's record of a notice: collector-fetch.h) ---- */

/* A fetch token: PB_COLLECTOR_TOKEN_LEN lowercase hex digits. */
#define PB_COLLECTOR_TOKEN_LEN 32
bool pb_collector_token_valid(const char *token);
/* Stores the record of token (synced: the notice that names it goes out after). 0 / -1. */
int pb_store_fetch_token_put(struct pb_store *s, const char *token, const char *json,
			     const char **error_r);
/* *json_r (owned) for token: 1 found, 0 none (or not a token), -1. */
int pb_store_fetch_token_get(struct pb_store *s, const char *token, char **json_r,
			     const char **error_r);

#endif
