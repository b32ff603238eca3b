/*
 * store-subs.c: the folder hierarchy operations IMAP needs — each user's subscribed names (one
 * record in CF folders under the folder id STORE_SUBS_ID, which no folder gets) and the rename
 * of a folder with its inferiors in one batch. Part of pb_store_mail (store-mail.h).
 * OWNS: nothing beyond the handle. THREAD: any, with a single writer per user (store-mail.h).
 */
#include "store-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

void pb_strs_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* subscriptions value v1: [ver][u32 n][str name]... */
int pb_store_subs_list(struct pb_store *s, uint64_t user_id, char ***names_r, size_t *n_r,
		       const char **error_r)
{
	uint8_t key[STORE_FOLDER_KEY_LEN];
	struct pb_buf val;
	struct store_rd r;

	*names_r = NULL;
	*n_r = 0;
	store_folder_key(user_id, STORE_SUBS_ID, key);
	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_FOLDERS, key, sizeof(key), &val, error_r);
	if (ret == 1) {
		store_rd_init(&r, val.data, val.len);
		bool v_ok = store_rd_u8(&r) == STORE_V1;
		uint32_t n = store_rd_u32(&r);
		char **v = xcalloc(n <= PB_SUBS_MAX ? n + 1 : 1, sizeof(char *));
		size_t got = 0;
		while (v_ok && n <= PB_SUBS_MAX && got < n && !r.bad)
			v[got++] = store_rd_str(&r);
		if (!v_ok || !store_rd_ok(&r) || got != n || n > PB_SUBS_MAX) {
			pb_strs_free(v, got);
			ret = store_fail(error_r, "store: user %llu: corrupt subscriptions",
					 (unsigned long long)user_id);
		} else {
			*names_r = v;
			*n_r = n;
		}
	}
	pb_buf_deinit(&val);
	return ret < 0 ? -1 : 0;
}

static int subs_write(struct pb_store *s, uint64_t user_id, char **v, size_t n,
		      const char **error_r)
{
	uint8_t key[STORE_FOLDER_KEY_LEN];
	struct pb_buf val;

	store_folder_key(user_id, STORE_SUBS_ID, key);
	pb_buf_init(&val);
	store_enc_u8(&val, STORE_V1);
	store_enc_u32(&val, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		store_enc_str(&val, v[i]);
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_FOLDERS], (const char *)key, sizeof(key),
				  val.data, val.len);
	int ret = store_write(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	pb_buf_deinit(&val);
	return ret;
}

int pb_store_subs_set(struct pb_store *s, uint64_t user_id, const char *name, bool on,
		      const char **error_r)
{
	char **v;
	size_t n, i;
	const char *canon = strcasecmp(name, "INBOX") == 0 ? "INBOX" : name;

	if (*name == '\0' || strlen(name) > PB_FOLDER_NAME_MAX)
		return store_fail(error_r, "store: folder name empty or longer than %d",
				  PB_FOLDER_NAME_MAX);
	if (pb_store_subs_list(s, user_id, &v, &n, error_r) < 0)
		return -1;
	for (i = 0; i < n && strcmp(v[i], canon) != 0; i++)
		;
	int ret = 0;
	if (on && i == n && n >= PB_SUBS_MAX)
		ret = store_fail(error_r, "store: more than %d subscriptions", PB_SUBS_MAX);
	else if (on && i == n) {
		v = xrealloc(v, (n + 1) * sizeof(char *));
		v[n++] = xstrdup(canon);
		ret = subs_write(s, user_id, v, n, error_r);
	} else if (!on && i < n) {
		free(v[i]);
		memmove(&v[i], &v[i + 1], (n - i - 1) * sizeof(char *));
		ret = subs_write(s, user_id, v, --n, error_r);
	}
	pb_strs_free(v, n);
	return ret;
}

/* Whether name is old itself or one of its inferiors ("old/..."); *rest_r what follows old. */
static bool tree_member(const char *name, const char *old, const char **rest_r)
{
	size_t len = strlen(old);

	if (strncmp(name, old, len) != 0 || (name[len] != '\0' && name[len] != '/'))
		return false;
	*rest_r = name + len;
	return true;
}

/* Puts the renamed records of old's tree into b; fails if a new name is taken by a folder
 * outside the tree. */
static int tree_batch(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t user_id,
		      struct pb_folder_rec *arr, size_t n, const char *old, const char *new_name,
		      const char **error_r)
{
	for (size_t i = 0; i < n; i++) {
		const char *rest;
		if (!tree_member(arr[i].name, old, &rest))
			continue;
		size_t len = strlen(new_name) + strlen(rest) + 1;
		char *nn = xmalloc(len);
		snprintf(nn, len, "%s%s", new_name, rest);
		for (size_t j = 0; j < n; j++) {
			const char *r2;
			if (strcmp(arr[j].name, nn) == 0 && !tree_member(arr[j].name, old, &r2)) {
				free(nn);
				return store_fail(error_r, "store: a folder of that name exists");
			}
		}
		if (strlen(nn) > PB_FOLDER_NAME_MAX) {
			free(nn);
			return store_fail(error_r, "store: folder name longer than %d",
					  PB_FOLDER_NAME_MAX);
		}
		free(arr[i].name);
		arr[i].name = nn;
		store_folder_write(b, s, user_id, &arr[i]);
	}
	return 0;
}

int pb_store_folder_rename_tree(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
				const char *new_name, const char **error_r)
{
	struct pb_folder_rec *arr;
	size_t n;
	char *old = NULL;

	if (*new_name == '\0' || strlen(new_name) > PB_FOLDER_NAME_MAX)
		return store_fail(error_r, "store: folder name empty or longer than %d",
				  PB_FOLDER_NAME_MAX);
	if (pb_store_folder_list(s, user_id, &arr, &n, error_r) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (arr[i].id == folder_id)
			old = xstrdup(arr[i].name);
	int ret = old != NULL ? 1 : 0;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	if (old != NULL && tree_batch(b, s, user_id, arr, n, old, new_name, error_r) < 0)
		ret = -1;
	if (ret == 1 && store_write(s, b, error_r) < 0)
		ret = -1;
	rocksdb_writebatch_destroy(b);
	free(old);
	pb_folder_recs_free(arr, n);
	return ret;
}
