/*
 * test-mime-decode.c: RFC 2047 header decoding, RFC 2231 values, quoted-printable and
 * base64, charset conversion and UTF-8 validation.
 * OWNS nothing. THREAD: main only.
 */
#include "mime-charset.h"
#include "mime-decode.h"
#include "pb-test.h"

static const struct {
	const char *in;
	size_t len; /* 0: strlen */
	const char *out;
} header_cases[] = {
	{ "=?utf-8?q?a?= =?utf-8?q?b?=", 0, "ab" },
	{ "=?utf-8?q?a?=   \r\n =?utf-8?b?Yw==?= d =?utf-8?q?e?=", 0, "ac d e" },
	{ "=?utf-8?q?a?=\t=?utf-8?q?b?=", 0, "ab" },
	{ "=?utf-8?q?a?= b", 0, "a b" },
	{ "Re: =?utf-8?q?x?=", 0, "Re: x" },
	{ "abc=?utf-8?q?x?=def", 0, "abcxdef" },
	{ "=?utf-8?b?4oI=?= =?utf-8?b?rA==?=", 0, "\xE2\x82\xAC" },
	{ "=?UTF-8?B?4oI=?= =?utf-8?b?rA==?=", 0, "\xE2\x82\xAC" },
	{ "=?iso-8859-1?q?caf=E9?=", 0, "caf\xC3\xA9" },
	{ "=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?=A3?=", 0, "a\xC5\x81" },
	{ "=?x-unknown?q?caf=E9?=", 0, "caf\xC3\xA9" },
	{ "=?x-unknown?q?caf=C3=A9?=", 0, "caf\xC3\xA9" },
	{ "=?utf-8?b?!!!?= x", 0, "=?utf-8?b?!!!?= x" },
	{ "=?utf-8?q?unterminated", 0, "=?utf-8?q?unterminated" },
	{ "=??q?x?=", 0, "=??q?x?=" },
	{ "=?utf-8?x?abc?=", 0, "=?utf-8?x?abc?=" },
	{ "=?utf-8*en?q?lang_tag?=", 0, "lang tag" },
	{ "=?utf-8?q?a b?=", 0, "a b" },
	{ "=?utf-8?q?=c3=a9?=", 0, "\xC3\xA9" },
	{ "=?utf-8?b?w6k?=", 0, "\xC3\xA9" },
	{ "=?utf-8?q?bad_=ZZ?=", 0, "bad =ZZ" },
	{ "=?utf-8?q?a=0Db=00c?=", 0, "a b\xEF\xBF\xBD" "c" },
	{ "=?windows-1252?q?=93quoted=94_=80?=", 0, "\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x82\xAC" },
	{ "=?ISO-2022-JP?B?GyRCJEskWyRzGyhC?=", 0, "\xE3\x81\xAB\xE3\x81\xBB\xE3\x82\x93" },
	{ "\x1b$B$3$s$K$A$O\x1b(B raw", 0,
	  "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF raw" },
	{ "caf\xe9 latin1", 0, "caf\xC3\xA9 latin1" },
	{ "caf\xC3\xA9 utf8", 0, "caf\xC3\xA9 utf8" },
	{ "a\0b", 3, "a\xEF\xBF\xBD" "b" },
	{ "folded\r\n line", 0, "folded line" },
	{ "=?koi8-r?b?7MXO?=", 0, "\xD0\x9B\xD0\xB5\xD0\xBD" },
	{ "", 0, "" },
};

static void test_header_decode(void)
{
	struct pb_buf out;

	pb_buf_init(&out);
	for (size_t i = 0; i < PB_N_ELEMENTS(header_cases); i++) {
		size_t len = header_cases[i].len != 0 ? header_cases[i].len : strlen(header_cases[i].in);
		pb_buf_reset(&out);
		pb_buf_append(&out, "", 0);
		mime_decode_header(header_cases[i].in, len, &out);
		CHECK_STR(out.data, header_cases[i].out);
	}
	pb_buf_deinit(&out);
}

static void test_rfc2231(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "utf-8''%E2%82%AC", "\xE2\x82\xAC" },
		{ "iso-8859-1'fr'r%E9sum%E9", "r\xC3\xA9sum\xC3\xA9" },
		{ "%C3%A9", "\xC3\xA9" },
		{ "''abc", "abc" },
		{ "utf-8''100%ZZ%", "100%ZZ%" },
		{ "utf-8''a%00b", "a\xEF\xBF\xBD" "b" },
		{ "us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn't it!",
		  "This is even more ***fun*** isn't it!" },
	};
	struct pb_buf out;

	pb_buf_init(&out);
	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++) {
		pb_buf_reset(&out);
		pb_buf_append(&out, "", 0);
		mime_decode_rfc2231(cases[i].in, strlen(cases[i].in), &out);
		CHECK_STR(out.data, cases[i].out);
	}
	pb_buf_reset(&out);
	mime_decode_param("filename*", "utf-8''%C3%A9.txt", &out);
	CHECK_STR(out.data, "\xC3\xA9.txt");
	pb_buf_reset(&out);
	mime_decode_param("filename", "=?utf-8?B?w6kudHh0?=", &out);
	CHECK_STR(out.data, "\xC3\xA9.txt");
	pb_buf_deinit(&out);
}

static void test_quoted_printable(void)
{
	static const struct {
		const char *in, *out;
		int ret;
	} cases[] = {
		{ "a=3Db", "a=b", 0 },
		{ "abc=\r\ndef", "abcdef", 0 },
		{ "abc= \t\r\ndef", "abcdef", 0 },
		{ "abc  \r\nnext\r\n", "abc\r\nnext\r\n", 0 },
		{ "a=\nb\n", "ab\n", 0 },
		{ "=c3=a9", "\xC3\xA9", 0 },
		{ "bad =ZZ and =4", "bad =ZZ and =4", -1 },
		{ "ends soft=", "ends soft", 0 },
		{ "", "", 0 },
	};
	struct pb_buf out;
	const char *error = NULL;

	pb_buf_init(&out);
	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++) {
		pb_buf_reset(&out);
		pb_buf_append(&out, "", 0);
		CHECK_INT(mime_decode_qp(cases[i].in, strlen(cases[i].in), &out, &error), cases[i].ret);
		CHECK_STR(out.data, cases[i].out);
	}
	pb_buf_deinit(&out);
}

static void test_base64(void)
{
	static const struct {
		const char *in, *out;
		int ret;
	} cases[] = {
		{ "SGVsbG8=", "Hello", 0 },
		{ "SGVs\r\nbG8=\r\n", "Hello", 0 },
		{ "SGVsbG8", "Hello", 0 },
		{ "SGV$sbG8=", "Hello", -1 },
		{ "SGk=SGk=", "HiHi", 0 },
		{ "SGVsbG8=Q", "Hello", -1 },
		{ "", "", 0 },
	};
	struct pb_buf out;
	const char *error = NULL;

	pb_buf_init(&out);
	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++) {
		pb_buf_reset(&out);
		pb_buf_append(&out, "", 0);
		CHECK_INT(mime_decode_base64(cases[i].in, strlen(cases[i].in), &out, &error),
			  cases[i].ret);
		CHECK_STR(out.data, cases[i].out);
	}
	pb_buf_reset(&out);
	CHECK_INT(mime_decode_transfer("BASE64", "SGk=", 4, &out, &error), 0);
	CHECK_STR(out.data, "Hi");
	pb_buf_reset(&out);
	CHECK_INT(mime_decode_transfer("Quoted-Printable", "=48i", 4, &out, &error), 0);
	CHECK_STR(out.data, "Hi");
	pb_buf_reset(&out);
	CHECK_INT(mime_decode_transfer("x-uuencode", "=48i", 4, &out, &error), 0);
	CHECK_STR(out.data, "=48i");
	pb_buf_deinit(&out);
}

static void convert(const char *charset, const char *in, size_t len, const char *want)
{
	struct pb_buf out;

	pb_buf_init(&out);
	pb_buf_append(&out, "", 0);
	mime_charset_to_utf8(charset, in, len, &out);
	CHECK_STR(out.data, want);
	pb_buf_deinit(&out);
}

static void test_charsets(void)
{
	convert("windows-1251", "\xcf\xf0\xe8", 3, "\xD0\x9F\xD1\x80\xD0\xB8");
	convert("utf-8", "a\xff" "b", 3, "a\xEF\xBF\xBD" "b");
	convert(NULL, "a\xc3", 2, "a\xEF\xBF\xBD");
	convert("shift_jis", "\x82\xa0\x82", 3, "\xE3\x81\x82\xEF\xBF\xBD");
	convert("x-nonexistent", "caf\xe9", 4, "caf\xC3\xA9");
	convert("x-nonexistent", "caf\xc3\xa9", 5, "caf\xC3\xA9");
	convert("us-ascii", "caf\xc3\xa9", 5, "caf\xC3\xA9");
	convert("us-ascii", "caf\xe9", 4, "caf\xC3\xA9");
	convert("ISO-8859-1", "\x80", 1, "\xE2\x82\xAC"); /* read as windows-1252 */
	convert("utf-16le", "a\0b\0", 4, "ab");
	convert("utf-16le", "a\0b", 3, "a\xEF\xBF\xBD");
	convert("\"koi8-r\"", "\xec", 1, "\xD0\x9B");
	convert("ks_c_5601-1987", "\xb0\xa1", 2, "\xEA\xB0\x80");
	/* iconv writes U+110000 from UCS-4 as F4 90 80 80, which is not UTF-8: repaired (found by
	 * fuzz-mime-address through an encoded word) */
	convert("UCS-4", "\x00\x11\x00\x00", 4,
		"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	CHECK(mime_charset_is_known("koi8-r"));
	CHECK(mime_charset_is_known(NULL));
	CHECK(mime_charset_is_known("ks_c_5601-1987"));
	CHECK(!mime_charset_is_known("x-nonexistent"));
	CHECK(mime_charset_is_utf8("UTF8"));
	CHECK(!mime_charset_is_utf8("latin1"));
}

static void test_utf8(void)
{
	struct pb_buf out;

	CHECK(mime_utf8_is_valid("\xf0\x9f\x98\x80", 4));
	CHECK(!mime_utf8_is_valid("\xc0\xaf", 2));
	CHECK(!mime_utf8_is_valid("\xed\xa0\x80", 3));
	CHECK(!mime_utf8_is_valid("\xf4\x90\x80\x80", 4));
	CHECK(!mime_utf8_is_valid("\xe2\x82", 2));
	pb_buf_init(&out);
	mime_utf8_append_valid(&out, "x\xc0\xafy\xe2\x82", 6);
	CHECK_STR(out.data, "x\xEF\xBF\xBD\xEF\xBF\xBDy\xEF\xBF\xBD\xEF\xBF\xBD");
	pb_buf_reset(&out);
	mime_utf8_append_char(&out, 0x1F600);
	mime_utf8_append_char(&out, 0xE9);
	CHECK_STR(out.data, "\xf0\x9f\x98\x80\xC3\xA9");
	pb_buf_reset(&out);
	mime_utf8_append_char(&out, 0x110000); /* not scalar values: U+FFFD */
	mime_utf8_append_char(&out, 0xD800);
	CHECK_STR(out.data, "\xEF\xBF\xBD\xEF\xBF\xBD");
	pb_buf_deinit(&out);
}

static const struct pb_test_case tests[] = {
	{ "header_decode", test_header_decode },
	{ "rfc2231", test_rfc2231 },
	{ "quoted_printable", test_quoted_printable },
	{ "base64", test_base64 },
	{ "charsets", test_charsets },
	{ "utf8", test_utf8 },
};

PB_TEST_MAIN(tests)
