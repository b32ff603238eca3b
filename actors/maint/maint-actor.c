/*
 * maint-actor.c: periodic store upkeep (see maint-actor.h). OWNS its state (the store handle,
 * borrowed). THREAD: its actor thread.
 */
#include "maint-actor.h"

#include "mailbox-client.h"
#include "pb-log.h"
#include "store.h"

#include <cjson/cJSON.h>
#include <string.h>

#define MAINT_TIMER 1
#define MAINT_FIRST_DELAY_MS 60000
#define MAINT_INTERVAL_DEFAULT_S 3600
#define MAINT_DEDUPE_KEEP_DAYS_DEFAULT 7
#define MAINT_PURGE_TIMEOUT_MS 60000

struct maint {
	struct pb_store *store;
};

struct maint_settings {
	uint64_t interval_s, dedupe_keep_days;
};

static void read_settings(struct maint *m, struct maint_settings *s)
{
	char *json = NULL;
	const char *error;

	s->interval_s = MAINT_INTERVAL_DEFAULT_S;
	s->dedupe_keep_days = MAINT_DEDUPE_KEEP_DAYS_DEFAULT;
	if (pb_store_setting_get(m->store, "maintenance", &json, &error) != 1)
		return;
	cJSON *doc = cJSON_Parse(json);
	cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "interval_s");
	if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= 7 * 86400)
		s->interval_s = (uint64_t)v->valuedouble;
	v = cJSON_GetObjectItemCaseSensitive(doc, "dedupe_keep_days");
	if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= 3650)
		s->dedupe_keep_days = (uint64_t)v->valuedouble;
	cJSON_Delete(doc);
	free(json);
}

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
		pb_error("maint", "event=dedupe_prune_failed user=%s reason=\"%s\"", u->name, error);
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
		pb_warn("maint", "event=sweep_failed id=%llu reason=\"%s\"",
			(unsigned long long)user_id, error);
	c->swept += code == PB_OK;
	return 0;
}

/* One round: mail of deleted accounts, blob GC, then dedupe pruning user by user. */
static void maint_round(struct pb_actor *a, struct maint *m, const struct maint_settings *st)
{
	struct sweep_ctx sw = { m, a, 0 };
	const char *error;
	uint64_t deleted = 0;
	struct prune_ctx c = { m, (int64_t)pb_clock_wall_ms() - (int64_t)st->dedupe_keep_days * 86400000,
			       0, 0 };

	if (pb_store_mailbox_owners(m->store, sweep_one, &sw, &error) < 0)
		pb_error("maint", "event=sweep_failed reason=\"%s\"", error);
	if (pb_store_blob_gc(m->store, &deleted, &error) < 0)
		pb_error("maint", "event=blob_gc_failed reason=\"%s\"", error);
	if (pb_store_user_iter(m->store, prune_user, &c, &error) < 0)
		pb_error("maint", "event=dedupe_prune_failed reason=\"%s\"", error);
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

static void mt_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	struct maint_settings st;

	read_settings(state, &st);
	maint_round(a, state, &st);
	pb_actor_timer_set(a, MAINT_TIMER, st.interval_s * 1000);
}

static int on_run(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct maint_settings st;

	read_settings(state, &st);
	maint_round(a, state, &st);
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
