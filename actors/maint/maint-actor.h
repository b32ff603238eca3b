/*
 * maint-actor.h: the maintenance actor — the store's periodic upkeep, on a thread of its own
 * because it scans (DESIGN.md rule 4): the mail of accounts that no longer exist (purged
 * through their mailbox owner), accounts left without a mailbox (created through their
 * mailbox owner; the account ids come from the directory), blob garbage collection (bodies no
 * message, spool or queue entry references any more) and pruning of old delivery dedupe
 * records; once a day (the server's local day; and at every MAINT_RUN_REQ) the daily job: the
 * autoresponder's memory pruned (pb_store_replied_prune, bounded per run) and each user's
 * quota reminder asked of its owner (MBOX_QUOTA_REMIND_REQ: the owner keeps the day, so at
 * most one a day).
 * Right at start it reconciles accounts and mailboxes once (sweep and repair only: an account
 * made by an earlier version without mail has no mailbox record until then).
 * Settings (from the snapshot, taken each round): maintenance.interval_s (the first round runs
 * one minute after start), maintenance.dedupe_keep_days (a spool entry is never replayed that
 * late).
 * OWNS: nothing durable; its timer. THREAD: its actor thread.
 * MESSAGES handled: MAINT_RUN_REQ (runs a round and the daily job now: `pillarbox maint run`,
 * tests) besides its timer. Sends: DIR_USER_IDS_REQ, MBOX_PURGE_REQ, MBOX_CREATE_REQ,
 * MBOX_QUOTA_REMIND_REQ (blocking calls: nothing
 * waits on maint).
 */
#ifndef MAINT_ACTOR_H
#define MAINT_ACTOR_H

#include "pb-runtime.h"

struct pb_store;

extern const struct pb_actor_def maint_actor_def; /* arg: the store (borrowed) */

#endif
