/*
 * router-fetch.h: replies to the collectors' too-big notices (collector-notice.h). A recipient
 * collector-fetch+TOKEN at a local domain (the directory accepted it at RCPT only for a token a
 * notice named) is not delivered anywhere: the router hands it to the collector
 * (collector_client_reply) with the sender's account — the account the envelope sender names,
 * only for mail from an authenticated client or a relay network (origin LOCAL); from anyone
 * else, no account, and the collector refuses. The collector marks the message requested and
 * runs. Either way the decision goes to the trace, its line beginning ROUTER_TRACE_CONSUMED
 * (router-client.h), and the recipient leaves the plan.
 * OWNS: nothing. THREAD: the router shard's.
 * MESSAGES: sends COLLECTOR_OP_REQ "reply" (a call with a deadline).
 */
#ifndef ROUTER_FETCH_H
#define ROUTER_FETCH_H

#include "pb-runtime.h"
#include "router-plan.h"

#include <stddef.h>
#include <stdint.h>

/* Takes the replies out of rcpts[0..*n_io) (bare addresses, owned: a taken one is freed) and
 * ids (same count, or NULL), keeping the others in order; *n_io becomes how many are left.
 * sender, origin: the entry's. Trace lines go to *trace_r. 0, or -1 with *error_r when the
 * collector did not answer (the entry is routed again later: asking twice is harmless). */
int router_fetch_take(struct pb_actor *a, const struct router_records *r, const char *sender,
		      uint8_t origin, char **rcpts, uint64_t *ids, size_t *n_io,
		      struct pb_strv *trace_r, const char **error_r);

#endif
