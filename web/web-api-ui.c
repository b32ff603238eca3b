/*
 * web-api-ui.c: the endpoints the admin UI (web/static/admin/) needs beyond web-api-admin.c —
 * the settings schema with each key's help (GET /api/settings: the context help and the
 * settings search), one account setting at a time (PATCH /api/users/{name}: quota, forwarding,
 * autoresponder, sending permissions; the keys and their checks are the directory's, as for
 * `pillarbox user set`) and an account's message rules (GET/PUT /api/users/{name}/rules:
 * `pillarbox rules get/set`). The locks are the REST object's (GET /api/lockouts,
 * DELETE /api/lockouts/{name}: web-api-lockout.c). The rule format's names (GET
 * /api/rules/names) come from pb_rules itself, so the Message Rules tab offers every one.
 * Each is one call through the owner's client stub, never the store.
 * OWNS: nothing. THREAD: the web hub's.
 * MESSAGES sent (through stubs): DIR_USER_SET_REQ, DIR_RULES_GET_REQ, DIR_RULES_SET_REQ.
 */
#include "web-api.h"

#include "directory-client-routes.h"
#include "directory-client.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "pb-settings.h"
#include "router-client.h"
#include "rules.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rule sets larger than this are refused (as the CLI's limit). */
#define WEB_RULES_MAX (1024 * 1024)

/* ---- the settings schema ---- */

static const char *type_name(enum pb_setting_type t)
{
	switch (t) {
	case PB_SETTING_U32:
	case PB_SETTING_U64:
		return "integer";
	case PB_SETTING_CIDR_LIST:
		return "networks";
	case PB_SETTING_CHOICE:
		return "choice";
	default:
		return "string";
	}
}

static cJSON *setting_json(const struct pb_setting_desc *d)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "key", d->key);
	cJSON_AddStringToObject(o, "type", type_name(d->type));
	cJSON_AddStringToObject(o, "help", d->help);
	if (pb_setting_is_string(d)) {
		cJSON_AddStringToObject(o, "default", d->def_str != NULL ? d->def_str : "");
		cJSON_AddNumberToObject(o, "max_length", (double)d->max);
	} else {
		cJSON_AddNumberToObject(o, "default", (double)d->def);
		cJSON_AddNumberToObject(o, "min", (double)d->min);
		cJSON_AddNumberToObject(o, "max", (double)d->max);
	}
	if (d->choices != NULL)
		cJSON_AddStringToObject(o, "choices", d->choices);
	return o;
}

void web_api_settings_schema(struct web_session *ws, const struct http_request *q)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < pb_n_settings_docs; i++) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "doc", pb_settings_docs[i].name);
		cJSON_AddStringToObject(doc, "help", pb_settings_docs[i].help);
		cJSON *keys = cJSON_AddArrayToObject(doc, "keys");
		for (size_t k = 0; k < pb_n_settings; k++)
			if (strcmp(pb_setting_descs[k].doc, pb_settings_docs[i].name) == 0)
				cJSON_AddItemToArray(keys, setting_json(&pb_setting_descs[k]));
		cJSON_AddItemToArray(a, doc);
	}
	web_reply_json(ws, 200, a, NULL);
}

/* ---- one account setting ---- */

static void on_user_set(void *session, uint64_t arg, struct pb_msg *m)
{
	web_answer_status(session, m, directory_client_user_set_reply, 204);
}

/* The CLI's text of a JSON value (allocated), or NULL for a type that has none. */
static char *value_text(const cJSON *v)
{
	if (cJSON_IsString(v))
		return xstrdup(v->valuestring);
	if (cJSON_IsBool(v))
		return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15 &&
	    v->valuedouble == (double)(long long)v->valuedouble)
		return xasprintf("%lld", (long long)v->valuedouble);
	return NULL;
}

void web_api_user_patch(struct web_session *ws, const struct http_request *q)
{
	cJSON *in = cJSON_ParseWithLength(q->body.data, q->body.len);
	const cJSON *item = cJSON_IsObject(in) ? in->child : NULL;
	struct gw_pending call;
	const char *error;

	if (item == NULL || item->next != NULL) {
		cJSON_Delete(in);
		web_reply_error(ws, 400, "the body must be an object of one key: {\"KEY\": value} "
					 "(null: back to the default)");
		return;
	}
	bool unset = cJSON_IsNull(item);
	char *text = unset ? xstrdup("") : value_text(item);
	if (text == NULL) {
		cJSON_Delete(in);
		web_reply_error(ws, 400, "the value must be a string, a whole number, true/false or null");
		return;
	}
	struct pb_sender tx = web_call_sender(ws, &call, on_user_set);
	if (directory_client_user_set_send(&tx, ws->arg, item->string, text, unset, &error) < 0)
		web_reply_busy(ws);
	else
		pb_info("web", "event=user_set user=%s key=%s by=%s", PB_LOGQ(ws->arg),
			PB_LOGQ(item->string), PB_LOGQ(ws->who.user));
	free(text);
	cJSON_Delete(in);
}

/* ---- h-fwdext: copying the INBOX to the assistants (router-copyinbox.h) ---- */

static void on_copy_inbox(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	struct router_copy_inbox_done done;
	const char *error = "no answer in time";
	uint32_t code = m != NULL ? router_client_copy_inbox_reply(m, &done, &error) : PB_ERR_TEMP;

	(void)arg;
	if (code != PB_OK) {
		web_reply_error(ws, web_status_of(code, 200), error);
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "copied", done.copied);
	cJSON_AddNumberToObject(o, "skipped", done.skipped);
	cJSON_AddNumberToObject(o, "next_uid", done.next_uid);
	web_reply_json(ws, 200, o, NULL);
}

void web_api_user_copy_inbox(struct web_session *ws, const struct http_request *q)
{
	cJSON *in = q->body.len > 0 ? cJSON_ParseWithLength(q->body.data, q->body.len) : NULL;
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(in, "from_uid");
	struct gw_pending call;
	const char *error;

	if ((q->body.len > 0 && !cJSON_IsObject(in)) ||
	    (from != NULL && (!cJSON_IsNumber(from) || from->valuedouble < 1 ||
			      from->valuedouble > UINT32_MAX))) {
		cJSON_Delete(in);
		web_reply_error(ws, 400, "the body is empty or {\"from_uid\": N} (N >= 1: the "
					 "next_uid of the last answer)");
		return;
	}
	uint32_t uid = from != NULL ? (uint32_t)from->valuedouble : 1;
	cJSON_Delete(in);
	struct pb_sender tx = web_call_sender(ws, &call, on_copy_inbox);
	if (router_client_copy_inbox_send(&tx, ws->arg, uid, &error) < 0)
		web_reply_busy(ws);
	else
		pb_info("web", "event=copy_inbox user=%s from_uid=%u by=%s", PB_LOGQ(ws->arg), uid,
			PB_LOGQ(ws->who.user));
}

/* ---- message rules ---- */

static void on_rules(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	const char *error = "no answer in time";
	char *json = NULL;
	uint64_t user_id = 0;
	uint32_t code = m != NULL ? directory_client_rules_get_reply(m, &json, &user_id, &error)
				  : PB_ERR_TEMP;

	if (code != PB_OK) {
		free(json);
		web_reply_error(ws, web_status_of(code, 200), error);
		return;
	}
	web_reply_text(ws, 200, "application/json", json, NULL, NULL);
}

void web_api_user_rules_get(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(ws, &call, on_rules);

	if (directory_client_rules_get_send(&tx, ws->arg, &error) < 0)
		web_reply_busy(ws);
}

static void on_rules_set(void *session, uint64_t arg, struct pb_msg *m)
{
	web_answer_status(session, m, directory_client_rules_set_reply, 204);
}

void web_api_user_rules_put(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	char *json;

	if (q->body.len > WEB_RULES_MAX) {
		web_reply_error(ws, 413, "a rule set is at most 1 MiB");
		return;
	}
	/* no body at all: its data is NULL (never handed to xstrndup), and nothing to store */
	if (q->body.len == 0) {
		web_reply_error(ws, 400, "the body must be a rule set: {\"rules\": [...]}");
		return;
	}
	json = xstrndup(q->body.data, q->body.len);
	struct pb_sender tx = web_call_sender(ws, &call, on_rules_set);
	if (directory_client_rules_set_send(&tx, ws->arg, false, json, &error) < 0)
		web_reply_busy(ws);
	else
		pb_info("web", "event=rules_set user=%s by=%s", PB_LOGQ(ws->arg),
			PB_LOGQ(ws->who.user));
	free(json);
}

void web_api_rules_names(struct web_session *ws, const struct http_request *q)
{
	(void)q;
	web_reply_json(ws, 200, rules_names_json(), NULL);
}
