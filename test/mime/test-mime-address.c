/*
 * test-mime-address.c: address lists as IMAP renders them and as rules see them (UTF-8).
 * Expected IMAP forms were checked against Dovecot 2.3.19 (ENVELOPE of a To: field).
 * OWNS nothing. THREAD: main only.
 */
#include "mime-address.h"
#include "mime-imap.h"
#include "pb-test.h"

static const struct {
	const char *in, *imap, *utf8;
} cases[] = {
	{ "\"Joe Q. Public\" <john.q.public@example.com>",
	  "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\"))",
	  "Joe Q. Public <john.q.public@example.com>" },
	{ "Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
	  "((\"Mary Smith\" NIL \"mary\" \"x.test\")(NIL NIL \"jdoe\" \"example.org\")"
	  "(\"Who?\" NIL \"one\" \"y.test\"))",
	  "Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>" },
	{ "<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
	  "((NIL NIL \"boss\" \"nil.test\")({16}\r\nGiant; \"Big\" Box NIL \"sysservices\" \"example.net\"))",
	  "boss@nil.test, Giant; \"Big\" Box <sysservices@example.net>" },
	{ "A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
	  "((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL \"c\" \"a.test\")(NIL NIL \"joe\" \"where.test\")"
	  "(\"John\" NIL \"jdoe\" \"one.test\")(NIL NIL NIL NIL))",
	  "A Group: Ed Jones <c@a.test>, joe@where.test, John <jdoe@one.test>;" },
	{ "Undisclosed recipients:;", "((NIL NIL \"Undisclosed recipients\" NIL)(NIL NIL NIL NIL))",
	  "Undisclosed recipients:;" },
	{ "Group: a@b", "((NIL NIL \"Group\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL))",
	  "Group: a@b;" },
	{ "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
	  "((\"Pete\" NIL \"pete\" \"silly.test\"))", "Pete <pete@silly.test>" },
	{ "a@b.c (Comment Name)", "((\"Comment Name\" NIL \"a\" \"b.c\"))", "Comment Name <a@b.c>" },
	{ "<@route1,@route2:user@dom>", "((NIL \"@route1,@route2\" \"user\" \"dom\"))", "user@dom" },
	{ "\"quoted local\"@x.y", "((NIL NIL \"quoted local\" \"x.y\"))", "quoted local@x.y" },
	{ "jdoe@[192.0.2.1]", "((NIL NIL \"jdoe\" \"[192.0.2.1]\"))", "jdoe@[192.0.2.1]" },
	{ "John . Doe <john.doe @ example . org>", "((\"John . Doe\" NIL \"john.doe\" \"example.org\"))",
	  "John . Doe <john.doe@example.org>" },
	{ "nodomain, <>, @nomailbox.com",
	  "((NIL NIL \"nodomain\" \"MISSING_DOMAIN\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")"
	  "(NIL NIL \"MISSING_MAILBOX\" \"nomailbox.com\"))",
	  "nodomain, , @nomailbox.com" },
	{ "foo bar baz", "((\"foo bar baz\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))", "foo bar baz" },
	{ "=?utf-8?q?J=C3=B6rg?= <j@x>", "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x\"))",
	  "J\xC3\xB6rg <j@x>" },
	{ "\"=?utf-8?q?Zo=C3=AB?=\" <zoe@x>", "((\"=?utf-8?q?Zo=C3=AB?=\" NIL \"zoe\" \"x\"))",
	  "Zo\xC3\xAB <zoe@x>" },
	{ "J\xC3\xB6rg <j@x>", "(({5}\r\nJ\xC3\xB6rg NIL \"j\" \"x\"))", "J\xC3\xB6rg <j@x>" },
	{ "\"\" <empty@x>", "((NIL NIL \"empty\" \"x\"))", "empty@x" },
	{ "x <a@b> y <c@d>", "((\"x\" NIL \"a\" \"b\"))", "x <a@b>" },
	{ "a@b c@d", "((NIL NIL \"a\" \"b\"))", "a@b" },
	{ ":;", "((NIL NIL \"\" NIL)(NIL NIL NIL NIL))", ":;" },
	{ "Mr. X <x@y>", "((\"Mr. X\" NIL \"x\" \"y\"))", "Mr. X <x@y>" },
	{ "", "NIL", "" },
	{ " , ,, ", "NIL", "" },
	{ "(only a comment)", "NIL", "" },
};

static void test_address_table(void)
{
	struct pb_buf imap, utf8;

	pb_buf_init(&imap);
	pb_buf_init(&utf8);
	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++) {
		struct mime_address_list list;

		pb_buf_reset(&imap);
		pb_buf_reset(&utf8);
		pb_buf_append(&utf8, "", 0);
		mime_imap_append_addresses(&imap, cases[i].in);
		CHECK_STR(imap.data, cases[i].imap);
		mime_address_list_parse(cases[i].in, strlen(cases[i].in), &list);
		mime_address_list_format_utf8(&list, &utf8);
		CHECK_STR(utf8.data, cases[i].utf8);
		mime_address_list_free(&list);
		CHECK(list.v == NULL && list.n == 0);
	}
	pb_buf_deinit(&imap);
	pb_buf_deinit(&utf8);
}

static void test_address_fields(void)
{
	struct mime_address_list list;
	const char *in = "Ann <ann@a.example>, Team: bo@b.example;";

	mime_address_list_parse(in, strlen(in), &list);
	REQUIRE(list.n == 4);
	CHECK_INT(list.v[0].kind, MIME_ADDRESS_MAILBOX);
	CHECK_STR(list.v[0].name, "Ann");
	CHECK_STR(list.v[0].mailbox, "ann");
	CHECK_STR(list.v[0].domain, "a.example");
	CHECK(list.v[0].route == NULL);
	CHECK_INT(list.v[1].kind, MIME_ADDRESS_GROUP_START);
	CHECK_STR(list.v[1].mailbox, "Team");
	CHECK_INT(list.v[2].kind, MIME_ADDRESS_MAILBOX);
	CHECK(list.v[2].name == NULL);
	CHECK_INT(list.v[3].kind, MIME_ADDRESS_GROUP_END);
	mime_address_list_free(&list);
}

static void test_address_many(void)
{
	struct pb_buf in;
	struct mime_address_list list;

	pb_buf_init(&in);
	for (int i = 0; i < MIME_ADDRESSES_MAX + 50; i++)
		pb_buf_printf(&in, "u%d@x,", i);
	mime_address_list_parse(in.data, in.len, &list);
	CHECK_INT(list.n, MIME_ADDRESSES_MAX);
	mime_address_list_free(&list);
	pb_buf_deinit(&in);
}

static const struct pb_test_case tests[] = {
	{ "address_table", test_address_table },
	{ "address_fields", test_address_fields },
	{ "address_many", test_address_many },
};

PB_TEST_MAIN(tests)
