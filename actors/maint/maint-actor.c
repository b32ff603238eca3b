/*
 * maint-actor.c: periodic store upkeep (see maint-actor.h). OWNS its state (the store handle,
 * borrowed). THREAD: its actor thread.
 */
#include "maint-actor.h"

#include "mailbox-client.h"
#include "pb-log.h"
#include "pb-settings-snapshot.h"
#include "store.h"

#include <string.h>

#define MAINT_TIMER 1
#define MAINT_FIRST_DELAY_MS 60000
#define MAINT_PURGE_TIMEOUT_MS 60000

struct maint {
	struct pb_store *store;
};

struct prune_ctx {
	struct maint *m;
	int64_t before_ms;
	uint64_t removed;
	int failed;
};

static int prune_user(const struct pb_user_rec *u, void *arg)
{
	struct prune_ctx *c = arg;
	const char *error;
	uint64_t removed = 0;

	if (pb_store_dedupe_prune(c->m->store, u->id, c->before_ms, &removed, &error) < 0) {
		pb_error("maint", "event=dedupe_prune_failed user=%s reason=%s", PB_LOGQ(u->name),
			 PB_LOGQ(error));
		c->failed = 1;
		return 1;
	}
	c->removed += removed;
	return 0;
}

struct sweep_ctx {
	struct maint *m;
	struct pb_actor *a;
	uint64_t swept;
};

/* Mail whose account is gone (a crash between an account's delete and its purge) goes the
 * way any purge goes: through the user's mailbox owner, the only writer of that mail. */
static int sweep_one(uint64_t user_id, void *arg)
{
	struct sweep_ctx *c = arg;
	struct pb_user_rec u;
	struct pb_sync t;
	uint32_t code = PB_ERR_INTERNAL;
	const char *error;

	memset(&u, 0, sizeof(u));
	int found = pb_store_user_get_by_id(c->m->store, user_id, &u, &error);
	pb_user_rec_free(&u);
	if (found != 0)
		return 0;
	/* a blocking call, on purpose: maint has a thread of its own and nothing else waits on it */
	pb_sync_init_caller(&t, pb_actor_caller(c->a), MAINT_PURGE_TIMEOUT_MS);
	if (mailbox_client_purge(&t, user_id, &code, &error) < 0 || code != PB_OK)
		pb_warn("maint", "event=sweep_failed id=%llu reason=%s",
			(unsigned long long)user_id, PB_LOGQ(error));
	c->swept += code == PB_OK;
	return 0;
}

/* One round: mail of deleted accounts, blob GC, then dedupe pruning user by user. */
static void maint_round(struct pb_actor *a, struct maint *m,
			const struct pb_settings_maintenance *st)
{
	struct sweep_ctx sw = { m, a, 0 };
	const char *error;
	uint64_t deleted = 0;
	struct prune_ctx c = { m, (int64_t)pb_clock_wall_ms() - (int64_t)st->dedupe_keep_days * 86400000,
			       0, 0 };

	if (pb_store_mailbox_owners(m->store, sweep_one, &sw, &error) < 0)
		pb_error("maint", "event=sweep_failed reason=%s", PB_LOGQ(error));
	if (pb_store_blob_gc(m->store, &deleted, &error) < 0)
		pb_error("maint", "event=blob_gc_failed reason=%s", PB_LOGQ(error));
	if (pb_store_user_iter(m->store, prune_user, &c, &error) < 0)
		pb_error("maint", "event=dedupe_prune_failed reason=%s", PB_LOGQ(error));
	pb_info("maint", "event=round orphans_swept=%llu bodies_deleted=%llu dedupe_removed=%llu",
		(unsigned long long)sw.swept, (unsigned long long)deleted,
		(unsigned long long)c.removed);
}

static int mt_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct maint *m = xcalloc(1, sizeof(*m));
	m->store = arg;
	*state_r = m;
	pb_actor_timer_set(a, MAINT_TIMER, MAINT_FIRST_DELAY_MS);
	return 0;
}

static void mt_deinit(struct pb_actor *a, void *state)
{
	free(state);
}

/* One round with the settings in effect; returns the interval until the next, in ms. */
static uint64_t run_round(struct pb_actor *a, struct maint *m)
{
	struct pb_runtime *rt = pb_actor_runtime(a);
	const struct pb_settings *s = pb_settings_acquire(rt);
	struct pb_settings_maintenance st = s->maintenance;

	pb_settings_release(rt, s);
	maint_round(a, m, &st);
	return (uint64_t)st.interval_s * 1000;
}

static void mt_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	pb_actor_timer_set(a, MAINT_TIMER, run_round(a, state));
}

static int on_run(struct pb_actor *a, void *state, struct pb_msg *m)
{
	run_round(a, state);
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}

static const struct pb_handler maint_handlers[] = {
	{ MSG_MAINT_RUN_REQ, on_run },
};

const struct pb_actor_def maint_actor_def = {
	.name = "maint",
	.inbox_size = 16,
	.init = mt_init,
	.deinit = mt_deinit,
	.handlers = maint_handlers,
	.n_handlers = PB_N_ELEMENTS(maint_handlers),
	.on_timer = mt_timer,
};
