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

/* ROUTER_RESOLVE_REQ for a spool entry: its sender, size, message id and recipients as accepted
 * (with their DSN parameters) and the account ids RCPT found for them (0: none). key picks the
 * router shard: the spool passes its own shard index, so one spool shard's entries are planned
 * in the order it asks. origin: how the message reached us (enum router_origin, the values of
 * SPOOL_ORIGIN_* of spool-client.h). 0 sent / -1. */
int router_client_resolve_send(const struct pb_sender *tx, uint64_t key, const char *sender,
			       uint64_t size, const char *msgid, uint8_t origin, char *const *rcpts,
			       const uint64_t *ids, size_t n, const char **error_r);
/* The reply's status; on PB_OK *rep holds items and trace (msg_router_resolve_rep). */
uint32_t router_client_resolve_reply(const struct pb_msg *rep, const char **error_r);

#endif
