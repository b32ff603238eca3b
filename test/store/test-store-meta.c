/*
 * test-store-meta.c: message meta records read many at once (pb_store_blob_meta_get_many):
 * every key answered once, in order, with the record put for it (or none: unknown body,
 * malformed key), an empty batch, a batch over the bound refused, and the same answers
 * as the single get. Metas made at delivery: every way a body is stored (a spooled SMTP
 * message whole or uploaded in pieces, an APPEND's upload, a bare put) writes its meta in its
 * commit, the very record the readers would compute (mime_meta_build of a parse).
 * OWNS: a temporary database per case. THREAD: main.
 */
#include "mime-meta.h"
#include "mime-parser.h"
#include "pb-test-spool.h"
#include "pb-test-store.h"
#include "store-bodies.h"
#include "store-spool.h"

#include <stdio.h>

#define BODIES 40

struct seen {
	size_t calls;
	int found[BODIES + 8];
	char data[BODIES + 8][32];
};

static void record(void *ctx, size_t i, int found, const void *data, size_t len,
		   const char *error)
{
	struct seen *s = ctx;

	(void)error;
	CHECK_INT(i, s->calls); /* in the keys' order, each once */
	s->calls++;
	if (i >= BODIES + 8)
		return;
	s->found[i] = found;
	if (found == 1)
		snprintf(s->data[i], sizeof(s->data[i]), "%.*s", (int)len, (const char *)data);
}

/* Puts BODIES bodies, a meta "meta-<i>" replacing the one of delivery on the even ones;
 * keys_r[i] their hex keys. */
static void put_bodies(struct pb_store *s, char keys_r[BODIES][PB_BLOB_KEY_LEN + 1])
{
	const char *err = NULL;
	char body[64], meta[32];

	for (int i = 0; i < BODIES; i++) {
		snprintf(body, sizeof(body), "Subject: %d\r\n\r\nbody %d\r\n", i, i);
		REQUIRE(pb_store_blob_put(s, body, strlen(body), keys_r[i], &err) == 0);
		if (i % 2 == 1)
			continue;
		snprintf(meta, sizeof(meta), "meta-%d", i);
		REQUIRE(pb_store_blob_meta_put(s, keys_r[i], meta, strlen(meta), &err) == 1);
	}
}

static void test_many_in_order(void)
{
	char *dir = store_test_tmpdir("meta");
	struct pb_store *s = store_test_open(dir);
	char keys[BODIES][PB_BLOB_KEY_LEN + 1], want[32];
	const char *list[BODIES + 3], *err = NULL;
	struct seen seen = { 0 };
	char bad_digit[PB_BLOB_KEY_LEN + 1];

	put_bodies(s, keys);
	memcpy(bad_digit, keys[0], sizeof(bad_digit));
	bad_digit[17] = 'g'; /* a body's key but for one octet that is not a hex digit */
	/* backwards (not the store's order), then a malformed key and an unknown body */
	for (int i = 0; i < BODIES; i++)
		list[i] = keys[BODIES - 1 - i];
	list[BODIES] = "not-a-key";
	list[BODIES + 1] = "00000000000000000000000000000000000000000000000000000000000000ff";
	list[BODIES + 2] = bad_digit;
	CHECK_INT(pb_store_blob_meta_get_many(s, list, BODIES + 3, record, &seen, &err), 0);
	CHECK_INT(seen.calls, BODIES + 3);
	for (int i = 0; i < BODIES; i++) {
		int body = BODIES - 1 - i;
		CHECK_INT(seen.found[i], 1); /* the odd ones: the meta made at delivery */
		snprintf(want, sizeof(want), "meta-%d", body);
		if (body % 2 == 0)
			CHECK_STR(seen.data[i], want);
		else
			CHECK_INT(seen.data[i][0], MIME_META_VERSION);
	}
	CHECK_INT(seen.found[BODIES], 0);
	CHECK_INT(seen.found[BODIES + 1], 0);
	CHECK_INT(seen.found[BODIES + 2], 0);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

/* The batch agrees with the single get, a replaced meta included. */
static void test_many_equals_single(void)
{
	char *dir = store_test_tmpdir("meta");
	struct pb_store *s = store_test_open(dir);
	char keys[BODIES][PB_BLOB_KEY_LEN + 1];
	const char *list[BODIES], *err = NULL;
	struct seen seen = { 0 };
	struct pb_buf one;

	put_bodies(s, keys);
	REQUIRE(pb_store_blob_meta_put(s, keys[4], "newer", 5, &err) == 1);
	for (int i = 0; i < BODIES; i++)
		list[i] = keys[i];
	CHECK_INT(pb_store_blob_meta_get_many(s, list, BODIES, record, &seen, &err), 0);
	pb_buf_init(&one);
	for (int i = 0; i < BODIES; i++) {
		pb_buf_reset(&one);
		int got = pb_store_blob_meta_get(s, keys[i], &one, &err);
		CHECK_INT(seen.found[i], got);
		if (got == 1) {
			pb_buf_append(&one, "", 1);
			CHECK_STR(seen.data[i], one.data);
		}
	}
	CHECK_STR(seen.data[4], "newer");
	pb_buf_deinit(&one);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static void test_empty_and_over_bound(void)
{
	char *dir = store_test_tmpdir("meta");
	struct pb_store *s = store_test_open(dir);
	const char **list = xmalloc((PB_STORE_META_MANY_MAX + 1) * sizeof(*list));
	const char *err = NULL;
	struct seen seen = { 0 };

	CHECK_INT(pb_store_blob_meta_get_many(s, list, 0, record, &seen, &err), 0);
	CHECK_INT(seen.calls, 0);
	for (size_t i = 0; i <= PB_STORE_META_MANY_MAX; i++)
		list[i] = "not-a-key";
	CHECK_INT(pb_store_blob_meta_get_many(s, list, PB_STORE_META_MANY_MAX + 1, record, &seen,
					      &err), -1);
	CHECK_INT(seen.calls, 0);
	CHECK(err != NULL && strstr(err, "metas asked at once") != NULL);
	free(list);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

/* ---- metas made at delivery ---- */

static const char mixed_fmt[] =
	"From: \"A. Sender\" <a@example.org>\r\nTo: b@example.net, c@example.net\r\n"
	"Subject: =?UTF-8?Q?caf=C3=A9?= %s\r\nMessage-ID: <%s@example.org>\r\n"
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
	"preamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
	"--b1\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n"
	"--b1--\r\n";

/* The record the readers would compute for body: [1][mime_meta_encode of its parse]. */
static void meta_of(const char *body, size_t len, struct pb_buf *out)
{
	struct mime_parser *p = mime_parser_create(NULL);
	struct mime_event ev;
	struct mime_meta meta;

	mime_parser_feed(p, body, len);
	mime_parser_finish(p);
	while (mime_parser_next(p, &ev) > 0)
		;
	struct mime_message *msg = mime_parser_take_message(p);
	mime_meta_build(msg, len, &meta);
	pb_buf_append_c(out, 1);
	mime_meta_encode(&meta, out);
	mime_meta_deinit(&meta);
	mime_message_free(&msg);
	mime_parser_destroy(&p);
}

/* The stored meta of key is exactly meta_of(body) and decodes to an ENVELOPE naming tag. */
static void check_delivery_meta(struct pb_store *s, const char *key, const char *body,
				const char *tag)
{
	struct pb_buf got, want;
	struct mime_meta meta;
	const char *err = NULL;

	pb_buf_init(&got);
	pb_buf_init(&want);
	pb_buf_append_c(&got, 1); /* as meta_of: the version byte pb_store_blob_meta_get skips */
	REQUIRE(pb_store_blob_meta_get(s, key, &got, &err) == 1);
	meta_of(body, strlen(body), &want);
	CHECK(got.len == want.len && memcmp(got.data, want.data, got.len) == 0);
	REQUIRE(mime_meta_decode(got.data + 1, got.len - 1, &meta, &err) == 1);
	CHECK(strstr(meta.envelope, tag) != NULL);
	CHECK(strstr(meta.bodystructure, "\"mixed\"") != NULL);
	CHECK_INT(meta.size, strlen(body));
	mime_meta_deinit(&meta);
	pb_buf_deinit(&got);
	pb_buf_deinit(&want);
}

/* An upload of body in pieces of 7 octets (the parse streams across the cuts). */
static struct pb_store_upload *upload(struct pb_store *s, const char *body)
{
	struct pb_store_upload *up = NULL;
	const char *err = NULL;
	size_t len = strlen(body);

	if (pb_store_upload_begin(s, 0, 1, &up, &err) < 0)
		PANIC("upload: %s", err);
	for (size_t off = 0; off < len; off += 7)
		if (pb_store_upload_write(s, up, body + off, len - off < 7 ? len - off : 7, &err) < 0)
			PANIC("upload write: %s", err);
	return up;
}

/* Each way into the store, before any reader has seen the body: SMTP's whole-message spool
 * put, its upload committed with the last piece, an APPEND's upload, a bare put. A second
 * delivery of the same octets keeps the meta there is. */
static void test_metas_at_delivery(void)
{
	char *dir = store_test_tmpdir("meta");
	struct pb_store *s = store_test_open(dir);
	char body[4][1024], key[PB_BLOB_KEY_LEN + 1];
	const char *tags[4] = { "spool-put", "spool-upload", "append-upload", "blob-put" }, *err;
	struct pb_spool_rec r[3] = { store_test_spool_rec(), store_test_spool_rec(),
				     store_test_spool_rec() };

	for (int i = 0; i < 4; i++)
		snprintf(body[i], sizeof(body[i]), mixed_fmt, tags[i], tags[i]);
	REQUIRE(pb_store_spool_put(s, body[0], strlen(body[0]), &r[0], &err) == 0);
	check_delivery_meta(s, r[0].blob_key, body[0], tags[0]);
	struct pb_store_upload *up = upload(s, body[1]);
	REQUIRE(pb_store_upload_commit_spool_last(s, &up, "", 0, &r[1], true, &err) == 0);
	check_delivery_meta(s, r[1].blob_key, body[1], tags[1]);
	up = upload(s, body[2]);
	REQUIRE(pb_store_upload_commit_blob(s, &up, key, &err) == 0);
	check_delivery_meta(s, key, body[2], tags[2]);
	REQUIRE(pb_store_blob_put(s, body[3], strlen(body[3]), key, &err) == 0);
	check_delivery_meta(s, key, body[3], tags[3]);
	REQUIRE(pb_store_blob_meta_put(s, r[0].blob_key, "kept", 4, &err) == 1);
	REQUIRE(pb_store_spool_put(s, body[0], strlen(body[0]), &r[2], &err) == 0);
	CHECK_STR(r[2].blob_key, r[0].blob_key);
	struct pb_buf got;
	pb_buf_init(&got);
	REQUIRE(pb_store_blob_meta_get(s, r[0].blob_key, &got, &err) == 1);
	CHECK(got.len == 4 && memcmp(got.data, "kept", 4) == 0);
	pb_buf_deinit(&got);
	for (int i = 0; i < 3; i++)
		pb_spool_rec_free(&r[i]);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static const struct pb_test_case cases[] = {
	{ "metas_at_delivery", test_metas_at_delivery },
	{ "many_in_order", test_many_in_order },
	{ "many_equals_single", test_many_equals_single },
	{ "empty_and_over_bound", test_empty_and_over_bound },
};

PB_TEST_MAIN(cases)
