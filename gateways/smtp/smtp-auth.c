/*
 * smtp-auth.c: SMTP AUTH (RFC 4954) — PLAIN, LOGIN and SCRAM-SHA-256 — worded for SMTP over the
 * gateways' login (gateways/net/gw-login.h: the SASL exchange, the auth shards, the lockout
 * guard and the security log). The plaintext mechanisms are advertised and taken only under
 * TLS, from loopback or with security.allow_plaintext_auth (elsewhere 538 5.7.11). One AUTH
 * per session (503 after success), never during a mail transaction.
 * OWNS: the session's authentication (auth_user). THREAD: the hub's.
 * MESSAGES sent: those of gw-login.c (AUTH_USER_VERIFY_REQ, AUTH_SCRAM_CREDS_REQ,
 * LOCKOUT_LOGIN_REQ).
 */
#include "smtp-session-int.h"

#include "lockout-client.h"

#include <string.h>

/* Reading stops while the login waits for an actor (its callbacks resume it). */
static void wait_if_asked(struct smtp_session *s)
{
	if (s->login.active && !s->login.want_line)
		smtp_session_wait(s);
}

/* After a callback: reading goes on if the session waited for an actor (a callback run
 * from inside the command itself returns to the running command loop instead). */
static void go_on(struct smtp_session *s)
{
	if (s->waiting)
		smtp_session_resume(s);
}

static void on_challenge(void *session, const char *b64)
{
	struct smtp_session *s = session;
	smtp_session_reply(s, 334, NULL, b64);
	go_on(s);
}

static void on_done(void *session, enum gw_login_end end)
{
	struct smtp_session *s = session;

	switch (end) {
	case GW_LOGIN_OK:
		s->auth_user = s->login.account;
		s->login.account = NULL;
		s->auth_user_id = s->login.user_id;
		smtp_session_reply(s, 235, "2.7.0", "Authentication successful");
		break;
	case GW_LOGIN_FAILED:
	case GW_LOGIN_BLOCKED:
		smtp_session_reply(s, 535, "5.7.8", "Authentication credentials invalid");
		smtp_intrusion_auth_failed(s);
		if (end == GW_LOGIN_BLOCKED)
			smtp_session_close_with(s, 421, "4.7.0", LOCKOUT_BLOCKED_TEXT);
		break;
	case GW_LOGIN_MALFORMED:
		if (s->auth_too_long)
			smtp_session_reply(s, 500, "5.5.6", "Authentication exchange line is too long");
		else
			smtp_session_reply(s, 501, "5.5.2", "Cannot decode response");
		break;
	case GW_LOGIN_CANCELLED:
		smtp_session_reply(s, 501, "5.7.0", "Authentication aborted");
		break;
	case GW_LOGIN_TEMP:
	case GW_LOGIN_BUSY:
		smtp_session_reply(s, 454, "4.7.0", "Temporary authentication failure");
		break;
	}
	s->auth_too_long = false;
	go_on(s);
}

const struct gw_login_ops smtp_login_ops = { .challenge = on_challenge, .done = on_done };

const char *smtp_check_auth(const void *session, const void *cmdp)
{
	const struct smtp_session *s = session;
	const struct smtp_cmd *cmd = cmdp;
	enum sasl_mech mech;

	if (!s->greeted || !s->esmtp)
		return "503 5.5.1 Error: send EHLO first";
	if (s->auth_user != NULL)
		return "503 5.5.1 Error: already authenticated";
	if (s->in_tx)
		return "503 5.5.1 Error: MAIL transaction in progress";
	const char *why = gw_login_mech_check(&s->login, cmd->mechanism,
					      s->srv->allow_plaintext_auth, &mech);
	if (why == NULL)
		return NULL;
	if (strcmp(why, "plaintext") == 0)
		return "538 5.7.11 Encryption required for requested authentication mechanism";
	return "504 5.5.4 Unrecognized authentication type";
}

void smtp_do_auth(void *session, const void *cmdp)
{
	struct smtp_session *s = session;
	const struct smtp_cmd *cmd = cmdp;
	enum sasl_mech mech;

	gw_login_mech_check(&s->login, cmd->mechanism, s->srv->allow_plaintext_auth, &mech);
	gw_login_sasl(&s->login, mech, cmd->initial_response);
	wait_if_asked(s);
}

void smtp_auth_line(struct smtp_session *s, int rc, const char *line)
{
	s->auth_too_long = rc < 0;
	gw_login_line(&s->login, rc > 0 ? line : NULL);
	wait_if_asked(s);
}

const char *smtp_auth_mechs(struct smtp_session *s, struct pb_buf *buf)
{
	if (s->auth_user != NULL) /* RFC 4954 4: no second AUTH */
		return "";
	gw_login_mechs(&s->login, s->srv->allow_plaintext_auth, " ", buf);
	pb_buf_append(buf, "", 1);
	return buf->data;
}

void smtp_auth_reset(struct smtp_session *s)
{
	free(s->auth_user);
	s->auth_user = NULL;
	s->auth_user_id = 0;
}
