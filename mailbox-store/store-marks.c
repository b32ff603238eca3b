/*
 * store-marks.c: generated-message markers (store-db.h pb_gen_mark): their key and value in
 * CF replies (store-internal.h), shared by every writer of a marker (the account's write,
 * store-users.c; the quota record's, store-quota.c) and by its taker (store-generate.c).
 * Part of pb_store_db. OWNS: nothing. THREAD: any.
 */
#include "store-internal.h"

#include <string.h>

#define MARK_OLD_SEQ UINT64_MAX

void pb_gen_mark_free(struct pb_gen_mark *m)
{
	for (size_t i = 0; i < PB_GEN_STRS; i++) {
		free(m->str[i]);
		m->str[i] = NULL;
	}
}

size_t store_gen_mark_key(const struct pb_gen_mark *m, uint8_t k[STORE_MARK_KEY_LEN])
{
	k[0] = STORE_MARK_KIND;
	store_be64_put(k + 1, m->user_id);
	if (m->seq == MARK_OLD_SEQ)
		return STORE_MARK_OLD_KEY_LEN;
	store_be64_put(k + 9, m->seq);
	return STORE_MARK_KEY_LEN;
}

void store_gen_mark_put(rocksdb_writebatch_t *b, struct pb_store *s, struct pb_gen_mark *m)
{
	uint8_t key[STORE_MARK_KEY_LEN];
	struct pb_buf v;

	m->seq = m->kind == PB_GEN_WELCOME ? 0 : store_next_id(s);
	pb_buf_init(&v);
	store_enc_u8(&v, STORE_V2);
	store_enc_u8(&v, m->kind);
	for (size_t i = 0; i < PB_GEN_STRS; i++)
		store_enc_str(&v, m->str[i] != NULL ? m->str[i] : "");
	for (size_t i = 0; i < PB_GEN_NUMS; i++)
		store_enc_u64(&v, m->num[i]);
	size_t klen = store_gen_mark_key(m, key);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_REPLIES], (const char *)key, klen, v.data,
				  v.len);
	pb_buf_deinit(&v);
}

int store_gen_mark_decode(const void *k, size_t klen, const void *v, size_t vlen,
			  struct pb_gen_mark *m_r)
{
	struct store_rd r;
	const uint8_t *key = k;
	bool old = klen == STORE_MARK_OLD_KEY_LEN;

	memset(m_r, 0, sizeof(*m_r));
	if ((klen != STORE_MARK_KEY_LEN && !old) || key[0] != STORE_MARK_KIND)
		return -1;
	m_r->user_id = store_be64_get(key + 1);
	m_r->seq = old ? MARK_OLD_SEQ : store_be64_get(key + 9);
	store_rd_init(&r, v, vlen);
	bool ok = store_rd_u8(&r) == (old ? STORE_V1 : STORE_V2);
	m_r->kind = old ? PB_GEN_WELCOME : store_rd_u8(&r);
	for (size_t i = 0; i < PB_GEN_STRS; i++)
		m_r->str[i] = store_rd_str(&r);
	for (size_t i = 0; !old && i < PB_GEN_NUMS; i++)
		m_r->num[i] = store_rd_u64(&r);
	for (size_t i = 0; i < PB_GEN_STRS; i++)
		ok = ok && m_r->str[i] != NULL;
	if (ok && store_rd_ok(&r) && m_r->user_id != 0)
		return 0;
	pb_gen_mark_free(m_r);
	return -1;
}

void store_gen_marks_delete(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t user_id)
{
	uint8_t from[9], to[9];

	from[0] = to[0] = STORE_MARK_KIND;
	store_be64_put(from + 1, user_id);
	store_be64_put(to + 1, user_id + 1);
	rocksdb_writebatch_delete_range_cf(b, s->cf[STORE_CF_REPLIES], (const char *)from,
					   sizeof(from), (const char *)to, sizeof(to));
}
