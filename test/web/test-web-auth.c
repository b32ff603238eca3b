/*
 * test-web-auth.c: the web logins table's bounds (web-auth.h) — one account past its cap ends
 * its own least recently used login and never another account's; a table full of live logins
 * refuses a new one, and a full table with expired logins drops those instead; and as a
 * long-lived stream checks it: web_auth_alive is true for a valid login without renewing it
 * (its idle time runs on, so a stream alone does not keep a login alive), false past the idle
 * or the age limit, after the login ended, and for a token that is no login's.
 */
#include "pb-test.h"
#include "web-auth.h"

#include <stdio.h>
#include <string.h>

static const struct web_auth_limits LIM = { .per_account = 3, .idle_ms = 60000,
					    .max_ms = 3600000 };

static const struct web_login *add(struct web_auth *a, const char *user, uint64_t now)
{
	const char *error = NULL;
	const struct web_login *l = web_auth_add(a, user, 1, false, now, &LIM, &error);
	if (l == NULL)
		CHECK(error != NULL);
	return l;
}

/* The cookie field naming l's token. */
static void cookie_of(const struct web_login *l, char out[WEB_TOKEN_HEX + 12])
{
	snprintf(out, WEB_TOKEN_HEX + 12, "pb_session=%s", l->token);
}

static void test_per_account_cap(void)
{
	struct web_auth *a = web_auth_new();
	char admin[WEB_TOKEN_HEX + 12], first[WEB_TOKEN_HEX + 12], second[WEB_TOKEN_HEX + 12];

	cookie_of(add(a, "admin", 1000), admin);
	cookie_of(add(a, "bob", 1000), first);
	cookie_of(add(a, "Bob", 1000), second);
	REQUIRE(add(a, "bob", 1000) != NULL);
	CHECK_INT(web_auth_count(a), 4);
	REQUIRE(add(a, "bob", 1000) != NULL); /* the fourth: bob's first ends (same ms: by age) */
	CHECK_INT(web_auth_count(a), 4);
	CHECK(web_auth_find(a, first, 1001, 60000, 3600000) == NULL);
	CHECK(web_auth_find(a, admin, 1001, 60000, 3600000) != NULL);
	CHECK(web_auth_find(a, second, 1002, 60000, 3600000) != NULL); /* used last now */
	REQUIRE(add(a, "bob", 1003) != NULL); /* ends bob's least recently used: not second */
	CHECK(web_auth_find(a, second, 1004, 60000, 3600000) != NULL);
	CHECK(web_auth_find(a, admin, 1004, 60000, 3600000) != NULL);
	for (int i = 0; i < 50; i++)
		REQUIRE(add(a, "bob", 2000 + (uint64_t)i) != NULL);
	CHECK_INT(web_auth_count(a), 4);
	CHECK(web_auth_find(a, admin, 2100, 60000, 3600000) != NULL);
	web_auth_free(&a);
}

static void test_full_table(void)
{
	struct web_auth *a = web_auth_new();
	char user[32], admin[WEB_TOKEN_HEX + 12];

	for (int i = 0; i < 3; i++)
		REQUIRE(add(a, "bob", 900) != NULL);
	cookie_of(add(a, "admin", 1000), admin);
	for (int i = 4; i < WEB_AUTH_MAX; i++) {
		snprintf(user, sizeof(user), "u%d", i);
		REQUIRE(add(a, user, 1000 + (uint64_t)i) != NULL);
	}
	CHECK_INT(web_auth_count(a), WEB_AUTH_MAX);
	/* every login live: a newcomer is refused, nobody is logged out */
	CHECK(add(a, "mallory", 10000) == NULL);
	CHECK_INT(web_auth_count(a), WEB_AUTH_MAX);
	CHECK(web_auth_find(a, admin, 10001, 60000, 3600000) != NULL);
	CHECK(add(a, "u7", 10002) == NULL); /* under its cap: no login of its own to end */
	/* an account at its cap ends its own login */
	REQUIRE(add(a, "bob", 10003) != NULL);
	CHECK_INT(web_auth_count(a), WEB_AUTH_MAX);
	CHECK(web_auth_find(a, admin, 10004, 60000, 3600000) != NULL);
	/* later the others went idle: the newcomer gets their place */
	CHECK(add(a, "mallory", 10004 + 60001) != NULL);
	CHECK(web_auth_count(a) < WEB_AUTH_MAX);
	web_auth_free(&a);
}

#define IDLE 1000
#define MAX 5000

static void test_alive_does_not_renew(void)
{
	struct web_auth *a = web_auth_new();
	const struct web_login *l = add(a, "admin", 100);
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
	const struct web_login *l = add(a, "admin", 100);
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
	{ "per_account_cap", test_per_account_cap },
	{ "full_table", test_full_table },
};

PB_TEST_MAIN(cases)
