/*
 * sys-actor.h: the node actor — status (uptime, actors, store size, counts) and settings
 * documents.
 * OWNS: nothing durable; the start time. THREAD: its own actor thread.
 * MESSAGES handled: SYS_STATUS_REQ, SYS_SETTING_GET_REQ, SYS_SETTING_PUT_REQ (settings
 * documents, validated as JSON objects; the services reread them within seconds).
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
