/*
 * store-upload.c (pb_store_spool, store-spool.h): bodies that arrive in chunks (an SMTP DATA
 * streamed to a spool shard). CF
 * uploads: [u32 owner][u64 upload id] -> [u8 1][i64 started_ms] marks an upload begun and not
 * yet committed or aborted; the upload id is the body id its chunks are keyed by
 * (store-chunks.c).
 *
 * Why nothing but the commit is synced: the upload record is written before the first chunk
 * and every chunk before the commit, all in one WAL, and RocksDB recovers the WAL as a prefix
 * (point-in-time recovery). The commit is one synced batch (body record, structure, reference,
 * spool record, upload record deleted); its fsync covers every earlier WAL record, so a commit
 * that survives a crash has all its chunks, and one that does not leaves chunks only under a
 * surviving upload record, which pb_store_uploads_clean removes at the owner's next start.
 *
 * OWNS: the uploads column family; each struct pb_store_upload (its caller's).
 * THREAD: any; one upload is used by one thread at a time.
 */
#include "store-internal.h"

#include <stdlib.h>

#define UPLOAD_KEY_LEN 12

struct pb_store_upload {
	uint32_t owner;
	bool broken;   /* a chunk write failed: only abort is left */
	bool recorded; /* the upload record is written (with the first chunk) */
	int64_t started_ms;
	struct store_body_writer w;
};

static void upload_key(uint32_t owner, uint64_t id, uint8_t key_r[UPLOAD_KEY_LEN])
{
	store_be32_put(key_r, owner);
	store_be64_put(key_r + 4, id);
}

static void upload_forget(rocksdb_writebatch_t *b, struct pb_store *s, uint32_t owner,
			  uint64_t id)
{
	uint8_t key[UPLOAD_KEY_LEN];

	upload_key(owner, id, key);
	rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_UPLOADS], (const char *)key, sizeof(key));
}

int pb_store_upload_begin(struct pb_store *s, uint32_t owner, int64_t now_ms,
			  struct pb_store_upload **up_r, const char **error_r)
{
	struct pb_store_upload *up = xcalloc(1, sizeof(*up));

	up->owner = owner;
	up->started_ms = now_ms;
	store_body_writer_init(s, &up->w);
	*up_r = up;
	return 0;
}

/* Puts the upload record into b unless it is written already. Why lazily, with the first
 * chunk: the record exists so that a restart finds the chunks of an upload never committed;
 * in the same batch as the first chunk it always precedes them, and a message whose content
 * comes whole with its commit writes no record at all (one batch, as a single put). */
static void upload_record(rocksdb_writebatch_t *b, struct pb_store *s, struct pb_store_upload *up)
{
	uint8_t key[UPLOAD_KEY_LEN];
	struct pb_buf v;

	if (up->recorded)
		return;
	upload_key(up->owner, up->w.body_id, key);
	pb_buf_init(&v);
	store_enc_u8(&v, STORE_V1);
	store_enc_u64(&v, (uint64_t)up->started_ms);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_UPLOADS], (const char *)key, sizeof(key),
				  v.data, v.len);
	pb_buf_deinit(&v);
	up->recorded = true;
}

uint64_t pb_store_upload_id(const struct pb_store_upload *up)
{
	return up->w.body_id;
}

uint64_t pb_store_upload_size(const struct pb_store_upload *up)
{
	return up->w.size;
}

int pb_store_upload_write(struct pb_store *s, struct pb_store_upload *up, const void *data,
			  size_t len, const char **error_r)
{
	if (up->broken)
		return store_fail(error_r, "upload: an earlier write failed");
	if (len == 0 || len > PB_STORE_CHUNK_MAX)
		return store_fail(error_r, "upload: a chunk is 1 to %u bytes", PB_STORE_CHUNK_MAX);
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	upload_record(b, s, up);
	store_body_writer_add(b, s, &up->w, data, len);
	int ret = store_write_lazy(s, b, error_r);
	rocksdb_writebatch_destroy(b);
	up->broken = ret < 0;
	return ret;
}

void pb_store_upload_free(struct pb_store_upload **up)
{
	if (*up == NULL)
		return;
	store_body_writer_deinit(&(*up)->w);
	free(*up);
	*up = NULL;
}

int pb_store_upload_abort(struct pb_store *s, struct pb_store_upload **up, const char **error_r)
{
	if (!(*up)->recorded) { /* nothing of it was written */
		pb_store_upload_free(up);
		return 0;
	}
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();

	store_chunks_delete(b, s, (*up)->w.body_id);
	upload_forget(b, s, (*up)->owner, (*up)->w.body_id);
	int ret = store_write_ex(s, b, false, true, error_r);
	rocksdb_writebatch_destroy(b);
	pb_store_upload_free(up);
	return ret;
}

/* After a failed commit: nothing of it was written; drop the chunks too. */
static int upload_failed(struct pb_store *s, struct pb_store_upload **up)
{
	pb_store_upload_abort(s, up, NULL);
	return -1;
}

int pb_store_upload_commit_spool(struct pb_store *s, struct pb_store_upload **up,
				 struct pb_spool_rec *rec, const char **error_r)
{
	return pb_store_upload_commit_spool_last(s, up, NULL, 0, rec, true, error_r);
}

int pb_store_upload_commit_spool_last(struct pb_store *s, struct pb_store_upload **up,
				      const void *data, size_t len, struct pb_spool_rec *rec,
				      bool sync, const char **error_r)
{
	if ((*up)->broken) {
		store_fail(error_r, "upload: an earlier write failed");
		return upload_failed(s, up);
	}
	if (len > PB_STORE_CHUNK_MAX) {
		store_fail(error_r, "upload: a chunk is 1 to %u bytes", PB_STORE_CHUNK_MAX);
		return upload_failed(s, up);
	}
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	if (len > 0)
		store_body_writer_add(b, s, &(*up)->w, data, len);
	if ((*up)->recorded)
		upload_forget(b, s, (*up)->owner, (*up)->w.body_id);
	int ret = store_spool_commit(s, b, &(*up)->w, rec, sync, error_r);
	rocksdb_writebatch_destroy(b);
	if (ret < 0)
		return upload_failed(s, up);
	if (ret == 1) { /* marked already: nothing stored, the chunks go */
		pb_store_upload_abort(s, up, NULL);
		return 1;
	}
	pb_store_upload_free(up);
	return 0;
}

int pb_store_upload_commit_blob(struct pb_store *s, struct pb_store_upload **up,
				char key_r[PB_BLOB_KEY_LEN + 1], const char **error_r)
{
	if ((*up)->broken) {
		store_fail(error_r, "upload: an earlier write failed");
		return upload_failed(s, up);
	}
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	upload_forget(b, s, (*up)->owner, (*up)->w.body_id);
	store_body_writer_finish(&(*up)->w);
	int ret = store_body_writer_commit(b, s, &(*up)->w, 0, true, error_r);
	rocksdb_writebatch_destroy(b);
	if (ret < 0)
		return upload_failed(s, up);
	store_hex_from_raw((*up)->w.raw, key_r);
	pb_store_upload_free(up);
	return 0;
}

/* Whether an upload record of owner o is one pb_store_uploads_clean(owner, owners) takes. */
static bool clean_takes(uint32_t o, uint32_t owner, uint32_t owners)
{
	uint32_t base = owner & PB_UPLOAD_OWNER_BASE_MASK;

	return o == owner ||
	       (owner == base && (o & PB_UPLOAD_OWNER_BASE_MASK) == base && o - base >= owners);
}

int pb_store_uploads_clean(struct pb_store *s, uint32_t owner, uint32_t owners,
			   uint64_t *removed_r, const char **error_r)
{
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	struct store_iter it;
	uint64_t removed = 0;
	size_t klen;

	store_iter_prefix(s, STORE_CF_UPLOADS, "", 0, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it)) {
		const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it.it, &klen);
		if (klen != UPLOAD_KEY_LEN || !clean_takes(store_be32_get(k), owner, owners))
			continue;
		store_chunks_delete(b, s, store_be64_get(k + 4));
		rocksdb_writebatch_delete_cf(b, s->cf[STORE_CF_UPLOADS], (const char *)k, klen);
		removed++;
	}
	int ret = store_iter_finish(&it, error_r);
	if (ret == 0 && removed > 0)
		ret = store_write_ex(s, b, false, true, error_r);
	rocksdb_writebatch_destroy(b);
	if (ret == 0 && removed_r != NULL)
		*removed_r = removed;
	return ret;
}

/* Counts the entries of one family. 0 / -1. */
static int count_entries(struct pb_store *s, enum store_cf cf, uint64_t *n_r,
			 const char **error_r)
{
	struct store_iter it;
	uint64_t n = 0;

	store_iter_prefix(s, cf, "", 0, &it);
	for (; store_iter_valid(&it); rocksdb_iter_next(it.it))
		n++;
	*n_r = n;
	return store_iter_finish(&it, error_r);
}

int pb_store_chunks_count(struct pb_store *s, uint64_t *chunks_r, uint64_t *uploads_r,
			  const char **error_r)
{
	if (count_entries(s, STORE_CF_CHUNKS, chunks_r, error_r) < 0)
		return -1;
	return count_entries(s, STORE_CF_UPLOADS, uploads_r, error_r);
}
