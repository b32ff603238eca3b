/*
 * store-connections.c: connection method records (CF connections). Part of
 * pb_store_connections (store-connections.h).
 * Key: ['m'][name]. Value v1: [u8 1][u8 paused][u8 send][u32 n][str collector]*n
 * [u32 n][u32 every_min][u32 from_min][u32 to_min][u32 days][u32 min_waiting]*n
 * [u64 last_start_ms][u64 last_end_ms][u64 last_error_ms][str last_result][str last_error].
 * Key: ['s']: the default method was added once (value [u8 1]).
 * Keys "Jh"/"Jn": the history of the methods' settings (store-history.c: what it runs, paused,
 * its schedule; never the last run), a change recorded in the write that makes it.
 * OWNS: nothing beyond the handle. THREAD: any (single puts and deletes need no lock).
 */
#include "store-internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

#define CONN_KIND 'm'
#define SEEDED_KEY "s"

/* The key of name into key_r (PB_STORE_CONN_NAME_MAX + 1 bytes); its length, or -1. */
static int conn_key(const char *name, char *key_r, const char **error_r)
{
	size_t len = name != NULL ? strlen(name) : 0;

	if (len == 0 || len > PB_STORE_CONN_NAME_MAX)
		return store_fail(error_r, "store: connection name empty or longer than %d",
				  PB_STORE_CONN_NAME_MAX);
	key_r[0] = CONN_KIND;
	memcpy(key_r + 1, name, len);
	return (int)len + 1;
}

static const char *or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static void conn_encode(const struct pb_store_conn *c, struct pb_buf *val)
{
	store_enc_u8(val, STORE_V1);
	store_enc_u8(val, c->paused ? 1 : 0);
	store_enc_u8(val, c->send ? 1 : 0);
	store_enc_u32(val, (uint32_t)c->n_collectors);
	for (size_t i = 0; i < c->n_collectors; i++)
		store_enc_str(val, or_empty(c->collectors[i]));
	store_enc_u32(val, (uint32_t)c->n_rules);
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct pb_store_conn_rule *r = &c->rules[i];
		store_enc_u32(val, r->every_min);
		store_enc_u32(val, r->from_min);
		store_enc_u32(val, r->to_min);
		store_enc_u32(val, r->days);
		store_enc_u32(val, r->min_waiting);
	}
	store_enc_u64(val, (uint64_t)c->last_start_ms);
	store_enc_u64(val, (uint64_t)c->last_end_ms);
	store_enc_u64(val, (uint64_t)c->last_error_ms);
	store_enc_str(val, or_empty(c->last_result));
	store_enc_str(val, or_empty(c->last_error));
}

char *pb_store_conn_settings_json(const struct pb_store_conn *c)
{
	cJSON *o = cJSON_CreateObject(), *cv = cJSON_CreateArray(), *rv = cJSON_CreateArray();

	cJSON_AddStringToObject(o, "name", or_empty(c->name));
	cJSON_AddBoolToObject(o, "paused", c->paused);
	cJSON_AddBoolToObject(o, "send", c->send);
	for (size_t i = 0; i < c->n_collectors; i++)
		cJSON_AddItemToArray(cv, cJSON_CreateString(or_empty(c->collectors[i])));
	cJSON_AddItemToObject(o, "collectors", cv);
	for (size_t i = 0; i < c->n_rules && i < PB_STORE_CONN_RULES_MAX; i++) {
		const struct pb_store_conn_rule *r = &c->rules[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "every_min", r->every_min);
		cJSON_AddNumberToObject(x, "from_min", r->from_min);
		cJSON_AddNumberToObject(x, "to_min", r->to_min);
		cJSON_AddNumberToObject(x, "days", r->days);
		cJSON_AddNumberToObject(x, "min_waiting", r->min_waiting);
		cJSON_AddItemToArray(rv, x);
	}
	cJSON_AddItemToObject(o, "rules", rv);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

static bool conn_decode(const char *key, size_t klen, const char *val, size_t vlen,
			struct pb_store_conn *c);

/* The history JSON of the record under key (NULL: absent or undecodable). 0 / -1. */
static int settings_now(struct pb_store *s, const char *key, int klen, char **json_r,
			const char **error_r)
{
	struct pb_buf val;
	struct pb_store_conn c;

	*json_r = NULL;
	pb_buf_init(&val);
	int found = store_get(s, STORE_CF_CONNECTIONS, key, (size_t)klen, &val, error_r);
	if (found == 1 && conn_decode(key, (size_t)klen, (const char *)val.data, val.len, &c)) {
		*json_r = pb_store_conn_settings_json(&c);
		pb_store_conn_clear(&c);
	}
	pb_buf_deinit(&val);
	return found < 0 ? -1 : 0;
}

/* Arms the history of the method under key going to after (NULL: deleted). 0 / -1. */
static int arm_change(struct pb_store *s, const char *key, int klen, const char *after,
		      const char **error_r)
{
	char *before;

	if (settings_now(s, key, klen, &before, error_r) < 0)
		return -1;
	char *record = xasprintf("connection:%.*s", klen - 1, key + 1);
	store_history_arm(PB_HISTORY_CONNECTION, record, before, after, NULL);
	free(record);
	free(before);
	return 0;
}

int pb_store_conn_put(struct pb_store *s, const struct pb_store_conn *c, const char **error_r)
{
	char key[PB_STORE_CONN_NAME_MAX + 1];
	struct pb_buf val;
	int klen = conn_key(c->name, key, error_r);

	if (klen < 0)
		return -1;
	if (c->n_rules > PB_STORE_CONN_RULES_MAX || c->n_collectors > PB_STORE_CONN_COLLECTORS_MAX)
		return store_fail(error_r, "store: connection %s: too many rules or collectors",
				  c->name);
	char *after = pb_store_conn_settings_json(c);
	int ret = arm_change(s, key, klen, after, error_r);
	free(after);
	if (ret < 0)
		return -1;
	pb_buf_init(&val);
	conn_encode(c, &val);
	ret = store_put1(s, STORE_CF_CONNECTIONS, key, (size_t)klen, val.data, val.len, error_r);
	store_journal_disarm();
	pb_buf_deinit(&val);
	return ret;
}

int pb_store_conn_delete(struct pb_store *s, const char *name, const char **error_r)
{
	char key[PB_STORE_CONN_NAME_MAX + 1];
	int klen = conn_key(name, key, error_r);

	if (klen < 0 || arm_change(s, key, klen, NULL, error_r) < 0)
		return -1;
	int ret = store_delete1(s, STORE_CF_CONNECTIONS, key, (size_t)klen, error_r);
	store_journal_disarm();
	return ret;
}

void pb_store_conn_clear(struct pb_store_conn *c)
{
	for (size_t i = 0; i < c->n_collectors; i++)
		free(c->collectors[i]);
	free(c->collectors);
	free(c->name);
	free(c->last_result);
	free(c->last_error);
	memset(c, 0, sizeof(*c));
}

/* The collectors and rules of a value. False on a count out of bounds or a NULL name. */
static bool conn_decode_lists(struct store_rd *r, struct pb_store_conn *c)
{
	uint32_t n = store_rd_u32(r);

	if (n > PB_STORE_CONN_COLLECTORS_MAX)
		return false;
	c->collectors = xcalloc(n > 0 ? n : 1, sizeof(*c->collectors));
	for (; c->n_collectors < n; c->n_collectors++) {
		c->collectors[c->n_collectors] = store_rd_str(r);
		if (c->collectors[c->n_collectors] == NULL)
			return false;
	}
	n = store_rd_u32(r);
	if (n > PB_STORE_CONN_RULES_MAX)
		return false;
	for (c->n_rules = 0; c->n_rules < n; c->n_rules++) {
		struct pb_store_conn_rule *x = &c->rules[c->n_rules];
		x->every_min = store_rd_u32(r);
		x->from_min = store_rd_u32(r);
		x->to_min = store_rd_u32(r);
		x->days = store_rd_u32(r);
		x->min_waiting = store_rd_u32(r);
	}
	return true;
}

/* Decodes one record into *c (its strings allocated). Returns true if it decoded whole. */
static bool conn_decode(const char *key, size_t klen, const char *val, size_t vlen,
			struct pb_store_conn *c)
{
	struct store_rd r;

	memset(c, 0, sizeof(*c));
	store_rd_init(&r, val, vlen);
	if (klen < 2 || klen > PB_STORE_CONN_NAME_MAX + 1 || store_rd_u8(&r) != STORE_V1)
		return false;
	c->name = xstrndup(key + 1, klen - 1);
	c->paused = store_rd_u8(&r) != 0;
	c->send = store_rd_u8(&r) != 0;
	if (conn_decode_lists(&r, c)) {
		c->last_start_ms = (int64_t)store_rd_u64(&r);
		c->last_end_ms = (int64_t)store_rd_u64(&r);
		c->last_error_ms = (int64_t)store_rd_u64(&r);
		c->last_result = store_rd_str(&r);
		c->last_error = store_rd_str(&r);
		if (store_rd_ok(&r) && c->last_result != NULL && c->last_error != NULL)
			return true;
	}
	pb_store_conn_clear(c);
	return false;
}

int pb_store_conn_list(struct pb_store *s, struct pb_store_conn **v_r, size_t *n_r,
		       size_t *bad_r, const char **error_r)
{
	const char prefix = CONN_KIND;
	struct store_iter it;
	size_t n = 0, cap = 0, bad = 0;
	struct pb_store_conn *v = NULL;

	store_iter_prefix(s, STORE_CF_CONNECTIONS, &prefix, 1, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		size_t klen, vlen;
		const char *key = rocksdb_iter_key(it.it, &klen);
		const char *val = rocksdb_iter_value(it.it, &vlen);
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			v = xrealloc(v, cap * sizeof(*v));
		}
		if (conn_decode(key, klen, val, vlen, &v[n]))
			n++;
		else
			bad++;
	}
	if (store_iter_finish(&it, error_r) < 0) {
		pb_store_conn_list_free(v, n);
		return -1;
	}
	*v_r = v;
	*n_r = n;
	*bad_r = bad;
	return 0;
}

void pb_store_conn_list_free(struct pb_store_conn *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pb_store_conn_clear(&v[i]);
	free(v);
}

int pb_store_conn_seeded(struct pb_store *s, const char **error_r)
{
	struct pb_buf val;

	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_CONNECTIONS, SEEDED_KEY, 1, &val, error_r);
	pb_buf_deinit(&val);
	return ret;
}

int pb_store_conn_set_seeded(struct pb_store *s, const char **error_r)
{
	const uint8_t v = STORE_V1;

	return store_put1(s, STORE_CF_CONNECTIONS, SEEDED_KEY, 1, &v, 1, error_r);
}
