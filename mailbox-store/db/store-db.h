/*
 * store-db.h: the core of the durable store of a Pillarbox node, on RocksDB (library
 * pb_store_db): opening and closing the one database of the node, its free-space reserve and
 * size. The records live in libraries of their own, one per owner, each linking this core:
 *   store-accounts.h  users, domains, counters      pb_store_accounts  the directory, auth
 *   store-mail.h      folders, messages, dedupe     pb_store_mail      the mailbox owners
 *   store-spool.h     spool entries, uploads        pb_store_spool     the spool
 *   store-bodies.h    bodies: put, read, refs, GC   pb_store_bodies    spool, reader, maint
 *   store-settings.h  settings documents            pb_store_settings  sys
 * An actor links only the libraries of the records it owns, so reading another owner's
 * records is a compile and link error. No header exposes a RocksDB type. The schema (column
 * families, key and value layouts, which library owns which family) is in docs/storage.md.
 *
 * OWNS: the RocksDB database in one directory (one per node).
 * THREAD: a struct pb_store is thread-safe: any thread may call any function at any time.
 * The record headers state the extra rules that bind callers (single writers).
 *
 * DURABILITY: every function that writes returns only after its write is synced (WAL fsync);
 * each write is one atomic batch unless said otherwise. Concurrent writers share fsyncs
 * (RocksDB group commit), so many threads writing at once is the fast way to use it.
 *
 * ERRORS: int-returning operations give 0 (or 1 found / 0 not found) and -1 with *error_r
 * set. error_r strings point into a thread-local buffer that stays valid until the same
 * thread's next pb_store call; copy them to keep them. error_r may be NULL.
 */
#ifndef PB_STORE_DB_H
#define PB_STORE_DB_H

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
	uint64_t wal_max_bytes;      /* the WAL's bound (max_total_wal_size); 0: 16 MiB */
	/* The room check's cached figures (store-room.c): read again at most every
	 * room_refresh_ms (0: 100 ms), used only while they leave room_margin bytes (0: 64 MiB)
	 * more than asked. Tests set them; the daemon keeps the defaults. */
	uint64_t room_refresh_ms;
	uint64_t room_margin;
};

/* Opens (or creates) the store in directory dir. Missing column families are created, so
 * a database from an older version of this code opens. Returns 0 with *store_r, or -1.
 * Only one process may open a directory at a time (RocksDB's LOCK file). */
int pb_store_open(const char *dir, const struct pb_store_options *opts,
		  struct pb_store **store_r, const char **error_r);
/* Flushes memtables and closes cleanly; sets *store to NULL. No call may be in progress. */
void pb_store_close(struct pb_store **store);
/* ---- Disk admission: one budget for the node (store-room.c) ------------------------------
 * Room for new mail = free space - the reserve (storage.min_free_mb) - bytes written but not
 * yet flushed (memtables: they are written again at flush) - bytes claimed by
 * pb_store_reserve. A new body costs twice its length (WAL, then blob file). Below the reserve
 * no new body is admitted; other writes (deliveries, flags, accounts, settings) continue down
 * to a quarter of the reserve; deletions (expunge, spool removal, aborts, purges, GC) continue to the last
 * byte, because they free space. RocksDB must never meet ENOSPC: after a failed WAL append it
 * refuses every write until reopened (and Debian's build may abort on the next sync). */

/* Sets the reserve, in MiB (setting storage.min_free_mb; its default until called). The
 * settings' owner calls it when it publishes. Any thread. */
void pb_store_set_min_free_mb(struct pb_store *s, uint64_t mb);
/* Free bytes of the store's filesystem for this user (statvfs f_bavail), UINT64_MAX when they
 * cannot be read. */
uint64_t pb_store_disk_free(struct pb_store *s);
/* Bytes of room left for new mail (before the factor two of a body), from figures read now
 * (statvfs, the memtables' sizes). No store read. */
uint64_t pb_store_room(struct pb_store *s);
/* True if a body of len more bytes fits now (a check, nothing claimed: SMTP's declared SIZE,
 * SPOOL_ROOM_REQ). True when the free space cannot be read. */
bool pb_store_has_room(struct pb_store *s, uint64_t len);
/* Claims room for len bytes about to be written (2 x len of the budget), atomically against
 * every other claim of the node, so concurrent uploads cannot together overshoot the reserve.
 * Returns 0 (release it with pb_store_unreserve(len) once the bytes are written or given up)
 * or -1 when there is no room. */
int pb_store_reserve(struct pb_store *s, uint64_t len, const char **error_r);
/* Releases a claim of pb_store_reserve (the same len). */
void pb_store_unreserve(struct pb_store *s, uint64_t len);

/* ---- Failures ------------------------------------------------------------------------
 * A write RocksDB fails with an I/O error (ENOSPC, EIO, EMFILE) leaves it refusing every
 * write until the database is reopened (7.8's C API has no Resume). The store records the
 * first such error: it is "failed" from then on, and the hook is called once, from the
 * failing writer's thread (it must not block or call the store: signal someone). */

/* Sets the hook (NULL: none). Any thread. */
void pb_store_set_failure_hook(struct pb_store *s, void (*hook)(void *ctx, const char *reason),
			       void *ctx);
/* True once a write failed that way, with *reason_r (valid until the store is closed). */
bool pb_store_failed(struct pb_store *s, const char **reason_r);
/* Makes every write made so far durable: the WAL is written out and fsynced (RocksDB's
 * FlushWAL(sync)). What lazy writes (sync=false) stored before it survives a crash once this
 * returns 0; a group of lazy writes followed by one pb_store_sync costs one fsync, not one each
 * (the group commit of the spool). Callers on several threads share: one that finds a sync
 * running waits for it, and needs none of its own when that sync started after its writes.
 * Any thread. Returns 0 / -1 (the writes may or may not
 * survive then: undo them with a synced write, or keep them unacknowledged). */
int pb_store_sync(struct pb_store *s, const char **error_r);
/* How many WAL syncs pb_store_sync has made since the open: callers whose writes another
 * caller's sync covered (it ran, or started after them) add none. Any thread. */
uint64_t pb_store_sync_count(struct pb_store *s);
/* Flushes every column family's memtable (waiting), so that the WAL files behind them go and
 * what a deletion left can be compacted. Returns 0 / -1. */
int pb_store_flush(struct pb_store *s, const char **error_r);
/* Compacts the body families (blobs, chunks) over their whole key range: deleted bodies'
 * keys are dropped and blob files left without a live blob are deleted, so the space of
 * deleted mail comes back. Costs a rewrite of the (small) key files, not of live bodies.
 * Returns 0 / -1. */
int pb_store_compact_bodies(struct pb_store *s, const char **error_r);
/* Bytes of the WAL files (*.log) in the store's directory now. */
uint64_t pb_store_wal_bytes(struct pb_store *s);
/* The store's directory (as opened; valid while the store is). */
const char *pb_store_dir(const struct pb_store *s);
/* Approximate on-disk size in bytes: live SST files + blob files + WAL files. */
int pb_store_size(struct pb_store *s, uint64_t *bytes_r, const char **error_r);

/* ---- The histories of collectors, connection methods, blocks and API keys (store-history.c)
 * Every change of a collector's definition ('c', record "collector:NAME"), a connection
 * method's settings and schedule ('s', "connection:NAME"), a manual address block ('b',
 * "block:NET") and the API keys ('k', "apikey:LABEL") is recorded by the store function that
 * writes it, in the same synced write, as a struct pb_setting_change (store-settings.h: by,
 * when, before and after as JSON, never a secret), numbered 1, 2, ... per kind. The record's
 * owner is each history's one writer. --------------------------------------------------- */
struct pb_setting_change;
#define PB_HISTORY_COLLECTOR 'c'
#define PB_HISTORY_CONNECTION 's'
#define PB_HISTORY_BLOCK 'b'
#define PB_HISTORY_APIKEY 'k'
bool pb_store_history_kind_valid(char kind);
/* Who the calling thread's next changes are by ("cli:root", "web:admin"; "" gives "system")
 * and how many changes each history keeps (0: 1000). Thread-local: set by the record's owner
 * for each request. */
void pb_store_history_who(const char *by, uint32_t keep);
/* For an owner whose records a generic store function writes (the API keys, a settings-
 * column record): arms the change of record (before/after JSON, NULL absent; never a secret)
 * in the history of kind, by pb_store_history_who, for the calling thread's next synced write,
 * so both are one write (nothing when before and after are the same); disarm after that
 * write, done or not (the number it got, 0 none). */
void pb_store_history_arm(char kind, const char *record, const char *before, const char *after);
uint64_t pb_store_history_disarm(void);
/* One change of kind: 1 (*c_r: pb_setting_change_free), 0 not kept, -1. */
int pb_store_history_get(struct pb_store *s, char kind, uint64_t seq,
			 struct pb_setting_change *c_r, const char **error_r);
/* The changes of kind with seq < before (0: all), newest first, at most limit (*v_r: free
 * each with pb_setting_change_free, then the array). 0 / -1. */
int pb_store_history_list(struct pb_store *s, char kind, uint64_t before, size_t limit,
			  struct pb_setting_change **v_r, size_t *n_r, const char **error_r);

/* ---- Generated-message markers (store-marks.c; docs/storage.md "Generated messages") ----
 * A marker says "the server owes a message of this kind because of this user". It is written
 * by the owner of the state that decides the message, in the same synced write as that state
 * (the account for a welcome: store-accounts.h; the quota record for a quota notice:
 * store-mail.h), and taken by the spool shard of the user (user_id % shards), which stores the
 * message as a spool entry of origin SYSTEM in the same synced write that removes the marker
 * (store-spool.h pb_store_gen_made): one message, never none, never two, across any crash, and
 * the writer of the state never waits for the spool. */
enum pb_gen_kind {
	PB_GEN_WELCOME = 1,	   /* str: name, address */
	PB_GEN_QUOTA_WARNING = 2,  /* num: PB_GEN_N_* (the user's own warning) */
	PB_GEN_QUOTA_REMINDER = 3, /* num: PB_GEN_N_* (the user's daily reminder) */
	PB_GEN_QUOTA_ADMIN = 4,	   /* str[0]: the administrator target's account; num: PB_GEN_N_* */
};
/* A quota notice's numbers (num[] indices). */
enum { PB_GEN_N_PERCENT, PB_GEN_N_USED, PB_GEN_N_LIMIT, PB_GEN_N_BLOCK, PB_GEN_N_MADE_MS };
#define PB_GEN_STRS 2
#define PB_GEN_NUMS 5
struct pb_gen_mark {
	uint64_t user_id;
	uint64_t seq; /* its place among the user's markers: set at the write, kept at a read
			 (UINT64_MAX: an older welcome marker, keyed by the user alone) */
	uint8_t kind; /* enum pb_gen_kind */
	char *str[PB_GEN_STRS]; /* read: owned (pb_gen_mark_free), never NULL; write: borrowed,
				   NULL as "" */
	uint64_t num[PB_GEN_NUMS];
};
/* Frees a read marker's strings. */
void pb_gen_mark_free(struct pb_gen_mark *m);

/* Bodies are named by this key everywhere (mail records, spool records, readers). */
#define PB_BLOB_KEY_LEN 64 /* lowercase hex SHA-256 */

#endif
