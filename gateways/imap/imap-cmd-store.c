/*
 * imap-cmd-store.c: STORE and UID STORE (RFC 3501 6.4.6): FLAGS, +FLAGS, -FLAGS (.SILENT)
 * of the system flags through the mailbox owner (MBOX_FLAGS), then FETCH (FLAGS) for each
 * message unless .SILENT (with UID for UID STORE). Keywords are refused (NO [CANNOT]) until
 * the owner stores them; UNCHANGEDSINCE (CONDSTORE) is not offered.
 * OWNS nothing. THREAD: the hub's.
 * MESSAGES sent (typed client stub): MBOX_FLAGS_REQ.
 */
#include "imap-view.h"

struct store_job {
	uint32_t *msns;
	size_t n;
	uint32_t mode, flags;
	bool silent, uid;
};

const char *imap_check_store(const void *session, const void *cmdp)
{
	const struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	uint32_t flags;
	const char *bad;

	if (s->view->readonly)
		return "NO [READ-ONLY] Mailbox is read-only";
	if (cmd->u.store.has_unchangedsince)
		return "BAD UNCHANGEDSINCE is not supported";
	if (imap_flags_parse(cmd->u.store.flags, cmd->u.store.n_flags, &flags, &bad) < 0)
		return "NO [CANNOT] Keywords are not supported yet";
	return NULL;
}

static uint32_t apply(uint32_t old, uint32_t mode, uint32_t flags)
{
	if (mode == IMAP_STORE_REPLACE)
		return flags;
	return mode == IMAP_STORE_ADD ? old | flags : old & ~flags;
}

static void job_free(void *job)
{
	struct store_job *j = job;

	free(j->msns);
	free(j);
}

static void on_stored(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct store_job *j = s->job;
	uint64_t modseq;
	const char *error;

	s->busy = false;
	if (rep == NULL || mailbox_client_flags_reply(rep, &modseq, &error) != PB_OK) {
		imap_tagged(s, "NO [UNAVAILABLE] Cannot store the flags now");
	} else {
		for (size_t i = 0; i < j->n && s->view != NULL; i++) {
			struct pb_rec_mbox_entry *e = IMAP_MSG(s->view, j->msns[i]);
			e->flags = apply(e->flags, j->mode, j->flags);
			if (j->silent)
				continue;
			pb_buf_reset(&s->out);
			pb_buf_printf(&s->out, "* %u FETCH (", j->msns[i]);
			if (j->uid)
				pb_buf_printf(&s->out, "UID %u ", e->uid);
			pb_buf_append_str(&s->out, "FLAGS ");
			imap_flags_append(&s->out, e->flags);
			pb_buf_append_str(&s->out, ")\r\n");
			gw_write(s->gs, s->out.data, s->out.len);
		}
		imap_tagged(s, "OK Store completed.");
	}
	imap_job_end(s);
	imap_resume(s);
}

static uint32_t owner_mode(enum imap_store_op op)
{
	return op == IMAP_STORE_REPLACE ? 0 : op == IMAP_STORE_ADD ? 1 : 2; /* PB_FLAGS_* */
}

void imap_do_store(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	struct store_job *j = xcalloc(1, sizeof(*j));
	const char *error, *bad;

	long n = imap_view_resolve(s->view, &cmd->u.store.set, cmd->uid, &j->msns, &error);
	if (n <= 0) {
		imap_tagged(s, n < 0 ? "BAD %s" : "OK %sStore completed.", n < 0 ? error : "");
		free(j);
		return;
	}
	j->n = (size_t)n;
	j->mode = cmd->u.store.op;
	j->silent = cmd->u.store.silent;
	j->uid = cmd->uid;
	imap_flags_parse(cmd->u.store.flags, cmd->u.store.n_flags, &j->flags, &bad); /* checked */
	uint64_t *uids = xmalloc(j->n * sizeof(*uids));
	for (size_t i = 0; i < j->n; i++)
		uids[i] = IMAP_MSG(s->view, j->msns[i])->uid;
	struct gw_pending call = imap_call_of(s, on_stored, 0);
	struct pb_sender tx = gw_sender(&call);
	imap_job_begin(s, j, job_free, NULL);
	if (imap_asked(s, mailbox_client_flags_send(&tx, s->user_id, s->view->folder, uids,
						    (uint32_t)j->n, owner_mode(j->mode), j->flags,
						    &error)) < 0)
		imap_job_end(s);
	free(uids);
}
