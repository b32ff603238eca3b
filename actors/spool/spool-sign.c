/*
 * spool-sign.c: the signed body of an entry whose record carries the signature's insertions
 * (store-spool.h sign_at/sign_text: decided by the SMTP session as the message streamed in,
 * stored with the commit before the 250). At delivery the stored body is read in pieces,
 * the insertions put in as they pass (mime_signature_plan_load/apply) and the result
 * written as a body of its own, piece by piece (an upload committed as a bare body): never
 * the whole message in memory. Content-addressed like a header edit's copy: made again at
 * each (re)send, the same octets under the same key, and the append's or the queue's
 * reference keeps it (docs/storage.md "The incoming spool").
 * OWNS: nothing it does not return. THREAD: the shard's actor thread.
 */
#include "spool-private.h"

#include "mime-signature.h"
#include "pb-alloc.h"

/* What is read of the stored body at a time. */
#define SIGN_PIECE (256u * 1024)

/* Reads the body of r from offset into buf (SIGN_PIECE octets); *n_r what came, *last_r
 * whether it is the body's end. 0 / -1. */
static int read_piece(struct spool_shard *s, const struct pb_spool_rec *r, uint64_t offset,
		      uint8_t *buf, size_t *n_r, bool *last_r, const char **error_r)
{
	uint64_t size = 0;

	int found = pb_store_blob_read(s->store, r->blob_key, offset, buf, SIGN_PIECE, n_r, &size,
				       error_r);
	if (found == 0)
		*error_r = "the message body is missing";
	*last_r = offset + *n_r >= size;
	return found == 1 ? 0 : -1;
}

/* Copies the body into up with the plan's insertions. *size_r the octets written. 0 / -1. */
static int copy_signed(struct spool_shard *s, const struct pb_spool_rec *r,
		       struct mime_signature_plan *plan, struct pb_store_upload *up,
		       uint64_t *size_r, const char **error_r)
{
	uint8_t *buf = xmalloc(SIGN_PIECE);
	struct pb_buf out;
	uint64_t offset = 0;
	bool last = false;
	int ret = 0;

	pb_buf_init(&out);
	*size_r = 0;
	while (ret == 0 && !last) {
		size_t n = 0;
		ret = read_piece(s, r, offset, buf, &n, &last, error_r);
		if (ret < 0)
			break;
		pb_buf_reset(&out);
		mime_signature_plan_apply(plan, buf, n, last, &out);
		offset += n;
		*size_r += out.len;
		if (out.len > 0)
			ret = pb_store_upload_write(s->store, up, out.data, out.len, error_r);
	}
	pb_buf_deinit(&out);
	free(buf);
	return ret;
}

int spool_signed_body(struct spool_shard *s, const struct pb_spool_rec *r,
		      char key_r[PB_BLOB_KEY_LEN + 1], uint64_t *size_r, const char **error_r)
{
	struct pb_store_upload *up = NULL;
	struct mime_signature_plan *plan =
		mime_signature_plan_load(r->sign_at, (const char *const *)r->sign_text, r->n_sign);

	if (plan == NULL) {
		*error_r = "the stored signature insertions are malformed";
		return -1;
	}
	int ret = pb_store_upload_begin(s->store, s->index, (int64_t)pb_clock_wall_ms(), &up,
					 error_r);
	if (ret == 0)
		ret = copy_signed(s, r, plan, up, size_r, error_r);
	if (ret == 0)
		ret = pb_store_upload_commit_blob(s->store, &up, key_r, error_r);
	if (up != NULL) {
		const char *ignored;
		(void)pb_store_upload_abort(s->store, &up, &ignored);
	}
	mime_signature_plan_destroy(&plan);
	return ret;
}
