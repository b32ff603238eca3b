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

/* ROUTER_COPY_INBOX_REQ for name, keyed by its name (FNV-1a, any case). */
static void copy_inbox_build(struct pb_msg *m, const char *name, uint32_t uid_first)
{
	uint64_t h = 14695981039346656037ull;

	for (const char *p = name != NULL ? name : ""; *p != '\0'; p++)
		h = (h ^ (uint64_t)(unsigned char)(*p | 0x20)) * 1099511628211ull;
	pb_msg_init(m, MSG_ROUTER_COPY_INBOX_REQ);
	m->u.router_copy_inbox_req.key = h;
	m->u.router_copy_inbox_req.name = dup_or_empty(name);
	m->u.router_copy_inbox_req.uid_first = uid_first;
}

int router_client_copy_inbox_send(const struct pb_sender *tx, const char *name,
				  uint32_t uid_first, const char **error_r)
{
	struct pb_msg m;

	copy_inbox_build(&m, name, uid_first);
	return pb_client_send(tx, &m, error_r);
}

uint32_t router_client_copy_inbox_reply(const struct pb_msg *rep,
					struct router_copy_inbox_done *out_r, const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_ROUTER_COPY_INBOX_REQ, error_r);
	if (code == PB_OK)
		*out_r = (struct router_copy_inbox_done){ rep->u.router_copy_inbox_rep.copied,
							  rep->u.router_copy_inbox_rep.skipped,
							  rep->u.router_copy_inbox_rep.next_uid };
	return code;
}

int router_client_copy_inbox(struct pb_sync *t, const char *name, uint32_t uid_first,
			     uint32_t *code_r, struct router_copy_inbox_done *out_r,
			     const char **error_r)
{
	struct pb_msg req, rep;

	copy_inbox_build(&req, name, uid_first);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = router_client_copy_inbox_reply(&rep, out_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}
