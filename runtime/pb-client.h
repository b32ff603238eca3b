/*
 * pb-client.h: what the typed client stubs (actors/<actor>/<actor>-client.{h,c}) are built on —
 * a synchronous transport (struct pb_sync) over an in-process caller or the CLI's ipc://
 * socket, and the three steps every stub repeats (send, call, check the reply's type).
 * Nothing but a stub builds a request message; see STYLE.md.
 *
 * The conventions every stub follows (each stub header restates them):
 *  - synchronous  int <actor>_client_<verb>(struct pb_sync *t, IN..., uint32_t *code_r,
 *                                           OUT_r..., const char **error_r)
 *    0: the owner answered; *code_r is its enum pb_status. OUT_r are set only on PB_OK and are
 *    the caller's (free them). On another code *error_r is the owner's reason, kept in t until
 *    the next call on t. -1: no answer (timed out, unreachable, inbox full): *error_r says why
 *    (static text) and *code_r is untouched.
 *  - asynchronous int <actor>_client_<verb>_send(const struct pb_sender *s, IN...,
 *                                                const char **error_r)
 *    0 sent (the sender chose corr and reply_to), -1 not sent and no reply will come.
 *  - decoder      uint32_t <actor>_client_<verb>_reply(struct pb_msg *rep, OUT_r...,
 *                                                      const char **error_r)
 *    The enum pb_status of a reply to that request: its REP type or CORE_STATUS_REP (how
 *    failures come back); any other type is PB_ERR_INTERNAL "unexpected reply". OUT_r are set
 *    only on PB_OK, moved out of rep (the caller's to free); *error_r points into rep ("" on
 *    PB_OK) and lives as long as rep.
 * THREAD: a struct pb_sync belongs to one thread (like the struct pb_caller under it).
 */
#ifndef PB_CLIENT_H
#define PB_CLIENT_H

#include "pb-runtime.h"

#define PB_SYNC_ERROR_MAX 256

/* A synchronous request port. call() sends req (not freed; its corr and reply_to may be
 * overwritten) and waits up to timeout_ms for the reply (0: *rep_r is the caller's) or fails
 * (-1, error_r static text). */
struct pb_sync {
	int (*call)(void *ctx, struct pb_msg *req, struct pb_msg *rep_r, uint32_t timeout_ms,
		    const char **error_r);
	void *ctx;
	uint32_t timeout_ms;
	char error[PB_SYNC_ERROR_MAX]; /* the last answer's reason, for error_r */
};

/* Over pb_call on c (borrowed; tests and actors). Requests are routed by owner. */
void pb_sync_init_caller(struct pb_sync *t, struct pb_caller *c, uint32_t timeout_ms);
/* Over pb_remote_call to url (borrowed, e.g. ipc://DATA_DIR/control.sock; the CLI). */
void pb_sync_init_remote(struct pb_sync *t, const char *url, uint32_t timeout_ms);

/* Who the calling thread's requests that change a setting are by ("cli:root", "web:admin",
 * an API key's label), which the stubs of those requests carry for the histories
 * (store-db.h pb_store_history_who); "" until set. Thread-local, at most PB_CLIENT_BY_MAX
 * bytes kept (cut past it). */
#define PB_CLIENT_BY_MAX 128
void pb_client_by(const char *by);
const char *pb_client_by_get(void);
/* A copy of pb_client_by_get() for a request's by field (allocated). */
char *pb_client_by_dup(void);

/* Sends req through s and frees it. 0 / -1 with error_r. */
int pb_client_send(const struct pb_sender *s, struct pb_msg *req, const char **error_r);
/* Calls through t and frees req. 0: *rep_r holds the answer (caller frees); -1 with error_r. */
int pb_client_call(struct pb_sync *t, struct pb_msg *req, struct pb_msg *rep_r,
		   const char **error_r);
/* pb_client_call for a request answered with a bare status: 0 with *code_r (and the reason in
 * *error_r, kept in t), or -1. */
int pb_client_call_status(struct pb_sync *t, struct pb_msg *req, uint32_t *code_r,
			  const char **error_r);
/* Ends a typed synchronous call: keeps *error_r in t, frees rep, sets *code_r = code. 0. */
int pb_client_done(struct pb_sync *t, struct pb_msg *rep, uint32_t code, uint32_t *code_r,
		   const char **error_r);
/* The status of rep as an answer to a request of type req_type (see the decoder convention). */
uint32_t pb_client_reply(const struct pb_msg *rep, enum pb_msg_type req_type, const char **error_r);

/* ---- a sharded owner's pool ("owner.0" .. "owner.N-1"): shard k, and every shard ----
 * The one way to address a shard that does not hold a given key (queue stats, flush, listing):
 * the request's shard key set to pb_shard_key(k). Every reply of such a request names the
 * pool's size, so the first request goes to shard 0 (whatever N) and its answer says how many
 * others there are. */

/* Sends req (freed) to shard k of its owner's pool through s. 0 / -1 as pb_client_send. */
int pb_client_send_shard(const struct pb_sender *s, struct pb_msg *req, uint32_t k,
			 const char **error_r);
/* Calls shard k (req freed). 0 with *rep_r / -1 as pb_client_call. */
int pb_client_call_shard(struct pb_sync *t, struct pb_msg *req, uint32_t k, struct pb_msg *rep_r,
			 const char **error_r);

/* A broadcast's reply from one shard, decoded by the stub: returns its enum pb_status and, on
 * PB_OK, sets *shards_r to the pool's size the reply states (and keeps what it needs of rep,
 * which is freed after). */
typedef uint32_t pb_client_each_fn(void *ctx, struct pb_msg *rep, uint32_t *shards_r,
				   const char **error_r);
/* Calls every shard of req's owner's pool in turn (shard 0 first, then 1 .. N-1 as its answer
 * says), each reply through each(ctx, ...); req is freed. Stops at the first answer that is not
 * PB_OK. 0 with *code_r (and its reason in *error_r, kept in t) / -1 a shard did not answer. */
int pb_client_broadcast(struct pb_sync *t, struct pb_msg *req, pb_client_each_fn *each,
			void *ctx, uint32_t *code_r, const char **error_r);

/* An asynchronous broadcast (a gateway session, an actor): the caller sends to shard 0 with
 * pb_client_send_shard and pb_client_fanout_sent(); on each reply, pb_client_fanout_answer()
 * says whether to ask shards 1 .. N-1 now (it is shard 0's first answer), and
 * pb_client_fanout_done() whether every answer is in. A failed answer (or a send that failed
 * after the first) sets failed; the other answers are still counted. */
struct pb_client_fanout {
	uint32_t shards;  /* the pool's size, once shard 0 answered (0 before) */
	uint32_t waiting; /* requests sent and not answered */
	bool failed;
};
void pb_client_fanout_sent(struct pb_client_fanout *f);
/* Shard k answered: ok (its code was PB_OK) with the pool's size shards. Returns the number
 * of further shards the caller must now ask (shards 1 .. returned value), 0 mostly. */
uint32_t pb_client_fanout_answer(struct pb_client_fanout *f, uint32_t k, bool ok,
				 uint32_t shards);
bool pb_client_fanout_done(const struct pb_client_fanout *f);

/* Figures each shard of a pool pushes about itself (absolute values, e.g. a queue shard's
 * entries and held), added up over the pool by whoever hears them: the pushed counterpart of
 * a broadcast's collected replies. A shard beyond the pool's latest size is left out. */
#define PB_SHARD_SUM_FIELDS 4
struct pb_shard_sum {
	uint32_t shards; /* the pool's size, as the latest shard told it */
	uint64_t v[PB_MAX_SHARDS_PER_OWNER][PB_SHARD_SUM_FIELDS];
};
/* Shard k of shards now stands at vals[0 .. n) (n <= PB_SHARD_SUM_FIELDS); sums_r[0 .. n) get
 * the pool's totals. 0, or -1 (nothing changed) for k or shards out of range. */
int pb_shard_sum_set(struct pb_shard_sum *sum, uint32_t k, uint32_t shards,
		     const uint64_t *vals, size_t n, uint64_t *sums_r);

#endif
