/*
 * test-collector-route.c: the collectors' pure parts — which header addresses count (the
 * fields, custom ones, groups, folding, case, each once), Accepted Domains with wildcards and
 * whole addresses, mappings, the Return-Path sender, the header's end; and definitions:
 * key=value settings, refusals naming the key, the checks, and JSON without the password.
 * OWNS: nothing. THREAD: main only.
 */
#include "collector-def.h"
#include "collector-route.h"
#include "pb-test.h"

#include <string.h>

static const char hdr[] =
	"Return-Path: <Sender@Far.Example>\r\n"
	"From: a@far.example\r\n"
	"To: Bob <BOB@Company.Example>, carol@company.example,\r\n"
	" \"Dave, D.\" <dave@sub.company.example>\r\n"
	"Cc: team: x@other.example, bob@company.example;\r\n"
	"Delivered-To: eve@company.example\r\n"
	"X-Envelope: frank@company.example\r\n"
	"Reply-To: nope@company.example\r\n"
	"\r\n"
	"To: body@company.example\r\n";

static void test_addresses(void)
{
	struct pb_strv v = { 0 };

	collector_route_addresses(hdr, sizeof(hdr) - 1, NULL, &v);
	CHECK_INT((int)v.n, 5);
	CHECK_STR(v.v[0], "bob@company.example");
	CHECK_STR(v.v[1], "carol@company.example");
	CHECK_STR(v.v[2], "dave@sub.company.example");
	CHECK_STR(v.v[3], "x@other.example");
	CHECK_STR(v.v[4], "eve@company.example");
	pb_strv_clear(&v);
	collector_route_addresses(hdr, sizeof(hdr) - 1, " x-envelope , other", &v);
	CHECK_INT((int)v.n, 6);
	CHECK_STR(v.v[5], "frank@company.example");
	pb_strv_clear(&v);
}

static void test_accepted_and_mappings(void)
{
	char user[64];

	CHECK(collector_route_accepted("company.example", "bob@COMPANY.example"));
	CHECK(!collector_route_accepted("company.example", "bob@sub.company.example"));
	CHECK(collector_route_accepted("other.example, *.company.example", "x@sub.company.example"));
	CHECK(collector_route_accepted("sales@company.example", "sales@company.example"));
	CHECK(!collector_route_accepted("sales@company.example", "bob@company.example"));
	CHECK(!collector_route_accepted("", "bob@company.example"));
	CHECK(!collector_route_accepted("company.example", "no-domain"));
	CHECK(collector_route_mapping("sales@company.example=bob, *@old.example=carol",
				      "x@OLD.example", user, sizeof(user)));
	CHECK_STR(user, "carol");
	CHECK(!collector_route_mapping("sales@company.example=bob", "x@company.example", user,
				       sizeof(user)));
	CHECK(!collector_route_mapping("broken,=x,y=", "y", user, sizeof(user)));
}

static void test_sender_and_end(void)
{
	char sender[128];
	const char nul[] = "Return-Path: <>\r\n\r\n";

	collector_route_sender(hdr, sizeof(hdr) - 1, sender, sizeof(sender));
	CHECK_STR(sender, "sender@far.example");
	collector_route_sender(nul, sizeof(nul) - 1, sender, sizeof(sender));
	CHECK_STR(sender, "");
	size_t end = collector_route_header_end(hdr, sizeof(hdr) - 1);
	CHECK(end > 0 && memcmp(hdr + end, "To: body", 8) == 0);
	CHECK_INT((int)collector_route_header_end("A: b\r\nC: d\r\n", 12), 0);
	CHECK_INT((int)collector_route_header_end("A: b\n\nbody", 10), 6);
}

static void test_definitions(void)
{
	struct collector_def d, back;
	const char *err = NULL;

	collector_def_init(&d, "isp");
	CHECK_INT(collector_def_check(&d, &err), -1);
	CHECK(strstr(err, "server") != NULL);
	CHECK_INT(collector_def_set(&d, "server=pop.isp.example", &err), 0);
	CHECK_INT(collector_def_set(&d, "user=me", &err), 0);
	CHECK_INT(collector_def_check(&d, &err), -1); /* headers: no domains */
	CHECK_INT(collector_def_set(&d, "domains=company.example", &err), 0);
	CHECK_INT(collector_def_check(&d, &err), 0);
	CHECK_INT(collector_def_set(&d, "tls=SSL", &err), 0);
	CHECK_INT(collector_def_port(&d), 995);
	CHECK_INT(collector_def_set(&d, "port=70000", &err), -1);
	CHECK(strstr(err, "port") != NULL);
	CHECK_INT(collector_def_set(&d, "auth=kerberos", &err), -1);
	CHECK_INT(collector_def_set(&d, "nokey=1", &err), -1);
	CHECK_INT(collector_def_set(&d, "noequals", &err), -1);
	CHECK_INT(collector_def_set(&d, "default_mappings=no", &err), 0);
	CHECK_INT(collector_def_set(&d, "password=s3cret", &err), 0);
	CHECK_INT(collector_def_set(&d, "route=smtp", &err), 0);
	CHECK_INT(collector_def_set(&d, "target=bob", &err), 0);
	CHECK_INT(collector_def_check(&d, &err), -1); /* smtp needs an address */
	CHECK_INT(collector_def_set(&d, "target=bob@far.example", &err), 0);
	CHECK_INT(collector_def_check(&d, &err), 0);
	char *shown = collector_def_to_json(&d, false);
	CHECK(strstr(shown, "s3cret") == NULL && strstr(shown, "password") == NULL);
	char *stored = collector_def_to_json(&d, true);
	CHECK_INT(collector_def_from_json("isp", stored, &back, &err), 0);
	CHECK_STR(back.password, "s3cret");
	CHECK_INT(back.route, COLLECTOR_ROUTE_SMTP);
	CHECK(!back.default_mappings);
	CHECK_INT(collector_def_port(&back), 995);
	collector_def_free(&back);
	CHECK_INT(collector_def_from_json("isp", "[1]", &back, &err), -1);
	collector_def_free(&back);
	free(shown);
	free(stored);
	collector_def_free(&d);
}

static const struct pb_test_case cases[] = {
	{ "addresses", test_addresses },
	{ "accepted_and_mappings", test_accepted_and_mappings },
	{ "sender_and_end", test_sender_and_end },
	{ "definitions", test_definitions },
};

PB_TEST_MAIN(cases)
