/*
 * test-reader-binary.c: the pure part of BINARY in the readers (reader-binary.c): which
 * Content-Transfer-Encoding values are known, and that decoding a section piece by piece at
 * the cuts gives the octets decoding it whole gives, for base64 (lines of any length, none
 * at all, padding between blocks) and quoted-printable (soft breaks, escapes and trailing
 * whitespace at a piece's end), whatever the piece size.
 */
#include "pb-test.h"
#include "reader-work.h"

#include <string.h>

static void test_cte_parse(void)
{
	CHECK_INT(reader_cte_parse("", 0), READER_CTE_IDENTITY);
	CHECK_INT(reader_cte_parse(" 7BIT\r\n", 7), READER_CTE_IDENTITY);
	CHECK_INT(reader_cte_parse("8bit", 4), READER_CTE_IDENTITY);
	CHECK_INT(reader_cte_parse("binary (raw)", 12), READER_CTE_IDENTITY);
	CHECK_INT(reader_cte_parse("\tBase64", 7), READER_CTE_BASE64);
	CHECK_INT(reader_cte_parse("Quoted-Printable;x", 18), READER_CTE_QP);
	CHECK_INT(reader_cte_parse("x-uuencode", 10), READER_CTE_UNKNOWN);
	CHECK_INT(reader_cte_parse("base64x", 7), READER_CTE_UNKNOWN);
	CHECK_INT(reader_cte_parse("base6", 5), READER_CTE_UNKNOWN);
}

/* Decodes data in pieces of at most piece octets, cut as the reader cuts them. */
static void decode_pieces(enum reader_cte cte, const char *data, size_t piece, struct pb_buf *out)
{
	size_t len = strlen(data), pos = 0;

	while (pos < len) {
		size_t n = len - pos < piece ? len - pos : piece;
		size_t cut = reader_cte_cut(cte, (const uint8_t *)data + pos, n, pos + n == len);
		CHECK(cut > 0 && cut <= n);
		reader_cte_decode(cte, (const uint8_t *)data + pos, cut, out);
		pos += cut;
	}
}

static void check_same(enum reader_cte cte, const char *data, const char *want)
{
	struct pb_buf whole, parts;

	pb_buf_init(&whole);
	reader_cte_decode(cte, (const uint8_t *)data, strlen(data), &whole);
	CHECK_INT(whole.len, strlen(want));
	CHECK(memcmp(whole.data, want, whole.len) == 0);
	/* from 12: a piece holds a cut (a base64 group; QP text before trailing whitespace) */
	for (size_t piece = 12; piece < strlen(data) + 2; piece++) {
		pb_buf_init(&parts);
		decode_pieces(cte, data, piece, &parts);
		CHECK_INT(parts.len, whole.len);
		CHECK(memcmp(parts.data, whole.data, whole.len) == 0);
		pb_buf_deinit(&parts);
	}
	pb_buf_deinit(&whole);
}

static void test_pieces_decode_as_whole(void)
{
	check_same(READER_CTE_BASE64, "aGVsbG8g\r\nd29y\r\nbGQ=\r\n", "hello world");
	check_same(READER_CTE_BASE64, "aGVsbG8gd29ybGQ=", "hello world");
	check_same(READER_CTE_BASE64, "aGVsb\r\nG8gd2\r\n9ybGQ=\r\n", "hello world");
	check_same(READER_CTE_BASE64, "aGk=aGk=", "hihi");
	check_same(READER_CTE_QP, "caf=C3=A9 soft =\r\nbreak  \r\nline=\ntwo", "caf\xc3\xa9 soft "
		   "break\r\nlinetwo");
	check_same(READER_CTE_QP, "a=3Db=3Dc=3Dd=3De=3Df   =20end", "a=b=c=d=e=f    end");
	check_same(READER_CTE_IDENTITY, "as it is\r\n", "as it is\r\n");
}

static const struct pb_test_case cases[] = {
	{ "cte_parse", test_cte_parse },
	{ "pieces_decode_as_whole", test_pieces_decode_as_whole },
};

PB_TEST_MAIN(cases)
