/*
 * imap-view.c: the selected mailbox as the session sees it (see imap-view.h): flags, sequence
 * sets, the listing gathered page by page, and the differences told to the client.
 * OWNS: struct imap_view. THREAD: the hub's.
 * MESSAGES sent (typed client stub): MBOX_LIST_REQ.
 */
#include "imap-view.h"

#include "imap-parser-private.h"

#include <string.h>
#include <strings.h>

static size_t uid_lower_bound(const struct imap_view *v, uint32_t uid);

static const struct {
	const char *name;
	uint32_t bit;
} flag_names[] = {
	{ "\\Answered", IMAP_FLAG_ANSWERED }, { "\\Flagged", IMAP_FLAG_FLAGGED },
	{ "\\Deleted", IMAP_FLAG_DELETED },   { "\\Seen", IMAP_FLAG_SEEN },
	{ "\\Draft", IMAP_FLAG_DRAFT },
};

void imap_flags_append(struct pb_buf *out, uint32_t flags)
{
	const char *sep = "";

	pb_buf_append_c(out, '(');
	for (size_t i = 0; i < PB_N_ELEMENTS(flag_names); i++) {
		if (flags & flag_names[i].bit) {
			pb_buf_append_str(out, sep);
			pb_buf_append_str(out, flag_names[i].name);
			sep = " ";
		}
	}
	pb_buf_append_c(out, ')');
}

void imap_flags_kw_append(struct pb_buf *out, uint32_t flags, const char *keywords)
{
	imap_flags_append(out, flags);
	if (keywords == NULL || *keywords == '\0')
		return;
	out->len--; /* the ')' */
	pb_buf_printf(out, "%s%s)", flags != 0 ? " " : "", keywords);
}

int imap_flags_kw_parse(const char *const *names, unsigned n, uint32_t *flags_r,
			struct pb_buf *kw, const char **bad_r)
{
	*flags_r = 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t bit;
		if (names[i][0] != '\\') {
			pb_buf_printf(kw, "%s%s", kw->len > 0 ? " " : "", names[i]);
			continue;
		}
		if (imap_flags_parse(&names[i], 1, &bit, bad_r) < 0)
			return -1;
		*flags_r |= bit;
	}
	pb_buf_append_c(kw, '\0');
	kw->len--;
	return 0;
}

/* Whether keyword k (len bytes) is in v's list (any case). */
static bool knows_keyword(const struct imap_view *v, const char *k, size_t len)
{
	for (uint32_t i = 0; i < v->keywords.n; i++)
		if (strlen(v->keywords.v[i]) == len && strncasecmp(v->keywords.v[i], k, len) == 0)
			return true;
	return false;
}

bool imap_keywords_have(const char *keywords, const char *kw)
{
	size_t want = strlen(kw);

	for (const char *p = keywords; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, " ");
		if (len == want && strncasecmp(p, kw, len) == 0)
			return true;
		p += len + (p[len] == ' ');
	}
	return false;
}

bool imap_view_learn_keywords(struct imap_view *v, const char *keywords)
{
	bool learnt = false;

	for (const char *p = keywords; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, " ");
		if (len > 0 && !knows_keyword(v, p, len)) {
			char *k = xstrndup(p, len);
			pb_strv_push(&v->keywords, k);
			free(k);
			learnt = true;
		}
		p += len + (p[len] == ' ');
	}
	return learnt;
}

void imap_view_write_flags(struct imap_session *s)
{
	struct imap_view *v = s->view;
	struct pb_buf kw;

	pb_buf_init(&kw);
	for (uint32_t i = 0; i < v->keywords.n; i++)
		pb_buf_printf(&kw, " %s", v->keywords.v[i]);
	pb_buf_append_c(&kw, '\0');
	imap_untagged(s, "FLAGS (" IMAP_SYSTEM_FLAGS "%s)", kw.data);
	if (v->readonly)
		imap_untagged(s, "OK [PERMANENTFLAGS ()] Read-only mailbox");
	else
		imap_untagged(s, "OK [PERMANENTFLAGS (" IMAP_SYSTEM_FLAGS "%s \\*)] Flags permitted",
			      kw.data);
	pb_buf_deinit(&kw);
}

int imap_flags_parse(const char *const *names, unsigned n, uint32_t *flags_r, const char **bad_r)
{
	*flags_r = 0;
	for (unsigned i = 0; i < n; i++) {
		size_t k = 0;
		while (k < PB_N_ELEMENTS(flag_names) && !imap_eq(names[i], flag_names[k].name))
			k++;
		if (k < PB_N_ELEMENTS(flag_names))
			*flags_r |= flag_names[k].bit;
		else if (!imap_eq(names[i], "\\Recent")) {
			*bad_r = names[i];
			return -1;
		}
	}
	return 0;
}

size_t imap_view_msn_of(const struct imap_view *v, uint32_t uid)
{
	size_t i = uid_lower_bound(v, uid);

	return i < IMAP_COUNT(v) && IMAP_MSG(v, i + 1)->uid == uid ? i + 1 : 0;
}

/* The first index whose uid is >= uid (count when none). */
static size_t uid_lower_bound(const struct imap_view *v, uint32_t uid)
{
	size_t lo = 0, hi = IMAP_COUNT(v);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (IMAP_MSG(v, mid + 1)->uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Marks the messages of one range in mark[0..count). */
static int mark_range(const struct imap_view *v, struct imap_seq_range r, bool uid, bool *mark)
{
	size_t n = IMAP_COUNT(v);
	uint32_t last = uid ? (n > 0 ? IMAP_MSG(v, n)->uid : 0) : (uint32_t)n;
	uint32_t lo = r.lo == IMAP_SEQ_STAR ? last : (uint32_t)r.lo;
	uint32_t hi = r.hi == IMAP_SEQ_STAR ? last : (uint32_t)r.hi;

	if (lo > hi) {
		uint32_t t = lo;
		lo = hi;
		hi = t;
	}
	if (!uid) {
		if (lo == 0 || hi > n)
			return -1;
		for (uint32_t m = lo; m <= hi; m++)
			mark[m - 1] = true;
		return 0;
	}
	for (size_t i = uid_lower_bound(v, lo); i < n && IMAP_MSG(v, i + 1)->uid <= hi; i++)
		mark[i] = true;
	return 0;
}

long imap_view_resolve(const struct imap_view *v, const struct imap_seqset *set, bool uid,
		       uint32_t **msns_r, const char **error_r)
{
	size_t n = IMAP_COUNT(v);
	bool *mark = xcalloc(n + 1, sizeof(*mark));
	long count = 0;

	*msns_r = NULL;
	if (set->saved)
		imap_searchres_mark(v, mark); /* imap-searchres.c */
	for (unsigned i = 0; i < set->n; i++) {
		if (mark_range(v, set->ranges[i], uid, mark) < 0) {
			*error_r = "Invalid messageset";
			free(mark);
			return -1;
		}
	}
	uint32_t *msns = xmalloc((n + 1) * sizeof(*msns));
	for (size_t i = 0; i < n; i++)
		if (mark[i])
			msns[count++] = (uint32_t)i + 1;
	free(mark);
	if (count == 0)
		free(msns);
	else
		*msns_r = msns;
	return count;
}

/* ---- the listing, page by page ---- */

static void on_page(void *session, uint64_t arg, struct pb_msg *rep);

static int ask_page(struct imap_session *s, const char *folder, uint32_t first)
{
	struct mailbox_list_query q = { .folder = folder, .uid_first = first };
	struct gw_pending call = imap_call_of(s, on_page, 0);
	struct pb_sender tx = gw_sender(&call);
	const char *error;

	return mailbox_client_list_send(&tx, s->user_id, &q, &error);
}

static void listed(struct imap_session *s, uint32_t code)
{
	imap_listed_fn *done = (imap_listed_fn *)s->listed;

	s->busy = false;
	s->listed = NULL;
	done(s, code);
}

static void on_page(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	const char *error;

	if (rep == NULL) {
		listed(s, PB_ERR_TEMP);
		return;
	}
	uint32_t code = mailbox_client_list_reply(rep, &s->listing, &error);
	if (code == PB_OK && s->listing.next_uid != 0) {
		if (ask_page(s, s->listing_folder, s->listing.next_uid) == 0)
			return;
		code = PB_ERR_TEMP;
	}
	listed(s, code);
}

int imap_view_list(struct imap_session *s, const char *folder, imap_listed_fn *done)
{
	return imap_view_list_from(s, folder, 0, done);
}

int imap_view_list_from(struct imap_session *s, const char *folder, uint32_t uid_first,
			imap_listed_fn *done)
{
	mailbox_list_free(&s->listing);
	memset(&s->listing, 0, sizeof(s->listing));
	pb_str_set(&s->listing_folder, folder);
	if (ask_page(s, folder, uid_first) < 0)
		return -1;
	s->listed = (void *)done;
	s->busy = true;
	return 0;
}

/* ---- telling the client what changed ---- */

void imap_view_fetch_flags(struct imap_session *s, size_t msn, bool uid)
{
	const struct pb_rec_mbox_entry *e = IMAP_MSG(s->view, msn);

	pb_buf_reset(&s->out);
	pb_buf_printf(&s->out, "* %zu FETCH (", msn);
	if (uid || s->qresync) /* RFC 7162 3.2.4: unsolicited FETCH carries UID under QRESYNC */
		pb_buf_printf(&s->out, "UID %u ", e->uid);
	pb_buf_append_str(&s->out, "FLAGS ");
	imap_flags_kw_append(&s->out, e->flags, e->keywords);
	if (s->condstore)
		pb_buf_printf(&s->out, " MODSEQ (%llu)", (unsigned long long)e->modseq);
	pb_buf_append_str(&s->out, ")\r\n");
	gw_write(s->gs, s->out.data, s->out.len);
}

static bool same_flags(const struct pb_rec_mbox_entry *a, const struct pb_rec_mbox_entry *b)
{
	return a->flags == b->flags && strcmp(a->keywords ? a->keywords : "",
					      b->keywords ? b->keywords : "") == 0;
}

/*
 * Walks the old and the fresh listing together (both in UID order): an old uid missing from
 * the fresh one is expunged (its sequence number counts the expunges told before it, RFC
 * 3501 7.4.1), a uid in both with other flags gets FETCH (FLAGS), and the uids past the old
 * ones make the new EXISTS. A uid that appears below the old highest (impossible: UIDs only
 * grow) is taken as new all the same.
 */
void imap_view_sync(struct imap_session *s)
{
	struct imap_view *v = s->view;
	static const struct pb_rec_mbox_entry_list none;
	const struct pb_rec_mbox_entry_list *old = v->msgs != NULL ? &v->msgs->entries : &none;
	const struct pb_rec_mbox_entry_list *fresh = &s->listing.entries;
	size_t i = 0, j = 0, msn = 0, n_changed = 0;
	uint32_t *changed = xmalloc((old->n + 1) * sizeof(*changed));
	struct pb_u64v gone = { 0 };

	while (i < old->n) {
		if (j < fresh->n && fresh->v[j].uid == old->v[i].uid) {
			msn++;
			if (!same_flags(&fresh->v[j], &old->v[i]))
				changed[n_changed++] = (uint32_t)msn;
			i++, j++;
		} else if (j < fresh->n && fresh->v[j].uid < old->v[i].uid) {
			j++;
		} else {
			if (s->qresync)
				pb_u64v_push(&gone, old->v[i].uid);
			else
				imap_untagged(s, "%zu EXPUNGE", msn + 1);
			i++;
		}
	}
	if (gone.n > 0) { /* RFC 7162 3.2.10 */
		pb_buf_reset(&s->out);
		pb_buf_append_str(&s->out, "* VANISHED ");
		imap_uidset_append(&s->out, gone.v, gone.n);
		pb_buf_append_str(&s->out, "\r\n");
		gw_write(s->gs, s->out.data, s->out.len);
		pb_u64v_clear(&gone);
	}
	bool grew = fresh->n != msn, learnt = false;
	for (size_t k = 0; k < fresh->n; k++)
		learnt |= imap_view_learn_keywords(v, fresh->v[k].keywords);
	imap_view_take_listing(s);
	if (learnt)
		imap_view_write_flags(s);
	for (size_t k = 0; k < n_changed; k++)
		imap_view_fetch_flags(s, changed[k], false);
	free(changed);
	if (grew)
		imap_untagged(s, "%u EXISTS", (unsigned)IMAP_COUNT(v));
}

void imap_view_take_listing(struct imap_session *s)
{
	struct imap_view *v = s->view;

	imap_view_adopt(s, &s->listing.entries);
	mailbox_list_free(&v->list);
	v->list = s->listing;
	memset(&s->listing, 0, sizeof(s->listing));
}

/* Whether the view holds a message of uids[0..n) (ascending). */
static bool holds_any(const struct imap_view *v, const uint64_t *uids, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (uids[k] <= UINT32_MAX && imap_view_msn_of(v, (uint32_t)uids[k]) != 0)
			return true;
	return false;
}

size_t imap_view_expunge_uids(struct imap_session *s, const uint64_t *uids, size_t n, bool quiet)
{
	if (!holds_any(s->view, uids, n))
		return 0;
	struct pb_rec_mbox_entry_list *l = imap_view_edit(s->view);
	size_t kept = 0, k = 0, n_gone = 0;
	uint64_t *gone = xmalloc((n + 1) * sizeof(*gone));

	for (size_t i = 0; i < l->n; i++) {
		while (k < n && uids[k] < l->v[i].uid)
			k++;
		if (k < n && uids[k] == l->v[i].uid) {
			if (!quiet && !s->qresync)
				imap_untagged(s, "%zu EXPUNGE", kept + 1);
			gone[n_gone++] = l->v[i].uid;
			free(l->v[i].blob_key);
			free(l->v[i].keywords);
			continue;
		}
		l->v[kept++] = l->v[i];
	}
	l->n = kept;
	if (!quiet && s->qresync && n_gone > 0) { /* RFC 7162 3.2.10 */
		pb_buf_reset(&s->out);
		pb_buf_append_str(&s->out, "* VANISHED ");
		imap_uidset_append(&s->out, gone, n_gone);
		pb_buf_append_str(&s->out, "\r\n");
		gw_write(s->gs, s->out.data, s->out.len);
	}
	free(gone);
	imap_view_settle(s);
	return n_gone;
}

void imap_uidset_append(struct pb_buf *out, const uint64_t *uids, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		pb_buf_printf(out, "%s%llu", i > 0 ? "," : "", (unsigned long long)uids[i]);
		if (j > i)
			pb_buf_printf(out, ":%llu", (unsigned long long)uids[j]);
		i = j + 1;
	}
}

void imap_view_free(struct imap_view **vp)
{
	struct imap_view *v = *vp;

	if (v == NULL)
		return;
	imap_view_drop_listing(v);
	mailbox_list_free(&v->list);
	pb_strv_clear(&v->keywords);
	pb_u64v_clear(&v->pending.expunged);
	pb_u64v_clear(&v->searchres);
	pb_rec_mbox_flagged_list_clear(&v->pending.flags);
	imap_qresync_free(&v->qresync);
	free(v->folder);
	free(v);
	*vp = NULL;
}
