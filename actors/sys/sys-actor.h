/*
 * sys-actor.h: the node actor — answers status requests (uptime, actors, store size, counts).
 * OWNS: nothing durable; the start time. THREAD: its own actor thread.
 * MESSAGES handled: SYS_STATUS_REQ.
 */
#ifndef SYS_ACTOR_H
#define SYS_ACTOR_H

#include "pb-runtime.h"

struct pb_store;

struct sys_actor_args {
	struct pb_store *store; /* borrowed */
	uint64_t started_ms;    /* monotonic */
	const char *version;
};

extern const struct pb_actor_def sys_actor_def;

#endif
