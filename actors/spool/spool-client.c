/*
 * spool-client.c: the spool's typed client (see spool-client.h): one builder per request,
 * shared by the asynchronous send and the synchronous call, and one decoder per reply.
 * OWNS: a thread-local buffer for the synchronous calls' error text.
 * THREAD: any.
 */
#include "spool-client.h"

#include "pb-alloc.h"

#include <stdio.h>
#include <string.h>

#define SPOOL_CLIENT_TIMEOUT_MS 60000

static __thread char client_error[256];

/* The envelope's fields of a request (BEGIN or PUT), filled from borrowed values. */
struct envelope_fields {
	char **sender, **msgid;
	struct pb_strv *rcpts;
	struct pb_u64v *rcpt_ids;
	int64_t *received_ms;
};

static void envelope_fill(const struct envelope_fields *f, const char *sender, const char *msgid,
			  const char *const *rcpts, const uint64_t *rcpt_ids, size_t n_rcpts,
			  int64_t received_ms)
{
	*f->sender = xstrdup(sender != NULL ? sender : "");
	*f->msgid = xstrdup(msgid != NULL ? msgid : "");
	for (size_t i = 0; i < n_rcpts; i++) {
		pb_strv_push(f->rcpts, rcpts[i]);
		pb_u64v_push(f->rcpt_ids, rcpt_ids[i]);
	}
	*f->received_ms = received_ms;
}

static void begin_build(struct pb_msg *m, uint64_t key, const char *sender, const char *msgid,
			const char *const *rcpts, const uint64_t *rcpt_ids, size_t n_rcpts,
			int64_t received_ms)
{
	struct msg_spool_begin_req *q = &m->u.spool_begin_req;

	pb_msg_init(m, MSG_SPOOL_BEGIN_REQ);
	q->key = key;
	envelope_fill(&(struct envelope_fields){ &q->sender, &q->msgid, &q->rcpts, &q->rcpt_ids,
						 &q->received_ms },
		      sender, msgid, rcpts, rcpt_ids, n_rcpts, received_ms);
}

/* The content is borrowed: the caller clears data before pb_msg_free. */
static void put_build(struct pb_msg *m, uint64_t key, const struct spool_client_envelope *env,
		      const void *data, size_t len)
{
	struct msg_spool_put_req *q = &m->u.spool_put_req;

	pb_msg_init(m, MSG_SPOOL_PUT_REQ);
	q->key = key;
	envelope_fill(&(struct envelope_fields){ &q->sender, &q->msgid, &q->rcpts, &q->rcpt_ids,
						 &q->received_ms },
		      env->sender, env->msgid, env->rcpts, env->rcpt_ids, env->n_rcpts,
		      env->received_ms);
	q->origin = env->origin;
	q->data.data = (uint8_t *)data;
	q->data.len = len;
}

static void chunk_build(struct pb_msg *m, uint64_t key, uint64_t upload_id, uint64_t offset,
			const void *data, size_t len)
{
	pb_msg_init(m, MSG_SPOOL_CHUNK_REQ);
	m->u.spool_chunk_req.key = key;
	m->u.spool_chunk_req.upload_id = upload_id;
	m->u.spool_chunk_req.offset = offset;
	/* borrowed: the sender encodes it; the caller clears it before pb_msg_free */
	m->u.spool_chunk_req.data.data = (uint8_t *)data;
	m->u.spool_chunk_req.data.len = len;
}

static void commit_build(struct pb_msg *m, uint64_t key, uint64_t upload_id, uint64_t size)
{
	pb_msg_init(m, MSG_SPOOL_COMMIT_REQ);
	m->u.spool_commit_req.key = key;
	m->u.spool_commit_req.upload_id = upload_id;
	m->u.spool_commit_req.size = size;
}

int spool_client_commit_data_send(const struct pb_sender *tx, uint64_t key, uint64_t upload_id,
				  uint64_t size, const void *data, size_t len, const char **error_r)
{
	return spool_client_commit_signed_send(tx, key, upload_id, size, data, len, NULL, error_r);
}

int spool_client_commit_signed_send(const struct pb_sender *tx, uint64_t key,
				    uint64_t upload_id, uint64_t size, const void *data,
				    size_t len, const struct spool_client_sign *sign,
				    const char **error_r)
{
	struct pb_msg m;

	commit_build(&m, key, upload_id, size);
	for (size_t i = 0; sign != NULL && i < sign->n; i++) {
		pb_u64v_push(&m.u.spool_commit_req.sign_at, sign->at[i]);
		pb_strv_push(&m.u.spool_commit_req.sign_text, sign->text[i]);
	}
	/* borrowed, like a chunk's */
	m.u.spool_commit_req.data.data = (uint8_t *)data;
	m.u.spool_commit_req.data.len = len;
	int ret = tx->send(tx->ctx, NULL, &m, error_r);
	m.u.spool_commit_req.data.data = NULL;
	pb_msg_free(&m);
	return ret;
}

static void room_build(struct pb_msg *m, uint64_t key, uint64_t size)
{
	pb_msg_init(m, MSG_SPOOL_ROOM_REQ);
	m->u.spool_room_req.key = key;
	m->u.spool_room_req.size = size;
}

static void abort_build(struct pb_msg *m, uint64_t key, uint64_t upload_id)
{
	pb_msg_init(m, MSG_SPOOL_ABORT_REQ);
	m->u.spool_abort_req.key = key;
	m->u.spool_abort_req.upload_id = upload_id;
}

/* Sends m through tx and frees it. 0 / -1. */
static int send_free(const struct pb_sender *tx, struct pb_msg *m, const char **error_r)
{
	int ret = tx->send(tx->ctx, NULL, m, error_r);

	pb_msg_free(m);
	return ret;
}

int spool_client_begin_send(const struct pb_sender *tx, uint64_t key, const char *sender,
			    const char *msgid, const char *const *rcpts, const uint64_t *rcpt_ids, size_t n_rcpts,
			    int64_t received_ms, const char **error_r)
{
	struct pb_msg m;

	begin_build(&m, key, sender, msgid, rcpts, rcpt_ids, n_rcpts, received_ms);
	return send_free(tx, &m, error_r);
}

int spool_client_begin_env_send(const struct pb_sender *tx, uint64_t key,
				const struct spool_client_envelope *env, const char **error_r)
{
	struct pb_msg m;

	begin_build(&m, key, env->sender, env->msgid, env->rcpts, env->rcpt_ids, env->n_rcpts,
		    env->received_ms);
	m.u.spool_begin_req.origin = env->origin;
	return send_free(tx, &m, error_r);
}

int spool_client_put_send(const struct pb_sender *tx, uint64_t key,
			  const struct spool_client_envelope *env, const void *data, size_t len,
			  const char **error_r)
{
	struct pb_msg m;

	put_build(&m, key, env, data, len);
	int ret = tx->send(tx->ctx, NULL, &m, error_r);
	m.u.spool_put_req.data.data = NULL;
	pb_msg_free(&m);
	return ret;
}

int spool_client_chunk_send(const struct pb_sender *tx, uint64_t key, uint64_t upload_id,
			    uint64_t offset, const void *data, size_t len, const char **error_r)
{
	struct pb_msg m;

	chunk_build(&m, key, upload_id, offset, data, len);
	int ret = tx->send(tx->ctx, NULL, &m, error_r);
	m.u.spool_chunk_req.data.data = NULL;
	pb_msg_free(&m);
	return ret;
}

int spool_client_commit_send(const struct pb_sender *tx, uint64_t key, uint64_t upload_id,
			     uint64_t size, const char **error_r)
{
	struct pb_msg m;

	commit_build(&m, key, upload_id, size);
	return send_free(tx, &m, error_r);
}

int spool_client_abort_send(const struct pb_sender *tx, uint64_t key, uint64_t upload_id,
			    const char **error_r)
{
	struct pb_msg m;

	abort_build(&m, key, upload_id);
	return send_free(tx, &m, error_r);
}

int spool_client_room_send(const struct pb_sender *tx, uint64_t key, uint64_t size,
			   const char **error_r)
{
	struct pb_msg m;

	room_build(&m, key, size);
	return send_free(tx, &m, error_r);
}

/* The status of a reply expected to be of type want (or CORE_STATUS_REP with an error). */
static uint32_t reply_code(const struct pb_msg *rep, enum pb_msg_type want)
{
	if (rep->type != want && rep->type != MSG_CORE_STATUS_REP)
		return PB_ERR_INTERNAL;
	uint32_t code = pb_msg_status(rep, NULL);
	if (code == PB_OK && rep->type != want)
		return PB_ERR_INTERNAL; /* "OK" without the value asked for */
	return code;
}

uint32_t spool_client_begin_reply(const struct pb_msg *rep, uint64_t *upload_id_r)
{
	uint32_t code = reply_code(rep, MSG_SPOOL_BEGIN_REP);

	if (code == PB_OK)
		*upload_id_r = rep->u.spool_begin_rep.upload_id;
	return code;
}

uint32_t spool_client_chunk_reply(const struct pb_msg *rep, uint64_t *received_r)
{
	uint32_t code = reply_code(rep, MSG_SPOOL_CHUNK_REP);

	if (code == PB_OK)
		*received_r = rep->u.spool_chunk_rep.received;
	return code;
}

uint32_t spool_client_commit_reply(const struct pb_msg *rep, uint64_t *spool_id_r)
{
	uint32_t code = reply_code(rep, MSG_SPOOL_COMMIT_REP);

	if (code == PB_OK)
		*spool_id_r = rep->u.spool_commit_rep.spool_id;
	return code;
}

uint32_t spool_client_put_reply(const struct pb_msg *rep, uint64_t *spool_id_r)
{
	uint32_t code = reply_code(rep, MSG_SPOOL_PUT_REP);

	if (code == PB_OK)
		*spool_id_r = rep->u.spool_put_rep.spool_id;
	return code;
}

uint32_t spool_client_abort_reply(const struct pb_msg *rep)
{
	return reply_code(rep, MSG_CORE_STATUS_REP);
}

uint32_t spool_client_room_reply(const struct pb_msg *rep)
{
	return reply_code(rep, MSG_CORE_STATUS_REP);
}

/* ---- synchronous ---- */

/* Calls with m (not freed). 0 with *rep_r, or -1 with the reason in client_error. */
static int call(struct pb_caller *c, struct pb_msg *m, struct pb_msg *rep_r,
		const char **error_r)
{
	const char *error;

	if (pb_call(c, NULL, m, rep_r, SPOOL_CLIENT_TIMEOUT_MS, &error) == 0)
		return 0;
	snprintf(client_error, sizeof(client_error), "%s", error);
	if (error_r != NULL)
		*error_r = client_error;
	return -1;
}

/* Keeps rep's reason in client_error, frees rep and returns code. */
static uint32_t call_done(struct pb_msg *rep, uint32_t code, const char **error_r)
{
	const char *error;

	pb_msg_status(rep, &error);
	snprintf(client_error, sizeof(client_error), "%s", error);
	if (error_r != NULL)
		*error_r = client_error;
	pb_msg_free(rep);
	return code;
}

uint32_t spool_client_begin(struct pb_caller *c, uint64_t key, const char *sender,
			    const char *msgid, const char *const *rcpts, const uint64_t *rcpt_ids, size_t n_rcpts,
			    int64_t received_ms, uint64_t *upload_id_r, const char **error_r)
{
	struct pb_msg m, rep;

	begin_build(&m, key, sender, msgid, rcpts, rcpt_ids, n_rcpts, received_ms);
	int ret = call(c, &m, &rep, error_r);
	pb_msg_free(&m);
	if (ret < 0)
		return PB_ERR_TEMP;
	return call_done(&rep, spool_client_begin_reply(&rep, upload_id_r), error_r);
}

uint32_t spool_client_begin_marked(struct pb_caller *c, uint64_t key,
				   const struct spool_client_envelope *env, const char *mark,
				   uint64_t *upload_id_r, const char **error_r)
{
	struct pb_msg m, rep;

	begin_build(&m, key, env->sender, env->msgid, env->rcpts, env->rcpt_ids, env->n_rcpts,
		    env->received_ms);
	m.u.spool_begin_req.mark = xstrdup(mark);
	m.u.spool_begin_req.origin = env->origin;
	int ret = call(c, &m, &rep, error_r);
	pb_msg_free(&m);
	if (ret < 0)
		return PB_ERR_TEMP;
	return call_done(&rep, spool_client_begin_reply(&rep, upload_id_r), error_r);
}

uint32_t spool_client_put(struct pb_caller *c, uint64_t key,
			  const struct spool_client_envelope *env, const void *data, size_t len,
			  uint64_t *spool_id_r, const char **error_r)
{
	return spool_client_put_marked(c, key, env, "", data, len, spool_id_r, error_r);
}

uint32_t spool_client_put_marked(struct pb_caller *c, uint64_t key,
				 const struct spool_client_envelope *env, const char *mark,
				 const void *data, size_t len, uint64_t *spool_id_r,
				 const char **error_r)
{
	struct pb_msg m, rep;

	put_build(&m, key, env, data, len);
	m.u.spool_put_req.mark = xstrdup(mark);
	int ret = call(c, &m, &rep, error_r);
	m.u.spool_put_req.data.data = NULL;
	pb_msg_free(&m);
	if (ret < 0)
		return PB_ERR_TEMP;
	return call_done(&rep, spool_client_put_reply(&rep, spool_id_r), error_r);
}

uint32_t spool_client_chunk(struct pb_caller *c, uint64_t key, uint64_t upload_id,
			    uint64_t offset, const void *data, size_t len, uint64_t *received_r,
			    const char **error_r)
{
	struct pb_msg m, rep;

	chunk_build(&m, key, upload_id, offset, data, len);
	int ret = call(c, &m, &rep, error_r);
	m.u.spool_chunk_req.data.data = NULL;
	pb_msg_free(&m);
	if (ret < 0)
		return PB_ERR_TEMP;
	return call_done(&rep, spool_client_chunk_reply(&rep, received_r), error_r);
}

uint32_t spool_client_commit(struct pb_caller *c, uint64_t key, uint64_t upload_id,
			     uint64_t size, uint64_t *spool_id_r, const char **error_r)
{
	struct pb_msg m, rep;

	commit_build(&m, key, upload_id, size);
	int ret = call(c, &m, &rep, error_r);
	pb_msg_free(&m);
	if (ret < 0)
		return PB_ERR_TEMP;
	return call_done(&rep, spool_client_commit_reply(&rep, spool_id_r), error_r);
}

uint32_t spool_client_abort(struct pb_caller *c, uint64_t key, uint64_t upload_id,
			    const char **error_r)
{
	struct pb_msg m, rep;

	abort_build(&m, key, upload_id);
	int ret = call(c, &m, &rep, error_r);
	pb_msg_free(&m);
	if (ret < 0)
		return PB_ERR_TEMP;
	return call_done(&rep, spool_client_abort_reply(&rep), error_r);
}

uint32_t spool_client_room(struct pb_caller *c, uint64_t key, uint64_t size, const char **error_r)
{
	struct pb_msg m, rep;

	room_build(&m, key, size);
	int ret = call(c, &m, &rep, error_r);
	pb_msg_free(&m);
	if (ret < 0)
		return PB_ERR_TEMP;
	return call_done(&rep, spool_client_room_reply(&rep), error_r);
}

/* One shard's oldest entry; *shards_r its count of shards. */
static uint32_t oldest_of(struct pb_caller *c, uint64_t key, int64_t *ms_r, uint32_t *shards_r,
			  const char **error_r)
{
	struct pb_msg m, rep;

	pb_msg_init(&m, MSG_SPOOL_OLDEST_REQ);
	m.u.spool_oldest_req.key = key;
	int ret = call(c, &m, &rep, error_r);
	pb_msg_free(&m);
	if (ret < 0)
		return PB_ERR_TEMP;
	uint32_t code = reply_code(&rep, MSG_SPOOL_OLDEST_REP);
	if (code == PB_OK) {
		*ms_r = rep.u.spool_oldest_rep.received_ms;
		*shards_r = rep.u.spool_oldest_rep.shards;
	}
	return call_done(&rep, code, error_r);
}

uint32_t spool_client_oldest(struct pb_caller *c, int64_t *oldest_ms_r, const char **error_r)
{
	int64_t oldest = INT64_MAX;
	uint32_t shards = 1;

	for (uint32_t key = 0; key < shards; key++) {
		int64_t ms = INT64_MAX;
		uint32_t code = oldest_of(c, key, &ms, &shards, error_r);
		if (code != PB_OK)
			return code;
		if (ms < oldest)
			oldest = ms;
	}
	*oldest_ms_r = oldest;
	return PB_OK;
}

int spool_client_trace(struct pb_sync *t, const char *msgid, uint32_t *code_r,
		       struct pb_strv *lines_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_SPOOL_TRACE_REQ);
	req.u.spool_trace_req.key = 0;
	req.u.spool_trace_req.msgid = xstrdup(msgid != NULL ? msgid : "");
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_SPOOL_TRACE_REQ, error_r);
	if (code == PB_OK)
		pb_strv_move(lines_r, &rep.u.spool_trace_rep.lines);
	return pb_client_done(t, &rep, code, code_r, error_r);
}
