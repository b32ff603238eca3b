/*
 * mailbox-quota.c: the mailbox quota of each user (admin guide 4.8) on the owner's side.
 *
 * The limit is the account's quota_mb, which the directory holds and gives the owner with
 * MBOX_QUOTA_SET_REQ (user set/unset); the owner keeps its copy in the user's quota record
 * (pb_store_quota_*), with the warning level last crossed, so both survive a restart. An
 * account without a quota_mb of its own has quota.default_mb (read from the settings at each
 * use). Usage is the bytes of all messages in all folders: the folders' counters, which every
 * append, copy, expunge, POP3 deletion and folder delete keep exact in the same batch.
 *
 * What the quota does (the quota.* settings):
 *   - incoming mail is never refused for quota;
 *   - the user's own APPEND or COPY that would take usage past the limit is refused
 *     (PB_ERR_OVERQUOTA; IMAP NO [OVERQUOTA]), changing nothing;
 *   - when usage reaches warn1/2/3_percent of the limit (level 1, 2, 3) a warning goes to the
 *     user, and from level 2 a copy to quota.admin_target; daily reminders likewise. One
 *     warning per crossing, for the highest level crossed; the level is remembered, and when
 *     usage falls below a level it is re-armed. The owner does not store a notice itself: it
 *     writes a generated-message marker (store-db.h pb_gen_mark) in the same synced write as
 *     the level or reminder day that decides it, and the user's spool shard makes it a SYSTEM
 *     spool entry (spool-notice.c), routed like any System message (rules, forwarding,
 *     scripts, the trace) and delivered once; the owner never waits for the spool;
 *   - past block_send_percent the account may not send with SMTP AUTH (MBOX_STAT's blocked,
 *     asked by the SMTP session at MAIL).
 * OWNS: nothing beyond the shard's (the quota records are the store's). THREAD: the shard's.
 * MESSAGES sent: the watchers' events (mailbox-watch.c).
 */
#include "mailbox-actor-int.h"
#include "statushub-client.h"

#include "pb-settings-snapshot.h"
#include "store-spool.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define QUOTA_MB 1048576ull

/* A user's quota as it applies now: the record, the limit and the settings' percents. */
struct quota_view {
	struct pb_quota_rec rec;
	uint64_t limit;	    /* bytes; 0: no quota */
	uint32_t pct[4];    /* [1..3]: the warning levels' percents (0: off) */
	uint32_t block_pct; /* 0: never */
	char admin[64];
};

/* Reads the user's record and the settings into *v. 0 / -1 (error_r). */
static int quota_load(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
		      struct quota_view *v, const char **error_r)
{
	memset(v, 0, sizeof(*v));
	if (pb_store_quota_get(s->store, user_id, &v->rec, error_r) < 0)
		return -1;
	const struct pb_settings *st = pb_settings_acquire(pb_actor_runtime(a));
	v->limit = (v->rec.has_limit ? v->rec.limit_mb : st->quota.default_mb) * QUOTA_MB;
	v->pct[1] = st->quota.warn1_percent;
	v->pct[2] = st->quota.warn2_percent;
	v->pct[3] = st->quota.warn3_percent;
	v->block_pct = st->quota.block_send_percent;
	snprintf(v->admin, sizeof(v->admin), "%s", st->quota.admin_target);
	pb_settings_release(pb_actor_runtime(a), st);
	return 0;
}

/* Whether used is at least pct percent of limit (never for pct or limit 0). The limit is at
 * most 2^40 bytes and pct at most 1000, so neither product overflows for any real usage. */
static bool reached(uint64_t used, uint64_t limit, uint32_t pct)
{
	return pct != 0 && limit != 0 && used * 100 >= limit * pct;
}

/* The highest warning level used reaches (0: none). */
static uint8_t level_of(const struct quota_view *v, uint64_t used)
{
	for (uint8_t i = 3; i > 0; i--)
		if (reached(used, v->limit, v->pct[i]))
			return i;
	return 0;
}

static int usage(struct mailbox_shard *s, uint64_t user_id, uint64_t *used_r, const char **error_r)
{
	uint64_t inbox;

	return pb_store_user_stats(s->store, user_id, &inbox, used_r, error_r);
}

int mailbox_quota_stat(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
		       uint64_t used, uint64_t *limit_r, bool *blocked_r, const char **error_r)
{
	struct quota_view v;

	if (quota_load(a, s, user_id, &v, error_r) < 0)
		return -1;
	*limit_r = v.limit;
	*blocked_r = reached(used, v.limit, v.block_pct);
	return 0;
}

/* The bytes add stands for: its own and its messages' sizes (absent ones count 0). 0 / -1. */
static int add_bytes(struct mailbox_shard *s, uint64_t user_id, const struct mailbox_quota_add *add,
		     uint64_t *bytes_r, const char **error_r)
{
	struct pb_msg_rec rec;

	*bytes_r = add->bytes;
	for (size_t i = 0; i < add->n; i++) {
		int found = pb_store_msg_get(s->store, user_id, add->folder_id, add->uids[i], &rec,
					     error_r);
		if (found < 0)
			return -1;
		if (found > 0) {
			*bytes_r += rec.size;
			pb_msg_rec_free(&rec);
		}
	}
	return 0;
}

int mailbox_quota_refuse(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
			 uint64_t user_id, const struct mailbox_quota_add *add)
{
	struct quota_view v;
	uint64_t used, adding;
	const char *error;

	if (quota_load(a, s, user_id, &v, &error) < 0)
		return mailbox_store_failed(a, m, error), 1;
	if (v.limit == 0)
		return 0;
	if (usage(s, user_id, &used, &error) < 0 || add_bytes(s, user_id, add, &adding, &error) < 0)
		return mailbox_store_failed(a, m, error), 1;
	if (used + adding <= v.limit)
		return 0;
	pb_reply_status(a, m, PB_ERR_OVERQUOTA, "the mailbox would be over its quota");
	return 1;
}

/* ---- warnings ---- */

/* The marker of a quota notice of kind (enum pb_gen_kind) at pct percent, for the spool to
 * make (spool-notice.c); admin: the administrator target (borrowed) of PB_GEN_QUOTA_ADMIN. */
static struct pb_gen_mark notice_mark(uint8_t kind, const struct quota_view *v, uint32_t pct,
				      uint64_t used, const char *admin)
{
	struct pb_gen_mark m = { .kind = kind };

	m.str[0] = (char *)admin;
	m.num[PB_GEN_N_PERCENT] = pct;
	m.num[PB_GEN_N_USED] = used;
	m.num[PB_GEN_N_LIMIT] = v->limit;
	m.num[PB_GEN_N_BLOCK] = kind == PB_GEN_QUOTA_ADMIN ? 0 : v->block_pct;
	m.num[PB_GEN_N_MADE_MS] = pb_clock_wall_ms();
	return m;
}

/* The warning of level lvl (to the user, and from level 2 to the administrator target) as
 * markers written with the new level: the spool makes them (no wait on it here: the owner is
 * upstream of delivery). 0 / -1. */
static int warn(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
		struct quota_view *v, uint8_t lvl, uint64_t used, const char **error_r)
{
	struct pb_gen_mark marks[2];
	size_t n = 0;

	marks[n++] = notice_mark(PB_GEN_QUOTA_WARNING, v, v->pct[lvl], used, NULL);
	if (lvl >= 2 && v->admin[0] != '\0')
		marks[n++] = notice_mark(PB_GEN_QUOTA_ADMIN, v, v->pct[lvl], used, v->admin);
	v->rec.level = lvl;
	if (pb_store_quota_put_marked(s->store, user_id, &v->rec, marks, n, error_r) < 0)
		return -1;
	pb_info("mailbox", "event=quota_warning user_id=%llu percent=%u used=%llu limit=%llu",
		(unsigned long long)user_id, v->pct[lvl], (unsigned long long)used,
		(unsigned long long)v->limit);
	statushub_client_activity(pb_actor_runtime(a),
				  "Quota warning: account %llu at %u%% (%llu of %llu bytes)",
				  (unsigned long long)user_id, v->pct[lvl], (unsigned long long)used,
				  (unsigned long long)v->limit);
	return 0;
}

/* Tells the status hub every owed INBOX count (one store read per user). */
static void inbox_tell(struct pb_actor *a, struct mailbox_shard *s)
{
	for (size_t i = 0; i < s->n_inbox_told; i++) {
		uint64_t inbox = 0, bytes;
		const char *error;

		if (pb_store_user_stats(s->store, s->inbox_told[i], &inbox, &bytes, &error) == 0)
			statushub_client_inbox(pb_actor_runtime(a), s->inbox_told[i], inbox);
	}
	s->n_inbox_told = 0;
}

void mailbox_inbox_on_timer(struct pb_actor *a, struct mailbox_shard *s)
{
	s->inbox_timer = false;
	inbox_tell(a, s);
}

/* The status hub hears the user's INBOX count after every change of the usage (the same
 * moments: a delivery, an append, a copy, an expunge, a deletion), within
 * MAILBOX_INBOX_TELL_MS; it coalesces them further. */
static void inbox_changed(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id)
{
	for (size_t i = 0; i < s->n_inbox_told; i++)
		if (s->inbox_told[i] == user_id)
			return;
	if (s->n_inbox_told == MAILBOX_INBOX_TOLD_MAX)
		inbox_tell(a, s);
	s->inbox_told[s->n_inbox_told++] = user_id;
	if (!s->inbox_timer) {
		pb_actor_timer_set(a, MAILBOX_TIMER_INBOX, MAILBOX_INBOX_TELL_MS);
		s->inbox_timer = true;
	}
}

void mailbox_quota_changed(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id)
{
	struct quota_view v;
	uint64_t used = 0;
	const char *error;

	inbox_changed(a, s, user_id);

	if (quota_load(a, s, user_id, &v, &error) < 0 ||
	    ((v.limit != 0 || v.rec.level != 0) && usage(s, user_id, &used, &error) < 0)) {
		pb_warn("mailbox", "event=quota_check_failed user_id=%llu reason=%s",
			(unsigned long long)user_id, PB_LOGQ(error));
		return;
	}
	uint8_t lvl = level_of(&v, used);
	if (lvl == v.rec.level)
		return;
	int ret;
	if (lvl > v.rec.level) {
		ret = warn(a, s, user_id, &v, lvl, used, &error);
	} else {
		v.rec.level = lvl; /* below a level: re-armed */
		ret = pb_store_quota_put(s->store, user_id, &v.rec, &error);
	}
	if (ret < 0)
		pb_warn("mailbox", "event=quota_level_failed user_id=%llu reason=%s",
			(unsigned long long)user_id, PB_LOGQ(error));
}

/* ---- handlers ---- */

int mailbox_on_quota_set(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	const struct msg_mbox_quota_set_req *q = &m->u.mbox_quota_set_req;
	struct pb_quota_rec rec;
	const char *error;

	if (!mailbox_user_or_reply(a, s, m, q->user_id))
		return 0;
	if (pb_store_quota_get(s->store, q->user_id, &rec, &error) < 0)
		return mailbox_store_failed(a, m, error);
	rec.has_limit = q->has_limit != 0;
	rec.limit_mb = q->has_limit ? q->limit_mb : 0;
	if (pb_store_quota_put(s->store, q->user_id, &rec, &error) < 0)
		return mailbox_store_failed(a, m, error);
	pb_reply_status(a, m, PB_OK, "");
	mailbox_quota_changed(a, s, q->user_id); /* a lower quota may cross a level at once */
	return 0;
}

/* The daily reminder (MBOX_QUOTA_REMIND_REQ): the day stored with the reminders' markers in
 * one write, so a crash makes that day's reminders once (the spool), never twice or none. */
static void remind(struct mailbox_shard *s, uint64_t user_id, struct quota_view *v, uint32_t day,
		   bool to_user, bool to_admin)
{
	struct pb_gen_mark marks[2];
	uint64_t used = 0;
	const char *error;
	size_t n = 0;

	if (v->limit == 0 || v->rec.remind_day == day || usage(s, user_id, &used, &error) < 0)
		return;
	if (level_of(v, used) == 0)
		return;
	uint32_t pct = (uint32_t)(used * 100 / v->limit);
	if (to_user)
		marks[n++] = notice_mark(PB_GEN_QUOTA_REMINDER, v, pct, used, NULL);
	if (to_admin && v->admin[0] != '\0')
		marks[n++] = notice_mark(PB_GEN_QUOTA_ADMIN, v, pct, used, v->admin);
	v->rec.remind_day = day;
	if (pb_store_quota_put_marked(s->store, user_id, &v->rec, marks, n, &error) < 0) {
		pb_warn("mailbox", "event=quota_reminder_failed user_id=%llu reason=%s",
			(unsigned long long)user_id, PB_LOGQ(error));
		return;
	}
	pb_info("mailbox", "event=quota_reminder user_id=%llu day=%u used=%llu limit=%llu",
		(unsigned long long)user_id, day, (unsigned long long)used,
		(unsigned long long)v->limit);
}

int mailbox_on_quota_remind(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	const struct msg_mbox_quota_remind_req *q = &m->u.mbox_quota_remind_req;
	struct quota_view v;
	const char *error;

	if (!mailbox_user_or_reply(a, s, m, q->user_id))
		return 0;
	if (quota_load(a, s, q->user_id, &v, &error) < 0)
		return mailbox_store_failed(a, m, error);
	const struct pb_settings *st = pb_settings_acquire(pb_actor_runtime(a));
	bool to_user = st->quota.reminder_user != 0, to_admin = st->quota.reminder_admin != 0;
	pb_settings_release(pb_actor_runtime(a), st);
	if (to_user || to_admin)
		remind(s, q->user_id, &v, q->day, to_user, to_admin);
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}
