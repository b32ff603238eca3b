/*
 * reader-meta.c: FETCH metas, and BODY[section] answers from them (see reader-work.h). A
 * body's meta is made when it is stored (store-chunks.c, from the parse that makes its
 * structure record); the readers compute it on first request only for a body without a
 * current one (stored before that, or by another MIME_META_VERSION), and keep it with the
 * body. A READER_META_REQ keeps the metas it computes in one write batch
 * (reader_meta_compute, then reader-imap.c); the others here keep theirs one by one.
 * OWNS nothing. THREAD: the shard's.
 */
#include "reader-work.h"

#include "mime-header.h"
#include "mime-imap.h"
#include "mime-structure.h"
#include "pb-log.h"
#include "store-bodies.h"

#include <stdlib.h>
#include <string.h>

int reader_meta_compute(struct reader_shard *sh, const char *key, struct mime_meta *meta_r,
			uint64_t *parsed_r, struct pb_buf *enc_r, const char **error_r)
{
	struct mime_parser *p = mime_parser_create(NULL);

	int ret = reader_body_parse(sh, key, p, NULL, NULL, parsed_r, error_r);
	if (ret == 1) {
		struct mime_message *msg = mime_parser_take_message(p);
		mime_meta_build(msg, *parsed_r, meta_r);
		mime_message_free(&msg);
		mime_meta_encode(meta_r, enc_r);
	}
	mime_parser_destroy(&p);
	return ret;
}

/* Computes the meta by a streaming parse and stores it. 1 / 0 / -1 as reader_meta_get. */
static int meta_compute(struct reader_shard *sh, const char *key, struct mime_meta *meta_r,
			uint64_t *parsed_r, const char **error_r)
{
	struct pb_buf enc;
	const char *error;

	pb_buf_init(&enc);
	int ret = reader_meta_compute(sh, key, meta_r, parsed_r, &enc, error_r);
	/* a cache: not keeping it (disk low, the body just collected) costs a parse later */
	if (ret == 1 && pb_store_blob_meta_put(sh->store, key, enc.data, enc.len, &error) < 0)
		pb_warn("reader", "event=meta_not_kept key=%s reason=\"%s\"", key, error);
	pb_buf_deinit(&enc);
	return ret;
}

int reader_meta_get(struct reader_shard *sh, const char *key, struct mime_meta *meta_r,
		    uint64_t *parsed_r, const char **error_r)
{
	struct pb_buf val;
	const char *error;

	*parsed_r = 0;
	pb_buf_init(&val);
	int got = pb_store_blob_meta_get(sh->store, key, &val, error_r);
	int ok = got == 1 ? mime_meta_decode(val.data, val.len, meta_r, &error) : 0;
	if (ok < 0)
		pb_warn("reader", "event=meta_unreadable key=%s reason=\"%s\"", key, error);
	pb_buf_deinit(&val);
	if (got < 0)
		return -1;
	if (ok == 1)
		return 1;
	return meta_compute(sh, key, meta_r, parsed_r, error_r); /* none, stale or unreadable */
}

/* Octets of data once every bare LF is sent as CRLF. */
static uint64_t virtual_size(const uint8_t *data, size_t len)
{
	uint64_t v = len;

	for (size_t i = 0; i < len; i++)
		v += data[i] == '\n' && (i == 0 || data[i - 1] != '\r');
	return v;
}

/* HEADER.FIELDS[.NOT]: filters the header block at r (its first max_header_size octets, cut
 * after the last whole line: fields beyond that limit are not interpreted anywhere). */
static uint32_t section_filter(struct reader_shard *sh, const struct pb_rec_section_ask *q,
			       const struct mime_section_range *r, struct pb_rec_section_answer *a)
{
	size_t want = r->size < MIME_DEFAULT_MAX_HEADER_SIZE ? (size_t)r->size :
							       MIME_DEFAULT_MAX_HEADER_SIZE;
	uint8_t *buf = xmalloc(want > 0 ? want : 1);
	struct pb_buf out;
	size_t n = 0;
	uint64_t size;
	const char *error;

	int found = pb_store_blob_read(sh->store, q->blob_key, r->offset, buf, want, &n, &size,
				       &error);
	if (found <= 0) {
		free(buf);
		return found < 0 ? PB_ERR_INTERNAL : PB_ERR_NOTFOUND;
	}
	while (n < r->size && n > 0 && buf[n - 1] != '\n')
		n--;
	pb_buf_init(&out);
	mime_header_filter(buf, n, (const char *const *)q->fields.v, q->fields.n,
			   r->header_fields_not, &out);
	free(buf);
	a->filtered = 1;
	a->data.len = out.len;
	a->data.data = (uint8_t *)pb_buf_steal(&out, NULL);
	a->virtual_size = virtual_size(a->data.data, a->data.len);
	return PB_OK;
}

/* Locates q in the meta's part tree. */
static uint32_t section_locate(struct reader_shard *sh, const struct pb_rec_section_ask *q,
			       const struct mime_meta *meta, struct pb_rec_section_answer *a)
{
	struct mime_message *msg;
	struct mime_section_range r;
	const char *error;

	if (mime_structure_decode_parts(meta->parts.data, meta->parts.len, &msg, &error) < 0) {
		pb_error("reader", "event=meta_parts_bad key=%s reason=\"%s\"", q->blob_key, error);
		return PB_ERR_INTERNAL;
	}
	int ret = mime_section_locate(msg, q->section, &r, &error);
	mime_message_free(&msg);
	if (ret < 0)
		return PB_ERR_REFUSED;
	if (ret == 0)
		return PB_OK;
	a->exists = 1;
	a->offset = r.offset;
	a->size = r.size;
	a->virtual_size = r.virtual_size;
	return r.header_fields ? section_filter(sh, q, &r, a) : PB_OK;
}

void reader_section_answer(struct reader_shard *sh, const struct pb_rec_section_ask *q,
			   struct pb_rec_section_answer *a)
{
	struct mime_meta meta;
	const char *error = NULL;
	uint64_t parsed;

	int found = reader_meta_get(sh, q->blob_key, &meta, &parsed, &error);
	if (found <= 0) {
		if (found < 0)
			pb_error("reader", "event=meta_failed key=%s reason=\"%s\"", q->blob_key,
				 error);
		a->code = found < 0 ? PB_ERR_INTERNAL : PB_ERR_NOTFOUND;
		return;
	}
	a->code = section_locate(sh, q, &meta, a);
	mime_meta_deinit(&meta);
}
