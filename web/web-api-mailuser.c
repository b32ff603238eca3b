/*
 * web-api-mailuser.c: the REST API over what an account does with its mail — message rules
 * (an account's: the account itself or an administrator; the server's: an administrator),
 * routing scripts (an administrator's: Lua; an account's, and the server's user_redirect.lua
 * file through the sys actor), and the account's settings groups forwarding and
 * assistants, autoresponder and blocked senders (read from the account's settings, changed key
 * by key with the CLI's `user set`/`user unset` call, which checks every value) — through the
 * CLI's client calls (directory-client*.h) run by web-stub.h; and the list of those keys with
 * their help (user-keys.h) for the admin pages.
 * OWNS: nothing. THREAD: the web hub's.
 * MESSAGES sent (through stubs): DIR_RULES_GET_REQ, DIR_RULES_SET_REQ, DIR_SCRIPT_REQ,
 * DIR_USER_SHOW_REQ, DIR_USER_SET_REQ, SYS_SERVER_SCRIPT_REQ; for an account's quota usage
 * (mailbox-usage.h) DIR_USER_LOOKUP_REQ, MBOX_STAT_REQ, MBOX_FOLDERS_REQ, SYS_SETTING_GET_REQ.
 */
#include "web-api.h"

#include "directory-client-routes.h"
#include "directory-client.h"
#include "mailbox-usage.h"
#include "pb-alloc.h"
#include "pb-log.h"
#include "sys-client.h"
#include "user-keys.h"
#include "web-stub.h"

#include <stdlib.h>
#include <string.h>

/* ---- message rules: {name} an account, or none (the server's) ---- */

static void rules_get(struct web_session *ws, struct pb_sync *t, const char *user)
{
	const char *error;
	uint32_t code = 0;
	char *json = NULL;
	uint64_t id;

	int rc = directory_client_rules_get(t, user, &code, &json, &id, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		web_reply_text(ws, 200, "application/json", json, NULL, NULL);
		return;
	}
	free(json);
}

/* Sets (json) or removes (NULL) the rules of user ("": the server's). */
static void rules_set(struct web_session *ws, struct pb_sync *t, const char *user,
		      const char *json)
{
	const char *error;
	uint32_t code = 0;

	int rc = directory_client_rules_set(t, user, json == NULL, json != NULL ? json : "", &code,
					    &error);
	if (web_stub_failed(ws, rc, code, error))
		return;
	pb_info("web", "event=rules_%s user=%s by=%s", json != NULL ? "set" : "deleted",
		PB_LOGQ(user), PB_LOGQ(ws->who.user));
	web_reply_json(ws, 204, NULL, NULL);
}

/* The body as the rule set's JSON text (allocated), NULL (answered 400) when it is not. */
static char *rules_body(struct web_session *ws, const struct http_request *q)
{
	cJSON *in = cJSON_ParseWithLength(q->body.data, q->body.len);
	char *json = cJSON_IsObject(in) || cJSON_IsArray(in) ? cJSON_PrintUnformatted(in) : NULL;

	cJSON_Delete(in);
	if (json == NULL)
		web_reply_error(ws, 400, "the body must be the rule set (docs/operations.md, Rules)");
	return json;
}

void web_rest_rules(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	rules_get(ws, t, ws->arg != NULL ? ws->arg : "");
}

void web_rest_rules_put(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	char *json = rules_body(ws, q);
	if (json != NULL)
		rules_set(ws, t, ws->arg != NULL ? ws->arg : "", json);
	free(json);
}

void web_rest_rules_del(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	rules_set(ws, t, ws->arg != NULL ? ws->arg : "", NULL);
}

/* ---- routing scripts ---- */

void web_rest_script(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	const char *error;
	uint32_t code = 0;
	char *text = NULL;

	int rc = directory_client_script(t, "get", ws->arg, NULL, &code, &text, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "script", text != NULL ? text : "");
		web_reply_json(ws, 200, o, NULL);
	}
	free(text);
}

/* op "set" (text) or "del" on the {name} account's script. */
static void script_op(struct web_session *ws, struct pb_sync *t, const char *op,
		      const char *text)
{
	const char *error;
	uint32_t code = 0;
	char *out = NULL;

	int rc = directory_client_script(t, op, ws->arg, text, &code, &out, &error);
	free(out);
	if (web_stub_failed(ws, rc, code, error))
		return;
	pb_info("web", "event=script_%s user=%s by=%s", op, PB_LOGQ(ws->arg), PB_LOGQ(ws->who.user));
	web_reply_json(ws, 204, NULL, NULL);
}

void web_rest_script_put(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	const char *text = web_body_str(in, "script");

	if (text == NULL)
		web_reply_error(ws, 400, "the body must be {\"script\": \"...Lua...\"}");
	else
		script_op(ws, t, "set", text);
	cJSON_Delete(in);
}

void web_rest_script_del(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	script_op(ws, t, "del", NULL);
}

/* ---- the account's settings groups ---- */

static const char *const forwarding_keys[] = { "forward_to", "use_forwarding", "keep_copy",
					       "assistants", "assistant_redirect", NULL };
static const char *const autoreply_keys[] = { "autoreply",	 "autoreply_subject",
					      "autoreply_text",	 "autoreply_start",
					      "autoreply_end",	 "autoreply_days",
					      NULL };
static const char *const blocked_keys[] = { "blocked", NULL };
/* the account's own signatures (send-policy.h; smtp-signature.c applies them) */
static const char *const signature_keys[] = { "signature_text", "signature_html",
					      "internal_signature_text",
					      "internal_signature_html", NULL };

static bool key_in(const char *const *keys, const char *key)
{
	for (size_t i = 0; keys[i] != NULL; i++)
		if (strcmp(keys[i], key) == 0)
			return true;
	return false;
}

/* Answers the group's keys of the {name} account's settings (null: the default). */
static void group_get(struct web_session *ws, struct pb_sync *t, const char *const *keys)
{
	struct directory_user_info info = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = directory_client_user_show(t, ws->arg, &code, &info, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		cJSON *settings = cJSON_Parse(info.settings != NULL ? info.settings : "{}");
		cJSON *o = cJSON_CreateObject();
		for (size_t i = 0; keys[i] != NULL; i++) {
			cJSON *v = cJSON_GetObjectItemCaseSensitive(settings, keys[i]);
			cJSON_AddItemToObject(o, keys[i], v != NULL ? cJSON_Duplicate(v, 1)
								    : cJSON_CreateNull());
		}
		cJSON_Delete(settings);
		web_reply_json(ws, 200, o, NULL);
	}
	directory_user_info_free(&info);
}

/* A member's value as `user set` takes it (allocated); NULL for a type it does not take. */
static char *value_text(const cJSON *v)
{
	if (cJSON_IsString(v))
		return xstrdup(v->valuestring);
	if (cJSON_IsBool(v))
		return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 1e12)
		return xasprintf("%.0f", v->valuedouble);
	return NULL;
}

/* A setting's value as it was (settings JSON), as `user set` takes it back (allocated); NULL:
 * it had none (the default). */
static char *value_before(const cJSON *before, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(before, key);

	if (cJSON_IsNumber(v))
		return xasprintf("%.0f", v->valuedouble);
	return v != NULL && !cJSON_IsNull(v) ? value_text(v) : NULL;
}

/* Puts the first n members of the body's keys back as before (the settings then) held them,
 * the last one first. 0, or -1 while an answer is awaited (the stub runs again). */
static int group_undo(struct web_session *ws, struct pb_sync *t, const cJSON *in, size_t n,
		      const cJSON *before)
{
	const cJSON **set = xcalloc(n + 1, sizeof(*set));
	const cJSON *v;
	size_t i = 0;
	uint32_t code;
	const char *error;

	cJSON_ArrayForEach(v, in) {
		if (i == n)
			break;
		set[i++] = v;
	}
	while (i-- > 0) {
		char *text = value_before(before, set[i]->string);
		int rc = directory_client_user_set(t, ws->arg, set[i]->string,
						   text != NULL ? text : "", text == NULL, &code,
						   &error);
		free(text);
		if (rc < 0 && web_stub_waits(ws)) {
			free(set);
			return -1;
		}
		if (rc < 0 || code != PB_OK)
			pb_warn("web", "event=settings_undo_failed user=%s key=%s", PB_LOGQ(ws->arg),
				PB_LOGQ(set[i]->string));
	}
	free(set);
	return 0;
}

/* Sets each member of the body (null: back to the default), one call each, in order; a member
 * the directory refuses puts the ones set before it back: a refused body changes nothing. */
static void group_patch(struct web_session *ws, const struct http_request *q, struct pb_sync *t,
			const char *const *keys)
{
	cJSON *in = web_body_object(q);
	const cJSON *v;
	const char *error = "";
	uint32_t code = PB_OK;
	int rc = 0;
	size_t applied = 0;

	if (in == NULL) {
		web_reply_error(ws, 400, "the body must be a JSON object");
		return;
	}
	cJSON_ArrayForEach(v, in) {
		bool typed = cJSON_IsNull(v) || cJSON_IsString(v) || cJSON_IsBool(v) ||
			     (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 1e12);
		if (!key_in(keys, v->string) || !typed) {
			char *why = xasprintf("%s: not a key of this group, or not a string, "
					      "boolean or number", v->string);
			web_reply_error(ws, 400, why);
			free(why);
			cJSON_Delete(in);
			return;
		}
	}
	/* the settings before: what a refusal puts back */
	struct directory_user_info info = { 0 };
	rc = directory_client_user_show(t, ws->arg, &code, &info, &error);
	if (web_stub_failed(ws, rc, code, error)) {
		directory_user_info_free(&info);
		cJSON_Delete(in);
		return;
	}
	cJSON *before = cJSON_Parse(info.settings != NULL ? info.settings : "{}");
	directory_user_info_free(&info);
	cJSON_ArrayForEach(v, in) {
		char *text = cJSON_IsNull(v) ? NULL : value_text(v);
		rc = directory_client_user_set(t, ws->arg, v->string, text != NULL ? text : "",
					       text == NULL, &code, &error);
		free(text);
		if (rc < 0 || code != PB_OK)
			break;
		applied++;
	}
	char *why = rc == 0 && code != PB_OK ? xstrdup(error != NULL ? error : "") : NULL;
	if (why == NULL || group_undo(ws, t, in, applied, before) == 0) {
		if (!web_stub_failed(ws, rc, code, why))
			web_reply_json(ws, 204, NULL, NULL);
	}
	free(why);
	cJSON_Delete(before);
	cJSON_Delete(in);
}

void web_rest_forwarding(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	group_get(ws, t, forwarding_keys);
}

void web_rest_forwarding_patch(struct web_session *ws, const struct http_request *q,
			       struct pb_sync *t)
{
	group_patch(ws, q, t, forwarding_keys);
}

void web_rest_autoreply(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	group_get(ws, t, autoreply_keys);
}

void web_rest_autoreply_patch(struct web_session *ws, const struct http_request *q,
			      struct pb_sync *t)
{
	group_patch(ws, q, t, autoreply_keys);
}

void web_rest_blocked(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	group_get(ws, t, blocked_keys);
}

void web_rest_blocked_patch(struct web_session *ws, const struct http_request *q,
			    struct pb_sync *t)
{
	group_patch(ws, q, t, blocked_keys);
}

/* ---- the server's routing script (user_redirect.lua: sys-script.c keeps it) ---- */

/* Reads, stores (text) or resets the server's script; answers {source, path, script, exists}. */
static void server_script(struct web_session *ws, struct pb_sync *t, enum sys_server_script_op op,
			  const char *text)
{
	struct sys_server_script s = { 0 };
	const char *error;
	uint32_t code = 0;
	char *by = xasprintf("web:%s", ws->who.user); /* as the settings history names it */

	int rc = sys_client_server_script(t, op, text, by, &code, &s, &error);
	free(by);
	if (!web_stub_failed(ws, rc, code, error)) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "source", s.source);
		cJSON_AddStringToObject(o, "path", s.path);
		cJSON_AddStringToObject(o, "script", s.text);
		cJSON_AddBoolToObject(o, "exists", s.exists);
		web_reply_json(ws, 200, o, NULL);
	}
	sys_server_script_free(&s);
}

void web_rest_server_script(struct web_session *ws, const struct http_request *q,
			    struct pb_sync *t)
{
	server_script(ws, t, SYS_SERVER_SCRIPT_GET, NULL);
}

void web_rest_server_script_put(struct web_session *ws, const struct http_request *q,
				struct pb_sync *t)
{
	cJSON *in = web_body_object(q);
	const char *text = web_body_str(in, "script");

	if (text == NULL)
		web_reply_error(ws, 400, "the body must be {\"script\": \"...Lua...\"}");
	else
		server_script(ws, t, SYS_SERVER_SCRIPT_PUT, text);
	cJSON_Delete(in);
}

void web_rest_server_script_delete(struct web_session *ws, const struct http_request *q,
				   struct pb_sync *t)
{
	server_script(ws, t, SYS_SERVER_SCRIPT_RESET, NULL);
}

void web_rest_signature(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	group_get(ws, t, signature_keys);
}

void web_rest_signature_patch(struct web_session *ws, const struct http_request *q,
			      struct pb_sync *t)
{
	group_patch(ws, q, t, signature_keys);
}

/* GET /api/users/{name}/quota: the account's usage against its quota, as `pillarbox user
 * quota NAME --json` prints it (mailbox-usage.h: the same reads, the same JSON). */
void web_rest_quota(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	struct mailbox_usage u;
	const char *error = NULL;
	uint32_t code = 0;
	uint64_t user_id = 0;
	char *name = NULL;

	(void)q;
	int rc = directory_client_user_lookup(t, ws->arg, &code, &user_id, &name, &error);
	if (!web_stub_failed(ws, rc, code, error)) {
		rc = mailbox_usage_read(t, user_id, &u, &code, &error);
		if (!web_stub_failed(ws, rc, code, error))
			web_reply_json(ws, 200, mailbox_usage_json(name, &u), NULL);
	}
	free(name);
}

/* GET /api/user-keys: every key of an account's settings with its help (user-keys.h: what
 * `pillarbox help user set` lists), for the admin pages' forms. */
void web_api_user_keys(struct web_session *ws, const struct http_request *q)
{
	cJSON *a = cJSON_CreateArray();
	const char *name, *help;

	(void)q;
	for (size_t i = 0; (name = user_key(i, &help)) != NULL; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "key", name);
		cJSON_AddStringToObject(o, "help", help);
		cJSON_AddItemToArray(a, o);
	}
	web_reply_json(ws, 200, a, NULL);
}
