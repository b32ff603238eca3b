/*
 * pb-client.c: the synchronous transports and the common steps of the typed client stubs
 * (see pb-client.h). OWNS nothing. THREAD: the caller's.
 */
#include "pb-client.h"

#include "pb-alloc.h"

#include <stdio.h>
#include <string.h>

static int caller_call(void *ctx, struct pb_msg *req, struct pb_msg *rep_r, uint32_t timeout_ms,
		       const char **error_r)
{
	return pb_call(ctx, NULL, req, rep_r, timeout_ms, error_r);
}

static int remote_call(void *ctx, struct pb_msg *req, struct pb_msg *rep_r, uint32_t timeout_ms,
		       const char **error_r)
{
	return pb_remote_call(ctx, req, rep_r, timeout_ms, error_r);
}

static void sync_init(struct pb_sync *t, int (*call)(void *, struct pb_msg *, struct pb_msg *,
						     uint32_t, const char **),
		      void *ctx, uint32_t timeout_ms)
{
	memset(t, 0, sizeof(*t));
	t->call = call;
	t->ctx = ctx;
	t->timeout_ms = timeout_ms;
}

void pb_sync_init_caller(struct pb_sync *t, struct pb_caller *c, uint32_t timeout_ms)
{
	sync_init(t, caller_call, c, timeout_ms);
}

void pb_sync_init_remote(struct pb_sync *t, const char *url, uint32_t timeout_ms)
{
	sync_init(t, remote_call, (void *)url, timeout_ms);
}

static _Thread_local char client_by[PB_CLIENT_BY_MAX + 1];

void pb_client_by(const char *by)
{
	snprintf(client_by, sizeof(client_by), "%s", by != NULL ? by : "");
}

const char *pb_client_by_get(void)
{
	return client_by;
}

char *pb_client_by_dup(void)
{
	return xstrdup(client_by);
}

int pb_client_send(const struct pb_sender *s, struct pb_msg *req, const char **error_r)
{
	int rc = s->send(s->ctx, NULL, req, error_r);
	pb_msg_free(req);
	return rc;
}

int pb_client_call(struct pb_sync *t, struct pb_msg *req, struct pb_msg *rep_r,
		   const char **error_r)
{
	int rc = t->call(t->ctx, req, rep_r, t->timeout_ms, error_r);
	pb_msg_free(req);
	return rc;
}

int pb_client_done(struct pb_sync *t, struct pb_msg *rep, uint32_t code, uint32_t *code_r,
		   const char **error_r)
{
	snprintf(t->error, sizeof(t->error), "%s", *error_r != NULL ? *error_r : "");
	*error_r = t->error;
	pb_msg_free(rep);
	*code_r = code;
	return 0;
}

int pb_client_call_status(struct pb_sync *t, struct pb_msg *req, uint32_t *code_r,
			  const char **error_r)
{
	struct pb_msg rep;
	enum pb_msg_type type = req->type;

	if (pb_client_call(t, req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, type, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

uint32_t pb_client_reply(const struct pb_msg *rep, enum pb_msg_type req_type, const char **error_r)
{
	enum pb_msg_type expected = pb_msg_reply_type(req_type);
	uint32_t code;

	if (rep->type != expected && rep->type != MSG_CORE_STATUS_REP) {
		*error_r = "unexpected reply";
		return PB_ERR_INTERNAL;
	}
	code = pb_msg_status(rep, error_r);
	/* a bare OK where data was expected would leave the caller's outputs unset */
	if (code == PB_OK && rep->type != expected) {
		*error_r = "unexpected reply";
		return PB_ERR_INTERNAL;
	}
	return code;
}

/* ---- shards ---- */

int pb_client_send_shard(const struct pb_sender *s, struct pb_msg *req, uint32_t k,
			 const char **error_r)
{
	(void)pb_msg_set_shard_key(req, pb_shard_key(k));
	return pb_client_send(s, req, error_r);
}

int pb_client_call_shard(struct pb_sync *t, struct pb_msg *req, uint32_t k, struct pb_msg *rep_r,
			 const char **error_r)
{
	(void)pb_msg_set_shard_key(req, pb_shard_key(k));
	return pb_client_call(t, req, rep_r, error_r);
}

int pb_client_broadcast(struct pb_sync *t, struct pb_msg *req, pb_client_each_fn *each,
			void *ctx, uint32_t *code_r, const char **error_r)
{
	uint32_t shards = 1, code = PB_OK;
	int rc = 0;

	for (uint32_t k = 0; rc == 0 && code == PB_OK && k < shards; k++) {
		struct pb_msg one, rep;
		if (pb_msg_copy(req, &one) < 0) {
			*error_r = "request too large";
			rc = -1;
			break;
		}
		if (pb_client_call_shard(t, &one, k, &rep, error_r) < 0) {
			rc = -1;
			break;
		}
		code = pb_client_reply(&rep, req->type, error_r);
		if (code == PB_OK)
			code = each(ctx, &rep, &shards, error_r);
		pb_client_done(t, &rep, code, code_r, error_r);
	}
	pb_msg_free(req);
	return rc;
}

void pb_client_fanout_sent(struct pb_client_fanout *f)
{
	f->waiting++;
}

uint32_t pb_client_fanout_answer(struct pb_client_fanout *f, uint32_t k, bool ok,
				 uint32_t shards)
{
	if (f->waiting > 0)
		f->waiting--;
	if (!ok) {
		f->failed = true;
		return 0;
	}
	if (k != 0 || f->shards != 0)
		return 0;
	f->shards = shards > PB_MAX_SHARDS_PER_OWNER ? PB_MAX_SHARDS_PER_OWNER : shards;
	return f->shards > 0 ? f->shards - 1 : 0;
}

bool pb_client_fanout_done(const struct pb_client_fanout *f)
{
	return f->waiting == 0;
}

int pb_shard_sum_set(struct pb_shard_sum *sum, uint32_t k, uint32_t shards,
		     const uint64_t *vals, size_t n, uint64_t *sums_r)
{
	if (shards == 0 || shards > PB_MAX_SHARDS_PER_OWNER || k >= shards ||
	    n > PB_SHARD_SUM_FIELDS)
		return -1;
	sum->shards = shards;
	for (size_t f = 0; f < n; f++) {
		sum->v[k][f] = vals[f];
		sums_r[f] = 0;
		for (uint32_t i = 0; i < shards; i++)
			sums_r[f] += sum->v[i][f];
	}
	return 0;
}
