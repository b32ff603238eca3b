/*
 * store-settings.c: settings documents, JSON text by key (CF settings). Part of
 * pb_store_settings (store-settings.h).
 * OWNS: nothing beyond the handle. THREAD: any (single puts and deletes need no lock).
 */
#include "store-internal.h"

#include <stdlib.h>
#include <time.h>

static int store_setting_key_check(const char *key, const char **error_r)
{
	size_t len = key != NULL ? strlen(key) : 0;

	if (len == 0 || len > PB_SETTING_KEY_MAX)
		return store_fail(error_r, "store: setting key empty or longer than %d",
				  PB_SETTING_KEY_MAX);
	return 0;
}

/* settings value v1: [ver][json bytes to the end] */
int pb_store_setting_get(struct pb_store *s, const char *key, char **json_r,
			 const char **error_r)
{
	struct pb_buf val;

	if (store_setting_key_check(key, error_r) < 0)
		return -1;
	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_SETTINGS, key, strlen(key), &val, error_r);
	if (ret == 1) {
		if (val.len < 1 || (uint8_t)val.data[0] != STORE_V1)
			ret = store_fail(error_r, "store: setting %s: unknown record version", key);
		else
			*json_r = xstrndup(val.data + 1, val.len - 1);
	}
	pb_buf_deinit(&val);
	return ret;
}

int pb_store_setting_put(struct pb_store *s, const char *key, const char *json,
			 const char **error_r)
{
	struct pb_buf val;

	if (store_setting_key_check(key, error_r) < 0)
		return -1;
	if (json == NULL || strlen(json) > PB_SETTING_VALUE_MAX)
		return store_fail(error_r, "store: setting %s: value missing or too long", key);
	pb_buf_init(&val);
	store_enc_u8(&val, STORE_V1);
	pb_buf_append_str(&val, json);
	int ret = store_put1(s, STORE_CF_SETTINGS, key, strlen(key), val.data, val.len, error_r);
	pb_buf_deinit(&val);
	return ret;
}

int pb_store_setting_delete(struct pb_store *s, const char *key, const char **error_r)
{
	if (store_setting_key_check(key, error_r) < 0)
		return -1;
	return store_delete1(s, STORE_CF_SETTINGS, key, strlen(key), error_r);
}

/* ---- history: "\0H" + be64(seq) → [ver][at_ms u64][by][doc][before][after][note];
 * "\0N" → be64(the next seq) ---- */

#define HIST_KEYLEN 10
static const char next_key[2] = { '\0', 'N' };

static void hist_key(uint64_t seq, char key_r[HIST_KEYLEN])
{
	key_r[0] = '\0';
	key_r[1] = 'H';
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

static int next_seq(struct pb_store *s, uint64_t *seq_r, const char **error_r)
{
	struct pb_buf val;

	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_SETTINGS, next_key, sizeof(next_key), &val, error_r);
	*seq_r = ret == 1 && val.len == 8 ? store_be64_get((const uint8_t *)val.data) : 1;
	pb_buf_deinit(&val);
	return ret < 0 ? -1 : 0;
}

static void hist_encode(const struct pb_setting_change *c, const char *after, struct pb_buf *b)
{
	store_enc_u8(b, STORE_V1);
	store_enc_u64(b, c->at_ms);
	store_enc_str(b, c->by != NULL ? c->by : "");
	store_enc_str(b, c->doc != NULL ? c->doc : "");
	store_enc_str(b, c->before);
	store_enc_str(b, after);
	store_enc_str(b, c->note != NULL ? c->note : "");
}

static int hist_decode(uint64_t seq, const char *v, size_t len, struct pb_setting_change *c_r)
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

/* The batch of a logged change: the document (unless a checkpoint), the record, the next
 * number, and the record PB_SETTING_HISTORY_MAX behind dropped. */
static rocksdb_writebatch_t *logged_batch(struct pb_store *s, const char *key, const char *json,
					  const struct pb_setting_change *c, uint64_t seq)
{
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	rocksdb_column_family_handle_t *cf = s->cf[STORE_CF_SETTINGS];
	char hkey[HIST_KEYLEN], next[8];
	struct pb_buf val;

	pb_buf_init(&val);
	if (json != NULL) {
		store_enc_u8(&val, STORE_V1);
		pb_buf_append_str(&val, json);
		rocksdb_writebatch_put_cf(b, cf, key, strlen(key), val.data, val.len);
		pb_buf_reset(&val);
	}
	hist_encode(c, json, &val);
	hist_key(seq, hkey);
	rocksdb_writebatch_put_cf(b, cf, hkey, sizeof(hkey), val.data, val.len);
	store_be64_put((uint8_t *)next, seq + 1);
	rocksdb_writebatch_put_cf(b, cf, next_key, sizeof(next_key), next, sizeof(next));
	if (seq > PB_SETTING_HISTORY_MAX) {
		hist_key(seq - PB_SETTING_HISTORY_MAX, hkey);
		rocksdb_writebatch_delete_cf(b, cf, hkey, sizeof(hkey));
	}
	pb_buf_deinit(&val);
	return b;
}

int pb_store_setting_put_logged(struct pb_store *s, const char *key, const char *json,
				const struct pb_setting_change *c, uint64_t *seq_r,
				const char **error_r)
{
	struct pb_setting_change rec = *c;
	struct timespec ts;
	uint64_t seq;

	if (json != NULL && store_setting_key_check(key, error_r) < 0)
		return -1;
	if (json != NULL && strlen(json) > PB_SETTING_VALUE_MAX)
		return store_fail(error_r, "store: setting %s: value too long", key);
	if (next_seq(s, &seq, error_r) < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	rec.at_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	rocksdb_writebatch_t *b = logged_batch(s, key, json, &rec, seq);
	int ret = store_write(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	if (ret == 0 && seq_r != NULL)
		*seq_r = seq;
	return ret;
}

int pb_store_setting_change_get(struct pb_store *s, uint64_t seq, struct pb_setting_change *c_r,
				const char **error_r)
{
	char hkey[HIST_KEYLEN];
	struct pb_buf val;

	hist_key(seq, hkey);
	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_SETTINGS, hkey, sizeof(hkey), &val, error_r);
	if (ret == 1 && hist_decode(seq, val.data, val.len, c_r) < 0)
		ret = store_fail(error_r, "store: settings change %llu: bad record",
				 (unsigned long long)seq);
	pb_buf_deinit(&val);
	return ret;
}

int pb_store_setting_history(struct pb_store *s, uint64_t before, size_t limit,
			     struct pb_setting_change **v_r, size_t *n_r, const char **error_r)
{
	uint64_t next;

	*v_r = NULL;
	*n_r = 0;
	if (next_seq(s, &next, error_r) < 0)
		return -1;
	uint64_t seq = before == 0 || before > next ? next : before;
	struct pb_setting_change *v = xcalloc(limit > 0 ? limit : 1, sizeof(*v));
	size_t n = 0;
	/* the kept window is at most PB_SETTING_HISTORY_MAX numbers: a missing one ends it */
	while (n < limit && seq > 1) {
		seq--;
		int found = pb_store_setting_change_get(s, seq, &v[n], error_r);
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
