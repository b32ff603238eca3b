/*
 * test-gw-anvil.c: per-IP accounting — concurrent and per-minute limits, the window, the
 * bound on tracked addresses, the sweep.
 */
#include "gw-anvil.h"
#include "pb-test.h"

static void test_concurrent_limit(void)
{
	struct gw_anvil *a = gw_anvil_create(8);

	for (int i = 0; i < 3; i++)
		CHECK_INT(gw_anvil_connect(a, "192.0.2.1", 0, 3, 0), GW_ANVIL_OK);
	CHECK_INT(gw_anvil_connect(a, "192.0.2.1", 0, 3, 0), GW_ANVIL_TOO_MANY);
	CHECK_INT(gw_anvil_connect(a, "192.0.2.2", 0, 3, 0), GW_ANVIL_OK); /* another address */
	CHECK_INT(gw_anvil_open(a, "192.0.2.1"), 3);
	gw_anvil_disconnect(a, "192.0.2.1");
	CHECK_INT(gw_anvil_connect(a, "192.0.2.1", 0, 3, 0), GW_ANVIL_OK);
	/* 0: no limit */
	for (int i = 0; i < 100; i++)
		CHECK_INT(gw_anvil_connect(a, "2001:db8::1", 0, 0, 0), GW_ANVIL_OK);
	gw_anvil_destroy(&a);
	CHECK(a == NULL);
}

static void test_rate_window(void)
{
	struct gw_anvil *a = gw_anvil_create(8);

	for (int i = 0; i < 5; i++) {
		CHECK_INT(gw_anvil_connect(a, "198.51.100.7", 1000, 0, 5), GW_ANVIL_OK);
		gw_anvil_disconnect(a, "198.51.100.7");
	}
	CHECK_INT(gw_anvil_connect(a, "198.51.100.7", 1000 + GW_ANVIL_WINDOW_MS - 1, 0, 5),
		  GW_ANVIL_TOO_FAST);
	CHECK_INT(gw_anvil_connect(a, "198.51.100.7", 1000 + GW_ANVIL_WINDOW_MS, 0, 5),
		  GW_ANVIL_OK);
	gw_anvil_destroy(&a);
}

static void test_bounded_and_swept(void)
{
	struct gw_anvil *a = gw_anvil_create(4);
	char ip[32];

	for (int i = 0; i < 4; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		CHECK_INT(gw_anvil_connect(a, ip, 0, 10, 0), GW_ANVIL_OK);
	}
	CHECK_INT(gw_anvil_connect(a, "10.0.0.99", 0, 10, 0), GW_ANVIL_FULL);
	CHECK_INT(gw_anvil_count(a), 4);
	/* two close; after the window the sweep forgets them, the open ones stay */
	gw_anvil_disconnect(a, "10.0.0.0");
	gw_anvil_disconnect(a, "10.0.0.1");
	gw_anvil_sweep(a, GW_ANVIL_WINDOW_MS - 1);
	CHECK_INT(gw_anvil_count(a), 4); /* still in their window */
	gw_anvil_sweep(a, GW_ANVIL_WINDOW_MS);
	CHECK_INT(gw_anvil_count(a), 2);
	CHECK_INT(gw_anvil_open(a, "10.0.0.2"), 1);
	CHECK_INT(gw_anvil_open(a, "10.0.0.0"), 0);
	CHECK_INT(gw_anvil_connect(a, "10.0.0.99", GW_ANVIL_WINDOW_MS, 10, 0), GW_ANVIL_OK);
	gw_anvil_destroy(&a);
}

static const struct pb_test_case cases[] = {
	{ "concurrent_limit", test_concurrent_limit },
	{ "rate_window", test_rate_window },
	{ "bounded_and_swept", test_bounded_and_swept },
};
PB_TEST_MAIN(cases)
