/*
 * sys-actor.c: SYS_STATUS_REQ and the settings documents (see sys-actor.h).
 * OWNS struct sys: the settings in effect (the last snapshot it published), the status
 * requests waiting for the directory's counts, and the gateways' and spool shards' last
 * reports (sys-reports.h). Records: the settings documents only
 * (store-settings.h); accounts and domains are counted by the directory (DIR_COUNTS_REQ).
 * THREAD: its actor thread.
 */
#include "sys-private.h"

#include "directory-client.h"
#include "pb-log.h"
#include "pb-settings-snapshot.h"
#include "store-settings.h"
#include "sys-reports.h"
#include "sys-secrets.h"

#include <string.h>

char *sys_secrets_of(struct sys *sys, const char *doc, char *json, enum sys_secrets_mode mode)
{
	if (json == NULL)
		return NULL;
	char *out = sys_secrets_apply(doc, json, mode, sys->have_key ? sys->key : NULL);
	explicit_bzero(json, strlen(json));
	free(json);
	return out;
}

/* Makes sys->current the node's settings: the runtime's snapshot and the store's reserve. */
static void publish(struct pb_actor *a, struct sys *sys)
{
	pb_settings_publish(pb_actor_runtime(a), &sys->current);
	pb_store_set_min_free_mb(sys->args->store, sys->current.storage.min_free_mb);
}

/* Loads document doc from the store into sys->current; stored values that no longer pass
 * validation keep their default and are logged. 0, or -1 with error_r if the store fails. */
static int load_doc(struct sys *sys, const char *doc, const char **error_r)
{
	char *json = NULL, *problem = NULL;
	int found = pb_store_setting_get(sys->args->store, doc, &json, error_r);

	if (found < 0)
		return -1;
	json = sys_secrets_of(sys, doc, json, SYS_SECRETS_OPEN);
	int bad = pb_settings_load(&sys->current, doc, found ? json : NULL, &problem);
	if (bad > 0)
		pb_warn("sys", "event=bad_stored_settings document=%s ignored=%d first=%s", doc, bad,
			PB_LOGQ(problem));
	free(problem);
	free(json);
	return 0;
}

static int sys_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct sys *sys = xcalloc(1, sizeof(*sys));

	sys->args = arg;
	if (sys->args->data_dir != NULL) {
		const char *kerror;
		sys->have_key = pb_secret_key_load(sys->args->data_dir, sys->key, &kerror) == 0;
		if (!sys->have_key)
			pb_error("sys", "event=secret_key_unavailable reason=%s (secret settings are "
					"stored unsealed)", PB_LOGQ(kerror));
	}
	pb_settings_defaults(&sys->current);
	for (size_t i = 0; i < pb_n_settings_docs; i++) {
		if (load_doc(sys, pb_settings_docs[i].name, error_r) < 0) {
			free(sys);
			return -1;
		}
	}
	publish(a, sys);
	sys_script_load(a, sys);
	*state_r = sys;
	return 0;
}

static void wait_free(struct sys_status_wait *w)
{
	pb_msg_free(&w->req);
	pb_msg_free(&w->rep);
}

static void sys_deinit(struct pb_actor *a, void *state)
{
	struct sys *sys = state;

	for (size_t i = 0; i < sys->n_waits; i++)
		wait_free(&sys->waits[i]); /* their callers time out */
	sys_reports_deinit(&sys->reports);
	explicit_bzero(sys->key, sizeof(sys->key));
	free(sys);
}

/* Answers the i-th waiting status request with its answer (code PB_OK) or the error, and
 * forgets it. */
static void wait_answer(struct pb_actor *a, struct sys *sys, size_t i, uint32_t code,
			const char *error)
{
	struct sys_status_wait *w = &sys->waits[i];

	if (code == PB_OK)
		pb_reply(a, &w->req, &w->rep);
	else
		pb_reply_status(a, &w->req, code, error);
	wait_free(w);
	sys->waits[i] = sys->waits[--sys->n_waits];
}

/* The directory's counts for a waiting status request: the accounts are the directory's. */
static int on_counts(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sys *sys = state;
	const char *error;

	for (size_t i = 0; i < sys->n_waits; i++) {
		if (sys->waits[i].id != m->corr)
			continue;
		struct msg_sys_status_rep *r = &sys->waits[i].rep.u.sys_status_rep;
		uint32_t code = directory_client_counts_reply(m, &r->users, &r->domains, &error);
		wait_answer(a, sys, i, code == PB_OK ? PB_OK : PB_ERR_TEMP, error);
		break;
	}
	return 0;
}

static void sys_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	struct sys *sys = state;

	for (size_t i = 0; i < sys->n_waits;) {
		if (sys->waits[i].deadline_ms <= now)
			wait_answer(a, sys, i, PB_ERR_TEMP, "the directory did not answer in time");
		else
			i++;
	}
	if (sys->n_waits > 0)
		pb_actor_timer_set(a, SYS_TIMER_STATUS, 1000);
}

/* Keeps m to answer with rep once the directory has counted the accounts and domains. */
static void wait_counts(struct pb_actor *a, struct sys *sys, struct pb_msg *m, struct pb_msg *rep)
{
	const char *error;

	if (sys->n_waits == SYS_STATUS_PENDING_MAX) {
		pb_msg_free(rep);
		pb_reply_status(a, m, PB_ERR_TEMP, "too many status requests at once");
		return;
	}
	struct sys_status_wait *w = &sys->waits[sys->n_waits];
	w->id = ++sys->next_id;
	struct pb_sender s = pb_actor_sender(a, w->id);
	if (directory_client_counts_send(&s, &error) < 0) {
		pb_msg_free(rep);
		pb_reply_status(a, m, PB_ERR_TEMP, error);
		return;
	}
	pb_actor_defer_reply(a);
	w->deadline_ms = pb_runtime_now_ms(pb_actor_runtime(a)) + SYS_STATUS_TIMEOUT_MS;
	w->req = *m;
	memset(&m->u, 0, sizeof(m->u));
	m->reply_to = NULL;
	w->rep = *rep;
	sys->n_waits++;
	pb_actor_timer_set(a, SYS_TIMER_STATUS, 1000);
}

static int on_gateway_stats(struct pb_actor *a, void *state, struct pb_msg *m)
{
	sys_reports_gateway(&((struct sys *)state)->reports, m);
	return 0;
}

static int on_spool_stats(struct pb_actor *a, void *state, struct pb_msg *m)
{
	sys_reports_spool(&((struct sys *)state)->reports, m);
	return 0;
}

/* This node's messages accepted by source into list (pb-latency.h). */
static void received_fill(struct pb_runtime *rt, struct pb_rec_source_count_list *list)
{
	for (int w = 0; w < PB_RECEIVED_COUNT; w++) {
		struct pb_rec_source_count *e = pb_rec_source_count_push(list);
		e->source = xstrdup(pb_received_name((enum pb_received)w));
		e->count = pb_runtime_received(rt, (enum pb_received)w);
	}
}

/* This node's latency histograms into list and its refusals by reason into refusals
 * (pb-latency.h). */
static void latency_fill(struct pb_runtime *rt, struct pb_rec_latency_list *list,
			 struct pb_rec_refusal_list *refusals)
{
	for (int w = 0; w < PB_REFUSED_COUNT; w++) {
		struct pb_rec_refusal *e = pb_rec_refusal_push(refusals);
		e->reason = xstrdup(pb_refusal_name((enum pb_refusal)w));
		e->count = pb_runtime_refusals(rt, (enum pb_refusal)w);
	}
	for (int w = 0; w < PB_LAT_COUNT; w++) {
		uint64_t counts[PB_LATENCY_BOUNDS + 1], sum;
		struct pb_rec_latency *e = pb_rec_latency_push(list);
		pb_runtime_latency_read(rt, (enum pb_latency)w, counts, &sum);
		e->name = xstrdup(pb_latency_name((enum pb_latency)w));
		for (size_t i = 0; i < PB_LATENCY_BOUNDS; i++)
			pb_u64v_push(&e->le_us, pb_latency_le_us[i]);
		for (size_t i = 0; i <= PB_LATENCY_BOUNDS; i++)
			pb_u64v_push(&e->counts, counts[i]);
		e->sum_us = sum;
	}
}

/* This node's gateway hubs' inboxes (pb_inbox_stats) into list. */
static void hubs_fill(struct pb_runtime *rt, struct pb_rec_inbox_stat_list *list)
{
	struct pb_inbox_stats st[16];
	size_t n = pb_inbox_stats(rt, st, PB_N_ELEMENTS(st));

	for (size_t i = 0; i < n && i < PB_N_ELEMENTS(st); i++) {
		struct pb_rec_inbox_stat *e = pb_rec_inbox_stat_push(list);
		e->name = xstrdup(st[i].name);
		e->queued = st[i].queued;
		e->inbox_full = st[i].inbox_full;
	}
}

static int on_status(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sys_actor_args *args = ((struct sys *)state)->args;
	struct pb_actor_stats st[64];
	struct pb_msg rep;
	const char *error;

	pb_msg_init(&rep, MSG_SYS_STATUS_REP);
	struct msg_sys_status_rep *r = &rep.u.sys_status_rep;
	r->version = xstrdup(args->version);
	r->uptime_ms = pb_clock_monotonic_ms(NULL) - args->started_ms;
	if (pb_store_size(args->store, &r->store_bytes, &error) < 0) {
		pb_msg_free(&rep);
		pb_reply_status(a, m, PB_ERR_INTERNAL, error);
		return 0;
	}
	size_t n = pb_runtime_stats(pb_actor_runtime(a), st, PB_N_ELEMENTS(st));
	for (size_t i = 0; i < n && i < PB_N_ELEMENTS(st); i++) {
		struct pb_rec_actor_stat *e = pb_rec_actor_stat_push(&r->actors);
		e->name = xstrdup(st[i].name);
		e->restarts = st[i].restarts;
		e->handled = st[i].handled;
		e->inbox_full = st[i].inbox_full;
		e->queued = st[i].queued;
	}
	latency_fill(pb_actor_runtime(a), &r->latency, &r->refusals);
	hubs_fill(pb_actor_runtime(a), &r->hubs);
	received_fill(pb_actor_runtime(a), &r->received_by);
	r->error = xstrdup("");
	sys_reports_fill(&((struct sys *)state)->reports, args->store, r);
	wait_counts(a, state, m, &rep);
	return 0;
}

/* Refuses m with an allocated error text, which it frees. */
static int refuse(struct pb_actor *a, const struct pb_msg *m, char *error)
{
	pb_reply_status(a, m, PB_ERR_REFUSED, error);
	free(error);
	return 0;
}

/* Merges a change into doc's stored document: 0 with *merged_r, -1 after answering m. */
static int merge_change(struct pb_actor *a, struct sys *sys, const struct pb_msg *m,
			char **merged_r)
{
	const struct msg_sys_setting_put_req *q = &m->u.sys_setting_put_req;
	char *stored = NULL, *error = NULL;
	const char *serror;
	int found;

	if (pb_settings_check_doc(q->key, &error) == 0) {
		found = pb_store_setting_get(sys->args->store, q->key, &stored, &serror);
		if (found < 0) {
			pb_reply_status(a, m, PB_ERR_INTERNAL, serror);
			return -1;
		}
		stored = sys_secrets_of(sys, q->key, stored, SYS_SECRETS_OPEN);
		pb_settings_merge(q->key, found ? stored : NULL, q->json, merged_r, &error);
		free(stored);
	}
	if (error == NULL)
		return 0;
	pb_log_security("sys", "event=settings_refused document=%s reason=%s",
			PB_LOGQ(q->key), PB_LOGQ(error));
	refuse(a, m, error);
	return -1;
}

static int on_setting_get(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sys *sys = state;
	const char *doc = m->u.sys_setting_get_req.key;
	struct pb_msg rep;
	char *error;

	if (pb_settings_check_doc(doc, &error) < 0)
		return refuse(a, m, error);
	pb_msg_init(&rep, MSG_SYS_SETTING_GET_REP);
	rep.u.sys_setting_get_rep.error = xstrdup("");
	rep.u.sys_setting_get_rep.json =
		sys_secrets_of(sys, doc, pb_settings_render(&sys->current, doc), SYS_SECRETS_MASK);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

int sys_settings_apply(struct pb_actor *a, struct sys *sys, const char *doc, char *merged,
		       const char *by, const char *note, const char **error_r)
{
	struct pb_setting_change c = { .by = (char *)by, .doc = (char *)doc, .note = (char *)note };
	char *problem;

	if (pb_store_setting_get(sys->args->store, doc, &c.before, error_r) < 0) {
		free(sys_secrets_of(sys, doc, merged, SYS_SECRETS_MASK));
		return -1;
	}
	char *sealed = sys_secrets_of(sys, doc, xstrdup(merged), SYS_SECRETS_SEAL);
	int rc = pb_store_setting_put_logged(sys->args->store, doc, sealed, &c, NULL, error_r);
	free(sealed);
	free(c.before);
	if (rc < 0) {
		free(sys_secrets_of(sys, doc, merged, SYS_SECRETS_MASK));
		return -1;
	}
	pb_settings_load(&sys->current, doc, merged, &problem);
	free(problem); /* none: merged passed validation */
	publish(a, sys);
	char *shown = sys_secrets_of(sys, doc, merged, SYS_SECRETS_MASK);
	pb_log_security("sys", "event=settings_changed document=%s by=%s now=%s", doc, PB_LOGQ(by),
			PB_LOGQ(shown));
	free(shown);
	return 0;
}

/* Validates the change against the schema and merges it into the stored document; only a
 * valid change is written (with its history record), and then published. */
static int on_setting_put(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sys *sys = state;
	const struct msg_sys_setting_put_req *q = &m->u.sys_setting_put_req;
	const char *error;
	char *merged;

	if (merge_change(a, sys, m, &merged) < 0)
		return 0;
	if (sys_settings_apply(a, sys, q->key, merged, q->by, "", &error) < 0) {
		pb_reply_status(a, m, PB_ERR_INTERNAL, error);
		return 0;
	}
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}

static const struct pb_handler sys_handlers[] = {
	{ MSG_SYS_STATUS_REQ, on_status },
	{ MSG_SYS_SETTING_GET_REQ, on_setting_get },
	{ MSG_SYS_SETTING_PUT_REQ, on_setting_put },
	{ MSG_SYS_SETTING_HISTORY_REQ, sys_on_setting_history },
	{ MSG_SYS_SETTING_ROLLBACK_REQ, sys_on_setting_rollback },
	{ MSG_SYS_CHECKPOINT_REQ, sys_on_checkpoint },
	{ MSG_SYS_SECURITY_LOG_REQ, sys_on_security_log },
	{ MSG_SYS_SERVER_SCRIPT_REQ, sys_on_server_script },
	{ MSG_SYS_CERT_INSTALL_REQ, sys_on_cert_install },
	{ MSG_DIR_COUNTS_REP, on_counts },
	{ MSG_CORE_STATUS_REP, on_counts },
	{ MSG_SYS_GATEWAY_STATS_EVT, on_gateway_stats },
	{ MSG_SYS_SPOOL_STATS_EVT, on_spool_stats },
};

const struct pb_actor_def sys_actor_def = {
	.name = "sys",
	.inbox_size = 64,
	.init = sys_init,
	.deinit = sys_deinit,
	.handlers = sys_handlers,
	.n_handlers = PB_N_ELEMENTS(sys_handlers),
	.on_timer = sys_timer,
};
