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

#ifndef PB_USER_REDIRECT_DEFAULT
#define PB_USER_REDIRECT_DEFAULT "user_redirect.lua"
#endif

const char *router_lua_server_path(const char *setting)
{
	return setting != NULL && setting[0] != '\0' ? setting : PB_USER_REDIRECT_DEFAULT;
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

/* Adds d's no_assistants() / no_forwarding() to res, with a trace line for each. */
static void trace_switches(struct router_lua_result *res, const char *name,
			   const struct pb_lua_decision *d)
{
	if (d->no_assistants)
		tracef(res, "script %s switched off the assistants", name);
	if (d->no_forwarding)
		tracef(res, "script %s switched off the account's own Forward To", name);
	res->no_assistants |= d->no_assistants;
	res->no_forwarding |= d->no_forwarding;
}

/* Runs one script; its decision, if it acted, is added to res (and its switches, if it ran). */
static void run_one(const struct router_lua_env *env, const char *name, const char *text,
		    size_t len, const struct pb_lua_facts *facts, struct router_lua_result *res)
{
	struct pb_lua_decision d;
	char *error = NULL;

	pb_strv_push(&res->ran, name);
	int rc = pb_lua_route_cached(env->cache, name, text, len, &env->limits, facts, &d, &error);
	for (uint32_t i = 0; i < d.n_trace; i++)
		tracef(res, "%s", d.trace[i]);
	if (rc == 0)
		trace_switches(res, name, &d);
	if (rc < 0) {
		pb_strv_push(&res->errors, error);
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

static const char *copy_redirect(bool redirect)
{
	return redirect ? "redirect" : "copy";
}

/* The account's settings a script sees as `user.NAME`: read-only copies, named as `pillarbox
 * user set` names them (docs/routing-scripts.md). Borrows u's strings. */
struct lua_user_settings {
	char over_kb[16], under_kb[16];
	struct pb_lua_setting v[14];
};

static void lua_user_settings(const struct router_user *u, struct lua_user_settings *s_r)
{
	snprintf(s_r->over_kb, sizeof(s_r->over_kb), "%u", u->size_over_kb);
	snprintf(s_r->under_kb, sizeof(s_r->under_kb), "%u", u->size_under_kb);
	const struct pb_lua_setting v[] = {
		{ "forward_to", u->forward_to },
		{ "use_forwarding", yes_no(u->use_forwarding) },
		{ "keep_copy", yes_no(u->keep_copy) },
		{ "assistants", u->assistants },
		{ "assistant_redirect", yes_no(u->assistant_redirect) },
		{ "blocked", u->blocked },
		{ "size_over_kb", s_r->over_kb },
		{ "size_over_action", copy_redirect(u->size_over_redirect) },
		{ "size_over_to", u->size_over_to },
		{ "size_under_kb", s_r->under_kb },
		{ "size_under_action", copy_redirect(u->size_under_redirect) },
		{ "size_under_to", u->size_under_to },
		{ "copy_sent_to", u->copy_sent_to },
		{ "no_forward_quarantined", yes_no(u->no_forward_quarantined) },
	};
	_Static_assert(sizeof(v) == sizeof(s_r->v), "lua_user_settings.v's size");
	memcpy(s_r->v, v, sizeof(v));
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
	struct lua_user_settings us;
	lua_user_settings(u, &us);
	const struct pb_lua_facts facts = {
		.recipient = addr, .user = u->name, .sender = f->sender, .subject = f->subject,
		.subject_fn = f->subject_fn, .subject_ctx = f->subject_ctx,
		.size = f->size, .now_s = env->now_s, .utc_offset_s = env->utc_offset_s,
		.settings = us.v, .n_settings = PB_N_ELEMENTS(us.v),
		.has_spam_score = f->has_spam_score, .spam_score = f->spam_score,
		.quarantined = f->spam_quarantine,
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
	pb_strv_clear(&res->errors);
	pb_strv_clear(&res->ran);
	memset(res, 0, sizeof(*res));
}
