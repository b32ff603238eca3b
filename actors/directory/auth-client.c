/*
 * auth-client.c: the auth shards' typed client stub (see auth-client.h).
 * OWNS nothing. THREAD: the caller's.
 */
#include "auth-client.h"

#include <string.h>

static void build_verify(struct pb_msg *m, uint64_t key, const char *user, const char *password,
			 bool web)
{
	pb_msg_init(m, MSG_AUTH_USER_VERIFY_REQ);
	m->u.auth_user_verify_req.web = web ? 1 : 0;
	m->u.auth_user_verify_req.key = key;
	m->u.auth_user_verify_req.user = xstrdup(user != NULL ? user : "");
	m->u.auth_user_verify_req.password = xstrdup(password != NULL ? password : "");
}

static void build_hash(struct pb_msg *m, uint64_t key, const char *const *passwords, uint32_t n)
{
	pb_msg_init(m, MSG_AUTH_PASSWORD_HASH_REQ);
	m->u.auth_password_hash_req.key = key;
	for (uint32_t i = 0; i < n; i++)
		pb_strv_push(&m->u.auth_password_hash_req.passwords, passwords[i]);
}

/* Wipes the password copies of a request (they are secrets), then frees it. */
static void wipe_free(struct pb_msg *m)
{
	if (m->type == MSG_AUTH_USER_VERIFY_REQ) {
		char *p = m->u.auth_user_verify_req.password;
		explicit_bzero(p, strlen(p));
	} else {
		struct pb_strv *v = &m->u.auth_password_hash_req.passwords;
		for (uint32_t i = 0; i < v->n; i++)
			explicit_bzero(v->v[i], strlen(v->v[i]));
	}
	pb_msg_free(m);
}

int auth_client_user_verify(struct pb_sync *t, uint64_t key, const char *user,
			    const char *password, bool web, uint32_t *code_r, uint64_t *user_id_r,
			    char **user_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_verify(&req, key, user, password, web);
	int rc = t->call(t->ctx, &req, &rep, t->timeout_ms, error_r);
	wipe_free(&req);
	if (rc < 0)
		return -1;
	uint32_t code = auth_client_user_verify_reply(&rep, user_id_r, user_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int auth_client_user_verify_send(const struct pb_sender *s, uint64_t key, const char *user,
				 const char *password, bool web, const char **error_r)
{
	struct pb_msg req;

	build_verify(&req, key, user, password, web);
	int rc = s->send(s->ctx, NULL, &req, error_r);
	wipe_free(&req);
	return rc;
}

uint32_t auth_client_user_verify_reply(struct pb_msg *rep, uint64_t *user_id_r, char **user_r,
				       const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_AUTH_USER_VERIFY_REQ, error_r);

	if (code == PB_OK) {
		*user_id_r = rep->u.auth_user_verify_rep.user_id;
		*user_r = rep->u.auth_user_verify_rep.user != NULL ? rep->u.auth_user_verify_rep.user
								    : xstrdup("");
		rep->u.auth_user_verify_rep.user = NULL;
	}
	return code;
}

int auth_client_password_hash(struct pb_sync *t, uint64_t key, const char *const *passwords,
			      uint32_t n, uint32_t *code_r, struct pb_rec_pw_cred_list *creds_r,
			      const char **error_r)
{
	struct pb_msg req, rep;

	build_hash(&req, key, passwords, n);
	int rc = t->call(t->ctx, &req, &rep, t->timeout_ms, error_r);
	wipe_free(&req);
	if (rc < 0)
		return -1;
	uint32_t code = auth_client_password_hash_reply(&rep, creds_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int auth_client_password_hash_send(const struct pb_sender *s, uint64_t key,
				   const char *const *passwords, uint32_t n, const char **error_r)
{
	struct pb_msg req;

	build_hash(&req, key, passwords, n);
	int rc = s->send(s->ctx, NULL, &req, error_r);
	wipe_free(&req);
	return rc;
}

uint32_t auth_client_password_hash_reply(struct pb_msg *rep, struct pb_rec_pw_cred_list *creds_r,
					 const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_AUTH_PASSWORD_HASH_REQ, error_r);

	if (code == PB_OK)
		pb_rec_pw_cred_list_move(creds_r, &rep->u.auth_password_hash_rep.creds);
	return code;
}

static void build_scram(struct pb_msg *m, uint64_t key, const char *user)
{
	pb_msg_init(m, MSG_AUTH_SCRAM_CREDS_REQ);
	m->u.auth_scram_creds_req.key = key;
	m->u.auth_scram_creds_req.user = xstrdup(user != NULL ? user : "");
}

int auth_client_scram_creds(struct pb_sync *t, uint64_t key, const char *user, uint32_t *code_r,
			    uint64_t *user_id_r, char **user_r, char **creds_r,
			    const char **error_r)
{
	struct pb_msg req, rep;

	build_scram(&req, key, user);
	int rc = t->call(t->ctx, &req, &rep, t->timeout_ms, error_r);
	pb_msg_free(&req);
	if (rc < 0)
		return -1;
	uint32_t code = auth_client_scram_creds_reply(&rep, user_id_r, user_r, creds_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int auth_client_scram_creds_send(const struct pb_sender *s, uint64_t key, const char *user,
				 const char **error_r)
{
	struct pb_msg req;

	build_scram(&req, key, user);
	int rc = s->send(s->ctx, NULL, &req, error_r);
	pb_msg_free(&req);
	return rc;
}

uint32_t auth_client_scram_creds_reply(struct pb_msg *rep, uint64_t *user_id_r, char **user_r,
				       char **creds_r, const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_AUTH_SCRAM_CREDS_REQ, error_r);
	struct msg_auth_scram_creds_rep *r = &rep->u.auth_scram_creds_rep;

	if (code == PB_OK) {
		*user_id_r = r->user_id;
		*user_r = r->user != NULL ? r->user : xstrdup("");
		*creds_r = r->creds != NULL ? r->creds : xstrdup("");
		r->user = NULL;
		r->creds = NULL;
	}
	return code;
}
