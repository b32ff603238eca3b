/*
 * imap-cmd-copy.c: COPY and UID COPY (RFC 3501 6.4.7), MOVE and UID MOVE (RFC 6851) through
 * the mailbox owner (MBOX_COPY: one synced batch; bodies shared), with UIDPLUS's COPYUID
 * (RFC 4315). COPY answers "OK [COPYUID v src dst]"; MOVE sends "* OK [COPYUID ...]", then an
 * EXPUNGE for each message moved, then its tagged OK. A missing target is NO [TRYCREATE]. A
 * copy into the selected folder itself is shown at once (EXISTS: the view is listed afresh).
 * OWNS: the copy's job (the target folder's name). THREAD: the hub's.
 * MESSAGES sent (typed client stub): MBOX_COPY_REQ, MBOX_LIST_REQ (imap-view.c).
 */
#include "imap-view.h"

#include <string.h>

struct copy_job {
	char *dest;
	bool move;
	char *ok; /* COPY's tagged OK text, written once the view shows the copies */
};

const char *imap_check_copy(const void *session, const void *cmdp)
{
	const struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	struct pb_buf name;

	if (cmd->kind == IMAP_CMD_MOVE && s->view->readonly)
		return "NO [READ-ONLY] Mailbox is read-only";
	pb_buf_init(&name);
	const char *why = imap_folder_name(s, cmd->u.copy.mailbox, &name);
	pb_buf_deinit(&name);
	return why;
}

static void job_free(void *job)
{
	struct copy_job *j = job;

	free(j->dest);
	free(j->ok);
	free(j);
}

static void copy_done(struct imap_session *s, uint32_t code)
{
	struct copy_job *j = s->job;

	if (j->ok != NULL)
		imap_tagged(s, "%s", j->ok);
	imap_job_end(s);
	imap_resume(s);
}

/* Writes the COPYUID response code's text into s->out (no CRLF). */
static void copyuid(struct imap_session *s, const struct mailbox_copied *c)
{
	pb_buf_reset(&s->out);
	pb_buf_printf(&s->out, "[COPYUID %u ", c->uidvalidity);
	imap_uidset_append(&s->out, c->src_uids.v, c->src_uids.n);
	pb_buf_append_c(&s->out, ' ');
	imap_uidset_append(&s->out, c->dst_uids.v, c->dst_uids.n);
	pb_buf_append_str(&s->out, "]");
	pb_buf_append_c(&s->out, '\0');
}

/* The owner copied: COPYUID, the moved messages expunged, the tagged OK. */
static void copied(struct imap_session *s, struct copy_job *j, const struct mailbox_copied *c)
{
	char *code = NULL;

	if (c->src_uids.n > 0) {
		copyuid(s, c);
		code = xstrdup(s->out.data);
	}
	if (j->move) {
		if (code != NULL)
			imap_untagged(s, "OK %s Moved UIDs.", code);
		imap_view_expunge_uids(s, c->src_uids.v, c->src_uids.n, false);
		imap_tagged(s, "OK Move completed.");
	} else {
		pb_buf_reset(&s->out);
		pb_buf_printf(&s->out, "OK %s%sCopy completed.", code != NULL ? code : "",
			      code != NULL ? " " : "");
		pb_buf_append_c(&s->out, '\0');
		j->ok = xstrdup(s->out.data);
	}
	free(code);
}

static void on_copied(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct copy_job *j = s->job;
	struct mailbox_copied c;
	const char *error = "";

	s->busy = false;
	memset(&c, 0, sizeof(c));
	uint32_t code = rep != NULL ? mailbox_client_copy_reply(rep, &c, &error) : PB_ERR_TEMP;
	if (code == PB_ERR_NOTFOUND)
		imap_tagged(s, "NO [TRYCREATE] Mailbox doesn't exist");
	else if (code == PB_ERR_REFUSED)
		imap_tagged(s, "NO [CANNOT] Cannot move messages into their own mailbox");
	else if (code == PB_ERR_OVERQUOTA)
		imap_tagged(s, "NO [OVERQUOTA] Mailbox quota exceeded");
	else if (code != PB_OK || s->view == NULL)
		imap_tagged(s, "NO [UNAVAILABLE] Cannot copy the messages now");
	else
		copied(s, j, &c);
	mailbox_copied_free(&c);
	if (j->ok == NULL || strcmp(j->dest, s->view->folder) != 0) {
		copy_done(s, code);
		return;
	}
	s->view->pending.appended = true; /* the copies are in the selected folder: EXISTS before the OK */
	if (imap_view_refresh(s, copy_done) < 0)
		copy_done(s, PB_ERR_TEMP);
}

void imap_do_copy(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	const char *verb = cmd->kind == IMAP_CMD_MOVE ? "Move" : "Copy", *error;
	uint32_t *msns;

	long n = imap_view_resolve(s->view, &cmd->u.copy.set, cmd->uid, &msns, &error);
	if (n <= 0) {
		if (n < 0)
			imap_tagged(s, "BAD %s", error);
		else
			imap_tagged(s, "OK %s completed.", verb);
		return;
	}
	struct copy_job *j = xcalloc(1, sizeof(*j));
	(void)imap_folder_name(s, cmd->u.copy.mailbox, &s->out); /* checked */
	j->dest = xstrdup(s->out.data);
	j->move = cmd->kind == IMAP_CMD_MOVE;
	uint64_t *uids = xmalloc((size_t)n * sizeof(*uids));
	for (long i = 0; i < n; i++)
		uids[i] = IMAP_MSG(s->view, msns[i])->uid;
	free(msns);
	struct gw_pending call = imap_call_of(s, on_copied, 0);
	struct pb_sender tx = gw_sender(&call);
	imap_job_begin(s, j, job_free, NULL);
	if (imap_asked(s, mailbox_client_copy_send(&tx, s->user_id, s->view->folder, j->dest, uids,
						   (uint32_t)n, j->move, &error)) < 0)
		imap_job_end(s);
	free(uids);
}
