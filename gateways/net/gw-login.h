/*
 * gw-login.h: one login of a gateway session, from the client's credentials to the verdict,
 * the same for every protocol (POP3 USER/PASS and AUTH, SMTP AUTH; IMAP LOGIN and AUTHENTICATE
 * later): the SASL exchange (sasl/sasl-server.h: PLAIN, LOGIN, SCRAM-SHA-256), the auth shards'
 * password check or SCRAM credentials (auth-client.h), the lockout guard's answer (gw-guard.h)
 * and the security log line. A protocol only words the challenges and the verdict.
 *
 * Why the guard is asked before the client hears anything: a locked account must fail exactly
 * as a wrong password does, even with the right one, or a guesser learns when it guessed. For
 * SCRAM the gateway alone knows the result (the proof is checked here), and the server
 * signature ("v=...") would tell the client its password was right: the guard is asked when the
 * proof has been checked, before that signature goes out.
 *
 * Calls are the session skeleton's (gw_call, one at a time, each with its deadline; a late
 * reply is dropped): the login's address rides in the call's arg, and a session that closes
 * forgets its calls, so a continuation never finds a freed login.
 * OWNS: its SASL exchange and names. THREAD: the hub's.
 */
#ifndef GW_LOGIN_H
#define GW_LOGIN_H

#include "gw-session.h"
#include "sasl-server.h"

#include <stdbool.h>
#include <stdint.h>

/* How a login ended (ops.done). */
enum gw_login_end {
	GW_LOGIN_OK,        /* authenticated: l->account, l->user_id */
	GW_LOGIN_FAILED,    /* wrong credentials, unknown user or locked account: one reply */
	GW_LOGIN_BLOCKED,   /* failed, and the address is blocked: the FAILED reply, then
			     * LOCKOUT_BLOCKED_TEXT and close */
	GW_LOGIN_MALFORMED, /* a response that is not what the mechanism wants (501, -ERR) */
	GW_LOGIN_CANCELLED, /* the client sent "*" */
	GW_LOGIN_TEMP,      /* the server could not decide (454, -ERR [SYS/TEMP]) */
	GW_LOGIN_BUSY,      /* nothing could be sent to the auth shards (a full inbox) */
};

struct gw_login_ops {
	/* Write the challenge (base64, may be ""): "334 x", "+ x"; the client's next line goes
	 * to gw_login_line. */
	void (*challenge)(void *session, const char *b64);
	/* The login ended (never from inside the gw_login_* call that began it, except for the
	 * immediate ends MALFORMED/CANCELLED/TEMP/BUSY and a SASL failure known at once). */
	void (*done)(void *session, enum gw_login_end end);
};

struct gw_login {
	struct gw_session *gs;
	const struct gw_login_ops *ops;
	const char *protocol; /* "pop3", "smtp": the guard's and the log's */
	uint32_t timeout_ms;  /* each call's deadline */
	struct sasl_server *sasl; /* the exchange under way; NULL for a password login */
	const char *mech;     /* its mechanism's name (static), NULL: USER/PASS */
	char *user;           /* what the client logged in as (the guard's key) */
	char *account;        /* OK: the account's own name (the caller may take it) */
	uint64_t user_id;     /* OK: the account's id */
	bool active;          /* between a start and done() */
	bool want_line;       /* a challenge went out: the next line is the client's */
	bool scram_creds;     /* the credentials came: the next challenge is the server-final */
	char *scram_final;    /* the server-final, held while the guard is asked */
};

/* Sets l up for session gs (nothing allocated). */
void gw_login_init(struct gw_login *l, struct gw_session *gs, const char *protocol,
		   const struct gw_login_ops *ops, uint32_t timeout_ms);
/* Ends any exchange (its secrets wiped) and frees the names. */
void gw_login_deinit(struct gw_login *l);

/* NULL if mechanism `name` may begin here, else why not: "unknown" (none of ours) or
 * "plaintext" (it sends the password and gw_plaintext_auth_allowed(gs, allow) says no).
 * *mech_r on NULL. */
const char *gw_login_mech_check(const struct gw_login *l, const char *name, bool allow,
				enum sasl_mech *mech_r);
/* Appends the names of the mechanisms allowed here to out, separated by sep. */
void gw_login_mechs(const struct gw_login *l, bool allow, const char *sep, struct pb_buf *out);

/* Begins SASL mech with the command's initial response (base64, "=" empty, NULL none). */
void gw_login_sasl(struct gw_login *l, enum sasl_mech mech, const char *initial);
/* Begins a login with a user name and password (USER/PASS): copied, wiped after sending. */
void gw_login_password(struct gw_login *l, const char *user, const char *password);
/* The client's response to a challenge (no CRLF; "*" cancels; NULL: the line was too long). */
void gw_login_line(struct gw_login *l, const char *line);

#endif
