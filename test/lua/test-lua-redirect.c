/*
 * test-lua-redirect.c: the bundled scripts/lua/user_redirect.lua run through the sandbox
 * host with a fake clock. The test swaps the script's config table (between its
 * "-- CONFIG BEGIN" and "-- CONFIG END" lines) for one of its own and walks a week
 * (Monday 2026-11-30 to Sunday 2026-12-06, the server at UTC+1): office hours and their
 * edges, forwarding days, the guide's date/time window (guide 5.3: the dates bound the days,
 * the times the hours of each day; its own example as rows) with its open ends, copy and
 * redirect, the user's own Forward To as the default target; outside the schedule, unlisted
 * users and a bad entry: no decision (routed as if the script were absent, so the user's
 * assistants and size forwarding apply), with the own Forward To switched off
 * (no_forwarding) for an entry without `to`; the assistants window (no_assistants outside
 * it). The script as shipped decides nothing.
 */
#include "pb-alloc.h"
#include "pb-lua.h"
#include "pb-test.h"

#include <time.h>

#define OFFSET 3600

static const char test_config[] =
	"local config = {\n"
	"  sue = { to = 'phil@example.com', office_hours = { '08:00', '18:00' },\n"
	"          days = { 'sat', 'sun' } },\n"
	"  bob = { mode = 'copy', from = '20261202 12:00', ['until'] = '20261204' },\n"
	"  kim = { to = 'kim@home.example', days = { 'fri' } },\n"
	"  eve = { from = '09:30', ['until'] = '20261201' },\n"
	"  jan = { from = '20070101 10:00', ['until'] = '20070108 12:00' },\n"
	"  owl = { from = '22:00', ['until'] = '06:00' },\n"
	"  ann = { },\n"
	"  nofwd = { },\n"
	"  bad = { office_hours = { '8:00', '18:00' } },\n"
	"  odd = { mode = 'bounce' },\n"
	"  asa = { assistants_from = '08:00', assistants_until = '18:00' },\n"
	"  dan = { from = '20261202', ['until'] = '20261202',\n"
	"          assistants_from = '20261201 09:00', assistants_until = '20261203 17:00' },\n"
	"  kit = { to = 'kit@home.example', from = '09:00', ['until'] = '17:00',\n"
	"          assistants_until = '20261201' },\n"
	"  bax = { assistants_from = '8:00' },\n"
	"}\n";

/* The shipped script with its config block replaced by config (NULL: as shipped). */
static char *script_text(const char *config, size_t *len_r)
{
	const char *dir = getenv("PB_SOURCE_DIR");
	char *path = xasprintf("%s/scripts/lua/user_redirect.lua", dir != NULL ? dir : ".");
	char *text = NULL, *error = NULL;
	size_t len = 0;

	if (pb_lua_script_read(path, &text, &len, &error) < 0) {
		fprintf(stderr, "  %s\n", error);
		free(error);
		free(path);
		return NULL;
	}
	free(path);
	char *begin = strstr(text, "-- CONFIG BEGIN\n"), *end = strstr(text, "-- CONFIG END\n");
	if (config == NULL || begin == NULL || end == NULL) {
		*len_r = len;
		return begin != NULL && end != NULL ? text : (free(text), NULL);
	}
	char *out = xasprintf("%.*s%s%s", (int)(begin - text), text, config, end);
	free(text);
	*len_r = strlen(out);
	return out;
}

/* Seconds since the epoch of a local "YYYYMMDD HH:MM" at UTC+1. */
static int64_t local_time(const char *when)
{
	struct tm tm = { 0 };

	sscanf(when, "%4d%2d%2d %d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	       &tm.tm_min);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) - OFFSET;
}

struct week_case {
	const char *user;
	const char *when;   /* local time */
	const char *expect; /* "absent", "keep", "redirect ADDRS", "copy ADDRS", "error TEXT"
			     * (the error's line number as N); then " -assistants" and/or
			     * " -forwarding" when the script called no_assistants() /
			     * no_forwarding() */
};

static const struct week_case week[] = {
	/* Office hours 08:00-18:00, weekends all day; within office hours no decision. */
	{ "sue", "20261130 07:59", "redirect phil@example.com" },
	{ "sue", "20261130 08:00", "absent" },
	{ "sue", "20261130 17:59", "absent" },
	{ "sue", "20261130 18:00", "redirect phil@example.com" },
	{ "sue", "20261202 00:00", "redirect phil@example.com" },
	{ "sue", "20261204 12:00", "absent" },
	{ "sue", "20261205 12:00", "redirect phil@example.com" },
	{ "sue", "20261206 23:59", "redirect phil@example.com" },
	/* Wednesday to Friday, from noon each day (to its end), copying. */
	{ "bob", "20261130 12:00", "absent -forwarding" },
	{ "bob", "20261202 11:59", "absent -forwarding" },
	{ "bob", "20261202 12:00", "copy fwd@example.org" },
	{ "bob", "20261203 11:59", "absent -forwarding" },
	{ "bob", "20261203 12:00", "copy fwd@example.org" },
	{ "bob", "20261204 23:59", "copy fwd@example.org" },
	{ "bob", "20261205 00:00", "absent -forwarding" },
	{ "bob", "20261205 12:00", "absent -forwarding" },
	/* Fridays only. */
	{ "kim", "20261203 23:59", "absent" },
	{ "kim", "20261204 00:00", "redirect kim@home.example" },
	{ "kim", "20261204 23:59", "redirect kim@home.example" },
	{ "kim", "20261205 00:00", "absent" },
	/* A time without a date: from 09:30 each day, from the beginning of time to 1 Dec. */
	{ "eve", "20261130 09:00", "absent -forwarding" },
	{ "eve", "20261130 09:30", "redirect fwd@example.org" },
	{ "eve", "20261201 23:59", "redirect fwd@example.org" },
	{ "eve", "20261202 09:30", "absent -forwarding" },
	/* Guide 5.3: "20070101 10:00 to 20070108 12:00" is 10:00-12:00 on each of 1-8 January. */
	{ "jan", "20061231 11:00", "absent -forwarding" },
	{ "jan", "20070101 09:59", "absent -forwarding" },
	{ "jan", "20070101 10:00", "redirect fwd@example.org" },
	{ "jan", "20070101 12:00", "redirect fwd@example.org" },
	{ "jan", "20070101 12:01", "absent -forwarding" },
	{ "jan", "20070104 09:59", "absent -forwarding" },
	{ "jan", "20070104 11:00", "redirect fwd@example.org" },
	{ "jan", "20070104 12:01", "absent -forwarding" },
	{ "jan", "20070104 23:00", "absent -forwarding" },
	{ "jan", "20070108 03:00", "absent -forwarding" },
	{ "jan", "20070108 10:00", "redirect fwd@example.org" },
	{ "jan", "20070108 12:00", "redirect fwd@example.org" },
	{ "jan", "20070108 12:01", "absent -forwarding" },
	{ "jan", "20070109 11:00", "absent -forwarding" },
	/* Hours across midnight: each night from 22:00 to 06:00. */
	{ "owl", "20261201 21:59", "absent -forwarding" },
	{ "owl", "20261201 22:00", "redirect fwd@example.org" },
	{ "owl", "20261202 03:00", "redirect fwd@example.org" },
	{ "owl", "20261202 06:00", "redirect fwd@example.org" },
	{ "owl", "20261202 06:01", "absent -forwarding" },
	{ "owl", "20261202 12:00", "absent -forwarding" },
	/* No schedule: always, to the user's Forward To. */
	{ "ann", "20261203 10:00", "redirect fwd@example.org" },
	{ "ann", "20261206 03:00", "redirect fwd@example.org" },
	/* Not listed, or listed without any address: as if the script were absent. */
	{ "carol", "20261130 07:00", "absent" },
	{ "nofwd", "20261130 07:00", "absent" },
	{ "bad", "20261130 07:00",
	  "error user_redirect.lua:N: office_hours[1]: '8:00' is not a time HH:MM" },
	{ "odd", "20261130 07:00",
	  "error user_redirect.lua:N: mode: 'bounce' is not redirect or copy" },
	/* "Use Assistants between" 08:00 and 18:00 each day; the forwarding left alone. */
	{ "asa", "20261130 07:59", "absent -assistants" },
	{ "asa", "20261130 08:00", "absent" },
	{ "asa", "20261130 18:00", "absent" },
	{ "asa", "20261130 18:01", "absent -assistants" },
	/* Both windows, the own Forward To: forwarded on the 2nd only, assistants 09-17 on
	 * the 1st to the 3rd. */
	{ "dan", "20261201 10:00", "absent -forwarding" },
	{ "dan", "20261201 08:00", "absent -assistants -forwarding" },
	{ "dan", "20261202 10:00", "redirect fwd@example.org" },
	{ "dan", "20261202 18:00", "redirect fwd@example.org -assistants" },
	{ "dan", "20261204 10:00", "absent -assistants -forwarding" },
	/* An explicit `to`: outside its schedule the own Forward To is left alone. */
	{ "kit", "20261201 08:00", "absent" },
	{ "kit", "20261202 08:00", "absent -assistants" },
	{ "kit", "20261202 10:00", "redirect kit@home.example -assistants" },
	{ "bax", "20261130 07:00",
	  "error user_redirect.lua:N: assistants_from: '8:00' is not a time HH:MM" },
};

/* The decision as the expect strings above spell it. */
static void describe_action(const struct pb_lua_decision *d, int rc, const char *error,
			    char *out, size_t size)
{
	size_t off;

	if (rc < 0) { /* the line number as N: the script's layout may change */
		size_t name = strlen("user_redirect.lua:"), digits = strspn(error + name, "0123456789");
		if (strncmp(error, "user_redirect.lua:", name) == 0 && digits > 0)
			snprintf(out, size, "error user_redirect.lua:N%s", error + name + digits);
		else
			snprintf(out, size, "error %s", error);
		return;
	}
	if (!d->acted) {
		snprintf(out, size, "absent");
		return;
	}
	if (d->n_forward == 0) {
		snprintf(out, size, d->n_folders == 1 && strcmp(d->folders[0], "INBOX") == 0
				? "keep" : "folders?");
		return;
	}
	off = (size_t)snprintf(out, size, "%s", d->n_folders == 0 ? "redirect" : "copy");
	for (uint32_t i = 0; i < d->n_forward && off < size; i++)
		off += (size_t)snprintf(out + off, size - off, " %s", d->forward[i]);
}

/* describe_action's text and the switches the script turned off. */
static void describe(const struct pb_lua_decision *d, int rc, const char *error, char *out,
		     size_t size)
{
	describe_action(d, rc, error, out, size);
	snprintf(out + strlen(out), size - strlen(out), "%s%s",
		 d->no_assistants ? " -assistants" : "", d->no_forwarding ? " -forwarding" : "");
}

static void test_week(void)
{
	size_t len;
	char *script = script_text(test_config, &len);
	struct pb_lua_limits limits;

	REQUIRE(script != NULL);
	pb_lua_limits_default(&limits);
	for (size_t i = 0; i < PB_N_ELEMENTS(week); i++) {
		const struct week_case *c = &week[i];
		struct pb_lua_setting fwd = { "forward_to", "fwd@example.org" };
		bool has_fwd = strcmp(c->user, "nofwd") != 0;
		struct pb_lua_facts facts = {
			.recipient = "x@example.com", .user = c->user, .sender = "a@b.example",
			.now_s = local_time(c->when), .utc_offset_s = OFFSET,
			.settings = has_fwd ? &fwd : NULL, .n_settings = has_fwd ? 1 : 0,
		};
		struct pb_lua_decision d;
		char *error = NULL, got[256];
		int rc = pb_lua_route("user_redirect.lua", script, len, &limits, &facts, &d,
				      &error);

		describe(&d, rc, error, got, sizeof(got));
		if (strcmp(got, c->expect) != 0)
			fprintf(stderr, "  %s at %s:\n", c->user, c->when);
		CHECK_STR(got, c->expect);
		/* Every decision the script takes, and not taking one for a listed user, is
		 * explained in the trace. */
		uint32_t lines = 1 + d.no_assistants; /* the assistants' line, then one more */
		CHECK(!d.acted || (d.n_trace == lines &&
				   strncmp(d.trace[0], "user_redirect: ", 15) == 0));
		if (strcmp(c->user, "carol") != 0 && strcmp(c->user, "asa") != 0 && rc == 0)
			CHECK_INT(d.n_trace, lines);
		if (strcmp(c->user, "asa") == 0)
			CHECK_INT(d.n_trace, d.no_assistants ? 1 : 0);
		free(error);
		pb_lua_decision_free(&d);
	}
	free(script);
}

/* The trace line names the reason, the local time and the action. */
static void test_trace(void)
{
	size_t len;
	char *script = script_text(test_config, &len);
	struct pb_lua_limits limits;
	struct pb_lua_facts facts = { .user = "sue", .now_s = local_time("20261205 12:00"),
				      .utc_offset_s = OFFSET };
	struct pb_lua_decision d;
	char *error = NULL;

	REQUIRE(script != NULL);
	pb_lua_limits_default(&limits);
	CHECK_INT(pb_lua_route("user_redirect.lua", script, len, &limits, &facts, &d, &error), 0);
	CHECK_INT(d.n_trace, 1);
	if (d.n_trace == 1)
		CHECK_STR(d.trace[0], "user_redirect: on sat (sat 20261205 12:00): redirect to "
				      "phil@example.com");
	CHECK(d.instructions < 10000);
	pb_lua_decision_free(&d);
	/* outside the schedule: no decision, and the trace says so */
	facts.now_s = local_time("20261130 12:00");
	CHECK_INT(pb_lua_route("user_redirect.lua", script, len, &limits, &facts, &d, &error), 0);
	CHECK(!d.acted);
	CHECK_INT(d.n_trace, 1);
	if (d.n_trace == 1)
		CHECK_STR(d.trace[0], "user_redirect: within office hours (mon 20261130 12:00): no "
				      "decision, sue's own routing applies");
	pb_lua_decision_free(&d);
	/* an entry without `to`, outside its dates: its own Forward To switched off, said so */
	struct pb_lua_setting fwd = { "forward_to", "fwd@example.org" };
	facts.user = "bob";
	facts.settings = &fwd;
	facts.n_settings = 1;
	CHECK_INT(pb_lua_route("user_redirect.lua", script, len, &limits, &facts, &d, &error), 0);
	CHECK(!d.acted && d.no_forwarding && !d.no_assistants);
	if (d.n_trace == 1)
		CHECK_STR(d.trace[0], "user_redirect: outside the window's dates (mon 20261130 "
				      "12:00): bob's Forward To is not used, the rest of bob's own "
				      "routing applies");
	pb_lua_decision_free(&d);
	/* outside an assistants window */
	facts.user = "asa";
	facts.now_s = local_time("20261130 07:00");
	CHECK_INT(pb_lua_route("user_redirect.lua", script, len, &limits, &facts, &d, &error), 0);
	CHECK(!d.acted && d.no_assistants && !d.no_forwarding);
	if (d.n_trace == 1)
		CHECK_STR(d.trace[0], "user_redirect: assistants outside the window's hours (mon "
				      "20261130 07:00): asa's assistants are not used");
	free(error);
	free(script);
	pb_lua_decision_free(&d);
}

/* As shipped (the example entries commented out) the script decides nothing for anyone. */
static void test_shipped(void)
{
	size_t len;
	char *script = script_text(NULL, &len);
	struct pb_lua_limits limits;
	struct pb_lua_setting fwd = { "forward_to", "fwd@example.org" };
	struct pb_lua_facts facts = { .user = "sue", .now_s = local_time("20261205 12:00"),
				      .settings = &fwd, .n_settings = 1 };
	struct pb_lua_decision d;
	char *error = NULL;

	REQUIRE(script != NULL);
	pb_lua_limits_default(&limits);
	CHECK_INT(pb_lua_route("user_redirect.lua", script, len, &limits, &facts, &d, &error), 0);
	CHECK(!d.acted);
	CHECK_INT(d.n_trace, 0);
	free(error);
	free(script);
	pb_lua_decision_free(&d);
}

static const struct pb_test_case tests[] = {
	{ "week", test_week },
	{ "trace", test_trace },
	{ "shipped", test_shipped },
};

PB_TEST_MAIN(tests)
