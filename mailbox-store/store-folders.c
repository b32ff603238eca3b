/*
 * store-folders.c: the folders of each user (CF folders): records, the per-user meta record
 * (next folder id, last uidvalidity; it is also the user's mailbox record), creation, lookup,
 * listing, renaming, deletion. Part of pb_store_mail (store-mail.h).
 * OWNS: nothing beyond the handle. THREAD: any, with a single writer per user (the caller's
 * rule, see store-mail.h): create/rename/delete read-modify-write without a lock.
 */
#include "store-internal.h"

#include <stdlib.h>
#include <strings.h>

#define STORE_FOLDER_DELETE_CHUNK 2048

struct store_folder_meta {
	uint32_t next_id;
	uint32_t last_uidvalidity;
};

void pb_folder_rec_free(struct pb_folder_rec *f)
{
	free(f->name);
	f->name = NULL;
}

void pb_folder_recs_free(struct pb_folder_rec *folders, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pb_folder_rec_free(&folders[i]);
	free(folders);
}

void store_folder_key(uint64_t user_id, uint32_t folder_id, uint8_t key_r[STORE_FOLDER_KEY_LEN])
{
	store_be64_put(key_r, user_id);
	store_be32_put(key_r + 8, folder_id);
}

/* folders value v1: [ver][str name][u32 special_use][u32 uidvalidity][u32 uidnext]
 *                   [u64 highestmodseq][u64 messages][u64 bytes][u64 unseen] */
static void store_folder_encode(const struct pb_folder_rec *f, struct pb_buf *b)
{
	store_enc_u8(b, STORE_V1);
	store_enc_str(b, f->name);
	store_enc_u32(b, f->special_use);
	store_enc_u32(b, f->uidvalidity);
	store_enc_u32(b, f->uidnext);
	store_enc_u64(b, f->highestmodseq);
	store_enc_u64(b, f->messages);
	store_enc_u64(b, f->bytes);
	store_enc_u64(b, f->unseen);
}

static int store_folder_decode(const void *v, size_t len, uint32_t id, struct pb_folder_rec *f_r,
			       const char **error_r)
{
	struct store_rd r;

	memset(f_r, 0, sizeof(*f_r));
	f_r->id = id;
	store_rd_init(&r, v, len);
	if (store_rd_u8(&r) != STORE_V1)
		return store_fail(error_r, "store: folder %u: unknown record version", id);
	f_r->name = store_rd_str(&r);
	f_r->special_use = store_rd_u32(&r);
	f_r->uidvalidity = store_rd_u32(&r);
	f_r->uidnext = store_rd_u32(&r);
	f_r->highestmodseq = store_rd_u64(&r);
	f_r->messages = store_rd_u64(&r);
	f_r->bytes = store_rd_u64(&r);
	f_r->unseen = store_rd_u64(&r);
	if (!store_rd_ok(&r) || f_r->name == NULL) {
		pb_folder_rec_free(f_r);
		return store_fail(error_r, "store: folder %u: corrupt record", id);
	}
	return 0;
}

int store_folder_read(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
		      struct pb_folder_rec *f_r, const char **error_r)
{
	uint8_t key[STORE_FOLDER_KEY_LEN];
	struct pb_buf val;

	if (folder_id == 0)
		return 0;
	store_folder_key(user_id, folder_id, key);
	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_FOLDERS, key, sizeof(key), &val, error_r);
	if (ret == 1 && store_folder_decode(val.data, val.len, folder_id, f_r, error_r) < 0)
		ret = -1;
	pb_buf_deinit(&val);
	return ret;
}

void store_folder_write(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t user_id,
			const struct pb_folder_rec *f)
{
	uint8_t key[STORE_FOLDER_KEY_LEN];
	struct pb_buf val;

	store_folder_key(user_id, f->id, key);
	pb_buf_init(&val);
	store_folder_encode(f, &val);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_FOLDERS], (const char *)key, sizeof(key),
				  val.data, val.len);
	pb_buf_deinit(&val);
}

/* meta value v1: [ver][u32 next folder id][u32 last uidvalidity]; absent = {1, 0}. */
static int store_folder_meta_read(struct pb_store *s, uint64_t user_id,
				  struct store_folder_meta *m_r, const char **error_r)
{
	uint8_t key[STORE_FOLDER_KEY_LEN];
	struct pb_buf val;
	struct store_rd r;

	m_r->next_id = 1;
	m_r->last_uidvalidity = 0;
	store_folder_key(user_id, 0, key);
	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_FOLDERS, key, sizeof(key), &val, error_r);
	if (ret == 1) {
		store_rd_init(&r, val.data, val.len);
		bool v_ok = store_rd_u8(&r) == STORE_V1;
		m_r->next_id = store_rd_u32(&r);
		m_r->last_uidvalidity = store_rd_u32(&r);
		if (!v_ok || !store_rd_ok(&r) || m_r->next_id == 0)
			ret = store_fail(error_r, "store: user %llu: corrupt folder meta record",
					 (unsigned long long)user_id);
	}
	pb_buf_deinit(&val);
	return ret < 0 ? -1 : 0;
}

static void store_folder_meta_write(rocksdb_writebatch_t *b, struct pb_store *s,
				    uint64_t user_id, const struct store_folder_meta *m)
{
	uint8_t key[STORE_FOLDER_KEY_LEN], val[9];

	store_folder_key(user_id, 0, key);
	val[0] = STORE_V1;
	store_be32_put(val + 1, m->next_id);
	store_be32_put(val + 5, m->last_uidvalidity);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_FOLDERS], (const char *)key, sizeof(key),
				  (const char *)val, sizeof(val));
}

int pb_store_mailbox_exists(struct pb_store *s, uint64_t user_id, const char **error_r)
{
	uint8_t key[STORE_FOLDER_KEY_LEN];
	struct pb_buf val;

	store_folder_key(user_id, 0, key);
	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_FOLDERS, key, sizeof(key), &val, error_r);
	pb_buf_deinit(&val);
	return ret;
}

/* IMAP: "INBOX" is case-insensitive, every other name exact. */
static bool store_folder_name_eq(const char *a, const char *b)
{
	if (strcasecmp(a, "INBOX") == 0 || strcasecmp(b, "INBOX") == 0)
		return strcasecmp(a, b) == 0;
	return strcmp(a, b) == 0;
}

int pb_store_folder_list(struct pb_store *s, uint64_t user_id, struct pb_folder_rec **folders_r,
			 size_t *n_r, const char **error_r)
{
	uint8_t prefix[8];
	struct store_iter it;
	struct pb_folder_rec *arr = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	store_be64_put(prefix, user_id);
	store_iter_prefix(s, STORE_CF_FOLDERS, prefix, sizeof(prefix), &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		size_t klen, vlen;
		const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it.it, &klen);
		const char *v = rocksdb_iter_value(it.it, &vlen);
		uint32_t id = klen == STORE_FOLDER_KEY_LEN ? store_be32_get(k + 8) : 0;
		if (id == 0 || id == STORE_SUBS_ID || id == STORE_QUOTA_ID)
			continue; /* the meta record, the subscriptions, the quota */
		if (n == cap) {
			cap = cap != 0 ? cap * 2 : 8;
			arr = xrealloc(arr, cap * sizeof(*arr));
		}
		if (store_folder_decode(v, vlen, id, &arr[n], error_r) < 0) {
			ret = -1;
			break;
		}
		n++;
	}
	if (store_iter_finish(&it, ret < 0 ? NULL : error_r) < 0 || ret < 0) {
		pb_folder_recs_free(arr, n);
		return -1;
	}
	*folders_r = arr;
	*n_r = n;
	return 0;
}

/* Finds name among the folders (skipping skip_id). Returns its index or -1. */
static long store_folder_find(const struct pb_folder_rec *arr, size_t n, const char *name,
			      uint32_t skip_id)
{
	for (size_t i = 0; i < n; i++)
		if (arr[i].id != skip_id && store_folder_name_eq(arr[i].name, name))
			return (long)i;
	return -1;
}

static void store_folder_copy(const struct pb_folder_rec *src, struct pb_folder_rec *dst)
{
	*dst = *src;
	dst->name = xstrdup(src->name);
}

int pb_store_folder_get(struct pb_store *s, uint64_t user_id, const char *name,
			struct pb_folder_rec *f_r, const char **error_r)
{
	struct pb_folder_rec *arr;
	size_t n;

	if (name == NULL || pb_store_folder_list(s, user_id, &arr, &n, error_r) < 0)
		return name == NULL ? 0 : -1;
	long i = store_folder_find(arr, n, name, 0);
	if (i >= 0)
		store_folder_copy(&arr[i], f_r);
	pb_folder_recs_free(arr, n);
	return i >= 0 ? 1 : 0;
}

int pb_store_folder_get_by_id(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			      struct pb_folder_rec *f_r, const char **error_r)
{
	return store_folder_read(s, user_id, folder_id, f_r, error_r);
}

/* Fills a new folder record and advances the meta in memory. */
static void store_folder_new(struct store_folder_meta *m, const char *name, uint32_t special,
			     uint64_t now_ms, struct pb_folder_rec *f_r)
{
	uint64_t secs = now_ms / 1000;
	uint32_t uv = secs > m->last_uidvalidity && secs <= UINT32_MAX ? (uint32_t)secs
								       : m->last_uidvalidity + 1;

	if (uv == 0)
		uv = 1;
	memset(f_r, 0, sizeof(*f_r));
	f_r->id = m->next_id++;
	f_r->name = xstrdup(strcasecmp(name, "INBOX") == 0 ? "INBOX" : name);
	f_r->special_use = special;
	f_r->uidvalidity = uv;
	f_r->uidnext = 1;
	f_r->highestmodseq = 1;
	m->last_uidvalidity = uv;
}

static int store_folder_name_check(const char *name, const char **error_r)
{
	size_t len = name != NULL ? strlen(name) : 0;

	if (len == 0 || len > PB_FOLDER_NAME_MAX)
		return store_fail(error_r, "store: folder name empty or longer than %d",
				  PB_FOLDER_NAME_MAX);
	return 0;
}

/* The create after the existence check: one batch with the record and the meta. */
static int store_folder_create_new(struct pb_store *s, uint64_t user_id, const char *name,
				   uint32_t special_use, uint64_t now_ms,
				   struct pb_folder_rec *f_r, const char **error_r)
{
	struct store_folder_meta m;
	struct pb_folder_rec f;

	if (store_folder_meta_read(s, user_id, &m, error_r) < 0)
		return -1;
	if (m.next_id >= STORE_QUOTA_ID)
		return store_fail(error_r, "store: folder ids exhausted");
	store_folder_new(&m, name, special_use, now_ms, &f);
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	store_folder_write(b, s, user_id, &f);
	store_folder_meta_write(b, s, user_id, &m);
	int ret = store_write(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	if (ret == 0 && f_r != NULL)
		*f_r = f;
	else
		pb_folder_rec_free(&f);
	return ret;
}

int pb_store_folder_create(struct pb_store *s, uint64_t user_id, const char *name,
			   uint32_t special_use, uint64_t now_ms, struct pb_folder_rec *f_r,
			   const char **error_r)
{
	struct pb_folder_rec *arr;
	size_t n;

	if (store_folder_name_check(name, error_r) < 0 ||
	    pb_store_folder_list(s, user_id, &arr, &n, error_r) < 0)
		return -1;
	long i = store_folder_find(arr, n, name, 0);
	if (i >= 0 && f_r != NULL)
		store_folder_copy(&arr[i], f_r);
	pb_folder_recs_free(arr, n);
	if (i >= 0)
		return 1;
	return store_folder_create_new(s, user_id, name, special_use, now_ms, f_r, error_r);
}

static const struct {
	const char *name;
	uint32_t special_use;
} store_default_folders[] = {
	{ "INBOX", PB_SPECIAL_INBOX }, { "Sent", PB_SPECIAL_SENT },
	{ "Drafts", PB_SPECIAL_DRAFTS }, { "Trash", PB_SPECIAL_TRASH },
	{ "Junk", PB_SPECIAL_JUNK }, { "Archive", PB_SPECIAL_ARCHIVE },
};

int pb_store_folders_init(struct pb_store *s, uint64_t user_id, uint64_t now_ms,
			  const char **error_r)
{
	struct pb_folder_rec *arr;
	struct store_folder_meta m;
	size_t n, added = 0;

	if (pb_store_folder_list(s, user_id, &arr, &n, error_r) < 0)
		return -1;
	if (store_folder_meta_read(s, user_id, &m, error_r) < 0) {
		pb_folder_recs_free(arr, n);
		return -1;
	}
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	for (size_t i = 0; i < PB_N_ELEMENTS(store_default_folders); i++) {
		struct pb_folder_rec f;
		if (store_folder_find(arr, n, store_default_folders[i].name, 0) >= 0)
			continue;
		store_folder_new(&m, store_default_folders[i].name,
				 store_default_folders[i].special_use, now_ms, &f);
		store_folder_write(b, s, user_id, &f);
		pb_folder_rec_free(&f);
		added++;
	}
	int ret = 0;
	if (added > 0) {
		store_folder_meta_write(b, s, user_id, &m);
		ret = store_write(s, b, error_r);
	}
	rocksdb_writebatch_destroy(b);
	pb_folder_recs_free(arr, n);
	return ret;
}

int pb_store_folder_rename(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			   const char *new_name, const char **error_r)
{
	struct pb_folder_rec *arr;
	size_t n;

	if (store_folder_name_check(new_name, error_r) < 0 ||
	    pb_store_folder_list(s, user_id, &arr, &n, error_r) < 0)
		return -1;
	long self = -1;
	for (size_t i = 0; i < n; i++)
		if (arr[i].id == folder_id)
			self = (long)i;
	int ret = self < 0 ? 0 : 1;
	if (self >= 0 && store_folder_find(arr, n, new_name, folder_id) >= 0)
		ret = store_fail(error_r, "store: folder %s exists already", new_name);
	if (ret == 1) {
		free(arr[self].name);
		arr[self].name = xstrdup(new_name);
		rocksdb_writebatch_t *b = rocksdb_writebatch_create();
		store_folder_write(b, s, user_id, &arr[self]);
		if (store_write(s, b, error_r) < 0)
			ret = -1;
		rocksdb_writebatch_destroy(b);
	}
	pb_folder_recs_free(arr, n);
	return ret;
}

/* Deletes the folder's messages chunk by chunk, then the record. */
static int store_folder_delete_rec(struct pb_store *s, uint64_t user_id,
				   struct pb_folder_rec *f, const char **error_r)
{
	uint8_t key[STORE_FOLDER_KEY_LEN];
	long got;

	while ((got = store_msgs_delete_chunk(s, user_id, f, STORE_FOLDER_DELETE_CHUNK,
					      error_r)) > 0)
		;
	if (got < 0)
		return -1;
	store_folder_key(user_id, f->id, key);
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_FOLDERS], (const char *)key, sizeof(key));
	int ret = store_write_ex(s, b, true, true, error_r);
	rocksdb_writebatch_destroy(b);
	return ret;
}

int pb_store_folder_delete(struct pb_store *s, uint64_t user_id, uint32_t folder_id,
			   const char **error_r)
{
	struct pb_folder_rec f;
	int ret = store_folder_read(s, user_id, folder_id, &f, error_r);

	if (ret <= 0)
		return ret;
	ret = store_folder_delete_rec(s, user_id, &f, error_r) < 0 ? -1 : 1;
	pb_folder_rec_free(&f);
	return ret;
}

/* Deletes all dedupe records of the user, in chunks. */
static int store_dedupe_delete_all(struct pb_store *s, uint64_t user_id, const char **error_r)
{
	uint64_t removed;

	return pb_store_dedupe_prune(s, user_id, INT64_MAX, &removed, error_r);
}

int pb_store_user_purge(struct pb_store *s, uint64_t user_id, const char **error_r)
{
	struct pb_folder_rec *arr;
	uint8_t key[STORE_FOLDER_KEY_LEN];
	size_t n;
	int ret = 0;

	if (pb_store_folder_list(s, user_id, &arr, &n, error_r) < 0)
		return -1;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = store_folder_delete_rec(s, user_id, &arr[i], error_r);
	pb_folder_recs_free(arr, n);
	if (ret < 0 || store_dedupe_delete_all(s, user_id, error_r) < 0)
		return -1;
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	store_folder_key(user_id, STORE_SUBS_ID, key);
	rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_FOLDERS], (const char *)key, sizeof(key));
	store_folder_key(user_id, STORE_QUOTA_ID, key);
	rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_FOLDERS], (const char *)key, sizeof(key));
	store_folder_key(user_id, 0, key);
	rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_FOLDERS], (const char *)key, sizeof(key));
	ret = store_write_ex(s, b, true, true, error_r);
	rocksdb_writebatch_destroy(b);
	return ret;
}

int pb_store_user_stats(struct pb_store *s, uint64_t user_id, uint64_t *inbox_messages_r,
			uint64_t *total_bytes_r, const char **error_r)
{
	struct pb_folder_rec *arr;
	uint64_t inbox = 0, bytes = 0;
	size_t n;

	if (pb_store_folder_list(s, user_id, &arr, &n, error_r) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (arr[i].special_use == PB_SPECIAL_INBOX)
			inbox += arr[i].messages;
		bytes += arr[i].bytes;
	}
	pb_folder_recs_free(arr, n);
	*inbox_messages_r = inbox;
	*total_bytes_r = bytes;
	return 0;
}

int pb_store_mailbox_owners(struct pb_store *s, int (*cb)(uint64_t user_id, void *ctx), void *ctx,
			    const char **error_r)
{
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(s->db, s->ropt, s->cf[STORE_CF_FOLDERS]);
	char *err = NULL;
	size_t klen;

	rocksdb_iter_seek_to_first(it);
	while (rocksdb_iter_valid(it)) {
		const char *k = rocksdb_iter_key(it, &klen);
		if (klen < 8)
			break;
		uint64_t id = store_be64_get((const uint8_t *)k);
		if (cb(id, ctx) != 0 || id == UINT64_MAX)
			break;
		uint8_t next[8]; /* skip the user's other folders */
		store_be64_put(next, id + 1);
		rocksdb_iter_seek(it, (const char *)next, sizeof(next));
	}
	rocksdb_iter_get_error(it, &err);
	rocksdb_iter_destroy(it);
	return err != NULL ? store_fail_rocks(error_r, "folder owners", err) : 0;
}
