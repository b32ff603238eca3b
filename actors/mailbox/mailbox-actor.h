/*
 * mailbox-actor.h: mailbox owners — one logical actor per user, hosted on a fixed set of shard
 * threads ("mailbox.0" .. "mailbox.N-1"; a user always on shard user_id % N), so each user has
 * exactly one writer.
 * OWNS: every user's mailbox record, folders, messages, flags, UIDs and counters in the store
 * (all writes to a user's mail go through its owner; library pb_store_mail), and the watcher
 * lists. It reads no account: a user has a mailbox from the directory's MBOX_CREATE_REQ to the
 * purge, and appends for an id without one are refused NOTFOUND.
 * THREAD: each shard's own actor thread.
 * MESSAGES handled: MBOX_{APPEND,LIST,FLAGS,EXPUNGE,PURGE,WATCH,LOCK,CREATE,STAT}_REQ. Sends
 * MBOX_CHANGED_EVT to watchers after each change.
 */
#ifndef MAILBOX_ACTOR_H
#define MAILBOX_ACTOR_H

#include "pb-runtime.h"

struct pb_store;

/* What changed, in MBOX_CHANGED_EVT.what */
enum mailbox_change { MAILBOX_APPENDED = 1, MAILBOX_FLAGS = 2, MAILBOX_EXPUNGED = 3 };

/* The shards' definition: pb_runtime_start_shards(rt, &mailbox_actor_def, n, store, ...) starts
 * "mailbox.0".."mailbox.N-1" over store (borrowed; must outlive them) and declares the routing. */
extern const struct pb_actor_def mailbox_actor_def;

#endif
