/*
 * web-api-keys.c: API keys for the web API — the status server's keys (statushub-apikeys.h:
 * "pbk_" and 48 random hex digits, only the SHA-256 kept, shown once) whose permissions name a
 * web role (status-perms.h: web_admin, or web_user:NAME for an account's rights). An
 * administrator makes, lists and removes them (/api/apikeys, as `pillarbox apikey`); a script
 * sends one as "Authorization: Bearer KEY". Such a request carries no cookie, so no other site
 * can make a browser send it: it needs no CSRF token. Each key login is checked like a
 * password: the hub checks the key, then the lockout guard hears the attempt (a wrong key as
 * user "apikey", so guesses count toward the address's block; a good one as "apikey:LABEL")
 * and its answer decides.
 * OWNS: nothing. THREAD: the web hub's.
 * MESSAGES sent (through stubs): STATUS_APIKEY_ADD_REQ, STATUS_APIKEY_LIST_REQ,
 * STATUS_APIKEY_DEL_REQ, STATUS_APIKEY_CHECK_REQ, LOCKOUT_LOGIN_REQ (gw-guard.h).
 */
#include "web-api.h"

#include "gw-guard.h"
#include "lockout-client.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "status-perms.h"
#include "statushub-client.h"
#include "web-stub.h"

#include <stdlib.h>
#include <string.h>

void web_rest_apikeys(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	struct pb_rec_status_apikey_list l = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = statushub_client_apikey_list(t, &code, &l, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		cJSON *a = cJSON_CreateArray();
		for (uint32_t i = 0; i < l.n; i++) {
			cJSON *o = cJSON_CreateObject();
			bool admin;
			char *user;
			int role = status_perms_web_role(l.v[i].permissions, &admin, &user, &error);
			cJSON_AddStringToObject(o, "label", l.v[i].label);
			cJSON_AddStringToObject(o, "permissions", l.v[i].permissions);
			cJSON_AddStringToObject(o, "role", role != 1 ? "" : admin ? "admin" : "user");
			cJSON_AddStringToObject(o, "user", user != NULL ? user : "");
			cJSON_AddNumberToObject(o, "created_ms", (double)l.v[i].created_ms);
			cJSON_AddNumberToObject(o, "last_used_ms", (double)l.v[i].last_used_ms);
			cJSON_AddItemToArray(a, o);
			free(user);
		}
		web_reply_page(ws, q, a, "label");
	}
	pb_rec_status_apikey_list_clear(&l);
}

void web_rest_apikey_add(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	const char *label = web_body_str(in, "label"), *error = "the body needs \"label\"";
	const char *perms = web_body_str(in, "permissions");
	uint32_t code = 0;
	char *key = NULL, *list = NULL;

	if (label != NULL)
		list = status_perms_with_web_role(perms != NULL ? perms : "",
						  web_body_str(in, "role"), web_body_str(in, "user"),
						  &error);
	if (list == NULL) {
		web_reply_error(ws, 400, error);
	} else {
		int rc = statushub_client_apikey_add(t, label, list, &code, &key, &error);
		if (!web_stub_failed(ws, rc, code, error)) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "label", label);
			cJSON_AddStringToObject(o, "key", key);
			pb_info("web", "event=apikey_added label=%s by=%s", PB_LOGQ(label),
				PB_LOGQ(ws->who.user));
			web_reply_json(ws, 201, o, NULL);
		}
	}
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(key);
	free(list);
	cJSON_Delete(in);
}

void web_rest_apikey_del(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	const char *error;
	uint32_t code = 0;

	int rc = statushub_client_apikey_del(t, ws->arg, &code, &error);
	if (web_stub_failed(ws, rc, code, error))
		return;
	pb_info("web", "event=apikey_removed label=%s by=%s", PB_LOGQ(ws->arg),
		PB_LOGQ(ws->who.user));
	web_reply_json(ws, 204, NULL, NULL);
}

/* ---- a request with "Authorization: Bearer KEY" ---- */

/* The key's login refused (wrong key, no web role, locked or blocked): answered. */
static void key_refused(struct web_session *ws, const char *as, bool blocked, int status,
			const char *why)
{
	gw_guard_log_login(ws->gs, "web", false, as, "APIKEY",
			   blocked ? "blocked" : "bad_credentials");
	free(ws->who.user);
	ws->who = (struct web_who){ 0 };
	if (blocked)
		ws->close_after = true;
	web_reply_error(ws, status, why);
}

static void on_key_guarded(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	bool blocked = false;

	if (gw_guard_refused(m, &blocked) || ws->who.user == NULL) {
		key_refused(ws, "apikey", blocked, 401, "Invalid Logon");
		return;
	}
	gw_guard_log_login(ws->gs, "web", true, ws->who.user, "APIKEY", NULL);
	web_api_proceed(ws, http_reader_request(ws->reader));
}

/* The hub's answer on the key: who the request is (ws->who), then the guard hears it. */
static void on_key_checked(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	char *label = NULL, *perms = NULL, *user = NULL;
	const char *error = "no answer in time";
	bool admin = false;
	uint32_t code = m != NULL ? statushub_client_apikey_check_reply(m, &label, &perms, &error)
				  : PB_ERR_TEMP;

	if (code != PB_OK && code != PB_ERR_AUTH) {
		web_reply_busy(ws);
		return;
	}
	bool ok = code == PB_OK && status_perms_web_role(perms, &admin, &user, &error) == 1;
	char *as = label != NULL ? xasprintf("apikey:%s", label) : xstrdup("apikey");
	if (ok)
		ws->who = (struct web_who){ admin ? xstrdup(as) : user, 0, admin, 0 };
	else
		free(user);
	int rc = gw_guard_login(ws->gs, ok ? as : "apikey", "web",
				ok ? LOCKOUT_LOGIN_OK : LOCKOUT_LOGIN_BAD_PASSWORD, on_key_guarded, 0,
				&error);
	if (rc < 0)
		key_refused(ws, as, false, 503, "server busy, try again later");
	else
		ws->waiting = true;
	free(as);
	free(label);
	free(perms);
}

void web_api_key_login(struct web_session *ws, const char *key)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(ws, &call, on_key_checked);

	if (statushub_client_apikey_check_send(&tx, key, &error) < 0)
		web_reply_busy(ws);
}
