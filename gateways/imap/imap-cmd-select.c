/*
 * imap-cmd-select.c: SELECT and EXAMINE (RFC 3501 6.3.1, 6.3.2), UNSELECT (RFC 3691), and the
 * session's watch on its user's mailbox (MBOX_WATCH: the owner tells the session's address of
 * every change; the view is marked dirty when the change is in the selected folder).
 * A name is decoded from modified UTF-7 and checked (imap-mailbox-name.h); INBOX is case-
 * insensitive. Any folder the mailbox owner's listing knows by name can be selected; one it
 * does not know is NO [NONEXISTENT].
 * OWNS: the view it makes (the session's). THREAD: the hub's.
 * MESSAGES sent (typed client stubs): MBOX_LIST_REQ, MBOX_WATCH_REQ.
 */
#include "imap-view.h"

#include "imap-mailbox-arg.h"
#include "imap-mailbox-name.h"
#include "pb-log.h"

#include <string.h>
#include <strings.h>

const char *imap_folder_name(const struct imap_session *s, const char *name, struct pb_buf *out)
{
	const char *error;

	if (imap_mailbox_arg_decode(name, s->utf8_accept, false, out, &error) < 0)
		return "NO [CANNOT] Invalid mailbox name";
	return NULL;
}

const char *imap_check_select(const void *session, const void *cmdp)
{
	const struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	struct pb_buf name;

	pb_buf_init(&name);
	const char *why = imap_folder_name(s, cmd->u.select.mailbox, &name);
	pb_buf_deinit(&name);
	if (why == NULL && (cmd->u.select.condstore || cmd->u.select.qresync))
		why = "BAD CONDSTORE and QRESYNC are not supported yet";
	return why;
}

static void on_watched(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	const char *error;

	if (rep == NULL || mailbox_client_watch_reply(rep, &error) != PB_OK)
		s->watching = false; /* changes are then seen at the next SELECT only */
}

/* Asks the owner for change events (once per session; not waited for). */
static void watch(struct imap_session *s)
{
	char addr[PB_MSG_MAX_ADDR];
	const char *error;

	if (s->watching)
		return;
	gw_event_address(s->gs, addr, sizeof(addr));
	struct gw_pending call = imap_call_of(s, on_watched, 0);
	struct pb_sender tx = gw_sender(&call);
	s->watching = mailbox_client_watch_send(&tx, s->user_id, addr, true, &error) == 0;
}

static void write_selected(struct imap_session *s)
{
	struct imap_view *v = s->view;
	const struct mailbox_list *l = &v->list;
	size_t unseen = 0;

	for (size_t i = 0; i < IMAP_COUNT(v) && unseen == 0; i++)
		if (!(l->entries.v[i].flags & IMAP_FLAG_SEEN))
			unseen = i + 1;
	imap_untagged(s, "FLAGS (" IMAP_SYSTEM_FLAGS ")");
	imap_untagged(s, "%u EXISTS", (unsigned)IMAP_COUNT(v));
	imap_untagged(s, "0 RECENT");
	if (unseen != 0)
		imap_untagged(s, "OK [UNSEEN %zu] First unseen.", unseen);
	imap_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", l->uidvalidity);
	imap_untagged(s, "OK [UIDNEXT %u] Predicted next UID", l->uidnext);
	imap_untagged(s, "OK [PERMANENTFLAGS (%s)] Limited", v->readonly ? "" : IMAP_SYSTEM_FLAGS);
	imap_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest", (unsigned long long)l->highestmodseq);
	imap_tagged(s, "OK [%s] %s completed.", v->readonly ? "READ-ONLY" : "READ-WRITE",
		    v->readonly ? "Examine" : "Select");
}

static void on_select_listed(struct imap_session *s, uint32_t code)
{
	if (code == PB_OK) {
		struct imap_view *v = s->view;
		v->list = s->listing;
		memset(&s->listing, 0, sizeof(s->listing));
		s->state = IMAP_ST_SELECTED;
		write_selected(s);
		watch(s);
	} else {
		imap_view_free(&s->view);
		imap_tagged(s, code == PB_ERR_NOTFOUND ? "NO [NONEXISTENT] Mailbox doesn't exist"
						       : "NO [UNAVAILABLE] Cannot open the mailbox");
	}
	imap_resume(s);
}

void imap_do_select(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	struct imap_view *v = xcalloc(1, sizeof(*v));

	imap_deselect(s); /* RFC 3501 6.3.1: the old one is closed, without expunge */
	(void)imap_folder_name(s, cmd->u.select.mailbox, &s->out); /* checked */
	v->folder = xstrdup(s->out.data);
	v->readonly = cmd->kind == IMAP_CMD_EXAMINE;
	s->view = v;
	if (imap_asked(s, imap_view_list(s, v->folder, on_select_listed)) < 0)
		imap_view_free(&s->view);
}

void imap_deselect(struct imap_session *s)
{
	imap_view_free(&s->view);
	if (s->state == IMAP_ST_SELECTED)
		s->state = IMAP_ST_AUTH;
}

void imap_do_unselect(void *session, const void *cmd)
{
	imap_deselect(session);
	imap_tagged(session, "OK Unselect completed.");
}

void imap_on_changed(struct imap_session *s, struct pb_msg *m)
{
	const struct msg_mbox_changed_evt *e = &m->u.mbox_changed_evt;

	if (s->view == NULL || e->user_id != s->user_id || strcmp(e->folder, s->view->folder) != 0)
		return;
	s->view->dirty = true;
	if (s->idling && !s->busy)
		imap_idle_refresh(s);
}
