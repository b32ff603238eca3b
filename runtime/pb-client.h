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

#endif
