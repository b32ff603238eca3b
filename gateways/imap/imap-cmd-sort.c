/*
 * imap-cmd-sort.c: SORT and THREAD, and their UID forms (RFC 5256). The search criteria
 * select the messages through imap-cmd-search.c's evaluation (imap_search_select); the
 * header fields they are ordered by (Date, Subject, From, To, Cc, Message-ID, In-Reply-To,
 * References) are asked of the readers as HEADER.FIELDS sections (READER_SECTION_REQ,
 * READER_SECTION_MAX messages a request, each reply answering a prefix), decoded here
 * (RFC 2047 subjects, the first address's mailbox) and handed to imap-sort.h's pure
 * functions. ARRIVAL and SIZE come from the view. SORT=DISPLAY (RFC 5957) is refused.
 * OWNS: struct sort_job (the session's job). THREAD: the hub's.
 * MESSAGES sent (typed client stubs): READER_SEARCH_REQ (through the search),
 * READER_SECTION_REQ.
 */
#include "imap-sort.h"
#include "imap-view.h"

#include "mime-address.h"
#include "mime-decode.h"
#include "mime-header.h"
#include "reader-client.h"

#include <string.h>

static const char *const header_fields[] = { "Date",	   "Subject",	  "From",
					     "To",	   "Cc",	  "Message-ID",
					     "In-Reply-To", "References" };
#define N_FIELDS (sizeof(header_fields) / sizeof(header_fields[0]))

struct sort_job {
	struct imap_cmd cmd; /* a copy: what it points to is the parser's, valid while busy */
	uint32_t *msns;	     /* the messages selected, ascending */
	size_t n, got;
	struct imap_sort_msg *m; /* per message selected: what is known once got */
	char **strings;		 /* what m's strings point to, freed with the job */
	size_t n_strings, cap_strings;
};

static void job_free(void *p)
{
	struct sort_job *j = p;

	for (size_t i = 0; i < j->n_strings; i++)
		free(j->strings[i]);
	for (size_t i = 0; i < j->got; i++)
		free((void *)j->m[i].refs);
	free(j->strings);
	free(j->m);
	free(j->msns);
	free(j);
}

/* A copy of s[0..len) the job owns. */
static const char *keep(struct sort_job *j, const char *s, size_t len)
{
	char *c = xmalloc(len + 1);

	memcpy(c, s, len);
	c[len] = '\0';
	if (j->n_strings == j->cap_strings) {
		j->cap_strings = j->cap_strings > 0 ? 2 * j->cap_strings : 64;
		j->strings = xrealloc(j->strings, j->cap_strings * sizeof(*j->strings));
	}
	j->strings[j->n_strings++] = c;
	return c;
}

/* The mailbox (local part) of the first address of field name in the header, "" if none. */
static const char *first_mailbox(struct sort_job *j, const void *hdr, size_t len,
				 const char *name, struct pb_buf *tmp)
{
	struct mime_address_list list = { NULL, 0 };
	const char *r = "";

	pb_buf_reset(tmp);
	if (mime_header_get(hdr, len, name, tmp) == 0)
		return r;
	mime_address_list_parse(tmp->data, tmp->len, &list);
	for (unsigned i = 0; i < list.n; i++) {
		if (list.v[i].kind == MIME_ADDRESS_MAILBOX) {
			if (list.v[i].mailbox != NULL)
				r = keep(j, list.v[i].mailbox, strlen(list.v[i].mailbox));
			break;
		}
	}
	mime_address_list_free(&list);
	return r;
}

/* The "<id>" tokens of field name in the header: the last IMAP_THREAD_REFS_MAX of them
 * (at most max) into ids, their count returned. */
static size_t msg_ids(struct sort_job *j, const void *hdr, size_t len, const char *name,
		      struct pb_buf *tmp, const char **ids, size_t max)
{
	size_t n = 0;

	pb_buf_reset(tmp);
	if (mime_header_get(hdr, len, name, tmp) == 0)
		return 0;
	for (const char *p = tmp->data, *end = p + tmp->len; p < end;) {
		const char *lt = memchr(p, '<', (size_t)(end - p)), *gt;
		if (lt == NULL || (gt = memchr(lt, '>', (size_t)(end - lt))) == NULL)
			break;
		if (n == max) {
			memmove(ids, ids + 1, (max - 1) * sizeof(*ids));
			n--;
		}
		ids[n++] = keep(j, lt, (size_t)(gt - lt + 1));
		p = gt + 1;
	}
	return n;
}

/* Fills what SORT and THREAD know of message msn from its header fields hdr[0..len). */
static void parse_fields(struct sort_job *j, struct imap_sort_msg *m, const void *hdr,
			 size_t len, struct pb_buf *tmp, struct pb_buf *dec)
{
	const char *refs[IMAP_THREAD_REFS_MAX];

	pb_buf_reset(tmp);
	if (mime_header_get(hdr, len, "Date", tmp) > 0) {
		pb_buf_append_c(tmp, '\0');
		(void)imap_sort_date_parse(tmp->data, &m->date);
	}
	pb_buf_reset(tmp);
	pb_buf_reset(dec);
	if (mime_header_get(hdr, len, "Subject", tmp) > 0)
		mime_decode_header(tmp->data, tmp->len, dec);
	pb_buf_append_c(dec, '\0');
	pb_buf_reset(tmp);
	m->reply = imap_sort_base_subject(dec->data, tmp);
	m->subject = keep(j, tmp->data != NULL ? tmp->data : "", tmp->len);
	m->from = first_mailbox(j, hdr, len, "From", tmp);
	m->to = first_mailbox(j, hdr, len, "To", tmp);
	m->cc = first_mailbox(j, hdr, len, "Cc", tmp);
	if (msg_ids(j, hdr, len, "Message-ID", tmp, refs, 1) == 1)
		m->message_id = refs[0];
	m->n_refs = msg_ids(j, hdr, len, "References", tmp, refs, IMAP_THREAD_REFS_MAX);
	if (m->n_refs == 0)
		m->n_refs = msg_ids(j, hdr, len, "In-Reply-To", tmp, refs, 1);
	const char **copy = xmalloc((m->n_refs + 1) * sizeof(*copy));
	memcpy(copy, refs, m->n_refs * sizeof(*copy));
	m->refs = copy;
}

/* Writes "* SORT ..." or "* THREAD ..." and the tagged OK. */
static void answer(struct imap_session *s, struct sort_job *j)
{
	const struct imap_cmd *cmd = &j->cmd;

	pb_buf_reset(&s->out);
	if (cmd->kind == IMAP_CMD_SORT) {
		imap_sort_run(j->m, j->n, cmd->u.sort.crit, cmd->u.sort.n_crit);
		pb_buf_append_str(&s->out, "* SORT");
		for (size_t i = 0; i < j->n; i++)
			pb_buf_printf(&s->out, " %u", cmd->uid ? j->m[i].uid : j->m[i].msn);
	} else {
		pb_buf_append_str(&s->out, j->n > 0 ? "* THREAD " : "* THREAD");
		imap_thread_run(j->m, j->n, cmd->u.thread.alg, cmd->uid, &s->out);
	}
	pb_buf_append_str(&s->out, "\r\n");
	gw_write(s->gs, s->out.data, s->out.len);
	imap_tagged(s, cmd->kind == IMAP_CMD_SORT ? "OK Sort completed." : "OK Thread completed.");
}

static void on_fields(void *session, uint64_t arg, struct pb_msg *rep);

static size_t page_of(const struct sort_job *j)
{
	return j->n - j->got < READER_SECTION_MAX ? j->n - j->got : READER_SECTION_MAX;
}

/* Asks the readers for the header fields of the next page of messages. */
static void ask_page(struct imap_session *s, struct sort_job *j)
{
	struct gw_pending call = imap_call_of(s, on_fields, 0);
	struct pb_sender tx = gw_sender(&call);
	struct reader_section_ask asks[READER_SECTION_MAX];
	const char *error;

	for (size_t i = 0; i < page_of(j); i++)
		asks[i] = (struct reader_section_ask){
			IMAP_MSG(s->view, j->msns[j->got + i])->blob_key, "HEADER.FIELDS",
			header_fields, N_FIELDS };
	if (reader_client_section_send(&tx, s->user_id, asks, page_of(j), &error) == 0) {
		s->busy = true;
		return;
	}
	imap_tagged(s, "NO [UNAVAILABLE] Sort unavailable, try again later");
	imap_job_end(s);
}

/* What the view says of message i of the job, before its header fields. */
static void msg_init(struct imap_session *s, struct sort_job *j, size_t i)
{
	const struct pb_rec_mbox_entry *e = IMAP_MSG(s->view, j->msns[i]);

	j->m[i] = (struct imap_sort_msg){ .msn = j->msns[i], .uid = e->uid, .size = e->size,
					  .arrival = e->internal_date_ms / 1000,
					  .subject = "", .from = "", .to = "", .cc = "" };
	j->m[i].date = j->m[i].arrival;
}

static void on_fields(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct sort_job *j = s->job;
	struct reader_section secs[READER_SECTION_MAX];
	struct pb_buf tmp, dec;
	size_t done;

	s->busy = false;
	if (rep == NULL || reader_client_section_reply(rep, page_of(j), secs, &done) != PB_OK) {
		imap_tagged(s, "NO [UNAVAILABLE] Sort unavailable, try again later");
		imap_job_end(s);
		imap_resume(s);
		return;
	}
	pb_buf_init(&tmp);
	pb_buf_init(&dec);
	for (size_t i = 0; i < done; i++, j->got++) {
		msg_init(s, j, j->got);
		if (secs[i].code == PB_OK && secs[i].filtered)
			parse_fields(j, &j->m[j->got], secs[i].data, secs[i].len, &tmp, &dec);
	}
	pb_buf_deinit(&tmp);
	pb_buf_deinit(&dec);
	if (j->got < j->n) {
		ask_page(s, j);
	} else {
		answer(s, j);
		imap_job_end(s);
	}
	imap_resume(s);
}

/* The search selected msns[0..n): their header fields are asked. */
static void on_selected(struct imap_session *s, const struct imap_cmd *cmd, uint32_t *msns,
			size_t n)
{
	struct sort_job *j = xcalloc(1, sizeof(*j));

	j->cmd = *cmd;
	j->msns = msns;
	j->n = n;
	j->m = xcalloc(n + 1, sizeof(*j->m));
	if (n == 0) {
		answer(s, j);
		job_free(j);
		return;
	}
	imap_job_begin(s, j, job_free, NULL);
	ask_page(s, j);
}

const char *imap_check_sort(const void *session, const void *cmdp)
{
	const struct imap_cmd *cmd = cmdp;

	if (cmd->kind == IMAP_CMD_THREAD)
		return imap_search_check(&cmd->u.thread.search);
	for (unsigned i = 0; i < cmd->u.sort.n_crit; i++)
		if (cmd->u.sort.crit[i].key >= IMAP_SORT_DISPLAYFROM)
			return "BAD SORT=DISPLAY is not supported";
	return imap_search_check(&cmd->u.sort.search);
}

void imap_do_sort(void *session, const void *cmdp)
{
	const struct imap_cmd *cmd = cmdp;

	imap_search_select(session, cmd,
			   cmd->kind == IMAP_CMD_SORT ? &cmd->u.sort.search : &cmd->u.thread.search,
			   on_selected);
}
