/*
 * test-store-routes.c: mappings and distribution lists in the routes family (store-routes.h):
 * several targets of one address, case-insensitive keys, replace, delete, bounds, reopen.
 */
#include "pb-test.h"
#include "pb-test-store.h"
#include "store-routes.h"

static void test_mappings(void)
{
	char *dir = store_test_tmpdir("routes-maps");
	struct pb_store *s = store_test_open(dir);
	struct pb_route_map *v;
	size_t n;
	const char *error;

	struct pb_route_map m[] = {
		{ "sales", "ann", NULL, "role", 0 },
		{ "Sales", "Ben", "", NULL, 2 },
		{ "s*", "s_users", "isp1", "", 1 },
	};
	for (size_t i = 0; i < PB_N_ELEMENTS(m); i++)
		REQUIRE(pb_store_route_map_put(s, &m[i], &error) == 0);
	REQUIRE(pb_store_route_map_put(s, &m[0], &error) == 0); /* again: replaced */
	struct pb_route_map bad = { "", "ann", NULL, NULL, 0 };
	CHECK_INT(pb_store_route_map_put(s, &bad, &error), -1);
	REQUIRE(pb_store_route_maps(s, &v, &n, &error) == 0);
	REQUIRE(n == 3);
	CHECK_STR(v[0].address, "s*"); /* "s*" < "sales" in lowercase byte order */
	CHECK_STR(v[0].collector, "isp1");
	CHECK_INT(v[0].type, 1);
	CHECK_STR(v[1].target, "ann");
	CHECK_STR(v[1].comment, "role");
	CHECK_STR(v[2].target, "Ben");
	CHECK_INT(v[2].type, 2);
	pb_route_maps_free(v, n);
	CHECK_INT(pb_store_route_map_delete(s, "SALES", "ben", &error), 1);
	CHECK_INT(pb_store_route_map_delete(s, "sales", "ben", &error), 0);
	pb_store_close(&s);
	s = store_test_open(dir); /* durable */
	REQUIRE(pb_store_route_maps(s, &v, &n, &error) == 0);
	CHECK_INT(n, 2);
	pb_route_maps_free(v, n);
	store_test_done(&s, &dir);
}

static void test_lists(void)
{
	char *dir = store_test_tmpdir("routes-lists");
	struct pb_store *s = store_test_open(dir);
	char *members[] = { "ann", "bob@remote.net" };
	struct pb_route_list l = { "Sales", "the sales team", true, members, 2 }, got, *v;
	size_t n;
	const char *error;

	REQUIRE(pb_store_route_list_put(s, &l, &error) == 0);
	REQUIRE(pb_store_route_list_get(s, "SALES", &got, &error) == 1);
	CHECK_STR(got.name, "Sales");
	CHECK(got.internet);
	REQUIRE(got.n_members == 2);
	CHECK_STR(got.members[1], "bob@remote.net");
	pb_route_list_clear(&got);
	CHECK_INT(pb_store_route_list_get(s, "none", &got, &error), 0);
	struct pb_route_list empty = { "internal", NULL, false, NULL, 0 };
	REQUIRE(pb_store_route_list_put(s, &empty, &error) == 0);
	char *blank[] = { "" };
	struct pb_route_list bad = { "x", NULL, false, blank, 1 };
	CHECK_INT(pb_store_route_list_put(s, &bad, &error), -1);
	REQUIRE(pb_store_route_lists(s, &v, &n, &error) == 0);
	REQUIRE(n == 2);
	CHECK_STR(v[0].name, "internal");
	CHECK_INT(v[0].n_members, 0);
	CHECK(!v[0].internet);
	pb_route_lists_free(v, n);
	CHECK_INT(pb_store_route_list_delete(s, "sales", &error), 1);
	CHECK_INT(pb_store_route_list_delete(s, "sales", &error), 0);
	store_test_done(&s, &dir);
}

static const struct pb_test_case cases[] = {
	{ "mappings", test_mappings },
	{ "lists", test_lists },
};

PB_TEST_MAIN(cases)
