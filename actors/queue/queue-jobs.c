/*
 * queue-jobs.c: the "queue" actor of the connection methods (see queue-jobs.h).
 * OWNS: struct qjobs (the send runs in progress, each with how many attempts it waits for).
 * THREAD: its actor thread.
 * MESSAGES: handles SCHED_WAITING_REQ, SCHED_RUN_REQ (deferred SCHED_RUN_REP),
 * SCHED_HANGUP_EVT, SCHED_RESUME_EVT, QUEUE_ATTEMPT_EVT (from the shards); calls
 * QUEUE_STATS_REQ and QUEUE_OP_REQ "flush", "pause", "resume" on every shard through
 * queue-client.h (local, short); casts STATUS_PROGRESS_EVT (each run's messages tried of
 * those flushed, coalesced, the last one always) to the status hub.
 *
 * Why notices rather than looking: a run's flush marks each entry it makes due with the run's
 * id, and the shard that owns the entry tells this actor when that entry's attempt is over, so
 * a run ends the moment its last attempt does, and nobody lists the whole queue to find out.
 * The deadline covers a notice that never comes (a shard restarted meanwhile).
 */
#include "queue-jobs.h"
#include "queue-client.h"

#include "pb-alloc.h"
#include "pb-log.h"
#include "scheduler-client.h"
#include "statushub-client.h"

#include <stdio.h>
#include <string.h>

#define QJOBS_CALL_MS 10000
#define QJOBS_TIMER 1

struct qrun {
	struct scheduler_job_waiter w;
	uint64_t run;         /* its id, in the shards' notices */
	uint64_t flushed;     /* the entries its flush made due */
	uint64_t left;        /* of them, not yet tried */
	uint64_t deadline_ms; /* the runtime's clock */
	struct statushub_progress progress; /* done of total messages tried (method: w's) */
};

struct qjobs {
	struct qrun **v;
	size_t n;
	uint64_t next_run; /* seeded from the wall clock: a restarted actor takes no old notice */
};

static int qj_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct qjobs *j = xcalloc(1, sizeof(*j));

	j->next_run = pb_clock_wall_ms() << 16;
	*state_r = j;
	return 0;
}

/* Tells the status hub how far run r is (coalesced; final: it ended). */
static void run_progress(struct pb_actor *a, struct qrun *r, bool final)
{
	r->progress.method = r->w.method;
	r->progress.kind = "send";
	r->progress.job = "queue";
	r->progress.total = r->flushed;
	r->progress.done = r->flushed - r->left;
	if (statushub_client_progress(pb_actor_runtime(a), &r->progress, final) < 0)
		pb_warn("queue", "event=progress_lost connection=%s", PB_LOGQ(r->w.method));
}

static void run_end(struct pb_actor *a, struct qjobs *j, size_t at, uint32_t code,
		    const char *error, const char *summary)
{
	struct qrun *r = j->v[at];

	run_progress(a, r, true);
	scheduler_job_answer(a, &r->w, code, error, summary);
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

static int on_waiting(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct pb_sync t;
	struct queue_client_stats st;
	const char *error = "";
	uint32_t code = PB_ERR_TEMP;
	struct pb_msg rep;

	pb_sync_init_caller(&t, pb_actor_caller(a), QJOBS_CALL_MS);
	if (queue_client_stats(&t, &code, &st, &error) < 0)
		code = PB_ERR_TEMP;
	scheduler_job_waiting_answer(&rep, code, code == PB_OK ? "" : error,
				     code == PB_OK ? st.entries - st.held : 0);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* Ends run at when it has nothing left to wait for, or at its deadline. true if it ended. */
static bool run_check(struct pb_actor *a, struct qjobs *j, size_t at, uint64_t now)
{
	struct qrun *r = j->v[at];
	char text[96];

	if (r->left == 0) {
		snprintf(text, sizeof(text), "%llu messages tried", (unsigned long long)r->flushed);
		run_end(a, j, at, PB_OK, "", text);
		return true;
	}
	if (now < r->deadline_ms)
		return false;
	snprintf(text, sizeof(text), "%llu of %llu messages not tried by the deadline",
		 (unsigned long long)r->left, (unsigned long long)r->flushed);
	run_end(a, j, at, PB_ERR_TEMP, text, "");
	return true;
}

/* The timer at the nearest deadline of the runs left. */
static void timer_rearm(struct pb_actor *a, struct qjobs *j)
{
	uint64_t now = pb_runtime_now_ms(pb_actor_runtime(a)), first = UINT64_MAX;

	for (size_t at = 0; at < j->n; at++)
		if (j->v[at]->deadline_ms < first)
			first = j->v[at]->deadline_ms;
	if (first != UINT64_MAX)
		pb_actor_timer_set(a, QJOBS_TIMER, first > now ? (uint32_t)(first - now) : 0);
}

static void run_refuse(struct pb_actor *a, struct pb_msg *m, uint32_t code, const char *error)
{
	struct pb_msg rep;

	scheduler_job_run_answer(&rep, code, error, "");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
}

static int on_run(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct qjobs *j = state;
	const struct msg_sched_run_req *q = &m->u.sched_run_req;
	const char *error = "";
	uint32_t code = PB_ERR_TEMP;
	struct pb_sync t;

	if (q->kind == NULL || strcmp(q->kind, SCHED_JOB_SEND) != 0)
		return run_refuse(a, m, PB_ERR_REFUSED, "the queue runs send jobs only"), 0;
	struct qrun *r = xcalloc(1, sizeof(*r));
	r->run = ++j->next_run;
	r->deadline_ms = pb_runtime_now_ms(pb_actor_runtime(a)) + q->deadline_ms;
	pb_sync_init_caller(&t, pb_actor_caller(a), QJOBS_CALL_MS);
	if (queue_client_pause(&t, false, &code, &error) < 0 || code != PB_OK ||
	    queue_client_flush(&t, r->run, &code, &r->flushed, &error) < 0 || code != PB_OK) {
		free(r);
		return run_refuse(a, m, PB_ERR_TEMP, error), 0;
	}
	r->left = r->flushed;
	pb_info("queue", "event=send_job connection=%s entries=%llu", PB_LOGQ(q->method),
		(unsigned long long)r->flushed);
	scheduler_job_keep(a, m, &r->w);
	j->v = xrealloc(j->v, sizeof(*j->v) * (j->n + 1));
	j->v[j->n++] = r;
	run_progress(a, r, false);
	if (!run_check(a, j, j->n - 1, pb_runtime_now_ms(pb_actor_runtime(a))))
		timer_rearm(a, j);
	return 0;
}

/* A flushed entry's attempt is over (the notices of other runs, or late ones, are dropped). */
static int on_attempt(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct qjobs *j = state;

	for (size_t at = 0; at < j->n; at++) {
		struct qrun *r = j->v[at];
		if (r->run != m->u.queue_attempt_evt.run || r->left == 0)
			continue;
		r->left--;
		if (!run_check(a, j, at, pb_runtime_now_ms(pb_actor_runtime(a))))
			run_progress(a, r, false);
		break;
	}
	return 0;
}

/* Every shard's sending held (a sending method hung up) or let go (resumed). */
static void hold(struct pb_actor *a, bool paused, const char *method)
{
	struct pb_sync t;
	uint32_t code = PB_ERR_TEMP;
	const char *error = "";

	pb_sync_init_caller(&t, pb_actor_caller(a), QJOBS_CALL_MS);
	if (queue_client_pause(&t, paused, &code, &error) < 0 || code != PB_OK)
		pb_warn("queue", "event=%s_failed connection=%s reason=%s",
			paused ? "hold" : "resume", PB_LOGQ(method), PB_LOGQ(error));
	else
		pb_info("queue", "event=sending_%s connection=%s", paused ? "held" : "resumed",
			PB_LOGQ(method));
}

static int on_hangup(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct qjobs *j = state;
	const char *method = m->u.sched_hangup_evt.method != NULL ? m->u.sched_hangup_evt.method
								   : "";

	for (size_t at = j->n; at-- > 0;)
		if (strcmp(j->v[at]->w.method, method) == 0)
			run_end(a, j, at, PB_ERR_TEMP, "hung up", "");
	hold(a, true, method);
	return 0;
}

static int on_resume(struct pb_actor *a, void *state, struct pb_msg *m)
{
	hold(a, false, m->u.sched_resume_evt.method != NULL ? m->u.sched_resume_evt.method : "");
	return 0;
}

static void qj_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	struct qjobs *j = state;

	for (size_t at = j->n; at-- > 0;)
		(void)run_check(a, j, at, now);
	timer_rearm(a, j);
}

static const struct pb_handler qjobs_handlers[] = {
	{ MSG_SCHED_WAITING_REQ, on_waiting },
	{ MSG_SCHED_RUN_REQ, on_run },
	{ MSG_SCHED_HANGUP_EVT, on_hangup },
	{ MSG_QUEUE_ATTEMPT_EVT, on_attempt },
	{ MSG_SCHED_RESUME_EVT, on_resume },
};

const struct pb_actor_def queue_jobs_actor_def = {
	.name = "queue",
	.inbox_size = 4096,
	.init = qj_init,
	.deinit = qj_deinit,
	.handlers = qjobs_handlers,
	.n_handlers = PB_N_ELEMENTS(qjobs_handlers),
	.on_timer = qj_timer,
};
