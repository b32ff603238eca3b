/*
 * router-client.c: the router's typed client (see router-client.h).
 * OWNS nothing. THREAD: the caller's.
 */
#include "router-client.h"

#include "pb-alloc.h"

static char *dup_or_empty(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

int router_client_resolve_send(const struct pb_sender *tx, uint64_t key,
			       const struct router_client_entry *e, const char **error_r)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_ROUTER_RESOLVE_REQ);
	struct msg_router_resolve_req *q = &m.u.router_resolve_req;
	q->key = key;
	q->sender = dup_or_empty(e->sender);
	q->size = e->size;
	q->msgid = dup_or_empty(e->msgid);
	for (size_t i = 0; i < e->n; i++) {
		pb_strv_push(&q->rcpts, e->rcpts[i]);
		pb_u64v_push(&q->rcpt_ids, e->ids[i]);
	}
	q->origin = e->origin;
	q->collector = dup_or_empty(e->collector);
	q->blob_key = dup_or_empty(e->blob_key);
	return pb_client_send(tx, &m, error_r);
}

uint32_t router_client_resolve_reply(const struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_ROUTER_RESOLVE_REQ, error_r);
}
