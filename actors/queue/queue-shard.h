/*
 * queue-shard.h: what the files of a queue shard share (queue-actor.c: intake, scheduling,
 * administration; queue-notify.c: the DSNs) — the shard's state and the few steps both take.
 * Private to actors/queue. OWNS: nothing. THREAD: the shard's actor thread.
 */
#ifndef QUEUE_SHARD_H
#define QUEUE_SHARD_H

#include "queue-actor.h"
#include "queue-route.h"
#include "store-queue.h"

#include "pb-runtime.h"
#include "pb-settings-snapshot.h"

#include <stdbool.h>
#include <stdint.h>

struct qentry {
	struct pb_queue_rec q;
	bool in_flight;
	bool delete_after;                      /* deleted while in flight: at the attempt's end */
	bool blocked;                           /* due, but its next hop had no free slot */
	bool held_back;                         /* due while the shard was paused (logged once) */
	bool *sent;                             /* per recipient: in the transaction in flight */
	uint64_t run;                           /* the send job that flushed it (0: none) */
	char host[QUEUE_ROUTE_HOST_MAX];        /* its next hop, while in flight or blocked */
	uint16_t port;
	uint8_t sender;                         /* the sender thread of its transaction in flight */
};

/* A next hop with transactions in flight (the per-destination concurrency), and how many of
 * them went to each sender thread. */
struct qdest {
	char host[QUEUE_ROUTE_HOST_MAX];
	uint16_t port;
	uint32_t in_flight;
	uint32_t per_sender[QUEUE_SENDERS];
};

struct queue_shard {
	struct pb_store *store;
	uint32_t index, count;
	struct qentry **e;
	size_t n, cursor;                       /* cursor: where the next refill scan starts */
	struct qdest *d;
	size_t nd;
	uint64_t sent, deferred, failed; /* recipients, since the shard started (the status) */
	uint64_t told_entries, told_held, told_sending; /* what the status hub last heard (told: ever) */
	bool told;
	bool paused; /* a sending connection method hung up: no new transaction until resumed */
	bool unsynced;     /* entries written since the last pb_store_sync (q_sync) */
	uint64_t synced_ms; /* when the shard last synced (the runtime's clock) */
};

/* Writes e's record (synced); a failure is logged (the next change writes it again). */
void queue_entry_save(struct queue_shard *s, struct qentry *e);

/* ---- queue-notify.c: the DSNs to the sender, through the spool ---- */

/* Failed recipients: their DSN (when NOTIFY asks one), then they are bounced (written). */
void queue_notify_failed(struct pb_actor *a, struct queue_shard *s, struct qentry *e,
			 int64_t now);
/* The delay warning, once (after o->delay_warning_s), for the recipients still waiting with
 * NOTIFY=DELAY or none. */
void queue_notify_delayed(struct pb_actor *a, struct queue_shard *s, struct qentry *e,
			  int64_t now, const struct pb_settings_outbound *o);
/* Whether recipient r still owes its sender a success DSN: delivered, NOTIFY=SUCCESS, and
 * not passed on to a server with DSN (the SUCCESS bit is cleared then). */
bool queue_owes_success(const struct pb_queue_rcpt *r);
/* The success DSN ("relayed", RFC 3461 6.2.1) for the delivered recipients that owe one; once
 * sent, their SUCCESS bit is cleared (written: a crash before repeats it, never loses it). */
void queue_notify_success(struct pb_actor *a, struct queue_shard *s, struct qentry *e,
			  int64_t now);

#endif
