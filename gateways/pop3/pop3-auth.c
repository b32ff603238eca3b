/*
 * pop3-auth.c: POP3 logins — USER/PASS (RFC 1939) and AUTH (RFC 5034: PLAIN, LOGIN,
 * SCRAM-SHA-256) — worded for POP3 over the gateways' login (gateways/net/gw-login.h: the SASL
 * exchange, the auth shards, the lockout guard and the security log). USER/PASS and the
 * plaintext mechanisms only under TLS, from loopback or with security.allow_plaintext_auth.
 * OWNS: nothing (the session's struct gw_login). THREAD: the hub's.
 * MESSAGES sent: those of gw-login.c (AUTH_USER_VERIFY_REQ, AUTH_SCRAM_CREDS_REQ,
 * LOCKOUT_LOGIN_REQ).
 */
#include "pop3-session-int.h"

#include "gw-guard.h"

#include <string.h>

bool pop3_plaintext_ok(const struct pop3_session *s)
{
	return gw_plaintext_auth_allowed(s->gs, s->srv->allow_plaintext_auth);
}

/* Reading stops while the login waits for an actor (the continuation resumes it). */
static void pause_if_waiting(struct pop3_session *s)
{
	if (pop3_waiting(s))
		gw_pause(s->gs);
}

static void on_challenge(void *session, const char *b64)
{
	struct pop3_session *s = session;
	pop3_send_line(s, "+ %s", b64);
	pop3_resume(s);
}

static const char *const end_replies[] = {
	[GW_LOGIN_FAILED] = "-ERR [AUTH] Authentication failed.",
	[GW_LOGIN_BLOCKED] = "-ERR [AUTH] Authentication failed.",
	[GW_LOGIN_MALFORMED] = "-ERR Malformed authentication data",
	[GW_LOGIN_CANCELLED] = "-ERR Authentication cancelled",
	[GW_LOGIN_TEMP] = "-ERR [SYS/TEMP] Try again later",
	[GW_LOGIN_BUSY] = "-ERR [SYS/TEMP] Server busy, try again later",
};

static void on_done(void *session, enum gw_login_end end)
{
	struct pop3_session *s = session;

	if (end == GW_LOGIN_OK) {
		pop3_logged_in(s);
	} else {
		pop3_send_line(s, "%s", end_replies[end]);
		if (s->login.mech != NULL) /* after AUTH, a PASS needs its own USER */
			pb_str_set(&s->user, NULL);
		if (end == GW_LOGIN_BLOCKED)
			pop3_quit(s, "-ERR [SYS/TEMP] " LOCKOUT_BLOCKED_TEXT);
	}
	pop3_resume(s);
}

const struct gw_login_ops pop3_login_ops = { .challenge = on_challenge, .done = on_done };

const char *pop3_check_user(const void *session, const void *cmd)
{
	return pop3_plaintext_ok(session) ? NULL : POP3_PLAINTEXT_DISALLOWED;
}

const char *pop3_check_pass(const void *session, const void *cmd)
{
	const struct pop3_session *s = session;
	if (!pop3_plaintext_ok(s))
		return POP3_PLAINTEXT_DISALLOWED;
	return s->user == NULL ? "-ERR No username given" : NULL;
}

void pop3_do_pass(void *session, const void *cmdp)
{
	struct pop3_session *s = session;
	const struct pop3_cmd *cmd = cmdp;

	gw_login_password(&s->login, s->user, cmd->arg);
	pause_if_waiting(s);
}

const char *pop3_check_auth(const void *session, const void *cmdp)
{
	const struct pop3_session *s = session;
	const struct pop3_cmd *cmd = cmdp;
	enum sasl_mech mech;

	if (cmd->arg == NULL)
		return NULL;
	const char *why = gw_login_mech_check(&s->login, cmd->arg, s->srv->allow_plaintext_auth,
					      &mech);
	if (why == NULL)
		return NULL;
	return strcmp(why, "plaintext") == 0 ? POP3_PLAINTEXT_DISALLOWED
					     : "-ERR Unsupported authentication mechanism.";
}

void pop3_do_auth(void *session, const void *cmdp)
{
	struct pop3_session *s = session;
	const struct pop3_cmd *cmd = cmdp;
	enum sasl_mech mech;

	if (cmd->arg == NULL) { /* the mechanisms, one a line (as Dovecot) */
		pb_buf_reset(&s->out);
		pb_buf_append_str(&s->out, "+OK\r\n");
		gw_login_mechs(&s->login, s->srv->allow_plaintext_auth, "\r\n", &s->out);
		pb_buf_append_str(&s->out, "\r\n.\r\n");
		gw_write(s->gs, s->out.data, s->out.len);
		return;
	}
	gw_login_mech_check(&s->login, cmd->arg, s->srv->allow_plaintext_auth, &mech); /* checked */
	gw_login_sasl(&s->login, mech, cmd->arg2);
	pause_if_waiting(s);
}

void pop3_auth_line(struct pop3_session *s, const char *line)
{
	gw_login_line(&s->login, line);
	pause_if_waiting(s);
}
