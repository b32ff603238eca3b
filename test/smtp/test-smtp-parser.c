/*
 * test-smtp-parser.c: the SMTP command parser: a table of commands and errors (each
 * checked fed whole and byte by byte), pipelining, line limits, mode switches to DATA and
 * BDAT, the feed limit and the wiping of consumed lines.
 */
#include "pb-test.h"
#include "smtp-parser.h"
#include "smtp-test-util.h"

#include <stdint.h>

struct line_case {
	const char *in;	      /* one command line, terminator included */
	const char *expected; /* smtp_test_render_cmd output */
};

#define BAD_SENDER "ERR 501 5.1.7 \"Bad sender address syntax\" kind=BAD_ADDRESS verb=MAIL\n"
#define BAD_RCPT "ERR 501 5.1.3 \"Bad recipient address syntax\" kind=BAD_ADDRESS verb=RCPT\n"
#define UNKNOWN                                                                        \
	"ERR 500 5.5.2 \"Syntax error, command unrecognized\" kind=UNKNOWN_COMMAND "   \
	"verb=UNKNOWN\n"
#define FORBIDDEN                                                                      \
	"ERR 221 2.7.0 \"Error: I can break rules, too. Goodbye.\" "                   \
	"kind=FORBIDDEN_COMMAND verb=NONE close\n"
#define BAD_CHAR                                                                       \
	"ERR 500 5.5.2 \"Syntax error, bad character in command\" kind=BAD_CHAR "      \
	"verb=NONE\n"
#define USAGE(verb, text)                                                              \
	"ERR 501 5.5.4 \"Syntax: " text "\" kind=SYNTAX verb=" verb "\n"

static const struct line_case line_cases[] = {
	/* EHLO / HELO */
	{"EHLO client.example\r\n", "CMD EHLO arg=\"client.example\" domain\n"},
	{"helo [192.0.2.1]\r\n", "CMD HELO arg=\"[192.0.2.1]\" domain\n"},
	{"EHLO bad_name!\r\n", "CMD EHLO arg=\"bad_name!\" not-domain\n"},
	{"EHLO x.example  \t\r\n", "CMD EHLO arg=\"x.example\" domain\n"},
	{"EHLO\tx.example\n", "CMD EHLO arg=\"x.example\" domain\n"},
	{"EHLO\r\n", USAGE("EHLO", "EHLO hostname")},
	{"EHLO    \r\n", USAGE("EHLO", "EHLO hostname")},
	/* MAIL */
	{"MAIL FROM:<alice@Example.COM>\r\n",
	 "CMD MAIL path=\"alice@Example.COM\" local=\"alice\" domain=\"example.com\"\n"},
	{"MAIL FROM:<>\r\n", "CMD MAIL path=\"\"\n"},
	{"mail from: <a@b.example> size=1000 body=8bitmime\r\n",
	 "CMD MAIL path=\"a@b.example\" local=\"a\" domain=\"b.example\" size=1000 "
	 "body=8BITMIME\n"},
	{"MAIL FROM:a@b.example\r\n",
	 "CMD MAIL path=\"a@b.example\" local=\"a\" domain=\"b.example\" bare\n"},
	{"MAIL FROM:a@b.example SIZE=5\r\n",
	 "CMD MAIL path=\"a@b.example\" local=\"a\" domain=\"b.example\" bare size=5\n"},
	{"MAIL FROM:<@r1.example,@r2.example:u@d.example>\r\n",
	 "CMD MAIL path=\"u@d.example\" local=\"u\" domain=\"d.example\"\n"},
	{"MAIL FROM:<\"john doe\"@d.example>\r\n",
	 "CMD MAIL path=\"\\\"john doe\\\"@d.example\" local=\"john doe\" domain=\"d.example\" "
	 "quoted\n"},
	{"MAIL FROM:<\"john\"@d.example>\r\n",
	 "CMD MAIL path=\"\\\"john\\\"@d.example\" local=\"john\" domain=\"d.example\"\n"},
	{"MAIL FROM:<\"a>b\"@d.example>\r\n",
	 "CMD MAIL path=\"\\\"a>b\\\"@d.example\" local=\"a>b\" domain=\"d.example\" quoted\n"},
	{"MAIL FROM:<\"a\\\"b\"@d.example>\r\n",
	 "CMD MAIL path=\"\\\"a\\\\\\\"b\\\"@d.example\" local=\"a\\\"b\" domain=\"d.example\" "
	 "quoted\n"},
	{"MAIL FROM:<j\xc3\xb6rg@ex\xc3\xa4mple.de> SMTPUTF8\r\n",
	 "CMD MAIL path=\"j\\xc3\\xb6rg@ex\\xc3\\xa4mple.de\" local=\"j\\xc3\\xb6rg\" "
	 "domain=\"ex\\xc3\\xa4mple.de\" utf8 smtputf8\n"},
	{"MAIL FROM:<j\xc3\xb6rg@example.de>\r\n",
	 "CMD MAIL path=\"j\\xc3\\xb6rg@example.de\" local=\"j\\xc3\\xb6rg\" "
	 "domain=\"example.de\" utf8\n"},
	{"MAIL FROM:<a@b.example> RET=HDRS ENVID=QQ+2Bx AUTH=<>\r\n",
	 "CMD MAIL path=\"a@b.example\" local=\"a\" domain=\"b.example\" auth=\"<>\" ret=HDRS "
	 "envid=\"QQ+2Bx\"\n"},
	{"MAIL FROM:<a@b.example> BODY=BINARYMIME SIZE=99999999999999999999999\r\n",
	 "CMD MAIL path=\"a@b.example\" local=\"a\" domain=\"b.example\" "
	 "size=18446744073709551615 body=BINARYMIME\n"},
	{"MAIL FROM:<a@b.example> SMTPUTF8=yes\r\n",
	 "ERR 501 5.5.4 \"Bad SMTPUTF8 parameter syntax\" kind=BAD_PARAM verb=MAIL\n"},
	{"MAIL FROM:<a@b.example> FOO=bar\r\n",
	 "ERR 555 5.5.4 \"Unsupported option: FOO\" kind=UNSUPPORTED_PARAM verb=MAIL\n"},
	{"MAIL FROM:<a@b.example> SIZE=12x\r\n",
	 "ERR 501 5.5.4 \"Bad SIZE parameter syntax\" kind=BAD_PARAM verb=MAIL\n"},
	{"MAIL FROM:<a@b.example> SIZE=\r\n",
	 "ERR 501 5.5.4 \"Bad parameter syntax: SIZE\" kind=BAD_PARAM verb=MAIL\n"},
	{"MAIL FROM:<a@b.example> SIZE\r\n",
	 "ERR 501 5.5.4 \"Bad SIZE parameter syntax\" kind=BAD_PARAM verb=MAIL\n"},
	{"MAIL FROM:<a@b.example> BODY=9BIT\r\n",
	 "ERR 501 5.5.4 \"Bad BODY parameter syntax\" kind=BAD_PARAM verb=MAIL\n"},
	{"MAIL FROM:<a@b.example> RET=ALL\r\n",
	 "ERR 501 5.5.4 \"Bad RET parameter syntax\" kind=BAD_PARAM verb=MAIL\n"},
	{"MAIL FROM:<a@b.example> ENVID=a+zz\r\n",
	 "ERR 501 5.5.4 \"Bad ENVID parameter syntax\" kind=BAD_PARAM verb=MAIL\n"},
	{"MAIL FROM:<a@b.example> SIZE=1 size=2\r\n",
	 "ERR 501 5.5.4 \"Duplicate SIZE parameter\" kind=BAD_PARAM verb=MAIL\n"},
	{"MAIL FROM:<a@b.example> NOTIFY=NEVER\r\n",
	 "ERR 555 5.5.4 \"Unsupported option: NOTIFY\" kind=UNSUPPORTED_PARAM verb=MAIL\n"},
	{"MAIL FROM:<a@b.example> -X=1\r\n",
	 "ERR 501 5.5.4 \"Bad parameter syntax: -X\" kind=BAD_PARAM verb=MAIL\n"},
	{"MAIL FROM <a@b.example>\r\n", USAGE("MAIL", "MAIL FROM:<address>")},
	{"MAIL FROM:\r\n", USAGE("MAIL", "MAIL FROM:<address>")},
	{"MAIL\r\n", USAGE("MAIL", "MAIL FROM:<address>")},
	{"MAIL TO:<a@b.example>\r\n", USAGE("MAIL", "MAIL FROM:<address>")},
	{"MAIL FROM:<a@b.example\r\n", BAD_SENDER},
	{"MAIL FROM:<a@b.example>x\r\n", BAD_SENDER},
	{"MAIL FROM:<a@@b.example>\r\n", BAD_SENDER},
	{"MAIL FROM:<a..b@c.example>\r\n", BAD_SENDER},
	{"MAIL FROM:<.a@c.example>\r\n", BAD_SENDER},
	{"MAIL FROM:<a@-b.example>\r\n", BAD_SENDER},
	{"MAIL FROM:<a@b.example.>\r\n", BAD_SENDER},
	{"MAIL FROM:<a b@c.example>\r\n", BAD_SENDER},
	{"MAIL FROM:<postmaster>\r\n", BAD_SENDER},
	{"MAIL FROM:<@r1.example:>\r\n", BAD_SENDER},
	{"MAIL FROM:<@bad_route:a@b.example>\r\n", BAD_SENDER},
	{"MAIL FROM:<\"unterminated@b.example>\r\n", BAD_SENDER},
	/* RCPT */
	{"RCPT TO:<Postmaster>\r\n", "CMD RCPT path=\"Postmaster\" local=\"Postmaster\" domain=\"\"\n"},
	{"RCPT TO:<>\r\n", BAD_RCPT},
	{"RCPT TO:<b@c.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@c.example\r\n",
	 "CMD RCPT path=\"b@c.example\" local=\"b\" domain=\"c.example\" notify=SF "
	 "orcpt=\"rfc822;b@c.example\"\n"},
	{"RCPT TO:<b@c.example> NOTIFY=never\r\n",
	 "CMD RCPT path=\"b@c.example\" local=\"b\" domain=\"c.example\" notify=N\n"},
	{"RCPT TO:<b@c.example> NOTIFY=NEVER,SUCCESS\r\n",
	 "ERR 501 5.5.4 \"Bad NOTIFY parameter syntax\" kind=BAD_PARAM verb=RCPT\n"},
	{"RCPT TO:<b@c.example> NOTIFY=DELAY,\r\n",
	 "ERR 501 5.5.4 \"Bad NOTIFY parameter syntax\" kind=BAD_PARAM verb=RCPT\n"},
	{"RCPT TO:<b@c.example> ORCPT=rfc822\r\n",
	 "ERR 501 5.5.4 \"Bad ORCPT parameter syntax\" kind=BAD_PARAM verb=RCPT\n"},
	{"RCPT TO:<b@c.example> ORCPT=utf-8;j\xc3\xb6rg@c.example\r\n",
	 "CMD RCPT path=\"b@c.example\" local=\"b\" domain=\"c.example\" "
	 "orcpt=\"utf-8;j\\xc3\\xb6rg@c.example\"\n"},
	{"RCPT TO:<b@c.example> SIZE=10\r\n",
	 "ERR 555 5.5.4 \"Unsupported option: SIZE\" kind=UNSUPPORTED_PARAM verb=RCPT\n"},
	{"RCPT TO:<b@[192.0.2.1]>\r\n",
	 "CMD RCPT path=\"b@[192.0.2.1]\" local=\"b\" domain=\"[192.0.2.1]\"\n"},
	{"RCPT TO:<b@[IPv6:2001:DB8::1]>\r\n",
	 "CMD RCPT path=\"b@[IPv6:2001:DB8::1]\" local=\"b\" domain=\"[ipv6:2001:db8::1]\"\n"},
	{"RCPT TO:<b@[300.1.1.1]>\r\n", BAD_RCPT},
	{"RCPT TO:<b@[IPv6:1.2.3.4]>\r\n", BAD_RCPT},
	{"RCPT TO: b@c.example\r\n",
	 "CMD RCPT path=\"b@c.example\" local=\"b\" domain=\"c.example\" bare\n"},
	{"RCPT FROM:<b@c.example>\r\n", USAGE("RCPT", "RCPT TO:<address>")},
	/* commands without arguments, or with optional ones */
	{"DATA\r\n", "CMD DATA\n"},
	{"data\n", "CMD DATA\n"},
	{"DATA now\r\n", USAGE("DATA", "DATA")},
	{"RSET\r\n", "CMD RSET\n"},
	{"RSET x\r\n", USAGE("RSET", "RSET")},
	{"STARTTLS\r\n", "CMD STARTTLS\n"},
	{"STARTTLS x\r\n", USAGE("STARTTLS", "STARTTLS")},
	{"NOOP\r\n", "CMD NOOP\n"},
	{"NOOP hello there\r\n", "CMD NOOP arg=\"hello there\"\n"},
	{"QUIT\r\n", "CMD QUIT\n"},
	{"QUIT now\r\n", "CMD QUIT arg=\"now\"\n"},
	{"HELP\r\n", "CMD HELP\n"},
	{"HELP MAIL\r\n", "CMD HELP arg=\"MAIL\"\n"},
	{"VRFY bob\r\n", "CMD VRFY arg=\"bob\"\n"},
	{"VRFY\r\n", USAGE("VRFY", "VRFY address")},
	{"ETRN office.example\r\n", "CMD ETRN arg=\"office.example\"\n"},
	{"ETRN\r\n", USAGE("ETRN", "ETRN domain")},
	{"EXPN staff\r\n", "CMD EXPN arg=\"staff\"\n"},
	{"EXPN\r\n", USAGE("EXPN", "EXPN mailing-list")},
	/* BDAT */
	{"BDAT 100\r\n", "CMD BDAT size=100\n"},
	{"BDAT 0 LAST\r\n", "CMD BDAT size=0 last\n"},
	{"bdat 5 last\r\n", "CMD BDAT size=5 last\n"},
	{"BDAT 9999999999999999999 LAST\r\n", "CMD BDAT size=9999999999999999999 last\n"},
	{"BDAT x\r\n", "ERR 501 5.5.4 \"Syntax: BDAT count [LAST]\" kind=SYNTAX verb=BDAT close\n"},
	{"BDAT\r\n", "ERR 501 5.5.4 \"Syntax: BDAT count [LAST]\" kind=SYNTAX verb=BDAT close\n"},
	{"BDAT 5LAST\r\n", "ERR 501 5.5.4 \"Syntax: BDAT count [LAST]\" kind=SYNTAX verb=BDAT close\n"},
	{"BDAT 5 LAST x\r\n",
	 "ERR 501 5.5.4 \"Syntax: BDAT count [LAST]\" kind=SYNTAX verb=BDAT close\n"},
	{"BDAT 12345678901234567890\r\n",
	 "ERR 501 5.5.4 \"Syntax: BDAT count [LAST]\" kind=SYNTAX verb=BDAT close\n"},
	/* AUTH */
	{"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", "CMD AUTH mech=\"PLAIN\" ir=\"AGFsaWNlAHNlY3JldA==\"\n"},
	{"auth login\r\n", "CMD AUTH mech=\"LOGIN\"\n"},
	{"AUTH PLAIN =\r\n", "CMD AUTH mech=\"PLAIN\" ir=\"=\"\n"},
	{"AUTH SCRAM-SHA-256\r\n", "CMD AUTH mech=\"SCRAM-SHA-256\"\n"},
	{"AUTH\r\n", USAGE("AUTH", "AUTH mechanism [initial-response]")},
	{"AUTH PL@IN\r\n", USAGE("AUTH", "AUTH mechanism [initial-response]")},
	{"AUTH PLAIN a b\r\n", USAGE("AUTH", "AUTH mechanism [initial-response]")},
	{"AUTH ABCDEFGHIJKLMNOPQRSTU\r\n", USAGE("AUTH", "AUTH mechanism [initial-response]")},
	{"AUTH PLAIN abc\r\n",
	 "ERR 501 5.5.2 \"Cannot Base64-decode Client responses\" kind=BAD_BASE64 verb=AUTH\n"},
	{"AUTH PLAIN ab=c\r\n",
	 "ERR 501 5.5.2 \"Cannot Base64-decode Client responses\" kind=BAD_BASE64 verb=AUTH\n"},
	/* unknown, empty, forbidden, bad bytes */
	{"XYZZY\r\n", UNKNOWN},
	{"MAILFROM:<a@b.example>\r\n", UNKNOWN},
	{"\r\n", "ERR 500 5.5.2 \"Syntax error, empty command\" kind=EMPTY verb=NONE\n"},
	{"\n", "ERR 500 5.5.2 \"Syntax error, empty command\" kind=EMPTY verb=NONE\n"},
	{"GET / HTTP/1.1\r\n", FORBIDDEN},
	{"post /form HTTP/1.0\r\n", FORBIDDEN},
	{"CONNECT mx.example:25 HTTP/1.1\r\n", FORBIDDEN},
	{" EHLO x.example\r\n", FORBIDDEN},
	{"\x16\x03\x01\x02\r\n", FORBIDDEN},
	{"EHLO a\x01" "b\r\n", BAD_CHAR},
	{"EHLO \xff\r\n", BAD_CHAR},
	{"NOOP a\rb\r\n", BAD_CHAR},
	{"EHLO x\r\r\n", BAD_CHAR},
};

/* Parses in[0..len) with the parser alone (no mode switches), fed whole or byte by byte,
 * rendering every result and then the count of unparsed bytes. */
static void parse_all(const char *in, size_t len, bool bytewise, struct pb_buf *out)
{
	struct smtp_parser *p = smtp_parser_create();
	struct smtp_cmd cmd;
	const void *pend;
	size_t plen;
	int ret;

	for (size_t pos = 0; pos < len;) {
		size_t n = bytewise ? 1 : len;
		REQUIRE(smtp_parser_feed(p, in + pos, n) == 0);
		pos += n;
		while ((ret = smtp_parser_next(p, &cmd)) != 0)
			smtp_test_render_cmd(out, ret, &cmd);
	}
	smtp_parser_pending(p, &pend, &plen);
	pb_buf_printf(out, "pending=%zu\n", plen);
	smtp_parser_destroy(&p);
}

/* Runs one input fed whole, then byte by byte; both must render as expected. */
static void check_input(const char *in, size_t len, const char *expected)
{
	struct pb_buf whole, bytes;

	pb_buf_init(&whole);
	pb_buf_init(&bytes);
	parse_all(in, len, false, &whole);
	parse_all(in, len, true, &bytes);
	if (whole.data == NULL || strcmp(whole.data, expected) != 0)
		fprintf(stderr, "  input: %s", in);
	CHECK_STR(whole.data, expected);
	CHECK_STR(bytes.data, expected);
	pb_buf_deinit(&whole);
	pb_buf_deinit(&bytes);
}

static size_t case_len(const struct line_case *c)
{
	return strlen(c->in);
}

/* A NUL byte inside a command line. */
static void test_nul_in_line(void)
{
	check_input("NOOP a\0b\r\nNOOP\r\n", 16, BAD_CHAR "CMD NOOP\npending=0\n");
}

static void test_line_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(line_cases); i++) {
		const struct line_case *c = &line_cases[i];
		char *expected = xasprintf("%spending=0\n", c->expected);
		check_input(c->in, case_len(c), expected);
		free(expected);
	}
}

/* Every case of the table pipelined in one stream gives the concatenated results, however
 * the stream is cut. DATA and BDAT cases are left out (they switch modes). */
static void test_pipelined_table(void)
{
	struct pb_buf in, expected, got;
	uint64_t seed = 0x9e3779b97f4a7c15u;

	pb_buf_init(&in);
	pb_buf_init(&expected);
	pb_buf_init(&got);
	for (size_t i = 0; i < PB_N_ELEMENTS(line_cases); i++) {
		const struct line_case *c = &line_cases[i];
		if (strncmp(c->expected, "CMD DATA", 8) == 0 || strncmp(c->expected, "CMD BDAT", 8) == 0 ||
		    (strncmp(c->expected, "CMD AUTH", 8) == 0 && strstr(c->expected, "ir=") == NULL))
			continue;
		pb_buf_append(&in, c->in, case_len(c));
		pb_buf_append_str(&expected, c->expected);
	}
	pb_buf_append_str(&expected, "EOF mode=COMMAND pending=0\n");
	smtp_test_transcript(in.data, in.len, 0, NULL, NULL, &got);
	CHECK_STR(got.data, expected.data);
	for (int round = 0; round < 5; round++) {
		pb_buf_reset(&got);
		smtp_test_transcript(in.data, in.len, 0, pb_test_chunk_random, &seed, &got);
		CHECK_STR(got.data, expected.data);
	}
	pb_buf_reset(&got);
	smtp_test_transcript(in.data, in.len, 0, pb_test_chunk_bytes, NULL, &got);
	CHECK_STR(got.data, expected.data);
	pb_buf_deinit(&in);
	pb_buf_deinit(&expected);
	pb_buf_deinit(&got);
}

/* Field-level checks of one MAIL command, not through the renderer. */
static void test_mail_fields(void)
{
	struct smtp_parser *p = smtp_parser_create();
	struct smtp_cmd cmd;
	const char *line = "MAIL FROM:<\"J D\"@Mail.Example> SIZE=42 BODY=8BITMIME SMTPUTF8 "
			   "RET=FULL ENVID=id1 AUTH=a+40b\r\n";

	REQUIRE(smtp_parser_feed(p, line, strlen(line)) == 0);
	CHECK_INT(smtp_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.verb, SMTP_VERB_MAIL);
	CHECK_STR(cmd.verb_text, "MAIL");
	CHECK_STR(cmd.path, "\"J D\"@Mail.Example");
	CHECK_STR(cmd.addr.local, "J D");
	CHECK_STR(cmd.addr.domain, "mail.example");
	CHECK(cmd.addr.needs_quotes);
	CHECK(!cmd.path_utf8 && !cmd.path_bare);
	CHECK(cmd.has_size);
	CHECK_INT(cmd.size, 42);
	CHECK_INT(cmd.body, SMTP_BODY_8BITMIME);
	CHECK(cmd.smtputf8);
	CHECK_INT(cmd.ret, SMTP_RET_FULL);
	CHECK_STR(cmd.envid, "id1");
	CHECK_STR(cmd.auth, "a+40b");
	CHECK_INT(cmd.notify, 0);
	CHECK(cmd.orcpt == NULL);
	CHECK_INT(smtp_parser_next(p, &cmd), 0);
	smtp_parser_destroy(&p);
	CHECK(p == NULL);
}

static void test_reply_constants(void)
{
	CHECK_INT(smtp_reply_need_smtputf8.code, 553);
	CHECK_STR(smtp_reply_need_smtputf8.enhanced, "5.6.7");
	CHECK_INT(smtp_reply_auth_line_too_long.code, 500);
	CHECK_STR(smtp_reply_auth_line_too_long.enhanced, "5.5.6");
	CHECK_STR(smtp_verb_name(SMTP_VERB_STARTTLS), "STARTTLS");
	CHECK_STR(smtp_verb_name(SMTP_VERB_UNKNOWN), "UNKNOWN");
	CHECK_STR(smtp_verb_name(SMTP_VERB_NONE), "NONE");
}

/* A "NOOP xxx...x" line of exactly total octets with the given terminator. */
static char *noop_line(size_t total, const char *term)
{
	size_t tlen = strlen(term);
	char *s = xmalloc(total + 1);

	memcpy(s, "NOOP ", 5);
	memset(s + 5, 'x', total - 5 - tlen);
	memcpy(s + total - tlen, term, tlen);
	s[total] = '\0';
	return s;
}

static void test_line_limit(void)
{
	struct smtp_parser *p = smtp_parser_create();
	struct smtp_cmd cmd;
	char *ok_crlf = noop_line(SMTP_LINE_MAX, "\r\n");
	char *ok_lf = noop_line(SMTP_LINE_MAX, "\n");
	char *long_crlf = noop_line(SMTP_LINE_MAX + 1, "\r\n");
	char *long_lf = noop_line(SMTP_LINE_MAX + 1, "\n");

	smtp_parser_feed(p, ok_crlf, strlen(ok_crlf));
	CHECK_INT(smtp_parser_next(p, &cmd), 1);
	CHECK_INT(strlen(cmd.arg), SMTP_LINE_MAX - 7);
	smtp_parser_feed(p, ok_lf, strlen(ok_lf));
	CHECK_INT(smtp_parser_next(p, &cmd), 1);
	CHECK_INT(strlen(cmd.arg), SMTP_LINE_MAX - 6);
	smtp_parser_feed(p, long_crlf, strlen(long_crlf));
	smtp_parser_feed(p, long_lf, strlen(long_lf));
	smtp_parser_feed(p, "QUIT\r\n", 6);
	CHECK_INT(smtp_parser_next(p, &cmd), -1);
	CHECK_INT(cmd.error_kind, SMTP_PARSE_LINE_TOO_LONG);
	CHECK_INT(cmd.error.code, 500);
	CHECK_STR(cmd.error.enhanced, "5.5.6");
	CHECK_STR(cmd.error.text, "Line too long");
	CHECK(!cmd.error.close);
	CHECK_INT(smtp_parser_next(p, &cmd), -1);
	CHECK_INT(cmd.error_kind, SMTP_PARSE_LINE_TOO_LONG);
	CHECK_INT(smtp_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.verb, SMTP_VERB_QUIT);
	CHECK_INT(smtp_parser_next(p, &cmd), 0);
	free(ok_crlf);
	free(ok_lf);
	free(long_crlf);
	free(long_lf);
	smtp_parser_destroy(&p);
}

/* A 10 MB line fed in 4 KB reads: reported once at its end; the parser never buffers more
 * than a read plus one line, and the unparsed bytes stay bounded. */
static void test_huge_line_bounded(void)
{
	struct smtp_parser *p = smtp_parser_create();
	struct smtp_cmd cmd;
	char chunk[4096];
	int errors = 0, ready = 0;
	const void *pend;
	size_t plen, max_pending = 0;

	memset(chunk, 'A', sizeof(chunk));
	for (size_t sent = 0; sent < 10u << 20; sent += sizeof(chunk)) {
		REQUIRE(smtp_parser_feed(p, chunk, sizeof(chunk)) == 0);
		int ret;
		while ((ret = smtp_parser_next(p, &cmd)) != 0)
			ret < 0 ? errors++ : ready++;
		smtp_parser_pending(p, &pend, &plen);
		if (plen > max_pending)
			max_pending = plen;
	}
	CHECK_INT(errors, 0);
	CHECK(max_pending < SMTP_LINE_MAX);
	smtp_parser_feed(p, "\r\nRSET\r\n", 8);
	CHECK_INT(smtp_parser_next(p, &cmd), -1);
	CHECK_INT(cmd.error_kind, SMTP_PARSE_LINE_TOO_LONG);
	CHECK_INT(smtp_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.verb, SMTP_VERB_RSET);
	CHECK_INT(ready, 0);
	smtp_parser_destroy(&p);
}

static void test_feed_limit(void)
{
	struct smtp_parser *p = smtp_parser_create();
	char *big = xcalloc(1, SMTP_PARSER_INPUT_MAX + 1);
	const void *pend;
	size_t plen;

	CHECK_INT(smtp_parser_feed(p, big, SMTP_PARSER_INPUT_MAX + 1), -1);
	smtp_parser_pending(p, &pend, &plen);
	CHECK_INT(plen, 0);
	CHECK_INT(smtp_parser_feed(p, big, SMTP_PARSER_INPUT_MAX - 1), 0);
	CHECK_INT(smtp_parser_feed(p, big, 2), -1);
	CHECK_INT(smtp_parser_feed(p, big, 1), 0);
	smtp_parser_pending(p, &pend, &plen);
	CHECK_INT(plen, SMTP_PARSER_INPUT_MAX);
	smtp_parser_discard_pending(p);
	smtp_parser_pending(p, &pend, &plen);
	CHECK_INT(plen, 0);
	free(big);
	smtp_parser_destroy(&p);
}

/* After DATA and BDAT, the pending bytes start exactly after the command line. */
static void test_pending_after_data(void)
{
	struct smtp_parser *p = smtp_parser_create();
	struct smtp_cmd cmd;
	const char *in = "RCPT TO:<a@b.example>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n";
	const void *pend;
	size_t plen;

	smtp_parser_feed(p, in, strlen(in));
	CHECK_INT(smtp_parser_next(p, &cmd), 1);
	CHECK_INT(smtp_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.verb, SMTP_VERB_DATA);
	smtp_parser_pending(p, &pend, &plen);
	REQUIRE(plen == strlen(in) - 29);
	CHECK(memcmp(pend, "Subject: x\r\n", 12) == 0);
	smtp_parser_consume(p, plen - 6);
	CHECK_INT(smtp_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.verb, SMTP_VERB_QUIT);
	CHECK_INT(smtp_parser_next(p, &cmd), 0);
	/* BDAT with its chunk in the same read */
	smtp_parser_feed(p, "BDAT 4 LAST\r\nab\r\nNOOP\r\n", 23);
	CHECK_INT(smtp_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.chunk_size, 4);
	smtp_parser_pending(p, &pend, &plen);
	REQUIRE(plen == 10);
	CHECK(memcmp(pend, "ab\r\nNOOP\r\n", 10) == 0);
	smtp_parser_consume(p, 4);
	CHECK_INT(smtp_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.verb, SMTP_VERB_NOOP);
	smtp_parser_destroy(&p);
}

/* STARTTLS: plaintext pipelined behind it is thrown away (CVE-2011-0411). */
static void test_starttls_discard(void)
{
	struct smtp_parser *p = smtp_parser_create();
	struct smtp_cmd cmd;
	const char *in = "STARTTLS\r\nRSET\r\nMAIL FROM:<evil@x.example>\r\npartial";

	smtp_parser_feed(p, in, strlen(in));
	CHECK_INT(smtp_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.verb, SMTP_VERB_STARTTLS);
	smtp_parser_discard_pending(p);
	CHECK_INT(smtp_parser_next(p, &cmd), 0);
	smtp_parser_feed(p, "EHLO c.example\r\n", 16);
	CHECK_INT(smtp_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.verb, SMTP_VERB_EHLO);
	smtp_parser_destroy(&p);
}

/* A line with credentials is wiped from memory once the next call begins. */
static void test_wipe(void)
{
	struct smtp_parser *p = smtp_parser_create();
	struct smtp_cmd cmd;
	const char *in = "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nNOOP\r\n";

	smtp_parser_feed(p, in, strlen(in));
	CHECK_INT(smtp_parser_next(p, &cmd), 1);
	const char *ir = cmd.initial_response;
	const char *mech = cmd.mechanism;
	CHECK_STR(ir, "AGFsaWNlAHNlY3JldA==");
	CHECK_INT(smtp_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.verb, SMTP_VERB_NOOP);
	/* The buffer was not reallocated or compacted between the calls (no feed), so the old
	 * pointers still point into it, at zeros now. */
	for (size_t i = 0; i < 20; i++)
		CHECK(ir[i] == '\0');
	CHECK(mech[0] == '\0');
	smtp_parser_destroy(&p);
}

static void test_auth_lines(void)
{
	struct smtp_parser *p = smtp_parser_create();
	const char *line;
	size_t len;
	size_t big = SMTP_AUTH_LINE_MAX - 2;
	char *s = xmalloc(big + 3);

	memset(s, 'Q', big);
	memcpy(s + big, "\r\n", 3);
	smtp_parser_feed(p, "dXNlcg==\r\n", 10);
	CHECK_INT(smtp_parser_next_line(p, &line, &len), 1);
	CHECK_STR(line, "dXNlcg==");
	CHECK_INT(len, 8);
	CHECK_INT(smtp_parser_next_line(p, &line, &len), 0);
	smtp_parser_feed(p, s, big + 2);
	CHECK_INT(smtp_parser_next_line(p, &line, &len), 1);
	CHECK_INT(len, big);
	smtp_parser_feed(p, "Q", 1);
	smtp_parser_feed(p, s, big + 2);
	CHECK_INT(smtp_parser_next_line(p, &line, &len), -1);
	smtp_parser_feed(p, "*\r\n", 3);
	CHECK_INT(smtp_parser_next_line(p, &line, &len), 1);
	CHECK_STR(line, "*");
	free(s);
	smtp_parser_destroy(&p);
}

static const struct pb_test_case cases[] = {
	{"line_table", test_line_table},
	{"nul_in_line", test_nul_in_line},
	{"pipelined_table", test_pipelined_table},
	{"mail_fields", test_mail_fields},
	{"reply_constants", test_reply_constants},
	{"line_limit", test_line_limit},
	{"huge_line_bounded", test_huge_line_bounded},
	{"feed_limit", test_feed_limit},
	{"pending_after_data", test_pending_after_data},
	{"starttls_discard", test_starttls_discard},
	{"wipe", test_wipe},
	{"auth_lines", test_auth_lines},
};

PB_TEST_MAIN(cases)
