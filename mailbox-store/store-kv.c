/*
 * store-kv.c: the small keyed kinds: local domains (CF domains) and settings documents
 * (CF settings).
 * OWNS: nothing beyond the handle. THREAD: any (single puts and deletes need no lock).
 */
#include "store-internal.h"

#include <stdlib.h>

#define STORE_DOMAIN_MAX 253

/* One-operation synced batch. */
static int store_put1(struct pb_store *s, enum store_cf cf, const char *key, size_t klen,
		      const void *val, size_t vlen, const char **error_r)
{
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();

	rocksdb_writebatch_put_cf(b, s->cf[cf], key, klen, val, vlen);
	int ret = store_write(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	return ret;
}

/* Deletes a key if present. Returns 1 deleted, 0 absent, -1. The check and the delete are
 * not atomic together; two concurrent deletes may both report 1 (both are harmless). */
static int store_delete1(struct pb_store *s, enum store_cf cf, const char *key, size_t klen,
			 const char **error_r)
{
	struct pb_buf val;

	pb_buf_init(&val);
	int ret = store_get(s, cf, key, klen, &val, error_r);
	pb_buf_deinit(&val);
	if (ret != 1)
		return ret;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	rocksdb_writebatch_delete_cf(b, s->cf[cf], key, klen);
	ret = store_write(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	return ret < 0 ? -1 : 1;
}

/* domains value v1: [ver] */
int pb_store_domain_put(struct pb_store *s, const char *domain, const char **error_r)
{
	char ld[STORE_DOMAIN_MAX + 1];
	uint8_t v = STORE_V1;

	if (store_lower_copy(domain, ld, sizeof(ld)) < 0)
		return store_fail(error_r, "store: domain empty or longer than %d",
				  STORE_DOMAIN_MAX);
	return store_put1(s, STORE_CF_DOMAINS, ld, strlen(ld), &v, 1, error_r);
}

int pb_store_domain_delete(struct pb_store *s, const char *domain, const char **error_r)
{
	char ld[STORE_DOMAIN_MAX + 1];

	if (store_lower_copy(domain, ld, sizeof(ld)) < 0)
		return 0;
	return store_delete1(s, STORE_CF_DOMAINS, ld, strlen(ld), error_r);
}

int pb_store_domain_exists(struct pb_store *s, const char *domain, const char **error_r)
{
	char ld[STORE_DOMAIN_MAX + 1];
	struct pb_buf val;

	if (store_lower_copy(domain, ld, sizeof(ld)) < 0)
		return 0;
	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_DOMAINS, ld, strlen(ld), &val, error_r);
	pb_buf_deinit(&val);
	return ret;
}

int pb_store_domain_iter(struct pb_store *s, int (*cb)(const char *domain, void *ctx),
			 void *ctx, const char **error_r)
{
	struct store_iter it;
	char name[STORE_DOMAIN_MAX + 1];

	store_iter_prefix(s, STORE_CF_DOMAINS, "", 0, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		size_t klen;
		const char *key = rocksdb_iter_key(it.it, &klen);
		if (klen > STORE_DOMAIN_MAX)
			continue; /* cannot have been written by put */
		memcpy(name, key, klen);
		name[klen] = '\0';
		if (cb(name, ctx) != 0)
			break;
	}
	return store_iter_finish(&it, error_r);
}

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
