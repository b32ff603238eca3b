/*
 * pop3-auth.c: POP3 AUTH (RFC 5034) through the SASL layer (sasl/sasl-server.h): PLAIN, LOGIN
 * and SCRAM-SHA-256. Passwords are checked and SCRAM credentials fetched by the auth shards;
 * every result goes to the lockout guard (pop3_report_login) before the client hears it — for
 * SCRAM when the client's proof verified, before the server signature ("v=") would tell the
 * client its password was right: a locked account fails there like a wrong password.
 * OWNS: the session's SASL exchange (s->sasl, s->scram_final). THREAD: the hub's.
 * MESSAGES sent (typed client stubs): AUTH_USER_VERIFY_REQ, AUTH_SCRAM_CREDS_REQ.
 */
#include "pop3-session-int.h"

#include "auth-client.h"
#include "gw-guard.h"
#include "pb-log.h"
#include "sasl-server.h"

#include <string.h>

static void step_result(struct pop3_session *s, enum sasl_result r, const char *out);

void pop3_auth_end(struct pop3_session *s)
{
	sasl_server_destroy(&s->sasl);
	s->auth_line = s->scram_creds = false;
	free(s->scram_final);
	s->scram_final = NULL;
}

bool pop3_plaintext_ok(const struct pop3_session *s)
{
	return gw_plaintext_auth_allowed(s->gs, s->srv->allow_plaintext_auth);
}

/* The exchange ends without a verdict on the credentials (not reported to the guard). */
static void auth_abort(struct pop3_session *s, const char *line)
{
	pop3_auth_end(s);
	pb_str_set(&s->user, NULL);
	s->mech = NULL;
	pop3_send_line(s, "%s", line);
}

/* After a stub's send: waits for the reply, or ends the exchange when nothing was sent. */
static void asked(struct pop3_session *s, int rc)
{
	if (rc == 0)
		gw_pause(s->gs);
	else
		auth_abort(s, "-ERR [SYS/TEMP] Server busy, try again later");
}

static void on_creds(void *session, uint64_t arg, struct pb_msg *m)
{
	struct pop3_session *s = session;
	char *user = NULL, *creds = NULL;
	uint64_t user_id = 0;
	const char *error, *out = "";
	uint32_t code = m != NULL ? auth_client_scram_creds_reply(m, &user_id, &user, &creds, &error)
				  : PB_ERR_TEMP;

	if (code != PB_OK) {
		gw_guard_log_login(s->gs, "pop3", false, s->user, s->mech, "unavailable");
		auth_abort(s, "-ERR [SYS/TEMP] Try again later");
	} else {
		s->user_id = user_id; /* used only once the proof verified */
		free(s->account);
		s->account = user;
		enum sasl_result r = sasl_server_scram_credentials(s->sasl, creds, &out, &error);
		explicit_bzero(creds, strlen(creds));
		free(creds);
		step_result(s, r, out); /* the server-first goes out at once */
		s->scram_creds = s->sasl != NULL;
	}
	pop3_resume(s);
}

static void on_verified(void *session, uint64_t arg, struct pb_msg *m)
{
	struct pop3_session *s = session;
	const char *error, *out = "";
	uint32_t code = pop3_verified(s, m);

	if (code != PB_OK && code != PB_ERR_AUTH) {
		auth_abort(s, "-ERR [SYS/TEMP] Try again later");
	} else {
		enum sasl_result r = sasl_server_password_checked(s->sasl, code == PB_OK, &out,
								   &error);
		step_result(s, r, out);
	}
	pop3_resume(s);
}

/* The auth shards' part: a password to check or SCRAM credentials to fetch. */
static void ask_shard(struct pop3_session *s, bool password)
{
	struct gw_pending call = pop3_call_of(s, password ? on_verified : on_creds, 0);
	struct pb_sender tx = gw_sender(&call);
	const char *authcid = sasl_server_authcid(s->sasl), *error;

	pb_str_set(&s->user, authcid);
	if (password)
		asked(s, auth_client_user_verify_send(&tx, s->gs->id, authcid,
						      sasl_server_password(s->sasl), &error));
	else
		asked(s, auth_client_scram_creds_send(&tx, s->gs->id, authcid, &error));
}

/* A challenge: the server-final of SCRAM waits for the guard; any other goes out at once. */
static void challenge(struct pop3_session *s, const char *out)
{
	if (s->scram_creds && s->scram_final == NULL) {
		s->scram_final = xstrdup(out);
		pop3_report_login(s, true);
		return;
	}
	pop3_send_line(s, "+ %s", out);
	s->auth_line = true;
}

static void step_result(struct pop3_session *s, enum sasl_result r, const char *out)
{
	switch (r) {
	case SASL_CHALLENGE:
		challenge(s, out);
		break;
	case SASL_VERIFY_PASSWORD:
	case SASL_NEED_CREDENTIALS:
		ask_shard(s, r == SASL_VERIFY_PASSWORD);
		break;
	case SASL_SUCCESS: /* SCRAM: the guard already said yes */
		if (s->scram_final != NULL)
			pop3_logged_in(s);
		else
			pop3_report_login(s, true);
		break;
	case SASL_FAILED:
		pop3_report_login(s, false);
		break;
	case SASL_REFUSED:
		auth_abort(s, "-ERR Malformed authentication data");
		break;
	case SASL_TEMPFAIL:
		auth_abort(s, "-ERR [SYS/TEMP] Try again later");
		break;
	}
}

void pop3_auth_proved(struct pop3_session *s)
{
	pop3_send_line(s, "+ %s", s->scram_final);
	s->auth_line = true;
}

void pop3_auth_line(struct pop3_session *s, const char *line)
{
	const char *out = "", *error;

	s->auth_line = false;
	if (line == NULL)
		auth_abort(s, "-ERR Authentication response too long");
	else if (strcmp(line, "*") == 0)
		auth_abort(s, "-ERR Authentication cancelled");
	else {
		enum sasl_result r = sasl_server_step(s->sasl, line, &out, &error);
		step_result(s, r, out);
	}
}

const char *pop3_check_auth(const void *session, const void *cmdp)
{
	const struct pop3_session *s = session;
	const struct pop3_cmd *cmd = cmdp;
	enum sasl_mech mech;

	if (cmd->arg == NULL)
		return NULL;
	if (sasl_mech_lookup(cmd->arg, &mech) < 0)
		return "-ERR Unsupported authentication mechanism.";
	if (sasl_mech_is_plaintext(mech) && !pop3_plaintext_ok(s))
		return POP3_PLAINTEXT_DISALLOWED;
	return NULL;
}

void pop3_do_auth(void *session, const void *cmdp)
{
	struct pop3_session *s = session;
	const struct pop3_cmd *cmd = cmdp;
	const char *out = "", *error;
	enum sasl_mech mech;

	if (cmd->arg == NULL) { /* the mechanisms, as Dovecot and RFC 5034's predecessor */
		gw_write_str(s->gs, "+OK\r\n");
		pop3_write_mechs(s, true);
		gw_write_str(s->gs, ".\r\n");
		return;
	}
	sasl_mech_lookup(cmd->arg, &mech); /* checked */
	pop3_auth_end(s);
	s->sasl = sasl_server_create(mech);
	s->mech = sasl_mech_name(mech);
	enum sasl_result r = sasl_server_start(s->sasl, cmd->arg2, &out, &error);
	step_result(s, r, out);
}

void pop3_write_mechs(struct pop3_session *s, bool lines)
{
	static const enum sasl_mech mechs[] = { SASL_MECH_PLAIN, SASL_MECH_LOGIN,
						SASL_MECH_SCRAM_SHA_256 };
	bool first = true;

	for (size_t i = 0; i < PB_N_ELEMENTS(mechs); i++) {
		if (sasl_mech_is_plaintext(mechs[i]) && !pop3_plaintext_ok(s))
			continue;
		if (!first && !lines)
			gw_write_str(s->gs, " ");
		gw_write_str(s->gs, sasl_mech_name(mechs[i]));
		if (lines)
			gw_write_str(s->gs, "\r\n");
		first = false;
	}
}
