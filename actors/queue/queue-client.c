/*
 * queue-client.c: the outbound queue's typed client stub (see queue-client.h).
 * OWNS nothing. THREAD: the caller's.
 */
#include "queue-client.h"

#include "pb-alloc.h"

#include <string.h>

int queue_client_add_send(const struct pb_sender *tx, const struct queue_client_add *in,
			  const char **error_r)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_QUEUE_ADD_REQ);
	struct msg_queue_add_req *q = &m.u.queue_add_req;
	q->key = in->spool_id;
	q->sender = xstrdup(in->sender);
	q->msgid = xstrdup(in->msgid != NULL ? in->msgid : "");
	q->blob_key = xstrdup(in->blob_key);
	for (size_t i = 0; i < in->n_rcpts; i++)
		pb_strv_push(&q->rcpts, in->rcpts[i]);
	q->received_ms = in->received_ms;
	q->size = in->size;
	return pb_client_send(tx, &m, error_r);
}

uint32_t queue_client_add_reply(const struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_QUEUE_ADD_REQ, error_r);
}

int queue_client_etrn_send(const struct pb_sender *tx, uint32_t shard, const char *node,
			   const char **error_r)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_QUEUE_ETRN_REQ);
	m.u.queue_etrn_req.key = shard;
	m.u.queue_etrn_req.domain = xstrdup(node);
	return pb_client_send(tx, &m, error_r);
}

uint32_t queue_client_etrn_reply(const struct pb_msg *rep, uint32_t *shards_r,
				 uint64_t *entries_r, const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_QUEUE_ETRN_REQ, error_r);

	if (code == PB_OK) {
		*shards_r = rep->u.queue_etrn_rep.shards;
		*entries_r = rep->u.queue_etrn_rep.entries;
	}
	return code;
}

/* One list request to the shard of key. */
static int list_one(struct pb_sync *t, uint64_t key, uint64_t id, uint32_t *code_r,
		    uint32_t *shards_r, struct pb_rec_queue_entry_list *entries_r,
		    const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_QUEUE_LIST_REQ);
	req.u.queue_list_req.key = key;
	req.u.queue_list_req.id = id;
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_QUEUE_LIST_REQ, error_r);
	if (code == PB_OK) {
		struct pb_rec_queue_entry_list *l = &rep.u.queue_list_rep.entries;
		*shards_r = rep.u.queue_list_rep.shards;
		for (uint32_t i = 0; i < l->n; i++) {
			struct pb_rec_queue_entry *e = pb_rec_queue_entry_push(entries_r);
			*e = l->v[i];
			memset(&l->v[i], 0, sizeof(l->v[i]));
		}
	}
	return pb_client_done(t, &rep, code, code_r, error_r);
}

/* A shard key that routes to shard k of n (pb_shard_index): the requests that go to every
 * shard. Key 0 goes to shard 0 whatever n is, so the first request may learn n. */
static uint64_t key_for_shard(uint32_t k, uint32_t n)
{
	for (uint64_t key = 0; key < (1u << 20); key++)
		if (pb_shard_index(key, n) == k)
			return key;
	return k; /* not reached for any sane n */
}

int queue_client_list(struct pb_sync *t, uint64_t id, uint32_t *code_r,
		      struct pb_rec_queue_entry_list *entries_r, const char **error_r)
{
	uint32_t shards = 1;

	if (id != 0)
		return list_one(t, id, id, code_r, &shards, entries_r, error_r);
	for (uint32_t k = 0; k < shards; k++) {
		if (list_one(t, key_for_shard(k, shards), 0, code_r, &shards, entries_r, error_r) < 0)
			return -1;
		if (*code_r != PB_OK)
			return 0;
	}
	return 0;
}

int queue_client_op(struct pb_sync *t, const char *op, uint64_t id, uint32_t *code_r,
		    const char **error_r)
{
	struct pb_msg req;
	struct pb_rec_queue_entry_list l = { 0 };
	uint32_t shards = 1;

	if (strcmp(op, "flush") != 0) {
		pb_msg_init(&req, MSG_QUEUE_OP_REQ);
		req.u.queue_op_req.key = id;
		req.u.queue_op_req.op = xstrdup(op);
		req.u.queue_op_req.id = id;
		return pb_client_call_status(t, &req, code_r, error_r);
	}
	/* the shard count comes with a list answer */
	if (list_one(t, 0, UINT64_MAX, code_r, &shards, &l, error_r) < 0)
		return -1;
	pb_rec_queue_entry_list_clear(&l);
	for (uint32_t k = 0; k < shards && *code_r == PB_OK; k++) {
		pb_msg_init(&req, MSG_QUEUE_OP_REQ);
		req.u.queue_op_req.key = key_for_shard(k, shards);
		req.u.queue_op_req.op = xstrdup(op);
		if (pb_client_call_status(t, &req, code_r, error_r) < 0)
			return -1;
	}
	return 0;
}

int queue_client_etrn(struct pb_sync *t, const char *server, const char *node, uint32_t *code_r,
		      char **reply_r, const char **error_r)
{
	struct pb_msg req, rep;

	*reply_r = NULL;
	pb_msg_init(&req, MSG_QSEND_ETRN_REQ);
	req.u.qsend_etrn_req.server = xstrdup(server);
	req.u.qsend_etrn_req.node = xstrdup(node);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_QSEND_ETRN_REQ, error_r);
	if (code == PB_OK)
		*reply_r = xstrdup(rep.u.qsend_etrn_rep.reply);
	pb_client_done(t, &rep, code, code_r, error_r);
	return 0;
}

int queue_client_stats(struct pb_sync *t, uint32_t *code_r, struct queue_client_stats *st_r,
		       const char **error_r)
{
	uint32_t shards = 1;

	memset(st_r, 0, sizeof(*st_r));
	for (uint32_t k = 0; k < shards; k++) {
		struct pb_msg req, rep;
		pb_msg_init(&req, MSG_QUEUE_STATS_REQ);
		req.u.queue_stats_req.key = key_for_shard(k, shards);
		if (pb_client_call(t, &req, &rep, error_r) < 0)
			return -1;
		uint32_t code = queue_client_stats_reply(&rep, &shards, st_r, error_r);
		pb_client_done(t, &rep, code, code_r, error_r);
		if (code != PB_OK)
			return 0;
	}
	return 0;
}

int queue_client_stats_send(const struct pb_sender *s, uint32_t shard, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_QUEUE_STATS_REQ);
	req.u.queue_stats_req.key = shard;
	return pb_client_send(s, &req, error_r);
}

uint32_t queue_client_stats_reply(struct pb_msg *rep, uint32_t *shards_r,
				  struct queue_client_stats *st_r, const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_QUEUE_STATS_REQ, error_r);

	if (code != PB_OK)
		return code;
	const struct msg_queue_stats_rep *r = &rep->u.queue_stats_rep;
	*shards_r = r->shards;
	st_r->entries += r->entries;
	st_r->held += r->held;
	st_r->waiting += r->waiting;
	st_r->sent += r->sent;
	st_r->deferred += r->deferred;
	st_r->failed += r->failed;
	return code;
}
