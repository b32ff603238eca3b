/*
 * test-router-lua-user.c: router_lua_user's result as the CLI's `rules dry-run` reads it
 * (router-lua.h), table-driven: which scripts ran, what they decided (folders, forwards),
 * each failure's "NAME:LINE: reason" in errors (a looping script stopped by its budget, a
 * runtime error, a syntax error), a blocked sender; the account's settings in the script's
 * user table, the forwarding keys (size dependent forwarding, copy_sent_to,
 * no_forward_quarantined) among them, read-only; the server script's path; and the bundled
 * user_redirect.lua in the router's plan: a listed user outside the schedule keeps their
 * assistants and size-dependent forwarding; outside an assistants window the assistants,
 * and outside the window of an entry without `to` the own Forward To, are switched off.
 */
#include "pb-alloc.h"
#include "pb-test.h"
#include "router-lua.h"
#include "router-plan.h"

#include <stdio.h>
#include <string.h>

struct user_case {
	const char *server, *script; /* NULL: none */
	const char *sender;
	const char *ran;     /* the names run, ',' joined */
	bool acted;
	const char *folders; /* ',' joined */
	const char *forward;
	const char *errors;  /* ',' joined */
	const char *trace;   /* a part of one trace line, NULL none */
	bool blocked;
	bool no_assistants, no_forwarding;
};

static const struct user_case cases[] = {
	{ .ran = "" },
	{ .script = "if msg.sender == 'boss@x.example' then deliver('FromBoss') end",
	  .sender = "boss@x.example", .ran = "ann.lua", .acted = true, .folders = "FromBoss",
	  .trace = "script ann.lua decided: folder FromBoss" },
	{ .script = "if msg.sender == 'boss@x.example' then deliver('FromBoss') end",
	  .sender = "other@x.example", .ran = "ann.lua", .trace = "decided nothing" },
	{ .server = "forward('s@remote.net')", .script = "redirect('a@remote.net')",
	  .ran = "user_redirect.lua,ann.lua", .acted = true, .folders = "INBOX",
	  .forward = "s@remote.net,a@remote.net" },
	{ .script = "keep()\nwhile true do end", .ran = "ann.lua",
	  .errors = "ann.lua:2: instruction budget of 100000 exhausted",
	  .trace = "script failed: ann.lua:2: instruction budget" },
	{ .server = "keep()\nlocal x = = 1", .script = "deliver('W')\nerror('boom')",
	  .ran = "user_redirect.lua,ann.lua", .errors = "user_redirect.lua:2:,ann.lua:2: boom" },
	/* the user table: the forwarding keys as `user set` names them, read-only */
	{ .script = "log(user.size_over_kb, user.size_over_action, user.size_over_to,"
		    " user.size_under_kb, user.size_under_action, user.size_under_to,"
		    " user.copy_sent_to, user.no_forward_quarantined, user.forward_to)"
		    " user.size_over_kb = '1' log(user.size_over_kb) keep()",
	  .ran = "ann.lua", .acted = true, .folders = "INBOX",
	  .trace = "300 redirect big@r.net 2 copy small@r.net arch@r.net true ben" },
	{ .script = "user.size_over_kb = '1'\nkeep()", .ran = "ann.lua", .acted = true,
	  .folders = "INBOX" },
	{ .sender = "joe@spam.example", .script = "keep()", .ran = "", .blocked = true,
	  .trace = "is blocked by ann" },
	/* the switches: no decision, the rest of the routing applies without them */
	{ .server = "no_assistants()", .script = "no_forwarding()",
	  .ran = "user_redirect.lua,ann.lua", .no_assistants = true, .no_forwarding = true,
	  .trace = "script ann.lua switched off the account's own Forward To" },
	{ .script = "no_assistants()\nerror('late')", .ran = "ann.lua",
	  .errors = "ann.lua:2: late" },
};

/* v's strings ',' joined into out. */
static void join(const struct pb_strv *v, char *out, size_t size)
{
	out[0] = '\0';
	for (uint32_t i = 0; i < v->n; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? "," : "", v->v[i]);
}

static bool trace_has(const struct router_lua_result *res, const char *text)
{
	for (uint32_t i = 0; i < res->trace.n; i++)
		if (strstr(res->trace.v[i], text) != NULL)
			return true;
	for (uint32_t i = 0; i < res->trace.n; i++)
		fprintf(stderr, "  trace: %s\n", res->trace.v[i]);
	return false;
}

/* Whether every ','-separated part of want starts the error at the same place. */
static bool errors_match(const struct pb_strv *errors, const char *want)
{
	char copy[256], *save = NULL;
	uint32_t i = 0;

	snprintf(copy, sizeof(copy), "%s", want != NULL ? want : "");
	for (char *w = strtok_r(copy, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save), i++)
		if (i >= errors->n || strncmp(errors->v[i], w, strlen(w)) != 0)
			return false;
	return i == errors->n;
}

static void run_case(size_t i, const struct user_case *t)
{
	struct router_user u = {
		.id = 1, .name = "ann", .script = t->script, .blocked = "*@spam.example",
		.forward_to = "ben", .size_over_kb = 300, .size_over_redirect = true,
		.size_over_to = "big@r.net", .size_under_kb = 2, .size_under_to = "small@r.net",
		.copy_sent_to = "arch@r.net", .no_forward_quarantined = true,
	};
	struct router_lua_env env = { .server_name = "user_redirect.lua", .server_text = t->server,
				      .server_len = t->server != NULL ? strlen(t->server) : 0 };
	pb_lua_limits_default(&env.limits);
	env.limits.instructions = 100000;
	struct router_facts f = { .sender = t->sender ? t->sender : "a@outside.example",
				  .size = 10, .subject = "s", .lua = &env };
	struct router_lua_result res;
	char got[512];

	fprintf(stderr, "case %zu\n", i);
	router_lua_user(&f, &u, "ann@example.com", &res);
	join(&res.ran, got, sizeof(got));
	CHECK_STR(got, t->ran);
	CHECK(res.acted == t->acted);
	CHECK(res.blocked == t->blocked);
	join(&res.folders, got, sizeof(got));
	CHECK_STR(got, t->folders != NULL ? t->folders : "");
	join(&res.forward, got, sizeof(got));
	CHECK_STR(got, t->forward != NULL ? t->forward : "");
	CHECK(errors_match(&res.errors, t->errors));
	CHECK(t->trace == NULL || trace_has(&res, t->trace));
	CHECK(res.no_assistants == t->no_assistants);
	CHECK(res.no_forwarding == t->no_forwarding);
	router_lua_result_free(&res);
}

static void test_user_cases(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++)
		run_case(i, &cases[i]);
}

/* A script changes its copy of the user table only: the next run sees the settings again. */
static void test_user_table_read_only(void)
{
	struct router_user u = { .id = 1, .name = "ann", .size_over_kb = 300,
				 .script = "log(user.size_over_kb) user.size_over_kb = '1'" };
	struct router_lua_env env = { .server_name = "user_redirect.lua" };
	pb_lua_limits_default(&env.limits);
	struct router_facts f = { .sender = "a@b.c", .size = 1, .lua = &env };
	struct router_lua_result res;

	for (int run = 0; run < 2; run++) {
		router_lua_user(&f, &u, "ann@example.com", &res);
		CHECK(trace_has(&res, "300"));
		router_lua_result_free(&res);
	}
	CHECK(u.size_over_kb == 300);
}

/* The bundled user_redirect.lua (router_lua_server_path's default) with ann listed: inside
 * her schedule it redirects; a quarantined message it keeps when she does not forward
 * quarantined mail (no_forward_quarantined), and redirects when she does; msg.spam_score is
 * the score, nil unscored. */
static void test_user_redirect_quarantine(void)
{
	char *text, *error = NULL;
	size_t len;
	REQUIRE(pb_lua_script_read(router_lua_server_path(""), &text, &len, &error) == 0);
	const char *at = strstr(text, "local config = {\n");
	REQUIRE(at != NULL);
	char *server = xasprintf("%.*slocal config = {\n  ann = { to = \"far@remote.net\" },\n%s",
				 (int)(at - text), text, at + strlen("local config = {\n"));
	struct router_lua_env env = { .server_name = "user_redirect.lua", .server_text = server,
				      .server_len = strlen(server), .now_s = 1800000000 };
	pb_lua_limits_default(&env.limits);
	struct router_user u = { .id = 1, .name = "ann", .no_forward_quarantined = true,
				 .script = "log('score', msg.spam_score)" };
	struct router_facts f = { .sender = "a@b.c", .size = 1, .lua = &env };
	struct router_lua_result res;
	char got[128];

	router_lua_user(&f, &u, "ann@example.com", &res);
	join(&res.forward, got, sizeof(got));
	CHECK_STR(got, "far@remote.net");
	CHECK_INT(res.folders.n, 0);
	CHECK(trace_has(&res, "score nil"));
	router_lua_result_free(&res);
	f.has_spam_score = f.spam_quarantine = true;
	f.spam_score = 15.5;
	router_lua_user(&f, &u, "ann@example.com", &res);
	CHECK_INT(res.forward.n, 0);
	join(&res.folders, got, sizeof(got));
	CHECK_STR(got, "INBOX");
	CHECK(trace_has(&res, "kept, not forwarded: the message would be quarantined"));
	CHECK(trace_has(&res, "score 15.5"));
	router_lua_result_free(&res);
	u.no_forward_quarantined = false;
	router_lua_user(&f, &u, "ann@example.com", &res);
	join(&res.forward, got, sizeof(got));
	CHECK_STR(got, "far@remote.net");
	router_lua_result_free(&res);
	free(server);
	free(text);
}

static void test_server_path(void)
{
	CHECK_STR(router_lua_server_path("/etc/x.lua"), "/etc/x.lua");
	const char *def = router_lua_server_path("");
	CHECK(strlen(def) > strlen("user_redirect.lua"));
	CHECK_STR(def + strlen(def) - strlen("/user_redirect.lua"), "/user_redirect.lua");
	CHECK_STR(router_lua_server_path(NULL), def);
}

/* The bundled user_redirect.lua with its config block replaced by config. */
static char *bundled_with(const char *config)
{
	char *text, *error = NULL;
	size_t len;
	if (pb_lua_script_read(router_lua_server_path(""), &text, &len, &error) < 0) {
		fprintf(stderr, "  %s\n", error);
		free(error);
		return NULL;
	}
	char *begin = strstr(text, "local config = {\n"), *end = strstr(text, "-- CONFIG END\n");
	char *out = begin != NULL && end != NULL
		? xasprintf("%.*s%s%s", (int)(begin - text), text, config, end) : NULL;
	free(text);
	return out;
}

/* The plan's items as "ID:FOLDER" or "@ADDRESS", ',' joined. */
static void plan_text(const struct router_plan *p, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < p->n_items; i++) {
		const struct router_plan_item *it = &p->items[i];
		size_t off = strlen(out);
		if (it->user_id == 0)
			snprintf(out + off, size - off, "%s@%s", i ? "," : "", it->address);
		else
			snprintf(out + off, size - off, "%s%u:%s", i ? "," : "", (unsigned)it->user_id,
				 it->folder);
	}
}

/* The plan of ann (users[0], her helper users[1]) under the bundled script with config, at
 * 1800000000 (outside every window) and at 2000-01-01 12:00 UTC (inside); into out and in. */
static void plan_at(const char *config, struct router_user *users, uint64_t size, char *out,
		    char *in, size_t n)
{
	static const char *const domains[] = { "example.com" };
	char *server = bundled_with(config);
	REQUIRE(server != NULL);
	struct router_records r = { .domains = domains, .n_domains = 1, .users = users,
				    .n_users = 2 };
	struct router_lua_env env = { .server_name = "user_redirect.lua", .server_text = server,
				      .server_len = strlen(server), .now_s = 1800000000 };
	pb_lua_limits_default(&env.limits);
	struct router_facts f = { .sender = "a@outside.example", .size = size, .lua = &env };
	const char *rcpt[] = { "ann@example.com" };
	struct router_plan p;

	router_plan_resolve(&r, &f, rcpt, NULL, 1, &p);
	plan_text(&p, out, n);
	router_plan_free(&p);
	env.now_s = 946728000;
	router_plan_resolve(&r, &f, rcpt, NULL, 1, &p);
	plan_text(&p, in, n);
	router_plan_free(&p);
	free(server);
}

/* Issue 13: ann is listed in user_redirect.lua with a window of 2000-01-01 only. Outside it
 * the script decides nothing, so her assistant ben gets his copy and her size-dependent
 * forwarding sends big mail on; inside it the script's redirect replaces them. */
static void test_user_redirect_outside_keeps_assistants(void)
{
	struct router_user users[] = {
		{ .id = 1, .name = "ann", .assistants = "ben", .size_over_kb = 1,
		  .size_over_to = "big@remote.net" },
		{ .id = 2, .name = "ben" },
	};
	char out[256], in[256];

	plan_at("local config = {\n  ann = { to = 'far@remote.net',"
		" from = '20000101', ['until'] = '20000101' },\n}\n", users, 4096, out, in,
		sizeof(out));
	CHECK_STR(out, "@big@remote.net,2:INBOX,1:INBOX");
	CHECK_STR(in, "@far@remote.net");
}

/* Issue 13 (guide 4.5, "Use Assistants between"): outside ann's assistants window the plan
 * has no copy for her assistant ben, inside it does; her Forward To applies either way. */
static void test_user_redirect_assistants_window(void)
{
	struct router_user users[] = {
		{ .id = 1, .name = "ann", .assistants = "ben", .use_forwarding = true,
		  .forward_to = "fwd@remote.net", .keep_copy = true },
		{ .id = 2, .name = "ben" },
	};
	char out[256], in[256];

	plan_at("local config = {\n  ann = { assistants_from = '20000101',"
		" assistants_until = '20000101' },\n}\n", users, 10, out, in, sizeof(out));
	CHECK_STR(out, "@fwd@remote.net,1:INBOX");
	CHECK_STR(in, "2:INBOX,@fwd@remote.net,1:INBOX");
}

/* Issue 13 ("Use Forwards between"): an entry without `to` and Use Forwarding on: outside the
 * window her Forward To is switched off (her assistant still gets his copy), inside it the
 * script redirects to it. */
static void test_user_redirect_forward_window(void)
{
	struct router_user users[] = {
		{ .id = 1, .name = "ann", .assistants = "ben", .use_forwarding = true,
		  .forward_to = "fwd@remote.net" },
		{ .id = 2, .name = "ben" },
	};
	char out[256], in[256];

	plan_at("local config = {\n  ann = { from = '20000101', ['until'] = '20000101' },\n}\n",
		users, 10, out, in, sizeof(out));
	CHECK_STR(out, "2:INBOX,1:INBOX");
	CHECK_STR(in, "@fwd@remote.net");
}

static const struct pb_test_case tests[] = {
	{ "user_redirect_outside_keeps_assistants", test_user_redirect_outside_keeps_assistants },
	{ "user_redirect_assistants_window", test_user_redirect_assistants_window },
	{ "user_redirect_forward_window", test_user_redirect_forward_window },
	{ "user_cases", test_user_cases },
	{ "user_table_read_only", test_user_table_read_only },
	{ "server_path", test_server_path },
	{ "user_redirect_quarantine", test_user_redirect_quarantine },
};

PB_TEST_MAIN(tests)
