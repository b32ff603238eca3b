/*
 * statushub-client.h: the status hub's typed client stub — what the actors that feed the
 * activity log and the state pushed to status sessions cast (one-way, never waiting: the hub
 * absent or its inbox full loses one item, never blocks the caller), and what the status
 * sessions (monitor/) ask. Conventions: pb-client.h.
 * THREAD: the caller's (the casts: any).
 */
#ifndef STATUSHUB_CLIENT_H
#define STATUSHUB_CLIENT_H

#include "pb-client.h"

#include <stdbool.h>

/* The hub's address. */
#define STATUSHUB_NAME "statushub"

/* An activity log item now (wall clock), printf-style. 0 sent / -1 not (ignorable). */
int statushub_client_activity(struct pb_runtime *rt, const char *fmt, ...) PB_PRINTF(2, 3);

/* A connection method's state (the scheduler's record fields; times wall-clock ms). */
struct statushub_conn {
	const char *method;
	bool running;
	uint32_t jobs_left;
	const char *last_result;
	int64_t last_end_ms, next_due_ms;
};
int statushub_client_conn(struct pb_runtime *rt, const struct statushub_conn *c);

/* A queue shard's counts (entries, held of them, sending: its transactions in flight). */
int statushub_client_queue(struct pb_runtime *rt, uint32_t shard, uint32_t shards,
			   uint64_t entries, uint64_t held, uint64_t sending);

/* A job's progress (STATUS_PROGRESS_EVT), coalesced on the sender's side: the caller keeps
 * one of these per job (zeroed, then method/kind/job set: borrowed, and the figures updated
 * before each call). */
#define STATUSHUB_PROGRESS_MS 250   /* one update per this on average per job... */
#define STATUSHUB_PROGRESS_BURST 4  /* ...and at most this many at once (a token bucket) */
#define STATUSHUB_PROGRESS_FINAL_TRIES 50
struct statushub_progress {
	const char *method, *kind, *job;
	uint64_t done, total, bytes;
	uint64_t last_ms;   /* the monotonic clock at the last call (0: none yet) */
	uint64_t credit_ms; /* the bucket: an update costs STATUSHUB_PROGRESS_MS of it */
};
/* Tells the hub p's figures while the job's bucket allows (STATUSHUB_PROGRESS_BURST at once,
 * then one per STATUSHUB_PROGRESS_MS: the ones between are dropped, and so is one the hub's
 * full inbox cannot take — never queued, never blocking), and always when final (the job
 * ended: tried again, up to STATUSHUB_PROGRESS_FINAL_TRIES times a millisecond apart, while
 * the hub's inbox is full). 1 sent, 0 coalesced or dropped, -1 the final one lost. Any
 * thread. */
int statushub_client_progress(struct pb_runtime *rt, struct statushub_progress *p, bool final);
/* Adds p's fields (method, kind, job, done, total, bytes) to the JSON object o (a cJSON *):
 * the hub's "progress" event and the snapshot's jobs in progress say them alike. */
void statushub_progress_json(void *o, const struct pb_rec_status_progress *p);

/* A user's INBOX count changed (the mailbox owners, after each change of it). */
int statushub_client_inbox(struct pb_runtime *rt, uint64_t user_id, uint64_t messages);

/* ---- for status sessions ---- */
/* Registers (or updates) session addr of user: topics (borrowed), receive_im. */
int statushub_client_session_send(const struct pb_sender *s, const char *addr, const char *user,
				  bool receive_im, const struct pb_strv *topics,
				  const char **error_r);
uint32_t statushub_client_session_reply(struct pb_msg *rep, const char **error_r);
/* The session ended (one-way through s). */
int statushub_client_session_end(const struct pb_sender *s, const char *addr,
				 const char **error_r);

/* The hub's figures: the activity log and the jobs in progress (moved out of rep, the caller
 * clears both), uptime, logged-in sessions and the queue's transactions in flight. */
struct statushub_figures {
	struct pb_rec_status_item_list items;
	struct pb_rec_status_progress_list progress;
	uint64_t uptime_ms;
	uint32_t sessions;
	uint64_t sending;
};
int statushub_client_log_send(const struct pb_sender *s, const char **error_r);
uint32_t statushub_client_log_reply(struct pb_msg *rep, struct statushub_figures *f_r,
				    const char **error_r);

/* An instant message from user `from` to user `to`. The reply: NOTFOUND when no session of
 * `to` may receive it. */
int statushub_client_im_send(const struct pb_sender *s, const char *from, const char *to,
			     const char *text, const char **error_r);
uint32_t statushub_client_im_reply(struct pb_msg *rep, const char **error_r);

/* ---- API keys (statushub-apikeys.h) ---- */
/* Makes a key: *key_r (the caller frees it) shown once. */
int statushub_client_apikey_add(struct pb_sync *t, const char *label, const char *permissions,
				uint32_t *code_r, char **key_r, const char **error_r);
/* Every key's label, permissions and times into *keys_r (the caller clears it). */
int statushub_client_apikey_list(struct pb_sync *t, uint32_t *code_r,
				 struct pb_rec_status_apikey_list *keys_r, const char **error_r);
int statushub_client_apikey_del(struct pb_sync *t, const char *label, uint32_t *code_r,
				const char **error_r);
/* A login's check: PB_OK with *label_r and *perms_r (moved out of rep, the caller frees them);
 * PB_ERR_AUTH for no such key. */
int statushub_client_apikey_check_send(const struct pb_sender *s, const char *key,
				       const char **error_r);
uint32_t statushub_client_apikey_check_reply(struct pb_msg *rep, char **label_r, char **perms_r,
					     const char **error_r);

/* The event the hub pushes to one session (what a session's event() reads). */
int statushub_client_push(struct pb_runtime *rt, const char *addr, const char *topic,
			  const char *json, const char **error_r);

#endif
