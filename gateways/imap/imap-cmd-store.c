/*
 * imap-cmd-store.c: STORE and UID STORE (RFC 3501 6.4.6): FLAGS, +FLAGS, -FLAGS (.SILENT) of
 * the system flags and keywords through the mailbox owner (MBOX_STORE), with CONDSTORE's
 * (UNCHANGEDSINCE n) (RFC 7162 3.1.3): the messages that fail it are left alone and named in
 * OK [MODIFIED set] (sequence numbers, UIDs for UID STORE). Each message the owner answers for
 * gets FETCH (FLAGS) unless .SILENT (UID for UID STORE, MODSEQ once CONDSTORE is on).
 * OWNS nothing. THREAD: the hub's.
 * MESSAGES sent (typed client stub): MBOX_STORE_REQ.
 */
#include "imap-view.h"

#include <string.h>

struct store_job {
	bool silent, uid;
};

const char *imap_check_store(const void *session, const void *cmdp)
{
	const struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	struct pb_buf kw;
	uint32_t flags;
	const char *bad;

	if (s->view->readonly)
		return "NO [READ-ONLY] Mailbox is read-only";
	pb_buf_init(&kw);
	int rc = imap_flags_kw_parse(cmd->u.store.flags, cmd->u.store.n_flags, &flags, &kw, &bad);
	pb_buf_deinit(&kw);
	return rc < 0 ? "BAD Invalid system flag" : NULL;
}

/* Updates the view's message and tells it (unless silent). */
static void stored_one(struct imap_session *s, const struct store_job *j,
		       const struct pb_rec_mbox_flagged *r)
{
	size_t msn = imap_view_msn_of(s->view, r->uid);
	if (msn == 0)
		return;
	struct pb_rec_mbox_entry *e = imap_view_entry_w(s->view, msn); /* the view's own */
	e->flags = r->flags;
	e->modseq = r->modseq;
	pb_str_set(&e->keywords, r->keywords);
	if (!j->silent)
		imap_view_fetch_flags(s, msn, j->uid);
}

/* The tagged OK, with [MODIFIED set] of the messages that failed UNCHANGEDSINCE. */
static void store_ok(struct imap_session *s, const struct store_job *j, const struct pb_u64v *mod)
{
	uint64_t *set = xmalloc((mod->n + 1) * sizeof(*set));
	size_t n = 0;

	for (uint32_t i = 0; i < mod->n; i++) {
		size_t msn = imap_view_msn_of(s->view, (uint32_t)mod->v[i]);
		if (msn != 0)
			set[n++] = j->uid ? mod->v[i] : msn;
	}
	pb_buf_reset(&s->out);
	if (n > 0) {
		pb_buf_append_str(&s->out, "[MODIFIED ");
		imap_uidset_append(&s->out, set, n);
		pb_buf_append_str(&s->out, "] Conditional ");
	}
	pb_buf_append_c(&s->out, '\0');
	char *text = xstrdup(s->out.data);
	imap_tagged(s, "OK %sStore completed.", text);
	free(text);
	free(set);
}

static void on_stored(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct store_job *j = s->job;
	struct mailbox_stored out = { 0 };
	const char *error;

	s->busy = false;
	if (rep == NULL || mailbox_client_store_reply(rep, &out, &error) != PB_OK) {
		imap_tagged(s, "NO [UNAVAILABLE] Cannot store the flags now");
	} else if (s->view != NULL) {
		bool learnt = false;
		for (uint32_t i = 0; i < out.messages.n; i++)
			learnt |= imap_view_learn_keywords(s->view, out.messages.v[i].keywords);
		if (learnt) /* RFC 3501 7.2.6: a new keyword is told in FLAGS first */
			imap_view_write_flags(s);
		for (uint32_t i = 0; i < out.messages.n; i++)
			stored_one(s, j, &out.messages.v[i]);
		if (out.highestmodseq > s->view->list.highestmodseq)
			s->view->list.highestmodseq = out.highestmodseq;
		store_ok(s, j, &out.modified);
	}
	mailbox_stored_free(&out);
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
	struct mailbox_store in = { .folder = s->view->folder };
	uint32_t *msns;
	struct pb_buf kw;
	const char *error, *bad;

	long n = imap_view_resolve(s->view, &cmd->u.store.set, cmd->uid, &msns, &error);
	if (n <= 0) {
		imap_tagged(s, n < 0 ? "BAD %s" : "OK %sStore completed.", n < 0 ? error : "");
		free(j);
		return;
	}
	j->silent = cmd->u.store.silent;
	j->uid = cmd->uid;
	s->condstore |= cmd->u.store.has_unchangedsince; /* RFC 7162 3.1: an enabling command */
	pb_buf_init(&kw);
	imap_flags_kw_parse(cmd->u.store.flags, cmd->u.store.n_flags, &in.flags, &kw, &bad);
	uint64_t *uids = xmalloc((size_t)n * sizeof(*uids));
	for (long i = 0; i < n; i++)
		uids[i] = IMAP_MSG(s->view, msns[i])->uid;
	in.uids = uids;
	in.n = (uint32_t)n;
	in.mode = owner_mode(cmd->u.store.op);
	in.keywords = (const char *)kw.data;
	in.unchanged_since = cmd->u.store.has_unchangedsince ? cmd->u.store.unchangedsince : 0;
	struct gw_pending call = imap_call_of(s, on_stored, 0);
	struct pb_sender tx = gw_sender(&call);
	imap_job_begin(s, j, free, NULL);
	if (imap_asked(s, mailbox_client_store_send(&tx, s->user_id, &in, &error)) < 0)
		imap_job_end(s);
	pb_buf_deinit(&kw);
	free(uids);
	free(msns);
}
