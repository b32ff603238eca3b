/*
 * test-reader-envcache.c: the readers' ENVELOPE cache: an entry comes back as put (a copy:
 * the caller's strings may go), a put replaces, the least recently used entry leaves first
 * (a get counts as a use), the charge stays within the budget whatever is put, an entry larger
 * than the budget is not kept, a lowered budget evicts, budget 0 keeps nothing, and the
 * charge is the documented one (struct, envelope, allocator overhead, buckets).
 * OWNS: its caches. THREAD: main.
 */
#include "reader-envcache.h"

#include "pb-alloc.h"
#include "pb-test.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A hex body key for n. */
static void key_of(unsigned n, char key_r[65])
{
	snprintf(key_r, 65, "%064x", n);
}

static void put_n(struct reader_envcache *c, unsigned n, const char *envelope, uint64_t budget)
{
	char key[65];
	struct reader_env e = { n, n + 1, n + 2, n + 3, n + 4, n + 5, envelope };

	key_of(n, key);
	reader_envcache_put(c, key, &e, budget);
}

static bool has(struct reader_envcache *c, unsigned n)
{
	char key[65];

	key_of(n, key);
	return reader_envcache_get(c, key) != NULL;
}

static void test_get_returns_a_copy(void)
{
	struct reader_envcache *c = reader_envcache_create();
	char *env = xstrdup("(\"Mon, 1 Jan 2024\" \"hello\" NIL NIL NIL NIL NIL NIL NIL NIL)");
	char key[65];

	put_n(c, 7, env, 1 << 20);
	memset(env, 'x', strlen(env)); /* the caller's copy changes: the cache's does not */
	free(env);
	key_of(7, key);
	const struct reader_env *e = reader_envcache_get(c, key);
	REQUIRE(e != NULL);
	CHECK_STR(e->envelope, "(\"Mon, 1 Jan 2024\" \"hello\" NIL NIL NIL NIL NIL NIL NIL NIL)");
	CHECK_INT(e->size, 7);
	CHECK_INT(e->body_lines, 12);
	CHECK(!has(c, 8));
	put_n(c, 7, "replaced", 1 << 20);
	e = reader_envcache_get(c, key);
	REQUIRE(e != NULL);
	CHECK_STR(e->envelope, "replaced");
	CHECK_INT(reader_envcache_count(c), 1);
	reader_envcache_destroy(&c);
	CHECK(c == NULL);
}

/* Room for exactly some entries: the oldest unused leaves first; a get protects one. */
static void test_lru_eviction(void)
{
	struct reader_envcache *c = reader_envcache_create();
	uint64_t empty = reader_envcache_bytes(c);

	put_n(c, 0, "0123456789", 1 << 20);
	uint64_t one = reader_envcache_bytes(c) - empty; /* the charge of one such entry */
	uint64_t budget = empty + 3 * one;               /* three, with 64 buckets */
	put_n(c, 1, "0123456789", budget);
	put_n(c, 2, "0123456789", budget);
	CHECK_INT(reader_envcache_count(c), 3);
	CHECK(has(c, 0)); /* 0 is now the most recent: 1 is the least */
	put_n(c, 3, "0123456789", budget);
	CHECK_INT(reader_envcache_count(c), 3);
	CHECK(!has(c, 1));
	CHECK(has(c, 0) && has(c, 2) && has(c, 3));
	CHECK(reader_envcache_bytes(c) <= budget);
	reader_envcache_destroy(&c);
}

/* Many puts of varied sizes under a small budget: never over it, the newest always kept. */
static void test_budget_held(void)
{
	struct reader_envcache *c = reader_envcache_create();
	char env[600];
	const uint64_t budget = 20000;

	for (unsigned i = 0; i < 2000; i++) {
		size_t len = 1 + (i * 37) % (sizeof(env) - 1);
		memset(env, 'a' + i % 26, len);
		env[len] = '\0';
		put_n(c, i, env, budget);
		CHECK(reader_envcache_bytes(c) <= budget);
		CHECK(has(c, i));
	}
	CHECK(reader_envcache_count(c) > 10);
	/* lowered: evicts down to it; 0: nothing (bar the bucket array) is left */
	reader_envcache_trim(c, budget / 4);
	CHECK(reader_envcache_bytes(c) <= budget / 4);
	reader_envcache_trim(c, 0);
	CHECK_INT(reader_envcache_count(c), 0);
	put_n(c, 1, "x", 0);
	CHECK_INT(reader_envcache_count(c), 0);
	reader_envcache_destroy(&c);
}

/* An entry larger than the budget is not kept and pushes nothing out. */
static void test_too_large_not_kept(void)
{
	struct reader_envcache *c = reader_envcache_create();
	char *big = xmalloc(8192);

	memset(big, 'b', 8191);
	big[8191] = '\0';
	put_n(c, 1, "small", 4096);
	put_n(c, 2, big, 4096);
	CHECK(!has(c, 2));
	CHECK(has(c, 1));
	free(big);
	reader_envcache_destroy(&c);
}

/* Growing the table keeps every entry findable and charges the larger bucket array. */
static void test_growth_and_charge(void)
{
	struct reader_envcache *c = reader_envcache_create();
	uint64_t empty = reader_envcache_bytes(c);

	CHECK_INT(empty, 64 * sizeof(void *));
	for (unsigned i = 0; i < 1000; i++)
		put_n(c, i, "envelope", 1 << 30);
	CHECK_INT(reader_envcache_count(c), 1000);
	for (unsigned i = 0; i < 1000; i++)
		CHECK(has(c, i));
	/* 1024 buckets now: each entry charged the same as the first one was */
	uint64_t per = (reader_envcache_bytes(c) - 1024 * sizeof(void *)) / 1000;
	CHECK((reader_envcache_bytes(c) - 1024 * sizeof(void *)) % 1000 == 0);
	CHECK(per > strlen("envelope") + 64 && per < 256);
	reader_envcache_destroy(&c);
}

static const struct pb_test_case cases[] = {
	{ "get_returns_a_copy", test_get_returns_a_copy },
	{ "lru_eviction", test_lru_eviction },
	{ "budget_held", test_budget_held },
	{ "too_large_not_kept", test_too_large_not_kept },
	{ "growth_and_charge", test_growth_and_charge },
};

PB_TEST_MAIN(cases)
