/*
 * router-lua.c: blocked senders and routing scripts for one account (see router-lua.h).
 * OWNS: nothing beyond the result being filled. THREAD: any.
 */
#include "router-lua.h"

#include "pb-alloc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ROUTER_LUA_ENTRY_MAX 320

bool router_lua_blocked(const char *blocked, const char *sender, char *entry_r, size_t size)
{
	struct pb_strv v = { 0 };
	bool yes = false;

	if (sender == NULL || sender[0] == '\0')
		return false;
	router_split_list(blocked, &v);
	for (uint32_t i = 0; i < v.n && !yes; i++) {
		if (strlen(v.v[i]) > ROUTER_LUA_ENTRY_MAX || !router_wildcard_match(v.v[i], sender))
			continue;
		snprintf(entry_r, size, "%s", v.v[i]);
		yes = true;
	}
	pb_strv_clear(&v);
	return yes;
}

void router_lua_user_script_name(const char *user, char *buf, size_t size)
{
	snprintf(buf, size, "%s.lua", user != NULL ? user : "");
}

static void push_unique(struct pb_strv *v, const char *s)
{
	for (uint32_t i = 0; i < v->n; i++)
		if (strcasecmp(v->v[i], s) == 0)
			return;
	pb_strv_push(v, s);
}

static void tracef(struct router_lua_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tracef(struct router_lua_result *res, const char *fmt, ...)
{
	char line[ROUTER_PLAN_TRACE_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pb_strv_push(&res->trace, line);
}

/* Says what decision d did, in one trace line. */
static void trace_decision(struct router_lua_result *res, const char *name,
			   const struct pb_lua_decision *d)
{
	char what[ROUTER_PLAN_TRACE_LINE_MAX] = "";
	size_t at = 0;

	for (uint32_t i = 0; i < d->n_folders && at < sizeof(what); i++)
		at += (size_t)snprintf(what + at, sizeof(what) - at, "%sfolder %s", i ? ", " : "",
				       d->folders[i]);
	for (uint32_t i = 0; i < d->n_forward && at < sizeof(what); i++)
		at += (size_t)snprintf(what + at, sizeof(what) - at, "%sforward to %s",
				       at ? ", " : "", d->forward[i]);
	tracef(res, "script %s decided: %s", name, at ? what : "no delivery here");
}

/* Runs one script; its decision, if it acted, is added to res. */
static void run_one(const struct router_lua_env *env, const char *name, const char *text,
		    size_t len, const struct pb_lua_facts *facts, struct router_lua_result *res)
{
	struct pb_lua_decision d;
	char *error = NULL;

	int rc = pb_lua_route_cached(env->cache, name, text, len, &env->limits, facts, &d, &error);
	for (uint32_t i = 0; i < d.n_trace; i++)
		tracef(res, "%s", d.trace[i]);
	if (rc < 0) {
		tracef(res, "script failed: %s; routed as if absent", error);
	} else if (!d.acted) {
		tracef(res, "script %s decided nothing: routed as if absent", name);
	} else {
		res->acted = true;
		for (uint32_t i = 0; i < d.n_folders; i++)
			push_unique(&res->folders, d.folders[i]);
		for (uint32_t i = 0; i < d.n_forward; i++)
			push_unique(&res->forward, d.forward[i]);
		trace_decision(res, name, &d);
	}
	pb_lua_decision_free(&d);
	free(error);
}

static const char *yes_no(bool b)
{
	return b ? "true" : "false";
}

void router_lua_user(const struct router_facts *f, const struct router_user *u, const char *addr,
		     struct router_lua_result *res_r)
{
	char entry[ROUTER_LUA_ENTRY_MAX + 1], name[64];

	memset(res_r, 0, sizeof(*res_r));
	if (router_lua_blocked(u->blocked, f->sender, entry, sizeof(entry))) {
		res_r->blocked = true;
		tracef(res_r, "sender %s is blocked by %s (%s): not delivered to %s", f->sender,
		       u->name, entry, u->name);
		return;
	}
	const struct router_lua_env *env = f->lua;
	bool own = u->script != NULL && u->script[0] != '\0';
	if (env == NULL || (env->server_text == NULL && !own))
		return;
	const struct pb_lua_setting settings[] = {
		{ "forward_to", u->forward_to },
		{ "use_forwarding", yes_no(u->use_forwarding) },
		{ "keep_copy", yes_no(u->keep_copy) },
		{ "assistants", u->assistants },
		{ "assistant_redirect", yes_no(u->assistant_redirect) },
		{ "blocked", u->blocked },
	};
	const struct pb_lua_facts facts = {
		.recipient = addr, .user = u->name, .sender = f->sender, .subject = f->subject,
		.subject_fn = f->subject_fn, .subject_ctx = f->subject_ctx,
		.size = f->size, .now_s = env->now_s, .utc_offset_s = env->utc_offset_s,
		.settings = settings, .n_settings = PB_N_ELEMENTS(settings),
	};
	if (env->server_text != NULL)
		run_one(env, env->server_name, env->server_text, env->server_len, &facts, res_r);
	router_lua_user_script_name(u->name, name, sizeof(name));
	if (own)
		run_one(env, name, u->script, strlen(u->script), &facts, res_r);
}

void router_lua_result_free(struct router_lua_result *res)
{
	pb_strv_clear(&res->folders);
	pb_strv_clear(&res->forward);
	pb_strv_clear(&res->trace);
	memset(res, 0, sizeof(*res));
}
