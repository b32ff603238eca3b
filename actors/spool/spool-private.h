/*
 * spool-private.h: what the spool shard's files share (spool-actor.c: puts and deliveries;
 * spool-upload.c: chunked uploads). Nobody outside actors/spool includes it.
 * OWNS: nothing by itself. THREAD: the shard's actor thread.
 */
#ifndef SPOOL_PRIVATE_H
#define SPOOL_PRIVATE_H

#include "pb-runtime.h"
#include "store-spool.h"
#include "sys-client.h"

#include <stdbool.h>

/* Open uploads per shard: past it BEGIN is refused with PB_ERR_TEMP. */
#define SPOOL_MAX_UPLOADS 64
/* An upload without a chunk, commit or abort for this long is dropped (its session is gone). */
#define SPOOL_UPLOAD_IDLE_MS (10u * 60 * 1000)

/* Room claimed for declared sizes (SPOOL_ROOM_REQ) not yet taken by an upload: at most this
 * many per shard (beyond, a check only), each for at most SPOOL_CLAIM_MS. */
#define SPOOL_MAX_CLAIMS 256
#define SPOOL_CLAIM_MS (2u * 60 * 1000)

/* The most puts and commits one group commit holds (spool-group.c). */
#define SPOOL_GROUP_MAX 64

struct delivery;
struct spool_upload;
struct spool_claim;
struct spool_member;

struct spool_shard {
	struct pb_store *store;
	uint32_t index, count; /* this shard, of how many: it resumes the entries id % count */
	struct delivery **d;
	size_t n;
	uint64_t next_seq;
	struct spool_upload **up; /* open uploads */
	size_t n_up;
	struct spool_claim *claims; /* room claimed by sessions before their upload */
	size_t n_claims;
	struct spool_member *group; /* written, not yet synced: the group commit */
	size_t n_group, cap_group;
	uint64_t groups, grouped;   /* syncs made for groups, and their members */
	/* since the shard started, for the status (SYS_SPOOL_STATS_EVT) */
	uint64_t delivered, deferred, failed;
	struct sys_spool_stats last_report; /* what sys was last told */
	bool reported;
};

/* spool-group.c, the group commit. Takes the put or commit m (stored with sync=false; its
 * reply port is taken and its reply deferred) and the entry rec (zeroed) into the group, and
 * flushes the group when it is full. */
void spool_group_add(struct pb_actor *a, struct spool_shard *s, struct pb_msg *m,
		     struct pb_spool_rec *rec);
/* Makes the group durable with one pb_store_sync, then answers each member (stored, or
 * PB_ERR_TEMP when the sync failed) and starts delivering it. Nothing when the group is empty.
 * The shard's on_idle; also before anything that must follow the group's writes. */
void spool_group_flush(struct pb_actor *a, struct spool_shard *s);
/* Frees the group without answering (the shard is going away). */
void spool_group_free(struct spool_shard *s);
/* Answers a commit (SPOOL_COMMIT_REP) or a put (SPOOL_PUT_REP): the entry spool_id is
 * durable. */
void spool_reply_stored(struct pb_actor *a, struct pb_msg *m, uint64_t spool_id);

/* Takes ownership of rec (a stored spool entry; rec is zeroed) and starts delivering it. */
void spool_start_delivery(struct pb_actor *a, struct spool_shard *s, struct pb_spool_rec *rec);

/* The router's answer for delivery seq (ROUTER_RESOLVE_REP in m, or a failure code). */
void spool_on_routed(struct pb_actor *a, struct spool_shard *s, uint64_t seq, uint32_t code,
		     const char *error, struct pb_msg *m);

/* The Message-ID of the header at the start of data (len octets), without its angle
 * brackets, into env->message_id (owned; unchanged when env has one, or there is none, it is
 * over PB_SPOOL_MESSAGE_ID_MAX or holds a control character). spool-upload.c. */
void spool_take_message_id(const void *data, size_t len, struct pb_spool_rec *env);

/* rec's trace to keep with its plan, appended to trace: a generated entry's first line, kept
 * when it was made (pb_spool_gen.trace_line; none for one stored otherwise), then p's. */
void spool_plan_trace(struct spool_shard *s, const struct pb_spool_rec *rec,
		      const struct msg_router_resolve_rep *p, struct pb_strv *trace);
/* h-generate (spool-generate.c): stores the plan of rec (rcpts/ids/n, n may be 0 when p
 * generates messages) with the messages p generates, in one synced write, then starts
 * delivering those; a generated entry's (origin SYSTEM) trace begins with the line kept when
 * it was made. 1 stored, 0 the entry is gone, -1 (nothing stored). */
int spool_plan_store(struct pb_actor *a, struct spool_shard *s, const struct pb_spool_rec *rec,
		     const struct msg_router_resolve_rep *p, const struct pb_spool_plan *sp,
		     int64_t now_ms, const char **error_r);

/* spool-sign.c: the body of r (which has n_sign > 0) with the signature's insertions, read
 * and written in pieces, stored as a body of its own (reference count 0: the append or the
 * queue hand-off takes it): key_r and *size_r. 0 / -1. */
int spool_signed_body(struct spool_shard *s, const struct pb_spool_rec *r,
		      char key_r[PB_BLOB_KEY_LEN + 1], uint64_t *size_r, const char **error_r);

/* spool-marks.c: makes and delivers the generated messages (welcomes, quota notices) of this
 * shard's users whose markers are in the store (at most a few per call; from the tick). */
void spool_marks_tick(struct pb_actor *a, struct spool_shard *s);

/* SPOOL_ROOM_REQ: claims the declared size for the session (spool-upload.c). */
int spool_on_room(struct pb_actor *a, void *state, struct pb_msg *m);
/* Handlers of SPOOL_BEGIN_REQ, SPOOL_CHUNK_REQ, SPOOL_COMMIT_REQ, SPOOL_ABORT_REQ. */
int spool_on_begin(struct pb_actor *a, void *state, struct pb_msg *m);
int spool_on_chunk(struct pb_actor *a, void *state, struct pb_msg *m);
int spool_on_commit(struct pb_actor *a, void *state, struct pb_msg *m);
int spool_on_abort(struct pb_actor *a, void *state, struct pb_msg *m);
/* Handler of SPOOL_PUT_REQ: a whole message, one synced write. */
int spool_on_put(struct pb_actor *a, void *state, struct pb_msg *m);
/* At (re)start, before any upload: removes what this shard's earlier life left in the store.
 * 0 / -1. */
int spool_uploads_clean(struct spool_shard *s, const char **error_r);
/* From the tick: aborts uploads idle for SPOOL_UPLOAD_IDLE_MS. */
void spool_uploads_expire(struct pb_actor *a, struct spool_shard *s, uint64_t now_ms);
/* The received_ms of the oldest open upload, INT64_MAX when none. */
int64_t spool_uploads_oldest(struct spool_shard *s);
/* Frees the open uploads in memory (their store records go at the next start). */
void spool_uploads_free(struct spool_shard *s);

#endif
