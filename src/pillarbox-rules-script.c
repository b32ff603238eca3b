/*
 * pillarbox-rules-script.c: the routing scripts in `rules dry-run USER ...` (issue 13 item 9,
 * "rules (and scripts)"): the server's user_redirect.lua and USER's own script run on each
 * message as delivery runs them — router_lua_user (router-lua.h), the same sandbox with the
 * budgets of the settings (router.lua_instructions, router.lua_memory_kb), USER's settings
 * as its `user` table — and what they would decide is reported, never done: a script's run
 * is pure (its decision is data), and the dry-run sends nothing but reads.
 * What differs from delivery, because stored mail has no envelope: the sender is the
 * message's Return-Path (which delivery writes first), "" without one; the recipient is
 * USER at the first local domain; "now" is the CLI's clock. The server script is the one the
 * daemon runs, asked of sys (router.user_redirect's file, else the text an administrator
 * stored, else the installed copy); a missing one is reported and counts as absent, as in the
 * daemon. A script's no_forwarding() and
 * no_assistants() are results of their own ("forwarding: suppressed by script (would otherwise
 * forward to X)"; in --json "forwarding" and "assistants" objects), with what the account's
 * settings would have done otherwise. A remote address a script forwards to is checked against
 * the account's sending permissions (internet_mail, forbidden_recipients) and
 * router.max_remote_targets as delivery checks it (router_remote_check), and a refusal is
 * reported with delivery's words ("forward to X not sent: ...").
 * OWNS: struct cli_scripts. THREAD: the CLI's.
 */
#include "directory-client-routes.h"
#include "directory-client.h"
#include "pb-alloc.h"
#include "pb-settings.h"
#include "pillarbox-cli.h"
#include "pillarbox-rules-script.h"
#include "router-remote.h"
#include "router-user.h"
#include "send-policy.h"
#include "sys-client.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* USER's settings and script text: 0, or the exit code (reported). */
static int load_user(struct cli *c, const char *user, struct cli_scripts *s)
{
	struct directory_user_info info = { 0 };
	const char *error;
	uint32_t code = 0;
	char *text = NULL;

	int rc = directory_client_user_show(&c->t, user, &code, &info, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot show the user");
	if (exit_code == 0) {
		struct send_policy sp;
		router_user_load(info.settings, info.user_id, info.user, &s->user);
		send_policy_from_json(info.settings, &sp);
		s->user.no_internet_mail = !sp.internet_mail;
		for (uint32_t i = 0; i < sp.forbidden.n; i++)
			pb_strv_push(&s->forbidden, sp.forbidden.v[i]);
		s->user.forbidden = &s->forbidden;
		send_policy_deinit(&sp);
		rc = directory_client_script(&c->t, "get", user, NULL, &code, &text, &error);
		exit_code = cli_outcome(c, rc, code, error, "cannot read the script");
	}
	if (exit_code == 0) {
		free((char *)s->user.script); /* the shown form says only its size */
		s->user.script = text;
		text = NULL;
	}
	free(text);
	directory_user_info_free(&info);
	return exit_code;
}

/* msg.recipient: USER at the first local domain (USER alone without one). */
static int load_address(struct cli *c, struct cli_scripts *s)
{
	struct pb_strv domains = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = directory_client_domain_list(&c->t, &code, &domains, &error);
	int exit_code = cli_outcome(c, rc, code, error, "cannot list domains");
	if (exit_code == 0)
		s->address = domains.n > 0 ? xasprintf("%s@%s", s->user.name, domains.v[0])
					   : xstrdup(s->user.name);
	s->domains = domains;
	return exit_code;
}

/* The server script the daemon runs, as sys answers it (sys-script.c: router.user_redirect's
 * file, else the stored text, else the installed copy); one that cannot be had is reported in
 * s->server_problem and counts as absent, as in the daemon. */
static void load_server_script(struct cli *c, struct cli_scripts *s)
{
	struct sys_server_script ss = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = sys_client_server_script(&c->t, SYS_SERVER_SCRIPT_GET, NULL, NULL, &code, &ss,
					  &error);
	if (rc < 0 || code != PB_OK) {
		s->server_problem = xasprintf("the server script is not run: %s", error);
	} else if (!ss.exists) {
		s->server_problem = xasprintf("the server script %s is not run: it is missing",
					      ss.path);
	} else {
		s->server_text = ss.text;
		s->env.server_len = strlen(ss.text);
		ss.text = NULL;
	}
	sys_server_script_free(&ss);
}

/* The budgets and the server script of the daemon's settings. */
static int load_env(struct cli *c, struct cli_scripts *s)
{
	struct pb_settings *st = xcalloc(1, sizeof(*st));

	pb_settings_defaults(st);
	int exit_code = cli_settings_fetch(c, "router", st);
	if (exit_code == 0) {
		s->env.limits.mem_bytes = (size_t)st->router.lua_memory_kb * 1024;
		s->env.limits.instructions = st->router.lua_instructions;
		s->max_remote = st->router.max_remote_targets;
		load_server_script(c, s);
	}
	free(st);
	s->env.server_name = "user_redirect.lua";
	s->env.server_text = s->server_text;
	s->env.now_s = (int64_t)time(NULL);
	s->env.utc_offset_s = pb_lua_local_offset(s->env.now_s);
	return exit_code;
}

int cli_scripts_load(struct cli *c, const char *user, struct cli_scripts *s_r)
{
	memset(s_r, 0, sizeof(*s_r));
	int exit_code = load_user(c, user, s_r);
	if (exit_code == 0)
		exit_code = load_address(c, s_r);
	if (exit_code == 0)
		exit_code = load_env(c, s_r);
	return exit_code;
}

void cli_scripts_free(struct cli_scripts *s)
{
	router_user_clear(&s->user);
	pb_strv_clear(&s->forbidden);
	pb_strv_clear(&s->domains);
	free(s->address);
	free(s->server_text);
	free(s->server_problem);
	memset(s, 0, sizeof(*s));
}

/* The address of a leading "Return-Path: <addr>" of raw (len octets), into buf; "" none. */
static void return_path(const char *raw, size_t len, char *buf, size_t size)
{
	const char *nl = memchr(raw, '\n', len);
	buf[0] = '\0';
	if (len < 12 || strncasecmp(raw, "Return-Path:", 12) != 0 || nl == NULL)
		return;
	const char *lt = memchr(raw, '<', (size_t)(nl - raw));
	const char *gt = lt != NULL ? memchr(lt, '>', (size_t)(nl - lt)) : NULL;
	if (gt != NULL && (size_t)(gt - lt - 1) < size)
		snprintf(buf, size, "%.*s", (int)(gt - lt - 1), lt + 1);
}

void cli_scripts_run(const struct cli_scripts *s, const struct router_message *m,
		     struct router_lua_result *res_r)
{
	char sender[512];

	return_path(m->raw != NULL ? m->raw : "", m->raw_len, sender, sizeof(sender));
	struct router_facts f = { .sender = sender, .size = m->facts.size,
				  .subject = m->subject != NULL ? m->subject : "",
				  .message = &m->facts, .lua = &s->env };
	router_lua_user(&f, &s->user, s->address, res_r);
}

/* Whether addr's domain is none of the local domains (no '@': a local account). */
static bool remote(const struct cli_scripts *s, const char *addr)
{
	const char *at = strrchr(addr, '@');

	for (uint32_t i = 0; at != NULL && i < s->domains.n; i++)
		if (strcasecmp(at + 1, s->domains.v[i]) == 0)
			return false;
	return at != NULL;
}

/* The refusals delivery would trace for the scripts' remote forwards (router_remote_check,
 * counted in order as the plan counts them), pushed to out_r. */
static void not_sent(const struct cli_scripts *s, const struct router_lua_result *res,
		     struct pb_strv *out_r)
{
	char why[ROUTER_PLAN_TRACE_LINE_MAX];
	uint32_t queued = 0;

	for (uint32_t i = 0; !res->blocked && res->acted && i < res->forward.n; i++) {
		if (!remote(s, res->forward.v[i]))
			continue;
		enum router_remote_verdict v = router_remote_check(&s->user, res->forward.v[i],
								   queued, s->max_remote, why,
								   sizeof(why));
		if (v == ROUTER_REMOTE_OK)
			queued++;
		else if (v != ROUTER_REMOTE_CAPPED || queued++ == s->max_remote)
			pb_strv_push(out_r, why);
	}
}

/* "folder A, forward to b@x" of what the scripts decided. */
static void print_decision(const struct router_lua_result *res)
{
	printf("scripts would decide:");
	for (uint32_t i = 0; i < res->folders.n; i++)
		printf("%s folder %s", i ? "," : "", res->folders.v[i]);
	for (uint32_t i = 0; i < res->forward.n; i++)
		printf("%s forward to %s", i || res->folders.n ? "," : "", res->forward.v[i]);
	printf("%s (nothing is done)\n", res->folders.n || res->forward.n ? "" : " no delivery here");
}

/* What the account's settings would have done that a script's no_forwarding() or
 * no_assistants() switched off: its Forward To (when Use Forwarding is on) or its assistants,
 * each as its targets (';'-separated text, "" none) and the word for what they do. */
struct suppressed {
	bool on;
	const char *what;    /* "forwarding", "assistants" */
	const char *verb;    /* "forward", "copy", "redirect" */
	const char *targets; /* "" none in use */
};

static void suppressed_of(const struct cli_scripts *s, const struct router_lua_result *res,
			  struct suppressed out_r[2])
{
	const struct router_user *u = &s->user;
	const char *fwd = u->use_forwarding && u->forward_to != NULL ? u->forward_to : "";
	const char *asst = u->assistants != NULL ? u->assistants : "";

	out_r[0] = (struct suppressed){ res->no_forwarding, "forwarding", "forward", fwd };
	out_r[1] = (struct suppressed){ res->no_assistants, "assistants",
					u->assistant_redirect ? "redirect" : "copy", asst };
}

/* "forwarding: suppressed by script (would otherwise forward to a@x, b)" per switch used. */
static void print_suppressed(const struct cli_scripts *s, const struct router_lua_result *res)
{
	struct suppressed sup[2];

	suppressed_of(s, res, sup);
	for (size_t i = 0; i < 2; i++) {
		if (!sup[i].on)
			continue;
		if (sup[i].targets[0] == '\0')
			printf("%s: suppressed by script (none in use for %s)\n", sup[i].what,
			       s->user.name);
		else
			printf("%s: suppressed by script (would otherwise %s to %s)\n", sup[i].what,
			       sup[i].verb, sup[i].targets);
	}
}

void cli_scripts_print(const struct cli_scripts *s, const struct router_lua_result *res)
{
	if (s->server_problem != NULL)
		printf("script: %s\n", s->server_problem);
	for (uint32_t i = 0; i < res->trace.n; i++)
		printf("script: %s\n", res->trace.v[i]);
	for (uint32_t i = 0; i < res->errors.n; i++)
		printf("script error: %s (stopped; delivered as if the script were absent)\n",
		       res->errors.v[i]);
	if (res->blocked)
		printf("scripts would decide: the sender is blocked, not delivered to %s\n",
		       s->user.name);
	else if (res->ran.n == 0)
		printf("scripts: none to run\n");
	else if (!res->acted)
		printf("scripts would decide: nothing (routed by the account's settings)\n");
	else
		print_decision(res);
	struct pb_strv refused = { 0 };
	not_sent(s, res, &refused);
	for (uint32_t i = 0; i < refused.n; i++)
		printf("script: %s\n", refused.v[i]);
	pb_strv_clear(&refused);
	print_suppressed(s, res);
}

static cJSON *strv_json(const struct pb_strv *v)
{
	cJSON *a = cJSON_CreateArray();

	for (uint32_t i = 0; i < v->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v->v[i]));
	return a;
}

/* {"suppressed": bool, "by": "script"|null, "mode": VERB, "targets": [...]} per switch. */
static void suppressed_json(const struct cli_scripts *s, const struct router_lua_result *res,
			    cJSON *o)
{
	struct suppressed sup[2];

	suppressed_of(s, res, sup);
	for (size_t i = 0; i < 2; i++) {
		cJSON *x = cJSON_CreateObject();
		struct pb_strv targets = { 0 };
		router_split_list(sup[i].targets, &targets);
		cJSON_AddBoolToObject(x, "suppressed", sup[i].on);
		if (sup[i].on)
			cJSON_AddStringToObject(x, "by", "script");
		else
			cJSON_AddNullToObject(x, "by");
		cJSON_AddStringToObject(x, "mode", sup[i].verb);
		cJSON_AddItemToObject(x, "targets", strv_json(&targets));
		cJSON_AddItemToObject(o, sup[i].what, x);
		pb_strv_clear(&targets);
	}
}

void *cli_scripts_json(const struct cli_scripts *s, const struct router_lua_result *res)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "ran", strv_json(&res->ran));
	cJSON_AddBoolToObject(o, "blocked", res->blocked);
	cJSON_AddBoolToObject(o, "acted", res->acted);
	cJSON_AddItemToObject(o, "folders", strv_json(&res->folders));
	cJSON_AddItemToObject(o, "forward", strv_json(&res->forward));
	cJSON_AddItemToObject(o, "errors", strv_json(&res->errors));
	cJSON_AddItemToObject(o, "trace", strv_json(&res->trace));
	struct pb_strv refused = { 0 };
	not_sent(s, res, &refused);
	cJSON_AddItemToObject(o, "not_sent", strv_json(&refused));
	pb_strv_clear(&refused);
	if (s->server_problem != NULL)
		cJSON_AddStringToObject(o, "server_script", s->server_problem);
	suppressed_json(s, res, o);
	return o;
}
