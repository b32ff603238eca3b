/*
 * store-spool.h: the incoming spool (accepted messages not yet delivered) and uploads (bodies
 * written chunk by chunk as they arrive) (library pb_store_spool, which links pb_store_bodies:
 * a spool entry and its body are written in one batch). Owner: the spool shards.
 * Conventions: store-db.h. THREAD: any; an upload is used by one thread at a time.
 */
#ifndef PB_STORE_SPOOL_H
#define PB_STORE_SPOOL_H

#include "store-db.h"
#include "store-bodies.h"
#include "pb-msg.h"

/* ---- Incoming spool: accepted SMTP messages not yet delivered -------------------------- */

/* A spooled message. Owned strings and arrays (free with pb_spool_rec_free). */
struct pb_spool_rec {
	uint64_t id;          /* unique, never reused (dedupe keys are built from it) */
	char *sender;         /* the envelope sender ("" for the null sender) */
	char *msgid;          /* the id the client was told ("queued as"), for the logs; NULL or
				 "" when unknown (an entry stored before msgid existed) */
	char **rcpts;         /* the recipients as accepted */
	uint64_t *rcpt_ids;   /* their user ids */
	size_t n_rcpts;
	int64_t received_ms;
	uint64_t size;
	char blob_key[PB_BLOB_KEY_LEN + 1];
	/* In, at a put or commit (0, 0: any id): the id is chosen with id % shards == shard, so
	 * the spool shard that resumes an entry after a restart (the one of id % shards) is the
	 * one that delivers it from its commit on; no two shards ever deliver one entry. */
	uint32_t shard, shards;
	/* In, at a put or commit (owned, NULL: none): a collector's seen mark "NAME UIDL"
	 * (store-collector.h). The commit writes it (state fetched) in its own synced batch, and
	 * writes nothing when the mark is there already in that state: the message is in the
	 * spool once however often a collector crashes between its commit and the DELE. */
	char *mark;
	/* The recipients are the router's plan (pb_store_spool_plan): deliver them as they are.
	 * false: the recipients as accepted, to be resolved first. */
	bool planned;
	uint8_t origin;       /* enum pb_origin (pb-msg.h): SMTP, LOCAL, COLLECTED, SYSTEM */
	char *collector;      /* collected mail: the mail collector's name; NULL or "" else */
	/* A planned entry's folders, flags and keywords, by recipient (NULL: every local one in
	 * INBOX, no flags, no keywords: an entry planned before they were stored). */
	char **folders;
	uint32_t *flags;
	char **keywords;      /* space-separated, "" none */
	/* With folders: each item's header edits (mime-edit.h: one per line, "" none), applied
	 * to that copy's body at delivery; NULL: none (an entry planned before they were kept). */
	char **headers;
	/* The signature's insertions (v6; mime-signature.h), decided as the message came in and
	 * applied at delivery to every copy: sign_text[i] goes before the body's octet
	 * sign_at[i], in order; n_sign 0 (NULL arrays): none, the body is delivered as stored.
	 * In at a put or commit too (owned). At most PB_SPOOL_MAX_SIGN. */
	size_t n_sign;
	uint64_t *sign_at;
	char **sign_text;
	/* The message's own Message-ID (RFC 5322), without its angle brackets, as the spool saw
	 * it in the first octets it was given (spool-upload.c); NULL or "" none (absent, not in
	 * the first chunk, an entry stored before v7). Kept with the decision trace, so that
	 * `pillarbox trace MESSAGE-ID` finds it. In at a put or commit (owned). */
	char *message_id;
};
/* The longest Message-ID kept (longer ones are not kept: the trace is found by queue id). */
#define PB_SPOOL_MESSAGE_ID_MAX 255
#define PB_SPOOL_MAX_SIGN 8
void pb_spool_rec_free(struct pb_spool_rec *r);

#define PB_SPOOL_MAX_RCPTS 10000

/* Stores a message and its envelope in ONE synced batch: the body (content-addressed; written
 * only if new), a body reference for the spool entry, and the spool record. rec: in sender,
 * rcpts, rcpt_ids, n_rcpts, received_ms; out id, size, blob_key. This is the write after
 * which SMTP may answer 250 (msgid too is in, may be NULL). Returns 0, 1 when rec->mark says
 * it is stored already (nothing written, rec->id 0), or -1. */
int pb_store_spool_put(struct pb_store *s, const void *body, size_t len, struct pb_spool_rec *rec,
		       const char **error_r);
/* pb_store_spool_put with the WAL fsync optional. sync=false is the spool's group commit:
 * nothing may be acknowledged, and no other owner told of the entry, until pb_store_sync has
 * returned 0 (the entry is visible to reads before that, and a crash may drop it). */
int pb_store_spool_put_ex(struct pb_store *s, const void *body, size_t len,
			  struct pb_spool_rec *rec, bool sync, const char **error_r);
/* ---- Uploads: a body written chunk by chunk as it arrives, committed at the end ---------- */

/* An upload in progress: its chunks are in the store, its hash and MIME parse run as they come;
 * nothing is visible until the commit. Owned by the caller (one thread at a time). */
struct pb_store_upload;

/* Upload owners are a base (the high 16 bits: one per kind of owner) plus a shard index: the
 * spool shards are 0 + index, the mailbox owners PB_UPLOAD_OWNER_MAILBOX + index, the IMAP
 * collector's runs PB_UPLOAD_OWNER_COLLECTOR + the cwork worker's slot (one run at a time each). */
#define PB_UPLOAD_OWNER_BASE_MASK 0xFFFF0000u
#define PB_UPLOAD_OWNER_MAILBOX 0x4D420000u
#define PB_UPLOAD_OWNER_COLLECTOR 0x49430000u
/* Begins an upload for `owner` (a base plus a shard index: pb_store_uploads_clean finds what an
 * owner left). Writes nothing yet: a small upload record goes with the first chunk (not
 * synced). Returns 0 with *up_r (release it with a commit, pb_store_upload_abort or
 * pb_store_upload_free), or -1. */
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
 * stored and the chunks are dropped; 1 (rec->mark stored already) drops the chunks too and
 * stores nothing. This is the write after which SMTP may answer 250. */
int pb_store_upload_commit_spool(struct pb_store *s, struct pb_store_upload **up,
				 struct pb_spool_rec *rec, const char **error_r);
/* The same with the content's last len (0..PB_STORE_CHUNK_MAX) bytes written in that one
 * batch: a message that comes whole with its commit is one write, synced unless sync is false
 * (the group commit, as for pb_store_spool_put_ex). */
int pb_store_upload_commit_spool_last(struct pb_store *s, struct pb_store_upload **up,
				      const void *data, size_t len, struct pb_spool_rec *rec,
				      bool sync, const char **error_r);
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
 * and, for the owner of index 0 of its base, those of the same base with an index >= owners (a
 * smaller shard count than before); another base's uploads are never touched. Call it
 * when the owner starts, before it begins uploads. Returns 0 with *removed_r (may be NULL). */
int pb_store_uploads_clean(struct pb_store *s, uint32_t owner, uint32_t owners,
			   uint64_t *removed_r, const char **error_r);

/* Counts every stored body chunk and every open upload record, by a full scan (tests and
 * diagnostics: after aborts, cleans and GC nothing is left behind). Returns 0 / -1. */
int pb_store_chunks_count(struct pb_store *s, uint64_t *chunks_r, uint64_t *uploads_r,
			  const char **error_r);

/* The router's plan of entry id (its recipients as they are to be delivered: rcpts[i] with
 * user id ids[i], 0 a remote address) replaces the accepted recipients, and the entry is marked
 * planned, in ONE synced write with the decision trace (msgid, now_ms, the lines: the traces
 * family, kept for the last PB_TRACE_KEEP spool ids). Delivery starts only after it, so a plan
 * is executed as it was stored, never recomputed differently after a crash. 1 written, 0 the
 * entry is gone, -1. */
#define PB_TRACE_KEEP 100000
#define PB_TRACE_LINES_MAX 256
/* A plan's n items, borrowed: rcpts[i] with user id ids[i]; folders, flags, keywords and
 * headers (each NULL: INBOX, none, none, none) the local deliveries' folder, flags, keywords
 * and header edits. */
struct pb_spool_plan {
	char **rcpts;
	uint64_t *ids;
	char **folders;
	uint32_t *flags;
	char **keywords;
	size_t n;
	char **headers; /* NULL: no item has header edits */
	const char *message_id; /* the entry's Message-ID, kept with the trace; NULL none */
};
int pb_store_spool_plan(struct pb_store *s, uint64_t id, const struct pb_spool_plan *p,
			const char *msgid, int64_t now_ms, const struct pb_strv *trace,
			const char **error_r);
/* ---- Generated messages (h-generate; docs/storage.md "Generated messages") ------------- */

/* A message generated because of a spool entry (an automatic reply, a DSN): a new spool entry
 * of its own, routed and delivered like any other. */
struct pb_spool_gen {
	const void *body; /* borrowed, 1..PB_STORE_CHUNK_MAX * n bytes */
	size_t len;
	/* in: sender, msgid, rcpts, rcpt_ids, n_rcpts, received_ms, shard, shards (borrowed;
	 * mark unused); out: id, size, blob_key */
	struct pb_spool_rec rec;
	/* memo_user != 0: an automatic reply, made only if memo_user has not answered memo_addr
	 * (any case) since now_ms - memo_window_ms; the answer is remembered in the same write */
	uint64_t memo_user;
	const char *memo_addr;
	int64_t memo_window_ms;
	bool skipped; /* out: answered within the window already, not made (id 0) */
	/* in (borrowed, NULL or "": none): the first line of the generated entry's decision
	 * trace (why the server made it, for which message), kept under its new id with its
	 * msgid and Message-ID (rec.message_id) in the same write: `pillarbox trace` finds it
	 * by either; the spool puts it before the lines of the entry's own plan */
	const char *trace_line;
};
/* The plan of entry id (as pb_store_spool_plan; n may be 0: nothing to deliver, the entry is
 * then planned empty and done) with its trace AND the messages it generates, in ONE synced
 * write: generated exactly once however the spool crashes around it (a replay finds the entry
 * planned, never plans it again). The memory check and this write are serialised. 1 written,
 * 0 the entry is gone (nothing written), -1. */
int pb_store_spool_plan_gen(struct pb_store *s, uint64_t id, const struct pb_spool_plan *p,
			    const char *msgid, int64_t now_ms, const struct pb_strv *trace,
			    struct pb_spool_gen *gens, size_t n_gens, const char **error_r);
/* When user_id last answered addr automatically: 1 with *ms_r, 0 never, -1. */
int pb_store_replied_get(struct pb_store *s, uint64_t user_id, const char *addr,
			 int64_t *ms_r, const char **error_r);
/* Forgets the answers older than before_ms (the autoresponder's memory stays bounded: one
 * record per user and sender answered within the longest window), at most max of them per
 * call (a later call goes on: the run stays bounded); *removed_r (may be NULL) how many went.
 * Not synced. 0 / -1. Called daily by the maintenance actor (maint-actor.c). */
int pb_store_replied_prune(struct pb_store *s, int64_t before_ms, uint64_t max,
			   uint64_t *removed_r, const char **error_r);

/* Generated-message markers (store-db.h pb_gen_mark: a new account's welcome, written with
 * the account; a quota notice, written with the quota record) taken by the spool shard of
 * their user. fn gets each marker of this shard (user_id % shards == shard; shards 0 or 1:
 * all), at most max of them, in the order they were written for each user (borrowed for the
 * call). 0 / -1. */
typedef void pb_store_gen_fn(const struct pb_gen_mark *m, void *arg);
int pb_store_gen_pending(struct pb_store *s, uint32_t shard, uint32_t shards, size_t max,
			 pb_store_gen_fn *fn, void *arg, const char **error_r);
/* The message g made from marker m (g as for pb_store_spool_plan_gen, memo unused; NULL: none,
 * the marker is only dropped) stored as a spool entry AND the marker removed, in ONE synced
 * write, only if the marker is still there: made exactly once however the spool crashes
 * around it. 1 made (g->rec.id its entry) or dropped, 0 no marker (made already: nothing
 * written), -1. */
int pb_store_gen_made(struct pb_store *s, const struct pb_gen_mark *m, struct pb_spool_gen *g,
		      const char **error_r);

/* Keeps the trace of entry id alone (an entry that reaches nobody: no plan to store), synced;
 * message_id: its Message-ID (NULL none). 0 / -1. */
int pb_store_trace_put(struct pb_store *s, uint64_t id, const char *msgid,
		       const char *message_id, int64_t now_ms, const struct pb_strv *trace,
		       const char **error_r);
/* Keeps the trace of a message stored without a spool entry (the mailbox owner's quota
 * warnings) under a fresh id of the spool's sequence (never an entry's), synced; found by
 * msgid and message_id (NULL none) as any. 0 / -1. */
int pb_store_trace_new(struct pb_store *s, const char *msgid, const char *message_id,
		       int64_t now_ms, const struct pb_strv *trace, const char **error_r);
/* Calls cb(spool_id, time_ms, line, ctx) for every trace line of the entries whose queue id
 * is msgid or whose Message-ID is msgid (with or without its angle brackets: several
 * deliveries of one message each have their own trace), in spool id order (a full scan of
 * the traces family, bounded by PB_TRACE_KEEP, as the lookup by queue id always was). 0 / -1. */
int pb_store_trace_find(struct pb_store *s, const char *msgid,
			void (*cb)(uint64_t id, int64_t time_ms, const char *line, void *ctx),
			void *ctx, const char **error_r);

/* Calls cb for every line of the trace kept under entry id when it is msgid's (as
 * pb_store_trace_find, one point read): a generated entry's trace as it was made
 * (pb_spool_gen.trace_line), before its plan's. 1 found, 0 none, -1. */
int pb_store_trace_of(struct pb_store *s, uint64_t id, const char *msgid,
		      void (*cb)(uint64_t id, int64_t time_ms, const char *line, void *ctx),
		      void *ctx, const char **error_r);

/* Calls cb for every spooled message in id order (the record is valid during the call); cb
 * returns nonzero to stop. Returns 0 / -1. */
int pb_store_spool_iter(struct pb_store *s, int (*cb)(const struct pb_spool_rec *r, void *ctx),
			void *ctx, const char **error_r);
/* Removes a delivered spool entry and drops its body reference, in one batch that is NOT
 * synced (the read and the write are serialised: of concurrent callers for one id, exactly one
 * removes it and drops the reference; the others get 0): losing it in a crash only means delivering the entry again, which the dedupe keys
 * make exact; and the WAL being recovered as a prefix, it never survives without the appends
 * written before it. Returns 1 removed, 0 absent, -1 error. */
int pb_store_spool_done(struct pb_store *s, uint64_t id, const char **error_r);

#endif
