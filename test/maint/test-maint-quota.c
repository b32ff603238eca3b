/*
 * test-maint-quota.c: the daily quota reminders (admin guide 4.8, docs/operations.md "Mailbox
 * quota") driven by a fake wall clock through the real maintenance, directory and mailbox
 * actors over a real store: an account over warn1_percent gets a reminder on its first round
 * of a day, none again that day, one again once the day turns at the SERVER's midnight (the
 * test runs in UTC+10, where local midnight is not UTC's), none once its usage is below the
 * level; with reminder_admin the administrator target gets one too, or alone without
 * reminder_user. A reminder is counted where the owner hands it over: its generated-message
 * marker, written with the reminder day (the spool's side: test-store-generate,
 * test_routegen.py). The fake clock never reaches the first round's delay: every round is a
 * MAINT_RUN_REQ (the daily job forced: the mailbox owner's stored day decides "once a day").
 */
#include "directory-actor.h"
#include "directory-client.h"
#include "mailbox-actor.h"
#include "mailbox-client.h"
#include "maint-actor.h"
#include "maint-client.h"
#include "pb-settings-snapshot.h"
#include "pb-test-store.h"
#include "pb-test.h"
#include "store-accounts.h"
#include "store-bodies.h"
#include "store-mail.h"
#include "store-spool.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define USER 1
#define ADMIN 2
#define HOUR_MS 3600000ull
/* 2026-03-10 01:00 UTC, 11:00 at the server (UTC+10) */
#define T0_MS 1773104400000ull

static atomic_uint_fast64_t fake_wall = T0_MS;
static uint64_t fake_mono(void *ctx)
{
	return 5000; /* never at the first round's delay: rounds run on demand only */
}
static uint64_t fake_wall_ms(void *ctx)
{
	return atomic_load(&fake_wall);
}

struct fx {
	char *dir;
	struct pb_store *store;
	struct pb_runtime *rt;
	struct pb_caller *c;
	uint32_t big_uid, inbox_id;
};

static void put_account(struct pb_store *store, uint64_t id, const char *name)
{
	struct pb_user_rec u = { .id = id };
	const char *error;

	snprintf(u.name, sizeof(u.name), "%s", name);
	REQUIRE(pb_store_user_put(store, &u, &error) == 0);
	REQUIRE(pb_store_folders_init(store, id, 1000, &error) == 0);
}

/* USER with a quota of 1 MB holding 900 KB (90 %: past warn1_percent 80), ADMIN (the default
 * quota.admin_target "admin"), the actors running with the reminder settings given. */
static void fx_open(struct fx *x, uint32_t reminder_user, uint32_t reminder_admin)
{
	struct pb_store_options opts = { .create_if_missing = true };
	const char *error;
	struct pb_folder_rec f;

	setenv("TZ", "PBT-10", 1); /* the server at UTC+10 (a POSIX TZ: no zone file needed) */
	tzset();
	x->dir = store_test_tmpdir("quota");
	REQUIRE(pb_store_open(x->dir, &opts, &x->store, &error) == 0);
	put_account(x->store, USER, "u1");
	put_account(x->store, ADMIN, "admin");
	struct pb_quota_rec q = { .has_limit = true, .limit_mb = 1 };
	REQUIRE(pb_store_quota_put(x->store, USER, &q, &error) == 0);
	REQUIRE(pb_store_folder_get(x->store, USER, "INBOX", &f, &error) == 1);
	struct pb_msg_rec rec = { .size = 900 * 1024, .internal_date_ms = 1000 };
	REQUIRE(pb_store_blob_put(x->store, "big", 3, rec.blob_key, &error) == 0);
	REQUIRE(pb_store_msg_append(x->store, USER, f.id, &rec, NULL, &error) == 0);
	x->big_uid = rec.uid;
	x->inbox_id = f.id;
	pb_folder_rec_free(&f);

	struct pb_clock clock = { fake_mono, NULL }, wall = { fake_wall_ms, NULL };
	x->rt = pb_runtime_create("t", &clock);
	pb_runtime_set_wall_clock(x->rt, &wall);
	struct pb_settings s;
	pb_settings_defaults(&s);
	s.quota.reminder_user = reminder_user;
	s.quota.reminder_admin = reminder_admin;
	pb_settings_publish(x->rt, &s);
	REQUIRE(pb_runtime_start(x->rt, &directory_actor_def, x->store, &error) == 0);
	REQUIRE(pb_runtime_start_shards(x->rt, &mailbox_actor_def, 2, x->store, &error) == 0);
	REQUIRE(pb_runtime_start(x->rt, &maint_actor_def, x->store, &error) == 0);
	x->c = pb_caller_create(x->rt);
}

static void fx_close(struct fx *x)
{
	pb_caller_destroy(&x->c);
	pb_runtime_destroy(&x->rt);
	pb_store_close(&x->store);
	store_test_rmrf(x->dir);
	free(x->dir);
}

struct kind_count {
	uint8_t kind;
	uint64_t n;
};

static void count_mark(const struct pb_gen_mark *m, void *arg)
{
	struct kind_count *c = arg;

	c->n += m->user_id == USER && m->kind == c->kind;
}

/* The notices of kind (PB_GEN_QUOTA_REMINDER: the user's, PB_GEN_QUOTA_ADMIN: the
 * administrator's copy) the owner has handed to the spool: their markers, written with the
 * reminder day (no spool runs here to make them, so they stay and add up). */
static uint64_t notices(struct fx *x, uint8_t kind)
{
	struct kind_count c = { kind, 0 };
	const char *error;

	if (pb_store_gen_pending(x->store, 0, 1, 100, count_mark, &c, &error) < 0)
		return UINT64_MAX;
	return c.n;
}

/* A round (with the daily job) at wall time wall_ms, then calls to the directory and the
 * admin's owner (a barrier: each answered after what was already in its inbox). The owner
 * writes its notices' markers before it answers the round's request. */
static void round_at(struct fx *x, uint64_t wall_ms)
{
	struct pb_sync t;
	struct pb_u64v ids = { 0 };
	uint32_t code = 99;
	const char *error;

	atomic_store(&fake_wall, wall_ms);
	pb_sync_init_caller(&t, x->c, 10000);
	REQUIRE(maint_client_run(&t, &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(directory_client_user_ids(&t, &code, &ids, &error) == 0);
	pb_u64v_clear(&ids);
	REQUIRE(mailbox_client_create(&t, ADMIN, &code, &error) == 0);
	CHECK_INT(code, PB_OK);
}

/* reminder_user: day 1 one, the same day (to 23:50 local) none, after the server's midnight
 * (00:10 local, still the same UTC day) one, that day again none; usage below: none. */
static void test_daily_reminder_turns_at_local_midnight(void)
{
	struct fx x;
	const char *error;

	fx_open(&x, 1, 0);
	uint64_t base = 0;
	round_at(&x, T0_MS);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_REMINDER), base + 1);
	round_at(&x, T0_MS + 1000);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_REMINDER), base + 1); /* the same day: none again */
	round_at(&x, T0_MS + 12 * HOUR_MS + 50 * 60000); /* 23:50 local */
	CHECK_INT(notices(&x, PB_GEN_QUOTA_REMINDER), base + 1);
	round_at(&x, T0_MS + 13 * HOUR_MS + 10 * 60000); /* 00:10 local, next day; 14:10 UTC */
	CHECK_INT(notices(&x, PB_GEN_QUOTA_REMINDER), base + 2);
	round_at(&x, T0_MS + 20 * HOUR_MS);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_REMINDER), base + 2);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_ADMIN), 0); /* reminder_admin off */

	/* the big message goes: usage far below warn1_percent, no reminder the next day */
	REQUIRE(pb_store_msg_expunge(x.store, USER, x.inbox_id, &x.big_uid, 1, &error) == 0);
	round_at(&x, T0_MS + 37 * HOUR_MS);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_REMINDER), base + 2); /* none more */
	fx_close(&x);
}

/* reminder_admin with reminder_user: both get one a day; the admin's names the account. */
static void test_reminder_admin_too(void)
{
	struct fx x;

	fx_open(&x, 1, 1);
	uint64_t base = 0;
	round_at(&x, T0_MS);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_REMINDER), base + 1);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_ADMIN), 1);
	round_at(&x, T0_MS + 2 * HOUR_MS);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_REMINDER), base + 1);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_ADMIN), 1);
	round_at(&x, T0_MS + 24 * HOUR_MS);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_REMINDER), base + 2);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_ADMIN), 2);
	fx_close(&x);
}

/* reminder_admin alone: the administrator target gets the reminder instead of the user. */
static void test_reminder_admin_instead(void)
{
	struct fx x;

	fx_open(&x, 0, 1);
	uint64_t base = 0;
	round_at(&x, T0_MS);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_REMINDER), base);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_ADMIN), 1);
	round_at(&x, T0_MS + 3 * HOUR_MS);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_ADMIN), 1);
	round_at(&x, T0_MS + 14 * HOUR_MS); /* 01:00 local, the next day */
	CHECK_INT(notices(&x, PB_GEN_QUOTA_ADMIN), 2);
	CHECK_INT(notices(&x, PB_GEN_QUOTA_REMINDER), base);
	fx_close(&x);
}

static const struct pb_test_case cases[] = {
	{ "daily_reminder_turns_at_local_midnight", test_daily_reminder_turns_at_local_midnight },
	{ "reminder_admin_too", test_reminder_admin_too },
	{ "reminder_admin_instead", test_reminder_admin_instead },
};

PB_TEST_MAIN(cases)
