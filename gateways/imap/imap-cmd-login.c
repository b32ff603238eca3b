/*
 * imap-cmd-login.c: LOGIN (RFC 3501 6.2.3) and AUTHENTICATE (RFC 3501 6.2.2 with SASL-IR,
 * RFC 4959: PLAIN, LOGIN, SCRAM-SHA-256) worded for IMAP over the gateways' login
 * (gateways/net/gw-login.h: the SASL exchange, the auth shards, the lockout guard and the
 * security log). LOGIN and the plaintext mechanisms only under TLS, from loopback or with
 * security.allow_plaintext_auth. A blocked address hears the failure, then "* BYE" with the
 * guard's text, and the connection ends.
 * OWNS nothing (the session's struct gw_login). THREAD: the hub's.
 * MESSAGES sent: those of gw-login.c (AUTH_USER_VERIFY_REQ, AUTH_SCRAM_CREDS_REQ,
 * LOCKOUT_LOGIN_REQ).
 */
#include "imap-session-int.h"

#include "gw-guard.h"

#include <string.h>

#define PLAINTEXT_DISALLOWED \
	"NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) " \
	"connections."

bool imap_plaintext_ok(const struct imap_session *s)
{
	return gw_plaintext_auth_allowed(s->gs, s->srv->allow_plaintext_auth);
}

static void on_challenge(void *session, const char *b64)
{
	struct imap_session *s = session;

	gw_write_str(s->gs, "+ ");
	gw_write_str(s->gs, b64);
	gw_write_str(s->gs, "\r\n");
	imap_resume(s);
}

static const char *const end_replies[] = {
	[GW_LOGIN_FAILED] = "NO [AUTHENTICATIONFAILED] Authentication failed.",
	[GW_LOGIN_BLOCKED] = "NO [AUTHENTICATIONFAILED] Authentication failed.",
	[GW_LOGIN_MALFORMED] = "BAD Invalid authentication data",
	[GW_LOGIN_CANCELLED] = "BAD Authentication cancelled",
	[GW_LOGIN_TEMP] = "NO [UNAVAILABLE] Temporary authentication failure, try again later",
	[GW_LOGIN_BUSY] = "NO [UNAVAILABLE] Server busy, try again later",
};

/* Logged in: the authenticated state; the OK carries the capabilities now in effect. */
static void logged_in(struct imap_session *s)
{
	s->user_id = s->login.user_id;
	free(s->user);
	s->user = s->login.account;
	s->login.account = NULL;
	s->state = IMAP_ST_AUTH;
	pb_buf_reset(&s->out);
	imap_capabilities(s, &s->out);
	pb_buf_append_c(&s->out, '\0');
	char *caps = xstrdup(s->out.data);
	imap_tagged(s, "OK [CAPABILITY %s] Logged in", caps);
	free(caps);
}

static void on_done(void *session, enum gw_login_end end)
{
	struct imap_session *s = session;

	if (end == GW_LOGIN_OK) {
		logged_in(s);
	} else {
		imap_tagged(s, "%s", end_replies[end]);
		if (end == GW_LOGIN_BLOCKED)
			imap_bye(s, LOCKOUT_BLOCKED_TEXT);
	}
	imap_resume(s);
}

const struct gw_login_ops imap_login_ops = { .challenge = on_challenge, .done = on_done };

const char *imap_check_login(const void *session, const void *cmd)
{
	return imap_plaintext_ok(session) ? NULL : PLAINTEXT_DISALLOWED;
}

void imap_do_login(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;

	gw_login_password(&s->login, cmd->u.login.user, cmd->u.login.password);
}

const char *imap_check_authenticate(const void *session, const void *cmdp)
{
	const struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	enum sasl_mech mech;

	const char *why = gw_login_mech_check(&s->login, cmd->u.auth.mech,
					      s->srv->allow_plaintext_auth, &mech);
	if (why == NULL)
		return NULL;
	return strcmp(why, "plaintext") == 0 ? PLAINTEXT_DISALLOWED
					     : "NO Unsupported authentication mechanism.";
}

void imap_do_authenticate(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	enum sasl_mech mech;

	gw_login_mech_check(&s->login, cmd->u.auth.mech, s->srv->allow_plaintext_auth, &mech);
	gw_login_sasl(&s->login, mech, cmd->u.auth.initial);
}

void imap_auth_line(struct imap_session *s, const char *line)
{
	gw_login_line(&s->login, line);
}
