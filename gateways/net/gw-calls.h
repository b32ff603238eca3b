/*
 * gw-calls.h: a gateway's table of pending calls — every request a session sent and still
 * waits for, keyed by its own correlation id.
 *
 * Why: a reply must answer the request that asked for it. Keying replies by session (as the
 * first hub did) hands a reply that arrives after its request timed out to the session's next
 * request: a recipient check answered for the wrong address, a body read for the wrong
 * message. Here each request gets a fresh correlation id; a reply whose id is not in the table
 * (late, duplicated, unknown) is dropped and counted, and a call whose deadline passed is
 * removed before its continuation hears "timed out".
 *
 * Pure: no sockets, no nng, no clock (time is passed in). Bounded: at most `max` calls; a
 * full table refuses new calls (the session answers with a temporary error).
 * OWNS: its entries. THREAD: one (the hub's).
 */
#ifndef GW_CALLS_H
#define GW_CALLS_H

#include <stddef.h>
#include <stdint.h>

struct pb_msg;

/* A continuation: rep is the reply (owned by the caller of the continuation; fields may be
 * stolen), or NULL when the call timed out. arg is what the caller gave gw_calls_add. */
typedef void gw_cont_fn(void *session, uint64_t arg, struct pb_msg *rep);

struct gw_call {
	uint64_t corr;
	uint64_t session_id;
	uint64_t deadline_ms;
	gw_cont_fn *cont;
	uint64_t arg;
};

struct gw_calls;

/* Creates a table for at most max pending calls (max >= 1). */
struct gw_calls *gw_calls_create(size_t max);
void gw_calls_destroy(struct gw_calls **t);

/* Records a call and returns its correlation id (never 0, never reused by this table), or 0
 * when the table is full (nothing recorded). */
uint64_t gw_calls_add(struct gw_calls *t, uint64_t session_id, uint64_t deadline_ms,
		      gw_cont_fn *cont, uint64_t arg);
/* Removes the call with this correlation id into *call_r: 1, or 0 when there is none (a
 * stray reply: counted). */
int gw_calls_take(struct gw_calls *t, uint64_t corr, struct gw_call *call_r);
/* Removes up to max calls whose deadline is <= now into out; returns how many. Call again
 * while it returns max. */
size_t gw_calls_take_expired(struct gw_calls *t, uint64_t now, struct gw_call *out, size_t max);

size_t gw_calls_count(const struct gw_calls *t);
/* Replies that matched no pending call since the table was made. */
uint64_t gw_calls_strays(const struct gw_calls *t);

#endif
