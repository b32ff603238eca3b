/*
 * test-router-lua.c: routing scripts and blocked senders in the router's plan (router-lua.h
 * through router_plan_resolve), table-driven: folders, forwards and redirects become plan
 * items, a decision replaces Forward To, a failing or looping script is routed as if absent
 * with its "NAME:LINE: reason" in the trace, the server script and the account's add up, the
 * clock is the router's; blocked senders; and the server script's cache (router-scripts.h).
 */
#include "pb-test.h"
#include "router-lua.h"
#include "router-plan.h"
#include "router-scripts.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const domains[] = { "example.com" };

/* The plan as "name:folder,@remote" in plan order (ids 1 ann, 2 ben). */
static void plan_text(const struct router_plan *p, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < p->n_items; i++) {
		const struct router_plan_item *it = &p->items[i];
		const char *name = it->user_id == 1 ? "ann" : it->user_id == 2 ? "ben" : "?";
		if (it->user_id == 0)
			snprintf(out + strlen(out), size - strlen(out), "%s@%s", i ? "," : "",
				 it->address);
		else
			snprintf(out + strlen(out), size - strlen(out), "%s%s:%s", i ? "," : "",
				 name, it->folder);
	}
}

static bool trace_has(const struct router_plan *p, const char *text)
{
	for (uint32_t i = 0; i < p->trace.n; i++)
		if (strstr(p->trace.v[i], text) != NULL)
			return true;
	for (uint32_t i = 0; i < p->trace.n; i++)
		fprintf(stderr, "  trace: %s\n", p->trace.v[i]);
	return false;
}

struct lua_case {
	const char *server;   /* the server script, NULL none */
	const char *script;   /* ann's script */
	const char *blocked;  /* ann's blocked senders */
	bool forwarding;      /* ann forwards to ben (Use Forwarding, no copy) */
	const char *sender;
	const char *subject;
	int64_t now_s;
	bool no_env;          /* facts without scripts (an RCPT check) */
	const char *rcpts;    /* "ann" or "ann,ben" */
	const char *want;
	const char *trace;    /* a part of one trace line, NULL none */
};

static const struct lua_case cases[] = {
	{ .rcpts = "ann", .want = "ann:INBOX" },
	{ .script = "deliver('Work')", .rcpts = "ann", .want = "ann:Work",
	  .trace = "script ann.lua decided: folder Work" },
	{ .script = "keep() deliver('Work')", .rcpts = "ann", .want = "ann:INBOX,ann:Work" },
	{ .script = "forward('ben@example.com')", .rcpts = "ann", .want = "ann:INBOX,ben:INBOX",
	  .trace = "forward to ben" },
	{ .script = "redirect('far@remote.net')", .rcpts = "ann", .want = "@far@remote.net" },
	{ .script = "redirect('ghost@example.com')", .rcpts = "ann", .want = "ann:INBOX",
	  .trace = "the script's decision reaches nobody: ann keeps the message" },
	/* a decision replaces Forward To; no decision leaves it */
	{ .script = "keep()", .forwarding = true, .rcpts = "ann", .want = "ann:INBOX" },
	{ .script = "log('looked')", .forwarding = true, .rcpts = "ann", .want = "ben:INBOX",
	  .trace = "script ann.lua decided nothing" },
	/* failures: as if absent, the reason with its line */
	{ .script = "keep()\nwhile true do end", .forwarding = true, .rcpts = "ann",
	  .want = "ben:INBOX", .trace = "script failed: ann.lua:2: instruction budget" },
	{ .script = "keep()\nif then", .rcpts = "ann", .want = "ann:INBOX",
	  .trace = "script failed: ann.lua:2:" },
	{ .script = "deliver('Work')\nerror('boom')", .rcpts = "ann", .want = "ann:INBOX",
	  .trace = "script failed: ann.lua:2: boom" },
	{ .script = "local s = ('x'):rep(100000000)",
	  .rcpts = "ann", .want = "ann:INBOX", .trace = "memory limit" },
	/* the server script first, then the account's: their decisions add up */
	{ .server = "if msg.user == 'ann' then forward('ben@example.com') end", .script = "deliver('Work')",
	  .rcpts = "ann", .want = "ann:INBOX,ann:Work,ben:INBOX" },
	{ .server = "error('broken')", .script = "deliver('Work')", .rcpts = "ann",
	  .want = "ann:Work", .trace = "script failed: user_redirect.lua:1: broken" },
	/* the facts: the subject, the router's clock, the user's settings */
	{ .server = "if msg.subject:find('urgent') then deliver('Urgent') end",
	  .subject = "very urgent", .rcpts = "ann", .want = "ann:Urgent" },
	{ .server = "if now.epoch >= 1000 and now.epoch < 2000 then redirect('far@remote.net') end",
	  .now_s = 1500, .rcpts = "ann", .want = "@far@remote.net" },
	{ .server = "if now.epoch >= 1000 and now.epoch < 2000 then redirect('far@remote.net') end",
	  .now_s = 2500, .rcpts = "ann", .want = "ann:INBOX" },
	{ .script = "if user.use_forwarding == 'true' then redirect(user.forward_to) end",
	  .forwarding = true, .rcpts = "ann", .want = "ben:INBOX" },
	/* no scripts in an RCPT check */
	{ .script = "deliver('Work')", .no_env = true, .rcpts = "ann", .want = "ann:INBOX" },
	/* blocked senders: that account only, before any script; the null sender never */
	{ .blocked = "x@y.z; *@SPAM.example", .sender = "joe@spam.example", .rcpts = "ann,ben",
	  .want = "ben:INBOX", .trace = "sender joe@spam.example is blocked by ann (*@SPAM.example)" },
	{ .blocked = "*@spam.example", .script = "forward('ben@example.com')", .sender = "joe@spam.example",
	  .rcpts = "ann", .want = "" },
	{ .blocked = "*@spam.example", .sender = "joe@spam.example.org", .rcpts = "ann",
	  .want = "ann:INBOX" },
	{ .blocked = "*", .sender = "", .rcpts = "ann", .want = "ann:INBOX" },
};

static void run_case(size_t i, const struct lua_case *t)
{
	struct router_user users[] = {
		{ .id = 1, .name = "ann", .script = t->script, .blocked = t->blocked,
		  .forward_to = t->forwarding ? "ben" : "", .use_forwarding = t->forwarding },
		{ .id = 2, .name = "ben" },
	};
	struct router_records r = { .domains = domains, .n_domains = 1, .users = users,
				    .n_users = 2 };
	struct router_lua_env env = { .server_name = "user_redirect.lua", .now_s = t->now_s };
	pb_lua_limits_default(&env.limits);
	env.limits.instructions = 100000;
	env.server_text = t->server;
	env.server_len = t->server != NULL ? strlen(t->server) : 0;
	struct router_facts f = { .sender = t->sender ? t->sender : "a@outside.example",
				  .size = 10, .subject = t->subject, .lua = t->no_env ? NULL : &env };
	const char *two[] = { "ann@example.com", "ben@example.com" };
	struct router_plan p;
	char got[256];

	router_plan_resolve(&r, &f, two, NULL, strcmp(t->rcpts, "ann") == 0 ? 1 : 2, &p);
	plan_text(&p, got, sizeof(got));
	if (strcmp(got, t->want) != 0)
		fprintf(stderr, "  case %zu\n", i);
	CHECK_STR(got, t->want);
	CHECK(t->trace == NULL || trace_has(&p, t->trace));
	router_plan_free(&p);
}

static void test_plan_cases(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++)
		run_case(i, &cases[i]);
}

static void test_blocked_entries(void)
{
	char entry[64];

	CHECK(router_lua_blocked(" a@b.c , d@e.f ", "D@E.F", entry, sizeof(entry)));
	CHECK_STR(entry, "d@e.f");
	CHECK(!router_lua_blocked("a@b.c", "a@b.cc", entry, sizeof(entry)));
	CHECK(!router_lua_blocked("", "a@b.c", entry, sizeof(entry)));
	CHECK(!router_lua_blocked(NULL, "a@b.c", entry, sizeof(entry)));
	CHECK(!router_lua_blocked("*", NULL, entry, sizeof(entry)));
	CHECK(router_lua_blocked(";;*@x.org", "me@x.org", entry, sizeof(entry)));
}

static void write_file(const char *path, const char *text, time_t mtime)
{
	FILE *f = fopen(path, "w");
	REQUIRE(f != NULL);
	fputs(text, f);
	fclose(f);
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	REQUIRE(utimensat(AT_FDCWD, path, ts, 0) == 0);
}

/* The server script is read once, again when its size or mtime changes, and forgotten when
 * the file goes; the file is looked at no more than every ROUTER_SCRIPTS_CHECK_MS. */
static void test_server_cache(void)
{
	char dir[] = "/tmp/test-router-lua-XXXXXX";
	REQUIRE(mkdtemp(dir) != NULL);
	char *path = xasprintf("%s/user_redirect.lua", dir);
	struct router_scripts s = { 0 };
	int64_t t = 5000, step = ROUTER_SCRIPTS_CHECK_MS;

	router_scripts_server(&s, path, t);
	CHECK(s.text == NULL); /* missing */
	write_file(path, "keep()", 1000);
	router_scripts_server(&s, path, t + step - 1); /* too soon to look again */
	CHECK(s.text == NULL);
	router_scripts_server(&s, path, t += step);
	REQUIRE(s.text != NULL);
	CHECK_STR(s.text, "keep()");
	write_file(path, "log(1)", 1000); /* same size and mtime: the cached text stays */
	router_scripts_server(&s, path, t += step);
	CHECK_STR(s.text, "keep()");
	write_file(path, "log(1)", 2000);
	router_scripts_server(&s, path, t += step);
	CHECK_STR(s.text, "log(1)");
	write_file(path, "log(12)", 2000); /* another size */
	router_scripts_server(&s, path, t += step);
	CHECK_STR(s.text, "log(12)");
	REQUIRE(unlink(path) == 0);
	router_scripts_server(&s, path, t += step);
	CHECK(s.text == NULL);
	router_scripts_deinit(&s);
	rmdir(dir);
	free(path);
}

/* The stored text replaces the file's (and is copied: the caller's may go); the same text
 * again keeps s's copy; back to a file, the file is read again. */
static void test_server_stored(void)
{
	char dir[] = "/tmp/test-router-lua-XXXXXX";
	REQUIRE(mkdtemp(dir) != NULL);
	char *path = xasprintf("%s/user_redirect.lua", dir);
	struct router_scripts s = { 0 };
	int64_t t = 5000;

	write_file(path, "keep()", 1000);
	router_scripts_server(&s, path, t);
	CHECK_STR(s.text, "keep()");
	char *stored = xstrdup("log(2)");
	router_scripts_stored(&s, stored);
	CHECK(s.path == NULL);
	CHECK_STR(s.text, "log(2)");
	CHECK(s.text != stored);
	const char *copy = s.text;
	router_scripts_stored(&s, stored);
	CHECK(s.text == copy); /* unchanged: not copied again */
	free(stored);
	router_scripts_stored(&s, "log(3)");
	CHECK_STR(s.text, "log(3)");
	CHECK_INT(s.len, 6);
	router_scripts_server(&s, path, t + 1); /* path changed: looked at at once */
	CHECK_STR(s.path, path);
	CHECK_STR(s.text, "keep()");
	router_scripts_deinit(&s);
	unlink(path);
	rmdir(dir);
	free(path);
}

static const struct pb_test_case tests[] = {
	{ "plan_cases", test_plan_cases },
	{ "blocked_entries", test_blocked_entries },
	{ "server_cache", test_server_cache },
	{ "server_stored", test_server_stored },
};

PB_TEST_MAIN(tests)
