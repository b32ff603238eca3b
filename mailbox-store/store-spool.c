/*
 * store-spool.c: the incoming spool — messages accepted by SMTP and not yet delivered.
 * Key: [u64 spool id BE]. Value v1: [u8 1][str sender][u64 received_ms][u64 size]
 * [32 raw body hash][u32 n][n x (str rcpt, u64 user id)]; v2 (written now) the same with
 * [str msgid] after the sender; v3 v2 and [u8 planned] at the end; v4 (written now) v3 and
 * [u8 origin][str collector][u8 items] and, when items is 1, n x ([str folder][u32 flags]
 * [str keywords]) (the plan's folders, flags and keywords); v5 (written now) v4 and, when items
 * is 1, [u8 edits] and when it is 1 n x [str headers] (the header edits of each item, "" none:
 * mime-edit.h); v6 (written now) v5 (its item fields absent when items is 0) and
 * [u8 n] n x ([u64 at][str text]): the signature's insertions (store-spool.h); v7 (written
 * now) v6 and [str message_id] (the header's Message-ID, "" none). All are read.
 * Part of pb_store_spool (store-spool.h). OWNS: the spool column family (its ids come from
 * store_next_id, store-refs.c).
 * THREAD: any; puts are independent, a given entry is iterated and removed by one actor.
 */
#include "store-internal.h"

#define SPOOL_V2 2 /* v1 with the msgid */
#define SPOOL_V3 3 /* v2 and [u8 planned] at the end */
#define SPOOL_V4 4 /* v3, the origin, the collector and the plan's folders, flags, keywords */
#define SPOOL_V5 5 /* v4 and the items' header edits */
#define SPOOL_V6 6 /* v5 and the signature's insertions at the end */
#define SPOOL_V7 7 /* v6 and the Message-ID at the end */
/* The trace record's second version: the Message-ID after the queue id. */
#define TRACE_V2 2

void pb_spool_rec_free(struct pb_spool_rec *r)
{
	free(r->sender);
	free(r->msgid);
	for (size_t i = 0; i < r->n_rcpts; i++)
		free(r->rcpts[i]);
	free(r->rcpts);
	free(r->rcpt_ids);
	free(r->mark);
	free(r->collector);
	for (size_t i = 0; r->folders != NULL && i < r->n_rcpts; i++) {
		free(r->folders[i]);
		free(r->keywords[i]);
		free(r->headers != NULL ? r->headers[i] : NULL);
	}
	free(r->folders);
	free(r->keywords);
	free(r->headers);
	free(r->flags);
	for (size_t i = 0; i < r->n_sign; i++)
		free(r->sign_text[i]);
	free(r->sign_at);
	free(r->sign_text);
	free(r->message_id);
	memset(r, 0, sizeof(*r));
}

/* The plan's items (v4's tail, and v5's when there are items). */
static void spool_encode_items(const struct pb_spool_rec *r, struct pb_buf *v)
{
	store_enc_u8(v, r->folders != NULL ? 1 : 0);
	for (size_t i = 0; r->folders != NULL && i < r->n_rcpts; i++) {
		store_enc_str(v, r->folders[i] != NULL ? r->folders[i] : "INBOX");
		store_enc_u32(v, r->flags[i]);
		store_enc_str(v, r->keywords[i] != NULL ? r->keywords[i] : "");
	}
	if (r->folders == NULL)
		return;
	store_enc_u8(v, r->headers != NULL ? 1 : 0);
	for (size_t i = 0; r->headers != NULL && i < r->n_rcpts; i++)
		store_enc_str(v, r->headers[i] != NULL ? r->headers[i] : "");
}

static void spool_encode(const struct pb_spool_rec *r, const uint8_t raw[32], struct pb_buf *v)
{
	store_enc_u8(v, SPOOL_V7);
	store_enc_str(v, r->sender != NULL ? r->sender : "");
	store_enc_str(v, r->msgid != NULL ? r->msgid : "");
	store_enc_u64(v, (uint64_t)r->received_ms);
	store_enc_u64(v, r->size);
	pb_buf_append(v, raw, 32);
	store_enc_u32(v, (uint32_t)r->n_rcpts);
	for (size_t i = 0; i < r->n_rcpts; i++) {
		store_enc_str(v, r->rcpts[i]);
		store_enc_u64(v, r->rcpt_ids[i]);
	}
	store_enc_u8(v, r->planned ? 1 : 0);
	store_enc_u8(v, r->origin);
	store_enc_str(v, r->collector != NULL ? r->collector : "");
	spool_encode_items(r, v);
	store_enc_u8(v, (uint8_t)r->n_sign);
	for (size_t i = 0; i < r->n_sign; i++) {
		store_enc_u64(v, r->sign_at[i]);
		store_enc_str(v, r->sign_text[i]);
	}
	store_enc_str(v, r->message_id != NULL ? r->message_id : "");
}

/* v6's tail: the signature's insertions. */
static void spool_decode_v6(struct store_rd *rd, struct pb_spool_rec *r)
{
	uint8_t n = store_rd_u8(rd);

	if (n == 0 || rd->bad)
		return;
	if (n > PB_SPOOL_MAX_SIGN) {
		rd->bad = true;
		return;
	}
	r->sign_at = xcalloc(n, sizeof(uint64_t));
	r->sign_text = xcalloc(n, sizeof(char *));
	for (r->n_sign = 0; r->n_sign < n && !rd->bad; r->n_sign++) {
		r->sign_at[r->n_sign] = store_rd_u64(rd);
		r->sign_text[r->n_sign] = store_rd_str(rd);
		rd->bad = rd->bad || r->sign_text[r->n_sign] == NULL;
	}
}

/* v5's tail: the items' header edits. */
static void spool_decode_v5(struct store_rd *rd, struct pb_spool_rec *r)
{
	if (store_rd_u8(rd) == 0 || rd->bad)
		return;
	r->headers = xcalloc(r->n_rcpts + 1, sizeof(char *));
	for (size_t i = 0; i < r->n_rcpts && !rd->bad; i++)
		r->headers[i] = store_rd_str(rd);
}

/* v4's tail: the origin, the collector and the plan's items (v5: their header edits). */
static void spool_decode_v4(struct store_rd *rd, struct pb_spool_rec *r, uint8_t version)
{
	r->origin = store_rd_u8(rd);
	r->collector = store_rd_str(rd);
	if (store_rd_u8(rd) == 0 || rd->bad)
		return;
	r->folders = xcalloc(r->n_rcpts + 1, sizeof(char *));
	r->keywords = xcalloc(r->n_rcpts + 1, sizeof(char *));
	r->flags = xcalloc(r->n_rcpts + 1, sizeof(uint32_t));
	for (size_t i = 0; i < r->n_rcpts && !rd->bad; i++) {
		r->folders[i] = store_rd_str(rd);
		r->flags[i] = store_rd_u32(rd);
		r->keywords[i] = store_rd_str(rd);
	}
	if (version >= SPOOL_V5 && !rd->bad)
		spool_decode_v5(rd, r);
}

/* A collector's seen mark (rec->mark) into the batch, state fetched, keeping the first-seen
 * time of an earlier mark (notified, requested). Returns 1 when the mark says fetched already
 * (the batch must not be written), 0 added (or no mark), -1. The read and the batch are not
 * atomic together: one collector's commits are serialised (one run at a time, one spool key,
 * so one shard thread), which is all the check needs. */
static int spool_mark(struct pb_store *s, rocksdb_writebatch_t *b, const struct pb_spool_rec *rec,
		      const char **error_r)
{
	char key[PB_COLLECTOR_NAME_MAX + PB_COLLECTOR_UIDL_MAX + 3];
	uint8_t val[STORE_SEEN_LEN], state;
	int64_t first_ms = rec->received_ms;
	struct pb_buf v;

	if (rec->mark == NULL || rec->mark[0] == '\0')
		return 0;
	int klen = snprintf(key, sizeof(key), "%c%s", STORE_COLLECTOR_SEEN, rec->mark);
	if (klen < 0 || (size_t)klen >= sizeof(key))
		return store_fail(error_r, "spool: mark too long");
	pb_buf_init(&v);
	int found = store_get(s, STORE_CF_COLLECTOR, key, (size_t)klen, &v, error_r);
	if (found == 1 && store_seen_decode(v.data, v.len, &state, &first_ms) == 0 &&
	    state == PB_SEEN_FETCHED)
		found = 2;
	pb_buf_deinit(&v);
	if (found < 0 || found == 2)
		return found < 0 ? -1 : 1;
	store_seen_encode(PB_SEEN_FETCHED, first_ms, val);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_COLLECTOR], key, (size_t)klen,
				  (const char *)val, sizeof(val));
	return 0;
}

int store_spool_commit(struct pb_store *s, rocksdb_writebatch_t *b, struct store_body_writer *w,
		       struct pb_spool_rec *rec, bool sync, const char **error_r)
{
	uint8_t key[8];
	struct pb_buf v;

	if (rec->n_rcpts == 0 || rec->n_rcpts > PB_SPOOL_MAX_RCPTS)
		return store_fail(error_r, "spool: 1 to %d recipients", PB_SPOOL_MAX_RCPTS);
	int marked = spool_mark(s, b, rec, error_r);
	if (marked != 0) {
		rec->id = 0;
		return marked;
	}
	store_body_writer_finish(w);
	rec->size = w->size;
	rec->id = rec->shards > 1 ? store_next_id_mod(s, rec->shard, rec->shards)
				  : store_next_id(s);
	store_be64_put(key, rec->id);
	pb_buf_init(&v);
	spool_encode(rec, w->raw, &v);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_SPOOL], (const char *)key, 8, v.data, v.len);
	pb_buf_deinit(&v);
	int ret = store_body_writer_commit(b, s, w, 1, sync, error_r);
	if (ret == 0)
		store_hex_from_raw(w->raw, rec->blob_key);
	return ret;
}

int pb_store_spool_put(struct pb_store *s, const void *body, size_t len, struct pb_spool_rec *rec,
		       const char **error_r)
{
	return pb_store_spool_put_ex(s, body, len, rec, true, error_r);
}

int pb_store_spool_put_ex(struct pb_store *s, const void *body, size_t len,
			  struct pb_spool_rec *rec, bool sync, const char **error_r)
{
	struct store_body_writer w;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();

	store_body_writer_init(s, &w);
	store_body_writer_add_all(b, s, &w, body, len);
	int ret = store_spool_commit(s, b, &w, rec, sync, error_r);
	store_body_writer_deinit(&w);
	rocksdb_writebatch_destroy(b);
	return ret;
}

static int spool_decode(const void *key, size_t klen, const void *val, size_t vlen,
			struct pb_spool_rec *r)
{
	struct store_rd rd;
	uint8_t raw[32];

	memset(r, 0, sizeof(*r));
	if (klen != 8)
		return -1;
	r->id = store_be64_get(key);
	store_rd_init(&rd, val, vlen);
	uint8_t version = store_rd_u8(&rd);
	if (version != STORE_V1 && version != SPOOL_V2 && version != SPOOL_V3 &&
	    version != SPOOL_V4 && version != SPOOL_V5 && version != SPOOL_V6 &&
	    version != SPOOL_V7)
		return -1;
	r->sender = store_rd_str(&rd);
	r->msgid = version >= SPOOL_V2 ? store_rd_str(&rd) : xstrdup("");
	r->received_ms = (int64_t)store_rd_u64(&rd);
	r->size = store_rd_u64(&rd);
	store_rd_bytes(&rd, raw, 32);
	uint32_t n = store_rd_u32(&rd);
	if (rd.bad || n > PB_SPOOL_MAX_RCPTS) {
		pb_spool_rec_free(r);
		return -1;
	}
	r->rcpts = xcalloc(n, sizeof(char *));
	r->rcpt_ids = xcalloc(n, sizeof(uint64_t));
	for (r->n_rcpts = 0; r->n_rcpts < n; r->n_rcpts++) {
		r->rcpts[r->n_rcpts] = store_rd_str(&rd);
		r->rcpt_ids[r->n_rcpts] = store_rd_u64(&rd);
	}
	r->planned = version >= SPOOL_V3 && store_rd_u8(&rd) != 0;
	if (version >= SPOOL_V4)
		spool_decode_v4(&rd, r, version);
	if (version >= SPOOL_V6 && !rd.bad)
		spool_decode_v6(&rd, r);
	if (version >= SPOOL_V7 && !rd.bad)
		r->message_id = store_rd_str(&rd);
	store_hex_from_raw(raw, r->blob_key);
	if (!store_rd_ok(&rd) || r->sender == NULL || r->msgid == NULL) {
		pb_spool_rec_free(r);
		return -1;
	}
	return 0;
}

int pb_store_spool_iter(struct pb_store *s, int (*cb)(const struct pb_spool_rec *r, void *ctx),
			void *ctx, const char **error_r)
{
	struct store_iter it;
	size_t klen, vlen;

	store_iter_prefix(s, STORE_CF_SPOOL, "", 0, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		struct pb_spool_rec r;
		const char *k = rocksdb_iter_key(it.it, &klen);
		const char *v = rocksdb_iter_value(it.it, &vlen);
		if (spool_decode(k, klen, v, vlen, &r) < 0) {
			store_iter_finish(&it, NULL);
			return store_fail(error_r, "spool: a corrupt record");
		}
		int stop = cb(&r, ctx);
		pb_spool_rec_free(&r);
		if (stop)
			break;
	}
	return store_iter_finish(&it, error_r);
}

/* Reads entry key; 1 with its body hash in raw_r, 0 absent, -1. */
static int spool_body_of(struct pb_store *s, const uint8_t key[8], uint8_t raw_r[32],
			 const char **error_r)
{
	struct pb_buf v;
	struct pb_spool_rec r;

	pb_buf_init(&v);
	int found = store_get(s, STORE_CF_SPOOL, key, 8, &v, error_r);
	if (found == 1 && spool_decode(key, 8, v.data, v.len, &r) < 0)
		found = store_fail(error_r, "spool: a corrupt record");
	pb_buf_deinit(&v);
	if (found != 1)
		return found;
	store_hex_to_raw(r.blob_key, raw_r);
	pb_spool_rec_free(&r);
	return 1;
}

int pb_store_spool_done(struct pb_store *s, uint64_t id, const char **error_r)
{
	uint8_t key[8], raw[32];

	store_be64_put(key, id);
	/* The read and the removal under one lock: two callers that both found the entry would
	 * both drop its body's reference, and the body would go while a message holds it. */
	pthread_mutex_lock(&s->spool_lock);
	int ret = spool_body_of(s, key, raw, error_r);
	if (ret == 1) {
		rocksdb_writebatch_t *b = rocksdb_writebatch_create();
		rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_SPOOL], (const char *)key, 8);
		store_refcount_merge(b, s, raw, -1, 0);
		ret = store_write_ex(s, b, false, true, error_r) < 0 ? -1 : 1;
		rocksdb_writebatch_destroy(b);
	}
	pthread_mutex_unlock(&s->spool_lock);
	return ret;
}

/* The trace record of id into b: [u8 2][str msgid][str message_id][u64 time_ms][u32 n]
 * [str line]*n (v1, still read: without the message_id); and the
 * traces older than PB_TRACE_KEEP ids removed in the same batch — in steps of
 * STORE_TRACE_PRUNE_STEP ids past the last removal (s->traces_pruned), not at every write: a
 * range deletion per message piles up range tombstones, which RocksDB keeps in memory and
 * compacts at a high cost (2.6 GB resident and a busy compaction thread after ~100,000 ids). */
void store_trace_add(struct pb_store *s, rocksdb_writebatch_t *b, uint64_t id, const char *msgid,
		     const char *message_id, int64_t now_ms, const struct pb_strv *trace)
{
	uint8_t key[8], from[8], to[8];
	struct pb_buf v;
	uint32_t n = trace->n < PB_TRACE_LINES_MAX ? trace->n : PB_TRACE_LINES_MAX;

	pb_buf_init(&v);
	store_enc_u8(&v, TRACE_V2);
	store_enc_str(&v, msgid != NULL ? msgid : "");
	store_enc_str(&v, message_id != NULL ? message_id : "");
	store_enc_u64(&v, (uint64_t)now_ms);
	store_enc_u32(&v, n);
	for (uint32_t i = 0; i < n; i++)
		store_enc_str(&v, trace->v[i]);
	store_be64_put(key, id);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_TRACES], (const char *)key, 8,
				  (const char *)v.data, v.len);
	pb_buf_deinit(&v);
	uint64_t upto = id > PB_TRACE_KEEP ? id - PB_TRACE_KEEP : 0;
	uint64_t done = atomic_load(&s->traces_pruned);
	if (upto >= done + STORE_TRACE_PRUNE_STEP &&
	    atomic_compare_exchange_strong(&s->traces_pruned, &done, upto)) {
		store_be64_put(from, done);
		store_be64_put(to, upto);
		rocksdb_writebatch_delete_range_cf(b, s->cf[STORE_CF_TRACES], (const char *)from, 8,
						   (const char *)to, 8);
	}
}

int store_spool_plan_put(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t id,
			 const struct pb_spool_plan *p, const char **error_r)
{
	uint8_t key[8], raw[32];
	struct pb_buf v;
	struct pb_spool_rec r;

	size_t n = p->n;
	if (n > PB_SPOOL_MAX_RCPTS)
		return store_fail(error_r, "spool: at most %d recipients in a plan", PB_SPOOL_MAX_RCPTS);
	store_be64_put(key, id);
	pb_buf_init(&v);
	int found = store_get(s, STORE_CF_SPOOL, key, 8, &v, error_r);
	if (found == 1 && spool_decode(key, 8, v.data, v.len, &r) < 0)
		found = store_fail(error_r, "spool: a corrupt record");
	if (found != 1) {
		pb_buf_deinit(&v);
		return found;
	}
	struct pb_spool_rec plan = r;
	plan.rcpts = p->rcpts;
	plan.rcpt_ids = p->ids;
	plan.folders = p->folders;
	plan.flags = p->flags;
	plan.keywords = p->keywords;
	plan.headers = p->headers;
	plan.n_rcpts = n;
	plan.planned = true;
	store_hex_to_raw(r.blob_key, raw);
	pb_buf_reset(&v);
	spool_encode(&plan, raw, &v);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_SPOOL], (const char *)key, 8,
				  (const char *)v.data, v.len);
	pb_buf_deinit(&v);
	pb_spool_rec_free(&r);
	return 1;
}

void store_spool_record_put(rocksdb_writebatch_t *b, struct pb_store *s,
			    const struct pb_spool_rec *rec, const uint8_t raw[32])
{
	uint8_t key[8];
	struct pb_buf v;

	store_be64_put(key, rec->id);
	pb_buf_init(&v);
	spool_encode(rec, raw, &v);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_SPOOL], (const char *)key, 8, v.data, v.len);
	pb_buf_deinit(&v);
}

int pb_store_spool_plan(struct pb_store *s, uint64_t id, const struct pb_spool_plan *p,
			const char *msgid, int64_t now_ms, const struct pb_strv *trace,
			const char **error_r)
{
	if (p->n == 0)
		return store_fail(error_r, "spool: 1 to %d recipients in a plan", PB_SPOOL_MAX_RCPTS);
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	int ret = store_spool_plan_put(b, s, id, p, error_r);
	if (ret == 1) {
		store_trace_add(s, b, id, msgid, p->message_id, now_ms, trace);
		ret = store_write_lazy(s, b, error_r) < 0 ? -1 : 1;
	}
	rocksdb_writebatch_destroy(b);
	return ret;
}

int pb_store_trace_put(struct pb_store *s, uint64_t id, const char *msgid,
		       const char *message_id, int64_t now_ms, const struct pb_strv *trace,
		       const char **error_r)
{
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();

	store_trace_add(s, b, id, msgid, message_id, now_ms, trace);
	int ret = store_write(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	return ret;
}

int pb_store_trace_new(struct pb_store *s, const char *msgid, const char *message_id,
		       int64_t now_ms, const struct pb_strv *trace, const char **error_r)
{
	return pb_store_trace_put(s, store_next_id(s), msgid, message_id, now_ms, trace, error_r);
}

/* Whether a trace of queue id m and Message-ID mid (NULL none) is the one asked for: id is
 * a queue id, or a Message-ID with or without its angle brackets. */
static bool trace_is(const char *m, const char *mid, const char *id)
{
	size_t len = strlen(id);

	if (m != NULL && strcmp(m, id) == 0)
		return true;
	if (mid == NULL || mid[0] == '\0')
		return false;
	if (len >= 2 && id[0] == '<' && id[len - 1] == '>')
		return strlen(mid) == len - 2 && memcmp(mid, id + 1, len - 2) == 0;
	return strcmp(mid, id) == 0;
}

/* Calls cb for each line of one trace value when it is msgid's (trace_is). False if
 * corrupt. */
static bool trace_visit(uint64_t id, const char *val, size_t vlen, const char *msgid,
			void (*cb)(uint64_t id, int64_t time_ms, const char *line, void *ctx),
			void *ctx)
{
	struct store_rd rd;

	store_rd_init(&rd, val, vlen);
	uint8_t version = store_rd_u8(&rd);
	if (version != STORE_V1 && version != TRACE_V2)
		return false;
	char *m = store_rd_str(&rd);
	char *mid = version >= TRACE_V2 ? store_rd_str(&rd) : NULL;
	int64_t time_ms = (int64_t)store_rd_u64(&rd);
	uint32_t n = store_rd_u32(&rd);
	bool ours = trace_is(m, mid, msgid);
	free(m);
	free(mid);
	for (uint32_t i = 0; ours && i < n && !rd.bad; i++) {
		char *line = store_rd_str(&rd);
		if (line != NULL)
			cb(id, time_ms, line, ctx);
		free(line);
	}
	return !rd.bad;
}

int pb_store_trace_of(struct pb_store *s, uint64_t id, const char *msgid,
		      void (*cb)(uint64_t id, int64_t time_ms, const char *line, void *ctx),
		      void *ctx, const char **error_r)
{
	uint8_t key[8];
	struct pb_buf v;

	store_be64_put(key, id);
	pb_buf_init(&v);
	int found = store_get(s, STORE_CF_TRACES, key, 8, &v, error_r);
	if (found == 1 && !trace_visit(id, (const char *)v.data, v.len, msgid, cb, ctx))
		found = store_fail(error_r, "trace: a corrupt record");
	pb_buf_deinit(&v);
	return found;
}

int pb_store_trace_find(struct pb_store *s, const char *msgid,
			void (*cb)(uint64_t id, int64_t time_ms, const char *line, void *ctx),
			void *ctx, const char **error_r)
{
	struct store_iter it;
	size_t klen, vlen;

	store_iter_prefix(s, STORE_CF_TRACES, "", 0, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		const char *k = rocksdb_iter_key(it.it, &klen);
		const char *v = rocksdb_iter_value(it.it, &vlen);
		if (klen == 8)
			(void)trace_visit(store_be64_get((const uint8_t *)k), v, vlen, msgid, cb, ctx);
	}
	return store_iter_finish(&it, error_r);
}
