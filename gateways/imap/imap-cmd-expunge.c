/*
 * imap-cmd-expunge.c: EXPUNGE (RFC 3501 6.4.3) and CLOSE (6.4.2): the messages of the view
 * marked \Deleted are removed by the mailbox owner in one atomic write (MBOX_EXPUNGE), then
 * EXPUNGE tells the client each one (CLOSE says nothing and leaves the selected state). A
 * read-only mailbox (EXAMINE) is never expunged; CLOSE then only leaves it.
 * OWNS nothing. THREAD: the hub's.
 * MESSAGES sent (typed client stub): MBOX_EXPUNGE_REQ.
 */
#include "imap-view.h"

#include <string.h>

/* The uids marked \Deleted, into a new array (NULL when none); their count. */
static size_t deleted_uids(const struct imap_view *v, uint64_t **uids_r)
{
	size_t n = 0;

	*uids_r = NULL;
	for (size_t i = 0; i < IMAP_COUNT(v); i++) {
		if (v->list.entries.v[i].flags & IMAP_FLAG_DELETED) {
			if (*uids_r == NULL)
				*uids_r = xmalloc(IMAP_COUNT(v) * sizeof(**uids_r));
			(*uids_r)[n++] = v->list.entries.v[i].uid;
		}
	}
	return n;
}

/* Drops the \Deleted messages from the view, telling each (quiet: CLOSE). */
static void drop_deleted(struct imap_session *s, bool quiet)
{
	struct pb_rec_mbox_entry_list *l = &s->view->list.entries;
	size_t kept = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].flags & IMAP_FLAG_DELETED) {
			if (!quiet)
				imap_untagged(s, "%zu EXPUNGE", kept + 1);
			free(l->v[i].blob_key);
			continue;
		}
		l->v[kept++] = l->v[i];
	}
	l->n = kept;
}

static void on_expunged(void *session, uint64_t close, struct pb_msg *rep)
{
	struct imap_session *s = session;
	const char *error;

	s->busy = false;
	if (rep == NULL || mailbox_client_expunge_reply(rep, &error) != PB_OK) {
		imap_tagged(s, "NO [UNAVAILABLE] Some messages could not be expunged");
	} else if (close) {
		imap_deselect(s);
		imap_tagged(s, "OK Close completed.");
	} else {
		drop_deleted(s, false);
		imap_tagged(s, "OK Expunge completed.");
	}
	imap_resume(s);
}

/* Expunges the \Deleted messages, then on_expunged answers. */
static void expunge(struct imap_session *s, bool close)
{
	uint64_t *uids;
	size_t n = deleted_uids(s->view, &uids);
	const char *error;

	if (n == 0) {
		if (close)
			imap_deselect(s);
		imap_tagged(s, close ? "OK Close completed." : "OK Expunge completed.");
		return;
	}
	struct gw_pending call = imap_call_of(s, on_expunged, close);
	struct pb_sender tx = gw_sender(&call);
	imap_asked(s, mailbox_client_expunge_send(&tx, s->user_id, s->view->folder, uids,
						  (uint32_t)n, &error));
	free(uids);
}

void imap_do_expunge(void *session, const void *cmd)
{
	struct imap_session *s = session;

	if (s->view->readonly)
		imap_tagged(s, "NO [READ-ONLY] Mailbox is read-only");
	else
		expunge(s, false);
}

void imap_do_close(void *session, const void *cmd)
{
	struct imap_session *s = session;

	if (s->view->readonly) {
		imap_deselect(s);
		imap_tagged(s, "OK Close completed.");
		return;
	}
	expunge(s, true);
}
