/*
 * gw-guard.h: what every gateway asks the lockout guard (actors/lockout/lockout-client.h), in
 * one place, as calls of the session skeleton (gw_call: one continuation per request, a late
 * reply dropped):
 *  - at accept, gw_guard_check_ip: the greeting waits for its answer, at most
 *    GW_GUARD_TIMEOUT_MS; blocked → the protocol's error with LOCKOUT_BLOCKED_TEXT and close;
 *    no answer or an error is not a block (fail open: a slow guard must not close the server);
 *  - after each password check, gw_guard_login: its answer decides whether the login stands
 *    (locked or blocked → refused with the same reply as a wrong password; blocked → then the
 *    blocked text and close). No answer refuses nothing: the password check decides;
 *  - on suspicious behaviour, gw_guard_intrusion: the guard scores it; its answer says whether
 *    the address is blocked now (then the blocked text and close);
 *  - gw_guard_log_login: the security log line of the attempt (never a secret).
 * OWNS nothing. THREAD: the hub's.
 */
#ifndef GW_GUARD_H
#define GW_GUARD_H

#include "gw-session.h"
#include "lockout-client.h"

#include <stdbool.h>
#include <stdint.h>

/* How long a greeting or a login waits for the guard (ms). */
#define GW_GUARD_TIMEOUT_MS 2000

/* Asks whether the peer's address is blocked: cont(session, arg, reply-or-NULL) runs with the
 * answer (read it with gw_guard_blocked). Returns 0, or -1 with error_r (static) when nothing
 * was sent: cont will not run (greet at once). */
int gw_guard_check_ip(struct gw_session *gs, gw_cont_fn *cont, uint64_t arg, const char **error_r);
/* The answer to gw_guard_check_ip (rep may be NULL: timed out): true only when the guard
 * answered that the address is blocked. */
bool gw_guard_blocked(struct pb_msg *rep);

/* Reports a login attempt by user (what the client logged in as) from the peer over protocol
 * ("pop3", "smtp") with result LOCKOUT_LOGIN_*: cont(session, arg, reply-or-NULL) runs with the
 * answer (read it with gw_guard_refused). Returns 0, or -1 with error_r (static) when nothing
 * was sent: cont will not run. */
int gw_guard_login(struct gw_session *gs, const char *user, const char *protocol, uint8_t result,
		   gw_cont_fn *cont, uint64_t arg, const char **error_r);
/* The answer to gw_guard_login (rep may be NULL): true when the login must be refused, whatever
 * the password was (the account is locked for this address, or the address is blocked:
 * *blocked_r then, and the connection ends after the blocked text). */
bool gw_guard_refused(struct pb_msg *rep, bool *blocked_r);

/* Reports count suspicious events (LOCKOUT_INTRUSION_*) of the peer over protocol ("smtp"):
 * cont(session, arg, reply-or-NULL) runs with the answer, read with
 * gw_guard_intrusion_blocked. Returns 0, or -1 with error_r (static) when nothing was sent:
 * cont will not run. */
int gw_guard_intrusion(struct gw_session *gs, const char *protocol, uint8_t event, uint32_t count,
		       gw_cont_fn *cont, uint64_t arg, const char **error_r);
/* The answer to gw_guard_intrusion (rep may be NULL): true only when the guard answered that
 * the address is blocked now (the session sends the blocked text and closes). */
bool gw_guard_intrusion_blocked(struct pb_msg *rep);

/* Whether a login that sends the password itself (USER/PASS, SASL PLAIN and LOGIN) may be
 * offered and taken on this connection: under TLS, from a loopback address (127.0.0.0/8, ::1,
 * ::ffff:127.x: the password never leaves the host — as Dovecot's disable_plaintext_auth), or
 * anywhere when the setting security.allow_plaintext_auth (allow) says so. */
bool gw_plaintext_auth_allowed(const struct gw_session *gs, bool allow);

/* Writes the security log line of a login attempt: "event=login" or "event=login_failed", then
 * "protocol= user= ip= mech=" and for a failure "reason=" (user quoted: client text; mech NULL
 * for USER/PASS, logged as USER; reason a static word: "bad_credentials", "locked", "blocked",
 * "unavailable"). Never a password. */
void gw_guard_log_login(struct gw_session *gs, const char *protocol, bool ok, const char *user,
			const char *mech, const char *reason);

#endif
