/*
 * spool-client.h: the typed client of the spool shards — the only way other modules talk to
 * them. Asynchronous sends go through a struct pb_sender (a gateway session, an actor), whose
 * reply comes back to the sender and is read with the matching *_reply decoder; synchronous
 * calls over a struct pb_caller serve the CLI and tests.
 *
 * A message that ends before its first chunk is full goes whole in one put (envelope and
 * content) -> spool id, answered only once it is durable. A larger body reaches the spool in
 * chunks: begin (envelope) -> upload id; chunk after chunk (offset = bytes sent before,
 * 1..PB_CHUNK_MAX bytes each; the gateway sends 256 KiB); commit (the total size) -> spool id,
 * answered only once the message is durable (then SMTP may say 250); abort when the
 * transaction fails. Every request carries the session's key so all of an
 * upload reaches the same shard. A commit whose reply never comes is wholly stored or not at
 * all (docs/storage.md); an upload left open is dropped after SPOOL_UPLOAD_IDLE_MS (10 min).
 *
 * Status codes (enum pb_status): OK; TEMP (too many open uploads on the shard, a store failure,
 * or for the synchronous calls no reply: timeout, full inbox); NOSPACE (the disk reserve: the
 * upload is gone); NOTFOUND (no such upload: aborted, expired, or the shard restarted);
 * REFUSED (bad envelope; a chunk out of order, empty or too large; a size mismatch: the upload
 * stays open); INTERNAL (a reply of the wrong type).
 *
 * OWNS: nothing. THREAD: any; a pb_caller or pb_sender is used by its own thread.
 */
#ifndef SPOOL_CLIENT_H
#define SPOOL_CLIENT_H

#include "pb-client.h"
#include "pb-runtime.h"

#include <stddef.h>
#include <stdint.h>

/* ---- asynchronous: 0 sent (a reply will come to the sender), -1 with error_r (static text)
 * when nothing was sent. Strings and data are borrowed (copied into the message). ---- */

/* SPOOL_BEGIN_REQ: rcpts[i] is the recipient as accepted, rcpt_ids[i] its user id; n_rcpts
 * 1..PB_SPOOL_MAX_RCPTS. sender "" is the null sender. msgid (may be NULL) is the id the client
 * is told ("queued as"): the spool logs the entry's delivery under it and keeps it stored. */
int spool_client_begin_send(const struct pb_sender *tx, uint64_t key, const char *sender,
			    const char *msgid, const char *const *rcpts, const uint64_t *rcpt_ids, size_t n_rcpts,
			    int64_t received_ms, const char **error_r);
/* A message's envelope, borrowed (as for begin). */
struct spool_client_envelope {
	const char *sender, *msgid;
	const char *const *rcpts;
	const uint64_t *rcpt_ids;
	size_t n_rcpts;
	int64_t received_ms;
	uint8_t origin; /* enum pb_origin (pb-msg.h); 0: SMTP from outside */
};
/* SPOOL_BEGIN_REQ from an envelope (with its origin). */
int spool_client_begin_env_send(const struct pb_sender *tx, uint64_t key,
				const struct spool_client_envelope *env, const char **error_r);
/* SPOOL_PUT_REQ: a whole message (len 0..PB_CHUNK_MAX bytes of content) with its envelope, in
 * one request: stored in one synced write and answered (spool_client_put_reply: the spool id,
 * as a commit's) only once durable. For content that ends before a chunk is full: one hand-off, no upload. */
int spool_client_put_send(const struct pb_sender *tx, uint64_t key,
			  const struct spool_client_envelope *env, const void *data, size_t len,
			  const char **error_r);
/* SPOOL_CHUNK_REQ: len bytes of data at offset of the upload. */
int spool_client_chunk_send(const struct pb_sender *tx, uint64_t key, uint64_t upload_id,
			    uint64_t offset, const void *data, size_t len, const char **error_r);
/* SPOOL_COMMIT_REQ: size is the total of the chunks sent. */
int spool_client_commit_send(const struct pb_sender *tx, uint64_t key, uint64_t upload_id,
			     uint64_t size, const char **error_r);
/* SPOOL_COMMIT_REQ carrying the content's last len (0..PB_CHUNK_MAX) bytes, written at offset
 * size - len before the commit: a message that fits in one chunk is begin + commit. */
int spool_client_commit_data_send(const struct pb_sender *tx, uint64_t key, uint64_t upload_id,
				  uint64_t size, const void *data, size_t len, const char **error_r);
/* The signature's insertions a commit stores with the entry (store-spool.h sign_at,
 * sign_text; borrowed): text[i] before the body's octet at[i], in order, n <= PB_SPOOL_MAX_SIGN. */
struct spool_client_sign {
	const uint64_t *at;
	const char *const *text;
	size_t n;
};
/* spool_client_commit_data_send with the signature's insertions (sign NULL: none). */
int spool_client_commit_signed_send(const struct pb_sender *tx, uint64_t key,
				    uint64_t upload_id, uint64_t size, const void *data,
				    size_t len, const struct spool_client_sign *sign,
				    const char **error_r);
/* SPOOL_ABORT_REQ; upload_id 0 drops every upload key began (a session that closed with a
 * begin still unanswered). */
int spool_client_abort_send(const struct pb_sender *tx, uint64_t key, uint64_t upload_id,
			    const char **error_r);
/* SPOOL_ROOM_REQ: could the spool take size more octets (a declared SIZE)? */
int spool_client_room_send(const struct pb_sender *tx, uint64_t key, uint64_t size,
			   const char **error_r);

/* ---- reply decoders: the pb_status code of rep (its REP type or CORE_STATUS_REP; any other
 * type gives PB_ERR_INTERNAL); the out value is set only for PB_OK. The reason text is
 * pb_msg_status(rep, &error). ---- */

uint32_t spool_client_begin_reply(const struct pb_msg *rep, uint64_t *upload_id_r);
/* *received_r: the bytes the upload holds now. */
uint32_t spool_client_chunk_reply(const struct pb_msg *rep, uint64_t *received_r);
uint32_t spool_client_commit_reply(const struct pb_msg *rep, uint64_t *spool_id_r);
uint32_t spool_client_put_reply(const struct pb_msg *rep, uint64_t *spool_id_r);
uint32_t spool_client_abort_reply(const struct pb_msg *rep);
/* PB_OK, or PB_ERR_NOSPACE: the reserve would be crossed. */
uint32_t spool_client_room_reply(const struct pb_msg *rep);

/* ---- synchronous, over c (waits up to 60 s): return the pb_status code as above, PB_ERR_TEMP
 * when no reply came; *error_r (may be NULL) the reason or "", valid until the next
 * spool_client call on this thread. ---- */

uint32_t spool_client_begin(struct pb_caller *c, uint64_t key, const char *sender,
			    const char *msgid, const char *const *rcpts, const uint64_t *rcpt_ids, size_t n_rcpts,
			    int64_t received_ms, uint64_t *upload_id_r, const char **error_r);
/* SPOOL_BEGIN_REQ and SPOOL_PUT_REQ with a mail collector's seen mark "NAME UIDL" (borrowed;
 * msg-types.def): as spool_client_begin and spool_client_put. The commit of an upload begun
 * with a mark, or a put with one, answers PB_ERR_EXISTS when the mark was stored already
 * (nothing stored: the message is in the spool from before). */
uint32_t spool_client_begin_marked(struct pb_caller *c, uint64_t key,
				   const struct spool_client_envelope *env, const char *mark,
				   uint64_t *upload_id_r, const char **error_r);
uint32_t spool_client_put_marked(struct pb_caller *c, uint64_t key,
				 const struct spool_client_envelope *env, const char *mark,
				 const void *data, size_t len, uint64_t *spool_id_r,
				 const char **error_r);
uint32_t spool_client_chunk(struct pb_caller *c, uint64_t key, uint64_t upload_id,
			    uint64_t offset, const void *data, size_t len, uint64_t *received_r,
			    const char **error_r);
uint32_t spool_client_commit(struct pb_caller *c, uint64_t key, uint64_t upload_id,
			     uint64_t size, uint64_t *spool_id_r, const char **error_r);
uint32_t spool_client_put(struct pb_caller *c, uint64_t key,
			  const struct spool_client_envelope *env, const void *data, size_t len,
			  uint64_t *spool_id_r, const char **error_r);
uint32_t spool_client_abort(struct pb_caller *c, uint64_t key, uint64_t upload_id,
			    const char **error_r);
uint32_t spool_client_room(struct pb_caller *c, uint64_t key, uint64_t size, const char **error_r);
/* SPOOL_OLDEST_REQ to every shard: *oldest_ms_r gets the received_ms of the oldest entry the
 * spool holds (being delivered or uploaded), INT64_MAX when it holds none. PB_OK only when
 * every shard answered. */
uint32_t spool_client_oldest(struct pb_caller *c, int64_t *oldest_ms_r, const char **error_r);

/* SPOOL_TRACE_REQ (the CLI's `pillarbox trace`): the decision traces kept for msgid, a queue
 * id or a Message-ID with or without its angle brackets (each delivery's trace headed by its
 * spool entry), into *lines_r (the caller clears it). 0 with *code_r (NOTFOUND: none kept) / -1 no answer. */
int spool_client_trace(struct pb_sync *t, const char *msgid, uint32_t *code_r,
		       struct pb_strv *lines_r, const char **error_r);

#endif
