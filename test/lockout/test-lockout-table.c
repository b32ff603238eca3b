/*
 * test-lockout-table.c: the lockout policy with a fake clock (times are plain numbers passed
 * in): three failures lock the account for that address only, the right password is refused
 * while locked, another address logs in, a success resets the count, the lock runs out after
 * 30 minutes (a failure while locked starts it again); ten failures in 30 minutes block the
 * address, unknown users included, failures spread wider do not; the never-block list wins;
 * block list networks (IPv4, IPv6, IPv4-mapped), manual blocks with and without expiry,
 * removal; loopback web/admin exemption; unlock for one address or all; the bounds (eviction
 * prefers unlocked pairs; manual blocks are never evicted); the login history ring; the
 * administrator's lock of an account for every address (forever or for a time, loopback web
 * logins included, listed as "*", lifted only by an unlock for every address).
 */
#include "lockout-history.h"
#include "lockout-table.h"
#include "pb-alloc.h"
#include "pb-test.h"

#include <stdlib.h>

#define MIN 60000ULL
#define A "192.0.2.1"
#define B "198.51.100.7"

static struct lockout_policy policy(void)
{
	return (struct lockout_policy){ .lock_after = 3, .lock_ms = 30 * MIN,
					.block_failures = 10, .block_period_ms = 30 * MIN,
					.block_ms = 30 * MIN };
}

static struct lockout_table *table(void)
{
	struct lockout_limits lim = { 64, 64, 16 };
	struct lockout_policy p = policy();
	return lockout_table_create(&lim, &p);
}

/* One login report; returns the verdict. */
static struct lockout_verdict login(struct lockout_table *t, const char *ip, const char *user,
				    enum lockout_result r, uint64_t now)
{
	struct lockout_verdict v;
	const struct lockout_block *b;
	const char *error;

	if (lockout_table_login(t, ip, user, "pop3", r, now, &v, &b, &error) < 0)
		PANIC("login: %s", error);
	CHECK(v.blocked_now == (b != NULL));
	return v;
}

static void test_three_failures_lock_for_that_address(void)
{
	struct lockout_table *t = table();
	struct lockout_verdict v;

	CHECK(!login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 1000).locked);
	CHECK(!login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 2000).locked);
	v = login(t, A, "Sue", LOCKOUT_BAD_PASSWORD, 3000); /* any case: the same account */
	CHECK(v.locked && v.locked_now && !v.blocked);
	CHECK_INT(v.until_ms, 3000 + 30 * MIN);
	/* the fourth try with the right password is still refused, and resets nothing */
	v = login(t, A, "sue", LOCKOUT_SUCCESS, 4000);
	CHECK(v.locked && !v.locked_now);
	CHECK(login(t, A, "sue", LOCKOUT_SUCCESS, 5000).locked);
	/* another address logs in */
	CHECK(!login(t, B, "sue", LOCKOUT_SUCCESS, 5000).locked);
	/* another user from the locked address too */
	CHECK(!login(t, A, "bob", LOCKOUT_SUCCESS, 5000).locked);
	struct lockout_lock locks[4];
	CHECK_INT(lockout_table_locks(t, "SUE", 5000, locks, 4), 1);
	CHECK_STR(locks[0].ip, A);
	CHECK_STR(locks[0].user, "sue");
	CHECK_INT(locks[0].failures, 3);
	CHECK_INT(lockout_table_locks(t, "bob", 5000, locks, 4), 0);
	lockout_table_destroy(&t);
	CHECK(t == NULL);
}

static void test_success_resets_the_count(void)
{
	struct lockout_table *t = table();

	login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 1000);
	login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 2000);
	CHECK(!login(t, A, "sue", LOCKOUT_SUCCESS, 3000).locked);
	login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 4000);
	CHECK(!login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 5000).locked); /* 2 since the success */
	CHECK(login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 6000).locked);
	lockout_table_destroy(&t);
}

static void test_lock_expires_after_30_minutes(void)
{
	struct lockout_table *t = table();

	for (int i = 0; i < 3; i++)
		login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 1000);
	CHECK(login(t, A, "sue", LOCKOUT_SUCCESS, 1000 + 30 * MIN - 1).locked);
	CHECK(!login(t, A, "sue", LOCKOUT_SUCCESS, 1000 + 30 * MIN).locked);
	/* the count started again: two failures do not lock */
	login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 31 * MIN);
	CHECK(!login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 31 * MIN).locked);
	lockout_table_destroy(&t);
}

static void test_failure_while_locked_restarts_the_lock(void)
{
	struct lockout_table *t = table();

	for (int i = 0; i < 3; i++)
		login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 0);
	struct lockout_verdict v = login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 20 * MIN);
	CHECK(v.locked && !v.locked_now);
	CHECK_INT(v.until_ms, 50 * MIN);
	CHECK(login(t, A, "sue", LOCKOUT_SUCCESS, 45 * MIN).locked);
	CHECK(!login(t, A, "sue", LOCKOUT_SUCCESS, 50 * MIN).locked);
	lockout_table_destroy(&t);
}

static void test_ten_failures_block_the_address(void)
{
	struct lockout_table *t = table();
	const char *users[] = { "a", "b", "c", "nosuch1", "nosuch2" };
	struct lockout_verdict v = { 0 };

	/* two failures each to five names (three of them unknown): no account locks, ten failures */
	for (int i = 0; i < 10; i++) {
		CHECK(!v.blocked);
		v = login(t, A, users[i % 5], i % 5 >= 3 ? LOCKOUT_UNKNOWN_USER : LOCKOUT_BAD_PASSWORD,
			  (uint64_t)i * 3 * MIN);
		CHECK(!v.locked);
	}
	CHECK(v.blocked && v.blocked_now);
	CHECK_INT(v.until_ms, 27 * MIN + 30 * MIN);
	const struct lockout_block *b = lockout_table_blocked(t, A, 27 * MIN);
	REQUIRE(b != NULL);
	CHECK(b->automatic);
	CHECK_STR(b->text, A);
	CHECK_STR(b->protocol, "pop3");
	CHECK_STR(b->reason, "10 failed logins within 30 minutes");
	/* even the right password is refused while blocked; other addresses are not */
	v = login(t, A, "a", LOCKOUT_SUCCESS, 28 * MIN);
	CHECK(v.blocked && !v.blocked_now);
	CHECK(lockout_table_blocked(t, B, 28 * MIN) == NULL);
	/* the block ends with its time, and is removed by expire */
	CHECK(lockout_table_blocked(t, A, 57 * MIN) == NULL);
	CHECK_INT(lockout_table_expire(t, 57 * MIN, NULL, NULL), 1);
	CHECK_INT(lockout_table_n_blocks(t), 0);
	lockout_table_destroy(&t);
}

static void test_failures_spread_wider_do_not_block(void)
{
	struct lockout_table *t = table();

	/* one failure every 3 min 30 s: any ten span 31.5 minutes */
	for (int i = 0; i < 30; i++) {
		struct lockout_verdict v = login(t, A, "nosuch", LOCKOUT_UNKNOWN_USER,
						 (uint64_t)i * 210000);
		CHECK(!v.blocked);
	}
	/* then one sooner: the last ten now lie within 30 minutes */
	CHECK(login(t, A, "nosuch", LOCKOUT_UNKNOWN_USER, 29 * 210000 + 1000).blocked);
	lockout_table_destroy(&t);
}

static void test_never_block_wins(void)
{
	struct lockout_table *t = table();
	struct lockout_policy p = policy();
	char *error = NULL;

	REQUIRE(pb_cidr_list_parse("192.0.2.0/24 2001:db8::/32", &p.never_block, &error) == 0);
	lockout_table_set_policy(t, &p);
	for (int i = 0; i < 25; i++) {
		CHECK(!login(t, A, "nosuch", LOCKOUT_UNKNOWN_USER, (uint64_t)i).blocked);
		CHECK(!login(t, "::ffff:192.0.2.9", "nosuch", LOCKOUT_UNKNOWN_USER, (uint64_t)i).blocked);
		CHECK(!login(t, "2001:db8::5", "nosuch", LOCKOUT_UNKNOWN_USER, (uint64_t)i).blocked);
	}
	CHECK_INT(lockout_table_n_blocks(t), 0);
	/* the account lock still applies from a never-blocked address */
	for (int i = 0; i < 3; i++)
		login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 100);
	CHECK(login(t, A, "sue", LOCKOUT_SUCCESS, 100).locked);
	lockout_table_destroy(&t);
}

static void test_block_list_networks(void)
{
	struct lockout_table *t = table();
	const struct lockout_block *b;
	char text[PB_CIDR_TEXT_MAX], *error = NULL;

	REQUIRE(lockout_table_block_add(t, "10.0.0.0/8", 0, 0, false, "attacker", "admin", &b,
					&error) == 0);
	CHECK_STR(b->text, "10.0.0.0/8");
	REQUIRE(lockout_table_block_add(t, "2001:DB8:0::/48", 0, 5 * MIN, false, "", "admin", &b,
					&error) == 0);
	CHECK_STR(b->text, "2001:db8::/48");
	CHECK(lockout_table_blocked(t, "10.200.3.4", 0) != NULL);
	CHECK(lockout_table_blocked(t, "::ffff:10.200.3.4", 0) != NULL); /* v4-mapped */
	CHECK(lockout_table_blocked(t, "11.0.0.1", 0) == NULL);
	CHECK(lockout_table_blocked(t, "2001:db8:0:1::1", 0) != NULL);
	CHECK(lockout_table_blocked(t, "2001:db8:1::1", 0) == NULL);
	CHECK(lockout_table_blocked(t, "not-an-address", 0) == NULL);
	/* the expiring one ends; the forever one stays */
	CHECK(lockout_table_blocked(t, "2001:db8::1", 5 * MIN) == NULL);
	CHECK(lockout_table_blocked(t, "10.0.0.1", 1000 * MIN) != NULL);
	/* a login from a blocked network is refused, whatever the password */
	CHECK(login(t, "10.1.1.1", "sue", LOCKOUT_SUCCESS, 0).blocked);
	/* removal by any spelling of the network */
	CHECK_INT(lockout_table_block_del(t, "::ffff:10.0.0.0/104", text, &error), 1);
	CHECK_STR(text, "10.0.0.0/8");
	CHECK_INT(lockout_table_block_del(t, "10.0.0.0/8", text, &error), 0);
	CHECK(lockout_table_blocked(t, "10.200.3.4", 0) == NULL);
	CHECK_INT(lockout_table_block_del(t, "10.0.0.1/8", text, &error), -1);
	CHECK(strstr(error, "host bits") != NULL);
	free(error);
	CHECK_INT(lockout_table_block_add(t, "10.0.0.300", 0, 0, false, "", "", &b, &error), -1);
	free(error);
	const char *lerror;
	struct lockout_verdict v;
	CHECK_INT(lockout_table_login(t, "bogus", "sue", "pop3", LOCKOUT_SUCCESS, 0, &v, &b, &lerror), -1);
	lockout_table_destroy(&t);
}

static void test_loopback_admin_exemption(void)
{
	struct lockout_table *t = table();
	const struct lockout_block *b;
	struct lockout_verdict v;
	const char *error;

	for (int i = 0; i < 20; i++) {
		REQUIRE(lockout_table_login(t, "127.0.0.1", "admin", "web", LOCKOUT_BAD_PASSWORD, 0, &v,
					    &b, &error) == 0);
		CHECK(!v.locked && !v.blocked);
		REQUIRE(lockout_table_login(t, "::1", "admin", "admin", LOCKOUT_BAD_PASSWORD, 0, &v, &b,
					    &error) == 0);
		CHECK(!v.locked && !v.blocked);
	}
	/* loopback over POP3 is not exempt */
	for (int i = 0; i < 3; i++)
		REQUIRE(lockout_table_login(t, "127.0.0.1", "admin", "pop3", LOCKOUT_BAD_PASSWORD, 0,
					    &v, &b, &error) == 0);
	CHECK(v.locked);
	/* and with lock_loopback_admin the web is not either */
	struct lockout_policy p = policy();
	p.lock_loopback_admin = true;
	lockout_table_set_policy(t, &p);
	for (int i = 0; i < 3; i++)
		REQUIRE(lockout_table_login(t, "::1", "root", "web", LOCKOUT_BAD_PASSWORD, 0, &v, &b,
					    &error) == 0);
	CHECK(v.locked);
	lockout_table_destroy(&t);
}

static void test_unlock_one_address_or_all(void)
{
	struct lockout_table *t = table();

	for (int i = 0; i < 3; i++) {
		login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 0);
		login(t, B, "sue", LOCKOUT_BAD_PASSWORD, 0);
		login(t, "2001:db8::1", "sue@example.com", LOCKOUT_BAD_PASSWORD, 0);
		login(t, A, "bob", LOCKOUT_BAD_PASSWORD, 0);
	}
	CHECK_INT(lockout_table_locks(t, NULL, 0, NULL, 0), 4);
	CHECK_INT(lockout_table_locks(t, "sue", 0, NULL, 0), 3); /* sue@example.com is sue's */
	CHECK_INT(lockout_table_unlock(t, "sue", "::ffff:" B, 0), 1);
	CHECK(!login(t, B, "sue", LOCKOUT_SUCCESS, 0).locked);
	CHECK(login(t, A, "sue", LOCKOUT_SUCCESS, 0).locked);
	CHECK_INT(lockout_table_unlock(t, "sue", "bogus", 0), 0);
	CHECK_INT(lockout_table_unlock(t, "SUE", NULL, 0), 2);
	CHECK(!login(t, A, "sue", LOCKOUT_SUCCESS, 0).locked);
	CHECK(login(t, A, "bob", LOCKOUT_SUCCESS, 0).locked);
	CHECK_INT(lockout_table_unlock(t, "sue", NULL, 0), 0);
	lockout_table_destroy(&t);
}

static void test_bounds_and_eviction(void)
{
	struct lockout_limits lim = { 4, 2, 2 };
	struct lockout_policy p = policy();
	const struct lockout_block *b;
	char *error = NULL, user[16], text[PB_CIDR_TEXT_MAX];

	p.block_failures = 0; /* first the pairs alone */
	struct lockout_table *t = lockout_table_create(&lim, &p);

	/* sue is locked from A; then many other users' failures fill the four pairs */
	for (int i = 0; i < 3; i++)
		login(t, A, "sue", LOCKOUT_BAD_PASSWORD, 1);
	for (int i = 0; i < 20; i++) {
		snprintf(user, sizeof(user), "u%d", i);
		login(t, B, user, LOCKOUT_BAD_PASSWORD, (uint64_t)(10 + i));
	}
	/* the lock survived: unlocked pairs went first */
	CHECK(login(t, A, "sue", LOCKOUT_SUCCESS, 100).locked);
	/* more locks than pairs: the oldest lock goes */
	for (int u = 0; u < 4; u++) {
		snprintf(user, sizeof(user), "x%d", u);
		for (int i = 0; i < 3; i++)
			login(t, "203.0.113.1", user, LOCKOUT_BAD_PASSWORD, (uint64_t)(200 + u));
	}
	CHECK_INT(lockout_table_locks(t, NULL, 300, NULL, 0), 4);
	CHECK(!login(t, A, "sue", LOCKOUT_SUCCESS, 300).locked);
	/* two manual blocks fill the list: a third is refused, an automatic one is not kept */
	REQUIRE(lockout_table_block_add(t, "10.0.0.1", 0, 0, false, "", "", &b, &error) == 0);
	REQUIRE(lockout_table_block_add(t, "10.0.0.2", 0, 0, false, "", "", &b, &error) == 0);
	CHECK_INT(lockout_table_block_add(t, "10.0.0.3", 0, 0, false, "", "", &b, &error), -1);
	CHECK(strstr(error, "the block list is full") != NULL);
	free(error);
	p.block_failures = 10;
	lockout_table_set_policy(t, &p);
	for (int i = 0; i < 10; i++)
		CHECK(!login(t, "10.9.9.9", "nosuch", LOCKOUT_UNKNOWN_USER, 400).blocked);
	/* an automatic block replaces the automatic one that ends soonest */
	CHECK_INT(lockout_table_block_del(t, "10.0.0.2", text, &error), 1);
	REQUIRE(lockout_table_block_add(t, "10.0.0.4", 0, 500, true, "", "", &b, &error) == 0);
	REQUIRE(lockout_table_block_add(t, "10.0.0.5", 0, 900, true, "", "", &b, &error) == 0);
	CHECK(lockout_table_blocked(t, "10.0.0.4", 0) == NULL);
	CHECK(lockout_table_blocked(t, "10.0.0.5", 0) != NULL);
	CHECK(lockout_table_blocked(t, "10.0.0.1", 0) != NULL);
	lockout_table_destroy(&t);
}

static void test_history_ring(void)
{
	struct lockout_history *h = lockout_history_create(2);
	struct lockout_event ev = { .result = LOCKOUT_BAD_PASSWORD }, out[LOCKOUT_HISTORY_PER_USER + 5];

	snprintf(ev.ip, sizeof(ev.ip), "%s", A);
	snprintf(ev.protocol, sizeof(ev.protocol), "pop3");
	for (int i = 0; i < LOCKOUT_HISTORY_PER_USER + 5; i++) {
		ev.time_ms = (uint64_t)i;
		lockout_history_add(h, i % 2 ? "Sue" : "sue", &ev);
	}
	size_t n = lockout_history_get(h, "SUE", out, PB_N_ELEMENTS(out));
	CHECK_INT(n, LOCKOUT_HISTORY_PER_USER);
	CHECK_INT(out[0].time_ms, 5); /* the oldest kept, then in order */
	CHECK_INT(out[n - 1].time_ms, LOCKOUT_HISTORY_PER_USER + 4);
	ev.time_ms = 100;
	lockout_history_add(h, "bob", &ev);
	ev.time_ms = 101;
	lockout_history_add(h, "carol", &ev); /* two users at most: sue (oldest) goes */
	CHECK_INT(lockout_history_get(h, "sue", out, PB_N_ELEMENTS(out)), 0);
	CHECK_INT(lockout_history_get(h, "bob", out, PB_N_ELEMENTS(out)), 1);
	CHECK_STR(lockout_result_name(out[0].result), "bad password");
	lockout_history_destroy(&h);
}

static bool web_locked(struct lockout_table *t, const char *user, uint64_t now)
{
	struct lockout_verdict v;
	const struct lockout_block *b;
	const char *error;

	if (lockout_table_login(t, "127.0.0.1", user, "web", LOCKOUT_SUCCESS, now, &v, &b,
				&error) < 0)
		PANIC("login: %s", error);
	return v.locked;
}

static void test_admin_lock_every_address(void)
{
	struct lockout_table *t = table();
	struct lockout_lock locks[4];

	CHECK(lockout_table_lock(t, "", 0, 1000) < 0);
	REQUIRE(lockout_table_lock(t, "Sue", 0, 1000) == 0); /* until unlocked */
	struct lockout_verdict v = login(t, A, "sue", LOCKOUT_SUCCESS, 2000);
	CHECK(v.locked && !v.locked_now);
	CHECK_INT(v.until_ms, 0);
	CHECK(login(t, B, "sue@example.org", LOCKOUT_SUCCESS, 1000 * MIN).locked);
	CHECK(web_locked(t, "sue", 3000)); /* loopback web: exempt from counting, not from this */
	CHECK(!login(t, A, "bob", LOCKOUT_SUCCESS, 3000).locked);
	CHECK_INT(lockout_table_locks(t, "sue", 3000, locks, 4), 1);
	CHECK_STR(locks[0].ip, LOCKOUT_ANY_IP);
	CHECK_INT(locks[0].until_ms, 0);
	CHECK_INT(lockout_table_unlock(t, "sue", A, 4000), 0); /* not an address's lock */
	CHECK(login(t, A, "sue", LOCKOUT_SUCCESS, 4000).locked);
	CHECK_INT(lockout_table_unlock(t, "sue", NULL, 5000), 1);
	CHECK(!login(t, A, "sue", LOCKOUT_SUCCESS, 5000).locked);
	CHECK(!web_locked(t, "sue", 5000));
	/* for a time: it runs out by itself; locking again replaces it */
	REQUIRE(lockout_table_lock(t, "sue", 10000, 6000) == 0);
	REQUIRE(lockout_table_lock(t, "sue", 20000, 6000) == 0);
	CHECK_INT(lockout_table_locks(t, NULL, 6000, locks, 4), 1);
	CHECK(login(t, A, "sue", LOCKOUT_SUCCESS, 15000).locked);
	CHECK(!login(t, A, "sue", LOCKOUT_SUCCESS, 20000).locked);
	lockout_table_destroy(&t);
}

static const struct pb_test_case cases[] = {
	{ "admin_lock_every_address", test_admin_lock_every_address },
	{ "three_failures_lock_for_that_address", test_three_failures_lock_for_that_address },
	{ "success_resets_the_count", test_success_resets_the_count },
	{ "lock_expires_after_30_minutes", test_lock_expires_after_30_minutes },
	{ "failure_while_locked_restarts_the_lock", test_failure_while_locked_restarts_the_lock },
	{ "ten_failures_block_the_address", test_ten_failures_block_the_address },
	{ "failures_spread_wider_do_not_block", test_failures_spread_wider_do_not_block },
	{ "never_block_wins", test_never_block_wins },
	{ "block_list_networks", test_block_list_networks },
	{ "loopback_admin_exemption", test_loopback_admin_exemption },
	{ "unlock_one_address_or_all", test_unlock_one_address_or_all },
	{ "bounds_and_eviction", test_bounds_and_eviction },
	{ "history_ring", test_history_ring },
};

PB_TEST_MAIN(cases)
