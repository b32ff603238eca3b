/*
 * test-router-generate.c: the autoresponder's pure rules (router-generate.h), table-driven:
 * who gets an automatic reply (settings, dates, null and robot senders; RFC 3834 header rules:
 * lists, bulk, auto-submitted, our own mail, the user only Bcc'd), the settings keys, the
 * reply's RFC 3834 headers, and the router's plan asking for replies and bounces.
 */
#include "pb-alloc.h"
#include "pb-test.h"
#include "router-generate.h"
#include "router-plan.h"

#include <stdlib.h>
#include <string.h>

#define DAY 86400000ll
#define NOW (1767225600000ll + 10 * DAY) /* 2026-01-11 */

struct due_case {
	const char *name;
	bool on;
	const char *start, *end, *sender;
	bool want;
};

static const struct due_case due_cases[] = {
	{ "off", false, NULL, NULL, "bob@remote.net", false },
	{ "on", true, NULL, NULL, "bob@remote.net", true },
	{ "null sender", true, NULL, NULL, "", false },
	{ "own address", true, NULL, NULL, "ann@example.com", false },
	{ "mailer-daemon", true, NULL, NULL, "MAILER-DAEMON@remote.net", false },
	{ "owner-list", true, NULL, NULL, "owner-staff@remote.net", false },
	{ "list-request", true, NULL, NULL, "staff-request@remote.net", false },
	{ "before start", true, "2026-01-12", NULL, "bob@remote.net", false },
	{ "on start day", true, "2026-01-11", NULL, "bob@remote.net", true },
	{ "end day included", true, NULL, "2026-01-11", "bob@remote.net", true },
	{ "after end", true, NULL, "2026-01-10", "bob@remote.net", false },
};

static void test_due_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(due_cases); i++) {
		const struct due_case *t = &due_cases[i];
		struct router_autoreply a = { .on = t->on, .days = 7 };
		const char *why;
		if (t->start != NULL)
			REQUIRE(router_day_parse(t->start, &a.start_ms) == 0);
		if (t->end != NULL) {
			REQUIRE(router_day_parse(t->end, &a.end_ms) == 0);
			a.end_ms += DAY;
		}
		bool got = router_autoreply_due(&a, t->sender, "ann@example.com", NOW, &why);
		if (got != t->want)
			fprintf(stderr, "case %s: got %d (%s)\n", t->name, got, why);
		CHECK(got == t->want);
	}
}

struct hdr_case {
	const char *name, *header;
	bool want;
};

static const struct hdr_case hdr_cases[] = {
	{ "plain to", "From: bob@remote.net\r\nTo: Ann <ann@example.com>\r\n\r\n", true },
	{ "cc, case", "To: x@y.z\r\nCc: ANN@Example.COM\r\n\r\n", true },
	{ "other address", "To: ann@example.org\r\n\r\n", true },
	{ "bcc only", "To: staff@remote.net\r\n\r\n", false },
	{ "no to", "Subject: hi\r\n\r\n", false },
	{ "auto-submitted no", "To: ann@example.com\r\nAuto-Submitted: no\r\n\r\n", true },
	{ "auto-replied", "To: ann@example.com\r\nAuto-Submitted: auto-replied\r\n\r\n", false },
	{ "auto-generated", "To: ann@example.com\r\nAuto-Submitted: auto-generated\r\n\r\n",
	  false },
	{ "list-id", "To: ann@example.com\r\nList-Id: <staff.remote.net>\r\n\r\n", false },
	{ "list-unsubscribe", "To: ann@example.com\r\nList-Unsubscribe: <mailto:u@x>\r\n\r\n",
	  false },
	{ "precedence bulk", "To: ann@example.com\r\nPrecedence: bulk\r\n\r\n", false },
	{ "precedence list", "To: ann@example.com\r\nPrecedence: List\r\n\r\n", false },
	{ "precedence junk", "To: ann@example.com\r\nPrecedence: junk\r\n\r\n", false },
	{ "precedence first-class", "To: ann@example.com\r\nPrecedence: first-class\r\n\r\n",
	  true },
	{ "our own", "To: ann@example.com\r\nX-Pillarbox-Generated: autoreply\r\n\r\n", false },
	{ "suppress", "To: ann@example.com\r\nX-Auto-Response-Suppress: OOF, AutoReply\r\n\r\n",
	  false },
	{ "resent-to", "To: x@y.z\r\nResent-To: ann@example.com\r\n\r\n", true },
	{ "to in body only", "To: x@y.z\r\n\r\nTo: ann@example.com\r\n", false },
};

static void test_header_table(void)
{
	static const char *const addrs[] = { "ann@example.com", "ann@example.org" };

	for (size_t i = 0; i < PB_N_ELEMENTS(hdr_cases); i++) {
		const struct hdr_case *t = &hdr_cases[i];
		const char *why;
		bool got = router_autoreply_headers_ok(t->header, strlen(t->header), addrs, 2, &why);
		if (got != t->want)
			fprintf(stderr, "case %s: got %d (%s)\n", t->name, got, why);
		CHECK(got == t->want);
	}
}

static void test_keys(void)
{
	char *json;
	const char *error;
	struct router_autoreply a;

	CHECK(router_autoreply_is_key("autoreply_days"));
	CHECK(!router_autoreply_is_key("autoreply_x"));
	CHECK_INT(router_autoreply_value("autoreply_days", "0", &json, &error), -1);
	CHECK_INT(router_autoreply_value("autoreply_days", "366", &json, &error), -1);
	CHECK_INT(router_autoreply_value("autoreply_start", "2026-02-30", &json, &error), -1);
	CHECK_INT(router_autoreply_value("autoreply_subject", "a\nb", &json, &error), -1);
	REQUIRE(router_autoreply_value("autoreply_text", "line 1\nline 2", &json, &error) == 0);
	CHECK_STR(json, "\"line 1\\nline 2\"");
	free(json);
	char *sub = router_autoreply_export("{\"quota_mb\":5,\"autoreply\":true,\"autoreply_days\":3,"
					    "\"autoreply_end\":\"2026-01-10\"}");
	CHECK(strstr(sub, "quota_mb") == NULL);
	router_autoreply_load(sub, &a);
	CHECK(a.on && a.days == 3 && a.start_ms == 0 && a.end_ms == NOW); /* the first instant past 2026-01-10 */
	router_autoreply_clear(&a);
	free(sub);
	char *none = router_autoreply_export("{\"quota_mb\":5}");
	CHECK_STR(none, "");
	free(none);
	router_autoreply_load("", &a);
	CHECK(!a.on && a.days == ROUTER_AUTOREPLY_DAYS_DEFAULT);
	router_autoreply_clear(&a);
}

static void test_build(void)
{
	static const char hdr[] = "From: bob@remote.net\r\nTo: ann@example.com\r\n"
				  "Subject: Lunch?\r\nMessage-ID: <m1@remote.net>\r\n"
				  "References: <m0@remote.net>\r\n\r\nbody\r\n";
	struct router_autoreply_msg m = { "ann@example.com", "bob@remote.net", "", "Away.\nBack Monday.",
					  hdr, sizeof(hdr) - 1, "r1@host", NOW };
	struct pb_buf out;

	pb_buf_init(&out);
	router_autoreply_build(&m, &out);
	CHECK(strstr(out.data, "Auto-Submitted: auto-replied\r\n") != NULL);
	CHECK(strstr(out.data, "Subject: Auto: Lunch?\r\n") != NULL);
	CHECK(strstr(out.data, "In-Reply-To: <m1@remote.net>\r\n") != NULL);
	CHECK(strstr(out.data, "References: <m0@remote.net> <m1@remote.net>\r\n") != NULL);
	CHECK(strstr(out.data, "From: <ann@example.com>\r\nTo: <bob@remote.net>\r\n") != NULL);
	CHECK(strstr(out.data, "\r\n\r\nAway.\r\nBack Monday.\r\n") != NULL);
	pb_buf_reset(&out);
	m.subject = "Absent \xc3\xa9t\xc3\xa9";
	router_autoreply_build(&m, &out);
	CHECK(strstr(out.data, "Subject: =?UTF-8?B?") != NULL);
	pb_buf_deinit(&out);
}

/* The longest line of text (CRLF lines; the CRLF not counted). */
static size_t longest_line(const char *text)
{
	size_t longest = 0;

	for (const char *p = text; *p != '\0';) {
		size_t n = strcspn(p, "\r\n");
		longest = n > longest ? n : longest;
		p += n;
		p += strspn(p, "\r\n");
	}
	return longest;
}

/* The Subject field of a reply, unfolded (each CRLF that a space follows removed). */
static char *unfolded_subject(const char *msg)
{
	const char *b = strstr(msg, "\r\nSubject: ") + 11, *e = b;
	struct pb_buf v;

	while (!(e[0] == '\r' && e[1] == '\n' && e[2] != ' ' && e[2] != '\t'))
		e++;
	pb_buf_init(&v);
	for (const char *p = b; p < e; p++) {
		if (p[0] == '\r' && p[1] == '\n')
			p++;
		else
			pb_buf_append_c(&v, *p);
	}
	return pb_buf_steal(&v, NULL);
}

/* A Subject near RFC 5322's 998-octet line limit: "Auto: " and it were one line over it. */
static void test_build_long_subject(void)
{
	struct router_autoreply_msg m = { "ann@example.com", "bob@remote.net", "", "Away.",
					  NULL, 0, "r1@host", NOW };
	struct pb_buf subject, hdr, out;

	pb_buf_init(&subject);
	pb_buf_init(&hdr);
	pb_buf_init(&out);
	/* words (one an encoded-word, kept as it is) */
	pb_buf_append_str(&subject, "=?UTF-8?Q?caf=C3=A9?=");
	while (subject.len < 995)
		pb_buf_append_str(&subject, " word");
	pb_buf_printf(&hdr, "From: bob@remote.net\r\nTo: ann@example.com\r\nSubject: %s\r\n"
			    "Message-ID: <m1@remote.net>\r\n\r\nbody\r\n", subject.data);
	m.header = hdr.data;
	m.header_len = hdr.len;
	router_autoreply_build(&m, &out);
	CHECK(longest_line(out.data) <= 78);
	char *got = unfolded_subject(out.data), *want = xasprintf("Auto: %s", subject.data);
	CHECK_STR(got, want);
	free(got);
	free(want);
	/* one word of 1000 octets: no space to fold at, so encoded-words */
	pb_buf_reset(&subject);
	for (int i = 0; i < 1000; i++)
		pb_buf_append_c(&subject, (char)('a' + i % 26));
	pb_buf_reset(&hdr);
	pb_buf_printf(&hdr, "From: bob@remote.net\r\nTo: ann@example.com\r\nSubject: %s\r\n\r\n",
		      subject.data);
	m.header = hdr.data;
	m.header_len = hdr.len;
	pb_buf_reset(&out);
	router_autoreply_build(&m, &out);
	CHECK(longest_line(out.data) <= 998);
	CHECK(strstr(out.data, "\r\nSubject: =?UTF-8?B?") != NULL);
	/* the administrator's own subject is folded the same way */
	m.subject = "Out of the office until the first week of next month, back on the 5th, "
		    "then in meetings";
	pb_buf_reset(&out);
	router_autoreply_build(&m, &out);
	CHECK(longest_line(out.data) <= 78);
	got = unfolded_subject(out.data);
	CHECK_STR(got, m.subject);
	free(got);
	pb_buf_deinit(&subject);
	pb_buf_deinit(&hdr);
	pb_buf_deinit(&out);
}

/* The plan asks one reply per account reached and a DSN per recipient reaching nobody. */
static void test_plan(void)
{
	static const char *const domains[] = { "example.com" };
	struct router_autoreply on = { .on = true, .subject = "", .text = "away", .days = 7 };
	struct router_user users[] = { { .id = 1, .name = "ann", .autoreply = &on },
				       { .id = 2, .name = "ben" } };
	struct router_records r = { .domains = domains, .n_domains = 1, .users = users, .n_users = 2 };
	const char *const rcpts[] = { "ann@example.com", "ANN@example.com", "ben@example.com",
				      "nobody@example.com" };
	struct router_facts f = { .sender = "bob@remote.net", .size = 10, .source = ROUTER_SRC_SMTP,
				  .now_ms = NOW };
	struct router_plan p;

	router_plan_resolve(&r, &f, rcpts, NULL, 4, &p);
	REQUIRE(p.n_generated == 2);
	CHECK(p.gens[0].kind == ROUTER_GEN_AUTOREPLY && p.gens[0].user_id == 1);
	CHECK_STR(p.gens[0].to, "bob@remote.net");
	CHECK(strstr(p.gens[0].addresses, "ann@example.com") != NULL);
	CHECK(p.gens[1].kind == ROUTER_GEN_BOUNCE);
	CHECK_STR(p.gens[1].address, "nobody@example.com");
	router_plan_free(&p);
	f.sender = ""; /* the null sender: neither */
	router_plan_resolve(&r, &f, rcpts, NULL, 4, &p);
	CHECK(p.n_generated == 0);
	router_plan_free(&p);
}

static const struct pb_test_case cases[] = {
	{ "due_table", test_due_table },   { "header_table", test_header_table },
	{ "keys", test_keys },		   { "build", test_build },
	{ "build_long_subject", test_build_long_subject },
	{ "plan", test_plan },
};

PB_TEST_MAIN(cases)
