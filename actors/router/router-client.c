/*
 * router-client.c: the router's typed client (see router-client.h).
 * OWNS nothing. THREAD: the caller's.
 */
#include "router-client.h"

#include "pb-alloc.h"

int router_client_resolve_send(const struct pb_sender *tx, uint64_t key, const char *sender,
			       uint64_t size, const char *msgid, uint8_t origin, char *const *rcpts,
			       const uint64_t *ids, size_t n, const char **error_r)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_ROUTER_RESOLVE_REQ);
	struct msg_router_resolve_req *q = &m.u.router_resolve_req;
	q->key = key;
	q->sender = xstrdup(sender != NULL ? sender : "");
	q->size = size;
	q->origin = origin;
	q->msgid = xstrdup(msgid != NULL ? msgid : "");
	for (size_t i = 0; i < n; i++) {
		pb_strv_push(&q->rcpts, rcpts[i]);
		pb_u64v_push(&q->rcpt_ids, ids[i]);
	}
	return pb_client_send(tx, &m, error_r);
}

uint32_t router_client_resolve_reply(const struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_ROUTER_RESOLVE_REQ, error_r);
}
