/*
 * collector-client.h: the mail collectors' typed client (the CLI, the scheduler, the router's
 * replies to too-big notices): definitions
 * and their status through the "collector" actor, runs through "cwork". Synchronous over a
 * struct pb_sync: each returns 0 with *code_r (a pb_status; the reason in *error_r, valid
 * until the next call on t), or -1 when no answer came (error_r).
 * OWNS: nothing. THREAD: the caller's.
 */
#ifndef COLLECTOR_CLIENT_H
#define COLLECTOR_CLIENT_H

#include "pb-client.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* op "add", "set" (args: "key=value", see collector-def.h), "del", "fetch" (args[0]: UIDL);
 * "reply" through collector_client_reply. */
int collector_client_op(struct pb_sync *t, const char *op, const char *name,
			const char *const *args, size_t nargs, uint32_t *code_r,
			const char **error_r);
/* The collectors (name "" or NULL: all) as JSON objects, one per item (caller clears). */
int collector_client_list(struct pb_sync *t, const char *name, uint32_t *code_r,
			  struct pb_strv *items_r, const char **error_r);

struct collector_client_result {
	uint32_t fetched, too_big, deleted, waiting;
};
/* Runs collector name now (now_ms: the time the run takes as now, 0 the clock's) and waits
 * for its end. */
int collector_client_run(struct pb_sync *t, const char *name, int64_t now_ms, uint32_t *code_r,
			 struct collector_client_result *out_r, const char **error_r);
/* The same, one-way: the reply goes to tx (a scheduler), decoded with collector_client_run_reply.
 * method: the connection method the run is for (named in its progress events; "" none). */
int collector_client_run_send(const struct pb_sender *tx, const char *name, int64_t now_ms,
			      const char *method, const char **error_r);
uint32_t collector_client_run_reply(const struct pb_msg *rep, struct collector_client_result *out_r,
				    const char **error_r);

/* The reply to a too-big notice (collector-notice.h) goes to COLLECTOR_FETCH_PREFIX + token at
 * a local domain. Whether local (a local part, any case) is such an address: true with the
 * token, lowercased, in token_r (size COLLECTOR_FETCH_TOKEN_SIZE); the token is only checked
 * for its form here (pb_store_fetch_token_get says whether it exists). */
#define COLLECTOR_FETCH_PREFIX "collector-fetch+"
#define COLLECTOR_FETCH_TOKEN_SIZE 33
bool collector_fetch_address(const char *local, char *token_r);
/* "reply" (COLLECTOR_OP_REQ): user_id (the account the reply came from, 0 none) asks for the
 * message the notice naming token was about. PB_OK: marked requested and a run asked for;
 * NOTFOUND: no such token, or nothing waits under it any more; REFUSED: the notice did not go
 * to user_id. */
int collector_client_reply(struct pb_sync *t, const char *token, uint64_t user_id,
			   uint32_t *code_r, const char **error_r);

#endif
