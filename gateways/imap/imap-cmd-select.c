/*
 * imap-cmd-select.c: SELECT and EXAMINE (RFC 3501 6.3.1, 6.3.2; CONDSTORE and QRESYNC
 * parameters of RFC 7162, imap-condstore.c), UNSELECT (RFC 3691). SELECT starts the watch of
 * the folder before listing it (imap-view-evt.c), so no change falls between the two.
 * A name is decoded from modified UTF-7 and checked (imap-mailbox-name.h); INBOX is case-
 * insensitive. Any folder the mailbox owner's listing knows by name can be selected; one it
 * does not know is NO [NONEXISTENT].
 * OWNS: the view it makes (the session's). THREAD: the hub's.
 * MESSAGES sent (typed client stubs): MBOX_LIST_REQ, MBOX_FOLDER_WATCH_REQ.
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
	return why != NULL ? why : imap_condstore_check_select(s, &cmd->u.select);
}

static void write_selected(struct imap_session *s)
{
	struct imap_view *v = s->view;
	const struct mailbox_list *l = &v->list;
	size_t unseen = 0;

	for (size_t i = 0; i < IMAP_COUNT(v); i++) {
		if (unseen == 0 && !(IMAP_MSG(v, i + 1)->flags & IMAP_FLAG_SEEN))
			unseen = i + 1;
		(void)imap_view_learn_keywords(v, IMAP_MSG(v, i + 1)->keywords);
	}
	imap_view_write_flags(s);
	imap_untagged(s, "%u EXISTS", (unsigned)IMAP_COUNT(v));
	imap_rev2_selected(s); /* imap-cmd-list.c: LIST under IMAP4rev2, else RECENT */
	if (unseen != 0 && !s->rev2) /* RFC 9051 7.1: no UNSEEN code in IMAP4rev2 */
		imap_untagged(s, "OK [UNSEEN %zu] First unseen.", unseen);
	imap_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", l->uidvalidity);
	imap_untagged(s, "OK [UIDNEXT %u] Predicted next UID", l->uidnext);
	imap_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest", (unsigned long long)l->highestmodseq);
	imap_condstore_selected(s);
	imap_tagged(s, "OK [%s] %s completed.", v->readonly ? "READ-ONLY" : "READ-WRITE",
		    v->readonly ? "Examine" : "Select");
}

static void on_select_listed(struct imap_session *s, uint32_t code)
{
	if (code == PB_OK) {
		imap_view_take_listing(s); /* shared with the views told the same */
		s->state = IMAP_ST_SELECTED;
		write_selected(s);
	} else {
		imap_view_unwatch(s);
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

	/* RFC 3501 6.3.1: the old one is closed, without expunge (the new watch replaces the
	 * old); RFC 7162 3.2.11: [CLOSED] tells a QRESYNC client where the old one's answers end */
	if (s->state == IMAP_ST_SELECTED && (s->qresync || s->rev2)) /* RFC 9051 7.1 too */
		imap_untagged(s, "OK [CLOSED] Previous mailbox closed.");
	imap_view_free(&s->view);
	s->state = s->state == IMAP_ST_SELECTED ? IMAP_ST_AUTH : s->state;
	(void)imap_folder_name(s, cmd->u.select.mailbox, &s->out); /* checked */
	v->folder = xstrdup(s->out.data);
	v->readonly = cmd->kind == IMAP_CMD_EXAMINE;
	s->view = v;
	imap_condstore_select_begin(s, &cmd->u.select);
	imap_view_watch(s);
	if (imap_asked(s, imap_view_list(s, v->folder, on_select_listed)) < 0) {
		imap_view_unwatch(s);
		imap_view_free(&s->view);
	}
}

void imap_deselect(struct imap_session *s)
{
	imap_view_unwatch(s);
	imap_view_free(&s->view);
	if (s->state == IMAP_ST_SELECTED)
		s->state = IMAP_ST_AUTH;
}

void imap_do_unselect(void *session, const void *cmd)
{
	imap_deselect(session);
	imap_tagged(session, "OK Unselect completed.");
}
