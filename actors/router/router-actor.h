/*
 * router-actor.h: the router pool. Shards "router.N" (a request goes to the shard of its key,
 * the spool id) resolve a spool entry's recipients into a plan (ROUTER_RESOLVE_REQ): each
 * reads the directory's routing records through its client (DIR_ROUTES_REQ, fetched again only
 * when the directory's generation moved) — never the store — and runs router_plan_resolve.
 * Owns nothing durable: a resolution lost in a crash is asked again by the spool.
 * OWNS: each shard its copy of the routing snapshot. THREAD: each shard's own.
 * With spam.enabled, each entry is first scored by rspamd (router-spam.h): its body read through
 * the reader and streamed to rspamd's socket, bounded by spam.timeout_ms.
 * MESSAGES: handles ROUTER_RESOLVE_REQ; calls DIR_ROUTES_REQ and READER_READ_REQ
 * (synchronously, bounded).
 */
#ifndef ROUTER_ACTOR_H
#define ROUTER_ACTOR_H

#include "pb-runtime.h"

extern const struct pb_actor_def router_actor_def;

#define ROUTER_SHARDS 2
/* How long a shard waits for the directory's snapshot. */
#define ROUTER_DIRECTORY_MS 10000

#endif
