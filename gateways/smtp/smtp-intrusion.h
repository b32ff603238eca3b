/*
 * smtp-intrusion.h: what an SMTP session tells the lockout guard's intrusion protection
 * (issue 10 item 5; actors/lockout/intrusion-table.h weighs it): the suspicious behaviour it
 * sees, one report per event (a few per command at most), each a call whose answer says
 * whether the address is blocked now — then the client hears "421 4.7.0" and
 * LOCKOUT_BLOCKED_TEXT and the connection ends (after a spool commit in flight, never during
 * it: its outcome must reach the client).
 *  - early talk: input before the greeting (the session reads while the guard is asked and
 *    during security.intrusion_greet_delay_ms on port 25), once per connection;
 *  - pipelining without PIPELINING: a command parsed with more input already behind it,
 *    while the client has not seen EHLO's PIPELINING (before EHLO, after HELO, after
 *    STARTTLS), once per connection;
 *  - unknown recipients and bad commands (refused or invalid), past SMTP_INTRUSION_FREE of
 *    each per connection (honest clients make a few mistakes);
 *  - a failed AUTH, and a message whose content held a bare LF or CR.
 * Internal to pb_smtp. OWNS: struct smtp_intrusion (in the session). THREAD: the hub's.
 */
#ifndef SMTP_INTRUSION_H
#define SMTP_INTRUSION_H

#include <stdbool.h>
#include <stdint.h>

/* Unknown recipients, and bad commands, a connection may have before they count. */
#define SMTP_INTRUSION_FREE 3

struct smtp_session;

/* A session's intrusion state (zeroed with the session). */
struct smtp_intrusion {
	bool greeted;    /* the greeting went out */
	bool greet_wait; /* the greeting waits for its delay (the session deadline) */
	bool early, pipelined; /* reported already (once per connection) */
	bool blocked;    /* the guard said blocked during a commit: close once it is answered */
	uint32_t errors, unknown; /* bad commands, unknown recipients so far */
};

/* Input arrived (before it is parsed): early talk if the greeting has not gone out. */
void smtp_intrusion_input(struct smtp_session *s);
/* A command was parsed: pipelining if more input waits behind it and PIPELINING was not seen. */
void smtp_intrusion_command(struct smtp_session *s);
/* A command was refused or could not be parsed. */
void smtp_intrusion_bad_command(struct smtp_session *s);
/* A recipient was refused as unknown. */
void smtp_intrusion_unknown_rcpt(struct smtp_session *s);
/* An AUTH failed (wrong credentials, unknown user or locked). */
void smtp_intrusion_auth_failed(struct smtp_session *s);
/* The content of a message ended (DATA or BDAT mode still set): a bare LF or CR in it. */
void smtp_intrusion_content(struct smtp_session *s);

/* The guard answered that the address is blocked: true if the session then closed (with the
 * blocked text); false while nothing is due. Called as the session resumes. */
bool smtp_intrusion_close_if_blocked(struct smtp_session *s);
/* The guard let the client in: true when the greeting waits for
 * security.intrusion_greet_delay_ms (port 25 only; the session stays waiting and
 * smtp_intrusion_greet_due ends the wait), false to greet now. */
bool smtp_intrusion_greet_later(struct smtp_session *s);
/* The session deadline passed: true if it was the greeting delay's (the caller greets). */
bool smtp_intrusion_greet_due(struct smtp_session *s);

#endif
