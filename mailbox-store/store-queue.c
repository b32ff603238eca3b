/*
 * store-queue.c: the outbound queue (store-queue.h).
 * Key: [u64 id BE]. Value: a live entry [u8 1][str sender][str msgid][str envid][u8 ret]
 * [u8 held][u8 warned][i64 arrival_ms][i64 next_ms][u64 size][32 raw body hash][u32 n]
 * n x ([str addr][str orcpt][u8 notify][u8 state][u32 attempts][str reply]); v2 (written now)
 * the same with [str sender (NULL: the entry's)][str edit] after each recipient's reply (v1 is
 * still read: every recipient from the entry's sender, no edit); or a tombstone
 * [u8 0xDD][i64 finished_ms] (the id was queued once: a replayed hand-off adds nothing).
 * Part of pb_store_queue. OWNS: the queue column family.
 * THREAD: any; an entry is written by the one shard that owns it.
 */
#include "store-internal.h"
#include "store-queue.h"

#define QUEUE_V1 1
#define QUEUE_V2 2 /* v1 and each recipient's own sender and header edits */
#define QUEUE_TOMB 0xDD

void pb_queue_rec_free(struct pb_queue_rec *q)
{
	free(q->sender);
	free(q->msgid);
	free(q->envid);
	for (size_t i = 0; i < q->n; i++) {
		free(q->r[i].addr);
		free(q->r[i].orcpt);
		free(q->r[i].reply);
		free(q->r[i].sender);
		free(q->r[i].edit);
	}
	free(q->r);
	memset(q, 0, sizeof(*q));
}

static char *dup0(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

void pb_queue_rec_copy(struct pb_queue_rec *dst, const struct pb_queue_rec *src)
{
	*dst = *src;
	dst->sender = dup0(src->sender);
	dst->msgid = dup0(src->msgid);
	dst->envid = dup0(src->envid);
	dst->r = xcalloc(src->n > 0 ? src->n : 1, sizeof(*dst->r));
	for (size_t i = 0; i < src->n; i++) {
		dst->r[i] = src->r[i];
		dst->r[i].addr = dup0(src->r[i].addr);
		dst->r[i].orcpt = dup0(src->r[i].orcpt);
		dst->r[i].reply = dup0(src->r[i].reply);
		dst->r[i].sender = src->r[i].sender != NULL ? xstrdup(src->r[i].sender) : NULL;
		dst->r[i].edit = dup0(src->r[i].edit);
	}
}

static void queue_encode(const struct pb_queue_rec *q, const uint8_t raw[32], struct pb_buf *v)
{
	store_enc_u8(v, QUEUE_V2);
	store_enc_str(v, q->sender != NULL ? q->sender : "");
	store_enc_str(v, q->msgid != NULL ? q->msgid : "");
	store_enc_str(v, q->envid != NULL ? q->envid : "");
	store_enc_u8(v, q->ret);
	store_enc_u8(v, q->held);
	store_enc_u8(v, q->warned);
	store_enc_u64(v, (uint64_t)q->arrival_ms);
	store_enc_u64(v, (uint64_t)q->next_ms);
	store_enc_u64(v, q->size);
	pb_buf_append(v, raw, 32);
	store_enc_u32(v, (uint32_t)q->n);
	for (size_t i = 0; i < q->n; i++) {
		const struct pb_queue_rcpt *r = &q->r[i];
		store_enc_str(v, r->addr);
		store_enc_str(v, r->orcpt != NULL ? r->orcpt : "");
		store_enc_u8(v, r->notify);
		store_enc_u8(v, r->state);
		store_enc_u32(v, r->attempts);
		store_enc_str(v, r->reply != NULL ? r->reply : "");
		store_enc_str(v, r->sender);
		store_enc_str(v, r->edit != NULL ? r->edit : "");
	}
}

/* Decodes a live entry: 1, 0 a tombstone, -1 corrupt. */
static int queue_decode(const void *key, size_t klen, const void *val, size_t vlen,
			struct pb_queue_rec *q)
{
	struct store_rd rd;
	uint8_t raw[32];

	memset(q, 0, sizeof(*q));
	if (klen != 8 || vlen == 0)
		return -1;
	q->id = store_be64_get(key);
	store_rd_init(&rd, val, vlen);
	uint8_t version = store_rd_u8(&rd);
	if (version == QUEUE_TOMB)
		return 0;
	if (version != QUEUE_V1 && version != QUEUE_V2)
		return -1;
	q->sender = store_rd_str(&rd);
	q->msgid = store_rd_str(&rd);
	q->envid = store_rd_str(&rd);
	q->ret = store_rd_u8(&rd);
	q->held = store_rd_u8(&rd) != 0;
	q->warned = store_rd_u8(&rd) != 0;
	q->arrival_ms = (int64_t)store_rd_u64(&rd);
	q->next_ms = (int64_t)store_rd_u64(&rd);
	q->size = store_rd_u64(&rd);
	store_rd_bytes(&rd, raw, 32);
	uint32_t n = store_rd_u32(&rd);
	if (rd.bad || n > PB_QUEUE_MAX_RCPTS) {
		pb_queue_rec_free(q);
		return -1;
	}
	q->r = xcalloc(n > 0 ? n : 1, sizeof(*q->r));
	for (q->n = 0; q->n < n; q->n++) {
		struct pb_queue_rcpt *r = &q->r[q->n];
		r->addr = store_rd_str(&rd);
		r->orcpt = store_rd_str(&rd);
		r->notify = store_rd_u8(&rd);
		r->state = store_rd_u8(&rd);
		r->attempts = store_rd_u32(&rd);
		r->reply = store_rd_str(&rd);
		r->sender = version >= QUEUE_V2 ? store_rd_str(&rd) : NULL;
		r->edit = version >= QUEUE_V2 ? store_rd_str(&rd) : xstrdup("");
		if (r->addr == NULL || r->orcpt == NULL || r->reply == NULL || r->edit == NULL)
			rd.bad = true;
	}
	store_hex_from_raw(raw, q->blob_key);
	if (!store_rd_ok(&rd) || q->sender == NULL || q->msgid == NULL || q->envid == NULL) {
		pb_queue_rec_free(q);
		return -1;
	}
	return 1;
}

/* Puts the entry into b. 0 / -1 (a malformed body key, too many recipients). */
static int queue_put(rocksdb_writebatch_t *b, struct pb_store *s, const struct pb_queue_rec *q,
		     uint8_t raw_r[32], const char **error_r)
{
	uint8_t key[8];
	struct pb_buf v;

	if (q->n == 0 || q->n > PB_QUEUE_MAX_RCPTS)
		return store_fail(error_r, "queue: 1 to %d recipients", PB_QUEUE_MAX_RCPTS);
	if (store_hex_to_raw(q->blob_key, raw_r) < 0)
		return store_fail(error_r, "queue: malformed body key");
	store_be64_put(key, q->id);
	pb_buf_init(&v);
	queue_encode(q, raw_r, &v);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_QUEUE], (const char *)key, 8, v.data, v.len);
	pb_buf_deinit(&v);
	return 0;
}

int pb_store_queue_add(struct pb_store *s, const struct pb_queue_rec *q, bool sync,
		       const char **error_r)
{
	uint8_t key[8], raw[32];
	struct pb_buf old;

	store_be64_put(key, q->id);
	pb_buf_init(&old);
	int found = store_get(s, STORE_CF_QUEUE, key, 8, &old, error_r);
	pb_buf_deinit(&old);
	if (found != 0)
		return found < 0 ? -1 : 0;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	int ret = queue_put(b, s, q, raw, error_r);
	if (ret == 0) {
		/* The body is held by the spool entry handing it over: it cannot go meanwhile. */
		store_refcount_merge(b, s, raw, 1, 0);
		ret = store_write_ex(s, b, sync, false, error_r);
	}
	rocksdb_writebatch_destroy(b);
	return ret < 0 ? -1 : 1;
}

int pb_store_queue_update(struct pb_store *s, const struct pb_queue_rec *q, bool sync,
			  const char **error_r)
{
	uint8_t raw[32];
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	int ret = queue_put(b, s, q, raw, error_r);

	if (ret == 0)
		ret = store_write_ex(s, b, sync, true, error_r);
	rocksdb_writebatch_destroy(b);
	return ret;
}

int pb_store_queue_finish(struct pb_store *s, uint64_t id, int64_t now_ms, bool sync,
			  const char **error_r)
{
	uint8_t key[8], tomb[9];
	struct pb_buf v;
	struct pb_queue_rec q;

	store_be64_put(key, id);
	pb_buf_init(&v);
	int ret = store_get(s, STORE_CF_QUEUE, key, 8, &v, error_r);
	if (ret == 1)
		ret = queue_decode(key, 8, v.data, v.len, &q);
	pb_buf_deinit(&v);
	if (ret != 1)
		return ret < 0 ? store_fail(error_r, "queue: a corrupt or unreadable entry") : 0;
	uint8_t raw[32];
	store_hex_to_raw(q.blob_key, raw);
	pb_queue_rec_free(&q);
	tomb[0] = QUEUE_TOMB;
	store_be64_put(tomb + 1, (uint64_t)now_ms);
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_QUEUE], (const char *)key, 8,
				  (const char *)tomb, sizeof(tomb));
	store_refcount_merge(b, s, raw, -1, 0);
	ret = store_write_ex(s, b, sync, true, error_r);
	rocksdb_writebatch_destroy(b);
	return ret < 0 ? -1 : 1;
}

int pb_store_queue_iter(struct pb_store *s, int (*cb)(const struct pb_queue_rec *q, void *ctx),
			void *ctx, const char **error_r)
{
	struct store_iter it;
	size_t klen, vlen;

	store_iter_prefix(s, STORE_CF_QUEUE, "", 0, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		struct pb_queue_rec q;
		const char *k = rocksdb_iter_key(it.it, &klen);
		const char *v = rocksdb_iter_value(it.it, &vlen);
		int live = queue_decode(k, klen, v, vlen, &q);
		if (live < 0) {
			store_iter_finish(&it, NULL);
			return store_fail(error_r, "queue: a corrupt record");
		}
		if (live == 0)
			continue;
		int stop = cb(&q, ctx);
		pb_queue_rec_free(&q);
		if (stop)
			break;
	}
	return store_iter_finish(&it, error_r);
}

int pb_store_queue_prune(struct pb_store *s, int64_t before_ms, const char **error_r)
{
	struct store_iter it;
	size_t klen, vlen;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();

	store_iter_prefix(s, STORE_CF_QUEUE, "", 0, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it.it, &klen);
		const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it.it, &vlen);
		if (vlen == 9 && v[0] == QUEUE_TOMB && (int64_t)store_be64_get(v + 1) < before_ms)
			rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_QUEUE], (const char *)k, klen);
	}
	int ret = store_iter_finish(&it, error_r);
	if (ret == 0 && rocksdb_writebatch_count(b) > 0)
		ret = store_write_ex(s, b, false, true, error_r);
	rocksdb_writebatch_destroy(b);
	return ret;
}
