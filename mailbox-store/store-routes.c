/*
 * store-routes.c: mappings and distribution lists (CF routes). Part of pb_store_routes
 * (store-routes.h).
 * Key ['m'][lowercase address][0][lowercase target]. Value v1: [u8 1][str address][str target]
 * [u8 type][str collector][str comment].
 * Key ['l'][lowercase name]. Value v1: [u8 1][str name][u8 internet][str comment][u32 n]
 * [str member]*n.
 * OWNS: nothing beyond the handle. THREAD: any.
 */
#include "store-internal.h"

#include <ctype.h>
#include <stdlib.h>

#define MAP_KIND 'm'
#define LIST_KIND 'l'
#define LIST_NAME_MAX 64

static const char *or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* Appends s in lowercase to key. */
static void key_add_lower(struct pb_buf *key, const char *s)
{
	for (; *s != '\0'; s++) {
		char c = (char)tolower((unsigned char)*s);
		pb_buf_append(key, &c, 1);
	}
}

/* A text field's check: 1..max bytes. */
static int check_len(const char *what, const char *s, size_t max, const char **error_r)
{
	size_t len = s != NULL ? strlen(s) : 0;
	if (len == 0 || len > max)
		return store_fail(error_r, "store: %s empty or longer than %zu", what, max);
	return 0;
}

static int map_key(const char *address, const char *target, struct pb_buf *key,
		   const char **error_r)
{
	if (check_len("mapping address", address, PB_ROUTE_ADDRESS_MAX, error_r) < 0 ||
	    check_len("mapping target", target, PB_ROUTE_ADDRESS_MAX, error_r) < 0)
		return -1;
	char kind = MAP_KIND, zero = 0;
	pb_buf_append(key, &kind, 1);
	key_add_lower(key, address);
	pb_buf_append(key, &zero, 1);
	key_add_lower(key, target);
	return 0;
}

int pb_store_route_map_put(struct pb_store *s, const struct pb_route_map *m, const char **error_r)
{
	struct pb_buf key, val;
	int ret = -1;

	pb_buf_init(&key);
	pb_buf_init(&val);
	if (map_key(m->address, m->target, &key, error_r) == 0 &&
	    (m->comment == NULL || strlen(m->comment) <= PB_ROUTE_COMMENT_MAX)) {
		store_enc_u8(&val, STORE_V1);
		store_enc_str(&val, m->address);
		store_enc_str(&val, m->target);
		store_enc_u8(&val, m->type);
		store_enc_str(&val, or_empty(m->collector));
		store_enc_str(&val, or_empty(m->comment));
		ret = store_put1(s, STORE_CF_ROUTES, (const char *)key.data, key.len, val.data, val.len, error_r);
	} else if (m->comment != NULL && strlen(m->comment) > PB_ROUTE_COMMENT_MAX) {
		ret = store_fail(error_r, "store: a comment longer than %d", PB_ROUTE_COMMENT_MAX);
	}
	pb_buf_deinit(&key);
	pb_buf_deinit(&val);
	return ret;
}

int pb_store_route_map_delete(struct pb_store *s, const char *address, const char *target,
			      const char **error_r)
{
	struct pb_buf key;

	pb_buf_init(&key);
	int ret = map_key(address, target, &key, error_r);
	if (ret == 0)
		ret = store_delete1(s, STORE_CF_ROUTES, (const char *)key.data, key.len, error_r);
	pb_buf_deinit(&key);
	return ret;
}

static bool map_decode(const char *val, size_t vlen, struct pb_route_map *m)
{
	struct store_rd r;

	memset(m, 0, sizeof(*m));
	store_rd_init(&r, val, vlen);
	if (store_rd_u8(&r) != STORE_V1)
		return false;
	m->address = store_rd_str(&r);
	m->target = store_rd_str(&r);
	m->type = store_rd_u8(&r);
	m->collector = store_rd_str(&r);
	m->comment = store_rd_str(&r);
	if (store_rd_ok(&r) && m->address && m->target && m->collector && m->comment)
		return true;
	free(m->address);
	free(m->target);
	free(m->collector);
	free(m->comment);
	return false;
}

/* Calls decode on every value of kind into a growing array of size elem. 0 / -1. */
static int scan_kind(struct pb_store *s, char kind, size_t elem,
		     bool (*decode)(const char *val, size_t vlen, void *out), void **v_r,
		     size_t *n_r, const char **error_r)
{
	struct store_iter it;
	size_t n = 0, cap = 0;
	char *v = NULL;

	store_iter_prefix(s, STORE_CF_ROUTES, &kind, 1, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		size_t vlen;
		const char *val = rocksdb_iter_value(it.it, &vlen);
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			v = xrealloc(v, cap * elem);
		}
		n += decode(val, vlen, v + n * elem);
	}
	*v_r = v;
	*n_r = n;
	return store_iter_finish(&it, error_r);
}

static bool map_decode_any(const char *val, size_t vlen, void *out)
{
	return map_decode(val, vlen, out);
}

int pb_store_route_maps(struct pb_store *s, struct pb_route_map **v_r, size_t *n_r,
			const char **error_r)
{
	void *v;
	int ret = scan_kind(s, MAP_KIND, sizeof(**v_r), map_decode_any, &v, n_r, error_r);
	*v_r = v;
	if (ret < 0) {
		pb_route_maps_free(*v_r, *n_r);
		*v_r = NULL;
		*n_r = 0;
	}
	return ret;
}

void pb_route_maps_free(struct pb_route_map *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].address);
		free(v[i].target);
		free(v[i].collector);
		free(v[i].comment);
	}
	free(v);
}

static int list_key(const char *name, struct pb_buf *key, const char **error_r)
{
	if (check_len("list name", name, LIST_NAME_MAX, error_r) < 0)
		return -1;
	char kind = LIST_KIND;
	pb_buf_append(key, &kind, 1);
	key_add_lower(key, name);
	return 0;
}

static int list_check(const struct pb_route_list *l, const char **error_r)
{
	if (l->n_members > PB_ROUTE_LIST_MEMBERS_MAX)
		return store_fail(error_r, "store: a list of more than %d members",
				  PB_ROUTE_LIST_MEMBERS_MAX);
	if (l->comment != NULL && strlen(l->comment) > PB_ROUTE_COMMENT_MAX)
		return store_fail(error_r, "store: a comment longer than %d", PB_ROUTE_COMMENT_MAX);
	for (size_t i = 0; i < l->n_members; i++)
		if (check_len("list member", l->members[i], PB_ROUTE_ADDRESS_MAX, error_r) < 0)
			return -1;
	return 0;
}

int pb_store_route_list_put(struct pb_store *s, const struct pb_route_list *l,
			    const char **error_r)
{
	struct pb_buf key, val;
	int ret = -1;

	pb_buf_init(&key);
	pb_buf_init(&val);
	if (list_key(l->name, &key, error_r) == 0 && list_check(l, error_r) == 0) {
		store_enc_u8(&val, STORE_V1);
		store_enc_str(&val, l->name);
		store_enc_u8(&val, l->internet ? 1 : 0);
		store_enc_str(&val, or_empty(l->comment));
		store_enc_u32(&val, (uint32_t)l->n_members);
		for (size_t i = 0; i < l->n_members; i++)
			store_enc_str(&val, l->members[i]);
		ret = store_put1(s, STORE_CF_ROUTES, (const char *)key.data, key.len, val.data, val.len, error_r);
	}
	pb_buf_deinit(&key);
	pb_buf_deinit(&val);
	return ret;
}

void pb_route_list_clear(struct pb_route_list *l)
{
	for (size_t i = 0; i < l->n_members; i++)
		free(l->members[i]);
	free(l->members);
	free(l->name);
	free(l->comment);
	memset(l, 0, sizeof(*l));
}

static bool list_decode(const char *val, size_t vlen, void *out)
{
	struct pb_route_list *l = out;
	struct store_rd r;

	memset(l, 0, sizeof(*l));
	store_rd_init(&r, val, vlen);
	if (store_rd_u8(&r) != STORE_V1)
		return false;
	l->name = store_rd_str(&r);
	l->internet = store_rd_u8(&r) != 0;
	l->comment = store_rd_str(&r);
	uint32_t n = store_rd_u32(&r);
	if (n <= PB_ROUTE_LIST_MEMBERS_MAX && !r.bad) {
		l->members = xcalloc(n > 0 ? n : 1, sizeof(char *));
		for (; l->n_members < n; l->n_members++)
			if ((l->members[l->n_members] = store_rd_str(&r)) == NULL)
				break;
	}
	if (store_rd_ok(&r) && l->name && l->comment && l->n_members == n)
		return true;
	pb_route_list_clear(l);
	return false;
}

int pb_store_route_list_get(struct pb_store *s, const char *name, struct pb_route_list *l_r,
			    const char **error_r)
{
	struct pb_buf key, val;
	int found = -1;

	memset(l_r, 0, sizeof(*l_r));
	pb_buf_init(&key);
	pb_buf_init(&val);
	if (list_key(name, &key, error_r) == 0)
		found = store_get(s, STORE_CF_ROUTES, key.data, key.len, &val, error_r);
	if (found == 1 && !list_decode((const char *)val.data, val.len, l_r))
		found = store_fail(error_r, "store: a corrupt list record");
	pb_buf_deinit(&key);
	pb_buf_deinit(&val);
	return found;
}

int pb_store_route_list_delete(struct pb_store *s, const char *name, const char **error_r)
{
	struct pb_buf key;

	pb_buf_init(&key);
	int ret = list_key(name, &key, error_r);
	if (ret == 0)
		ret = store_delete1(s, STORE_CF_ROUTES, (const char *)key.data, key.len, error_r);
	pb_buf_deinit(&key);
	return ret;
}

int pb_store_route_lists(struct pb_store *s, struct pb_route_list **v_r, size_t *n_r,
			 const char **error_r)
{
	void *v;
	int ret = scan_kind(s, LIST_KIND, sizeof(**v_r), list_decode, &v, n_r, error_r);
	*v_r = v;
	if (ret < 0) {
		pb_route_lists_free(*v_r, *n_r);
		*v_r = NULL;
		*n_r = 0;
	}
	return ret;
}

void pb_route_lists_free(struct pb_route_list *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pb_route_list_clear(&v[i]);
	free(v);
}
