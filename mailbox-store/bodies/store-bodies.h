/*
 * store-bodies.h: message bodies, content-addressed, in chunks, with reference counts and
 * garbage collection (library pb_store_bodies). Users: the spool writes bodies (and links it
 * through pb_store_spool), the readers read them by range, maint collects garbage. Mail records
 * take and drop references inside their own batches (store-mail.h), without this library.
 * Conventions: store-db.h. THREAD: any.
 */
#ifndef PB_STORE_BODIES_H
#define PB_STORE_BODIES_H

#include "store-db.h"

/* ---- Message bodies, content-addressed ---------------------------------------------------- */

/* Bodies are stored (and written by uploads) in chunks of at most this many bytes. */
#define PB_STORE_CHUNK_MAX (1u << 20)

/* Stores a body once, keyed by its SHA-256, with its structure and meta (made from one parse,
 * as every body write does); writes the hex key to key_r. Idempotent: an existing body is not
 * rewritten. Synced. A new body has reference count 0: take a reference
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
/* The body's meta record (what IMAP FETCH asks of it: mime-meta.h), if one was put (with the
 * body when it was stored, or later by a reader): appends its bytes to out. Returns 1 found,
 * 0 none (or unknown body, malformed key), -1 error. */
int pb_store_blob_meta_get(struct pb_store *s, const char *key, struct pb_buf *out,
			   const char **error_r);
/* Called by pb_store_blob_meta_get_many once per key, in the keys' order: found 1 with the
 * record's bytes (data, len: borrowed, valid during the call only), 0 none (or unknown body,
 * malformed key), -1 error (error: why, valid during the call). */
typedef void pb_store_meta_each_fn(void *ctx, size_t i, int found, const void *data, size_t len,
				   const char *error);
/* The meta records of n bodies (keys: hex, borrowed) in one RocksDB MultiGet (one snapshot, one
 * pass over the index and block cache for the whole batch instead of a point get each), handed
 * to each without copying. n may be 0; at most PB_STORE_META_MANY_MAX. Returns 0, or -1 when
 * n is over the bound (each not called). */
#define PB_STORE_META_MANY_MAX 1024
int pb_store_blob_meta_get_many(struct pb_store *s, const char *const *keys, size_t n,
				pb_store_meta_each_fn *each, void *ctx, const char **error_r);
/* Keeps data (len octets, borrowed) as the body's meta record, replacing any, with the body's
 * lifetime: written only while the body exists (under its GC stripe) and deleted by GC with
 * it, in the same batch. Not synced (a cache: a meta lost in a crash is computed again); not
 * written while the disk is below the reserve's floor. Returns 1 written, 0 the body does not
 * exist (nothing written), -1 error. */
int pb_store_blob_meta_put(struct pb_store *s, const char *key, const void *data, size_t len,
			   const char **error_r);
/* The same for n bodies in one write batch (the stripes of all of them held shared, taken in
 * order): datas[i] (lens[i] octets) for keys[i]; all borrowed. A body that does not exist (or
 * a malformed key) is skipped. Returns how many were written (0: no batch written), -1 error
 * (none written). */
long pb_store_blob_meta_put_many(struct pb_store *s, const char *const *keys,
				 const void *const *datas, const size_t *lens, size_t n,
				 const char **error_r);
/* How many write batches of meta records this handle wrote since it was opened (a debug
 * figure: tests check that a range's metas go in one batch). */
uint64_t pb_store_meta_batches(struct pb_store *s);
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

#endif
