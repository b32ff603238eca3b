/*
 * maint-actor.h: the maintenance actor — the store's periodic upkeep, on a thread of its own
 * because it scans (DESIGN.md rule 4): the mail of accounts that no longer exist (purged
 * through their mailbox owner), blob garbage collection (bodies no message, spool or queue
 * entry references any more) and pruning of old delivery dedupe records.
 * Settings (from the snapshot, taken each round): maintenance.interval_s (the first round runs
 * one minute after start), maintenance.dedupe_keep_days (a spool entry is never replayed that
 * late).
 * OWNS: nothing durable; its timer. THREAD: its actor thread.
 * MESSAGES handled: MAINT_RUN_REQ (runs a round now, for tests and the CLI later) besides its
 * timer. Sends: MBOX_PURGE_REQ.
 */
#ifndef MAINT_ACTOR_H
#define MAINT_ACTOR_H

#include "pb-runtime.h"

struct pb_store;

extern const struct pb_actor_def maint_actor_def; /* arg: the store (borrowed) */

#endif
