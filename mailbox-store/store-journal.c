/*
 * store-journal.c: numbered change records (store-internal.h struct store_journal): the
 * settings history (store-settings.c), the directory's (store-dir-history.c) and the other
 * records' (store-history.c: collectors, connection methods, blocks, API keys). Part of
 * pb_store_db. A change is either added to a batch (store_journal_add) or armed
 * (store_journal_arm) to ride on the calling thread's next synced write (store_batch_hook_set),
 * so a record and its history are one write.
 * Record value v1: [ver][at_ms u64][by][doc][before][after][note] (before/after: NULL kept).
 * OWNS: nothing beyond the handle, and the armed change of each thread. THREAD: the journal's
 * one writer; reads from any.
 */
#include "store-internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define JOURNAL_KEYLEN 10

static void journal_key(const struct store_journal *j, uint64_t seq, char key_r[JOURNAL_KEYLEN])
{
	key_r[0] = j->hist_tag[0];
	key_r[1] = j->hist_tag[1];
	store_be64_put((uint8_t *)key_r + 2, seq);
}

void pb_setting_change_free(struct pb_setting_change *c)
{
	free(c->by);
	free(c->doc);
	free(c->before);
	free(c->after);
	free(c->note);
	memset(c, 0, sizeof(*c));
}

static int next_seq(struct pb_store *s, const struct store_journal *j, uint64_t *seq_r,
		    const char **error_r)
{
	struct pb_buf val;

	pb_buf_init(&val);
	int ret = store_get(s, j->cf, j->next_tag, sizeof(j->next_tag), &val, error_r);
	*seq_r = ret == 1 && val.len == 8 ? store_be64_get((const uint8_t *)val.data) : 1;
	pb_buf_deinit(&val);
	return ret < 0 ? -1 : 0;
}

static void journal_encode(const struct pb_setting_change *c, uint64_t at_ms, const char *after,
			   struct pb_buf *b)
{
	store_enc_u8(b, STORE_V1);
	store_enc_u64(b, at_ms);
	store_enc_str(b, c->by != NULL ? c->by : "");
	store_enc_str(b, c->doc != NULL ? c->doc : "");
	store_enc_str(b, c->before);
	store_enc_str(b, after);
	store_enc_str(b, c->note != NULL ? c->note : "");
}

static int journal_decode(uint64_t seq, const char *v, size_t len, struct pb_setting_change *c_r)
{
	struct store_rd r;

	memset(c_r, 0, sizeof(*c_r));
	store_rd_init(&r, v, len);
	uint8_t ver = store_rd_u8(&r);
	c_r->seq = seq;
	c_r->at_ms = store_rd_u64(&r);
	c_r->by = store_rd_str(&r);
	c_r->doc = store_rd_str(&r);
	c_r->before = store_rd_str(&r);
	c_r->after = store_rd_str(&r);
	c_r->note = store_rd_str(&r);
	if (ver != STORE_V1 || !store_rd_ok(&r) || c_r->by == NULL || c_r->doc == NULL ||
	    c_r->note == NULL) {
		pb_setting_change_free(c_r);
		return -1;
	}
	return 0;
}

/* The wall clock in ms, made strictly later than every stamp this store gave before. */
static uint64_t journal_stamp(struct pb_store *s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	uint64_t last = atomic_load(&s->journal_last_ms);
	uint64_t stamp;
	do
		stamp = now > last ? now : last + 1;
	while (!atomic_compare_exchange_weak(&s->journal_last_ms, &last, stamp));
	return stamp;
}

int store_journal_add(struct pb_store *s, const struct store_journal *j,
		      const struct pb_setting_change *c, const char *after,
		      rocksdb_writebatch_t *b, uint64_t *seq_r, const char **error_r)
{
	rocksdb_column_family_handle_t *cf = s->cf[j->cf];
	char key[JOURNAL_KEYLEN], next[8];
	struct pb_buf val;
	uint64_t seq;

	if (next_seq(s, j, &seq, error_r) < 0)
		return -1;
	pb_buf_init(&val);
	journal_encode(c, journal_stamp(s), after, &val);
	journal_key(j, seq, key);
	rocksdb_writebatch_put_cf(b, cf, key, sizeof(key), val.data, val.len);
	pb_buf_deinit(&val);
	store_be64_put((uint8_t *)next, seq + 1);
	rocksdb_writebatch_put_cf(b, cf, j->next_tag, sizeof(j->next_tag), next, sizeof(next));
	/* the window may have shrunk (a smaller max): drop every number behind it */
	for (uint64_t old = seq > j->max ? seq - j->max : 0; old > 0; old--) {
		journal_key(j, old, key);
		struct pb_buf probe;
		pb_buf_init(&probe);
		int found = store_get(s, j->cf, key, sizeof(key), &probe, error_r);
		pb_buf_deinit(&probe);
		if (found <= 0)
			break;
		rocksdb_writebatch_delete_cf(b, cf, key, sizeof(key));
	}
	if (seq_r != NULL)
		*seq_r = seq;
	return 0;
}

int store_journal_get(struct pb_store *s, const struct store_journal *j, uint64_t seq,
		      struct pb_setting_change *c_r, const char **error_r)
{
	char key[JOURNAL_KEYLEN];
	struct pb_buf val;

	journal_key(j, seq, key);
	pb_buf_init(&val);
	int ret = store_get(s, j->cf, key, sizeof(key), &val, error_r);
	if (ret == 1 && journal_decode(seq, val.data, val.len, c_r) < 0)
		ret = store_fail(error_r, "store: change %llu: bad record", (unsigned long long)seq);
	pb_buf_deinit(&val);
	return ret;
}

int store_journal_list(struct pb_store *s, const struct store_journal *j, uint64_t before,
		       size_t limit, struct pb_setting_change **v_r, size_t *n_r,
		       const char **error_r)
{
	uint64_t next;

	*v_r = NULL;
	*n_r = 0;
	if (next_seq(s, j, &next, error_r) < 0)
		return -1;
	uint64_t seq = before == 0 || before > next ? next : before;
	struct pb_setting_change *v = xcalloc(limit > 0 ? limit : 1, sizeof(*v));
	size_t n = 0;
	/* the kept window is contiguous: a missing number ends it */
	while (n < limit && seq > 1) {
		seq--;
		int found = store_journal_get(s, j, seq, &v[n], error_r);
		if (found < 0) {
			for (size_t i = 0; i < n; i++)
				pb_setting_change_free(&v[i]);
			free(v);
			return -1;
		}
		if (found == 0)
			break;
		n++;
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

/* The change armed on this thread (store_journal_arm). */
static _Thread_local struct {
	struct store_journal j;
	struct pb_setting_change c;
	char *after;
	uint64_t seq;
} armed;

static void armed_clear(void)
{
	pb_setting_change_free(&armed.c);
	free(armed.after);
	armed.after = NULL;
}

static int armed_hook(struct pb_store *s, rocksdb_writebatch_t *b, void *ctx,
		      const char **error_r)
{
	(void)ctx;
	int ret = store_journal_add(s, &armed.j, &armed.c, armed.after, b, &armed.seq, error_r);
	armed_clear();
	return ret;
}

void store_journal_arm(const struct store_journal *j, const struct pb_setting_change *c,
		       const char *after, uint32_t keep)
{
	armed_clear();
	armed.j = *j;
	armed.j.max = keep > 0 ? keep : 1;
	armed.c = (struct pb_setting_change){
		.by = xstrdup(c->by != NULL ? c->by : ""), .doc = xstrdup(c->doc),
		.before = c->before != NULL ? xstrdup(c->before) : NULL,
		.note = xstrdup(c->note != NULL ? c->note : "")
	};
	armed.after = after != NULL ? xstrdup(after) : NULL;
	armed.seq = 0;
	store_batch_hook_set(armed_hook, NULL);
}

uint64_t store_journal_disarm(void)
{
	uint64_t seq = armed.seq;

	store_batch_hook_set(NULL, NULL);
	armed_clear();
	armed.seq = 0;
	return seq;
}
