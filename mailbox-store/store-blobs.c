/*
 * store-blobs.c: message bodies by content address (CF blobs: raw SHA-256 -> the body's
 * record; its bytes are chunks, store-chunks.c) and their reference counts (CF refcounts, an add merge operator that
 * also carries the GC epoch of the last put), and blob garbage collection.
 *
 * Why an epoch: a body is put before anything references it (SMTP stores the body, then
 * appends it to each mailbox). A collector that deleted every count-0 body would race with
 * such a delivery. So each put stamps the current GC epoch into the refcount record, and a
 * GC run first advances the epoch and then only deletes count<=0 bodies stamped before the
 * run before it: a fresh body survives at least one full GC interval unreferenced. The final
 * check-and-delete runs under the body's GC lock stripe held exclusively, while reference
 * takers (put, append, blob_ref) hold it shared from their existence check to their synced
 * write. GC only try-locks a stripe and leaves a busy stripe's bodies to its next run: a GC
 * never waits for a put, so no put ever waits behind a waiting GC (a writer-preferring lock
 * would queue every put behind a GC that waits for one slow fsync).
 *
 * Message metas (CF meta: raw SHA-256 -> [u8 1][the caller's bytes], what IMAP FETCH asks of a
 * body, made when the body is stored (store-chunks.c) or else computed lazily by the readers)
 * live and die with their body: a put holds the body's
 * GC stripe shared from "the body exists" to its write, and GC deletes the meta in the batch
 * that deletes the body, so no meta outlives its body.
 *
 * Part of pb_store_bodies (store-bodies.h); the reference count records and their merge operator
 * are the core's (store-refs.c).
 * OWNS: nothing beyond the handle (s->gc_epoch is written only by the GC run).
 * THREAD: any.
 */
#include "store-internal.h"

#include <stdint.h>
#include <stdlib.h>

#define STORE_GC_CHUNK 256

int pb_store_blob_put(struct pb_store *s, const void *data, size_t len,
		      char key_r[PB_BLOB_KEY_LEN + 1], const char **error_r)
{
	struct store_body_writer w;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();

	store_body_writer_init(s, &w);
	store_body_writer_add_all(b, s, &w, data, len);
	store_body_writer_finish(&w);
	/* New or not, the reference merge (0, epoch) protects the body from the next GC. */
	int ret = store_body_writer_commit(b, s, &w, 0, true, error_r);
	if (ret == 0)
		store_hex_from_raw(w.raw, key_r);
	store_body_writer_deinit(&w);
	rocksdb_writebatch_destroy(b);
	return ret;
}

/* Reads a v1 value keyed by a body's hex key from cf, appending what follows the version
 * byte to out. 1 / 0 (unknown or malformed key) / -1. */
static int store_blob_value(struct pb_store *s, enum store_cf cf, const char *key,
			    struct pb_buf *out, const char **error_r)
{
	uint8_t raw[32];
	struct pb_buf val;

	if (store_hex_to_raw(key, raw) < 0)
		return 0;
	pb_buf_init(&val);
	int ret = store_get(s, cf, raw, 32, &val, error_r);
	if (ret == 1) {
		if (val.len < 1 || (uint8_t)val.data[0] != STORE_V1)
			ret = store_fail(error_r, "store: record of body %s: unknown version", key);
		else
			pb_buf_append(out, val.data + 1, val.len - 1);
	}
	pb_buf_deinit(&val);
	return ret;
}

int pb_store_blob_structure(struct pb_store *s, const char *key, struct pb_buf *out,
			    const char **error_r)
{
	return store_blob_value(s, STORE_CF_STRUCTURES, key, out, error_r);
}

int pb_store_blob_meta_get(struct pb_store *s, const char *key, struct pb_buf *out,
			   const char **error_r)
{
	return store_blob_value(s, STORE_CF_META, key, out, error_r);
}

/* Hands one MultiGet answer to each (the error strings of RocksDB freed here). */
static void store_meta_one(rocksdb_pinnableslice_t *v, char *err,
			   pb_store_meta_each_fn *each, void *ctx, size_t i)
{
	size_t len = 0;
	const char *val = v != NULL ? rocksdb_pinnableslice_value(v, &len) : NULL;

	if (err != NULL)
		each(ctx, i, -1, NULL, 0, err);
	else if (v == NULL)
		each(ctx, i, 0, NULL, 0, NULL);
	else if (len < 1 || (uint8_t)val[0] != STORE_V1)
		each(ctx, i, -1, NULL, 0, "store: meta record of unknown version");
	else
		each(ctx, i, 1, val + 1, len - 1, NULL);
	rocksdb_free(err);
	rocksdb_pinnableslice_destroy(v);
}

int pb_store_blob_meta_get_many(struct pb_store *s, const char *const *keys, size_t n,
				pb_store_meta_each_fn *each, void *ctx, const char **error_r)
{
	if (n > PB_STORE_META_MANY_MAX)
		return store_fail(error_r, "store: %zu metas asked at once", n);
	uint8_t *raw = xmalloc(n * 32 + 1);
	const char **klist = xmalloc((n + 1) * sizeof(*klist));
	size_t *klens = xmalloc((n + 1) * sizeof(*klens)), *slot = xmalloc((n + 1) * sizeof(*slot));
	rocksdb_pinnableslice_t **vals = xmalloc((n + 1) * sizeof(*vals));
	char **errs = xmalloc((n + 1) * sizeof(*errs));
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		slot[i] = SIZE_MAX;
		if (store_hex_to_raw(keys[i], raw + 32 * m) < 0)
			continue; /* malformed: "none", as the single get */
		klist[m] = (const char *)raw + 32 * m;
		klens[m] = 32;
		slot[i] = m++;
	}
	if (m > 0)
		rocksdb_batched_multi_get_cf(s->db, s->ropt, s->cf[STORE_CF_META], m, klist, klens,
					     vals, errs, false);
	for (size_t i = 0; i < n; i++) {
		if (slot[i] == SIZE_MAX)
			each(ctx, i, 0, NULL, 0, NULL);
		else
			store_meta_one(vals[slot[i]], errs[slot[i]], each, ctx, i);
	}
	free(raw);
	free(klist);
	free(klens);
	free(slot);
	free(vals);
	free(errs);
	return 0;
}

int pb_store_blob_meta_put(struct pb_store *s, const char *key, const void *data, size_t len,
			   const char **error_r)
{
	return pb_store_blob_meta_put_many(s, &key, &data, &len, 1, error_r);
}

/* Adds to b the meta of each body of raws[0..n) that exists (their stripes held); marks it in
 * put_r. Returns how many, or -1. */
static long store_meta_fill(struct pb_store *s, rocksdb_writebatch_t *b, const uint8_t *raws,
			    const void *const *datas, const size_t *lens, size_t n, bool *put_r,
			    const char **error_r)
{
	static const uint8_t ver = STORE_V1;
	long written = 0;

	for (size_t i = 0; i < n; i++) {
		int ret = put_r[i] ? store_blob_exists(s, raws + 32 * i, error_r) : 0;
		if (ret < 0)
			return -1;
		put_r[i] = ret == 1;
		if (ret == 0)
			continue;
		const char *vals[2] = { (const char *)&ver, datas[i] };
		size_t vlens[2] = { 1, lens[i] };
		const char *k = (const char *)raws + 32 * i;
		size_t klen = 32;
		rocksdb_writebatch_putv_cf(b, s->cf[STORE_CF_META], 1, &k, &klen, 2, vals, vlens);
		written++;
	}
	return written;
}

long pb_store_blob_meta_put_many(struct pb_store *s, const char *const *keys,
				 const void *const *datas, const size_t *lens, size_t n,
				 const char **error_r)
{
	uint8_t *raws = xcalloc(n != 0 ? n : 1, 32);
	bool *put = xcalloc(n != 0 ? n : 1, sizeof(*put)), stripes[STORE_GC_STRIPES];

	for (size_t i = 0; i < n; i++)
		put[i] = store_hex_to_raw(keys[i], raws + 32 * i) == 0; /* malformed: not put */
	store_batch_stripes(raws, n, stripes);
	for (size_t st = 0; st < STORE_GC_STRIPES; st++) /* in order: see store_batch_stripes */
		if (stripes[st])
			pthread_rwlock_rdlock(&s->gc_locks[st]);
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	long written = store_meta_fill(s, b, raws, datas, lens, n, put, error_r);
	if (written > 0 && store_write_ex(s, b, false, false, error_r) < 0)
		written = -1;
	if (written > 0)
		atomic_fetch_add(&s->meta_batches, 1);
	for (size_t st = 0; st < STORE_GC_STRIPES; st++)
		if (stripes[st])
			pthread_rwlock_unlock(&s->gc_locks[st]);
	rocksdb_writebatch_destroy(b);
	free(raws);
	free(put);
	return written;
}

uint64_t pb_store_meta_batches(struct pb_store *s)
{
	return atomic_load(&s->meta_batches);
}

int pb_store_blob_refcount(struct pb_store *s, const char *key, int64_t *count_r,
			   const char **error_r)
{
	uint8_t raw[32];
	struct store_ref ref;

	if (store_hex_to_raw(key, raw) < 0)
		return 0;
	int ret = store_ref_get(s, raw, &ref, error_r);
	if (ret == 1)
		*count_r = ref.count;
	return ret;
}

int pb_store_blob_ref(struct pb_store *s, const char *key, int64_t delta, const char **error_r)
{
	uint8_t raw[32];

	if (store_hex_to_raw(key, raw) < 0)
		return store_fail(error_r, "store: malformed body key");
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	pthread_rwlock_rdlock(store_gc_lock(s, raw));
	int ret = store_blob_exists(s, raw, error_r);
	if (ret == 0)
		ret = store_fail(error_r, "store: no body %s", key);
	if (ret == 1) {
		store_refcount_merge(b, s, raw, delta, 0);
		ret = store_write_ex(s, b, true, delta < 0, error_r);
	}
	pthread_rwlock_unlock(store_gc_lock(s, raw));
	rocksdb_writebatch_destroy(b);
	return ret;
}

/* Advances the epoch E -> E+1 (synced). Returns 0 with the epoch bodies must predate to go
 * (E). No lock: a put that read E before the advance and wrote after it stamps E again with
 * E+1 before it lets its stripe go (store_body_writer_commit), so every body carries at least
 * the epoch current when its put returned. */
static int store_gc_advance(struct pb_store *s, uint64_t *cutoff_r, const char **error_r)
{
	struct pb_buf val;

	pb_buf_init(&val);
	uint64_t cur = atomic_load(&s->gc_epoch);
	store_enc_u8(&val, STORE_V1);
	store_enc_u64(&val, cur + 1);
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_COUNTERS], store_gc_epoch_key,
				  STORE_GC_EPOCH_KEYLEN, val.data, val.len);
	int ret = store_write_ex(s, b, true, true, error_r);
	if (ret == 0)
		atomic_store(&s->gc_epoch, cur + 1);
	rocksdb_writebatch_destroy(b);
	pb_buf_deinit(&val);
	*cutoff_r = cur;
	return ret;
}

static bool store_gc_candidate(const struct store_ref *ref, uint64_t cutoff)
{
	return ref->count <= 0 && ref->epoch < cutoff;
}

/* Adds the deletion of a chunked body's chunks to b (nothing for a v1 body). 0 / -1. */
static int store_gc_delete_chunks(rocksdb_writebatch_t *b, struct pb_store *s,
				  const uint8_t raw[32], const char **error_r)
{
	struct pb_buf val;
	uint64_t body_id;

	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_BLOBS, raw, 32, &val, error_r);
	if (ret == 1 && store_body_rec_chunks(val.data, val.len, &body_id) == 1)
		store_chunks_delete(b, s, body_id);
	pb_buf_deinit(&val);
	return ret < 0 ? -1 : 0;
}

/* Try-locks the GC stripe of raw exclusively unless *held already has it. False: busy. */
static bool store_gc_try(struct pb_store *s, const uint8_t raw[32], uint64_t *held)
{
	uint64_t bit = UINT64_C(1) << (raw[0] % STORE_GC_STRIPES);

	if ((*held & bit) != 0)
		return true;
	if (pthread_rwlock_trywrlock(store_gc_lock(s, raw)) != 0)
		return false;
	*held |= bit;
	return true;
}

static void store_gc_release(struct pb_store *s, uint64_t held)
{
	for (size_t i = 0; i < STORE_GC_STRIPES; i++)
		if ((held & (UINT64_C(1) << i)) != 0)
			pthread_rwlock_unlock(&s->gc_locks[i]);
}

/* Re-checks candidates under their stripes held exclusively (a busy stripe's are skipped)
 * and deletes body and record together. */
static int store_gc_delete(struct pb_store *s, const uint8_t (*keys)[32], size_t n,
			   uint64_t cutoff, uint64_t *deleted, const char **error_r)
{
	_Static_assert(STORE_GC_STRIPES <= 64, "the stripes held fit a u64");
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	uint64_t count = 0, held = 0;
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++) {
		struct store_ref ref;
		if (!store_gc_try(s, keys[i], &held))
			continue; /* a reference taker is on it: the next run decides */
		int found = store_ref_get(s, keys[i], &ref, error_r);
		if (found < 0)
			ret = -1;
		if (found != 1 || !store_gc_candidate(&ref, cutoff))
			continue;
		if (store_gc_delete_chunks(b, s, keys[i], error_r) < 0) {
			ret = -1;
			break;
		}
		rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_BLOBS], (const char *)keys[i], 32);
		rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_STRUCTURES], (const char *)keys[i],
					     32);
		rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_META], (const char *)keys[i], 32);
		rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_REFCOUNTS], (const char *)keys[i],
					     32);
		count++;
	}
	if (ret == 0 && count > 0)
		ret = store_write_ex(s, b, true, true, error_r);
	store_gc_release(s, held);
	rocksdb_writebatch_destroy(b);
	if (ret == 0)
		*deleted += count;
	return ret;
}

int pb_store_blob_gc(struct pb_store *s, uint64_t *deleted_r, const char **error_r)
{
	uint8_t(*keys)[32] = xmalloc(STORE_GC_CHUNK * sizeof(*keys));
	uint64_t cutoff, deleted = 0;
	struct store_iter it;
	size_t n = 0;
	int ret = store_gc_advance(s, &cutoff, error_r);

	if (ret < 0) {
		free(keys);
		return -1;
	}
	store_iter_prefix(s, STORE_CF_REFCOUNTS, "", 0, &it);
	for (; ret == 0 && store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		size_t klen, vlen;
		const char *k = rocksdb_iter_key(it.it, &klen);
		const char *v = rocksdb_iter_value(it.it, &vlen);
		struct store_ref ref;
		if (klen != 32 || !store_ref_decode(v, vlen, &ref) ||
		    !store_gc_candidate(&ref, cutoff))
			continue;
		memcpy(keys[n++], k, 32);
		if (n == STORE_GC_CHUNK) {
			ret = store_gc_delete(s, (const uint8_t(*)[32])keys, n, cutoff, &deleted,
					      error_r);
			n = 0;
		}
	}
	if (ret == 0 && n > 0)
		ret = store_gc_delete(s, (const uint8_t(*)[32])keys, n, cutoff, &deleted, error_r);
	if (store_iter_finish(&it, ret < 0 ? NULL : error_r) < 0)
		ret = -1;
	free(keys);
	if (ret == 0 && deleted_r != NULL)
		*deleted_r = deleted;
	return ret;
}
