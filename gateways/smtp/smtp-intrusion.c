/*
 * smtp-intrusion.c: an SMTP session's reports to the guard's intrusion protection (see
 * smtp-intrusion.h).
 * OWNS: struct smtp_intrusion (in struct smtp_session). THREAD: the hub's.
 * MESSAGES sent (gw-guard.h): LOCKOUT_INTRUSION_REQ, a call answered with CHECK_IP's reply.
 */
#include "smtp-session-int.h"

#include "gw-guard.h"
#include "pb-log.h"

/* The guard's answer to a report: blocked → the blocked text and close (after a commit in
 * flight: smtp_intrusion_close_if_blocked does it when the session resumes). */
static void on_answer(void *session, uint64_t arg, struct pb_msg *m)
{
	struct smtp_session *s = session;

	if (s->closing || !gw_guard_intrusion_blocked(m))
		return;
	s->intr.blocked = true;
	if (!s->gs->must_finish)
		smtp_intrusion_close_if_blocked(s);
}

static void report(struct smtp_session *s, uint8_t event)
{
	const char *error;

	if (gw_guard_intrusion(s->gs, "smtp", event, 1, on_answer, 0, &error) < 0)
		pb_debug("smtp", "event=intrusion_not_reported peer=%s reason=%s", gw_peer(s->gs),
			 PB_LOGQ(error));
}

bool smtp_intrusion_close_if_blocked(struct smtp_session *s)
{
	if (!s->intr.blocked || s->closing)
		return false;
	pb_info("smtp", "event=refused_blocked ip=%s why=intrusion", gw_peer(s->gs));
	smtp_session_close_with(s, 421, "4.7.0", LOCKOUT_BLOCKED_TEXT);
	return true;
}

void smtp_intrusion_input(struct smtp_session *s)
{
	if (s->intr.greeted || s->intr.early)
		return;
	s->intr.early = true;
	pb_info("smtp", "event=early_talker peer=%s", gw_peer(s->gs));
	report(s, LOCKOUT_INTRUSION_EARLY_TALK);
}

void smtp_intrusion_command(struct smtp_session *s)
{
	const void *data;
	size_t len;

	if (s->esmtp || s->intr.pipelined)
		return;
	smtp_parser_pending(s->parser, &data, &len);
	if (len == 0)
		return;
	s->intr.pipelined = true;
	pb_info("smtp", "event=pipelining_unannounced peer=%s", gw_peer(s->gs));
	report(s, LOCKOUT_INTRUSION_PIPELINING);
}

void smtp_intrusion_bad_command(struct smtp_session *s)
{
	if (++s->intr.errors > SMTP_INTRUSION_FREE)
		report(s, LOCKOUT_INTRUSION_BAD_COMMAND);
}

void smtp_intrusion_unknown_rcpt(struct smtp_session *s)
{
	if (++s->intr.unknown > SMTP_INTRUSION_FREE)
		report(s, LOCKOUT_INTRUSION_UNKNOWN_RCPT);
}

void smtp_intrusion_auth_failed(struct smtp_session *s)
{
	report(s, LOCKOUT_INTRUSION_AUTH_FAILURE);
}

void smtp_intrusion_content(struct smtp_session *s)
{
	const struct smtp_body_check *c = s->mode == MODE_BDAT ? &s->bdat.check : &s->data.check;

	if (c->bare || c->bare_lf)
		report(s, LOCKOUT_INTRUSION_BARE_LF);
}

bool smtp_intrusion_greet_later(struct smtp_session *s)
{
	uint32_t delay = s->srv->greet_delay_ms;

	if (s->submission || delay == 0)
		return false;
	s->intr.greet_wait = true;
	s->waiting = true; /* input is read (and early talk seen) but not run */
	gw_set_deadline(s->gs, delay);
	return true;
}

bool smtp_intrusion_greet_due(struct smtp_session *s)
{
	if (!s->intr.greet_wait)
		return false;
	s->intr.greet_wait = false;
	return true;
}
