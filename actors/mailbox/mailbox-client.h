/*
 * mailbox-client.h: typed calls to the mailbox owners (MSG_MBOX_*; see mailbox-actor.h) — the
 * only way other modules read or change a user's mail. Every call names the user by id; the
 * runtime routes it to the shard that owns that user.
 *
 * Conventions (pb-client.h):
 *  - mailbox_client_X(struct pb_sync *t, IN..., uint32_t *code_r, OUT_r..., error_r): 0 the
 *    owner answered (*code_r; OUT_r the caller's, only on PB_OK; else *error_r its reason, kept
 *    in t until the next call), -1 no answer (*error_r static).
 *  - mailbox_client_X_send(const struct pb_sender *s, IN..., error_r): 0 sent / -1 not.
 *  - mailbox_client_X_reply(struct pb_msg *rep, OUT_r..., error_r): the pb_status of the
 *    answer (its REP or CORE_STATUS_REP); OUT_r moved out of rep on PB_OK; *error_r points
 *    into rep. NOTFOUND: no such user or folder.
 * folder NULL or "" means INBOX. Strings and arrays passed in are borrowed (copied).
 * THREAD: the caller's.
 */
#ifndef MAILBOX_CLIENT_H
#define MAILBOX_CLIENT_H

#include "pb-client.h"

/* What to append (MBOX_APPEND_REQ); the body is already in the store under blob_key. */
struct mailbox_append {
	const char *folder;
	uint32_t flags;
	const char *keywords; /* space-separated, or NULL */
	int64_t internal_date_ms;
	uint64_t size;
	const char *blob_key;
	const char *dedupe_key; /* NULL/"": none; else a second append with it writes nothing */
	bool lazy;              /* need not be synced: see pb_store_msg_append_ex */
	bool create;            /* create folder (and its superiors) when missing, else NOTFOUND */
};
struct mailbox_appended {
	uint32_t uidvalidity, uid;
	uint64_t modseq;
};
int mailbox_client_append(struct pb_sync *t, uint64_t user_id, const struct mailbox_append *in,
			  uint32_t *code_r, struct mailbox_appended *out_r, const char **error_r);
int mailbox_client_append_send(const struct pb_sender *s, uint64_t user_id,
			       const struct mailbox_append *in, const char **error_r);
uint32_t mailbox_client_append_reply(struct pb_msg *rep, struct mailbox_appended *out_r,
				     const char **error_r);

/* Listing is paged: no reply carries more than MAILBOX_LIST_MAX entries. */
#define MAILBOX_LIST_MAX 4096
/* Which messages to list (MBOX_LIST_REQ): uid in uid_first..uid_last (uid_last 0: to the
 * end), modseq > changed_since (0: all), at most limit (0 or more than MAILBOX_LIST_MAX: that
 * cap). A zeroed query (folder NULL: INBOX) asks for the first page of the whole folder. */
struct mailbox_list_query {
	const char *folder;
	uint32_t uid_first, uid_last;
	uint64_t changed_since;
	uint32_t limit;
};
/* A folder's messages in UID order: entries.v[i] = { uid, size, flags, modseq,
 * internal_date_ms, blob_key, keywords }, entries.n of them, and where the listing stopped: next_uid 0
 * when the range was listed to its end, else the uid_first of the next page (a page may hold
 * fewer than limit entries, even none, when changed_since skips many: loop on next_uid).
 * Paging: query.uid_first = list.next_uid and send again until next_uid is 0; the decoder
 * appends each page's entries to list_r, so one struct mailbox_list gathers all pages. */
struct mailbox_list {
	uint32_t uidvalidity, uidnext;
	uint64_t highestmodseq;
	struct pb_rec_mbox_entry_list entries;
	uint32_t next_uid;
};
void mailbox_list_free(struct mailbox_list *l);
/* One page (q NULL: the first page of INBOX). */
int mailbox_client_list(struct pb_sync *t, uint64_t user_id, const struct mailbox_list_query *q,
			uint32_t *code_r, struct mailbox_list *list_r, const char **error_r);
/* Every page of q's selection gathered in list_r (next_uid 0), page by page. */
int mailbox_client_list_all(struct pb_sync *t, uint64_t user_id,
			    const struct mailbox_list_query *q, uint32_t *code_r,
			    struct mailbox_list *list_r, const char **error_r);
int mailbox_client_list_send(const struct pb_sender *s, uint64_t user_id,
			     const struct mailbox_list_query *q, const char **error_r);
/* On PB_OK: the page's entries appended to list_r->entries (list_r zeroed before the first
 * page), the folder's counters and next_uid set. */
uint32_t mailbox_client_list_reply(struct pb_msg *rep, struct mailbox_list *list_r,
				   const char **error_r);

/* Sets, adds or removes (mode: PB_FLAGS_* of store-mail.h) flags on uids; *modseq_r the new
 * modseq. */
int mailbox_client_flags(struct pb_sync *t, uint64_t user_id, const char *folder,
			 const uint64_t *uids, uint32_t n, uint32_t mode, uint32_t flags,
			 uint32_t *code_r, uint64_t *modseq_r, const char **error_r);
int mailbox_client_flags_send(const struct pb_sender *s, uint64_t user_id, const char *folder,
			      const uint64_t *uids, uint32_t n, uint32_t mode, uint32_t flags,
			      const char **error_r);
uint32_t mailbox_client_flags_reply(struct pb_msg *rep, uint64_t *modseq_r, const char **error_r);

/* Removes the messages uids from the folder in one atomic write. */
int mailbox_client_expunge(struct pb_sync *t, uint64_t user_id, const char *folder,
			   const uint64_t *uids, uint32_t n, uint32_t *code_r, const char **error_r);
int mailbox_client_expunge_send(const struct pb_sender *s, uint64_t user_id, const char *folder,
				const uint64_t *uids, uint32_t n, const char **error_r);
uint32_t mailbox_client_expunge_reply(struct pb_msg *rep, const char **error_r);

/* Removes all of a user's mail, folders and its mailbox record (account deletion; mail of
 * accounts gone): appends for the user are refused from then on. */
int mailbox_client_purge(struct pb_sync *t, uint64_t user_id, uint32_t *code_r,
			 const char **error_r);
int mailbox_client_purge_send(const struct pb_sender *s, uint64_t user_id, const char **error_r);
uint32_t mailbox_client_purge_reply(struct pb_msg *rep, const char **error_r);

/* Registers (on) or removes the address watcher for MBOX_CHANGED_EVT of the user. */
int mailbox_client_watch(struct pb_sync *t, uint64_t user_id, const char *watcher, bool on,
			 uint32_t *code_r, const char **error_r);
int mailbox_client_watch_send(const struct pb_sender *s, uint64_t user_id, const char *watcher,
			      bool on, const char **error_r);
uint32_t mailbox_client_watch_reply(struct pb_msg *rep, const char **error_r);

/* Takes (on) or releases the user's maildrop lock for holder (a session's address), for ttl_ms
 * (0: one hour). Taking: EXISTS when another live holder has it; releasing another's: NOTFOUND. */
int mailbox_client_lock(struct pb_sync *t, uint64_t user_id, const char *holder, bool on,
			uint64_t ttl_ms, uint32_t *code_r, const char **error_r);
int mailbox_client_lock_send(const struct pb_sender *s, uint64_t user_id, const char *holder,
			     bool on, uint64_t ttl_ms, const char **error_r);
uint32_t mailbox_client_lock_reply(struct pb_msg *rep, const char **error_r);

/* Creates the user's mailbox (the directory, when it creates the account; maint, repairing an
 * account left without one). Idempotent. */
int mailbox_client_create(struct pb_sync *t, uint64_t user_id, uint32_t *code_r,
			  const char **error_r);
int mailbox_client_create_send(const struct pb_sender *s, uint64_t user_id, const char **error_r);
uint32_t mailbox_client_create_reply(struct pb_msg *rep, const char **error_r);

/* The user's mail statistics (MBOX_STAT_REQ): INBOX messages, bytes over all folders, whether
 * the user has a mailbox at all; the quota in effect in bytes (0: none) and whether usage is
 * past quota.block_send_percent (SMTP AUTH may not send). */
struct mailbox_stat {
	uint64_t messages, bytes, quota_bytes;
	bool exists, blocked;
};
int mailbox_client_stat(struct pb_sync *t, uint64_t user_id, uint32_t *code_r,
			struct mailbox_stat *stat_r, const char **error_r);
int mailbox_client_stat_send(const struct pb_sender *s, uint64_t user_id, const char **error_r);
uint32_t mailbox_client_stat_reply(struct pb_msg *rep, struct mailbox_stat *stat_r,
				   const char **error_r);

/* ==== What IMAP needs (messages of msg-types.def after MBOX_STAT) ==== */

/* Folders (MBOX_FOLDERS_REQ): every folder and then every subscribed name that is no folder
 * (name NULL or ""), or the one folder name (IMAP STATUS; NOTFOUND if none). Each entry:
 * { id (0: a subscribed name only), name, special_use (enum pb_special_use of store-mail.h:
 * 1 INBOX, 2 Sent, 3 Drafts, 4 Trash, 5 Junk, 6 Archive), subscribed, children (it has inferiors),
 * messages, uidnext, uidvalidity, unseen, highestmodseq, size (bytes) }; RECENT is always 0.
 * On PB_OK *folders_r is the caller's (pb_rec_mbox_folder_list_clear). */
int mailbox_client_folders(struct pb_sync *t, uint64_t user_id, const char *name,
			   uint32_t *code_r, struct pb_rec_mbox_folder_list *folders_r,
			   const char **error_r);
int mailbox_client_folders_send(const struct pb_sender *s, uint64_t user_id, const char *name,
				const char **error_r);
/* The same with each folder's deleted (messages with \Deleted) counted: the owner reads every
 * message of the folders listed, so only for STATUS / LIST-STATUS asking DELETED. */
int mailbox_client_folders_deleted_send(const struct pb_sender *s, uint64_t user_id,
					const char *name, const char **error_r);
uint32_t mailbox_client_folders_reply(struct pb_msg *rep, struct pb_rec_mbox_folder_list *folders_r,
				      const char **error_r);

/* Folder operations (MBOX_FOLDER_REQ), answered with a status. Names: the caller's validated
 * UTF-8, hierarchy separator "/", exact bytes except INBOX (any case).
 *  CREATE name: makes the missing superiors too; a trailing "/" is dropped. EXISTS if there.
 *    With a special use (mailbox_client_special_create_send): REFUSED if no folder may have it.
 *  DELETE name: REFUSED for INBOX and for a folder with inferiors (no \Noselect folders);
 *    the folder's watchers get MAILBOX_EVT_GONE.
 *  RENAME name new_name: the inferiors move too; EXISTS if new_name is taken; INBOX: its
 *    messages move to a new folder new_name and INBOX stays, empty (watchers of INBOX see
 *    them expunged).
 *  SUBSCRIBE / UNSUBSCRIBE name: persisted; the name need not be a folder. */
enum mailbox_folder_op {
	MAILBOX_FOLDER_CREATE = 1,
	MAILBOX_FOLDER_DELETE = 2,
	MAILBOX_FOLDER_RENAME = 3,
	MAILBOX_FOLDER_SUBSCRIBE = 4,
	MAILBOX_FOLDER_UNSUBSCRIBE = 5,
};
int mailbox_client_folder(struct pb_sync *t, uint64_t user_id, uint32_t op, const char *name,
			  const char *new_name, uint32_t *code_r, const char **error_r);
int mailbox_client_folder_send(const struct pb_sender *s, uint64_t user_id, uint32_t op,
			       const char *name, const char *new_name, const char **error_r);
/* CREATE with a special use (RFC 6154 CREATE-SPECIAL-USE; enum pb_special_use of
 * store-mail.h, Sent..Archive): REFUSED also when the use is unknown or a folder has it
 * already (the caller's USEATTR). Answered as mailbox_client_folder_reply. */
int mailbox_client_special_create_send(const struct pb_sender *s, uint64_t user_id,
				       const char *name, uint32_t special_use,
				       const char **error_r);
uint32_t mailbox_client_folder_reply(struct pb_msg *rep, const char **error_r);

/* COPY (move false) or MOVE of uids from folder to dest in one synced batch (MOVE: the source
 * records go in the same batch). For UIDPLUS: COPYUID uidvalidity src_uids dst_uids (the uids
 * that existed, ascending, and the uids they got, in order). Bodies are shared, not copied.
 * NOTFOUND: no such folder or dest (IMAP [TRYCREATE]); REFUSED: a move into its own folder. */
struct mailbox_copied {
	uint32_t uidvalidity;
	struct pb_u64v src_uids, dst_uids;
	uint64_t src_modseq, dst_modseq; /* the folders' highestmodseq after it */
};
void mailbox_copied_free(struct mailbox_copied *c);
int mailbox_client_copy(struct pb_sync *t, uint64_t user_id, const char *folder,
			const char *dest, const uint64_t *uids, uint32_t n, bool move,
			uint32_t *code_r, struct mailbox_copied *out_r, const char **error_r);
int mailbox_client_copy_send(const struct pb_sender *s, uint64_t user_id, const char *folder,
			     const char *dest, const uint64_t *uids, uint32_t n, bool move,
			     const char **error_r);
uint32_t mailbox_client_copy_reply(struct pb_msg *rep, struct mailbox_copied *out_r,
				   const char **error_r);

/* EXPUNGE (uids NULL / n 0 with all true) or UID EXPUNGE (all false: only those of uids) of the
 * messages flagged \Deleted, in one synced batch: *uids_r the expunged uids ascending (the
 * caller's), *highestmodseq_r the folder's after it. */
int mailbox_client_expunge_deleted(struct pb_sync *t, uint64_t user_id, const char *folder,
				   bool all, const uint64_t *uids, uint32_t n, uint32_t *code_r,
				   struct pb_u64v *uids_r, uint64_t *highestmodseq_r,
				   const char **error_r);
int mailbox_client_expunge_deleted_send(const struct pb_sender *s, uint64_t user_id,
					const char *folder, bool all, const uint64_t *uids,
					uint32_t n, const char **error_r);
uint32_t mailbox_client_expunge_deleted_reply(struct pb_msg *rep, struct pb_u64v *uids_r,
					      uint64_t *highestmodseq_r, const char **error_r);

/* STORE: mode PB_FLAGS_{SET,ADD,REMOVE} (store-mail.h: 0, 1, 2) of the system flags (PB_MSG_*
 * bits: 1 \Seen, 2 \Answered, 4 \Flagged, 8 \Deleted, 16 \Draft) and of keywords (space-
 * separated, "" none; compared in any case); unchanged_since 0: no test, else CONDSTORE
 * UNCHANGEDSINCE. */
struct mailbox_store {
	const char *folder;
	const uint64_t *uids;
	uint32_t n;
	uint32_t mode, flags;
	const char *keywords;
	uint64_t unchanged_since;
};
/* The answer: messages = each existing uid that passed the test, after the change ({ uid, flags,
 * keywords, modseq, changed }: send FETCH FLAGS for them; changed 0 = it already was so);
 * modified = the uids that failed UNCHANGEDSINCE ([MODIFIED]); the folder's highestmodseq. */
struct mailbox_stored {
	struct pb_rec_mbox_flagged_list messages;
	struct pb_u64v modified;
	uint64_t highestmodseq;
};
void mailbox_stored_free(struct mailbox_stored *r);
int mailbox_client_store(struct pb_sync *t, uint64_t user_id, const struct mailbox_store *in,
			 uint32_t *code_r, struct mailbox_stored *out_r, const char **error_r);
int mailbox_client_store_send(const struct pb_sender *s, uint64_t user_id,
			      const struct mailbox_store *in, const char **error_r);
uint32_t mailbox_client_store_reply(struct pb_msg *rep, struct mailbox_stored *out_r,
				    const char **error_r);

/* Watching one folder (SELECT/EXAMINE; on false at CLOSE/UNSELECT/logout). A watcher (the
 * session's address, "hub#id") watches one folder at a time: a new watch replaces its old one.
 * The answer is the folder's state when the watch began; every later change comes to watcher
 * as MBOX_FOLDER_EVT { user_id, folder_id, folder, what, seq, modseq (the folder's
 * highestmodseq after the change), uidnext, uids, flags }, what one of: */
enum mailbox_event {
	MAILBOX_EVT_APPENDED = 1, /* uids are new (EXISTS); uidnext after them */
	MAILBOX_EVT_EXPUNGED = 2, /* uids are gone (EXPUNGE), ascending */
	MAILBOX_EVT_FLAGS = 3,    /* flags lists { uid, flags, keywords, modseq } (FETCH FLAGS) */
	MAILBOX_EVT_RESYNC = 4,   /* events were lost (the inbox was full): reread the folder */
	MAILBOX_EVT_GONE = 5,     /* the folder was deleted; the watch ended */
};
/* seq numbers the events of one watch from 1 without gaps. */
struct mailbox_watched {
	uint32_t folder_id, uidvalidity, uidnext;
	uint64_t highestmodseq, messages;
};
int mailbox_client_folder_watch(struct pb_sync *t, uint64_t user_id, const char *watcher,
				const char *folder, bool on, uint32_t *code_r,
				struct mailbox_watched *out_r, const char **error_r);
int mailbox_client_folder_watch_send(const struct pb_sender *s, uint64_t user_id,
				     const char *watcher, const char *folder, bool on,
				     const char **error_r);
/* On PB_OK with on false *out_r is zeroed. */
uint32_t mailbox_client_folder_watch_reply(struct pb_msg *rep, struct mailbox_watched *out_r,
					   const char **error_r);

/* APPEND's body: begin with the literal's size (REFUSED "too big" past limit, 0: only the
 * owner's 1 GiB cap; TEMP: too many uploads), send chunks of 1..PB_CHUNK_MAX bytes in order
 * (offset = bytes sent before), then commit one or several uploads (MULTIAPPEND) into a folder
 * (in[0].folder), each with its flags, keywords and internal date (0: now), in one store batch:
 * all appended, with consecutive uids (APPENDUID uidvalidity uid-set), or none. A commit
 * consumes every upload it names whatever the answer: NOTFOUND a missing folder
 * ([TRYCREATE]) or upload, OVERQUOTA past the user's quota, REFUSED an upload incomplete.
 * Abort drops an upload; one idle for 5 minutes is dropped too. */
int mailbox_client_upload_begin(struct pb_sync *t, uint64_t user_id, uint64_t size,
				uint64_t limit, uint32_t *code_r, uint64_t *upload_id_r,
				const char **error_r);
int mailbox_client_upload_begin_send(const struct pb_sender *s, uint64_t user_id, uint64_t size,
				     uint64_t limit, const char **error_r);
uint32_t mailbox_client_upload_begin_reply(struct pb_msg *rep, uint64_t *upload_id_r,
					   const char **error_r);
int mailbox_client_upload_chunk(struct pb_sync *t, uint64_t user_id, uint64_t upload_id,
				uint64_t offset, const void *data, size_t len, uint32_t *code_r,
				const char **error_r);
int mailbox_client_upload_chunk_send(const struct pb_sender *s, uint64_t user_id,
				     uint64_t upload_id, uint64_t offset, const void *data,
				     size_t len, const char **error_r);
uint32_t mailbox_client_upload_chunk_reply(struct pb_msg *rep, const char **error_r);
struct mailbox_upload_commit {
	uint64_t upload_id;
	const char *folder;
	uint32_t flags;
	const char *keywords;
	int64_t internal_date_ms;
};
int mailbox_client_upload_commit(struct pb_sync *t, uint64_t user_id,
				 const struct mailbox_upload_commit *in, uint32_t *code_r,
				 struct mailbox_appended *out_r, const char **error_r);
int mailbox_client_upload_commit_send(const struct pb_sender *s, uint64_t user_id,
				      const struct mailbox_upload_commit *in, size_t n,
				      const char **error_r);
/* The commit's answer (MBOX_UPLOAD_COMMIT_REP): out_r the uidvalidity, the last uid and the
 * modseq; uids_r (may be NULL; the caller's, empty) every uid in order, for APPENDUID. */
uint32_t mailbox_client_upload_commit_reply(struct pb_msg *rep, struct mailbox_appended *out_r,
					    struct pb_u64v *uids_r, const char **error_r);
int mailbox_client_upload_abort(struct pb_sync *t, uint64_t user_id, uint64_t upload_id,
				uint32_t *code_r, const char **error_r);
int mailbox_client_upload_abort_send(const struct pb_sender *s, uint64_t user_id,
				     uint64_t upload_id, const char **error_r);
uint32_t mailbox_client_upload_abort_reply(struct pb_msg *rep, const char **error_r);

/* Quota (admin guide 4.8, mailbox-quota.c): MBOX_QUOTA_SET_REQ gives the owner the account's
 * quota_mb as the directory holds it (has_limit false: none of its own, quota.default_mb
 * applies; limit_mb 0: no quota); the owner keeps it durably and answers with a status. The
 * quota in effect and the usage come back in mailbox_client_stat. An APPEND (upload commit) or
 * COPY that would take the usage past the quota is answered PB_ERR_OVERQUOTA, changing nothing;
 * deliveries are never refused for quota. */
int mailbox_client_quota_set_send(const struct pb_sender *s, uint64_t user_id, bool has_limit,
				  uint64_t limit_mb, const char **error_r);
uint32_t mailbox_client_quota_set_reply(struct pb_msg *rep, const char **error_r);
/* MBOX_QUOTA_REMIND_REQ (the maintenance actor's daily job): the user's reminder for `day`
 * (days since the epoch, UTC) if its usage is past the first warning level and it has had
 * none that day (remembered in its quota record: at most one a day, across restarts).
 * Answered PB_OK whether a reminder went or not. */
int mailbox_client_quota_remind(struct pb_sync *t, uint64_t user_id, uint32_t day,
				uint32_t *code_r, const char **error_r);

/* ==== Webmail's list (MBOX_PAGE_REQ, mailbox-page.c) ==== */

/* A page of a folder in one order after a cursor. ARRIVAL is uid order (the order of delivery,
 * webmail's "date"): the owner lists just the page's uid range, ascending or backwards. SIZE,
 * FROM and SUBJECT pages come from a sort index the owner builds on first use and keeps per
 * folder (see mailbox-sortidx.h: what it costs, how it stays current). FROM's key is the first
 * From address's decoded display name, else its addr-spec; SUBJECT's the decoded subject; both
 * ASCII case-folded and cut to MAILBOX_SORT_KEY_LEN - 1 octets. */
enum mailbox_page_sort {
	MAILBOX_SORT_ARRIVAL = 1,
	MAILBOX_SORT_SIZE = 2,
	MAILBOX_SORT_FROM = 3,
	MAILBOX_SORT_SUBJECT = 4,
};
#define MAILBOX_PAGE_MAX 200
/* has_cursor false: the first page; else the page starts after the message (after_num,
 * after_key, after_uid) in that order, whether or not that message is still there (after_num:
 * SIZE's size; after_key: FROM/SUBJECT's key as a page's last_key gave it). limit 1..
 * MAILBOX_PAGE_MAX (else REFUSED). */
struct mailbox_page_query {
	const char *folder;
	uint32_t sort;
	bool desc, has_cursor;
	uint32_t after_uid;
	uint64_t after_num;
	const char *after_key;
	uint32_t limit;
};
/* The answer: the folder's message count, the page's entries in order, the last entry's key
 * (last_num, last_key; the caller's cursor with its uid) and whether a message follows. Or
 * building (no entries): the owner built the folder's sort index one slice
 * (MAILBOX_SORT_SLICE messages) further, to keep its shard answering others: send the same
 * query again. */
struct mailbox_page {
	uint64_t messages;
	struct pb_rec_mbox_entry_list entries;
	uint64_t last_num;
	char *last_key;
	bool more, building;
};
#define MAILBOX_SORT_SLICE 2048
void mailbox_page_free(struct mailbox_page *p);
int mailbox_client_page(struct pb_sync *t, uint64_t user_id, const struct mailbox_page_query *q,
			uint32_t *code_r, struct mailbox_page *page_r, const char **error_r);
int mailbox_client_page_send(const struct pb_sender *s, uint64_t user_id,
			     const struct mailbox_page_query *q, const char **error_r);
/* On PB_OK *page_r (zeroed before) gets the answer, moved out of rep. */
uint32_t mailbox_client_page_reply(struct pb_msg *rep, struct mailbox_page *page_r,
				   const char **error_r);

#endif
