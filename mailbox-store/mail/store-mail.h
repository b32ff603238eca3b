/*
 * store-mail.h: the mail of each user — its mailbox record, folders, messages, flags and
 * dedupe records (library pb_store_mail). Owner: the user's mailbox owner (a shard thread), the
 * only writer of that user's mail; maint reads which users have mail and prunes dedupe records.
 * Conventions: store-db.h.
 * THREAD: any, with one extra rule: folders and messages of one user have a single writer
 * (that user's mailbox owner); the folder and message functions read-modify-write and rely on
 * it.
 */
#ifndef PB_STORE_MAIL_H
#define PB_STORE_MAIL_H

#include "store-db.h"

/* ---- Folders of one user (single writer per user: see the top of this file) ------------ */

#define PB_FOLDER_NAME_MAX 1024

enum pb_special_use {
	PB_SPECIAL_NONE,
	PB_SPECIAL_INBOX,
	PB_SPECIAL_SENT,
	PB_SPECIAL_DRAFTS,
	PB_SPECIAL_TRASH,
	PB_SPECIAL_JUNK,
	PB_SPECIAL_ARCHIVE,
};

/* A folder. id is per user, starts at 1, never reused. name is owned (pb_folder_rec_free).
 * Counters: uidnext is the next uid to assign; messages, bytes and unseen (messages without
 * \Seen) cover the folder's current messages; highestmodseq rises on every change. */
struct pb_folder_rec {
	uint32_t id;
	char *name;
	uint32_t special_use; /* enum pb_special_use */
	uint32_t uidvalidity, uidnext;
	uint64_t highestmodseq, messages, bytes, unseen;
};

/* Frees the owned name (the struct itself is the caller's). */
void pb_folder_rec_free(struct pb_folder_rec *f);
/* Frees an array from pb_store_folder_list (each record and the array). */
void pb_folder_recs_free(struct pb_folder_rec *folders, size_t n);

/* Creates the user's mailbox: its mailbox record (the per-user folder meta record) with INBOX,
 * Sent, Drafts, Trash and Junk (with their special uses) when missing, in one synced batch;
 * idempotent. now_ms seeds uidvalidity. Only the mailbox owner calls it, when the directory
 * creates the account (MBOX_CREATE_REQ): mail is never appended to a user without a mailbox
 * record, so a deleted user's late delivery cannot bring folders back. Returns 0 / -1. */
int pb_store_folders_init(struct pb_store *s, uint64_t user_id, uint64_t now_ms,
			  const char **error_r);
/* Whether the user has a mailbox record (pb_store_folders_init made it, pb_store_user_purge
 * removes it last). Returns 1 yes, 0 no, -1 error. */
int pb_store_mailbox_exists(struct pb_store *s, uint64_t user_id, const char **error_r);
/* Finds a folder by name (exact bytes, except "INBOX" which matches in any case). Returns 1
 * and fills *f_r (caller frees with pb_folder_rec_free), 0 if absent, -1 error. */
int pb_store_folder_get(struct pb_store *s, uint64_t user_id, const char *name,
			struct pb_folder_rec *f_r, const char **error_r);
/* Same by id. Returns 1 / 0 / -1. */
int pb_store_folder_get_by_id(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			      struct pb_folder_rec *f_r, const char **error_r);
/* All folders of the user by id. *folders_r is an array of *n_r records (NULL when 0);
 * free with pb_folder_recs_free. Returns 0 / -1. */
int pb_store_folder_list(struct pb_store *s, uint64_t user_id, struct pb_folder_rec **folders_r,
			 size_t *n_r, const char **error_r);
/* Creates a folder (name 1..PB_FOLDER_NAME_MAX bytes, no NUL; the hierarchy rules are the
 * caller's). Returns 0 created, 1 a folder of that name exists already (either way *f_r is
 * filled if f_r is not NULL; caller frees), -1 error. Synced. */
int pb_store_folder_create(struct pb_store *s, uint64_t user_id, const char *name,
			   uint32_t special_use, uint64_t now_ms, struct pb_folder_rec *f_r,
			   const char **error_r);
/* Renames a folder. Fails if new_name exists. Synced. Returns 1 renamed, 0 no such folder,
 * -1 error (IMAP's special "RENAME INBOX" is the caller's business). */
int pb_store_folder_rename(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			   const char *new_name, const char **error_r);
/* Deletes a folder with all its messages (body references dropped). Messages go in synced
 * batches of up to a few thousand (each batch consistent: records, counters, references);
 * the folder record goes last. Returns 1 deleted, 0 no such folder, -1 error. */
int pb_store_folder_delete(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			   const char **error_r);

/* Renames a folder and its inferiors (every folder named old_name + "/" + rest becomes
 * new_name + "/" + rest) in ONE synced batch; fails (-1) if any new name is taken. Returns 1
 * renamed, 0 no such folder, -1 error. */
int pb_store_folder_rename_tree(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
				const char *new_name, const char **error_r);

/* ---- Subscriptions of one user (IMAP SUBSCRIBE; single writer per user) ------------------ */

#define PB_SUBS_MAX 4096 /* subscribed names per user */

/* Subscribes (on) or unsubscribes a name (1..PB_FOLDER_NAME_MAX bytes; need not be a folder;
 * INBOX in any case is "INBOX"). Idempotent; synced. Returns 0 / -1 (also past PB_SUBS_MAX). */
int pb_store_subs_set(struct pb_store *s, uint64_t user_id, const char *name, bool on,
		      const char **error_r);
/* The subscribed names in the order subscribed: *names_r an array of *n_r owned strings (NULL
 * when 0; free with pb_strs_free). Returns 0 / -1. */
int pb_store_subs_list(struct pb_store *s, uint64_t user_id, char ***names_r, size_t *n_r,
		       const char **error_r);
void pb_strs_free(char **v, size_t n);

/* ---- Messages of one user (single writer per user) ---------------------------------------- */

/* System flag bits of struct pb_msg_rec.flags. */
enum {
	PB_MSG_SEEN = 1u << 0,
	PB_MSG_ANSWERED = 1u << 1,
	PB_MSG_FLAGGED = 1u << 2,
	PB_MSG_DELETED = 1u << 3,
	PB_MSG_DRAFT = 1u << 4,
};
/* Modes of pb_store_msg_set_flags. */
enum { PB_FLAGS_SET = 0, PB_FLAGS_ADD = 1, PB_FLAGS_REMOVE = 2 };

#define PB_KEYWORDS_MAX 4096 /* bytes of the space-separated keyword list */
#define PB_DEDUPE_KEY_MAX 256
#define PB_MSG_SORT_KEY_LEN 40 /* octets of a sort key, its NUL included */

/* A message. keywords is owned (space-separated, or NULL for none). sort_from and
 * sort_subject are webmail's sort keys of the From and Subject fields (folded by the mailbox
 * owner, mailbox-sortidx.h: the store keeps them as given), set at delivery/APPEND and carried
 * by COPY/MOVE and every rewrite of the record; has_sort_keys false for a record written
 * before they existed (record v1: the keys are "", the caller reads them from the body). */
struct pb_msg_rec {
	uint32_t uid;
	uint32_t flags;
	char *keywords;
	int64_t internal_date_ms;
	uint64_t size;
	uint64_t modseq;
	char blob_key[PB_BLOB_KEY_LEN + 1];
	bool has_sort_keys;
	char sort_from[PB_MSG_SORT_KEY_LEN], sort_subject[PB_MSG_SORT_KEY_LEN];
};

/* Appends a message in ONE synced batch: the record (uid = the folder's uidnext), the folder
 * counters (uidnext+1, highestmodseq+1, messages, bytes, unseen), the body reference (+1), and,
 * when dedupe_key is not NULL (1..PB_DEDUPE_KEY_MAX bytes), a dedupe record for the user.
 * rec: in flags, keywords, internal_date_ms, size, blob_key; out uid and modseq.
 * Returns 0 appended; 1 the dedupe key was seen before for this user: nothing is written and
 * rec->uid is the earlier uid (rec->modseq its modseq, 0 if expunged since); -1 error (also
 * when the folder or the body does not exist). */
int pb_store_msg_append(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			struct pb_msg_rec *rec, const char *dedupe_key, const char **error_r);
/* Appends recs[0..n) (as pb_store_msg_append's rec, no dedupe) to the folder in ONE synced
 * batch, with consecutive uids: all of them or none (IMAP MULTIAPPEND, RFC 3502). 0 / -1. */
int pb_store_msg_append_batch(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			      struct pb_msg_rec *recs, size_t n, const char **error_r);
/* pb_store_msg_append, with the WAL fsync optional. sync=false is for a delivery whose
 * durability rests on an earlier synced record that is removed only after this write (the
 * spool entry): RocksDB recovers the WAL as a prefix (point-in-time recovery), so if the later
 * removal survives a crash this append survives too, and if it does not, the entry is delivered
 * again and the dedupe key makes the replay exact. Never for a write acknowledged to a
 * client by itself. */
int pb_store_msg_append_ex(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			   struct pb_msg_rec *rec, const char *dedupe_key, bool sync,
			   const char **error_r);
/* All messages of a folder by uid. *recs_r is an array of *n_r (NULL when 0); free with
 * pb_msg_recs_free. Returns 0 / -1. */
int pb_store_msg_list(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
		      struct pb_msg_rec **recs_r, size_t *n_r, const char **error_r);
/* Which messages pb_store_msg_list_range lists: uid in uid_first..uid_last (uid_last 0: no
 * end), modseq > changed_since (0: every one), at most max of them, looking at no more than
 * max_scan messages of the range (0: no bound; it bounds the work of a changed_since query). */
struct pb_msg_list_range {
	uint32_t uid_first, uid_last;
	uint64_t changed_since;
	size_t max, max_scan;
};
/* The messages of a folder that q selects, by uid, read with one ranged iteration from
 * uid_first. *recs_r is an array of *n_r (NULL when 0; free with pb_msg_recs_free).
 * *next_uid_r: 0 when the range was listed to its end; else the uid to list from next (max
 * or max_scan reached; with changed_since, a page may then hold fewer than max, even none).
 * Returns 0 / -1. */
int pb_store_msg_list_range(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			    const struct pb_msg_list_range *q, struct pb_msg_rec **recs_r,
			    size_t *n_r, uint32_t *next_uid_r, const char **error_r);
/* One message. Returns 1 and fills *rec_r (caller frees with pb_msg_rec_free), 0 absent,
 * -1 error. */
int pb_store_msg_get(struct pb_store *s, uint64_t user_id, uint32_t folder_id, uint32_t uid,
		     struct pb_msg_rec *rec_r, const char **error_r);
/* Frees one record's owned strings (the struct itself is the caller's). */
void pb_msg_rec_free(struct pb_msg_rec *rec);
/* Frees an array of n records and the array. */
void pb_msg_recs_free(struct pb_msg_rec *recs, size_t n);
/* Changes system flags of the given uids in one synced batch (mode PB_FLAGS_SET / _ADD /
 * _REMOVE). Messages whose flags change all get the same new modseq (highestmodseq+1), which
 * is written to *modseq_r (may be NULL); when nothing changes nothing is written and
 * *modseq_r is the folder's highestmodseq. Unknown uids are skipped. Returns 0 / -1. */
int pb_store_msg_set_flags(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			   const uint32_t *uids, size_t n, int mode, uint32_t flags,
			   uint64_t *modseq_r, const char **error_r);
/* Replaces the keywords of one message (NULL or "" for none). Synced; gives the message a new
 * modseq (*modseq_r, may be NULL). Returns 1 done, 0 no such message, -1 error. */
int pb_store_msg_set_keywords(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			      uint32_t uid, const char *keywords, uint64_t *modseq_r,
			      const char **error_r);
/* Removes the given uids in one atomic synced batch: records, folder counters (messages,
 * bytes, unseen, highestmodseq+1) and body references (-1 each). Unknown uids are skipped.
 * Returns 0 / -1. */
int pb_store_msg_expunge(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			 const uint32_t *uids, size_t n, const char **error_r);
/* Which messages pb_store_msg_expunge_sel removes: uids (n of them; ignored when all), or the
 * whole folder (all); with deleted_only, only those flagged PB_MSG_DELETED (IMAP EXPUNGE and
 * UID EXPUNGE). */
struct pb_expunge_sel {
	const uint32_t *uids;
	size_t n;
	bool all, deleted_only;
};
/* What was removed: uids ascending (owned, NULL when n is 0) and the folder's highestmodseq
 * after it. */
struct pb_expunged {
	uint32_t *uids;
	size_t n;
	uint64_t highestmodseq;
};
void pb_expunged_free(struct pb_expunged *e);
/* Removes the selected messages in one atomic synced batch, like pb_store_msg_expunge, and says
 * which. Returns 0 with *out_r (caller frees) / -1. */
int pb_store_msg_expunge_sel(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			     const struct pb_expunge_sel *sel, struct pb_expunged *out_r,
			     const char **error_r);

/* What a copy or move did: the destination's uidvalidity; src_uids[i] (ascending) got
 * dst_uids[i] (owned arrays of n, NULL when 0); the folders' highestmodseq after it (src's
 * unchanged by a copy). */
struct pb_msg_copied {
	uint32_t uidvalidity;
	uint32_t *src_uids, *dst_uids;
	size_t n;
	uint64_t src_modseq, dst_modseq;
};
void pb_msg_copied_free(struct pb_msg_copied *c);
/* Copies (move false) or moves the given uids of folder src_id into dst_id in ONE synced batch:
 * new records in dst (uids from its uidnext, in ascending source uid order; flags, keywords,
 * internal date and size kept; one new modseq), a body reference +1 per copy (no body is
 * copied); for a move also the source records removed (reference -1 each) with the source's
 * counters. Unknown uids are skipped. A move needs src_id != dst_id. Returns 0 with *out_r
 * (caller frees) / -1. */
int pb_store_msg_copy(struct pb_store *s, uint64_t user_id, uint32_t src_id, uint32_t dst_id,
		      const uint32_t *uids, size_t n, bool move, struct pb_msg_copied *out_r,
		      const char **error_r);

/* A flags and keywords change (IMAP STORE): mode PB_FLAGS_*, applied to the system flags and
 * to the keywords (a space-separated list, "" or NULL: none; compared in any case); messages
 * whose modseq is above unchanged_since (0: no test; CONDSTORE) are left alone. */
struct pb_flag_store {
	int mode;
	uint32_t flags;
	const char *keywords;
	uint64_t unchanged_since;
	bool keep_keywords; /* the keywords are left as they are (a system flags change) */
};
/* The result: every message of the uids that exists and passed the test, after the change
 * (recs, owned), changed[i] whether recs[i] changed (all changed ones share the new modseq);
 * modified the uids that failed the unchanged_since test; the folder's highestmodseq after. */
struct pb_flag_stored {
	struct pb_msg_rec *recs;
	bool *changed;
	size_t n;
	uint32_t *modified;
	size_t n_modified;
	uint64_t highestmodseq;
};
void pb_flag_stored_free(struct pb_flag_stored *r);
/* Applies st to the uids in one synced batch (nothing is written when nothing changes).
 * Returns 0 with *out_r (caller frees) / -1 (also when a keyword list would exceed
 * PB_KEYWORDS_MAX). */
int pb_store_msg_store(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
		       const uint32_t *uids, size_t n, const struct pb_flag_store *st,
		       struct pb_flag_stored *out_r, const char **error_r);

/* Forgets dedupe records of the user older than before_ms (by the internal date of the
 * message they produced). Returns 0 with *removed_r (may be NULL), or -1. */
int pb_store_dedupe_prune(struct pb_store *s, uint64_t user_id, int64_t before_ms,
			  uint64_t *removed_r, const char **error_r);

/* Removes all folders, messages and dedupe records of the user, dropping body references, in
 * synced batches (each consistent; rerun after a crash to finish), the mailbox record last.
 * The account record is not touched. Returns 0 / -1. */
int pb_store_user_purge(struct pb_store *s, uint64_t user_id, const char **error_r);
/* Calls cb once for every user id that has folders, in id order (for sweeping the mail of
 * accounts that no longer exist); cb returns nonzero to stop. Returns 0 / -1. */
int pb_store_mailbox_owners(struct pb_store *s, int (*cb)(uint64_t user_id, void *ctx), void *ctx,
			    const char **error_r);
/* Messages in the INBOX (special use) and bytes over all folders (for quotas); both 0 for a
 * user without folders. 0 / -1. */
int pb_store_user_stats(struct pb_store *s, uint64_t user_id, uint64_t *inbox_messages_r,
			uint64_t *total_bytes_r, const char **error_r);

/* A user's quota record (store-quota.c), written only by the user's mailbox owner: its copy of
 * the account's quota (has_limit false: the account has none of its own, quota.default_mb
 * applies; limit_mb 0: no quota) and the warning level last crossed (0: none; the owner's
 * numbering). Absent: all zero. */
struct pb_quota_rec {
	bool has_limit;
	uint64_t limit_mb;
	uint8_t level;
	uint32_t remind_day; /* the last day (since the epoch, local time) of a daily reminder; 0 none */
};
/* Reads the record into *q_r (zeroed when absent). 0 / -1. */
int pb_store_quota_get(struct pb_store *s, uint64_t user_id, struct pb_quota_rec *q_r,
		       const char **error_r);
/* Writes it, synced. 0 / -1. */
int pb_store_quota_put(struct pb_store *s, uint64_t user_id, const struct pb_quota_rec *q,
		       const char **error_r);
/* Writes it with the quota notices it decides (n markers, store-db.h pb_gen_mark, kinds
 * PB_GEN_QUOTA_*; their user_id and seq are set here) in ONE synced write: the spool shard of
 * the user makes each a SYSTEM spool entry (store-spool.h pb_store_gen_made), so the notice
 * and the level or day that decided it are durable together. 0 / -1. */
int pb_store_quota_put_marked(struct pb_store *s, uint64_t user_id, const struct pb_quota_rec *q,
			      struct pb_gen_mark *marks, size_t n, const char **error_r);

#endif
