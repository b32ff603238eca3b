/*
 * queue-client.h: the typed client of the outbound queue — the only way other modules talk to
 * the queue shards. Asynchronous sends go through a struct pb_sender (the spool shards);
 * synchronous calls over a struct pb_sync serve the CLI.
 * OWNS: nothing. THREAD: any; a pb_sender or pb_sync is used by its own thread.
 */
#ifndef QUEUE_CLIENT_H
#define QUEUE_CLIENT_H

#include "pb-client.h"
#include "pb-runtime.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The separator of a remote recipient's DSN parameters in the spool: "addr\tNOTIFY=..". */
#define QUEUE_PARAM_SEP '\t'

/* QUEUE_ADD_REQ: spool entry spool_id's remote recipients (rcpts[i]: "address" with its DSN
 * parameters, and its own envelope sender "SENDER=addr" when it has one, after
 * QUEUE_PARAM_SEP, see msg-types.def) and body; edits (NULL: none) each recipient's header
 * edits (mime-edit.h, "" none), applied as its copy is sent. The reply (CORE_STATUS_REP, to
 * the sender) is OK once the entry is durable or was already queued. 0 sent / -1. */
struct queue_client_add {
	uint64_t spool_id;
	const char *sender, *msgid, *blob_key;
	const char *const *rcpts;
	size_t n_rcpts;
	int64_t received_ms;
	uint64_t size;
	const char *const *edits;
};
int queue_client_add_send(const struct pb_sender *tx, const struct queue_client_add *in,
			  const char **error_r);
/* The reply's pb_status code. */
uint32_t queue_client_add_reply(const struct pb_msg *rep, const char **error_r);

/* QUEUE_ETRN_REQ to shard (0 first: its answer tells how many there are): the entries with a
 * recipient waiting for node (a domain, or "@domain" with its subdomains) become due now.
 * 0 sent / -1. */
int queue_client_etrn_send(const struct pb_sender *tx, uint32_t shard, const char *node,
			   const char **error_r);
/* The reply's pb_status code; PB_OK: *shards_r and *entries_r (the entries made due). */
uint32_t queue_client_etrn_reply(const struct pb_msg *rep, uint32_t *shards_r,
				 uint64_t *entries_r, const char **error_r);

/* The address of the queue's job actor (queue-jobs.h; the scheduler's SCHED_QUEUE_ADDR). */
#define QUEUE_JOBS_ADDR "queue"
/* For the shards: entry id, flushed for send job run (queue_client_flush), has had its
 * attempt: QUEUE_ATTEMPT_EVT cast to QUEUE_JOBS_ADDR. 0 sent / -1 (the run then ends at its
 * deadline). */
int queue_client_attempt_done(struct pb_runtime *rt, uint64_t run, uint64_t id);

/* ---- the CLI (synchronous) ---- */

/* A page of `pillarbox queue list`: never more entries than this in one reply. */
#define QUEUE_LIST_LIMIT_DEFAULT 100
#define QUEUE_LIST_LIMIT_MAX 1000

/* QUEUE_LIST_REQ to every shard (pb_client_broadcast): the entries with an id above after, the
 * lowest first, at most limit (0: QUEUE_LIST_LIMIT_DEFAULT; capped at QUEUE_LIST_LIMIT_MAX),
 * appended to *entries_r (caller clears); *more_r: further entries exist (the next page starts
 * after the last id). Each shard's answer holds at most limit entries. 0 with *code_r / -1 no
 * answer. */
int queue_client_list(struct pb_sync *t, uint64_t after, uint32_t limit, uint32_t *code_r,
		      struct pb_rec_queue_entry_list *entries_r, bool *more_r,
		      const char **error_r);
/* QUEUE_LIST_REQ for entry id on its shard: into *entries_r (caller clears). 0 with *code_r
 * (NOTFOUND: no such entry) / -1 no answer. */
int queue_client_show(struct pb_sync *t, uint64_t id, uint32_t *code_r,
		      struct pb_rec_queue_entry_list *entries_r, const char **error_r);
/* QUEUE_OP_REQ: op "hold", "release", "retry", "delete" on id, or "flush" (id 0) on every
 * shard. 0 with *code_r (NOTFOUND: no such entry) / -1 no answer. */
int queue_client_op(struct pb_sync *t, const char *op, uint64_t id, uint32_t *code_r,
		    const char **error_r);
/* QUEUE_OP_REQ "flush" to every shard for send job run (0: none; else each flushed entry's
 * attempt is told to "queue" with QUEUE_ATTEMPT_EVT when over): *entries_r the entries made
 * due. 0 with *code_r / -1 no answer. */
int queue_client_flush(struct pb_sync *t, uint64_t run, uint32_t *code_r, uint64_t *entries_r,
		       const char **error_r);
/* QUEUE_OP_REQ "pause" (paused) or "resume" to every shard: while paused, no shard starts a
 * transaction (expiry and DSNs go on; the transactions started finish). Not durable: a
 * restarted daemon sends. 0 with *code_r / -1 no answer. */
int queue_client_pause(struct pb_sync *t, bool paused, uint32_t *code_r, const char **error_r);

/* QSEND_SEND_REQ, for the shards: one SMTP transaction of entry id by sender thread sender
 * (QUEUE_SENDERS of them) to host:port (smart_host: the smart host's settings; mx: host is a
 * domain whose MX records are tried), envelope sender and mail_params ("" none) for rcpts[i]
 * with their rcpt_params[i], the body blob_key (size bytes) with header edit ("" none). The
 * reply (QSEND_SEND_REP) comes to the caller with tx's correlation id. 0 sent / -1. */
struct queue_client_qsend {
	uint64_t id;
	uint32_t sender, port;
	bool smart_host, mx;
	const char *host, *from, *mail_params, *edit, *blob_key;
	uint64_t size;
	const char *const *rcpts, *const *rcpt_params;
	size_t n_rcpts;
};
int queue_client_qsend_send(const struct pb_sender *tx, const struct queue_client_qsend *in,
			    const char **error_r);
/* The outcome of a QSEND_SEND_REQ: its status (not PB_OK: the sender thread could not run it,
 * or a status reply), and when PB_OK *replies_r (into rep: the final word on each recipient
 * sent, "CODE text", in order) and *dsn_r (the server offered DSN: NOTIFY went on). */
uint32_t queue_client_qsend_reply(const struct pb_msg *rep, const struct pb_strv **replies_r,
				  bool *dsn_r, const char **error_r);

/* QSEND_ETRN_REQ: a sender thread sends "ETRN node" (RFC 1985) to server "host[:port]" (25
 * when none). 0 with *code_r (PB_OK: *reply_r, xmalloc'd, the server's reply or a 4xx of ours
 * when it could not be reached; REFUSED: server malformed) / -1 no answer. */
int queue_client_etrn(struct pb_sync *t, const char *server, const char *node, uint32_t *code_r,
		      char **reply_r, const char **error_r);

/* The queue's figures, summed over its shards (QUEUE_STATS_REQ). */
struct queue_client_stats {
	uint64_t entries, held, waiting; /* now */
	uint64_t sent, deferred, failed; /* recipients, since the daemon started */
};
/* 0 with *code_r (PB_OK: *st_r filled) / -1 no answer. */
int queue_client_stats(struct pb_sync *t, uint32_t *code_r, struct queue_client_stats *st_r,
		       const char **error_r);
/* The same per shard, asynchronous (a status session asks shard 0, then the others its answer
 * counts: struct pb_client_fanout): QUEUE_STATS_REQ to shard; the answer's figures are ADDED to *st_r and *shards_r
 * set, on PB_OK. */
int queue_client_stats_send(const struct pb_sender *s, uint32_t shard, const char **error_r);
uint32_t queue_client_stats_reply(struct pb_msg *rep, uint32_t *shards_r,
				  struct queue_client_stats *st_r, const char **error_r);

#endif
