/*
 * store-quota.c: each user's quota record (store-mail.h, pb_store_quota_*): the mailbox
 * owner's copy of the account's quota (admin guide 4.8) and the warning levels already
 * crossed, one small record in CF folders under the folder id STORE_QUOTA_ID, which no folder
 * gets (folder listings skip it; a purge deletes it with the user's folders).
 * Part of pb_store_mail. OWNS: nothing beyond the handle. THREAD: any, with a single writer
 * per user (store-mail.h).
 */
#include "store-internal.h"

/* quota value v1: [ver][u8 has_limit][u64 limit_mb][u8 level], then (since the daily
 * reminders; a record without it has had none) [u32 remind_day] */
#define QUOTA_VAL_LEN 15

int pb_store_quota_get(struct pb_store *s, uint64_t user_id, struct pb_quota_rec *q_r,
		       const char **error_r)
{
	uint8_t key[STORE_FOLDER_KEY_LEN];
	struct pb_buf val;
	struct store_rd r;

	memset(q_r, 0, sizeof(*q_r));
	store_folder_key(user_id, STORE_QUOTA_ID, key);
	pb_buf_init(&val);
	int ret = store_get(s, STORE_CF_FOLDERS, key, sizeof(key), &val, error_r);
	if (ret == 1) {
		store_rd_init(&r, val.data, val.len);
		bool v_ok = store_rd_u8(&r) == STORE_V1;
		q_r->has_limit = store_rd_u8(&r) != 0;
		q_r->limit_mb = store_rd_u64(&r);
		q_r->level = store_rd_u8(&r);
		if (val.len >= QUOTA_VAL_LEN)
			q_r->remind_day = store_rd_u32(&r);
		if (!v_ok || !store_rd_ok(&r))
			ret = store_fail(error_r, "store: user %llu: corrupt quota record",
					 (unsigned long long)user_id);
	}
	pb_buf_deinit(&val);
	return ret < 0 ? -1 : 0;
}

int pb_store_quota_put(struct pb_store *s, uint64_t user_id, const struct pb_quota_rec *q,
		       const char **error_r)
{
	return pb_store_quota_put_marked(s, user_id, q, NULL, 0, error_r);
}

int pb_store_quota_put_marked(struct pb_store *s, uint64_t user_id, const struct pb_quota_rec *q,
			      struct pb_gen_mark *marks, size_t n, const char **error_r)
{
	uint8_t key[STORE_FOLDER_KEY_LEN], val[QUOTA_VAL_LEN];

	store_folder_key(user_id, STORE_QUOTA_ID, key);
	val[0] = STORE_V1;
	val[1] = q->has_limit ? 1 : 0;
	store_be64_put(val + 2, q->limit_mb);
	val[10] = q->level;
	store_be32_put(val + 11, q->remind_day);
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_FOLDERS], (const char *)key, sizeof(key),
				  (const char *)val, sizeof(val));
	for (size_t i = 0; i < n; i++) {
		marks[i].user_id = user_id;
		store_gen_mark_put(b, s, &marks[i]);
	}
	int ret = store_write(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	return ret;
}
