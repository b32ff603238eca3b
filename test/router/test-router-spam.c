/*
 * test-router-spam.c: the pure side of spam scoring (router-spam-proto.h), table-driven:
 * rspamd's replies (whole, cut, byte at a time, bad status, not JSON, no score, oversize), the
 * request head, the client taken from our Received line, and a verdict applied to a plan
 * (quarantine to Junk, a rule's folder kept, not scored said in the trace); the X-Spam headers
 * and Return-Path the local copies get (router-headers.h), applied to a message that forges
 * them.
 */
#include "pb-alloc.h"
#include "pb-test.h"
#include "mime-edit.h"
#include "router-headers.h"
#include "router-spam-proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_GTUBE                                                                         \
	"{\"is_skipped\":true,\"score\":15.0,\"required_score\":15.0,\"action\":\"reject\","    \
	"\"symbols\":{\"GTUBE\":{\"name\":\"GTUBE\",\"score\":0.0}}}"

struct reply_case {
	const char *name;
	const char *data;
	bool eof;
	int want;         /* 1, 0 or -1 */
	double score, required;
	const char *action;
};

static const struct reply_case reply_cases[] = {
	{ "gtube", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 121\r\n\r\n"
		   JSON_GTUBE, false, 1, 15.0, 15.0, "reject" },
	{ "no length, closed", "HTTP/1.0 200 OK\r\n\r\n{\"score\":-1.5,\"action\":\"no action\"}",
	  true, 1, -1.5, 0, "no action" },
	{ "no length, open", "HTTP/1.0 200 OK\r\n\r\n{\"score\":1}", false, 0, 0, 0, NULL },
	{ "head only", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", false, 0, 0, 0, NULL },
	{ "head cut by close", "HTTP/1.1 200 OK\r\nContent-Le", true, -1, 0, 0, NULL },
	{ "body short", "HTTP/1.1 200 OK\r\ncontent-length: 40\r\n\r\n{\"score\":1}", false, 0, 0,
	  0, NULL },
	{ "body cut by close", "HTTP/1.1 200 OK\r\ncontent-length: 40\r\n\r\n{\"score\":1}", true,
	  -1, 0, 0, NULL },
	{ "error status", "HTTP/1.1 500 Internal\r\nContent-Length: 2\r\n\r\n{}", false, -1, 0, 0,
	  NULL },
	{ "not http", "SMTP 220 hello\r\n\r\n", false, -1, 0, 0, NULL },
	{ "not json", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, -1, 0, 0, NULL },
	{ "no score", "HTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\n{\"action\":\"reject\"}",
	  false, -1, 0, 0, NULL },
	{ "score not a number", "HTTP/1.1 200 OK\r\n\r\n{\"score\":\"9\"}", true, -1, 0, 0, NULL },
	{ "bad length", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n{}", false, -1, 0, 0, NULL },
	{ "huge length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", false, -1, 0,
	  0, NULL },
	{ "long action cut", "HTTP/1.1 200 OK\r\n\r\n{\"score\":2,\"action\":"
			     "\"0123456789012345678901234567890123456789\"}",
	  true, 1, 2, 0, "0123456789012345678901234567890" },
};

static void test_reply_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(reply_cases); i++) {
		const struct reply_case *t = &reply_cases[i];
		struct router_spam_result r;
		const char *error = NULL;
		int got = router_spam_reply_parse(t->data, strlen(t->data), t->eof, &r, &error);
		if (got != t->want)
			fprintf(stderr, "case %s: got %d (%s)\n", t->name, got, error ? error : "");
		CHECK(got == t->want);
		if (got == -1)
			CHECK(error != NULL && error[0] != '\0');
		if (got != 1)
			continue;
		CHECK(r.score == t->score && r.required_score == t->required);
		CHECK_STR(r.action, t->action);
	}
}

/* Byte at a time: need-more until the last byte, then the answer. */
static void test_reply_bytewise(void)
{
	const char *data = reply_cases[0].data;
	size_t len = strlen(data);
	struct router_spam_result r;
	const char *error;

	for (size_t n = 0; n < len; n++)
		CHECK(router_spam_reply_parse(data, n, false, &r, &error) == 0);
	CHECK(router_spam_reply_parse(data, len, false, &r, &error) == 1);
	CHECK(r.score == 15.0);
}

static void test_reply_oversize(void)
{
	size_t len = ROUTER_SPAM_REPLY_MAX + 1;
	char *big = xmalloc(len);
	struct router_spam_result r;
	const char *error;

	memset(big, 'x', len);
	memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
	CHECK(router_spam_reply_parse(big, len, false, &r, &error) == -1);
	CHECK(router_spam_reply_parse(big, len - 1, false, &r, &error) == 0);
	free(big);
}

static void test_request_head(void)
{
	const char *rcpts[] = { "ann@example.com", "bad\r\nX-Evil: 1", "bob@remote.net" };
	struct router_spam_envelope env = { "", rcpts, 3, "192.0.2.7", "mx.example.org", NULL,
					    "6B0C24571" };
	char *head = router_spam_request_head(&env, 1234);

	CHECK_STR(head, "POST /checkv2 HTTP/1.0\r\nContent-Length: 1234\r\nFrom: <>\r\n"
			"Rcpt: ann@example.com\r\nRcpt: bob@remote.net\r\nIP: 192.0.2.7\r\n"
			"Helo: mx.example.org\r\nQueue-Id: 6B0C24571\r\n\r\n");
	free(head);
	env.from = "joe@example.com";
	env.n_rcpts = 0;
	env.ip = env.helo = NULL;
	env.user = "joe@example.com";
	head = router_spam_request_head(&env, 0);
	CHECK_STR(head, "POST /checkv2 HTTP/1.0\r\nContent-Length: 0\r\nFrom: joe@example.com\r\n"
			"User: joe@example.com\r\nQueue-Id: 6B0C24571\r\n\r\n");
	free(head);
}

struct peer_case {
	const char *head;
	bool found, auth;
	const char *ip, *helo;
};

static const struct peer_case peer_cases[] = {
	{ "Return-Path: <a@b>\r\nReceived: from client.example (unknown [192.0.2.7])\r\n\tby mx "
	  "(Pillarbox) with ESMTPS id X\r\n\tfor <c@d>; date\r\nSubject: x\r\n",
	  true, false, "192.0.2.7", "client.example" },
	{ "Return-Path: <>\r\nReceived: from me (unknown [::1])\r\n\tby mx (Pillarbox) with "
	  "ESMTPSA id X; date\r\n\r\nbody",
	  true, true, "::1", "me" },
	{ "Return-Path: <>\r\nReceived: from me (unknown [10.0.0.1])\r\n\tby mx (Pillarbox) with "
	  "ESMTPA id X; date\r\n",
	  true, true, "10.0.0.1", "me" },
	/* "with" of another line (the next header) does not count */
	{ "Return-Path: <>\r\nReceived: from me (unknown [10.0.0.1]); date\r\nX: (Pillarbox) with "
	  "ESMTPA\r\n",
	  true, false, "10.0.0.1", "me" },
	{ "Received: from h (unknown [127.0.0.1])\r\n\tby mx (Pillarbox) with SMTP id Y; d\r\n",
	  true, false, "127.0.0.1", "h" },
	{ "Subject: hi\r\nReceived: from h (unknown [1.2.3.4])\r\n", false, false, "", "" },
	{ "Return-Path: <>\r\nReceived: from h (no bracket)\r\n", false, false, "", "" },
	{ "Return-Path: <>", false, false, "", "" },
	{ "", false, false, "", "" },
};

static void test_peer_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(peer_cases); i++) {
		const struct peer_case *t = &peer_cases[i];
		char ip[64], helo[64];
		bool auth = true;
		bool found = router_spam_peer(t->head, strlen(t->head), ip, sizeof(ip), helo,
					      sizeof(helo), &auth);
		if (found != t->found)
			fprintf(stderr, "peer case %zu\n", i);
		CHECK(found == t->found);
		CHECK(auth == t->auth);
		CHECK_STR(ip, t->ip);
		CHECK_STR(helo, t->helo);
	}
	/* a long HELO is cut to the buffer */
	const char *h = "Received: from averyveryverylonghelo (unknown [1.2.3.4]) (Pillarbox)\r\n";
	char ip[64], helo[8];
	bool auth;
	CHECK(router_spam_peer(h, strlen(h), ip, sizeof(ip), helo, sizeof(helo), &auth));
	CHECK_STR(helo, "averyve");
}

/* A plan of ann (INBOX), ben (a rule's folder "Work") and a remote address. */
static void make_plan(struct router_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->n_items = 3;
	p->items = xcalloc(3, sizeof(*p->items));
	p->items[0] = (struct router_plan_item){ 1, xstrdup("ann@example.com"), xstrdup("INBOX"),
						 0, xstrdup(""), xstrdup(""), NULL };
	p->items[1] = (struct router_plan_item){ 2, xstrdup("ben@example.com"), xstrdup("Work"),
						 0, xstrdup(""), xstrdup(""), NULL };
	p->items[2] = (struct router_plan_item){ 0, xstrdup("x@remote.net"), xstrdup(""), 0,
						 xstrdup(""), xstrdup(""), NULL };
}

struct apply_case {
	double score, required;
	uint32_t threshold;
	const char *folder0; /* ann's folder after */
	const char *line0;   /* the first trace line */
};

static const struct apply_case apply_cases[] = {
	{ 15, 15, 6, "Junk", "X-Spam-Score: 15.00 (rspamd action \"reject\"; quarantine at "
			     "6.00): quarantined" },
	{ 6, 15, 6, "Junk", "X-Spam-Score: 6.00 (rspamd action \"reject\"; quarantine at 6.00): "
			    "quarantined" },
	{ 5.99, 15, 6, "INBOX", "X-Spam-Score: 5.99 (rspamd action \"reject\"; quarantine at "
				"6.00): not spam" },
	{ 14, 15, 0, "INBOX", "X-Spam-Score: 14.00 (rspamd action \"reject\"; quarantine at "
			      "15.00): not spam" },
	{ 15, 15, 0, "Junk", "X-Spam-Score: 15.00 (rspamd action \"reject\"; quarantine at "
			     "15.00): quarantined" },
	{ 100, 0, 0, "INBOX", "X-Spam-Score: 100.00 (rspamd action \"reject\"; quarantine at "
			      "0.00): not spam" },
};

static void test_apply_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(apply_cases); i++) {
		const struct apply_case *t = &apply_cases[i];
		struct router_spam_result r = { t->score, t->required, "reject" };
		struct router_plan p;
		make_plan(&p);
		router_spam_apply(&p, &r, t->threshold, NULL);
		CHECK_STR(p.items[0].folder, t->folder0);
		CHECK_STR(p.items[1].folder, "Work"); /* a rule's folder wins */
		CHECK_STR(p.items[2].folder, "");    /* remote: untouched */
		REQUIRE(p.trace.n >= 1);
		CHECK_STR(p.trace.v[0], t->line0);
		bool junk = strcmp(t->folder0, "Junk") == 0;
		CHECK(p.trace.n == (junk ? 2u : 1u));
		if (junk)
			CHECK_STR(p.trace.v[1], "spam: ann@example.com's copy goes to Junk instead "
						"of INBOX");
		router_plan_free(&p);
	}
}

static void test_apply_unscored(void)
{
	struct router_plan p;

	make_plan(&p);
	router_spam_apply(&p, NULL, 6, "connecting to rspamd: timed out");
	CHECK_STR(p.items[0].folder, "INBOX");
	REQUIRE(p.trace.n == 1);
	CHECK_STR(p.trace.v[0],
		  "spam: not scored (connecting to rspamd: timed out): delivered as usual");
	router_plan_free(&p);
}


/* A message that forges every spam field, with the Return-Path our intake writes first. */
#define FORGED                                                                             \
	"Return-Path: <s@outside.example>\r\nReceived: from x (unknown [1.2.3.4])\r\n"        \
	"X-Spam-Flag: NO\r\nX-Spam-Score: -9.0\r\nX-Spam-Status: No, score=-9.0\r\n"          \
	"  required=99\r\nX-Spam-Level: \r\nSubject: hi\r\n\r\nbody X-Spam-Flag: NO\r\n"

struct headers_case {
	bool scored;
	double score;
	uint32_t threshold;
	const char *edits; /* router_headers_spam's */
	const char *head;  /* the copy's header up to Subject, after router_headers_apply */
};

static const struct headers_case headers_cases[] = {
	{ true, 15, 6, "X-Spam-Flag: YES\nX-Spam-Score: 15.0\nX-Spam-Status: Yes, score=15.0 "
		       "required=6.0\nX-Spam-Level",
	  "Return-Path: <s@outside.example>\r\nX-Spam-Flag: YES\r\nX-Spam-Score: 15.0\r\n"
	  "X-Spam-Status: Yes, score=15.0 required=6.0\r\nReceived: from x (unknown [1.2.3.4])\r\n"
	  "Subject: hi\r\n" },
	{ true, 6, 6, "X-Spam-Flag: YES\nX-Spam-Score: 6.0\nX-Spam-Status: Yes, score=6.0 "
		      "required=6.0\nX-Spam-Level", NULL },
	{ true, -0.5, 6, "X-Spam-Flag\nX-Spam-Score: -0.5\nX-Spam-Status: No, score=-0.5 "
			 "required=6.0\nX-Spam-Level",
	  "Return-Path: <s@outside.example>\r\nX-Spam-Score: -0.5\r\n"
	  "X-Spam-Status: No, score=-0.5 required=6.0\r\nReceived: from x (unknown [1.2.3.4])\r\n"
	  "Subject: hi\r\n" },
	{ true, 14, 0, "X-Spam-Flag\nX-Spam-Score: 14.0\nX-Spam-Status: No, score=14.0 "
		       "required=15.0\nX-Spam-Level", NULL }, /* threshold 0: rspamd's 15 */
	{ false, 0, 6, "X-Spam-Flag\nX-Spam-Score\nX-Spam-Status\nX-Spam-Level",
	  "Return-Path: <s@outside.example>\r\nReceived: from x (unknown [1.2.3.4])\r\n"
	  "Subject: hi\r\n" },
};

static void test_headers_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(headers_cases); i++) {
		const struct headers_case *t = &headers_cases[i];
		struct router_spam_result r = { t->score, 15, "reject" };
		struct pb_buf edits, out;
		struct router_plan p;
		pb_buf_init(&edits);
		pb_buf_init(&out);
		router_headers_spam(t->scored ? &r : NULL, t->threshold, &edits);
		pb_buf_append(&edits, "", 1);
		CHECK_STR(edits.data, t->edits);
		make_plan(&p);
		router_headers_apply(&p, "s@outside.example", false, edits.data);
		CHECK_STR(p.items[2].headers, ""); /* remote: untouched */
		if (t->head != NULL) {
			mime_header_edit(FORGED, strlen(FORGED), p.items[0].headers, &out);
			pb_buf_append(&out, "", 1);
			CHECK(strncmp(out.data, t->head, strlen(t->head)) == 0);
			if (strncmp(out.data, t->head, strlen(t->head)) != 0)
				fprintf(stderr, "headers case %zu:\n%s\n", i, out.data);
			CHECK(strstr(out.data, "\r\n\r\nbody X-Spam-Flag: NO\r\n") != NULL);
		}
		router_plan_free(&p);
		pb_buf_deinit(&edits);
		pb_buf_deinit(&out);
	}
}

/* A rule's own edits stay after the router's; a generated message's copies get Return-Path
 * alone; nothing asked: nothing added. */
static void test_headers_apply(void)
{
	struct router_plan p;

	make_plan(&p);
	free(p.items[1].headers);
	p.items[1].headers = xstrdup("X-Rule: 1");
	router_headers_apply(&p, "", true, "");
	CHECK_STR(p.items[0].headers, "Return-Path: <>");
	CHECK_STR(p.items[1].headers, "Return-Path: <>\nX-Rule: 1");
	CHECK_STR(p.items[2].headers, "");
	router_plan_free(&p);
	make_plan(&p);
	router_headers_apply(&p, "a@b.c", false, "");
	CHECK_STR(p.items[0].headers, "");
	router_headers_apply(&p, "a@b.c", false, "X-Spam-Flag");
	CHECK_STR(p.items[0].headers, "X-Spam-Flag");
	router_plan_free(&p);
}

static const struct pb_test_case cases[] = {
	{ "reply_table", test_reply_table },
	{ "reply_bytewise", test_reply_bytewise },
	{ "reply_oversize", test_reply_oversize },
	{ "request_head", test_request_head },
	{ "peer_table", test_peer_table },
	{ "apply_table", test_apply_table },
	{ "apply_unscored", test_apply_unscored },
	{ "headers_table", test_headers_table },
	{ "headers_apply", test_headers_apply },
};

PB_TEST_MAIN(cases)
