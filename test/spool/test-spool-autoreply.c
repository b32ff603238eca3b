/*
 * test-spool-autoreply.c: the autoresponder's "once per sender per autoreply_days" (issue 13
 * item 7) driven by a fake wall clock through the real directory, router, spool and mailbox
 * actors over a real store: ann's autoresponder (3 days) answers bob's first message, not his
 * next one a day later, and again once three days have passed since its reply; another sender
 * in between gets their own reply. The spool decides the window at planning on the runtime's
 * wall clock (pb_runtime_wall_ms), which the test moves.
 */
#include "directory-actor.h"
#include "mailbox-actor.h"
#include "pb-test-store.h"
#include "pb-test.h"
#include "router-actor.h"
#include "router-user.h"
#include "spool-actor.h"
#include "spool-client.h"
#include "store-accounts.h"
#include "store-mail.h"
#include "store-spool.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ANN 1
#define BOB 2
#define CAROL 3
#define DAY_MS 86400000ull
#define T0_MS 1773104400000ull /* 2026-03-10 01:00 UTC */

static atomic_uint_fast64_t fake_wall = T0_MS;
static uint64_t fake_mono(void *ctx)
{
	return 5000; /* the spool's resend timers never fire: every append is answered */
}
static uint64_t fake_wall_ms(void *ctx)
{
	return atomic_load(&fake_wall);
}

/* An account at example.test; with autoreply, its autoresponder on for 3 days. */
static void put_account(struct pb_store *store, uint64_t id, const char *name, bool autoreply)
{
	struct pb_user_rec u = { .id = id };
	const char *error;
	char *a = NULL, *b = NULL, *c = NULL;

	snprintf(u.name, sizeof(u.name), "%s", name);
	if (autoreply) {
		REQUIRE(router_user_set("{}", "autoreply_subject", "Away", &a, &error) == 0);
		REQUIRE(router_user_set(a, "autoreply_days", "3", &b, &error) == 0);
		REQUIRE(router_user_set(b, "autoreply", "on", &c, &error) == 0);
		u.settings_json = c;
	}
	REQUIRE(pb_store_user_put(store, &u, &error) == 0);
	REQUIRE(pb_store_folders_init(store, id, 1000, &error) == 0);
	free(a);
	free(b);
	free(c);
}

static uint64_t inbox_count(struct pb_store *store, uint64_t user_id)
{
	struct pb_folder_rec f;
	const char *error;

	if (pb_store_folder_get(store, user_id, "INBOX", &f, &error) != 1)
		return UINT64_MAX;
	uint64_t n = f.messages;
	pb_folder_rec_free(&f);
	return n;
}

static int count_entry(const struct pb_spool_rec *r, void *ctx)
{
	(*(size_t *)ctx)++;
	return 0;
}

static size_t spooled(struct pb_store *store)
{
	size_t n = 0;
	const char *error;

	if (pb_store_spool_iter(store, count_entry, &n, &error) < 0)
		return SIZE_MAX;
	return n;
}

/* Waits (bounded: 20 s) until ann has n_ann messages and the spool is empty: the message and
 * every reply it generated are delivered (a reply is made at planning, before ann's copy). */
static bool settled(struct pb_store *store, uint64_t n_ann)
{
	for (int i = 0; i < 4000; i++) {
		if (inbox_count(store, ANN) == n_ann && spooled(store) == 0)
			return true;
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

/* from (a local sender) writes to ann at wall time wall_ms. */
static void mail_ann(struct pb_caller *c, const char *from, const char *msgid, uint64_t wall_ms)
{
	const char *rcpts[] = { "ann@example.test" };
	uint64_t ids[] = { ANN }, spool_id = 0;
	const char *error;
	char body[256];

	atomic_store(&fake_wall, wall_ms);
	int n = snprintf(body, sizeof(body),
			 "From: <%s>\r\nTo: <ann@example.test>\r\nSubject: hello\r\n"
			 "Message-ID: <%s@client>\r\n\r\nhello\r\n",
			 from, msgid);
	struct spool_client_envelope env = { from, msgid, rcpts, ids, 1, (int64_t)wall_ms, 0 };
	CHECK_INT(spool_client_put(c, 1, &env, body, (size_t)n, &spool_id, &error), PB_OK);
}

static void test_once_per_sender_per_days(void)
{
	char *dir = store_test_tmpdir("autoreply");
	struct pb_store_options opts = { .create_if_missing = true };
	struct pb_store *store;
	const char *error;

	REQUIRE(pb_store_open(dir, &opts, &store, &error) == 0);
	REQUIRE(pb_store_domain_put(store, "example.test", &error) == 0);
	put_account(store, ANN, "ann", true);
	put_account(store, BOB, "bob", false);
	put_account(store, CAROL, "carol", false);
	struct pb_clock clock = { fake_mono, NULL }, wall = { fake_wall_ms, NULL };
	struct pb_runtime *rt = pb_runtime_create("t", &clock);
	pb_runtime_set_wall_clock(rt, &wall);
	REQUIRE(pb_runtime_start(rt, &directory_actor_def, store, &error) == 0);
	REQUIRE(pb_runtime_start_shards(rt, &mailbox_actor_def, 2, store, &error) == 0);
	REQUIRE(pb_runtime_start_shards(rt, &router_actor_def, ROUTER_SHARDS, NULL, &error) == 0);
	REQUIRE(spool_actors_start(rt, store, 2, &error) == 0);
	struct pb_caller *c = pb_caller_create(rt);

	mail_ann(c, "bob@example.test", "m1", T0_MS);
	CHECK(settled(store, 1));
	CHECK_INT(inbox_count(store, BOB), 1); /* the first message: answered */
	mail_ann(c, "bob@example.test", "m2", T0_MS + DAY_MS);
	CHECK(settled(store, 2));
	CHECK_INT(inbox_count(store, BOB), 1); /* a day later: within 3 days, no second reply */
	mail_ann(c, "carol@example.test", "m3", T0_MS + 2 * DAY_MS);
	CHECK(settled(store, 3));
	CHECK_INT(inbox_count(store, CAROL), 1); /* another sender: their own reply */
	mail_ann(c, "bob@example.test", "m4", T0_MS + 3 * DAY_MS - 60000);
	CHECK(settled(store, 4));
	CHECK_INT(inbox_count(store, BOB), 1); /* a minute short of 3 days: still none */
	mail_ann(c, "bob@example.test", "m5", T0_MS + 3 * DAY_MS + 60000);
	CHECK(settled(store, 5));
	CHECK_INT(inbox_count(store, BOB), 2); /* 3 days after the reply: answered again */
	mail_ann(c, "bob@example.test", "m6", T0_MS + 4 * DAY_MS);
	CHECK(settled(store, 6));
	CHECK_INT(inbox_count(store, BOB), 2); /* counted from the second reply */

	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
	pb_store_close(&store);
	store_test_rmrf(dir);
	free(dir);
}

static const struct pb_test_case cases[] = {
	{ "once_per_sender_per_days", test_once_per_sender_per_days },
};

PB_TEST_MAIN(cases)
