/*
 * test-maint-actor.c: the maintenance actor over a real store and a fake clock: nothing
 * happens before the first delay; rounds collect unreferenced bodies (two GC epochs) and
 * prune old dedupe records; MAINT_RUN_REQ runs a round on demand; mail without an account is
 * swept and an account without a mailbox repaired, the accounts asked of a real directory.
 */
#include "directory-actor.h"
#include "mailbox-actor.h"
#include "maint-actor.h"
#include "maint-client.h"
#include "pb-test.h"
#include "store-accounts.h"
#include "store-bodies.h"
#include "store-mail.h"
#include "pb-test-store.h"
#include "spool-actor.h"
#include "store-spool.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

static atomic_uint_fast64_t fake_now = 5000;
static uint64_t fake_clock(void *ctx)
{
	return atomic_load(&fake_now);
}

static bool body_exists(struct pb_store *s, const char *key)
{
	struct pb_buf b;
	const char *error;
	pb_buf_init(&b);
	int found = pb_store_blob_get(s, key, &b, &error);
	pb_buf_deinit(&b);
	return found == 1;
}

/* Moves the fake clock and waits (bounded) until the body is gone. */
static bool advance_until_gone(struct pb_runtime *rt, struct pb_store *s, const char *key)
{
	for (int i = 0; i < 20 && body_exists(s, key); i++) {
		atomic_fetch_add(&fake_now, 3601000);
		pb_runtime_wake_all(rt);
		for (int j = 0; j < 200 && body_exists(s, key); j++) {
			struct timespec ts = { 0, 5000000 };
			nanosleep(&ts, NULL);
		}
	}
	return !body_exists(s, key);
}

/* An account record, the directory's way (the fixture writes it directly). */
static void put_account(struct pb_store *store, uint64_t id)
{
	struct pb_user_rec u = { .id = id };
	const char *error;

	snprintf(u.name, sizeof(u.name), "u%llu", (unsigned long long)id);
	REQUIRE(pb_store_user_put(store, &u, &error) == 0);
}

static void test_rounds_collect_and_prune(void)
{
	char *dir = store_test_tmpdir("actor");
	struct pb_store_options opts = { .create_if_missing = true };
	struct pb_store *store;
	const char *error;
	char orphan[PB_BLOB_KEY_LEN + 1], kept[PB_BLOB_KEY_LEN + 1];
	struct pb_folder_rec f;

	REQUIRE(pb_store_open(dir, &opts, &store, &error) == 0);
	REQUIRE(pb_store_blob_put(store, "orphan body", 11, orphan, &error) == 0);
	REQUIRE(pb_store_blob_put(store, "kept body", 9, kept, &error) == 0);
	REQUIRE(pb_store_folders_init(store, 1, 1000, &error) == 0);
	REQUIRE(pb_store_folder_get(store, 1, "INBOX", &f, &error) == 1);
	struct pb_msg_rec rec = { .size = 9, .internal_date_ms = 1000 }; /* dated 1970: old */
	memcpy(rec.blob_key, kept, sizeof(kept));
	REQUIRE(pb_store_msg_append(store, 1, f.id, &rec, "spool:1:0", &error) == 0);
	put_account(store, 1);

	struct pb_clock clock = { fake_clock, NULL };
	struct pb_runtime *rt = pb_runtime_create("t", &clock);
	REQUIRE(pb_runtime_start(rt, &directory_actor_def, store, &error) == 0);
	REQUIRE(spool_actors_start(rt, store, 2, &error) == 0); /* asked for its oldest entry */
	REQUIRE(pb_runtime_start(rt, &maint_actor_def, store, &error) == 0);
	pb_runtime_wake_all(rt);
	CHECK(body_exists(store, orphan)); /* no round before the first delay */
	CHECK(advance_until_gone(rt, store, orphan));
	CHECK(body_exists(store, kept)); /* referenced by a message */

	/* the dedupe record was pruned: replaying its key appends again instead of returning 1 */
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_sync t;
	uint32_t code = 99;
	pb_sync_init_caller(&t, c, 10000);
	REQUIRE(maint_client_run(&t, &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	struct pb_msg_rec again = { .size = 9, .internal_date_ms = 1000 };
	memcpy(again.blob_key, kept, sizeof(kept));
	CHECK_INT(pb_store_msg_append(store, 1, f.id, &again, "spool:1:0", &error), 0);
	CHECK_INT(again.uid, rec.uid + 1);

	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
	pb_folder_rec_free(&f);
	pb_store_close(&store);
	store_test_rmrf(dir);
	free(dir);
}

/* Mail left behind by an account that no longer exists is purged through the mailbox owner;
 * a user with an account keeps theirs; an account left without a mailbox gets one. */
static void test_orphans_swept(void)
{
	char *dir = store_test_tmpdir("actor");
	struct pb_store_options opts = { .create_if_missing = true };
	struct pb_store *store;
	const char *error;
	char key[PB_BLOB_KEY_LEN + 1];
	struct pb_folder_rec f;

	REQUIRE(pb_store_open(dir, &opts, &store, &error) == 0);
	REQUIRE(pb_store_blob_put(store, "body", 4, key, &error) == 0);
	for (uint64_t id = 1; id <= 2; id++) { /* user 1 has an account, user 2 none */
		REQUIRE(pb_store_folders_init(store, id, 1000, &error) == 0);
		REQUIRE(pb_store_folder_get(store, id, "INBOX", &f, &error) == 1);
		struct pb_msg_rec rec = { .size = 4 };
		memcpy(rec.blob_key, key, sizeof(key));
		REQUIRE(pb_store_msg_append(store, id, f.id, &rec, NULL, &error) == 0);
		pb_folder_rec_free(&f);
	}
	put_account(store, 1);
	put_account(store, 3); /* no mailbox: a crash before its create */
	put_account(store, 4);

	struct pb_clock clock = { fake_clock, NULL };
	struct pb_runtime *rt = pb_runtime_create("t", &clock);
	REQUIRE(pb_runtime_start(rt, &directory_actor_def, store, &error) == 0);
	REQUIRE(pb_runtime_start_shards(rt, &mailbox_actor_def, 2, store, &error) == 0);
	REQUIRE(pb_runtime_start(rt, &maint_actor_def, store, &error) == 0);
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_sync t;
	uint32_t code = 99;
	pb_sync_init_caller(&t, c, 10000);
	REQUIRE(maint_client_run(&t, &code, &error) == 0);
	CHECK_INT(code, PB_OK);

	struct pb_folder_rec *folders = NULL;
	size_t n = 0;
	CHECK(pb_store_folder_list(store, 2, &folders, &n, &error) == 0);
	CHECK_INT(n, 0);
	pb_folder_recs_free(folders, n);
	CHECK(pb_store_folder_list(store, 1, &folders, &n, &error) == 0);
	CHECK(n == 6); /* the default folders, Archive included */
	pb_folder_recs_free(folders, n);
	for (uint64_t id = 3; id <= 4; id++) {
		CHECK_INT(pb_store_mailbox_exists(store, id, &error), 1);
		CHECK(pb_store_folder_list(store, id, &folders, &n, &error) == 0);
		CHECK(n == 6);
		pb_folder_recs_free(folders, n);
	}
	int64_t refs = -1;
	CHECK(pb_store_blob_refcount(store, key, &refs, &error) == 1);
	CHECK_INT(refs, 1); /* only user 1's message still holds the body */

	/* the same in a later round (the one at start did the above): user 5 mail, no account;
	 * user 6 an account, no mailbox */
	REQUIRE(pb_store_folders_init(store, 5, 1000, &error) == 0);
	put_account(store, 6);
	REQUIRE(maint_client_run(&t, &code, &error) == 0);
	CHECK_INT(pb_store_mailbox_exists(store, 5, &error), 0);
	CHECK_INT(pb_store_mailbox_exists(store, 6, &error), 1);
	CHECK_INT(pb_store_mailbox_exists(store, 1, &error), 1);

	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
	pb_store_close(&store);
	store_test_rmrf(dir);
	free(dir);
}

/* A spool entry that cannot be delivered (its recipient's mailbox owner does not answer) for
 * longer than dedupe_keep_days keeps the dedupe records of its recipients: when it is
 * delivered at last, the recipient already served gets nothing twice. Older records of
 * entries long gone are pruned. (Before: pruned by age alone, so the replay appended again.) */
static void test_stuck_entry_keeps_dedupe(void)
{
	char *dir = store_test_tmpdir("actor");
	struct pb_store_options opts = { .create_if_missing = true };
	struct pb_store *store;
	const char *error;
	char dk[64];
	struct pb_folder_rec f;
	char *rcpts[] = { "u1@localhost" };
	uint64_t ids[] = { 1 };

	REQUIRE(pb_store_open(dir, &opts, &store, &error) == 0);
	REQUIRE(pb_store_folders_init(store, 1, 1000, &error) == 0);
	REQUIRE(pb_store_folder_get(store, 1, "INBOX", &f, &error) == 1);
	put_account(store, 1);
	/* received in 1970, still in the spool: its delivery was interrupted after the append */
	struct pb_spool_rec sp = { .sender = "", .rcpts = rcpts, .rcpt_ids = ids, .n_rcpts = 1,
				   .received_ms = 2000 };
	REQUIRE(pb_store_spool_put(store, "stuck", 5, &sp, &error) == 0);
	snprintf(dk, sizeof(dk), "spool:%llu:0", (unsigned long long)sp.id);
	struct pb_msg_rec rec = { .size = 5, .internal_date_ms = 2000 };
	memcpy(rec.blob_key, sp.blob_key, sizeof(sp.blob_key));
	REQUIRE(pb_store_msg_append(store, 1, f.id, &rec, dk, &error) == 0);
	struct pb_msg_rec gone = { .size = 5, .internal_date_ms = 1000 }; /* an entry long done */
	memcpy(gone.blob_key, sp.blob_key, sizeof(sp.blob_key));
	REQUIRE(pb_store_msg_append(store, 1, f.id, &gone, "spool:1:0", &error) == 0);

	/* no mailbox owner runs: the entry stays in the spool shard's deliveries */
	struct pb_clock clock = { fake_clock, NULL };
	struct pb_runtime *rt = pb_runtime_create("t", &clock);
	REQUIRE(pb_runtime_start(rt, &directory_actor_def, store, &error) == 0);
	REQUIRE(spool_actors_start(rt, store, 2, &error) == 0);
	REQUIRE(pb_runtime_start(rt, &maint_actor_def, store, &error) == 0);
	struct pb_caller *c = pb_caller_create(rt);
	struct pb_sync t;
	uint32_t code = 99;
	pb_sync_init_caller(&t, c, 10000);
	REQUIRE(maint_client_run(&t, &code, &error) == 0);
	CHECK_INT(code, PB_OK);

	struct pb_msg_rec replay = { .size = 5, .internal_date_ms = 2000 };
	memcpy(replay.blob_key, sp.blob_key, sizeof(sp.blob_key));
	CHECK_INT(pb_store_msg_append(store, 1, f.id, &replay, dk, &error), 1); /* deduplicated */
	CHECK_INT(replay.uid, rec.uid);
	struct pb_msg_rec again = { .size = 5, .internal_date_ms = 1000 };
	memcpy(again.blob_key, sp.blob_key, sizeof(sp.blob_key));
	CHECK_INT(pb_store_msg_append(store, 1, f.id, &again, "spool:1:0", &error), 0); /* pruned */

	pb_caller_destroy(&c);
	pb_runtime_destroy(&rt);
	pb_folder_rec_free(&f);
	pb_store_close(&store);
	store_test_rmrf(dir);
	free(dir);
}

static const struct pb_test_case cases[] = {
	{ "stuck_entry_keeps_dedupe", test_stuck_entry_keeps_dedupe },
	{ "orphans_swept", test_orphans_swept },
	{ "rounds_collect_and_prune", test_rounds_collect_and_prune },
};

PB_TEST_MAIN(cases)
