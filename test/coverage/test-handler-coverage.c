/*
 * test-handler-coverage.c: every request and event in msg-types.def is handled by the actor
 * that owns it. Starts the daemon's actor table (pillarbox-actors.h, over a temporary store)
 * and, for each message type, asks the runtime whether the owner's address (or every shard of
 * a sharded owner) has a handler — so a message added to the table without its handler, or an
 * owner that is no actor of the daemon, fails here.
 */
#include "pb-test-store.h"
#include "pb-test.h"
#include "pillarbox-actors.h"

/* Owners that are not actors of the daemon: replies, runtime-internal, test-only, watchers, and
 * "jobs" (the scheduler's requests, answered at the addresses it names: collector, queue). */
static bool not_an_actor(const char *owner)
{
	static const char *const skip[] = { "caller", "any", "test", "watcher", "jobs" };
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
	struct sys_actor_args sys = { store, 0, "test", NULL };
	struct pb_config cfg;
	const char *error;

	pb_config_defaults(&cfg, 0);
	cfg.mailbox_shards = 3;
	struct sched_actor_args sched = { store, { NULL, NULL } };
	struct pillarbox_actor_env env = { store, &sys, &cfg, &sched, NULL };
	REQUIRE(pillarbox_actors_start(rt, &env, &error) == 0);

	int checked = 0;
	for (int t = MSG_NONE + 1; t < MSG_TYPE_COUNT; t++) {
		const char *owner = pb_msg_owner((enum pb_msg_type)t);
		if (pb_msg_kind((enum pb_msg_type)t) == PB_MSG_REP || not_an_actor(owner))
			continue;
		const struct pillarbox_actor *row = pillarbox_actor_find(owner);
		if (row == NULL)
			fprintf(stderr, "  %s: no actor of the daemon owns \"%s\"\n",
				pb_msg_name((enum pb_msg_type)t), owner);
		REQUIRE(row != NULL);
		uint32_t shards = pillarbox_actor_shards(row, &cfg);
		for (uint32_t shard = 0; shard < (shards > 0 ? shards : 1); shard++) {
			char addr[64];
			snprintf(addr, sizeof(addr), shards > 0 ? "%s.%u" : "%s", owner, shard);
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
	pb_config_deinit(&cfg);
	pb_store_close(&store);
	store_test_rmrf(dir);
	free(dir);
}

/* The CLI reaches the account, reader and mailbox (`rules dry-run USER --folder F` lists and
 * reads an account's mail), queue senders (ETRN), outbound queue, router (`user copy-inbox`),
 * spool (the decision trace),
 * node, maintenance (`maint run`), lockout, scheduler, mail collector (the definitions and the
 * runs) and status hub (API keys) actors, and no others. */
static void test_cli_owners_from_the_table(void)
{
	static const char *const want[] = { "directory", "reader",    "mailbox", "qsend",
					     "queue",     "router",    "spool",   "sys",     "maint",
					     "lockout",   "scheduler", "collector", "cwork",
					     "statushub" };
	const char *owners[PB_N_ELEMENTS(want) + 1];

	pillarbox_cli_owners(owners, PB_N_ELEMENTS(owners));
	for (size_t i = 0; i < PB_N_ELEMENTS(want); i++)
		CHECK_STR(owners[i], want[i]);
	CHECK(owners[PB_N_ELEMENTS(want)] == NULL);
}

static const struct pb_test_case cases[] = {
	{ "every_message_has_its_handler", test_every_message_has_its_handler },
	{ "cli_owners_from_the_table", test_cli_owners_from_the_table },
};

PB_TEST_MAIN(cases)
