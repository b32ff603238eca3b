/*
 * test-web-reset.c: the recovery links' tokens (web-reset.h) — one use, the right kind only,
 * expiry, never held in clear — and the asking limits (per key, in any case, a window, a
 * bounded table).
 */
#include "pb-test.h"
#include "web-reset.h"

#include <stdio.h>
#include <string.h>

static void test_single_use(void)
{
	struct web_reset *r = web_reset_new();
	char tok[WEB_RESET_TOKEN_HEX + 1];

	REQUIRE(web_reset_add(r, WEB_RESET_PASSWORD, "alice", 1000, 60000, tok) == 0);
	CHECK_INT(strlen(tok), WEB_RESET_TOKEN_HEX);
	CHECK(web_reset_find(r, WEB_RESET_UNLOCK, tok, 2000, true) == NULL); /* another kind */
	char *user = web_reset_find(r, WEB_RESET_PASSWORD, tok, 2000, false); /* a look */
	REQUIRE(user != NULL);
	CHECK_STR(user, "alice");
	free(user);
	user = web_reset_find(r, WEB_RESET_PASSWORD, tok, 2000, true);
	REQUIRE(user != NULL);
	CHECK_STR(user, "alice");
	free(user);
	CHECK(web_reset_find(r, WEB_RESET_PASSWORD, tok, 2000, true) == NULL); /* used */
	CHECK_INT(web_reset_count(r), 0);
	CHECK(web_reset_find(r, WEB_RESET_PASSWORD, "", 2000, true) == NULL);
	CHECK(web_reset_find(r, WEB_RESET_PASSWORD, NULL, 2000, true) == NULL);
	web_reset_free(&r);
	CHECK(r == NULL);
}

static void test_expiry(void)
{
	struct web_reset *r = web_reset_new();
	char tok[WEB_RESET_TOKEN_HEX + 1], other[WEB_RESET_TOKEN_HEX + 1];

	REQUIRE(web_reset_add(r, WEB_RESET_UNLOCK, "bob", 1000, 5000, tok) == 0);
	REQUIRE(web_reset_add(r, WEB_RESET_UNLOCK, "bob", 1000, 5000, other) == 0);
	CHECK(strcmp(tok, other) != 0);
	CHECK(web_reset_find(r, WEB_RESET_UNLOCK, tok, 6000, true) == NULL); /* expired */
	CHECK_INT(web_reset_count(r), 1);                                /* and gone */
	char *user = web_reset_find(r, WEB_RESET_UNLOCK, other, 5999, true);
	CHECK(user != NULL);
	free(user);
	/* a token differing in one digit is not it */
	REQUIRE(web_reset_add(r, WEB_RESET_UNLOCK, "bob", 1000, 5000, tok) == 0);
	tok[0] = tok[0] == '0' ? '1' : '0';
	CHECK(web_reset_find(r, WEB_RESET_UNLOCK, tok, 2000, true) == NULL);
	CHECK_INT(web_reset_count(r), 1);
	web_reset_free(&r);
}

static void test_bounded(void)
{
	struct web_reset *r = web_reset_new();
	char tok[WEB_RESET_TOKEN_HEX + 1], first[WEB_RESET_TOKEN_HEX + 1];

	REQUIRE(web_reset_add(r, WEB_RESET_PASSWORD, "u0", 0, 10, first) == 0);
	for (int i = 1; i < WEB_RESET_MAX + 10; i++)
		REQUIRE(web_reset_add(r, WEB_RESET_PASSWORD, "u", 0, 1000 + (uint64_t)i, tok) == 0);
	CHECK_INT(web_reset_count(r), WEB_RESET_MAX);
	CHECK(web_reset_find(r, WEB_RESET_PASSWORD, first, 1, true) == NULL); /* dropped first */
	char *user = web_reset_find(r, WEB_RESET_PASSWORD, tok, 1, true);
	CHECK(user != NULL);
	free(user);
	web_reset_free(&r);
}

static void test_allow(void)
{
	struct web_reset *r = web_reset_new();

	CHECK(web_reset_allow(r, "alice", 2, 1000));
	CHECK(web_reset_allow(r, "ALICE", 2, 1001));
	CHECK(!web_reset_allow(r, "alice", 2, 1002));
	CHECK(web_reset_allow(r, "127.0.0.1", 2, 1002)); /* another key */
	CHECK(!web_reset_allow(r, "alice", 2, 1000 + WEB_RESET_WINDOW_MS - 1));
	CHECK(web_reset_allow(r, "alice", 2, 1000 + WEB_RESET_WINDOW_MS)); /* a new window */
	char key[32];
	for (int i = 0; i < WEB_RESET_MAX + 5; i++) { /* the table stays bounded */
		snprintf(key, sizeof(key), "10.0.%d.%d", i / 256, i % 256);
		CHECK(web_reset_allow(r, key, 1, 5000 + (uint64_t)i));
	}
	web_reset_free(&r);
}

static const struct pb_test_case cases[] = {
	{ "single_use", test_single_use },
	{ "expiry", test_expiry },
	{ "bounded", test_bounded },
	{ "allow", test_allow },
};

PB_TEST_MAIN(cases)
