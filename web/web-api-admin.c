/*
 * web-api-admin.c: the REST API's administration endpoints — accounts (add, delete, password),
 * local domains, settings documents (read, change: validated by the settings schema in sys)
 * and their history (list, roll back one change or to a point: sys-history.c).
 * Each is one call through the owner's client stub; the owner's answer code becomes the HTTP
 * status (web_status_of) and its reason the JSON error.
 * OWNS: nothing. THREAD: the web hub's.
 * MESSAGES sent (through stubs): DIR_USER_ADD_REQ, DIR_USER_DEL_REQ, DIR_USER_PASSWD_REQ,
 * DIR_DOMAIN_LIST_REQ, DIR_DOMAIN_ADD_REQ, DIR_DOMAIN_DEL_REQ, SYS_SETTING_GET_REQ,
 * SYS_SETTING_PUT_REQ, SYS_SETTING_HISTORY_REQ, SYS_SETTING_ROLLBACK_REQ.
 */
#include "web-api.h"

#include "directory-client.h"
#include "directory-client-routes.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "sys-client.h"

#include <stdlib.h>
#include <string.h>

void web_answer_status(struct web_session *ws, struct pb_msg *m, web_status_reply_fn *reply,
		       int ok)
{
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? reply(m, &error) : PB_ERR_TEMP;

	if (code == PB_OK)
		web_reply_json(ws, ok, NULL, NULL);
	else
		web_reply_error(ws, web_status_of(code, ok), error);
}

static void on_user_added(void *session, uint64_t arg, struct pb_msg *m)
{
	web_answer_status(session, m, directory_client_user_add_reply, 201);
}

void web_api_user_add(struct web_session *ws, const struct http_request *q)
{
	cJSON *in = cJSON_ParseWithLength(q->body.data, q->body.len);
	const char *user = web_body_str(in, "user"), *password = web_body_str(in, "password");
	const cJSON *welcome = cJSON_GetObjectItemCaseSensitive(in, "welcome");
	struct gw_pending call;
	const char *error;

	if (user == NULL || password == NULL || (welcome != NULL && !cJSON_IsBool(welcome))) {
		cJSON_Delete(in);
		web_reply_error(ws, 400, "the body must be {\"user\": ..., \"password\": ...} "
					 "with an optional \"welcome\": true|false");
		return;
	}
	enum directory_welcome w = welcome == NULL	  ? DIRECTORY_WELCOME_DEFAULT
				   : cJSON_IsTrue(welcome) ? DIRECTORY_WELCOME_YES
							   : DIRECTORY_WELCOME_NO;
	struct pb_sender tx = web_call_sender(ws, &call, on_user_added);
	if (directory_client_user_add_send(&tx, user, password, NULL, NULL, w, &error) < 0)
		web_reply_busy(ws);
	else
		pb_info("web", "event=user_added user=%s by=%s", PB_LOGQ(user), PB_LOGQ(ws->who.user));
	cJSON_Delete(in);
}

static void on_user_deleted(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	if (m != NULL && ws->arg != NULL)
		web_auth_end_user(ws->srv->auth, ws->arg);
	web_answer_status(ws, m, directory_client_user_del_reply, 204);
}

void web_api_user_del(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	bool force = q->query != NULL && strcmp(q->query, "force=1") == 0;
	struct pb_sender tx = web_call_sender(ws, &call, on_user_deleted);

	if (directory_client_user_del_send(&tx, ws->arg, force, &error) < 0)
		web_reply_busy(ws);
}

static void on_password_set(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	const char *error;

	/* the account's logins end with its old password (this one too) */
	if (m != NULL && directory_client_user_passwd_reply(m, &error) == PB_OK) {
		web_auth_end_user(ws->srv->auth, ws->arg);
		web_reply_json(ws, 204, NULL, NULL);
		return;
	}
	web_answer_status(ws, m, directory_client_user_passwd_reply, 204);
}

void web_api_user_password(struct web_session *ws, const struct http_request *q)
{
	cJSON *in = cJSON_ParseWithLength(q->body.data, q->body.len);
	const char *password = web_body_str(in, "password"), *which = web_body_str(in, "which");
	bool web = which != NULL && strcmp(which, "web") == 0;
	struct gw_pending call;
	const char *error;

	if (password == NULL || (which != NULL && !web && strcmp(which, "main") != 0)) {
		cJSON_Delete(in);
		web_reply_error(ws, 400, "the body must be {\"password\": ..., \"which\": \"main\" "
					 "or \"web\" (optional)}");
		return;
	}
	struct pb_sender tx = web_call_sender(ws, &call, on_password_set);
	if (directory_client_user_passwd_send(&tx, ws->arg, password,
					      web ? DIR_PASSWD_WEB : DIR_PASSWD_MAIN, &error) < 0)
		web_reply_busy(ws);
	cJSON_Delete(in);
}

static void on_domains(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct pb_strv domains = { 0 };
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? directory_client_domain_list_reply(m, &domains, &error)
				  : PB_ERR_TEMP;

	if (code != PB_OK) {
		pb_strv_clear(&domains);
		web_reply_error(ws, web_status_of(code, 200), error);
		return;
	}
	cJSON *a = cJSON_CreateArray();
	for (uint32_t i = 0; i < domains.n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(domains.v[i]));
	pb_strv_clear(&domains);
	web_reply_json(ws, 200, a, NULL);
}

void web_api_domains(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(ws, &call, on_domains);

	if (directory_client_domain_list_send(&tx, &error) < 0)
		web_reply_busy(ws);
}

static void on_domain_added(void *session, uint64_t arg, struct pb_msg *m)
{
	web_answer_status(session, m, directory_client_domain_add_reply, 201);
}

void web_api_domain_add(struct web_session *ws, const struct http_request *q)
{
	cJSON *in = cJSON_ParseWithLength(q->body.data, q->body.len);
	const char *domain = web_body_str(in, "domain");
	struct gw_pending call;
	const char *error;

	if (domain == NULL) {
		cJSON_Delete(in);
		web_reply_error(ws, 400, "the body must be {\"domain\": ...}");
		return;
	}
	struct pb_sender tx = web_call_sender(ws, &call, on_domain_added);
	if (directory_client_domain_add_send(&tx, domain, &error) < 0)
		web_reply_busy(ws);
	cJSON_Delete(in);
}

static void on_domain_deleted(void *session, uint64_t arg, struct pb_msg *m)
{
	web_answer_status(session, m, directory_client_domain_del_reply, 204);
}

void web_api_domain_del(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	bool force = q->query != NULL && strcmp(q->query, "force=1") == 0;
	struct pb_sender tx = web_call_sender(ws, &call, on_domain_deleted);

	if (directory_client_domain_del_send(&tx, ws->arg, force, &error) < 0)
		web_reply_busy(ws);
}

static void on_setting(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	char *json = NULL;
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? sys_client_setting_get_reply(m, &json, &error) : PB_ERR_TEMP;

	if (code != PB_OK) {
		free(json);
		web_reply_error(ws, web_status_of(code, 200), error);
		return;
	}
	web_reply_text(ws, 200, "application/json", json, NULL, NULL);
}

void web_api_setting_get(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(ws, &call, on_setting);

	if (sys_client_setting_get_send(&tx, ws->arg, &error) < 0)
		web_reply_busy(ws);
}

static void on_setting_put(void *session, uint64_t arg, struct pb_msg *m)
{
	web_answer_status(session, m, sys_client_setting_put_reply, 204);
}

void web_api_setting_put(struct web_session *ws, const struct http_request *q)
{
	cJSON *in = cJSON_ParseWithLength(q->body.data, q->body.len);
	struct gw_pending call;
	const char *error;

	if (!cJSON_IsObject(in)) {
		cJSON_Delete(in);
		web_reply_error(ws, 400, "the body must be a JSON object of the document's settings");
		return;
	}
	char *json = cJSON_PrintUnformatted(in);
	cJSON_Delete(in);
	struct pb_sender tx = web_call_sender(ws, &call, on_setting_put);
	char *by = xasprintf("web:%s", ws->who.user);
	int rc = sys_client_setting_put_send(&tx, ws->arg, json, by, &error);
	free(by);
	if (rc < 0)
		web_reply_busy(ws);
	else
		pb_info("web", "event=setting_put document=%s by=%s", PB_LOGQ(ws->arg),
			PB_LOGQ(ws->who.user));
	free(json);
}

/* ---- the settings history ---- */

/* The value of query parameter name (digits), or dflt. */
static uint64_t query_u64(const struct http_request *q, const char *name, uint64_t dflt)
{
	size_t n = strlen(name);

	for (const char *p = q->query; p != NULL && *p != '\0'; p = strchr(p, '&')) {
		if (*p == '&')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=')
			return strtoull(p + n + 1, NULL, 10);
	}
	return dflt;
}

/* A history's changes (sys's or the directory's) as a JSON array: before/after parsed. */
cJSON *web_history_change_json(const struct pb_rec_setting_change *c)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "seq", (double)c->seq);
	cJSON_AddNumberToObject(o, "at_ms", (double)c->at_ms);
	cJSON_AddStringToObject(o, "by", c->by);
	cJSON_AddStringToObject(o, "doc", c->doc);
	cJSON_AddStringToObject(o, "note", c->note);
	cJSON *before = c->had_before ? cJSON_Parse(c->before) : NULL;
	cJSON *after = cJSON_Parse(c->after);
	cJSON_AddItemToObject(o, "before", before != NULL ? before : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "after", after != NULL ? after : cJSON_CreateNull());
	return o;
}

static cJSON *history_json(const struct pb_rec_setting_change_list *v)
{
	cJSON *a = cJSON_CreateArray();

	for (uint32_t i = 0; i < v->n; i++)
		cJSON_AddItemToArray(a, web_history_change_json(&v->v[i]));
	return a;
}

static void on_history(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct pb_rec_setting_change_list v = { 0 };
	const char *error = "no answer in time";
	uint32_t code = m == NULL ? PB_ERR_TEMP
		: arg == 1 ? directory_client_history_reply(m, &v, &error)
			   : sys_client_setting_history_reply(m, &v, &error);

	if (code != PB_OK) {
		pb_rec_setting_change_list_clear(&v);
		web_reply_error(ws, web_status_of(code, 200), error);
		return;
	}
	cJSON *a = history_json(&v);
	pb_rec_setting_change_list_clear(&v);
	web_reply_json(ws, 200, a, NULL);
}

void web_api_setting_history(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(ws, &call, on_history);

	if (sys_client_setting_history_send(&tx, query_u64(q, "before", 0),
					    (uint32_t)query_u64(q, "limit", 50), &error) < 0)
		web_reply_busy(ws);
}

static void on_rollback(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	const char *error = "no answer in time";
	uint32_t changed = 0;
	uint32_t code = m == NULL ? PB_ERR_TEMP
		: arg == 1 ? directory_client_rollback_reply(m, &changed, &error)
			   : sys_client_setting_rollback_reply(m, &changed, &error);

	if (code != PB_OK) {
		web_reply_error(ws, web_status_of(code, 200), error);
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "changed", changed);
	web_reply_json(ws, 200, o, NULL);
}

void web_api_setting_rollback(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	char *end;
	uint64_t seq = strtoull(ws->arg, &end, 10);

	if (*end != '\0') {
		web_reply_error(ws, 400, "the change's number must be a number");
		return;
	}
	struct pb_sender tx = web_call_sender(ws, &call, on_rollback);
	char *by = xasprintf("web:%s", ws->who.user);
	int rc = sys_client_setting_rollback_send(&tx, seq, query_u64(q, "to", 0) == 1, by, &error);
	free(by);
	if (rc < 0)
		web_reply_busy(ws);
}

/* ---- the directory's history (accounts' settings, mappings: directory-history.c) ---- */

void web_api_directory_history(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(ws, &call, on_history);

	call.arg = 1; /* on_history: the directory's answer */
	if (directory_client_history_send(&tx, query_u64(q, "before", 0),
					  (uint32_t)query_u64(q, "limit", 50), &error) < 0)
		web_reply_busy(ws);
}

void web_api_directory_rollback(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	char *end;
	uint64_t seq = strtoull(ws->arg, &end, 10);

	if (ws->arg[0] == '\0' || *end != '\0') {
		web_reply_error(ws, 400, "the change's number must be a number");
		return;
	}
	struct pb_sender tx = web_call_sender(ws, &call, on_rollback);
	call.arg = 1; /* on_rollback: the directory's answer */
	char *by = xasprintf("web:%s", ws->who.user);
	int rc = directory_client_rollback_send(&tx, seq, query_u64(q, "to", 0) == 1, by, &error);
	free(by);
	if (rc < 0)
		web_reply_busy(ws);
}
