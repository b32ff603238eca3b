/*
 * collector-jobs.c: the collectors' jobs for the connection methods (see collector-jobs.h).
 * OWNS: struct collector_jobs. THREAD: the "collector" actor's.
 * MESSAGES: handles SCHED_RUN_REQ (SCHED_RUN_REP, deferred), SCHED_HANGUP_EVT, and the
 * answers of cwork (CWORK_RUN_REP, CORE_STATUS_REP); sends CWORK_RUN_REQ.
 */
#include "collector-jobs.h"

#include "collector-client.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "scheduler-client.h"
#include "store-collector.h"

#include <stdio.h>
#include <string.h>

#define JOBS_WAITERS_MAX 16

/* One run of a collector on cwork that methods wait for. */
struct cjob {
	uint64_t id; /* the corr of its CWORK_RUN_REQ */
	char *name;
	bool stopping;
	struct scheduler_job_waiter w[JOBS_WAITERS_MAX];
	size_t n_w;
};

struct collector_jobs {
	struct cjob **v;
	size_t n;
	uint64_t next_id;
};

struct collector_jobs *collector_jobs_create(void)
{
	return xcalloc(1, sizeof(struct collector_jobs));
}

/* Answers every waiter of v[at] and removes it. */
static void job_end(struct pb_actor *a, struct collector_jobs *j, size_t at, uint32_t code,
		    const char *error, const char *summary)
{
	struct cjob *c = j->v[at];

	for (size_t i = 0; i < c->n_w; i++)
		scheduler_job_answer(a, &c->w[i], code, error, summary);
	free(c->name);
	free(c);
	j->v[at] = j->v[--j->n];
}

void collector_jobs_free(struct pb_actor *a, struct collector_jobs **j)
{
	if (*j == NULL)
		return;
	while ((*j)->n > 0)
		job_end(a, *j, (*j)->n - 1, PB_ERR_TEMP, "the collector actor stopped", "");
	free((*j)->v);
	free(*j);
	*j = NULL;
}

static struct cjob *job_named(struct collector_jobs *j, const char *name)
{
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->v[i]->name, name) == 0)
			return j->v[i];
	return NULL;
}

/* Starts a run of collector name on cwork: the job, or NULL with error_r. */
static struct cjob *job_start(struct pb_actor *a, struct collector_jobs *j, const char *name,
			      const char *method, const char **error_r)
{
	uint64_t id = ++j->next_id;
	struct pb_sender tx = pb_actor_sender(a, id);

	if (collector_client_run_send(&tx, name, 0, method, error_r) < 0)
		return NULL;
	struct cjob *c = xcalloc(1, sizeof(*c));
	c->id = id;
	c->name = xstrdup(name);
	j->v = xrealloc(j->v, sizeof(*j->v) * (j->n + 1));
	j->v[j->n++] = c;
	return c;
}

/* Whether q asks for a collector that exists: PB_OK, or the code with error_r. */
static uint32_t job_check(struct pb_store *store, const struct msg_sched_run_req *q,
			  const char **error_r)
{
	const char *name = q->job != NULL ? q->job : "";
	char *json = NULL;

	if (q->kind == NULL || strcmp(q->kind, SCHED_JOB_COLLECT) != 0)
		return *error_r = "the collector actor runs collect jobs only", PB_ERR_REFUSED;
	if (!pb_collector_name_valid(name))
		return *error_r = "not a collector name", PB_ERR_REFUSED;
	int found = pb_store_collector_get(store, name, &json, error_r);
	free(json);
	if (found == 0)
		*error_r = "no such collector";
	return found < 0 ? PB_ERR_TEMP : found == 0 ? PB_ERR_NOTFOUND : PB_OK;
}

int collector_jobs_on_run(struct pb_actor *a, struct collector_jobs *j, struct pb_store *store,
			  struct pb_msg *m)
{
	const struct msg_sched_run_req *q = &m->u.sched_run_req;
	const char *error;
	struct pb_msg rep;
	struct cjob *c = NULL;

	uint32_t code = job_check(store, q, &error);
	if (code == PB_OK && (c = job_named(j, q->job)) == NULL &&
	    (c = job_start(a, j, q->job, q->method, &error)) == NULL)
		code = PB_ERR_TEMP;
	if (c != NULL && c->n_w == JOBS_WAITERS_MAX) {
		code = PB_ERR_TEMP;
		error = "too many methods wait for this collector";
	}
	if (code != PB_OK) {
		scheduler_job_run_answer(&rep, code, error, "");
		pb_reply(a, m, &rep);
		pb_msg_free(&rep);
		return 0;
	}
	scheduler_job_keep(a, m, &c->w[c->n_w++]);
	return 0;
}

int collector_jobs_on_done(struct pb_actor *a, struct collector_jobs *j, struct pb_msg *m)
{
	struct collector_client_result r = { 0 };
	const char *error;
	char summary[128];

	for (size_t i = 0; i < j->n; i++) {
		if (j->v[i]->id != m->corr)
			continue;
		uint32_t code = collector_client_run_reply(m, &r, &error);
		snprintf(summary, sizeof(summary), "%u fetched, %u too big, %u deleted", r.fetched,
			 r.too_big, r.deleted);
		job_end(a, j, i, code, code == PB_OK ? "" : error, code == PB_OK ? summary : "");
		return 0;
	}
	return 0; /* a run the CLI asked for, or one whose waiters went: nothing to answer */
}

/* Drops method's waiter of c; true if nobody else waits for c then. */
static bool drop_waiter(struct pb_actor *a, struct cjob *c, const char *method)
{
	for (size_t i = 0; i < c->n_w; i++) {
		if (strcmp(c->w[i].method, method) != 0)
			continue;
		scheduler_job_answer(a, &c->w[i], PB_ERR_TEMP, "hung up", "");
		c->w[i] = c->w[--c->n_w];
		return c->n_w == 0;
	}
	return false;
}

int collector_jobs_on_hangup(struct pb_actor *a, struct collector_jobs *j, struct pb_msg *m)
{
	const char *method = m->u.sched_hangup_evt.method != NULL ? m->u.sched_hangup_evt.method
								   : "";

	for (size_t i = 0; i < j->n; i++) {
		struct cjob *c = j->v[i];
		if (!drop_waiter(a, c, method) || c->stopping)
			continue;
		c->stopping = true; /* its answer still comes, and ends the job */
		cwork_request_stop(c->name);
		pb_info("collector", "event=hangup collector=%s connection=%s", PB_LOGQ(c->name),
			PB_LOGQ(method));
	}
	return 0;
}
