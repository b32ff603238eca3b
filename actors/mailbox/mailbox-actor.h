/*
 * mailbox-actor.h: mailbox owners — one logical actor per user, hosted on a fixed set of shard
 * threads ("mailbox.0" .. "mailbox.N-1"; a user always on shard user_id % N), so each user has
 * exactly one writer.
 * OWNS: every user's folders, messages, flags, UIDs and counters in the store (all writes to a
 * user's mail go through its owner), and the watcher lists.
 * THREAD: each shard's own actor thread.
 * MESSAGES handled: MBOX_{APPEND,LIST,FLAGS,EXPUNGE,PURGE,WATCH,LOCK}_REQ. Sends MBOX_CHANGED_EVT
 * to watchers after each change.
 */
#ifndef MAILBOX_ACTOR_H
#define MAILBOX_ACTOR_H

#include "pb-runtime.h"

struct pb_store;

/* What changed, in MBOX_CHANGED_EVT.what */
enum mailbox_change { MAILBOX_APPENDED = 1, MAILBOX_FLAGS = 2, MAILBOX_EXPUNGED = 3 };

/* Starts n shards on rt over store (borrowed; must outlive them) and declares the shard
 * routing. Returns 0, or -1 with error_r. */
int mailbox_actors_start(struct pb_runtime *rt, struct pb_store *store, uint32_t n,
			 const char **error_r);

#endif
