/*
 * statushub-actor.h: the status hub (DESIGN.md: one per node) — the activity log of the last
 * 100 items (statushub-log.h), the state it pushes (connection methods, the queue's counts),
 * the registry of logged-in status sessions and the fan-out of events to them, and instant
 * messages between their users. Fed by casts (statushub-client.h) from the scheduler, the
 * queue shards, the lockout guard and the mailbox owners; it never reads the store, and a
 * session's snapshot asks the owners themselves (monitor/status-snapshot.c).
 * OWNS: the log, the registry (at most STATUSHUB_SESSIONS_MAX), the last state it was told
 * (the jobs in progress: at most STATUSHUB_PROGRESS_MAX, each until its final word),
 * the API keys (statushub-apikeys.h) and their record in the store.
 * THREAD: its actor thread.
 * MESSAGES handled: STATUS_ACTIVITY_EVT, STATUS_CONN_EVT, STATUS_QUEUE_EVT, STATUS_PROGRESS_EVT,
 * STATUS_SESSION_REQ, STATUS_SESSION_END_EVT, STATUS_LOG_REQ, STATUS_IM_REQ, and the API keys'
 * STATUS_APIKEY_{ADD,LIST,DEL,CHECK}_REQ (statushub-keys.c); STATUS_INBOX_EVT (a user's
 * INBOX count changed: the mailbox owners) and the reply to its DIR_USER_LIST_REQ.
 * Sends: STATUS_PUSH_EVT to the sessions ("<node>/status#<id>") whose topics ask for it;
 * DIR_USER_LIST_REQ (the inbox counts, coalesced: at most one in flight).
 */
#ifndef STATUSHUB_ACTOR_H
#define STATUSHUB_ACTOR_H

#include "pb-runtime.h"

#define STATUSHUB_SESSIONS_MAX 4096

struct pb_store;

/* What the hub is started with (borrowed: it must outlive the actor). */
struct statushub_args {
	struct pb_store *store; /* the API keys' record; NULL: kept in memory only */
	uint64_t started_ms;    /* the node's start on the runtime clock (for the uptime) */
};

/* arg: a struct statushub_args *, or NULL (no store, started when the hub starts). */
extern const struct pb_actor_def statushub_actor_def;

#endif
