/*
 * imap-cmd-quota.c: QUOTA (RFC 9208) — GETQUOTAROOT, GETQUOTA, SETQUOTA.
 * Accounts have no storage limit yet (no per-user quota setting exists), so no mailbox has a
 * quota root: GETQUOTAROOT of an existing mailbox answers "* QUOTAROOT <mailbox>" with no root
 * (RFC 9208 4.3.2: a mailbox with no quota root), GETQUOTA of any root is
 * NO [NONEXISTENT], SETQUOTA is NO [CANNOT] (limits are the administrator's). Once a limit
 * exists, the root "" carries STORAGE (used: mailbox_client_stat's bytes, in KiB).
 * OWNS nothing. THREAD: the hub's.
 * MESSAGES sent (typed client stubs): MBOX_FOLDERS_REQ (does the mailbox exist).
 */
#include "imap-session-int.h"

#include "imap-mailbox-name.h"
#include "pb-log.h"

#include <string.h>
#include <strings.h>

/* The mailbox name of GETQUOTAROOT as the owner knows it (UTF-8) into out: from modified
 * UTF-7, or as sent once UTF8=ACCEPT is enabled. 0 / -1. */
static int quota_folder(const struct imap_session *s, const char *name, struct pb_buf *out)
{
	const char *error;

	pb_buf_reset(out);
	if (strcasecmp(name, "INBOX") == 0)
		pb_buf_append_str(out, "INBOX");
	else if (s->utf8_accept)
		pb_buf_append_str(out, name);
	else if (imap_mutf7_to_utf8(name, out, &error) < 0)
		return -1;
	pb_buf_append_c(out, '\0');
	return imap_mailbox_name_check(out->data, &error);
}

const char *imap_check_getquotaroot(const void *session, const void *cmdp)
{
	const struct imap_cmd *cmd = cmdp;
	struct pb_buf name;

	pb_buf_init(&name);
	int rc = quota_folder(session, cmd->u.mbox.mailbox, &name);
	pb_buf_deinit(&name);
	return rc < 0 ? "NO [CANNOT] Invalid mailbox name" : NULL;
}

/* The mailbox as the client wrote it, as a quoted string (\ and " escaped). */
static void append_quoted(struct pb_buf *out, const char *s)
{
	pb_buf_append_c(out, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			pb_buf_append_c(out, '\\');
		pb_buf_append_c(out, *s);
	}
	pb_buf_append_c(out, '"');
}

static void on_folder(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct pb_rec_mbox_folder_list folders = { 0 };
	const char *error = "timed out";
	uint32_t code = rep == NULL ? PB_ERR_TEMP : mailbox_client_folders_reply(rep, &folders, &error);

	s->busy = false;
	if (code == PB_OK) {
		pb_rec_mbox_folder_list_clear(&folders);
		imap_untagged(s, "QUOTAROOT %s", (const char *)s->job); /* the quoted name */
		imap_tagged(s, "OK Getquotaroot completed.");
	} else if (code == PB_ERR_NOTFOUND) {
		imap_tagged(s, "NO [NONEXISTENT] Mailbox does not exist");
	} else {
		pb_info("imap", "event=getquotaroot_failed user=%s reason=%s", PB_LOGQ(s->user),
			PB_LOGQ(error));
		imap_tagged(s, "NO [UNAVAILABLE] Cannot read the mailbox now, try again later");
	}
	imap_job_end(s);
	imap_resume(s);
}

void imap_do_getquotaroot(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	struct pb_buf name, quoted;
	const char *error;
	size_t len;

	pb_buf_init(&name);
	pb_buf_init(&quoted);
	quota_folder(s, cmd->u.mbox.mailbox, &name); /* checked */
	append_quoted(&quoted, cmd->u.mbox.mailbox);
	imap_job_begin(s, pb_buf_steal(&quoted, &len), free, NULL);
	struct gw_pending call = imap_call_of(s, on_folder, 0);
	struct pb_sender tx = gw_sender(&call);
	if (imap_asked(s, mailbox_client_folders_send(&tx, s->user_id, name.data, &error)) < 0)
		imap_job_end(s);
	pb_buf_deinit(&name);
}

void imap_do_getquota(void *session, const void *cmd)
{
	imap_tagged(session, "NO [NONEXISTENT] No such quota root");
}

const char *imap_check_setquota(const void *session, const void *cmd)
{
	return "NO [CANNOT] Quota limits are set by the administrator";
}
