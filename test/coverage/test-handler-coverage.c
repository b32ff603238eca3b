/*
 * test-handler-coverage.c: every request and event in msg-types.def is handled by the actor
 * that owns it. Starts every actor the daemon starts (over a temporary store) and, for each
 * message type, asks the runtime whether the owner's address (or every shard of a sharded
 * owner) has a handler — so a message added to the table without its handler fails here.
 */
#include "directory-actor.h"
#include "mailbox-actor.h"
#include "maint-actor.h"
#include "pb-test-store.h"
#include "pb-test.h"
#include "reader-actor.h"
#include "spool-actor.h"
#include "sys-actor.h"

#define SHARDS 2

/* Owners that are not actors of the daemon: replies, runtime-internal, test-only, watchers. */
static bool not_an_actor(const char *owner)
{
	static const char *const skip[] = { "caller", "any", "test", "watcher" };
	for (size_t i = 0; i < PB_N_ELEMENTS(skip); i++) {
		if (strcmp(owner, skip[i]) == 0)
			return true;
	}
	return false;
}

static void test_every_message_has_its_handler(void)
{
	char *dir = store_test_tmpdir("coverage");
	struct pb_store *store = store_test_open(dir);
	struct pb_runtime *rt = pb_runtime_create("t", NULL);
	struct sys_actor_args sys = { store, 0, "test" };
	const char *error;
	static const char *const sharded[] = { "mailbox", "spool", "auth", "reader" };

	REQUIRE(pb_runtime_start(rt, &directory_actor_def, store, &error) == 0);
	REQUIRE(auth_actors_start(rt, store, SHARDS, &error) == 0);
	REQUIRE(reader_actors_start(rt, store, SHARDS, &error) == 0);
	REQUIRE(mailbox_actors_start(rt, store, SHARDS, &error) == 0);
	REQUIRE(spool_actors_start(rt, store, SHARDS, &error) == 0);
	REQUIRE(pb_runtime_start(rt, &sys_actor_def, &sys, &error) == 0);
	REQUIRE(pb_runtime_start(rt, &maint_actor_def, store, &error) == 0);

	int checked = 0;
	for (int t = MSG_NONE + 1; t < MSG_TYPE_COUNT; t++) {
		const char *owner = pb_msg_owner((enum pb_msg_type)t);
		if (pb_msg_kind((enum pb_msg_type)t) == PB_MSG_REP || not_an_actor(owner))
			continue;
		bool is_sharded = false;
		for (size_t i = 0; i < PB_N_ELEMENTS(sharded); i++)
			is_sharded |= strcmp(owner, sharded[i]) == 0;
		for (int shard = 0; shard < (is_sharded ? SHARDS : 1); shard++) {
			char addr[64];
			snprintf(addr, sizeof(addr), is_sharded ? "%s.%d" : "%s", owner, shard);
			if (!pb_runtime_handles(rt, addr, (enum pb_msg_type)t)) {
				fprintf(stderr, "  %s is not handled by %s\n",
					pb_msg_name((enum pb_msg_type)t), addr);
				CHECK(!"every message has a handler");
			}
			checked++;
		}
	}
	CHECK(checked > 20);
	pb_runtime_destroy(&rt);
	pb_store_close(&store);
	store_test_rmrf(dir);
	free(dir);
}

static const struct pb_test_case cases[] = {
	{ "every_message_has_its_handler", test_every_message_has_its_handler },
};

PB_TEST_MAIN(cases)
