/*
 * test-store-generate.c: the generated-message records of the replies family
 * (store-generate.c): the autoresponder's memory pruned in bounded steps (old answers go,
 * recent ones stay), the welcome marker written with its account and taken with the welcome's
 * spool entry in one write.
 */
#include "pb-test.h"
#include "pb-test-store.h"
#include "store-accounts.h"
#include "store-bodies.h"
#include "store-spool.h"

#include <stdio.h>
#include <string.h>

#define DAY 86400000ll

/* A spool entry planned at now_ms with automatic replies from user 7 to each of addrs. */
static void answer(struct pb_store *s, int64_t now_ms, const char *const *addrs, size_t n)
{
	struct pb_spool_rec rec = { 0 };
	char *rcpt = "u@x";
	uint64_t rid = 7, zero = 0;
	const char *err;

	rec.sender = "a@b";
	rec.msgid = "m";
	rec.rcpts = &rcpt;
	rec.rcpt_ids = &rid;
	rec.n_rcpts = 1;
	char orig[64];
	int olen = snprintf(orig, sizeof(orig), "Subject: x %lld\r\n\r\nx\r\n", (long long)now_ms);
	REQUIRE(pb_store_spool_put(s, orig, (size_t)olen, &rec, &err) == 0);
	struct pb_spool_plan plan = { .rcpts = &rcpt, .ids = &rid, .n = 1 };
	struct pb_spool_gen g[4];
	char *to[4], body[4][64];
	for (size_t i = 0; i < n; i++) {
		to[i] = (char *)addrs[i];
		/* bodies differ, as real replies do */
		int len = snprintf(body[i], sizeof(body[i]), "Subject: re %s\r\n\r\nr\r\n", addrs[i]);
		g[i] = (struct pb_spool_gen){ .body = body[i], .len = (size_t)len };
		g[i].rec.sender = "";
		g[i].rec.msgid = "gen";
		g[i].rec.rcpts = &to[i];
		g[i].rec.rcpt_ids = &zero;
		g[i].rec.n_rcpts = 1;
		g[i].memo_user = 7;
		g[i].memo_addr = addrs[i];
		g[i].memo_window_ms = DAY;
	}
	struct pb_strv trace = { 0 };
	REQUIRE(pb_store_spool_plan_gen(s, rec.id, &plan, "m", now_ms, &trace, g, n, &err) == 1);
}

static void test_replied_prune(void)
{
	char *dir = store_test_tmpdir("gen-prune");
	struct pb_store *s = store_test_open(dir);
	const char *old[] = { "old1@x", "old2@x", "old3@x" }, *recent[] = { "new@x" }, *err;
	uint64_t removed = 99;
	int64_t ms;

	answer(s, 10 * DAY, old, 3);
	answer(s, 100 * DAY, recent, 1);
	CHECK_INT(pb_store_replied_prune(s, 50 * DAY, 2, &removed, &err), 0);
	CHECK_INT(removed, 2); /* bounded: two of the three old ones */
	CHECK_INT(pb_store_replied_prune(s, 50 * DAY, 2, &removed, &err), 0);
	CHECK_INT(removed, 1);
	CHECK_INT(pb_store_replied_prune(s, 50 * DAY, 2, &removed, &err), 0);
	CHECK_INT(removed, 0);
	for (size_t i = 0; i < 3; i++)
		CHECK_INT(pb_store_replied_get(s, 7, old[i], &ms, &err), 0);
	CHECK_INT(pb_store_replied_get(s, 7, "NEW@x", &ms, &err), 1);
	CHECK_INT(ms, 100 * DAY);
	store_test_done(&s, &dir);
}

struct seen {
	uint64_t ids[4];
	char names[4][40];
	size_t n;
};

static void on_pending(uint64_t user_id, const char *name, const char *address, void *arg)
{
	struct seen *v = arg;
	if (v->n < 4) {
		v->ids[v->n] = user_id;
		snprintf(v->names[v->n++], 40, "%s %s", name, address);
	}
}

static int on_entry(const struct pb_spool_rec *r, void *ctx)
{
	struct pb_spool_rec *got = ctx;
	got->id = r->id;
	got->origin = r->origin;
	got->rcpt_ids = NULL;
	got->n_rcpts = r->n_rcpts;
	got->received_ms = r->n_rcpts == 1 ? (int64_t)r->rcpt_ids[0] : -1;
	return 0;
}

/* A welcome made from the marker and the marker removed in one write: exactly once. */
static struct pb_spool_gen welcome_gen(uint64_t *user_id, char **rcpt)
{
	static const char body[] = "Subject: welcome\r\n\r\nhi\r\n";
	struct pb_spool_gen g = { .body = body, .len = sizeof(body) - 1 };
	g.rec.sender = "";
	g.rec.msgid = "welcome-5";
	g.rec.rcpts = rcpt;
	g.rec.rcpt_ids = user_id;
	g.rec.n_rcpts = 1;
	g.rec.origin = 3; /* PB_ORIGIN_SYSTEM */
	return g;
}

static void test_welcome_marker(void)
{
	char *dir = store_test_tmpdir("gen-welcome");
	struct pb_store *s = store_test_open(dir);
	struct pb_user_rec a = { .id = 5, .name = "ann" }, b = { .id = 6, .name = "bob" };
	struct seen v = { 0 };
	const char *err;
	uint64_t uid = 5;
	char *rcpt = "ann@example.com";

	REQUIRE(pb_store_user_put_welcome(s, &a, "ann@example.com", &err) == 0);
	REQUIRE(pb_store_user_put(s, &b, &err) == 0); /* no welcome */
	CHECK_INT(pb_store_welcome_pending(s, 0, 1, 10, on_pending, &v, &err), 0);
	REQUIRE(v.n == 1);
	CHECK_INT(v.ids[0], 5);
	CHECK_STR(v.names[0], "ann ann@example.com");
	v.n = 0;
	CHECK_INT(pb_store_welcome_pending(s, 0, 2, 10, on_pending, &v, &err), 0);
	CHECK_INT(v.n, 0); /* 5 % 2 == 1: the other shard's */
	pb_store_close(&s);
	s = store_test_open(dir); /* the marker is durable with the account */
	struct pb_spool_gen g = welcome_gen(&uid, &rcpt);
	CHECK_INT(pb_store_welcome_made(s, 5, &g, &err), 1);
	CHECK(g.rec.id != 0);
	struct pb_spool_gen again = welcome_gen(&uid, &rcpt);
	CHECK_INT(pb_store_welcome_made(s, 5, &again, &err), 0); /* made already */
	CHECK_INT(again.rec.id, 0);
	v.n = 0;
	CHECK_INT(pb_store_welcome_pending(s, 0, 1, 10, on_pending, &v, &err), 0);
	CHECK_INT(v.n, 0);
	struct pb_spool_rec got = { 0 };
	REQUIRE(pb_store_spool_iter(s, on_entry, &got, &err) == 0);
	CHECK_INT(got.id, g.rec.id); /* the one entry: the welcome, of origin SYSTEM */
	CHECK_INT(got.origin, 3);
	CHECK_INT(got.received_ms, 5);
	/* an account deleted before its welcome was made takes its marker along */
	struct pb_user_rec c = { .id = 8, .name = "cid" };
	REQUIRE(pb_store_user_put_welcome(s, &c, "cid@example.com", &err) == 0);
	CHECK_INT(pb_store_user_delete(s, "CID", &err), 1);
	v.n = 0;
	CHECK_INT(pb_store_welcome_pending(s, 0, 1, 10, on_pending, &v, &err), 0);
	CHECK_INT(v.n, 0);
	store_test_done(&s, &dir);
}

static int count_entry(const struct pb_spool_rec *r, void *ctx)
{
	(void)r;
	(*(size_t *)ctx)++;
	return 0;
}

/* Two generated messages with the same body in one plan write: the body is claimed once and
 * shared (it used to be claimed twice by the same thread, which waited for itself forever);
 * each gets its own entry, and each entry's removal leaves the other's body. */
static void test_same_body_twice(void)
{
	char *dir = store_test_tmpdir("gen-same");
	struct pb_store *s = store_test_open(dir);
	struct pb_spool_rec rec = { 0 };
	char *rcpt = "u@x", *to[2] = { "a@x", "b@x" };
	uint64_t rid = 7, zero = 0;
	const char *err, *text = "Subject: same\r\n\r\nbody\r\n";
	size_t n = 0;

	rec.sender = "a@b";
	rec.msgid = "m";
	rec.rcpts = &rcpt;
	rec.rcpt_ids = &rid;
	rec.n_rcpts = 1;
	const char *orig = "Subject: x\r\n\r\nx\r\n";
	REQUIRE(pb_store_spool_put(s, orig, strlen(orig), &rec, &err) == 0);
	struct pb_spool_plan plan = { .rcpts = &rcpt, .ids = &rid, .n = 1 };
	struct pb_spool_gen g[2];
	for (size_t i = 0; i < 2; i++) {
		g[i] = (struct pb_spool_gen){ .body = text, .len = strlen(text) };
		g[i].rec.sender = "";
		g[i].rec.msgid = "gen";
		g[i].rec.rcpts = &to[i];
		g[i].rec.rcpt_ids = &zero;
		g[i].rec.n_rcpts = 1;
	}
	struct pb_strv trace = { 0 };
	REQUIRE(pb_store_spool_plan_gen(s, rec.id, &plan, "m", 1000, &trace, g, 2, &err) == 1);
	CHECK(g[0].rec.id != 0 && g[1].rec.id != 0 && g[0].rec.id != g[1].rec.id);
	CHECK_STR(g[0].rec.blob_key, g[1].rec.blob_key);
	CHECK_INT(pb_store_spool_iter(s, count_entry, &n, &err), 0);
	CHECK_INT(n, 3);
	CHECK_INT(pb_store_spool_done(s, g[0].rec.id, &err), 1);
	struct pb_buf body;
	pb_buf_init(&body);
	CHECK_INT(pb_store_blob_get(s, g[1].rec.blob_key, &body, &err), 1);
	CHECK_INT(body.len, strlen(text));
	pb_buf_deinit(&body);
	store_test_done(&s, &dir);
}

static const struct pb_test_case cases[] = {
	{ "same_body_twice", test_same_body_twice },
	{ "replied_prune", test_replied_prune },
	{ "welcome_marker", test_welcome_marker },
};

PB_TEST_MAIN(cases)
