/*
 * maint-client.c: the maintenance actor's typed client stub (see maint-client.h).
 * OWNS nothing. THREAD: the caller's.
 */
#include "maint-client.h"

int maint_client_run(struct pb_sync *t, uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_MAINT_RUN_REQ);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int maint_client_run_send(const struct pb_sender *s, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_MAINT_RUN_REQ);
	return pb_client_send(s, &req, error_r);
}

uint32_t maint_client_run_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_MAINT_RUN_REQ, error_r);
}
