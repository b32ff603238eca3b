/*
 * collector-jobs.h: the "collector" actor's side of the connection methods (scheduler-client.h's
 * job protocol): SCHED_RUN_REQ kind "collect" runs the named collector on "cwork" and is
 * answered when that run ends; a request for a collector whose scheduled run is already on
 * joins it and gets that run's result (no second run); SCHED_HANGUP_EVT asks the run of each
 * collector only that method waits for to stop at the next message boundary
 * (cwork_request_stop), answered "hung up".
 * OWNS: struct collector_jobs (the runs in progress and who waits for them).
 * THREAD: the "collector" actor's.
 */
#ifndef COLLECTOR_JOBS_H
#define COLLECTOR_JOBS_H

#include "pb-runtime.h"
#include "store-db.h"

struct collector_jobs;

struct collector_jobs *collector_jobs_create(void);
/* Answers every waiter "stopped" (the actor restarts or ends) and frees *j; sets it NULL. */
void collector_jobs_free(struct pb_actor *a, struct collector_jobs **j);
/* The handlers (the actor's state passes j and its store). */
int collector_jobs_on_run(struct pb_actor *a, struct collector_jobs *j, struct pb_store *store,
			  struct pb_msg *m);
int collector_jobs_on_done(struct pb_actor *a, struct collector_jobs *j, struct pb_msg *m);
int collector_jobs_on_hangup(struct pb_actor *a, struct collector_jobs *j, struct pb_msg *m);

/* collector-work.c: asks cwork's run of collector name, if one is on or comes next, to stop
 * at the next message boundary (a message is spooled whole or not begun). Any thread. */
void cwork_request_stop(const char *name);

#endif
