/*
 * test-web-mail.c: the webmail's pure helpers (web-mail.h) — the /api/mail/ paths (a folder
 * percent-encoded twice, uids, parts, what is refused), query parameters (percent and '+'
 * decoding, a bad escape or a NUL refused), the attachment name's ext-value and the list's
 * cursor (made and parsed back in each order; another order's, garbage, a NUL refused) and a
 * search page's walk (every match once in order, each page bounded by its limit and the scan
 * budget); a message with uploads streamed a slice at a time (web-mail-stream.c: the slices
 * joined are the whole message, its size known before, each slice bounded, rewound the same,
 * a vanished file an error) and the upload directory emptied at start.
 */
#include "pb-test.h"
#include "web-mail.h"

#include "pb-alloc.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_paths(void)
{
	struct web_mail_path p;
	const char *error;

	REQUIRE(web_mail_path_parse("/api/mail/folders/INBOX/messages", &p, &error) == 0);
	CHECK_STR(p.folder, "INBOX");
	CHECK_INT(p.uid, 0);
	CHECK(p.part == NULL);
	web_mail_path_free(&p);
	/* the path arrives decoded once: "a%2Fb" is the folder a/b */
	REQUIRE(web_mail_path_parse("/api/mail/folders/a%2Fb/messages/42/parts/2.1", &p, &error) == 0);
	CHECK_STR(p.folder, "a/b");
	CHECK_INT(p.uid, 42);
	CHECK_STR(p.part, "2.1");
	web_mail_path_free(&p);
	REQUIRE(web_mail_path_parse("/api/mail/folders/Sent/messages/7/move", &p, &error) == 0);
	CHECK_INT(p.uid, 7);
	CHECK(p.part == NULL);
	web_mail_path_free(&p);
	static const char *const bad[] = {
		"/api/mail/folders/INBOX",		 "/api/mail/folders//messages",
		"/api/mail/folders/INBOX/messages/0",	 "/api/mail/folders/INBOX/messages/x1",
		"/api/mail/folders/INBOX/messages/4294967296", "/api/mail/folders/a%00b/messages",
		"/api/mail/folders/a%zzb/messages",	 "/api/mail/folders/INBOX/other",
		"/api/mail/other/INBOX/messages",
	};
	for (size_t i = 0; i < PB_N_ELEMENTS(bad); i++) {
		CHECK(web_mail_path_parse(bad[i], &p, &error) == -1);
		CHECK(p.folder == NULL && p.part == NULL);
	}
}

static void test_query(void)
{
	struct http_request q = { .query = "limit=5&q=caf%C3%A9+au+lait&bad=%4&nul=a%00&empty=" };
	char *v;

	CHECK_STR((v = web_query_param(&q, "limit")), "5");
	free(v);
	CHECK_STR((v = web_query_param(&q, "q")), "caf\xc3\xa9 au lait");
	free(v);
	CHECK_STR((v = web_query_param(&q, "empty")), "");
	free(v);
	CHECK(web_query_param(&q, "bad") == NULL);
	CHECK(web_query_param(&q, "nul") == NULL);
	CHECK(web_query_param(&q, "lim") == NULL);
	q.query = NULL;
	CHECK(web_query_param(&q, "limit") == NULL);
}

static void test_ext_value(void)
{
	struct pb_buf out;

	pb_buf_init(&out);
	web_mail_ext_value(&out, "r\xc3\xa9sum\xc3\xa9 \"1\";\r\n.pdf");
	pb_buf_append(&out, "", 1);
	CHECK_STR((const char *)out.data, "r%C3%A9sum%C3%A9%20%221%22%3B%0D%0A.pdf");
	pb_buf_deinit(&out);
}

/* A cursor made for each order parses back to what made it; text of another order does not. */
static void test_cursor(void)
{
	static const struct {
		uint32_t sort;
		const char *key;
		uint64_t num;
		const char *text;
	} made[] = {
		{ MAILBOX_SORT_ARRIVAL, "", 0, "77" },
		{ MAILBOX_SORT_SIZE, "", 1234, "1234.77" },
		{ MAILBOX_SORT_FROM, "al\xc3\xa9", 0, "616cc3a9.77" },
		{ MAILBOX_SORT_SUBJECT, "", 0, ".77" },
	};
	const char *error;

	for (size_t i = 0; i < PB_N_ELEMENTS(made); i++) {
		char *c = web_mail_cursor_make(made[i].sort, 77, made[i].num, made[i].key), *key;
		struct mailbox_page_query q = { 0 };
		CHECK_STR(c, made[i].text);
		REQUIRE(web_mail_cursor_parse(c, made[i].sort, &q, &key, &error) == 0);
		CHECK(q.has_cursor);
		CHECK_INT(q.after_uid, 77);
		CHECK_INT(q.after_num, made[i].num);
		if (made[i].sort >= MAILBOX_SORT_FROM)
			CHECK_STR(q.after_key, made[i].key);
		free(key);
		free(c);
	}
	static const struct {
		uint32_t sort;
		const char *text;
	} bad[] = {
		{ MAILBOX_SORT_ARRIVAL, "1234.77" }, { MAILBOX_SORT_ARRIVAL, "0" },
		{ MAILBOX_SORT_ARRIVAL, "4294967296" }, { MAILBOX_SORT_ARRIVAL, "" },
		{ MAILBOX_SORT_SIZE, "77" },	      { MAILBOX_SORT_SIZE, "x.77" },
		{ MAILBOX_SORT_FROM, "6.77" },	      { MAILBOX_SORT_FROM, "00.77" },
		{ MAILBOX_SORT_FROM, "4A.77" },	      { MAILBOX_SORT_SUBJECT, "61.-1" },
	};
	for (size_t i = 0; i < PB_N_ELEMENTS(bad); i++) {
		struct mailbox_page_query q = { 0 };
		char *key;
		CHECK(web_mail_cursor_parse(bad[i].text, bad[i].sort, &q, &key, &error) < 0);
		CHECK(key == NULL);
		CHECK(!q.has_cursor);
	}
}

/* One search page over a folder of n messages (index order) from *at, as web-mail.c walks it:
 * slices of web_mail_search_slice(), the matches kept into got[] (*n_got). *at moves to the
 * message after the last read. Returns whether more follows. */
static bool search_page(const bool *match, uint32_t n, uint32_t *at, uint32_t limit,
			uint32_t *got, size_t *n_got, uint32_t *scanned_r)
{
	struct web_mail_search s = { .limit = limit };
	uint32_t keep[MAILBOX_PAGE_MAX];

	while (!s.done) {
		uint32_t slice = web_mail_search_slice(&s), first = *at;
		CHECK(slice >= 1 && slice <= MAILBOX_PAGE_MAX);
		if (slice > n - first)
			slice = n - first;
		size_t k = web_mail_search_take(&s, match + first, slice, first + slice < n, keep);
		for (size_t i = 0; i < k; i++)
			got[(*n_got)++] = first + keep[i];
		*at = first + (s.cut != 0 ? s.cut : slice);
		CHECK(s.cut == 0 || s.found == limit);
	}
	*scanned_r = s.scanned;
	return s.more;
}

/* Paging a search: every match once, in order; no page over its limit or the scan budget;
 * a search matching nothing in 100,000 messages answers pages of none with "more". */
static void test_search_walk(void)
{
	static const uint32_t n = 10007, limits[] = { 1, 3, 7, 50, 200 };
	bool *match = xcalloc(100000, sizeof(*match));
	uint32_t *got = xcalloc(n, sizeof(*got)), scanned;

	for (uint32_t i = 0; i < n; i++) /* matches spread out, some in runs */
		match[i] = i % 97 == 5 || (i >= 3000 && i < 3040) || i == n - 1;
	for (size_t l = 0; l < PB_N_ELEMENTS(limits); l++) {
		uint32_t at = 0, pages = 0;
		size_t n_got = 0, before;
		bool more = true;
		while (more) {
			before = n_got;
			more = search_page(match, n, &at, limits[l], got, &n_got, &scanned);
			CHECK(n_got - before <= limits[l]);
			CHECK(scanned <= WEB_MAIL_SEARCH_SCAN);
			CHECK(more || at == n);
			REQUIRE(++pages < 100000);
		}
		size_t want = 0;
		for (uint32_t i = 0; i < n; i++)
			if (match[i])
				CHECK_INT(got[want++], i);
		CHECK_INT(n_got, want);
	}
	memset(match, 0, n * sizeof(*match));
	uint32_t at = 0;
	size_t n_got = 0;
	CHECK(search_page(match, 100000, &at, 50, got, &n_got, &scanned));
	CHECK_INT(n_got, 0);
	CHECK_INT(scanned, WEB_MAIL_SEARCH_SCAN);
	CHECK_INT(at, WEB_MAIL_SEARCH_SCAN);
	free(match);
	free(got);
}

/* A new empty directory (the caller removes it and frees the name). */
static char *tmp_dir(void)
{
	const char *base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char *dir = xasprintf("%s/pb-web-stream-XXXXXX", base);

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	return dir;
}

static char *file_with(const char *dir, const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len) {
		perror(path);
		exit(1);
	}
	fclose(f);
	return path;
}

/* The whole stream, slice by slice: each 1..WEB_MAIL_STREAM_SLICE octets. */
static int stream_all(struct web_mail_stream *s, struct pb_buf *all, size_t *slices_r)
{
	struct pb_buf slice;
	const char *error;
	int rc = 0;

	pb_buf_init(&slice);
	*slices_r = 0;
	for (;;) {
		if (web_mail_stream_next(s, &slice, &error) < 0) {
			rc = -1;
			break;
		}
		if (slice.len == 0)
			break;
		CHECK(slice.len <= WEB_MAIL_STREAM_SLICE);
		pb_buf_append(all, slice.data, slice.len);
		(*slices_r)++;
	}
	pb_buf_deinit(&slice);
	return rc;
}

static void test_stream(void)
{
	char *dir = tmp_dir();
	size_t big_len = 3 * 1024 * 1024 + 5;
	unsigned char *big = xmalloc(big_len);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (unsigned char)(i * 7 + (i >> 9));
	char *p1 = file_with(dir, "a", big, big_len), *p2 = file_with(dir, "b", "xy", 2);
	struct web_upload u1 = { "1", "bob", "r\xc3\xa9sum\xc3\xa9.pdf", "application/pdf", p1,
				 big_len, 0, 0 };
	struct web_upload u2 = { "2", "bob", "b.txt", "text/plain", p2, 2, 0, 0 };
	const struct web_upload *ups[] = { &u1, &u2 };
	struct pb_buf head, want, got;

	pb_buf_init(&head), pb_buf_init(&want), pb_buf_init(&got);
	pb_buf_append_str(&head, "Subject: x\r\n\r\n--B\r\ntext\r\n");
	pb_buf_append(&want, head.data, head.len);
	web_mail_part_head(&want, "B", u1.type, u1.name);
	web_mail_base64_lines(&want, big, big_len);
	web_mail_part_head(&want, "B", u2.type, u2.name);
	web_mail_base64_lines(&want, "xy", 2);
	pb_buf_append_str(&want, "--B--\r\n");
	struct web_mail_stream *s = web_mail_stream_new(&head, "B", ups, 2);
	CHECK_INT(head.len, 0); /* taken */
	CHECK_INT(web_mail_stream_size(s), want.len);
	size_t slices;
	REQUIRE(stream_all(s, &got, &slices) == 0);
	CHECK(slices >= big_len * 4 / 3 / WEB_MAIL_STREAM_SLICE);
	CHECK(got.len == want.len && memcmp(got.data, want.data, want.len) == 0);
	web_mail_stream_rewind(s);
	pb_buf_reset(&got);
	REQUIRE(stream_all(s, &got, &slices) == 0);
	CHECK(got.len == want.len && memcmp(got.data, want.data, want.len) == 0);
	/* a file gone meanwhile: an error, not a short message */
	web_mail_stream_rewind(s);
	unlink(p2);
	pb_buf_reset(&got);
	CHECK_INT(stream_all(s, &got, &slices), -1);
	web_mail_stream_free(&s);
	unlink(p1);
	rmdir(dir);
	free(p1), free(p2), free(dir), free(big);
	pb_buf_deinit(&head), pb_buf_deinit(&want), pb_buf_deinit(&got);
}

static void test_base64_size(void)
{
	unsigned char data[300] = { 0 };
	struct pb_buf out;

	pb_buf_init(&out);
	for (size_t n = 0; n < sizeof(data); n++) {
		pb_buf_reset(&out);
		web_mail_base64_lines(&out, data, n);
		CHECK_INT(web_mail_base64_size(n), out.len);
	}
	pb_buf_deinit(&out);
}

/* A previous run's upload files are removed when the table is made. */
static void test_uploads_dir(void)
{
	char *dir = tmp_dir();
	char *sub = xasprintf("%s/web-uploads", dir);
	REQUIRE(mkdir(sub, 0700) == 0);
	char *stale = file_with(sub, "0123", "old", 3);
	struct web_uploads *u = web_uploads_new(dir);

	CHECK(access(stale, F_OK) != 0);
	CHECK(web_uploads_find(u, "bob", "0123") == NULL);
	web_uploads_sweep(u, 1000000, 1);
	web_uploads_drop_login(u, 1);
	web_uploads_free(&u);
	CHECK(u == NULL);
	rmdir(sub);
	rmdir(dir);
	free(stale), free(sub), free(dir);
}

static const struct pb_test_case cases[] = {
	{ "stream", test_stream },
	{ "base64_size", test_base64_size },
	{ "uploads_dir", test_uploads_dir },
	{ "search_walk", test_search_walk },
	{ "cursor", test_cursor },
	{ "paths", test_paths },
	{ "query", test_query },
	{ "ext_value", test_ext_value },
};

PB_TEST_MAIN(cases)
