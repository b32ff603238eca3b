/*
 * sys-script.c: the server's routing script (user_redirect.lua; docs/routing-scripts.md) for
 * GET/PUT/DELETE /api/scripts-server and `pillarbox script server`.
 *
 * Where the router finds it, first that applies: the file router.user_redirect names (an
 * administrator's file, edited there: not versioned, and PUT/DELETE refuse with EXISTS); the
 * text an administrator stored here; the copy installed with the program
 * (router_lua_server_path("")), which the daemon never writes. The stored text is kept in the
 * settings family as the document SYS_SCRIPT_DOC, {"text": "..."} ({} after a reset), written
 * with its history record in one synced batch (pb_store_setting_put_logged), so the settings
 * history shows who, when and a diff, and its rollback puts the previous text back (or {}: the
 * installed copy) through sys_script_apply. A settings value would not do: STR values are one
 * line of at most a few KiB and live in the fixed-size struct pb_settings. The text reaches
 * the router with the settings snapshot (pb_settings_publish_server_script).
 * OWNS: nothing beyond struct sys. THREAD: the sys actor's.
 * MESSAGES: handles SYS_SERVER_SCRIPT_REQ (SYS_SERVER_SCRIPT_REP).
 */
#include "sys-private.h"

#include "pb-log.h"
#include "pb-lua.h"
#include "pb-settings-snapshot.h"
#include "router-lua.h"
#include "store-settings.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#define SYS_SCRIPT_NAME "user_redirect.lua"

bool sys_script_doc(const char *doc)
{
	return strcmp(doc, SYS_SCRIPT_DOC) == 0;
}

/* The text of a stored document json ({"text": "..."}): 0 with *text_r (allocated; NULL for
 * {}: none), or -1 with *error_r allocated when it is not such a document or does not compile. */
static int script_of(const char *json, char **text_r, char **error_r)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text");
	int rc = -1;

	*text_r = NULL;
	if (!cJSON_IsObject(o) || (t != NULL && !cJSON_IsString(t)))
		*error_r = xstrdup("the stored server script is not {\"text\": \"...\"}");
	else if (t != NULL && strlen(t->valuestring) > PB_LUA_MAX_SCRIPT)
		*error_r = xasprintf("a routing script holds at most %d bytes", PB_LUA_MAX_SCRIPT);
	else if (t == NULL ||
		 pb_lua_check(SYS_SCRIPT_NAME, t->valuestring, strlen(t->valuestring), error_r) == 0)
		rc = 0;
	if (rc == 0 && t != NULL)
		*text_r = xstrdup(t->valuestring);
	cJSON_Delete(o);
	return rc;
}

/* The stored text: 1 with *text_r, 0 none, -1 with *error_r allocated. */
static int stored_text(struct sys *sys, char **text_r, char **error_r)
{
	char *json = NULL;
	const char *serror;
	int found = pb_store_setting_get(sys->args->store, SYS_SCRIPT_DOC, &json, &serror);

	*text_r = NULL;
	if (found < 0)
		*error_r = xstrdup(serror);
	if (found <= 0)
		return found;
	int rc = script_of(json, text_r, error_r);
	free(json);
	return rc < 0 ? -1 : *text_r != NULL;
}

int sys_script_load(struct pb_actor *a, struct sys *sys)
{
	char *text = NULL, *error = NULL;

	if (stored_text(sys, &text, &error) < 0)
		pb_warn("sys", "event=server_script_not_loaded reason=%s (the installed copy applies)",
			PB_LOGQ(error));
	pb_settings_publish_server_script(pb_actor_runtime(a), text);
	free(text);
	free(error);
	return 0;
}

int sys_script_apply(struct pb_actor *a, struct sys *sys, const char *json, const char *by,
		     const char *note, char **error_r)
{
	struct pb_setting_change c = { .by = (char *)by, .doc = SYS_SCRIPT_DOC,
				       .note = (char *)note };
	char *text;
	const char *serror = NULL;

	if (script_of(json, &text, error_r) < 0)
		return -1;
	int rc = pb_store_setting_get(sys->args->store, SYS_SCRIPT_DOC, &c.before, &serror);
	if (rc >= 0)
		rc = pb_store_setting_put_logged(sys->args->store, SYS_SCRIPT_DOC, json, &c, NULL,
						 &serror);
	free(c.before);
	if (rc < 0) {
		*error_r = xstrdup(serror);
		free(text);
		return -1;
	}
	pb_settings_publish_server_script(pb_actor_runtime(a), text);
	pb_log_security("sys", "event=server_script_set source=%s bytes=%zu by=%s",
			text != NULL ? "stored" : "installed", text != NULL ? strlen(text) : 0,
			PB_LOGQ(by));
	free(text);
	return 0;
}

/* Stores text (op 1) or {} (op 2), unless the setting names a file. 0, or -1 with *code_r
 * and *error_r allocated. */
static int script_change(struct pb_actor *a, struct sys *sys,
			 const struct msg_sys_server_script_req *q, uint32_t *code_r,
			 char **error_r)
{
	const char *file = sys->current.router.user_redirect;

	*code_r = PB_ERR_REFUSED;
	if (file[0] != '\0') {
		*code_r = PB_ERR_EXISTS;
		*error_r = xasprintf("router.user_redirect names the file %s: edit that file (it is "
				     "not versioned) or clear the setting to keep the script here",
				     file);
		return -1;
	}
	cJSON *o = cJSON_CreateObject();
	if (q->op == 1)
		cJSON_AddStringToObject(o, "text", q->text);
	char *json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	int rc = sys_script_apply(a, sys, json, q->by, "", error_r);
	free(json);
	return rc;
}

/* Fills r with the script in effect: source, path, text, exists. */
static int script_get(struct sys *sys, struct msg_sys_server_script_rep *r, char **error_r)
{
	const char *file = sys->current.router.user_redirect;
	const char *path = router_lua_server_path(file);
	size_t len;
	int found = file[0] == '\0' ? stored_text(sys, &r->text, error_r) : 0;

	if (found < 0)
		return -1;
	r->source = xstrdup(file[0] != '\0' ? "file" : found ? "stored" : "installed");
	r->path = xstrdup(found ? "" : path);
	r->exists = 1;
	if (found)
		return 0;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		r->text = xstrdup("");
		r->exists = 0;
		return 0;
	}
	return pb_lua_script_read(path, &r->text, &len, error_r);
}

int sys_on_server_script(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct sys *sys = state;
	const struct msg_sys_server_script_req *q = &m->u.sys_server_script_req;
	uint32_t code = PB_ERR_INTERNAL;
	char *error = NULL;
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_SYS_SERVER_SCRIPT_REP);
	struct msg_sys_server_script_rep *r = &rep.u.sys_server_script_rep;
	int rc = q->op == 1 || q->op == 2 ? script_change(a, sys, q, &code, &error) : 0;
	if (rc == 0) {
		code = PB_ERR_INTERNAL;
		rc = script_get(sys, r, &error);
	}
	if (rc < 0) {
		pb_msg_free(&rep);
		pb_reply_status(a, m, code, error);
		free(error);
		return 0;
	}
	r->error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}
