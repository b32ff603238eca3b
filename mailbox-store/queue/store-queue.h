/*
 * store-queue.h: the outbound queue (library pb_store_queue): messages for remote recipients,
 * with each recipient's delivery state, waiting to be sent. Owner: the queue shards (an entry
 * is read and written only by the shard of id % shards). Conventions: store-db.h.
 * THREAD: any; a given entry by one thread at a time.
 *
 * An entry's id is the id of the spool entry it came from (unique, never reused), so the
 * spool's hand-off is exactly once: adding an id that exists, or existed (a finished entry
 * leaves a small tombstone until pb_store_queue_prune), writes nothing.
 */
#ifndef PB_STORE_QUEUE_H
#define PB_STORE_QUEUE_H

#include "store-db.h"
#include "store-bodies.h"

#include <stdbool.h>

/* A recipient's state. */
enum pb_queue_state {
	PB_QUEUE_PENDING = 0, /* not tried yet */
	PB_QUEUE_DEFERRED,    /* a temporary failure: tried again at next_ms */
	PB_QUEUE_DELIVERED,   /* the remote server accepted it: never sent again */
	PB_QUEUE_FAILED,      /* a permanent failure or expiry: its DSN is due */
	PB_QUEUE_BOUNCED,     /* failed, and the DSN went (or none was due) */
};

/* NOTIFY flags (RFC 3461), as smtp-parser.h's SMTP_NOTIFY_*; 0: none given. */
#define PB_QUEUE_NOTIFY_NEVER 0x1
#define PB_QUEUE_NOTIFY_SUCCESS 0x2
#define PB_QUEUE_NOTIFY_FAILURE 0x4
#define PB_QUEUE_NOTIFY_DELAY 0x8

struct pb_queue_rcpt {
	char *addr;       /* the address (owned) */
	char *orcpt;      /* ORCPT "type;xtext", or "" */
	uint8_t notify;   /* PB_QUEUE_NOTIFY_* */
	uint8_t state;    /* enum pb_queue_state */
	uint32_t attempts;
	char *reply;      /* the last reply or reason, "" when none */
	/* v2: this recipient's own envelope sender (a message rule's "Set forward sender"),
	 * NULL: the entry's; and the header edits its copy goes out with (mime-edit.h: one per
	 * line, "Name: value" or "Name"), NULL or "" none. Recipients of one next hop with the same
	 * sender and edits share a transaction (queue_rcpt_same_group, queue-route.h). */
	char *sender;
	char *edit;
};

/* An entry. Owned strings and array (free with pb_queue_rec_free). Times are wall-clock ms. */
struct pb_queue_rec {
	uint64_t id;
	char *sender;      /* "" for the null sender */
	char *msgid;
	char *envid;       /* ENVID xtext, or "" */
	uint8_t ret;       /* 0 none, 1 FULL, 2 HDRS */
	bool held;
	bool warned;       /* the delay warning went */
	int64_t arrival_ms, next_ms;
	uint64_t size;
	char blob_key[PB_BLOB_KEY_LEN + 1];
	struct pb_queue_rcpt *r;
	size_t n;
};
void pb_queue_rec_free(struct pb_queue_rec *q);
/* A deep copy of src into *dst. */
void pb_queue_rec_copy(struct pb_queue_rec *dst, const struct pb_queue_rec *src);

#define PB_QUEUE_MAX_RCPTS 10000

/* Each write below is one batch, synced when sync is true. The queue's shards write with
 * sync=false and call pb_store_sync at most every 100 ms when idle and at their 1 s tick,
 * which is safe because nothing acknowledged rests on these writes alone: an entry is added before the
 * spool entry handing it over is removed by a later write (RocksDB recovers the WAL as a
 * prefix, so if that removal survives a crash the entry survives too, and if not, the spool
 * hands the message over again and the add finds its id); a lost update or finish means a
 * transaction tried again (a duplicate at worst, as in any MTA), never a message lost. */

/* Adds the entry and a reference to its body (which must exist) in ONE batch. Returns 1
 * added, 0 the id exists or existed (nothing written), -1 error. */
int pb_store_queue_add(struct pb_store *s, const struct pb_queue_rec *q, bool sync,
		       const char **error_r);
/* Rewrites the entry (its recipients' states, times, flags): one write. 0 / -1. */
int pb_store_queue_update(struct pb_store *s, const struct pb_queue_rec *q, bool sync,
			  const char **error_r);
/* Ends the entry: a tombstone (finished at now_ms) replaces it and its body reference is
 * dropped, in one batch. 1 ended, 0 no live entry, -1. */
int pb_store_queue_finish(struct pb_store *s, uint64_t id, int64_t now_ms, bool sync,
			  const char **error_r);
/* Calls cb for every live entry in id order (the record is valid during the call); cb returns
 * nonzero to stop. 0 / -1. */
int pb_store_queue_iter(struct pb_store *s, int (*cb)(const struct pb_queue_rec *q, void *ctx),
			void *ctx, const char **error_r);
/* Removes tombstones of entries finished before before_ms (not synced). 0 / -1. */
int pb_store_queue_prune(struct pb_store *s, int64_t before_ms, const char **error_r);

#endif
