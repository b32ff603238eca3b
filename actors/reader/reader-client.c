/*
 * reader-client.c: the readers' typed client (see reader-client.h).
 * OWNS: a thread-local buffer for the synchronous call's error text. THREAD: any.
 */
#include "reader-client.h"

#include "pb-alloc.h"

#include <stdio.h>
#include <string.h>

#define READER_CLIENT_TIMEOUT_MS 60000

static __thread char client_error[256];

static void read_build(struct pb_msg *m, uint64_t user_id, const char *blob_key,
		       uint64_t offset, uint32_t length)
{
	pb_msg_init(m, MSG_READER_READ_REQ);
	m->u.reader_read_req.user_id = user_id;
	m->u.reader_read_req.blob_key = xstrdup(blob_key);
	m->u.reader_read_req.offset = offset;
	m->u.reader_read_req.length = length;
}

int reader_client_read_send(const struct pb_sender *tx, uint64_t user_id, const char *blob_key,
			    uint64_t offset, uint32_t length, const char **error_r)
{
	struct pb_msg m;

	read_build(&m, user_id, blob_key, offset, length);
	int ret = tx->send(tx->ctx, NULL, &m, error_r);
	pb_msg_free(&m);
	return ret;
}

uint32_t reader_client_read_reply(const struct pb_msg *rep, uint64_t *size_r,
				  const uint8_t **data_r, size_t *len_r, bool *eof_r)
{
	if (rep->type == MSG_CORE_STATUS_REP) {
		uint32_t code = pb_msg_status(rep, NULL);
		return code == PB_OK ? PB_ERR_INTERNAL : code;
	}
	if (rep->type != MSG_READER_READ_REP)
		return PB_ERR_INTERNAL;
	uint32_t code = pb_msg_status(rep, NULL);
	if (code == PB_OK) {
		*size_r = rep->u.reader_read_rep.size;
		*data_r = rep->u.reader_read_rep.data.data;
		*len_r = rep->u.reader_read_rep.data.len;
		*eof_r = rep->u.reader_read_rep.eof != 0;
	}
	return code;
}

int reader_client_read_many_send(const struct pb_sender *tx, uint64_t user_id,
				 const struct reader_range *ranges, size_t n, const char **error_r)
{
	struct pb_msg m;
	uint64_t bytes = 0;

	if (n == 0 || n > READER_MANY_MAX) {
		*error_r = "a batched read has 1 to 256 ranges";
		return -1;
	}
	pb_msg_init(&m, MSG_READER_READ_MANY_REQ);
	m.u.reader_read_many_req.user_id = user_id;
	for (size_t i = 0; i < n; i++) {
		struct pb_rec_read_range *r =
			pb_rec_read_range_push(&m.u.reader_read_many_req.ranges);
		r->blob_key = xstrdup(ranges[i].blob_key);
		r->offset = ranges[i].offset;
		r->length = ranges[i].length;
		bytes += ranges[i].length;
	}
	int ret = -1;
	if (bytes > PB_CHUNK_MAX)
		*error_r = "a batched read is at most 1 MiB";
	else
		ret = tx->send(tx->ctx, NULL, &m, error_r);
	pb_msg_free(&m);
	return ret;
}

uint32_t reader_client_read_many_reply(const struct pb_msg *rep, size_t n,
				       struct reader_part *parts_r)
{
	if (rep->type == MSG_CORE_STATUS_REP) {
		uint32_t code = pb_msg_status(rep, NULL);
		return code == PB_OK ? PB_ERR_INTERNAL : code;
	}
	if (rep->type != MSG_READER_READ_MANY_REP)
		return PB_ERR_INTERNAL;
	const struct pb_rec_read_part_list *l = &rep->u.reader_read_many_rep.parts;
	uint32_t code = pb_msg_status(rep, NULL);
	if (code != PB_OK)
		return code;
	if (l->n != n)
		return PB_ERR_INTERNAL;
	for (size_t i = 0; i < n; i++) {
		const struct pb_rec_read_part *p = &l->v[i];
		parts_r[i] = (struct reader_part){ .code = p->code };
		if (p->code == PB_OK) {
			parts_r[i].size = p->size;
			parts_r[i].data = p->data.data;
			parts_r[i].len = p->data.len;
			parts_r[i].eof = p->eof != 0;
		}
	}
	return PB_OK;
}

/* Keeps text as the call's reason and returns code. */
static uint32_t call_result(uint32_t code, const char *text, const char **error_r)
{
	snprintf(client_error, sizeof(client_error), "%s", text);
	if (error_r != NULL)
		*error_r = client_error;
	return code;
}

uint32_t reader_client_read(struct pb_caller *c, uint64_t user_id, const char *blob_key,
			    uint64_t offset, void *buf, uint32_t length, size_t *n_r,
			    uint64_t *size_r, bool *eof_r, const char **error_r)
{
	struct pb_msg m, rep;
	const char *error;
	const uint8_t *data;
	size_t len;

	read_build(&m, user_id, blob_key, offset, length);
	int ret = pb_call(c, NULL, &m, &rep, READER_CLIENT_TIMEOUT_MS, &error);
	pb_msg_free(&m);
	if (ret < 0)
		return call_result(PB_ERR_TEMP, error, error_r);
	uint32_t code = reader_client_read_reply(&rep, size_r, &data, &len, eof_r);
	if (code == PB_OK && len > length)
		code = PB_ERR_INTERNAL; /* more than asked: a broken reader */
	if (code == PB_OK) {
		if (len > 0)
			memcpy(buf, data, len);
		*n_r = len;
	}
	pb_msg_status(&rep, &error);
	code = call_result(code, error, error_r);
	pb_msg_free(&rep);
	return code;
}

int reader_client_read_sync(struct pb_sync *t, uint64_t user_id, const char *blob_key,
			    uint64_t offset, void *buf, uint32_t length, uint32_t *code_r,
			    size_t *n_r, uint64_t *size_r, bool *eof_r, const char **error_r)
{
	struct pb_msg m, rep;
	const uint8_t *data;
	size_t len = 0;

	read_build(&m, user_id, blob_key, offset, length);
	if (pb_client_call(t, &m, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_READER_READ_REQ, error_r);
	if (code == PB_OK)
		code = reader_client_read_reply(&rep, size_r, &data, &len, eof_r);
	if (code == PB_OK && len > length) {
		code = PB_ERR_INTERNAL;
		*error_r = "the reader answered more than was asked";
	}
	if (code == PB_OK && len > 0)
		memcpy(buf, data, len);
	*n_r = code == PB_OK ? len : 0;
	return pb_client_done(t, &rep, code, code_r, error_r);
}
