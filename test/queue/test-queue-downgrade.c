/*
 * test-queue-downgrade.c: 8-bit messages made 7-bit for a server without 8BITMIME (RFC 6152):
 * golden outputs (a text part, a message without MIME-Version, a multipart with a 7-bit, an
 * 8-bit and a base64 part, an embedded message), quoted-printable line lengths with the text
 * decoded back exactly, and the refusals (8-bit header, binary part, 8-bit preamble).
 * OWNS: nothing. THREAD: main only.
 */
#include "queue-downgrade.h"

#include "mime-decode.h"
#include "pb-buf.h"
#include "pb-test.h"

#include <string.h>

/* Converts in; CHECKs the result is want (NULL: refused, with a reason naming why_part). */
static void check(const char *in, const char *want, const char *why_part)
{
	struct pb_buf out;
	const char *error = NULL;

	pb_buf_init(&out);
	int rc = queue_downgrade(in, strlen(in), &out, &error);
	if (want == NULL) {
		CHECK_INT(rc, -1);
		CHECK(error != NULL && strstr(error, why_part) != NULL);
	} else {
		CHECK_INT(rc, 0);
		pb_buf_append_c(&out, '\0');
		CHECK_STR((char *)out.data, want);
		for (size_t i = 0; i < out.len; i++)
			CHECK((unsigned char)out.data[i] < 0x80);
	}
	pb_buf_deinit(&out);
}

static void test_text_part(void)
{
	check("Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	      "Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xc3\xa9 = ok \r\n.dot\r\nlast",
	      "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	      "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =3D ok=20\r\n.dot\r\n"
	      "last",
	      NULL);
	/* bare LF lines come out as CRLF */
	check("MIME-Version: 1.0\nContent-Type: text/plain\n\n\xe9t\xe9\n",
	      "MIME-Version: 1.0\nContent-Type: text/plain\n"
	      "Content-Transfer-Encoding: quoted-printable\r\n\r\n=E9t=E9\r\n",
	      NULL);
	/* 7-bit: unchanged */
	check("Subject: x\r\n\r\nplain\r\n", "Subject: x\r\n\r\nplain\r\n", NULL);
}

static void test_no_mime_version(void)
{
	check("Subject: x\r\n\r\nh\xc3\xa9\r\n",
	      "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=unknown-8bit\r\n"
	      "Content-Transfer-Encoding: quoted-printable\r\n\r\nh=C3=A9\r\n",
	      NULL);
}

static void test_multipart(void)
{
	check("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
	      "preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nseven\r\n"
	      "--b1\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
	      "Content-Transfer-Encoding: 8bit\r\n\r\n\xe9t\xe9\r\n"
	      "--b1\r\nContent-Type: application/octet-stream\r\n"
	      "Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b1--\r\nepilogue\r\n",
	      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
	      "preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nseven\r\n"
	      "--b1\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
	      "Content-Transfer-Encoding: quoted-printable\r\n\r\n=E9t=E9\r\n"
	      "--b1\r\nContent-Type: application/octet-stream\r\n"
	      "Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b1--\r\nepilogue\r\n",
	      NULL);
	/* an embedded message: converted inside, declared 7bit */
	check("MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n"
	      "Content-Transfer-Encoding: 8bit\r\n\r\nSubject: in\r\n\r\n\xc3\xa9\r\n",
	      "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n"
	      "Content-Transfer-Encoding: 7bit\r\n\r\nSubject: in\r\nMIME-Version: 1.0\r\n"
	      "Content-Type: text/plain; charset=unknown-8bit\r\n"
	      "Content-Transfer-Encoding: quoted-printable\r\n\r\n=C3=A9\r\n",
	      NULL);
}

static void test_refused(void)
{
	check("Subject: caf\xc3\xa9\r\n\r\ncaf\xc3\xa9\r\n", NULL, "header");
	check("MIME-Version: 1.0\r\nContent-Transfer-Encoding: binary\r\n\r\n\xff\xfe\r\n", NULL,
	      "binary");
	check("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	      "pr\xc3\xa9" "amble\r\n--b\r\n\r\nx\r\n--b--\r\n",
	      NULL, "preamble");
	check("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	      "--b\r\nX-Caf\xc3\xa9: 1\r\n\r\nx\r\n--b--\r\n",
	      NULL, "header");
}

/* Long lines, '=', trailing white space, CR alone: every encoded line at most 76 octets, and
 * decoding gives the text back. */
static void test_qp_lines(void)
{
	struct pb_buf in, enc, dec;
	const char *error;

	pb_buf_init(&in);
	pb_buf_init(&enc);
	pb_buf_init(&dec);
	for (int i = 0; i < 120; i++)
		pb_buf_append_str(&in, i % 7 == 0 ? "=" : i % 5 == 0 ? " " : "\xc3\xa9");
	pb_buf_append_str(&in, " \t\r\nshort\r\n\r\nbare\rcr\r\n");
	queue_downgrade_qp(in.data, in.len, &enc);
	size_t col = 0;
	for (size_t i = 0; i < enc.len; i++) {
		col = enc.data[i] == '\n' ? 0 : col + 1;
		CHECK(col <= 77); /* 76 and the CR */
	}
	CHECK_INT(mime_decode_qp(enc.data, enc.len, &dec, &error), 0);
	CHECK_INT(dec.len, in.len);
	CHECK(dec.len == in.len && memcmp(dec.data, in.data, in.len) == 0);
	pb_buf_deinit(&in);
	pb_buf_deinit(&enc);
	pb_buf_deinit(&dec);
}

static const struct pb_test_case cases[] = {
	{ "text_part", test_text_part },
	{ "no_mime_version", test_no_mime_version },
	{ "multipart", test_multipart },
	{ "refused", test_refused },
	{ "qp_lines", test_qp_lines },
};

PB_TEST_MAIN(cases)
