/*
 * store-generate.c: messages generated because of a spool entry, stored with its plan (see
 * store-spool.h "Generated messages"), and the autoresponder's memory.
 * CF replies: key ['a'][u64 user id BE][lowercase address] -> [u8 1][u64 answered_ms];
 * key ['w']...: a generated-message marker (store-marks.c; a welcome written with the account,
 * a quota notice with the quota record) still to be made, taken with the message's spool
 * entry (pb_store_gen_made).
 * Part of pb_store_spool. OWNS: the replies column family. THREAD: any (replies_lock).
 */
#include "store-internal.h"

#include <ctype.h>
#include <string.h>

#define REPLY_KIND 'a'
#define REPLY_ADDR_MAX 320

static void reply_key(uint64_t user_id, const char *addr, struct pb_buf *k)
{
	uint8_t id[8];
	char kind = REPLY_KIND;

	pb_buf_append(k, &kind, 1);
	store_be64_put(id, user_id);
	pb_buf_append(k, id, 8);
	for (size_t i = 0; addr[i] != '\0' && i < REPLY_ADDR_MAX; i++)
		pb_buf_append_c(k, (char)tolower((unsigned char)addr[i]));
}

int pb_store_replied_get(struct pb_store *s, uint64_t user_id, const char *addr,
			 int64_t *ms_r, const char **error_r)
{
	struct pb_buf k, v;

	pb_buf_init(&k);
	pb_buf_init(&v);
	reply_key(user_id, addr, &k);
	int ret = store_get(s, STORE_CF_REPLIES, k.data, k.len, &v, error_r);
	if (ret == 1 && (v.len != 9 || (uint8_t)v.data[0] != STORE_V1))
		ret = 0; /* unreadable: as never answered */
	if (ret == 1)
		*ms_r = (int64_t)store_be64_get((const uint8_t *)v.data + 1);
	pb_buf_deinit(&k);
	pb_buf_deinit(&v);
	return ret;
}

/* Whether g may be made (its memory allows it); if so its memory record goes into b. */
static int gen_memo(struct pb_store *s, rocksdb_writebatch_t *b, struct pb_spool_gen *g,
		    int64_t now_ms, const char **error_r)
{
	int64_t last;
	uint8_t val[9];
	struct pb_buf k;

	if (g->memo_user == 0)
		return 1;
	int ret = pb_store_replied_get(s, g->memo_user, g->memo_addr, &last, error_r);
	if (ret < 0)
		return -1;
	if (ret == 1 && last > now_ms - g->memo_window_ms && last <= now_ms) {
		g->skipped = true;
		return 0;
	}
	val[0] = STORE_V1;
	store_be64_put(val + 1, (uint64_t)now_ms);
	pb_buf_init(&k);
	reply_key(g->memo_user, g->memo_addr, &k);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_REPLIES], k.data, k.len, (const char *)val, 9);
	pb_buf_deinit(&k);
	return 1;
}

/* g's spool record in b, for the body w staged (g->rec gets its id and blob key), and the
 * first line of its trace when it has one. */
static void gen_record(struct pb_store *s, rocksdb_writebatch_t *b, struct pb_spool_gen *g,
		       const struct store_body_writer *w)
{
	g->rec.size = w->size;
	g->rec.planned = false;
	g->rec.id = g->rec.shards > 1 ? store_next_id_mod(s, g->rec.shard, g->rec.shards)
				      : store_next_id(s);
	store_spool_record_put(b, s, &g->rec, w->raw);
	store_hex_from_raw(w->raw, g->rec.blob_key);
	if (g->trace_line != NULL && g->trace_line[0] != '\0') {
		struct pb_strv one = { 0 };
		pb_strv_push(&one, g->trace_line);
		store_trace_add(s, b, g->rec.id, g->rec.msgid, g->rec.message_id, g->rec.received_ms,
				&one);
		pb_strv_clear(&one);
	}
}

/* Stages g's body and spool record in b. */
static int gen_stage(struct pb_store *s, rocksdb_writebatch_t *b, struct pb_spool_gen *g,
		     struct store_body_writer *w, uint64_t *epoch_r, const char **error_r)
{
	store_body_writer_add_all(b, s, w, g->body, g->len);
	store_body_writer_finish(w);
	if (store_body_writer_stage(b, s, w, 1, epoch_r, error_r) < 0)
		return -1;
	gen_record(s, b, g, w);
	return 0;
}

/* An earlier generated message of this batch with the same body as g (its body is claimed
 * and staged already: claiming it again would wait for this thread's own claim). */
static size_t same_body(const struct pb_spool_gen *gens, const bool *staged, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (staged[j] && gens[j].len == gens[i].len &&
		    memcmp(gens[j].body, gens[i].body, gens[i].len) == 0)
			return j;
	return i;
}

/* The generated messages into b (ws[i] and epochs[i] for each; staged[i] set when staged). */
static int gens_add(struct pb_store *s, rocksdb_writebatch_t *b, struct pb_spool_gen *gens,
		    size_t n, int64_t now_ms, struct store_body_writer *ws, uint64_t *epochs,
		    bool *staged, const char **error_r)
{
	for (size_t i = 0; i < n; i++) {
		struct pb_spool_gen *g = &gens[i];
		g->skipped = false;
		g->rec.id = 0;
		if (g->rec.n_rcpts == 0 || g->rec.n_rcpts > PB_SPOOL_MAX_RCPTS)
			return store_fail(error_r, "spool: a generated message without recipients");
		int ret = gen_memo(s, b, g, now_ms, error_r);
		if (ret <= 0) {
			if (ret < 0)
				return -1;
			continue;
		}
		size_t j = same_body(gens, staged, i);
		if (j != i) { /* one more reference to the body j staged */
			store_refcount_merge(b, s, ws[j].raw, 1, epochs[j]);
			gen_record(s, b, g, &ws[j]);
			continue;
		}
		store_body_writer_init(s, &ws[i]);
		staged[i] = true;
		if (gen_stage(s, b, g, &ws[i], &epochs[i], error_r) < 0)
			return -1;
	}
	return 0;
}

int pb_store_spool_plan_gen(struct pb_store *s, uint64_t id, const struct pb_spool_plan *p,
			    const char *msgid, int64_t now_ms, const struct pb_strv *trace,
			    struct pb_spool_gen *gens, size_t n_gens, const char **error_r)
{
	struct store_body_writer *ws = xcalloc(n_gens + 1, sizeof(*ws));
	uint64_t *epochs = xcalloc(n_gens + 1, sizeof(*epochs));
	bool *staged = xcalloc(n_gens + 1, sizeof(*staged));
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();

	pthread_mutex_lock(&s->replies_lock);
	int ret = store_spool_plan_put(b, s, id, p, error_r);
	if (ret == 1 && gens_add(s, b, gens, n_gens, now_ms, ws, epochs, staged, error_r) < 0)
		ret = -1;
	if (ret == 1) {
		store_trace_add(s, b, id, msgid, p->message_id, now_ms, trace);
		ret = store_write_lazy(s, b, error_r) < 0 ? -1 : 1;
	}
	for (size_t i = 0; i < n_gens; i++) {
		if (ret != 1)
			gens[i].rec.id = 0;
		if (!staged[i])
			continue;
		store_body_writer_unstage(s, &ws[i], ret == 1, epochs[i]);
		store_body_writer_deinit(&ws[i]);
	}
	pthread_mutex_unlock(&s->replies_lock);
	rocksdb_writebatch_destroy(b);
	free(ws);
	free(epochs);
	free(staged);
	return ret;
}

int pb_store_replied_prune(struct pb_store *s, int64_t before_ms, uint64_t max,
			   uint64_t *removed_r, const char **error_r)
{
	struct store_iter it;
	size_t klen, vlen;
	uint64_t removed = 0;
	const char kind = REPLY_KIND;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();

	store_iter_prefix(s, STORE_CF_REPLIES, &kind, 1, &it);
	for (; removed < max && store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		const char *k = rocksdb_iter_key(it.it, &klen);
		const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it.it, &vlen);
		if (vlen != 9 || (int64_t)store_be64_get(v + 1) < before_ms) {
			rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_REPLIES], k, klen);
			removed++;
		}
	}
	int ret = store_iter_finish(&it, error_r);
	if (ret == 0 && rocksdb_writebatch_count(b) > 0)
		ret = store_write_ex(s, b, false, true, error_r);
	rocksdb_writebatch_destroy(b);
	if (removed_r != NULL)
		*removed_r = ret == 0 ? removed : 0;
	return ret;
}

int pb_store_gen_pending(struct pb_store *s, uint32_t shard, uint32_t shards, size_t max,
			 pb_store_gen_fn *fn, void *arg, const char **error_r)
{
	struct store_iter it;
	struct pb_gen_mark m;
	size_t klen, vlen, n = 0;
	const char kind = STORE_MARK_KIND;

	store_iter_prefix(s, STORE_CF_REPLIES, &kind, 1, &it);
	for (; n < max && store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		const char *k = rocksdb_iter_key(it.it, &klen);
		const char *v = rocksdb_iter_value(it.it, &vlen);
		if (store_gen_mark_decode(k, klen, v, vlen, &m) < 0)
			continue; /* unreadable: left alone (logged by nobody; never made) */
		if (shards <= 1 || m.user_id % shards == shard) {
			fn(&m, arg);
			n++;
		}
		pb_gen_mark_free(&m);
	}
	return store_iter_finish(&it, error_r);
}

int pb_store_gen_made(struct pb_store *s, const struct pb_gen_mark *m, struct pb_spool_gen *g,
		      const char **error_r)
{
	uint8_t key[STORE_MARK_KEY_LEN];
	struct store_body_writer w;
	struct pb_buf v;
	uint64_t epoch = 0;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();

	size_t klen = store_gen_mark_key(m, key);
	pb_buf_init(&v);
	pthread_mutex_lock(&s->replies_lock);
	int ret = store_get(s, STORE_CF_REPLIES, key, klen, &v, error_r);
	if (g != NULL)
		g->rec.id = 0;
	if (ret == 1) {
		if (g != NULL)
			store_body_writer_init(s, &w);
		if (g != NULL && gen_stage(s, b, g, &w, &epoch, error_r) < 0)
			ret = -1;
		rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_REPLIES], (const char *)key, klen);
		if (ret == 1 && store_write(s, b, error_r) < 0)
			ret = -1;
		if (g != NULL) {
			store_body_writer_unstage(s, &w, ret == 1, epoch);
			store_body_writer_deinit(&w);
		}
		if (ret != 1 && g != NULL)
			g->rec.id = 0;
	}
	pthread_mutex_unlock(&s->replies_lock);
	pb_buf_deinit(&v);
	rocksdb_writebatch_destroy(b);
	return ret;
}
