/*
 * imap-cmd-append.c: APPEND (RFC 3501 6.3.11) with MULTIAPPEND (RFC 3502), LITERAL+ (RFC
 * 7888), APPENDLIMIT (RFC 7889), UIDPLUS's APPENDUID (RFC 4315) and UTF8 message data
 * ("UTF8 (~{n}...)", RFC 6855 4: BAD unless UTF8=ACCEPT is enabled). Each message's literal is
 * an upload to the mailbox owner: MBOX_UPLOAD_BEGIN when the literal is announced (a refusal,
 * NO [TOOBIG] past the limit, goes out before the "+" continuation), its octets as the
 * parser's DATA events gathered into chunks of at most APPEND_CHUNK (the body is never held
 * whole), and once the command is complete ONE MBOX_UPLOAD_COMMIT naming every message's
 * upload with its flags, keywords and date: the owner appends them in one store batch, so a
 * MULTIAPPEND (RFC 3502) appends all its messages or none. A missing folder is NO [TRYCREATE],
 * a mailbox past its quota NO [OVERQUOTA] (RFC 9208). If any message fails before the commit
 * (too big, a bad flag or date, a connection dropped, a literal cut short) the command ends
 * and every upload is aborted: nothing is appended. An APPEND to the selected folder shows
 * EXISTS before its OK.
 * OWNS: the append job (upload ids, the chunk being gathered). THREAD: the hub's.
 * MESSAGES sent (typed client stubs): MBOX_UPLOAD_BEGIN_REQ, MBOX_UPLOAD_CHUNK_REQ,
 * MBOX_UPLOAD_COMMIT_REQ, MBOX_UPLOAD_ABORT_REQ (one-way), MBOX_LIST_REQ (imap-view.c).
 */
#include "imap-view.h"

#include "pb-log.h"

#include <stdio.h>
#include <string.h>

/* Octets gathered before a chunk goes to the owner. */
#define APPEND_CHUNK (128 * 1024)

struct append_up {
	uint64_t id;
	bool committed;
	uint32_t flags;
	char *keywords;
	int64_t date_ms;
};

struct append_job {
	struct gw_session *gs;
	uint64_t user_id;
	struct append_up *ups; /* one per message whose upload began */
	size_t n;	       /* uploads begun */
	uint64_t size, got, sent; /* the current literal: announced, received, sent on */
	struct pb_buf chunk;
	bool failed; /* a chunk was not taken: the rest is dropped, the command fails */
	char *folder;
	uint32_t uidvalidity;
	struct pb_u64v uids; /* APPENDUID */
};

static void job_free(void *job)
{
	struct append_job *j = job;
	const char *error;

	for (size_t i = 0; i < j->n; i++) {
		struct pb_sender tx = gw_cast_sender(j->gs);
		if (!j->ups[i].committed &&
		    mailbox_client_upload_abort_send(&tx, j->user_id, j->ups[i].id, &error) < 0)
			pb_warn("imap", "event=upload_abort_failed reason=%s", PB_LOGQ(error));
		free(j->ups[i].keywords);
	}
	free(j->ups);
	pb_buf_deinit(&j->chunk);
	free(j->folder);
	pb_u64v_clear(&j->uids);
	free(j);
}

static struct append_job *append_job(struct imap_session *s)
{
	return s->job_free == job_free ? s->job : NULL;
}

void imap_append_cancel(struct imap_session *s)
{
	if (append_job(s) != NULL)
		imap_job_end(s);
}

/* The literal is refused with text: the command ends, its uploads aborted. */
static void refuse(struct imap_session *s, const char *text)
{
	imap_parser_literal_refuse(s->parser);
	imap_tagged(s, "%s", text);
	imap_append_cancel(s);
}

static void on_begun(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct append_job *j = append_job(s);
	uint64_t id = 0;
	const char *error;

	s->busy = false;
	uint32_t code = rep != NULL ? mailbox_client_upload_begin_reply(rep, &id, &error)
				    : PB_ERR_TEMP;
	if (j == NULL || code != PB_OK) {
		refuse(s, code == PB_ERR_REFUSED ? "NO [TOOBIG] Message too big"
						 : "NO [UNAVAILABLE] Cannot store the message now");
	} else {
		j->ups[j->n++].id = id; /* aborted with the job unless committed */
		if (imap_parser_literal_accept(s->parser, &error) < 0)
			refuse(s, "NO [UNAVAILABLE] Cannot take the message");
		else if (arg)
			gw_write_str(s->gs, "+ OK\r\n");
	}
	imap_resume(s);
}

void imap_append_literal(struct imap_session *s, const struct imap_event *ev)
{
	struct append_job *j = append_job(s);
	const char *error;

	snprintf(s->tag, sizeof(s->tag), "%s", ev->cmd.tag);
	if (ev->cmd.append_next.utf8 && !s->utf8_accept) {
		refuse(s, "BAD UTF8 message data needs ENABLE UTF8=ACCEPT first");
		return;
	}
	if (j == NULL) {
		const char *why = imap_folder_name(s, ev->cmd.u.append.mailbox, &s->out);
		if (why != NULL) {
			refuse(s, why);
			return;
		}
		j = xcalloc(1, sizeof(*j));
		j->gs = s->gs;
		j->user_id = s->user_id;
		pb_buf_init(&j->chunk);
		imap_job_begin(s, j, job_free, NULL);
	}
	j->ups = xrealloc(j->ups, (j->n + 1) * sizeof(*j->ups)); /* room for on_begun */
	memset(&j->ups[j->n], 0, sizeof(j->ups[j->n]));
	j->size = ev->literal.size;
	j->got = j->sent = 0;
	struct gw_pending call = imap_call_of(s, on_begun, ev->literal.sync);
	struct pb_sender tx = gw_sender(&call);
	if (mailbox_client_upload_begin_send(&tx, s->user_id, j->size, s->srv->max_append,
					     &error) == 0)
		s->busy = true;
	else
		refuse(s, "NO [UNAVAILABLE] Server busy, try again later");
}

/* ---- the literal's octets ---- */

static void on_chunk(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct append_job *j = append_job(s);
	const char *error;

	s->busy = false;
	if (j != NULL && (rep == NULL || mailbox_client_upload_chunk_reply(rep, &error) != PB_OK))
		j->failed = true;
	imap_resume(s);
}

/* Sends the gathered octets as the next chunk (the session waits for the answer). */
static void flush(struct imap_session *s, struct append_job *j)
{
	struct gw_pending call = imap_call_of(s, on_chunk, 0);
	struct pb_sender tx = gw_sender(&call);
	const char *error;

	if (mailbox_client_upload_chunk_send(&tx, s->user_id, j->ups[j->n - 1].id, j->sent,
					     j->chunk.data, j->chunk.len, &error) == 0)
		s->busy = true;
	else
		j->failed = true;
	j->sent += j->chunk.len;
	pb_buf_reset(&j->chunk);
}

void imap_append_data(struct imap_session *s, const void *data, size_t len)
{
	struct append_job *j = append_job(s);

	if (j == NULL || j->n == 0)
		return;
	j->got += len;
	if (j->failed)
		return;
	pb_buf_append(&j->chunk, data, len);
	if (j->chunk.len >= APPEND_CHUNK || j->got >= j->size)
		flush(s, j);
}

/* ---- the commit ---- */

static void append_done(struct imap_session *s, uint32_t code)
{
	struct append_job *j = append_job(s);

	pb_buf_reset(&s->out);
	pb_buf_printf(&s->out, "OK [APPENDUID %u ", j->uidvalidity);
	imap_uidset_append(&s->out, j->uids.v, j->uids.n);
	pb_buf_append_str(&s->out, "] Append completed.");
	pb_buf_append_c(&s->out, '\0');
	char *ok = xstrdup(s->out.data);
	imap_tagged(s, "%s", ok);
	free(ok);
	imap_job_end(s);
	imap_resume(s);
}

/* Every message appended: shown first when the folder is the selected one. */
static void appended(struct imap_session *s, struct append_job *j)
{
	if (s->view == NULL || strcmp(s->view->folder, j->folder) != 0) {
		append_done(s, PB_OK);
		return;
	}
	s->view->pending.appended = true;
	if (imap_view_refresh(s, append_done) < 0)
		append_done(s, PB_ERR_TEMP);
}

/* The tagged NO of a commit that failed with code. */
static const char *commit_refusal(uint32_t code)
{
	switch (code) {
	case PB_ERR_NOTFOUND: return "NO [TRYCREATE] Mailbox doesn't exist";
	case PB_ERR_OVERQUOTA: return "NO [OVERQUOTA] Mailbox quota exceeded";
	case PB_ERR_REFUSED: return "NO [LIMIT] Message refused";
	default: return "NO [UNAVAILABLE] Cannot store the message now";
	}
}

static void on_committed(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct append_job *j = append_job(s);
	struct mailbox_appended out;
	const char *error;

	s->busy = false;
	if (j == NULL) {
		imap_resume(s);
		return;
	}
	pb_u64v_clear(&j->uids);
	uint32_t code = rep != NULL ? mailbox_client_upload_commit_reply(rep, &out, &j->uids, &error)
				    : PB_ERR_TEMP;
	for (size_t i = 0; rep != NULL && i < j->n; i++)
		j->ups[i].committed = true; /* a commit consumes its uploads, whatever the answer */
	if (code != PB_OK) {
		imap_tagged(s, "%s", commit_refusal(code));
		imap_job_end(s);
		imap_resume(s);
		return;
	}
	j->uidvalidity = out.uidvalidity;
	appended(s, j);
}

/* Commits every message of the command in one request: all appended or none (RFC 3502). */
static void commit_all(struct imap_session *s, struct append_job *j)
{
	struct mailbox_upload_commit *c = xcalloc(j->n, sizeof(*c));
	struct gw_pending call = imap_call_of(s, on_committed, 0);
	struct pb_sender tx = gw_sender(&call);
	const char *error;

	for (size_t i = 0; i < j->n; i++)
		c[i] = (struct mailbox_upload_commit){ j->ups[i].id, j->folder, j->ups[i].flags,
						       j->ups[i].keywords, j->ups[i].date_ms };
	int rc = imap_asked(s, mailbox_client_upload_commit_send(&tx, s->user_id, c, j->n, &error));
	free(c);
	if (rc < 0) {
		imap_job_end(s);
		imap_resume(s);
	}
}

/* One message's flags and date into u (keywords space-separated). -1: a \flag unknown. */
static int take_meta(struct append_up *u, const struct imap_append_msg *m, struct pb_buf *kw)
{
	pb_buf_reset(kw);
	for (unsigned i = 0; i < m->n_flags; i++) {
		uint32_t bit;
		const char *bad;
		if (imap_flags_parse(&m->flags[i], 1, &bit, &bad) == 0)
			u->flags |= bit;
		else if (m->flags[i][0] == '\\')
			return -1;
		else
			pb_buf_printf(kw, "%s%s", kw->len > 0 ? " " : "", m->flags[i]);
	}
	pb_buf_append_c(kw, '\0');
	u->keywords = xstrdup(kw->data);
	u->date_ms = m->has_date ? m->date.unix_time * 1000 : 0; /* 0: the owner's now */
	return 0;
}

void imap_do_append(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	struct append_job *j = append_job(s);
	int bad = 0;

	if (j == NULL || j->failed || j->n != cmd->u.append.n_msgs) {
		imap_tagged(s, "NO [UNAVAILABLE] Cannot store the message now");
		imap_append_cancel(s);
		return;
	}
	for (size_t i = 0; i < j->n && bad == 0; i++)
		bad = take_meta(&j->ups[i], &cmd->u.append.msgs[i], &s->out);
	if (bad < 0) {
		imap_tagged(s, "BAD Invalid system flag");
		imap_append_cancel(s);
		return;
	}
	(void)imap_folder_name(s, cmd->u.append.mailbox, &s->out); /* checked at the literal */
	j->folder = xstrdup(s->out.data);
	commit_all(s, j);
}
