/*
 * imap-cmd-fetch.c: FETCH and UID FETCH (RFC 3501 6.4.5): FLAGS, UID, INTERNALDATE,
 * RFC822.SIZE, MODSEQ from the view; ENVELOPE, BODYSTRUCTURE and BODY from the parsed message
 * (mime-imap.h); BODY[section]<partial>, BODY.PEEK, RFC822, RFC822.HEADER and RFC822.TEXT
 * read through the reader shards in ranges and sent as literals, never held whole.
 *
 * The parsed message: when an item needs the structure, the message is read from the start in
 * FETCH_CHUNK ranges and fed to the streaming MIME parser (mime-parser.h), so what is held is
 * one range and the part tree (at most MIME_DEFAULT_MAX_PARTS parts, header fields bounded by
 * MIME_DEFAULT_MAX_HEADER_SIZE) whatever the message's size. A HEADER.FIELDS section gathers
 * its header block (at most that bound) to filter it.
 *
 * \Seen: a body fetched without .PEEK marks the message \Seen (unless the mailbox is
 * read-only); the FETCH answer carries the new FLAGS, and one MBOX_FLAGS at the end stores
 * them before the tagged OK. Output is paced: past NET_OUT_HIGH waiting for the peer the next
 * range or message waits for the drain. BINARY and CHANGEDSINCE are refused (BAD).
 * OWNS: struct fetch_job (the session's job). THREAD: the hub's.
 * MESSAGES sent (typed client stubs): READER_READ_REQ, MBOX_FLAGS_REQ.
 */
#include "imap-view.h"

#include "mime-header.h"
#include "mime-imap.h"
#include "mime-parser.h"
#include "net-loop.h"
#include "reader-client.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define FETCH_CHUNK (256 * 1024)
/* A range read when only the header is parsed (ENVELOPE, HEADER): most headers fit. */
#define FETCH_HEAD_CHUNK (16 * 1024)

enum { READ_PARSE = 0, READ_BODY = 1 };

struct fetch_job {
	struct gw_session *gs;
	struct imap_cmd cmd; /* a copy; what it points to is the parser's, valid while the session is busy */
	uint32_t *msns;
	size_t n, pos;
	unsigned item;	   /* the next item of the current message */
	bool open;	   /* "* n FETCH (" went out */
	bool sep;	   /* an item went out: the next one needs a space */
	bool flags_after;  /* \Seen set here and FLAGS not asked: sent at the end */
	bool reserved;	   /* FETCH_CHUNK taken from the budget of bytes in flight */
	bool wait_drain;
	struct mime_parser *mp;
	bool head_only; /* the message's items need only its top header parsed */
	struct mime_message *mime;
	uint64_t off, end;	/* the range being read */
	bool in_literal;	/* its octets go out as they come */
	const struct imap_fetch_item *filter; /* HEADER.FIELDS: gathered in buf, then filtered */
	struct pb_buf buf;
	struct pb_buf line; /* the current message's answer, written before each literal */
	uint64_t *seen;
	size_t n_seen;
};

static void fetch_go(struct imap_session *s);
static void fetch_drain(struct imap_session *s);

static void job_free(void *p)
{
	struct fetch_job *j = p;

	if (j->reserved)
		gw_release(j->gs, FETCH_CHUNK);
	mime_parser_destroy(&j->mp);
	mime_message_free(&j->mime);
	pb_buf_deinit(&j->buf);
	pb_buf_deinit(&j->line);
	free(j->msns);
	free(j->seen);
	free(j);
}

/* ---- what an item needs ---- */

static bool is_body(const struct imap_fetch_item *it)
{
	return it->att == IMAP_FETCH_BODY_SECTION || it->att == IMAP_FETCH_RFC822 ||
	       it->att == IMAP_FETCH_RFC822_HEADER || it->att == IMAP_FETCH_RFC822_TEXT;
}

static bool needs_mime(const struct imap_fetch_item *it)
{
	switch (it->att) {
	case IMAP_FETCH_ENVELOPE: case IMAP_FETCH_BODYSTRUCTURE: case IMAP_FETCH_BODY:
	case IMAP_FETCH_RFC822_HEADER: case IMAP_FETCH_RFC822_TEXT:
		return true;
	case IMAP_FETCH_BODY_SECTION:
		return it->n_parts > 0 || it->spec != IMAP_SECTION_ALL;
	default:
		return false;
	}
}

/* Whether its needs of the parsed message end at the top header. */
static bool header_enough(const struct imap_fetch_item *it)
{
	if (!needs_mime(it) || it->att == IMAP_FETCH_ENVELOPE || it->att == IMAP_FETCH_RFC822_HEADER)
		return true;
	return it->att == IMAP_FETCH_BODY_SECTION && it->n_parts == 0 &&
	       (it->spec == IMAP_SECTION_HEADER || it->spec == IMAP_SECTION_HEADER_FIELDS ||
		it->spec == IMAP_SECTION_HEADER_FIELDS_NOT);
}

/* Whether fetching it sets \Seen (RFC 3501 6.4.5: BODY[...] and RFC822, RFC822.TEXT). */
static bool sets_seen(const struct imap_fetch_item *it)
{
	return (it->att == IMAP_FETCH_BODY_SECTION && !it->peek) || it->att == IMAP_FETCH_RFC822 ||
	       it->att == IMAP_FETCH_RFC822_TEXT;
}

const char *imap_check_fetch(const void *session, const void *cmdp)
{
	const struct imap_cmd *cmd = cmdp;
	const struct imap_fetch *f = &cmd->u.fetch;

	if (f->has_changedsince || f->vanished)
		return "BAD CHANGEDSINCE and VANISHED are not supported";
	for (unsigned i = 0; i < f->n_items; i++)
		if (f->items[i].att == IMAP_FETCH_BINARY || f->items[i].att == IMAP_FETCH_BINARY_SIZE)
			return "BAD BINARY is not supported yet";
	return NULL;
}

/* ---- writing ---- */

static void item_begin(struct imap_session *s, struct fetch_job *j)
{
	if (j->sep)
		pb_buf_append_c(&j->line, ' ');
	j->sep = true;
}

static void flush(struct imap_session *s, struct fetch_job *j)
{
	gw_write(s->gs, j->line.data, j->line.len);
	pb_buf_reset(&j->line);
}

static void append_date(struct pb_buf *out, int64_t ms)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	pb_buf_printf(out, "INTERNALDATE \"%02d-%s-%04d %02d:%02d:%02d +0000\"", tm.tm_mday,
		      mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The section as the answer names it ("1.2.HEADER.FIELDS (From To)") and, in locate, as
 * mime_section_locate reads it (no field list). */
static void section_text(const struct imap_fetch_item *it, struct pb_buf *out, bool fields)
{
	static const char *const spec[] = { "", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT",
					    "TEXT", "MIME" };
	for (unsigned i = 0; i < it->n_parts; i++)
		pb_buf_printf(out, "%s%u", i > 0 ? "." : "", it->parts[i]);
	if (it->spec != IMAP_SECTION_ALL)
		pb_buf_printf(out, "%s%s", it->n_parts > 0 ? "." : "", spec[it->spec]);
	if (!fields || it->n_fields == 0)
		return;
	pb_buf_append_str(out, " (");
	for (unsigned i = 0; i < it->n_fields; i++)
		pb_buf_printf(out, "%s%s", i > 0 ? " " : "", it->fields[i]);
	pb_buf_append_c(out, ')');
}

static void item_name(const struct imap_fetch_item *it, struct pb_buf *out)
{
	if (it->att == IMAP_FETCH_RFC822)
		pb_buf_append_str(out, "RFC822");
	else if (it->att == IMAP_FETCH_RFC822_HEADER)
		pb_buf_append_str(out, "RFC822.HEADER");
	else if (it->att == IMAP_FETCH_RFC822_TEXT)
		pb_buf_append_str(out, "RFC822.TEXT");
	else {
		pb_buf_append_str(out, "BODY[");
		section_text(it, out, true);
		pb_buf_append_c(out, ']');
		if (it->partial)
			pb_buf_printf(out, "<%u>", it->offset);
	}
}

/* The items answered from the view and the parsed message. */
static void simple_item(struct imap_session *s, struct fetch_job *j, uint32_t msn,
			const struct pb_rec_mbox_entry *e, const struct imap_fetch_item *it)
{
	item_begin(s, j);
	switch (it->att) {
	case IMAP_FETCH_FLAGS:
		pb_buf_append_str(&j->line, "FLAGS ");
		imap_flags_append(&j->line, e->flags);
		break;
	case IMAP_FETCH_UID: pb_buf_printf(&j->line, "UID %u", e->uid); break;
	case IMAP_FETCH_INTERNALDATE: append_date(&j->line, e->internal_date_ms); break;
	case IMAP_FETCH_RFC822_SIZE:
		pb_buf_printf(&j->line, "RFC822.SIZE %llu", (unsigned long long)e->size);
		break;
	case IMAP_FETCH_MODSEQ:
		pb_buf_printf(&j->line, "MODSEQ (%llu)", (unsigned long long)e->modseq);
		break;
	case IMAP_FETCH_ENVELOPE:
		pb_buf_append_str(&j->line, "ENVELOPE ");
		mime_imap_envelope(j->mime->root, &j->line);
		break;
	default: /* BODYSTRUCTURE, BODY */
		pb_buf_append_str(&j->line, it->att == IMAP_FETCH_BODY ? "BODY " : "BODYSTRUCTURE ");
		mime_imap_bodystructure(j->mime->root, it->att == IMAP_FETCH_BODYSTRUCTURE, &j->line);
		break;
	}
}

/* ---- reading ---- */

static void on_read(void *session, uint64_t what, struct pb_msg *rep);
static void body_done(struct imap_session *s, struct fetch_job *j);

/* Reads the next range of j->off..j->end of the current message. */
static void read_next(struct imap_session *s, struct fetch_job *j, uint64_t what)
{
	const struct pb_rec_mbox_entry *e = IMAP_MSG(s->view, j->msns[j->pos]);
	uint64_t left = j->end - j->off;
	struct gw_pending call = imap_call_of(s, on_read, what);
	struct pb_sender tx = gw_sender(&call);
	uint64_t chunk = what == READ_PARSE && j->head_only ? FETCH_HEAD_CHUNK : FETCH_CHUNK;
	const char *error;

	if (reader_client_read_send(&tx, s->user_id, e->blob_key, j->off,
				    (uint32_t)(left < chunk ? left : chunk), &error) < 0) {
		on_read(s, what, NULL);
		return;
	}
	s->busy = true;
}

/* A read failed (no answer, no such body): a literal under way cannot be ended, so the
 * connection is; else the message's answer is closed and the FETCH says NO. */
static void read_failed(struct imap_session *s, struct fetch_job *j)
{
	if (j->in_literal) {
		imap_bye(s, "Message body unavailable");
		return;
	}
	pb_buf_append_str(&j->line, ")\r\n");
	flush(s, j);
	imap_tagged(s, "NO [UNAVAILABLE] Message body unavailable");
	imap_job_end(s);
	imap_resume(s);
}

/* The parser took a range; at the end of the message (or of its header, when only the
 * header is needed) the tree is taken. Returns whether it was. */
static bool parsed(struct fetch_job *j, const uint8_t *data, size_t len, bool eof)
{
	struct mime_event ev;

	mime_parser_feed(j->mp, data, len);
	if (eof)
		mime_parser_finish(j->mp);
	while (mime_parser_next(j->mp, &ev) == 1) {
		if (j->head_only && !eof && ev.type == MIME_EVENT_HEADER_END && ev.part->depth == 0) {
			mime_parser_finish(j->mp);
			eof = true;
		}
	}
	if (!eof)
		return false;
	j->mime = mime_parser_take_message(j->mp);
	mime_parser_destroy(&j->mp);
	return true;
}

/* Takes what a read brought into the parser, the gathered header or the client: 1 when the
 * range is done, 0 when more is to be read, -1 when the read failed (no answer, no body, a
 * body shorter than listed: a literal's announced size cannot be kept). */
static int take(struct imap_session *s, struct fetch_job *j, uint64_t what, struct pb_msg *rep)
{
	const uint8_t *data;
	size_t len;
	uint64_t size;
	bool eof;

	if (rep == NULL || reader_client_read_reply(rep, &size, &data, &len, &eof) != PB_OK)
		return -1;
	if (len > j->end - j->off)
		len = (size_t)(j->end - j->off);
	if (what == READ_BODY && j->off + len < j->end && (eof || len == 0))
		return -1;
	j->off += len;
	eof = eof || j->off >= j->end;
	if (what == READ_PARSE)
		return parsed(j, data, len, eof);
	if (j->filter != NULL)
		pb_buf_append(&j->buf, data, len);
	else
		gw_write(s->gs, data, len);
	return eof;
}

static void on_read(void *session, uint64_t what, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct fetch_job *j = s->job;

	s->busy = false;
	int rc = take(s, j, what, rep);
	if (rc < 0) {
		read_failed(s, j);
		return;
	}
	if (rc == 0) {
		if (gw_output_pending(s->gs) >= NET_OUT_HIGH)
			j->wait_drain = true;
		else
			read_next(s, j, what);
		return;
	}
	if (what == READ_BODY)
		body_done(s, j);
	fetch_go(s);
	imap_resume(s);
}

/* The output drained: the range or message that waited for it goes on. */
static void fetch_drain(struct imap_session *s)
{
	struct fetch_job *j = s->job;

	if (j == NULL || !j->wait_drain)
		return;
	j->wait_drain = false;
	if (j->off < j->end && j->mp != NULL)
		read_next(s, j, READ_PARSE);
	else if (j->off < j->end)
		read_next(s, j, READ_BODY);
	else
		fetch_go(s);
	imap_resume(s);
}

/* ---- bodies ---- */

/* Writes "NAME {len}" for the part [start, start + len) of a range of size octets after the
 * partial <offset.length> is applied; *start_r, *len_r. */
static void literal_head(struct imap_session *s, struct fetch_job *j,
			 const struct imap_fetch_item *it, uint64_t size, uint64_t *start_r,
			 uint64_t *len_r)
{
	uint64_t start = 0, len = size;

	if (it->partial) {
		start = it->offset < size ? it->offset : size;
		len = size - start < it->length ? size - start : it->length;
	}
	item_begin(s, j);
	item_name(it, &j->line);
	pb_buf_printf(&j->line, " {%llu}\r\n", (unsigned long long)len);
	flush(s, j);
	*start_r = start;
	*len_r = len;
}

/* A body item ended; a HEADER.FIELDS block gathered is filtered, then sent. */
static void body_done(struct imap_session *s, struct fetch_job *j)
{
	const struct imap_fetch_item *it = j->filter;
	struct pb_buf out;
	uint64_t start, len;

	j->in_literal = false;
	j->item++;
	if (it == NULL)
		return;
	j->filter = NULL;
	pb_buf_init(&out);
	mime_header_filter(j->buf.data, j->buf.len, it->fields, it->n_fields,
			   it->spec == IMAP_SECTION_HEADER_FIELDS_NOT, &out);
	literal_head(s, j, it, out.len, &start, &len);
	gw_write(s->gs, out.data + start, (size_t)len);
	pb_buf_deinit(&out);
	pb_buf_reset(&j->buf);
}

/* The octet range a body item names (the whole message, or a located section; a section the
 * message does not have is empty). */
static struct mime_section_range body_range(const struct fetch_job *j,
					    const struct pb_rec_mbox_entry *e,
					    const struct imap_fetch_item *it)
{
	struct mime_section_range r = { .offset = 0, .size = e->size };
	struct pb_buf sec;
	const char *error;

	if (!needs_mime(it))
		return r;
	pb_buf_init(&sec);
	if (it->att == IMAP_FETCH_RFC822_HEADER || it->att == IMAP_FETCH_RFC822_TEXT)
		pb_buf_append_str(&sec, it->att == IMAP_FETCH_RFC822_TEXT ? "TEXT" : "HEADER");
	else
		section_text(it, &sec, false);
	pb_buf_append_c(&sec, '\0');
	if (j->mime == NULL || mime_section_locate(j->mime, sec.data, &r, &error) <= 0)
		r = (struct mime_section_range){ 0 };
	pb_buf_deinit(&sec);
	return r;
}

/* Starts a body item: 1 when a read went out (the item ends in on_read), 0 when it is done. */
static int body_item(struct imap_session *s, struct fetch_job *j,
		     const struct pb_rec_mbox_entry *e, const struct imap_fetch_item *it)
{
	struct mime_section_range r = body_range(j, e, it);
	uint64_t start = 0, len = r.size;

	if (it->spec == IMAP_SECTION_HEADER_FIELDS || it->spec == IMAP_SECTION_HEADER_FIELDS_NOT) {
		j->filter = it;
		pb_buf_reset(&j->buf);
	} else {
		literal_head(s, j, it, r.size, &start, &len);
		j->in_literal = len > 0;
	}
	j->off = r.offset + start;
	j->end = j->off + len;
	if (len == 0) {
		body_done(s, j);
		return 0;
	}
	read_next(s, j, READ_BODY);
	return 1;
}

/* ---- one message after another ---- */

/* Opens the answer of the current message; \Seen is set here for a body fetched without
 * .PEEK. Returns 1 when the message must be parsed first (a read went out). */
static int open_msg(struct imap_session *s, struct fetch_job *j)
{
	uint32_t msn = j->msns[j->pos];
	struct pb_rec_mbox_entry *e = IMAP_MSG(s->view, msn);
	const struct imap_fetch *f = &j->cmd.u.fetch;
	bool mime = false, seen = false, flags = false, uid = false;

	j->head_only = true;
	for (unsigned i = 0; i < f->n_items; i++) {
		mime |= needs_mime(&f->items[i]);
		j->head_only &= header_enough(&f->items[i]);
		seen |= sets_seen(&f->items[i]);
		flags |= f->items[i].att == IMAP_FETCH_FLAGS;
		uid |= f->items[i].att == IMAP_FETCH_UID;
	}
	if (seen && !s->view->readonly && !(e->flags & IMAP_FLAG_SEEN)) {
		e->flags |= IMAP_FLAG_SEEN;
		j->seen[j->n_seen++] = e->uid;
		j->flags_after = !flags;
	}
	pb_buf_printf(&j->line, "* %u FETCH (", msn);
	j->open = true;
	j->sep = false;
	j->item = 0;
	if (j->cmd.uid && !uid) { /* RFC 3501 6.4.8: UID FETCH answers carry the UID */
		item_begin(s, j);
		pb_buf_printf(&j->line, "UID %u", e->uid);
	}
	if (!mime)
		return 0;
	j->mp = mime_parser_create(NULL);
	j->off = 0;
	j->end = e->size;
	read_next(s, j, READ_PARSE);
	return 1;
}

static void close_msg(struct imap_session *s, struct fetch_job *j)
{
	if (j->flags_after) {
		item_begin(s, j);
		pb_buf_append_str(&j->line, "FLAGS ");
		imap_flags_append(&j->line, IMAP_MSG(s->view, j->msns[j->pos])->flags);
	}
	pb_buf_append_str(&j->line, ")\r\n");
	flush(s, j);
	mime_message_free(&j->mime);
	j->flags_after = j->open = false;
	j->pos++;
}

static void on_seen(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	uint64_t modseq;
	const char *error;

	s->busy = false;
	if (rep == NULL || mailbox_client_flags_reply(rep, &modseq, &error) != PB_OK)
		imap_tagged(s, "NO [UNAVAILABLE] Fetch completed, but \\Seen was not stored");
	else
		imap_tagged(s, "OK Fetch completed.");
	imap_job_end(s);
	imap_resume(s);
}

/* Every message was answered: the \Seen set here is stored, then the tagged OK. */
static void finish(struct imap_session *s, struct fetch_job *j)
{
	const char *error;

	if (j->n_seen == 0) {
		imap_tagged(s, "OK Fetch completed.");
		imap_job_end(s);
		return;
	}
	struct gw_pending call = imap_call_of(s, on_seen, 0);
	struct pb_sender tx = gw_sender(&call);
	if (mailbox_client_flags_send(&tx, s->user_id, s->view->folder, j->seen,
				      (uint32_t)j->n_seen, 1 /* PB_FLAGS_ADD */, IMAP_FLAG_SEEN,
				      &error) == 0) {
		s->busy = true;
		return;
	}
	on_seen(s, 0, NULL);
}

/* Answers messages and items until a read goes out, the output must drain or all is done.
 * The answer of a message is built in j->line and written before each literal and at its
 * end. */
static void fetch_go(struct imap_session *s)
{
	struct fetch_job *j = s->job;
	const struct imap_fetch *f = &j->cmd.u.fetch;

	while (s->job == j && !s->busy && !s->closing) {
		if (j->pos == j->n) {
			finish(s, j);
			return;
		}
		if (!j->open) {
			if (gw_output_pending(s->gs) >= NET_OUT_HIGH) {
				j->wait_drain = true;
				return;
			}
			if (open_msg(s, j))
				return;
		}
		if (j->item == f->n_items) {
			close_msg(s, j);
			continue;
		}
		const struct imap_fetch_item *it = &f->items[j->item];
		struct pb_rec_mbox_entry *e = IMAP_MSG(s->view, j->msns[j->pos]);
		if (!is_body(it)) {
			simple_item(s, j, j->msns[j->pos], e, it);
			j->item++;
		} else if (body_item(s, j, e, it)) {
			return;
		}
	}
}

void imap_do_fetch(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	struct fetch_job *j = xcalloc(1, sizeof(*j));
	const char *error;

	long n = imap_view_resolve(s->view, &cmd->u.fetch.set, cmd->uid, &j->msns, &error);
	if (n <= 0 || !gw_reserve(s->gs, FETCH_CHUNK)) {
		if (n < 0)
			imap_tagged(s, "BAD %s", error);
		else
			imap_tagged(s, n == 0 ? "OK Fetch completed."
					      : "NO [UNAVAILABLE] Server busy, try again later");
		free(j->msns);
		free(j);
		return;
	}
	j->gs = s->gs;
	j->reserved = true;
	j->cmd = *cmd;
	j->n = (size_t)n;
	j->seen = xmalloc(j->n * sizeof(*j->seen));
	pb_buf_init(&j->buf);
	pb_buf_init(&j->line);
	imap_job_begin(s, j, job_free, fetch_drain);
	fetch_go(s);
}
