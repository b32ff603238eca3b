/*
 * test-store-collector.c: the mail collectors' records — definitions and status by name,
 * seen marks (put, iterate, forget, deleted with their collector), and the spool's commit
 * with a collector mark: written in the same batch as the entry, and a second commit with the
 * mark stores nothing (put and chunked upload, its chunks cleaned), while a mark that only
 * says "notified" or "requested" lets the commit through, keeping its first-seen time.
 * OWNS: a temporary database per case. THREAD: main only.
 */
#include "store-collector.h"
#include "store-spool.h"
#include "pb-test-store.h"

static int count_def(const char *name, const char *json, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

static void test_definitions(void)
{
	char *dir = store_test_tmpdir("coll-defs");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	char *json = NULL;
	int n = 0;

	CHECK(pb_collector_name_valid("isp-1.main_box"));
	CHECK(!pb_collector_name_valid("has space"));
	CHECK(!pb_collector_name_valid(""));
	CHECK(pb_collector_uidl_valid("00000001abc!~"));
	CHECK(!pb_collector_uidl_valid("sp ace"));
	CHECK_INT(pb_store_collector_get(s, "isp", &json, &err), 0);
	CHECK_INT(pb_store_collector_put(s, "isp", "{\"a\":1}", &err), 0);
	CHECK_INT(pb_store_collector_put(s, "other", "{}", &err), 0);
	CHECK_INT(pb_store_collector_put(s, "bad name", "{}", &err), -1);
	CHECK_INT(pb_store_collector_get(s, "isp", &json, &err), 1);
	CHECK_STR(json, "{\"a\":1}");
	free(json);
	CHECK_INT(pb_store_collector_status_put(s, "isp", "{\"r\":2}", &err), 0);
	CHECK_INT(pb_store_collector_status_get(s, "isp", &json, &err), 1);
	CHECK_STR(json, "{\"r\":2}");
	free(json);
	CHECK_INT(pb_store_collector_iter(s, count_def, &n, &err), 0);
	CHECK_INT(n, 2); /* statuses and marks are not definitions */
	CHECK_INT(pb_store_collector_del(s, "isp", &err), 1);
	CHECK_INT(pb_store_collector_del(s, "isp", &err), 0);
	CHECK_INT(pb_store_collector_status_get(s, "isp", &json, &err), 0);
	store_test_done(&s, &dir);
}

struct seen_list {
	struct pb_seen v[8];
	int n;
};

static int collect_seen(const struct pb_seen *seen, void *ctx)
{
	struct seen_list *l = ctx;
	l->v[l->n++] = *seen;
	return 0;
}

static struct seen_list seen_of(struct pb_store *s, const char *name)
{
	struct seen_list l = { .n = 0 };
	const char *err = NULL;

	CHECK_INT(pb_store_seen_iter(s, name, collect_seen, &l, &err), 0);
	return l;
}

static void test_seen_marks(void)
{
	char *dir = store_test_tmpdir("coll-seen");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	struct pb_seen a = { "UID1", PB_SEEN_FETCHED, 1000 }, b = { "UID2", PB_SEEN_NOTIFIED, 2000 };

	CHECK_INT(pb_store_collector_put(s, "isp", "{}", &err), 0);
	CHECK_INT(pb_store_seen_put(s, "isp", &a, &err), 0);
	CHECK_INT(pb_store_seen_put(s, "isp", &b, &err), 0);
	CHECK_INT(pb_store_seen_put(s, "isp2", &a, &err), 0); /* "isp " is not a prefix of it */
	struct seen_list l = seen_of(s, "isp");
	CHECK_INT(l.n, 2);
	CHECK_STR(l.v[0].uidl, "UID1");
	CHECK_INT(l.v[0].state, PB_SEEN_FETCHED);
	CHECK_INT(l.v[1].first_ms, 2000);
	CHECK_INT(pb_store_seen_forget(s, "isp", "UID1", &err), 0);
	CHECK_INT(seen_of(s, "isp").n, 1);
	CHECK_INT(pb_store_collector_del(s, "isp", &err), 1);
	CHECK_INT(seen_of(s, "isp").n, 0);
	CHECK_INT(seen_of(s, "isp2").n, 1);
	store_test_done(&s, &dir);
}

static int count_spool(const struct pb_spool_rec *r, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

static int spool_entries(struct pb_store *s)
{
	const char *err = NULL;
	int n = 0;
	CHECK_INT(pb_store_spool_iter(s, count_spool, &n, &err), 0);
	return n;
}

static void rec_init(struct pb_spool_rec *r, char **rcpts, uint64_t *ids, const char *mark)
{
	*r = (struct pb_spool_rec){ .sender = xstrdup(""), .msgid = xstrdup("m"), .rcpts = rcpts,
				    .rcpt_ids = ids, .n_rcpts = 1, .received_ms = 5000,
				    .mark = mark != NULL ? xstrdup(mark) : NULL };
}

/* Frees what rec_init allocated (the arrays are the caller's). */
static void rec_done(struct pb_spool_rec *r)
{
	free(r->sender);
	free(r->msgid);
	free(r->mark);
}

static void test_spool_mark(void)
{
	char *dir = store_test_tmpdir("coll-mark");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	char *rcpts[] = { "bob@x" };
	uint64_t ids[] = { 7 };
	struct pb_spool_rec r;

	rec_init(&r, rcpts, ids, "isp U1");
	CHECK_INT(pb_store_spool_put(s, "body", 4, &r, &err), 0);
	CHECK(r.id != 0);
	rec_done(&r);
	rec_init(&r, rcpts, ids, "isp U1");
	CHECK_INT(pb_store_spool_put(s, "body", 4, &r, &err), 1); /* in the spool already */
	CHECK_INT((int)r.id, 0);
	rec_done(&r);
	CHECK_INT(spool_entries(s), 1);
	struct seen_list l = seen_of(s, "isp");
	CHECK_INT(l.n, 1);
	CHECK_INT(l.v[0].state, PB_SEEN_FETCHED);
	CHECK_INT(l.v[0].first_ms, 5000);
	/* notified, then asked for: the commit goes through and keeps the first-seen time */
	struct pb_seen told = { "U2", PB_SEEN_REQUESTED, 1234 };
	CHECK_INT(pb_store_seen_put(s, "isp", &told, &err), 0);
	rec_init(&r, rcpts, ids, "isp U2");
	CHECK_INT(pb_store_spool_put(s, "big", 3, &r, &err), 0);
	rec_done(&r);
	l = seen_of(s, "isp");
	CHECK_INT(l.n, 2);
	CHECK_INT(l.v[1].state, PB_SEEN_FETCHED);
	CHECK_INT(l.v[1].first_ms, 1234);
	/* without a mark nothing is checked */
	rec_init(&r, rcpts, ids, NULL);
	CHECK_INT(pb_store_spool_put(s, "body", 4, &r, &err), 0);
	rec_done(&r);
	CHECK_INT(spool_entries(s), 3);
	store_test_done(&s, &dir);
}

static void test_upload_mark(void)
{
	char *dir = store_test_tmpdir("coll-upmark");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	char *rcpts[] = { "bob@x" };
	uint64_t ids[] = { 7 };
	struct pb_spool_rec r;
	struct pb_store_upload *up;
	uint64_t chunks = 0, uploads = 0;
	static char data[300000];

	memset(data, 'a', sizeof(data));
	for (int round = 0; round < 2; round++) {
		CHECK_INT(pb_store_upload_begin(s, 0, 1, &up, &err), 0);
		CHECK_INT(pb_store_upload_write(s, up, data, sizeof(data), &err), 0);
		rec_init(&r, rcpts, ids, "isp BIG");
		CHECK_INT(pb_store_upload_commit_spool(s, &up, &r, &err), round);
		CHECK(up == NULL);
		rec_done(&r);
	}
	CHECK_INT(spool_entries(s), 1);
	CHECK_INT(pb_store_chunks_count(s, &chunks, &uploads, &err), 0);
	CHECK_INT((int)uploads, 0); /* the refused upload's record and chunks are gone */
	store_test_done(&s, &dir);
}

static const struct pb_test_case cases[] = {
	{ "definitions", test_definitions },
	{ "seen_marks", test_seen_marks },
	{ "spool_mark", test_spool_mark },
	{ "upload_mark", test_upload_mark },
};

PB_TEST_MAIN(cases)
