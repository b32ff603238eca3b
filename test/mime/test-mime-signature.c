/*
 * test-mime-signature.c: the signature put into the right MIME part (mime-signature.h), one
 * table of message shapes: single text and HTML, multipart/alternative (both versions),
 * mixed with attachments, quoted-printable, and the messages kept as they are (signed S/MIME,
 * PGP/MIME, inline PGP, already signed, base64, no text, a charset that cannot carry it).
 * Every signed output signed again is kept as it is: added once. The streamed plan (a message
 * too large to hold whole) gives the same octets as the whole call: every shape fed and
 * rewritten a byte at a time, and a 5 MiB multipart in odd-sized pieces.
 */
#include "mime-signature.h"
#include "pb-alloc.h"
#include "pb-test.h"

#include <stdio.h>
#include <string.h>

#define SIG "-- \r\nBest regards\r\nACME Ltd"
#define SIG_QP "--=20\r\nBest regards\r\nACME Ltd"
#define HTML "<div class=\"signature\">-- <br>Best regards<br>ACME Ltd</div>"
#define HTML_QP "<div class=3D\"signature\">-- <br>Best regards<br>ACME Ltd</div>"
#define ALT_HEAD "Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n"
#define SIGNED_WHY "a signed message (S/MIME or PGP/MIME) is left untouched"

struct sig_case {
	const char *name;
	const char *in;
	const char *out; /* NULL: kept, for why */
	int parts;
	const char *why;
};

static const struct sig_case cases_table[] = {
	{ "plain", "Subject: a\r\n\r\nHello\r\n", "Subject: a\r\n\r\nHello\r\n" SIG "\r\n", 1, NULL },
	{ "plain without final CRLF", "Subject: a\r\n\r\nHello",
	  "Subject: a\r\n\r\nHello\r\n" SIG "\r\n", 1, NULL },
	{ "empty body", "Subject: a\r\n\r\n", "Subject: a\r\n\r\n" SIG "\r\n", 1, NULL },
	{ "html", "Content-Type: text/html\r\n\r\n<html><body>Hi</body></html>\r\n",
	  "Content-Type: text/html\r\n\r\n<html><body>Hi" HTML "</body></html>\r\n", 1, NULL },
	{ "alternative: both", ALT_HEAD "--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n--b\r\n"
				   "Content-Type: text/html\r\n\r\n<p>Hi</p>\r\n--b--\r\n",
	  ALT_HEAD "--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n" SIG "\r\n--b\r\n"
		   "Content-Type: text/html\r\n\r\n<p>Hi</p>\r\n" HTML "\r\n--b--\r\n", 2, NULL },
	{ "mixed: the text, not the attachment",
	  "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n\r\nHi\r\n\r\n--m\r\n"
	  "Content-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nnotes\r\n--m--\r\n",
	  "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n\r\nHi\r\n" SIG "\r\n--m\r\n"
	  "Content-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nnotes\r\n--m--\r\n",
	  1, NULL },
	{ "mixed > alternative + image",
	  "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n" ALT_HEAD
	  "--b\r\n\r\nHi\r\n--b\r\nContent-Type: text/html\r\n\r\n<b>Hi</b>\r\n--b--\r\n"
	  "--m\r\nContent-Type: image/png\r\n\r\nPNG\r\n--m--\r\n",
	  "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n" ALT_HEAD
	  "--b\r\n\r\nHi\r\n" SIG "\r\n--b\r\nContent-Type: text/html\r\n\r\n<b>Hi</b>\r\n" HTML
	  "\r\n--b--\r\n--m\r\nContent-Type: image/png\r\n\r\nPNG\r\n--m--\r\n", 2, NULL },
	{ "quoted-printable", "Content-Transfer-Encoding: quoted-printable\r\n\r\nHall=C3=B6\r\n",
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\nHall=C3=B6\r\n" SIG_QP "\r\n", 1, NULL },
	{ "quoted-printable html",
	  "Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "<body>Hi</body>\r\n",
	  "Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "<body>Hi=\r\n" HTML_QP "=\r\n</body>\r\n", 1, NULL },
	{ "multipart/signed", "Content-Type: multipart/signed; boundary=s; protocol=\"x\"\r\n\r\n"
			      "--s\r\n\r\nHi\r\n--s\r\nContent-Type: application/pgp-signature"
			      "\r\n\r\nSIG\r\n--s--\r\n", NULL, 0, SIGNED_WHY },
	{ "signed inside mixed", "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n"
				 "Content-Type: multipart/signed; boundary=s\r\n\r\n--s\r\n\r\nHi"
				 "\r\n--s--\r\n--m--\r\n", NULL, 0, SIGNED_WHY },
	{ "S/MIME opaque", "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n"
			   "Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3\r\n", NULL, 0,
	  SIGNED_WHY },
	{ "inline PGP", "Subject: a\r\n\r\n-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n"
			"\r\nHi\r\n", NULL, 0, "a signed message (inline PGP) is left untouched" },
	{ "already signed", "Subject: re\r\n\r\n> old\r\n" SIG "\r\n", NULL, 0,
	  "the message already carries the signature" },
	{ "base64 text", "Content-Transfer-Encoding: base64\r\n\r\nSGk=\r\n", NULL, 0,
	  "the text is base64 encoded (not re-encoded)" },
	{ "no text part", "Content-Type: image/png\r\n\r\nPNG\r\n", NULL, 0,
	  "the message has no text part to sign" },
	{ "no header end", "Subject: a\r\n", NULL, 0, "the text part has no body" },
};

static void test_shapes(void)
{
	struct mime_signature sig = { "Best regards\nACME Ltd\n", NULL, NULL };

	for (size_t i = 0; i < PB_N_ELEMENTS(cases_table); i++) {
		const struct sig_case *t = &cases_table[i];
		struct pb_buf out;
		const char *why = NULL;
		int n = mime_signature_insert(t->in, strlen(t->in), &sig, &out, &why);
		if (n != t->parts)
			fprintf(stderr, "case %s: %d parts (%s)\n", t->name, n, why ? why : "");
		CHECK(n == t->parts);
		if (t->out == NULL) {
			CHECK(out.len == 0);
			CHECK_STR(why, t->why);
		} else {
			pb_buf_append_c(&out, '\0');
			CHECK_STR((const char *)out.data, t->out);
			/* added once: the signed message is kept as it is */
			struct pb_buf again;
			CHECK(mime_signature_insert(t->out, strlen(t->out), &sig, &again, &why) == 0);
			CHECK_STR(why, "the message already carries the signature");
			pb_buf_deinit(&again);
		}
		pb_buf_deinit(&out);
	}
}

/* A signature with non-ASCII text: utf-8 parts take it, a latin-1 part does not; the HTML
 * given is used as is. */
static void test_charset_and_html(void)
{
	struct mime_signature sig = { "Grüße", "<i>Grüße</i>", NULL };
	const char *latin = "Content-Type: text/plain; charset=iso-8859-1\r\n\r\nHi\r\n";
	const char *utf8 = "Content-Type: text/html; charset=utf-8\r\n\r\nHi";
	struct pb_buf out;
	const char *why;

	CHECK(mime_signature_insert(latin, strlen(latin), &sig, &out, &why) == 0);
	CHECK_STR(why, "the text's charset cannot carry the signature");
	pb_buf_deinit(&out);
	CHECK(mime_signature_insert(utf8, strlen(utf8), &sig, &out, &why) == 1);
	pb_buf_append_c(&out, '\0');
	CHECK_STR((const char *)out.data, "Content-Type: text/html; charset=utf-8\r\n\r\nHi\r\n"
					  "<div class=\"signature\">-- <br><i>Grüße</i></div>\r\n");
	pb_buf_deinit(&out);
	sig.text = "";
	CHECK(mime_signature_insert(utf8, strlen(utf8), &sig, &out, &why) == 0);
	CHECK_STR(why, "no signature text is set");
	pb_buf_deinit(&out);
}

/* Long quoted-printable lines get soft breaks under 76 octets. */
static void test_qp_soft_breaks(void)
{
	char text[200];
	memset(text, 'x', 150);
	text[150] = '\0';
	struct mime_signature sig = { text, NULL, NULL };
	const char *in = "Content-Transfer-Encoding: quoted-printable\r\n\r\nHi\r\n";
	struct pb_buf out;
	const char *why;

	REQUIRE(mime_signature_insert(in, strlen(in), &sig, &out, &why) == 1);
	size_t col = 0, max = 0;
	for (size_t i = 0; i < out.len; i++) {
		if (out.data[i] != '\r')
			col = out.data[i] == '\n' ? 0 : col + 1;
		max = col > max ? col : max;
	}
	CHECK(max <= 76);
	pb_buf_deinit(&out);
}

/* msg through a plan fed in pieces of feed_cut and rewritten in pieces of apply_cut: the
 * output into *out_r (initialised here), the number of parts, why when 0. */
static int streamed(const char *msg, size_t len, const struct mime_signature *sig,
		    size_t feed_cut, size_t apply_cut, struct pb_buf *out_r, const char **why_r)
{
	struct mime_signature_plan *p = mime_signature_plan_create(sig);

	pb_buf_init(out_r);
	for (size_t at = 0; at < len; at += feed_cut)
		mime_signature_plan_feed(p, msg + at, len - at < feed_cut ? len - at : feed_cut);
	int n = mime_signature_plan_finish(p, why_r);
	for (size_t at = 0; n > 0 && at < len; at += apply_cut) {
		size_t piece = len - at < apply_cut ? len - at : apply_cut;
		mime_signature_plan_apply(p, msg + at, piece, at + piece == len, out_r);
	}
	if (n > 0 && len == 0)
		mime_signature_plan_apply(p, "", 0, true, out_r);
	mime_signature_plan_destroy(&p);
	return n;
}

/* Every shape of the table, a byte at a time, as the whole call. */
static void test_streamed_shapes(void)
{
	struct mime_signature sig = { "Best regards\nACME Ltd", NULL, NULL };

	for (size_t i = 0; i < PB_N_ELEMENTS(cases_table); i++) {
		const struct sig_case *t = &cases_table[i];
		struct pb_buf whole, stream;
		const char *why_whole = NULL, *why_stream = NULL;
		size_t len = strlen(t->in);
		int n = mime_signature_insert(t->in, len, &sig, &whole, &why_whole);
		CHECK_INT(streamed(t->in, len, &sig, 1, 1, &stream, &why_stream), n);
		if (n == 0)
			CHECK_STR(why_stream, why_whole);
		CHECK(stream.len == whole.len &&
		      (whole.len == 0 || memcmp(stream.data, whole.data, whole.len) == 0));
		if (stream.len != whole.len)
			fprintf(stderr, "case %s: streamed %zu octets, whole %zu\n", t->name,
				stream.len, whole.len);
		pb_buf_deinit(&whole);
		pb_buf_deinit(&stream);
	}
}

/* A 5 MiB multipart/mixed (an alternative of text and HTML, then a 5 MiB base64 attachment,
 * then a text note): streamed in odd pieces, the same octets as the whole call, the text's
 * signature before the closing boundary of the first text part, the attachment untouched. */
static void test_streamed_5mib_multipart(void)
{
	struct mime_signature sig = { "Best regards\nACME Ltd", NULL, NULL };
	struct pb_buf msg, whole, stream;
	const char *why;

	pb_buf_init(&msg);
	pb_buf_append_str(&msg, "From: a@example.com\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
			  "Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\n"
			  "Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\n"
			  "Content-Type: text/plain\r\n\r\nHello\r\n--alt\r\n"
			  "Content-Type: text/html\r\n\r\n<html><body>Hello</body></html>\r\n"
			  "--alt--\r\n--mix\r\nContent-Type: application/octet-stream\r\n"
			  "Content-Transfer-Encoding: base64\r\n"
			  "Content-Disposition: attachment; filename=big.bin\r\n\r\n");
	while (msg.len < 5u * 1024 * 1024)
		pb_buf_append_str(&msg, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2"
				  "d3h5ejAxMjM0\r\n");
	pb_buf_append_str(&msg, "--mix\r\nContent-Type: text/plain\r\n\r\nnote\r\n--mix--\r\n");

	int n = mime_signature_insert((const char *)msg.data, msg.len, &sig, &whole, &why);
	CHECK_INT(n, 2);
	CHECK_INT(streamed((const char *)msg.data, msg.len, &sig, 65543, 100003, &stream, &why), 2);
	CHECK(stream.len == whole.len && memcmp(stream.data, whole.data, whole.len) == 0);
	const char *text_end = "Hello\r\n" SIG "\r\n--alt\r\n";
	CHECK(memmem(stream.data, stream.len, text_end, strlen(text_end)) != NULL);
	CHECK(memmem(stream.data, stream.len, "<body>Hello" HTML "</body>",
		     strlen("<body>Hello" HTML "</body>")) != NULL);
	CHECK_INT(stream.len - msg.len, strlen(SIG) + 2 + strlen(HTML));
	pb_buf_deinit(&msg);
	pb_buf_deinit(&whole);
	pb_buf_deinit(&stream);
}

/* The plan's insertions, kept (offsets and texts, as the spool record keeps them) and loaded
 * into a plan of their own, rewrite the message read again in odd pieces to the same octets
 * as the whole call; a load refuses none, too many, or offsets out of order. */
static void test_plan_load(void)
{
	struct mime_signature sig = { "Best regards\nACME Ltd", "<b>ACME</b>", NULL };
	const char *why;
	struct pb_buf whole, out;
	uint64_t at[MIME_SIGNATURE_MAX_INSERTS + 1] = { 0 };
	char *text[MIME_SIGNATURE_MAX_INSERTS + 1] = { 0 };
	size_t len, n = 0;
	const char *msg = ALT_HEAD "--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n"
			  "--b\r\nContent-Type: text/html\r\n\r\n<body>Hi</body>\r\n--b--\r\n";

	struct mime_signature_plan *p = mime_signature_plan_create(&sig);
	mime_signature_plan_feed(p, msg, strlen(msg));
	int parts = mime_signature_plan_finish(p, &why);
	REQUIRE(parts == 2);
	for (const char *t; (t = mime_signature_plan_insertion(p, n, &at[n], &len)) != NULL; n++)
		text[n] = xstrndup(t, len);
	CHECK_INT(n, parts);
	mime_signature_plan_destroy(&p);
	REQUIRE(mime_signature_insert(msg, strlen(msg), &sig, &whole, &why) == parts);
	p = mime_signature_plan_load(at, (const char *const *)text, n);
	REQUIRE(p != NULL);
	pb_buf_init(&out);
	for (size_t off = 0, m = strlen(msg); off < m; off += 7)
		mime_signature_plan_apply(p, msg + off, m - off < 7 ? m - off : 7, off + 7 >= m, &out);
	CHECK(out.len == whole.len && memcmp(out.data, whole.data, whole.len) == 0);
	mime_signature_plan_destroy(&p);
	CHECK(mime_signature_plan_load(at, (const char *const *)text, 0) == NULL);
	CHECK(mime_signature_plan_load(at, (const char *const *)text,
				       MIME_SIGNATURE_MAX_INSERTS + 1) == NULL);
	uint64_t backwards[] = { 50, 10 };
	CHECK(mime_signature_plan_load(backwards, (const char *const *)text, 2) == NULL);
	for (size_t i = 0; i < n; i++)
		free(text[i]);
	pb_buf_deinit(&whole);
	pb_buf_deinit(&out);
}

/* A composer's text (mime_signature_text): the octets the whole call gives a text/plain body
 * (with or without a final line break, LF lines, non-ASCII), kept as the whole call keeps it
 * (inline PGP, already signed); a disclaimer after the text. */
static void test_text(void)
{
	struct mime_signature sig = { "Best regards\nACME Ltd\n", NULL, NULL };
	struct mime_signature disc = { "Ann", NULL, "Confidential." };
	struct pb_buf out;
	const char *why = NULL;

	CHECK(mime_signature_text("Hello", 5, &sig, &out, &why) == 1);
	pb_buf_append_c(&out, '\0');
	CHECK_STR((const char *)out.data, "Hello\r\n" SIG "\r\n");
	pb_buf_deinit(&out);
	CHECK(mime_signature_text("Gr\xc3\xbc\xc3\x9f" "e\n", 8, &sig, &out, &why) == 1);
	pb_buf_append_c(&out, '\0');
	CHECK_STR((const char *)out.data, "Gr\xc3\xbc\xc3\x9f" "e\n" SIG "\r\n");
	pb_buf_deinit(&out);
	CHECK(mime_signature_text("", 0, &disc, &out, &why) == 1);
	pb_buf_append_c(&out, '\0');
	CHECK_STR((const char *)out.data, "-- \r\nAnn\r\n\r\nConfidential.\r\n");
	pb_buf_deinit(&out);
	static const char pgp[] = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nHi\n";
	CHECK(mime_signature_text(pgp, strlen(pgp), &sig, &out, &why) == 0);
	CHECK(out.len == 0);
	CHECK_STR(why, "a signed message (inline PGP) is left untouched");
	pb_buf_deinit(&out);
	static const char again[] = "> old\r\n" SIG "\r\n";
	CHECK(mime_signature_text(again, strlen(again), &sig, &out, &why) == 0);
	CHECK_STR(why, "the message already carries the signature");
	pb_buf_deinit(&out);
}

static const struct pb_test_case cases[] = {
	{ "shapes", test_shapes },
	{ "text", test_text },
	{ "streamed_shapes", test_streamed_shapes },
	{ "streamed_5mib_multipart", test_streamed_5mib_multipart },
	{ "plan_load", test_plan_load },
	{ "charset_and_html", test_charset_and_html },
	{ "qp_soft_breaks", test_qp_soft_breaks },
};

PB_TEST_MAIN(cases)
