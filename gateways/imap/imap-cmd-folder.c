/*
 * imap-cmd-folder.c: CREATE, DELETE, RENAME (RFC 3501 6.3.3-6.3.5), SUBSCRIBE and UNSUBSCRIBE
 * (6.3.6, 6.3.7), each one MBOX_FOLDER_REQ to the user's mailbox owner. Names are decoded
 * (modified UTF-7, or UTF-8 under UTF8=ACCEPT) and checked before any request; INBOX is
 * case-insensitive. The owner's decisions (mailbox-client.h) show through as:
 *  CREATE: superiors made too, a trailing "/" dropped; INBOX or an existing name is
 *    NO [ALREADYEXISTS]. CREATE-SPECIAL-USE (RFC 6154 3): `CREATE name (USE (\Sent))` gives
 *    the folder its use; a use not kept here (\All, \Flagged, several at once) or one a
 *    folder has already is NO [USEATTR], and nothing is created.
 *  DELETE: INBOX refused; a folder with inferiors refused (there is no \Noselect folder here:
 *    the inferiors go first); a missing one NO [NONEXISTENT]. Deleting the selected mailbox
 *    leaves the selected state (as Dovecot does); other sessions learn it from the owner's
 *    events.
 *  RENAME: the inferiors move too; INBOX moves its messages to the new folder and stays;
 *    a taken new name NO [ALREADYEXISTS]. The selected mailbox renamed stays selected under
 *    its new name.
 *  SUBSCRIBE/UNSUBSCRIBE: any valid name, folder or not.
 * OWNS: the job of the command under way (the two names). THREAD: the hub's.
 * MESSAGES sent (typed client stub): MBOX_FOLDER_REQ.
 */
#include "imap-session-int.h"
#include "imap-view.h"

#include "imap-mailbox-arg.h"

#include <stdlib.h>
#include <string.h>

#define BAD_NAME "NO [CANNOT] Invalid mailbox name"
#define EXISTS "NO [ALREADYEXISTS] Mailbox already exists"

struct folder_job {
	uint32_t op;
	uint32_t special_use; /* CREATE's USE (enum pb_special_use), 0 none */
	char *name, *new_name; /* UTF-8, as the owner names them */
};

static void folder_job_free(void *p)
{
	struct folder_job *j = p;

	free(j->name);
	free(j->new_name);
	free(j);
}

static uint32_t op_of(enum imap_cmd_kind kind)
{
	switch (kind) {
	case IMAP_CMD_CREATE:
		return MAILBOX_FOLDER_CREATE;
	case IMAP_CMD_DELETE:
		return MAILBOX_FOLDER_DELETE;
	case IMAP_CMD_RENAME:
		return MAILBOX_FOLDER_RENAME;
	case IMAP_CMD_SUBSCRIBE:
		return MAILBOX_FOLDER_SUBSCRIBE;
	default:
		return MAILBOX_FOLDER_UNSUBSCRIBE;
	}
}

/* CREATE's USE (RFC 6154 3) into *use_r: none, or one use this server keeps (a folder has
 * one). Returns NULL, or the refusal. */
static const char *use_of(const struct imap_cmd *cmd, uint32_t *use_r)
{
	*use_r = 0;
	if (cmd->u.mbox.n_uses == 0)
		return NULL;
	if (cmd->u.mbox.n_uses > 1)
		return "NO [USEATTR] A mailbox has one special use here";
	*use_r = imap_special_use_of(cmd->u.mbox.uses[0]);
	return *use_r == 0 ? "NO [USEATTR] Special use not supported" : NULL;
}

/* Decodes the command's names into a new job; *why_r the refusal when it returns NULL. */
static struct folder_job *job_of(const struct imap_session *s, const struct imap_cmd *cmd,
				 const char **why_r)
{
	struct folder_job *j = xcalloc(1, sizeof(*j));
	struct pb_buf b;
	const char *error;

	j->op = op_of(cmd->kind);
	pb_buf_init(&b);
	bool create = j->op == MAILBOX_FOLDER_CREATE;
	if (imap_mailbox_arg_decode(cmd->u.mbox.mailbox, s->utf8_accept, create, &b, &error) == 0) {
		j->name = xstrdup(b.data);
		if (j->op == MAILBOX_FOLDER_RENAME &&
		    imap_mailbox_arg_decode(cmd->u.mbox.to, s->utf8_accept, true, &b, &error) == 0)
			j->new_name = xstrdup(b.data);
	}
	pb_buf_deinit(&b);
	*why_r = j->name == NULL || (j->op == MAILBOX_FOLDER_RENAME && j->new_name == NULL)
			 ? BAD_NAME : NULL;
	if (*why_r == NULL && cmd->kind == IMAP_CMD_CREATE)
		*why_r = use_of(cmd, &j->special_use);
	if (*why_r == NULL && strcmp(j->name, "INBOX") == 0 && j->op == MAILBOX_FOLDER_CREATE)
		*why_r = EXISTS;
	if (*why_r == NULL && strcmp(j->name, "INBOX") == 0 && j->op == MAILBOX_FOLDER_DELETE)
		*why_r = "NO [CANNOT] INBOX cannot be deleted";
	if (*why_r == NULL && j->new_name != NULL && strcmp(j->new_name, "INBOX") == 0)
		*why_r = EXISTS;
	if (*why_r != NULL) {
		folder_job_free(j);
		return NULL;
	}
	return j;
}

const char *imap_check_folder(const void *session, const void *cmd)
{
	const char *why;
	struct folder_job *j = job_of(session, cmd, &why);

	if (j != NULL)
		folder_job_free(j);
	return why;
}

static const char *const done_text[] = {
	[MAILBOX_FOLDER_CREATE] = "OK Create completed.",
	[MAILBOX_FOLDER_DELETE] = "OK Delete completed.",
	[MAILBOX_FOLDER_RENAME] = "OK Rename completed.",
	[MAILBOX_FOLDER_SUBSCRIBE] = "OK Subscribe completed.",
	[MAILBOX_FOLDER_UNSUBSCRIBE] = "OK Unsubscribe completed.",
};

/* The tagged NO for the owner's refusal of op. */
static const char *refused_text(uint32_t op, bool use, uint32_t code)
{
	if (code == PB_ERR_EXISTS)
		return EXISTS;
	if (code == PB_ERR_NOTFOUND)
		return "NO [NONEXISTENT] Mailbox doesn't exist";
	if (code == PB_ERR_REFUSED && use) /* the name was checked: the use is taken */
		return "NO [USEATTR] Another mailbox has this special use";
	if (code != PB_ERR_REFUSED)
		return "NO [UNAVAILABLE] Cannot change the mailbox, try again later";
	if (op == MAILBOX_FOLDER_DELETE)
		return "NO [CANNOT] Mailbox has inferior mailboxes, delete them first";
	if (op == MAILBOX_FOLDER_RENAME)
		return "NO [CANNOT] A mailbox cannot be moved inside itself";
	return BAD_NAME;
}

/* The selected mailbox after a DELETE or RENAME of it (or of its superior) succeeded. */
static void fix_view(struct imap_session *s, const struct folder_job *j)
{
	struct imap_view *v = s->view;
	size_t len = strlen(j->name);

	if (v == NULL || strncmp(v->folder, j->name, len) != 0 ||
	    (v->folder[len] != '\0' && v->folder[len] != '/') || strcmp(j->name, "INBOX") == 0)
		return;
	if (j->op == MAILBOX_FOLDER_DELETE) {
		imap_deselect(s);
		return;
	}
	char *renamed = xmalloc(strlen(j->new_name) + strlen(v->folder + len) + 1);
	strcpy(renamed, j->new_name);
	strcat(renamed, v->folder + len);
	free(v->folder);
	v->folder = renamed;
}

static void on_folder_done(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct folder_job *j = s->job;
	const char *error;
	uint32_t code = rep == NULL ? PB_ERR_TEMP : mailbox_client_folder_reply(rep, &error);

	s->busy = false;
	if (code == PB_OK) {
		if (j->op == MAILBOX_FOLDER_DELETE || j->op == MAILBOX_FOLDER_RENAME)
			fix_view(s, j);
		imap_tagged(s, "%s", done_text[j->op]);
	} else {
		imap_tagged(s, "%s", refused_text(j->op, j->special_use != 0, code));
	}
	imap_job_end(s);
	imap_resume(s);
}

void imap_do_folder(void *session, const void *cmd)
{
	struct imap_session *s = session;
	const char *why, *error;
	struct folder_job *j = job_of(s, cmd, &why);

	if (j == NULL) { /* checked: never */
		imap_tagged(s, "%s", why);
		return;
	}
	imap_job_begin(s, j, folder_job_free, NULL);
	struct gw_pending call = imap_call_of(s, on_folder_done, 0);
	struct pb_sender tx = gw_sender(&call);
	int sent = j->special_use != 0
			   ? mailbox_client_special_create_send(&tx, s->user_id, j->name,
									 j->special_use, &error)
			   : mailbox_client_folder_send(&tx, s->user_id, j->op, j->name, j->new_name,
							&error);
	if (imap_asked(s, sent) < 0)
		imap_job_end(s);
}
