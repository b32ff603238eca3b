/*
 * imap-cmd-search.c: SEARCH and UID SEARCH (RFC 3501 6.4.4, ESEARCH RFC 4731). Keys on what
 * the view holds (sequence sets and UIDs, flags, sizes, internal dates: BEFORE/ON/SINCE
 * compare days in UTC, MODSEQ) are evaluated here; the text keys (TEXT, BODY, HEADER,
 * SUBJECT, FROM, TO, CC, BCC) are asked of the readers (READER_SEARCH_REQ: decoded headers
 * and bodies) for every message of the folder, READER_SEARCH_MAX messages a request (each
 * reply answers a prefix: the rest is asked again), one bit per criterion and message; then
 * AND/OR/NOT combine both. SENT* keys are refused with NO [CANNOT]; CHARSET may be US-ASCII or
 * UTF-8 (else NO [BADCHARSET]). No RECENT message exists (RECENT and NEW match nothing), no
 * keyword is stored. RETURN (MIN MAX ALL COUNT) answers ESEARCH; SAVE is refused.
 * SORT and THREAD (imap-cmd-sort.c) select their messages with the same evaluation
 * (imap_search_select: the matching messages handed to a continuation instead of answered).
 * OWNS: struct search_job (the session's job). THREAD: the hub's.
 * MESSAGES sent (typed client stubs): READER_SEARCH_REQ.
 */
#include "imap-view.h"

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

/* Whether every key of k (and below) can be answered (the view, the readers). */
static bool answerable(const struct imap_search_key *k)
{
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

	return imap_search_check(&cmd->u.search);
}

const char *imap_search_check(const struct imap_search *q)
{
	struct search_texts t = { .n = 0 };

	if (q->charset != NULL && !imap_eq(q->charset, "UTF-8") && !imap_eq(q->charset, "US-ASCII"))
		return "NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset";
	if (q->has_return && (q->ret & IMAP_SEARCH_RET_SAVE))
		return "BAD SEARCH RETURN (SAVE) is not supported";
	if (!answerable(&q->root))
		return "NO [CANNOT] Searching by sent date is not supported yet";
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

/* What a search is evaluated against: the view, and what the readers said of its texts. */
struct search_ctx {
	const struct imap_view *v;
	const struct search_texts *t;
	const uint64_t *matched; /* per message, NULL when there is no text key */
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

static bool match_date(const struct pb_rec_mbox_entry *e, const struct imap_search_key *k)
{
	int64_t day = day_of(e->internal_date_ms), want = day_of(k->date.unix_time * 1000);

	if (k->type == IMAP_SK_BEFORE)
		return day < want;
	return k->type == IMAP_SK_ON ? day == want : day >= want;
}

static bool match(const struct search_ctx *c, uint32_t msn, const struct imap_search_key *k)
{
	const struct pb_rec_mbox_entry *e = IMAP_MSG(c->v, msn);

	switch (k->type) {
	case IMAP_SK_AND: return match_all(c, msn, k);
	case IMAP_SK_OR: return match(c, msn, &k->sub[0]) || match(c, msn, &k->sub[1]);
	case IMAP_SK_NOT: return !match(c, msn, &k->sub[0]);
	case IMAP_SK_ALL: case IMAP_SK_OLD: case IMAP_SK_UNKEYWORD: return true;
	case IMAP_SK_RECENT: case IMAP_SK_NEW: case IMAP_SK_KEYWORD: return false;
	case IMAP_SK_SEQSET: return in_set(c->v, msn, &k->set, false);
	case IMAP_SK_UID: return in_set(c->v, msn, &k->set, true);
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
static void esearch_answer(struct imap_session *s, const struct imap_cmd *cmd,
			   const uint32_t *nums, size_t n)
{
	unsigned ret = cmd->u.search.ret;

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

/* Evaluates the search on every message and answers it (SEARCH or ESEARCH, then OK). */
static void answer(struct imap_session *s, const struct imap_cmd *cmd, const struct search_ctx *c)
{
	size_t n;
	uint32_t *nums = select_msns(c, &cmd->u.search.root, &n);

	for (size_t i = 0; cmd->uid && i < n; i++)
		nums[i] = IMAP_MSG(c->v, nums[i])->uid;
	pb_buf_reset(&s->out);
	if (cmd->u.search.has_return) {
		esearch_answer(s, cmd, nums, n);
	} else {
		pb_buf_append_str(&s->out, "* SEARCH");
		for (size_t i = 0; i < n; i++)
			pb_buf_printf(&s->out, " %u", nums[i]);
	}
	pb_buf_append_str(&s->out, "\r\n");
	gw_write(s->gs, s->out.data, s->out.len);
	free(nums);
	imap_tagged(s, "OK Search completed.");
}

static void job_free(void *p)
{
	struct search_job *j = p;

	free(j->matched);
	free(j->keys);
	free(j);
}

static void on_hits(void *session, uint64_t arg, struct pb_msg *rep);

/* The search is evaluated: SEARCH answers; a SORT or THREAD gets the messages. The job
 * ends (begun: it was the session's). */
static void finish(struct imap_session *s, struct search_job *j, bool begun)
{
	struct search_ctx c = { s->view, &j->t, j->matched };
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

/* Asks the readers about the next page of messages. */
static void ask_page(struct imap_session *s, struct search_job *j)
{
	struct gw_pending call = imap_call_of(s, on_hits, 0);
	struct pb_sender tx = gw_sender(&call);
	size_t page = j->n - j->got < READER_SEARCH_MAX ? j->n - j->got : READER_SEARCH_MAX;
	const char *error;

	for (size_t i = 0; i < page; i++)
		j->keys[i] = IMAP_MSG(s->view, j->got + 1 + i)->blob_key;
	if (reader_client_search_send(&tx, s->user_id, j->keys, page, j->t.crit, j->t.n,
				      &error) == 0) {
		s->busy = true;
		return;
	}
	imap_tagged(s, "NO [UNAVAILABLE] Search unavailable, try again later");
	imap_job_end(s);
}

static void on_hits(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct search_job *j = s->job;
	struct reader_search_hit hits[READER_SEARCH_MAX];
	size_t page = j->n - j->got < READER_SEARCH_MAX ? j->n - j->got : READER_SEARCH_MAX, done;

	s->busy = false;
	if (rep == NULL || reader_client_search_reply(rep, page, hits, &done) != PB_OK) {
		imap_tagged(s, "NO [UNAVAILABLE] Search unavailable, try again later");
		imap_job_end(s);
		imap_resume(s);
		return;
	}
	for (size_t i = 0; i < done; i++)
		j->matched[j->got + i] = hits[i].code == PB_OK ? hits[i].matched : 0;
	j->got += done;
	if (j->got < j->n)
		ask_page(s, j);
	else
		finish(s, j, true);
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

	j->cmd = *cmd;
	j->q = *q;
	j->done = done;
	texts_collect(&q->root, &j->t);
	j->n = IMAP_COUNT(s->view);
	if (j->t.n == 0 || j->n == 0) {
		finish(s, j, false);
		return;
	}
	j->matched = xcalloc(j->n, sizeof(*j->matched));
	j->keys = xcalloc(READER_SEARCH_MAX, sizeof(*j->keys));
	imap_job_begin(s, j, job_free, NULL);
	ask_page(s, j);
}
