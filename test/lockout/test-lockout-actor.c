/*
 * test-lockout-actor.c: the lockout guard over a real store, through its typed client stub:
 * an address blocked by failed logins and a manual block survive a restart (they are in the
 * store), an account lock does not; the settings snapshot's security document is the policy;
 * block add/del with their refusals; unlock; a user's locks and login history; a bad address
 * or result is refused, never fatal.
 */
#include "lockout-actor.h"
#include "lockout-client.h"
#include "pb-settings-snapshot.h"
#include "pb-test-store.h"
#include "pb-test.h"
#include "store-lockout.h"

#include <stdlib.h>

struct fixture {
	char *dir;
	struct pb_store *store;
	struct pb_runtime *rt;
	struct pb_caller *c;
	struct pb_sync t;
};

static void start(struct fixture *f)
{
	const char *error;

	f->rt = pb_runtime_create("t", NULL);
	if (pb_runtime_start(f->rt, &lockout_actor_def, f->store, &error) < 0)
		PANIC("cannot start: %s", error);
	f->c = pb_caller_create(f->rt);
	pb_sync_init_caller(&f->t, f->c, 10000);
}

static void stop(struct fixture *f)
{
	pb_caller_destroy(&f->c);
	pb_runtime_destroy(&f->rt);
}

static void setup(struct fixture *f)
{
	f->dir = store_test_tmpdir("lockout");
	f->store = store_test_open(f->dir);
	start(f);
}

static void teardown(struct fixture *f)
{
	stop(f);
	store_test_done(&f->store, &f->dir);
}

static struct lockout_login_answer login(struct fixture *f, const char *ip, const char *user,
					 uint8_t result)
{
	struct lockout_login_answer a;
	const char *error;
	uint32_t code = 99;

	if (lockout_client_login(&f->t, ip, user, "pop3", result, &code, &a, &error) < 0)
		PANIC("login: %s", error);
	CHECK_INT(code, PB_OK);
	return a;
}

static bool blocked(struct fixture *f, const char *ip)
{
	const char *error;
	uint32_t code = 99;
	bool b = false;
	int64_t until;

	if (lockout_client_check_ip(&f->t, ip, &code, &b, &until, &error) < 0)
		PANIC("check: %s", error);
	CHECK_INT(code, PB_OK);
	return b;
}

static void test_ip_block_survives_restart_account_lock_does_not(void)
{
	struct fixture f;
	struct lockout_login_answer a = { 0 };

	setup(&f);
	for (int i = 0; i < 3; i++)
		a = login(&f, "198.51.100.7", "sue", LOCKOUT_LOGIN_BAD_PASSWORD);
	CHECK(a.locked && !a.blocked);
	CHECK(a.until_ms > (int64_t)pb_clock_wall_ms());
	CHECK(login(&f, "198.51.100.7", "sue", LOCKOUT_LOGIN_OK).locked);
	CHECK(!login(&f, "198.51.100.8", "sue", LOCKOUT_LOGIN_OK).locked);
	CHECK(!blocked(&f, "192.0.2.1"));
	for (int i = 0; i < 10; i++)
		a = login(&f, "192.0.2.1", "nosuch", LOCKOUT_LOGIN_UNKNOWN_USER);
	CHECK(a.blocked);
	CHECK(blocked(&f, "192.0.2.1"));
	CHECK(blocked(&f, "::ffff:192.0.2.1"));

	stop(&f);
	start(&f);
	CHECK(blocked(&f, "192.0.2.1")); /* from the store */
	CHECK(!login(&f, "198.51.100.7", "sue", LOCKOUT_LOGIN_OK).locked); /* cleared */

	struct pb_rec_lockout_lock_list locks = { 0 };
	struct pb_rec_lockout_block_list blocks = { 0 };
	const char *error;
	uint32_t code = 99;
	REQUIRE(lockout_client_list(&f.t, &code, &locks, &blocks, &error) == 0);
	CHECK_INT(code, PB_OK);
	CHECK_INT(locks.n, 0);
	REQUIRE(blocks.n == 1);
	CHECK_STR(blocks.v[0].net, "192.0.2.1");
	CHECK_STR(blocks.v[0].reason, "10 failed logins within 30 minutes");
	CHECK_STR(blocks.v[0].protocol, "pop3");
	CHECK(blocks.v[0].automatic);
	int64_t left = blocks.v[0].until_ms - (int64_t)pb_clock_wall_ms();
	CHECK(left > 29 * 60000 && left <= 30 * 60000);
	pb_rec_lockout_lock_list_clear(&locks);
	pb_rec_lockout_block_list_clear(&blocks);
	teardown(&f);
}

static void test_manual_blocks(void)
{
	struct fixture f;
	const char *error;
	uint32_t code = 99;

	setup(&f);
	REQUIRE(lockout_client_block_add(&f.t, "2001:db8::/32", 0, "", &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(lockout_client_block_add(&f.t, "10.0.0.0/8", 5, "seen in the logs", &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(lockout_client_block_add(&f.t, "10.0.0.1/8", 0, "", &code, &error) == 0);
	CHECK_INT(code, PB_ERR_REFUSED);
	CHECK(strstr(error, "the network is 10.0.0.0/8") != NULL);
	CHECK(blocked(&f, "2001:db8::99"));
	CHECK(login(&f, "10.3.3.3", "sue", LOCKOUT_LOGIN_OK).blocked);

	stop(&f);
	start(&f);
	CHECK(blocked(&f, "2001:db8::99"));
	CHECK(blocked(&f, "10.3.3.3"));
	REQUIRE(lockout_client_block_del(&f.t, "2001:DB8::/32", &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(lockout_client_block_del(&f.t, "2001:db8::/32", &code, &error) == 0);
	CHECK_INT(code, PB_ERR_NOTFOUND);
	REQUIRE(lockout_client_block_del(&f.t, "nonsense", &code, &error) == 0);
	CHECK_INT(code, PB_ERR_REFUSED);
	CHECK(!blocked(&f, "2001:db8::99"));

	/* what is stored is what is left */
	struct pb_store_block *v;
	size_t n, bad;
	REQUIRE(pb_store_block_list(f.store, &v, &n, &bad, &error) == 0);
	REQUIRE(n == 1);
	CHECK_STR(v[0].net, "10.0.0.0/8");
	CHECK_STR(v[0].reason, "seen in the logs");
	CHECK(!v[0].automatic);
	CHECK_INT(bad, 0);
	pb_store_block_list_free(v, n);
	teardown(&f);
}

static void test_settings_are_the_policy(void)
{
	struct fixture f;
	struct pb_settings s;
	char *problem = NULL;

	setup(&f);
	pb_settings_defaults(&s);
	REQUIRE(pb_settings_load(&s, "security",
				 "{\"lock_after_failures\": 1, \"never_block\": \"203.0.113.0/24\"}",
				 &problem) == 0);
	pb_settings_publish(f.rt, &s);
	CHECK(login(&f, "203.0.113.5", "bob", LOCKOUT_LOGIN_BAD_PASSWORD).locked);
	for (int i = 0; i < 20; i++)
		CHECK(!login(&f, "203.0.113.5", "nosuch", LOCKOUT_LOGIN_UNKNOWN_USER).blocked);
	teardown(&f);
}

static void test_unlock_and_user_history(void)
{
	struct fixture f;
	const char *error;
	uint32_t code = 99;
	struct pb_rec_lockout_lock_list locks = { 0 };
	struct pb_rec_login_event_list logins = { 0 };

	setup(&f);
	login(&f, "192.0.2.1", "sue", LOCKOUT_LOGIN_OK);
	for (int i = 0; i < 3; i++) {
		login(&f, "192.0.2.1", "sue", LOCKOUT_LOGIN_BAD_PASSWORD);
		login(&f, "192.0.2.2", "sue", LOCKOUT_LOGIN_BAD_PASSWORD);
	}
	login(&f, "192.0.2.1", "sue", LOCKOUT_LOGIN_OK);
	REQUIRE(lockout_client_user(&f.t, "Sue", &code, &locks, &logins, &error) == 0);
	CHECK_INT(code, PB_OK);
	CHECK_INT(locks.n, 2);
	REQUIRE(logins.n == 8);
	CHECK_STR(logins.v[0].result, "ok");
	CHECK(!logins.v[0].refused);
	CHECK_STR(logins.v[1].result, "bad password");
	CHECK_STR(logins.v[1].ip, "192.0.2.1");
	CHECK_STR(logins.v[1].protocol, "pop3");
	CHECK_STR(logins.v[7].result, "ok");
	CHECK(logins.v[7].refused); /* the right password while locked */
	CHECK(logins.v[7].time_ms >= logins.v[0].time_ms);
	pb_rec_lockout_lock_list_clear(&locks);
	pb_rec_login_event_list_clear(&logins);
	/* the counts for /metrics: the refused right password is a failure */
	struct pb_rec_login_stat_list st = { 0 };
	uint64_t n_locks = 0, n_blocks = 99;
	REQUIRE(lockout_client_stats(&f.t, &code, &st, &n_locks, &n_blocks, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(st.n == 1);
	CHECK_STR(st.v[0].protocol, "pop3");
	CHECK_INT(st.v[0].ok, 1);
	CHECK_INT(st.v[0].failed, 7);
	CHECK_INT(n_locks, 2);
	CHECK_INT(n_blocks, 0);
	pb_rec_login_stat_list_clear(&st);

	REQUIRE(lockout_client_unlock(&f.t, "sue", "192.0.2.2", &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	CHECK(!login(&f, "192.0.2.2", "sue", LOCKOUT_LOGIN_OK).locked);
	CHECK(login(&f, "192.0.2.1", "sue", LOCKOUT_LOGIN_OK).locked);
	REQUIRE(lockout_client_unlock(&f.t, "sue", NULL, &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(lockout_client_unlock(&f.t, "sue", NULL, &code, &error) == 0);
	CHECK_INT(code, PB_ERR_NOTFOUND);
	CHECK(!login(&f, "192.0.2.1", "sue", LOCKOUT_LOGIN_OK).locked);
	teardown(&f);
}

/* Past LOCKOUT_STATS_PROTOCOLS protocols, the others count together as "other". */
static void test_stats_protocols_bounded(void)
{
	struct fixture f;
	struct pb_rec_login_stat_list st = { 0 };
	struct lockout_login_answer a;
	const char *error;
	uint32_t code = 99;
	uint64_t locks, blocks;
	char proto[16];

	setup(&f);
	for (int i = 0; i < 17; i++) {
		snprintf(proto, sizeof(proto), "p%d", i);
		REQUIRE(lockout_client_login(&f.t, "192.0.2.1", "sue", proto, LOCKOUT_LOGIN_OK, &code,
					     &a, &error) == 0);
	}
	REQUIRE(lockout_client_stats(&f.t, &code, &st, &locks, &blocks, &error) == 0);
	REQUIRE(st.n == 16);
	CHECK_STR(st.v[14].protocol, "p14");
	CHECK_STR(st.v[15].protocol, "other");
	CHECK_INT(st.v[15].ok, 2);
	pb_rec_login_stat_list_clear(&st);
	teardown(&f);
}

static void test_bad_input_is_refused(void)
{
	struct fixture f;
	struct lockout_login_answer a;
	const char *error;
	uint32_t code = 99;

	setup(&f);
	REQUIRE(lockout_client_login(&f.t, "not-an-ip", "sue", "pop3", 0, &code, &a, &error) == 0);
	CHECK_INT(code, PB_ERR_REFUSED);
	REQUIRE(lockout_client_login(&f.t, "192.0.2.1", "sue", "pop3", 7, &code, &a, &error) == 0);
	CHECK_INT(code, PB_ERR_REFUSED);
	CHECK(!blocked(&f, "not-an-ip"));
	CHECK(!blocked(&f, ""));
	teardown(&f);
}

static const struct pb_test_case cases[] = {
	{ "ip_block_survives_restart_account_lock_does_not",
	  test_ip_block_survives_restart_account_lock_does_not },
	{ "manual_blocks", test_manual_blocks },
	{ "settings_are_the_policy", test_settings_are_the_policy },
	{ "unlock_and_user_history", test_unlock_and_user_history },
	{ "bad_input_is_refused", test_bad_input_is_refused },
	{ "stats_protocols_bounded", test_stats_protocols_bounded },
};

PB_TEST_MAIN(cases)
