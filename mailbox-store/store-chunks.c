/*
 * store-chunks.c (pb_store_bodies, store-bodies.h): message bodies as bounded chunks. A body's
 * bytes live in CF chunks under
 * [u64 body id][u64 offset] -> [u8 1][1..PB_STORE_CHUNK_MAX bytes] (large values in blob
 * files); CF blobs keeps, by content address, a small record
 * [u8 2][u64 size][u64 body id][u32 chunk count] (v1 records, [u8 1][the body], written by
 * earlier versions, are still read). So a body is written while it streams in and read by
 * range, and neither ever needs it whole in memory.
 *
 * Why the chunks are keyed by a body id and not by the hash: the hash is known only once the
 * last byte has come. The id comes from the sequence spool ids use (never reused). When the
 * finished body turns out to exist already, the new chunks are deleted in the commit batch
 * and the existing body gets the reference.
 *
 * Why claims: two commits of the same new body at once would both find it absent and both
 * write a record; the second would orphan the first's chunks for good. A commit therefore
 * claims the hash (an in-memory set; one process opens a database) before it looks, and a
 * second commit of that hash waits until the first is written, then finds the body.
 *
 * OWNS: the claims set of the handle (under claims_lock).
 * THREAD: any.
 */
#include "store-internal.h"

#include "mime-meta.h"
#include "mime-parser.h"
#include "mime-structure.h"

#include <stdlib.h>
#include <sys/types.h>

#define STORE_CHUNK_KEY_LEN 16
#define STORE_BODY_REC_LEN (1 + 8 + 8 + 4)

static void chunk_key(uint64_t body_id, uint64_t offset, uint8_t key_r[STORE_CHUNK_KEY_LEN])
{
	store_be64_put(key_r, body_id);
	store_be64_put(key_r + 8, offset);
}

void store_blob_hash(const void *data, size_t len, uint8_t raw_r[32])
{
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, raw_r, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		PANIC("SHA-256 failed");
}

void store_body_writer_init(struct pb_store *s, struct store_body_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->body_id = store_next_id(s);
	w->md = EVP_MD_CTX_new();
	if (w->md == NULL || EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1)
		PANIC("SHA-256 init failed");
	w->mime = mime_parser_create(NULL);
}

void store_body_writer_deinit(struct store_body_writer *w)
{
	EVP_MD_CTX_free(w->md);
	mime_parser_destroy(&w->mime);
	memset(w, 0, sizeof(*w));
}

/* Feeds the parser and drains its events (only the tree is wanted), so it holds no input. */
static void writer_parse(struct store_body_writer *w, const void *data, size_t len)
{
	struct mime_event ev;

	if (len > 0)
		mime_parser_feed(w->mime, data, len);
	else
		mime_parser_finish(w->mime);
	while (mime_parser_next(w->mime, &ev) > 0)
		;
}

void store_body_writer_add(rocksdb_writebatch_t *b, struct pb_store *s,
			   struct store_body_writer *w, const void *data, size_t len)
{
	uint8_t key[STORE_CHUNK_KEY_LEN], ver = STORE_V1;
	const char *vals[2] = { (const char *)&ver, data };
	size_t vlens[2] = { 1, len };
	const char *keys[1] = { (const char *)key };
	size_t klens[1] = { sizeof(key) };

	ASSERT(len > 0 && len <= PB_STORE_CHUNK_MAX);
	chunk_key(w->body_id, w->size, key);
	rocksdb_writebatch_putv_cf(b, s->cf[STORE_CF_CHUNKS], 1, keys, klens, 2, vals, vlens);
	if (EVP_DigestUpdate(w->md, data, len) != 1)
		PANIC("SHA-256 update failed");
	writer_parse(w, data, len);
	w->size += len;
	w->n_chunks++;
}

void store_chunks_delete(rocksdb_writebatch_t *b, struct pb_store *s, uint64_t body_id)
{
	uint8_t from[STORE_CHUNK_KEY_LEN], to[STORE_CHUNK_KEY_LEN];

	chunk_key(body_id, 0, from);
	chunk_key(body_id + 1, 0, to);
	rocksdb_writebatch_delete_range_cf(b, s->cf[STORE_CF_CHUNKS], (const char *)from,
					   sizeof(from), (const char *)to, sizeof(to));
}

int store_body_rec_chunks(const void *val, size_t len, uint64_t *body_id_r)
{
	const uint8_t *v = val;

	if (len >= 1 && v[0] == STORE_V1)
		return 0;
	if (len != STORE_BODY_REC_LEN || v[0] != STORE_V2)
		return -1;
	*body_id_r = store_be64_get(v + 9);
	return 1;
}

/* ---- claims ---- */

static ssize_t claim_find(struct pb_store *s, const uint8_t raw[32])
{
	for (size_t i = 0; i < s->n_claims; i++)
		if (memcmp(s->claims[i], raw, 32) == 0)
			return (ssize_t)i;
	return -1;
}

static void claim_take(struct pb_store *s, const uint8_t raw[32])
{
	pthread_mutex_lock(&s->claims_lock);
	while (claim_find(s, raw) >= 0)
		pthread_cond_wait(&s->claims_cond, &s->claims_lock);
	if (s->n_claims == s->claims_cap) {
		s->claims_cap = s->claims_cap == 0 ? 16 : s->claims_cap * 2;
		s->claims = xrealloc(s->claims, s->claims_cap * sizeof(*s->claims));
	}
	memcpy(s->claims[s->n_claims++], raw, 32);
	pthread_mutex_unlock(&s->claims_lock);
}

static void claim_drop(struct pb_store *s, const uint8_t raw[32])
{
	pthread_mutex_lock(&s->claims_lock);
	ssize_t at = claim_find(s, raw);
	ASSERT(at >= 0);
	memcpy(s->claims[at], s->claims[--s->n_claims], 32);
	pthread_cond_broadcast(&s->claims_cond);
	pthread_mutex_unlock(&s->claims_lock);
}

/* ---- commit ---- */

/* The new body's meta (CF meta: [ver][mime_meta_encode bytes], as pb_store_blob_meta_put
 * writes it) from the parse its chunks were fed to, into b: the first FETCH of a delivered
 * message finds it stored, and no delivery reads a body again to make it. */
static void writer_meta(rocksdb_writebatch_t *b, struct pb_store *s,
			const struct mime_message *msg, uint64_t size, const uint8_t raw[32],
			struct pb_buf *val)
{
	struct mime_meta meta;

	mime_meta_build(msg, size, &meta);
	pb_buf_reset(val);
	store_enc_u8(val, STORE_V1);
	mime_meta_encode(&meta, val);
	mime_meta_deinit(&meta);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_META], (const char *)raw, 32, val->data,
				  val->len);
}

/* The new body's record, structure (v1: [ver][mime_structure_encode bytes]) and meta. */
static void writer_records(rocksdb_writebatch_t *b, struct pb_store *s,
			   struct store_body_writer *w, const uint8_t raw[32])
{
	struct pb_buf val;

	pb_buf_init(&val);
	store_enc_u8(&val, STORE_V2);
	store_enc_u64(&val, w->size);
	store_enc_u64(&val, w->body_id);
	store_enc_u32(&val, w->n_chunks);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_BLOBS], (const char *)raw, 32, val.data,
				  val.len);
	struct mime_message *msg = mime_parser_take_message(w->mime);
	ASSERT(msg != NULL);
	pb_buf_reset(&val);
	store_enc_u8(&val, STORE_V1);
	mime_structure_encode(msg, &val);
	rocksdb_writebatch_put_cf(b, s->cf[STORE_CF_STRUCTURES], (const char *)raw, 32, val.data,
				  val.len);
	writer_meta(b, s, msg, w->size, raw, &val);
	mime_message_free(&msg);
	pb_buf_deinit(&val);
}

void store_body_writer_add_all(rocksdb_writebatch_t *b, struct pb_store *s,
			       struct store_body_writer *w, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t off = 0; off < len; off += PB_STORE_CHUNK_MAX) {
		size_t n = len - off < PB_STORE_CHUNK_MAX ? len - off : PB_STORE_CHUNK_MAX;
		store_body_writer_add(b, s, w, p + off, n);
	}
}

void store_body_writer_finish(struct store_body_writer *w)
{
	unsigned int mdlen = 0;

	if (EVP_DigestFinal_ex(w->md, w->raw, &mdlen) != 1 || mdlen != 32)
		PANIC("SHA-256 final failed");
	writer_parse(w, NULL, 0);
}

/* A GC run advanced the epoch while this commit was writing: stamp the body with the new one
 * (the GC contract counts from the epoch current when the put returns). Freeing: it must not
 * fail a commit already written for want of room. */
static void commit_restamp(struct pb_store *s, const uint8_t raw[32])
{
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();

	store_refcount_merge(b, s, raw, 0, atomic_load(&s->gc_epoch));
	store_write_ex(s, b, true, true, NULL);
	rocksdb_writebatch_destroy(b);
}

int store_body_writer_stage(rocksdb_writebatch_t *b, struct pb_store *s,
			    struct store_body_writer *w, int64_t delta, uint64_t *epoch_r,
			    const char **error_r)
{
	claim_take(s, w->raw);
	pthread_rwlock_rdlock(store_gc_lock(s, w->raw));
	int ret = store_blob_exists(s, w->raw, error_r);
	if (ret == 0)
		writer_records(b, s, w, w->raw);
	else if (ret == 1)
		store_chunks_delete(b, s, w->body_id);
	*epoch_r = atomic_load(&s->gc_epoch);
	if (ret >= 0)
		store_refcount_merge(b, s, w->raw, delta, *epoch_r);
	return ret < 0 ? -1 : 0;
}

void store_body_writer_unstage(struct pb_store *s, struct store_body_writer *w, bool written,
			       uint64_t epoch)
{
	if (written && atomic_load(&s->gc_epoch) != epoch)
		commit_restamp(s, w->raw); /* the commit stands; a failure here is logged by the
					    * store's failure state */
	pthread_rwlock_unlock(store_gc_lock(s, w->raw));
	claim_drop(s, w->raw);
}

int store_body_writer_commit(rocksdb_writebatch_t *b, struct pb_store *s,
			     struct store_body_writer *w, int64_t delta, bool sync,
			     const char **error_r)
{
	uint64_t epoch;
	int ret = store_body_writer_stage(b, s, w, delta, &epoch, error_r);

	if (ret == 0)
		ret = store_write_ex(s, b, sync, false, error_r);
	store_body_writer_unstage(s, w, ret == 0, epoch);
	return ret < 0 ? -1 : 0;
}

/* ---- reads ---- */

/* A body as found in CF blobs: a v2 record, or a v1 value holding the body itself. */
struct store_body {
	uint64_t size, body_id;
	struct pb_buf v1; /* the body, for a v1 record */
	bool chunked;
};

/* Looks the body up by its hex key. 1 / 0 (unknown or malformed key) / -1. */
static int body_open(struct pb_store *s, const char *key, struct store_body *b_r,
		     const char **error_r)
{
	uint8_t raw[32];

	memset(b_r, 0, sizeof(*b_r));
	pb_buf_init(&b_r->v1);
	if (store_hex_to_raw(key, raw) < 0)
		return 0;
	int ret = store_get(s, STORE_CF_BLOBS, raw, 32, &b_r->v1, error_r);
	if (ret != 1)
		return ret;
	int kind = store_body_rec_chunks(b_r->v1.data, b_r->v1.len, &b_r->body_id);
	if (kind < 0)
		return store_fail(error_r, "store: record of body %s: unknown version", key);
	b_r->chunked = kind == 1;
	if (b_r->chunked) {
		b_r->size = store_be64_get((const uint8_t *)b_r->v1.data + 1);
		pb_buf_reset(&b_r->v1);
	} else {
		b_r->size = b_r->v1.len - 1;
	}
	return 1;
}

/* Where body bytes read by range go. */
struct body_sink {
	void (*put)(struct body_sink *k, const void *data, size_t len);
	uint8_t *buf;
	struct pb_buf *out;
};

static void sink_to_buf(struct body_sink *k, const void *data, size_t len)
{
	memcpy(k->buf, data, len);
	k->buf += len;
}

static void sink_to_pb_buf(struct body_sink *k, const void *data, size_t len)
{
	pb_buf_append(k->out, data, len);
}

/* Copies [off, off+len) of chunk (value val, at chunk offset c_off) that lies in it. Returns
 * the bytes copied, or 0 when the chunk does not hold off (a hole: corruption). */
static size_t chunk_copy(struct body_sink *k, uint64_t c_off, const char *val, size_t vlen,
			 uint64_t off, uint64_t len)
{
	if (vlen < 2 || (uint8_t)val[0] != STORE_V1 || c_off > off || off - c_off >= vlen - 1)
		return 0;
	size_t at = (size_t)(off - c_off), n = vlen - 1 - at;
	if (n > len)
		n = (size_t)len;
	k->put(k, val + 1 + at, n);
	return n;
}

/* Reads [off, off+len) (within the body) from its chunks with an iterator placed on the chunk
 * holding off. 0 / -1. */
static int chunks_scan(struct pb_store *s, uint64_t body_id, uint64_t off, uint64_t len,
		       struct body_sink *k, const char **error_r)
{
	uint8_t prefix[8], seek[STORE_CHUNK_KEY_LEN];
	struct store_iter it;
	int ret = 0;

	store_be64_put(prefix, body_id);
	chunk_key(body_id, off, seek);
	store_iter_prefix(s, STORE_CF_CHUNKS, prefix, sizeof(prefix), &it);
	rocksdb_iter_seek_for_prev(it.it, (const char *)seek, sizeof(seek));
	while (len > 0 && ret == 0) {
		size_t klen, vlen, n = 0;
		if (store_iter_valid(&it)) {
			const char *key = rocksdb_iter_key(it.it, &klen);
			const char *val = rocksdb_iter_value(it.it, &vlen);
			if (klen == STORE_CHUNK_KEY_LEN)
				n = chunk_copy(k, store_be64_get((const uint8_t *)key + 8), val,
					       vlen, off, len);
		}
		if (n == 0)
			ret = store_fail(error_r, "store: body %llu: a chunk is missing",
					 (unsigned long long)body_id);
		off += n;
		len -= n;
		rocksdb_iter_next(it.it);
	}
	if (store_iter_finish(&it, ret < 0 ? NULL : error_r) < 0)
		ret = -1;
	return ret;
}

/* Copies what the chunk starting exactly at c_off holds of [off, off+len), by a point lookup.
 * Returns the bytes copied, 0 when no chunk starts at c_off or it does not hold off, or -1 on a
 * read error. */
static int64_t chunk_get(struct pb_store *s, uint64_t body_id, uint64_t c_off, uint64_t off,
			 uint64_t len, struct body_sink *k, const char **error_r)
{
	uint8_t key[STORE_CHUNK_KEY_LEN];
	char *err = NULL;
	size_t vlen;

	chunk_key(body_id, c_off, key);
	rocksdb_pinnableslice_t *v = rocksdb_get_pinned_cf(s->db, s->ropt, s->cf[STORE_CF_CHUNKS],
							   (const char *)key, sizeof(key), &err);
	if (err != NULL)
		return store_fail_rocks(error_r, "get", err);
	if (v == NULL)
		return 0;
	const char *val = rocksdb_pinnableslice_value(v, &vlen);
	size_t n = chunk_copy(k, c_off, val, vlen, off, len);
	rocksdb_pinnableslice_destroy(v);
	return (int64_t)n;
}

/* Reads [off, off+len) (within the body of size) from its chunks. 0 / -1.
 *
 * Why point lookups first: chunks are contiguous (each starts where the one before ends), so
 * a read from the start of a chunk — every read from offset 0, and a RETR's next ranges when
 * they end on chunk boundaries — finds each chunk by its key, and a body of at most
 * PB_STORE_CHUNK_MAX octets is one chunk at 0 whatever the offset (IMAP sections, partial
 * fetches). An iterator costs far more to make and position than a lookup. Only a read that
 * starts inside a chunk of a larger body positions an iterator at the chunk before. */
static int chunks_read(struct pb_store *s, uint64_t body_id, uint64_t size, uint64_t off,
		       uint64_t len, struct body_sink *k, const char **error_r)
{
	uint64_t c_off = size <= PB_STORE_CHUNK_MAX ? 0 : off;
	int64_t got = 0;

	while (len > 0 && (got = chunk_get(s, body_id, c_off, off, len, k, error_r)) > 0) {
		off += (uint64_t)got;
		len -= (uint64_t)got;
		c_off = off;
	}
	if (len == 0 || got < 0)
		return len == 0 ? 0 : -1;
	return chunks_scan(s, body_id, off, len, k, error_r);
}

/* Reads [off, off+len), clipped to the body, into the sink. *n_r the bytes read. 0 / -1. */
static int body_read(struct pb_store *s, struct store_body *b, uint64_t off, uint64_t len,
		     struct body_sink *k, uint64_t *n_r, const char **error_r)
{
	*n_r = 0;
	if (off >= b->size)
		return 0;
	if (len > b->size - off)
		len = b->size - off;
	if (!b->chunked)
		k->put(k, b->v1.data + 1 + off, (size_t)len);
	else if (len > 0 && chunks_read(s, b->body_id, b->size, off, len, k, error_r) < 0)
		return -1;
	*n_r = len;
	return 0;
}

int pb_store_blob_read(struct pb_store *s, const char *key, uint64_t offset, void *buf,
		       size_t len, size_t *n_r, uint64_t *size_r, const char **error_r)
{
	struct store_body b;
	struct body_sink k = { .put = sink_to_buf, .buf = buf };
	uint64_t n = 0;

	int ret = body_open(s, key, &b, error_r);
	if (ret == 1 && body_read(s, &b, offset, len, &k, &n, error_r) < 0)
		ret = -1;
	if (ret == 1) {
		*n_r = (size_t)n;
		*size_r = b.size;
	}
	pb_buf_deinit(&b.v1);
	return ret;
}

int pb_store_blob_get(struct pb_store *s, const char *key, struct pb_buf *out,
		      const char **error_r)
{
	struct store_body b;
	struct body_sink k = { .put = sink_to_pb_buf, .out = out };
	uint64_t n;

	int ret = body_open(s, key, &b, error_r);
	if (ret == 1) {
		pb_buf_reserve(out, (size_t)b.size);
		if (body_read(s, &b, 0, b.size, &k, &n, error_r) < 0)
			ret = -1;
	}
	pb_buf_deinit(&b.v1);
	return ret;
}
