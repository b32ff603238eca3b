/*
 * store-refs.c: the parts of the store every record library shares beyond the handle: body
 * reference counts (CF refcounts: an add merge operator that also carries the GC epoch of the
 * last put; RocksDB needs the operator at open, and mail takes and drops references), the
 * persistent GC epoch, and the id sequence spool entries and bodies share. Part of the core
 * library pb_store_db; what the records mean is in store-bodies.c and store-blobs.c.
 *
 * Why ids start from the wall clock: a dedupe key is "spool id:recipient", so an id must
 * never come back, not even after the spool has drained and the daemon restarted. Seeding
 * with max(last id on disk + 1, now_ms << 20) guarantees that without a synced counter write
 * per message.
 *
 * OWNS: nothing beyond the handle (s->spool_next, the id sequence; s->gc_epoch is loaded here
 * and advanced by the GC run). THREAD: any.
 */
#include "store-internal.h"

#include <stdlib.h>
#include <time.h>

/* The GC epoch lives in CF counters under a key no counter name can have (leading NUL). */
const char store_gc_epoch_key[STORE_GC_EPOCH_KEYLEN + 1] = "\0blob-gc-epoch";

bool store_ref_decode(const char *v, size_t len, struct store_ref *ref)
{
	if (len != STORE_REF_LEN || (uint8_t)v[0] != STORE_V1)
		return false;
	ref->count = (int64_t)store_be64_get((const uint8_t *)v + 1);
	ref->epoch = store_be64_get((const uint8_t *)v + 9);
	return true;
}

static char *store_ref_encode(const struct store_ref *ref)
{
	uint8_t *v = xmalloc(STORE_REF_LEN);

	v[0] = STORE_V1;
	store_be64_put(v + 1, (uint64_t)ref->count);
	store_be64_put(v + 9, ref->epoch);
	return (char *)v;
}

/* Sums operands into acc (count adds, epoch takes the maximum). False if one is malformed. */
static bool store_ref_sum(struct store_ref *acc, const char *const *ops, const size_t *lens,
			  int n)
{
	for (int i = 0; i < n; i++) {
		struct store_ref op;
		if (!store_ref_decode(ops[i], lens[i], &op))
			return false;
		acc->count = (int64_t)((uint64_t)acc->count + (uint64_t)op.count);
		if (op.epoch > acc->epoch)
			acc->epoch = op.epoch;
	}
	return true;
}

static char *store_ref_full_merge(void *state, const char *key, size_t klen,
				  const char *existing, size_t elen, const char *const *ops,
				  const size_t *lens, int n, unsigned char *success,
				  size_t *new_len)
{
	struct store_ref acc = { 0, 0 };

	*success = 0;
	*new_len = 0;
	if (existing != NULL && !store_ref_decode(existing, elen, &acc))
		return NULL;
	if (!store_ref_sum(&acc, ops, lens, n))
		return NULL;
	*success = 1;
	*new_len = STORE_REF_LEN;
	return store_ref_encode(&acc);
}

static char *store_ref_partial_merge(void *state, const char *key, size_t klen,
				     const char *const *ops, const size_t *lens, int n,
				     unsigned char *success, size_t *new_len)
{
	return store_ref_full_merge(state, key, klen, NULL, 0, ops, lens, n, success, new_len);
}

static void store_ref_delete_value(void *state, const char *value, size_t len)
{
	free((void *)value);
}

static const char *store_ref_name(void *state)
{
	return "pb_refcount_v1";
}

static void store_ref_destroy(void *state)
{
}

rocksdb_mergeoperator_t *store_refcount_merge_operator(void)
{
	return rocksdb_mergeoperator_create(NULL, store_ref_destroy, store_ref_full_merge,
					    store_ref_partial_merge, store_ref_delete_value,
					    store_ref_name);
}

void store_refcount_merge(rocksdb_writebatch_t *b, struct pb_store *s, const uint8_t raw[32],
			  int64_t delta, uint64_t epoch)
{
	struct store_ref op = { delta, epoch };
	char *v = store_ref_encode(&op);

	rocksdb_writebatch_merge_cf(b, s->cf[STORE_CF_REFCOUNTS], (const char *)raw, 32, v,
				    STORE_REF_LEN);
	free(v);
}

int store_ref_get(struct pb_store *s, const uint8_t raw[32], struct store_ref *ref_r,
			 const char **error_r)
{
	struct pb_buf val;

	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_REFCOUNTS, raw, 32, &val, error_r);
	if (ret == 1 && !store_ref_decode(val.data, val.len, ref_r))
		ret = store_fail(error_r, "store: corrupt reference count record");
	pb_buf_deinit(&val);
	return ret;
}

void store_batch_stripes(const uint8_t *raws, size_t n, bool stripes_r[STORE_GC_STRIPES])
{
	memset(stripes_r, 0, STORE_GC_STRIPES * sizeof(bool));
	for (size_t i = 0; i < n; i++)
		stripes_r[raws[i * 32] % STORE_GC_STRIPES] = true;
}

int store_blob_exists(struct pb_store *s, const uint8_t raw[32], const char **error_r)
{
	struct store_ref ref;

	return store_ref_get(s, raw, &ref, error_r);
}

int store_blobs_open(struct pb_store *s, const char **error_r)
{
	struct pb_buf val;
	struct store_rd r;

	atomic_store(&s->gc_epoch, 1);
	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_COUNTERS, store_gc_epoch_key, STORE_GC_EPOCH_KEYLEN, &val,
			    error_r);
	if (ret == 1) {
		store_rd_init(&r, val.data, val.len);
		bool v_ok = store_rd_u8(&r) == STORE_V1;
		atomic_store(&s->gc_epoch, store_rd_u64(&r));
		if (!v_ok || !store_rd_ok(&r))
			ret = store_fail(error_r, "store: corrupt blob GC epoch record");
	}
	pb_buf_deinit(&val);
	return ret < 0 ? -1 : 0;
}

/* The largest id in use in cf whose keys begin with a u64 id (spool entries, chunks). */
static uint64_t last_id_on_disk(struct pb_store *s, enum store_cf cf)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, s->ropt, s->cf[cf]);
	uint64_t last = 0;
	size_t klen;

	rocksdb_iter_seek_to_last(it);
	if (rocksdb_iter_valid(it)) {
		const char *k = rocksdb_iter_key(it, &klen);
		if (klen >= 8)
			last = store_be64_get((const uint8_t *)k);
	}
	rocksdb_iter_destroy(it);
	return last;
}

uint64_t store_next_id(struct pb_store *s)
{
	uint64_t cur = atomic_load(&s->spool_next);
	if (cur == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
		uint64_t seed = now_ms << 20, last = last_id_on_disk(s, STORE_CF_SPOOL);
		uint64_t last_body = last_id_on_disk(s, STORE_CF_CHUNKS);
		if (last_body > last)
			last = last_body;
		if (last >= seed)
			seed = last + 1;
		atomic_compare_exchange_strong(&s->spool_next, &cur, seed);
	}
	return atomic_fetch_add(&s->spool_next, 1);
}

uint64_t store_next_id_mod(struct pb_store *s, uint32_t rem, uint32_t mod)
{
	uint64_t id = store_next_id(s); /* seeds the sequence */
	uint64_t cur = atomic_load(&s->spool_next);

	ASSERT(mod > 0 && rem < mod);
	if (id % mod == rem)
		return id;
	/* the smallest id >= cur in the class; the ids skipped are never used (ids are unique,
	 * not dense) */
	for (;;) {
		uint64_t want = cur + (rem + mod - cur % mod) % mod;
		if (atomic_compare_exchange_weak(&s->spool_next, &cur, want + 1))
			return want;
	}
}
