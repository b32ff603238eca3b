/*
 * statushub-client.c: the status hub's typed client stub (see statushub-client.h).
 * OWNS nothing. THREAD: the caller's.
 */
#include "statushub-client.h"

#include "pb-alloc.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static char *dup_or_empty(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

/* Casts m to the hub and frees it. */
static int cast_free(struct pb_runtime *rt, struct pb_msg *m)
{
	const char *error;
	int rc = pb_cast(rt, STATUSHUB_NAME, m, &error);

	pb_msg_free(m);
	return rc;
}

int statushub_client_activity(struct pb_runtime *rt, const char *fmt, ...)
{
	struct pb_msg m;
	va_list ap;

	pb_msg_init(&m, MSG_STATUS_ACTIVITY_EVT);
	m.u.status_activity_evt.time_ms = (int64_t)pb_clock_wall_ms();
	va_start(ap, fmt);
	if (vasprintf(&m.u.status_activity_evt.text, fmt, ap) < 0)
		m.u.status_activity_evt.text = NULL;
	va_end(ap);
	return cast_free(rt, &m);
}

int statushub_client_conn(struct pb_runtime *rt, const struct statushub_conn *c)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_STATUS_CONN_EVT);
	m.u.status_conn_evt.method = dup_or_empty(c->method);
	m.u.status_conn_evt.running = c->running;
	m.u.status_conn_evt.jobs_left = c->jobs_left;
	m.u.status_conn_evt.last_result = dup_or_empty(c->last_result);
	m.u.status_conn_evt.last_end_ms = c->last_end_ms;
	m.u.status_conn_evt.next_due_ms = c->next_due_ms;
	return cast_free(rt, &m);
}

int statushub_client_queue(struct pb_runtime *rt, uint32_t shard, uint32_t shards,
			   uint64_t entries, uint64_t held, uint64_t sending)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_STATUS_QUEUE_EVT);
	m.u.status_queue_evt.shard = shard;
	m.u.status_queue_evt.shards = shards;
	m.u.status_queue_evt.entries = entries;
	m.u.status_queue_evt.held = held;
	m.u.status_queue_evt.sending = sending;
	return cast_free(rt, &m);
}

static int progress_cast(struct pb_runtime *rt, const struct statushub_progress *p, bool final)
{
	struct pb_msg m;
	const char *error;

	pb_msg_init(&m, MSG_STATUS_PROGRESS_EVT);
	struct msg_status_progress_evt *e = &m.u.status_progress_evt;
	e->method = dup_or_empty(p->method);
	e->kind = dup_or_empty(p->kind);
	e->job = dup_or_empty(p->job);
	e->done = p->done;
	e->total = p->total;
	e->bytes = p->bytes;
	e->final = final;
	int rc = pb_cast(rt, STATUSHUB_NAME, &m, &error);
	for (int i = 1; rc < 0 && final && i < STATUSHUB_PROGRESS_FINAL_TRIES; i++) {
		/* the hub's inbox is full: it drains; the last word of a job is worth a wait */
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		rc = pb_cast(rt, STATUSHUB_NAME, &m, &error);
	}
	pb_msg_free(&m);
	return rc;
}

void statushub_progress_json(void *o, const struct pb_rec_status_progress *p)
{
	cJSON_AddStringToObject(o, "method", p->method);
	cJSON_AddStringToObject(o, "kind", p->kind);
	cJSON_AddStringToObject(o, "job", p->job);
	cJSON_AddNumberToObject(o, "done", (double)p->done);
	cJSON_AddNumberToObject(o, "total", (double)p->total);
	cJSON_AddNumberToObject(o, "bytes", (double)p->bytes);
}

int statushub_client_progress(struct pb_runtime *rt, struct statushub_progress *p, bool final)
{
	const uint64_t full = (uint64_t)STATUSHUB_PROGRESS_BURST * STATUSHUB_PROGRESS_MS;
	uint64_t now = pb_clock_monotonic_ms(NULL);

	p->credit_ms = p->last_ms == 0 ? full : p->credit_ms + (now - p->last_ms);
	if (p->credit_ms > full)
		p->credit_ms = full;
	p->last_ms = now != 0 ? now : 1;
	if (!final && p->credit_ms < STATUSHUB_PROGRESS_MS)
		return 0;
	if (progress_cast(rt, p, final) < 0)
		return final ? -1 : 0;
	p->credit_ms -= p->credit_ms < STATUSHUB_PROGRESS_MS ? p->credit_ms : STATUSHUB_PROGRESS_MS;
	return 1;
}

int statushub_client_inbox(struct pb_runtime *rt, uint64_t user_id, uint64_t messages)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_STATUS_INBOX_EVT);
	m.u.status_inbox_evt.user_id = user_id;
	m.u.status_inbox_evt.messages = messages;
	return cast_free(rt, &m);
}

int statushub_client_session_send(const struct pb_sender *s, const char *addr, const char *user,
				  bool receive_im, const struct pb_strv *topics,
				  const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_STATUS_SESSION_REQ);
	req.u.status_session_req.addr = dup_or_empty(addr);
	req.u.status_session_req.user = dup_or_empty(user);
	req.u.status_session_req.receive_im = receive_im;
	for (uint32_t i = 0; topics != NULL && i < topics->n; i++)
		pb_strv_push(&req.u.status_session_req.topics, topics->v[i]);
	return pb_client_send(s, &req, error_r);
}

uint32_t statushub_client_session_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_STATUS_SESSION_REQ, error_r);
}

int statushub_client_session_end(const struct pb_sender *s, const char *addr,
				 const char **error_r)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_STATUS_SESSION_END_EVT);
	m.u.status_session_end_evt.addr = dup_or_empty(addr);
	return pb_client_send(s, &m, error_r);
}

int statushub_client_log_send(const struct pb_sender *s, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_STATUS_LOG_REQ);
	return pb_client_send(s, &req, error_r);
}

uint32_t statushub_client_log_reply(struct pb_msg *rep, struct statushub_figures *f_r,
				    const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_STATUS_LOG_REQ, error_r);

	if (code != PB_OK)
		return code;
	pb_rec_status_item_list_move(&f_r->items, &rep->u.status_log_rep.items);
	f_r->uptime_ms = rep->u.status_log_rep.uptime_ms;
	f_r->sessions = rep->u.status_log_rep.sessions;
	pb_rec_status_progress_list_move(&f_r->progress, &rep->u.status_log_rep.progress);
	f_r->sending = rep->u.status_log_rep.sending;
	return code;
}

int statushub_client_im_send(const struct pb_sender *s, const char *from, const char *to,
			     const char *text, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_STATUS_IM_REQ);
	req.u.status_im_req.from = dup_or_empty(from);
	req.u.status_im_req.to = dup_or_empty(to);
	req.u.status_im_req.text = dup_or_empty(text);
	return pb_client_send(s, &req, error_r);
}

uint32_t statushub_client_im_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_STATUS_IM_REQ, error_r);
}

int statushub_client_push(struct pb_runtime *rt, const char *addr, const char *topic,
			  const char *json, const char **error_r)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_STATUS_PUSH_EVT);
	m.u.status_push_evt.topic = dup_or_empty(topic);
	m.u.status_push_evt.json = dup_or_empty(json);
	int rc = pb_cast(rt, addr, &m, error_r);
	pb_msg_free(&m);
	return rc;
}

int statushub_client_apikey_add(struct pb_sync *t, const char *label, const char *permissions,
				uint32_t *code_r, char **key_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_STATUS_APIKEY_ADD_REQ);
	req.u.status_apikey_add_req.label = dup_or_empty(label);
	req.u.status_apikey_add_req.permissions = dup_or_empty(permissions);
	req.u.status_apikey_add_req.by = pb_client_by_dup();
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_STATUS_APIKEY_ADD_REQ, error_r);
	if (code == PB_OK) {
		*key_r = rep.u.status_apikey_add_rep.key;
		rep.u.status_apikey_add_rep.key = NULL;
	}
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int statushub_client_apikey_list(struct pb_sync *t, uint32_t *code_r,
				 struct pb_rec_status_apikey_list *keys_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_STATUS_APIKEY_LIST_REQ);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_STATUS_APIKEY_LIST_REQ, error_r);
	if (code == PB_OK)
		pb_rec_status_apikey_list_move(keys_r, &rep.u.status_apikey_list_rep.keys);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int statushub_client_apikey_del(struct pb_sync *t, const char *label, uint32_t *code_r,
				const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_STATUS_APIKEY_DEL_REQ);
	req.u.status_apikey_del_req.label = dup_or_empty(label);
	req.u.status_apikey_del_req.by = pb_client_by_dup();
	return pb_client_call_status(t, &req, code_r, error_r);
}

int statushub_client_apikey_check_send(const struct pb_sender *s, const char *key,
				       const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_STATUS_APIKEY_CHECK_REQ);
	req.u.status_apikey_check_req.key = dup_or_empty(key);
	return pb_client_send(s, &req, error_r);
}

uint32_t statushub_client_apikey_check_reply(struct pb_msg *rep, char **label_r, char **perms_r,
					     const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_STATUS_APIKEY_CHECK_REQ, error_r);

	if (code != PB_OK)
		return code;
	*label_r = rep->u.status_apikey_check_rep.label;
	*perms_r = rep->u.status_apikey_check_rep.permissions;
	rep->u.status_apikey_check_rep.label = NULL;
	rep->u.status_apikey_check_rep.permissions = NULL;
	return code;
}
