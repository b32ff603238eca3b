/*
 * test-mx-cache.c: MX answers kept for their TTL (mx-cache.h), time passed in — a hit copies
 * the answer (case and trailing dot ignored), expiry at the TTL, the cap on TTLs, TTL 0 and
 * failures not kept, at most max entries with the least recently used going first, and equal
 * preferences shuffled on every hit.
 * OWNS: nothing. THREAD: main only.
 */
#include "mx-cache.h"
#include "pb-alloc.h"
#include "pb-test.h"

#include <string.h>

/* An MX_OK answer with hosts a, b (preference 10 each) and c (20). */
static void answer(struct mx_result *r)
{
	static const char *const hosts[] = { "a.example", "b.example", "c.example" };

	memset(r, 0, sizeof(*r));
	r->status = MX_OK;
	r->n_targets = 3;
	r->targets = xcalloc(3, sizeof(*r->targets));
	for (int i = 0; i < 3; i++) {
		r->targets[i].host = xstrdup(hosts[i]);
		r->targets[i].preference = i < 2 ? 10 : 20;
		r->targets[i].n_addrs = 1;
		r->targets[i].addrs = xcalloc(1, sizeof(struct mx_addr));
		snprintf(r->targets[i].addrs[0].text, sizeof(r->targets[i].addrs[0].text),
			 "192.0.2.%d", i + 1);
	}
}

static bool has(struct mx_cache *c, const char *domain, int64_t now)
{
	struct mx_result r;

	if (!mx_cache_get(c, domain, now, &r))
		return false;
	CHECK_INT(r.n_targets, 3);
	CHECK_STR(r.targets[2].host, "c.example");
	mx_result_deinit(&r);
	return true;
}

static void test_ttl(void)
{
	struct mx_cache *c = mx_cache_new(0);
	struct mx_result r;

	answer(&r);
	mx_cache_put(c, "Example.ORG.", &r, 60, 1000);
	mx_cache_put(c, "zero.example", &r, 0, 1000);
	mx_cache_put(c, "long.example", &r, 86400, 1000);
	r.status = MX_TEMP;
	mx_cache_put(c, "failed.example", &r, 60, 1000);
	mx_result_deinit(&r);
	CHECK(has(c, "example.org", 1000));
	CHECK(has(c, "EXAMPLE.org", 60999));
	CHECK(!has(c, "example.org", 61000)); /* expired at the TTL */
	CHECK(!has(c, "zero.example", 1000));
	CHECK(!has(c, "failed.example", 1000));
	CHECK(has(c, "long.example", 1000 + MX_CACHE_TTL_MAX_S * 1000 - 1));
	CHECK(!has(c, "long.example", 1000 + MX_CACHE_TTL_MAX_S * 1000));
	CHECK_INT(mx_cache_size(c), 2);
	mx_cache_free(&c);
	CHECK(c == NULL);
}

static void test_bounded_lru(void)
{
	struct mx_cache *c = mx_cache_new(2);
	struct mx_result r;

	answer(&r);
	mx_cache_put(c, "one.example", &r, 60, 0);
	mx_cache_put(c, "two.example", &r, 60, 1);
	CHECK(has(c, "one.example", 2)); /* one used after two */
	mx_cache_put(c, "three.example", &r, 60, 3);
	CHECK_INT(mx_cache_size(c), 2);
	CHECK(has(c, "one.example", 4));
	CHECK(!has(c, "two.example", 4)); /* the least recently used went */
	CHECK(has(c, "three.example", 4));
	mx_cache_put(c, "three.example", &r, 60, 5); /* again: its own slot */
	CHECK_INT(mx_cache_size(c), 2);
	CHECK(has(c, "one.example", 6));
	/* four takes the place of three (used last at 5, one at 6); four expires at 1007 and
	 * then makes room for five before the live one goes */
	mx_cache_put(c, "four.example", &r, 1, 7);
	CHECK(!has(c, "three.example", 8));
	mx_cache_put(c, "five.example", &r, 60, 2000);
	CHECK_INT(mx_cache_size(c), 2);
	CHECK(!has(c, "four.example", 2000));
	CHECK(has(c, "one.example", 2000));
	CHECK(has(c, "five.example", 2000));
	mx_result_deinit(&r);
	mx_cache_free(&c);
}

static void test_shuffled(void)
{
	struct mx_cache *c = mx_cache_new(0);
	struct mx_result r;
	int a_first = 0;

	answer(&r);
	mx_cache_put(c, "example.org", &r, 60, 0);
	mx_result_deinit(&r);
	for (int i = 0; i < 64; i++) {
		REQUIRE(mx_cache_get(c, "example.org", 1, &r));
		CHECK_INT(r.targets[0].preference, 10);
		CHECK_STR(r.targets[2].host, "c.example"); /* the worse one stays last */
		a_first += strcmp(r.targets[0].host, "a.example") == 0;
		mx_result_deinit(&r);
	}
	CHECK(a_first > 0 && a_first < 64);
	mx_cache_free(&c);
}

static const struct pb_test_case cases[] = {
	{ "ttl", test_ttl },
	{ "bounded_lru", test_bounded_lru },
	{ "shuffled", test_shuffled },
};

PB_TEST_MAIN(cases)
