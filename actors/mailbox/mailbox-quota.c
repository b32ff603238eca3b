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
 *   - when usage reaches warn1/2/3_percent of the limit (level 1, 2, 3) a warning goes into the
 *     user's INBOX, and from level 2 a copy to quota.admin_target (DIR_QUOTA_NOTICE_EVT: the
 *     directory knows which account that is; it casts MBOX_QUOTA_NOTICE_EVT to its owner).
 *     One warning per crossing, for the highest level crossed; the level is remembered, and
 *     when usage falls below a level it is re-armed;
 *   - past block_send_percent the account may not send with SMTP AUTH (MBOX_STAT's blocked,
 *     asked by the SMTP session at MAIL).
 * OWNS: nothing beyond the shard's (the quota records are the store's). THREAD: the shard's.
 * MESSAGES sent: DIR_QUOTA_NOTICE_EVT (a cast), the watchers' events (mailbox-watch.c).
 */
#include "mailbox-actor-int.h"
#include "statushub-client.h"

#include "directory-client.h"
#include "pb-settings-snapshot.h"
#include "mime-header.h"
#include "store-bodies.h"
#include "store-spool.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* The warning's text (RFC 5322, CR LF) into out: about NULL for the user's own, else the
 * account's name (for the administrator); remind: the daily reminder's subject. */
static void notice_text(struct pb_buf *out, const char *about, uint32_t pct, uint64_t used,
			uint64_t limit, uint32_t block_pct, bool remind)
{
	char host[256] = "localhost", date[64];
	time_t now = time(NULL);
	struct tm tm;

	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	/* stored directly (no spool, no SMTP intake): this is the final delivery, RFC 5321 4.4 */
	pb_buf_append_str(out, "Return-Path: <>\r\n");
	pb_buf_printf(out, "From: Mail System <postmaster@%s>\r\nDate: %s\r\n", host, date);
	pb_buf_printf(out, "Message-ID: <quota.%lld.%u@%s>\r\n", (long long)pb_clock_wall_ms(), pct,
		      host);
	if (about != NULL)
		pb_buf_printf(out, "Subject: Mailbox quota: %s has reached %u%% of its quota\r\n",
			      about, pct);
	else
		pb_buf_printf(out, "Subject: Mailbox quota %s: %u%% of your quota used\r\n",
			      remind ? "reminder" : "warning", pct);
	pb_buf_printf(out, "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
			   "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
	pb_buf_printf(out, "The mailbox %s%sholds %llu KB, %llu%% of its quota of %llu MB.\r\n",
		      about != NULL ? "of " : "", about != NULL ? about : "",
		      (unsigned long long)(used / 1024),
		      (unsigned long long)(used * 100 / limit), (unsigned long long)(limit / QUOTA_MB));
	pb_buf_printf(out, "Incoming mail is still delivered.%s\r\n",
		      about == NULL ? " Please delete or archive messages you no longer need." : "");
	if (block_pct != 0)
		pb_buf_printf(out, "At %u%% of the quota the account can no longer send mail.\r\n",
			      block_pct);
}

/* The trace of a warning stored in user_id's INBOX (no spool entry makes one): found by
 * `pillarbox trace` with its Message-ID. */
static void notice_trace(struct mailbox_shard *s, uint64_t user_id, const struct pb_buf *text)
{
	struct pb_buf mid, subject;
	struct pb_strv lines = { 0 };
	const char *error;
	char msgid[64];

	pb_buf_init(&mid);
	pb_buf_init(&subject);
	(void)mime_header_get(text->data, text->len, "Subject", &subject);
	(void)mime_header_get(text->data, text->len, "Message-ID", &mid);
	pb_buf_append(&subject, "", 1);
	char *bare = mid.len > 2 ? xstrndup(mid.data + 1, mid.len - 2) : xstrdup(""); /* <...> */
	int64_t now = (int64_t)pb_clock_wall_ms();
	snprintf(msgid, sizeof(msgid), "quota-%llu-%lld", (unsigned long long)user_id,
		 (long long)now);
	char *line = xasprintf("generated by this server: a mailbox quota notice (\"%s\"), with "
			       "the null sender <>, stored in the INBOX of user id %llu directly",
			       subject.data, (unsigned long long)user_id);
	pb_strv_push(&lines, line);
	if (pb_store_trace_new(s->store, msgid, bare, now, &lines, &error) < 0)
		pb_warn("mailbox", "event=trace_not_kept msgid=%s reason=%s", msgid,
			PB_LOGQ(error));
	free(line);
	free(bare);
	pb_strv_clear(&lines);
	pb_buf_deinit(&mid);
	pb_buf_deinit(&subject);
}

/* Stores text as a new message in the user's INBOX, keeps its trace and tells the watchers.
 * 0 / -1. */
static int notice_append(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
			 const struct pb_buf *text, const char **error_r)
{
	struct pb_folder_rec f;
	struct pb_msg_rec rec;

	memset(&rec, 0, sizeof(rec));
	int found = pb_store_folder_get(s->store, user_id, "INBOX", &f, error_r);
	if (found <= 0) {
		*error_r = found == 0 ? "no INBOX" : *error_r;
		return -1;
	}
	int rc = pb_store_blob_put(s->store, text->data, text->len, rec.blob_key, error_r);
	rec.internal_date_ms = (int64_t)pb_clock_wall_ms();
	rec.size = text->len;
	if (rc == 0) {
		mailbox_sort_keys_fill(s->store, &rec);
		rc = pb_store_msg_append_ex(s->store, user_id, f.id, &rec, NULL, true, error_r);
	}
	if (rc == 0) {
		mailbox_appended_events(a, s, user_id, &f, &rec);
		notice_trace(s, user_id, text);
	}
	pb_folder_rec_free(&f);
	return rc < 0 ? -1 : 0;
}

/* The warning of level lvl: into the user's INBOX, and from level 2 to the administrator. */
static void warn(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
		 const struct quota_view *v, uint8_t lvl, uint64_t used)
{
	struct pb_buf text;
	const char *error;

	pb_buf_init(&text);
	notice_text(&text, NULL, v->pct[lvl], used, v->limit, v->block_pct, false);
	if (notice_append(a, s, user_id, &text, &error) < 0)
		pb_warn("mailbox", "event=quota_warning_failed user_id=%llu reason=%s",
			(unsigned long long)user_id, PB_LOGQ(error));
	pb_buf_deinit(&text);
	pb_info("mailbox", "event=quota_warning user_id=%llu percent=%u used=%llu limit=%llu",
		(unsigned long long)user_id, v->pct[lvl], (unsigned long long)used,
		(unsigned long long)v->limit);
	statushub_client_activity(pb_actor_runtime(a),
				  "Quota warning: account %llu at %u%% (%llu of %llu bytes)",
				  (unsigned long long)user_id, v->pct[lvl], (unsigned long long)used,
				  (unsigned long long)v->limit);
	if (lvl < 2 || v->admin[0] == '\0')
		return;
	struct pb_sender tx = pb_actor_sender(a, 0);
	if (directory_client_quota_notice_send(&tx, user_id, v->pct[lvl], used, v->limit,
					       &error) < 0)
		pb_warn("mailbox", "event=quota_admin_notice_failed user_id=%llu reason=%s",
			(unsigned long long)user_id, PB_LOGQ(error));
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
	if (lvl > v.rec.level)
		warn(a, s, user_id, &v, lvl, used);
	v.rec.level = lvl; /* below a level: re-armed */
	if (pb_store_quota_put(s->store, user_id, &v.rec, &error) < 0)
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

int mailbox_on_quota_notice(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	const struct msg_mbox_quota_notice_evt *q = &m->u.mbox_quota_notice_evt;
	struct pb_buf text;
	char about[64];
	const char *error;
	size_t n = 0;

	for (const char *p = q->about; *p != '\0' && n < sizeof(about) - 1; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '.' || *p == '_' || *p == '-')
			about[n++] = *p; /* an account name; anything else kept out of the header */
	about[n] = '\0';
	if (q->limit == 0 || pb_store_mailbox_exists(s->store, q->user_id, &error) <= 0)
		return 0;
	pb_buf_init(&text);
	notice_text(&text, about, q->percent, q->used, q->limit, 0, false);
	if (notice_append(a, s, q->user_id, &text, &error) < 0)
		pb_warn("mailbox", "event=quota_admin_notice_failed user_id=%llu reason=%s",
			(unsigned long long)q->user_id, PB_LOGQ(error));
	pb_buf_deinit(&text);
	mailbox_quota_changed(a, s, q->user_id);
	return 0;
}

/* The daily reminder (MBOX_QUOTA_REMIND_REQ). The day is stored before the reminder is made:
 * a crash between the two loses that day's reminder rather than sending it twice. */
static void remind(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
		   struct quota_view *v, uint32_t day, bool to_user, bool to_admin)
{
	uint64_t used = 0;
	struct pb_buf text;
	const char *error;

	if (v->limit == 0 || v->rec.remind_day == day || usage(s, user_id, &used, &error) < 0)
		return;
	uint8_t lvl = level_of(v, used);
	if (lvl == 0)
		return;
	v->rec.remind_day = day;
	if (pb_store_quota_put(s->store, user_id, &v->rec, &error) < 0) {
		pb_warn("mailbox", "event=quota_reminder_failed user_id=%llu reason=%s",
			(unsigned long long)user_id, PB_LOGQ(error));
		return;
	}
	pb_buf_init(&text);
	notice_text(&text, NULL, (uint32_t)(used * 100 / v->limit), used, v->limit, v->block_pct,
		    true);
	if (to_user && notice_append(a, s, user_id, &text, &error) < 0)
		pb_warn("mailbox", "event=quota_reminder_failed user_id=%llu reason=%s",
			(unsigned long long)user_id, PB_LOGQ(error));
	pb_buf_deinit(&text);
	pb_info("mailbox", "event=quota_reminder user_id=%llu day=%u used=%llu limit=%llu",
		(unsigned long long)user_id, day, (unsigned long long)used,
		(unsigned long long)v->limit);
	struct pb_sender tx = pb_actor_sender(a, 0);
	if (to_admin && v->admin[0] != '\0' &&
	    directory_client_quota_notice_send(&tx, user_id, (uint32_t)(used * 100 / v->limit),
					       used, v->limit, &error) < 0)
		pb_warn("mailbox", "event=quota_admin_notice_failed user_id=%llu reason=%s",
			(unsigned long long)user_id, PB_LOGQ(error));
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
		remind(a, s, q->user_id, &v, q->day, to_user, to_admin);
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}
