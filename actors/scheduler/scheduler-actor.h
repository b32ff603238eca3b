/*
 * scheduler-actor.h: the scheduler, one per node (DESIGN.md): connection methods — a named
 * schedule (rules: sched-calc.h) that runs a set of mail collectors and, if asked, the sending
 * of queued mail — with pause/resume, "connect now" and hang-up, and each method's last run
 * (start, end, result, last failure) and next due time.
 * Durable: the methods and their last outcomes (library pb_store_connections; a store family,
 * not the settings schema, because methods are a list of named records the administrator adds
 * and deletes, each with runtime state written after every run). At the first start on a data
 * directory without methods it adds "default": every 10 minutes, always, sending on.
 * A run: (a rule with a minimum of waiting messages first asks the queue SCHED_WAITING_REQ)
 * then SCHED_RUN_REQ to "collector" for each collector and to "queue" for the sending; each
 * answer is recorded; a job not answered within connections.job_timeout_s fails the run (its
 * late answer is dropped), a target nobody serves fails it at once ("no such service"). A
 * method never runs twice at once: a due time or "now" while it runs is refused or skipped.
 * Clocks: "now" for schedules is the wall clock of args->wall (injectable: tests move it);
 * deadlines and the wake-up timer run on the runtime's clock (injectable too); the timer is
 * re-armed at most a minute ahead, so a wall clock that jumps is noticed within a minute.
 * OWNS: struct sched (the methods, their runs). THREAD: its actor thread.
 * MESSAGES handled: SCHED_ADD_REQ, SCHED_DEL_REQ, SCHED_LIST_REQ, SCHED_CONTROL_REQ, and the
 * answers SCHED_RUN_REP, SCHED_WAITING_REP, CORE_STATUS_REP. Sends: SCHED_RUN_REQ,
 * SCHED_WAITING_REQ, SCHED_HANGUP_EVT (to "collector", and to "queue" for a method that sends),
 * SCHED_RESUME_EVT (to "queue": a sending method resumed).
 */
#ifndef SCHEDULER_ACTOR_H
#define SCHEDULER_ACTOR_H

#include "pb-runtime.h"

struct pb_store;

struct sched_actor_args {
	struct pb_store *store; /* borrowed */
	struct pb_clock wall;   /* wall-clock ms since the epoch; now_ms NULL: the real one */
};

extern const struct pb_actor_def scheduler_actor_def; /* arg: struct sched_actor_args */

/* The addresses of the job actors. */
#define SCHED_COLLECTOR_ADDR "collector"
#define SCHED_QUEUE_ADDR "queue"

#endif
