/*
 * imap-cmd-status.c: STATUS (RFC 3501 6.3.10) with HIGHESTMODSEQ (RFC 7162), SIZE (RFC 8438)
 * and APPENDLIMIT (RFC 7889), answered from the mailbox owner's counters — also for the
 * selected mailbox (RFC 3501 allows it; the owner's figures are the truth, the view's may lag).
 * RECENT is always 0: the store has no \Recent; IMAP4rev2 has no RECENT (BAD once enabled). DELETED (RFC 9051 6.3.11: the messages with
 * \Deleted) is not among the owner's stored counters: when it is asked, the owner counts it
 * from the folder's messages in the same request. The item writer is shared with LIST-STATUS
 * (imap-cmd-list.c), which asks the same way.
 * OWNS nothing. THREAD: the hub's.
 * MESSAGES sent (typed client stub): MBOX_FOLDERS_REQ (one folder).
 */
#include "imap-view.h"

#include "imap-mailbox-arg.h"

#include <stdlib.h>
#include <string.h>

void imap_status_write(const struct imap_session *s, const struct pb_rec_mbox_folder *f,
		       unsigned items, struct pb_buf *out)
{
	const char *sep = "";

	pb_buf_append_str(out, "* STATUS ");
	(void)imap_mailbox_arg_quote(f->name, s->utf8_accept, out); /* valid: listed before */
	pb_buf_append_str(out, " (");
#define ITEM(bit, fmt, v)                                                                       \
	if (items & (bit)) {                                                                     \
		pb_buf_printf(out, "%s" fmt, sep, v);                                             \
		sep = " ";                                                                       \
	}
	ITEM(IMAP_STATUS_MESSAGES, "MESSAGES %llu", (unsigned long long)f->messages)
	ITEM(IMAP_STATUS_RECENT, "RECENT %u", 0u)
	ITEM(IMAP_STATUS_UIDNEXT, "UIDNEXT %u", f->uidnext)
	ITEM(IMAP_STATUS_UIDVALIDITY, "UIDVALIDITY %u", f->uidvalidity)
	ITEM(IMAP_STATUS_UNSEEN, "UNSEEN %llu", (unsigned long long)f->unseen)
	ITEM(IMAP_STATUS_HIGHESTMODSEQ, "HIGHESTMODSEQ %llu", (unsigned long long)f->highestmodseq)
	ITEM(IMAP_STATUS_SIZE, "SIZE %llu", (unsigned long long)f->size)
	ITEM(IMAP_STATUS_DELETED, "DELETED %llu", (unsigned long long)f->deleted)
	ITEM(IMAP_STATUS_APPENDLIMIT, "APPENDLIMIT %llu", (unsigned long long)s->srv->max_append)
#undef ITEM
	pb_buf_append_str(out, ")\r\n");
}

const char *imap_status_items_check(const struct imap_session *s, unsigned items)
{
	return s->rev2 && (items & IMAP_STATUS_RECENT) ? "BAD RECENT is not in IMAP4rev2" : NULL;
}

const char *imap_check_status(const void *session, const void *cmdp)
{
	const struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	struct pb_buf name;
	const char *error;
	const char *why = imap_status_items_check(s, cmd->u.status.items);

	if (why != NULL)
		return why;

	pb_buf_init(&name);
	int ret = imap_mailbox_arg_decode(cmd->u.status.mailbox, s->utf8_accept, false, &name,
					  &error);
	pb_buf_deinit(&name);
	return ret < 0 ? "NO [CANNOT] Invalid mailbox name" : NULL;
}

static void status_answer(struct imap_session *s, const struct pb_rec_mbox_folder *f,
			  unsigned items)
{
	pb_buf_reset(&s->out);
	imap_status_write(s, f, items, &s->out);
	gw_write(s->gs, s->out.data, s->out.len);
	imap_tagged(s, "OK Status completed.");
}

static void on_status(void *session, uint64_t items, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct pb_rec_mbox_folder_list folders = {0};
	const char *error;
	uint32_t code = rep == NULL ? PB_ERR_TEMP : mailbox_client_folders_reply(rep, &folders, &error);

	s->busy = false;
	if (code == PB_OK && folders.n == 1) {
		status_answer(s, &folders.v[0], (unsigned)items);
	} else if (code == PB_OK || code == PB_ERR_NOTFOUND) {
		imap_tagged(s, "NO [NONEXISTENT] Mailbox doesn't exist");
	} else {
		imap_tagged(s, "NO [UNAVAILABLE] Cannot read the mailbox status");
	}
	pb_rec_mbox_folder_list_clear(&folders);
	imap_resume(s);
}

void imap_do_status(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	const char *error;

	(void)imap_mailbox_arg_decode(cmd->u.status.mailbox, s->utf8_accept, false, &s->out,
				      &error); /* checked */
	struct gw_pending call = imap_call_of(s, on_status, cmd->u.status.items);
	struct pb_sender tx = gw_sender(&call);
	const char *name = s->out.data;
	imap_asked(s, cmd->u.status.items & IMAP_STATUS_DELETED
			      ? mailbox_client_folders_deleted_send(&tx, s->user_id, name, &error)
			      : mailbox_client_folders_send(&tx, s->user_id, name, &error));
}
