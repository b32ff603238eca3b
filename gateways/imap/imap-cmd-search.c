/*
 * imap-cmd-search.c: SEARCH and UID SEARCH (RFC 3501 6.4.4, ESEARCH RFC 4731). Keys on what
 * the view holds (sequence sets and UIDs, flags, sizes, internal dates: BEFORE/ON/SINCE
 * compare days in UTC, MODSEQ) are evaluated here; the text keys (TEXT, BODY, HEADER,
 * SUBJECT, FROM, TO, CC, BCC) are asked of the readers (READER_SEARCH_REQ: decoded headers
 * and bodies) for every message of the folder, READER_SEARCH_MAX messages a request (each
 * reply answers a prefix: the rest is asked again), one bit per criterion and message; then
 * AND/OR/NOT combine both. SENTBEFORE/SENTON/SENTSINCE compare the day of the Date: header in
 * the message's own zone (RFC 3501 6.4.4; a message without a parsable Date: is taken as sent
 * on 1 January 1970, as Dovecot does): the Date: fields are asked of the readers as
 * HEADER.FIELDS sections (READER_SECTION_REQ, paged like the text keys) after the text keys.
 * CHARSET may be US-ASCII or UTF-8 (else NO [BADCHARSET]). No RECENT message exists (RECENT
 * and NEW match nothing, OLD every message: SELECT tells 0 RECENT); KEYWORD/UNKEYWORD look in
 * the view's keywords of each message (in any case). RETURN (MIN MAX ALL COUNT SAVE) answers
 * ESEARCH (RFC 4731), as does every SEARCH once IMAP4rev2 is enabled (RFC 9051 6.4.4); SAVE
 * keeps the result as "$" (RFC 5182, imap-searchres.c; no ESEARCH when SAVE is alone, only
 * the MIN/MAX messages when neither ALL nor COUNT is asked). A search with the MODSEQ key
 * (RFC 7162 3.1.5) enables CONDSTORE and ends its answer with the highest mod-sequence of the
 * messages it returns: "(MODSEQ n)" in SEARCH, "MODSEQ n" in ESEARCH.
 * SORT and THREAD (imap-cmd-sort.c) select their messages with the same evaluation
 * (imap_search_select: the matching messages handed to a continuation instead of answered).
 * OWNS: struct search_job (the session's job). THREAD: the hub's.
 * MESSAGES sent (typed client stubs): READER_SEARCH_REQ, READER_SECTION_REQ.
 */
#include "imap-sort.h"
#include "imap-view.h"

#include "mime-header.h"

#include "imap-parser-private.h"
#include "reader-client.h"

#include <string.h>

/* The text criteria of a search: the keys (pointers into the command) and what the readers
 * are asked, one bit each. */
struct search_texts {
	const struct imap_search_key *keys[READER_SEARCH_CRITERIA_MAX];
	struct reader_search_key crit[READER_SEARCH_CRITERIA_MAX];
	size_t n;
	bool over; /* more than READER_SEARCH_CRITERIA_MAX */
};

struct search_job {
	struct imap_cmd cmd; /* a copy: what it points to is the parser's, valid while busy */
	struct imap_search q; /* the search (cmd's SEARCH, SORT or THREAD) */
	imap_search_done_fn *done; /* NULL: SEARCH's answer */
	struct search_texts t;
	uint64_t *matched; /* per message (msn - 1): the criteria it matched */
	const char **keys; /* the blob keys of the page asked */
	size_t n, got;
	int64_t *sent_days; /* per message: the day of its Date: (SENT* keys), else NULL */
	size_t sent_got;
};

static bool is_text(enum imap_search_type t)
{
	return t >= IMAP_SK_BCC && t <= IMAP_SK_HEADER;
}

static enum reader_search_kind text_kind(enum imap_search_type t)
{
	switch (t) {
	case IMAP_SK_BCC: return READER_SEARCH_BCC;
	case IMAP_SK_BODY: return READER_SEARCH_BODY;
	case IMAP_SK_CC: return READER_SEARCH_CC;
	case IMAP_SK_FROM: return READER_SEARCH_FROM;
	case IMAP_SK_SUBJECT: return READER_SEARCH_SUBJECT;
	case IMAP_SK_TEXT: return READER_SEARCH_TEXT;
	case IMAP_SK_TO: return READER_SEARCH_TO;
	default: return READER_SEARCH_HEADER;
	}
}

/* Gathers the text keys of k (and below) into t. */
static void texts_collect(const struct imap_search_key *k, struct search_texts *t)
{
	if (is_text(k->type)) {
		if (t->n == READER_SEARCH_CRITERIA_MAX) {
			t->over = true;
			return;
		}
		t->keys[t->n] = k;
		t->crit[t->n].kind = text_kind(k->type);
		t->crit[t->n].header = k->type == IMAP_SK_HEADER ? k->str : NULL;
		t->crit[t->n].value = k->type == IMAP_SK_HEADER ? k->str2 : k->str;
		t->n++;
	}
	for (unsigned i = 0; i < k->n_sub; i++)
		texts_collect(&k->sub[i], t);
}

/* Whether a text value is too long for the readers. */
static bool texts_too_long(const struct search_texts *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->crit[i].value) > READER_SEARCH_VALUE_MAX)
			return true;
	return false;
}

/* Whether k (or a key below it) is of type lo..hi. */
static bool has_key(const struct imap_search_key *k, enum imap_search_type lo,
		    enum imap_search_type hi)
{
	if (k->type >= lo && k->type <= hi)
		return true;
	for (unsigned i = 0; i < k->n_sub; i++)
		if (has_key(&k->sub[i], lo, hi))
			return true;
	return false;
}

bool imap_search_has_modseq(const struct imap_search *q)
{
	return has_key(&q->root, IMAP_SK_MODSEQ, IMAP_SK_MODSEQ);
}

const char *imap_check_search(const void *session, const void *cmdp)
{
	const struct imap_cmd *cmd = cmdp;

	return imap_search_check(&cmd->u.search);
}

const char *imap_search_check(const struct imap_search *q)
{
	struct search_texts t = { .n = 0 };

	if (q->charset != NULL && !imap_eq(q->charset, "UTF-8") && !imap_eq(q->charset, "US-ASCII"))
		return "NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset";
	texts_collect(&q->root, &t);
	if (t.over)
		return "NO [LIMIT] Too many text criteria in one search";
	if (texts_too_long(&t))
		return "NO [LIMIT] A search string is too long";
	return NULL;
}


/* Whether message msn is in set (by UID when uid). */
static bool in_set(const struct imap_view *v, uint32_t msn, const struct imap_seqset *set, bool uid)
{
	uint32_t n = (uint32_t)IMAP_COUNT(v);
	uint32_t value = uid ? IMAP_MSG(v, msn)->uid : msn;
	uint32_t last = uid ? (n > 0 ? IMAP_MSG(v, n)->uid : 0) : n;

	for (unsigned i = 0; i < set->n; i++) {
		uint32_t lo = set->ranges[i].lo == IMAP_SEQ_STAR ? last : (uint32_t)set->ranges[i].lo;
		uint32_t hi = set->ranges[i].hi == IMAP_SEQ_STAR ? last : (uint32_t)set->ranges[i].hi;
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

/* What a search is evaluated against: the view, and what the readers said of its texts. */
struct search_ctx {
	const struct imap_view *v;
	const struct search_texts *t;
	const uint64_t *matched; /* per message, NULL when there is no text key */
	const int64_t *sent_days; /* per message, NULL when there is no SENT* key */
};

static bool text_matched(const struct search_ctx *c, uint32_t msn, const struct imap_search_key *k)
{
	for (size_t i = 0; i < c->t->n; i++)
		if (c->t->keys[i] == k)
			return (c->matched[msn - 1] >> i) & 1;
	return false; /* not reached: every text key was gathered */
}

static bool match(const struct search_ctx *c, uint32_t msn, const struct imap_search_key *k);

static bool match_all(const struct search_ctx *c, uint32_t msn, const struct imap_search_key *k)
{
	for (unsigned i = 0; i < k->n_sub; i++)
		if (!match(c, msn, &k->sub[i]))
			return false;
	return true;
}

/* BEFORE/ON/SINCE on the internal date (UTC days), SENT* on the Date: header's day. */
static bool match_date(const struct search_ctx *c, uint32_t msn, const struct imap_search_key *k)
{
	bool sent = k->type >= IMAP_SK_SENTBEFORE;
	int64_t day = sent ? c->sent_days[msn - 1] : day_of(IMAP_MSG(c->v, msn)->internal_date_ms);
	int64_t want = day_of(k->date.unix_time * 1000);

	if (k->type == IMAP_SK_BEFORE || k->type == IMAP_SK_SENTBEFORE)
		return day < want;
	return k->type == IMAP_SK_ON || k->type == IMAP_SK_SENTON ? day == want : day >= want;
}

/* A sequence set or UID set key; "$" is the saved result either way (RFC 5182 2.1). */
static bool match_set(const struct search_ctx *c, uint32_t msn, const struct imap_search_key *k)
{
	if (k->set.saved)
		return imap_searchres_has(c->v, msn);
	return in_set(c->v, msn, &k->set, k->type == IMAP_SK_UID);
}

static bool match(const struct search_ctx *c, uint32_t msn, const struct imap_search_key *k)
{
	const struct pb_rec_mbox_entry *e = IMAP_MSG(c->v, msn);

	switch (k->type) {
	case IMAP_SK_AND: return match_all(c, msn, k);
	case IMAP_SK_OR: return match(c, msn, &k->sub[0]) || match(c, msn, &k->sub[1]);
	case IMAP_SK_NOT: return !match(c, msn, &k->sub[0]);
	case IMAP_SK_ALL: case IMAP_SK_OLD: return true;
	case IMAP_SK_RECENT: case IMAP_SK_NEW: return false;
	case IMAP_SK_KEYWORD: return imap_keywords_have(e->keywords, k->str);
	case IMAP_SK_UNKEYWORD: return !imap_keywords_have(e->keywords, k->str);
	case IMAP_SK_SEQSET: case IMAP_SK_UID: return match_set(c, msn, k);
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
	case IMAP_SK_BEFORE: case IMAP_SK_ON: case IMAP_SK_SINCE: case IMAP_SK_SENTBEFORE:
	case IMAP_SK_SENTON: case IMAP_SK_SENTSINCE: return match_date(c, msn, k);
	case IMAP_SK_LARGER: return e->size > k->num;
	case IMAP_SK_SMALLER: return e->size < k->num;
	case IMAP_SK_MODSEQ: return e->modseq >= k->num;
	case IMAP_SK_BCC: case IMAP_SK_BODY: case IMAP_SK_CC: case IMAP_SK_FROM:
	case IMAP_SK_SUBJECT: case IMAP_SK_TEXT: case IMAP_SK_TO: case IMAP_SK_HEADER:
		return text_matched(c, msn, k);
	default: return false; /* refused by the check */
	}
}

/* Appends the numbers of msns[0..n) (ascending) as a sequence set ("1:3,5"). */
static void append_set(struct pb_buf *out, const uint32_t *nums, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = i;
		while (k + 1 < n && nums[k + 1] == nums[k] + 1)
			k++;
		pb_buf_printf(out, "%s%u", i > 0 ? "," : "", nums[i]);
		if (k > i)
			pb_buf_printf(out, ":%u", nums[k]);
		i = k + 1;
	}
}

/* RFC 4731: * ESEARCH (TAG "t") [UID] [MIN n] [MAX n] [ALL set] [COUNT n]. */
static void esearch_answer(struct imap_session *s, const struct imap_cmd *cmd, unsigned ret,
			   const uint32_t *nums, size_t n)
{
	pb_buf_printf(&s->out, "* ESEARCH (TAG \"%s\")%s", cmd->tag, cmd->uid ? " UID" : "");
	if ((ret & IMAP_SEARCH_RET_MIN) && n > 0)
		pb_buf_printf(&s->out, " MIN %u", nums[0]);
	if ((ret & IMAP_SEARCH_RET_MAX) && n > 0)
		pb_buf_printf(&s->out, " MAX %u", nums[n - 1]);
	if ((ret & IMAP_SEARCH_RET_ALL) && n > 0) {
		pb_buf_append_str(&s->out, " ALL ");
		append_set(&s->out, nums, n);
	}
	if (ret & IMAP_SEARCH_RET_COUNT)
		pb_buf_printf(&s->out, " COUNT %zu", n);
}

/* The messages an answer returns (RFC 5182 2.1 for SAVE, RFC 7162 3.1.5 for MODSEQ): all of
 * msns[0..n), or only the MIN and/or MAX ones when neither ALL nor COUNT is asked. Returns
 * their count, *r pointing at msns or at ends. */
static size_t returned(const uint32_t *msns, size_t n, unsigned ret, uint32_t ends[2],
		       const uint32_t **r)
{
	size_t k = 0;

	*r = msns;
	if ((ret & (IMAP_SEARCH_RET_ALL | IMAP_SEARCH_RET_COUNT)) ||
	    !(ret & (IMAP_SEARCH_RET_MIN | IMAP_SEARCH_RET_MAX)) || n == 0)
		return n;
	if (ret & IMAP_SEARCH_RET_MIN)
		ends[k++] = msns[0];
	if ((ret & IMAP_SEARCH_RET_MAX) && (k == 0 || msns[n - 1] != ends[0]))
		ends[k++] = msns[n - 1];
	*r = ends;
	return k;
}

/* The highest mod-sequence of msns[0..n), 0 when n is 0. */
static uint64_t max_modseq(const struct imap_view *v, const uint32_t *msns, size_t n)
{
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++)
		m = IMAP_MSG(v, msns[i])->modseq > m ? IMAP_MSG(v, msns[i])->modseq : m;
	return m;
}

/* The sequence numbers of the messages root matches, ascending (the caller frees them). */
static uint32_t *select_msns(const struct search_ctx *c, const struct imap_search_key *root,
			     size_t *n_r)
{
	uint32_t *nums = xmalloc((IMAP_COUNT(c->v) + 1) * sizeof(*nums));
	size_t n = 0;

	for (uint32_t msn = 1; msn <= IMAP_COUNT(c->v); msn++)
		if (match(c, msn, root))
			nums[n++] = msn;
	*n_r = n;
	return nums;
}

/* Writes the untagged answer of msns[0..n): SEARCH, or ESEARCH (RETURN, or IMAP4rev2), none
 * for RETURN (SAVE) alone; the MODSEQ item when the search has the MODSEQ key. */
static void answer_write(struct imap_session *s, const struct imap_cmd *cmd, uint32_t *msns,
			 size_t n)
{
	const struct imap_search *q = &cmd->u.search;
	unsigned ret = q->has_return ? q->ret : IMAP_SEARCH_RET_ALL;
	uint32_t ends[2];
	const uint32_t *r;
	size_t k = returned(msns, n, ret, ends, &r);
	uint64_t modseq = imap_search_has_modseq(q) ? max_modseq(s->view, r, k) : 0;

	if (ret & IMAP_SEARCH_RET_SAVE)
		imap_searchres_save(s->view, r, k);
	if (ret == IMAP_SEARCH_RET_SAVE)
		return;
	for (size_t i = 0; cmd->uid && i < n; i++)
		msns[i] = IMAP_MSG(s->view, msns[i])->uid;
	pb_buf_reset(&s->out);
	if (q->has_return || s->rev2) {
		esearch_answer(s, cmd, ret, msns, n);
		if (modseq != 0)
			pb_buf_printf(&s->out, " MODSEQ %llu", (unsigned long long)modseq);
	} else {
		pb_buf_append_str(&s->out, "* SEARCH");
		for (size_t i = 0; i < n; i++)
			pb_buf_printf(&s->out, " %u", msns[i]);
		if (modseq != 0)
			pb_buf_printf(&s->out, " (MODSEQ %llu)", (unsigned long long)modseq);
	}
	pb_buf_append_str(&s->out, "\r\n");
	gw_write(s->gs, s->out.data, s->out.len);
}

/* Evaluates the search on every message and answers it (SEARCH or ESEARCH, then OK). */
static void answer(struct imap_session *s, const struct imap_cmd *cmd, const struct search_ctx *c)
{
	size_t n;
	uint32_t *msns = select_msns(c, &cmd->u.search.root, &n);

	answer_write(s, cmd, msns, n);
	free(msns);
	imap_tagged(s, "OK Search completed.");
}

static void job_free(void *p)
{
	struct search_job *j = p;

	free(j->matched);
	free(j->keys);
	free(j->sent_days);
	free(j);
}

/* The search is evaluated: SEARCH answers; a SORT or THREAD gets the messages. The job
 * ends (begun: it was the session's). */
static void finish(struct imap_session *s, struct search_job *j, bool begun)
{
	struct search_ctx c = { s->view, &j->t, j->matched, j->sent_days };
	struct imap_cmd cmd = j->cmd;
	imap_search_done_fn *done = j->done;
	uint32_t *msns = NULL;
	size_t n = 0;

	if (done != NULL)
		msns = select_msns(&c, &j->q.root, &n);
	else
		answer(s, &j->cmd, &c);
	if (begun)
		imap_job_end(s);
	else
		job_free(j);
	if (done != NULL)
		done(s, &cmd, msns, n);
}

/* The readers failed the search under way: NO, and the job ends (a SAVE empties "$",
 * RFC 5182 2.1). */
static void fail(struct imap_session *s, struct search_job *j)
{
	if (j->q.has_return && (j->q.ret & IMAP_SEARCH_RET_SAVE))
		imap_searchres_save(s->view, NULL, 0);
	imap_tagged(s, "NO [UNAVAILABLE] Search unavailable, try again later");
	imap_job_end(s);
}

static void ask_page(struct imap_session *s, struct search_job *j);
static void ask_dates(struct imap_session *s, struct search_job *j);

/* The next step: the text keys, then the sent dates, then the answer. */
static void step(struct imap_session *s, struct search_job *j)
{
	if (j->t.n > 0 && j->got < j->n)
		ask_page(s, j);
	else if (j->sent_days != NULL && j->sent_got < j->n)
		ask_dates(s, j);
	else
		finish(s, j, true);
}

static size_t page_of(size_t n, size_t got, size_t max)
{
	return n - got < max ? n - got : max;
}

static void on_hits(void *session, uint64_t arg, struct pb_msg *rep);

/* Asks the readers about the next page of messages. */
static void ask_page(struct imap_session *s, struct search_job *j)
{
	struct gw_pending call = imap_call_of(s, on_hits, 0);
	struct pb_sender tx = gw_sender(&call);
	size_t page = page_of(j->n, j->got, READER_SEARCH_MAX);
	const char *error;

	for (size_t i = 0; i < page; i++)
		j->keys[i] = IMAP_MSG(s->view, j->got + 1 + i)->blob_key;
	if (reader_client_search_send(&tx, s->user_id, j->keys, page, j->t.crit, j->t.n,
				      &error) == 0) {
		s->busy = true;
		return;
	}
	fail(s, j);
}

static void on_hits(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct search_job *j = s->job;
	struct reader_search_hit hits[READER_SEARCH_MAX];
	size_t page = page_of(j->n, j->got, READER_SEARCH_MAX), done;

	s->busy = false;
	if (rep == NULL || reader_client_search_reply(rep, page, hits, &done) != PB_OK) {
		fail(s, j);
		imap_resume(s);
		return;
	}
	for (size_t i = 0; i < done; i++)
		j->matched[j->got + i] = hits[i].code == PB_OK ? hits[i].matched : 0;
	j->got += done;
	step(s, j);
	imap_resume(s);
}

static void on_dates(void *session, uint64_t arg, struct pb_msg *rep);

/* Asks the readers for the Date: field of the next page of messages. */
static void ask_dates(struct imap_session *s, struct search_job *j)
{
	static const char *const date_field[] = { "Date" };
	struct gw_pending call = imap_call_of(s, on_dates, 0);
	struct pb_sender tx = gw_sender(&call);
	struct reader_section_ask asks[READER_SECTION_MAX];
	size_t page = page_of(j->n, j->sent_got, READER_SECTION_MAX);
	const char *error;

	for (size_t i = 0; i < page; i++)
		asks[i] = (struct reader_section_ask){
			IMAP_MSG(s->view, j->sent_got + 1 + i)->blob_key, "HEADER.FIELDS",
			date_field, 1 };
	if (reader_client_section_send(&tx, s->user_id, asks, page, &error) == 0) {
		s->busy = true;
		return;
	}
	fail(s, j);
}

static void on_dates(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct search_job *j = s->job;
	struct reader_section secs[READER_SECTION_MAX];
	size_t done;
	struct pb_buf date;

	s->busy = false;
	if (rep == NULL || reader_client_section_reply(rep, page_of(j->n, j->sent_got,
				READER_SECTION_MAX), secs, &done) != PB_OK) {
		fail(s, j);
		imap_resume(s);
		return;
	}
	pb_buf_init(&date);
	for (size_t i = 0; i < done; i++, j->sent_got++) {
		pb_buf_reset(&date);
		bool has = secs[i].code == PB_OK && secs[i].filtered &&
			   mime_header_get(secs[i].data, secs[i].len, "Date", &date) > 0;
		pb_buf_append_c(&date, '\0');
		j->sent_days[j->sent_got] = imap_sent_day(has ? date.data : NULL);
	}
	pb_buf_deinit(&date);
	step(s, j);
	imap_resume(s);
}

void imap_do_search(void *session, const void *cmdp)
{
	const struct imap_cmd *cmd = cmdp;

	imap_search_select(session, cmd, &cmd->u.search, NULL);
}

void imap_search_select(struct imap_session *s, const struct imap_cmd *cmd,
			const struct imap_search *q, imap_search_done_fn *done)
{
	struct search_job *j = xcalloc(1, sizeof(*j));
	bool sent = has_key(&q->root, IMAP_SK_SENTBEFORE, IMAP_SK_SENTSINCE);

	s->condstore |= imap_search_has_modseq(q); /* RFC 7162 3.1: an enabling command */
	j->cmd = *cmd;
	j->q = *q;
	j->done = done;
	texts_collect(&q->root, &j->t);
	j->n = IMAP_COUNT(s->view);
	if ((j->t.n == 0 && !sent) || j->n == 0) {
		finish(s, j, false);
		return;
	}
	j->matched = xcalloc(j->n, sizeof(*j->matched));
	j->keys = xcalloc(READER_SEARCH_MAX, sizeof(*j->keys));
	j->sent_days = sent ? xcalloc(j->n, sizeof(*j->sent_days)) : NULL;
	imap_job_begin(s, j, job_free, NULL);
	step(s, j);
}
