/*
 * store-internal.h: what the store-*.c files of every store library share and nobody else
 * sees: the handle, the column family table, error helpers, the synced write, reference counts,
 * and value encoding (big-endian fixed-width integers and length-prefixed strings; see
 * docs/storage.md). Only the store libraries have it on their include path (pb_store_private).
 * OWNS: nothing by itself (struct pb_store is owned by whoever opened it).
 * THREAD: struct pb_store is shared by all threads; its mutable parts are the locks below.
 */
#ifndef PB_STORE_INTERNAL_H
#define PB_STORE_INTERNAL_H

#include "store-accounts.h"
#include "store-bodies.h"
#include "store-collector.h"
#include "store-db.h"
#include "store-lockout.h"
#include "store-connections.h"
#include "store-routes.h"
#include "store-mail.h"
#include "store-settings.h"
#include "store-spool.h"

#include "pb-alloc.h"
#include "pb-buf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <openssl/evp.h>
#include <rocksdb/c.h>
#include <stdint.h>
#include <string.h>

/* Column families, in the order they are opened. Never renumber on disk: names matter, not
 * these indexes. */
enum store_cf {
	STORE_CF_DEFAULT,
	STORE_CF_USERS,
	STORE_CF_USER_IDS,
	STORE_CF_COUNTERS,
	STORE_CF_DOMAINS,
	STORE_CF_SETTINGS,
	STORE_CF_BLOBS,
	STORE_CF_REFCOUNTS,
	STORE_CF_FOLDERS,
	STORE_CF_MESSAGES,
	STORE_CF_DEDUPE,
	STORE_CF_SPOOL,
	STORE_CF_QUEUE,
	STORE_CF_LOGS,
	STORE_CF_LOCKOUT,
	STORE_CF_STRUCTURES,
	STORE_CF_CHUNKS,
	STORE_CF_UPLOADS,
	STORE_CF_META,
	STORE_CF_CONNECTIONS,
	STORE_CF_COLLECTOR,
	STORE_CF_ROUTES,
	STORE_CF_TRACES,
	STORE_CF_REPLIES, /* h-generate: the autoresponder's memory (store-generate.c) */
	STORE_CF_COUNT
};

/* CF collector keys: 'd' name (definition), 't' name (status), 'i' name (an IMAP collector's
 * per-folder progress, JSON), 'u' "name uidl" (a seen mark:
 * [u8 STORE_V1][u8 enum pb_seen_state][u64 first_ms]), 'f' token (a fetch token's JSON). */
#define STORE_COLLECTOR_DEF 'd'
#define STORE_COLLECTOR_STATUS 't'
#define STORE_COLLECTOR_PROGRESS 'i'
#define STORE_COLLECTOR_SEEN 'u'
#define STORE_COLLECTOR_TOKEN 'f'
#define STORE_SEEN_LEN 10
/* The seen mark value of state, first_ms into v[STORE_SEEN_LEN]. */
void store_seen_encode(uint8_t state, int64_t first_ms, uint8_t v[STORE_SEEN_LEN]);
/* Decodes a seen mark value: 0 / -1 (corrupt). */
int store_seen_decode(const void *v, size_t len, uint8_t *state_r, int64_t *first_ms_r);

/* Stripes of the blob GC lock (struct pb_store.gc_locks). */
#define STORE_GC_STRIPES 64

/* Version byte leading every value (bump per kind when its layout changes). */
#define STORE_V1 1
#define STORE_V2 2
#define STORE_V3 3

struct pb_store {
	rocksdb_t *db;
	rocksdb_column_family_handle_t *cf[STORE_CF_COUNT];
	/* Handles of column families found on disk that this version does not know. */
	rocksdb_column_family_handle_t **extra_cf;
	size_t n_extra_cf;
	rocksdb_writeoptions_t *wopt_sync;
	rocksdb_writeoptions_t *wopt_lazy;
	rocksdb_readoptions_t *ropt;
	/* One block cache and one memtable budget for every column family, so memory does not
	 * grow with the number of families (store-db.c). */
	rocksdb_cache_t *block_cache;
	rocksdb_block_based_table_options_t *table_options;
	char *dir;
	/* Serialises read-modify-write of users (put, rename, delete) and counters. */
	pthread_mutex_t users_lock;
	pthread_mutex_t counters_lock;
	/* Blob GC against reference takers, one lock per stripe of body hashes
	 * (store_gc_lock): appends and puts hold their body's stripe shared from "the body
	 * exists" to their synced write; pb_store_blob_gc try-locks a stripe exclusive to
	 * delete, and skips the bodies of a busy stripe until its next run. */
	pthread_rwlock_t gc_locks[STORE_GC_STRIPES];
	/* Current blob GC epoch (persistent in the counters CF). */
	_Atomic uint64_t gc_epoch;
	/* Next id of the one sequence spool entries and bodies share; 0 until the first use
	 * seeds it (store_next_id in store-refs.c). */
	_Atomic uint64_t spool_next;
	/* Traces below this id were removed (store_trace_add); 0 at open, so the first removal
	 * covers everything older (one range deletion). */
	_Atomic uint64_t traces_pruned;
	/* The newest time stamp a journal record got (store_journal_add): every history's records
	 * are stamped strictly later than the last, so one timeline across kinds orders a change
	 * made after a checkpoint after it even within the same millisecond. */
	_Atomic uint64_t journal_last_ms;
	/* Write batches of meta records since the open (pb_store_meta_batches). */
	_Atomic uint64_t meta_batches;
	/* The shared WAL sync (pb_store_sync): one caller syncs at a time, and every write up to
	 * synced_seq is durable; a caller whose writes are below it returns at once, one whose
	 * writes are not waits for the running sync and then syncs for everyone waiting. */
	pthread_mutex_t sync_lock;
	pthread_cond_t sync_cond;
	bool syncing;
	uint64_t synced_seq;
	_Atomic uint64_t syncs; /* FlushWAL(sync) calls made (pb_store_sync_count) */
	/* Hashes of new bodies being committed right now (store-chunks.c): a second commit of
	 * the same body waits for the first, then finds it and only takes a reference. */
	pthread_mutex_t claims_lock;
	pthread_cond_t claims_cond;
	uint8_t (*claims)[32];
	size_t n_claims, claims_cap;
	/* The free-space reserve in MiB (pb_store_set_min_free_mb; the settings' default until
	 * then) and the bytes claimed by pb_store_reserve, not yet released (store-room.c). */
	_Atomic uint64_t min_free_mb;
	_Atomic uint64_t reserved;
	/* What RocksDB preallocates for a new WAL file (store-db.c), kept out of the room. */
	uint64_t wal_prealloc;
	/* The room check's cached figures (store-room.c), under room_lock: free bytes and
	 * memtable bytes as last read, when (CLOCK_MONOTONIC ms; 0: never), and how often and
	 * with what margin they are used (pb_store_options). room_spent (atomic, no lock): the
	 * claims released since the read, counted as written. */
	pthread_mutex_t room_lock;
	uint64_t room_free, room_memtables, room_read_ms;
	uint64_t room_refresh_ms, room_margin;
	_Atomic uint64_t room_spent;
	/* Serialises pb_store_spool_done's read of an entry with its removal, so two callers
	 * cannot both drop the entry's body reference. */
	pthread_mutex_t spool_lock;
	/* Serialises the autoresponder memory's check with the write that records a reply
	 * (store-generate.c), so two spool shards never both answer one sender. */
	pthread_mutex_t replies_lock;
	/* The first fatal write error (store-room.c): set once, with its reason and hook. */
	pthread_mutex_t fail_lock;
	_Atomic bool failed;
	char fail_reason[256];
	void (*fail_hook)(void *ctx, const char *reason);
	void *fail_ctx;
};

/* The GC lock stripe of a body hash. */
static inline pthread_rwlock_t *store_gc_lock(struct pb_store *s, const uint8_t raw[32])
{
	return &s->gc_locks[raw[0] % STORE_GC_STRIPES];
}

/* Marks in stripes_r the GC lock stripes of the bodies raws[0..n) (32 bytes each). A batch
 * takes them shared in ascending order (GC only try-locks one at a time: no deadlock). */
void store_batch_stripes(const uint8_t *raws, size_t n, bool stripes_r[STORE_GC_STRIPES]);

/* How many ids past the last removal of old traces the next one waits for. */
#define STORE_TRACE_PRUNE_STEP 4096

/* ---- errors: a thread-local buffer (store-db.c) ---- */

/* Formats into the thread-local error buffer, sets *error_r (if error_r) and returns -1. */
int store_fail(const char **error_r, const char *fmt, ...) PB_PRINTF(2, 3);
/* Same for a RocksDB error string (freed here) with a short context ("get user"). */
int store_fail_rocks(const char **error_r, const char *what, char *err);

/* ---- RocksDB access (store-db.c) ---- */

/* Writes the batch with sync=true (WAL fsync). Returns 0 / -1. */
int store_write(struct pb_store *s, rocksdb_writebatch_t *b, const char **error_r);
/* Writes the batch, synced or not. Unless freeing (a batch that only deletes, so frees space),
 * it is refused while the disk is below a quarter of the reserve (store_room_floor). A RocksDB error
 * other than a bad argument is recorded as the store's failure (store_note_failure).
 * store_write and store_write_lazy are the two non-freeing forms. Returns 0 / -1. */
int store_write_ex(struct pb_store *s, rocksdb_writebatch_t *b, bool sync, bool freeing,
		   const char **error_r);
/* Writes the batch without waiting for the WAL fsync (see pb_store_msg_append_ex for when
 * that is safe). Returns 0 / -1. */
int store_write_lazy(struct pb_store *s, rocksdb_writebatch_t *b, const char **error_r);
/* The batch hook (store-db.c): fn(s, b, ctx) is called once by the next synced write of this
 * thread, on its batch, just before it is written, and then forgotten; the write fails if fn
 * returns -1. Set NULL to forget it unused. Thread-local: it concerns the caller's own writes
 * only (the directory's history rides on its record writes this way: store-journal.c). */
void store_batch_hook_set(int (*fn)(struct pb_store *s, rocksdb_writebatch_t *b, void *ctx,
				    const char **error_r),
			  void *ctx);

/* A journal (store-journal.c): numbered change records (struct pb_setting_change) in family
 * cf under keys hist_tag + be64(seq), the next number under next_tag, at most max kept (the
 * oldest dropped in the batch adding one). One writer per journal. */
struct store_journal {
	enum store_cf cf;
	char hist_tag[2];
	char next_tag[2];
	uint64_t max;
};
/* Adds change c (by, doc, before, note from c; after given; seq and at_ms set here: the wall
 * clock, or 1 ms past the store's newest stamp when the clock has not moved past it) to batch b with the next number and the pruning of the oldest. 0 with
 * *seq_r (may be NULL) / -1. */
int store_journal_add(struct pb_store *s, const struct store_journal *j,
		      const struct pb_setting_change *c, const char *after,
		      rocksdb_writebatch_t *b, uint64_t *seq_r, const char **error_r);
/* Arms change c (by, doc, before, note: copied) with after for journal j keeping keep: the
 * calling thread's next synced write carries it in its batch (numbered then), so the record
 * and its history are one write; a failed write leaves no record. store_journal_disarm()
 * after that write, done or not: the number the write gave it (0: none written). */
void store_journal_arm(const struct store_journal *j, const struct pb_setting_change *c,
		       const char *after, uint32_t keep);
uint64_t store_journal_disarm(void);
/* Arms the change of record (before/after: its history JSON, NULL absent) in the history of
 * kind (store-history.c), by the thread's pb_store_history_who: the next synced write of
 * this thread carries it. False (nothing armed) when before and after are the same. The
 * caller disarms (store_journal_disarm) after its write, done or not. */
bool store_history_arm(char kind, const char *record, const char *before, const char *after,
		       const char *note);
/* One record: 1 (*c_r: pb_setting_change_free), 0 not kept, -1. */
int store_journal_get(struct pb_store *s, const struct store_journal *j, uint64_t seq,
		      struct pb_setting_change *c_r, const char **error_r);
/* The records with seq < before (0: all), newest first, at most limit. 0 / -1. */
int store_journal_list(struct pb_store *s, const struct store_journal *j, uint64_t before,
		       size_t limit, struct pb_setting_change **v_r, size_t *n_r,
		       const char **error_r);

/* Gets one value into *out (reset first). Returns 1 found, 0 not found, -1 error. */
int store_get(struct pb_store *s, enum store_cf cf, const void *key, size_t klen,
	      struct pb_buf *out, const char **error_r);
/* An iterator over keys starting with prefix (upper bound set, seeked to the prefix). The
 * struct owns the iterator, its read options and copies of the prefix and bound. Callers
 * loop `for (; store_iter_valid(&it); rocksdb_iter_next(it.it))`. */
struct store_iter {
	rocksdb_iterator_t *it;
	rocksdb_readoptions_t *ropt;
	/* One block cache and one memtable budget for every column family, so memory does not
	 * grow with the number of families (store-db.c). */
	rocksdb_cache_t *block_cache;
	rocksdb_block_based_table_options_t *table_options;
	char *prefix;
	size_t plen;
	char *upper;
	size_t upper_len;
};
void store_iter_prefix(struct pb_store *s, enum store_cf cf, const void *prefix, size_t plen,
		       struct store_iter *it_r);
/* Returns true while the iterator has a current entry. */
bool store_iter_valid(struct store_iter *it);
/* Checks the iterator's status at the end. Returns 0 / -1. Always frees everything. */
int store_iter_finish(struct store_iter *it, const char **error_r);
/* One-operation synced batch (a put). Returns 0 / -1. */
int store_put1(struct pb_store *s, enum store_cf cf, const char *key, size_t klen,
	       const void *val, size_t vlen, const char **error_r);
/* Deletes a key if present. Returns 1 deleted, 0 absent, -1. The check and the delete are
 * not atomic together; two concurrent deletes may both report 1 (both are harmless). */
int store_delete1(struct pb_store *s, enum store_cf cf, const char *key, size_t klen,
		  const char **error_r);

/* ---- room and failures (store-room.c) ---- */

/* Sets the room check's refresh period and margin from the options (0: the defaults). */
void store_room_init(struct pb_store *s, const struct pb_store_options *o);

/* 0 while the disk has at least a quarter of the reserve free; -1 (error set) below it. */
int store_room_floor(struct pb_store *s, const char **error_r);
/* 0 while the store has not failed; -1 (error set) after: nothing may be written any more. */
int store_failed_check(struct pb_store *s, const char **error_r);
/* Records the first fatal error (what: context, reason: RocksDB's message) and calls the
 * failure hook once. */
void store_note_failure(struct pb_store *s, const char *what, const char *reason);
/* Sets avoid_flush_during_recovery on options (store-rocks.cc: the C API lacks it). */
void store_options_avoid_recovery_flush(rocksdb_options_t *opt);
/* Gives RocksDB a logger that hands its warnings and errors to store_rocks_log instead of a
 * LOG file in the data directory (store-rocks.cc). */
void store_options_logger(rocksdb_options_t *opt);
/* One line of RocksDB's (error: an error, else a warning): to the daemon's log (store-room.c). */
void store_rocks_log(int error, const char *line);

/* ---- encoding ---- */

static inline void store_be32_put(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline void store_be64_put(uint8_t *p, uint64_t v)
{
	store_be32_put(p, (uint32_t)(v >> 32));
	store_be32_put(p + 4, (uint32_t)v);
}

static inline uint32_t store_be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t store_be64_get(const uint8_t *p)
{
	return (uint64_t)store_be32_get(p) << 32 | store_be32_get(p + 4);
}

void store_enc_u8(struct pb_buf *b, uint8_t v);
void store_enc_u32(struct pb_buf *b, uint32_t v);
void store_enc_u64(struct pb_buf *b, uint64_t v);
/* A string as u32 length + bytes; NULL as length 0xFFFFFFFF. */
void store_enc_str(struct pb_buf *b, const char *s);

/* A bounds-checked reader over one value; any overrun sets bad and yields zeros. */
struct store_rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};
void store_rd_init(struct store_rd *r, const void *data, size_t len);
uint8_t store_rd_u8(struct store_rd *r);
uint32_t store_rd_u32(struct store_rd *r);
uint64_t store_rd_u64(struct store_rd *r);
/* Copies a store_enc_str string (NUL-terminated, caller frees; NULL stays NULL). */
char *store_rd_str(struct store_rd *r);
/* Copies n raw bytes into dst. */
void store_rd_bytes(struct store_rd *r, void *dst, size_t n);
/* True when the whole value was read exactly and nothing overran. */
bool store_rd_ok(const struct store_rd *r);

/* SHA-256 raw <-> lowercase hex (hex_r gets PB_BLOB_KEY_LEN + NUL). Parse returns 0 / -1. */
void store_hex_from_raw(const uint8_t raw[32], char hex_r[PB_BLOB_KEY_LEN + 1]);
int store_hex_to_raw(const char *hex, uint8_t raw_r[32]);

/* Copies s lowercased (ASCII) into dst of size dstsize; returns -1 if s is empty or does not
 * fit (strlen(s) >= dstsize). */
int store_lower_copy(const char *s, char *dst, size_t dstsize);

/* ---- shared between files ---- */

/* A reference count record (store-refs.c): [ver u8][count i64][gc epoch u64]. */
#define STORE_REF_LEN 17
struct store_ref {
	int64_t count;
	uint64_t epoch;
};
/* Decodes a record or operand; false if malformed. */
bool store_ref_decode(const char *v, size_t len, struct store_ref *ref);
/* Reads a refcount record. Returns 1 with *ref_r, 0 absent, -1. */
int store_ref_get(struct pb_store *s, const uint8_t raw[32], struct store_ref *ref_r,
		  const char **error_r);
/* The GC epoch lives in CF counters under a key no counter name can have (leading NUL). */
#define STORE_GC_EPOCH_KEYLEN 14
extern const char store_gc_epoch_key[STORE_GC_EPOCH_KEYLEN + 1];

/* The refcount merge operator (store-refs.c); the value / operand layout is
 * [ver u8][delta or count i64][gc epoch u64]. */
rocksdb_mergeoperator_t *store_refcount_merge_operator(void);
/* Appends one refcount operand to the batch. */
void store_refcount_merge(rocksdb_writebatch_t *b, struct pb_store *s, const uint8_t raw[32],
			  int64_t delta, uint64_t epoch);
/* Loads the GC epoch at open (store-refs.c). Returns 0 / -1. */
int store_blobs_open(struct pb_store *s, const char **error_r);
/* Whether a body exists (its refcount record does). Returns 1 / 0 / -1. */
int store_blob_exists(struct pb_store *s, const uint8_t raw[32], const char **error_r);
/* SHA-256 of a buffer in memory (EVP). */
void store_blob_hash(const void *data, size_t len, uint8_t raw_r[32]);
/* The next id of the sequence spool entries and bodies share: unique, never reused, even
 * across restarts (store-refs.c). */
uint64_t store_next_id(struct pb_store *s);
/* The same, an id with id % mod == rem (mod > 0, rem < mod). */
uint64_t store_next_id_mod(struct pb_store *s, uint32_t rem, uint32_t mod);

/* ---- bodies by chunks (store-chunks.c) ---- */

struct mime_parser;

/* A body being written: its chunks go to CF chunks under [u64 body id][u64 offset] as they
 * come, hashed and MIME-parsed on the way, so the whole body is never held. */
struct store_body_writer {
	uint64_t body_id;
	uint64_t size;
	uint32_t n_chunks;
	EVP_MD_CTX *md;
	struct mime_parser *mime;
	uint8_t raw[32]; /* the hash, once finished */
};
/* Starts a writer with a fresh body id (store_next_id). */
void store_body_writer_init(struct pb_store *s, struct store_body_writer *w);
void store_body_writer_deinit(struct store_body_writer *w);
/* Adds the chunk's put (1..PB_STORE_CHUNK_MAX bytes, at offset w->size) to b, hashes and
 * parses it. */
void store_body_writer_add(rocksdb_writebatch_t *b, struct pb_store *s,
			   struct store_body_writer *w, const void *data, size_t len);
/* The same for a body in memory, cut into PB_STORE_CHUNK_MAX chunks. */
void store_body_writer_add_all(rocksdb_writebatch_t *b, struct pb_store *s,
			       struct store_body_writer *w, const void *data, size_t len);
/* Ends the input: w->raw gets the hash, the MIME parse completes. */
void store_body_writer_finish(struct store_body_writer *w);
/* Writes the finished body with one synced batch b, which the caller may have filled with
 * more (a spool record). The batch gets: if the body is new, its record, structure and meta
 * (mime-meta.h, from the writer's parse); if it exists already, the deletion of this writer's
 * chunks; either way a reference merge (delta, current GC epoch). Handles the GC lock and
 * concurrent commits of the same body. sync=false leaves the fsync to a later pb_store_sync
 * (the group commit). 0 / -1. */
int store_body_writer_commit(rocksdb_writebatch_t *b, struct pb_store *s,
			     struct store_body_writer *w, int64_t delta, bool sync,
			     const char **error_r);
/* Adds the deletion of every chunk of body_id to b. */
void store_chunks_delete(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t body_id);
/* The chunk layout of a body record in CF blobs: 1 with *body_id_r (a chunked v2 record),
 * 0 (a v1 record holding the body itself), -1 malformed. */
int store_body_rec_chunks(const void *val, size_t len, uint64_t *body_id_r);
/* Spool (store-spool.c): adds the spool record of rec, whose body is w's (not finished yet),
 * to b and writes b with the body: one batch, synced unless sync is false (the group
 * commit: pb_store_sync later). rec: in sender, rcpts, rcpt_ids, n_rcpts, received_ms, mark;
 * out id, size, blob_key. 0, 1 (rec->mark stored already: b must not be written), -1. */
int store_spool_commit(struct pb_store *s, rocksdb_writebatch_t *b, struct store_body_writer *w,
		       struct pb_spool_rec *rec, bool sync, const char **error_r);
/* Stages a finished body in b without writing it (store_body_writer_commit's records and
 * reference merge; *epoch_r the GC epoch stamped): its claim and GC stripe stay held until
 * store_body_writer_unstage, which the caller calls after writing b (written: it was). Several
 * bodies (distinct hashes) may be staged in one batch. 0 / -1 (unstage all the same). */
int store_body_writer_stage(rocksdb_writebatch_t *b, struct pb_store *s,
			    struct store_body_writer *w, int64_t delta, uint64_t *epoch_r,
			    const char **error_r);
void store_body_writer_unstage(struct pb_store *s, struct store_body_writer *w, bool written,
			       uint64_t epoch);
/* Spool (store-spool.c) for store-generate.c: adds the spool record of rec (id set) with body
 * hash raw to b. */
void store_spool_record_put(rocksdb_writebatch_t *b, struct pb_store *s,
			    const struct pb_spool_rec *rec, const uint8_t raw[32]);
/* Adds the planned record of entry id (rcpts/ids, n may be 0) to b. 1, 0 the entry is gone, -1. */
int store_spool_plan_put(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t id,
			 const struct pb_spool_plan *p, const char **error_r);
/* Adds the trace of entry id to b (store-spool.c). */
void store_trace_add(struct pb_store *s, rocksdb_writebatch_t *b, uint64_t id,
		     const char *msgid, const char *message_id, int64_t now_ms,
		     const struct pb_strv *trace);

/* Folders (store-folders.c). Key: [u64 user][u32 folder id]; id 0 is the per-user meta. */
#define STORE_FOLDER_KEY_LEN 12
void store_folder_key(uint64_t user_id, uint32_t folder_id, uint8_t key_r[STORE_FOLDER_KEY_LEN]);
/* Reads one folder. Returns 1 with *f_r (caller frees), 0 absent, -1. */
int store_folder_read(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
		      struct pb_folder_rec *f_r, const char **error_r);
/* Adds the folder record's put to the batch. */
void store_folder_write(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t user_id,
			const struct pb_folder_rec *f);

/* Messages (store-msgs.c). Key: [u64 user][u32 folder id][u32 uid]. */
#define STORE_MSG_KEY_LEN 16
void store_msg_key(uint64_t user_id, uint32_t folder_id, uint32_t uid,
		   uint8_t key_r[STORE_MSG_KEY_LEN]);
/* Decodes a message value (rec_r->keywords allocated). Returns 0 / -1. */
int store_msg_decode(const void *val, size_t len, uint32_t uid, struct pb_msg_rec *rec_r,
		     const char **error_r);
/* Deletes up to max messages of a folder in one synced batch with their references and the
 * folder counters. Returns the number deleted (0: the folder has none left) or -1. */
long store_msgs_delete_chunk(struct pb_store *s, uint64_t user_id, struct pb_folder_rec *f,
			     size_t max, const char **error_r);
/* Adds the put of rec (in folder_id) to the batch. */
void store_msg_write(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t user_id,
		     uint32_t folder_id, const struct pb_msg_rec *rec);
/* Adds the removal of message m (record, f's counters, the body reference -1) to the batch. */
void store_msg_remove(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t user_id,
		      struct pb_folder_rec *f, const struct pb_msg_rec *m);
/* A sorted copy of uids without duplicates (xmalloc'd, caller frees), *n_r of them. */
uint32_t *store_uids_unique(const uint32_t *uids, size_t n, size_t *n_r);
/* old with flags set, added or removed (PB_FLAGS_*). */
uint32_t store_flags_apply(uint32_t old, int mode, uint32_t flags);
/* The folder id of the per-user subscription record (store-subs.c): no folder ever gets it
 * (folder ids stop below UINT32_MAX), and folder listings skip it. */
#define STORE_SUBS_ID UINT32_MAX
/* The folder id of the per-user quota record (store-quota.c); likewise never a folder's. */
#define STORE_QUOTA_ID (UINT32_MAX - 1)

/* Generated-message markers in CF replies (store-marks.c, store-db.h pb_gen_mark): key
 * ['w'][u64 user id BE][u64 seq BE] -> [v2][u8 kind][str][str][u64 x PB_GEN_NUMS]; an older
 * welcome marker has the key ['w'][u64 user id BE] -> [v1][str name][str address]. */
#define STORE_MARK_KIND 'w'
#define STORE_MARK_KEY_LEN 17
#define STORE_MARK_OLD_KEY_LEN 9
/* m into b (m->seq set: 0 for a welcome, one per account, else a new id). */
void store_gen_mark_put(rocksdb_writebatch_t *b, struct pb_store *s, struct pb_gen_mark *m);
/* The marker of key k (klen) and value v (vlen) into *m_r (pb_gen_mark_free). 0 / -1. */
int store_gen_mark_decode(const void *k, size_t klen, const void *v, size_t vlen,
			  struct pb_gen_mark *m_r);
/* m's key into k (STORE_MARK_KEY_LEN, or STORE_MARK_OLD_KEY_LEN for an older welcome: the
 * returned length). */
size_t store_gen_mark_key(const struct pb_gen_mark *m, uint8_t k[STORE_MARK_KEY_LEN]);
/* The removal of every marker of user_id into b (they go with the account). */
void store_gen_marks_delete(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t user_id);

#endif
