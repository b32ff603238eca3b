/*
 * store-lockout.c: the block list records (CF lockout). Part of pb_store_lockout
 * (store-lockout.h).
 * Key: ['b'][network text]. Value v1: [u8 1][u64 created_ms][u64 until_ms][u8 automatic]
 * [str reason][str protocol]. The kind byte leaves room for other lockout records.
 * Keys "Jh"/"Jn": the history of the manual blocks (store-history.c; automatic ones are the
 * guard's, not settings), a change recorded in the write that makes it.
 * OWNS: nothing beyond the handle. THREAD: any (single puts and deletes need no lock).
 */
#include "store-internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

#define BLOCK_KIND 'b'

/* The key of net into key_r (PB_STORE_BLOCK_NET_MAX + 1 bytes); its length, or -1. */
static int block_key(const char *net, char *key_r, const char **error_r)
{
	size_t len = net != NULL ? strlen(net) : 0;

	if (len == 0 || len > PB_STORE_BLOCK_NET_MAX)
		return store_fail(error_r, "store: block network empty or longer than %d",
				  PB_STORE_BLOCK_NET_MAX);
	key_r[0] = BLOCK_KIND;
	memcpy(key_r + 1, net, len);
	return (int)len + 1;
}

static bool block_decode(const char *key, size_t klen, const char *val, size_t vlen,
			 struct pb_store_block *b);
static void block_free(struct pb_store_block *b);

char *pb_store_block_history_json(const struct pb_store_block *b)
{
	if (b == NULL || b->automatic)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "net", b->net != NULL ? b->net : "");
	cJSON_AddNumberToObject(o, "until_ms", (double)b->until_ms);
	cJSON_AddStringToObject(o, "reason", b->reason != NULL ? b->reason : "");
	cJSON_AddStringToObject(o, "protocol", b->protocol != NULL ? b->protocol : "");
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* Arms the history of the block under key going to after (NULL: none, or automatic). */
static int arm_change(struct pb_store *s, const char *key, int klen, const char *after,
		      const char **error_r)
{
	struct pb_buf val;
	struct pb_store_block now;
	char *before = NULL;

	pb_buf_init(&val);
	int found = store_get(s, STORE_CF_LOCKOUT, key, (size_t)klen, &val, error_r);
	if (found == 1 && block_decode(key, (size_t)klen, (const char *)val.data, val.len, &now)) {
		before = pb_store_block_history_json(&now);
		block_free(&now);
	}
	pb_buf_deinit(&val);
	char *record = xasprintf("block:%.*s", klen - 1, key + 1);
	store_history_arm(PB_HISTORY_BLOCK, record, before, after, NULL);
	free(record);
	free(before);
	return found < 0 ? -1 : 0;
}

int pb_store_block_put(struct pb_store *s, const struct pb_store_block *b, const char **error_r)
{
	char key[PB_STORE_BLOCK_NET_MAX + 1];
	struct pb_buf val;
	int klen = block_key(b->net, key, error_r);

	char *after = pb_store_block_history_json(b);
	int ret = klen < 0 ? -1 : arm_change(s, key, klen, after, error_r);
	free(after);
	if (ret < 0)
		return -1;
	pb_buf_init(&val);
	store_enc_u8(&val, STORE_V1);
	store_enc_u64(&val, (uint64_t)b->created_ms);
	store_enc_u64(&val, (uint64_t)b->until_ms);
	store_enc_u8(&val, b->automatic ? 1 : 0);
	store_enc_str(&val, b->reason != NULL ? b->reason : "");
	store_enc_str(&val, b->protocol != NULL ? b->protocol : "");
	ret = store_put1(s, STORE_CF_LOCKOUT, key, (size_t)klen, val.data, val.len, error_r);
	store_journal_disarm();
	pb_buf_deinit(&val);
	return ret;
}

int pb_store_block_delete(struct pb_store *s, const char *net, const char **error_r)
{
	char key[PB_STORE_BLOCK_NET_MAX + 1];
	int klen = block_key(net, key, error_r);

	if (klen < 0 || arm_change(s, key, klen, NULL, error_r) < 0)
		return -1;
	int ret = store_delete1(s, STORE_CF_LOCKOUT, key, (size_t)klen, error_r);
	store_journal_disarm();
	return ret;
}

static void block_free(struct pb_store_block *b)
{
	free(b->net);
	free(b->reason);
	free(b->protocol);
}

/* Decodes one record into *b (its strings allocated). Returns true if it decoded whole. */
static bool block_decode(const char *key, size_t klen, const char *val, size_t vlen,
			 struct pb_store_block *b)
{
	struct store_rd r;

	memset(b, 0, sizeof(*b));
	store_rd_init(&r, val, vlen);
	if (klen < 2 || klen > PB_STORE_BLOCK_NET_MAX + 1 || store_rd_u8(&r) != STORE_V1)
		return false;
	b->created_ms = (int64_t)store_rd_u64(&r);
	b->until_ms = (int64_t)store_rd_u64(&r);
	b->automatic = store_rd_u8(&r) != 0;
	b->reason = store_rd_str(&r);
	b->protocol = store_rd_str(&r);
	b->net = xstrndup(key + 1, klen - 1);
	if (store_rd_ok(&r) && b->reason != NULL && b->protocol != NULL)
		return true;
	block_free(b);
	return false;
}

int pb_store_block_list(struct pb_store *s, struct pb_store_block **v_r, size_t *n_r,
			size_t *bad_r, const char **error_r)
{
	const char prefix = BLOCK_KIND;
	struct store_iter it;
	size_t n = 0, cap = 0, bad = 0;
	struct pb_store_block *v = NULL;

	store_iter_prefix(s, STORE_CF_LOCKOUT, &prefix, 1, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		size_t klen, vlen;
		const char *key = rocksdb_iter_key(it.it, &klen);
		const char *val = rocksdb_iter_value(it.it, &vlen);
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		if (block_decode(key, klen, val, vlen, &v[n]))
			n++;
		else
			bad++;
	}
	if (store_iter_finish(&it, error_r) < 0) {
		pb_store_block_list_free(v, n);
		return -1;
	}
	*v_r = v;
	*n_r = n;
	*bad_r = bad;
	return 0;
}

void pb_store_block_list_free(struct pb_store_block *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		block_free(&v[i]);
	free(v);
}
