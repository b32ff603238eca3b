/*
 * test-pop3-parser.c: the POP3 command parser: a table of commands and errors (fed whole
 * and byte by byte), pipelining in random reads, the 255-octet limit, AUTH lines, STLS
 * discarding, the feed limit and the wiping of PASS lines.
 */
#include "pb-test.h"
#include "pop3-parser.h"
#include "pop3-test-util.h"

struct line_case {
	const char *in;
	const char *expected;
};

#define BAD_NUM(verb) "ERR \"invalid message number\" verb=" verb "\n"
#define USAGE(verb, text) "ERR \"syntax: " text "\" verb=" verb "\n"
#define UNKNOWN "ERR \"unknown command\" verb=UNKNOWN\n"

static const struct line_case line_cases[] = {
	{"USER alice\r\n", "CMD USER arg=\"alice\"\n"},
	{"user Alice@Example.com  \r\n", "CMD USER arg=\"Alice@Example.com\"\n"},
	{"USER\r\n", USAGE("USER", "USER name")},
	{"USER   \r\n", USAGE("USER", "USER name")},
	{"PASS secret\r\n", "CMD PASS arg=\"secret\"\n"},
	{"PASS  two  spaces \r\n", "CMD PASS arg=\" two  spaces \"\n"},
	{"pass p\xc3\xa4ss\tword\r\n", "CMD PASS arg=\"p\\xc3\\xa4ss\\tword\"\n"},
	{"PASS\r\n", USAGE("PASS", "PASS password")},
	{"PASS \r\n", USAGE("PASS", "PASS password")},
	{"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
	 "CMD APOP arg=\"mrose\" arg2=\"c4c9334bac560ecc979e58001b3e22fb\"\n"},
	{"APOP mrose C4C9334BAC560ECC979E58001B3E22FB\r\n",
	 "CMD APOP arg=\"mrose\" arg2=\"c4c9334bac560ecc979e58001b3e22fb\"\n"},
	{"APOP mrose c4c9334bac560ecc979e58001b3e22f\r\n", USAGE("APOP", "APOP name digest")},
	{"APOP mrose c4c9334bac560ecc979e58001b3e22fx\r\n", USAGE("APOP", "APOP name digest")},
	{"APOP mrose\r\n", USAGE("APOP", "APOP name digest")},
	{"STAT\r\n", "CMD STAT\n"},
	{"stat\n", "CMD STAT\n"},
	{"STAT 1\r\n", USAGE("STAT", "STAT")},
	{"LIST\r\n", "CMD LIST\n"},
	{"LIST 1\r\n", "CMD LIST msg=1\n"},
	{"LIST 007\r\n", "CMD LIST msg=7\n"},
	{"LIST 2147483647\r\n", "CMD LIST msg=2147483647\n"},
	{"LIST 2147483648\r\n", BAD_NUM("LIST")},
	{"LIST 99999999999999999999999\r\n", BAD_NUM("LIST")},
	{"LIST 0\r\n", BAD_NUM("LIST")},
	{"LIST -1\r\n", BAD_NUM("LIST")},
	{"LIST +1\r\n", BAD_NUM("LIST")},
	{"LIST 1x\r\n", BAD_NUM("LIST")},
	{"LIST 1 2\r\n", USAGE("LIST", "LIST [msg]")},
	{"UIDL\r\n", "CMD UIDL\n"},
	{"UIDL 12\r\n", "CMD UIDL msg=12\n"},
	{"UIDL a\r\n", BAD_NUM("UIDL")},
	{"RETR 1\r\n", "CMD RETR msg=1\n"},
	{"RETR  3 \r\n", "CMD RETR msg=3\n"},
	{"RETR\r\n", USAGE("RETR", "RETR msg")},
	{"RETR 0\r\n", BAD_NUM("RETR")},
	{"RETR 1 2\r\n", USAGE("RETR", "RETR msg")},
	{"TOP 1 10\r\n", "CMD TOP msg=1 lines=10\n"},
	{"TOP 1 0\r\n", "CMD TOP msg=1 lines=0\n"},
	{"top 4\t2147483647\r\n", "CMD TOP msg=4 lines=2147483647\n"},
	{"TOP 1\r\n", USAGE("TOP", "TOP msg lines")},
	{"TOP 1 2 3\r\n", USAGE("TOP", "TOP msg lines")},
	{"TOP 0 1\r\n", BAD_NUM("TOP")},
	{"TOP 1 -1\r\n", "ERR \"invalid number of lines\" verb=TOP\n"},
	/* Any larger count means the whole message (RFC 1939 allows any non-negative n). */
	{"TOP 1 2147483648\r\n", "CMD TOP msg=1 lines=2147483647\n"},
	{"TOP 1 4294967296\r\n", "CMD TOP msg=1 lines=2147483647\n"},
	{"TOP 1 99999999999999999999999999999999\r\n", "CMD TOP msg=1 lines=2147483647\n"},
	{"TOP 1 1x\r\n", "ERR \"invalid number of lines\" verb=TOP\n"},
	{"TOP 1 99999999999999999999x\r\n", "ERR \"invalid number of lines\" verb=TOP\n"},
	{"TOP 2147483648 1\r\n", BAD_NUM("TOP")},
	{"DELE 5\r\n", "CMD DELE msg=5\n"},
	{"DELE\r\n", USAGE("DELE", "DELE msg")},
	{"DELE five\r\n", BAD_NUM("DELE")},
	{"RSET\r\n", "CMD RSET\n"},
	{"NOOP\r\n", "CMD NOOP\n"},
	{"NOOP x\r\n", USAGE("NOOP", "NOOP")},
	{"QUIT\r\n", "CMD QUIT\n"},
	{"QUIT \r\n", "CMD QUIT\n"},
	{"CAPA\r\n", "CMD CAPA\n"},
	{"STLS\r\n", "CMD STLS\n"},
	{"STLS now\r\n", USAGE("STLS", "STLS")},
	{"AUTH\r\n", "CMD AUTH\n"},
	{"AUTH plain\r\n", "CMD AUTH arg=\"PLAIN\"\n"},
	{"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n",
	 "CMD AUTH arg=\"PLAIN\" arg2=\"AGFsaWNlAHNlY3JldA==\"\n"},
	{"AUTH PLAIN =\r\n", "CMD AUTH arg=\"PLAIN\" arg2=\"=\"\n"},
	{"AUTH PLAIN a*b\r\n", "ERR \"invalid base64 in initial response\" verb=AUTH\n"},
	{"AUTH PL@IN\r\n", USAGE("AUTH", "AUTH [mechanism [initial-response]]")},
	{"AUTH PLAIN a b\r\n", USAGE("AUTH", "AUTH [mechanism [initial-response]]")},
	{"XTND XMIT\r\n", UNKNOWN},
	{"RETR1\r\n", UNKNOWN},
	{" RETR 1\r\n", "ERR \"unknown command\" verb=NONE\n"},
	{"\r\n", "ERR \"unknown command\" verb=NONE\n"},
	{"USER a\x01" "b\r\n", "ERR \"invalid characters in command\" verb=NONE\n"},
	{"USER a\rb\r\n", "ERR \"invalid characters in command\" verb=NONE\n"},
};

/* Parses with the parser alone, fed whole or byte by byte; renders every result. */
static void parse_all(const char *in, size_t len, bool bytewise, struct pb_buf *out)
{
	struct pop3_parser *p = pop3_parser_create();
	struct pop3_cmd cmd;
	const void *pend;
	size_t plen;
	int ret;

	for (size_t pos = 0; pos < len;) {
		size_t n = bytewise ? 1 : len;
		REQUIRE(pop3_parser_feed(p, in + pos, n) == 0);
		pos += n;
		while ((ret = pop3_parser_next(p, &cmd)) != 0)
			pop3_test_render_cmd(out, ret, &cmd);
	}
	pop3_parser_pending(p, &pend, &plen);
	pb_buf_printf(out, "pending=%zu\n", plen);
	pop3_parser_destroy(&p);
}

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

static void test_line_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(line_cases); i++) {
		char *expected = xasprintf("%spending=0\n", line_cases[i].expected);
		check_input(line_cases[i].in, strlen(line_cases[i].in), expected);
		free(expected);
	}
}

static void test_nul_in_line(void)
{
	check_input("USER a\0b\r\nQUIT\r\n", 16,
		    "ERR \"invalid characters in command\" verb=NONE\nCMD QUIT\npending=0\n");
}

/* The whole table pipelined in one stream, cut in random reads, byte by byte or not at
 * all, gives the concatenated results. */
static void test_pipelined_table(void)
{
	struct pb_buf in, expected, got;
	uint64_t seed = 0x853c49e6748fea9bu;

	pb_buf_init(&in);
	pb_buf_init(&expected);
	pb_buf_init(&got);
	for (size_t i = 0; i < PB_N_ELEMENTS(line_cases); i++) {
		const struct line_case *c = &line_cases[i];
		if (strncmp(c->expected, "CMD AUTH arg=", 13) == 0 && strstr(c->expected, "arg2") == NULL)
			continue; /* the model would read the next line as a SASL response */
		pb_buf_append_str(&in, c->in);
		pb_buf_append_str(&expected, c->expected);
	}
	pb_buf_append_str(&expected, "EOF pending=0\n");
	for (int round = 0; round < 7; round++) {
		pb_buf_reset(&got);
		pop3_test_transcript(in.data, in.len,
				     round == 0 ? NULL : round == 1 ? pb_test_chunk_bytes
								    : pb_test_chunk_random,
				     &seed, &got);
		CHECK_STR(got.data, expected.data);
	}
	pb_buf_deinit(&in);
	pb_buf_deinit(&expected);
	pb_buf_deinit(&got);
}

static char *line_of(size_t total, const char *verb, const char *term)
{
	char *s = xmalloc(total + 1);
	size_t vlen = strlen(verb), tlen = strlen(term);

	memcpy(s, verb, vlen);
	memset(s + vlen, 'p', total - vlen - tlen);
	memcpy(s + total - tlen, term, tlen);
	s[total] = '\0';
	return s;
}

static void test_line_limit(void)
{
	struct pop3_parser *p = pop3_parser_create();
	struct pop3_cmd cmd;
	char *ok = line_of(POP3_LINE_MAX, "PASS ", "\r\n");
	char *ok_lf = line_of(POP3_LINE_MAX, "PASS ", "\n");
	char *too_long = line_of(POP3_LINE_MAX + 1, "PASS ", "\r\n");
	char *huge = line_of(100000, "USER ", "\n");

	pop3_parser_feed(p, ok, strlen(ok));
	pop3_parser_feed(p, ok_lf, strlen(ok_lf));
	pop3_parser_feed(p, too_long, strlen(too_long));
	pop3_parser_feed(p, huge, strlen(huge));
	pop3_parser_feed(p, "QUIT\r\n", 6);
	CHECK_INT(pop3_parser_next(p, &cmd), 1);
	CHECK_INT(strlen(cmd.arg), POP3_LINE_MAX - 7);
	CHECK_INT(pop3_parser_next(p, &cmd), 1);
	CHECK_INT(strlen(cmd.arg), POP3_LINE_MAX - 6);
	CHECK_INT(pop3_parser_next(p, &cmd), -1);
	CHECK_STR(cmd.error, "line too long");
	CHECK_INT(cmd.verb, POP3_VERB_NONE);
	CHECK_INT(pop3_parser_next(p, &cmd), -1);
	CHECK_STR(cmd.error, "line too long");
	CHECK_INT(pop3_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.verb, POP3_VERB_QUIT);
	CHECK_INT(pop3_parser_next(p, &cmd), 0);
	free(ok);
	free(ok_lf);
	free(too_long);
	free(huge);
	pop3_parser_destroy(&p);
}

/* A never-ending line in small reads: memory stays bounded, nothing is reported until
 * its LF comes. */
static void test_huge_line_bounded(void)
{
	struct pop3_parser *p = pop3_parser_create();
	struct pop3_cmd cmd;
	char chunk[1000];
	const void *pend;
	size_t plen, max_pending = 0;
	int results = 0;

	memset(chunk, 'z', sizeof(chunk));
	for (int i = 0; i < 5000; i++) {
		REQUIRE(pop3_parser_feed(p, chunk, sizeof(chunk)) == 0);
		while (pop3_parser_next(p, &cmd) != 0)
			results++;
		pop3_parser_pending(p, &pend, &plen);
		if (plen > max_pending)
			max_pending = plen;
	}
	CHECK_INT(results, 0);
	CHECK(max_pending < POP3_LINE_MAX);
	pop3_parser_feed(p, "\nNOOP\r\n", 7);
	CHECK_INT(pop3_parser_next(p, &cmd), -1);
	CHECK_INT(pop3_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.verb, POP3_VERB_NOOP);
	pop3_parser_destroy(&p);
}

static void test_auth_lines(void)
{
	struct pb_buf got;
	const char *in = "AUTH PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\nAUTH LOGIN\r\n*\r\nAUTH\r\nQUIT\r\n";

	pb_buf_init(&got);
	pop3_test_transcript(in, strlen(in), pb_test_chunk_bytes, NULL, &got);
	CHECK_STR(got.data, "CMD AUTH arg=\"PLAIN\"\n"
			    "AUTHLINE \"AGFsaWNlAHNlY3JldA==\"\n"
			    "CMD AUTH arg=\"LOGIN\"\n"
			    "AUTHLINE \"*\"\n"
			    "CMD AUTH\n"
			    "CMD QUIT\n"
			    "EOF pending=0\n");
	pb_buf_deinit(&got);

	struct pop3_parser *p = pop3_parser_create();
	const char *line;
	size_t len;
	char *big = line_of(POP3_AUTH_LINE_MAX, "", "\r\n");
	pop3_parser_feed(p, big, strlen(big));
	CHECK_INT(pop3_parser_next_line(p, &line, &len), 1);
	CHECK_INT(len, POP3_AUTH_LINE_MAX - 2);
	pop3_parser_feed(p, "p", 1);
	pop3_parser_feed(p, big, strlen(big));
	CHECK_INT(pop3_parser_next_line(p, &line, &len), -1);
	CHECK_INT(pop3_parser_next_line(p, &line, &len), 0);
	free(big);
	pop3_parser_destroy(&p);
}

/* STLS: what was pipelined behind it is discarded (RFC 2595 / CVE-2011-0411). */
static void test_stls_discard(void)
{
	struct pop3_parser *p = pop3_parser_create();
	struct pop3_cmd cmd;
	const char *in = "STLS\r\nUSER evil\r\nPASS x\r\nhalf";
	const void *pend;
	size_t plen;

	pop3_parser_feed(p, in, strlen(in));
	CHECK_INT(pop3_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.verb, POP3_VERB_STLS);
	pop3_parser_pending(p, &pend, &plen);
	CHECK_INT(plen, strlen(in) - 6);
	pop3_parser_discard_pending(p);
	CHECK_INT(pop3_parser_next(p, &cmd), 0);
	pop3_parser_feed(p, "CAPA\r\n", 6);
	CHECK_INT(pop3_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.verb, POP3_VERB_CAPA);
	pop3_parser_destroy(&p);
}

static void test_feed_limit(void)
{
	struct pop3_parser *p = pop3_parser_create();
	char *big = xcalloc(1, POP3_PARSER_INPUT_MAX + 1);

	CHECK_INT(pop3_parser_feed(p, big, POP3_PARSER_INPUT_MAX + 1), -1);
	CHECK_INT(pop3_parser_feed(p, big, POP3_PARSER_INPUT_MAX), 0);
	CHECK_INT(pop3_parser_feed(p, big, 1), -1);
	free(big);
	pop3_parser_destroy(&p);
}

/* The password is wiped from the parser's memory once the next call begins. */
static void test_wipe_pass(void)
{
	struct pop3_parser *p = pop3_parser_create();
	struct pop3_cmd cmd;

	pop3_parser_feed(p, "PASS hunter2\r\nSTAT\r\n", 20);
	CHECK_INT(pop3_parser_next(p, &cmd), 1);
	const char *pass = cmd.arg;
	CHECK_STR(pass, "hunter2");
	CHECK_INT(pop3_parser_next(p, &cmd), 1);
	CHECK_INT(cmd.verb, POP3_VERB_STAT);
	for (size_t i = 0; i < 7; i++)
		CHECK(pass[i] == '\0');
	pop3_parser_destroy(&p);
}

static void test_verb_names(void)
{
	CHECK_STR(pop3_verb_name(POP3_VERB_TOP), "TOP");
	CHECK_STR(pop3_verb_name(POP3_VERB_UNKNOWN), "UNKNOWN");
	CHECK_STR(pop3_verb_name(POP3_VERB_NONE), "NONE");
}

static const struct pb_test_case cases[] = {
	{"line_table", test_line_table},
	{"nul_in_line", test_nul_in_line},
	{"pipelined_table", test_pipelined_table},
	{"line_limit", test_line_limit},
	{"huge_line_bounded", test_huge_line_bounded},
	{"auth_lines", test_auth_lines},
	{"stls_discard", test_stls_discard},
	{"feed_limit", test_feed_limit},
	{"wipe_pass", test_wipe_pass},
	{"verb_names", test_verb_names},
};

PB_TEST_MAIN(cases)
