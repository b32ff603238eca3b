/*
 * imap-cmd-idle.c: IDLE (RFC 2177), and NOOP and CHECK in the selected state (RFC 3501
 * 6.1.2, 6.4.1): the moments the session tells the client what others changed (RFC 3501
 * 7.4.1: never during FETCH, STORE or SEARCH). A changed view is listed afresh and the
 * differences go out (imap_view_sync); while idling, each change event does that at once.
 * The autologout applies while idling too (clients re-issue IDLE every 29 minutes).
 * OWNS nothing. THREAD: the hub's.
 * MESSAGES sent: MBOX_LIST_REQ (imap-view.c).
 */
#include "imap-view.h"

#include <strings.h>

static void noop_done(struct imap_session *s, uint32_t code)
{
	if (code == PB_OK)
		imap_tagged(s, "OK %s completed.", s->check ? "Check" : "NOOP");
	else
		imap_tagged(s, "NO [UNAVAILABLE] Cannot read the mailbox now");
	imap_resume(s);
}

void imap_do_check(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;

	s->check = cmd->kind == IMAP_CMD_CHECK;
	if (imap_view_refresh(s, noop_done) < 0)
		noop_done(s, PB_ERR_TEMP);
}

/* A change event that came during the listing marked the view again: listed again. */
static void idle_refreshed(struct imap_session *s, uint32_t code)
{
	if (code == PB_OK && s->idling && s->view != NULL && imap_view_pending(s->view))
		imap_idle_refresh(s);
	imap_resume(s);
}

void imap_idle_refresh(struct imap_session *s)
{
	(void)imap_view_refresh(s, idle_refreshed); /* on failure still pending: tried again */
}

void imap_do_idle(void *session, const void *cmd)
{
	struct imap_session *s = session;

	s->idling = true;
	gw_write_str(s->gs, "+ idling\r\n");
	if (s->view != NULL && imap_view_pending(s->view))
		imap_idle_refresh(s);
}

bool imap_idle_line(struct imap_session *s)
{
	const char *line;
	size_t len;
	int rc = imap_parser_next_line(s->parser, &line, &len);

	if (rc == 0)
		return false;
	s->idling = false;
	if (rc > 0 && strcasecmp(line, "DONE") == 0)
		imap_tagged(s, "OK Idle completed.");
	else
		imap_tagged(s, "BAD Expected DONE.");
	return true;
}
