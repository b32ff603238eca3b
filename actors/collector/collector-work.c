/*
 * collector-work.c: the "cwork" actor (see collector-actor.h): runs collections on a small
 * pool of worker threads of its own (collector.max_parallel at once, one run of a collector at
 * a time, the rest queued: collector-pool.h), each blocking on the network with deadlines, so
 * that one IMAP collector syncing in IDLE does not hold up the others. The actor thread only
 * queues: a CWORK_RUN_REQ (answered by the worker when its run ends), and on its tick the
 * collectors whose interval_min has passed since their last run, except those a connection
 * method lists (the scheduler runs them: docs/operations.md). A run stops at a message
 * boundary when cwork_request_stop names it (a hung-up method).
 * OWNS: the pool (process-wide, under pool_mu: "collector" writes stop requests), the worker
 * threads (joined at deinit; runs still waiting then are answered "stopped"). Nothing between
 * runs: the last run is in the store's status record.
 * THREAD: the actor thread queues; each worker runs one collection at a time with its own
 * caller.
 * MESSAGES: handles CWORK_RUN_REQ (CWORK_RUN_REP, sent by the worker); calls DIRECTORY and
 * SPOOL (collector-run.c), MBOX (imap-collect.c: protocol=imap).
 */
#include "collector-actor.h"
#include "collector-jobs.h"
#include "collector-def.h"
#include "collector-pool.h"
#include "collector-run.h"
#include "imap-collect.h"

#include "pb-alloc.h"
#include "pb-log.h"
#include "pb-secret.h"
#include "pb-settings-snapshot.h"
#include "pb-tls.h"
#include "statushub-client.h"
#include "store-collector.h"
#include "store-connections.h"
#include "store-spool.h"

#include <pthread.h>

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define CWORK_TICK_MS 10000
#define CWORK_TIMER_TICK 1
#define CWORK_NET_TIMEOUT_MS 60000

struct cwork {
	struct pb_store *store;
	struct pb_runtime *rt;
	char data_dir[PATH_MAX];
	pthread_t threads[CWORK_POOL_MAX];
	size_t n_threads;
};

/* The pool (one cwork per process): what waits, what is on, and the workers' signal. */
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static struct cwork_pool pool;
static uint32_t pool_limit = 1;
static bool pool_closing;

void cwork_request_stop(const char *name)
{
	pthread_mutex_lock(&pool_mu);
	cwork_pool_stop(&pool, name);
	pthread_mutex_unlock(&pool_mu);
}

static bool stop_wanted(const char *name)
{
	pthread_mutex_lock(&pool_mu);
	bool stop = cwork_pool_stopping(&pool, name);
	pthread_mutex_unlock(&pool_mu);
	return stop;
}

static void *worker_main(void *arg);

static int cw_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct cwork *w = xcalloc(1, sizeof(*w));

	w->store = arg;
	w->rt = pb_actor_runtime(a);
	collector_data_dir(w->store, w->data_dir, sizeof(w->data_dir));
	/* no worker runs yet: every IMAP run's upload left is an orphan (owner 0 with 1 owner
	 * takes the whole base, store-spool.h) */
	const char *error;
	if (pb_store_uploads_clean(w->store, PB_UPLOAD_OWNER_COLLECTOR, 1, NULL, &error) < 0)
		pb_warn("collector", "event=uploads_clean_failed reason=%s", PB_LOGQ(error));
	pthread_mutex_lock(&pool_mu);
	pool_closing = false;
	pthread_mutex_unlock(&pool_mu);
	pb_actor_timer_set(a, CWORK_TIMER_TICK, CWORK_TICK_MS);
	*state_r = w;
	return 0;
}

/* Sends the answer of job (nobody to answer: nothing); rep is freed. */
static void job_answer(struct cwork *w, const struct cwork_job *job, struct pb_msg *rep)
{
	const char *error;

	rep->corr = job->corr;
	if (job->reply_to != NULL && job->reply_to[0] != '\0' &&
	    pb_send(w->rt, job->reply_to, rep, &error) < 0)
		pb_warn("collector", "event=answer_lost collector=%s reason=%s", PB_LOGQ(job->name),
			PB_LOGQ(error));
	pb_msg_free(rep);
}

static void job_answer_status(struct cwork *w, const struct cwork_job *job, uint32_t code,
			      const char *error)
{
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_CORE_STATUS_REP);
	rep.u.core_status_rep.code = code;
	rep.u.core_status_rep.error = xstrdup(error);
	job_answer(w, job, &rep);
}

/* Answers every run still waiting "stopped" (under pool_mu): the daemon ends, and who asked
 * (a CLI call through the bridge, which is stopped before the actors) must not wait. */
static void answer_waiting(struct cwork *w)
{
	struct cwork_job job;

	while (cwork_pool_pop(&pool, &job) == 1) {
		job_answer_status(w, &job, PB_ERR_TEMP, "the daemon is stopping");
		free(job.reply_to);
	}
}

/* Ends the workers (their runs end first; an IMAP IDLE at the runtime's stop) and answers the
 * runs still waiting. */
static void cw_deinit(struct pb_actor *a, void *state)
{
	struct cwork *w = state;

	pthread_mutex_lock(&pool_mu);
	pool_closing = true;
	pthread_cond_broadcast(&pool_cv);
	pthread_mutex_unlock(&pool_mu);
	for (size_t i = 0; i < w->n_threads; i++)
		pthread_join(w->threads[i], NULL);
	pthread_mutex_lock(&pool_mu);
	answer_waiting(w);
	pthread_mutex_unlock(&pool_mu);
	free(w);
}

/* Reads the status record's counter total_fetched and last_ms (0 when none). */
static void status_read(struct cwork *w, const char *name, int64_t *last_ms_r, double *total_r)
{
	char *json = NULL;
	const char *error;

	*last_ms_r = 0;
	*total_r = 0;
	if (pb_store_collector_status_get(w->store, name, &json, &error) != 1)
		return;
	cJSON *o = cJSON_Parse(json);
	free(json);
	const cJSON *l = cJSON_GetObjectItem(o, "last_run_ms");
	const cJSON *t = cJSON_GetObjectItem(o, "total_fetched");
	*last_ms_r = cJSON_IsNumber(l) ? (int64_t)l->valuedouble : 0;
	*total_r = cJSON_IsNumber(t) ? t->valuedouble : 0;
	cJSON_Delete(o);
}

static int count_seen(const struct pb_seen *seen, void *ctx)
{
	(*(double *)ctx)++;
	return 0;
}

/* Writes the status of the run that ended: its counts, the running total, and how many UIDLs
 * the collector remembers now (those still at the server that it downloaded or told of). */
static void status_write(struct cwork *w, const char *name, int64_t at_ms,
			 const struct collector_run_out *out, int rc)
{
	int64_t last;
	double total, seen = 0;
	const char *error;

	status_read(w, name, &last, &total);
	if (pb_store_seen_iter(w->store, name, count_seen, &seen, &error) < 0)
		seen = -1;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "last_run_ms", (double)at_ms);
	cJSON_AddStringToObject(o, "result", rc == 0 ? "ok" : out->error);
	cJSON_AddNumberToObject(o, "fetched", out->fetched);
	cJSON_AddNumberToObject(o, "too_big", out->too_big);
	cJSON_AddNumberToObject(o, "deleted", out->deleted);
	cJSON_AddNumberToObject(o, "waiting", out->waiting);
	cJSON_AddNumberToObject(o, "total_fetched", total + out->fetched);
	cJSON_AddNumberToObject(o, "seen_uidls", seen);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (pb_store_collector_status_put(w->store, name, text, &error) < 0)
		pb_warn("collector", "event=status_failed collector=%s reason=%s", PB_LOGQ(name),
			PB_LOGQ(error));
	cJSON_free(text);
}

/* The run's password in clear (xmalloc'd) and TLS context (NULL without TLS). 0, or -1 with
 * out->error. */
static int run_secrets(struct cwork *w, const struct collector_def *d, char **password_r,
		       struct pb_tls_ctx **tls_r, struct collector_run_out *out)
{
	uint8_t key[PB_SECRET_KEY_LEN];
	const char *error;
	char *tls_error = NULL;

	*password_r = NULL;
	*tls_r = NULL;
	if (pb_secret_key_load(w->data_dir, key, &error) < 0)
		return snprintf(out->error, sizeof(out->error), "%s", error), -1;
	int rc = pb_secret_open(key, d->password != NULL ? d->password : "", password_r);
	explicit_bzero(key, sizeof(key));
	if (rc < 0)
		return snprintf(out->error, sizeof(out->error),
				"the stored password cannot be opened (another secret.key?)"), -1;
	if (d->tls != COLLECTOR_TLS_NONE &&
	    pb_tls_client_ctx_create(d->tls_ca, d->tls_verify, tls_r, &tls_error) < 0) {
		snprintf(out->error, sizeof(out->error), "TLS: %s", tls_error);
		free(tls_error);
		explicit_bzero(*password_r, strlen(*password_r));
		free(*password_r);
		*password_r = NULL;
		return -1;
	}
	return 0;
}

/* The run's last word to the status hub (its progress ends: final). */
static void progress_end(struct cwork *w, struct statushub_progress *p)
{
	if (statushub_client_progress(w->rt, p, true) < 0)
		pb_warn("collector", "event=progress_lost collector=%s connection=%s",
			PB_LOGQ(p->job), PB_LOGQ(p->method));
}

/* Runs collector d for the connection method `method` ("" none), calling others through
 * caller. Returns 0 / -1 with out->error. */
static int run_def(struct cwork *w, struct pb_caller *caller, uint32_t worker,
		   const struct collector_def *d, const struct cwork_job *job,
		   struct collector_run_out *out)
{
	char *password = NULL;
	struct pb_tls_ctx *tls = NULL;
	int64_t wall = (int64_t)pb_clock_wall_ms(), now_ms = job->now_ms;
	struct statushub_progress progress = { .method = job->method, .kind = "collect",
					       .job = d->name };

	memset(out, 0, sizeof(*out));
	if (run_secrets(w, d, &password, &tls, out) < 0) {
		status_write(w, d->name, wall, out, -1);
		return -1;
	}
	struct collector_run_in in = { w->store, caller, d, password, tls,
				       now_ms != 0 ? now_ms : wall, CWORK_NET_TIMEOUT_MS, stop_wanted,
				       w->rt, worker, &progress };
	int rc = d->protocol == COLLECTOR_PROTO_IMAP ? imap_collect_run(&in, out)
						     : collector_run(&in, out);
	progress_end(w, &progress);
	explicit_bzero(password, strlen(password));
	free(password);
	pb_tls_ctx_unref(&tls);
	status_write(w, d->name, wall, out, rc);
	pb_info("collector", "event=run collector=%s result=%s fetched=%u too_big=%u deleted=%u",
		PB_LOGQ(d->name), rc == 0 ? "ok" : PB_LOGQ(out->error), out->fetched,
		out->too_big, out->deleted);
	return rc;
}

/* Loads collector name: 1, 0 none, -1 (error_r). */
static int load_def(struct cwork *w, const char *name, struct collector_def *d,
		    const char **error_r)
{
	char *json = NULL;

	int found = pb_store_collector_get(w->store, name, &json, error_r);
	if (found == 1 && collector_def_from_json(name, json, d, error_r) < 0)
		found = -1;
	free(json);
	return found;
}

/* Runs one job on worker slot and answers it. */
static void job_run(struct cwork *w, struct pb_caller *caller, uint32_t slot,
		    const struct cwork_job *job)
{
	struct collector_def d;
	struct collector_run_out out;
	const char *error;
	struct pb_msg rep;

	int found = load_def(w, job->name, &d, &error);
	if (found <= 0)
		return job_answer_status(w, job, found < 0 ? PB_ERR_TEMP : PB_ERR_NOTFOUND,
					 found < 0 ? error : "no such collector");
	int rc = run_def(w, caller, slot, &d, job, &out);
	collector_def_free(&d);
	if (rc < 0)
		return job_answer_status(w, job, PB_ERR_TEMP, out.error);
	pb_msg_init(&rep, MSG_CWORK_RUN_REP);
	struct msg_cwork_run_rep *r = &rep.u.cwork_run_rep;
	r->error = xstrdup("");
	r->fetched = out.fetched;
	r->too_big = out.too_big;
	r->deleted = out.deleted;
	r->waiting = out.waiting;
	job_answer(w, job, &rep);
}

/* A worker: takes the runs it may (collector-pool.h) until the actor ends. */
static void *worker_main(void *arg)
{
	struct cwork *w = arg;
	struct pb_caller *caller = pb_caller_create(w->rt);
	struct cwork_job job;
	size_t slot;

	pthread_mutex_lock(&pool_mu);
	while (!pool_closing && !pb_runtime_stopping(w->rt)) { /* none begins once stopping */
		if (cwork_pool_take(&pool, pool_limit, &job, &slot) == 0) {
			pthread_cond_wait(&pool_cv, &pool_mu);
			continue;
		}
		pthread_mutex_unlock(&pool_mu);
		job_run(w, caller, (uint32_t)slot, &job);
		free(job.reply_to);
		pthread_mutex_lock(&pool_mu);
		cwork_pool_done(&pool, slot);
		pthread_cond_broadcast(&pool_cv); /* a run of that collector may wait */
	}
	if (pb_runtime_stopping(w->rt))
		answer_waiting(w);
	pthread_mutex_unlock(&pool_mu);
	pb_caller_destroy(&caller);
	return NULL;
}

/* Queues job (1 queued, 0 a tick's run already waiting or on, -1 full) and makes sure enough
 * workers exist for collector.max_parallel. Actor thread. */
static int enqueue(struct cwork *w, struct cwork_job *job)
{
	const struct pb_settings *st = pb_settings_acquire(w->rt);
	uint32_t limit = st->collector.max_parallel;

	pb_settings_release(w->rt, st);
	if (limit > CWORK_POOL_MAX)
		limit = CWORK_POOL_MAX;
	pthread_mutex_lock(&pool_mu);
	pool_limit = limit;
	int rc = cwork_pool_push(&pool, job);
	pthread_cond_broadcast(&pool_cv);
	pthread_mutex_unlock(&pool_mu);
	while (rc == 1 && w->n_threads < limit) {
		int err = pthread_create(&w->threads[w->n_threads], NULL, worker_main, w);
		if (err != 0) { /* the workers there are take it; with none it waits for one */
			pb_warn("collector", "event=worker_not_started reason=%s",
				PB_LOGQ(strerror(err)));
			break;
		}
		w->n_threads++;
	}
	return rc;
}

static int on_run(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct cwork *w = state;
	const struct msg_cwork_run_req *q = &m->u.cwork_run_req;
	const char *name = q->name != NULL ? q->name : "";
	struct cwork_job job = { .now_ms = q->now_ms, .corr = m->corr };
	char *json = NULL;
	const char *error;

	int found = pb_collector_name_valid(name) ? pb_store_collector_get(w->store, name, &json,
									   &error)
						  : (error = "no such collector", 0);
	free(json);
	if (found <= 0)
		return pb_reply_status(a, m, found < 0 ? PB_ERR_TEMP : PB_ERR_NOTFOUND,
				       found < 0 ? error : "no such collector"), 0;
	if (pb_runtime_stopping(w->rt))
		return pb_reply_status(a, m, PB_ERR_TEMP, "the daemon is stopping"), 0;
	snprintf(job.name, sizeof(job.name), "%s", name);
	snprintf(job.method, sizeof(job.method), "%s", q->method != NULL ? q->method : "");
	job.reply_to = xstrdup(m->reply_to != NULL ? m->reply_to : "");
	if (enqueue(w, &job) < 0) {
		free(job.reply_to);
		return pb_reply_status(a, m, PB_ERR_TEMP, "too many collector runs waiting"), 0;
	}
	pb_actor_defer_reply(a);
	return 0;
}

struct due_ctx {
	struct cwork *w;
	int64_t now;
	struct pb_store_conn *methods; /* the connection methods: who lists a collector */
	size_t n_methods;
};

/* Whether a connection method lists collector name (then only the scheduler runs it). */
static bool listed(const struct due_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->n_methods; i++)
		for (size_t k = 0; k < c->methods[i].n_collectors; k++)
			if (strcmp(c->methods[i].collectors[k], name) == 0)
				return true;
	return false;
}

static int due_cb(const char *name, const char *json, void *ctx)
{
	struct due_ctx *c = ctx;
	struct collector_def d;
	const char *error;
	int64_t last;
	double total;

	if (collector_def_from_json(name, json, &d, &error) < 0)
		return 0;
	status_read(c->w, name, &last, &total);
	if (d.enabled && d.interval_min > 0 && c->now - last >= (int64_t)d.interval_min * 60000 &&
	    !listed(c, name)) {
		struct cwork_job job = { .reply_to = NULL };
		snprintf(job.name, sizeof(job.name), "%s", name);
		if (enqueue(c->w, &job) < 0)
			pb_warn("collector", "event=tick_dropped collector=%s reason=%s",
				PB_LOGQ(name), "too many collector runs waiting");
	}
	collector_def_free(&d);
	return 0;
}

static void cw_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	struct cwork *w = state;
	struct due_ctx c = { w, (int64_t)pb_clock_wall_ms(), NULL, 0 };
	const char *error;
	size_t bad;

	if (pb_store_conn_list(w->store, &c.methods, &c.n_methods, &bad, &error) < 0 ||
	    pb_store_collector_iter(w->store, due_cb, &c, &error) < 0)
		pb_warn("collector", "event=tick_failed reason=%s", PB_LOGQ(error));
	pb_store_conn_list_free(c.methods, c.n_methods);
	pb_actor_timer_set(a, CWORK_TIMER_TICK, CWORK_TICK_MS);
}

static const struct pb_handler cwork_handlers[] = {
	{ MSG_CWORK_RUN_REQ, on_run },
};

const struct pb_actor_def cwork_actor_def = {
	.name = "cwork",
	.inbox_size = 64,
	.init = cw_init,
	.deinit = cw_deinit,
	.handlers = cwork_handlers,
	.n_handlers = PB_N_ELEMENTS(cwork_handlers),
	.on_timer = cw_timer,
};
