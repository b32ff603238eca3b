/*
 * test-mime-header.c: Content-Type / Content-Disposition / Content-Language parsing with
 * RFC 2231 joining, and the header-block helpers (iterate, get, HEADER.FIELDS filter).
 * OWNS nothing. THREAD: main only.
 */
#include "mime-header.h"
#include "pb-test.h"

/* "type/subtype;name=value;..." of a parsed Content-Type, or "invalid". */
static void ct(const char *value, const char *want)
{
	char *type = NULL, *subtype = NULL;
	struct mime_param_list params = { NULL, 0 };
	struct pb_buf got;

	pb_buf_init(&got);
	if (mime_content_type_parse(value, strlen(value), &type, &subtype, &params) < 0) {
		pb_buf_append_str(&got, "invalid");
	} else {
		pb_buf_printf(&got, "%s/%s", type, subtype);
		for (unsigned int i = 0; i < params.n; i++)
			pb_buf_printf(&got, ";%s=%s", params.v[i].name, params.v[i].value);
	}
	CHECK_STR(got.data, want);
	free(type);
	free(subtype);
	mime_param_list_free(&params);
	pb_buf_deinit(&got);
}

static void test_content_type(void)
{
	ct("text/plain; charset=utf-8", "text/plain;charset=utf-8");
	ct("TEXT/HTML; CHARSET=\"UTF-8\"", "TEXT/HTML;CHARSET=UTF-8");
	ct("text/plain ; charset = \"utf-8\" ; format=flowed;", "text/plain;charset=utf-8;format=flowed");
	ct("(c) text / plain (c); x=y", "text/plain;x=y");
	ct("multipart/mixed; boundary=----=_Part_1_2.3", "multipart/mixed;boundary=----=_Part_1_2.3");
	ct("multipart/mixed;\r\n\tboundary=\"b c\"", "multipart/mixed;boundary=b c");
	ct("text/plain; charset=utf-8 (comment); name=a b c", "text/plain;charset=utf-8;name=a");
	ct("text/plain; a=; b=c", "text/plain;a=;b=c");
	ct("text/plain; d=\"quo\\\"ted\"", "text/plain;d=quo\"ted");
	ct("text/plain; =x; ;; c", "text/plain");
	ct("text", "invalid");
	ct(";charset=utf-8", "invalid");
	ct("\"text/plain\"", "invalid");
	ct("", "invalid");
	/* RFC 2231: the RFC example, Dovecot's order (plain first), out-of-order sections */
	ct("application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; "
	   "title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"",
	   "application/x-stuff;title*=us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn't it!");
	ct("text/plain; a*0=x; b=y; a*1=z; c*=iso-8859-1''%E9; B=dup",
	   "text/plain;b=y;B=dup;a=xz;c*=iso-8859-1''%E9");
	ct("a/b; f*1=\"2\"; f*0=\"1\"; f*0=\"dup\"; f*2*=%25", "a/b;f*=''12%25");
	ct("a/b; g*1*=x; g*0=100%", "a/b;g*=''100%25x");
	ct("a/b; h*x=1; *=2; i*99999999=3", "a/b;h*x=1;*=2;i*99999999=3");
	ct("a/b; j*150=x; k=1", "a/b;k=1");
}

static void test_param_limit(void)
{
	struct pb_buf v;
	char *type, *subtype;
	struct mime_param_list params;

	pb_buf_init(&v);
	pb_buf_append_str(&v, "text/plain");
	for (int i = 0; i < MIME_PARAMS_MAX + 10; i++)
		pb_buf_printf(&v, "; p%d=%d", i, i);
	REQUIRE(mime_content_type_parse(v.data, v.len, &type, &subtype, &params) == 0);
	CHECK_INT(params.n, MIME_PARAMS_MAX);
	CHECK_STR(mime_param_list_get(&params, "P5"), "5");
	CHECK(mime_param_list_get(&params, "p70") == NULL);
	struct mime_param_list copy;
	mime_param_list_copy(&copy, &params);
	CHECK_INT(copy.n, params.n);
	CHECK_STR(copy.v[3].value, "3");
	mime_param_list_free(&copy);
	mime_param_list_free(&params);
	free(type);
	free(subtype);
	pb_buf_deinit(&v);
}

static void test_disposition_language_token(void)
{
	char *disp = NULL, **langs = NULL, *tok;
	struct mime_param_list params;
	const char *v = "attachment; filename=\"a b.txt\"; size=12";

	REQUIRE(mime_content_disposition_parse(v, strlen(v), &disp, &params) == 0);
	CHECK_STR(disp, "attachment");
	CHECK_INT(params.n, 2);
	CHECK_STR(mime_param_list_get(&params, "filename"), "a b.txt");
	free(disp);
	mime_param_list_free(&params);
	CHECK_INT(mime_content_disposition_parse("  ; x=y", 7, &disp, &params), -1);

	v = "en, de (German) ,fr-CA,";
	unsigned int n = mime_content_language_parse(v, strlen(v), &langs);
	REQUIRE(n == 3);
	CHECK_STR(langs[0], "en");
	CHECK_STR(langs[1], "de");
	CHECK_STR(langs[2], "fr-CA");
	for (unsigned int i = 0; i < n; i++)
		free(langs[i]);
	free(langs);

	tok = mime_header_token_parse(" quoted-printable (comment)", 27);
	CHECK_STR(tok, "quoted-printable");
	free(tok);
	CHECK(mime_header_token_parse(" (only comment) ", 16) == NULL);
}

static const char block[] =
	"From: a@b\r\n"
	"Subject: one\r\n"
	"\ttwo\r\n"
	"not a field\r\n"
	"X-Empty:\r\n"
	"to : c@d\r\n"
	"\r\n"
	"Subject: body, not header\r\n";

static void test_header_block(void)
{
	struct mime_header_iter it;
	struct mime_header_field f;
	struct pb_buf got;

	pb_buf_init(&got);
	mime_header_iter_init(&it, block, strlen(block));
	while (mime_header_iter_next(&it, &f) > 0)
		pb_buf_printf(&got, "[%.*s=%.*s]", (int)f.name_len, f.name, (int)f.value_len, f.value);
	mime_header_iter_deinit(&it);
	CHECK_STR(got.data, "[From=a@b][Subject=one\ttwo][X-Empty=][to=c@d]");

	pb_buf_reset(&got);
	CHECK_INT(mime_header_get(block, strlen(block), "SUBJECT", &got), 1);
	CHECK_STR(got.data, "one\ttwo");
	CHECK_INT(mime_header_get(block, strlen(block), "Cc", &got), 0);

	static const char *const names[] = { "subject", "To" };
	pb_buf_reset(&got);
	mime_header_filter(block, strlen(block), names, 2, false, &got);
	CHECK_STR(got.data, "Subject: one\r\n\ttwo\r\nto : c@d\r\n\r\n");
	pb_buf_reset(&got);
	mime_header_filter(block, strlen(block), names, 2, true, &got);
	CHECK_STR(got.data, "From: a@b\r\nX-Empty:\r\n\r\n");
	pb_buf_reset(&got);
	mime_header_filter("X: y", 4, names, 2, true, &got);
	CHECK_STR(got.data, "X: y\r\n\r\n");
	pb_buf_deinit(&got);
}

static const struct pb_test_case tests[] = {
	{ "content_type", test_content_type },
	{ "param_limit", test_param_limit },
	{ "disposition_language_token", test_disposition_language_token },
	{ "header_block", test_header_block },
};

PB_TEST_MAIN(tests)
