/*
 * auth-actor.c: the auth shards' handlers (see directory-actor.h): password checks for logins
 * and password hashing for the directory's account changes — the slow yescrypt work, spread
 * over shards by key so it uses every core and never runs on the directory's thread. A login
 * is a name or a full address (bob@example.com), resolved by directory-resolve.h.
 * OWNS nothing (the store handle, borrowed); reads account records only.
 * THREAD: each shard's actor thread.
 */
#include "directory-actor.h"

#include "directory-password.h"
#include "directory-resolve.h"
#include "pb-log.h"
#include "store-accounts.h"

#include <string.h>

static int auth_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	*state_r = arg; /* the store */
	return 0;
}

static void wipe(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
}

static int on_user_verify(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct pb_store *store = state;
	struct msg_auth_user_verify_req *q = &m->u.auth_user_verify_req;
	struct pb_user_rec u;
	struct pb_msg rep;
	const char *error;

	uint32_t miss = PB_OK;
	int found = directory_resolve_login(store, q->user, &u, &miss, &error);
	if (found < 0) {
		wipe(q->password);
		pb_error("auth", "event=store_error reason=%s", PB_LOGQ(error));
		pb_reply_status(a, m, PB_ERR_INTERNAL, "the account store failed; see the server log");
		return 0;
	}
	/* The log says which part was wrong (an unknown user, a domain not local); the client
	 * is told neither: an unknown user is verified against a dummy hash, same answer, same
	 * time. */
	if (found == 0)
		pb_log_security("auth", "event=login_unresolved login=%s reason=%s",
				PB_LOGQ(q->user),
				miss == PB_ERR_REFUSED ? "not_local_domain" : "unknown_user");
	bool ok = directory_password_verify(q->password, found > 0 ? u.pw_hash : NULL);
	wipe(q->password);
	pb_msg_init(&rep, MSG_AUTH_USER_VERIFY_REP);
	rep.u.auth_user_verify_rep.code = ok ? PB_OK : PB_ERR_AUTH;
	rep.u.auth_user_verify_rep.error = xstrdup(ok ? "" : "authentication failed");
	rep.u.auth_user_verify_rep.user_id = ok ? u.id : 0;
	rep.u.auth_user_verify_rep.user = xstrdup(ok ? u.name : "");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	pb_user_rec_free(&u);
	return 0;
}

/* Hashes each password of the request (slow on purpose: this is why it runs here). */
static int on_password_hash(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct pb_strv *pw = &m->u.auth_password_hash_req.passwords;
	struct pb_msg rep;
	const char *error = "";

	pb_msg_init(&rep, MSG_AUTH_PASSWORD_HASH_REP);
	for (uint32_t i = 0; i < pw->n; i++) {
		char *hash = directory_password_hash(pw->v[i], &error);
		wipe(pw->v[i]);
		if (hash == NULL) {
			pb_error("auth", "event=hash_failed reason=\"%s\"", error);
			pb_msg_free(&rep);
			pb_reply_status(a, m, PB_ERR_INTERNAL, error);
			return 0;
		}
		pb_strv_push(&rep.u.auth_password_hash_rep.hashes, hash);
		free(hash);
	}
	rep.u.auth_password_hash_rep.error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static const struct pb_handler auth_handlers[] = {
	{ MSG_AUTH_USER_VERIFY_REQ, on_user_verify },
	{ MSG_AUTH_PASSWORD_HASH_REQ, on_password_hash },
};

const struct pb_actor_def auth_actor_def = {
	.name = "auth",
	.inbox_size = 1024,
	.init = auth_init,
	.handlers = auth_handlers,
	.n_handlers = PB_N_ELEMENTS(auth_handlers),
};

