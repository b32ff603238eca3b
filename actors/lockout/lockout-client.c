/*
 * lockout-client.c: the lockout guard's typed client stub (see lockout-client.h).
 * OWNS nothing. THREAD: the caller's.
 */
#include "lockout-client.h"

#include <string.h>

static char *dup_or_empty(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

static void build_check_ip(struct pb_msg *m, const char *ip)
{
	pb_msg_init(m, MSG_LOCKOUT_CHECK_IP_REQ);
	m->u.lockout_check_ip_req.ip = dup_or_empty(ip);
}

static void build_login(struct pb_msg *m, const char *ip, const char *user, const char *protocol,
			uint8_t result)
{
	pb_msg_init(m, MSG_LOCKOUT_LOGIN_REQ);
	struct msg_lockout_login_req *q = &m->u.lockout_login_req;
	q->ip = dup_or_empty(ip);
	q->user = dup_or_empty(user);
	q->protocol = dup_or_empty(protocol);
	q->result = result;
}

int lockout_client_check_ip(struct pb_sync *t, const char *ip, uint32_t *code_r, bool *blocked_r,
			    int64_t *until_ms_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_check_ip(&req, ip);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = lockout_client_check_ip_reply(&rep, blocked_r, until_ms_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int lockout_client_check_ip_send(const struct pb_sender *s, const char *ip, const char **error_r)
{
	struct pb_msg req;

	build_check_ip(&req, ip);
	return pb_client_send(s, &req, error_r);
}

uint32_t lockout_client_check_ip_reply(struct pb_msg *rep, bool *blocked_r, int64_t *until_ms_r,
				       const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_LOCKOUT_CHECK_IP_REQ, error_r);

	if (code == PB_OK) {
		*blocked_r = rep->u.lockout_check_ip_rep.blocked != 0;
		*until_ms_r = rep->u.lockout_check_ip_rep.until_ms;
	}
	return code;
}

int lockout_client_login(struct pb_sync *t, const char *ip, const char *user, const char *protocol,
			 uint8_t result, uint32_t *code_r, struct lockout_login_answer *a_r,
			 const char **error_r)
{
	struct pb_msg req, rep;

	build_login(&req, ip, user, protocol, result);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = lockout_client_login_reply(&rep, a_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int lockout_client_login_send(const struct pb_sender *s, const char *ip, const char *user,
			      const char *protocol, uint8_t result, const char **error_r)
{
	struct pb_msg req;

	build_login(&req, ip, user, protocol, result);
	return pb_client_send(s, &req, error_r);
}

uint32_t lockout_client_login_reply(struct pb_msg *rep, struct lockout_login_answer *a_r,
				    const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_LOCKOUT_LOGIN_REQ, error_r);
	const struct msg_lockout_login_rep *r = &rep->u.lockout_login_rep;

	if (code == PB_OK)
		*a_r = (struct lockout_login_answer){ .locked = r->locked != 0,
						      .blocked = r->blocked != 0,
						      .until_ms = r->until_ms };
	return code;
}

int lockout_client_intrusion_send(const struct pb_sender *s, const char *ip, const char *protocol,
				  uint8_t event, uint32_t count, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_LOCKOUT_INTRUSION_REQ);
	struct msg_lockout_intrusion_req *q = &req.u.lockout_intrusion_req;
	q->ip = dup_or_empty(ip);
	q->protocol = dup_or_empty(protocol);
	q->event = event;
	q->count = count;
	return pb_client_send(s, &req, error_r);
}

uint32_t lockout_client_intrusion_reply(struct pb_msg *rep, bool *blocked_r, int64_t *until_ms_r,
					const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_LOCKOUT_INTRUSION_REQ, error_r);

	if (code == PB_OK) {
		*blocked_r = rep->u.lockout_intrusion_rep.blocked != 0;
		*until_ms_r = rep->u.lockout_intrusion_rep.until_ms;
	}
	return code;
}

int lockout_client_list(struct pb_sync *t, uint32_t *code_r, struct pb_rec_lockout_lock_list *locks_r,
			struct pb_rec_lockout_block_list *blocks_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_LOCKOUT_LIST_REQ);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = lockout_client_list_reply(&rep, locks_r, blocks_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int lockout_client_list_send(const struct pb_sender *s, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_LOCKOUT_LIST_REQ);
	return pb_client_send(s, &req, error_r);
}

uint32_t lockout_client_list_reply(struct pb_msg *rep, struct pb_rec_lockout_lock_list *locks_r,
				   struct pb_rec_lockout_block_list *blocks_r, const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_LOCKOUT_LIST_REQ, error_r);

	if (code == PB_OK) {
		pb_rec_lockout_lock_list_move(locks_r, &rep->u.lockout_list_rep.locks);
		pb_rec_lockout_block_list_move(blocks_r, &rep->u.lockout_list_rep.blocks);
	}
	return code;
}

static void build_unlock(struct pb_msg *req, const char *user, const char *ip)
{
	pb_msg_init(req, MSG_LOCKOUT_UNLOCK_REQ);
	req->u.lockout_unlock_req.user = dup_or_empty(user);
	req->u.lockout_unlock_req.ip = dup_or_empty(ip);
}

int lockout_client_unlock(struct pb_sync *t, const char *user, const char *ip, uint32_t *code_r,
			  const char **error_r)
{
	struct pb_msg req;

	build_unlock(&req, user, ip);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int lockout_client_unlock_send(const struct pb_sender *s, const char *user, const char *ip,
			       const char **error_r)
{
	struct pb_msg req;

	build_unlock(&req, user, ip);
	return pb_client_send(s, &req, error_r);
}

uint32_t lockout_client_unlock_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_LOCKOUT_UNLOCK_REQ, error_r);
}

int lockout_client_lock(struct pb_sync *t, const char *user, uint32_t minutes, uint32_t *code_r,
			const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_LOCKOUT_LOCK_REQ);
	req.u.lockout_lock_req.user = dup_or_empty(user);
	req.u.lockout_lock_req.minutes = minutes;
	return pb_client_call_status(t, &req, code_r, error_r);
}

int lockout_client_block_add(struct pb_sync *t, const char *net, uint32_t minutes,
			     const char *reason, uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_LOCKOUT_BLOCK_ADD_REQ);
	req.u.lockout_block_add_req.net = dup_or_empty(net);
	req.u.lockout_block_add_req.minutes = minutes;
	req.u.lockout_block_add_req.reason = dup_or_empty(reason);
	req.u.lockout_block_add_req.by = pb_client_by_dup();
	return pb_client_call_status(t, &req, code_r, error_r);
}

int lockout_client_block_del(struct pb_sync *t, const char *net, uint32_t *code_r,
			     const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_LOCKOUT_BLOCK_DEL_REQ);
	req.u.lockout_block_del_req.net = dup_or_empty(net);
	req.u.lockout_block_del_req.by = pb_client_by_dup();
	return pb_client_call_status(t, &req, code_r, error_r);
}

int lockout_client_user(struct pb_sync *t, const char *user, uint32_t *code_r,
			struct pb_rec_lockout_lock_list *locks_r,
			struct pb_rec_login_event_list *logins_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_LOCKOUT_USER_REQ);
	req.u.lockout_user_req.user = dup_or_empty(user);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_LOCKOUT_USER_REQ, error_r);
	if (code == PB_OK) {
		pb_rec_lockout_lock_list_move(locks_r, &rep.u.lockout_user_rep.locks);
		pb_rec_login_event_list_move(logins_r, &rep.u.lockout_user_rep.logins);
	}
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int lockout_client_stats(struct pb_sync *t, uint32_t *code_r,
			 struct pb_rec_login_stat_list *logins_r, uint64_t *locks_r,
			 uint64_t *blocks_r, const char **error_r)
{
	struct pb_msg req, rep;

	pb_msg_init(&req, MSG_LOCKOUT_STATS_REQ);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = pb_client_reply(&rep, MSG_LOCKOUT_STATS_REQ, error_r);
	if (code == PB_OK) {
		pb_rec_login_stat_list_move(logins_r, &rep.u.lockout_stats_rep.logins);
		*locks_r = rep.u.lockout_stats_rep.locks;
		*blocks_r = rep.u.lockout_stats_rep.blocks;
	}
	return pb_client_done(t, &rep, code, code_r, error_r);
}
