/*
 * maint-actor.c: periodic store upkeep (see maint-actor.h). OWNS its state (the store handle,
 * borrowed). Records: it reads which users have mail and prunes their dedupe records
 * (store-mail.h), collects bodies (store-bodies.h); accounts it asks of the directory, and every
 * other change to mail goes through the mailbox owners. THREAD: its actor thread.
 */
#include "maint-actor.h"

#include "directory-client.h"
#include "mailbox-client.h"
#include "pb-log.h"
#include "pb-settings-snapshot.h"
#include "store-bodies.h"
#include "store-mail.h"
#include "store-spool.h"
#include "spool-client.h"

#include <string.h>
#include <time.h>

#define MAINT_TIMER 1
#define MAINT_TIMER_RECONCILE 2
#define MAINT_TIMER_SPACE 3
/* How often the disk is looked at, and the least time between two GC runs it triggers when
 * there is no room for new mail (each GC run advances the epoch: too many would shorten the
 * time a body put unreferenced survives, docs/storage.md). */
#define MAINT_SPACE_CHECK_MS 15000
#define MAINT_SPACE_GC_MIN_MS 120000
#define MAINT_FIRST_DELAY_MS 60000
#define MAINT_CALL_TIMEOUT_MS 60000
#define MAINT_DAY_MS 86400000ll
/* The daily job's bound on the autoresponder's memory pruned per run (the rest the next day),
 * and the age past which an answer is forgotten: the longest autoreply_days window. */
#define MAINT_REPLIES_PRUNE_MAX 20000
#define MAINT_REPLIES_KEEP_DAYS 365

struct maint {
	struct pb_store *store;
	uint64_t last_gc_ms; /* monotonic, of the last blob GC run */
	uint32_t daily_day;  /* the day (since the epoch, local time) the daily job last ran; 0 never */
};

/* One round's walk over the users with mail (in id order), merged with the accounts' ids. */
struct round_ctx {
	struct maint *m;
	struct pb_actor *a;
	const struct pb_u64v *ids; /* the accounts, ascending; NULL if the directory did not say */
	uint32_t next;             /* the first id in ids not yet met */
	bool prune;                /* prune dedupe records older than before_ms */
	int64_t before_ms;
	uint64_t swept, repaired, removed;
	uint32_t remind_day;       /* != 0: the daily job's quota reminders, for that day */
};

/* A blocking call, on purpose: maint has a thread of its own and nothing else waits on it. */
static struct pb_sync round_sync(struct round_ctx *c)
{
	struct pb_sync t;

	pb_sync_init_caller(&t, pb_actor_caller(c->a), MAINT_CALL_TIMEOUT_MS);
	return t;
}

/* One blocking call to the user's mailbox owner (purge or create); true if it was done. */
static bool mailbox_call(struct round_ctx *c, uint64_t user_id,
			 int (*call)(struct pb_sync *, uint64_t, uint32_t *, const char **),
			 const char *event)
{
	struct pb_sync t = round_sync(c);
	uint32_t code = PB_ERR_INTERNAL;
	const char *error;

	if (call(&t, user_id, &code, &error) < 0 || code != PB_OK)
		pb_warn("maint", "event=%s id=%llu reason=%s", event, (unsigned long long)user_id,
			PB_LOGQ(error));
	return code == PB_OK;
}

/* Mail whose account is gone (a crash between an account's delete and its purge) goes the
 * way any purge goes: through the user's mailbox owner, the only writer of that mail. */
static void sweep(struct round_ctx *c, uint64_t user_id)
{
	c->swept += mailbox_call(c, user_id, mailbox_client_purge, "sweep_failed");
}

/* An account without a mailbox (a crash between the account's write and its mailbox's, or a
 * create the mailbox owner could not take) gets it from its mailbox owner. */
static void repair(struct round_ctx *c, uint64_t user_id)
{
	c->repaired += mailbox_call(c, user_id, mailbox_client_create, "mailbox_repair_failed");
}

static void prune(struct round_ctx *c, uint64_t user_id)
{
	const char *error;
	uint64_t removed = 0;

	if (pb_store_dedupe_prune(c->m->store, user_id, c->before_ms, &removed, &error) < 0)
		pb_error("maint", "event=dedupe_prune_failed id=%llu reason=%s",
			 (unsigned long long)user_id, PB_LOGQ(error));
	c->removed += removed;
}

/* The user's daily quota reminder (its owner decides whether one is due: at most one a day). */
static void remind(struct round_ctx *c, uint64_t user_id)
{
	struct pb_sync t = round_sync(c);
	uint32_t code = PB_ERR_INTERNAL;
	const char *error;

	if (mailbox_client_quota_remind(&t, user_id, c->remind_day, &code, &error) < 0 ||
	    code != PB_OK)
		pb_warn("maint", "event=quota_reminder_failed id=%llu reason=%s",
			(unsigned long long)user_id, PB_LOGQ(error));
}

/* A user with mail: accounts before it have no mailbox; it has an account, or its mail goes. */
static int round_one(uint64_t user_id, void *arg)
{
	struct round_ctx *c = arg;

	while (c->ids != NULL && c->next < c->ids->n && c->ids->v[c->next] < user_id)
		repair(c, c->ids->v[c->next++]);
	if (c->ids == NULL || (c->next < c->ids->n && c->ids->v[c->next] == user_id)) {
		c->next += c->ids != NULL;
		if (c->prune)
			prune(c, user_id);
		if (c->remind_day != 0)
			remind(c, user_id);
	} else {
		sweep(c, user_id);
	}
	return 0;
}

/* The accounts' ids from the directory (0), or -1 (logged): then nothing is swept or repaired. */
static int account_ids(struct round_ctx *c, struct pb_u64v *ids_r)
{
	struct pb_sync t = round_sync(c);
	uint32_t code = PB_ERR_INTERNAL;
	const char *error;

	if (directory_client_user_ids(&t, &code, ids_r, &error) < 0 || code != PB_OK) {
		pb_warn("maint", "event=account_ids_failed reason=%s", PB_LOGQ(error));
		return -1;
	}
	return 0;
}

/* Walks the users with mail against the accounts: mail of deleted accounts swept, accounts
 * without a mailbox repaired, and with c->prune dedupe records pruned, user by user. */
static void reconcile(struct round_ctx *c)
{
	struct pb_u64v ids = { 0 };
	const char *error;

	if (account_ids(c, &ids) == 0)
		c->ids = &ids;
	if (pb_store_mailbox_owners(c->m->store, round_one, c, &error) < 0)
		pb_error("maint", "event=sweep_failed reason=%s", PB_LOGQ(error));
	else
		while (c->ids != NULL && c->next < ids.n)
			repair(c, ids.v[c->next++]);
	c->ids = NULL;
	pb_u64v_clear(&ids);
}

/* Dedupe records older than this go: dedupe_keep_days, but never one as recent as the oldest
 * entry the spool still holds (its replay needs them: an entry stuck for longer than the age
 * would otherwise be delivered twice). False (prune nothing) when the spool did not answer. */
static bool prune_cutoff(struct pb_actor *a, const struct pb_settings_maintenance *st,
			 int64_t *before_r)
{
	int64_t oldest = INT64_MAX;
	const char *error;

	uint32_t code = spool_client_oldest(pb_actor_caller(a), &oldest, &error);
	if (code != PB_OK) {
		pb_warn("maint", "event=dedupe_prune_skipped reason=%s", PB_LOGQ(error));
		return false;
	}
	*before_r = (int64_t)pb_runtime_wall_ms(pb_actor_runtime(a)) -
		    (int64_t)st->dedupe_keep_days * 86400000;
	if (oldest < *before_r)
		*before_r = oldest;
	return true;
}

/* Blob GC (when gc), then a compaction of the body families when it deleted bodies or when
 * compact (blob files of deleted bodies and of aborted uploads go), else a flush of every
 * family (the WAL behind them goes). Returns the bodies deleted. */
static uint64_t collect(struct pb_actor *a, struct maint *m, bool gc, bool compact)
{
	const char *error;
	uint64_t deleted = 0;

	if (gc) {
		m->last_gc_ms = pb_runtime_now_ms(pb_actor_runtime(a));
		if (pb_store_blob_gc(m->store, &deleted, &error) < 0)
			pb_error("maint", "event=blob_gc_failed reason=%s", PB_LOGQ(error));
	}
	if ((deleted > 0 || compact) && pb_store_compact_bodies(m->store, &error) < 0)
		pb_error("maint", "event=compact_failed reason=%s", PB_LOGQ(error));
	else if (deleted == 0 && !compact && pb_store_flush(m->store, &error) < 0)
		pb_error("maint", "event=flush_failed reason=%s", PB_LOGQ(error));
	return deleted;
}

/* The daily job's store part: the autoresponder's memory older than its longest window,
 * MAINT_REPLIES_PRUNE_MAX records at most. */
static void prune_replies(struct maint *m, int64_t now_ms)
{
	uint64_t removed = 0;
	const char *error;

	if (pb_store_replied_prune(m->store, now_ms - MAINT_REPLIES_KEEP_DAYS * MAINT_DAY_MS,
				   MAINT_REPLIES_PRUNE_MAX, &removed, &error) < 0)
		pb_error("maint", "event=replies_prune_failed reason=%s", PB_LOGQ(error));
	else if (removed > 0)
		pb_info("maint", "event=replies_pruned removed=%llu", (unsigned long long)removed);
}

/* The day of now_ms in the server's local time (days since 1970-01-01 local), so that "once a
 * day" turns at the server's midnight, not at UTC's. */
static uint32_t local_day(int64_t now_ms)
{
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	int64_t off = localtime_r(&t, &tm) != NULL ? (int64_t)tm.tm_gmtoff : 0;

	return (uint32_t)((now_ms / 1000 + off) / (MAINT_DAY_MS / 1000));
}

/* The daily job, at the first round of each day (server's local time) or when forced
 * (MAINT_RUN_REQ): the replies pruned now, and the quota reminders during the round's walk
 * (c->remind_day). The time is the runtime's wall clock (a test's fake one). */
static void daily(struct maint *m, struct round_ctx *c, bool force)
{
	int64_t now_ms = (int64_t)pb_runtime_wall_ms(pb_actor_runtime(c->a));
	uint32_t day = local_day(now_ms);

	if (day == m->daily_day && !force)
		return;
	m->daily_day = day;
	prune_replies(m, now_ms);
	c->remind_day = day;
}

/* One round: reconcile (with dedupe pruning and, once a day, the daily job), then blob GC. */
static void maint_round(struct pb_actor *a, struct maint *m,
			const struct pb_settings_maintenance *st, bool force_daily)
{
	struct round_ctx c = { m, a, NULL, 0, false, 0, 0, 0, 0, 0 };

	daily(m, &c, force_daily);
	c.prune = prune_cutoff(a, st, &c.before_ms);
	reconcile(&c);
	uint64_t deleted = collect(a, m, true, false);
	pb_info("maint",
		"event=round orphans_swept=%llu mailboxes_repaired=%llu bodies_deleted=%llu "
		"dedupe_removed=%llu",
		(unsigned long long)c.swept, (unsigned long long)c.repaired,
		(unsigned long long)deleted, (unsigned long long)c.removed);
}

/* At start, before the first round: accounts made by an earlier version that never had mail
 * have no mailbox record yet, and their deliveries would be refused until they get one. */
static void start_reconcile(struct pb_actor *a, struct maint *m)
{
	struct round_ctx c = { m, a, NULL, 0, false, 0, 0, 0, 0, 0 };

	reconcile(&c);
	if (c.swept > 0 || c.repaired > 0)
		pb_info("maint", "event=start_reconcile orphans_swept=%llu mailboxes_repaired=%llu",
			(unsigned long long)c.swept, (unsigned long long)c.repaired);
}

static int mt_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct maint *m = xcalloc(1, sizeof(*m));
	m->store = arg;
	*state_r = m;
	pb_actor_timer_set(a, MAINT_TIMER, MAINT_FIRST_DELAY_MS);
	pb_actor_timer_set(a, MAINT_TIMER_RECONCILE, 0);
	pb_actor_timer_set(a, MAINT_TIMER_SPACE, MAINT_SPACE_CHECK_MS);
	return 0;
}

static void mt_deinit(struct pb_actor *a, void *state)
{
	free(state);
}

/* One round with the settings in effect (force_daily: the daily job even if it ran today);
 * returns the interval until the next, in ms. */
static uint64_t run_round(struct pb_actor *a, struct maint *m, bool force_daily)
{
	struct pb_runtime *rt = pb_actor_runtime(a);
	const struct pb_settings *s = pb_settings_acquire(rt);
	struct pb_settings_maintenance st = s->maintenance;

	pb_settings_release(rt, s);
	maint_round(a, m, &st, force_daily);
	return (uint64_t)st.interval_s * 1000;
}

/* No room for new mail: the space of deleted mail comes back without waiting for the round:
 * a flush and compaction every check, blob GC at most every MAINT_SPACE_GC_MIN_MS. */
static void space_check(struct pb_actor *a, struct maint *m, uint64_t now)
{
	if (!pb_store_has_room(m->store, 0)) {
		uint64_t deleted =
			collect(a, m, now >= m->last_gc_ms + MAINT_SPACE_GC_MIN_MS, true);
		pb_info("maint", "event=low_space_collect bodies_deleted=%llu room=%llu",
			(unsigned long long)deleted, (unsigned long long)pb_store_room(m->store));
	}
	pb_actor_timer_set(a, MAINT_TIMER_SPACE, MAINT_SPACE_CHECK_MS);
}

static void mt_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now)
{
	if (id == MAINT_TIMER_RECONCILE)
		start_reconcile(a, state);
	else if (id == MAINT_TIMER_SPACE)
		space_check(a, state, now);
	else
		pb_actor_timer_set(a, MAINT_TIMER, run_round(a, state, false));
}

static int on_run(struct pb_actor *a, void *state, struct pb_msg *m)
{
	run_round(a, state, true);
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
