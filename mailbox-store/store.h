/*
 * store.h: the durable store of a Pillarbox node (users, domains, settings, message bodies,
 * folders and messages), on RocksDB. This header is the whole public API of pb_store; it
 * exposes no RocksDB type. The schema (column families, key and value layouts) is in
 * docs/storage.md.
 *
 * OWNS: the RocksDB database in one directory (one per node).
 * THREAD: a struct pb_store is thread-safe: any thread may call any function at any time.
 * Two extra rules bind callers:
 *  - folders and messages of one user have a single writer (that user's mailbox owner);
 *    the folder and message functions read-modify-write and rely on it;
 *  - pb_store_counter_next has a single writer per counter name (it is also locked inside,
 *    so breaking this costs only speed).
 *
 * DURABILITY: every function that writes returns only after its write is synced (WAL fsync);
 * each write is one atomic batch unless said otherwise. Concurrent writers share fsyncs
 * (RocksDB group commit), so many threads writing at once is the fast way to use it.
 *
 * ERRORS: int-returning operations give 0 (or 1 found / 0 not found) and -1 with *error_r
 * set. error_r strings point into a thread-local buffer that stays valid until the same
 * thread's next pb_store call; copy them to keep them. error_r may be NULL.
 */
#ifndef PB_STORE_H
#define PB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pb_buf;
struct pb_store;

/* ---- Opening ------------------------------------------------------------------------- */

/* Zero-initialise, then set what you need: every field's zero value is the default. */
struct pb_store_options {
	bool create_if_missing;      /* create the database (and its column families) */
	size_t blob_min_size;        /* bodies at least this long go to blob files; 0: 4096 */
	bool no_pipelined_write;     /* benchmarks only: turn RocksDB's pipelined write off */
};

/* Opens (or creates) the store in directory dir. Missing column families are created, so
 * a database from an older version of this code opens. Returns 0 with *store_r, or -1.
 * Only one process may open a directory at a time (RocksDB's LOCK file). */
int pb_store_open(const char *dir, const struct pb_store_options *opts,
		  struct pb_store **store_r, const char **error_r);
/* Flushes memtables and closes cleanly; sets *store to NULL. No call may be in progress. */
void pb_store_close(struct pb_store **store);
/* Sets the free-space reserve pb_store_has_room keeps, in MiB (setting storage.min_free_mb;
 * its default until called). The settings' owner calls it when it publishes. Any thread. */
void pb_store_set_min_free_mb(struct pb_store *s, uint64_t mb);
/* True if len more bytes of new mail fit while the disk keeps its reserve (the last
 * pb_store_set_min_free_mb; no store read). Whoever accepts new data asks first (the spool; SMTP for a declared SIZE): RocksDB must
 * never meet ENOSPC, because after a failed WAL append it stays read-only until reopened (and
 * Debian's build may abort on the next sync). True when the free space cannot be read. */
bool pb_store_has_room(struct pb_store *s, uint64_t len);
/* Approximate on-disk size in bytes: live SST files + blob files + WAL files. */
int pb_store_size(struct pb_store *s, uint64_t *bytes_r, const char **error_r);

/* ---- Users ----------------------------------------------------------------------------- */

#define PB_USER_NAME_MAX 32

/* A user account. The store keys it by name, lowercased (ASCII) by the store; the name must be
 * 1..PB_USER_NAME_MAX bytes (the directory checks the character rules). id is unique and never
 * reused (take it from pb_store_counter_next(s, "user-id", ...)). pw_hash and settings_json
 * may be NULL; both are owned by the record (free with pb_user_rec_free). */
struct pb_user_rec {
	uint64_t id;
	char name[PB_USER_NAME_MAX + 1];
	char *pw_hash;
	uint64_t created_ms;
	char *settings_json;
};

/* Frees the owned strings and sets them to NULL (the struct itself is the caller's). */
void pb_user_rec_free(struct pb_user_rec *u);

/* Looks a user up by name (any case). Returns 1 and fills *u_r (caller frees with
 * pb_user_rec_free), 0 if there is none, -1 on error. */
int pb_store_user_get(struct pb_store *s, const char *name, struct pb_user_rec *u_r,
		      const char **error_r);
/* Same, by id (a secondary index kept in the same batches as the record). */
int pb_store_user_get_by_id(struct pb_store *s, uint64_t id, struct pb_user_rec *u_r,
			    const char **error_r);
/* Creates or replaces the record of u->name (and its id index) in one synced batch. Fails if
 * u->id already belongs to another name, or the name is empty or too long. Returns 0 / -1. */
int pb_store_user_put(struct pb_store *s, const struct pb_user_rec *u, const char **error_r);
/* Renames in one atomic synced batch (the record moves key, its id index follows, the id and
 * so the folders and messages stay). Fails if old_name does not exist or new_name does (a
 * case-only change of the same user is allowed). Returns 0 / -1. */
int pb_store_user_rename(struct pb_store *s, const char *old_name, const char *new_name,
			 const char **error_r);
/* Deletes the account record and its id index only (see pb_store_user_purge for the mail).
 * Returns 1 deleted, 0 absent, -1 error. */
int pb_store_user_delete(struct pb_store *s, const char *name, const char **error_r);
/* Calls cb for every user, sorted by name; the record is only valid during the call. cb
 * returns nonzero to stop (then this returns 0). Returns 0 / -1. */
int pb_store_user_iter(struct pb_store *s, int (*cb)(const struct pb_user_rec *u, void *ctx),
		       void *ctx, const char **error_r);

/* A persistent monotonic counter by name (e.g. "user-id"): the first value is 1. Synced.
 * Returns 0 with *value_r, or -1. Name: 1..128 bytes. */
int pb_store_counter_next(struct pb_store *s, const char *name, uint64_t *value_r,
			  const char **error_r);

/* ---- Local domains (stored lowercased; 1..253 bytes) ------------------------------------- */

/* Adds a domain (idempotent). Returns 0 / -1. */
int pb_store_domain_put(struct pb_store *s, const char *domain, const char **error_r);
/* Returns 1 deleted, 0 absent, -1 error. */
int pb_store_domain_delete(struct pb_store *s, const char *domain, const char **error_r);
/* Returns 1 present, 0 absent, -1 error (any case). */
int pb_store_domain_exists(struct pb_store *s, const char *domain, const char **error_r);
/* Calls cb for every domain in sorted order; cb returns nonzero to stop. Returns 0 / -1. */
int pb_store_domain_iter(struct pb_store *s, int (*cb)(const char *domain, void *ctx),
			 void *ctx, const char **error_r);

/* ---- Settings documents: JSON text by key ("server", "smtp", "lockout", ...) ------------ */

#define PB_SETTING_KEY_MAX 128
#define PB_SETTING_VALUE_MAX (16u * 1024 * 1024)

/* Returns 1 with *json_r (NUL-terminated, caller frees), 0 if unset, -1 on error. */
int pb_store_setting_get(struct pb_store *s, const char *key, char **json_r,
			 const char **error_r);
/* Stores json (not parsed here; the caller validates) under key. Returns 0 / -1. */
int pb_store_setting_put(struct pb_store *s, const char *key, const char *json,
			 const char **error_r);
/* Returns 1 deleted, 0 absent, -1 error. */
int pb_store_setting_delete(struct pb_store *s, const char *key, const char **error_r);

/* ---- Message bodies, content-addressed ---------------------------------------------------- */

#define PB_BLOB_KEY_LEN 64 /* lowercase hex SHA-256 */
/* Bodies are stored (and written by uploads) in chunks of at most this many bytes. */
#define PB_STORE_CHUNK_MAX (1u << 20)

/* Stores a body once, keyed by its SHA-256; writes the hex key to key_r. Idempotent: an
 * existing body is not rewritten. Synced. A new body has reference count 0: take a reference
 * (pb_store_msg_append or pb_store_blob_ref) before the SECOND pb_store_blob_gc run after
 * this call, or the body may be collected. Returns 0 / -1. */
int pb_store_blob_put(struct pb_store *s, const void *data, size_t len,
		      char key_r[PB_BLOB_KEY_LEN + 1], const char **error_r);
/* Appends the whole body to out (it is all in memory: prefer pb_store_blob_read for anything
 * that may be large). Returns 1 found, 0 not found (or key malformed), -1 error. */
int pb_store_blob_get(struct pb_store *s, const char *key, struct pb_buf *out,
		      const char **error_r);
/* Reads up to len bytes of the body from offset into buf (the caller's, len bytes), touching
 * only the chunks the range covers, never the whole body. *n_r gets the bytes read (less than
 * len only at the end of the body; 0 when offset >= size), *size_r the body's size. Returns 1
 * found, 0 unknown body (or malformed key), -1 error (also a body with a missing chunk). */
int pb_store_blob_read(struct pb_store *s, const char *key, uint64_t offset, void *buf,
		       size_t len, size_t *n_r, uint64_t *size_r, const char **error_r);
/* The body's MIME structure, parsed once when the body was stored: appends the bytes of
 * mime_structure_encode to out (decode them with mime_structure_decode). Returns 1 found, 0
 * unknown body, -1 error. */
int pb_store_blob_structure(struct pb_store *s, const char *key, struct pb_buf *out,
			    const char **error_r);
/* Reads the reference count. Returns 1 with *count_r, 0 if the body is unknown, -1. */
int pb_store_blob_refcount(struct pb_store *s, const char *key, int64_t *count_r,
			   const char **error_r);
/* Adds delta references held outside messages (spool and queue entries, later). Fails if
 * delta > 0 and the body does not exist. Synced. Returns 0 / -1. */
int pb_store_blob_ref(struct pb_store *s, const char *key, int64_t delta, const char **error_r);
/* Garbage collection: deletes every body whose count is <= 0 and that was not put since the
 * previous pb_store_blob_gc call (a persistent GC epoch; see docs/storage.md). Safe to run
 * from any thread while others append. Returns 0 with *deleted_r (may be NULL), or -1. */
int pb_store_blob_gc(struct pb_store *s, uint64_t *deleted_r, const char **error_r);

/* ---- Folders of one user (single writer per user: see the top of this file) ------------ */

#define PB_FOLDER_NAME_MAX 1024

enum pb_special_use {
	PB_SPECIAL_NONE,
	PB_SPECIAL_INBOX,
	PB_SPECIAL_SENT,
	PB_SPECIAL_DRAFTS,
	PB_SPECIAL_TRASH,
	PB_SPECIAL_JUNK,
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

/* Creates INBOX, Sent, Drafts, Trash and Junk (with their special uses) when missing, in one
 * synced batch; idempotent. now_ms seeds uidvalidity. Returns 0 / -1. */
int pb_store_folders_init(struct pb_store *s, uint64_t user_id, uint64_t now_ms,
			  const char **error_r);
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

/* A message. keywords is owned (space-separated, or NULL for none). */
struct pb_msg_rec {
	uint32_t uid;
	uint32_t flags;
	char *keywords;
	int64_t internal_date_ms;
	uint64_t size;
	uint64_t modseq;
	char blob_key[PB_BLOB_KEY_LEN + 1];
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
/* Forgets dedupe records of the user older than before_ms (by the internal date of the
 * message they produced). Returns 0 with *removed_r (may be NULL), or -1. */
int pb_store_dedupe_prune(struct pb_store *s, uint64_t user_id, int64_t before_ms,
			  uint64_t *removed_r, const char **error_r);

/* Removes all folders, messages and dedupe records of the user, dropping body references, in
 * synced batches (each consistent; rerun after a crash to finish). The account record is
 * not touched. Returns 0 / -1. */
int pb_store_user_purge(struct pb_store *s, uint64_t user_id, const char **error_r);
/* Calls cb once for every user id that has folders, in id order (for sweeping the mail of
 * accounts that no longer exist); cb returns nonzero to stop. Returns 0 / -1. */
int pb_store_mailbox_owners(struct pb_store *s, int (*cb)(uint64_t user_id, void *ctx), void *ctx,
			    const char **error_r);
/* Messages in the INBOX (special use) and bytes over all folders (for quotas). 0 / -1. */
int pb_store_user_stats(struct pb_store *s, uint64_t user_id, uint64_t *inbox_messages_r,
			uint64_t *total_bytes_r, const char **error_r);

/* ---- Incoming spool: accepted SMTP messages not yet delivered -------------------------- */

/* A spooled message. Owned strings and arrays (free with pb_spool_rec_free). */
struct pb_spool_rec {
	uint64_t id;          /* unique, never reused (dedupe keys are built from it) */
	char *sender;         /* the envelope sender ("" for the null sender) */
	char **rcpts;         /* the recipients as accepted */
	uint64_t *rcpt_ids;   /* their user ids */
	size_t n_rcpts;
	int64_t received_ms;
	uint64_t size;
	char blob_key[PB_BLOB_KEY_LEN + 1];
};
void pb_spool_rec_free(struct pb_spool_rec *r);

#define PB_SPOOL_MAX_RCPTS 10000

/* Stores a message and its envelope in ONE synced batch: the body (content-addressed; written
 * only if new), a body reference for the spool entry, and the spool record. rec: in sender,
 * rcpts, rcpt_ids, n_rcpts, received_ms; out id, size, blob_key. This is the write after
 * which SMTP may answer 250. Returns 0 / -1. */
int pb_store_spool_put(struct pb_store *s, const void *body, size_t len, struct pb_spool_rec *rec,
		       const char **error_r);
/* ---- Uploads: a body written chunk by chunk as it arrives, committed at the end ---------- */

/* An upload in progress: its chunks are in the store, its hash and MIME parse run as they come;
 * nothing is visible until the commit. Owned by the caller (one thread at a time). */
struct pb_store_upload;

/* Begins an upload for `owner` (the spool shard index: pb_store_uploads_clean finds what an
 * owner left). Writes a small upload record, not synced. Returns 0 with *up_r (release it
 * with a commit, pb_store_upload_abort or pb_store_upload_free), or -1. */
int pb_store_upload_begin(struct pb_store *s, uint32_t owner, int64_t now_ms,
			  struct pb_store_upload **up_r, const char **error_r);
/* The upload's id (unique, never reused; it also keys its chunks). */
uint64_t pb_store_upload_id(const struct pb_store_upload *up);
/* Bytes written so far: the offset the next chunk goes to. */
uint64_t pb_store_upload_size(const struct pb_store_upload *up);
/* Appends one chunk of 1..PB_STORE_CHUNK_MAX bytes (copied; not synced: the commit's synced
 * write makes it durable, see docs/storage.md). Returns 0 / -1; after -1 only abort is left. */
int pb_store_upload_write(struct pb_store *s, struct pb_store_upload *up, const void *data,
			  size_t len, const char **error_r);
/* Commits the upload as a spool entry in ONE synced batch, exactly like pb_store_spool_put
 * (rec: the same in and out fields): a body already stored gets the reference and the new
 * chunks are deleted in that batch. Consumes *up (set NULL) either way; on -1 nothing is
 * stored and the chunks are dropped. This is the write after which SMTP may answer 250. */
int pb_store_upload_commit_spool(struct pb_store *s, struct pb_store_upload **up,
				 struct pb_spool_rec *rec, const char **error_r);
/* Commits the upload as a bare body, exactly like pb_store_blob_put (reference count 0, the
 * same GC contract). Consumes *up. Returns 0 with key_r / -1. */
int pb_store_upload_commit_blob(struct pb_store *s, struct pb_store_upload **up,
				char key_r[PB_BLOB_KEY_LEN + 1], const char **error_r);
/* Deletes the upload's chunks and record (not synced: a lost abort is redone by
 * pb_store_uploads_clean) and frees it; *up set NULL. Returns 0 / -1 (freed either way). */
int pb_store_upload_abort(struct pb_store *s, struct pb_store_upload **up, const char **error_r);
/* Frees the upload in memory only: its record and chunks stay until pb_store_uploads_clean.
 * NULL is fine. */
void pb_store_upload_free(struct pb_store_upload **up);
/* Removes every upload left by owner (begun, never committed or aborted: a crash, a restart),
 * and, for owner 0, those of owners >= owners (a smaller shard count than before). Call it
 * when the owner starts, before it begins uploads. Returns 0 with *removed_r (may be NULL). */
int pb_store_uploads_clean(struct pb_store *s, uint32_t owner, uint32_t owners,
			   uint64_t *removed_r, const char **error_r);

/* Counts every stored body chunk and every open upload record, by a full scan (tests and
 * diagnostics: after aborts, cleans and GC nothing is left behind). Returns 0 / -1. */
int pb_store_chunks_count(struct pb_store *s, uint64_t *chunks_r, uint64_t *uploads_r,
			  const char **error_r);

/* Calls cb for every spooled message in id order (the record is valid during the call); cb
 * returns nonzero to stop. Returns 0 / -1. */
int pb_store_spool_iter(struct pb_store *s, int (*cb)(const struct pb_spool_rec *r, void *ctx),
			void *ctx, const char **error_r);
/* Removes a delivered spool entry and drops its body reference, in one batch that is NOT
 * synced: losing it in a crash only means delivering the entry again, which the dedupe keys
 * make exact; and the WAL being recovered as a prefix, it never survives without the appends
 * written before it. Returns 1 removed, 0 absent, -1 error. */
int pb_store_spool_done(struct pb_store *s, uint64_t id, const char **error_r);

#endif
