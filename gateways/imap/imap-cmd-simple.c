/*
 * imap-cmd-simple.c: the commands that need no actor — NOOP (RFC 3501 6.1.2), LOGOUT (6.1.3),
 * ID (RFC 2971), ENABLE (RFC 5161: nothing of ours needs enabling yet, so "* ENABLED" lists
 * nothing) and NAMESPACE (RFC 2342: one personal namespace, "" with "/" as separator).
 * OWNS nothing. THREAD: the hub's.
 */
#include "imap-session-int.h"

void imap_do_noop(void *session, const void *cmd)
{
	imap_tagged(session, "OK NOOP completed.");
}

void imap_do_logout(void *session, const void *cmd)
{
	struct imap_session *s = session;

	imap_untagged(s, "BYE Logging out");
	imap_tagged(s, "OK Logout completed.");
	s->closing = true;
	s->state = IMAP_ST_LOGOUT;
	gw_close(s->gs, true);
}

void imap_do_id(void *session, const void *cmd)
{
	imap_untagged(session, "ID (\"name\" \"Pillarbox\" \"vendor\" \"Pillarbox\")");
	imap_tagged(session, "OK ID completed.");
}

/* RFC 5161 3.1: only in the authenticated state, before a mailbox is selected. */
const char *imap_check_enable(const void *session, const void *cmd)
{
	const struct imap_session *s = session;
	return s->state == IMAP_ST_AUTH ? NULL : "BAD ENABLE is not permitted in the selected state";
}

void imap_do_enable(void *session, const void *cmd)
{
	imap_untagged(session, "ENABLED");
	imap_tagged(session, "OK Enabled.");
}

void imap_do_namespace(void *session, const void *cmd)
{
	imap_untagged(session, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_tagged(session, "OK Namespace completed.");
}
