/*
 * imap-cmd-status.c: STATUS (RFC 3501 6.3.10) with HIGHESTMODSEQ (RFC 7162), SIZE (RFC 8438)
 * and APPENDLIMIT (RFC 7889), answered from the mailbox owner's counters — also for the
 * selected mailbox (RFC 3501 allows it; the owner's figures are the truth, the view's may lag).
 * RECENT is always 0: the store has no \Recent. DELETED (RFC 9051 6.3.11: the messages with
 * \Deleted) is not among the owner's counters: when it is asked, the folder is listed
 * (imap_view_list, as SELECT lists it) and its \Deleted messages counted. LIST-STATUS leaves
 * DELETED out. The item writer is shared with LIST-STATUS (imap-cmd-list.c).
 * OWNS: struct status_job (the session's job while the folder is listed). THREAD: the hub's.
 * MESSAGES sent (typed client stub): MBOX_FOLDERS_REQ (one folder), MBOX_LIST_REQ.
 */
#include "imap-view.h"

#include "imap-mailbox-arg.h"

#include <stdlib.h>
#include <string.h>

void imap_status_write(const struct imap_session *s, const struct pb_rec_mbox_folder *f,
		       unsigned items, uint64_t deleted, struct pb_buf *out)
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
	ITEM(IMAP_STATUS_DELETED, "DELETED %llu", (unsigned long long)deleted)
	ITEM(IMAP_STATUS_APPENDLIMIT, "APPENDLIMIT %llu", (unsigned long long)s->srv->max_append)
#undef ITEM
	pb_buf_append_str(out, ")\r\n");
}

const char *imap_check_status(const void *session, const void *cmdp)
{
	const struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	struct pb_buf name;
	const char *error;

	pb_buf_init(&name);
	int ret = imap_mailbox_arg_decode(cmd->u.status.mailbox, s->utf8_accept, false, &name,
					  &error);
	pb_buf_deinit(&name);
	return ret < 0 ? "NO [CANNOT] Invalid mailbox name" : NULL;
}

static void status_answer(struct imap_session *s, const struct pb_rec_mbox_folder *f,
			  unsigned items, uint64_t deleted)
{
	pb_buf_reset(&s->out);
	imap_status_write(s, f, items, deleted, &s->out);
	gw_write(s->gs, s->out.data, s->out.len);
	imap_tagged(s, "OK Status completed.");
}

/* STATUS (DELETED): the folder's record while its messages are listed. */
struct status_job {
	struct pb_rec_mbox_folder_list folders; /* the one folder */
	unsigned items;
};

static void status_job_free(void *p)
{
	struct status_job *j = p;

	pb_rec_mbox_folder_list_clear(&j->folders);
	free(j);
}

static void on_deleted_listed(struct imap_session *s, uint32_t code)
{
	struct status_job *j = s->job;
	uint64_t deleted = 0;

	for (size_t i = 0; code == PB_OK && i < s->listing.entries.n; i++)
		deleted += (s->listing.entries.v[i].flags & IMAP_FLAG_DELETED) != 0;
	mailbox_list_free(&s->listing);
	memset(&s->listing, 0, sizeof(s->listing));
	if (code == PB_OK)
		status_answer(s, &j->folders.v[0], j->items, deleted);
	else if (code == PB_ERR_NOTFOUND)
		imap_tagged(s, "NO [NONEXISTENT] Mailbox doesn't exist");
	else
		imap_tagged(s, "NO [UNAVAILABLE] Cannot read the mailbox status");
	imap_job_end(s);
	imap_resume(s);
}

/* Lists the one folder of *folders (taken) to count its \Deleted messages. */
static void count_deleted(struct imap_session *s, struct pb_rec_mbox_folder_list *folders,
			  unsigned items)
{
	struct status_job *j = xcalloc(1, sizeof(*j));

	j->folders = *folders;
	memset(folders, 0, sizeof(*folders));
	j->items = items;
	imap_job_begin(s, j, status_job_free, NULL);
	if (imap_view_list(s, j->folders.v[0].name, on_deleted_listed) == 0)
		return;
	imap_tagged(s, "NO [UNAVAILABLE] Cannot read the mailbox status");
	imap_job_end(s);
	imap_resume(s);
}

static void on_status(void *session, uint64_t items, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct pb_rec_mbox_folder_list folders = {0};
	const char *error;
	uint32_t code = rep == NULL ? PB_ERR_TEMP : mailbox_client_folders_reply(rep, &folders, &error);

	s->busy = false;
	if (code == PB_OK && folders.n == 1 && (items & IMAP_STATUS_DELETED)) {
		count_deleted(s, &folders, (unsigned)items);
		return;
	} else if (code == PB_OK && folders.n == 1) {
		status_answer(s, &folders.v[0], (unsigned)items, 0);
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
	imap_asked(s, mailbox_client_folders_send(&tx, s->user_id, s->out.data, &error));
}
