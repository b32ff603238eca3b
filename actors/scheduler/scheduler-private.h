/*
 * scheduler-private.h: what scheduler-actor.c (admin messages, timer) and scheduler-run.c
 * (a method's run: its jobs and their answers) share. Nobody else includes it.
 * OWNS: the types. THREAD: the scheduler's actor thread.
 */
#ifndef SCHEDULER_PRIVATE_H
#define SCHEDULER_PRIVATE_H

#include "scheduler-actor.h"
#include "store-connections.h"

#include <stdbool.h>

#define SCHED_METHODS_MAX 64
#define SCHED_JOBS_MAX (PB_STORE_CONN_COLLECTORS_MAX + 1)
#define SCHED_CORR_WAITING 0xff /* the job index of the queue's count in a corr */

/* A run in progress: its jobs (collectors, then the sending) and what it has learnt. */
struct sched_run {
	bool on;
	bool asking; /* waiting for the queue's count first */
	uint64_t id; /* corr = id << 8 | job index */
	uint32_t min_waiting;
	uint64_t deadline_ms; /* runtime clock */
	bool done[SCHED_JOBS_MAX];
	size_t n_jobs, left;
	char failure[256]; /* the first failure of this run, "" none */
};

struct sched_method {
	struct pb_store_conn rec; /* the durable record: schedule and last outcome */
	int64_t last_tick_ms;     /* wall: the last run or check, what the next is counted from */
	int64_t next_due_ms;      /* wall; SCHED_NEVER when paused or no rule can run */
	size_t due_rule;          /* the rule that gives next_due_ms */
	struct sched_run run;
};

struct sched {
	struct sched_actor_args *args;
	struct sched_method *m[SCHED_METHODS_MAX];
	size_t n;
	uint64_t next_run_id;
};

/* Wall-clock now (args->wall) and the runtime's clock. */
int64_t sched_wall_now(struct sched *s);
uint64_t sched_mono_now(struct pb_actor *a);
/* Recomputes m->next_due_ms from its rules, its last tick and now. */
void sched_method_plan(struct sched *s, struct sched_method *m);
/* Writes m->rec to the store; a failure is logged (the state in memory goes on). */
void sched_method_store(struct sched *s, struct sched_method *m);

/* scheduler-run.c: starts a run of m now (forced: "connect now", no minimum checked). */
void sched_run_start(struct pb_actor *a, struct sched *s, struct sched_method *m, bool forced);
/* Ends m's run with result ("ok", "failed", "skipped", "hung up") and failure text (NULL or
 * "": none), records and stores it. */
void sched_run_end(struct pb_actor *a, struct sched *s, struct sched_method *m, const char *result,
		   const char *failure);
/* Ends runs past their deadline (timeouts recorded as failures). */
void sched_run_expire(struct pb_actor *a, struct sched *s);
/* Hangs up m's run: tells the job actors and ends it "hung up". */
void sched_run_hangup(struct pb_actor *a, struct sched *s, struct sched_method *m);
/* The handler of every answer to the scheduler's job requests. */
int sched_on_answer(struct pb_actor *a, void *state, struct pb_msg *m);

#endif
