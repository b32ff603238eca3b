/*
 * test-rules.c: the message-rule engine (guide 4.14) through its public API — JSON errors
 * and round trip; a table of every condition x match type x I/N flags and one of the guide's
 * ordering examples ("hello" > "goodbye", "400" > "3000" as text, < as numbers); the guide's
 * wildcard table (3.2) and regex edge cases (3.3) as conditions; the guide's three-rule merge example
 * and its aaa/bbb "previous rule match" example; a merge matrix; message types, disabled
 * rules, stop processing, rules in error, the body budget and pattern budgets; the names
 * served to editors (rules_names_json) are each taken by the parser with their kind's value.
 * OWNS nothing. THREAD: main only.
 */
#include "pb-alloc.h"
#include "pb-buf.h"
#include "pb-test.h"
#include "rules.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers ---- */

static struct rules_set *parse_ok(const char *json)
{
	struct rules_set *set = NULL;
	const char *error = NULL;

	if (rules_set_parse(json, strlen(json), &set, &error) < 0) {
		fprintf(stderr, "  parse failed: %s\n  in %s\n", error, json);
		return NULL;
	}
	return set;
}

/* Parses a user rule set, evaluates it over f into *d, frees the set. False if it did not
 * parse (d is then empty). */
static bool run(const char *json, const struct rules_facts *f, struct rules_decision *d)
{
	struct rules_set *set = parse_ok(json);

	rules_evaluate(NULL, set, f, d);
	rules_set_free(&set);
	return d->n_trace > 0;
}

struct body {
	const char *text;
	int calls;
	size_t budget_seen;
	bool fail;
};

static int body_text(void *ctx, size_t budget, const char **text_r, size_t *len_r)
{
	struct body *b = ctx;
	size_t len = strlen(b->text);

	b->calls++;
	b->budget_seen = budget;
	if (b->fail)
		return -1;
	*text_r = b->text;
	*len_r = len < budget ? len : budget;
	return 0;
}

static const struct rules_address to_list[] = {
	{ "Ann Smith", "ann@example.com" },
	{ NULL, "bob@example.org" },
};
static const struct rules_address cc_list[] = { { "Zoë Ärger", "zoe@beispiel.de" } };
static const struct rules_address from_list[] = { { "Joe", "joe@example.com" } };
static const char *const base_keywords[] = { "$Work" };
static struct body base_body = { "Hello Ann,\nthe Widget catalogue is attached.\n", 0, 0, false };

/* A message: Subject "Re: Widget offer – 20% off", To Ann + Bob, Cc Zoë, From Joe, 12345
 * octets, spam score 4.5, keyword $Work, dated 2026-03-01 23:30 +0100 (= 22:30 UTC), now
 * 2026-03-02 07:05 UTC with the server at +0200 (09:05 local). */
static struct rules_facts base_facts(void)
{
	struct rules_facts f;

	memset(&f, 0, sizeof(f));
	f.type = RULES_TYPE_INCOMING;
	f.subject = "Re: Widget offer \xe2\x80\x93 20% off";
	f.to = to_list;
	f.n_to = 2;
	f.cc = cc_list;
	f.n_cc = 1;
	f.from = from_list;
	f.n_from = 1;
	f.size = 12345;
	f.has_spam_score = true;
	f.spam_score = 4.5;
	f.keywords = base_keywords;
	f.n_keywords = 1;
	f.has_date = true;
	f.date_s = 1772404200; /* 2026-03-01T22:30:00Z */
	f.date_offset_min = 60;
	f.now_s = 1772435100; /* 2026-03-02T07:05:00Z */
	f.now_offset_min = 120;
	base_body.calls = 0;
	f.body_text = body_text;
	f.body_ctx = &base_body;
	return f;
}

/* Evaluates a one-rule set with one condition; returns 1 matched, 0 not, -2 parse error. */
static int cond_matches(const struct rules_facts *f, const char *field, const char *match,
			const char *value_json, bool i, bool n, char **trace_r)
{
	char *json = xasprintf("{\"rules\":[{\"name\":\"t\",\"conditions\":[{\"field\":\"%s\","
			       "\"match\":\"%s\",\"value\":%s,\"i\":%s,\"n\":%s}],"
			       "\"actions\":[{\"action\":\"flag\"}]}]}",
			       field, match, value_json, i ? "true" : "false", n ? "true" : "false");
	struct rules_decision d;
	bool ok = run(json, f, &d);
	int ret = !ok ? -2 : d.n_matched == 1 ? 1 : 0;

	free(json);
	if (trace_r != NULL)
		*trace_r = d.n_trace > 0 ? xstrdup(d.trace[0]) : NULL;
	rules_decision_deinit(&d);
	return ret;
}

/* ---- JSON ---- */

static const struct {
	const char *json;
	const char *error; /* a substring of the error */
} parse_errors[] = {
	{ "{\"rules\":[", "not valid JSON" },
	{ "[]", "rule set: an object is expected" },
	{ "{\"rulez\":[]}", "rule set.rulez: unknown key" },
	{ "{\"rules\":{}}", "rule set.rules: an array is expected" },
	{ "{\"rules\":[{}]}", "rules[0].name: missing" },
	{ "{\"rules\":[{\"name\":\"\"}]}", "rules[0].name: a non-empty string" },
	{ "{\"rules\":[{\"name\":\"a\",\"colour\":1}]}", "rules[0].colour: unknown key" },
	{ "{\"rules\":[{\"name\":\"a\",\"enabled\":1}]}", "rules[0].enabled: true or false" },
	{ "{\"rules\":[{\"name\":\"a\",\"match\":\"most\"}]}", "rules[0].match: \"all\" or \"any\"" },
	{ "{\"rules\":[{\"name\":\"a\",\"types\":[]}]}", "rules[0].types: a non-empty array" },
	{ "{\"rules\":[{\"name\":\"a\",\"types\":[\"outgoing\"]}]}", "rules[0].types: incoming" },
	{ "{\"rules\":[{\"name\":\"a\"},{\"name\":\"b\",\"conditions\":[{\"field\":\"colour\","
	  "\"match\":\"equals\",\"value\":\"x\"}]}]}",
	  "rules[1].conditions[0].field: unknown condition \"colour\"" },
	{ "{\"rules\":[{\"name\":\"a\",\"conditions\":[{\"field\":\"subject\",\"match\":\"like\","
	  "\"value\":\"x\"}]}]}",
	  "rules[0].conditions[0].match: unknown match type \"like\"" },
	{ "{\"rules\":[{\"name\":\"a\",\"conditions\":[{\"field\":\"subject\",\"value\":\"x\"}]}]}",
	  "rules[0].conditions[0].match: missing" },
	{ "{\"rules\":[{\"name\":\"a\",\"conditions\":[{\"field\":\"subject\",\"match\":\"equals\","
	  "\"value\":5}]}]}",
	  "rules[0].conditions[0].value: a string" },
	{ "{\"rules\":[{\"name\":\"a\",\"conditions\":[{\"field\":\"size\",\"match\":\"less\","
	  "\"value\":\"big\"}]}]}",
	  "rules[0].conditions[0].value: \"big\" is not a number" },
	{ "{\"rules\":[{\"name\":\"a\",\"conditions\":[{\"field\":\"flagged\",\"match\":\"less\","
	  "\"value\":true}]}]}",
	  "rules[0].conditions[0].match: flagged takes equals or not_equals" },
	{ "{\"rules\":[{\"name\":\"a\",\"conditions\":[{\"field\":\"flagged\",\"value\":\"yes\"}]}]}",
	  "rules[0].conditions[0].value: true or false" },
	{ "{\"rules\":[{\"name\":\"a\",\"conditions\":[{\"field\":\"subject\",\"match\":\"equals\","
	  "\"value\":\"x\",\"i\":\"yes\"}]}]}",
	  "rules[0].conditions[0].i: true or false" },
	{ "{\"rules\":[{\"name\":\"a\",\"actions\":[{\"action\":\"explode\"}]}]}",
	  "rules[0].actions[0].action: unknown action \"explode\"" },
	{ "{\"rules\":[{\"name\":\"a\",\"actions\":[{\"action\":\"move_to_folder\"}]}]}",
	  "rules[0].actions[0].value: missing" },
	{ "{\"rules\":[{\"name\":\"a\",\"actions\":[{\"action\":\"forward_to\",\"value\":\" ; ,\"}]}]}",
	  "rules[0].actions[0].value: no address given" },
	{ "{\"rules\":[{\"name\":\"a\",\"actions\":[{\"action\":\"modify_header\",\"value\":\"X Bad: 1\"}]}]}",
	  "rules[0].actions[0].value: a header field name is printable" },
	{ "{\"rules\":[{\"name\":\"a\",\"actions\":[{\"action\":\"set_spam_score\",\"value\":\"9\"}]}]}",
	  "rules[0].actions[0].value: a number is expected" },
	{ "{\"rules\":[{\"name\":\"a\",\"actions\":[{\"action\":\"delete\",\"value\":1}]}]}",
	  "rules[0].actions[0].value: true or false" },
	{ "{\"rules\":[{\"name\":\"a\",\"actions\":[{\"action\":\"add_keyword\",\"value\":\"a\\nb\"}]}]}",
	  "rules[0].actions[0].value: one line" },
};

static void test_parse_errors(void)
{
	for (size_t i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
		struct rules_set *set = NULL;
		const char *error = NULL;
		int ret = rules_set_parse(parse_errors[i].json, strlen(parse_errors[i].json), &set,
					  &error);
		CHECK_INT(ret, -1);
		CHECK(set == NULL);
		if (error == NULL || strstr(error, parse_errors[i].error) == NULL) {
			fprintf(stderr, "  case %zu: got \"%s\", want \"%s\"\n", i,
				error != NULL ? error : "(null)", parse_errors[i].error);
			CHECK(0);
		}
	}
}

static const char full_set[] =
	"{\"rules\":[{\"name\":\"Widget mailshots\",\"enabled\":true,\"match\":\"any\","
	"\"types\":[\"incoming\",\"system\"],\"stop_after\":true,\"conditions\":["
	"{\"field\":\"subject\",\"match\":\"contains\",\"value\":\"widget\",\"i\":true,\"n\":false},"
	"{\"field\":\"size\",\"match\":\"greater\",\"value\":3000,\"i\":false,\"n\":true},"
	"{\"field\":\"spam_score\",\"match\":\"less_or_equal\",\"value\":\"2.5\",\"i\":false,\"n\":false},"
	"{\"field\":\"flagged\",\"match\":\"not_equals\",\"value\":true,\"i\":false,\"n\":false},"
	"{\"field\":\"from\",\"match\":\"regex\",\"value\":\"^joe@\",\"i\":true,\"n\":false}],"
	"\"actions\":[{\"action\":\"delete\",\"value\":false},"
	"{\"action\":\"move_to_folder\",\"value\":\"Widgets/2026\"},"
	"{\"action\":\"forward_to\",\"value\":\"a@x.example; b@y.example\"},"
	"{\"action\":\"modify_header\",\"value\":\"X-Widget: yes\"},"
	"{\"action\":\"set_spam_score\",\"value\":-1.5}]},"
	"{\"name\":\"Defaults\"}]}";

static void test_round_trip(void)
{
	struct rules_set *set = parse_ok(full_set), *again;
	char *text, *text2;

	REQUIRE(set != NULL);
	REQUIRE(set->n_rules == 2);
	CHECK(!set->rules[0].match_all);
	CHECK_INT(set->rules[0].types, RULES_TYPE_INCOMING | RULES_TYPE_SYSTEM);
	CHECK(set->rules[0].stop_after);
	CHECK_INT(set->rules[0].n_conditions, 5);
	CHECK_INT(set->rules[0].n_actions, 5);
	CHECK(set->rules[0].error == NULL);
	/* the defaults */
	CHECK(set->rules[1].enabled && set->rules[1].match_all && !set->rules[1].stop_after);
	CHECK_INT(set->rules[1].types, RULES_TYPE_ALL);
	text = rules_set_print(set);
	again = parse_ok(text);
	REQUIRE(again != NULL);
	text2 = rules_set_print(again);
	CHECK_STR(text, text2);
	CHECK(strstr(text, "\"value\":\t\"3000\"") != NULL); /* a number kept as its text */
	CHECK(strstr(text, "\"value\":\t-1.5") != NULL);
	CHECK(strstr(text, "\"types\":\t[\"incoming\", \"system\"]") != NULL);
	free(text);
	free(text2);
	rules_set_free(&set);
	rules_set_free(&again);
	CHECK(set == NULL && again == NULL);
}

/* ---- conditions: field x match type x I x N ---- */

static const struct {
	const char *field, *match, *value; /* value as JSON */
	bool i, n;
	int want;
} cond_table[] = {
	/* Subject: text, decoded UTF-8 */
	{ "subject", "equals", "\"Re: Widget offer \xe2\x80\x93 20% off\"", 0, 0, 1 },
	{ "subject", "equals", "\"re: widget offer \xe2\x80\x93 20% off\"", 0, 0, 0 },
	{ "subject", "equals", "\"re: widget offer \xe2\x80\x93 20% off\"", 1, 0, 1 },
	{ "subject", "equals", "\"re: widget offer \xe2\x80\x93 20% off\"", 1, 1, 0 },
	{ "subject", "not_equals", "\"Re: Widget\"", 0, 0, 1 },
	{ "subject", "not_equals", "\"Re: Widget\"", 0, 1, 0 },
	{ "subject", "contains", "\"widget\"", 0, 0, 0 },
	{ "subject", "contains", "\"widget\"", 1, 0, 1 },
	{ "subject", "contains", "\"widget\"", 0, 1, 1 },
	{ "subject", "contains", "\"\xe2\x80\x93 20%\"", 0, 0, 1 },
	{ "subject", "wildcard", "\"re: *off\"", 1, 0, 1 },
	{ "subject", "wildcard", "\"re: *off\"", 0, 0, 0 },
	{ "subject", "wildcard", "\"Re: *off\"", 0, 0, 1 },
	{ "subject", "wildcard", "\"Re: Widget offer ? 20% off\"", 0, 0, 1 }, /* ? = one code point */
	{ "subject", "wildcard", "\"Re: *\"", 0, 1, 0 },
	{ "subject", "regex", "\"widget\"", 0, 0, 0 },
	{ "subject", "regex", "\"widget\"", 1, 0, 1 },
	{ "subject", "regex", "\"/widget/i\"", 0, 0, 1 },
	{ "subject", "regex", "\"^Widget\"", 0, 0, 0 }, /* anchored only when asked */
	{ "subject", "regex", "\"[0-9]+%\"", 0, 0, 1 },
	{ "subject", "regex", "\"[0-9]+%\"", 0, 1, 0 },
	/* ordering is alphabetic for text: "hello" > "goodbye", "400" > "3000" */
	{ "subject", "greater", "\"Re: A\"", 0, 0, 1 },
	{ "subject", "greater", "\"re: a\"", 0, 0, 0 },  /* 'R' < 'r' */
	{ "subject", "greater", "\"re: a\"", 1, 0, 1 },
	{ "subject", "less", "\"Re: Z\"", 0, 0, 1 },
	{ "subject", "less_or_equal", "\"Re: Widget offer \xe2\x80\x93 20% off\"", 0, 0, 1 },
	{ "subject", "greater_or_equal", "\"Re: Widget offer \xe2\x80\x93 20% off\"", 0, 0, 1 },
	{ "subject", "greater_or_equal", "\"S\"", 0, 0, 0 },
	{ "subject", "greater_or_equal", "\"S\"", 0, 1, 1 },
	/* To: each entry as "address" and "Name <address>" */
	{ "to", "equals", "\"ann@example.com\"", 0, 0, 1 },
	{ "to", "equals", "\"Ann Smith <ann@example.com>\"", 0, 0, 1 },
	{ "to", "equals", "\"ANN@example.com\"", 0, 0, 0 },
	{ "to", "equals", "\"ANN@example.com\"", 1, 0, 1 },
	{ "to", "equals", "\"bob@example.org\"", 0, 0, 1 },
	{ "to", "equals", "\"zoe@beispiel.de\"", 0, 0, 0 },
	{ "to", "not_equals", "\"bob@example.org\"", 0, 0, 0 },
	{ "to", "not_equals", "\"carl@example.org\"", 0, 0, 1 },
	{ "to", "contains", "\"smith\"", 1, 0, 1 },
	{ "to", "wildcard", "\"*@example.org\"", 0, 0, 1 },
	{ "to", "wildcard", "\"*@example.net\"", 0, 1, 1 },
	{ "to", "regex", "\"^bob@\"", 0, 0, 1 },
	/* Cc, with a decoded UTF-8 name: simple case folding */
	{ "cc", "contains", "\"Zoë Ärger\"", 0, 0, 1 },
	{ "cc", "contains", "\"ZOË ÄRGER\"", 0, 0, 0 },
	{ "cc", "contains", "\"ZOË ÄRGER\"", 1, 0, 1 },
	{ "cc", "wildcard", "\"zo? ?rger <*>\"", 1, 0, 1 },
	{ "cc", "equals", "\"ann@example.com\"", 0, 0, 0 },
	{ "to_or_cc", "equals", "\"ann@example.com\"", 0, 0, 1 },
	{ "to_or_cc", "equals", "\"zoe@beispiel.de\"", 0, 0, 1 },
	{ "to_or_cc", "equals", "\"joe@example.com\"", 0, 0, 0 },
	{ "from", "equals", "\"joe@example.com\"", 0, 0, 1 },
	{ "from", "equals", "\"ann@example.com\"", 0, 0, 0 },
	{ "from", "equals", "\"ann@example.com\"", 0, 1, 1 },
	{ "from_to_cc", "equals", "\"joe@example.com\"", 0, 0, 1 },
	{ "from_to_cc", "equals", "\"zoe@beispiel.de\"", 0, 0, 1 },
	{ "from_to_cc", "wildcard", "\"*@nowhere.example\"", 0, 0, 0 },
	/* Body: read through the accessor */
	{ "body", "contains", "\"widget catalogue\"", 1, 0, 1 },
	{ "body", "contains", "\"widget catalogue\"", 0, 0, 0 },
	{ "body", "regex", "\"^the Widget\"", 0, 0, 0 },
	{ "body", "regex", "\"/^the Widget/m\"", 0, 0, 1 },
	{ "body", "wildcard", "\"hello*attached.?\"", 1, 0, 1 },
	/* Size: numeric ordering ("400" < "3000"), text for contains/wildcard/regex */
	{ "size", "equals", "12345", 0, 0, 1 },
	{ "size", "equals", "\"12345.0\"", 0, 0, 1 },
	{ "size", "not_equals", "12345", 0, 0, 0 },
	{ "size", "greater", "3000", 0, 0, 1 },
	{ "size", "greater", "\"400\"", 0, 0, 1 },
	{ "size", "less", "20000", 0, 0, 1 },
	{ "size", "less", "20000", 0, 1, 0 },
	{ "size", "less_or_equal", "12345", 0, 0, 1 },
	{ "size", "greater_or_equal", "12346", 0, 0, 0 },
	{ "size", "contains", "\"234\"", 0, 0, 1 },
	{ "size", "wildcard", "\"12???\"", 0, 0, 1 },
	{ "size", "regex", "\"^1[0-9]{4}$\"", 0, 0, 1 },
	{ "spam_score", "greater", "4", 0, 0, 1 },
	{ "spam_score", "equals", "4.5", 0, 0, 1 },
	{ "spam_score", "less", "4.5", 0, 0, 0 },
	{ "spam_score", "contains", "\".5\"", 0, 0, 1 },
	/* Checkboxes (I ignored) */
	{ "quarantined", "equals", "false", 0, 0, 1 },
	{ "quarantined", "equals", "true", 0, 0, 0 },
	{ "quarantined", "equals", "true", 1, 1, 1 },
	{ "marked_read", "equals", "false", 0, 0, 1 },
	{ "marked_read", "not_equals", "false", 0, 0, 0 },
	{ "flagged", "equals", "false", 0, 0, 1 },
	{ "flagged", "equals", "true", 0, 1, 1 },
	/* Keyword: any keyword of the message */
	{ "keyword", "equals", "\"$Work\"", 0, 0, 1 },
	{ "keyword", "equals", "\"$work\"", 0, 0, 0 },
	{ "keyword", "equals", "\"$work\"", 1, 0, 1 },
	{ "keyword", "wildcard", "\"$w*\"", 1, 0, 1 },
	{ "keyword", "equals", "\"$Private\"", 0, 1, 1 },
	/* Previous Rule Match: no rule has matched before this one */
	{ "previous_rule_match", "equals", "\"rule1\"", 0, 0, 0 },
	{ "previous_rule_match", "equals", "\"rule1\"", 0, 1, 1 },
	/* Dates and times as text, in the right zone: now 09:05 on 2026-03-02 local;
	 * the message's own date is 2026-03-01 (23:30 +0100) though UTC says 22:30 */
	{ "date_now", "equals", "\"2026-03-02\"", 0, 0, 1 },
	{ "date_now", "greater_or_equal", "\"2026-03-01\"", 0, 0, 1 },
	{ "date_now", "less", "\"2026-03-02\"", 0, 0, 0 },
	{ "date_now", "wildcard", "\"2026-03-*\"", 0, 0, 1 },
	{ "time_now", "equals", "\"09:05\"", 0, 0, 1 },
	{ "time_now", "greater_or_equal", "\"08:00\"", 0, 0, 1 },
	{ "time_now", "less", "\"17:30\"", 0, 0, 1 },
	{ "time_now", "less", "\"09:00\"", 0, 0, 0 },
	{ "time_now", "regex", "\"^0[89]:\"", 0, 0, 1 },
	{ "message_date", "equals", "\"2026-03-01\"", 0, 0, 1 },
	{ "message_date", "less", "\"2026-03-02\"", 0, 0, 1 },
	{ "message_date", "contains", "\"-03-\"", 0, 1, 0 },
};

/* Checks one condition row over f; prints the row and the trace when it disagrees. */
static void check_cond_row(const struct rules_facts *f, const char *table, size_t i,
			   const char *field, const char *match, const char *value, bool ci,
			   bool n, int want)
{
	char *trace = NULL;
	int got = cond_matches(f, field, match, value, ci, n, &trace);

	if (got != want) {
		fprintf(stderr, "  %s row %zu: %s %s %s i=%d n=%d: got %d want %d\n    %s\n",
			table, i, field, match, value, ci, n, got, want,
			trace != NULL ? trace : "");
		CHECK(0);
	}
	free(trace);
}

static void test_condition_table(void)
{
	struct rules_facts f = base_facts();

	for (size_t i = 0; i < sizeof(cond_table) / sizeof(cond_table[0]); i++)
		check_cond_row(&f, "cond_table", i, cond_table[i].field, cond_table[i].match,
			       cond_table[i].value, cond_table[i].i, cond_table[i].n,
			       cond_table[i].want);
}

/* Guide 4.14's ordering examples, each with the message's own value ("fact": the Subject,
 * or the Size / Spam Score in decimal): text orders alphabetically, "hello" > "goodbye" and
 * "400" > "3000"; numeric fields order as numbers, "400" < "3000". */
static const struct {
	const char *field, *match, *fact, *value; /* value as JSON */
	bool i, n;
	int want;
} guide_order_table[] = {
	{ "subject", "greater", "hello", "\"goodbye\"", 0, 0, 1 },
	{ "subject", "greater_or_equal", "hello", "\"goodbye\"", 0, 0, 1 },
	{ "subject", "less", "hello", "\"goodbye\"", 0, 0, 0 },
	{ "subject", "less", "goodbye", "\"hello\"", 0, 0, 1 },
	{ "subject", "greater", "goodbye", "\"hello\"", 0, 0, 0 },
	{ "subject", "greater", "hello", "\"goodbye\"", 0, 1, 0 },
	{ "subject", "greater", "hello", "\"Goodbye\"", 0, 0, 1 },  /* 'h' > 'G' */
	{ "subject", "greater", "Hello", "\"goodbye\"", 0, 0, 0 },  /* 'H' < 'g' case-sensitive */
	{ "subject", "greater", "Hello", "\"goodbye\"", 1, 0, 1 },  /* I: "hello" > "goodbye" */
	{ "subject", "greater", "400", "\"3000\"", 0, 0, 1 },       /* text: '4' > '3' */
	{ "subject", "less", "400", "\"3000\"", 0, 0, 0 },
	{ "subject", "less", "3000", "\"400\"", 0, 0, 1 },
	{ "size", "less", "400", "\"3000\"", 0, 0, 1 },             /* numeric: 400 < 3000 */
	{ "size", "less", "400", "3000", 0, 0, 1 },
	{ "size", "greater", "400", "\"3000\"", 0, 0, 0 },
	{ "size", "less_or_equal", "3000", "\"400\"", 0, 0, 0 },
	{ "size", "greater", "3000", "\"400\"", 0, 0, 1 },
	{ "size", "contains", "3000", "\"300\"", 0, 0, 1 },         /* contains: a substring */
	{ "size", "wildcard", "400", "\"4?0\"", 0, 0, 1 },
	{ "size", "regex", "3000", "\"^3\\\\d{3}$\"", 0, 0, 1 },
	{ "spam_score", "less", "4", "\"30\"", 0, 0, 1 },           /* numeric, not "4" > "30" */
	{ "spam_score", "greater", "400", "\"3000\"", 0, 0, 0 },
};

static void test_guide_ordering(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(guide_order_table); i++) {
		struct rules_facts f = base_facts();
		const char *fact = guide_order_table[i].fact;

		f.subject = fact;
		f.size = strtoull(fact, NULL, 10);
		f.spam_score = strtod(fact, NULL);
		check_cond_row(&f, "guide_order_table", i, guide_order_table[i].field,
			       guide_order_table[i].match, guide_order_table[i].value,
			       guide_order_table[i].i, guide_order_table[i].n,
			       guide_order_table[i].want);
	}
}

/* Absent values are tested as "": no subject, no To/Cc/From, no keywords, no Date. */
static void test_absent_facts(void)
{
	struct rules_facts f = base_facts();

	f.subject = NULL;
	f.n_to = f.n_cc = f.n_from = 0;
	f.n_keywords = 0;
	f.has_date = false;
	f.has_spam_score = false;
	CHECK_INT(cond_matches(&f, "subject", "equals", "\"\"", 0, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "contains", "\"x\"", 0, 0, NULL), 0);
	CHECK_INT(cond_matches(&f, "to", "equals", "\"\"", 0, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "from_to_cc", "wildcard", "\"*@*\"", 0, 0, NULL), 0);
	CHECK_INT(cond_matches(&f, "keyword", "equals", "\"$Work\"", 0, 0, NULL), 0);
	CHECK_INT(cond_matches(&f, "message_date", "equals", "\"\"", 0, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "spam_score", "equals", "0", 0, 0, NULL), 1);
}

/* ---- guide 3.2 wildcards, as conditions, with and without I ---- */

static const struct {
	const char *pattern;
	int matches;
} wild_table[] = {
	{ "cad", 0 },           { "*cad*", 1 },       { "abra*", 1 },
	{ "*abra", 1 },         { "abracadabra*", 1 }, { "abra*abra", 1 },
	{ "abra???abra", 1 },   { "abracadabr?", 1 },  { "abracadabra?", 0 },
	{ "*", 1 },             { "?*", 1 },           { "**abra**", 1 },
	{ "", 0 },              { "a*c*d*b*a", 1 },    { "*a*a*a*a*a*a", 0 },
};

static void test_guide_wildcards(void)
{
	struct rules_facts f = base_facts();

	for (size_t i = 0; i < sizeof(wild_table) / sizeof(wild_table[0]); i++) {
		char *v = xasprintf("\"%s\"", wild_table[i].pattern);
		f.subject = "abracadabra";
		CHECK_INT(cond_matches(&f, "subject", "wildcard", v, 1, 0, NULL), wild_table[i].matches);
		CHECK_INT(cond_matches(&f, "subject", "wildcard", v, 0, 0, NULL), wild_table[i].matches);
		CHECK_INT(cond_matches(&f, "subject", "wildcard", v, 0, 1, NULL), !wild_table[i].matches);
		f.subject = "ABRACADABRA"; /* the guide's wildcards fold case; I unchecked does not */
		CHECK_INT(cond_matches(&f, "subject", "wildcard", v, 1, 0, NULL), wild_table[i].matches);
		if (strpbrk(wild_table[i].pattern, "abcdr") != NULL)
			CHECK_INT(cond_matches(&f, "subject", "wildcard", v, 0, 0, NULL), 0);
		free(v);
	}
}

/* Regex metacharacters in a case-sensitive wildcard are literal. */
static void test_wildcard_literals(void)
{
	struct rules_facts f = base_facts();

	f.subject = "[SPAM] (a+b)^2 = $5.00 \\o/ {x}|y";
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"[SPAM] (a+b)^2 = $5.00 \\\\o/ {x}|y\"",
			       0, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"[SPAM]*$?.00*\"", 0, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"[SPAM]*$5x00*\"", 0, 0, NULL), 0);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\".*\"", 0, 0, NULL), 0);
	f.subject = "/ABC/i"; /* a wildcard that looks like a "/regex/flags" stays a wildcard */
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"/abc/i\"", 1, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"/a*/i\"", 1, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"/abc/\"", 1, 0, NULL), 0);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"/abc/i\"", 0, 0, NULL), 0);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"/ABC/?\"", 0, 0, NULL), 1);
	f.subject = "xyz";
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"/x/i\"", 1, 0, NULL), 0);
	f.subject = "line one\nline two"; /* '*' and '?' cross line ends */
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"line*two\"", 0, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"line one?line two\"", 0, 0, NULL), 1);
	f.subject = "bad \xff\xfex"; /* invalid UTF-8: an octet is one character, both ways */
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"bad *\"", 0, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"bad ??x\"", 0, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"bad ??x\"", 1, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"bad ?x\"", 0, 0, NULL), 0);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"bad ?x\"", 1, 0, NULL), 0);
	f.subject = "Gr\xc3\xbc\xc3\x9f" "e"; /* "Grüße": ? is one code point, not one octet */
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"Gr??e\"", 0, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"gr??e\"", 1, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"Gr????e\"", 0, 0, NULL), 0);
	CHECK_INT(cond_matches(&f, "subject", "wildcard", "\"GR\xc3\x9c*\"", 1, 0, NULL), 1);
}

/* ---- regex edge cases and budgets ---- */

static void test_regex_edges(void)
{
	struct rules_facts f = base_facts();

	f.subject = "abracadabra";
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"cad\"", 0, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"^cad\"", 0, 0, NULL), 0);
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"^.*cad\"", 0, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"bra$\"", 0, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"a{,5}\"", 0, 0, NULL), 1); /* guide {,n} */
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"(cat|dog)\"", 0, 0, NULL), 0);
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"ABRA\"", 1, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"/ABRA/\"", 1, 0, NULL), 1);
	f.subject = "path /usr/bin here";
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"/usr/bin\"", 0, 0, NULL), 1);
	f.subject = "\xc3\x9c" "ber"; /* "Über": UTF-8 mode, caseless folds non-ASCII */
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"^.ber$\"", 0, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"^\xc3\xbc\"", 1, 0, NULL), 1);
	f.subject = "bad \xff\xfe utf-8"; /* invalid UTF-8 in the text is tolerated */
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"utf-8$\"", 0, 0, NULL), 1);
}

/* A pattern that does not compile: the rule is in error, skipped, the mail unaffected; the
 * rules after it still run. */
static void test_regex_compile_error(void)
{
	struct rules_facts f = base_facts();
	struct rules_set *set = parse_ok(
		"{\"rules\":[{\"name\":\"broken\",\"conditions\":[{\"field\":\"subject\","
		"\"match\":\"regex\",\"value\":\"(unclosed\"}],\"actions\":[{\"action\":\"delete\"}]},"
		"{\"name\":\"fine\",\"actions\":[{\"action\":\"flag\"}]}]}");
	struct rules_decision d;

	REQUIRE(set != NULL);
	REQUIRE(set->rules[0].error != NULL);
	CHECK(strstr(set->rules[0].error, "rules[0].conditions[0]") != NULL);
	CHECK(strstr(set->rules[0].error, "bad regular expression") != NULL);
	CHECK(set->rules[1].error == NULL);
	rules_evaluate(NULL, set, &f, &d);
	CHECK_INT(d.deleted, RULES_UNSET);
	CHECK_INT(d.flagged, RULES_ON);
	CHECK_INT(d.n_matched, 1);
	REQUIRE(d.n_trace == 2);
	CHECK(strstr(d.trace[0], "user rule \"broken\": skipped, the rule is in error") != NULL);
	CHECK(strstr(d.trace[0], "missing closing parenthesis") != NULL);
	rules_decision_deinit(&d);
	rules_set_free(&set);
}

/* Catastrophic backtracking stops at PCRE2's limit: no match, even negated, and the trace
 * says why. */
static void test_regex_budget(void)
{
	struct rules_facts f = base_facts();
	char subject[64];
	char *trace = NULL;
	struct timespec t0, t1;

	memset(subject, 'a', 40);
	strcpy(subject + 40, "!");
	f.subject = subject;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"^(a|aa)+$\"", 0, 0, &trace), 0);
	CHECK(trace != NULL && strstr(trace, "limit") != NULL);
	free(trace);
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"^(a|aa)+$\"", 0, 1, &trace), 0);
	CHECK(trace != NULL && strstr(trace, "no (regular expression match limit reached)") != NULL);
	free(trace);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 30);
	/* the same pattern on a short text still works */
	f.subject = "aaaa";
	CHECK_INT(cond_matches(&f, "subject", "regex", "\"^(a|aa)+$\"", 0, 0, NULL), 1);
}

/* One message's evaluation is bounded whatever the rules: after RULES_EVAL_LIMIT_HITS_MAX
 * patterns stopped at their limit, or RULES_EVAL_OCTETS_MAX octets tested, every further
 * text test is "no match" with the reason traced; checkbox and numeric tests still run. */
static void test_evaluation_budget(void)
{
	struct rules_facts f = base_facts();
	struct pb_buf json;
	struct rules_decision d;
	char subject[64];

	memset(subject, 'a', 40);
	strcpy(subject + 40, "!");
	f.subject = subject;
	pb_buf_init(&json);
	pb_buf_append_str(&json, "{\"rules\":[");
	for (int i = 0; i < 12; i++)
		pb_buf_printf(&json, "{\"name\":\"bomb%d\",\"conditions\":[{\"field\":\"subject\","
				     "\"match\":\"regex\",\"value\":\"^(a|aa)+$\"}]},", i);
	pb_buf_append_str(&json, "{\"name\":\"cheap\",\"conditions\":[{\"field\":\"subject\","
				 "\"match\":\"contains\",\"value\":\"aaa\"}],"
				 "\"actions\":[{\"action\":\"flag\"}]},"
				 "{\"name\":\"numeric\",\"conditions\":[{\"field\":\"size\","
				 "\"match\":\"greater\",\"value\":10}],"
				 "\"actions\":[{\"action\":\"mark_read\"}]}]}");
	pb_buf_append_c(&json, '\0');
	REQUIRE(run(json.data, &f, &d));
	pb_buf_deinit(&json);
	REQUIRE(d.n_trace == 14);
	CHECK(strstr(d.trace[7], "(regular expression match limit reached)") != NULL);
	CHECK(strstr(d.trace[8], "(the rules' budget for this message is spent)") != NULL);
	CHECK(strstr(d.trace[12], "(the rules' budget for this message is spent)") != NULL);
	CHECK_INT(d.flagged, RULES_UNSET);
	CHECK_INT(d.seen, RULES_ON);
	rules_decision_deinit(&d);

	/* octets: a body of 1 MiB under 70 rules */
	char *big = xmalloc(1024 * 1024 + 1);
	memset(big, 'x', 1024 * 1024);
	big[1024 * 1024] = '\0';
	struct body b = { big, 0, 0, false };
	f = base_facts();
	f.body_ctx = &b;
	pb_buf_init(&json);
	pb_buf_append_str(&json, "{\"rules\":[");
	for (int i = 0; i < 70; i++)
		pb_buf_printf(&json, "%s{\"name\":\"r%d\",\"conditions\":[{\"field\":\"body\","
				     "\"match\":\"contains\",\"value\":\"x\"}]}", i ? "," : "", i);
	pb_buf_append_str(&json, "]}");
	pb_buf_append_c(&json, '\0');
	REQUIRE(run(json.data, &f, &d));
	pb_buf_deinit(&json);
	free(big);
	CHECK_INT(d.n_matched, 64);
	REQUIRE(d.n_trace == 70);
	CHECK(strstr(d.trace[64], "budget for this message is spent") != NULL);
	rules_decision_deinit(&d);
}

/* ---- actions and the guide's examples ---- */

/* Guide 4.14 "Actions": three rules, in this order. */
static void test_guide_three_rules(void)
{
	struct rules_facts f = base_facts();
	struct rules_decision d;

	REQUIRE(run(
		"{\"rules\":["
		"{\"name\":\"1\",\"actions\":[{\"action\":\"delete\",\"value\":true},"
		"{\"action\":\"copy_to_folder\",\"value\":\"abc\"},"
		"{\"action\":\"add_keyword\",\"value\":\"important\"}]},"
		"{\"name\":\"2\",\"actions\":[{\"action\":\"delete\",\"value\":false},"
		"{\"action\":\"move_to_folder\",\"value\":\"spam\"},"
		"{\"action\":\"add_keyword\",\"value\":\"spam\"}]},"
		"{\"name\":\"3\",\"actions\":[{\"action\":\"forward_to\",\"value\":\"jim@example.com\"},"
		"{\"action\":\"flag\",\"value\":true}]}]}",
		&f, &d));
	CHECK_INT(d.deleted, RULES_OFF); /* undelete of rule 2 overrides rule 1 */
	REQUIRE(d.n_keywords == 2);
	CHECK_STR(d.keywords[0], "important");
	CHECK_STR(d.keywords[1], "spam");
	REQUIRE(d.n_folders == 2);
	CHECK_STR(d.folders[0], "abc");
	CHECK_STR(d.folders[1], "spam");
	CHECK(!d.keep_inbox); /* the move wins over the copy: not kept in the Inbox */
	CHECK_INT(d.flagged, RULES_ON);
	REQUIRE(d.n_forwards == 1);
	CHECK_STR(d.forwards[0], "jim@example.com");
	CHECK_INT(d.n_matched, 3);
	CHECK_INT(d.n_trace, 3);
	CHECK(!d.stopped);
	char *json = rules_decision_print(&d);
	CHECK_STR(json, "{\"deleted\":false,\"flagged\":true,\"quarantined\":null,\"seen\":null,"
			"\"keep_inbox\":false,\"folders\":[\"abc\",\"spam\"],"
			"\"keywords\":[\"important\",\"spam\"],\"forwards\":[\"jim@example.com\"],"
			"\"forward_sender\":null,\"headers\":[],\"spam_score\":null,"
			"\"matched\":[\"1\",\"2\",\"3\"],\"stopped\":false,\"trace\":["
			"\"user rule \\\"1\\\": matched (no conditions): -> delete on, copy_to_folder \\\"abc\\\", "
			"add_keyword \\\"important\\\"\","
			"\"user rule \\\"2\\\": matched (no conditions): -> delete off, move_to_folder \\\"spam\\\", "
			"add_keyword \\\"spam\\\"\","
			"\"user rule \\\"3\\\": matched (no conditions): -> forward_to \\\"jim@example.com\\\", "
			"flag on\"]}");
	free(json);
	rules_decision_deinit(&d);
}

/* Guide "Advanced Rules": flag if (subject aaa or bbb) and sender joe@example.com. */
static const char aaa_bbb[] =
	"{\"rules\":["
	"{\"name\":\"rule1\",\"match\":\"any\",\"conditions\":["
	"{\"field\":\"subject\",\"match\":\"equals\",\"value\":\"aaa\"},"
	"{\"field\":\"subject\",\"match\":\"equals\",\"value\":\"bbb\"}]},"
	"{\"name\":\"rule2\",\"match\":\"all\",\"conditions\":["
	"{\"field\":\"previous_rule_match\",\"match\":\"equals\",\"value\":\"rule1\"},"
	"{\"field\":\"from\",\"match\":\"equals\",\"value\":\"joe@example.com\"}],"
	"\"actions\":[{\"action\":\"flag\",\"value\":true}]}]}";

static void test_guide_previous_rule(void)
{
	static const struct {
		const char *subject, *from;
		int flagged;
	} table[] = {
		{ "aaa", "joe@example.com", RULES_ON },  { "bbb", "joe@example.com", RULES_ON },
		{ "ccc", "joe@example.com", RULES_UNSET }, { "aaa", "ann@example.com", RULES_UNSET },
		{ "bbb", "ann@example.com", RULES_UNSET },
	};
	struct rules_set *set = parse_ok(aaa_bbb);

	REQUIRE(set != NULL);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct rules_facts f = base_facts();
		struct rules_address from = { "Someone", table[i].from };
		struct rules_decision d;
		f.subject = table[i].subject;
		f.from = &from;
		rules_evaluate(NULL, set, &f, &d);
		CHECK_INT(d.flagged, table[i].flagged);
		if (table[i].flagged == RULES_ON) {
			REQUIRE(d.n_trace == 2);
			CHECK(strstr(d.trace[1], "user rule \"rule2\": matched (all): "
						 "previous_rule_match equals \"rule1\" yes; "
						 "from equals \"joe@example.com\" yes -> flag on") != NULL);
		}
		rules_decision_deinit(&d);
	}
	rules_set_free(&set);
}

/* The merge matrix: rule A's action then rule B's, both matching; the decision. */
enum merge_what { M_DELETED, M_FLAGGED, M_QUARANTINED, M_SEEN, M_KEEP, M_FOLDERS, M_FORWARDS,
		  M_KEYWORDS, M_SENDER, M_HEADERS, M_SCORE };

static const struct {
	const char *a, *b; /* one action each, as JSON */
	enum merge_what what;
	const char *want; /* the decision's value, rendered */
} merge_table[] = {
	{ "{\"action\":\"delete\"}", "{\"action\":\"delete\",\"value\":false}", M_DELETED, "0" },
	{ "{\"action\":\"delete\",\"value\":false}", "{\"action\":\"delete\"}", M_DELETED, "1" },
	{ "{\"action\":\"delete\"}", "{\"action\":\"flag\"}", M_DELETED, "1" },
	{ "{\"action\":\"flag\"}", "{\"action\":\"flag\",\"value\":false}", M_FLAGGED, "0" },
	{ "{\"action\":\"flag\",\"value\":false}", "{\"action\":\"flag\"}", M_FLAGGED, "1" },
	{ "{\"action\":\"quarantine\"}", "{\"action\":\"quarantine\",\"value\":false}", M_QUARANTINED, "0" },
	{ "{\"action\":\"mark_read\",\"value\":false}", "{\"action\":\"mark_read\"}", M_SEEN, "1" },
	{ "{\"action\":\"copy_to_folder\",\"value\":\"a\"}", "{\"action\":\"copy_to_folder\",\"value\":\"b\"}", M_KEEP, "1" },
	{ "{\"action\":\"copy_to_folder\",\"value\":\"a\"}", "{\"action\":\"copy_to_folder\",\"value\":\"b\"}", M_FOLDERS, "a,b" },
	{ "{\"action\":\"move_to_folder\",\"value\":\"a\"}", "{\"action\":\"copy_to_folder\",\"value\":\"b\"}", M_KEEP, "0" },
	{ "{\"action\":\"copy_to_folder\",\"value\":\"a\"}", "{\"action\":\"move_to_folder\",\"value\":\"b\"}", M_FOLDERS, "a,b" },
	{ "{\"action\":\"move_to_folder\",\"value\":\"a\"}", "{\"action\":\"move_to_folder\",\"value\":\"a\"}", M_FOLDERS, "a" },
	{ "{\"action\":\"move_to_folder\",\"value\":\"a\"}", "{\"action\":\"move_to_folder\",\"value\":\"A\"}", M_FOLDERS, "a,A" },
	{ "{\"action\":\"forward_to\",\"value\":\"x@a\"}", "{\"action\":\"forward_to\",\"value\":\"X@A; y@b , z@c\"}", M_FORWARDS, "x@a,y@b,z@c" },
	{ "{\"action\":\"forward_to\",\"value\":\"x@a\"}", "{\"action\":\"flag\"}", M_KEEP, "1" },
	{ "{\"action\":\"redirect_to\",\"value\":\"x@a\"}", "{\"action\":\"flag\"}", M_KEEP, "0" },
	{ "{\"action\":\"redirect_to\",\"value\":\"x@a\"}", "{\"action\":\"forward_to\",\"value\":\"y@b\"}", M_FORWARDS, "x@a,y@b" },
	{ "{\"action\":\"add_keyword\",\"value\":\"k1\"}", "{\"action\":\"add_keyword\",\"value\":\"K1\"}", M_KEYWORDS, "k1" },
	{ "{\"action\":\"add_keyword\",\"value\":\"k1\"}", "{\"action\":\"add_keyword\",\"value\":\"k2\"}", M_KEYWORDS, "k1,k2" },
	{ "{\"action\":\"set_forward_sender\",\"value\":\"a@x\"}", "{\"action\":\"set_forward_sender\",\"value\":\"b@x\"}", M_SENDER, "b@x" },
	{ "{\"action\":\"modify_header\",\"value\":\"X-A: 1\"}", "{\"action\":\"modify_header\",\"value\":\"x-a: 2\"}", M_HEADERS, "x-a=2" },
	{ "{\"action\":\"modify_header\",\"value\":\"X-A: 1\"}", "{\"action\":\"modify_header\",\"value\":\"X-B\"}", M_HEADERS, "X-A=1,X-B" },
	{ "{\"action\":\"modify_header\",\"value\":\"X-A: 1\"}", "{\"action\":\"modify_header\",\"value\":\"X-A\"}", M_HEADERS, "X-A" },
	{ "{\"action\":\"set_spam_score\",\"value\":3}", "{\"action\":\"set_spam_score\",\"value\":-2}", M_SCORE, "-2" },
	{ "{\"action\":\"flag\"}", "{\"action\":\"mark_read\"}", M_SCORE, "unset" },
};

static void render_list(struct pb_buf *b, char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pb_buf_printf(b, "%s%s", i > 0 ? "," : "", v[i]);
}

static void render(const struct rules_decision *d, enum merge_what what, struct pb_buf *b)
{
	switch (what) {
	case M_DELETED: pb_buf_printf(b, "%d", d->deleted); break;
	case M_FLAGGED: pb_buf_printf(b, "%d", d->flagged); break;
	case M_QUARANTINED: pb_buf_printf(b, "%d", d->quarantined); break;
	case M_SEEN: pb_buf_printf(b, "%d", d->seen); break;
	case M_KEEP: pb_buf_printf(b, "%d", d->keep_inbox); break;
	case M_FOLDERS: render_list(b, d->folders, d->n_folders); break;
	case M_FORWARDS: render_list(b, d->forwards, d->n_forwards); break;
	case M_KEYWORDS: render_list(b, d->keywords, d->n_keywords); break;
	case M_SENDER: pb_buf_append_str(b, d->forward_sender ? d->forward_sender : "(null)"); break;
	case M_HEADERS:
		for (size_t i = 0; i < d->n_headers; i++)
			pb_buf_printf(b, "%s%s%s%s", i > 0 ? "," : "", d->headers[i].name,
				      d->headers[i].value ? "=" : "",
				      d->headers[i].value ? d->headers[i].value : "");
		break;
	case M_SCORE:
		if (d->has_spam_score)
			pb_buf_printf(b, "%g", d->spam_score);
		else
			pb_buf_append_str(b, "unset");
		break;
	}
	pb_buf_append_c(b, '\0');
}

static void test_merge_matrix(void)
{
	struct rules_facts f = base_facts();

	for (size_t i = 0; i < sizeof(merge_table) / sizeof(merge_table[0]); i++) {
		char *json = xasprintf("{\"rules\":[{\"name\":\"A\",\"actions\":[%s]},"
				       "{\"name\":\"B\",\"actions\":[%s]}]}",
				       merge_table[i].a, merge_table[i].b);
		struct rules_decision d;
		struct pb_buf b;
		bool ok = run(json, &f, &d);
		free(json);
		REQUIRE(ok);
		pb_buf_init(&b);
		render(&d, merge_table[i].what, &b);
		if (strcmp(b.data, merge_table[i].want) != 0) {
			fprintf(stderr, "  case %zu: got \"%s\" want \"%s\"\n", i, b.data,
				merge_table[i].want);
			CHECK(0);
		}
		pb_buf_deinit(&b);
		rules_decision_deinit(&d);
	}
}

/* Later rules see the state earlier rules left: mark read, keywords, spam score. */
static void test_state_seen_by_later_rules(void)
{
	struct rules_facts f = base_facts();
	struct rules_decision d;

	REQUIRE(run(
		"{\"rules\":["
		"{\"name\":\"read it\",\"actions\":[{\"action\":\"mark_read\"},"
		"{\"action\":\"add_keyword\",\"value\":\"seen-by-rule\"},"
		"{\"action\":\"set_spam_score\",\"value\":9},{\"action\":\"quarantine\"}]},"
		"{\"name\":\"r2\",\"conditions\":[{\"field\":\"marked_read\",\"value\":true},"
		"{\"field\":\"keyword\",\"match\":\"equals\",\"value\":\"seen-by-rule\"},"
		"{\"field\":\"spam_score\",\"match\":\"greater\",\"value\":8},"
		"{\"field\":\"quarantined\",\"value\":true}],"
		"\"actions\":[{\"action\":\"flag\"}]}]}",
		&f, &d));
	CHECK_INT(d.flagged, RULES_ON);
	CHECK_INT(d.seen, RULES_ON);
	CHECK_INT(d.quarantined, RULES_ON);
	CHECK(d.has_spam_score && d.spam_score == 9);
	rules_decision_deinit(&d);
}

/* Administrator rules come first; stop_after in them ends the user's too; disabled rules
 * and rules for other message types are skipped and traced. */
static void test_order_types_stop(void)
{
	struct rules_set *admin = parse_ok(
		"{\"rules\":[{\"name\":\"off\",\"enabled\":false,\"actions\":[{\"action\":\"delete\"}]},"
		"{\"name\":\"sys only\",\"types\":[\"system\"],\"actions\":[{\"action\":\"delete\"}]},"
		"{\"name\":\"tag\",\"types\":[\"incoming\",\"local\"],\"actions\":["
		"{\"action\":\"add_keyword\",\"value\":\"admin\"}]},"
		"{\"name\":\"stopper\",\"stop_after\":true,\"conditions\":[{\"field\":\"subject\","
		"\"match\":\"equals\",\"value\":\"stop\"}],\"actions\":[{\"action\":\"flag\"}]}]}");
	struct rules_set *user = parse_ok(
		"{\"rules\":[{\"name\":\"u\",\"conditions\":[{\"field\":\"previous_rule_match\","
		"\"match\":\"equals\",\"value\":\"tag\"}],\"actions\":[{\"action\":\"move_to_folder\","
		"\"value\":\"Tagged\"}]}]}");
	struct rules_facts f = base_facts();
	struct rules_decision d;

	REQUIRE(admin != NULL && user != NULL);
	rules_evaluate(admin, user, &f, &d);
	CHECK_INT(d.deleted, RULES_UNSET);
	REQUIRE(d.n_trace == 5);
	CHECK(strstr(d.trace[0], "administrator rule \"off\": skipped, disabled") != NULL);
	CHECK(strstr(d.trace[1], "skipped, not for this message type (incoming)") != NULL);
	CHECK(strstr(d.trace[2], "administrator rule \"tag\": matched (no conditions): -> add_keyword") != NULL);
	CHECK(strstr(d.trace[3], "no match (all): subject equals \"stop\" no") != NULL);
	CHECK(strstr(d.trace[4], "user rule \"u\": matched") != NULL);
	REQUIRE(d.n_folders == 1);
	CHECK(!d.keep_inbox);
	rules_decision_deinit(&d);

	f.subject = "stop";
	f.type = RULES_TYPE_SYSTEM;
	rules_evaluate(admin, user, &f, &d);
	CHECK_INT(d.deleted, RULES_ON); /* "sys only" */
	CHECK_INT(d.flagged, RULES_ON);
	CHECK(d.stopped);
	CHECK_INT(d.n_folders, 0); /* the user's rule never ran */
	REQUIRE(d.n_trace == 4);
	CHECK(strstr(d.trace[3], "-> flag on; stop processing") != NULL);
	rules_decision_deinit(&d);
	rules_set_free(&admin);
	rules_set_free(&user);
}

/* "Any" with no matching condition does not match; a rule without conditions always does;
 * the body is read once, lazily, within its budget; a failed read is "". */
static void test_any_body_budget(void)
{
	struct rules_facts f = base_facts();
	struct rules_set *set = parse_ok(
		"{\"rules\":[{\"name\":\"any\",\"match\":\"any\",\"conditions\":["
		"{\"field\":\"subject\",\"match\":\"equals\",\"value\":\"nope\"},"
		"{\"field\":\"body\",\"match\":\"contains\",\"value\":\"attached\"}],"
		"\"actions\":[{\"action\":\"flag\"}]},"
		"{\"name\":\"again\",\"conditions\":[{\"field\":\"body\",\"match\":\"contains\","
		"\"value\":\"Hello\"}],\"actions\":[{\"action\":\"mark_read\"}]}]}");
	struct rules_decision d;

	REQUIRE(set != NULL);
	rules_evaluate(NULL, set, &f, &d);
	CHECK_INT(d.flagged, RULES_ON);
	CHECK_INT(d.seen, RULES_ON);
	CHECK_INT(base_body.calls, 1);
	CHECK_INT(base_body.budget_seen, RULES_BODY_BUDGET_DEFAULT);
	rules_decision_deinit(&d);

	f = base_facts();
	f.body_budget = 20; /* "attached" lies past the first 20 octets */
	rules_evaluate(NULL, set, &f, &d);
	CHECK_INT(d.flagged, RULES_UNSET);
	CHECK_INT(d.seen, RULES_ON);
	CHECK_INT(base_body.budget_seen, 20);
	rules_decision_deinit(&d);

	f = base_facts();
	base_body.fail = true;
	rules_evaluate(NULL, set, &f, &d);
	base_body.fail = false;
	CHECK_INT(d.flagged, RULES_UNSET);
	REQUIRE(d.n_trace == 2);
	CHECK(strstr(d.trace[0], "(the body could not be read)") != NULL);
	rules_decision_deinit(&d);

	f = base_facts();
	f.subject = "nope"; /* any: the body is never read */
	rules_evaluate(NULL, set, &f, &d);
	rules_decision_deinit(&d);
	CHECK_INT(base_body.calls, 1); /* only by the second rule */
	rules_set_free(&set);
}

/* Several caseless conditions on the body (folded once) and other fields between them. */
static void test_body_caseless_many(void)
{
	struct rules_facts f = base_facts();
	struct rules_decision d;

	REQUIRE(run(
		"{\"rules\":[{\"name\":\"b\",\"conditions\":["
		"{\"field\":\"body\",\"match\":\"contains\",\"value\":\"WIDGET\",\"i\":true},"
		"{\"field\":\"subject\",\"match\":\"contains\",\"value\":\"OFFER\",\"i\":true},"
		"{\"field\":\"body\",\"match\":\"greater_or_equal\",\"value\":\"HELLO ANN\",\"i\":true},"
		"{\"field\":\"body\",\"match\":\"contains\",\"value\":\"Catalogue\",\"n\":true},"
		"{\"field\":\"body\",\"match\":\"contains\",\"value\":\"CATALOGUE IS\",\"i\":true}],"
		"\"actions\":[{\"action\":\"flag\"}]},"
		"{\"name\":\"c\",\"conditions\":["
		"{\"field\":\"body\",\"match\":\"contains\",\"value\":\"OFFER\",\"i\":true}],"
		"\"actions\":[{\"action\":\"delete\"}]}]}",
		&f, &d));
	CHECK_INT(d.flagged, RULES_ON);
	CHECK_INT(d.deleted, RULES_UNSET);
	CHECK_INT(base_body.calls, 1);
	rules_decision_deinit(&d);
}

/* A raw header through rules_address_list_parse: names decoded, groups flattened. */
static void test_address_list(void)
{
	static const char raw[] = "=?UTF-8?Q?Zo=C3=AB_=C3=84rger?= <zoe@beispiel.de>,\r\n "
				  "bob@example.org, Team: a@b.example, \"Carl, Jr.\" <c@d.example>;, "
				  "broken@";
	struct rules_address_list list;
	struct rules_facts f = base_facts();

	rules_address_list_parse(raw, strlen(raw), &list);
	REQUIRE(list.n == 5);
	CHECK_STR(list.v[0].name, "Zo\xc3\xab \xc3\x84rger");
	CHECK_STR(list.v[0].address, "zoe@beispiel.de");
	CHECK(list.v[1].name == NULL);
	CHECK_STR(list.v[1].address, "bob@example.org");
	CHECK_STR(list.v[2].address, "a@b.example");
	CHECK_STR(list.v[3].name, "Carl, Jr.");
	CHECK_STR(list.v[3].address, "c@d.example");
	CHECK_STR(list.v[4].address, "broken");
	f.to = list.v;
	f.n_to = list.n;
	CHECK_INT(cond_matches(&f, "to", "equals", "\"Carl, Jr. <c@d.example>\"", 0, 0, NULL), 1);
	CHECK_INT(cond_matches(&f, "to", "wildcard", "\"zo? *\"", 1, 0, NULL), 1);
	rules_address_list_free(&list);
	CHECK(list.v == NULL && list.n == 0);
	rules_address_list_parse(NULL, 0, &list);
	CHECK_INT(list.n, 0);
	rules_address_list_free(&list);
}

/* Trace lines stay one line: control characters shown as '?', long text cut on a UTF-8
 * character boundary. */
static void test_trace_one_line(void)
{
	struct rules_facts f = base_facts();
	struct rules_decision d;
	struct pb_buf long_value;

	pb_buf_init(&long_value);
	pb_buf_append_c(&long_value, 'x');
	for (int i = 0; i < 50; i++)
		pb_buf_append_str(&long_value, "\xc3\xa9"); /* 100 octets of "é" */
	pb_buf_append_c(&long_value, '\0');
	char *json = xasprintf("{\"rules\":[{\"name\":\"two\\nlines\",\"match\":\"any\",\"conditions\":["
			       "{\"field\":\"body\",\"match\":\"contains\",\"value\":\"a\\r\\nb\"},"
			       "{\"field\":\"subject\",\"match\":\"equals\",\"value\":\"%s\"}]}]}",
			       long_value.data);
	REQUIRE(run(json, &f, &d));
	free(json);
	pb_buf_deinit(&long_value);
	REQUIRE(d.n_trace == 1);
	CHECK(strchr(d.trace[0], '\n') == NULL && strchr(d.trace[0], '\r') == NULL);
	CHECK(strstr(d.trace[0], "user rule \"two?lines\": no match (any): body contains \"a??b\" no")
	      != NULL);
	/* "x" then 39 of the 50 "é": the cut at 80 octets fell inside the 40th */
	CHECK(strstr(d.trace[0], "x\xc3\xa9\xc3\xa9") != NULL);
	char *cut = strstr(d.trace[0], "...\"");
	REQUIRE(cut != NULL);
	CHECK(memcmp(cut - 2, "\xc3\xa9", 2) == 0);
	CHECK(cut - strstr(d.trace[0], "x\xc3") == 1 + 39 * 2);
	rules_decision_deinit(&d);
}

/* One parsed set evaluated by several threads at once (it is only read): each thread gets
 * the same decision every time. */
struct shared_eval {
	const struct rules_set *set;
	struct rules_facts facts; /* base_facts() writes a global: called by main only */
	int mismatches;
};

static void *shared_eval_thread(void *arg)
{
	struct shared_eval *se = arg;

	for (int i = 0; i < 200; i++) {
		struct rules_facts f = se->facts;
		struct rules_decision d;
		f.subject = i % 2 ? "Invoice 42 overdue" : "hello";
		rules_evaluate(NULL, se->set, &f, &d);
		bool want = i % 2;
		if ((d.flagged == RULES_ON) != want || (d.n_folders == 1) != want)
			se->mismatches++;
		rules_decision_deinit(&d);
	}
	return NULL;
}

static void test_shared_set_threads(void)
{
	struct rules_set *set = parse_ok(
		"{\"rules\":[{\"name\":\"inv\",\"match\":\"any\",\"conditions\":["
		"{\"field\":\"subject\",\"match\":\"regex\",\"value\":\"invoice\\\\s+\\\\d+\",\"i\":true},"
		"{\"field\":\"subject\",\"match\":\"wildcard\",\"value\":\"*OVERDUE\",\"i\":true}],"
		"\"actions\":[{\"action\":\"flag\"},{\"action\":\"move_to_folder\",\"value\":\"Bills\"}]}]}");
	struct shared_eval se[4];
	pthread_t t[4];

	REQUIRE(set != NULL);
	for (int i = 0; i < 4; i++) {
		se[i].set = set;
		se[i].facts = base_facts();
		se[i].facts.body_text = NULL; /* base_body's counters are not thread-safe */
		se[i].mismatches = 0;
		REQUIRE(pthread_create(&t[i], NULL, shared_eval_thread, &se[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(se[i].mismatches, 0);
	}
	rules_set_free(&set);
}

/* ---- the names editors are given ---- */

/* A value of the field's kind, as JSON text. */
static const char *names_value(const char *kind)
{
	static const struct { const char *kind, *value; } v[] = {
		{ "checkbox", "true" }, { "numeric", "\"5\"" }, { "date", "\"2026-01-02\"" },
		{ "time", "\"08:30\"" }, { "text", "\"x\"" }, { "address", "\"a@x.example\"" },
		{ "list", "\"x\"" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strcmp(v[i].kind, kind) == 0)
			return v[i].value;
	return NULL;
}

/* Parses one rule with a condition of field (match) and an action of its value kind. */
static bool names_parse(const char *field, const char *kind, const char *match,
			const char *action, const char *action_kind)
{
	const char *value = names_value(kind);
	const char *avalue = strcmp(action_kind, "switch") == 0 ? "false" :
			     strcmp(action_kind, "number") == 0 ? "2.5" :
			     strcmp(action, "modify_header") == 0 ? "\"X-A: b\"" : "\"a@x.example\"";
	struct rules_set *set;
	bool ok;

	if (value == NULL)
		return false;
	char *json = xasprintf("{\"rules\":[{\"name\":\"r\",\"types\":[\"local\"],\"conditions\":"
			       "[{\"field\":\"%s\",\"match\":\"%s\",\"value\":%s}],\"actions\":"
			       "[{\"action\":\"%s\",\"value\":%s}]}]}",
			       field, match, value, action, avalue);
	set = parse_ok(json);
	ok = set != NULL;
	rules_set_free(&set);
	free(json);
	return ok;
}

static void test_names(void)
{
	cJSON *doc = rules_names_json();
	const cJSON *fields = cJSON_GetObjectItem(doc, "fields");
	const cJSON *matches = cJSON_GetObjectItem(doc, "matches");
	const cJSON *actions = cJSON_GetObjectItem(doc, "actions");

	CHECK_INT(cJSON_GetArraySize(fields), RULES_FIELD_COUNT);
	CHECK_INT(cJSON_GetArraySize(matches), RULES_OP_COUNT);
	CHECK_INT(cJSON_GetArraySize(actions), RULES_ACTION_COUNT);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "types")), 3);
	for (int i = 0; i < RULES_FIELD_COUNT; i++) {
		const cJSON *f = cJSON_GetArrayItem(fields, i);
		const cJSON *a = cJSON_GetArrayItem(actions, i % RULES_ACTION_COUNT);
		const char *kind = cJSON_GetObjectItem(f, "kind")->valuestring;
		const char *match = strcmp(kind, "checkbox") == 0 ? "not_equals" :
				    cJSON_GetArrayItem(matches, i % RULES_OP_COUNT)->valuestring;
		CHECK_STR(cJSON_GetObjectItem(f, "name")->valuestring, rules_field_name(i));
		CHECK(names_parse(rules_field_name(i), kind, match,
				  cJSON_GetObjectItem(a, "name")->valuestring,
				  cJSON_GetObjectItem(a, "value")->valuestring));
	}
	for (int i = 0; i < RULES_OP_COUNT; i++)
		CHECK_STR(cJSON_GetArrayItem(matches, i)->valuestring, rules_op_name(i));
	cJSON_Delete(doc);
}

static const struct pb_test_case cases[] = {
	{ "parse_errors", test_parse_errors },
	{ "round_trip", test_round_trip },
	{ "condition_table", test_condition_table },
	{ "guide_ordering", test_guide_ordering },
	{ "absent_facts", test_absent_facts },
	{ "guide_wildcards", test_guide_wildcards },
	{ "wildcard_literals", test_wildcard_literals },
	{ "regex_edges", test_regex_edges },
	{ "regex_compile_error", test_regex_compile_error },
	{ "regex_budget", test_regex_budget },
	{ "evaluation_budget", test_evaluation_budget },
	{ "guide_three_rules", test_guide_three_rules },
	{ "guide_previous_rule", test_guide_previous_rule },
	{ "merge_matrix", test_merge_matrix },
	{ "state_seen_by_later_rules", test_state_seen_by_later_rules },
	{ "order_types_stop", test_order_types_stop },
	{ "any_body_budget", test_any_body_budget },
	{ "body_caseless_many", test_body_caseless_many },
	{ "address_list", test_address_list },
	{ "trace_one_line", test_trace_one_line },
	{ "shared_set_threads", test_shared_set_threads },
	{ "names", test_names },
};

PB_TEST_MAIN(cases)
