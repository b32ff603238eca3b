/*
 * store-settings.c: settings documents, JSON text by key (CF settings). Part of
 * pb_store_settings (store-settings.h).
 * OWNS: nothing beyond the handle. THREAD: any (single puts and deletes need no lock).
 */
#include "store-internal.h"

#include <stdlib.h>

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

/* ---- history (a journal, store-internal.h): the settings' in this family, tags 'H' (records)
 * and 'N' (the next number) behind a NUL, which no document key has ---- */

static const struct store_journal settings_journal = {
	STORE_CF_SETTINGS, { '\0', 'H' }, { '\0', 'N' }, PB_SETTING_HISTORY_MAX
};

int pb_store_setting_put_logged(struct pb_store *s, const char *key, const char *json,
				const struct pb_setting_change *c, uint64_t *seq_r,
				const char **error_r)
{
	struct pb_buf val;

	if (json != NULL && store_setting_key_check(key, error_r) < 0)
		return -1;
	if (json != NULL && strlen(json) > PB_SETTING_VALUE_MAX)
		return store_fail(error_r, "store: setting %s: value too long", key);
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	int ret = store_journal_add(s, &settings_journal, c, json, b, seq_r, error_r);
	if (ret == 0 && json != NULL) {
		pb_buf_init(&val);
		store_enc_u8(&val, STORE_V1);
		pb_buf_append_str(&val, json);
		rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_SETTINGS], key, strlen(key), val.data,
					  val.len);
		pb_buf_deinit(&val);
	}
	if (ret == 0)
		ret = store_write(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	return ret;
}

int pb_store_setting_change_get(struct pb_store *s, uint64_t seq, struct pb_setting_change *c_r,
				const char **error_r)
{
	return store_journal_get(s, &settings_journal, seq, c_r, error_r);
}

int pb_store_setting_history(struct pb_store *s, uint64_t before, size_t limit,
			     struct pb_setting_change **v_r, size_t *n_r, const char **error_r)
{
	return store_journal_list(s, &settings_journal, before, limit, v_r, n_r, error_r);
}
