/*
 * sys-actor.c: SYS_STATUS_REQ. OWNS nothing; reads the runtime's counters and the store.
 * THREAD: its actor thread.
 */
#include "sys-actor.h"

#include "pb-log.h"
#include "store.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <string.h>

static int sys_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	*state_r = arg;
	return 0;
}

static int count_user(const struct pb_user_rec *u, void *ctx)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

static int count_domain(const char *d, void *ctx)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

static int on_status(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sys_actor_args *args = state;
	struct pb_actor_stats st[64];
	struct pb_msg rep;
	const char *error;

	pb_msg_init(&rep, MSG_SYS_STATUS_REP);
	struct msg_sys_status_rep *r = &rep.u.sys_status_rep;
	r->version = xstrdup(args->version);
	r->uptime_ms = pb_clock_monotonic_ms(NULL) - args->started_ms;
	if (pb_store_size(args->store, &r->store_bytes, &error) < 0 ||
	    pb_store_user_iter(args->store, count_user, &r->users, &error) < 0 ||
	    pb_store_domain_iter(args->store, count_domain, &r->domains, &error) < 0) {
		pb_msg_free(&rep);
		pb_reply_status(a, m, PB_ERR_INTERNAL, error);
		return 0;
	}
	size_t n = pb_runtime_stats(pb_actor_runtime(a), st, PB_N_ELEMENTS(st));
	for (size_t i = 0; i < n && i < PB_N_ELEMENTS(st); i++) {
		pb_strv_push(&r->actors, st[i].name);
		pb_u64v_push(&r->restarts, st[i].restarts);
		pb_u64v_push(&r->handled, st[i].handled);
		pb_u64v_push(&r->inbox_full, st[i].inbox_full);
	}
	r->error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* A settings name: 1..64 of letters, digits, '-', '_', '.'. */
static bool setting_key_ok(const char *key)
{
	size_t len = key != NULL ? strlen(key) : 0;
	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = key[i];
		if (!isalnum((unsigned char)c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

static int on_setting_get(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sys_actor_args *args = state;
	struct pb_msg rep;
	const char *error;
	char *json = NULL;

	if (!setting_key_ok(m->u.sys_setting_get_req.key)) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "a settings name is 1-64 letters, digits, - _ .");
		return 0;
	}
	int found = pb_store_setting_get(args->store, m->u.sys_setting_get_req.key, &json, &error);
	if (found < 0) {
		pb_reply_status(a, m, PB_ERR_INTERNAL, error);
		return 0;
	}
	pb_msg_init(&rep, MSG_SYS_SETTING_GET_REP);
	rep.u.sys_setting_get_rep.error = xstrdup("");
	rep.u.sys_setting_get_rep.json = found ? json : xstrdup("{}");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int on_setting_put(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sys_actor_args *args = state;
	struct msg_sys_setting_put_req *q = &m->u.sys_setting_put_req;
	const char *error;

	if (!setting_key_ok(q->key)) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "a settings name is 1-64 letters, digits, - _ .");
		return 0;
	}
	cJSON *doc = cJSON_Parse(q->json != NULL ? q->json : "");
	bool object = cJSON_IsObject(doc);
	cJSON_Delete(doc);
	if (!object) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "a settings document must be a JSON object");
		return 0;
	}
	if (pb_store_setting_put(args->store, q->key, q->json, &error) < 0) {
		pb_reply_status(a, m, PB_ERR_INTERNAL, error);
		return 0;
	}
	pb_log_security("sys", "event=settings_changed document=%s", q->key);
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}

static const struct pb_handler sys_handlers[] = {
	{ MSG_SYS_STATUS_REQ, on_status },
	{ MSG_SYS_SETTING_GET_REQ, on_setting_get },
	{ MSG_SYS_SETTING_PUT_REQ, on_setting_put },
};

const struct pb_actor_def sys_actor_def = {
	.name = "sys",
	.inbox_size = 64,
	.init = sys_init,
	.handlers = sys_handlers,
	.n_handlers = PB_N_ELEMENTS(sys_handlers),
};
