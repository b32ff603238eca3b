/*
 * directory-client-send.c: the directory's typed client stub for sending permissions (see
 * directory-client.h): an account's settings, a sender's policy, the count of a message.
 * OWNS nothing. THREAD: the caller's.
 */
#include "directory-client.h"
#include "directory-client-routes.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_empty(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

static void build_user_set(struct pb_msg *req, const char *user, const char *key,
			   const char *value, bool unset)
{
	pb_msg_init(req, MSG_DIR_USER_SET_REQ);
	req->u.dir_user_set_req.user = dup_or_empty(user);
	req->u.dir_user_set_req.key = dup_or_empty(key);
	req->u.dir_user_set_req.value = dup_or_empty(value);
	req->u.dir_user_set_req.unset = unset;
	req->u.dir_user_set_req.by = xstrdup(directory_client_by_get());
}

int directory_client_user_set(struct pb_sync *t, const char *user, const char *key,
			      const char *value, bool unset, uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	build_user_set(&req, user, key, value, unset);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int directory_client_user_set_send(const struct pb_sender *s, const char *user, const char *key,
				   const char *value, bool unset, const char **error_r)
{
	struct pb_msg req;

	build_user_set(&req, user, key, value, unset);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_user_set_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_DIR_USER_SET_REQ, error_r);
}

int directory_client_send_policy_send(const struct pb_sender *s, uint64_t user_id,
				      const char *local, const char *domain, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_DIR_SEND_POLICY_REQ);
	req.u.dir_send_policy_req.user_id = user_id;
	req.u.dir_send_policy_req.local = dup_or_empty(local);
	req.u.dir_send_policy_req.domain = dup_or_empty(domain);
	return pb_client_send(s, &req, error_r);
}

uint32_t directory_client_send_policy_reply(struct pb_msg *rep, struct directory_send_policy *p_r,
					    const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_DIR_SEND_POLICY_REQ, error_r);
	struct msg_dir_send_policy_rep *r = &rep->u.dir_send_policy_rep;

	if (code != PB_OK)
		return code;
	p_r->own_sender = r->own_sender != 0;
	p_r->send_as_any = r->send_as_any != 0;
	p_r->over = r->over;
	p_r->limit = r->limit;
	p_r->allow_bcc = r->allow_bcc != 0;
	p_r->internet_mail = r->internet_mail != 0;
	p_r->max_size_kb = r->max_size_kb;
	pb_strv_move(&p_r->forbidden, &r->forbidden);
	return code;
}

/* Takes the string *from (leaves NULL there) into *to, freeing what *to held. */
static void take_str(char **to, char **from)
{
	free(*to);
	*to = *from;
	*from = NULL;
}

void directory_client_send_policy_signature(struct pb_msg *rep,
					     struct directory_user_signature *sig_r)
{
	struct msg_dir_send_policy_rep *r = &rep->u.dir_send_policy_rep;

	take_str(&sig_r->text, &r->sig_text);
	take_str(&sig_r->html, &r->sig_html);
	take_str(&sig_r->internal_text, &r->int_sig_text);
	take_str(&sig_r->internal_html, &r->int_sig_html);
}

void directory_user_signature_clear(struct directory_user_signature *sig)
{
	free(sig->text);
	free(sig->html);
	free(sig->internal_text);
	free(sig->internal_html);
	memset(sig, 0, sizeof(*sig));
}

int directory_client_send_count_send(const struct pb_sender *s, uint64_t user_id,
				     const char **error_r)
{
	struct pb_msg m;

	pb_msg_init(&m, MSG_DIR_SEND_COUNT_EVT);
	m.u.dir_send_count_evt.user_id = user_id;
	return pb_client_send(s, &m, error_r);
}
