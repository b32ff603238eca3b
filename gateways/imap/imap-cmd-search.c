/*
 * imap-cmd-search.c: SEARCH and UID SEARCH (RFC 3501 6.4.4) on what the view holds: sequence
 * sets and UIDs, flags, sizes, internal dates (BEFORE/ON/SINCE compare days in UTC), MODSEQ,
 * and AND/OR/NOT of those. Keys that need the message itself (header and body text, SENT*)
 * are refused with NO [CANNOT] until searching message text comes; CHARSET may be US-ASCII or
 * UTF-8. No RECENT message exists (RECENT and NEW match nothing), no keyword is stored.
 * OWNS nothing. THREAD: the hub's.
 */
#include "imap-view.h"

#include "imap-parser-private.h"

#include <string.h>

/* Whether every key of k (and below) can be answered from the view. */
static bool answerable(const struct imap_search_key *k)
{
	if (k->type >= IMAP_SK_BCC && k->type <= IMAP_SK_HEADER)
		return false;
	if (k->type >= IMAP_SK_SENTBEFORE && k->type <= IMAP_SK_SENTSINCE)
		return false;
	for (unsigned i = 0; i < k->n_sub; i++)
		if (!answerable(&k->sub[i]))
			return false;
	return true;
}

const char *imap_check_search(const void *session, const void *cmdp)
{
	const struct imap_cmd *cmd = cmdp;
	const struct imap_search *q = &cmd->u.search;

	if (q->charset != NULL && !imap_eq(q->charset, "UTF-8") && !imap_eq(q->charset, "US-ASCII"))
		return "NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset";
	if (q->has_return)
		return "BAD SEARCH RETURN (ESEARCH) is not supported";
	if (!answerable(&q->root))
		return "NO [CANNOT] Searching message text is not supported yet";
	return NULL;
}


/* Whether message msn is in set (by UID when uid). */
static bool in_set(const struct imap_view *v, uint32_t msn, const struct imap_seqset *set, bool uid)
{
	uint32_t n = (uint32_t)IMAP_COUNT(v);
	uint32_t value = uid ? IMAP_MSG(v, msn)->uid : msn;
	uint32_t last = uid ? (n > 0 ? IMAP_MSG(v, n)->uid : 0) : n;

	for (unsigned i = 0; i < set->n; i++) {
		uint32_t lo = set->ranges[i].lo == IMAP_SEQ_STAR ? last : set->ranges[i].lo;
		uint32_t hi = set->ranges[i].hi == IMAP_SEQ_STAR ? last : set->ranges[i].hi;
		if (lo > hi) {
			uint32_t t = lo;
			lo = hi;
			hi = t;
		}
		if (value >= lo && value <= hi)
			return true;
	}
	return false;
}

/* The day (days since 1970-01-01, UTC) of a time in ms. */
static int64_t day_of(int64_t ms)
{
	int64_t s = ms / 1000 - (ms % 1000 < 0);
	return s / 86400 - (s % 86400 < 0);
}

static bool has_flag(const struct pb_rec_mbox_entry *e, uint32_t flag, bool want)
{
	return ((e->flags & flag) != 0) == want;
}

static bool match(const struct imap_view *v, uint32_t msn, const struct imap_search_key *k);

static bool match_all(const struct imap_view *v, uint32_t msn, const struct imap_search_key *k)
{
	for (unsigned i = 0; i < k->n_sub; i++)
		if (!match(v, msn, &k->sub[i]))
			return false;
	return true;
}

static bool match_date(const struct pb_rec_mbox_entry *e, const struct imap_search_key *k)
{
	int64_t day = day_of(e->internal_date_ms), want = day_of(k->date.unix_time * 1000);

	if (k->type == IMAP_SK_BEFORE)
		return day < want;
	return k->type == IMAP_SK_ON ? day == want : day >= want;
}

static bool match(const struct imap_view *v, uint32_t msn, const struct imap_search_key *k)
{
	const struct pb_rec_mbox_entry *e = IMAP_MSG(v, msn);

	switch (k->type) {
	case IMAP_SK_AND: return match_all(v, msn, k);
	case IMAP_SK_OR: return match(v, msn, &k->sub[0]) || match(v, msn, &k->sub[1]);
	case IMAP_SK_NOT: return !match(v, msn, &k->sub[0]);
	case IMAP_SK_ALL: case IMAP_SK_OLD: case IMAP_SK_UNKEYWORD: return true;
	case IMAP_SK_RECENT: case IMAP_SK_NEW: case IMAP_SK_KEYWORD: return false;
	case IMAP_SK_SEQSET: return in_set(v, msn, &k->set, false);
	case IMAP_SK_UID: return in_set(v, msn, &k->set, true);
	case IMAP_SK_ANSWERED: return has_flag(e, IMAP_FLAG_ANSWERED, true);
	case IMAP_SK_DELETED: return has_flag(e, IMAP_FLAG_DELETED, true);
	case IMAP_SK_DRAFT: return has_flag(e, IMAP_FLAG_DRAFT, true);
	case IMAP_SK_FLAGGED: return has_flag(e, IMAP_FLAG_FLAGGED, true);
	case IMAP_SK_SEEN: return has_flag(e, IMAP_FLAG_SEEN, true);
	case IMAP_SK_UNANSWERED: return has_flag(e, IMAP_FLAG_ANSWERED, false);
	case IMAP_SK_UNDELETED: return has_flag(e, IMAP_FLAG_DELETED, false);
	case IMAP_SK_UNDRAFT: return has_flag(e, IMAP_FLAG_DRAFT, false);
	case IMAP_SK_UNFLAGGED: return has_flag(e, IMAP_FLAG_FLAGGED, false);
	case IMAP_SK_UNSEEN: return has_flag(e, IMAP_FLAG_SEEN, false);
	case IMAP_SK_BEFORE: case IMAP_SK_ON: case IMAP_SK_SINCE: return match_date(e, k);
	case IMAP_SK_LARGER: return e->size > k->num;
	case IMAP_SK_SMALLER: return e->size < k->num;
	case IMAP_SK_MODSEQ: return e->modseq >= k->num;
	default: return false; /* refused by the check */
	}
}

void imap_do_search(void *session, const void *cmdp)
{
	struct imap_session *s = session;
	const struct imap_cmd *cmd = cmdp;
	const struct imap_view *v = s->view;

	pb_buf_reset(&s->out);
	pb_buf_append_str(&s->out, "* SEARCH");
	for (uint32_t msn = 1; msn <= IMAP_COUNT(v); msn++)
		if (match(v, msn, &cmd->u.search.root))
			pb_buf_printf(&s->out, " %u", cmd->uid ? IMAP_MSG(v, msn)->uid : msn);
	pb_buf_append_str(&s->out, "\r\n");
	gw_write(s->gs, s->out.data, s->out.len);
	imap_tagged(s, "OK Search completed.");
}
