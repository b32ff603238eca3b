/*
 * test-router-rules.c: the message rules wired into the router's plan — a message's first
 * octets into the rules' facts (router-facts.h: decoded headers, Date with its zone, the body
 * excerpt, the message type of each origin), and the rules' decision into plan items
 * (router-rules.h through router_plan_resolve): the guide's three-rule example and its aaa/bbb
 * "previous rule match" example as plan items, delete, quarantine, mark read, a redirect that
 * reaches nobody, and rules that could not see the message.
 */
#include "pb-alloc.h"
#include "pb-test.h"
#include "router-facts.h"
#include "router-plan.h"
#include "router-rules.h"

#include <stdio.h>
#include <string.h>

static const char message[] =
	"Received: from x\r\n"
	"Subject: =?UTF-8?B?w4ljaGFuZ2U=?= of\r\n plans\r\n"
	"From: =?ISO-8859-1?Q?Ren=E9?= <rene@example.org>\r\n"
	"To: ann@example.com, \"Ben B\" <ben@example.com>\r\n"
	"Cc: team: carol@example.com, dan@example.com;\r\n"
	"Date: Tue, 3 Mar 2026 23:30:00 -0200\r\n"
	"\r\n"
	"Hello body\r\n";

static void test_facts(void)
{
	struct router_message m;

	router_message_build(message, sizeof(message) - 1, 5000, RULES_TYPE_LOCAL, 100, 60, &m);
	CHECK_STR(m.facts.subject, "\xc3\x89" "change of plans"); /* decoded, unfolded */
	REQUIRE(m.facts.n_from == 1);
	CHECK_STR(m.facts.from[0].name, "Ren\xc3\xa9");
	CHECK_STR(m.facts.from[0].address, "rene@example.org");
	REQUIRE(m.facts.n_to == 2);
	CHECK_STR(m.facts.to[1].name, "Ben B");
	CHECK_STR(m.facts.to[1].address, "ben@example.com");
	REQUIRE(m.facts.n_cc == 2); /* a group flattened */
	CHECK_STR(m.facts.cc[1].address, "dan@example.com");
	CHECK(m.facts.has_date);
	CHECK_INT(m.facts.date_offset_min, -120);
	CHECK_INT(m.facts.date_s, 1772587800); /* 2026-03-04 01:30 UTC */
	CHECK_INT(m.facts.size, 5000);
	CHECK_INT(m.facts.type, RULES_TYPE_LOCAL);
	CHECK_INT(m.facts.now_s, 100);
	const char *text;
	size_t len;
	REQUIRE(m.facts.body_text(m.facts.body_ctx, 1000, &text, &len) == 0);
	CHECK_INT(len, 12);
	CHECK(memcmp(text, "Hello body\r\n", 12) == 0);
	router_message_free(&m);

	router_message_build("no header at all", 16, 16, RULES_TYPE_INCOMING, 0, 0, &m);
	CHECK(m.facts.subject == NULL && m.facts.n_to == 0 && !m.facts.has_date);
	router_message_free(&m);

	CHECK_INT(router_message_type(PB_ORIGIN_SMTP), RULES_TYPE_INCOMING);
	CHECK_INT(router_message_type(PB_ORIGIN_COLLECTED), RULES_TYPE_INCOMING);
	CHECK_INT(router_message_type(PB_ORIGIN_LOCAL), RULES_TYPE_LOCAL);
	CHECK_INT(router_message_type(PB_ORIGIN_SYSTEM), RULES_TYPE_SYSTEM);
	int64_t s;
	int off;
	CHECK_INT(router_date_parse("3 Mar 2026 10:00 +0100", &s, &off), 0);
	CHECK_INT(off, 60);
	CHECK_INT(router_date_parse("yesterday", &s, &off), -1);
}

static const char three_rules[] =
	"{\"rules\":["
	"{\"name\":\"1\",\"actions\":[{\"action\":\"delete\",\"value\":true},"
	"{\"action\":\"copy_to_folder\",\"value\":\"abc\"},"
	"{\"action\":\"add_keyword\",\"value\":\"important\"}]},"
	"{\"name\":\"2\",\"actions\":[{\"action\":\"delete\",\"value\":false},"
	"{\"action\":\"move_to_folder\",\"value\":\"spam\"},"
	"{\"action\":\"add_keyword\",\"value\":\"spam\"}]},"
	"{\"name\":\"3\",\"actions\":[{\"action\":\"forward_to\",\"value\":\"jim@remote.example\"},"
	"{\"action\":\"flag\",\"value\":true}]}]}";

static const char aaa_bbb[] =
	"{\"rules\":["
	"{\"name\":\"rule1\",\"match\":\"any\",\"conditions\":["
	"{\"field\":\"subject\",\"match\":\"equals\",\"value\":\"aaa\"},"
	"{\"field\":\"subject\",\"match\":\"equals\",\"value\":\"bbb\"}]},"
	"{\"name\":\"rule2\",\"match\":\"all\",\"conditions\":["
	"{\"field\":\"previous_rule_match\",\"match\":\"equals\",\"value\":\"rule1\"},"
	"{\"field\":\"from\",\"match\":\"equals\",\"value\":\"joe@example.com\"}],"
	"\"actions\":[{\"action\":\"flag\",\"value\":true}]}]}";

static struct rules_set *parse(const char *json)
{
	struct rules_set *set = NULL;
	const char *error;
	if (rules_set_parse(json, strlen(json), &set, &error) < 0)
		fprintf(stderr, "parse: %s\n", error);
	return set;
}

/* Resolves "ann" (whose rules are user, the administrator's admin) for a message with subject
 * and from; the plan as "folder/flags/keywords" per item ("@addr" for a remote one). */
static void plan_with(const struct rules_set *admin, const struct rules_set *user,
		      const char *subject, const char *from, bool readable, char *out,
		      size_t size, struct pb_strv *trace_r)
{
	static const char *const domains[] = { "example.com" };
	struct router_user ann = { .id = 1, .name = "ann", .rules = user };
	struct router_records r = { domains, 1, &ann, 1, NULL, 0, NULL, 0, admin };
	struct rules_address fa = { NULL, from };
	struct rules_facts mf = { .type = RULES_TYPE_INCOMING, .subject = subject, .from = &fa,
				  .n_from = 1, .size = 10 };
	struct router_facts f = { .sender = "x@remote.example", .size = 10,
				  .source = ROUTER_SRC_SMTP, .subject = subject,
				  .message = readable ? &mf : NULL };
	const char *rcpt[] = { "ann@example.com" };
	struct router_plan p;

	router_plan_resolve(&r, &f, rcpt, NULL, 1, &p);
	out[0] = '\0';
	for (size_t i = 0; i < p.n_items; i++) {
		const struct router_plan_item *it = &p.items[i];
		size_t at = strlen(out);
		if (it->user_id == 0)
			snprintf(out + at, size - at, "%s@%s", i ? "," : "", it->address);
		else
			snprintf(out + at, size - at, "%s%s/%u/%s", i ? "," : "", it->folder,
				 it->flags, it->keywords);
	}
	if (trace_r != NULL)
		for (uint32_t i = 0; i < p.trace.n; i++)
			pb_strv_push(trace_r, p.trace.v[i]);
	router_plan_free(&p);
}

static bool trace_has(const struct pb_strv *t, const char *what)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (strstr(t->v[i], what) != NULL)
			return true;
	return false;
}

/* Guide 4.14 "Actions": not deleted, keywords important and spam, folders abc and spam but
 * not the Inbox, flagged, and forwarded to jim. */
static void test_three_rules_plan(void)
{
	struct rules_set *set = parse(three_rules);
	struct pb_strv t = { 0 };
	char out[512];

	REQUIRE(set != NULL);
	plan_with(NULL, set, "hello", "a@b.c", true, out, sizeof(out), &t);
	CHECK_STR(out, "@jim@remote.example,abc/4/important spam,spam/4/important spam");
	CHECK(trace_has(&t, "user rule \"2\": matched"));
	CHECK(trace_has(&t, "rules of ann: forward to jim@remote.example"));
	CHECK(trace_has(&t, "deliver to ann, folder spam"));
	pb_strv_clear(&t);
	rules_set_free(&set);
}

/* Guide "Advanced Rules" as the administrator's set: flagged in the INBOX only for aaa or bbb
 * from joe. */
static void test_aaa_bbb_plan(void)
{
	static const struct {
		const char *subject, *from, *plan;
	} table[] = {
		{ "aaa", "joe@example.com", "INBOX/4/" }, { "bbb", "joe@example.com", "INBOX/4/" },
		{ "ccc", "joe@example.com", "INBOX/0/" }, { "aaa", "ann@example.com", "INBOX/0/" },
	};
	struct rules_set *set = parse(aaa_bbb);
	char out[512];

	REQUIRE(set != NULL);
	for (size_t i = 0; i < PB_N_ELEMENTS(table); i++) {
		plan_with(set, NULL, table[i].subject, table[i].from, true, out, sizeof(out), NULL);
		CHECK_STR(out, table[i].plan);
	}
	rules_set_free(&set);
}

/* One action at a time: what the plan holds. */
static void test_actions_plan(void)
{
	static const struct {
		const char *actions, *plan, *trace;
	} table[] = {
		{ "{\"action\":\"delete\",\"value\":true}", "", "delete: not delivered to ann" },
		{ "{\"action\":\"delete\",\"value\":true},{\"action\":\"forward_to\","
		  "\"value\":\"x@y.example\"}", "@x@y.example", "forward to x@y.example" },
		{ "{\"action\":\"quarantine\",\"value\":true}", "Junk/0/", "folder Junk" },
		{ "{\"action\":\"mark_read\",\"value\":true},{\"action\":\"add_keyword\","
		  "\"value\":\"$Work\"}", "INBOX/1/$Work", "marked read" },
		{ "{\"action\":\"add_keyword\",\"value\":\"two words\"}", "INBOX/0/",
		  "is no IMAP keyword" },
		{ "{\"action\":\"copy_to_folder\",\"value\":\"Lists/news\"}",
		  "INBOX/0/,Lists/news/0/", "a copy in folder Lists/news" },
		{ "{\"action\":\"redirect_to\",\"value\":\"nobody@example.com\"}", "INBOX/0/",
		  "could be reached: ann keeps the message" },
		{ "{\"action\":\"redirect_to\",\"value\":\"z@far.example\"}", "@z@far.example",
		  "redirect to z@far.example" },
		{ "{\"action\":\"modify_header\",\"value\":\"X-A: b\"}", "INBOX/0/",
		  "header X-A set to \"b\" on the local copies" },
	};
	for (size_t i = 0; i < PB_N_ELEMENTS(table); i++) {
		char *json = xasprintf("{\"rules\":[{\"name\":\"r\",\"actions\":[%s]}]}",
				       table[i].actions);
		struct rules_set *set = parse(json);
		struct pb_strv t = { 0 };
		char out[512];
		REQUIRE(set != NULL);
		plan_with(NULL, set, "s", "a@b.c", true, out, sizeof(out), &t);
		CHECK_STR(out, table[i].plan);
		if (!trace_has(&t, table[i].trace))
			fprintf(stderr, "case %zu: no trace line with \"%s\"\n", i, table[i].trace);
		CHECK(trace_has(&t, table[i].trace));
		pb_strv_clear(&t);
		rules_set_free(&set);
		free(json);
	}
}

/* Rules exist but the message could not be read: delivered as if they were absent. */
static void test_unreadable(void)
{
	struct rules_set *set = parse(three_rules);
	struct pb_strv t = { 0 };
	char out[512];

	plan_with(NULL, set, "s", "a@b.c", false, out, sizeof(out), &t);
	CHECK_STR(out, "INBOX/0/");
	CHECK(trace_has(&t, "the message rules of ann are not used"));
	pb_strv_clear(&t);
	rules_set_free(&set);
}

/* Modify headers and Set forward sender (guide 4.14 "Actions"): every copy, local or
 * forwarded, carries the merged edits (a later set of one name replaces an earlier one, a bare
 * name removes), traced; a rule's forwards leave from its forward sender when that is an email
 * address, else from the message's own (the refusal traced). Each row: the actions, the items
 * as "folder=headers" or, remote, "@addr=headers" and "<sender>" when it has its own, a trace
 * line expected. */
static void test_header_edits_plan(void)
{
	static const struct {
		const char *actions, *items, *trace;
	} table[] = {
		{ "{\"action\":\"modify_header\",\"value\":\"X-Rule: hit\"}", "INBOX=X-Rule: hit|",
		  "header X-Rule set to \"hit\" on the local copies" },
		{ "{\"action\":\"modify_header\",\"value\":\"X-Rule: one\"},"
		  "{\"action\":\"modify_header\",\"value\":\"x-rule: two\"},"
		  "{\"action\":\"modify_header\",\"value\":\"X-Spam\"},"
		  "{\"action\":\"copy_to_folder\",\"value\":\"Archive\"}",
		  "INBOX=x-rule: two|X-Spam|,Archive=x-rule: two|X-Spam|",
		  "header X-Spam removed from the local copies" },
		{ "{\"action\":\"modify_header\",\"value\":\"X-A: 1\"},"
		  "{\"action\":\"forward_to\",\"value\":\"z@far.example\"}",
		  "@z@far.example=X-A: 1|,INBOX=X-A: 1|",
		  "header X-A set to \"1\" on every copy, local and forwarded" },
		{ "{\"action\":\"set_forward_sender\",\"value\":\"fwd@example.com\"},"
		  "{\"action\":\"modify_header\",\"value\":\"X-Fwd: yes\"},"
		  "{\"action\":\"redirect_to\",\"value\":\"z@far.example;y@far.example\"}",
		  "@z@far.example=X-Fwd: yes|<fwd@example.com>,@y@far.example=X-Fwd: yes|"
		  "<fwd@example.com>",
		  "the forwards leave from the envelope sender fwd@example.com" },
		{ "{\"action\":\"set_forward_sender\",\"value\":\"<Fwd@Example.COM>\"},"
		  "{\"action\":\"forward_to\",\"value\":\"z@far.example\"}",
		  "@z@far.example=<Fwd@example.com>,INBOX=", "envelope sender Fwd@example.com" },
		{ "{\"action\":\"set_forward_sender\",\"value\":\"<>\"},"
		  "{\"action\":\"forward_to\",\"value\":\"z@far.example\"}",
		  "@z@far.example=,INBOX=", "the forward sender is refused: \"<>\"" },
		{ "{\"action\":\"set_forward_sender\",\"value\":\"no address\"},"
		  "{\"action\":\"forward_to\",\"value\":\"z@far.example\"}",
		  "@z@far.example=,INBOX=", "from the message's own sender" },
		{ "{\"action\":\"delete\",\"value\":true},"
		  "{\"action\":\"modify_header\",\"value\":\"Subject\"},"
		  "{\"action\":\"forward_to\",\"value\":\"z@far.example\"}",
		  "@z@far.example=Subject|", "header Subject removed from the forwarded copies" },
		{ "{\"action\":\"flag\",\"value\":true}", "INBOX=", "a copy in folder INBOX" },
	};
	static const char *const domains[] = { "example.com" };
	for (size_t i = 0; i < PB_N_ELEMENTS(table); i++) {
		char json[1024], out[512] = "";
		snprintf(json, sizeof(json), "{\"rules\":[{\"name\":\"h\",\"actions\":[%s]}]}",
			 table[i].actions);
		struct rules_set *set = parse(json);
		REQUIRE(set != NULL);
		struct router_user ann = { .id = 1, .name = "ann", .rules = set };
		struct router_records r = { domains, 1, &ann, 1, NULL, 0, NULL, 0, NULL };
		struct rules_facts mf = { .type = RULES_TYPE_INCOMING, .size = 10 };
		struct router_facts f = { .sender = "x@remote.example", .size = 10,
					  .source = ROUTER_SRC_SMTP, .message = &mf };
		const char *rcpt[] = { "ann@example.com" };
		struct router_plan p;
		router_plan_resolve(&r, &f, rcpt, NULL, 1, &p);
		for (size_t k = 0; k < p.n_items; k++) {
			size_t at = strlen(out);
			const struct router_plan_item *it = &p.items[k];
			if (it->user_id == 0)
				snprintf(out + at, sizeof(out) - at, "%s@%s=", k ? "," : "",
					 it->address);
			else
				snprintf(out + at, sizeof(out) - at, "%s%s=", k ? "," : "",
					 it->folder);
			for (const char *h = it->headers; *h != '\0'; h++) {
				at = strlen(out);
				snprintf(out + at, sizeof(out) - at, "%c", *h == '\n' ? '|' : *h);
			}
			at = strlen(out);
			if (it->sender != NULL)
				snprintf(out + at, sizeof(out) - at, "<%s>", it->sender);
		}
		CHECK_STR(out, table[i].items);
		CHECK(trace_has(&p.trace, table[i].trace));
		router_plan_free(&p);
		rules_set_free(&set);
	}
}

/* Body conditions test the decoded text a reader sees (router-facts.c): base64 and
 * quoted-printable undone, the charset converted to UTF-8, HTML stripped to text, text/plain
 * preferred in an alternative, an attachment's content never seen. Each message is tested by
 * one rule "body contains <want>" (case-folded) and must match, and must not match <not>
 * (the raw form, which matched when the body was tested as stored). */
static void test_decoded_body(void)
{
	static const struct {
		const char *message, *want, *not;
	} table[] = {
		{ "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n"
		  "\r\nQ2Fmw6kgb3BlbnMgYXQgbm9vbg==\r\n", "caf\xc3\xa9 opens", "Q2Fm" },
		{ "Content-Type: text/plain; charset=iso-8859-1\r\n"
		  "Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 opens at no=\r\non\r\n",
		  "caf\xc3\xa9 opens at noon", "=E9" },
		{ "Content-Type: text/html; charset=utf-8\r\n\r\n<html><style>p{x:1}</style>"
		  "<p>Invoice &amp; <b>receipt</b></p><script>hidden()</script></html>",
		  "invoice & receipt", "hidden" },
		{ "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
		  "--b\r\nContent-Type: text/html\r\n\r\n<p>html version</p>\r\n"
		  "--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
		  "cGxhaW4gdmVyc2lvbg==\r\n--b--\r\n", "plain version", "html version" },
		{ "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
		  "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
		  "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\n"
		  "secret attachment\r\n--b--\r\n", "see attached", "secret" },
	};
	for (size_t i = 0; i < PB_N_ELEMENTS(table); i++) {
		for (int pass = 0; pass < 2; pass++) {
			char json[512];
			snprintf(json, sizeof(json), "{\"rules\":[{\"name\":\"b\",\"conditions\":[{"
				 "\"field\":\"body\",\"match\":\"contains\",\"i\":true,"
				 "\"value\":\"%s\"}]}]}", pass == 0 ? table[i].want : table[i].not);
			struct rules_set *set = parse(json);
			struct router_message m;
			struct rules_decision d;
			REQUIRE(set != NULL);
			router_message_build(table[i].message, strlen(table[i].message), 100,
					     RULES_TYPE_INCOMING, 0, 0, &m);
			rules_evaluate(NULL, set, &m.facts, &d);
			if (d.n_matched != (pass == 0 ? 1u : 0u))
				fprintf(stderr, "case %zu pass %d: body \"%s\"\n", i, pass,
					m.body != NULL ? m.body : "(none)");
			CHECK_INT(d.n_matched, pass == 0 ? 1 : 0);
			rules_decision_deinit(&d);
			router_message_free(&m);
			rules_set_free(&set);
		}
	}
}

static const struct pb_test_case cases[] = {
	{ "facts", test_facts },
	{ "three_rules_plan", test_three_rules_plan },
	{ "aaa_bbb_plan", test_aaa_bbb_plan },
	{ "actions_plan", test_actions_plan },
	{ "unreadable", test_unreadable },
	{ "decoded_body", test_decoded_body },
	{ "header_edits_plan", test_header_edits_plan },
};

PB_TEST_MAIN(cases)
