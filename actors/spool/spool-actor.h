/*
 * spool-actor.h: the incoming spool — shards "spool.0" .. "spool.N-1" that store each message
 * accepted by SMTP in one synced write (after which SMTP answers 250), then deliver it to every
 * local recipient's INBOX through the mailbox owners, exactly once: each append carries the
 * dedupe key "spool:ID:INDEX", so a replay after a crash or a lost reply writes nothing twice,
 * and the spool entry is removed only when every recipient's append is acknowledged.
 * On start (and on a supervisor restart) a shard resumes every entry left in the store.
 * OWNS: the spool entries of its shard (id % N) and their in-flight deliveries.
 * THREAD: each shard's actor thread.
 * MESSAGES handled: SPOOL_PUT_REQ (a whole message) and SPOOL_BEGIN/CHUNK/COMMIT/ABORT_REQ (the
 * chunked upload), both in spool-upload.c;
 * SPOOL_ROOM_REQ; MBOX_APPEND_REP and CORE_STATUS_REP (replies to its own
 * MBOX_APPEND_REQ). Sends MBOX_APPEND_REQ, and SYS_SPOOL_STATS_EVT to sys once a second when
 * its figures changed (entries waiting, deliveries done / deferred / failed since it started).
 * Every line about an entry carries its msgid (the id SMTP told the client).
 */
#ifndef SPOOL_ACTOR_H
#define SPOOL_ACTOR_H

#include "pb-runtime.h"

struct pb_store;

/* The shards' definition (arg: the store, borrowed), for the daemon's actor table. */
extern const struct pb_actor_def spool_actor_def;
/* Starts n spool shards over store (borrowed) and declares their routing. 0 / -1. */
int spool_actors_start(struct pb_runtime *rt, struct pb_store *store, uint32_t n,
		       const char **error_r);

#endif
