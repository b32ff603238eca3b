/*
 * mailbox-actor-int.h: what the files of the mailbox owner shard share (not for other modules):
 * the shard state and the helpers every handler uses. The handlers are split by topic —
 * mailbox-actor.c (the shard, mailbox record, lock, stat), mailbox-msgs.c (append, list, flags,
 * expunge, copy/move, store), mailbox-folders.c (folder list and hierarchy, subscriptions),
 * mailbox-watch.c (watchers and their events), mailbox-upload.c (IMAP APPEND's body upload).
 * OWNS / THREAD: see mailbox-actor.c; everything here runs on the shard's actor thread.
 */
#ifndef MAILBOX_ACTOR_INT_H
#define MAILBOX_ACTOR_INT_H

#include "mailbox-actor.h"
#include "mailbox-client.h"
#include "mailbox-sortidx.h"
#include "mailbox-sortkey.h"

#include "pb-log.h"
#include "store-mail.h"

/* The actor's timers. */
enum { MAILBOX_TIMER_RESYNC = 1, MAILBOX_TIMER_UPLOADS = 2, MAILBOX_TIMER_INBOX = 3 };

struct mailbox_watcher {
	uint64_t user_id;
	char *addr;
};

/* A session watching one folder (MBOX_FOLDER_WATCH_REQ). behind: an event could not be sent
 * (its inbox was full): nothing more is sent until a RESYNC event gets through. */
struct mailbox_folder_watch {
	uint64_t user_id;
	uint32_t folder_id;
	char *addr;
	uint64_t seq; /* events sent so far */
	bool behind;
};

struct mailbox_lock {
	uint64_t user_id;
	char *holder;
	uint64_t expires_ms;
};

struct mailbox_inbox_hint {
	uint64_t user_id;
	uint32_t folder_id; /* 0: none */
};

struct mailbox_upload; /* mailbox-upload.c */

/* The status hub hears a user's INBOX count at most every MAILBOX_INBOX_TELL_MS: a burst of
 * deliveries costs one count and one event per user, not one per message. Past
 * MAILBOX_INBOX_TOLD_MAX users waiting, the owed counts are told at once. */
#define MAILBOX_INBOX_TELL_MS 200
#define MAILBOX_INBOX_TOLD_MAX 256

struct mailbox_shard {
	struct pb_store *store;
	uint32_t index; /* the shard's index (its upload owner) */
	struct mailbox_lock *locks; /* maildrop locks (POP3), in memory: a restart frees them */
	size_t n_locks;
	uint64_t *ready_users; /* sorted ids whose folders exist */
	size_t n_ready;
	struct mailbox_watcher *watchers; /* per user (MBOX_WATCH_REQ) */
	size_t n_watchers;
	struct mailbox_folder_watch *fwatches; /* per folder (MBOX_FOLDER_WATCH_REQ) */
	size_t n_fwatches;
	struct mailbox_inbox_hint *inbox_hints; /* checked on use, never trusted */
	struct mailbox_upload *uploads;        /* open APPEND uploads */
	size_t n_uploads;
	uint64_t inbox_told[MAILBOX_INBOX_TOLD_MAX]; /* users whose INBOX count the hub is owed */
	size_t n_inbox_told;
	bool inbox_timer; /* MAILBOX_TIMER_INBOX is set */
	struct mailbox_sortidx sortidx[MAILBOX_SORTIDX_MAX]; /* webmail's sort indexes */
	uint64_t sort_uses; /* their LRU clock */
};

/* Logs a store failure and answers m INTERNAL. Returns 0 (the handler's return). */
int mailbox_store_failed(struct pb_actor *a, const struct pb_msg *m, const char *error);
/* Whether the user has a mailbox. Returns 1 yes, 0 answered (NOTFOUND "no such user", or a
 * store failure). */
int mailbox_user_or_reply(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
			  uint64_t user_id);
/* The user's folder called name (NULL or "": INBOX) into *f (caller frees); errors answered.
 * Returns 1 found, 0 answered. */
int mailbox_folder_or_reply(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
			    uint64_t user_id, const char *name, struct pb_folder_rec *f);
/* A copy of a uid vector in the store's uint32 form (uids beyond 32 bits dropped); *n_r. */
uint32_t *mailbox_uids32(const struct pb_u64v *v, size_t *n_r);

/* ---- watchers (mailbox-watch.c) ---- */
/* MBOX_CHANGED_EVT to the user's watchers. */
void mailbox_notify(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
		    const char *folder, uint64_t modseq, uint32_t what, uint32_t uid);
/* MBOX_FOLDER_EVT to the watchers of folder f: what MAILBOX_EVT_*, uids (appended or
 * expunged), flags (the FLAGS records; may be NULL). Ends the watches on MAILBOX_EVT_GONE. */
void mailbox_folder_event(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
			  const struct pb_folder_rec *f, uint32_t what, const uint32_t *uids,
			  size_t n, const struct pb_rec_mbox_flagged_list *flags);
void mailbox_watch_on_timer(struct pb_actor *a, struct mailbox_shard *s);
void mailbox_watch_deinit(struct mailbox_shard *s);

/* ---- uploads (mailbox-upload.c) ---- */
void mailbox_uploads_on_timer(struct pb_actor *a, struct mailbox_shard *s, uint64_t now_ms);
void mailbox_uploads_deinit(struct mailbox_shard *s);

/* The events of a copy or move c from src to dst (mailbox-msgs.c): appended in dst, and for a
 * move expunged in src (the folders' counters in memory updated). */
void mailbox_copy_events(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
			 struct pb_folder_rec *src, struct pb_folder_rec *dst,
			 const struct pb_msg_copied *c, bool move);

/* Appends rec (in: flags, keywords, date, size, blob_key) to f, answers m with
 * MBOX_APPEND_REP (or the store failure) and tells the watchers. Returns 0. */
int mailbox_append_reply(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
			 uint64_t user_id, struct pb_folder_rec *f, struct pb_msg_rec *rec,
			 const char *dedupe_key, bool sync);

/* The watchers' events of rec, just appended to f (f's counters in memory updated). */
void mailbox_appended_events(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
			     struct pb_folder_rec *f, const struct pb_msg_rec *rec);

/* ---- quota (mailbox-quota.c) ---- */
/* The user's quota in effect (*limit_r bytes, 0 none) and whether used is past
 * quota.block_send_percent. 0 / -1 (error_r). */
int mailbox_quota_stat(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
		       uint64_t used, uint64_t *limit_r, bool *blocked_r, const char **error_r);
/* What a change adds to a mailbox: bytes, and the messages uids[0..n) of folder_id (a copy). */
struct mailbox_quota_add {
	uint64_t bytes;
	uint32_t folder_id;
	const uint32_t *uids;
	size_t n;
};
/* Whether the user's own change adding *add must be refused: 1 answered (OVERQUOTA, or a
 * store failure), 0 go on. */
int mailbox_quota_refuse(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
			 uint64_t user_id, const struct mailbox_quota_add *add);
/* After a change of the user's usage: a warning level crossed (warned, remembered) or fallen
 * below (re-armed). Failures are logged. */
void mailbox_quota_changed(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id);
/* MAILBOX_TIMER_INBOX: tells the status hub the INBOX counts it is owed. */
void mailbox_inbox_on_timer(struct pb_actor *a, struct mailbox_shard *s);

/* ---- handlers ---- */
int mailbox_on_append(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_list(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_flags(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_expunge(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_expunge_deleted(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_copy(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_store(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_page(struct pb_actor *a, void *state, struct pb_msg *m);
/* Appends rec to l as a listed message (MBOX_LIST_REP, MBOX_PAGE_REP; strings copied). */
void mailbox_entry_push(struct pb_rec_mbox_entry_list *l, const struct pb_msg_rec *rec);
/* Frees the shard's sort indexes (mailbox-page.c). */
void mailbox_page_deinit(struct mailbox_shard *s);
/* For an append with create: user_id's folder name (and its superiors) created when missing
 * (INBOX always exists). true to go on; false when it answered m (no such user, a bad name,
 * a store failure). */
bool mailbox_folder_ensure_or_reply(struct pb_actor *a, struct mailbox_shard *s,
				    const struct pb_msg *m, uint64_t user_id, const char *name);
int mailbox_on_folders(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_folder(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_watch(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_folder_watch(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_upload_begin(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_upload_chunk(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_upload_commit(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_upload_abort(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_quota_set(struct pb_actor *a, void *state, struct pb_msg *m);
int mailbox_on_quota_remind(struct pb_actor *a, void *state, struct pb_msg *m);

#endif
