/*
 * test-store-meta.c: message meta records read many at once (pb_store_blob_meta_get_many):
 * every key answered once, in order, with the record put for it (or none: no meta, unknown
 * body, malformed key), an empty batch, a batch over the bound refused, and the same answers
 * as the single get.
 * OWNS: a temporary database per case. THREAD: main.
 */
#include "store-bodies.h"
#include "pb-test-store.h"

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

/* Puts BODIES bodies, a meta "meta-<i>" on the even ones; keys_r[i] their hex keys. */
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
		CHECK_INT(seen.found[i], body % 2 == 0 ? 1 : 0);
		snprintf(want, sizeof(want), "meta-%d", body);
		if (body % 2 == 0)
			CHECK_STR(seen.data[i], want);
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

static const struct pb_test_case cases[] = {
	{ "many_in_order", test_many_in_order },
	{ "many_equals_single", test_many_equals_single },
	{ "empty_and_over_bound", test_empty_and_over_bound },
};

PB_TEST_MAIN(cases)
