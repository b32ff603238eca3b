/*
 * collector-client.c: the mail collectors' typed client (see collector-client.h).
 * OWNS: nothing. THREAD: the caller's.
 */
#include "collector-client.h"

#include "pb-alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int collector_client_op(struct pb_sync *t, const char *op, const char *name,
			const char *const *args, size_t nargs, uint32_t *code_r,
			const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_COLLECTOR_OP_REQ);
	req.u.collector_op_req.op = xstrdup(op);
	req.u.collector_op_req.name = xstrdup(name);
	req.u.collector_op_req.by = pb_client_by_dup();
	for (size_t i = 0; i < nargs; i++)
		pb_strv_push(&req.u.collector_op_req.args, args[i]);
	int rc = pb_client_call_status(t, &req, code_r, error_r);
	return rc;
}

int collector_client_list(struct pb_sync *t, const char *name, uint32_t *code_r,
			  struct pb_strv *items_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_COLLECTOR_LIST_REQ);
	req.u.collector_list_req.name = xstrdup(name != NULL ? name : "");
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_COLLECTOR_LIST_REQ, error_r);
	if (code == PB_OK) {
		*items_r = rep.u.collector_list_rep.items;
		memset(&rep.u.collector_list_rep.items, 0, sizeof(*items_r));
	}
	return pb_client_done(t, &rep, code, code_r, error_r);
}

static void run_build(struct pb_msg *m, const char *name, int64_t now_ms, const char *method)
{
	pb_msg_init(m, MSG_CWORK_RUN_REQ);
	m->u.cwork_run_req.key = 0;
	m->u.cwork_run_req.name = xstrdup(name);
	m->u.cwork_run_req.now_ms = now_ms;
	m->u.cwork_run_req.method = xstrdup(method != NULL ? method : "");
}

uint32_t collector_client_run_reply(const struct pb_msg *rep, struct collector_client_result *out_r,
				    const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_CWORK_RUN_REQ, error_r);

	if (code == PB_OK && rep->type == MSG_CWORK_RUN_REP) {
		const struct msg_cwork_run_rep *r = &rep->u.cwork_run_rep;
		*out_r = (struct collector_client_result){ r->fetched, r->too_big, r->deleted,
							   r->waiting };
	}
	return code;
}

int collector_client_run(struct pb_sync *t, const char *name, int64_t now_ms, uint32_t *code_r,
			 struct collector_client_result *out_r, const char **error_r)
{
	struct pb_msg req, rep;

	run_build(&req, name, now_ms, "");
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = collector_client_run_reply(&rep, out_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int collector_client_run_send(const struct pb_sender *tx, const char *name, int64_t now_ms,
			      const char *method, const char **error_r)
{
	struct pb_msg m;

	run_build(&m, name, now_ms, method);
	return pb_client_send(tx, &m, error_r);
}

bool collector_fetch_address(const char *local, char *token_r)
{
	size_t plen = strlen(COLLECTOR_FETCH_PREFIX);

	if (strncasecmp(local, COLLECTOR_FETCH_PREFIX, plen) != 0)
		return false;
	const char *t = local + plen;
	size_t n = strlen(t);
	if (n != COLLECTOR_FETCH_TOKEN_SIZE - 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i] >= 'A' && t[i] <= 'F' ? (char)(t[i] - 'A' + 'a') : t[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		token_r[i] = c;
	}
	token_r[n] = '\0';
	return true;
}

int collector_client_reply(struct pb_sync *t, const char *token, uint64_t user_id,
			   uint32_t *code_r, const char **error_r)
{
	char id[24];

	snprintf(id, sizeof(id), "%" PRIu64, user_id);
	const char *args[2] = { token, id };
	return collector_client_op(t, "reply", "", args, 2, code_r, error_r);
}
