/*
 * imap-cmd-sort.c: SORT and THREAD, and their UID forms (RFC 5256). The search criteria
 * select the messages through imap-cmd-search.c's evaluation (imap_search_select); the
 * header fields they are ordered by (Date, Subject, From, To, Cc, Message-ID, In-Reply-To,
 * References) are asked of the readers as HEADER.FIELDS sections (READER_SECTION_REQ,
 * READER_SECTION_MAX messages a request, each reply answering a prefix), decoded here
 * (RFC 2047 subjects, the first address's mailbox) and handed to imap-sort.h's pure
 * functions. ARRIVAL and SIZE come from the view. DISPLAYFROM/DISPLAYTO (RFC 5957) order by
 * the first address's decoded display name, else its addr-spec. SORT RETURN (...) (ESORT,
 * RFC 5267) answers ESEARCH: MIN/MAX the first/last message in sort order, ALL the sorted
 * numbers (ranges only where consecutive in that order), COUNT; SAVE keeps "$" (RFC 5182).
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

/* RFC 5957: the display name of address a (RFC 2047 decoded), else its addr-spec. */
static const char *display_of(struct sort_job *j, const struct mime_address *a,
			      struct pb_buf *tmp)
{
	pb_buf_reset(tmp);
	if (a->name != NULL && a->name[0] != '\0')
		mime_decode_header(a->name, strlen(a->name), tmp);
	if (tmp->len == 0)
		pb_buf_printf(tmp, "%s@%s", a->mailbox != NULL ? a->mailbox : "",
			      a->domain != NULL ? a->domain : "");
	return keep(j, tmp->data, tmp->len);
}

/* The mailbox (local part) of the first address of field name in the header, "" if none;
 * its display name (display_of) into *display_r when that is not NULL ("" if none). */
static const char *first_mailbox(struct sort_job *j, const void *hdr, size_t len,
				 const char *name, struct pb_buf *tmp, const char **display_r)
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
			if (display_r != NULL)
				*display_r = display_of(j, &list.v[i], tmp);
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
	m->from = first_mailbox(j, hdr, len, "From", tmp, &m->display_from);
	m->to = first_mailbox(j, hdr, len, "To", tmp, &m->display_to);
	m->cc = first_mailbox(j, hdr, len, "Cc", tmp, NULL);
	if (msg_ids(j, hdr, len, "Message-ID", tmp, refs, 1) == 1)
		m->message_id = refs[0];
	m->n_refs = msg_ids(j, hdr, len, "References", tmp, refs, IMAP_THREAD_REFS_MAX);
	if (m->n_refs == 0)
		m->n_refs = msg_ids(j, hdr, len, "In-Reply-To", tmp, refs, 1);
	const char **copy = xmalloc((m->n_refs + 1) * sizeof(*copy));
	memcpy(copy, refs, m->n_refs * sizeof(*copy));
	m->refs = copy;
}

/* The number of sorted message i (UID or sequence number). */
static uint32_t num_of(const struct sort_job *j, size_t i)
{
	return j->cmd.uid ? j->m[i].uid : j->m[i].msn;
}

/* ESORT (RFC 5267 3.1): "* ESEARCH (TAG "t") [UID] [MIN n] [MAX n] [ALL set] [COUNT n]"
 * into s->out (no CRLF), nothing for RETURN (SAVE) alone; SAVE keeps the messages. */
static void esort_answer(struct imap_session *s, struct sort_job *j)
{
	unsigned ret = j->cmd.u.sort.search.ret;

	if (ret & IMAP_SEARCH_RET_SAVE) /* the set is what counts: in ascending order */
		imap_searchres_save(s->view, j->msns, j->n);
	if (ret == IMAP_SEARCH_RET_SAVE)
		return;
	pb_buf_printf(&s->out, "* ESEARCH (TAG \"%s\")%s", j->cmd.tag, j->cmd.uid ? " UID" : "");
	if ((ret & IMAP_SEARCH_RET_MIN) && j->n > 0)
		pb_buf_printf(&s->out, " MIN %u", num_of(j, 0));
	if ((ret & IMAP_SEARCH_RET_MAX) && j->n > 0)
		pb_buf_printf(&s->out, " MAX %u", num_of(j, j->n - 1));
	for (size_t i = 0; (ret & IMAP_SEARCH_RET_ALL) && i < j->n;) {
		size_t k = i;
		while (k + 1 < j->n && num_of(j, k + 1) == num_of(j, k) + 1)
			k++;
		pb_buf_printf(&s->out, "%s%u", i == 0 ? " ALL " : ",", num_of(j, i));
		if (k > i)
			pb_buf_printf(&s->out, ":%u", num_of(j, k));
		i = k + 1;
	}
	if (ret & IMAP_SEARCH_RET_COUNT)
		pb_buf_printf(&s->out, " COUNT %zu", j->n);
}

/* RFC 7162 3.1.5: with the MODSEQ key, the highest mod-sequence of the messages sorted (0:
 * no MODSEQ key, or none). ESORT's MIN/MAX alone count all of them too (a simplification). */
static uint64_t max_modseq(const struct imap_session *s, const struct sort_job *j)
{
	uint64_t m = 0;

	if (!imap_search_has_modseq(&j->cmd.u.sort.search))
		return 0;
	for (size_t i = 0; i < j->n; i++)
		m = IMAP_MSG(s->view, j->msns[i])->modseq > m ? IMAP_MSG(s->view, j->msns[i])->modseq : m;
	return m;
}

/* Writes "* SORT ...", "* ESEARCH ..." or "* THREAD ..." and the tagged OK. */
static void answer(struct imap_session *s, struct sort_job *j)
{
	const struct imap_cmd *cmd = &j->cmd;

	pb_buf_reset(&s->out);
	if (cmd->kind == IMAP_CMD_SORT && cmd->u.sort.search.has_return) {
		imap_sort_run(j->m, j->n, cmd->u.sort.crit, cmd->u.sort.n_crit);
		esort_answer(s, j);
		if (s->out.len > 0 && max_modseq(s, j) != 0)
			pb_buf_printf(&s->out, " MODSEQ %llu", (unsigned long long)max_modseq(s, j));
	} else if (cmd->kind == IMAP_CMD_SORT) {
		imap_sort_run(j->m, j->n, cmd->u.sort.crit, cmd->u.sort.n_crit);
		pb_buf_append_str(&s->out, "* SORT");
		for (size_t i = 0; i < j->n; i++)
			pb_buf_printf(&s->out, " %u", cmd->uid ? j->m[i].uid : j->m[i].msn);
		if (max_modseq(s, j) != 0)
			pb_buf_printf(&s->out, " (MODSEQ %llu)", (unsigned long long)max_modseq(s, j));
	} else {
		pb_buf_append_str(&s->out, j->n > 0 ? "* THREAD " : "* THREAD");
		imap_thread_run(j->m, j->n, cmd->u.thread.alg, cmd->uid, &s->out);
	}
	if (s->out.len > 0) { /* none for ESORT's RETURN (SAVE) alone */
		pb_buf_append_str(&s->out, "\r\n");
		gw_write(s->gs, s->out.data, s->out.len);
	}
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
					  .subject = "", .from = "", .to = "", .cc = "",
					  .display_from = "", .display_to = "" };
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
	return imap_search_check(&cmd->u.sort.search);
}

void imap_do_sort(void *session, const void *cmdp)
{
	const struct imap_cmd *cmd = cmdp;

	imap_search_select(session, cmd,
			   cmd->kind == IMAP_CMD_SORT ? &cmd->u.sort.search : &cmd->u.thread.search,
			   on_selected);
}
