/*
 * store-msgs.c: the messages of each user's folders (CF messages) and the per-user dedupe
 * records (CF dedupe): append, list, get, flags, keywords, expunge, chunked deletion, prune.
 * Every change writes the message records, the folder counters and the body references in
 * one synced batch, so the counters always match the records.
 * Part of pb_store_mail (store-mail.h).
 * OWNS: nothing beyond the handle. THREAD: any, with a single writer per user (store-mail.h).
 */
#include "store-internal.h"

#include <stdlib.h>

#define STORE_PRUNE_CHUNK 1024

void store_msg_key(uint64_t user_id, uint32_t folder_id, uint32_t uid,
		   uint8_t key_r[STORE_MSG_KEY_LEN])
{
	store_be64_put(key_r, user_id);
	store_be32_put(key_r + 8, folder_id);
	store_be32_put(key_r + 12, uid);
}

void pb_msg_rec_free(struct pb_msg_rec *rec)
{
	free(rec->keywords);
	rec->keywords = NULL;
}

void pb_msg_recs_free(struct pb_msg_rec *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pb_msg_rec_free(&recs[i]);
	free(recs);
}

/* messages value v1: [ver][u32 flags][i64 internal_date_ms][u64 size][u64 modseq]
 *                    [32 raw SHA-256 of the body][str keywords]
 * v2 (a record with sort keys): v1's fields, then [str sort_from][str sort_subject] */
static void store_msg_encode(const struct pb_msg_rec *rec, const uint8_t raw[32],
			     struct pb_buf *b)
{
	store_enc_u8(b, rec->has_sort_keys ? STORE_V2 : STORE_V1);
	store_enc_u32(b, rec->flags);
	store_enc_u64(b, (uint64_t)rec->internal_date_ms);
	store_enc_u64(b, rec->size);
	store_enc_u64(b, rec->modseq);
	pb_buf_append(b, raw, 32);
	store_enc_str(b, rec->keywords != NULL && rec->keywords[0] != '\0' ? rec->keywords
									   : NULL);
	if (rec->has_sort_keys) {
		store_enc_str(b, rec->sort_from);
		store_enc_str(b, rec->sort_subject);
	}
}

/* Reads a v2 sort key into key_r (cut to PB_MSG_SORT_KEY_LEN - 1 octets; NUL-padded). */
static void store_rd_sort_key(struct store_rd *r, char key_r[PB_MSG_SORT_KEY_LEN])
{
	char *k = store_rd_str(r);

	memset(key_r, 0, PB_MSG_SORT_KEY_LEN);
	if (k != NULL)
		strncpy(key_r, k, PB_MSG_SORT_KEY_LEN - 1);
	free(k);
}

int store_msg_decode(const void *val, size_t len, uint32_t uid, struct pb_msg_rec *rec_r,
		     const char **error_r)
{
	struct store_rd r;
	uint8_t raw[32];

	memset(rec_r, 0, sizeof(*rec_r));
	rec_r->uid = uid;
	store_rd_init(&r, val, len);
	uint8_t version = store_rd_u8(&r);
	if (version != STORE_V1 && version != STORE_V2)
		return store_fail(error_r, "store: message %u: unknown record version", uid);
	rec_r->flags = store_rd_u32(&r);
	rec_r->internal_date_ms = (int64_t)store_rd_u64(&r);
	rec_r->size = store_rd_u64(&r);
	rec_r->modseq = store_rd_u64(&r);
	store_rd_bytes(&r, raw, sizeof(raw));
	rec_r->keywords = store_rd_str(&r);
	rec_r->has_sort_keys = version == STORE_V2;
	if (rec_r->has_sort_keys) {
		store_rd_sort_key(&r, rec_r->sort_from);
		store_rd_sort_key(&r, rec_r->sort_subject);
	}
	if (!store_rd_ok(&r)) {
		pb_msg_rec_free(rec_r);
		return store_fail(error_r, "store: message %u: corrupt record", uid);
	}
	store_hex_from_raw(raw, rec_r->blob_key);
	return 0;
}

int pb_store_msg_get(struct pb_store *s, uint64_t user_id, uint32_t folder_id, uint32_t uid,
		     struct pb_msg_rec *rec_r, const char **error_r)
{
	uint8_t key[STORE_MSG_KEY_LEN];
	struct pb_buf val;

	store_msg_key(user_id, folder_id, uid, key);
	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_MESSAGES, key, sizeof(key), &val, error_r);
	if (ret == 1 && store_msg_decode(val.data, val.len, uid, rec_r, error_r) < 0)
		ret = -1;
	pb_buf_deinit(&val);
	return ret;
}

void store_msg_write(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t user_id,
		     uint32_t folder_id, const struct pb_msg_rec *rec)
{
	uint8_t key[STORE_MSG_KEY_LEN], raw[32];
	struct pb_buf val;

	if (store_hex_to_raw(rec->blob_key, raw) < 0)
		PANIC("message record with a malformed body key");
	store_msg_key(user_id, folder_id, rec->uid, key);
	pb_buf_init(&val);
	store_msg_encode(rec, raw, &val);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_MESSAGES], (const char *)key, sizeof(key),
				  val.data, val.len);
	pb_buf_deinit(&val);
}

/* dedupe key: [u64 user][dedupe key bytes]; value v1: [ver][u32 folder][u32 uid][i64 date] */
static size_t store_dedupe_key(uint64_t user_id, const char *dk, uint8_t *key_r)
{
	size_t len = strlen(dk);

	store_be64_put(key_r, user_id);
	memcpy(key_r + 8, dk, len);
	return 8 + len;
}

/* Looks a dedupe key up. Returns 1 (rec->uid and rec->modseq set), 0 absent, -1. */
static int store_dedupe_lookup(struct pb_store *s, uint64_t user_id, const char *dk,
			       struct pb_msg_rec *rec, const char **error_r)
{
	uint8_t key[8 + PB_DEDUPE_KEY_MAX];
	size_t klen = store_dedupe_key(user_id, dk, key);
	struct pb_buf val;
	struct store_rd r;
	struct pb_msg_rec old;

	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_DEDUPE, key, klen, &val, error_r);
	if (ret != 1) {
		pb_buf_deinit(&val);
		return ret;
	}
	store_rd_init(&r, val.data, val.len);
	bool v_ok = store_rd_u8(&r) == STORE_V1;
	uint32_t folder_id = store_rd_u32(&r);
	uint32_t uid = store_rd_u32(&r);
	(void)store_rd_u64(&r);
	bool ok = v_ok && store_rd_ok(&r);
	pb_buf_deinit(&val);
	if (!ok)
		return store_fail(error_r, "store: corrupt dedupe record");
	rec->uid = uid;
	rec->modseq = 0;
	ret = pb_store_msg_get(s, user_id, folder_id, uid, &old, error_r);
	if (ret == 1) {
		rec->modseq = old.modseq;
		pb_msg_rec_free(&old);
	}
	return ret < 0 ? -1 : 1;
}

static void store_dedupe_write(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t user_id,
			       const char *dk, uint32_t folder_id, const struct pb_msg_rec *rec)
{
	uint8_t key[8 + PB_DEDUPE_KEY_MAX], val[17];
	size_t klen = store_dedupe_key(user_id, dk, key);

	val[0] = STORE_V1;
	store_be32_put(val + 1, folder_id);
	store_be32_put(val + 5, rec->uid);
	store_be64_put(val + 9, (uint64_t)rec->internal_date_ms);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_DEDUPE], (const char *)key, klen,
				  (const char *)val, sizeof(val));
}

static int store_append_check(const struct pb_msg_rec *rec, const char *dk, uint8_t raw_r[32],
			      const char **error_r)
{
	if (store_hex_to_raw(rec->blob_key, raw_r) < 0)
		return store_fail(error_r, "store: malformed body key");
	if (rec->keywords != NULL && strlen(rec->keywords) > PB_KEYWORDS_MAX)
		return store_fail(error_r, "store: keywords longer than %d", PB_KEYWORDS_MAX);
	if (dk != NULL && (dk[0] == '\0' || strlen(dk) > PB_DEDUPE_KEY_MAX))
		return store_fail(error_r, "store: dedupe key empty or longer than %d",
				  PB_DEDUPE_KEY_MAX);
	return 0;
}

/* Builds and writes the append batch; the folder is read, the GC lock held shared. */
static int store_append_write(struct pb_store *s, uint64_t user_id, struct pb_folder_rec *f,
			      struct pb_msg_rec *rec, const uint8_t raw[32], const char *dk,
			      bool sync, const char **error_r)
{
	int ret = store_blob_exists(s, raw, error_r);

	if (ret <= 0)
		return ret < 0 ? -1 : store_fail(error_r, "store: no body %s", rec->blob_key);
	if (f->uidnext == UINT32_MAX)
		return store_fail(error_r, "store: folder %s: uids exhausted", f->name);
	rec->uid = f->uidnext++;
	rec->modseq = ++f->highestmodseq;
	f->messages++;
	f->bytes += rec->size;
	if ((rec->flags & PB_MSG_SEEN) == 0)
		f->unseen++;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	store_msg_write(b, s, user_id, f->id, rec);
	store_folder_write(b, s, user_id, f);
	store_refcount_merge(b, s, raw, 1, 0);
	if (dk != NULL)
		store_dedupe_write(b, s, user_id, dk, f->id, rec);
	ret = sync ? store_write(s, b, error_r) : store_write_lazy(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	return ret;
}

int pb_store_msg_append(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			struct pb_msg_rec *rec, const char *dedupe_key, const char **error_r)
{
	return pb_store_msg_append_ex(s, user_id, folder_id, rec, dedupe_key, true, error_r);
}

int pb_store_msg_append_ex(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			   struct pb_msg_rec *rec, const char *dedupe_key, bool sync,
			   const char **error_r)
{
	struct pb_folder_rec f;
	uint8_t raw[32];
	int ret;

	if (store_append_check(rec, dedupe_key, raw, error_r) < 0)
		return -1;
	if (dedupe_key != NULL) {
		ret = store_dedupe_lookup(s, user_id, dedupe_key, rec, error_r);
		if (ret != 0)
			return ret;
	}
	ret = store_folder_read(s, user_id, folder_id, &f, error_r);
	if (ret <= 0)
		return ret < 0 ? -1 : store_fail(error_r, "store: no folder %u", folder_id);
	pthread_rwlock_rdlock(store_gc_lock(s, raw));
	ret = store_append_write(s, user_id, &f, rec, raw, dedupe_key, sync, error_r);
	pthread_rwlock_unlock(store_gc_lock(s, raw));
	pb_folder_rec_free(&f);
	return ret;
}

/* Adds recs to the batch b (the folder read, the bodies' stripes held). 0 / -1. */
static int store_batch_fill(struct pb_store *s, rocksdb_writebatch_t *b, uint64_t user_id,
			    struct pb_folder_rec *f, struct pb_msg_rec *recs, const uint8_t *raws,
			    size_t n, const char **error_r)
{
	for (size_t i = 0; i < n; i++) {
		int ret = store_blob_exists(s, raws + i * 32, error_r);
		if (ret <= 0)
			return ret < 0 ? -1 : store_fail(error_r, "store: no body %s", recs[i].blob_key);
		if (f->uidnext == UINT32_MAX)
			return store_fail(error_r, "store: folder %s: uids exhausted", f->name);
		recs[i].uid = f->uidnext++;
		recs[i].modseq = ++f->highestmodseq;
		f->messages++;
		f->bytes += recs[i].size;
		f->unseen += (recs[i].flags & PB_MSG_SEEN) == 0;
		store_msg_write(b, s, user_id, f->id, &recs[i]);
		store_refcount_merge(b, s, raws + i * 32, 1, 0);
	}
	store_folder_write(b, s, user_id, f);
	return 0;
}

int pb_store_msg_append_batch(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			      struct pb_msg_rec *recs, size_t n, const char **error_r)
{
	struct pb_folder_rec f;
	bool stripes[STORE_GC_STRIPES];
	uint8_t *raws = xcalloc(n != 0 ? n : 1, 32);
	int ret = 0, found = 0;

	for (size_t i = 0; i < n && ret == 0; i++)
		ret = store_append_check(&recs[i], NULL, raws + i * 32, error_r);
	if (ret == 0 && (found = store_folder_read(s, user_id, folder_id, &f, error_r)) <= 0)
		ret = found < 0 ? -1 : store_fail(error_r, "store: no folder %u", folder_id);
	if (found > 0) {
		store_batch_stripes(raws, n, stripes);
		for (size_t st = 0; st < STORE_GC_STRIPES; st++)
			if (stripes[st])
				pthread_rwlock_rdlock(&s->gc_locks[st]);
		rocksdb_writebatch_t *b = rocksdb_writebatch_create();
		ret = store_batch_fill(s, b, user_id, &f, recs, raws, n, error_r);
		if (ret == 0)
			ret = store_write(s, b, error_r);
		rocksdb_writebatch_destroy(b);
		for (size_t st = STORE_GC_STRIPES; st-- > 0;)
			if (stripes[st])
				pthread_rwlock_unlock(&s->gc_locks[st]);
		pb_folder_rec_free(&f);
	}
	free(raws);
	return ret;
}

/* Seeks a new iterator over the folder's messages to the first with uid >= uid. */
static void store_msg_seek(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			   uint32_t uid, struct store_iter *it_r)
{
	uint8_t prefix[STORE_FOLDER_KEY_LEN], key[STORE_MSG_KEY_LEN];

	store_folder_key(user_id, folder_id, prefix);
	store_iter_prefix(s, STORE_CF_MESSAGES, prefix, sizeof(prefix), it_r);
	store_msg_key(user_id, folder_id, uid, key);
	rocksdb_iter_seek(it_r->it, (const char *)key, sizeof(key));
}

/* Decodes the iterator's message into the next slot of *arr (grown as needed) and keeps it
 * when its modseq is above changed_since. Returns 0 / -1. */
static int store_msg_take(struct store_iter *it, uint32_t uid, uint64_t changed_since,
			  struct pb_msg_rec **arr, size_t *n, size_t *cap, const char **error_r)
{
	size_t vlen;
	const char *v = rocksdb_iter_value(it->it, &vlen);

	if (*n == *cap) {
		*cap = *cap != 0 ? *cap * 2 : 64;
		*arr = xrealloc(*arr, *cap * sizeof(**arr));
	}
	if (store_msg_decode(v, vlen, uid, &(*arr)[*n], error_r) < 0)
		return -1;
	if ((*arr)[*n].modseq > changed_since)
		(*n)++;
	else
		pb_msg_rec_free(&(*arr)[*n]);
	return 0;
}

int pb_store_msg_list_range(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			    const struct pb_msg_list_range *q, struct pb_msg_rec **recs_r,
			    size_t *n_r, uint32_t *next_uid_r, const char **error_r)
{
	struct store_iter it;
	struct pb_msg_rec *arr = NULL;
	size_t n = 0, cap = 0, scanned = 0;
	uint32_t last = q->uid_last != 0 ? q->uid_last : UINT32_MAX;
	int ret = 0;

	*next_uid_r = 0;
	store_msg_seek(s, user_id, folder_id, q->uid_first, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		size_t klen;
		const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it.it, &klen);
		uint32_t uid = klen == STORE_MSG_KEY_LEN ? store_be32_get(k + 12) : 0;
		if (uid == 0 || uid < q->uid_first)
			continue;
		if (uid > last)
			break;
		if (n == q->max || (q->max_scan != 0 && scanned == q->max_scan)) {
			*next_uid_r = uid; /* more in range: the next page starts here */
			break;
		}
		scanned++;
		if ((ret = store_msg_take(&it, uid, q->changed_since, &arr, &n, &cap, error_r)) < 0)
			break;
	}
	if (store_iter_finish(&it, ret < 0 ? NULL : error_r) < 0 || ret < 0) {
		pb_msg_recs_free(arr, n);
		return -1;
	}
	*recs_r = arr;
	*n_r = n;
	return 0;
}

/* Lists up to max messages of a folder from the lowest uid. */
static int store_msg_list_max(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			      size_t max, struct pb_msg_rec **recs_r, size_t *n_r,
			      const char **error_r)
{
	struct pb_msg_list_range all = { .uid_first = 1, .max = max };
	uint32_t next;

	return pb_store_msg_list_range(s, user_id, folder_id, &all, recs_r, n_r, &next, error_r);
}

int pb_store_msg_list(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
		      struct pb_msg_rec **recs_r, size_t *n_r, const char **error_r)
{
	return store_msg_list_max(s, user_id, folder_id, SIZE_MAX, recs_r, n_r, error_r);
}

static int store_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* A sorted copy of uids without duplicates (a uid listed twice must count once). */
uint32_t *store_uids_unique(const uint32_t *uids, size_t n, size_t *n_r)
{
	uint32_t *u = xmalloc((n != 0 ? n : 1) * sizeof(*u));
	size_t m = 0;

	if (n > 0)
		memcpy(u, uids, n * sizeof(*u));
	qsort(u, n, sizeof(*u), store_uid_cmp);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || u[m - 1] != u[i])
			u[m++] = u[i];
	*n_r = m;
	return u;
}

uint32_t store_flags_apply(uint32_t old, int mode, uint32_t flags)
{
	if (mode == PB_FLAGS_ADD)
		return old | flags;
	if (mode == PB_FLAGS_REMOVE)
		return old & ~flags;
	return flags;
}

/* Adds changed records to the batch. Returns how many changed, or -1. */
static long store_flags_batch(struct pb_store *s, uint64_t user_id, struct pb_folder_rec *f,
			      const uint32_t *uids, size_t n, int mode, uint32_t flags,
			      rocksdb_writebatch_t *b, const char **error_r)
{
	uint64_t modseq = f->highestmodseq + 1;
	long changed = 0;

	for (size_t i = 0; i < n; i++) {
		struct pb_msg_rec m;
		int ret = pb_store_msg_get(s, user_id, f->id, uids[i], &m, error_r);
		if (ret < 0)
			return -1;
		if (ret == 0)
			continue;
		uint32_t nf = store_flags_apply(m.flags, mode, flags);
		if (nf != m.flags) {
			if ((m.flags & PB_MSG_SEEN) != (nf & PB_MSG_SEEN))
				f->unseen += (nf & PB_MSG_SEEN) != 0 ? (uint64_t)-1 : 1;
			m.flags = nf;
			m.modseq = modseq;
			store_msg_write(b, s, user_id, f->id, &m);
			changed++;
		}
		pb_msg_rec_free(&m);
	}
	return changed;
}

int pb_store_msg_set_flags(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			   const uint32_t *uids, size_t n, int mode, uint32_t flags,
			   uint64_t *modseq_r, const char **error_r)
{
	struct pb_folder_rec f;
	size_t un;

	if (mode != PB_FLAGS_SET && mode != PB_FLAGS_ADD && mode != PB_FLAGS_REMOVE)
		return store_fail(error_r, "store: bad flags mode %d", mode);
	int ret = store_folder_read(s, user_id, folder_id, &f, error_r);
	if (ret <= 0)
		return ret < 0 ? -1 : store_fail(error_r, "store: no folder %u", folder_id);
	uint32_t *u = store_uids_unique(uids, n, &un);
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	long changed = store_flags_batch(s, user_id, &f, u, un, mode, flags, b, error_r);
	ret = changed < 0 ? -1 : 0;
	if (changed > 0) {
		f.highestmodseq++;
		store_folder_write(b, s, user_id, &f);
		ret = store_write(s, b, error_r);
	}
	if (ret == 0 && modseq_r != NULL)
		*modseq_r = f.highestmodseq;
	rocksdb_writebatch_destroy(b);
	free(u);
	pb_folder_rec_free(&f);
	return ret;
}

int pb_store_msg_set_keywords(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			      uint32_t uid, const char *keywords, uint64_t *modseq_r,
			      const char **error_r)
{
	struct pb_folder_rec f;
	struct pb_msg_rec m;

	if (keywords != NULL && strlen(keywords) > PB_KEYWORDS_MAX)
		return store_fail(error_r, "store: keywords longer than %d", PB_KEYWORDS_MAX);
	int ret = store_folder_read(s, user_id, folder_id, &f, error_r);
	if (ret <= 0)
		return ret;
	ret = pb_store_msg_get(s, user_id, folder_id, uid, &m, error_r);
	if (ret == 1) {
		free(m.keywords);
		m.keywords = keywords != NULL ? xstrdup(keywords) : NULL;
		m.modseq = ++f.highestmodseq;
		rocksdb_writebatch_t *b = rocksdb_writebatch_create();
		store_msg_write(b, s, user_id, folder_id, &m);
		store_folder_write(b, s, user_id, &f);
		ret = store_write(s, b, error_r) < 0 ? -1 : 1;
		rocksdb_writebatch_destroy(b);
		if (ret == 1 && modseq_r != NULL)
			*modseq_r = m.modseq;
		pb_msg_rec_free(&m);
	}
	pb_folder_rec_free(&f);
	return ret;
}

/* Adds the removal of one message (record, counters, reference) to the batch. */
void store_msg_remove(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t user_id,
		      struct pb_folder_rec *f, const struct pb_msg_rec *m)
{
	uint8_t key[STORE_MSG_KEY_LEN], raw[32];

	store_msg_key(user_id, f->id, m->uid, key);
	rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_MESSAGES], (const char *)key, sizeof(key));
	if (store_hex_to_raw(m->blob_key, raw) == 0)
		store_refcount_merge(b, s, raw, -1, 0);
	f->messages -= f->messages > 0 ? 1 : 0;
	f->bytes -= f->bytes >= m->size ? m->size : f->bytes;
	if ((m->flags & PB_MSG_SEEN) == 0 && f->unseen > 0)
		f->unseen--;
}

int pb_store_msg_expunge(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			 const uint32_t *uids, size_t n, const char **error_r)
{
	struct pb_expunged out;
	struct pb_expunge_sel sel = { .uids = uids, .n = n };

	if (pb_store_msg_expunge_sel(s, user_id, folder_id, &sel, &out, error_r) < 0)
		return -1;
	pb_expunged_free(&out);
	return 0;
}

long store_msgs_delete_chunk(struct pb_store *s, uint64_t user_id, struct pb_folder_rec *f,
			     size_t max, const char **error_r)
{
	struct pb_msg_rec *recs;
	size_t n;

	if (store_msg_list_max(s, user_id, f->id, max, &recs, &n, error_r) < 0)
		return -1;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	for (size_t i = 0; i < n; i++)
		store_msg_remove(b, s, user_id, f, &recs[i]);
	long ret = (long)n;
	if (n > 0) {
		f->highestmodseq++;
		store_folder_write(b, s, user_id, f);
		if (store_write_ex(s, b, true, true, error_r) < 0)
			ret = -1;
	}
	rocksdb_writebatch_destroy(b);
	pb_msg_recs_free(recs, n);
	return ret;
}

/* Deletes the collected dedupe keys (each [u64 user][key]) in one synced batch. */
static int store_dedupe_delete(struct pb_store *s, struct pb_buf *keys, size_t n,
			       const char **error_r)
{
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t klen = store_be32_get((const uint8_t *)keys->data + off);
		rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_DEDUPE], keys->data + off + 4, klen);
		off += 4 + klen;
	}
	int ret = store_write_ex(s, b, true, true, error_r);
	rocksdb_writebatch_destroy(b);
	pb_buf_reset(keys);
	return ret;
}

static bool store_dedupe_old(const char *v, size_t vlen, int64_t before_ms)
{
	if (vlen != 17 || (uint8_t)v[0] != STORE_V1)
		return true; /* unreadable: nothing can use it */
	return (int64_t)store_be64_get((const uint8_t *)v + 9) < before_ms;
}

int pb_store_dedupe_prune(struct pb_store *s, uint64_t user_id, int64_t before_ms,
			  uint64_t *removed_r, const char **error_r)
{
	uint8_t prefix[8];
	struct store_iter it;
	struct pb_buf keys;
	size_t n = 0;
	uint64_t removed = 0;
	int ret = 0;

	store_be64_put(prefix, user_id);
	pb_buf_init(&keys);
	store_iter_prefix(s, STORE_CF_DEDUPE, prefix, sizeof(prefix), &it);
	for (; ret == 0 && store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		size_t klen, vlen;
		const char *k = rocksdb_iter_key(it.it, &klen);
		const char *v = rocksdb_iter_value(it.it, &vlen);
		if (!store_dedupe_old(v, vlen, before_ms))
			continue;
		store_enc_u32(&keys, (uint32_t)klen);
		pb_buf_append(&keys, k, klen);
		removed++;
		if (++n == STORE_PRUNE_CHUNK) {
			ret = store_dedupe_delete(s, &keys, n, error_r);
			n = 0;
		}
	}
	if (ret == 0 && n > 0)
		ret = store_dedupe_delete(s, &keys, n, error_r);
	if (store_iter_finish(&it, ret < 0 ? NULL : error_r) < 0)
		ret = -1;
	pb_buf_deinit(&keys);
	if (ret == 0 && removed_r != NULL)
		*removed_r = removed;
	return ret;
}
