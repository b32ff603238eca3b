/*
 * store-route-rules.c: the message rule sets (CF routes, beside mappings and lists). Part of
 * pb_store_routes (store-routes.h).
 * Key ['r'][u64 owner BE] (owner 0: the administrator's, else a user id). Value v1: [u8 1]
 * [str json].
 * OWNS: nothing beyond the handle. THREAD: any.
 */
#include "store-internal.h"

#define RULES_KIND 'r'

static void rules_key(uint64_t owner, uint8_t key[9])
{
	key[0] = RULES_KIND;
	store_be64_put(key + 1, owner);
}

int pb_store_route_rules_put(struct pb_store *s, uint64_t owner, const char *json,
			     const char **error_r)
{
	uint8_t key[9];
	struct pb_buf val;

	size_t len = json != NULL ? strlen(json) : 0;
	if (len == 0 || len > PB_ROUTE_RULES_MAX)
		return store_fail(error_r, "store: a rule set empty or longer than %d",
				  PB_ROUTE_RULES_MAX);
	rules_key(owner, key);
	pb_buf_init(&val);
	store_enc_u8(&val, STORE_V1);
	store_enc_str(&val, json);
	int ret = store_put1(s, STORE_CF_ROUTES, (const char *)key, sizeof(key), val.data, val.len,
			     error_r);
	pb_buf_deinit(&val);
	return ret;
}

/* The JSON of one value, or NULL when it does not decode. */
static char *rules_decode(const void *val, size_t vlen)
{
	struct store_rd r;

	store_rd_init(&r, val, vlen);
	if (store_rd_u8(&r) != STORE_V1)
		return NULL;
	char *json = store_rd_str(&r);
	if (!store_rd_ok(&r)) {
		free(json);
		return NULL;
	}
	return json;
}

int pb_store_route_rules_get(struct pb_store *s, uint64_t owner, char **json_r,
			     const char **error_r)
{
	uint8_t key[9];
	struct pb_buf val;

	*json_r = NULL;
	rules_key(owner, key);
	pb_buf_init(&val);
	int found = store_get(s, STORE_CF_ROUTES, key, sizeof(key), &val, error_r);
	if (found == 1 && (*json_r = rules_decode(val.data, val.len)) == NULL)
		found = store_fail(error_r, "store: a corrupt rule set record");
	pb_buf_deinit(&val);
	return found;
}

int pb_store_route_rules_delete(struct pb_store *s, uint64_t owner, const char **error_r)
{
	uint8_t key[9];

	rules_key(owner, key);
	return store_delete1(s, STORE_CF_ROUTES, (const char *)key, sizeof(key), error_r);
}

int pb_store_route_rules_iter(struct pb_store *s,
			      int (*cb)(uint64_t owner, const char *json, void *ctx), void *ctx,
			      const char **error_r)
{
	struct store_iter it;
	char kind = RULES_KIND;
	int stop = 0;

	store_iter_prefix(s, STORE_CF_ROUTES, &kind, 1, &it);
	for (; stop == 0 && store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		size_t klen, vlen;
		const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it.it, &klen);
		const char *val = rocksdb_iter_value(it.it, &vlen);
		char *json = klen == 9 ? rules_decode(val, vlen) : NULL;
		if (json != NULL)
			stop = cb(store_be64_get(k + 1), json, ctx);
		free(json);
	}
	return store_iter_finish(&it, error_r);
}
