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
 * pb_store_set_min_free_mb; no store read). Whoever accepts new data asks first (the spool,
 * also for SMTP's declared SIZE: SPOOL_ROOM_REQ): RocksDB must never meet ENOSPC, because after a failed WAL append it stays read-only until reopened (and
 * Debian's build may abort on the next sync). True when the free space cannot be read. */
bool pb_store_has_room(struct pb_store *s, uint64_t len);
/* Approximate on-disk size in bytes: live SST files + blob files + WAL files. */
int pb_store_size(struct pb_store *s, uint64_t *bytes_r, const char **error_r);

/* Bodies are named by this key everywhere (mail records, spool records, readers). */
#define PB_BLOB_KEY_LEN 64 /* lowercase hex SHA-256 */

#endif
