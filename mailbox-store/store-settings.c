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
