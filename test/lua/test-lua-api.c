/*
 * test-lua-api.c: the routing API a script sees — the facts (msg, user, now in the server's
 * local time), and the actions turned into a decision: a table of scripts with the folders
 * and forward addresses they yield (the implicit keep, redirect cancelling it, dedupe, the
 * "as if absent" cases), the switches no_assistants() and no_forwarding(), bad arguments
 * refused, the bounds on actions and log lines.
 */
#include "pb-alloc.h"
#include "pb-lua.h"
#include "pb-test.h"

#include <stdio.h>

/* Monday 2026-11-30 07:30:00 UTC. */
#define MONDAY_0730_UTC 1796023800

static const struct pb_lua_setting settings[] = {
	{ "forward_to", "phil@example.com;ann@example.net" },
	{ "use_forwarding", "true" },
};

static const struct pb_lua_facts facts = {
	.recipient = "Sue@Example.com", .user = "sue", .sender = "boss@corp.example",
	.subject = "Quarterly \xc3\xa9tat", .size = 12345, .now_s = MONDAY_0730_UTC,
	.utc_offset_s = 3600, .settings = settings, .n_settings = 2,
};

/* Runs script on facts; returns rc with the decision and error for the caller to free. */
static int run(const char *script, struct pb_lua_decision *d, char **error)
{
	struct pb_lua_limits limits;

	pb_lua_limits_default(&limits);
	*error = NULL;
	return pb_lua_route("t.lua", script, strlen(script), &limits, &facts, d, error);
}

/* The facts, checked by the script itself (assert fails the run with its line). */
static void test_facts(void)
{
	struct pb_lua_decision d;
	char *error;
	const char *s =
		"assert(msg.recipient == 'Sue@Example.com' and msg.user == 'sue')\n"
		"assert(msg.sender == 'boss@corp.example' and msg.size == 12345)\n"
		"assert(msg.subject == 'Quarterly \\u{e9}tat')\n"
		"assert(user.forward_to == 'phil@example.com;ann@example.net')\n"
		"assert(user.use_forwarding == 'true' and user.nothing == nil)\n"
		"assert(now.epoch == 1796023800 and now.year == 2026 and now.month == 11)\n"
		"assert(now.day == 30 and now.hour == 8 and now.min == 30 and now.sec == 0)\n"
		"assert(now.wday == 1 and now.weekday == 'mon')\n"
		"assert(now.date == '20261130' and now.time == '08:30')\n";

	CHECK_INT(run(s, &d, &error), 0);
	CHECK(error == NULL);
	CHECK(!d.acted);
	CHECK_INT(d.n_folders, 0);
	free(error);
	pb_lua_decision_free(&d);
}

/* A NULL string fact reads as "", and the day rolls over with the offset. */
static void test_facts_edges(void)
{
	struct pb_lua_facts f = { .now_s = MONDAY_0730_UTC, .utc_offset_s = -8 * 3600 };
	struct pb_lua_limits limits;
	struct pb_lua_decision d;
	char *error = NULL;
	const char *s = "assert(msg.subject == '' and msg.sender == '' and next(user) == nil)\n"
			"assert(now.weekday == 'sun' and now.wday == 7 and now.time == '23:30')\n"
			"assert(now.date == '20261129')\n";

	pb_lua_limits_default(&limits);
	CHECK_INT(pb_lua_route("t.lua", s, strlen(s), &limits, &f, &d, &error), 0);
	CHECK(error == NULL);
	free(error);
	pb_lua_decision_free(&d);
}

struct action_case {
	const char *script;
	bool acted;
	const char *folders; /* joined by " " */
	const char *forward; /* joined by " " */
};

static const struct action_case action_cases[] = {
	{ "", false, "", "" },
	{ "log('nothing to do')", false, "", "" },
	{ "keep()", true, "INBOX", "" },
	{ "deliver()", true, "INBOX", "" },
	{ "deliver('inbox')", true, "INBOX", "" },
	{ "deliver('Work/Reports')", true, "Work/Reports", "" },
	{ "deliver('A') deliver('B') deliver('A') keep()", true, "A B INBOX", "" },
	{ "forward('phil@example.com')", true, "INBOX", "phil@example.com" },
	{ "redirect('phil@example.com')", true, "", "phil@example.com" },
	{ "redirect('phil@example.com') deliver('Copies')", true, "Copies",
	  "phil@example.com" },
	{ "forward(user.forward_to)", true, "INBOX", "phil@example.com ann@example.net" },
	{ "redirect({'a@x.example', 'b@x.example; c@x.example'})", true, "",
	  "a@x.example b@x.example c@x.example" },
	{ "forward(' a@x.example ,A@X.example;; a@x.example ')", true, "INBOX", "a@x.example" },
	{ "forward('a@x.example') redirect('b@x.example')", true, "",
	  "a@x.example b@x.example" },
	/* A failure after actions: none of them stand. */
	{ "redirect('a@x.example')\nerror('late')", false, "", "" },
};

static void join(char *out, size_t size, char *const *items, uint32_t n)
{
	size_t off = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(out + off, size - off, "%s%s", i > 0 ? " " : "", items[i]);
}

static void test_actions(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(action_cases); i++) {
		const struct action_case *c = &action_cases[i];
		struct pb_lua_decision d;
		char *error, got[512];
		int rc = run(c->script, &d, &error);

		CHECK_INT(rc, strstr(c->script, "error(") != NULL ? -1 : 0);
		CHECK_INT(d.acted, c->acted);
		join(got, sizeof(got), d.folders, d.n_folders);
		CHECK_STR(got, c->folders);
		join(got, sizeof(got), d.forward, d.n_forward);
		CHECK_STR(got, c->forward);
		if (!d.acted != !c->acted)
			fprintf(stderr, "  case %zu: %s\n", i, c->script);
		free(error);
		pb_lua_decision_free(&d);
	}
}

struct switch_case {
	const char *script;
	bool acted, no_assistants, no_forwarding;
};

/* no_assistants() and no_forwarding(): no action (the rest of the routing applies), kept with
 * one, dropped with a failed run. */
static const struct switch_case switch_cases[] = {
	{ "keep()", true, false, false },
	{ "no_assistants()", false, true, false },
	{ "no_forwarding()", false, false, true },
	{ "no_assistants() no_forwarding() no_assistants()", false, true, true },
	{ "no_forwarding() forward('a@x.example')", true, false, true },
	{ "no_assistants() no_forwarding()\nerror('late')", false, false, false },
};

static void test_switches(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(switch_cases); i++) {
		const struct switch_case *c = &switch_cases[i];
		struct pb_lua_decision d;
		char *error;
		int rc = run(c->script, &d, &error);

		fprintf(stderr, "  case %zu: %s\n", i, c->script);
		CHECK_INT(rc, strstr(c->script, "error(") != NULL ? -1 : 0);
		CHECK_INT(d.acted, c->acted);
		CHECK_INT(d.no_assistants, c->no_assistants);
		CHECK_INT(d.no_forwarding, c->no_forwarding);
		free(error);
		pb_lua_decision_free(&d);
	}
}

struct refused_case {
	const char *script;
	const char *error;
};

static const struct refused_case refused_cases[] = {
	{ "forward('')", "t.lua:1: no address given" },
	{ "redirect({})", "t.lua:1: no address given" },
	{ "forward('phil')", "t.lua:1: not a valid address: 'phil'" },
	{ "forward('@x.example')", "t.lua:1: not a valid address: '@x.example'" },
	{ "forward('a@b@c')", "t.lua:1: not a valid address: 'a@b@c'" },
	{ "forward('<a@x.example>')", "t.lua:1: not a valid address: '<a@x.example>'" },
	{ "forward({'a@x.example', 7})", "t.lua:1: address list item 2 is not a string" },
	{ "forward(nil)", "t.lua:1: bad argument #1 to 'forward' (string expected, got nil)" },
	{ "deliver('')", "t.lua:1: folder name must be 1 to 255 bytes" },
	{ "deliver('a\\nb')", "t.lua:1: folder name holds a control character" },
	{ "deliver('a\\0b')", "t.lua:1: folder name holds a NUL byte" },
	{ "deliver(string.rep('x', 256))", "t.lua:1: folder name must be 1 to 255 bytes" },
	{ "for i = 1, 17 do deliver('f' .. i) end", "t.lua:1: more than 16 folders" },
	{ "for i = 1, 33 do forward('u' .. i .. '@x.example') end",
	  "t.lua:1: more than 32 forward addresses" },
};

static void test_refused(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(refused_cases); i++) {
		struct pb_lua_decision d;
		char *error;

		CHECK_INT(run(refused_cases[i].script, &d, &error), -1);
		CHECK_STR(error, refused_cases[i].error);
		CHECK(!d.acted && d.n_folders == 0 && d.n_forward == 0);
		free(error);
		pb_lua_decision_free(&d);
	}
}

/* log(): arguments joined, control characters blanked, long lines cut on a UTF-8 boundary,
 * lines past the bound counted; kept when the script then fails. */
static void test_log(void)
{
	struct pb_lua_decision d;
	char *error;
	const char *s = "log('a', 1, nil, true)\nlog('tab\\there\\n')\n"
			"log(string.rep('\\u{e9}', 200))\n"
			"for i = 1, 40 do log('line', i) end\nerror('boom')";

	CHECK_INT(run(s, &d, &error), -1);
	CHECK_STR(error, "t.lua:5: boom");
	CHECK_INT(d.n_trace, PB_LUA_MAX_LOG);
	CHECK_INT(d.n_trace_dropped, 3 + 40 - PB_LUA_MAX_LOG);
	CHECK_STR(d.trace[0], "a 1 nil true");
	CHECK_STR(d.trace[1], "tab here ");
	CHECK_INT(strlen(d.trace[2]), 254); /* 127 two-byte characters: 255 would cut one */
	CHECK_STR(d.trace[3], "line 1");
	free(error);
	pb_lua_decision_free(&d);
}

/* Runs name's script with the cache on facts f; the first folder it chose, or the error. */
static char *run_cached(struct pb_lua_cache *c, const char *name, const char *script,
			const struct pb_lua_facts *f)
{
	struct pb_lua_limits limits;
	struct pb_lua_decision d;
	char *error = NULL, *out;

	pb_lua_limits_default(&limits);
	if (pb_lua_route_cached(c, name, script, strlen(script), &limits, f, &d, &error) < 0)
		out = error;
	else
		out = xstrdup(d.n_folders > 0 ? d.folders[0] : "(none)");
	if (out != error)
		free(error);
	pb_lua_decision_free(&d);
	return out;
}

/* Compiled texts are reused: the same program decides on each run's own facts; a changed
 * text (same length) runs as changed; errors keep their line and the running script's name;
 * more texts than the cache holds still all run right. */
static void test_cache(void)
{
	struct pb_lua_cache *c = pb_lua_cache_new();
	struct pb_lua_facts other = facts;
	const char *by_user = "deliver('F-' .. msg.user)";
	const char *failing = "local x = 1\nerror('boom ' .. msg.user)";
	char *out;

	other.user = "bob";
	for (int round = 0; round < 2; round++) {
		CHECK_STR(out = run_cached(c, "t.lua", by_user, &facts), "F-sue");
		free(out);
		CHECK_STR(out = run_cached(c, "t.lua", by_user, &other), "F-bob");
		free(out);
	}
	CHECK_STR(out = run_cached(c, "t.lua", "deliver('G-' .. msg.user)", &facts), "G-sue");
	free(out);
	for (int round = 0; round < 2; round++) {
		CHECK_STR(out = run_cached(c, "t.lua", failing, &facts), "t.lua:2: boom sue");
		free(out);
		CHECK_STR(out = run_cached(c, "bob.lua", failing, &other), "bob.lua:2: boom bob");
		free(out);
	}
	for (int i = 0; i < 40; i++) {
		char script[64], want[32];

		snprintf(script, sizeof(script), "deliver('N%d-' .. msg.user)", i % 20);
		snprintf(want, sizeof(want), "N%d-sue", i % 20);
		CHECK_STR(out = run_cached(c, "t.lua", script, &facts), want);
		free(out);
	}
	pb_lua_cache_free(c);
	pb_lua_cache_free(NULL);
}

static int subject_asked;

static const char *subject_of(void *ctx)
{
	subject_asked++;
	return ctx;
}

/* Runs script with the Subject given by subject_of(subject); rc, error freed. */
static int run_lazy(const char *script, const char *subject)
{
	struct pb_lua_limits limits;
	struct pb_lua_decision d;
	struct pb_lua_facts f = facts;
	char *error = NULL;

	f.subject = NULL;
	f.subject_fn = subject_of;
	f.subject_ctx = (void *)subject;
	pb_lua_limits_default(&limits);
	int rc = pb_lua_route("t.lua", script, strlen(script), &limits, &f, &d, &error);
	if (rc < 0)
		fprintf(stderr, "run_lazy: %s\n", error);
	free(error);
	pb_lua_decision_free(&d);
	return rc;
}

/* msg.subject is asked for once, when a script first reads it or iterates msg, and never by
 * a script that does not look; NULL reads as "". */
static void test_subject_lazy(void)
{
	subject_asked = 0;
	CHECK_INT(run_lazy("assert(msg.user == 'sue' and msg.size == 12345)", "Hi"), 0);
	CHECK_INT(subject_asked, 0);
	CHECK_INT(run_lazy("assert(msg.subject == 'Hi' and msg.subject == 'Hi')\n"
			   "assert(msg.nothing == nil and msg[1] == nil)", "Hi"), 0);
	CHECK_INT(subject_asked, 1);
	CHECK_INT(run_lazy("local n, seen = 0, nil\n"
			   "for k, v in pairs(msg) do n = n + 1; if k == 'subject' then seen = v end end\n"
			   "assert(n == 6 and seen == 'Hey', n)", "Hey"), 0);
	CHECK_INT(subject_asked, 2);
	CHECK_INT(run_lazy("assert(msg.subject == '')", NULL), 0);
	CHECK_INT(subject_asked, 3);
	CHECK_INT(run_lazy("msg.subject = 'mine'\nassert(msg.subject == 'mine')", "Hi"), 0);
	CHECK_INT(subject_asked, 3);
}

static const struct pb_test_case tests[] = {
	{ "subject_lazy", test_subject_lazy },
	{ "cache", test_cache },
	{ "facts", test_facts },
	{ "facts_edges", test_facts_edges },
	{ "actions", test_actions },
	{ "switches", test_switches },
	{ "refused", test_refused },
	{ "log", test_log },
};

PB_TEST_MAIN(tests)
