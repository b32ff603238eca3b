/*
 * test-http.c: the web gateway's pure code — the request reader (a table of streams, each fed
 * whole, in random reads and byte by byte with the same transcript), path normalisation, the
 * Accept-Encoding and If-None-Match checks, response heads, and the static pages' table
 * (loaded from a temporary directory with a symbolic link, a bad name and a subdirectory).
 */
#include "http-request.h"
#include "http-response.h"
#include "http-test-util.h"
#include "pb-test-files.h"
#include "web-assets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

struct stream_case {
	const char *in;
	const char *expected;
};

#define H "Host: h\r\n"

static const struct stream_case stream_cases[] = {
	{ "GET / HTTP/1.1\r\n" H "\r\n", "GET / ka=1 f=1 b=0\n" },
	{ "GET /a//b/./c/?x=1&y HTTP/1.1\r\n" H "\r\n", "GET /a/b/c/ q=x=1&y ka=1 f=1 b=0\n" },
	{ "HEAD /x HTTP/1.1\r\n" H "Connection: close\r\n\r\n", "HEAD /x ka=0 f=2 b=0\n" },
	{ "GET /x HTTP/1.0\r\n\r\n", "GET /x ka=0 f=0 b=0\n" },
	{ "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET /x ka=1 f=1 b=0\n" },
	/* pipelined: three requests in one stream, the second with a body */
	{ "GET /1 HTTP/1.1\r\n" H "\r\nPOST /2 HTTP/1.1\r\n" H "Content-Length: 3\r\n\r\nabc"
	  "GET /3 HTTP/1.1\r\n" H "\r\n",
	  "GET /1 ka=1 f=1 b=0\nPOST /2 ka=1 f=2 b=3 body=abc\nGET /3 ka=1 f=1 b=0\n" },
	{ "POST /c HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
	  "POST /c ka=1 f=2 b=5 body=abcde\n" },
	{ "OPTIONS * HTTP/1.1\r\n" H "\r\n", "OPTIONS * ka=1 f=1 b=0\n" },
	/* absolute form: the path is used */
	{ "GET http://h/abs?q HTTP/1.1\r\n" H "\r\n", "GET /abs q=q ka=1 f=1 b=0\n" },
	{ "GET / HTTP/1.1\r\n" H, "MORE\n" },
	/* refusals */
	{ "GET / HTTP/1.1\r\n\r\n", "ERR 400\n" },                         /* no Host */
	{ "GET / HTTP/2.0\r\n" H "\r\n", "ERR 505\n" },
	{ "BREW / HTTP/1.1\r\n" H "\r\n", "ERR 501\n" },
	{ "PROPFIND / HTTP/1.1\r\n" H "\r\n", "ERR 501\n" },
	{ "GET /%2e%2e/etc/passwd HTTP/1.1\r\n" H "\r\n", "ERR 400\n" },
	{ "GET /a/../b HTTP/1.1\r\n" H "\r\n", "ERR 400\n" },
	{ "GET /a%00b HTTP/1.1\r\n" H "\r\n", "ERR 400\n" },
	{ "GET /a%5cb HTTP/1.1\r\n" H "\r\n", "ERR 400\n" },
	{ "GET /a%2fb HTTP/1.1\r\n" H "\r\n", "ERR 400\n" },
	{ "GET /a%zz HTTP/1.1\r\n" H "\r\n", "ERR 400\n" },
	{ "GET * HTTP/1.1\r\n" H "\r\n", "ERR 400\n" },
	{ "POST / HTTP/1.1\r\n" H "Content-Length: 65\r\n\r\n", "ERR 413\n" },
	{ "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n"
	  "40\r\n0123456789012345678901234567890123456789012345678901234567890123\r\n"
	  "1\r\nx\r\n0\r\n\r\n",
	  "ERR 413\n" },
	/* smuggling: both Content-Length and chunked, or two lengths */
	{ "POST / HTTP/1.1\r\n" H "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	  "ERR 400\n" },
	{ "POST / HTTP/1.1\r\n" H "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "ERR 400\n" },
	{ "GET / HTTP/1.1\r\n" H "Bad Name: x\r\n\r\n", "ERR 400\n" },
	{ "GET / HTTP/1.1\r\n" H "X: a\0b\r\n\r\n", "ERR 400\n" },
	/* a good request before a bad one is answered */
	{ "GET /ok HTTP/1.1\r\n" H "\r\nGARBAGE\r\n\r\n", "GET /ok ka=1 f=1 b=0\nERR 501\n" },
	/* the parser cannot tell a bad request line from an unknown method: 501 for both */
	{ "GET /ok HTTP/1.1\r\n" H "\r\nGET\r\n\r\n", "GET /ok ka=1 f=1 b=0\nERR 501\n" },
	{ "GET /ok HTTP/1.1\r\n" H "\r\nGET /x\r\n\r\n", "GET /ok ka=1 f=1 b=0\nERR 505\n" }, /* 0.9 */
};

static void check_stream(const char *in, size_t len, const char *expected)
{
	struct pb_buf whole, split;
	uint64_t seed = 42 + len;

	pb_buf_init(&whole);
	pb_buf_init(&split);
	http_test_transcript(in, len, NULL, NULL, &whole);
	CHECK_STR(whole.data != NULL ? whole.data : "", expected);
	http_test_transcript(in, len, pb_test_chunk_random, &seed, &split);
	CHECK_STR(split.data != NULL ? split.data : "", expected);
	pb_buf_reset(&split);
	http_test_transcript(in, len, pb_test_chunk_bytes, NULL, &split);
	CHECK_STR(split.data != NULL ? split.data : "", expected);
	pb_buf_deinit(&whole);
	pb_buf_deinit(&split);
}

static void test_streams(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(stream_cases); i++) {
		const char *in = stream_cases[i].in;
		/* the NUL case: its length runs to the end of the literal */
		size_t len = strlen(in);
		if (strstr(in, "X: a") != NULL && in[len + 1] == 'b')
			len += 1 + strlen(in + len + 1);
		check_stream(in, len, stream_cases[i].expected);
	}
}

/* The head limit: a head of exactly the limit is read, one octet more is 431; a long
 * target is 414. */
static void test_head_limits(void)
{
	struct pb_buf in, want;
	pb_buf_init(&in);
	pb_buf_init(&want);
	/* what the limit counts: the target, the field names and the values */
	size_t fixed = strlen("/") + strlen("Host") + strlen("h") + strlen("X");
	pb_buf_append_str(&in, "GET / HTTP/1.1\r\n" H "X: ");
	for (size_t i = 0; i < HTTP_TEST_MAX_HEAD - fixed; i++)
		pb_buf_append_c(&in, 'v');
	pb_buf_append_str(&in, "\r\n\r\n");
	check_stream(in.data, in.len, "GET / ka=1 f=2 b=0\n");
	pb_buf_reset(&in);
	pb_buf_append_str(&in, "GET / HTTP/1.1\r\n" H "X: ");
	for (size_t i = 0; i < HTTP_TEST_MAX_HEAD - fixed + 1; i++)
		pb_buf_append_c(&in, 'v');
	pb_buf_append_str(&in, "\r\n\r\n");
	check_stream(in.data, in.len, "ERR 431\n");
	pb_buf_reset(&in);
	pb_buf_append_str(&in, "GET /");
	for (size_t i = 0; i < HTTP_TARGET_MAX; i++)
		pb_buf_append_c(&in, 'a');
	pb_buf_append_str(&in, " HTTP/1.1\r\n" H "\r\n");
	struct http_limits big = { .max_head = 1 << 20, .max_body = 0 };
	struct http_reader *r = http_reader_new(&big);
	size_t used;
	CHECK_INT(http_reader_feed(r, in.data, in.len, &used), HTTP_READ_ERROR);
	CHECK_INT(http_reader_status(r), 414);
	http_reader_free(&r);
	/* many fields */
	pb_buf_reset(&in);
	pb_buf_append_str(&in, "GET / HTTP/1.1\r\n" H);
	for (int i = 0; i < HTTP_MAX_HEADERS; i++)
		pb_buf_append_str(&in, "A: b\r\n");
	pb_buf_append_str(&in, "\r\n");
	r = http_reader_new(&big);
	CHECK_INT(http_reader_feed(r, in.data, in.len, &used), HTTP_READ_ERROR);
	CHECK_INT(http_reader_status(r), 431);
	http_reader_free(&r);
	pb_buf_deinit(&in);
	pb_buf_deinit(&want);
}

static void test_fields(void)
{
	const char *in = "GET / HTTP/1.1\r\nHOST:   example.org  \r\nAccept-Encoding:\tgzip\r\n\r\n";
	struct http_limits lim = { .max_head = 4096, .max_body = 0 };
	struct http_reader *r = http_reader_new(&lim);
	size_t used;

	REQUIRE(http_reader_feed(r, in, strlen(in), &used) == HTTP_READ_DONE);
	CHECK_INT(used, strlen(in));
	const struct http_request *q = http_reader_request(r);
	CHECK_STR(http_request_field(q, "host"), "example.org");
	CHECK_STR(http_request_field(q, "accept-encoding"), "gzip");
	CHECK(http_request_field(q, "cookie") == NULL);
	CHECK_STR(q->target, "/");
	http_reader_free(&r);
}

/* Expect: 100-continue (RFC 9110 10.1.1): due once, after an accepted head, before any body
 * octet; never for HTTP/1.0, a request without a body, or a body over the limit (413). */
static void test_expect_continue(void)
{
	static const struct {
		const char *head;
		enum http_read read;
		bool due;
	} cases[] = {
		{ "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
		  HTTP_READ_MORE, true },
		{ "PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", HTTP_READ_MORE, true },
		{ "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n", HTTP_READ_MORE, false },
		{ "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
		  HTTP_READ_MORE, false },
		{ "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\na",
		  HTTP_READ_MORE, false }, /* the body comes already */
		{ "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
		  HTTP_READ_DONE, false },
		{ "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 65\r\n\r\n",
		  HTTP_READ_ERROR, false },
	};
	struct http_limits lim = { .max_head = 4096, .max_body = 64 };

	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++) {
		struct http_reader *r = http_reader_new(&lim);
		size_t used;
		CHECK_INT(http_reader_feed(r, cases[i].head, strlen(cases[i].head), &used),
			  cases[i].read);
		CHECK_INT(http_reader_continue(r), cases[i].due);
		CHECK(!http_reader_continue(r)); /* once */
		if (cases[i].read == HTTP_READ_ERROR)
			CHECK_INT(http_reader_status(r), 413);
		http_reader_free(&r);
	}
	/* due again for the next request on the connection, not carried over */
	struct http_reader *r = http_reader_new(&lim);
	const char *one = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
			  "Content-Length: 2\r\n\r\n";
	size_t used;
	for (int round = 0; round < 2; round++) {
		REQUIRE(http_reader_feed(r, one, strlen(one), &used) == HTTP_READ_MORE);
		CHECK(http_reader_continue(r));
		REQUIRE(http_reader_feed(r, "ab", 2, &used) == HTTP_READ_DONE);
		CHECK(!http_reader_continue(r));
		CHECK_INT(http_reader_request(r)->body.len, 2);
		http_reader_next(r);
	}
	http_reader_free(&r);
}

/* One request of len body octets (Content-Length) as verb to path: its outcome's status
 * (0: read whole). */
static int upload_status(const struct http_limits *lim, const char *verb, const char *path,
			 size_t len)
{
	struct pb_buf in;
	struct http_reader *r = http_reader_new(lim);
	size_t used;

	pb_buf_init(&in);
	pb_buf_printf(&in, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n", verb,
		      path, len);
	for (size_t i = 0; i < len; i++)
		pb_buf_append_c(&in, 'u');
	enum http_read rd = http_reader_feed(r, in.data, in.len, &used);
	int status = rd == HTTP_READ_DONE ? 0 : rd == HTTP_READ_ERROR ? http_reader_status(r) : -1;
	if (rd == HTTP_READ_DONE)
		CHECK_INT(http_reader_request(r)->body.len + http_reader_request(r)->body_sunk, len);
	http_reader_free(&r);
	pb_buf_deinit(&in);
	return status;
}

static int refused_asked;
static struct pb_buf sunk;
static int sink_fails; /* what the sink returns: 0 takes the piece */

static int sink(void *ctx, const void *data, size_t len)
{
	if (sink_fails != 0)
		return sink_fails;
	pb_buf_append(ctx, data, len);
	return 0;
}

static int refuse_upload(void *ctx, const struct http_request *q, uint64_t length)
{
	refused_asked++;
	return length == 77 ? 429 : 0;
}

/* A POST to the upload path may carry max_upload octets (unless upload_ok refuses); any other
 * request max_body. */
static void test_upload_limit(void)
{
	struct http_limits lim = { .max_head = 4096, .max_body = 100,
				   .upload_path = "/api/mail/uploads", .max_upload = 5000 };

	CHECK_INT(upload_status(&lim, "POST", "/api/mail/uploads", 5000), 0);
	CHECK_INT(upload_status(&lim, "POST", "/api/mail/uploads", 5001), 413);
	CHECK_INT(upload_status(&lim, "POST", "/api/mail/uploads?name=a.pdf", 4000), 0);
	CHECK_INT(upload_status(&lim, "POST", "/api/mail/send", 101), 413);
	CHECK_INT(upload_status(&lim, "PUT", "/api/mail/uploads", 101), 413);
	CHECK_INT(upload_status(&lim, "POST", "/api/mail/uploads/x", 101), 413);
	CHECK_INT(upload_status(&lim, "POST", "/api/mail/send", 100), 0);
	/* the caller's check of the head refuses: the body stays within max_body */
	lim.upload_ok = refuse_upload;
	CHECK_INT(upload_status(&lim, "POST", "/api/mail/uploads", 101), 413);
	CHECK_INT(upload_status(&lim, "POST", "/api/mail/uploads", 100), 0);
	CHECK_INT(refused_asked, 2);
	/* or refuses the request at once, with its own status */
	CHECK_INT(upload_status(&lim, "POST", "/api/mail/uploads", 77), 429);
	CHECK_INT(refused_asked, 3);
	/* a sink takes an upload's body as it arrives, none of it kept */
	lim.upload_ok = NULL;
	lim.body_sink = sink;
	lim.upload_ctx = &sunk;
	pb_buf_init(&sunk);
	CHECK_INT(upload_status(&lim, "POST", "/api/mail/uploads", 5000), 0);
	CHECK_INT(sunk.len, 5000);
	CHECK_INT(upload_status(&lim, "POST", "/api/mail/send", 100), 0); /* kept: not an upload */
	CHECK_INT(sunk.len, 5000);
	sink_fails = -1;
	CHECK_INT(upload_status(&lim, "POST", "/api/mail/uploads", 10), 503);
	sink_fails = 429; /* the account's room ran out as the body arrived */
	CHECK_INT(upload_status(&lim, "POST", "/api/mail/uploads", 10), 429);
	pb_buf_deinit(&sunk);
	lim.body_sink = NULL;
	lim.upload_path = NULL;
	CHECK_INT(upload_status(&lim, "POST", "/api/mail/uploads", 101), 413);
}

static void test_paths(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "/", "/" },           { "//", "/" },          { "/a", "/a" },
		{ "/a/", "/a/" },       { "/./a/./b", "/a/b" }, { "/a%20b", "/a b" },
		{ "/%41", "/A" },       { "/a/.", "/a/" },      { "/..", NULL },
		{ "/a/..", NULL },      { "/%2E%2E", NULL },     { "/a/%2e", "/a/" },    { "/a%2F", NULL },
		{ "/%", NULL },         { "/%4", NULL },        { "/%0a", NULL },
		{ "a", NULL },          { "/..a", "/..a" },     { "/a..", "/a.." },
	};
	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++) {
		char *out = NULL;
		int rc = http_path_normalise(cases[i].in, strlen(cases[i].in), &out);
		if (cases[i].out == NULL) {
			CHECK_INT(rc, -1);
		} else {
			CHECK_INT(rc, 0);
			CHECK_STR(out, cases[i].out);
		}
		free(out);
	}
}

static void test_accept_gzip(void)
{
	CHECK(http_accepts_gzip("gzip"));
	CHECK(http_accepts_gzip("br, gzip;q=0.5"));
	CHECK(http_accepts_gzip("GZIP"));
	CHECK(http_accepts_gzip("*"));
	CHECK(http_accepts_gzip("deflate, x-gzip"));
	CHECK(!http_accepts_gzip("gzip;q=0"));
	CHECK(!http_accepts_gzip("gzip; q=0.000"));
	CHECK(http_accepts_gzip("gzip;q=0.001"));
	CHECK(!http_accepts_gzip("br, deflate"));
	CHECK(!http_accepts_gzip("gzipx"));
	CHECK(!http_accepts_gzip(""));
	CHECK(!http_accepts_gzip(NULL));
}

static void test_etags(void)
{
	const char *tag = "\"abc\"";
	CHECK(http_etag_matches("\"abc\"", tag));
	CHECK(http_etag_matches("\"x\", \"abc\"", tag));
	CHECK(http_etag_matches("W/\"abc\"", tag));
	CHECK(http_etag_matches("*", tag));
	CHECK(!http_etag_matches("\"abcd\"", tag));
	CHECK(!http_etag_matches("abc", tag));
	CHECK(!http_etag_matches("", tag));
	CHECK(!http_etag_matches(NULL, tag));
}

static void test_heads(void)
{
	struct pb_buf out;
	pb_buf_init(&out);
	http_error_write(&out, 404, false, true, true, NULL, 0);
	CHECK(strncmp(out.data, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
	CHECK(strstr(out.data, "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n") != NULL);
	CHECK(strstr(out.data, "Content-Length: 14\r\n") != NULL);
	CHECK(strstr(out.data, "Connection: close\r\n") != NULL);
	CHECK(strstr(out.data, "Strict-Transport-Security: max-age=31536000\r\n") != NULL);
	CHECK(strstr(out.data, "X-Content-Type-Options: nosniff\r\n") != NULL);
	CHECK(strstr(out.data, "frame-ancestors 'none'") != NULL);
	CHECK(strstr(out.data, "unsafe-inline") == NULL);
	const char *body = strstr(out.data, "\r\n\r\n");
	REQUIRE(body != NULL);
	CHECK_STR(body + 4, "404 Not Found\n");
	pb_buf_reset(&out);
	struct http_head h = { .status = 304, .keep_alive = true, .etag = "\"t\"" };
	http_head_write(&out, &h, 0);
	CHECK(strstr(out.data, "Content-Length") == NULL);
	CHECK(strstr(out.data, "Connection: close") == NULL);
	CHECK(strstr(out.data, "Strict-Transport-Security") == NULL);
	CHECK(strstr(out.data, "ETag: \"t\"\r\n") != NULL);
	CHECK(strstr(out.data, "Content-Disposition") == NULL);
	pb_buf_reset(&out);
	h = (struct http_head){ .status = 200, .content_type = "application/octet-stream",
				.disposition = "attachment; filename*=UTF-8''a.bin" };
	http_head_write(&out, &h, 0);
	CHECK(strstr(out.data, "Content-Disposition: attachment; filename*=UTF-8''a.bin\r\n") != NULL);
	pb_buf_deinit(&out);
	/* every status the web gateway answers has its reason phrase (once "201 Unknown") */
	static const int used[] = { 200, 201, 202, 204, 301, 304, 308, 400, 401, 403, 404, 405,
				    408, 409, 410, 413, 414, 415, 429, 431, 500, 501, 503, 505, 507 };
	for (size_t i = 0; i < PB_N_ELEMENTS(used); i++)
		CHECK(strcmp(http_status_text(used[i]), "Unknown") != 0);
	CHECK_STR(http_status_text(201), "Created");
	CHECK_STR(http_status_text(429), "Too Many Requests");
}

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		CHECK_INT(write(fd, text, len), (long long)len);
		close(fd);
	}
}

/* Inflates a gzip copy back, for comparison. */
static bool gunzip_equals(const char *gz, size_t gz_len, const char *want, size_t want_len)
{
	char out[65536];
	z_stream z = { 0 };
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return false;
	z.next_in = (unsigned char *)gz;
	z.avail_in = (uInt)gz_len;
	z.next_out = (unsigned char *)out;
	z.avail_out = sizeof(out);
	int rc = inflate(&z, Z_FINISH);
	size_t n = z.total_out;
	inflateEnd(&z);
	return rc == Z_STREAM_END && n == want_len && memcmp(out, want, n) == 0;
}

static void test_assets(void)
{
	char dir[] = "/tmp/pb-web-XXXXXX";
	char path[256], big[8192];
	REQUIRE(mkdtemp(dir) != NULL);

	memset(big, 'a', sizeof(big));
	snprintf(path, sizeof(path), "%s/index.html", dir);
	write_file(path, "<p>home</p>", 11);
	snprintf(path, sizeof(path), "%s/app.js", dir);
	write_file(path, big, sizeof(big));
	snprintf(path, sizeof(path), "%s/admin", dir);
	CHECK_INT(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/admin/index.html", dir);
	write_file(path, "admin", 5);
	snprintf(path, sizeof(path), "%s/bad name.html", dir);
	write_file(path, "x", 1);
	snprintf(path, sizeof(path), "%s/.hidden", dir);
	write_file(path, "x", 1);
	snprintf(path, sizeof(path), "%s/passwd", dir);
	CHECK_INT(symlink("/etc/passwd", path), 0);

	struct web_assets *a = NULL;
	char *error = NULL;
	REQUIRE(web_assets_load(dir, &a, &error) == 0);
	/* the three files, and node-dompurify's served as /mail/purify.min.js (a Depends) */
	CHECK_INT(web_assets_count(a), 4);
	REQUIRE(web_assets_find(a, "/mail/purify.min.js") != NULL);
	CHECK_STR(web_assets_find(a, "/mail/purify.min.js")->type, "text/javascript; charset=utf-8");
	const struct web_asset *w = web_assets_find(a, "/");
	REQUIRE(w != NULL);
	CHECK_STR(w->path, "/index.html");
	CHECK_STR(w->type, "text/html; charset=utf-8");
	CHECK_INT(strlen(w->etag), 34);
	CHECK(w->etag[0] == '"' && w->etag[33] == '"');
	w = web_assets_find(a, "/admin/");
	REQUIRE(w != NULL);
	CHECK_INT(w->len, 5);
	CHECK(w->gz == NULL); /* not smaller */
	w = web_assets_find(a, "/app.js");
	REQUIRE(w != NULL && w->gz != NULL);
	CHECK(w->gz_len < 200);
	CHECK(gunzip_equals(w->gz, w->gz_len, big, sizeof(big)));
	CHECK(web_assets_find(a, "/passwd") == NULL);
	CHECK(web_assets_find(a, "/bad name.html") == NULL);
	CHECK(web_assets_find(a, "/.hidden") == NULL);
	CHECK(web_assets_find(a, "/admin") == NULL);
	CHECK(web_assets_find(a, "/nothing/") == NULL);
	web_assets_free(&a);
	CHECK(a == NULL);

	CHECK_INT(web_assets_load("/nonexistent-pb-dir", &a, &error), -1);
	CHECK(error != NULL && strstr(error, "nonexistent-pb-dir") != NULL);
	free(error);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
}

static void test_types(void)
{
	CHECK_STR(web_asset_type("a.css"), "text/css; charset=utf-8");
	CHECK_STR(web_asset_type("a.svg"), "image/svg+xml");
	CHECK_STR(web_asset_type("a.bin"), "application/octet-stream");
	CHECK_STR(web_asset_type("css"), "application/octet-stream");
}

static const struct pb_test_case cases[] = {
	{ "streams", test_streams },     { "head_limits", test_head_limits },
	{ "fields", test_fields },       { "paths", test_paths },
	{ "upload_limit", test_upload_limit }, { "expect_continue", test_expect_continue },
	{ "accept_gzip", test_accept_gzip }, { "etags", test_etags },
	{ "heads", test_heads },         { "assets", test_assets },
	{ "types", test_types },
};

PB_TEST_MAIN(cases)
