/*
 * test-shard-client.c: addressing a sharded pool (runtime/pb-client.h) — pb_shard_key reaches
 * every shard of any pool size, pb_msg_set_shard_key writes the F_KEY field, a synchronous
 * broadcast asks shard 0 then the others its answer counts (over a pb_sync whose transport
 * plays the pool: the routing pb_route would do, by the request's key), the asynchronous
 * fan-out's bookkeeping, and the sum of pushed per-shard figures.
 */
#include "pb-client.h"
#include "pb-test.h"

#include <string.h>

static void test_shard_key(void)
{
	for (uint32_t n = 1; n <= PB_MAX_SHARDS_PER_OWNER; n++)
		for (uint32_t k = 0; k < n; k++)
			CHECK_INT(pb_shard_index(pb_shard_key(k), n), k);
	CHECK(pb_shard_key(0) == 0);
	/* the keys are not the indexes themselves (key k would miss shard k) */
	CHECK(pb_shard_index(3, 8) != 3 || pb_shard_index(5, 8) != 5);
}

static void test_set_key(void)
{
	struct pb_msg m;
	uint64_t key = 0;

	pb_msg_init(&m, MSG_QUEUE_STATS_REQ);
	CHECK(pb_msg_set_shard_key(&m, 77));
	CHECK(pb_msg_shard_key(&m, &key));
	CHECK(key == 77);
	pb_msg_free(&m);
	pb_msg_init(&m, MSG_QSEND_ETRN_REP); /* a reply: no key */
	CHECK(!pb_msg_set_shard_key(&m, 77));
	pb_msg_free(&m);
}

/* A pool of `shards` queue shards: each answers QUEUE_STATS_REQ with entries = 10 + its index;
 * fail_at: the shard that does not answer (UINT32_MAX: none). Counts who was asked. */
struct pool {
	uint32_t shards, fail_at, asked[PB_MAX_SHARDS_PER_OWNER], calls;
};

static int pool_call(void *ctx, struct pb_msg *req, struct pb_msg *rep_r, uint32_t timeout_ms,
		     const char **error_r)
{
	struct pool *p = ctx;
	uint64_t key = 0;

	CHECK(pb_msg_shard_key(req, &key));
	uint32_t k = pb_shard_index(key, p->shards);
	p->asked[k]++;
	p->calls++;
	if (k == p->fail_at) {
		*error_r = "timed out";
		return -1;
	}
	pb_msg_init(rep_r, MSG_QUEUE_STATS_REP);
	rep_r->u.queue_stats_rep.shards = p->shards;
	rep_r->u.queue_stats_rep.entries = 10 + k;
	return 0;
}

static uint32_t sum_each(void *ctx, struct pb_msg *rep, uint32_t *shards_r, const char **error_r)
{
	*(uint64_t *)ctx += rep->u.queue_stats_rep.entries;
	*shards_r = rep->u.queue_stats_rep.shards;
	return PB_OK;
}

static int broadcast(struct pool *p, uint64_t *sum_r, uint32_t *code_r)
{
	struct pb_sync t = { .call = pool_call, .ctx = p, .timeout_ms = 1000 };
	struct pb_msg req;
	const char *error;

	*sum_r = 0;
	pb_msg_init(&req, MSG_QUEUE_STATS_REQ);
	return pb_client_broadcast(&t, &req, sum_each, sum_r, code_r, &error);
}

static void test_broadcast(void)
{
	for (uint32_t n = 1; n <= 9; n++) {
		struct pool p = { .shards = n, .fail_at = UINT32_MAX };
		uint64_t sum;
		uint32_t code = 99;
		CHECK_INT(broadcast(&p, &sum, &code), 0);
		CHECK_INT(code, PB_OK);
		CHECK(sum == 10ull * n + (uint64_t)n * (n - 1) / 2);
		CHECK_INT(p.calls, n);
		for (uint32_t k = 0; k < n; k++)
			CHECK_INT(p.asked[k], 1); /* each shard once: none missed, none twice */
	}
	struct pool p = { .shards = 4, .fail_at = 2 };
	uint64_t sum;
	uint32_t code = 99;
	CHECK_INT(broadcast(&p, &sum, &code), -1);
	CHECK_INT(p.asked[3], 0); /* stopped at the shard that did not answer */
}

static void test_fanout(void)
{
	struct pb_client_fanout f = { 0 };

	pb_client_fanout_sent(&f);
	CHECK(!pb_client_fanout_done(&f));
	CHECK_INT(pb_client_fanout_answer(&f, 0, true, 3), 2); /* ask shards 1 and 2 */
	pb_client_fanout_sent(&f);
	pb_client_fanout_sent(&f);
	CHECK_INT(pb_client_fanout_answer(&f, 2, true, 3), 0);
	CHECK(!pb_client_fanout_done(&f));
	CHECK_INT(pb_client_fanout_answer(&f, 1, false, 0), 0);
	CHECK(pb_client_fanout_done(&f));
	CHECK(f.failed);
	struct pb_client_fanout one = { 0 };
	pb_client_fanout_sent(&one);
	CHECK_INT(pb_client_fanout_answer(&one, 0, true, 1), 0);
	CHECK(pb_client_fanout_done(&one) && !one.failed);
}

static void test_shard_sum(void)
{
	struct pb_shard_sum s;
	uint64_t sums[2];

	memset(&s, 0, sizeof(s));
	CHECK_INT(pb_shard_sum_set(&s, 0, 3, (uint64_t[]){ 5, 1 }, 2, sums), 0);
	CHECK(sums[0] == 5 && sums[1] == 1);
	CHECK_INT(pb_shard_sum_set(&s, 2, 3, (uint64_t[]){ 7, 0 }, 2, sums), 0);
	CHECK(sums[0] == 12 && sums[1] == 1);
	CHECK_INT(pb_shard_sum_set(&s, 0, 3, (uint64_t[]){ 1, 0 }, 2, sums), 0); /* absolute */
	CHECK(sums[0] == 8 && sums[1] == 0);
	/* the pool restarted with 2 shards: shard 2's old figures are left out */
	CHECK_INT(pb_shard_sum_set(&s, 1, 2, (uint64_t[]){ 4, 0 }, 2, sums), 0);
	CHECK(sums[0] == 5);
	CHECK_INT(pb_shard_sum_set(&s, 3, 2, (uint64_t[]){ 4, 0 }, 2, sums), -1);
	CHECK_INT(pb_shard_sum_set(&s, 0, PB_MAX_SHARDS_PER_OWNER + 1, (uint64_t[]){ 4, 0 }, 2,
				   sums), -1);
}

static const struct pb_test_case cases[] = {
	{ "shard_key", test_shard_key },
	{ "set_key", test_set_key },
	{ "broadcast", test_broadcast },
	{ "fanout", test_fanout },
	{ "shard_sum", test_shard_sum },
};

PB_TEST_MAIN(cases)
