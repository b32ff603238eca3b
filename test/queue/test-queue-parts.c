/*
 * test-queue-parts.c: the outbound queue's pure parts — dot-stuffing across chunk boundaries
 * (byte at a time), the RFC 3464 DSN's fields (and RFC 6533's global one), a reply's status code, and routes (per-domain,
 * smart host, the direct-MX deferral, malformed ones), and which recipients of one entry share
 * a transaction (their own sender and header edits: queue-group.h).
 * OWNS: nothing. THREAD: main only.
 */
#include "queue-dsn.h"
#include "queue-group.h"
#include "queue-route.h"
#include "queue-smtp.h"

#include "pb-buf.h"
#include "pb-test.h"

#include <string.h>

static void stuff_by(const char *in, size_t step, const char *want)
{
	struct pb_buf out;
	bool bol = true;

	pb_buf_init(&out);
	for (size_t i = 0; i < strlen(in); i += step) {
		size_t n = strlen(in) - i < step ? strlen(in) - i : step;
		queue_smtp_stuff(in + i, n, &bol, &out);
	}
	pb_buf_append_c(&out, '\0');
	CHECK_STR((char *)out.data, want);
	pb_buf_deinit(&out);
}

static void test_stuffing(void)
{
	const char *in = ".a\r\nb.\r\n..c\r\n.\r\nend";
	const char *want = "..a\r\nb.\r\n...c\r\n..\r\nend";

	for (size_t step = 1; step <= strlen(in); step++)
		stuff_by(in, step, want);
	stuff_by("", 1, "");
	stuff_by("no dots\r\n", 3, "no dots\r\n");
	/* bare LF ends a line too; lines of dots only; a dot inside a line stays one */
	const char *lf = "..\n.\n\n.x.\n a.b\n.";
	for (size_t step = 1; step <= strlen(lf); step++)
		stuff_by(lf, step, "...\n..\n\n..x.\n a.b\n..");
}

static void test_status(void)
{
	char b[16];

	CHECK_STR(queue_dsn_status("550 5.1.1 <x>: unknown", b, sizeof(b)), "5.1.1");
	CHECK_STR(queue_dsn_status("554 5.4.7 delivery time expired", b, sizeof(b)), "5.4.7");
	CHECK_STR(queue_dsn_status("550 no enhanced code", b, sizeof(b)), "5.0.0");
	CHECK_STR(queue_dsn_status("550 4.1.1 class differs", b, sizeof(b)), "5.0.0");
	CHECK_STR(queue_dsn_status("451 4.4.1 cannot connect", b, sizeof(b)), "4.4.1");
	CHECK_STR(queue_dsn_status("", b, sizeof(b)), "4.0.0");
}

static void test_dsn(void)
{
	struct pb_queue_rcpt r[2] = {
		{ "bad@far.example", "rfc822;Bad@far.example", 0, PB_QUEUE_FAILED, 1,
		  "550 5.1.1 <bad@far.example>: unknown", NULL, NULL },
		{ "ok@far.example", "", 0, PB_QUEUE_DELIVERED, 1, "250 ok", NULL, NULL },
	};
	struct pb_queue_rec q = { .id = 9, .sender = "me@here.example", .msgid = "M", .envid = "ENV9",
				  .arrival_ms = 0, .r = r, .n = 2 };
	bool report[2] = { true, false };
	const char *orig = "Subject: hi\r\nMessage-ID: <m@x>\r\n\r\nsecret body\r\n";
	struct queue_dsn_in in = { &q, report, QUEUE_DSN_FAILED, "mx.here.example", "relay.example", 1000, 0,
				   orig, strlen(orig), false };
	struct pb_buf out;

	pb_buf_init(&out);
	queue_dsn_build(&in, &out);
	pb_buf_append_c(&out, '\0');
	const char *t = (const char *)out.data;
	CHECK(strstr(t, "To: <me@here.example>\r\n") != NULL);
	CHECK(strstr(t, "Content-Type: multipart/report; report-type=delivery-status;") != NULL);
	CHECK(strstr(t, "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; "
			"mx.here.example\r\nOriginal-Envelope-Id: ENV9\r\nArrival-Date: ") != NULL);
	CHECK(strstr(t, "\r\nFinal-Recipient: rfc822; bad@far.example\r\n"
			"Original-Recipient: rfc822;Bad@far.example\r\nAction: failed\r\n"
			"Status: 5.1.1\r\nRemote-MTA: dns; relay.example\r\n"
			"Diagnostic-Code: smtp; 550 5.1.1 <bad@far.example>: unknown\r\n") != NULL);
	CHECK(strstr(t, "ok@far.example") == NULL); /* delivered: not reported */
	CHECK(strstr(t, "Content-Type: text/rfc822-headers\r\n\r\nSubject: hi\r\n") != NULL);
	CHECK(strstr(t, "secret body") == NULL); /* headers only */
	CHECK(strstr(t, "Will-Retry-Until") == NULL);
	/* a delay warning, the whole original */
	pb_buf_reset(&out);
	in.action = QUEUE_DSN_DELAYED;
	in.whole = true;
	in.retry_until_ms = 86400000;
	queue_dsn_build(&in, &out);
	pb_buf_append_c(&out, '\0');
	t = (const char *)out.data;
	CHECK(strstr(t, "Action: delayed\r\n") != NULL);
	CHECK(strstr(t, "Will-Retry-Until: Fri, 02 Jan 1970 00:00:00 +0000\r\n") != NULL);
	CHECK(strstr(t, "Content-Type: message/rfc822\r\n\r\nSubject: hi") != NULL);
	CHECK(strstr(t, "secret body") != NULL);
	/* a success to a server without DSN: "relayed" (RFC 3461 6.2.1), no retry date */
	r[0].reply = "250 2.0.0 Ok: queued";
	pb_buf_reset(&out);
	in.action = QUEUE_DSN_RELAYED;
	queue_dsn_build(&in, &out);
	pb_buf_append_c(&out, '\0');
	t = (const char *)out.data;
	CHECK(strstr(t, "Subject: Successful Mail Delivery Report\r\n") != NULL);
	CHECK(strstr(t, "Action: relayed\r\nStatus: 2.0.0\r\n") != NULL);
	CHECK(strstr(t, "Will-Retry-Until") == NULL);
	/* a UTF-8 address reported: a global DSN (RFC 6533) */
	r[0].addr = "j\xc3\xb6rg@far.example";
	pb_buf_reset(&out);
	in.action = QUEUE_DSN_FAILED;
	in.whole = false;
	queue_dsn_build(&in, &out);
	pb_buf_append_c(&out, '\0');
	t = (const char *)out.data;
	CHECK(strstr(t, "report-type=global-delivery-status;") != NULL);
	CHECK(strstr(t, "Content-Type: text/plain; charset=utf-8\r\n") != NULL);
	CHECK(strstr(t, "Content-Type: message/global-delivery-status\r\n") != NULL);
	CHECK(strstr(t, "Final-Recipient: utf-8; j\xc3\xb6rg@far.example\r\n") != NULL);
	CHECK(strstr(t, "Content-Type: message/global-headers\r\n") != NULL);
	pb_buf_deinit(&out);
}

static void test_routes(void)
{
	struct pb_settings_outbound o = { .port = 25, .mx_port = 2500 };
	char host[QUEUE_ROUTE_HOST_MAX];
	uint16_t port = 0;
	const char *err = NULL;

	snprintf(o.routes, sizeof(o.routes), "a.example=10.0.0.1:2525 B.example=relay.b");
	CHECK_INT(queue_route_for(&o, "a.example", host, sizeof(host), &port, &err), 0);
	CHECK_STR(host, "10.0.0.1");
	CHECK_INT(port, 2525);
	CHECK_INT(queue_route_for(&o, "b.EXAMPLE", host, sizeof(host), &port, &err), 0);
	CHECK_STR(host, "relay.b");
	CHECK_INT(port, 25);
	/* no route, no smart host: "MX of c.example" on outbound.mx_port, for the sender */
	CHECK_INT(queue_route_for(&o, "c.example", host, sizeof(host), &port, &err), QUEUE_ROUTE_MX);
	CHECK_STR(host, "c.example");
	CHECK_INT(port, 2500);
	CHECK_INT(queue_route_for(&o, "", host, sizeof(host), &port, &err), -1);
	CHECK(strstr(err, "4.1.2") != NULL);
	snprintf(o.smart_host, sizeof(o.smart_host), "[::1]:587");
	CHECK_INT(queue_route_for(&o, "c.example", host, sizeof(host), &port, &err), 1);
	CHECK_STR(host, "::1");
	CHECK_INT(port, 587);
	CHECK_INT(queue_route_for(&o, "a.example", host, sizeof(host), &port, &err), 0);
	snprintf(o.smart_host, sizeof(o.smart_host), "relay:99999");
	CHECK_INT(queue_route_for(&o, "c.example", host, sizeof(host), &port, &err), -1);
	CHECK(strstr(err, "malformed") != NULL);
	CHECK_INT(queue_route_parse("[::1", 25, host, sizeof(host), &port), -1);
	CHECK_INT(queue_route_parse(":25", 25, host, sizeof(host), &port), -1);
	CHECK_INT(queue_route_parse("h:x", 25, host, sizeof(host), &port), -1);
}

static void test_etrn_match(void)
{
	CHECK(queue_route_etrn_match("office.example", "a@office.example"));
	CHECK(queue_route_etrn_match("OFFICE.example", "a@office.EXAMPLE"));
	CHECK(!queue_route_etrn_match("office.example", "a@sub.office.example"));
	CHECK(!queue_route_etrn_match("office.example", "a@xoffice.example"));
	CHECK(queue_route_etrn_match("@office.example", "a@sub.office.example"));
	CHECK(queue_route_etrn_match("@office.example", "a@office.example"));
	CHECK(!queue_route_etrn_match("@office.example", "a@suboffice.example"));
	CHECK(!queue_route_etrn_match("", "a@office.example"));
	CHECK(!queue_route_etrn_match("@", "a@office.example"));
	CHECK(!queue_route_etrn_match("office.example", "nodomain"));
}

/* Each row: the recipients' own senders ("-": the entry's) and edits, the candidates (due for
 * one next hop: 'x'), and the ones picked for the transaction, with its sender. */
static void test_group(void)
{
	static const struct {
		const char *senders[4], *edits[4], *due, *picked, *sender;
	} table[] = {
		{ { "-", "-", "-", "-" }, { "", "", "", "" }, "xxxx", "xxxx", "me@here" },
		{ { "-", "-", "-", "-" }, { "", "", "", "" }, ".x.x", ".x.x", "me@here" },
		{ { "f@here", "-", "f@here", "-" }, { "", "", "", "" }, "xxxx", "x.x.", "f@here" },
		{ { "-", "f@here", "-", "f@here" }, { "", "", "", "" }, "xxxx", "x.x.", "me@here" },
		{ { "-", "-", "-", "-" }, { "", "X: 1\n", "X: 1\n", "" }, ".xxx", ".xx.", "me@here" },
		{ { "f@here", "f@here", "g@here", "f@here" }, { "E\n", "E\n", "E\n", "" }, "xxxx",
		  "xx..", "f@here" },
		/* the entry's sender given as the recipient's own is the same envelope */
		{ { "me@here", "-", "", "-" }, { "", "", "", "" }, "xxxx", "xx.x", "me@here" },
		{ { "", "-", "", "-" }, { "", "", "", "" }, "xxxx", "x.x.", "" },
		{ { "-", "-", "-", "-" }, { "", "", "", "" }, "....", "....", NULL },
	};
	for (size_t t = 0; t < PB_N_ELEMENTS(table); t++) {
		struct pb_queue_rcpt r[4];
		struct pb_queue_rec q = { .sender = "me@here", .r = r, .n = 4 };
		bool pick[4];
		char got[5] = "";
		memset(r, 0, sizeof(r));
		for (size_t i = 0; i < 4; i++) {
			r[i].sender = strcmp(table[t].senders[i], "-") == 0
					      ? NULL : (char *)table[t].senders[i];
			r[i].edit = (char *)table[t].edits[i];
			pick[i] = table[t].due[i] == 'x';
		}
		size_t first = queue_group_pick(&q, pick);
		for (size_t i = 0; i < 4; i++)
			got[i] = pick[i] ? 'x' : '.';
		CHECK_STR(got, table[t].picked);
		if (table[t].sender == NULL) {
			CHECK_INT(first, 4);
			continue;
		}
		REQUIRE(first < 4);
		CHECK_STR(queue_rcpt_sender(&q, &r[first]), table[t].sender);
	}
}

static const struct pb_test_case cases[] = {
	{ "group", test_group },
	{ "etrn_match", test_etrn_match },
	{ "stuffing", test_stuffing },
	{ "status", test_status },
	{ "dsn", test_dsn },
	{ "routes", test_routes },
};

PB_TEST_MAIN(cases)
