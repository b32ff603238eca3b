/*
 * imap-condstore.c: CONDSTORE and QRESYNC (RFC 7162) beside the commands they extend: ENABLE,
 * SELECT/EXAMINE (CONDSTORE) and (QRESYNC (uidvalidity modseq [known-uids [seq-match]])),
 * FETCH (CHANGEDSINCE n [VANISHED]). STORE (UNCHANGEDSINCE) is in imap-cmd-store.c, VANISHED
 * for expunges in imap-view.c.
 *
 * VANISHED (EARLIER) without tombstones: the mailbox owner keeps no record of expunged uids, so
 * the answer is every uid of the client's set (known-uids, else 1:*, bounded by UIDNEXT - 1)
 * that is not in the folder now, whatever the client's modseq. RFC 7162 3.2.5.2 and 3.2.6
 * allow a server without that history to send more uids than changed; the client removes
 * uids it did not have. The seq-match data only narrows that set, so it is not needed.
 * OWNS: struct imap_qresync (the view's). THREAD: the hub's.
 */
#include "imap-view.h"

#include "imap-parser-private.h"

#include <string.h>

struct imap_qresync {
	uint32_t uidvalidity;
	uint64_t modseq;
	unsigned n_known; /* 0: 1:* */
	struct imap_seq_range *known;
};

bool imap_condstore_enable(struct imap_session *s, const char *cap)
{
	bool was = imap_eq(cap, "QRESYNC") ? s->qresync : s->condstore;

	if (imap_eq(cap, "QRESYNC"))
		s->qresync = s->condstore = true; /* RFC 7162 3.2.3: QRESYNC implies CONDSTORE */
	else if (imap_eq(cap, "CONDSTORE"))
		s->condstore = true;
	else
		return false;
	return !was;
}

const char *imap_condstore_check_select(const struct imap_session *s,
					const struct imap_select *sel)
{
	if (sel->qresync && !s->qresync)
		return "BAD QRESYNC is not enabled"; /* RFC 7162 3.2.5 */
	return NULL;
}

void imap_condstore_select_begin(struct imap_session *s, const struct imap_select *sel)
{
	if (sel->condstore)
		s->condstore = true;
	if (!sel->qresync)
		return;
	struct imap_qresync *q = xcalloc(1, sizeof(*q));
	q->uidvalidity = sel->uidvalidity;
	q->modseq = sel->modseq;
	if (sel->has_known_uids && sel->known_uids.n > 0) {
		q->n_known = sel->known_uids.n;
		q->known = xmalloc(q->n_known * sizeof(*q->known));
		memcpy(q->known, sel->known_uids.ranges, q->n_known * sizeof(*q->known));
	}
	s->view->qresync = q;
}

void imap_qresync_free(struct imap_qresync **qp)
{
	if (*qp != NULL)
		free((*qp)->known);
	free(*qp);
	*qp = NULL;
}

/* Appends the uids of lo..hi that the view does not have as a uid-set (after ",": *sep). */
static void append_missing(const struct imap_view *v, uint32_t lo, uint32_t hi,
			   struct pb_buf *out, bool *any)
{
	size_t msn = 1;

	while (msn <= IMAP_COUNT(v) && IMAP_MSG(v, msn)->uid < lo)
		msn++;
	for (uint32_t u = lo; u <= hi && u != 0;) {
		uint32_t next = msn <= IMAP_COUNT(v) ? IMAP_MSG(v, msn)->uid : UINT32_MAX;
		uint32_t end = next <= hi ? next - 1 : hi;
		if (u <= end) {
			pb_buf_printf(out, "%s%u", *any ? "," : "", u);
			if (end > u)
				pb_buf_printf(out, ":%u", end);
			*any = true;
		}
		if (next > hi)
			break;
		u = next + 1;
		msn++;
	}
}

/* Writes "* VANISHED (EARLIER) set" for the uids of ranges (n 0: 1:*) not in the view. */
static void vanished_earlier(struct imap_session *s, const struct imap_seq_range *ranges,
			     unsigned n)
{
	const struct imap_view *v = s->view;
	uint32_t max = v->list.uidnext > 0 ? v->list.uidnext - 1 : 0;
	struct imap_seq_range all = { 1, IMAP_SEQ_STAR };
	bool any = false;

	pb_buf_reset(&s->out);
	pb_buf_append_str(&s->out, "* VANISHED (EARLIER) ");
	for (unsigned i = 0; i < (n > 0 ? n : 1); i++) {
		struct imap_seq_range r = n > 0 ? ranges[i] : all;
		uint32_t lo = r.lo == IMAP_SEQ_STAR ? max : (uint32_t)r.lo;
		uint32_t hi = r.hi == IMAP_SEQ_STAR ? max : (uint32_t)r.hi;
		if (lo > hi) {
			uint32_t t = lo;
			lo = hi, hi = t;
		}
		if (hi > max)
			hi = max;
		if (lo <= hi)
			append_missing(v, lo, hi, &s->out, &any);
	}
	pb_buf_append_str(&s->out, "\r\n");
	if (any)
		gw_write(s->gs, s->out.data, s->out.len);
}

/* Writes "* msn FETCH (UID u FLAGS (...) MODSEQ (m))" for each message changed after modseq. */
static void fetch_changed(struct imap_session *s, uint64_t modseq)
{
	for (size_t msn = 1; msn <= IMAP_COUNT(s->view); msn++)
		if (IMAP_MSG(s->view, msn)->modseq > modseq)
			imap_view_fetch_flags(s, msn, true);
}

void imap_condstore_selected(struct imap_session *s)
{
	struct imap_qresync *q = s->view->qresync;

	if (q == NULL)
		return;
	if (q->uidvalidity == s->view->list.uidvalidity) { /* else: a full resync (3.2.5.1) */
		vanished_earlier(s, q->known, q->n_known);
		fetch_changed(s, q->modseq);
	}
	imap_qresync_free(&s->view->qresync);
}

const char *imap_condstore_check_fetch(const struct imap_session *s, const struct imap_fetch *f)
{
	if (f->vanished && !s->qresync)
		return "BAD VANISHED needs ENABLE QRESYNC"; /* RFC 7162 3.2.6 */
	return NULL;
}

long imap_condstore_fetch_filter(struct imap_session *s, const struct imap_cmd *cmd,
				 uint32_t *msns, long n)
{
	const struct imap_fetch *f = &cmd->u.fetch;
	long kept = 0;

	for (unsigned i = 0; i < f->n_items; i++)
		s->condstore |= f->items[i].att == IMAP_FETCH_MODSEQ; /* 3.1: enabling */
	if (!f->has_changedsince)
		return n;
	s->condstore = true;
	if (f->vanished)
		vanished_earlier(s, f->set.ranges, f->set.n);
	for (long i = 0; i < n; i++)
		if (IMAP_MSG(s->view, msns[i])->modseq > f->changedsince)
			msns[kept++] = msns[i];
	return kept;
}

bool imap_condstore_fetch_modseq(const struct imap_cmd *cmd)
{
	const struct imap_fetch *f = &cmd->u.fetch;

	for (unsigned i = 0; i < f->n_items; i++)
		if (f->items[i].att == IMAP_FETCH_MODSEQ)
			return false; /* asked for: answered as an item */
	return f->has_changedsince; /* 3.1.4.1: CHANGEDSINCE implies MODSEQ */
}
