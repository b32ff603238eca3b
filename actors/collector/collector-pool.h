/*
 * collector-pool.h: the bookkeeping of cwork's worker pool (collector-work.c) — the runs
 * waiting, in the order asked, and the runs on, one per worker slot. Pure: no threads, no nng,
 * no clock (the caller holds the pool's mutex around every call).
 *
 * The rules it keeps: at most `limit` runs at once (collector.max_parallel); never two runs of
 * one collector at once (a run of a collector already on waits, the others pass it: one slow
 * IMAP sync does not hold up the rest); a run asked by the tick (no one to answer) is not
 * queued while one of that collector waits or is on; a stop request (a hung-up connection
 * method) reaches the run on, else the next one waiting.
 * OWNS: the jobs queued and taken (their strings). THREAD: any, under the caller's lock.
 */
#ifndef COLLECTOR_POOL_H
#define COLLECTOR_POOL_H

#include "store-collector.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CWORK_POOL_MAX 32   /* workers at most (collector.max_parallel's bound) */
#define CWORK_QUEUE_MAX 128 /* runs waiting at most */

#define CWORK_METHOD_MAX 64 /* a connection method's name (PB_STORE_CONN_NAME_MAX) */

/* One run asked for. reply_to "" : nobody to answer (the tick). */
struct cwork_job {
	char name[PB_COLLECTOR_NAME_MAX + 1];
	char method[CWORK_METHOD_MAX + 1]; /* the connection method that asked ("" none) */
	int64_t now_ms;   /* the run's "now" (0: the wall clock) */
	uint64_t corr;    /* of the request to answer */
	char *reply_to;   /* owned; "" none */
	bool stop;        /* asked to stop before it began */
};

struct cwork_slot {
	bool busy;
	char name[PB_COLLECTOR_NAME_MAX + 1];
	bool stop;
};

struct cwork_pool {
	struct cwork_job q[CWORK_QUEUE_MAX];
	size_t n;
	struct cwork_slot slots[CWORK_POOL_MAX];
};

/* Queues a run (the job's reply_to is taken over, NULL meaning ""). 1 queued; 0 a tick's run
 * dropped (that collector waits or is on already: reply_to freed); -1 the queue is full
 * (nothing taken: the caller answers and frees). */
int cwork_pool_push(struct cwork_pool *p, struct cwork_job *job);
/* Takes the first waiting run whose collector is not on, when fewer than limit are on: 1 with
 * *job_r (the caller owns job_r->reply_to) and its slot in *slot_r, 0 none to take now. */
int cwork_pool_take(struct cwork_pool *p, uint32_t limit, struct cwork_job *job_r,
		    size_t *slot_r);
/* The run in slot ended. */
void cwork_pool_done(struct cwork_pool *p, size_t slot);
/* Asks the run of name on (else the next one waiting) to stop. */
void cwork_pool_stop(struct cwork_pool *p, const char *name);
/* Whether the run of name on is asked to stop. */
bool cwork_pool_stopping(const struct cwork_pool *p, const char *name);
/* How many runs are on. */
size_t cwork_pool_running(const struct cwork_pool *p);
/* Removes the first waiting run into *job_r (for answering them at the end): 1, 0 none. */
int cwork_pool_pop(struct cwork_pool *p, struct cwork_job *job_r);

#endif
