/*
 * imap-cmd-fetch.c: FETCH and UID FETCH (RFC 3501 6.4.5): FLAGS, UID, INTERNALDATE,
 * RFC822.SIZE, MODSEQ from the view; ENVELOPE, BODYSTRUCTURE and BODY from the readers' cached
 * metas (READER_META_REQ); BODY[section]<partial>, BODY.PEEK, RFC822, RFC822.HEADER and
 * RFC822.TEXT located by the readers (READER_SECTION_REQ: an octet range, or the filtered
 * octets of HEADER.FIELDS[.NOT]) and sent as literals, never held whole.
 *
 * Pages: the messages are answered a batch at a time (up to READER_META_MAX messages, fewer
 * when there are several body items: a batch's sections fit one READER_SECTION_REQ). For a
 * batch, the metas are asked (when an item needs them), then the sections, then the first
 * octets of every range are read ahead in READER_READ_MANY_REQ requests (up to
 * READER_MANY_MAX ranges, FETCH_AHEAD octets each); a range longer than its read-ahead goes on
 * in FETCH_CHUNK reads. Every request answers a prefix: the rest is asked again. Nothing of a
 * batch is written before it is complete, so a failed request ends the FETCH with NO after
 * whole answers only. While a batch is answered the next one's first request is in flight
 * (prefetch): its metas for a FETCH without body items, its first read-ahead for whole bodies
 * (BODY[], RFC822, without metas or sections): the reader works while the hub writes.
 *
 * \Seen: a body fetched without .PEEK marks the message \Seen (unless the mailbox is
 * read-only); the FETCH answer carries the new FLAGS, and one MBOX_FLAGS at the end stores
 * them before the tagged OK. Output is paced: past NET_OUT_HIGH waiting for the peer the next
 * range or message waits for the drain. CHANGEDSINCE is imap-condstore.c's.
 *
 * BINARY[part]<partial>, BINARY.PEEK and BINARY.SIZE (RFC 3516) are asked of the readers item
 * by item (READER_BINARY_REQ): the first ask gives the decoded size (and whether a NUL makes the
 * literal a ~{n} literal8) with the first FETCH_CHUNK decoded octets, the next ones go on from
 * the resume point it gave. An unknown transfer encoding ends the FETCH with NO [UNKNOWN-CTE]
 * after the whole answers before it (and the current message's items answered so far).
 * OWNS: struct fetch_job (the session's job) and the readers' replies of its batch.
 * THREAD: the hub's.
 * MESSAGES sent (typed client stubs): READER_META_REQ, READER_SECTION_REQ,
 * READER_READ_MANY_REQ, READER_READ_REQ, READER_BINARY_REQ, MBOX_FLAGS_REQ.
 */
#include "imap-view.h"

#include "net-loop.h"
#include "reader-client.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define FETCH_CHUNK (256 * 1024)
/* Octets of a range read ahead with its batch: most messages and headers fit. */
#define FETCH_AHEAD (64 * 1024)
/* Octets of whole answers held before they are written: the answers of a batch go out in a
 * few writes (one send each), not one per message. */
#define FETCH_OUT_HELD (64 * 1024)
/* Body items of one FETCH at most (a batch holds at least one message's sections). */
#define FETCH_BODY_ITEMS_MAX 64

enum fetch_phase { PH_META = 0, PH_SECT, PH_AHEAD, PH_EMIT };

/* One body item of one message of the batch: [off, off + len) of the stored body after the
 * partial is applied, or the filtered octets; data/data_len: what is held of its start (the
 * read-ahead, or all of the filtered octets), pointing into a kept reply. */
struct fetch_part {
	uint32_t code; /* PB_OK; NOTFOUND: the body is gone */
	uint64_t off, len;
	const uint8_t *data;
	size_t data_len;
};

struct fetch_job {
	struct gw_session *gs;
	struct imap_cmd cmd; /* a copy; what it points to is the parser's, valid while the session is busy */
	uint32_t *msns;
	size_t n, pos;
	/* the batch: messages [b_lo, b_hi), their metas and parts (n_body per message) */
	size_t b_lo, b_hi, batch_max;
	enum fetch_phase phase;
	size_t got; /* answers of the phase so far */
	size_t ahead_from; /* PH_AHEAD: the first part of the request in flight */
	bool need_meta, need_sect;
	bool envelope_only; /* the metas are asked for ENVELOPE only */
	unsigned n_body;
	unsigned *body_of;   /* item index → its body item index */
	char **sections;     /* per body item: the specifier the readers read */
	const char **keys;   /* the batch's blob keys */
	struct reader_meta *metas;
	struct fetch_part *parts;
	struct pb_msg *kept; /* the replies the batch's pointers point into */
	size_t n_kept;
	/* the message being answered */
	unsigned item;	   /* its next item */
	bool open;	   /* "* n FETCH (" went out */
	size_t open_at;	   /* where it begins in line */
	bool sep;	   /* an item went out: the next one needs a space */
	bool flags_after;  /* \Seen set here and FLAGS not asked: sent at the end */
	bool reserved;	   /* FETCH_CHUNK taken from the budget of bytes in flight */
	bool wait_drain;
	uint64_t off, end;  /* the rest of a literal being read */
	bool in_literal;
	bool in_binary;	    /* a BINARY literal is being sent: bin_left octets from the resume */
	uint64_t bin_off, bin_skip, bin_left; /* point (bin_off, bin_skip) of READER_BINARY_REQ */
	struct pb_buf line; /* the current message's answer, written before each literal */
	uint64_t *seen;
	size_t n_seen;
	/* the next batch's metas, asked while this one is answered (no body item: FLAGS ENVELOPE) */
	enum { PRE_NONE = 0, PRE_ASKED, PRE_DONE } pre;
	bool pre_waiting;	   /* the next batch waits for them (the session is busy) */
	uint64_t serial;	   /* tells this job's prefetch reply from an earlier job's */
	struct pb_msg pre_rep;	   /* PRE_DONE: the reply the metas point into */
	struct reader_meta *pre_metas;
	size_t pre_n, pre_got;	   /* metas asked, answered */
	uint32_t pre_code;
	/* or, for whole bodies (BODY[], RFC822: no meta, no section), its first read-ahead: the
	 * parts [0, pre_parts) of the next batch were asked */
	bool pre_ahead;
	size_t pre_parts;
};

static void fetch_go(struct imap_session *s);
static void binary_next(struct imap_session *s, struct fetch_job *j);
static int batch_step(struct imap_session *s, struct fetch_job *j);

static void kept_free(struct fetch_job *j)
{
	for (size_t i = 0; i < j->n_kept; i++)
		pb_msg_free(&j->kept[i]);
	j->n_kept = 0;
}

static void job_free(void *p)
{
	struct fetch_job *j = p;

	if (j->reserved)
		gw_release(j->gs, FETCH_CHUNK);
	kept_free(j);
	for (unsigned i = 0; i < j->n_body; i++)
		free(j->sections[i]);
	free(j->sections);
	free(j->body_of);
	free(j->keys);
	free(j->metas);
	free(j->parts);
	free(j->kept);
	pb_buf_deinit(&j->line);
	free(j->msns);
	free(j->seen);
	pb_msg_free(&j->pre_rep);
	free(j->pre_metas);
	free(j);
}

/* Keeps a reply (its fields are stolen: the caller's copy is left empty) for the batch. */
static struct pb_msg *keep(struct fetch_job *j, struct pb_msg *rep)
{
	struct pb_msg *m;

	j->kept = xrealloc(j->kept, (j->n_kept + 1) * sizeof(*j->kept));
	m = &j->kept[j->n_kept++];
	*m = *rep;
	pb_msg_init(rep, MSG_CORE_STATUS_REP);
	return m;
}

/* ---- what an item needs ---- */

static bool is_body(const struct imap_fetch_item *it)
{
	return it->att == IMAP_FETCH_BODY_SECTION || it->att == IMAP_FETCH_RFC822 ||
	       it->att == IMAP_FETCH_RFC822_HEADER || it->att == IMAP_FETCH_RFC822_TEXT;
}

static bool needs_meta(const struct imap_fetch_item *it)
{
	return it->att == IMAP_FETCH_ENVELOPE || it->att == IMAP_FETCH_BODYSTRUCTURE ||
	       it->att == IMAP_FETCH_BODY;
}

/* Whether a body item is less than the whole message (the readers locate it). */
static bool needs_section(const struct imap_fetch_item *it)
{
	if (it->att == IMAP_FETCH_RFC822_HEADER || it->att == IMAP_FETCH_RFC822_TEXT)
		return true;
	return it->att == IMAP_FETCH_BODY_SECTION && (it->n_parts > 0 || it->spec != IMAP_SECTION_ALL);
}

/* Whether fetching it sets \Seen (RFC 3501 6.4.5: BODY[...] and RFC822, RFC822.TEXT). */
static bool sets_seen(const struct imap_fetch_item *it)
{
	return ((it->att == IMAP_FETCH_BODY_SECTION || it->att == IMAP_FETCH_BINARY) && !it->peek) ||
	       it->att == IMAP_FETCH_RFC822 || it->att == IMAP_FETCH_RFC822_TEXT;
}

const char *imap_check_fetch(const void *session, const void *cmdp)
{
	const struct imap_cmd *cmd = cmdp;
	const struct imap_fetch *f = &cmd->u.fetch;
	unsigned n_body = 0;

	if (imap_condstore_check_fetch(session, f) != NULL)
		return imap_condstore_check_fetch(session, f);
	for (unsigned i = 0; i < f->n_items; i++)
		n_body += is_body(&f->items[i]);
	if (n_body > FETCH_BODY_ITEMS_MAX)
		return "BAD Too many body sections in one FETCH";
	return NULL;
}

/* ---- writing ---- */

static void item_begin(struct fetch_job *j)
{
	if (j->sep)
		pb_buf_append_c(&j->line, ' ');
	j->sep = true;
}

static void flush(struct imap_session *s, struct fetch_job *j)
{
	if (j->line.len == 0)
		return;
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

/* The section as the answer names it ("1.2.HEADER.FIELDS (From To)") and, without fields, as
 * the readers read it. */
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

/* The items answered from the view and the message's meta. */
static void simple_item(struct fetch_job *j, const struct pb_rec_mbox_entry *e,
			const struct reader_meta *meta, const struct imap_fetch_item *it)
{
	item_begin(j);
	switch (it->att) {
	case IMAP_FETCH_FLAGS:
		pb_buf_append_str(&j->line, "FLAGS ");
		imap_flags_kw_append(&j->line, e->flags, e->keywords);
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
		pb_buf_append_str(&j->line, meta->envelope);
		break;
	case IMAP_FETCH_BODY: pb_buf_printf(&j->line, "BODY %s", meta->body); break;
	default: pb_buf_printf(&j->line, "BODYSTRUCTURE %s", meta->bodystructure); break;
	}
}

/* ---- the batch: metas, sections, read-ahead ---- */

static size_t batch_size(const struct fetch_job *j)
{
	return j->b_hi - j->b_lo;
}

/* A batch's request failed: nothing of the batch went out, so the FETCH ends with NO. */
static void batch_failed(struct imap_session *s)
{
	flush(s, s->job); /* the whole answers held */
	imap_tagged(s, "NO [UNAVAILABLE] Message bodies unavailable, try again later");
	imap_job_end(s);
}

/* [start, start + len) of a range of size octets once the partial <offset.length> is applied. */
static void apply_partial(const struct imap_fetch_item *it, uint64_t size, uint64_t *start_r,
			  uint64_t *len_r)
{
	uint64_t start = 0, len = size;

	if (it->partial) {
		start = it->offset < size ? it->offset : size;
		len = size - start < it->length ? size - start : it->length;
	}
	*start_r = start;
	*len_r = len;
}

/* The body item of part index i of the batch. */
static const struct imap_fetch_item *part_item(const struct fetch_job *j, size_t i)
{
	const struct imap_fetch *f = &j->cmd.u.fetch;
	unsigned b = (unsigned)(i % j->n_body);

	for (unsigned k = 0; k < f->n_items; k++)
		if (is_body(&f->items[k]) && j->body_of[k] == b)
			return &f->items[k];
	return NULL; /* not reached: every body item has an index */
}

/* The batch's parts as whole messages (no item names a section: nothing is asked). */
static void whole_parts(struct imap_session *s, struct fetch_job *j)
{
	for (size_t i = 0; i < batch_size(j) * j->n_body; i++) {
		const struct pb_rec_mbox_entry *e = IMAP_MSG(s->view, j->msns[j->b_lo + i / j->n_body]);
		struct fetch_part *p = &j->parts[i];
		p->code = PB_OK;
		apply_partial(part_item(j, i), e->size, &p->off, &p->len);
	}
}

static void on_batch(void *session, uint64_t phase, struct pb_msg *rep);

/* Whether the phase's request went out (the session waits) or failed (answered). */
static int batch_sent(struct imap_session *s, int rc)
{
	if (rc == 0)
		s->busy = true;
	else
		batch_failed(s);
	return 0;
}

/* READER_META_REQ for keys[0..n) (as reader_client_meta_send). */
static int meta_send(const struct pb_sender *tx, const struct imap_session *s,
		     const struct fetch_job *j, const char *const *keys, size_t n,
		     const char **error_r)
{
	if (j->envelope_only)
		return reader_client_meta_send_envelopes(tx, s->user_id, keys, n, error_r);
	return reader_client_meta_send(tx, s->user_id, keys, n, error_r);
}

/* Asks the metas not answered yet: 1 when all are, else 0. */
static int ask_metas(struct imap_session *s, struct fetch_job *j)
{
	struct gw_pending call = imap_call_of(s, on_batch, PH_META);
	struct pb_sender tx = gw_sender(&call);
	size_t left = batch_size(j) - j->got;
	const char *error;

	if (left == 0)
		return 1;
	return batch_sent(s, meta_send(&tx, s, j, j->keys + j->got, left, &error));
}

/* Asks the sections not answered yet (every body item of every message): 1 when all are. */
static int ask_sections(struct imap_session *s, struct fetch_job *j)
{
	struct gw_pending call = imap_call_of(s, on_batch, PH_SECT);
	struct pb_sender tx = gw_sender(&call);
	size_t total = batch_size(j) * j->n_body, n = total - j->got;
	struct reader_section_ask *asks;
	const char *error;

	if (n == 0)
		return 1;
	n = n < READER_SECTION_MAX ? n : READER_SECTION_MAX;
	asks = xcalloc(n, sizeof(*asks));
	for (size_t k = 0; k < n; k++) {
		size_t i = j->got + k;
		const struct imap_fetch_item *it = part_item(j, i);
		asks[k].blob_key = j->keys[i / j->n_body];
		asks[k].section = j->sections[i % j->n_body];
		asks[k].fields = it->n_fields > 0 ? it->fields : NULL;
		asks[k].n_fields = it->n_fields;
	}
	int rc = reader_client_section_send(&tx, s->user_id, asks, n, &error);
	free(asks);
	return batch_sent(s, rc);
}

/* Whether part p needs octets read from its body. */
static bool part_reads(const struct fetch_part *p)
{
	return p->code == PB_OK && p->len > 0 && p->data == NULL;
}

/* Reads ahead the first octets of the next parts (up to READER_MANY_MAX of them and
 * PB_CHUNK_MAX octets): 1 when none is left. j->got moves past the parts asked. */
static int ask_ahead(struct imap_session *s, struct fetch_job *j)
{
	struct gw_pending call = imap_call_of(s, on_batch, PH_AHEAD);
	struct pb_sender tx = gw_sender(&call);
	size_t total = batch_size(j) * j->n_body, n = 0;
	struct reader_range ranges[READER_MANY_MAX];
	uint64_t sum = 0;
	const char *error;

	j->ahead_from = j->got;
	for (; j->got < total && n < READER_MANY_MAX; j->got++) {
		struct fetch_part *p = &j->parts[j->got];
		uint64_t len = p->len < FETCH_AHEAD ? p->len : FETCH_AHEAD;
		if (!part_reads(p))
			continue;
		if (sum + len > PB_CHUNK_MAX)
			break;
		ranges[n++] = (struct reader_range){ j->keys[j->got / j->n_body], p->off,
						     (uint32_t)len };
		sum += len;
	}
	if (n == 0)
		return 1;
	return batch_sent(s, reader_client_read_many_send(&tx, s->user_id, ranges, n, &error));
}

/* The answers to the section asks from j->got on. */
static uint32_t took_sections(struct fetch_job *j, const struct pb_msg *m)
{
	size_t n = batch_size(j) * j->n_body - j->got, done;
	n = n < READER_SECTION_MAX ? n : READER_SECTION_MAX;
	struct reader_section *secs = xcalloc(n, sizeof(*secs));
	uint32_t code = reader_client_section_reply(m, n, secs, &done);

	for (size_t k = 0; code == PB_OK && k < done; k++) {
		struct fetch_part *p = &j->parts[j->got + k];
		uint64_t start;
		p->code = secs[k].code == PB_ERR_NOTFOUND ? PB_ERR_NOTFOUND : PB_OK;
		if (secs[k].code != PB_OK || !secs[k].exists)
			continue; /* no such part (or a specifier refused): an empty string */
		if (secs[k].filtered) {
			apply_partial(part_item(j, j->got + k), secs[k].len, &start, &p->len);
			p->data = secs[k].data + start;
			p->data_len = (size_t)p->len;
		} else {
			apply_partial(part_item(j, j->got + k), secs[k].size, &start, &p->len);
			p->off = secs[k].offset + start;
		}
	}
	j->got += done;
	free(secs);
	return code;
}

/* The read-ahead's answers, for the parts [j->ahead_from, j->got) that read. */
static uint32_t took_ahead(struct fetch_job *j, const struct pb_msg *m)
{
	struct reader_part got[READER_MANY_MAX];
	size_t n = 0;

	for (size_t i = j->ahead_from; i < j->got; i++)
		n += part_reads(&j->parts[i]);
	uint32_t code = reader_client_read_many_reply(m, n, got);
	if (code != PB_OK)
		return code;
	n = 0;
	for (size_t i = j->ahead_from; i < j->got; i++) {
		struct fetch_part *p = &j->parts[i];
		if (!part_reads(p))
			continue;
		struct reader_part *r = &got[n++];
		p->code = r->code;
		p->data = r->data;
		p->data_len = r->code == PB_OK ? (r->len < p->len ? r->len : (size_t)p->len) : 0;
	}
	return PB_OK;
}

/* Runs the batch's phases until a request goes out (0), one failed (-1: answered) or the
 * batch is complete (1). */
static int batch_step(struct imap_session *s, struct fetch_job *j)
{
	for (;;) {
		int rc = 1;
		if (j->phase == PH_EMIT)
			return 1;
		if (j->phase == PH_META && j->need_meta)
			rc = ask_metas(s, j);
		else if (j->phase == PH_SECT && j->need_sect)
			rc = ask_sections(s, j);
		else if (j->phase == PH_AHEAD)
			rc = ask_ahead(s, j);
		if (rc == 0)
			return s->busy ? 0 : -1;
		j->phase++;
		j->got = 0;
	}
}

/* A reply of a batch's phase: kept (the parts point into it), decoded, and the batch goes on. */
static void on_batch(void *session, uint64_t phase, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct fetch_job *j = s->job;
	size_t done;
	uint32_t code = PB_ERR_TEMP;

	s->busy = false;
	if (rep != NULL) {
		struct pb_msg *m = keep(j, rep);
		if (phase == PH_META) {
			code = reader_client_meta_reply(m, batch_size(j) - j->got, j->metas + j->got,
							&done);
			j->got += code == PB_OK ? done : 0;
		} else {
			code = phase == PH_SECT ? took_sections(j, m) : took_ahead(j, m);
		}
	}
	if (code != PB_OK)
		batch_failed(s);
	else if (batch_step(s, j) == 1)
		fetch_go(s);
	imap_resume(s);
}

/* ---- the next batch's metas asked ahead ---- */

static void on_prefetch(void *session, uint64_t serial, struct pb_msg *rep);

/* The first read-ahead of the next batch of whole bodies (as ask_ahead would ask it, from
 * the view's sizes): 0 sent, -1 nothing to ask or not sent. */
static int prefetch_ahead(struct imap_session *s, struct fetch_job *j, size_t size)
{
	struct gw_pending call = imap_call_of(s, on_prefetch, j->serial);
	struct pb_sender tx = gw_sender(&call);
	struct reader_range ranges[READER_MANY_MAX];
	size_t n = 0, i = 0;
	uint64_t sum = 0, off, len;
	const char *error;

	for (; i < size * j->n_body && n < READER_MANY_MAX; i++) {
		const struct pb_rec_mbox_entry *e = IMAP_MSG(s->view, j->msns[j->b_hi + i / j->n_body]);
		apply_partial(part_item(j, i), e->size, &off, &len);
		len = len < FETCH_AHEAD ? len : FETCH_AHEAD;
		if (len == 0)
			continue;
		if (sum + len > PB_CHUNK_MAX)
			break;
		ranges[n++] = (struct reader_range){ e->blob_key, off, (uint32_t)len };
		sum += len;
	}
	if (n == 0 || reader_client_read_many_send(&tx, s->user_id, ranges, n, &error) < 0)
		return -1;
	j->pre_parts = i;
	return 0;
}

/* At the start of a batch: the next batch's metas (a FETCH without body items), or the first
 * read-ahead of its whole bodies (BODY[], RFC822 without metas), are asked now, so that the
 * reader works on them while this batch is answered. */
static void prefetch(struct imap_session *s, struct fetch_job *j)
{
	struct gw_pending call = imap_call_of(s, on_prefetch, j->serial);
	struct pb_sender tx = gw_sender(&call);
	size_t size = j->n - j->b_hi < j->batch_max ? j->n - j->b_hi : j->batch_max;
	const char **keys;
	const char *error;

	if (j->pre != PRE_NONE || size == 0)
		return;
	j->pre_ahead = !j->need_meta && !j->need_sect && j->n_body > 0;
	if (j->pre_ahead) {
		if (prefetch_ahead(s, j, size) == 0)
			j->pre = PRE_ASKED;
		return;
	}
	if (!j->need_meta || j->n_body > 0)
		return;
	keys = xcalloc(size, sizeof(*keys));
	for (size_t i = 0; i < size; i++)
		keys[i] = IMAP_MSG(s->view, j->msns[j->b_hi + i])->blob_key;
	if (meta_send(&tx, s, j, keys, size, &error) == 0) {
		j->pre = PRE_ASKED; /* else the batch asks them itself */
		j->pre_n = size;
	}
	free(keys);
}

/* The batch takes the metas asked ahead: 0, or -1 when they failed (answered). */
static int batch_adopt(struct imap_session *s, struct fetch_job *j)
{
	j->pre = PRE_NONE;
	if (j->pre_code != PB_OK) {
		batch_failed(s);
		return -1;
	}
	struct pb_msg *m = keep(j, &j->pre_rep);
	if (j->pre_ahead) { /* the parts are the batch's own (whole_parts): they take the reads */
		j->phase = PH_AHEAD;
		j->ahead_from = 0;
		j->got = j->pre_parts;
		if (took_ahead(j, m) != PB_OK) {
			batch_failed(s);
			return -1;
		}
		return 0;
	}
	memcpy(j->metas, j->pre_metas, j->pre_got * sizeof(*j->metas));
	j->got = j->pre_got; /* a prefix: the rest is asked as usual */
	return 0;
}

static void on_prefetch(void *session, uint64_t serial, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct fetch_job *j = s->job;

	if (s->job_free != job_free || j->serial != serial || j->pre != PRE_ASKED)
		return; /* the job ended before */
	j->pre = PRE_DONE;
	j->pre_code = PB_ERR_TEMP;
	if (rep != NULL) {
		j->pre_rep = *rep;
		pb_msg_init(rep, MSG_CORE_STATUS_REP);
		j->pre_code = j->pre_ahead ? PB_OK : /* decoded by took_ahead */
				      reader_client_meta_reply(&j->pre_rep, j->pre_n, j->pre_metas,
							       &j->pre_got);
	}
	if (!j->pre_waiting)
		return;
	j->pre_waiting = false;
	s->busy = false;
	if (batch_adopt(s, j) == 0 && batch_step(s, j) == 1)
		fetch_go(s);
	imap_resume(s);
}

/* Starts the batch of the messages from j->pos: 1 when it is complete at once (nothing to
 * ask), 0 when a request went out (or the metas asked ahead are awaited), -1 when one failed
 * (answered). */
static int batch_begin(struct imap_session *s, struct fetch_job *j)
{
	size_t size = j->n - j->pos < j->batch_max ? j->n - j->pos : j->batch_max;

	kept_free(j);
	j->b_lo = j->pos;
	j->b_hi = j->pos + size;
	j->got = 0;
	j->phase = PH_META;
	for (size_t i = 0; i < size; i++)
		j->keys[i] = IMAP_MSG(s->view, j->msns[j->b_lo + i])->blob_key;
	memset(j->parts, 0, size * j->n_body * sizeof(*j->parts));
	if (!j->need_sect)
		whole_parts(s, j);
	if (j->pre == PRE_ASKED) {
		j->pre_waiting = true;
		s->busy = true;
		return 0;
	}
	if (j->pre == PRE_DONE && batch_adopt(s, j) < 0)
		return -1;
	return batch_step(s, j);
}

/* ---- reading what the read-ahead did not hold ---- */

static void on_read(void *session, uint64_t arg, struct pb_msg *rep);

/* Reads the next range of j->off..j->end of the current message. */
static void read_next(struct imap_session *s, struct fetch_job *j)
{
	struct gw_pending call = imap_call_of(s, on_read, 0);
	struct pb_sender tx = gw_sender(&call);
	uint64_t left = j->end - j->off;
	const char *error;

	if (reader_client_read_send(&tx, s->user_id, j->keys[j->pos - j->b_lo], j->off,
				    (uint32_t)(left < FETCH_CHUNK ? left : FETCH_CHUNK), &error) < 0) {
		on_read(s, 0, NULL);
		return;
	}
	s->busy = true;
}

/* A message's body is gone: a literal under way cannot be ended, so the connection is; else
 * the message's answer is closed and the FETCH says NO. */
static void msg_end(struct imap_session *s, struct fetch_job *j, const char *tagged)
{
	if (j->in_literal || j->in_binary) {
		imap_bye(s, "Message body unavailable");
		return;
	}
	if (j->open && !j->sep)
		j->line.len = j->open_at; /* no item: "* n FETCH ()" is not an answer */
	else if (j->open)
		pb_buf_append_str(&j->line, ")\r\n");
	flush(s, j);
	imap_tagged(s, "%s", tagged);
	imap_job_end(s);
}

static void msg_failed(struct imap_session *s, struct fetch_job *j)
{
	msg_end(s, j, "NO [UNAVAILABLE] Message body unavailable");
}

/* Sends what a read brought: 1 when the literal is done, 0 when more is to be read, -1 when
 * the read failed (no answer, no body, a body shorter than listed: a literal's announced size
 * cannot be kept). */
static int take(struct imap_session *s, struct fetch_job *j, struct pb_msg *rep)
{
	const uint8_t *data;
	size_t len;
	uint64_t size;
	bool eof;

	if (rep == NULL || reader_client_read_reply(rep, &size, &data, &len, &eof) != PB_OK)
		return -1;
	if (len > j->end - j->off)
		len = (size_t)(j->end - j->off);
	if (j->off + len < j->end && (eof || len == 0))
		return -1;
	j->off += len;
	gw_write(s->gs, data, len);
	return j->off >= j->end;
}

static void on_read(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct fetch_job *j = s->job;

	s->busy = false;
	int rc = take(s, j, rep);
	if (rc < 0)
		msg_failed(s, j);
	else if (rc == 0 && gw_output_pending(s->gs) >= NET_OUT_HIGH)
		j->wait_drain = true;
	else if (rc == 0)
		read_next(s, j);
	else {
		j->in_literal = false;
		j->item++;
		fetch_go(s);
	}
	imap_resume(s);
}

/* ---- BINARY[section]<partial> and BINARY.SIZE (RFC 3516): decoded by the readers ---- */

static void on_binary(void *session, uint64_t arg, struct pb_msg *rep);

/* Asks a BINARY item's decoded octets from the resume point (enc, skip); want_size: the first
 * ask, which also learns the decoded size. */
static void binary_ask(struct imap_session *s, struct fetch_job *j, uint64_t enc, uint64_t skip,
		       uint64_t len, bool want_size)
{
	const struct imap_fetch_item *it = &j->cmd.u.fetch.items[j->item];
	struct gw_pending call = imap_call_of(s, on_binary, 0);
	struct pb_sender tx = gw_sender(&call);
	struct pb_buf sec;
	const char *error;

	pb_buf_init(&sec);
	section_text(it, &sec, false);
	pb_buf_append_c(&sec, '\0');
	int rc = reader_client_binary_send(&tx, s->user_id, IMAP_MSG(s->view, j->msns[j->pos])->blob_key,
					   (const char *)sec.data, enc, skip,
					   (uint32_t)(len < FETCH_CHUNK ? len : FETCH_CHUNK),
					   want_size, &error);
	pb_buf_deinit(&sec);
	if (rc < 0)
		msg_failed(s, j);
	else
		s->busy = true;
}

static void binary_next(struct imap_session *s, struct fetch_job *j)
{
	binary_ask(s, j, j->bin_off, j->bin_skip, j->bin_left, false);
}

/* The first answer of a BINARY item: its name and size, or its literal's start. Returns 1
 * when the item is done, 0 when the rest of its literal is to be read. */
static int binary_begin(struct imap_session *s, struct fetch_job *j, const struct reader_binary *b)
{
	const struct imap_fetch_item *it = &j->cmd.u.fetch.items[j->item];
	uint64_t total = b->exists ? b->decoded_size : 0, start, len;

	item_begin(j);
	pb_buf_append_str(&j->line, it->att == IMAP_FETCH_BINARY_SIZE ? "BINARY.SIZE[" : "BINARY[");
	section_text(it, &j->line, false);
	if (it->att == IMAP_FETCH_BINARY_SIZE) {
		pb_buf_printf(&j->line, "] %llu", (unsigned long long)total);
		return 1;
	}
	apply_partial(it, total, &start, &len); /* RFC 9051's answer names no <offset> */
	pb_buf_printf(&j->line, "] %s{%llu}\r\n", b->has_nul ? "~" : "", (unsigned long long)len);
	flush(s, j);
	size_t now = b->len < len ? b->len : (size_t)len;
	gw_write(s->gs, b->data, now);
	j->bin_left = len - now;
	j->bin_off = b->next_offset;
	j->bin_skip = b->next_skip;
	return j->bin_left == 0 || !b->exists;
}

/* A BINARY answer: the item's start, or the next octets of its literal (fewer than promised
 * with none to come: the connection ends, as for BODY). */
static void on_binary(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct fetch_job *j = s->job;
	struct reader_binary b;
	int done;

	s->busy = false;
	if (rep == NULL || reader_client_binary_reply(rep, &b) != PB_OK ||
	    (j->in_binary && b.len == 0)) {
		msg_failed(s, j);
	} else if (!j->in_binary && b.exists && b.unknown_cte) {
		msg_end(s, j, "NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding");
	} else {
		if (j->in_binary) {
			size_t now = b.len < j->bin_left ? b.len : (size_t)j->bin_left;
			gw_write(s->gs, b.data, now);
			j->bin_left -= now;
			j->bin_off = b.next_offset;
			j->bin_skip = b.next_skip;
			done = j->bin_left == 0;
		} else {
			done = binary_begin(s, j, &b);
		}
		j->in_binary = !done;
		if (done) {
			j->item++;
			fetch_go(s);
		} else if (gw_output_pending(s->gs) >= NET_OUT_HIGH) {
			j->wait_drain = true;
		} else {
			binary_next(s, j);
		}
	}
	imap_resume(s);
}

/* The output drained: the range or message that waited for it goes on. */
static void fetch_drain(struct imap_session *s)
{
	struct fetch_job *j = s->job;

	if (j == NULL || !j->wait_drain)
		return;
	j->wait_drain = false;
	if (j->in_literal)
		read_next(s, j);
	else if (j->in_binary)
		binary_next(s, j);
	else
		fetch_go(s);
	imap_resume(s);
}

/* Starts a body item from its part: 1 when a read went out or the FETCH ended, 0 when the
 * item is done. */
static int body_item(struct imap_session *s, struct fetch_job *j,
		     const struct imap_fetch_item *it)
{
	const struct fetch_part *p =
		&j->parts[(j->pos - j->b_lo) * j->n_body + j->body_of[j->item]];

	if (p->code != PB_OK) {
		msg_failed(s, j);
		return 1;
	}
	item_begin(j);
	item_name(it, &j->line);
	pb_buf_printf(&j->line, " {%llu}\r\n", (unsigned long long)p->len);
	flush(s, j);
	if (p->data_len > 0)
		gw_write(s->gs, p->data, p->data_len);
	j->off = p->off + p->data_len;
	j->end = p->off + p->len;
	if (p->data_len >= p->len) {
		j->item++;
		return 0;
	}
	j->in_literal = true;
	read_next(s, j);
	return 1;
}

/* ---- one message after another ---- */

/* Opens the answer of the current message; \Seen is set here for a body fetched without
 * .PEEK. Returns 0, or -1 when its body is gone (the FETCH ended). */
static int open_msg(struct imap_session *s, struct fetch_job *j)
{
	uint32_t msn = j->msns[j->pos];
	struct pb_rec_mbox_entry *e = IMAP_MSG(s->view, msn);
	const struct imap_fetch *f = &j->cmd.u.fetch;
	bool seen = false, flags = false, uid = false, modseq = false;

	if (j->need_meta && j->metas[j->pos - j->b_lo].code != PB_OK) {
		msg_failed(s, j);
		return -1;
	}
	for (unsigned i = 0; i < f->n_items; i++) {
		seen |= sets_seen(&f->items[i]);
		flags |= f->items[i].att == IMAP_FETCH_FLAGS;
		uid |= f->items[i].att == IMAP_FETCH_UID;
		modseq |= f->items[i].att == IMAP_FETCH_MODSEQ;
	}
	if (seen && !s->view->readonly && !(e->flags & IMAP_FLAG_SEEN)) {
		e = imap_view_entry_w(s->view, msn); /* the view's own copy */
		e->flags |= IMAP_FLAG_SEEN;
		j->seen[j->n_seen++] = e->uid;
		j->flags_after = !flags;
	}
	j->open_at = j->line.len;
	pb_buf_printf(&j->line, "* %u FETCH (", msn);
	j->open = true;
	j->sep = false;
	j->item = 0;
	if (j->cmd.uid && !uid) { /* RFC 3501 6.4.8: UID FETCH answers carry the UID */
		item_begin(j);
		pb_buf_printf(&j->line, "UID %u", e->uid);
	}
	/* RFC 7162 3.1.4.1 (CHANGEDSINCE, imap-condstore.c) and 3.2: once CONDSTORE is on, every
	 * FETCH that carries FLAGS carries MODSEQ */
	if (imap_condstore_fetch_modseq(&j->cmd) ||
	    (s->condstore && !modseq && (flags || j->flags_after))) {
		item_begin(j);
		pb_buf_printf(&j->line, "MODSEQ (%llu)", (unsigned long long)e->modseq);
	}
	return 0;
}

static void close_msg(struct imap_session *s, struct fetch_job *j)
{
	if (j->flags_after) {
		item_begin(j);
		pb_buf_append_str(&j->line, "FLAGS ");
		imap_flags_kw_append(&j->line, IMAP_MSG(s->view, j->msns[j->pos])->flags,
				     IMAP_MSG(s->view, j->msns[j->pos])->keywords);
	}
	pb_buf_append_str(&j->line, ")\r\n");
	if (j->line.len >= FETCH_OUT_HELD)
		flush(s, j);
	j->flags_after = j->open = false;
	j->pos++;
}

/* The \Seen set by this FETCH is stored with modseq: under CONDSTORE the messages' new MODSEQ
 * is told (RFC 7162 3.2: their FETCH answers carried the one before), with their FLAGS; the
 * owner's event for the change finds (or found) the view's flags the same and tells nothing. */
static void seen_modseq(struct imap_session *s, struct fetch_job *j, uint64_t modseq)
{
	for (size_t i = 0; s->condstore && i < j->n_seen; i++) {
		size_t msn = imap_view_msn_of(s->view, (uint32_t)j->seen[i]);
		if (msn == 0)
			continue;
		if (IMAP_MSG(s->view, msn)->modseq < modseq)
			IMAP_MSG(s->view, msn)->modseq = modseq;
		imap_view_fetch_flags(s, msn, j->cmd.uid);
	}
}

static void on_seen(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	uint64_t modseq;
	const char *error;

	s->busy = false;
	if (rep == NULL || mailbox_client_flags_reply(rep, &modseq, &error) != PB_OK) {
		imap_tagged(s, "NO [UNAVAILABLE] Fetch completed, but \\Seen was not stored");
	} else {
		seen_modseq(s, s->job, modseq);
		imap_tagged(s, "OK Fetch completed.");
	}
	imap_job_end(s);
	imap_resume(s);
}

/* Every message was answered: the \Seen set here is stored, then the tagged OK. */
static void finish(struct imap_session *s, struct fetch_job *j)
{
	const char *error;

	flush(s, j);
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

/* Before a message's answer: 1 to go on, 0 when it waits (the drain, a batch's request) or
 * the FETCH ended. */
static int ready_for_msg(struct imap_session *s, struct fetch_job *j)
{
	if (j->pos == j->n) {
		finish(s, j);
		return 0;
	}
	if (gw_output_pending(s->gs) >= NET_OUT_HIGH) {
		j->wait_drain = true;
		return 0;
	}
	if (j->pos == j->b_hi && batch_begin(s, j) != 1)
		return 0;
	if (j->pos == j->b_lo)
		prefetch(s, j);
	return open_msg(s, j) == 0;
}

/* Answers messages and items until a read goes out, the output must drain or all is done.
 * The answers are built in j->line and written before each literal, past FETCH_OUT_HELD and
 * whenever this stops (the job goes on: whatever ends it writes them first). */
static void fetch_go(struct imap_session *s)
{
	struct fetch_job *j = s->job;
	const struct imap_fetch *f = &j->cmd.u.fetch;

	while (s->job == j && !s->busy && !s->closing) {
		if (!j->open && !ready_for_msg(s, j)) {
			if (s->job == j)
				flush(s, j);
			return;
		}
		if (j->item == f->n_items) {
			close_msg(s, j);
			continue;
		}
		const struct imap_fetch_item *it = &f->items[j->item];
		if (it->att == IMAP_FETCH_BINARY || it->att == IMAP_FETCH_BINARY_SIZE) {
			binary_ask(s, j, 0, it->partial ? it->offset : 0,
				   it->att == IMAP_FETCH_BINARY_SIZE ? 0 : it->partial ? it->length : FETCH_CHUNK,
				   true);
			return; /* the message's answer is held until the reply */
		} else if (!is_body(it)) {
			simple_item(j, IMAP_MSG(s->view, j->msns[j->pos]),
				    &j->metas[j->pos - j->b_lo], it);
			j->item++;
		} else if (body_item(s, j, it)) {
			return; /* nothing held: the literal's line went out */
		}
	}
	if (s->job == j)
		flush(s, j);
}

/* What the items need: metas, sections, the body items' indices and specifiers; the batch's
 * size and arrays. */
static void job_plan(struct fetch_job *j)
{
	const struct imap_fetch *f = &j->cmd.u.fetch;
	struct pb_buf sec;

	j->body_of = xcalloc(f->n_items, sizeof(*j->body_of));
	j->sections = xcalloc(f->n_items, sizeof(*j->sections));
	pb_buf_init(&sec);
	for (unsigned i = 0; i < f->n_items; i++) {
		j->need_meta |= needs_meta(&f->items[i]);
		if (!is_body(&f->items[i]))
			continue;
		j->need_sect |= needs_section(&f->items[i]);
		pb_buf_reset(&sec);
		if (f->items[i].att == IMAP_FETCH_RFC822_HEADER || f->items[i].att == IMAP_FETCH_RFC822_TEXT)
			pb_buf_append_str(&sec, f->items[i].att == IMAP_FETCH_RFC822_TEXT ? "TEXT" : "HEADER");
		else
			section_text(&f->items[i], &sec, false);
		pb_buf_append_c(&sec, '\0');
		j->sections[j->n_body] = xstrdup((const char *)sec.data);
		j->body_of[i] = j->n_body++;
	}
	pb_buf_deinit(&sec);
	j->envelope_only = j->need_meta;
	for (unsigned i = 0; i < f->n_items; i++)
		j->envelope_only &= f->items[i].att != IMAP_FETCH_BODY &&
				    f->items[i].att != IMAP_FETCH_BODYSTRUCTURE;
	j->batch_max = j->n_body > 0 ? READER_SECTION_MAX / j->n_body : READER_META_MAX;
	j->batch_max = j->batch_max < READER_META_MAX ? j->batch_max : READER_META_MAX;
	j->keys = xcalloc(j->batch_max, sizeof(*j->keys));
	j->metas = xcalloc(j->batch_max, sizeof(*j->metas));
	j->pre_metas = xcalloc(j->batch_max, sizeof(*j->pre_metas));
	j->parts = xcalloc(j->batch_max * (j->n_body > 0 ? j->n_body : 1), sizeof(*j->parts));
}

void imap_do_fetch(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	struct fetch_job *j = xcalloc(1, sizeof(*j));
	const char *error;

	long n = imap_view_resolve(s->view, &cmd->u.fetch.set, cmd->uid, &j->msns, &error);
	n = n > 0 || cmd->u.fetch.vanished ? imap_condstore_fetch_filter(s, cmd, j->msns, n) : n;
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
	static uint64_t serials; /* the hub's thread only */
	j->gs = s->gs;
	j->reserved = true;
	j->serial = ++serials;
	pb_msg_init(&j->pre_rep, MSG_CORE_STATUS_REP);
	j->cmd = *cmd;
	j->n = (size_t)n;
	j->seen = xmalloc(j->n * sizeof(*j->seen));
	pb_buf_init(&j->line);
	job_plan(j);
	imap_job_begin(s, j, job_free, fetch_drain);
	fetch_go(s);
}
