/*
 * test-gw-calls.c: the pending-call table — fresh ids, strays counted, expiry, the bound,
 * and many random adds/takes checked against a plain list (backward-shift deletion).
 */
#include "gw-calls.h"
#include "pb-alloc.h"
#include "pb-test.h"

#include <stdbool.h>

static void cont_none(void *session, uint64_t arg, struct pb_msg *rep)
{
}

static void test_take_once(void)
{
	struct gw_calls *t = gw_calls_create(4);
	struct gw_call c;

	uint64_t a = gw_calls_add(t, 7, 100, cont_none, 11);
	uint64_t b = gw_calls_add(t, 7, 100, cont_none, 12);
	CHECK(a != 0 && b != 0 && a != b);
	CHECK_INT(gw_calls_take(t, b, &c), 1);
	CHECK_INT(c.session_id, 7);
	CHECK_INT(c.arg, 12);
	/* a second reply to the same call, and an unknown id, are strays */
	CHECK_INT(gw_calls_take(t, b, &c), 0);
	CHECK_INT(gw_calls_take(t, 0, &c), 0);
	CHECK_INT(gw_calls_take(t, 999, &c), 0);
	CHECK_INT(gw_calls_strays(t), 3);
	CHECK_INT(gw_calls_take(t, a, &c), 1);
	CHECK_INT(c.arg, 11);
	CHECK_INT(gw_calls_count(t), 0);
	gw_calls_destroy(&t);
	CHECK(t == NULL);
}

static void test_ids_never_reused(void)
{
	struct gw_calls *t = gw_calls_create(1);
	struct gw_call c;

	uint64_t a = gw_calls_add(t, 1, 100, cont_none, 0);
	CHECK_INT(gw_calls_add(t, 1, 100, cont_none, 0), 0); /* full */
	CHECK_INT(gw_calls_take(t, a, &c), 1);
	uint64_t b = gw_calls_add(t, 1, 100, cont_none, 0);
	CHECK(b != 0 && b != a);
	/* the late reply to the first call finds nothing, not the second */
	CHECK_INT(gw_calls_take(t, a, &c), 0);
	CHECK_INT(gw_calls_take(t, b, &c), 1);
	gw_calls_destroy(&t);
}

static void test_expiry(void)
{
	struct gw_calls *t = gw_calls_create(100);
	struct gw_call out[8], c;
	uint64_t ids[50];

	for (int i = 0; i < 50; i++)
		ids[i] = gw_calls_add(t, (uint64_t)i, (uint64_t)(i < 20 ? 100 : 500), cont_none, 0);
	size_t total = 0, n;
	while ((n = gw_calls_take_expired(t, 100, out, PB_N_ELEMENTS(out))) > 0) {
		for (size_t k = 0; k < n; k++)
			CHECK(out[k].deadline_ms <= 100);
		total += n;
	}
	CHECK_INT(total, 20);
	CHECK_INT(gw_calls_count(t), 30);
	for (int i = 0; i < 20; i++)
		CHECK_INT(gw_calls_take(t, ids[i], &c), 0);
	for (int i = 20; i < 50; i++)
		CHECK_INT(gw_calls_take(t, ids[i], &c), 1);
	gw_calls_destroy(&t);
}

/* The table skips its scan until the earliest deadline it holds: a call added later with an
 * earlier deadline, and the calls left after a scan, still expire on time. */
static void test_expiry_earliest(void)
{
	struct gw_calls *t = gw_calls_create(100);
	struct gw_call out[8];

	gw_calls_add(t, 1, 100, cont_none, 0);
	gw_calls_add(t, 2, 500, cont_none, 0);
	CHECK_INT(gw_calls_take_expired(t, 99, out, PB_N_ELEMENTS(out)), 0);
	CHECK_INT(gw_calls_take_expired(t, 100, out, PB_N_ELEMENTS(out)), 1);
	CHECK_INT(out[0].session_id, 1);
	gw_calls_add(t, 3, 200, cont_none, 0); /* earlier than the 500 left */
	CHECK_INT(gw_calls_take_expired(t, 150, out, PB_N_ELEMENTS(out)), 0);
	CHECK_INT(gw_calls_take_expired(t, 200, out, PB_N_ELEMENTS(out)), 1);
	CHECK_INT(out[0].session_id, 3);
	CHECK_INT(gw_calls_take_expired(t, 499, out, PB_N_ELEMENTS(out)), 0);
	CHECK_INT(gw_calls_take_expired(t, 500, out, PB_N_ELEMENTS(out)), 1);
	CHECK_INT(out[0].session_id, 2);
	CHECK_INT(gw_calls_count(t), 0);
	gw_calls_destroy(&t);
}

/* Random adds and takes against a reference list: every live id is found exactly once. */
static void test_random_against_reference(void)
{
	struct gw_calls *t = gw_calls_create(300);
	uint64_t live[300];
	size_t n_live = 0;
	struct gw_call c;
	uint64_t seed = 12345;

	for (int step = 0; step < 200000; step++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		bool add = n_live == 0 || (n_live < 300 && (seed >> 33) % 3 != 0);
		if (add) {
			uint64_t id = gw_calls_add(t, n_live, 0, cont_none, n_live);
			REQUIRE(id != 0);
			live[n_live++] = id;
		} else {
			size_t k = (size_t)((seed >> 20) % n_live);
			REQUIRE(gw_calls_take(t, live[k], &c) == 1);
			REQUIRE(c.corr == live[k]);
			live[k] = live[--n_live];
		}
		REQUIRE(gw_calls_count(t) == n_live);
	}
	for (size_t k = 0; k < n_live; k++)
		CHECK_INT(gw_calls_take(t, live[k], &c), 1);
	CHECK_INT(gw_calls_strays(t), 0);
	gw_calls_destroy(&t);
}

static const struct pb_test_case cases[] = {
	{ "take_once", test_take_once },
	{ "ids_never_reused", test_ids_never_reused },
	{ "expiry", test_expiry },
	{ "expiry_earliest", test_expiry_earliest },
	{ "random_against_reference", test_random_against_reference },
};
PB_TEST_MAIN(cases)
