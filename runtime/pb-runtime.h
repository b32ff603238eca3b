/*
 * pb-runtime.h: actors — the only API through which modules exchange messages.
 *
 * An actor is a definition (name, init, deinit, handler table, timer callback) that the runtime
 * runs on a thread of its own with a bounded inbox at a symbolic address. Symbolic addresses
 * ("directory", "mailbox.3", "smtp") are resolved by the runtime (to a named in-process queue
 * today, pb-mq.h; to nng tcp:// for remote nodes later), so actor code never names a transport.
 *
 * Addresses are qualified by node: "NODE/NAME", e.g. "node1/smtp", "node1/reply.7", and for
 * one gateway session "node1/smtp#123" (NAME#SESSION: the hub's inbox, the session id in corr;
 * see pb_send). NODE is a node name ([A-Za-z0-9._-]{1,63}, pb_node_name_valid), NAME a local
 * symbolic name. Every address the runtime writes into a message is qualified
 * (pb_runtime_address): the reply_to of pb_call, of pb_actor_sender and of the gateway hubs'
 * sends, and the watcher and lock-holder addresses of gateway sessions (gw_event_address), so
 * an answer or an event finds its way back from another node. Sending resolves an address:
 * this node's name -> the local inbox NAME; another node -> "unreachable" (the cluster
 * transport comes later); a bare NAME (no '/') is this node's NAME (what routing produces).
 *
 * Two ways to talk:
 *  - cast: one-way, never blocks; a full or unreachable inbox is a temporary failure (-1,
 *    PB_ERR_TEMP) that the sender reports to its client, and it is counted.
 *  - call: request/reply with a deadline through a struct pb_caller (one per thread that calls);
 *    a timeout is an error the caller handles, and a late reply is dropped by correlation id.
 *
 * A handler that returns -1 has failed: the supervisor deinits the actor and inits it again from
 * durable state (the inbox and the messages queued in it are kept). A request left unanswered by
 * its handler is answered by the runtime with CORE_STATUS_REP (internal error), so no caller
 * waits for its deadline because of a bug; a message without a handler gets "refused".
 *
 * THREAD: pb_runtime_* functions from the thread that created the runtime, except pb_cast,
 * pb_send and the stats which any thread may call. A struct pb_caller belongs to one thread.
 */
#ifndef PB_RUNTIME_H
#define PB_RUNTIME_H

#include "pb-latency.h"
#include "pb-msg.h"

#include <stdbool.h>
#include <stdint.h>

struct pb_runtime;
struct pb_actor;
struct pb_caller;
struct pb_inbox;

/* The clock every actor timer uses; injectable so tests move time by hand. */
struct pb_clock {
	uint64_t (*now_ms)(void *ctx);
	void *ctx;
};
uint64_t pb_clock_monotonic_ms(void *ctx); /* the real clock (CLOCK_MONOTONIC) */
uint64_t pb_clock_wall_ms(void);           /* wall time for records (CLOCK_REALTIME) */

struct pb_handler {
	enum pb_msg_type type;
	/* Handles m (owned by the runtime; fields may be stolen by setting them NULL). Returns 0,
	 * or -1 when the actor's state is broken and it must be restarted. */
	int (*fn)(struct pb_actor *a, void *state, struct pb_msg *m);
};

struct pb_actor_def {
	const char *name;        /* symbolic address; the runtime copies it */
	uint32_t inbox_size;     /* bounded inbox, in messages (0: 1024) */
	/* Builds the state from durable storage. Returns 0, or -1 with error_r; on -1 the
	 * supervisor retries with back-off and answers requests with PB_ERR_TEMP meanwhile. */
	int (*init)(struct pb_actor *a, void *arg, void **state_r, const char **error_r);
	void (*deinit)(struct pb_actor *a, void *state);
	const struct pb_handler *handlers;
	size_t n_handlers;
	/* Called when a timer set with pb_actor_timer_set is due. Optional. */
	void (*on_timer)(struct pb_actor *a, void *state, uint32_t timer_id, uint64_t now_ms);
	/* Called after the actor has handled messages, once its inbox is empty, and at least every
	 * PB_ACTOR_IDLE_EVERY messages under a steady stream: where work gathered from several
	 * messages is finished together (a group commit: one synced write, then every reply).
	 * Optional. */
	void (*on_idle)(struct pb_actor *a, void *state);
};

/* The most messages an actor handles between two on_idle calls. */
#define PB_ACTOR_IDLE_EVERY 32

/* Creates a runtime. clock may be NULL (the real monotonic clock). node is this node's name
 * (must be pb_node_name_valid: the configuration checks it). */
struct pb_runtime *pb_runtime_create(const char *node, const struct pb_clock *clock);
/* Stops every actor (pb_runtime_stop) and frees the runtime; sets *rt NULL. */
void pb_runtime_destroy(struct pb_runtime **rt);
/* Declares that messages owned by `owner` go to `n` shards "owner.0" .. "owner.n-1" by the
 * message's shard key (F_KEY): the shard pb_shard_index(key, n). */
void pb_runtime_set_shards(struct pb_runtime *rt, const char *owner, uint32_t n);
/* The shard (0 .. n-1) a message with shard key `key` goes to among n: the key mixed, then
 * modulo n (keys that differ only in high bits still spread). An actor that owns records by key
 * (e.g. the queue's entries by id) must pick its records with this, not key % n, or a message
 * about a record reaches a shard that does not hold it. */
uint32_t pb_shard_index(uint64_t key, uint32_t n);
/* A shard key that goes to shard k among any n > k shards (pb_shard_index(key, n) == k; key 0
 * for k 0): how a request reaches shard k of a pool — see pb_client_call_shard. */
uint64_t pb_shard_key(uint32_t k);

/* Starts an actor: binds its inbox, runs init on its thread, then serves. arg is passed to
 * init (borrowed: must outlive the actor). Returns 0, or -1 with error_r if the address is
 * taken or the def is invalid (a handler table naming a type twice, or a REP/EVT... table with
 * an unknown type). A failing init does NOT fail the start: the supervisor retries it. */
int pb_runtime_start(struct pb_runtime *rt, const struct pb_actor_def *def, void *arg,
		     const char **error_r);
/* Starts n shards of def ("NAME.0" .. "NAME.n-1", NAME = def->name), each with arg, and declares
 * the routing of NAME's messages to them (pb_runtime_set_shards). Returns 0, or -1 with error_r
 * (n outside 1..PB_MAX_SHARDS_PER_OWNER, or as pb_runtime_start). */
#define PB_MAX_SHARDS_PER_OWNER 64
int pb_runtime_start_shards(struct pb_runtime *rt, const struct pb_actor_def *def, uint32_t n,
			    void *arg, const char **error_r);
/* Stops every actor in the reverse order of start: each first handles everything already in
 * its inbox (in-flight work finishes), then deinit runs and its thread is joined. */
void pb_runtime_stop(struct pb_runtime *rt);
/* Announces the stop (pb_runtime_stop does too): from then on pb_runtime_stopping is true, so
 * that a handler blocking long on the network (an IMAP collector in IDLE) ends early, before
 * the daemon waits for what is in flight. Any thread. */
void pb_runtime_stop_begin(struct pb_runtime *rt);
bool pb_runtime_stopping(struct pb_runtime *rt);
/* Wakes every actor so it rereads the clock (a fake clock moved). */
void pb_runtime_wake_all(struct pb_runtime *rt);
uint64_t pb_runtime_now_ms(struct pb_runtime *rt);
/* Wall-clock ms since the epoch, read by decisions that go by the date (the daily job's day,
 * the router's and the spool's "now"): pb_clock_wall_ms(), or the clock a test set with
 * pb_runtime_set_wall_clock (before any actor starts) so it moves the date by hand. */
uint64_t pb_runtime_wall_ms(struct pb_runtime *rt);
void pb_runtime_set_wall_clock(struct pb_runtime *rt, const struct pb_clock *wall);
const char *pb_runtime_node(struct pb_runtime *rt);
/* Writes this node's qualified address of the local name ("NODE/NAME") into addr;
 * PB_MSG_MAX_ADDR bytes always suffice for a name shorter than 64 bytes. */
void pb_runtime_address(struct pb_runtime *rt, const char *name, char *addr, size_t size);

/* Published generations: a counter the owner of some records moves with every change to them,
 * which any thread may read to tell whether a copy it holds (taken with that generation) is
 * still current, without asking the owner. A hint that saves a round trip, never the data:
 * the copy itself is still fetched from the owner. 0 until the owner publishes. */
enum pb_generation {
	PB_GEN_ROUTES, /* the directory's routing records (DIR_ROUTES_REP.gen) */
	PB_GEN_COUNT
};
void pb_runtime_generation_set(struct pb_runtime *rt, enum pb_generation g, uint64_t value);
uint64_t pb_runtime_generation(struct pb_runtime *rt, enum pb_generation g);

/* Per-actor counters, for the status command. queued: the messages sent to its inbox and not
 * yet taken (local sends less those handled; a moment's snapshot). */
struct pb_actor_stats {
	char name[64];
	uint64_t handled, restarts, inbox_full, bad_messages, queued;
	bool running; /* false while init is failing */
};
/* Fills up to max entries; returns the number of actors. */
size_t pb_runtime_stats(struct pb_runtime *rt, struct pb_actor_stats *out, size_t max);
/* Per event loop's inbox (pb_inbox_open: each gateway hub's, named by its protocol), for the
 * status command: queued, the messages waiting in it; inbox_full, the sends refused because
 * it was full (a moment's snapshot). Fills up to max entries; returns the number of inboxes. */
struct pb_inbox_stats {
	char name[64];
	uint64_t queued, inbox_full;
};
size_t pb_inbox_stats(struct pb_runtime *rt, struct pb_inbox_stats *out, size_t max);

/* The latency histograms (pb-latency.h): a duration of us microseconds noted in histogram
 * which (two relaxed atomic adds: no lock); and a read of one, counts_r[PB_LATENCY_BOUNDS + 1]
 * per bucket (not cumulative, the last +Inf) and *sum_us_r (a moment's snapshot). Any thread. */
void pb_runtime_latency_note(struct pb_runtime *rt, enum pb_latency which, uint64_t us);
void pb_runtime_latency_read(struct pb_runtime *rt, enum pb_latency which, uint64_t *counts_r,
			     uint64_t *sum_us_r);
/* Counts a refusal (one relaxed atomic add), and the count of one since the start. Any thread. */
void pb_runtime_refusal_note(struct pb_runtime *rt, enum pb_refusal why);
uint64_t pb_runtime_refusals(struct pb_runtime *rt, enum pb_refusal why);
/* The same for a message accepted, by where it came from (rt NULL: nothing counted, 0). */
void pb_runtime_received_note(struct pb_runtime *rt, enum pb_received from);
uint64_t pb_runtime_received(struct pb_runtime *rt, enum pb_received from);

/* True if the actor at addr (a started actor) has a handler for type. For coverage checks. */
bool pb_runtime_handles(struct pb_runtime *rt, const char *addr, enum pb_msg_type type);

/* The address messages of m's type go to (its owner, or the owner's shard): writes it into
 * addr (size >= 64). */
void pb_route(struct pb_runtime *rt, const struct pb_msg *m, char *addr, size_t size);

/* Sends m to `to` (NULL: routed by owner; else an address as above, qualified or bare)
 * without waiting; m keeps its reply_to and corr, except that an address "hub#N" (a gateway
 * session, see gateways/net/gw-session.h) sends to the inbox "hub" with corr N, which is how
 * events reach one session.
 * Does not free m. Returns 0, or -1 with error_r when the target inbox is full or unreachable
 * (another node, a malformed address: a temporary failure, counted on a local target). */
int pb_send(struct pb_runtime *rt, const char *to, const struct pb_msg *m, const char **error_r);
/* pb_send with no reply expected (reply_to cleared). */
int pb_cast(struct pb_runtime *rt, const char *to, struct pb_msg *m, const char **error_r);

/* A thread's request/reply port. Created on, and used only by, one thread. */
struct pb_caller *pb_caller_create(struct pb_runtime *rt);
void pb_caller_destroy(struct pb_caller **c);
/* Sends req to `to` (NULL: routed by owner) and waits up to timeout_ms for the reply with the
 * same correlation id. req is not freed (its corr and reply_to are overwritten). On 0, *rep_r
 * holds the reply (caller frees with pb_msg_free). On -1, error_r says why: "timed out",
 * "inbox full", "unreachable"; nothing to free. */
int pb_call(struct pb_caller *c, const char *to, struct pb_msg *req, struct pb_msg *rep_r,
	    uint32_t timeout_ms, const char **error_r);

/* An asynchronous request port: whoever sends a request without waiting for it (a gateway
 * session, an actor) hands the typed client stubs one of these. send() gives req its own
 * correlation id and reply_to, records the pending call on the sender's side, and sends it to
 * `to` (NULL: routed by owner). It does not free req. Returns 0, or -1 with error_r (static
 * text: inbox full, unreachable) when nothing was sent and no reply will come.
 * Gateways make one per call (gw_session_sender), actors use pb_actor_sender. */
struct pb_sender {
	int (*send)(void *ctx, const char *to, struct pb_msg *req, const char **error_r);
	void *ctx;
};

/* --- for handlers --- */
/* An actor's asynchronous request port, for the typed client stubs' *_send: the reply comes
 * back to the actor's own inbox (reply_to = its qualified name) with correlation id corr, by which the
 * actor matches it to its request (a handler for the reply type, decoded with the stub's
 * *_reply). Use it at once: corr is held in the actor until its next pb_actor_sender. */
struct pb_sender pb_actor_sender(struct pb_actor *a, uint64_t corr);
struct pb_runtime *pb_actor_runtime(struct pb_actor *a);
const char *pb_actor_name(struct pb_actor *a);
/* For a shard "owner.N" of an owner declared with pb_runtime_set_shards: its index N and the
 * number of shards. Returns 0, or -1 if the actor is not such a shard. */
int pb_actor_shard(struct pb_actor *a, uint32_t *index_r, uint32_t *count_r);
/* The actor's own caller, for calls to other actors from a handler (keep them short). */
struct pb_caller *pb_actor_caller(struct pb_actor *a);
/* Answers req with rep (rep's corr/reply_to set from req; rep not freed). Returns 0 or -1 if
 * the reply could not be delivered (the caller went away), which handlers may ignore. */
int pb_reply(struct pb_actor *a, const struct pb_msg *req, struct pb_msg *rep);
/* Answers req with CORE_STATUS_REP { code, error }. */
int pb_reply_status(struct pb_actor *a, const struct pb_msg *req, uint32_t code, const char *error);
/* Marks the current request as answered later (by pb_reply on a kept copy of corr/reply_to). */
void pb_actor_defer_reply(struct pb_actor *a);
/* Arms timer `id` to fire at now + delay_ms (replacing an earlier arming of the same id). */
void pb_actor_timer_set(struct pb_actor *a, uint32_t id, uint64_t delay_ms);
void pb_actor_timer_cancel(struct pb_actor *a, uint32_t id);

/* --- inboxes for event loops (gateways): a pull0 inbox polled through an fd --- */
int pb_inbox_open(struct pb_runtime *rt, const char *name, uint32_t size, struct pb_inbox **in_r,
		  const char **error_r);
void pb_inbox_close(struct pb_inbox **in);
/* A descriptor that polls readable while a message may be waiting. */
int pb_inbox_fd(struct pb_inbox *in);
/* Receives one message: 1 got one (caller frees), 0 none waiting (nonblocking) or timed out,
 * -1 closed. Malformed messages are counted and skipped. timeout_ms < 0 waits forever. */
int pb_inbox_recv(struct pb_inbox *in, struct pb_msg *m_r, int timeout_ms);

/* --- the admin bridge: the daemon side of the CLI's ipc:// socket --- */
struct pb_bridge;
/* Listens on url (ipc://...) with `workers` threads; each request is forwarded by pb_call to
 * its owner and the reply returned. Only message types whose owner is in `allowed` (NULL-
 * terminated list of owner names) are forwarded; others get "refused". */
int pb_bridge_start(struct pb_runtime *rt, const char *url, const char *const *allowed,
		    uint32_t workers, uint32_t timeout_ms, struct pb_bridge **b_r, const char **error_r);
/* Stops the bridge: no CLI can connect any more (an ipc:// socket's file goes), the CLIs
 * connected get their replies and hang up (waited for up to 10 s), then the
 * workers and the socket go. Sets *b NULL; NULL is a no-op. */
void pb_bridge_stop(struct pb_bridge **b);
/* The client side: one request, one reply over a req0 socket to url. Returns 0, or -1 with
 * error_r ("cannot connect", "timed out", ...) when the daemon cannot be reached, or when it
 * runs a different message table (pb_msg_table_hash): then error_r begins with
 * PB_REMOTE_TABLE_MISMATCH and names both hashes (text valid until this thread's next call).
 * Frames carry the table hash first (pb-bridge.c). */
#define PB_REMOTE_TABLE_MISMATCH "the daemon runs a different message table"

int pb_remote_call(const char *url, struct pb_msg *req, struct pb_msg *rep_r, uint32_t timeout_ms,
		   const char **error_r);

#endif
