/*
 * pillarbox-actors.h: the daemon's actors in one table — name (the def's), shard count, def and
 * argument. Start-up, the handler-coverage test and the CLI bridge's allowed owners all derive
 * from it, so a new actor is one row.
 * OWNS nothing (the table is constant). THREAD: the daemon's main thread (start), any (reads).
 */
#ifndef PILLARBOX_ACTORS_H
#define PILLARBOX_ACTORS_H

#include "pb-config.h"
#include "pb-runtime.h"
#include "scheduler-actor.h"
#include "statushub-actor.h"
#include "sys-actor.h"

struct pb_store;

/* What an actor's init gets as its argument. */
enum pillarbox_actor_arg {
	PILLARBOX_ARG_STORE,
	PILLARBOX_ARG_SYS,
	PILLARBOX_ARG_SCHED,
	PILLARBOX_ARG_STATUSHUB
};

struct pillarbox_actor {
	const struct pb_actor_def *def; /* def->name is the owner name messages are routed by */
	uint32_t shards;                /* 0: one actor at def->name; N: shards NAME.0..NAME.N-1 */
	/* when set, the shard count comes from the configuration instead */
	uint32_t (*shards_from)(const struct pb_config *cfg);
	enum pillarbox_actor_arg arg;
	bool cli; /* the CLI's control socket may send it requests */
};

extern const struct pillarbox_actor pillarbox_actors[];
extern const size_t pillarbox_n_actors;

/* What the actors are started over (all borrowed; they must outlive the runtime's actors). */
struct pillarbox_actor_env {
	struct pb_store *store;
	struct sys_actor_args *sys;
	const struct pb_config *cfg;
	struct sched_actor_args *sched;
	struct statushub_args *statushub;
};

/* The row of owner, or NULL if no actor of the daemon owns that name. */
const struct pillarbox_actor *pillarbox_actor_find(const char *owner);
/* The number of shards of row under cfg; 0 for an actor that is not sharded. */
uint32_t pillarbox_actor_shards(const struct pillarbox_actor *row, const struct pb_config *cfg);
/* Starts every actor of the table, in table order (stopped in reverse by the runtime).
 * Returns 0, or -1 with error_r. */
int pillarbox_actors_start(struct pb_runtime *rt, const struct pillarbox_actor_env *env,
			   const char **error_r);
/* Fills owners with the names the CLI may reach and a NULL after them (max includes it). */
void pillarbox_cli_owners(const char **owners, size_t max);

#endif
