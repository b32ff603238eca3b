/*
 * queue-jobs.h: the outbound queue's side of the connection methods (scheduler-client.h's job
 * protocol), an actor at the bare address "queue" (SCHED_QUEUE_ADDR) in front of the shards
 * "queue.N", which it reaches by their explicit addresses with the queue's own requests:
 *   SCHED_WAITING_REQ: the entries (messages, not recipients) not held, summed over the shards
 *     (QUEUE_STATS_REQ);
 *   SCHED_RUN_REQ kind "send": flushes every shard (QUEUE_OP_REQ "flush": every non-held entry
 *     due now), notes the entries that were waiting, and answers once each has had its attempt
 *     (gone: delivered or bounced; or back off to a later try) — or at deadline_ms with how
 *     many are left; it looks at the shards (QUEUE_LIST_REQ) each QUEUE_JOBS_POLL_MS;
 *   SCHED_HANGUP_EVT: stops waiting and answers "hung up" (the transactions started go on).
 * Takes the store as arg (unused). OWNS: the send runs in progress. THREAD: its actor's.
 */
#ifndef QUEUE_JOBS_H
#define QUEUE_JOBS_H

#include "pb-runtime.h"

#define QUEUE_JOBS_POLL_MS 500

extern const struct pb_actor_def queue_jobs_actor_def;

#endif
