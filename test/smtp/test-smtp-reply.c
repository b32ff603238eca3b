/*
 * test-smtp-reply.c: reply formatting (single, multi-line, sanitising, the 512-octet cut),
 * the EHLO keyword list, and the address helper (split, unquote, lowercase, validate,
 * write back).
 */
#include "pb-test.h"
#include "smtp-address.h"
#include "smtp-reply.h"

static void test_format_single(void)
{
	struct pb_buf b;

	pb_buf_init(&b);
	smtp_reply_format(&b, 250, "2.1.0", "Ok");
	CHECK_STR(b.data, "250 2.1.0 Ok\r\n");
	pb_buf_reset(&b);
	smtp_reply_format(&b, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	CHECK_STR(b.data, "354 End data with <CR><LF>.<CR><LF>\r\n");
	pb_buf_reset(&b);
	smtp_reply_format(&b, 220, NULL, NULL);
	CHECK_STR(b.data, "220 \r\n");
	pb_buf_reset(&b);
	struct smtp_reply r = {501, "5.5.4", "Syntax: HELO hostname", false};
	smtp_reply_append(&b, &r);
	CHECK_STR(b.data, "501 5.5.4 Syntax: HELO hostname\r\n");
	pb_buf_deinit(&b);
}

static void test_format_multi(void)
{
	struct pb_buf b;
	const char *lines[] = {"first", "second\nthird", "last"};

	pb_buf_init(&b);
	smtp_reply_format(&b, 214, "2.0.0", "a\nb\nc");
	CHECK_STR(b.data, "214-2.0.0 a\r\n214-2.0.0 b\r\n214 2.0.0 c\r\n");
	pb_buf_reset(&b);
	smtp_reply_format_lines(&b, 250, NULL, lines, 3);
	CHECK_STR(b.data, "250-first\r\n250-second\r\n250-third\r\n250 last\r\n");
	pb_buf_reset(&b);
	smtp_reply_format_lines(&b, 250, "2.0.0", lines, 1);
	CHECK_STR(b.data, "250 2.0.0 first\r\n");
	pb_buf_deinit(&b);
}

/* Control bytes (a CR injected through an echoed argument) never reach the wire raw, and
 * a long text is cut to 512 octets per line, CRLF included. */
static void test_format_sanitise(void)
{
	struct pb_buf b;
	char big[1000];

	pb_buf_init(&b);
	smtp_reply_format(&b, 550, "5.1.1", "<a\rb\x01>: unknown\x7f");
	CHECK_STR(b.data, "550 5.1.1 <a?b?>: unknown?\r\n");
	pb_buf_reset(&b);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	smtp_reply_format(&b, 250, "2.0.0", big);
	CHECK_INT(b.len, SMTP_REPLY_LINE_MAX);
	CHECK(memcmp(b.data, "250 2.0.0 zzz", 13) == 0);
	CHECK(memcmp(b.data + b.len - 3, "z\r\n", 3) == 0);
	pb_buf_deinit(&b);
}

static void test_ehlo(void)
{
	struct pb_buf b;
	struct smtp_ehlo_caps all = {
		.size = true,
		.size_max = 10485760,
		.pipelining = true,
		.vrfy = true,
		.starttls = true,
		.auth = "PLAIN LOGIN",
		.enhancedstatuscodes = true,
		.eightbitmime = true,
		.binarymime = true,
		.dsn = true,
		.smtputf8 = true,
		.chunking = true,
		.etrn = true,
	};
	struct smtp_ehlo_caps none = {0};
	struct smtp_ehlo_caps some = {.size = true, .pipelining = true, .auth = ""};

	pb_buf_init(&b);
	smtp_reply_ehlo(&b, "mail.example", "Hello client.example", &all);
	CHECK_STR(b.data, "250-mail.example Hello client.example\r\n"
			  "250-PIPELINING\r\n"
			  "250-SIZE 10485760\r\n"
			  "250-VRFY\r\n"
			  "250-STARTTLS\r\n"
			  "250-AUTH PLAIN LOGIN\r\n"
			  "250-ENHANCEDSTATUSCODES\r\n"
			  "250-8BITMIME\r\n"
			  "250-BINARYMIME\r\n"
			  "250-DSN\r\n"
			  "250-SMTPUTF8\r\n"
			  "250-CHUNKING\r\n"
			  "250 ETRN\r\n");
	pb_buf_reset(&b);
	smtp_reply_ehlo(&b, "mail.example", NULL, &none);
	CHECK_STR(b.data, "250 mail.example\r\n");
	pb_buf_reset(&b);
	smtp_reply_ehlo(&b, "mx", NULL, &some);
	CHECK_STR(b.data, "250-mx\r\n250-PIPELINING\r\n250 SIZE\r\n");
	pb_buf_deinit(&b);
}

/* ---- Addresses ------------------------------------------------------------------------- */

struct addr_case {
	const char *in;
	const char *local;  /* NULL: must fail */
	const char *domain; /* or the error text when it must fail */
	const char *render;
	bool utf8;
};

static const struct addr_case addr_cases[] = {
	{"user@Example.COM", "user", "example.com", "user@example.com", false},
	{"First.Last+tag@sub.example.org", "First.Last+tag", "sub.example.org",
	 "First.Last+tag@sub.example.org", false},
	{"!#$%&'*+-/=?^_`{|}~@x.example", "!#$%&'*+-/=?^_`{|}~", "x.example",
	 "!#$%&'*+-/=?^_`{|}~@x.example", false},
	{"\"john\"@x.example", "john", "x.example", "john@x.example", false},
	{"\"john doe\"@x.example", "john doe", "x.example", "\"john doe\"@x.example", false},
	{"\"a\\\"b\\\\c\"@x.example", "a\"b\\c", "x.example", "\"a\\\"b\\\\c\"@x.example", false},
	{"\"\"@x.example", "", "x.example", "\"\"@x.example", false},
	{"\"a@b\"@x.example", "a@b", "x.example", "\"a@b\"@x.example", false},
	{"\"a.\"@x.example", "a.", "x.example", "\"a.\"@x.example", false},
	{"u@[192.0.2.1]", "u", "[192.0.2.1]", "u@[192.0.2.1]", false},
	{"u@[IPv6:2001:DB8::1]", "u", "[ipv6:2001:db8::1]", "u@[ipv6:2001:db8::1]", false},
	{"u@[x-tag:Stuff]", "u", "[x-tag:stuff]", "u@[x-tag:stuff]", false},
	{"u@a-b.c-d.example", "u", "a-b.c-d.example", "u@a-b.c-d.example", false},
	{"u@localhost", "u", "localhost", "u@localhost", false},
	{"j\xc3\xb6rg@b\xc3\xbc" "cher.example", "j\xc3\xb6rg", "b\xc3\xbc" "cher.example",
	 "j\xc3\xb6rg@b\xc3\xbc" "cher.example", true},
	{"\"\xe2\x82\xac uro\"@x.example", "\xe2\x82\xac uro", "x.example",
	 "\"\xe2\x82\xac uro\"@x.example", true},
	{"Postmaster", NULL, "missing @", NULL, false},
	{"user", NULL, "missing @", NULL, false},
	{"user@", NULL, "bad domain", NULL, false},
	{"@x.example", NULL, "bad local part", NULL, false},
	{"a..b@x.example", NULL, "bad local part", NULL, false},
	{".a@x.example", NULL, "bad local part", NULL, false},
	{"a.@x.example", NULL, "bad local part", NULL, false},
	{"a b@x.example", NULL, "bad local part", NULL, false},
	{"a(b)@x.example", NULL, "bad local part", NULL, false},
	{"\"a\"b@x.example", NULL, "missing @", NULL, false},
	{"\"ab@x.example", NULL, "bad local part", NULL, false},
	{"\"a\tb\"@x.example", NULL, "bad local part", NULL, false},
	{"a@b@x.example", NULL, "bad domain", NULL, false},
	{"a@-x.example", NULL, "bad domain", NULL, false},
	{"a@x-.example", NULL, "bad domain", NULL, false},
	{"a@x..example", NULL, "bad domain", NULL, false},
	{"a@x.example.", NULL, "bad domain", NULL, false},
	{"a@x_y.example", NULL, "bad domain", NULL, false},
	{"a@[1.2.3]", NULL, "bad domain", NULL, false},
	{"a@[IPv6:zz::1]", NULL, "bad domain", NULL, false},
	{"a@[1.2.3.4", NULL, "bad domain", NULL, false},
	{"a@[tag:with space]", NULL, "bad domain", NULL, false},
	{"a@[-tag:x]", NULL, "bad domain", NULL, false},
	{"j\xc3\xb6rg\xff@x.example", NULL, "invalid UTF-8", NULL, false},
	{"j\xc0\xafrg@x.example", NULL, "invalid UTF-8", NULL, false},
	{"a@x\xed\xa0\x80.example", NULL, "invalid UTF-8", NULL, false},
};

static void check_addr(const struct addr_case *c, bool allow_postmaster)
{
	struct smtp_address a;
	const char *err = NULL;
	int ret = smtp_address_parse(c->in, strlen(c->in), allow_postmaster, &a, &err);

	if (c->local == NULL) {
		if (ret != -1)
			fprintf(stderr, "  address should fail: %s\n", c->in);
		CHECK_INT(ret, -1);
		CHECK_STR(err, c->domain);
		return;
	}
	if (ret != 0)
		fprintf(stderr, "  address should parse: %s (%s)\n", c->in, err);
	REQUIRE(ret == 0);
	CHECK_STR(a.local, c->local);
	CHECK_STR(a.domain, c->domain);
	CHECK_INT(a.utf8, c->utf8);
	struct pb_buf b;
	pb_buf_init(&b);
	smtp_address_render(&a, &b);
	CHECK_STR(b.data, c->render);
	/* what is written back parses to the same address */
	struct smtp_address again;
	CHECK_INT(smtp_address_parse(b.data, b.len, false, &again, &err), 0);
	CHECK_STR(again.local, a.local);
	CHECK_STR(again.domain, a.domain);
	pb_buf_deinit(&b);
}

static void test_address_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(addr_cases); i++)
		check_addr(&addr_cases[i], false);
}

static void test_address_postmaster(void)
{
	struct smtp_address a;
	const char *err;

	CHECK_INT(smtp_address_parse("PostMaster", 10, true, &a, &err), 0);
	CHECK_STR(a.local, "PostMaster");
	CHECK_STR(a.domain, "");
	CHECK_INT(smtp_address_parse("postmasterx", 11, true, &a, &err), -1);
	CHECK_INT(smtp_address_parse("postmaster@x.example", 20, true, &a, &err), 0);
	CHECK_STR(a.domain, "x.example");
}

static void test_address_limits(void)
{
	struct smtp_address a;
	const char *err;
	char s[600];

	/* a 63-octet label is fine, 64 is not */
	memset(s, 'a', sizeof(s));
	memcpy(s, "u@", 2);
	memcpy(s + 2 + 63, ".example", 9);
	CHECK_INT(smtp_address_parse(s, strlen(s), false, &a, &err), 0);
	memset(s + 2, 'a', 64);
	memcpy(s + 2 + 64, ".example", 9);
	CHECK_INT(smtp_address_parse(s, strlen(s), false, &a, &err), -1);
	/* a domain of 255 octets is fine, 256 is not */
	memset(s, 'b', sizeof(s));
	memcpy(s, "u@", 2);
	for (size_t i = 2 + 50; i < 2 + 250; i += 51)
		s[i] = '.';
	s[2 + 255] = '\0';
	CHECK_INT(smtp_address_parse(s, strlen(s), false, &a, &err), 0);
	CHECK_INT(strlen(a.domain), 255);
	s[2 + 255] = 'b';
	s[2 + 256] = '\0';
	CHECK_INT(smtp_address_parse(s, strlen(s), false, &a, &err), -1);
	/* the whole mailbox */
	memset(s, 'c', sizeof(s));
	memcpy(s + SMTP_MAILBOX_MAX - 10, "@x.example", 11);
	CHECK_INT(smtp_address_parse(s, strlen(s), false, &a, &err), 0);
	memcpy(s + SMTP_MAILBOX_MAX - 9, "@x.example", 11);
	CHECK_INT(smtp_address_parse(s, strlen(s), false, &a, &err), -1);
	CHECK_STR(err, "too long");
	/* a NUL inside */
	CHECK_INT(smtp_address_parse("a\0b@x.example", 13, false, &a, &err), -1);
}

static void test_utf8(void)
{
	CHECK(smtp_utf8_valid("", 0));
	CHECK(smtp_utf8_valid("ascii", 5));
	CHECK(smtp_utf8_valid("\xc3\xa9", 2));
	CHECK(smtp_utf8_valid("\xe2\x82\xac", 3));
	CHECK(smtp_utf8_valid("\xf0\x9f\x98\x80", 4));
	CHECK(smtp_utf8_valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
	CHECK(!smtp_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	CHECK(!smtp_utf8_valid("\xc0\x80", 2));	 /* overlong NUL */
	CHECK(!smtp_utf8_valid("\xe0\x80\xaf", 3)); /* overlong '/' */
	CHECK(!smtp_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
	CHECK(!smtp_utf8_valid("\xc3", 1));	 /* truncated */
	CHECK(!smtp_utf8_valid("\x80", 1));	 /* lone continuation */
	CHECK(!smtp_utf8_valid("\xff", 1));
	CHECK(!smtp_utf8_valid("\xe2\x82", 2));
}

static void test_domains(void)
{
	CHECK(smtp_address_domain_valid("example.com", 11));
	CHECK(smtp_address_domain_valid("a", 1));
	CHECK(smtp_address_domain_valid("1.2.3.4", 7));
	CHECK(smtp_address_domain_valid("xn--bcher-kva.example", 21));
	CHECK(!smtp_address_domain_valid("", 0));
	CHECK(!smtp_address_domain_valid(".a", 2));
	CHECK(!smtp_address_domain_valid("a..b", 4));
	CHECK(!smtp_address_domain_valid("a-", 2));
	CHECK(!smtp_address_domain_valid("[1.2.3.4]", 9));
	CHECK(smtp_address_literal_valid("[1.2.3.4]", 9));
	CHECK(smtp_address_literal_valid("[IPv6:::1]", 10));
	CHECK(smtp_address_literal_valid("[ipv6:::ffff:1.2.3.4]", 21));
	CHECK(!smtp_address_literal_valid("[]", 2));
	CHECK(!smtp_address_literal_valid("[IPv6:]", 7));
	CHECK(!smtp_address_literal_valid("1.2.3.4", 7));
	CHECK(!smtp_address_literal_valid("[1.2.3.4.5]", 11));
	CHECK(!smtp_address_literal_valid("[tag:]", 6));
}

static const struct pb_test_case cases[] = {
	{"format_single", test_format_single},
	{"format_multi", test_format_multi},
	{"format_sanitise", test_format_sanitise},
	{"ehlo", test_ehlo},
	{"address_table", test_address_table},
	{"address_postmaster", test_address_postmaster},
	{"address_limits", test_address_limits},
	{"utf8", test_utf8},
	{"domains", test_domains},
};

PB_TEST_MAIN(cases)
