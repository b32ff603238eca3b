/*
 * imap-cmd-quota.c: QUOTA (RFC 9208) — GETQUOTAROOT, GETQUOTA, SETQUOTA.
 * A user whose account has a mailbox quota (quota_mb, or quota.default_mb; mailbox-quota.c)
 * has one quota root, "", over all the user's mailboxes, with the resource STORAGE: usage and
 * limit in units of 1024 octets (usage rounded up). GETQUOTAROOT of an existing mailbox
 * answers "* QUOTAROOT <mailbox> """ and "* QUOTA "" (STORAGE used limit)"; GETQUOTA ""
 * answers the QUOTA line. Without a quota no mailbox has a quota root (RFC 9208 4.3.2:
 * "* QUOTAROOT <mailbox>" alone) and GETQUOTA of any root is NO [NONEXISTENT]. SETQUOTA is
 * NO [CANNOT] (limits are the administrator's). The figures are the owner's at the moment
 * asked (MBOX_STAT).
 * OWNS nothing but the job (the quoted mailbox name). THREAD: the hub's.
 * MESSAGES sent (typed client stubs): MBOX_FOLDERS_REQ (does the mailbox exist), MBOX_STAT_REQ.
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

/* The owner could not answer: logged, and the tagged NO. */
static void quota_unavailable(struct imap_session *s, const char *what, const char *error)
{
	pb_info("imap", "event=%s_failed user=%s reason=%s", what, PB_LOGQ(s->user), PB_LOGQ(error));
	imap_tagged(s, "NO [UNAVAILABLE] Cannot read the mailbox now, try again later");
}

/* The QUOTA response of root "" for st (which has a quota). */
static void quota_line(struct imap_session *s, const struct mailbox_stat *st)
{
	imap_untagged(s, "QUOTA \"\" (STORAGE %llu %llu)",
		      (unsigned long long)((st->bytes + 1023) / 1024),
		      (unsigned long long)(st->quota_bytes / 1024));
}

/* The owner's statistics for GETQUOTAROOT (arg 1) or GETQUOTA (arg 0). */
static void on_stat(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct mailbox_stat st = { 0 };
	const char *error = "timed out";
	uint32_t code = rep == NULL ? PB_ERR_TEMP : mailbox_client_stat_reply(rep, &st, &error);

	s->busy = false;
	if (code != PB_OK) {
		quota_unavailable(s, arg ? "getquotaroot" : "getquota", error);
	} else if (arg) {
		imap_untagged(s, "QUOTAROOT %s%s", (const char *)s->job, /* the quoted name */
			      st.quota_bytes != 0 ? " \"\"" : "");
		if (st.quota_bytes != 0)
			quota_line(s, &st);
		imap_tagged(s, "OK Getquotaroot completed.");
	} else if (st.quota_bytes != 0) {
		quota_line(s, &st);
		imap_tagged(s, "OK Getquota completed.");
	} else {
		imap_tagged(s, "NO [NONEXISTENT] No such quota root");
	}
	imap_job_end(s);
	imap_resume(s);
}

/* Asks the owner for the statistics (arg as for on_stat); the job ends on a failure. */
static void ask_stat(struct imap_session *s, uint64_t arg)
{
	struct gw_pending call = imap_call_of(s, on_stat, arg);
	struct pb_sender tx = gw_sender(&call);
	const char *error;

	if (imap_asked(s, mailbox_client_stat_send(&tx, s->user_id, &error)) < 0)
		imap_job_end(s);
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
		ask_stat(s, 1);
		imap_resume(s);
		return;
	} else if (code == PB_ERR_NOTFOUND) {
		imap_tagged(s, "NO [NONEXISTENT] Mailbox does not exist");
	} else {
		quota_unavailable(s, "getquotaroot", error);
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

void imap_do_getquota(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;

	if (cmd->u.mbox.mailbox[0] != '\0') {
		imap_tagged(s, "NO [NONEXISTENT] No such quota root");
		return;
	}
	ask_stat(s, 0);
}

const char *imap_check_setquota(const void *session, const void *cmd)
{
	return "NO [CANNOT] Quota limits are set by the administrator";
}
