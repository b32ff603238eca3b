/*
 * store-collector.c: the mail collectors' records (store-collector.h).
 * CF collector: 'd' name -> definition JSON; 't' name -> status JSON; 'u' "name uidl" -> a
 * seen mark; 'f' token -> a fetch token's record (store-internal.h); "Jh"/"Jn": the history of
 * the definitions (store-history.c), a change recorded in the write that makes it. Part of
 * pb_store_collector. OWNS: the collector column family (the spool adds seen marks to it in
 * its commits). THREAD: any.
 */
#include "store-internal.h"
#include "store-collector.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

bool pb_collector_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > PB_COLLECTOR_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

bool pb_collector_uidl_valid(const char *uidl)
{
	size_t n = strlen(uidl);

	if (n == 0 || n > PB_COLLECTOR_UIDL_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)uidl[i] < 0x21 || (unsigned char)uidl[i] > 0x7e)
			return false;
	return true;
}

void pb_collector_mark(const char *name, const char *uidl, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s", name, uidl);
}

/* key_r = kind + text; returns its length. */
static size_t make_key(char kind, const char *text, char *key_r, size_t size)
{
	int n = snprintf(key_r, size, "%c%s", kind, text);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

static int put_text(struct pb_store *s, char kind, const char *name, const char *json, bool sync,
		    const char **error_r)
{
	char key[PB_COLLECTOR_NAME_MAX + 2];

	if (!pb_collector_name_valid(name))
		return store_fail(error_r, "collector: bad name");
	size_t klen = make_key(kind, name, key, sizeof(key));
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_COLLECTOR], key, klen, json, strlen(json));
	int ret = sync ? store_write(s, b, error_r) : store_write_lazy(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	return ret;
}

/* The text under kind + id (a name or a token, checked by the caller): 1 / 0 / -1. */
static int get_raw(struct pb_store *s, char kind, const char *id, char **json_r,
		   const char **error_r)
{
	char key[PB_COLLECTOR_NAME_MAX + 2];
	struct pb_buf v;

	size_t klen = make_key(kind, id, key, sizeof(key));
	pb_buf_init(&v);
	int found = store_get(s, STORE_CF_COLLECTOR, key, klen, &v, error_r);
	if (found == 1)
		*json_r = xstrndup((const char *)v.data, v.len);
	pb_buf_deinit(&v);
	return found;
}

static int get_text(struct pb_store *s, char kind, const char *name, char **json_r,
		    const char **error_r)
{
	*json_r = NULL;
	return pb_collector_name_valid(name) ? get_raw(s, kind, name, json_r, error_r) : 0;
}

/* A definition as its history keeps it (allocated; NULL for NULL): the password (sealed) is
 * never kept, only "(set)", or "(changed)" when it differs from other's. */
static char *history_json(const char *json, const char *other)
{
	if (json == NULL)
		return NULL;
	cJSON *o = cJSON_Parse(json), *p = other != NULL ? cJSON_Parse(other) : NULL;
	const char *pw = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "password"));
	const char *opw = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "password"));
	if (pw != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(
			o, "password",
			cJSON_CreateString(opw == NULL || strcmp(pw, opw) == 0 ? "(set)"
									      : "(changed)"));
	char *text = o != NULL ? cJSON_PrintUnformatted(o) : xstrdup(json);
	cJSON_Delete(o);
	cJSON_Delete(p);
	return text;
}

/* Arms the history of collector name going from before to after (definitions, NULL absent). */
static void arm_change(const char *name, const char *before, const char *after)
{
	char *record = xasprintf("collector:%s", name);
	char *hb = history_json(before, NULL), *ha = history_json(after, before);

	store_history_arm(PB_HISTORY_COLLECTOR, record, hb, ha, NULL);
	free(record);
	free(hb);
	free(ha);
}

int pb_store_collector_put(struct pb_store *s, const char *name, const char *json,
			   const char **error_r)
{
	char *before = NULL;

	if (pb_store_collector_get(s, name, &before, error_r) < 0)
		return -1;
	arm_change(name, before, json);
	int ret = put_text(s, STORE_COLLECTOR_DEF, name, json, true, error_r);
	store_journal_disarm();
	free(before);
	return ret;
}

int pb_store_collector_get(struct pb_store *s, const char *name, char **json_r,
			   const char **error_r)
{
	return get_text(s, STORE_COLLECTOR_DEF, name, json_r, error_r);
}

int pb_store_collector_status_put(struct pb_store *s, const char *name, const char *json,
				  const char **error_r)
{
	return put_text(s, STORE_COLLECTOR_STATUS, name, json, false, error_r);
}

int pb_store_collector_status_get(struct pb_store *s, const char *name, char **json_r,
				  const char **error_r)
{
	return get_text(s, STORE_COLLECTOR_STATUS, name, json_r, error_r);
}

int pb_store_collector_progress_put(struct pb_store *s, const char *name, const char *json,
				    const char **error_r)
{
	return put_text(s, STORE_COLLECTOR_PROGRESS, name, json, true, error_r);
}

int pb_store_collector_progress_get(struct pb_store *s, const char *name, char **json_r,
				    const char **error_r)
{
	return get_text(s, STORE_COLLECTOR_PROGRESS, name, json_r, error_r);
}

int pb_store_collector_del(struct pb_store *s, const char *name, const char **error_r)
{
	char key[PB_COLLECTOR_NAME_MAX + 3];
	char *json;
	struct store_iter it;

	int found = pb_store_collector_get(s, name, &json, error_r);
	if (found <= 0)
		return found;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	size_t klen = make_key(STORE_COLLECTOR_DEF, name, key, sizeof(key));
	rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_COLLECTOR], key, klen);
	key[0] = STORE_COLLECTOR_STATUS;
	rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_COLLECTOR], key, klen);
	key[0] = STORE_COLLECTOR_PROGRESS;
	rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_COLLECTOR], key, klen);
	klen = (size_t)snprintf(key, sizeof(key), "%c%s ", STORE_COLLECTOR_SEEN, name);
	store_iter_prefix(s, STORE_CF_COLLECTOR, key, klen, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		size_t n;
		const char *k = rocksdb_iter_key(it.it, &n);
		rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_COLLECTOR], k, n);
	}
	int ret = store_iter_finish(&it, error_r);
	if (ret == 0) {
		arm_change(name, json, NULL);
		ret = store_write(s, b, error_r);
		store_journal_disarm();
	}
	free(json);
	rocksdb_writebatch_destroy(b);
	return ret < 0 ? -1 : 1;
}

int pb_store_collector_iter(struct pb_store *s,
			    int (*cb)(const char *name, const char *json, void *ctx), void *ctx,
			    const char **error_r)
{
	char prefix[1] = { STORE_COLLECTOR_DEF };
	struct store_iter it;

	store_iter_prefix(s, STORE_CF_COLLECTOR, prefix, 1, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		size_t klen, vlen;
		const char *k = rocksdb_iter_key(it.it, &klen);
		const char *v = rocksdb_iter_value(it.it, &vlen);
		char *name = xstrndup(k + 1, klen - 1);
		char *json = xstrndup(v, vlen);
		int stop = cb(name, json, ctx);
		free(name);
		free(json);
		if (stop != 0)
			break;
	}
	return store_iter_finish(&it, error_r);
}

/* The key of a seen mark into key_r: its length, 0 when name or uidl is not valid. */
static size_t seen_key(const char *name, const char *uidl, char *key_r, size_t size)
{
	char mark[PB_COLLECTOR_NAME_MAX + PB_COLLECTOR_UIDL_MAX + 2];

	if (!pb_collector_name_valid(name) || !pb_collector_uidl_valid(uidl))
		return 0;
	pb_collector_mark(name, uidl, mark, sizeof(mark));
	return make_key(STORE_COLLECTOR_SEEN, mark, key_r, size);
}

int pb_store_seen_put(struct pb_store *s, const char *name, const struct pb_seen *seen,
		      const char **error_r)
{
	char key[PB_COLLECTOR_NAME_MAX + PB_COLLECTOR_UIDL_MAX + 3];
	uint8_t v[STORE_SEEN_LEN];

	size_t klen = seen_key(name, seen->uidl, key, sizeof(key));
	if (klen == 0)
		return store_fail(error_r, "collector: bad name or UIDL");
	store_seen_encode(seen->state, seen->first_ms, v);
	return store_put1(s, STORE_CF_COLLECTOR, key, klen, v, sizeof(v), error_r);
}

int pb_store_seen_forget(struct pb_store *s, const char *name, const char *uidl,
			 const char **error_r)
{
	char key[PB_COLLECTOR_NAME_MAX + PB_COLLECTOR_UIDL_MAX + 3];

	size_t klen = seen_key(name, uidl, key, sizeof(key));
	if (klen == 0)
		return 0;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_COLLECTOR], key, klen);
	int ret = store_write_lazy(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	return ret;
}

int pb_store_seen_iter(struct pb_store *s, const char *name,
		       int (*cb)(const struct pb_seen *seen, void *ctx), void *ctx,
		       const char **error_r)
{
	char prefix[PB_COLLECTOR_NAME_MAX + 3];
	struct store_iter it;

	if (!pb_collector_name_valid(name))
		return store_fail(error_r, "collector: bad name");
	size_t plen = (size_t)snprintf(prefix, sizeof(prefix), "%c%s ", STORE_COLLECTOR_SEEN, name);
	store_iter_prefix(s, STORE_CF_COLLECTOR, prefix, plen, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		size_t klen, vlen;
		const char *k = rocksdb_iter_key(it.it, &klen);
		const char *v = rocksdb_iter_value(it.it, &vlen);
		struct pb_seen seen = { 0 };
		if (klen - plen > PB_COLLECTOR_UIDL_MAX ||
		    store_seen_decode(v, vlen, &seen.state, &seen.first_ms) < 0)
			continue; /* corrupt: skipped, as if never seen */
		memcpy(seen.uidl, k + plen, klen - plen);
		if (cb(&seen, ctx) != 0)
			break;
	}
	return store_iter_finish(&it, error_r);
}

bool pb_collector_token_valid(const char *token)
{
	size_t n = strlen(token);

	if (n != PB_COLLECTOR_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((token[i] >= '0' && token[i] <= '9') || (token[i] >= 'a' && token[i] <= 'f')))
			return false;
	return true;
}

int pb_store_fetch_token_put(struct pb_store *s, const char *token, const char *json,
			     const char **error_r)
{
	char key[PB_COLLECTOR_TOKEN_LEN + 2];

	if (!pb_collector_token_valid(token))
		return store_fail(error_r, "collector: bad fetch token");
	size_t klen = make_key(STORE_COLLECTOR_TOKEN, token, key, sizeof(key));
	return store_put1(s, STORE_CF_COLLECTOR, key, klen, json, strlen(json), error_r);
}

int pb_store_fetch_token_get(struct pb_store *s, const char *token, char **json_r,
			     const char **error_r)
{
	*json_r = NULL;
	return pb_collector_token_valid(token)
		       ? get_raw(s, STORE_COLLECTOR_TOKEN, token, json_r, error_r)
		       : 0;
}
