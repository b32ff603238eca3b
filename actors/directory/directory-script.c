/*
 * directory-script.c: an account's routing script (DIR_SCRIPT_REQ; docs/routing-scripts.md),
 * kept in the account's settings (router-user.h "script") so that it follows the account
 * (deleted, renamed, copied with it) and reaches the router with the routing snapshot, whose
 * generation every write here moves (DIRECTORY_WRITES). A script is compiled in the sandbox
 * (pb_lua_check) before it is stored: a syntax error is refused with its line, never stored.
 * OWNS nothing. THREAD: the directory actor's.
 * MESSAGES: handles DIR_SCRIPT_REQ (answers DIR_SCRIPT_REP, or CORE_STATUS_REP for a failure).
 */
#include "directory-private.h"

#include "pb-log.h"
#include "pb-lua.h"
#include "router-lua.h"
#include "router-user.h"
#include "store-accounts.h"

#include <string.h>

/* Answers m with OK and text. */
static int reply_text(struct pb_actor *a, const struct pb_msg *m, const char *text)
{
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_DIR_SCRIPT_REP);
	rep.u.dir_script_rep.error = xstrdup("");
	rep.u.dir_script_rep.text = xstrdup(text);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* The script of u (get). */
static int script_get(struct pb_actor *a, const struct pb_msg *m, const struct pb_user_rec *u)
{
	struct router_user ru;

	router_user_load(u->settings_json, u->id, u->name, &ru);
	reply_text(a, m, ru.script);
	router_user_clear(&ru);
	return 0;
}

/* Checks text as u's script: compiles. NULL, or why not (allocated). */
static char *script_check(const struct pb_user_rec *u, const char *text)
{
	char name[64], *error = NULL;

	if (strlen(text) > PB_LUA_MAX_SCRIPT)
		return xasprintf("a routing script holds at most %d bytes", PB_LUA_MAX_SCRIPT);
	router_lua_user_script_name(u->name, name, sizeof(name));
	if (pb_lua_check(name, text, strlen(text), &error) < 0)
		return error;
	return NULL;
}

/* Stores text (NULL: none) as u's script; answers m. */
static int script_put(struct pb_actor *a, struct directory *d, const struct pb_msg *m,
		      struct pb_user_rec *u, const char *text)
{
	const char *error;
	char *json;

	if (router_user_set_script(u->settings_json, text, &json, &error) < 0)
		return pb_reply_status(a, m, PB_ERR_REFUSED, error), 0;
	char *before = directory_history_user_json(u);
	free(u->settings_json);
	u->settings_json = json;
	int put = directory_history_user_put(d, before, u, m->u.dir_script_req.by, &error);
	free(before);
	if (put < 0)
		return directory_store_failed(a, m, error);
	pb_log_security("directory", "event=user_script user=%s bytes=%zu", PB_LOGQ(u->name),
			text != NULL ? strlen(text) : 0);
	return reply_text(a, m, "");
}

int directory_on_script(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct directory *d = state;
	const struct msg_dir_script_req *q = &m->u.dir_script_req;
	struct pb_user_rec u;

	if (strcmp(q->op, "get") != 0 && strcmp(q->op, "set") != 0 && strcmp(q->op, "del") != 0)
		return pb_reply_status(a, m, PB_ERR_REFUSED, "the op is get, set or del"), 0;
	if (!directory_user_or_reply(a, d, m, q->user, &u))
		return 0;
	if (strcmp(q->op, "get") == 0) {
		script_get(a, m, &u);
	} else if (strcmp(q->op, "del") == 0) {
		script_put(a, d, m, &u, NULL);
	} else {
		char *why = script_check(&u, q->text);
		if (why != NULL)
			pb_reply_status(a, m, PB_ERR_REFUSED, why);
		else
			script_put(a, d, m, &u, q->text);
		free(why);
	}
	pb_user_rec_free(&u);
	return 0;
}
