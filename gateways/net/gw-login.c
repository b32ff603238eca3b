/*
 * gw-login.c: a gateway session's login — SASL exchange, auth shards, lockout guard, security
 * log (see gw-login.h).
 * OWNS: the exchange of each struct gw_login. THREAD: the hub's.
 * MESSAGES sent (typed client stubs): AUTH_USER_VERIFY_REQ, AUTH_SCRAM_CREDS_REQ,
 * LOCKOUT_LOGIN_REQ.
 */
#include "gw-login.h"

#include "auth-client.h"
#include "gw-guard.h"
#include "pb-log.h"

#include <string.h>

static void step_result(struct gw_login *l, enum sasl_result r, const char *out);

static struct gw_pending call_of(struct gw_login *l, gw_cont_fn *cont)
{
	return (struct gw_pending){ l->gs, cont, (uint64_t)(uintptr_t)l, l->timeout_ms };
}

static struct gw_login *login_of(uint64_t arg)
{
	return (struct gw_login *)(uintptr_t)arg;
}

static void end_exchange(struct gw_login *l)
{
	sasl_server_destroy(&l->sasl);
	free(l->scram_final);
	l->scram_final = NULL;
	l->active = l->want_line = l->scram_creds = false;
}

/* The verdict: logged, the exchange ended, the protocol told. */
static void finish(struct gw_login *l, enum gw_login_end end, const char *reason)
{
	if (end == GW_LOGIN_OK)
		gw_guard_log_login(l->gs, l->protocol, true, l->account, l->mech, NULL);
	else if (reason != NULL)
		gw_guard_log_login(l->gs, l->protocol, false, l->user, l->mech, reason);
	end_exchange(l);
	l->ops->done(l->gs->session, end);
}

void gw_login_init(struct gw_login *l, struct gw_session *gs, const char *protocol,
		   const struct gw_login_ops *ops, uint32_t timeout_ms)
{
	*l = (struct gw_login){ .gs = gs, .ops = ops, .protocol = protocol,
				.timeout_ms = timeout_ms };
}

void gw_login_deinit(struct gw_login *l)
{
	end_exchange(l);
	free(l->user);
	free(l->account);
	l->user = l->account = NULL;
}

/* The guard's answer to a login report (rep NULL: none; the result decides alone). */
static void on_guarded(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct gw_login *l = login_of(arg);
	bool blocked, refused = gw_guard_refused(rep, &blocked);

	if (!refused && l->user_id != 0) { /* the check said yes (report) */
		if (l->scram_final == NULL) {
			finish(l, GW_LOGIN_OK, NULL);
			return;
		}
		l->want_line = true; /* the server-final; the client answers "" */
		l->ops->challenge(l->gs->session, l->scram_final);
		return;
	}
	finish(l, blocked ? GW_LOGIN_BLOCKED : GW_LOGIN_FAILED,
	       blocked ? "blocked" : refused ? "locked" : "bad_credentials");
}

/* Tells the guard what the check said (ok: the account is known in l); its answer decides. */
static void report(struct gw_login *l, bool ok)
{
	const char *error;
	uint8_t result = ok ? LOCKOUT_LOGIN_OK : LOCKOUT_LOGIN_BAD_PASSWORD;

	if (!ok)
		l->user_id = 0;
	if (gw_guard_login(l->gs, l->user, l->protocol, result, on_guarded, (uint64_t)(uintptr_t)l,
			   &error) == 0)
		return;
	pb_warn(l->protocol, "event=lockout_unreachable reason=%s", PB_LOGQ(error));
	on_guarded(l->gs->session, (uint64_t)(uintptr_t)l, NULL);
}

static void on_verified(void *session, uint64_t arg, struct pb_msg *m)
{
	struct gw_login *l = login_of(arg);
	const char *error, *out = "";
	char *user = NULL;
	uint64_t user_id = 0;
	uint32_t code = m != NULL ? auth_client_user_verify_reply(m, &user_id, &user, &error)
				  : PB_ERR_TEMP;

	if (code == PB_OK) {
		l->user_id = user_id;
		free(l->account);
		l->account = user;
	}
	if (code != PB_OK && code != PB_ERR_AUTH) {
		finish(l, GW_LOGIN_TEMP, "unavailable");
	} else if (l->sasl == NULL) {
		report(l, code == PB_OK);
	} else {
		enum sasl_result r = sasl_server_password_checked(l->sasl, code == PB_OK, &out,
								   &error);
		step_result(l, r, out);
	}
}

static void on_creds(void *session, uint64_t arg, struct pb_msg *m)
{
	struct gw_login *l = login_of(arg);
	char *user = NULL, *creds = NULL;
	uint64_t user_id = 0;
	const char *error, *out = "";
	uint32_t code = m != NULL ? auth_client_scram_creds_reply(m, &user_id, &user, &creds, &error)
				  : PB_ERR_TEMP;

	if (code != PB_OK) {
		finish(l, GW_LOGIN_TEMP, "unavailable");
		return;
	}
	l->user_id = user_id; /* used only once the proof verified (0: unknown user) */
	free(l->account);
	l->account = user;
	enum sasl_result r = sasl_server_scram_credentials(l->sasl, creds, &out, &error);
	explicit_bzero(creds, strlen(creds));
	free(creds);
	step_result(l, r, out); /* the server-first goes out */
	l->scram_creds = l->active;
}

/* The auth shards' part: a password to check or SCRAM credentials to fetch. */
static void ask_shard(struct gw_login *l, const char *password)
{
	struct gw_pending call = call_of(l, password != NULL ? on_verified : on_creds);
	struct pb_sender tx = gw_sender(&call);
	const char *error;
	int rc;

	if (password != NULL)
		rc = auth_client_user_verify_send(&tx, l->gs->id, l->user, password,
						  strcmp(l->protocol, "web") == 0, &error);
	else
		rc = auth_client_scram_creds_send(&tx, l->gs->id, l->user, &error);
	if (rc < 0)
		finish(l, GW_LOGIN_BUSY, NULL);
}

/* A challenge: SCRAM's server-final waits for the guard; any other goes out at once. */
static void challenge(struct gw_login *l, const char *out)
{
	if (l->scram_creds && l->scram_final == NULL) {
		l->scram_final = xstrdup(out);
		report(l, l->user_id != 0);
		return;
	}
	l->want_line = true;
	l->ops->challenge(l->gs->session, out);
}

static void step_result(struct gw_login *l, enum sasl_result r, const char *out)
{
	switch (r) {
	case SASL_CHALLENGE:
		challenge(l, out);
		break;
	case SASL_VERIFY_PASSWORD:
	case SASL_NEED_CREDENTIALS:
		pb_str_set(&l->user, sasl_server_authcid(l->sasl));
		ask_shard(l, r == SASL_VERIFY_PASSWORD ? sasl_server_password(l->sasl) : NULL);
		break;
	case SASL_SUCCESS: /* SCRAM: the guard already said yes */
		if (l->scram_final != NULL)
			finish(l, GW_LOGIN_OK, NULL);
		else
			report(l, true);
		break;
	case SASL_FAILED:
		report(l, false);
		break;
	case SASL_REFUSED:
		finish(l, GW_LOGIN_MALFORMED, NULL);
		break;
	case SASL_TEMPFAIL:
		finish(l, GW_LOGIN_TEMP, "unavailable");
		break;
	}
}

static void begin(struct gw_login *l, const char *mech)
{
	end_exchange(l);
	free(l->account);
	l->account = NULL;
	l->user_id = 0;
	l->mech = mech;
	l->active = true;
}

void gw_login_sasl(struct gw_login *l, enum sasl_mech mech, const char *initial)
{
	const char *out = "", *error;

	begin(l, sasl_mech_name(mech));
	l->sasl = sasl_server_create(mech);
	enum sasl_result r = sasl_server_start(l->sasl, initial, &out, &error);
	step_result(l, r, out);
}

void gw_login_password(struct gw_login *l, const char *user, const char *password)
{
	begin(l, NULL);
	pb_str_set(&l->user, user);
	ask_shard(l, password);
}

void gw_login_line(struct gw_login *l, const char *line)
{
	const char *out = "", *error;

	l->want_line = false;
	if (line == NULL || l->sasl == NULL) {
		finish(l, GW_LOGIN_MALFORMED, NULL);
	} else if (strcmp(line, "*") == 0) {
		finish(l, GW_LOGIN_CANCELLED, NULL);
	} else {
		enum sasl_result r = sasl_server_step(l->sasl, line, &out, &error);
		step_result(l, r, out);
	}
}

const char *gw_login_mech_check(const struct gw_login *l, const char *name, bool allow,
				enum sasl_mech *mech_r)
{
	if (name == NULL || sasl_mech_lookup(name, mech_r) < 0)
		return "unknown";
	if (sasl_mech_is_plaintext(*mech_r) && !gw_plaintext_auth_allowed(l->gs, allow))
		return "plaintext";
	return NULL;
}

void gw_login_mechs(const struct gw_login *l, bool allow, const char *sep, struct pb_buf *out)
{
	static const enum sasl_mech mechs[] = { SASL_MECH_PLAIN, SASL_MECH_LOGIN,
						SASL_MECH_SCRAM_SHA_256 };
	bool first = true;

	for (size_t i = 0; i < PB_N_ELEMENTS(mechs); i++) {
		if (sasl_mech_is_plaintext(mechs[i]) && !gw_plaintext_auth_allowed(l->gs, allow))
			continue;
		if (!first)
			pb_buf_append_str(out, sep);
		pb_buf_append_str(out, sasl_mech_name(mechs[i]));
		first = false;
	}
}
