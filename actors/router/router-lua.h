/*
 * router-lua.h: an account's own routing by script and its blocked senders (admin guide 4.5
 * "Scripted Forwarding", "Time Dependent Forwarding"; 4.11 "Blocking receipt"), for
 * router_plan_user_hooks (router-plan.c), once per account reached:
 *   1. blocked senders: the envelope sender matching one of the account's `blocked` entries
 *      (a whole address or a DOS wildcard, anchored, any case) is not delivered to it at all;
 *   2. the server's script (user_redirect.lua) then the account's own script, each run in the
 *      sandbox (pb-lua.h) with the message's facts and the account's settings. A decision that
 *      acted replaces the account's default routing (Forward To, assistants): the union of the
 *      folders and forward addresses of the scripts that acted. A script that fails (syntax,
 *      runtime error, a budget) counts as absent; its "NAME:LINE: reason" goes in the trace.
 * Pure: the scripts' text, the budgets and the clock come in router_lua_env (the router actor
 * caches the text: the account's by directory generation, the server's by mtime). No store,
 * no clock. THREAD: any. OWNS: the result it fills.
 */
#ifndef ROUTER_LUA_H
#define ROUTER_LUA_H

#include "pb-lua.h"
#include "router-plan.h"

/* What the scripts run with; borrowed for one resolution. */
struct router_lua_env {
	const char *server_name; /* "user_redirect.lua" */
	const char *server_text; /* NULL: no server script */
	size_t server_len;
	struct pb_lua_limits limits;
	int64_t now_s;        /* the router's wall clock */
	int32_t utc_offset_s; /* pb_lua_local_offset(now_s) */
	struct pb_lua_cache *cache; /* the shard's compiled scripts; NULL: compile every run */
};

/* The outcome for one account. Free with router_lua_result_free. */
struct router_lua_result {
	bool blocked;         /* the sender is blocked: nothing for this account */
	bool acted;           /* a script decided: folders and forward replace the default routing */
	bool no_assistants;   /* a script called no_assistants(): the assistants are not used */
	bool no_forwarding;   /* a script called no_forwarding(): the own Forward To is not used */
	struct pb_strv folders; /* a copy into each (distinct, case-insensitively) */
	struct pb_strv forward; /* addresses to resolve as forward targets */
	struct pb_strv trace;   /* lines for the plan's trace, in order */
	struct pb_strv errors;  /* each failed script's "NAME:LINE: reason", in run order */
	struct pb_strv ran;     /* the names of the scripts run, in order */
};

/* Runs the blocking check and the scripts for account u reached at addr. f->lua NULL: only
 * the blocking check. Never fails: what fails is said in the trace and counts as absent. */
void router_lua_user(const struct router_facts *f, const struct router_user *u, const char *addr,
		     struct router_lua_result *res_r);
void router_lua_result_free(struct router_lua_result *res);

/* Whether sender (NULL or "": the null sender, never blocked) matches an entry of blocked (';' or
 * ','-separated addresses or DOS wildcards). *entry_r: the entry that matched (static buffer of
 * the caller: size bytes). */
bool router_lua_blocked(const char *blocked, const char *sender, char *entry_r, size_t size);

/* The server script's file: setting (router.user_redirect) when not empty, else the copy
 * installed with the program (PB_USER_REDIRECT_DEFAULT). Borrowed or static. */
const char *router_lua_server_path(const char *setting);

/* The name a user's script runs under (errors, traces): "NAME.lua" into buf (size bytes). */
void router_lua_user_script_name(const char *user, char *buf, size_t size);

#endif
