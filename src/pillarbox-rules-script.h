/*
 * pillarbox-rules-script.h: the routing scripts of `rules dry-run USER` (pillarbox-rules-script.c):
 * loaded once per dry-run, run on each message, what they would decide printed; nothing done.
 * OWNS: struct cli_scripts. THREAD: the CLI's.
 */
#ifndef PILLARBOX_RULES_SCRIPT_H
#define PILLARBOX_RULES_SCRIPT_H

#include "pillarbox-cli.h"
#include "router-facts.h"
#include "router-lua.h"

/* What the scripts of one account run with, as delivery runs them. */
struct cli_scripts {
	struct router_user user; /* its settings (the `user` table) and its script */
	char *address;           /* msg.recipient */
	char *server_text;       /* user_redirect.lua, NULL: none (server_problem says why) */
	char *server_problem;    /* NULL, or why the server script is not run */
	struct router_lua_env env;
	struct pb_strv forbidden; /* user.forbidden points here (its forbidden_recipients) */
	struct pb_strv domains;   /* the local domains: a forward elsewhere is remote */
	uint32_t max_remote;      /* router.max_remote_targets */
};

/* Loads user's settings and script, the budgets and the server script. 0, or the exit code
 * (reported). Free with cli_scripts_free (also after a failure). */
int cli_scripts_load(struct cli *c, const char *user, struct cli_scripts *s_r);
void cli_scripts_free(struct cli_scripts *s);
/* Runs the blocked-sender check and the scripts on message m (router_lua_user: the server's,
 * then the account's). Never fails; free *res_r with router_lua_result_free. */
void cli_scripts_run(const struct cli_scripts *s, const struct router_message *m,
		     struct router_lua_result *res_r);
/* The outcome as "script..." lines on stdout, a forward the account may not send as
 * delivery's trace says it ("forward to X not sent: ...", router-remote.h); or as a cJSON object (returned as void *: the
 * caller adds it to its report, which then owns it). */
void cli_scripts_print(const struct cli_scripts *s, const struct router_lua_result *res);
void *cli_scripts_json(const struct cli_scripts *s, const struct router_lua_result *res);

#endif
