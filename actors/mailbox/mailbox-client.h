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
 * internal_date_ms, blob_key }, entries.n of them, and where the listing stopped: next_uid 0
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
 * the user has a mailbox at all. */
struct mailbox_stat {
	uint64_t messages, bytes;
	bool exists;
};
int mailbox_client_stat(struct pb_sync *t, uint64_t user_id, uint32_t *code_r,
			struct mailbox_stat *stat_r, const char **error_r);
int mailbox_client_stat_send(const struct pb_sender *s, uint64_t user_id, const char **error_r);
uint32_t mailbox_client_stat_reply(struct pb_msg *rep, struct mailbox_stat *stat_r,
				   const char **error_r);

#endif
