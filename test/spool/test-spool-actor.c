/*
 * test-spool-actor.c: the spool shards over a real store with a fake mailbox owner: a put is
 * durable before its reply, every recipient gets an append with a stable dedupe key, a lost
 * append is resent after the resend delay (fake clock), the entry goes when all are
 * acknowledged, and a restart resumes what was left.
 */
#include "pb-test.h"
#include "spool-actor.h"
#include "pb-test-store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* the fake mailbox: records dedupe keys; drops requests while `drop` > 0 */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static char *seen[64];
static int n_seen, drop;

static int fake_append(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct pb_msg rep;

	pthread_mutex_lock(&fake_lock);
	bool dropping = drop > 0;
	if (dropping)
		drop--;
	else if (n_seen < 64)
		seen[n_seen++] = xstrdup(m->u.mbox_append_req.dedupe_key);
	pthread_mutex_unlock(&fake_lock);
	if (dropping) {
		pb_actor_defer_reply(a); /* as if the reply was lost */
		return 0;
	}
	pb_msg_init(&rep, MSG_MBOX_APPEND_REP);
	rep.u.mbox_append_rep.uid = 1;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static const struct pb_handler fake_handlers[] = { { MSG_MBOX_APPEND_REQ, fake_append } };
static const struct pb_actor_def fake_mailbox = { .name = "mailbox", .handlers = fake_handlers,
						  .n_handlers = 1 };

static atomic_uint_fast64_t fake_now = 1000;
static uint64_t fake_clock(void *ctx)
{
	return atomic_load(&fake_now);
}

static int count_cb(const struct pb_spool_rec *r, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

static int spooled(struct pb_store *s)
{
	int n = 0;
	const char *error;
	if (pb_store_spool_iter(s, count_cb, &n, &error) < 0)
		return -1;
	return n;
}

static int seen_count(void)
{
	pthread_mutex_lock(&fake_lock);
	int n = n_seen;
	pthread_mutex_unlock(&fake_lock);
	return n;
}

static bool wait_until(bool (*cond)(void *), void *ctx)
{
	for (int i = 0; i < 5000; i++) {
		if (cond(ctx))
			return true;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

static bool seen_at_least(void *ctx)
{
	return seen_count() >= *(int *)ctx;
}

static bool spool_empty(void *ctx)
{
	return spooled(ctx) == 0;
}

static struct pb_runtime *start(struct pb_store *store)
{
	struct pb_clock clock = { fake_clock, NULL };
	const char *error;
	struct pb_runtime *rt = pb_runtime_create("t", &clock);
	if (pb_runtime_start(rt, &fake_mailbox, NULL, &error) < 0 ||
	    spool_actors_start(rt, store, 2, &error) < 0)
		PANIC("start: %s", error);
	return rt;
}

static uint64_t put(struct pb_runtime *rt, int n_rcpts)
{
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_msg req, rep;
	const char *error;
	uint64_t id = 0;

	pb_msg_init(&req, MSG_SPOOL_PUT_REQ);
	req.u.spool_put_req.sender = xstrdup("a@b.c");
	for (int i = 0; i < n_rcpts; i++) {
		char r[32];
		snprintf(r, sizeof(r), "u%d@local", i);
		pb_strv_push(&req.u.spool_put_req.rcpts, r);
		pb_u64v_push(&req.u.spool_put_req.rcpt_ids, (uint64_t)i + 1);
	}
	req.u.spool_put_req.body.data = (uint8_t *)xstrdup("Subject: x\r\n\r\nbody\r\n");
	req.u.spool_put_req.body.len = strlen((char *)req.u.spool_put_req.body.data);
	if (pb_call(c, NULL, &req, &rep, 10000, &error) == 0) {
		CHECK_INT(rep.type, MSG_SPOOL_PUT_REP);
		CHECK_INT(rep.u.spool_put_rep.code, PB_OK);
		id = rep.u.spool_put_rep.spool_id;
		pb_msg_free(&rep);
	}
	pb_msg_free(&req);
	pb_caller_destroy(&c);
	return id;
}

static void test_lost_append_is_resent_then_entry_removed(void)
{
	char *dir = store_test_tmpdir("actor");
	struct pb_store_options opts = { .create_if_missing = true };
	struct pb_store *store;
	const char *error;

	REQUIRE(pb_store_open(dir, &opts, &store, &error) == 0);
	n_seen = 0;
	drop = 1; /* the first append's reply never comes */
	struct pb_runtime *rt = start(store);
	uint64_t id = put(rt, 2);
	REQUIRE(id != 0);
	int one = 1, two = 2;
	REQUIRE(wait_until(seen_at_least, &one));
	CHECK_INT(spooled(store), 1); /* one recipient still pending */
	atomic_fetch_add(&fake_now, 31000);
	pb_runtime_wake_all(rt);
	CHECK(wait_until(seen_at_least, &two));
	CHECK(wait_until(spool_empty, store));
	/* both recipients got exactly one acknowledged append, with their own keys */
	char k0[64], k1[64];
	snprintf(k0, sizeof(k0), "spool:%llu:0", (unsigned long long)id);
	snprintf(k1, sizeof(k1), "spool:%llu:1", (unsigned long long)id);
	CHECK_INT(seen_count(), 2);
	CHECK((strcmp(seen[0], k0) == 0 && strcmp(seen[1], k1) == 0) ||
	      (strcmp(seen[0], k1) == 0 && strcmp(seen[1], k0) == 0));
	pb_runtime_destroy(&rt);
	pb_store_close(&store);
	for (int i = 0; i < n_seen; i++)
		free(seen[i]);
	store_test_rmrf(dir);
	free(dir);
}

static void test_restart_resumes(void)
{
	char *dir = store_test_tmpdir("actor");
	struct pb_store_options opts = { .create_if_missing = true };
	struct pb_store *store;
	const char *error;

	REQUIRE(pb_store_open(dir, &opts, &store, &error) == 0);
	n_seen = 0;
	drop = 3; /* nothing gets through before the "crash" */
	struct pb_runtime *rt = start(store);
	uint64_t id = put(rt, 3);
	REQUIRE(id != 0);
	pb_runtime_destroy(&rt);
	pb_store_close(&store);
	CHECK_INT(n_seen, 0);
	REQUIRE(pb_store_open(dir, &opts, &store, &error) == 0);
	CHECK_INT(spooled(store), 1);
	rt = start(store); /* resumes on init */
	int three = 3;
	CHECK(wait_until(seen_at_least, &three));
	CHECK(wait_until(spool_empty, store));
	char want[64];
	snprintf(want, sizeof(want), "spool:%llu:2", (unsigned long long)id);
	bool found = false;
	for (int i = 0; i < n_seen; i++)
		found |= strcmp(seen[i], want) == 0;
	CHECK(found);
	pb_runtime_destroy(&rt);
	pb_store_close(&store);
	for (int i = 0; i < n_seen; i++)
		free(seen[i]);
	store_test_rmrf(dir);
	free(dir);
}

static const struct pb_test_case cases[] = {
	{ "lost_append_is_resent_then_entry_removed", test_lost_append_is_resent_then_entry_removed },
	{ "restart_resumes", test_restart_resumes },
};

PB_TEST_MAIN(cases)
