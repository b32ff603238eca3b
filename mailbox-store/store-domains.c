/*
 * store-domains.c: local domains (CF domains). Part of pb_store_accounts (store-accounts.h).
 * OWNS: nothing beyond the handle. THREAD: any (single puts and deletes need no lock).
 */
#include "store-internal.h"

#include <stdlib.h>

#define STORE_DOMAIN_MAX 253

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
