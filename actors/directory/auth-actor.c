/*
 * auth-actor.c: the auth shards' handlers (see directory-actor.h): password checks for logins
 * and password hashing for the directory's account changes — the slow yescrypt work, spread
 * over shards by key so it uses every core and never runs on the directory's thread. A login
 * is a name or a full address (bob@example.com), resolved by directory-resolve.h. They also
 * derive a new password's SCRAM-SHA-256 keys and hand out a login's SCRAM credentials (fake
 * ones, alike, for an unknown user: auth-secret.h). A web login (AUTH_USER_VERIFY_REQ web) is
 * checked against the account's separate web password when it has one.
 * OWNS nothing (the store handle, borrowed); reads account records only (and writes the auth
 * secret once).
 * THREAD: each shard's actor thread.
 */
#include "directory-actor.h"

#include "directory-password.h"
#include "auth-secret.h"
#include "directory-resolve.h"
#include "pb-log.h"
#include "sasl-scram-creds.h"
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

/* Resolves login into *u_r (the caller frees it). A store failure is logged and answered
 * (-1); a miss is logged with which part was wrong (an unknown user, a domain not local), which
 * the client is never told: an unknown user goes on with a dummy hash or fake credentials, same
 * answer, same time. Returns 1 found, 0 not (*miss_r: PB_ERR_REFUSED a domain not local, else
 * PB_ERR_NOTFOUND), -1 answered. */
static int resolve(struct pb_actor *a, struct pb_msg *m, struct pb_store *store, const char *login,
		   struct pb_user_rec *u_r, uint32_t *miss_r)
{
	uint32_t miss = PB_OK;
	const char *error;
	int found = directory_resolve_login(store, login, u_r, &miss, &error);

	*miss_r = miss;
	if (found < 0) {
		pb_error("auth", "event=store_error reason=%s", PB_LOGQ(error));
		pb_reply_status(a, m, PB_ERR_INTERNAL,
				"the account store failed; see the server log");
	} else if (found == 0) {
		pb_log_security("auth", "event=login_unresolved login=%s reason=%s", PB_LOGQ(login),
				miss == PB_ERR_REFUSED ? "not_local_domain" : "unknown_user");
	}
	return found;
}

static int on_user_verify(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct msg_auth_user_verify_req *q = &m->u.auth_user_verify_req;
	struct pb_user_rec u;
	struct pb_msg rep;
	uint32_t miss;

	int found = resolve(a, m, state, q->user, &u, &miss);
	if (found < 0) {
		wipe(q->password);
		return 0;
	}
	const char *hash = found > 0 ? u.pw_hash : NULL;
	if (found > 0 && q->web && u.web_pw_hash != NULL) /* a web login, a separate web password */
		hash = u.web_pw_hash;
	bool ok = directory_password_verify(q->password, hash);
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

/* One password's yescrypt hash and SCRAM credentials into rec ("" when SASLprep would change
 * the password: that account has no SCRAM). Returns 0, or -1 with *error_r. */
static int hash_one(const char *password, struct pb_rec_pw_cred *rec, const char **error_r)
{
	char *hash = directory_password_hash(password, error_r);
	char *scram = NULL;

	if (hash == NULL)
		return -1;
	if (sasl_scram_password_ok(password) &&
	    (scram = sasl_scram_creds_new(password, error_r)) == NULL) {
		free(hash);
		return -1;
	}
	rec->hash = hash;
	rec->scram = scram != NULL ? scram : xstrdup("");
	return 0;
}

/* Hashes each password of the request (slow on purpose: this is why it runs here). */
static int on_password_hash(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct pb_strv *pw = &m->u.auth_password_hash_req.passwords;
	struct pb_msg rep;
	const char *error = "";

	pb_msg_init(&rep, MSG_AUTH_PASSWORD_HASH_REP);
	struct pb_rec_pw_cred_list *creds = &rep.u.auth_password_hash_rep.creds;
	for (uint32_t i = 0; i < pw->n; i++) {
		int rc = hash_one(pw->v[i], pb_rec_pw_cred_push(creds), &error);
		wipe(pw->v[i]);
		if (rc < 0) {
			pb_error("auth", "event=hash_failed reason=\"%s\"", error);
			pb_msg_free(&rep);
			pb_reply_status(a, m, PB_ERR_INTERNAL, error);
			return 0;
		}
	}
	rep.u.auth_password_hash_rep.error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* The name fake credentials are made from, so that two logins of one name look alike whether
 * the account exists or not ("x" and "x@local.domain" get one salt, as a real account's do;
 * "x@other.org", which names nobody either way, its own). Newly allocated. */
static char *fake_name(const char *login, bool found, const struct pb_user_rec *u, uint32_t miss)
{
	const char *at = strrchr(login, '@');

	if (found)
		return xstrdup(u->name);
	if (miss == PB_ERR_REFUSED || at == NULL)
		return xstrdup(login);
	return xstrndup(login, (size_t)(at - login));
}

/* The SCRAM credentials the exchange of login uses: the account's, or fake ones (unknown user,
 * an account without SCRAM keys, unreadable keys) made from the server secret and fake_name(),
 * so the exchange looks the same and fails at the proof. NULL with *error_r if the secret
 * cannot be had. */
static char *scram_creds_of(struct pb_store *store, const char *login, bool found,
			    const struct pb_user_rec *u, uint32_t miss, bool *real_r,
			    const char **error_r)
{
	struct sasl_scram_creds c;
	uint8_t secret[AUTH_SECRET_LEN];
	const char *perror;

	*real_r = false;
	if (found && u->scram != NULL && sasl_scram_creds_parse(u->scram, &c, &perror) == 0) {
		explicit_bzero(&c, sizeof(c));
		*real_r = true;
		return xstrdup(u->scram);
	}
	if (found)
		pb_log_security("auth", "event=scram_unavailable user=%s", u->name);
	if (auth_secret_get(store, secret, error_r) < 0)
		return NULL;
	char *name = fake_name(login, found, u, miss);
	char *fake = sasl_scram_creds_fake(secret, sizeof(secret), name);
	explicit_bzero(secret, sizeof(secret));
	free(name);
	return fake;
}

static int on_scram_creds(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct msg_auth_scram_creds_req *q = &m->u.auth_scram_creds_req;
	struct pb_user_rec u;
	struct pb_msg rep;
	const char *error;
	bool real = false;
	uint32_t miss;

	int found = resolve(a, m, state, q->user, &u, &miss);
	if (found < 0)
		return 0;
	char *creds = scram_creds_of(state, q->user, found > 0, &u, miss, &real, &error);
	if (creds == NULL) {
		pb_error("auth", "event=secret_error reason=%s", PB_LOGQ(error));
		pb_reply_status(a, m, PB_ERR_INTERNAL,
				"the auth secret failed; see the server log");
		pb_user_rec_free(&u);
		return 0;
	}
	pb_msg_init(&rep, MSG_AUTH_SCRAM_CREDS_REP);
	rep.u.auth_scram_creds_rep.code = PB_OK;
	rep.u.auth_scram_creds_rep.error = xstrdup("");
	rep.u.auth_scram_creds_rep.user_id = real ? u.id : 0;
	rep.u.auth_scram_creds_rep.user = xstrdup(real ? u.name : "");
	rep.u.auth_scram_creds_rep.creds = creds;
	pb_reply(a, m, &rep);
	wipe(rep.u.auth_scram_creds_rep.creds);
	pb_msg_free(&rep);
	pb_user_rec_free(&u);
	return 0;
}

static const struct pb_handler auth_handlers[] = {
	{ MSG_AUTH_USER_VERIFY_REQ, on_user_verify },
	{ MSG_AUTH_PASSWORD_HASH_REQ, on_password_hash },
	{ MSG_AUTH_SCRAM_CREDS_REQ, on_scram_creds },
};

const struct pb_actor_def auth_actor_def = {
	.name = "auth",
	.inbox_size = 1024,
	.init = auth_init,
	.handlers = auth_handlers,
	.n_handlers = PB_N_ELEMENTS(auth_handlers),
};

