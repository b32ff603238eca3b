/*
 * queue-jobs.h: the outbound queue's side of the connection methods (scheduler-client.h's job
 * protocol), an actor at the bare address "queue" (SCHED_QUEUE_ADDR) in front of the shards
 * "queue.N", which it reaches through queue-client.h (every shard: pb_client_broadcast):
 *   SCHED_WAITING_REQ: the entries (messages, not recipients) not held, summed over the shards
 *     (QUEUE_STATS_REQ);
 *   SCHED_RUN_REQ kind "send": flushes every shard for the run (queue_client_flush: every
 *     non-held entry due now, marked with the run's id), and answers once each entry flushed
 *     has had its attempt — told by its shard with QUEUE_ATTEMPT_EVT (queue_client_attempt_done)
 *     — or at deadline_ms with how many are left;
 *   SCHED_HANGUP_EVT (a method that sends hung up): stops waiting, answers "hung up" (the
 *     transactions started go on), and holds every shard's sending (queue_client_pause): no
 *     new attempt until a send run (a connect, scheduled or "connection now") or
 *     SCHED_RESUME_EVT (the method resumed) lets it go. Not durable: a restart sends.
 * Takes the store as arg (unused). OWNS: the send runs in progress. THREAD: its actor's.
 */
#ifndef QUEUE_JOBS_H
#define QUEUE_JOBS_H

#include "pb-runtime.h"

extern const struct pb_actor_def queue_jobs_actor_def;

#endif
