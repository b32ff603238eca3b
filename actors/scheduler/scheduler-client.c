/*
 * scheduler-client.c: the scheduler's typed client stub (see scheduler-client.h).
 * OWNS nothing. THREAD: the caller's.
 */
#include "scheduler-client.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_empty(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

/* Fills the fields ADD and SET share (name, send, collectors, rules: borrowed, copied). */
static void fill_method(char **name_r, uint8_t *send_r, struct pb_strv *coll_r,
			struct pb_rec_sched_rule_list *rules_r, const char *name, bool send,
			const struct pb_strv *collectors, const struct pb_rec_sched_rule_list *rules)
{
	*name_r = dup_or_empty(name);
	*send_r = send ? 1 : 0;
	for (uint32_t i = 0; collectors != NULL && i < collectors->n; i++)
		pb_strv_push(coll_r, collectors->v[i]);
	for (uint32_t i = 0; i < rules->n; i++)
		*pb_rec_sched_rule_push(rules_r) = rules->v[i];
}

int scheduler_client_add(struct pb_sync *t, const char *name, bool send,
			 const struct pb_strv *collectors, const struct pb_rec_sched_rule_list *rules,
			 uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_SCHED_ADD_REQ);
	struct msg_sched_add_req *q = &req.u.sched_add_req;
	fill_method(&q->name, &q->send, &q->collectors, &q->rules, name, send, collectors, rules);
	q->by = pb_client_by_dup();
	return pb_client_call_status(t, &req, code_r, error_r);
}

int scheduler_client_set(struct pb_sync *t, const char *name, bool send,
			 const struct pb_strv *collectors, const struct pb_rec_sched_rule_list *rules,
			 uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_SCHED_SET_REQ);
	struct msg_sched_set_req *q = &req.u.sched_set_req;
	fill_method(&q->name, &q->send, &q->collectors, &q->rules, name, send, collectors, rules);
	q->by = pb_client_by_dup();
	return pb_client_call_status(t, &req, code_r, error_r);
}

int scheduler_client_del(struct pb_sync *t, const char *name, uint32_t *code_r,
			 const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_SCHED_DEL_REQ);
	req.u.sched_del_req.name = dup_or_empty(name);
	req.u.sched_del_req.by = pb_client_by_dup();
	return pb_client_call_status(t, &req, code_r, error_r);
}

int scheduler_client_list(struct pb_sync *t, const char *name, uint32_t *code_r,
			  struct pb_rec_sched_method_list *methods_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_SCHED_LIST_REQ);
	req.u.sched_list_req.name = dup_or_empty(name);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = scheduler_client_list_reply(&rep, methods_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int scheduler_client_list_send(const struct pb_sender *s, const char *name, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_SCHED_LIST_REQ);
	req.u.sched_list_req.name = dup_or_empty(name);
	return pb_client_send(s, &req, error_r);
}

uint32_t scheduler_client_list_reply(struct pb_msg *rep, struct pb_rec_sched_method_list *methods_r,
				     const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_SCHED_LIST_REQ, error_r);

	if (code == PB_OK)
		pb_rec_sched_method_list_move(methods_r, &rep->u.sched_list_rep.methods);
	return code;
}

static void control_req(struct pb_msg *req, const char *name, uint8_t what)
{
	pb_msg_init(req, MSG_SCHED_CONTROL_REQ);
	req->u.sched_control_req.name = dup_or_empty(name);
	req->u.sched_control_req.what = what;
	req->u.sched_control_req.by = pb_client_by_dup();
}

int scheduler_client_control(struct pb_sync *t, const char *name, uint8_t what, uint32_t *code_r,
			     const char **error_r)
{
	struct pb_msg req;

	control_req(&req, name, what);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int scheduler_client_control_send(const struct pb_sender *s, const char *name, uint8_t what,
				  const char **error_r)
{
	struct pb_msg req;

	control_req(&req, name, what);
	return pb_client_send(s, &req, error_r);
}

uint32_t scheduler_client_control_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_SCHED_CONTROL_REQ, error_r);
}

/* Sends req through s to the address `to` (pb_client_send routes by owner, and "jobs" is no
 * actor). Frees req. */
static int send_to(const struct pb_sender *s, const char *to, struct pb_msg *req,
		   const char **error_r)
{
	int rc = s->send(s->ctx, to, req, error_r);

	pb_msg_free(req);
	return rc;
}

int scheduler_client_run_send(const struct pb_sender *s, const char *to, const char *method,
			      const char *kind, const char *job, uint32_t deadline_ms,
			      const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_SCHED_RUN_REQ);
	struct msg_sched_run_req *q = &req.u.sched_run_req;
	q->method = dup_or_empty(method);
	q->kind = dup_or_empty(kind);
	q->job = dup_or_empty(job);
	q->deadline_ms = deadline_ms;
	return send_to(s, to, &req, error_r);
}

uint32_t scheduler_client_run_reply(struct pb_msg *rep, const char **summary_r,
				    const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_SCHED_RUN_REQ, error_r);

	*summary_r = rep->type == MSG_SCHED_RUN_REP && rep->u.sched_run_rep.summary != NULL
			     ? rep->u.sched_run_rep.summary
			     : "";
	return code;
}

int scheduler_client_waiting_send(const struct pb_sender *s, const char *to, const char *method,
				  const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_SCHED_WAITING_REQ);
	req.u.sched_waiting_req.method = dup_or_empty(method);
	return send_to(s, to, &req, error_r);
}

uint32_t scheduler_client_waiting_reply(struct pb_msg *rep, uint64_t *waiting_r,
					const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_SCHED_WAITING_REQ, error_r);

	if (code == PB_OK)
		*waiting_r = rep->u.sched_waiting_rep.waiting;
	return code;
}

void scheduler_job_run_answer(struct pb_msg *rep_r, uint32_t code, const char *error,
			      const char *summary)
{
	pb_msg_init(rep_r, MSG_SCHED_RUN_REP);
	rep_r->u.sched_run_rep.code = code;
	rep_r->u.sched_run_rep.error = dup_or_empty(error);
	rep_r->u.sched_run_rep.summary = dup_or_empty(summary);
}

void scheduler_job_waiting_answer(struct pb_msg *rep_r, uint32_t code, const char *error,
				  uint64_t waiting)
{
	pb_msg_init(rep_r, MSG_SCHED_WAITING_REP);
	rep_r->u.sched_waiting_rep.code = code;
	rep_r->u.sched_waiting_rep.error = dup_or_empty(error);
	rep_r->u.sched_waiting_rep.waiting = waiting;
}

void scheduler_job_keep(struct pb_actor *a, const struct pb_msg *req,
			struct scheduler_job_waiter *w_r)
{
	w_r->corr = req->corr;
	w_r->reply_to = dup_or_empty(req->reply_to);
	w_r->method = dup_or_empty(req->type == MSG_SCHED_RUN_REQ ? req->u.sched_run_req.method
								  : NULL);
	pb_actor_defer_reply(a);
}

void scheduler_job_answer(struct pb_actor *a, struct scheduler_job_waiter *w, uint32_t code,
			  const char *error, const char *summary)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_SCHED_RUN_REQ);
	req.corr = w->corr;
	req.reply_to = w->reply_to;
	scheduler_job_run_answer(&rep, code, error, summary);
	(void)pb_reply(a, &req, &rep); /* the scheduler may have ended the run: nothing to do */
	pb_msg_free(&rep);
	req.reply_to = NULL;
	pb_msg_free(&req);
	free(w->reply_to);
	free(w->method);
	memset(w, 0, sizeof(*w));
}
