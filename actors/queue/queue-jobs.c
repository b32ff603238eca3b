/*
 * queue-jobs.c: the "queue" actor of the connection methods (see queue-jobs.h).
 * OWNS: struct qjobs (the send runs in progress, each with the entries it waits for).
 * THREAD: its actor thread.
 * MESSAGES: handles SCHED_WAITING_REQ, SCHED_RUN_REQ (deferred SCHED_RUN_REP),
 * SCHED_HANGUP_EVT; calls QUEUE_STATS_REQ, QUEUE_OP_REQ, QUEUE_LIST_REQ on "queue.N" (local,
 * short).
 */
#include "queue-jobs.h"

#include "pb-alloc.h"
#include "pb-log.h"
#include "scheduler-client.h"

#include <stdio.h>
#include <string.h>

#define QJOBS_CALL_MS 10000
#define QJOBS_TIMER 1
#define QJOBS_SHARD_TICK_MS 1000 /* a shard's retry of an entry it could not start yet */

struct qrun {
	struct scheduler_job_waiter w;
	uint64_t *ids; /* the entries waiting at the flush */
	size_t n_ids;
	uint64_t deadline_ms; /* the runtime's clock */
};

struct qjobs {
	struct qrun **v;
	size_t n;
};

static int qj_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	*state_r = xcalloc(1, sizeof(struct qjobs));
	return 0;
}

static void run_end(struct pb_actor *a, struct qjobs *j, size_t at, uint32_t code,
		    const char *error, const char *summary)
{
	struct qrun *r = j->v[at];

	scheduler_job_answer(a, &r->w, code, error, summary);
	free(r->ids);
	free(r);
	j->v[at] = j->v[--j->n];
}

static void qj_deinit(struct pb_actor *a, void *state)
{
	struct qjobs *j = state;

	while (j->n > 0)
		run_end(a, j, j->n - 1, PB_ERR_TEMP, "the queue's job actor stopped", "");
	free(j->v);
	free(j);
}

/* One call to shard k (req freed). 0 with *rep_r (caller frees) / -1 with error_r. */
static int shard_call(struct pb_actor *a, uint32_t k, struct pb_msg *req, struct pb_msg *rep_r,
		      const char **error_r)
{
	char to[32];

	snprintf(to, sizeof(to), "queue.%u", k);
	int rc = pb_call(pb_actor_caller(a), to, req, rep_r, QJOBS_CALL_MS, error_r);
	pb_msg_free(req);
	if (rc == 0 && pb_msg_status(rep_r, error_r) != PB_OK) {
		pb_msg_free(rep_r);
		return -1;
	}
	return rc;
}

/* Entries not held over every shard, into *waiting_r. 0 / -1 (error_r). */
static int count_waiting(struct pb_actor *a, uint64_t *waiting_r, const char **error_r)
{
	uint32_t shards = 1;

	*waiting_r = 0;
	for (uint32_t k = 0; k < shards; k++) {
		struct pb_msg req, rep;
		pb_msg_init(&req, MSG_QUEUE_STATS_REQ);
		if (shard_call(a, k, &req, &rep, error_r) < 0)
			return -1;
		shards = rep.u.queue_stats_rep.shards;
		*waiting_r += rep.u.queue_stats_rep.entries - rep.u.queue_stats_rep.held;
		pb_msg_free(&rep);
	}
	return 0;
}

static int on_waiting(struct pb_actor *a, void *state, struct pb_msg *m)
{
	uint64_t waiting;
	const char *error = "";
	struct pb_msg rep;

	int rc = count_waiting(a, &waiting, &error);
	scheduler_job_waiting_answer(&rep, rc < 0 ? PB_ERR_TEMP : PB_OK, rc < 0 ? error : "",
				     rc < 0 ? 0 : waiting);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* The entries of every shard (QUEUE_LIST_REQ id 0), appended to *l; the number of shards in
 * *shards_r. 0 / -1. */
static int list_all(struct pb_actor *a, struct pb_rec_queue_entry_list *l, uint32_t *shards_r,
		    const char **error_r)
{
	uint32_t shards = 1;

	for (uint32_t k = 0; k < shards; k++) {
		struct pb_msg req, rep;
		pb_msg_init(&req, MSG_QUEUE_LIST_REQ);
		if (shard_call(a, k, &req, &rep, error_r) < 0)
			return -1;
		shards = rep.u.queue_list_rep.shards;
		struct pb_rec_queue_entry_list *got = &rep.u.queue_list_rep.entries;
		for (uint32_t i = 0; i < got->n; i++) {
			*pb_rec_queue_entry_push(l) = got->v[i];
			memset(&got->v[i], 0, sizeof(got->v[i]));
		}
		pb_msg_free(&rep);
	}
	*shards_r = shards;
	return 0;
}

/* Flushes every shard and notes the entries not held into r. 0 / -1. */
static int flush_all(struct pb_actor *a, struct qrun *r, const char **error_r)
{
	struct pb_rec_queue_entry_list l = { 0 };
	uint32_t shards;

	if (list_all(a, &l, &shards, error_r) < 0)
		return pb_rec_queue_entry_list_clear(&l), -1;
	r->ids = xcalloc(l.n > 0 ? l.n : 1, sizeof(*r->ids));
	for (uint32_t i = 0; i < l.n; i++)
		if (!l.v[i].held)
			r->ids[r->n_ids++] = l.v[i].id;
	pb_rec_queue_entry_list_clear(&l);
	for (uint32_t k = 0; k < shards; k++) {
		struct pb_msg req, rep;
		pb_msg_init(&req, MSG_QUEUE_OP_REQ);
		req.u.queue_op_req.op = xstrdup("flush");
		if (shard_call(a, k, &req, &rep, error_r) < 0)
			return -1;
		pb_msg_free(&rep);
	}
	return 0;
}

/* Whether entry id has had its attempt since the flush: gone (delivered or bounced), or
 * neither in flight nor held back for a moment but due later (a try made, a back-off). */
static bool attempted(const struct pb_rec_queue_entry_list *l, uint64_t id, int64_t now)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (l->v[i].id == id)
			return l->v[i].held || l->v[i].next_ms > now + QJOBS_SHARD_TICK_MS;
	return true;
}

/* Looks at run r: answers it when every entry it waits for has had its attempt, or at its
 * deadline. true if it ended. */
static bool run_check(struct pb_actor *a, struct qjobs *j, size_t at,
		      const struct pb_rec_queue_entry_list *l, int64_t wall, uint64_t now)
{
	struct qrun *r = j->v[at];
	size_t left = 0;
	char text[96];

	for (size_t i = 0; i < r->n_ids; i++)
		left += !attempted(l, r->ids[i], wall);
	if (left == 0) {
		snprintf(text, sizeof(text), "%zu messages tried", r->n_ids);
		run_end(a, j, at, PB_OK, "", text);
		return true;
	}
	if (now < r->deadline_ms)
		return false;
	snprintf(text, sizeof(text), "%zu of %zu messages not tried by the deadline", left,
		 r->n_ids);
	run_end(a, j, at, PB_ERR_TEMP, text, "");
	return true;
}

/* Looks at every run; the timer again while some are left. */
static void check_all(struct pb_actor *a, struct qjobs *j)
{
	struct pb_rec_queue_entry_list l = { 0 };
	uint32_t shards;
	const char *error;

	if (j->n == 0)
		return;
	if (list_all(a, &l, &shards, &error) < 0)
		pb_warn("queue", "event=jobs_list_failed reason=%s", PB_LOGQ(error));
	else
		for (size_t at = j->n; at-- > 0;)
			(void)run_check(a, j, at, &l, (int64_t)pb_clock_wall_ms(),
					pb_runtime_now_ms(pb_actor_runtime(a)));
	pb_rec_queue_entry_list_clear(&l);
	if (j->n > 0)
		pb_actor_timer_set(a, QJOBS_TIMER, QUEUE_JOBS_POLL_MS);
}

static int on_run(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct qjobs *j = state;
	const struct msg_sched_run_req *q = &m->u.sched_run_req;
	const char *error;
	struct pb_msg rep;

	struct qrun *r = xcalloc(1, sizeof(*r));
	r->deadline_ms = pb_runtime_now_ms(pb_actor_runtime(a)) + q->deadline_ms;
	if (q->kind == NULL || strcmp(q->kind, SCHED_JOB_SEND) != 0 || flush_all(a, r, &error) < 0) {
		scheduler_job_run_answer(&rep, q->kind != NULL && strcmp(q->kind, SCHED_JOB_SEND) == 0
							? PB_ERR_TEMP : PB_ERR_REFUSED,
					 q->kind != NULL && strcmp(q->kind, SCHED_JOB_SEND) == 0
						 ? error : "the queue runs send jobs only", "");
		pb_reply(a, m, &rep);
		pb_msg_free(&rep);
		free(r->ids);
		free(r);
		return 0;
	}
	pb_info("queue", "event=send_job connection=%s entries=%zu", PB_LOGQ(q->method),
		r->n_ids);
	scheduler_job_keep(a, m, &r->w);
	j->v = xrealloc(j->v, sizeof(*j->v) * (j->n + 1));
	j->v[j->n++] = r;
	check_all(a, j);
	return 0;
}

static int on_hangup(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct qjobs *j = state;
	const char *method = m->u.sched_hangup_evt.method != NULL ? m->u.sched_hangup_evt.method
								   : "";

	for (size_t at = j->n; at-- > 0;)
		if (strcmp(j->v[at]->w.method, method) == 0)
			run_end(a, j, at, PB_ERR_TEMP, "hung up", "");
	return 0;
}

static void qj_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	check_all(a, state);
}

static const struct pb_handler qjobs_handlers[] = {
	{ MSG_SCHED_WAITING_REQ, on_waiting },
	{ MSG_SCHED_RUN_REQ, on_run },
	{ MSG_SCHED_HANGUP_EVT, on_hangup },
};

const struct pb_actor_def queue_jobs_actor_def = {
	.name = "queue",
	.inbox_size = 256,
	.init = qj_init,
	.deinit = qj_deinit,
	.handlers = qjobs_handlers,
	.n_handlers = PB_N_ELEMENTS(qjobs_handlers),
	.on_timer = qj_timer,
};
