/*
 * test-mime-match.c: DOS wildcards and /regex/flags as the reference guide (sections 3.2
 * and 3.3) defines them; the guide's own wildcard table on "abracadabra" comes first, then
 * every regular expression example of 3.3 as a table.
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

/* Reference guide 3.3, every example it gives, then edge cases. "want" is 1 match, 0 not.
 * Where the guide and PCRE disagree, docs/mime.md:108-109 says PCRE's meaning applies and
 * the row asserts that ("doc:108"). */
static const struct {
	const char *pattern, *text;
	int want;
} regex_table[] = {
	/* "most characters will match themselves"; escaping a special character */
	{ "/cat/", "a cat here", 1 },
	{ "/cat/", "a cow here", 0 },
	{ "/1\\+2=3/", "is 1+2=3?", 1 },
	{ "/1\\+2=3/", "is 112=3?", 0 },
	{ "/1+2=3/", "is 1+2=3?", 0 },                 /* unescaped + repeats the 1 */
	{ "/CAD/", "abracadabra", 0 },                 /* "case sensitive by default!" */
	/* "." any character; the guide excepts space, CR, LF and tab, PCRE only LF (doc:108) */
	{ "/a.b/", "axb", 1 },
	{ "/a.b/", "a b", 1 },                         /* doc:108: . matches a space */
	{ "/a.b/", "a\tb", 1 },                        /* doc:108: and a tab */
	{ "/a.b/", "a\rb", 1 },                        /* doc:108: and a carriage return */
	{ "/a.b/", "a\nb", 0 },
	{ "/a.b/s", "a\nb", 1 },                       /* s: . matches a line feed too */
	{ "/a.b/", "ab", 0 },
	/* "?": a? matches "" or "a"; .? any character or none */
	{ "/^a?$/", "", 1 },
	{ "/^a?$/", "a", 1 },
	{ "/^a?$/", "aa", 0 },
	{ "/^.?$/", "", 1 },
	{ "/^.?$/", "z", 1 },
	{ "/^.?$/", "\xC3\xA9", 1 },                   /* one character, two octets */
	{ "/^.?$/", "zz", 0 },
	/* "*": a* matches "", "a", "aaaaaaaaaaaa"; .* any characters, not all the same */
	{ "/^a*$/", "", 1 },
	{ "/^a*$/", "a", 1 },
	{ "/^a*$/", "aaaaaaaaaaaa", 1 },
	{ "/^a*$/", "aab", 0 },
	{ "/^.*$/", "", 1 },
	{ "/^.*$/", "xyz", 1 },
	/* "+": a+ matches "a" or "aaaaaaaa" but not "" */
	{ "/^a+$/", "a", 1 },
	{ "/^a+$/", "aaaaaaaa", 1 },
	{ "/^a+$/", "", 0 },
	/* "{m}", "{m,n}", "{,n}" = {0,n} as the guide says */
	{ "/^a{5}$/", "aaaaa", 1 },
	{ "/^a{5}$/", "aaaa", 0 },
	{ "/^a{5}$/", "aaaaaa", 0 },
	{ "/^a{2,4}$/", "a", 0 },
	{ "/^a{2,4}$/", "aa", 1 },
	{ "/^a{2,4}$/", "aaa", 1 },
	{ "/^a{2,4}$/", "aaaa", 1 },
	{ "/^a{2,4}$/", "aaaaa", 0 },
	{ "/^a{,5}$/", "", 1 },
	{ "/^a{,5}$/", "aaaaa", 1 },
	{ "/^a{,5}$/", "aaaaaa", 0 },
	{ "/^a{,2}x$/", "aax", 1 },
	{ "/^a{,2}x$/", "x", 1 },
	{ "/^a{,2}x$/", "aaax", 0 },
	{ "/[{,2}]/", ",", 1 },                        /* inside a class it stays literal */
	{ "/\\Q{,2}\\E/", "{,2}", 1 },
	/* "[...]": [a-z] any lower case letter, [aeiou] a lower-case vowel, [aeiouAEIOU] */
	{ "/^[a-z]$/", "q", 1 },
	{ "/^[a-z]$/", "Q", 0 },
	{ "/^[a-z]$/", "5", 0 },
	{ "/^[aeiou]$/", "e", 1 },
	{ "/^[aeiou]$/", "E", 0 },
	{ "/^[aeiou]$/", "b", 0 },
	{ "/^[aeiouAEIOU]$/", "E", 1 },
	{ "/^[aeiouAEIOU]$/", "u", 1 },
	{ "/^[aeiouAEIOU]$/", "B", 0 },
	/* "[[]]" for "[ or ]": in PCRE that is the class [[] then a literal ] (doc:109); the
	 * guide also says ] must be escaped, which is how "[ or ]" is written */
	{ "/^[[]]$/", "[]", 1 },                       /* doc:109 */
	{ "/^[[]]$/", "]", 0 },                        /* doc:109 */
	{ "/[[\\]]/", "]", 1 },
	{ "/[[\\]]/", "[", 1 },
	/* "-" last in a class is literal: [+*\/-] */
	{ "/^[+*\\/-]$/", "-", 1 },
	{ "/^[+*\\/-]$/", "+", 1 },
	{ "/^[+*\\/-]$/", "*", 1 },
	{ "/^[+*\\/-]$/", "/", 1 },
	{ "/^[+*\\/-]$/", ",", 0 },
	/* "|": cat|dog, limited by parentheses */
	{ "/cat|dog/", "hotdog", 1 },
	{ "/cat|dog/", "a cat", 1 },
	{ "/cat|dog/", "a cow", 0 },
	{ "/there is a (cat|dog) over there./", "there is a dog over there!", 1 },
	{ "/there is a (cat|dog) over there./", "there is a cow over there!", 0 },
	/* "^" and "$" on "abracadabra" */
	{ "/cad/", "abracadabra", 1 },                 /* not anchored */
	{ "/^cad/", "abracadabra", 0 },
	{ "/^.*cad/", "abracadabra", 1 },
	{ "/^abra/", "abracadabra", 1 },
	{ "/bra$/", "abracadabra", 1 },
	{ "/cad$/", "abracadabra", 0 },
	/* "(...)": (cat)+ matches "catcatcat" or "cat", not "tac" */
	{ "/(cat)+/", "catcatcat", 1 },
	{ "/^(cat)+$/", "catcatcat", 1 },
	{ "/(cat)+/", "cat", 1 },
	{ "/(cat)+/", "tac", 0 },
	{ "/^(cat)+$/", "catcatca", 0 },
	/* "\": \d a digit (0-9), \D a non-digit, \b a word edge, \s a space character,
	 * \S a non-space, \w [a-zA-Z0-9_], \t tab, \n newline, \r carriage return */
	{ "/^\\d$/", "7", 1 },
	{ "/^\\d$/", "x", 0 },
	{ "/^\\d$/", "\xD9\xA7", 0 },                  /* ARABIC-INDIC SEVEN: not 0-9 */
	{ "/^\\D$/", "x", 1 },
	{ "/^\\D$/", "7", 0 },
	{ "/\\bword\\b/", "a word here", 1 },
	{ "/\\bword\\b/", "a swordfish", 0 },
	{ "/^\\s$/", " ", 1 },
	{ "/^\\s$/", "\t", 1 },
	{ "/^\\s$/", "\r", 1 },
	{ "/^\\s$/", "\n", 1 },
	{ "/^\\s$/", "x", 0 },
	{ "/^\\S$/", "x", 1 },
	{ "/^\\S$/", " ", 0 },
	{ "/^\\S$/", "\t", 0 },
	{ "/^\\w+$/", "azAZ09_", 1 },
	{ "/^\\w$/", "-", 0 },
	{ "/^\\w$/", " ", 0 },
	{ "/^\\w$/", "\xC3\xA9", 0 },                  /* [a-zA-Z0-9_]: not an accented letter */
	{ "/a\\tb/", "a\tb", 1 },
	{ "/a\\tb/", "a b", 0 },
	{ "/a\\nb/", "a\nb", 1 },
	{ "/a\\rb/", "a\rb", 1 },
	{ "/a\\rb/", "a\nb", 0 },
	/* modifiers after the last /: i caseless, s dot-all, m multi-line */
	{ "/CAD/i", "abracadabra", 1 },
	{ "/^b/", "a\nb", 0 },
	{ "/^b/m", "a\nb", 1 },
	{ "/a$/", "a\nb", 0 },
	{ "/a$/m", "a\nb", 1 },
	{ "/^B/mi", "a\nb", 1 },
	{ "/a/b/", "xa/by", 1 },                       /* flags follow the last slash */
	/* UTF-8 text */
	{ "/caf/", "caf\xE9", 1 },                     /* invalid UTF-8 text is tolerated */
	{ "/caf./", "caf\xC3\xA9", 1 },
};

static void test_regex(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(regex_table); i++) {
		int got = match(regex_table[i].pattern, regex_table[i].text);
		if (got != regex_table[i].want)
			fprintf(stderr, "  row %zu: pattern %s\n", i, regex_table[i].pattern);
		CHECK_INT(got, regex_table[i].want);
	}
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
