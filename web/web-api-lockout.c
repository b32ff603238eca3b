/*
 * web-api-lockout.c: the REST API over the lockout guard — account locks and blocked
 * addresses (list, unlock, block, unblock: an administrator's) and an account's own login
 * history (the guard records every protocol's logins, gw_guard_login: the account itself or
 * an administrator) — through the CLI's client calls (lockout-client.h) run by web-stub.h.
 * OWNS: nothing. THREAD: the web hub's.
 * MESSAGES sent (through stubs): LOCKOUT_LIST_REQ, LOCKOUT_UNLOCK_REQ, LOCKOUT_LOCK_REQ,
 * LOCKOUT_BLOCK_ADD_REQ, LOCKOUT_BLOCK_DEL_REQ, LOCKOUT_USER_REQ, DIR_USER_LOOKUP_REQ.
 */
#include "web-api.h"

#include "directory-client.h"
#include "lockout-client.h"
#include "pb-log.h"
#include "web-stub.h"

#include <stdlib.h>
#include <string.h>

/* The account locks as a JSON array of {user, ip, failures, until_ms}. */
static cJSON *locks_json(const struct pb_rec_lockout_lock_list *l)
{
	cJSON *a = cJSON_CreateArray();
	for (uint32_t i = 0; i < l->n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "user", l->v[i].user);
		cJSON_AddStringToObject(o, "ip", l->v[i].ip);
		cJSON_AddNumberToObject(o, "failures", l->v[i].failures);
		cJSON_AddNumberToObject(o, "until_ms", (double)l->v[i].until_ms);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

static cJSON *blocks_json(const struct pb_rec_lockout_block_list *l)
{
	cJSON *a = cJSON_CreateArray();
	for (uint32_t i = 0; i < l->n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "net", l->v[i].net);
		cJSON_AddStringToObject(o, "reason", l->v[i].reason);
		cJSON_AddStringToObject(o, "protocol", l->v[i].protocol);
		cJSON_AddBoolToObject(o, "automatic", l->v[i].automatic != 0);
		cJSON_AddNumberToObject(o, "created_ms", (double)l->v[i].created_ms);
		cJSON_AddNumberToObject(o, "until_ms", (double)l->v[i].until_ms);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

void web_rest_lockouts(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	struct pb_rec_lockout_lock_list locks = { 0 };
	struct pb_rec_lockout_block_list blocks = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = lockout_client_list(t, &code, &locks, &blocks, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "locks", locks_json(&locks));
		cJSON_AddItemToObject(o, "blocks", blocks_json(&blocks));
		web_reply_json(ws, 200, o, NULL);
	}
	pb_rec_lockout_lock_list_clear(&locks);
	pb_rec_lockout_block_list_clear(&blocks);
}

/* Answers a change's outcome with ok, logging event for target. */
static void changed(struct web_session *ws, int rc, uint32_t code, const char *error, int ok,
		    const char *event, const char *target)
{
	if (web_stub_failed(ws, rc, code, error))
		return;
	pb_info("web", "event=%s target=%s by=%s", event, PB_LOGQ(target), PB_LOGQ(ws->who.user));
	web_reply_json(ws, ok, NULL, NULL);
}

void web_rest_unlock(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	char *ip = web_query_get(q, "ip");
	const char *error;
	uint32_t code = 0;

	int rc = lockout_client_unlock(t, ws->arg, ip != NULL ? ip : "", &code, &error);
	changed(ws, rc, code, error, 204, "unlocked", ws->arg);
	free(ip);
}

/* The body's "minutes" (absent: 0) into *minutes_r; -1 (answered 400) when it is not 0..1e6. */
static int body_minutes(struct web_session *ws, const cJSON *in, uint32_t *minutes_r)
{
	const cJSON *minutes = cJSON_GetObjectItemCaseSensitive(in, "minutes");

	*minutes_r = 0;
	if (minutes == NULL)
		return 0;
	if (!cJSON_IsNumber(minutes) || minutes->valuedouble < 0 || minutes->valuedouble > 1e6) {
		web_reply_error(ws, 400, "\"minutes\" is 0 (until removed) to 1000000");
		return -1;
	}
	*minutes_r = (uint32_t)minutes->valuedouble;
	return 0;
}

/* POST /api/users/{name}/lock: the account (which must exist: 404) locked for every address. */
void web_rest_lock(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	cJSON *in = q->body.len > 0 ? web_body_object(q) : NULL;
	const char *error;
	char *name = NULL;
	uint64_t id = 0;
	uint32_t code = 0, minutes;

	if (q->body.len > 0 && in == NULL)
		web_reply_error(ws, 400, "the body is {\"minutes\": N} or nothing");
	else if (body_minutes(ws, in, &minutes) == 0) {
		int rc = directory_client_user_lookup(t, ws->arg, &code, &id, &name, &error);
		if (!web_stub_failed(ws, rc, code, error)) {
			rc = lockout_client_lock(t, name, minutes, &code, &error);
			changed(ws, rc, code, error, 204, "locked", name);
		}
	}
	free(name);
	cJSON_Delete(in);
}

void web_rest_block_add(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	const char *net = web_body_str(in, "net"), *reason = web_body_str(in, "reason"), *error;
	const cJSON *minutes = cJSON_GetObjectItemCaseSensitive(in, "minutes");
	uint32_t code = 0;

	if (net == NULL || (minutes != NULL && (!cJSON_IsNumber(minutes) ||
						minutes->valuedouble < 0 ||
						minutes->valuedouble > 1e6))) {
		web_reply_error(ws, 400, "the body needs \"net\" (an address or CIDR network), "
					 "optionally \"reason\" and \"minutes\" (0: until removed)");
		cJSON_Delete(in);
		return;
	}
	int rc = lockout_client_block_add(t, net, minutes != NULL ? (uint32_t)minutes->valuedouble : 0,
					  reason != NULL ? reason : "", &code, &error);
	changed(ws, rc, code, error, 201, "blocked", net);
	cJSON_Delete(in);
}

void web_rest_block_del(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	char *net = web_query_get(q, "net");
	const char *error;
	uint32_t code = 0;

	if (net == NULL || net[0] == '\0') {
		web_reply_error(ws, 400, "give ?net= (an address or CIDR network)");
		free(net);
		return;
	}
	int rc = lockout_client_block_del(t, net, &code, &error);
	changed(ws, rc, code, error, 204, "unblocked", net);
	free(net);
}

static cJSON *logins_json(const struct pb_rec_login_event_list *l, uint64_t limit)
{
	cJSON *a = cJSON_CreateArray();
	for (uint32_t i = l->n; i-- > 0 && (uint64_t)cJSON_GetArraySize(a) < limit;) {
		const struct pb_rec_login_event *e = &l->v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "time_ms", (double)e->time_ms);
		cJSON_AddStringToObject(o, "ip", e->ip);
		cJSON_AddStringToObject(o, "protocol", e->protocol);
		cJSON_AddStringToObject(o, "result", e->result);
		cJSON_AddBoolToObject(o, "refused", e->refused != 0);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

void web_rest_logins(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	struct pb_rec_lockout_lock_list locks = { 0 };
	struct pb_rec_login_event_list logins = { 0 };
	const char *error;
	uint32_t code = 0;
	uint64_t limit;

	if (web_query_u64(q, "limit", WEB_PAGE_DEFAULT, WEB_PAGE_MAX, &limit) < 0 || limit == 0) {
		web_reply_error(ws, 400, "limit must be a number from 1 to 1000");
		return;
	}
	int rc = lockout_client_user(t, ws->arg, &code, &locks, &logins, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "logins", logins_json(&logins, limit));
		cJSON_AddItemToObject(o, "locks", locks_json(&locks));
		web_reply_json(ws, 200, o, NULL);
	}
	pb_rec_lockout_lock_list_clear(&locks);
	pb_rec_login_event_list_clear(&logins);
}
