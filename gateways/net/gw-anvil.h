/*
 * gw-anvil.h: per-IP connection accounting for one gateway (the role of Postfix's anvil):
 * how many connections each client address has open, and how many it opened in the current
 * minute. A gateway asks before it takes a connection and tells when one closes.
 *
 * Bounded: at most `max_ips` addresses are tracked; when the table is full of live entries a
 * new address is refused (GW_ANVIL_FULL) rather than growing it. Entries with no connection
 * open and no recent connections are dropped by gw_anvil_sweep.
 * Pure: no sockets, no clock (time is passed in). OWNS: its table. THREAD: one (the hub's).
 */
#ifndef GW_ANVIL_H
#define GW_ANVIL_H

#include <stddef.h>
#include <stdint.h>

#define GW_ANVIL_WINDOW_MS 60000

enum gw_anvil_verdict {
	GW_ANVIL_OK,       /* counted: call gw_anvil_disconnect when it closes */
	GW_ANVIL_TOO_MANY, /* the address has max_conns open already */
	GW_ANVIL_TOO_FAST, /* the address opened max_per_minute in this minute already */
	GW_ANVIL_FULL,     /* the table tracks max_ips live addresses */
};

struct gw_anvil;

struct gw_anvil *gw_anvil_create(size_t max_ips);
void gw_anvil_destroy(struct gw_anvil **a);
/* A connection from ip (text form, at most 63 octets) at now_ms. max_conns / max_per_minute
 * of 0 mean no limit. A refused connection is not counted. */
enum gw_anvil_verdict gw_anvil_connect(struct gw_anvil *a, const char *ip, uint64_t now_ms,
				       uint32_t max_conns, uint32_t max_per_minute);
/* A connection counted by gw_anvil_connect closed. */
void gw_anvil_disconnect(struct gw_anvil *a, const char *ip);
/* Drops addresses with nothing open and no connection in the last window. */
void gw_anvil_sweep(struct gw_anvil *a, uint64_t now_ms);
/* Open connections of ip (0 if untracked), and the number of tracked addresses. */
uint32_t gw_anvil_open(const struct gw_anvil *a, const char *ip);
size_t gw_anvil_count(const struct gw_anvil *a);
const char *gw_anvil_verdict_name(enum gw_anvil_verdict v);

#endif
