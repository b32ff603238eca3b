/*
 * imap-cmd-expunge.c: EXPUNGE (RFC 3501 6.4.3), UID EXPUNGE (RFC 4315 2.1) and CLOSE (6.4.2):
 * the mailbox owner removes the messages flagged \Deleted (all of them, or for UID EXPUNGE
 * only those of the uid set the view knows) in one synced batch (MBOX_EXPUNGE_DELETED) and
 * names the uids it removed; EXPUNGE tells the client each one the view held (CLOSE says
 * nothing and leaves the selected state). A read-only mailbox (EXAMINE) is never expunged;
 * CLOSE then only leaves it.
 * OWNS nothing. THREAD: the hub's.
 * MESSAGES sent (typed client stub): MBOX_EXPUNGE_DELETED_REQ.
 */
#include "imap-view.h"

#include <string.h>

static void on_expunged(void *session, uint64_t close, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct pb_u64v uids = { NULL, 0 };
	uint64_t modseq;
	const char *error;

	s->busy = false;
	if (rep == NULL ||
	    mailbox_client_expunge_deleted_reply(rep, &uids, &modseq, &error) != PB_OK) {
		imap_tagged(s, "NO [UNAVAILABLE] Some messages could not be expunged");
	} else if (close) {
		imap_deselect(s);
		imap_tagged(s, "OK Close completed.");
	} else {
		if (s->view != NULL)
			imap_view_expunge_uids(s, uids.v, uids.n, false);
		imap_tagged(s, "OK Expunge completed.");
	}
	pb_u64v_clear(&uids);
	imap_resume(s);
}

/* Asks the owner to expunge (all: every \Deleted message; else those of uids[0..n)). */
static void expunge(struct imap_session *s, bool close, bool all, const uint64_t *uids,
		    size_t n)
{
	struct gw_pending call = imap_call_of(s, on_expunged, close);
	struct pb_sender tx = gw_sender(&call);
	const char *error;

	imap_asked(s, mailbox_client_expunge_deleted_send(&tx, s->user_id, s->view->folder, all,
							  uids, (uint32_t)n, &error));
}

/* UID EXPUNGE: the uids of the set that the view holds (none: nothing to do). */
static void uid_expunge(struct imap_session *s, const struct imap_cmd *cmd)
{
	uint32_t *msns;
	const char *error;
	long n = imap_view_resolve(s->view, &cmd->u.expunge, true, &msns, &error);

	if (n <= 0) {
		imap_tagged(s, n < 0 ? "BAD %s" : "OK %sExpunge completed.", n < 0 ? error : "");
		return;
	}
	uint64_t *uids = xmalloc((size_t)n * sizeof(*uids));
	for (long i = 0; i < n; i++)
		uids[i] = IMAP_MSG(s->view, msns[i])->uid;
	free(msns);
	expunge(s, false, false, uids, (size_t)n);
	free(uids);
}

void imap_do_expunge(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;

	if (s->view->readonly)
		imap_tagged(s, "NO [READ-ONLY] Mailbox is read-only");
	else if (cmd->uid)
		uid_expunge(s, cmd);
	else
		expunge(s, false, true, NULL, 0);
}

void imap_do_close(void *session, const void *cmd)
{
	struct imap_session *s = session;

	if (s->view->readonly) {
		imap_deselect(s);
		imap_tagged(s, "OK Close completed.");
		return;
	}
	expunge(s, true, true, NULL, 0);
}
