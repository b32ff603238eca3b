/*
 * pillarbox-actors.c: the daemon's actor table (see pillarbox-actors.h).
 * OWNS nothing. THREAD: see the header.
 */
#include "pillarbox-actors.h"

#include "collector-actor.h"
#include "directory-actor.h"
#include "lockout-actor.h"
#include "mailbox-actor.h"
#include "queue-actor.h"
#include "queue-jobs.h"
#include "maint-actor.h"
#include "reader-actor.h"
#include "router-actor.h"
#include "scheduler-actor.h"
#include "spool-actor.h"

#include <string.h>

#define SPOOL_SHARDS 8
#define AUTH_SHARDS 2
#define READER_SHARDS 2
#define QUEUE_SHARDS 2

static uint32_t mailbox_shards(const struct pb_config *cfg)
{
	return cfg->mailbox_shards;
}

const struct pillarbox_actor pillarbox_actors[] = {
	{ &directory_actor_def, 0, NULL, PILLARBOX_ARG_STORE, true },
	{ &auth_actor_def, AUTH_SHARDS, NULL, PILLARBOX_ARG_STORE, false },
	/* cli: `pillarbox rules dry-run USER --folder F` lists and reads an account's mail */
	{ &reader_actor_def, READER_SHARDS, NULL, PILLARBOX_ARG_STORE, true },
	{ &mailbox_actor_def, 0, mailbox_shards, PILLARBOX_ARG_STORE, true },
	/* cli: `pillarbox etrn` (QSEND_ETRN_REQ) runs on a sender thread */
	{ &qsend_actor_def, QUEUE_SENDERS, NULL, PILLARBOX_ARG_STORE, true },
	{ &queue_actor_def, QUEUE_SHARDS, NULL, PILLARBOX_ARG_STORE, true },
	/* at the bare "queue" (the scheduler's jobs); after the shards, which own "queue" */
	{ &queue_jobs_actor_def, 0, NULL, PILLARBOX_ARG_STORE, false },
	/* cli: `pillarbox user copy-inbox NAME` (ROUTER_COPY_INBOX_REQ) */
	{ &router_actor_def, ROUTER_SHARDS, NULL, PILLARBOX_ARG_STORE, true },
	{ &spool_actor_def, SPOOL_SHARDS, NULL, PILLARBOX_ARG_STORE, true }, /* trace */
	{ &sys_actor_def, 0, NULL, PILLARBOX_ARG_SYS, true },
	/* cli: `pillarbox maint run` (MAINT_RUN_REQ) */
	{ &maint_actor_def, 0, NULL, PILLARBOX_ARG_STORE, true },
	{ &lockout_actor_def, 0, NULL, PILLARBOX_ARG_STORE, true },
	{ &scheduler_actor_def, 0, NULL, PILLARBOX_ARG_SCHED, true },
	{ &collector_actor_def, 0, NULL, PILLARBOX_ARG_STORE, true },
	{ &cwork_actor_def, 0, NULL, PILLARBOX_ARG_STORE, true },
	{ &statushub_actor_def, 0, NULL, PILLARBOX_ARG_STATUSHUB, true },
};
const size_t pillarbox_n_actors = PB_N_ELEMENTS(pillarbox_actors);

const struct pillarbox_actor *pillarbox_actor_find(const char *owner)
{
	for (size_t i = 0; i < pillarbox_n_actors; i++) {
		if (strcmp(pillarbox_actors[i].def->name, owner) == 0)
			return &pillarbox_actors[i];
	}
	return NULL;
}

uint32_t pillarbox_actor_shards(const struct pillarbox_actor *row, const struct pb_config *cfg)
{
	return row->shards_from != NULL ? row->shards_from(cfg) : row->shards;
}

int pillarbox_actors_start(struct pb_runtime *rt, const struct pillarbox_actor_env *env,
			   const char **error_r)
{
	for (size_t i = 0; i < pillarbox_n_actors; i++) {
		const struct pillarbox_actor *row = &pillarbox_actors[i];
		void *arg = row->arg == PILLARBOX_ARG_SYS       ? (void *)env->sys
			    : row->arg == PILLARBOX_ARG_SCHED   ? (void *)env->sched
			    : row->arg == PILLARBOX_ARG_STATUSHUB ? (void *)env->statushub
								: (void *)env->store;
		uint32_t n = pillarbox_actor_shards(row, env->cfg);
		int rc = n == 0 ? pb_runtime_start(rt, row->def, arg, error_r)
				: pb_runtime_start_shards(rt, row->def, n, arg, error_r);
		if (rc < 0)
			return -1;
	}
	return 0;
}

void pillarbox_cli_owners(const char **owners, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < pillarbox_n_actors && n + 1 < max; i++) {
		if (pillarbox_actors[i].cli)
			owners[n++] = pillarbox_actors[i].def->name;
	}
	owners[n] = NULL;
}
