/*
 * collector-actor.c: the "collector" actor (see collector-actor.h): definitions and status.
 * OWNS: no definition in memory (each is read from and written to the store at once); the
 * methods' runs in progress (struct collector_jobs).
 * THREAD: its actor thread.
 * MESSAGES: handles COLLECTOR_OP_REQ (CORE_STATUS_REP; "reply" also sends CWORK_RUN_REQ),
 * COLLECTOR_LIST_REQ (COLLECTOR_LIST_REP); the connection methods' jobs (collector-jobs.c):
 * SCHED_RUN_REQ, SCHED_HANGUP_EVT, and cwork's answers to the runs they start.
 */
#include "collector-actor.h"
#include "collector-client.h"
#include "collector-def.h"
#include "collector-fetch.h"
#include "collector-jobs.h"

#include "pb-alloc.h"
#include "pb-log.h"
#include "pb-secret.h"
#include "store-collector.h"
#include "store-history-as.h"

#include <cjson/cJSON.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct collector_state {
	struct pb_store *store;
	char data_dir[PATH_MAX];
	struct collector_jobs *jobs;
};

void collector_data_dir(struct pb_store *store, char *buf, size_t size)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", pb_store_dir(store));
	snprintf(buf, size, "%s", dirname(dir));
}

static int co_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct collector_state *s = xcalloc(1, sizeof(*s));

	s->store = arg;
	collector_data_dir(s->store, s->data_dir, sizeof(s->data_dir));
	s->jobs = collector_jobs_create();
	*state_r = s;
	return 0;
}

static void co_deinit(struct pb_actor *a, void *state)
{
	struct collector_state *s = state;

	collector_jobs_free(a, &s->jobs);
	free(s);
}

/* Applies the request's settings, checks, seals a new password and stores d. Answers m. */
static void apply_and_store(struct pb_actor *a, struct collector_state *s, struct pb_msg *m,
			    struct collector_def *d)
{
	const struct pb_strv *args = &m->u.collector_op_req.args;
	const char *error;
	uint8_t key[PB_SECRET_KEY_LEN];

	for (uint32_t i = 0; i < args->n; i++)
		if (collector_def_set(d, args->v[i], &error) < 0)
			return (void)pb_reply_status(a, m, PB_ERR_REFUSED, error);
	if (collector_def_check(d, &error) < 0)
		return (void)pb_reply_status(a, m, PB_ERR_REFUSED, error);
	if (d->password != NULL && !pb_secret_is_sealed(d->password)) {
		if (pb_secret_key_load(s->data_dir, key, &error) < 0)
			return (void)pb_reply_status(a, m, PB_ERR_INTERNAL, error);
		char *sealed = pb_secret_seal(key, d->password);
		explicit_bzero(key, sizeof(key));
		explicit_bzero(d->password, strlen(d->password));
		free(d->password);
		d->password = sealed;
	}
	char *json = collector_def_to_json(d, true);
	int rc = pb_store_collector_put(s->store, d->name, json, &error);
	free(json);
	if (rc < 0)
		return (void)pb_reply_status(a, m, PB_ERR_TEMP, error);
	pb_info("collector", "event=%s collector=%s", m->u.collector_op_req.op, PB_LOGQ(d->name));
	pb_reply_status(a, m, PB_OK, "");
}

/* Loads the definition of name into d: 1, or 0 / -1 having answered m. */
static int load(struct pb_actor *a, struct collector_state *s, struct pb_msg *m, const char *name,
		struct collector_def *d)
{
	char *json;
	const char *error;

	int found = pb_store_collector_get(s->store, name, &json, &error);
	if (found <= 0) {
		pb_reply_status(a, m, found < 0 ? PB_ERR_TEMP : PB_ERR_NOTFOUND,
				found < 0 ? error : "no such collector");
		return found;
	}
	int rc = collector_def_from_json(name, json, d, &error);
	free(json);
	if (rc < 0) {
		pb_reply_status(a, m, PB_ERR_INTERNAL, error);
		return -1;
	}
	return 1;
}

/* "fetch": marks a UIDL told too big as requested (the next run downloads it). */
static void op_fetch(struct pb_actor *a, struct collector_state *s, struct pb_msg *m)
{
	const struct msg_collector_op_req *q = &m->u.collector_op_req;
	const char *error = "";

	uint32_t code = collector_fetch_mark(s->store, q->name, q->args.n > 0 ? q->args.v[0] : "",
					     &error);
	pb_reply_status(a, m, code, code == PB_OK ? "" : error);
}

/* "reply" (args: token, the sender's user id): a reply to a too-big notice marks its UIDL
 * requested, then asks cwork for a run of the collector now (its answer, matching no job,
 * is dropped by collector_jobs_on_done: corr 0). */
static void op_reply(struct pb_actor *a, struct collector_state *s, struct pb_msg *m)
{
	const struct msg_collector_op_req *q = &m->u.collector_op_req;
	char name[PB_COLLECTOR_NAME_MAX + 1] = "";
	const char *error = "";
	struct pb_sender tx = pb_actor_sender(a, 0);

	if (q->args.n != 2)
		return (void)pb_reply_status(a, m, PB_ERR_REFUSED, "reply: token and user id");
	uint64_t user_id = strtoull(q->args.v[1], NULL, 10);
	uint32_t code = collector_fetch_by_token(s->store, q->args.v[0], user_id, name, &error);
	pb_info("collector", "event=fetch_reply collector=%s user_id=%llu result=%s reason=%s",
		PB_LOGQ(name), (unsigned long long)user_id, pb_status_name(code),
		PB_LOGQ(code == PB_OK ? "" : error));
	if (code == PB_OK && collector_client_run_send(&tx, name, 0, "", &error) < 0)
		pb_warn("collector", "event=run_not_asked collector=%s reason=%s", PB_LOGQ(name),
			PB_LOGQ(error)); /* marked: the next run fetches it */
	pb_reply_status(a, m, code, code == PB_OK ? "" : error);
}

static int op_handle(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct collector_state *s = state;
	const struct msg_collector_op_req *q = &m->u.collector_op_req;
	const char *name = q->name != NULL ? q->name : "", *op = q->op != NULL ? q->op : "";
	struct collector_def d;
	const char *error;

	if (strcmp(op, "reply") == 0) /* named by its token, not by the collector */
		return op_reply(a, s, m), 0;
	if (!pb_collector_name_valid(name))
		return pb_reply_status(a, m, PB_ERR_REFUSED,
				       "a collector name is 1-64 letters, digits, '.', '_', '-'"), 0;
	if (strcmp(op, "fetch") == 0)
		return op_fetch(a, s, m), 0;
	if (strcmp(op, "del") == 0) {
		int rc = pb_store_collector_del(s->store, name, &error);
		return pb_reply_status(a, m, rc < 0 ? PB_ERR_TEMP : rc == 0 ? PB_ERR_NOTFOUND : PB_OK,
				       rc < 0 ? error : rc == 0 ? "no such collector" : ""), 0;
	}
	if (strcmp(op, "add") == 0) {
		char *json = NULL;
		int found = pb_store_collector_get(s->store, name, &json, &error);
		free(json);
		if (found != 0)
			return pb_reply_status(a, m, found < 0 ? PB_ERR_TEMP : PB_ERR_EXISTS,
					       found < 0 ? error : "the collector exists"), 0;
		collector_def_init(&d, name);
	} else if (strcmp(op, "set") != 0) {
		return pb_reply_status(a, m, PB_ERR_REFUSED, "unknown operation"), 0;
	} else if (load(a, s, m, name, &d) <= 0) {
		return 0;
	}
	apply_and_store(a, s, m, &d);
	collector_def_free(&d);
	return 0;
}

/* One list item: the settings without the password, "status" (the last run) and, for IMAP,
 * "progress" (its folders: imap-collect.h). */
static char *list_item(struct collector_state *s, const char *name, const char *json)
{
	struct collector_def d;
	const char *error;
	char *status = NULL;

	if (collector_def_from_json(name, json, &d, &error) < 0)
		collector_def_init(&d, name);
	char *text = collector_def_to_json(&d, false);
	collector_def_free(&d);
	cJSON *o = cJSON_Parse(text);
	free(text);
	cJSON_AddStringToObject(o, "name", name);
	if (pb_store_collector_status_get(s->store, name, &status, &error) == 1)
		cJSON_AddItemToObject(o, "status", cJSON_Parse(status));
	free(status);
	status = NULL; /* an IMAP collector's folders and their progress */
	if (pb_store_collector_progress_get(s->store, name, &status, &error) == 1)
		cJSON_AddItemToObject(o, "progress", cJSON_Parse(status));
	free(status);
	char *out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *copy = xstrdup(out);
	cJSON_free(out);
	return copy;
}

struct list_ctx {
	struct collector_state *s;
	struct pb_strv *items;
	const char *only;
};

static int list_cb(const char *name, const char *json, void *ctx)
{
	struct list_ctx *c = ctx;

	if (c->only[0] != '\0' && strcmp(c->only, name) != 0)
		return 0;
	char *item = list_item(c->s, name, json);
	pb_strv_push(c->items, item);
	free(item);
	return 0;
}

static int on_list(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct collector_state *s = state;
	const char *name = m->u.collector_list_req.name != NULL ? m->u.collector_list_req.name : "";
	const char *error;
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_COLLECTOR_LIST_REP);
	struct list_ctx c = { s, &rep.u.collector_list_rep.items, name };
	if (pb_store_collector_iter(s->store, list_cb, &c, &error) < 0) {
		pb_msg_free(&rep);
		return pb_reply_status(a, m, PB_ERR_TEMP, error), 0;
	}
	if (name[0] != '\0' && rep.u.collector_list_rep.items.n == 0) {
		pb_msg_free(&rep);
		return pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such collector"), 0;
	}
	rep.u.collector_list_rep.error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int on_job_run(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct collector_state *s = state;
	return collector_jobs_on_run(a, s->jobs, s->store, m);
}

static int on_job_done(struct pb_actor *a, void *state, struct pb_msg *m)
{
	return collector_jobs_on_done(a, ((struct collector_state *)state)->jobs, m);
}

static int on_job_hangup(struct pb_actor *a, void *state, struct pb_msg *m)
{
	return collector_jobs_on_hangup(a, ((struct collector_state *)state)->jobs, m);
}

/* COLLECTOR_OP_REQ, its changes recorded in the history as by who asked (store-db.h). */
static int on_op(struct pb_actor *a, void *state, struct pb_msg *m)
{
	return pb_store_history_as(a, state, m, m->u.collector_op_req.by, op_handle);
}

static const struct pb_handler collector_handlers[] = {
	{ MSG_COLLECTOR_OP_REQ, on_op },
	{ MSG_COLLECTOR_LIST_REQ, on_list },
	{ MSG_SCHED_RUN_REQ, on_job_run },
	{ MSG_SCHED_HANGUP_EVT, on_job_hangup },
	{ MSG_CWORK_RUN_REP, on_job_done },
	{ MSG_CORE_STATUS_REP, on_job_done },
};

const struct pb_actor_def collector_actor_def = {
	.name = "collector",
	.inbox_size = 256,
	.init = co_init,
	.deinit = co_deinit,
	.handlers = collector_handlers,
	.n_handlers = PB_N_ELEMENTS(collector_handlers),
};
