/*
 * router-client.h: the typed client of the router pool (router-actor.h): the spool asks it to
 * resolve an entry's recipients, asynchronously (the reply comes to the spool shard's inbox).
 * OWNS: nothing. THREAD: the sender's.
 */
#ifndef ROUTER_CLIENT_H
#define ROUTER_CLIENT_H

#include "pb-client.h"
#include "pb-runtime.h"

#include <stddef.h>

/* A spool entry to resolve, borrowed: its sender, size, message id and recipients as accepted
 * (with their DSN parameters) and the account ids RCPT found for them (0: none); where it came
 * from (enum pb_origin, the collector of collected mail, NULL none) and its body's key (the
 * router reads its header for the message rules). */
struct router_client_entry {
	const char *sender;
	uint64_t size;
	const char *msgid;
	char *const *rcpts;
	const uint64_t *ids;
	size_t n;
	uint8_t origin;
	const char *collector;
	const char *blob_key;
};
/* A trace line that begins with this is a recipient the router consumed itself (a reply to a
 * collector's too-big notice: router-fetch.h): no delivery is due for it, and a plan of only
 * such recipients is done, not unroutable. */
#define ROUTER_TRACE_CONSUMED "consumed: "

/* ROUTER_RESOLVE_REQ for entry e. key picks the router shard: the spool passes its own shard
 * index, so one spool shard's entries are planned in the order it asks. 0 sent / -1. */
int router_client_resolve_send(const struct pb_sender *tx, uint64_t key,
			       const struct router_client_entry *e, const char **error_r);
/* The reply's status; on PB_OK *rep holds items and trace (msg_router_resolve_rep). */
uint32_t router_client_resolve_reply(const struct pb_msg *rep, const char **error_r);

/* h-fwdext: ROUTER_COPY_INBOX_REQ (router-copyinbox.h): one batch of copying the INBOX of the
 * account `name` from uid_first to its assistants. The shard: the account's name hashed, so
 * one account's batches go to one shard. */
struct router_copy_inbox_done {
	uint32_t copied, skipped, next_uid; /* next_uid 0: done */
};
/* Synchronous (pb-client.h's convention): 0 with *code_r (*out_r set on PB_OK), -1 no answer. */
int router_client_copy_inbox(struct pb_sync *t, const char *name, uint32_t uid_first,
			     uint32_t *code_r, struct router_copy_inbox_done *out_r,
			     const char **error_r);
int router_client_copy_inbox_send(const struct pb_sender *tx, const char *name,
				  uint32_t uid_first, const char **error_r);
/* The reply's status; *out_r set on PB_OK. */
uint32_t router_client_copy_inbox_reply(const struct pb_msg *rep,
					struct router_copy_inbox_done *out_r, const char **error_r);

#endif
