/*
 * test-send-policy.c: an account's sending permissions (send-policy.h) — the keys as the CLI
 * sets them and the directory validates them, what a stored object reads back as, the
 * forbidden-recipient wildcards and the BCC rule; and the counters of the hourly and daily
 * limits (send-counter.h) on a fake clock.
 */
#include "pb-alloc.h"
#include "pb-test.h"
#include "send-counter.h"
#include "send-policy.h"

#include <stdlib.h>
#include <string.h>

#define MIN 60000ull
#define HOUR (60 * MIN)

static void test_defaults(void)
{
	struct send_policy p;

	send_policy_from_json(NULL, &p);
	CHECK(!p.send_as_any && p.allow_bcc && p.internet_mail);
	CHECK(p.per_hour == -1 && p.per_day == -1 && p.max_size_kb == 0 && p.forbidden.n == 0);
	send_policy_deinit(&p);
	send_policy_from_json("{\"admin\":true}", &p);
	CHECK(!p.send_as_any && p.allow_bcc);
	send_policy_deinit(&p);
	CHECK_INT(send_policy_limit(-1, 7), 7);
	CHECK_INT(send_policy_limit(0, 7), 0);
	CHECK_INT(send_policy_limit(3, 7), 3);
}

/* Sets key=value on json; returns the new object (the caller frees) or NULL with *error_r. */
static char *set(const char *json, const char *key, const char *value, const char **error_r)
{
	char *out = NULL;
	return send_policy_set(json, key, value, &out, error_r) == 0 ? out : NULL;
}

static void test_set_and_read_back(void)
{
	const char *error;
	struct send_policy p;
	char *a = set("{\"admin\":true}", "send_as_any", "yes", &error);
	char *b = set(a, "max_messages_per_hour", "3", &error);
	char *c = set(b, "forbidden_recipients", " *@competitor.com, boss@* ,", &error);
	char *d = set(c, "allow_bcc", "off", &error);
	char *e = set(d, "internet_mail", "FALSE", &error);
	char *f = set(e, "max_message_size_kb", "1024", &error);

	REQUIRE(f != NULL);
	send_policy_from_json(f, &p);
	CHECK(p.send_as_any && !p.allow_bcc && !p.internet_mail);
	CHECK(p.per_hour == 3 && p.per_day == -1 && p.max_size_kb == 1024);
	REQUIRE(p.forbidden.n == 2);
	CHECK_STR(p.forbidden.v[0], "*@competitor.com");
	CHECK_STR(p.forbidden.v[1], "boss@*");
	CHECK(strstr(f, "\"admin\":true") != NULL); /* other keys stay */
	send_policy_deinit(&p);
	char *g = NULL;
	CHECK(send_policy_unset(f, "send_as_any", &g, &error) == 0);
	send_policy_from_json(g, &p);
	CHECK(!p.send_as_any && p.per_hour == 3);
	send_policy_deinit(&p);
	CHECK(send_policy_check_json(g, &error) == 0);
	free(a), free(b), free(c), free(d), free(e), free(f), free(g);
}

static void test_bad_values(void)
{
	static const char *const bad[][3] = {
		{ "send_as_any", "maybe", "send_as_any must be true or false" },
		{ "max_messages_per_hour", "-1", "max_messages_per_hour must be a whole number" },
		{ "max_messages_per_day", "1000001", "max_messages_per_day must be a whole number" },
		{ "max_messages_per_day", "3x", "max_messages_per_day must be" },
		{ "max_message_size_kb", "", "max_message_size_kb must be" },
		{ "forbidden_recipients", "a b@c", "may not hold spaces" },
		{ "forbidden_recipients", "/x.*/i", "not regular expressions" },
		{ "bogus", "1", "unknown setting" },
	};
	const char *error = "";

	for (size_t i = 0; i < PB_N_ELEMENTS(bad); i++) {
		char *out = set("{}", bad[i][0], bad[i][1], &error);
		CHECK(out == NULL);
		free(out);
		if (strstr(error, bad[i][2]) == NULL) {
			fprintf(stderr, "  %s=%s: %s\n", bad[i][0], bad[i][1], error);
			CHECK(!"the error names the problem");
		}
	}
	CHECK(set("[1]", "allow_bcc", "true", &error) == NULL);
	CHECK(strstr(error, "not a JSON object") != NULL);
	/* a whole object (user add with settings): its keys are checked too */
	CHECK(send_policy_check_json("{\"allow_bcc\":1}", &error) == -1);
	CHECK(strstr(error, "allow_bcc") != NULL);
	CHECK(send_policy_check_json("{\"admin\":true,\"max_messages_per_day\":5}", &error) == 0);
	/* read back leniently: a bad stored value keeps the default */
	struct send_policy p;
	send_policy_from_json("{\"allow_bcc\":\"no\",\"max_messages_per_hour\":-4}", &p);
	CHECK(p.allow_bcc && p.per_hour == -1);
	send_policy_deinit(&p);
	CHECK(send_policy_is_key("allow_bcc") && !send_policy_is_key("admin"));
	/* the keys as `help user set` lists them: each taken, with a help line */
	const char *name, *help;
	size_t n = 0;
	for (; (name = send_policy_key(n, &help)) != NULL; n++)
		CHECK(send_policy_is_key(name) && help != NULL && help[0] != '\0');
	CHECK(n == 13);
}

static void test_forbidden_patterns(void)
{
	struct pb_strv v = { 0 };

	pb_strv_push(&v, "*@competitor.com");
	pb_strv_push(&v, "boss@*");
	pb_strv_push(&v, "user?@example.org");
	CHECK_STR(send_policy_forbidden(&v, "anyone@competitor.com"), "*@competitor.com");
	CHECK_STR(send_policy_forbidden(&v, "Anyone@COMPETITOR.com"), "*@competitor.com");
	CHECK(send_policy_forbidden(&v, "anyone@competitor.com.evil") == NULL); /* anchored */
	CHECK(send_policy_forbidden(&v, "anyone@notcompetitor.org") == NULL);
	CHECK_STR(send_policy_forbidden(&v, "BOSS@anywhere.example"), "boss@*");
	CHECK(send_policy_forbidden(&v, "theboss@anywhere.example") == NULL);
	CHECK_STR(send_policy_forbidden(&v, "user1@example.org"), "user?@example.org");
	CHECK(send_policy_forbidden(&v, "user12@example.org") == NULL); /* ? is one character */
	CHECK(send_policy_forbidden(&v, "user@example.org") == NULL);
	pb_strv_clear(&v);
	CHECK(send_policy_forbidden(&v, "a@b") == NULL);
}

static void test_bcc_rule(void)
{
	const char *hdr = "From: Al <al@example.com>\r\n"
			  "To: \"Bob B.\" <BOB@example.com>, group: carol@example.com, x@y;\r\n"
			  "Cc: dave@example.org\r\n"
			  "\tSubject-not: here\r\n"
			  "Subject: hi\r\n"
			  "\r\n"
			  "To: eve@example.com\r\n";
	const char *all[] = { "bob@example.com", "carol@example.com", "dave@example.org" };
	const char *bcc[] = { "bob@example.com", "eve@example.com" };
	const char *from[] = { "al@example.com" };

	CHECK(send_policy_bcc_missing(hdr, strlen(hdr), all, 3) == NULL);
	/* eve is only in the body: a blind copy */
	CHECK_STR(send_policy_bcc_missing(hdr, strlen(hdr), bcc, 2), "eve@example.com");
	/* From: is not a recipient field */
	CHECK_STR(send_policy_bcc_missing(hdr, strlen(hdr), from, 1), "al@example.com");
	/* a Bcc: header names recipients, but not openly */
	const char *b = "To: a@x.org\r\nBcc: b@x.org\r\n\r\nbody\r\n";
	const char *ab[] = { "a@x.org", "b@x.org" };
	CHECK_STR(send_policy_bcc_missing(b, strlen(b), ab, 2), "b@x.org");
	CHECK(send_policy_bcc_missing("", 0, ab, 0) == NULL);
	CHECK_STR(send_policy_bcc_missing("", 0, ab, 1), "a@x.org");
}

static void test_counter_hour(void)
{
	struct send_counter *c = send_counter_create(8);
	uint64_t t0 = 1000 * HOUR + 30 * 1000; /* half a minute into a minute */

	for (int i = 0; i < 3; i++) {
		CHECK_INT(send_counter_check(c, 7, 3, 0, t0 + (uint64_t)i * MIN), SEND_COUNTER_OK);
		send_counter_add(c, 7, t0 + (uint64_t)i * MIN);
	}
	CHECK_INT(send_counter_hour(c, 7, t0 + 2 * MIN), 3);
	CHECK_INT(send_counter_check(c, 7, 3, 0, t0 + 2 * MIN), SEND_COUNTER_HOUR);
	CHECK_INT(send_counter_check(c, 8, 3, 0, t0 + 2 * MIN), SEND_COUNTER_OK); /* others not */
	CHECK_INT(send_counter_check(c, 7, 4, 0, t0 + 2 * MIN), SEND_COUNTER_OK);
	CHECK_INT(send_counter_check(c, 7, 0, 0, t0 + 2 * MIN), SEND_COUNTER_OK); /* 0: none */
	/* 59 minutes after the first: still within the hour */
	CHECK_INT(send_counter_check(c, 7, 3, 0, t0 + 59 * MIN), SEND_COUNTER_HOUR);
	/* 60 minutes after the first, its minute has left the window: one may go */
	CHECK_INT(send_counter_hour(c, 7, t0 + 60 * MIN), 2);
	CHECK_INT(send_counter_check(c, 7, 3, 0, t0 + 60 * MIN), SEND_COUNTER_OK);
	CHECK_INT(send_counter_hour(c, 7, t0 + 62 * MIN), 0);
	/* a long silence empties every bucket */
	CHECK_INT(send_counter_hour(c, 7, t0 + 1000 * HOUR), 0);
	send_counter_destroy(&c);
	CHECK(c == NULL);
}

static void test_counter_day(void)
{
	struct send_counter *c = send_counter_create(8);
	uint64_t t0 = 500 * 24 * HOUR;

	send_counter_add(c, 1, t0);
	send_counter_add(c, 1, t0 + 2 * HOUR);
	CHECK_INT(send_counter_check(c, 1, 1, 2, t0 + 2 * HOUR), SEND_COUNTER_HOUR); /* hour named */
	CHECK_INT(send_counter_check(c, 1, 2, 2, t0 + 2 * HOUR), SEND_COUNTER_DAY);
	CHECK_INT(send_counter_check(c, 1, 0, 2, t0 + 3 * HOUR), SEND_COUNTER_DAY);
	CHECK_INT(send_counter_day(c, 1, t0 + 23 * HOUR), 2);
	CHECK_INT(send_counter_check(c, 1, 0, 2, t0 + 23 * HOUR + 59 * MIN), SEND_COUNTER_DAY);
	CHECK_INT(send_counter_day(c, 1, t0 + 24 * HOUR), 1); /* the first left the day */
	CHECK_INT(send_counter_check(c, 1, 0, 2, t0 + 24 * HOUR), SEND_COUNTER_OK);
	CHECK_INT(send_counter_day(c, 1, t0 + 26 * HOUR), 0);
	send_counter_destroy(&c);
}

static void test_counter_bounded(void)
{
	struct send_counter *c = send_counter_create(2);
	uint64_t t0 = 10 * HOUR;

	send_counter_add(c, 1, t0);
	send_counter_add(c, 2, t0 + MIN);
	send_counter_add(c, 1, t0 + 2 * MIN);
	send_counter_add(c, 3, t0 + 3 * MIN); /* full: 2, whose last message is oldest, goes */
	CHECK_INT(send_counter_hour(c, 1, t0 + 3 * MIN), 2);
	CHECK_INT(send_counter_hour(c, 2, t0 + 3 * MIN), 0);
	CHECK_INT(send_counter_hour(c, 3, t0 + 3 * MIN), 1);
	send_counter_destroy(&c);
}

/* The account's own signatures: set, read back ("" is none), refused when too long or with
 * control characters, listed by send_policy_format. */
static void test_signatures(void)
{
	const char *error = "";
	struct send_policy p;
	char *a = set("{}", "signature_text", "Ann\\nACME", &error);
	char *b = set(a, "internal_signature_html", "<b>Ann</b>\n", &error);
	char *c = set(b, "internal_signature_text", "", &error);

	REQUIRE(a != NULL && b != NULL && c != NULL);
	send_policy_from_json(c, &p);
	CHECK_STR(p.outgoing.text, "Ann\\nACME"); /* kept as typed; unescaped when used */
	CHECK(p.outgoing.html == NULL && p.internal.text == NULL);
	CHECK_STR(p.internal.html, "<b>Ann</b>\n");
	struct pb_buf out;
	pb_buf_init(&out);
	send_policy_format(&p, &out);
	pb_buf_append_c(&out, '\0');
	CHECK(strstr(out.data, "signature_text: Ann\\nACME\n") != NULL);
	CHECK(strstr(out.data, "internal_signature_html: <b>Ann</b>\\n\n") != NULL);
	CHECK(strstr(out.data, "signature_html: (none)\n") != NULL);
	pb_buf_deinit(&out);
	send_policy_deinit(&p);
	char *d = NULL;
	CHECK(send_policy_unset(c, "signature_text", &d, &error) == 0);
	send_policy_from_json(d, &p);
	CHECK(p.outgoing.text == NULL);
	send_policy_deinit(&p);
	char *big = xcalloc(1, 2002);
	memset(big, 'x', 2001);
	CHECK(set("{}", "signature_text", big, &error) == NULL);
	CHECK(strstr(error, "at most 2000") != NULL);
	big[2000] = '\0';
	char *e = set("{}", "signature_text", big, &error); /* the limit itself */
	CHECK(e != NULL);
	CHECK(set("{}", "signature_html", "a\x01b", &error) == NULL);
	CHECK(strstr(error, "control characters") != NULL);
	CHECK(send_policy_check_json("{\"signature_text\":5}", &error) == -1);
	CHECK(strstr(error, "signature") != NULL);
	free(a), free(b), free(c), free(d), free(e), free(big);
}

static const struct pb_test_case cases[] = {
	{ "defaults", test_defaults },
	{ "signatures", test_signatures },
	{ "set_and_read_back", test_set_and_read_back },
	{ "bad_values", test_bad_values },
	{ "forbidden_patterns", test_forbidden_patterns },
	{ "bcc_rule", test_bcc_rule },
	{ "counter_hour", test_counter_hour },
	{ "counter_day", test_counter_day },
	{ "counter_bounded", test_counter_bounded },
};

PB_TEST_MAIN(cases)
