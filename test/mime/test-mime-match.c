/*
 * test-mime-match.c: DOS wildcards and /regex/flags as the reference guide (sections 3.2
 * and 3.3) defines them; the guide's own wildcard table on "abracadabra" comes first.
 * OWNS nothing. THREAD: main only.
 */
#include "mime-match.h"
#include "pb-buf.h"
#include "pb-test.h"

static int match(const char *pattern, const char *text)
{
	struct mime_match *m = NULL;
	const char *error = NULL;
	int ret;

	if (mime_match_compile(pattern, &m, &error) < 0) {
		fprintf(stderr, "  compile %s: %s\n", pattern, error);
		return -2;
	}
	ret = mime_match_run(m, text, strlen(text), &error);
	mime_match_free(&m);
	CHECK(m == NULL);
	return ret;
}

/* Reference guide 3.2, given the word "abracadabra". */
static const struct {
	const char *pattern;
	int matches;
} guide_table[] = {
	{ "cad", 0 },
	{ "*cad*", 1 },
	{ "abra*", 1 },
	{ "*abra", 1 },
	{ "abracadabra*", 1 },
	{ "abra*abra", 1 },
	{ "abra???abra", 1 },
	{ "abracadabr?", 1 },
	{ "abracadabra?", 0 },
};

static void test_guide_wildcards(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(guide_table); i++) {
		int got = match(guide_table[i].pattern, "abracadabra");
		if (got != guide_table[i].matches)
			fprintf(stderr, "  pattern %s\n", guide_table[i].pattern);
		CHECK_INT(got, guide_table[i].matches);
	}
}

static void test_wildcards(void)
{
	CHECK_INT(match("ABRA*", "abracadabra"), 1);        /* case-insensitive */
	CHECK_INT(match("*cad*", "ABRACADABRA"), 1);
	CHECK_INT(match("mark*@mydomain.com", "Mark.Smith@MyDomain.com"), 1);
	CHECK_INT(match("mark*@mydomain.com", "mark@otherdomain.com"), 0);
	CHECK_INT(match("*", ""), 1);
	CHECK_INT(match("**", "x"), 1);
	CHECK_INT(match("", ""), 1);
	CHECK_INT(match("", "x"), 0);
	CHECK_INT(match("?", ""), 0);                       /* not a missing character */
	CHECK_INT(match("caf?", "caf\xC3\xA9"), 1);         /* ? is one character, not octet */
	CHECK_INT(match("caf??", "caf\xC3\xA9"), 0);
	CHECK_INT(match("*\xC3\x89T\xC3\x89*", "un \xC3\xA9t\xC3\xA9 chaud"), 1); /* ÉTÉ ~ été */
	CHECK_INT(match("\xD0\x9F\xD0\xA0\xD0\x98*", "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"), 1);
	CHECK_INT(match("a?c", "a\xFF" "c"), 1);             /* an invalid octet is one char */
	CHECK_INT(match("*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0);
	CHECK_INT(match("/path/x*", "/path/xyz"), 1);       /* tail is not flags: a wildcard */
	CHECK_INT(match("/x/q", "/x/q"), 1);
	CHECK_INT(match("/", "/"), 1);
}

static void test_regex(void)
{
	CHECK_INT(match("/cad/", "abracadabra"), 1);   /* not anchored */
	CHECK_INT(match("/^cad/", "abracadabra"), 0);
	CHECK_INT(match("/^abra/", "abracadabra"), 1);
	CHECK_INT(match("/bra$/", "abracadabra"), 1);
	CHECK_INT(match("/CAD/", "abracadabra"), 0);   /* case-sensitive by default */
	CHECK_INT(match("/CAD/i", "abracadabra"), 1);
	CHECK_INT(match("/1\\+2=3/", "is 1+2=3?"), 1);
	CHECK_INT(match("/a.b/", "a\nb"), 0);
	CHECK_INT(match("/a.b/s", "a\nb"), 1);
	CHECK_INT(match("/^b/", "a\nb"), 0);
	CHECK_INT(match("/^b/m", "a\nb"), 1);
	CHECK_INT(match("/^B/mi", "a\nb"), 1);
	CHECK_INT(match("/there is a (cat|dog) over there./", "there is a dog over there!"), 1);
	CHECK_INT(match("/(cat)+/", "tac"), 0);
	CHECK_INT(match("/^a{5}$/", "aaaaa"), 1);
	CHECK_INT(match("/^a{2,4}$/", "aaaaa"), 0);
	CHECK_INT(match("/^a{,2}x$/", "aax"), 1);      /* the guide's {,n} = {0,n} */
	CHECK_INT(match("/^a{,2}x$/", "x"), 1);
	CHECK_INT(match("/^a{,2}x$/", "aaax"), 0);
	CHECK_INT(match("/[{,2}]/", ","), 1);          /* inside a class it stays literal */
	CHECK_INT(match("/\\Q{,2}\\E/", "{,2}"), 1);
	/* the guide writes "[[]]" for "[ or ]"; in PCRE the ] must be escaped, as it also says */
	CHECK_INT(match("/[[\\]]/", "]"), 1);
	CHECK_INT(match("/[[\\]]/", "["), 1);
	CHECK_INT(match("/^[+*\\/-]$/", "-"), 1);
	CHECK_INT(match("/caf/", "caf\xE9"), 1);       /* invalid UTF-8 text is tolerated */
	CHECK_INT(match("/caf./", "caf\xC3\xA9"), 1);
	CHECK_INT(match("/\\bword\\b/", "a word here"), 1);
	CHECK_INT(match("/a/b/", "xa/by"), 1);         /* flags follow the last slash */
}

static void test_regex_errors_and_limits(void)
{
	struct mime_match *m = NULL;
	const char *error = NULL;
	struct pb_buf big;

	CHECK_INT(mime_match_compile("/(/", &m, &error), -1);
	CHECK(m == NULL);
	CHECK(error != NULL && strstr(error, "offset") != NULL);
	CHECK_INT(mime_match_compile("/\xff/", &m, &error), -1);

	pb_buf_init(&big);
	for (int i = 0; i < MIME_MATCH_PATTERN_MAX; i++)
		pb_buf_append_c(&big, 'a');
	CHECK_INT(mime_match_compile(big.data, &m, &error), 0);
	mime_match_free(&m);
	pb_buf_append_c(&big, 'a');
	CHECK_INT(mime_match_compile(big.data, &m, &error), -1);
	pb_buf_deinit(&big);

	/* catastrophic backtracking stops at the match limit */
	CHECK_INT(mime_match_compile("/^(a+)+$/", &m, &error), 0);
	const char *text = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
	error = NULL;
	CHECK_INT(mime_match_run(m, text, strlen(text), &error), -1);
	CHECK(error != NULL && strstr(error, "limit") != NULL);
	CHECK_INT(mime_match_run(m, "aaaa", 4, &error), 1);
	mime_match_free(&m);
	mime_match_free(&m); /* NULL is fine */

	/* a wildcard that would take text * pattern steps stops at its step limit */
	pb_buf_init(&big);
	pb_buf_append_c(&big, '*');
	for (int i = 0; i < 2000; i++)
		pb_buf_append_c(&big, 'a');
	pb_buf_append_str(&big, "b*");
	CHECK_INT(mime_match_compile(big.data, &m, &error), 0);
	pb_buf_reset(&big);
	for (int i = 0; i < 100000; i++)
		pb_buf_append_c(&big, 'a');
	error = NULL;
	CHECK_INT(mime_match_run(m, big.data, big.len, &error), -1);
	CHECK(error != NULL && strstr(error, "limit") != NULL);
	CHECK_INT(mime_match_run(m, big.data, 3000, &error), 0);
	mime_match_free(&m);
	pb_buf_deinit(&big);
}

static void test_is_regex(void)
{
	CHECK(mime_match_is_regex("/x/"));
	CHECK(mime_match_is_regex("/x/ims"));
	CHECK(mime_match_is_regex("//"));
	CHECK(!mime_match_is_regex("/"));
	CHECK(!mime_match_is_regex("/x"));
	CHECK(!mime_match_is_regex("/x/q"));
	CHECK(!mime_match_is_regex("x/y/"));
	CHECK(!mime_match_is_regex("*.example.com"));
}

static const struct pb_test_case tests[] = {
	{ "guide_wildcards", test_guide_wildcards },
	{ "wildcards", test_wildcards },
	{ "regex", test_regex },
	{ "regex_errors_and_limits", test_regex_errors_and_limits },
	{ "is_regex", test_is_regex },
};

PB_TEST_MAIN(tests)
