/*
 * queue-client.c: the outbound queue's typed client stub (see queue-client.h).
 * OWNS nothing. THREAD: the caller's.
 */
#include "queue-client.h"

#include "pb-alloc.h"

#include <stdlib.h>
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
	for (size_t i = 0; i < in->n_rcpts; i++) {
		pb_strv_push(&q->rcpts, in->rcpts[i]);
		if (in->edits != NULL)
			pb_strv_push(&q->edits, in->edits[i] != NULL ? in->edits[i] : "");
	}
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
	m.u.queue_etrn_req.domain = xstrdup(node);
	return pb_client_send_shard(tx, &m, shard, error_r);
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

int queue_client_qsend_send(const struct pb_sender *tx, const struct queue_client_qsend *in,
			    const char **error_r)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_QSEND_SEND_REQ);
	struct msg_qsend_send_req *q = &m.u.qsend_send_req;
	q->key = pb_shard_key(in->sender);
	q->id = in->id;
	q->host = xstrdup(in->host);
	q->port = in->port;
	q->smart_host = in->smart_host;
	q->mx = in->mx;
	q->sender = xstrdup(in->from);
	q->mail_params = xstrdup(in->mail_params);
	q->edit = xstrdup(in->edit);
	q->size = in->size;
	q->blob_key = xstrdup(in->blob_key);
	for (size_t i = 0; i < in->n_rcpts; i++) {
		pb_strv_push(&q->rcpts, in->rcpts[i]);
		pb_strv_push(&q->rcpt_params, in->rcpt_params[i]);
	}
	return pb_client_send(tx, &m, error_r);
}

uint32_t queue_client_qsend_reply(const struct pb_msg *rep, const struct pb_strv **replies_r,
				  bool *dsn_r, const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_QSEND_SEND_REQ, error_r);

	*replies_r = code == PB_OK ? &rep->u.qsend_send_rep.replies : NULL;
	*dsn_r = code == PB_OK && rep->u.qsend_send_rep.dsn;
	return code;
}

int queue_client_attempt_done(struct pb_runtime *rt, uint64_t run, uint64_t id)
{
	struct pb_msg m;
	const char *error;

	pb_msg_init(&m, MSG_QUEUE_ATTEMPT_EVT);
	m.u.queue_attempt_evt.run = run;
	m.u.queue_attempt_evt.id = id;
	int rc = pb_cast(rt, QUEUE_JOBS_ADDR, &m, &error);
	pb_msg_free(&m);
	return rc;
}

/* Moves the entries of l onto the end of out. */
static void entries_move(struct pb_rec_queue_entry_list *l, struct pb_rec_queue_entry_list *out)
{
	for (uint32_t i = 0; i < l->n; i++) {
		*pb_rec_queue_entry_push(out) = l->v[i];
		memset(&l->v[i], 0, sizeof(l->v[i]));
	}
}

int queue_client_show(struct pb_sync *t, uint64_t id, uint32_t *code_r,
		      struct pb_rec_queue_entry_list *entries_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_QUEUE_LIST_REQ);
	req.u.queue_list_req.key = id;
	req.u.queue_list_req.id = id;
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_QUEUE_LIST_REQ, error_r);
	if (code == PB_OK)
		entries_move(&rep.u.queue_list_rep.entries, entries_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct pb_rec_queue_entry *)a)->id;
	uint64_t y = ((const struct pb_rec_queue_entry *)b)->id;
	return x < y ? -1 : x > y;
}

struct list_page {
	struct pb_rec_queue_entry_list *out;
	uint32_t limit;
	bool more;
};

/* One shard's page merged in: the lowest ids kept, at most limit of them. */
static uint32_t list_each(void *ctx, struct pb_msg *rep, uint32_t *shards_r, const char **error_r)
{
	struct list_page *p = ctx;
	struct pb_rec_queue_entry_list *out = p->out;

	*shards_r = rep->u.queue_list_rep.shards;
	p->more |= rep->u.queue_list_rep.more != 0;
	entries_move(&rep->u.queue_list_rep.entries, out);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_id);
	if (out->n > p->limit) {
		p->more = true;
		struct pb_rec_queue_entry_list tail = { 0 };
		while (out->n > p->limit)
			*pb_rec_queue_entry_push(&tail) = out->v[--out->n];
		pb_rec_queue_entry_list_clear(&tail);
	}
	return PB_OK;
}

int queue_client_list(struct pb_sync *t, uint64_t after, uint32_t limit, uint32_t *code_r,
		      struct pb_rec_queue_entry_list *entries_r, bool *more_r,
		      const char **error_r)
{
	struct pb_msg req;
	struct list_page p = { entries_r, limit, false };

	if (p.limit == 0 || p.limit > QUEUE_LIST_LIMIT_MAX)
		p.limit = p.limit == 0 ? QUEUE_LIST_LIMIT_DEFAULT : QUEUE_LIST_LIMIT_MAX;
	pb_msg_init(&req, MSG_QUEUE_LIST_REQ);
	req.u.queue_list_req.after = after;
	req.u.queue_list_req.limit = p.limit;
	int rc = pb_client_broadcast(t, &req, list_each, &p, code_r, error_r);
	*more_r = p.more;
	return rc;
}

struct op_sum {
	uint64_t entries;
};

static uint32_t op_each(void *ctx, struct pb_msg *rep, uint32_t *shards_r, const char **error_r)
{
	struct op_sum *sum = ctx;

	*shards_r = rep->u.queue_op_rep.shards;
	sum->entries += rep->u.queue_op_rep.entries;
	return PB_OK;
}

/* op (id 0) on every shard; *entries_r the entries it concerned, summed. */
static int op_all(struct pb_sync *t, const char *op, uint64_t run, uint32_t *code_r,
		  uint64_t *entries_r, const char **error_r)
{
	struct pb_msg req;
	struct op_sum sum = { 0 };

	pb_msg_init(&req, MSG_QUEUE_OP_REQ);
	req.u.queue_op_req.op = xstrdup(op);
	req.u.queue_op_req.run = run;
	int rc = pb_client_broadcast(t, &req, op_each, &sum, code_r, error_r);
	*entries_r = sum.entries;
	return rc;
}

int queue_client_flush(struct pb_sync *t, uint64_t run, uint32_t *code_r, uint64_t *entries_r,
		       const char **error_r)
{
	return op_all(t, "flush", run, code_r, entries_r, error_r);
}

int queue_client_pause(struct pb_sync *t, bool paused, uint32_t *code_r, const char **error_r)
{
	uint64_t entries;

	return op_all(t, paused ? "pause" : "resume", 0, code_r, &entries, error_r);
}

int queue_client_op(struct pb_sync *t, const char *op, uint64_t id, uint32_t *code_r,
		    const char **error_r)
{
	struct pb_msg req;
	uint64_t entries;

	if (strcmp(op, "flush") == 0)
		return queue_client_flush(t, 0, code_r, &entries, error_r);
	pb_msg_init(&req, MSG_QUEUE_OP_REQ);
	req.u.queue_op_req.key = id;
	req.u.queue_op_req.op = xstrdup(op);
	req.u.queue_op_req.id = id;
	return pb_client_call_status(t, &req, code_r, error_r);
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

struct stats_sum {
	struct queue_client_stats *st;
};

static uint32_t stats_each(void *ctx, struct pb_msg *rep, uint32_t *shards_r,
			   const char **error_r)
{
	struct stats_sum *sum = ctx;
	return queue_client_stats_reply(rep, shards_r, sum->st, error_r);
}

int queue_client_stats(struct pb_sync *t, uint32_t *code_r, struct queue_client_stats *st_r,
		       const char **error_r)
{
	struct pb_msg req;
	struct stats_sum sum = { st_r };

	memset(st_r, 0, sizeof(*st_r));
	pb_msg_init(&req, MSG_QUEUE_STATS_REQ);
	return pb_client_broadcast(t, &req, stats_each, &sum, code_r, error_r);
}

int queue_client_stats_send(const struct pb_sender *s, uint32_t shard, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_QUEUE_STATS_REQ);
	return pb_client_send_shard(s, &req, shard, error_r);
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
