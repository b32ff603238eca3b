/*
 * test-web-auth.c: the web logins' table (web-auth.h) as a long-lived stream checks it:
 * web_auth_alive is true for a valid login without renewing it (its idle time runs on, so a
 * stream alone does not keep a login alive), false past the idle or the age limit, after the
 * login ended, and for a token that is no login's.
 */
#include "pb-test.h"
#include "web-auth.h"

#include <stdio.h>
#include <string.h>

#define IDLE 1000
#define MAX 5000

static void test_alive_does_not_renew(void)
{
	struct web_auth *a = web_auth_new();
	const struct web_login *l = web_auth_add(a, "admin", 1, true, 100);
	char token[WEB_TOKEN_HEX + 1], cookie[WEB_TOKEN_HEX + 16];

	REQUIRE(l != NULL);
	snprintf(token, sizeof(token), "%s", l->token);
	snprintf(cookie, sizeof(cookie), "pb_session=%s", token);
	CHECK(web_auth_alive(a, token, 100 + IDLE, IDLE, MAX));
	CHECK(web_auth_alive(a, token, 100 + IDLE, IDLE, MAX)); /* asking renewed nothing... */
	CHECK(!web_auth_alive(a, token, 101 + IDLE, IDLE, MAX)); /* ...so the idle limit passes */
	CHECK(web_auth_find(a, cookie, 50 + IDLE, IDLE, MAX) != NULL); /* a request renews it */
	CHECK(web_auth_alive(a, token, 40 + 2 * IDLE, IDLE, MAX));
	for (uint64_t t = 1950; t <= 100 + MAX; t += 900) /* used often, yet too old */
		CHECK(web_auth_find(a, cookie, t, IDLE, MAX) != NULL);
	CHECK(!web_auth_alive(a, token, 101 + MAX, IDLE, MAX));
	CHECK(!web_auth_alive(a, "", 200, IDLE, MAX));
	CHECK(!web_auth_alive(a, "0123", 200, IDLE, MAX));
	web_auth_free(&a);
}

static void test_ended_login(void)
{
	struct web_auth *a = web_auth_new();
	const struct web_login *l = web_auth_add(a, "admin", 1, true, 100);
	char token[WEB_TOKEN_HEX + 1], other[WEB_TOKEN_HEX + 1];

	REQUIRE(l != NULL);
	snprintf(token, sizeof(token), "%s", l->token);
	memset(other, 'a', WEB_TOKEN_HEX);
	other[WEB_TOKEN_HEX] = '\0';
	CHECK(!web_auth_alive(a, other, 200, IDLE, MAX));
	web_auth_end(a, l);
	CHECK(!web_auth_alive(a, token, 200, IDLE, MAX));
	web_auth_free(&a);
}

static const struct pb_test_case cases[] = {
	{ "alive_does_not_renew", test_alive_does_not_renew },
	{ "ended_login", test_ended_login },
};

PB_TEST_MAIN(cases)
