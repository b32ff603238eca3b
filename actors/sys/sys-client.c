/*
 * sys-client.c: the node actor's typed client stub (see sys-client.h).
 * OWNS nothing. THREAD: the caller's.
 */
#include "sys-client.h"

#include <string.h>

static void build_setting_get(struct pb_msg *m, const char *key)
{
	pb_msg_init(m, MSG_SYS_SETTING_GET_REQ);
	m->u.sys_setting_get_req.key = xstrdup(key != NULL ? key : "");
}

static void build_setting_put(struct pb_msg *m, const char *key, const char *json,
			      const char *by)
{
	pb_msg_init(m, MSG_SYS_SETTING_PUT_REQ);
	m->u.sys_setting_put_req.key = xstrdup(key != NULL ? key : "");
	m->u.sys_setting_put_req.json = xstrdup(json != NULL ? json : "");
	m->u.sys_setting_put_req.by = xstrdup(by != NULL ? by : "");
}

void sys_status_free(struct sys_status *st)
{
	free(st->version);
	pb_rec_actor_stat_list_clear(&st->actors);
	pb_rec_listener_list_clear(&st->listeners);
	pb_rec_service_stat_list_clear(&st->services);
	pb_rec_log_line_list_clear(&st->recent);
	pb_rec_tls_cert_list_clear(&st->tls);
	pb_rec_latency_list_clear(&st->latency);
	pb_rec_refusal_list_clear(&st->refusals);
	pb_rec_inbox_stat_list_clear(&st->hubs);
	pb_rec_source_count_list_clear(&st->received_by);
	memset(st, 0, sizeof(*st));
}

int sys_client_status(struct pb_sync *t, uint32_t *code_r, struct sys_status *st_r,
		      const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_SYS_STATUS_REQ);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = sys_client_status_reply(&rep, st_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int sys_client_status_send(const struct pb_sender *s, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_SYS_STATUS_REQ);
	return pb_client_send(s, &req, error_r);
}

uint32_t sys_client_status_reply(struct pb_msg *rep, struct sys_status *st_r, const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_SYS_STATUS_REQ, error_r);
	struct msg_sys_status_rep *r = &rep->u.sys_status_rep;

	if (code != PB_OK)
		return code;
	st_r->version = r->version != NULL ? r->version : xstrdup("");
	r->version = NULL;
	st_r->uptime_ms = r->uptime_ms;
	st_r->store_bytes = r->store_bytes;
	st_r->users = r->users;
	st_r->domains = r->domains;
	pb_rec_actor_stat_list_move(&st_r->actors, &r->actors);
	pb_rec_listener_list_move(&st_r->listeners, &r->listeners);
	pb_rec_service_stat_list_move(&st_r->services, &r->services);
	pb_rec_log_line_list_move(&st_r->recent, &r->recent);
	pb_rec_tls_cert_list_move(&st_r->tls, &r->tls);
	pb_rec_latency_list_move(&st_r->latency, &r->latency);
	pb_rec_refusal_list_move(&st_r->refusals, &r->refusals);
	pb_rec_inbox_stat_list_move(&st_r->hubs, &r->hubs);
	pb_rec_source_count_list_move(&st_r->received_by, &r->received_by);
	st_r->received = r->received;
	st_r->rcpts_refused = r->rcpts_refused;
	st_r->rejected = r->rejected;
	st_r->delivered = r->delivered;
	st_r->deferred = r->deferred;
	st_r->delivery_failed = r->delivery_failed;
	st_r->spool_depth = r->spool_depth;
	st_r->disk_free = r->disk_free;
	st_r->storage_left = r->storage_left;
	return code;
}

int sys_client_gateway_stats_cast(struct pb_runtime *rt, struct sys_gateway_stats *st,
				  const char **error_r)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_SYS_GATEWAY_STATS_EVT);
	struct msg_sys_gateway_stats_evt *e = &m.u.sys_gateway_stats_evt;
	e->gateway = xstrdup(st->gateway);
	pb_rec_listener_list_move(&e->listeners, &st->listeners);
	pb_rec_service_stat_list_move(&e->services, &st->services);
	pb_rec_tls_cert_list_move(&e->tls, &st->tls);
	e->received = st->received;
	e->rcpts_refused = st->rcpts_refused;
	e->rejected = st->rejected;
	int rc = pb_cast(rt, NULL, &m, error_r);
	pb_msg_free(&m);
	return rc;
}

int sys_client_spool_stats_cast(struct pb_runtime *rt, const struct sys_spool_stats *st,
				const char **error_r)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_SYS_SPOOL_STATS_EVT);
	m.u.sys_spool_stats_evt = (struct msg_sys_spool_stats_evt){
		.shard = st->shard, .shards = st->shards, .depth = st->depth,
		.delivered = st->delivered, .deferred = st->deferred, .failed = st->failed };
	int rc = pb_cast(rt, NULL, &m, error_r);
	pb_msg_free(&m);
	return rc;
}

int sys_client_setting_get(struct pb_sync *t, const char *key, uint32_t *code_r, char **json_r,
			   const char **error_r)
{
	struct pb_msg req, rep;

	build_setting_get(&req, key);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = sys_client_setting_get_reply(&rep, json_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int sys_client_setting_get_send(const struct pb_sender *s, const char *key, const char **error_r)
{
	struct pb_msg req;

	build_setting_get(&req, key);
	return pb_client_send(s, &req, error_r);
}

uint32_t sys_client_setting_get_reply(struct pb_msg *rep, char **json_r, const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_SYS_SETTING_GET_REQ, error_r);

	if (code == PB_OK) {
		*json_r = rep->u.sys_setting_get_rep.json != NULL ? rep->u.sys_setting_get_rep.json
								  : xstrdup("{}");
		rep->u.sys_setting_get_rep.json = NULL;
	}
	return code;
}

int sys_client_setting_put(struct pb_sync *t, const char *key, const char *json, const char *by,
			   uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	build_setting_put(&req, key, json, by);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int sys_client_setting_put_send(const struct pb_sender *s, const char *key, const char *json,
				const char *by, const char **error_r)
{
	struct pb_msg req;

	build_setting_put(&req, key, json, by);
	return pb_client_send(s, &req, error_r);
}

uint32_t sys_client_setting_put_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_SYS_SETTING_PUT_REQ, error_r);
}

static void build_history(struct pb_msg *m, uint64_t before, uint32_t limit)
{
	pb_msg_init(m, MSG_SYS_SETTING_HISTORY_REQ);
	m->u.sys_setting_history_req.before = before;
	m->u.sys_setting_history_req.limit = limit;
}

int sys_client_setting_history(struct pb_sync *t, uint64_t before, uint32_t limit,
			       uint32_t *code_r, struct pb_rec_setting_change_list *changes_r,
			       const char **error_r)
{
	return sys_client_history(t, 0, before, limit, code_r, changes_r, error_r);
}

int sys_client_history(struct pb_sync *t, char kind, uint64_t before, uint32_t limit,
		       uint32_t *code_r, struct pb_rec_setting_change_list *changes_r,
		       const char **error_r)
{
	struct pb_msg req, rep;

	build_history(&req, before, limit);
	req.u.sys_setting_history_req.kind = (uint8_t)kind;
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = sys_client_setting_history_reply(&rep, changes_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int sys_client_setting_history_send(const struct pb_sender *s, uint64_t before, uint32_t limit,
				    const char **error_r)
{
	struct pb_msg req;

	build_history(&req, before, limit);
	return pb_client_send(s, &req, error_r);
}

uint32_t sys_client_setting_history_reply(struct pb_msg *rep,
					  struct pb_rec_setting_change_list *changes_r,
					  const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_SYS_SETTING_HISTORY_REQ, error_r);

	if (code == PB_OK) {
		*changes_r = rep->u.sys_setting_history_rep.changes;
		memset(&rep->u.sys_setting_history_rep.changes, 0, sizeof(*changes_r));
	}
	return code;
}

static void build_rollback(struct pb_msg *m, uint64_t seq, bool to_point, const char *by)
{
	pb_msg_init(m, MSG_SYS_SETTING_ROLLBACK_REQ);
	m->u.sys_setting_rollback_req.seq = seq;
	m->u.sys_setting_rollback_req.to_point = to_point ? 1 : 0;
	m->u.sys_setting_rollback_req.by = xstrdup(by != NULL ? by : "");
}

int sys_client_setting_rollback(struct pb_sync *t, uint64_t seq, bool to_point, const char *by,
				uint32_t *code_r, uint32_t *changed_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_rollback(&req, seq, to_point, by);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = sys_client_setting_rollback_reply(&rep, changed_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int sys_client_setting_rollback_send(const struct pb_sender *s, uint64_t seq, bool to_point,
				     const char *by, const char **error_r)
{
	struct pb_msg req;

	build_rollback(&req, seq, to_point, by);
	return pb_client_send(s, &req, error_r);
}

uint32_t sys_client_setting_rollback_reply(struct pb_msg *rep, uint32_t *changed_r,
					   const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_SYS_SETTING_ROLLBACK_REQ, error_r);

	if (code == PB_OK)
		*changed_r = rep->u.sys_setting_rollback_rep.changed;
	return code;
}

void sys_server_script_free(struct sys_server_script *s)
{
	free(s->source);
	free(s->path);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

int sys_client_server_script(struct pb_sync *t, enum sys_server_script_op op, const char *text,
			     const char *by, uint32_t *code_r, struct sys_server_script *out_r,
			     const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_SYS_SERVER_SCRIPT_REQ);
	req.u.sys_server_script_req.op = (uint8_t)op;
	req.u.sys_server_script_req.text = xstrdup(text != NULL ? text : "");
	req.u.sys_server_script_req.by = xstrdup(by != NULL ? by : "");
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_SYS_SERVER_SCRIPT_REQ, error_r);
	if (code == PB_OK) {
		const struct msg_sys_server_script_rep *r = &rep.u.sys_server_script_rep;
		*out_r = (struct sys_server_script){ .source = xstrdup(r->source),
						     .path = xstrdup(r->path),
						     .text = xstrdup(r->text),
						     .exists = r->exists != 0 };
	}
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int sys_client_checkpoint(struct pb_sync *t, const char *note, const char *by, uint32_t *code_r,
			  uint64_t *seq_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_SYS_CHECKPOINT_REQ);
	req.u.sys_checkpoint_req.note = xstrdup(note != NULL ? note : "");
	req.u.sys_checkpoint_req.by = xstrdup(by != NULL ? by : "");
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_SYS_CHECKPOINT_REQ, error_r);
	if (code == PB_OK)
		*seq_r = rep.u.sys_checkpoint_rep.seq;
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int sys_client_security_log(struct pb_sync *t, uint64_t before, uint32_t limit, const char *user,
			    const char *ip, uint32_t *code_r,
			    struct pb_rec_security_line_list *lines_r, uint64_t *next_r,
			    const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_SYS_SECURITY_LOG_REQ);
	req.u.sys_security_log_req.before = before;
	req.u.sys_security_log_req.limit = limit;
	req.u.sys_security_log_req.user = xstrdup(user != NULL ? user : "");
	req.u.sys_security_log_req.ip = xstrdup(ip != NULL ? ip : "");
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_SYS_SECURITY_LOG_REQ, error_r);
	if (code == PB_OK) {
		pb_rec_security_line_list_move(lines_r, &rep.u.sys_security_log_rep.lines);
		*next_r = rep.u.sys_security_log_rep.next;
	}
	return pb_client_done(t, &rep, code, code_r, error_r);
}

void sys_cert_installed_free(struct sys_cert_installed *c)
{
	free(c->cert_path);
	free(c->key_path);
	free(c->subject);
	free(c->issuer);
	free(c->names);
	free(c->sha256);
	memset(c, 0, sizeof(*c));
}

int sys_client_cert_install(struct pb_sync *t, const char *cert, const char *key, const char *by,
			    uint32_t *code_r, struct sys_cert_installed *out_r,
			    const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_SYS_CERT_INSTALL_REQ);
	req.u.sys_cert_install_req.cert = xstrdup(cert);
	req.u.sys_cert_install_req.key = xstrdup(key);
	req.u.sys_cert_install_req.by = xstrdup(by != NULL ? by : "");
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_SYS_CERT_INSTALL_REQ, error_r);
	if (code == PB_OK) {
		const struct msg_sys_cert_install_rep *r = &rep.u.sys_cert_install_rep;
		*out_r = (struct sys_cert_installed){
			.cert_path = xstrdup(r->cert_path), .key_path = xstrdup(r->key_path),
			.subject = xstrdup(r->subject),	    .issuer = xstrdup(r->issuer),
			.names = xstrdup(r->names),	    .not_after = r->not_after,
			.sha256 = xstrdup(r->sha256),	    .self_signed = r->self_signed != 0
		};
	}
	return pb_client_done(t, &rep, code, code_r, error_r);
}
