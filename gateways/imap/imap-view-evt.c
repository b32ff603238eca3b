/*
 * imap-view-evt.c: the selected folder's watch (MBOX_FOLDER_WATCH_REQ at SELECT/EXAMINE, off
 * at CLOSE/UNSELECT/logout) and its MBOX_FOLDER_EVT events, applied to the view exactly:
 * APPENDED lists only the new uids (one MBOX_LIST from past the view's last uid) and tells
 * EXISTS; EXPUNGED tells EXPUNGE by sequence number (VANISHED under QRESYNC); FLAGS tells
 * FETCH (UID FLAGS [MODSEQ]); RESYNC (the owner lost events for this watch) and a hole in the
 * events' seq list the folder afresh and tell the differences; GONE ends the session at the
 * next command where an EXPUNGE could go out (imap_view_gone_said), or at once while idling.
 *
 * Why GONE is "* BYE": RFC 3501/9051 have no response that takes a client out of the selected
 * state unsolicited (an untagged NO changes no state, and [CLOSED] of RFC 7162 only marks the
 * switch of a SELECT), so a client told NO would go on addressing messages of a folder that is
 * no more. Dovecot does the same ("Selected mailbox was deleted, have to disconnect").
 *
 * Events are gathered in view->pending and told only where RFC 3501 7.4.1 allows (NOOP, CHECK,
 * IDLE, and after APPEND/COPY to the selected folder); while idling they are told at once.
 * OWNS: view->pending. THREAD: the hub's.
 * MESSAGES sent (typed client stubs): MBOX_FOLDER_WATCH_REQ, MBOX_LIST_REQ.
 */
#include "imap-view.h"

#include "pb-log.h"

#include <stdlib.h>
#include <string.h>

bool imap_view_pending(const struct imap_view *v)
{
	const struct imap_view_pending *p = &v->pending;

	return p->expunged.n > 0 || p->flags.n > 0 || p->appended || p->resync || p->gone;
}

static void pending_clear(struct imap_view_pending *p)
{
	pb_u64v_clear(&p->expunged);
	pb_rec_mbox_flagged_list_clear(&p->flags);
	p->appended = p->resync = false;
}

/* ---- the watch ---- */

static void on_watched(void *session, uint64_t arg, struct pb_msg *rep)
{
	struct imap_session *s = session;
	struct mailbox_watched w;
	const char *error;

	if (rep == NULL || mailbox_client_folder_watch_reply(rep, &w, &error) != PB_OK) {
		s->watching = false; /* the folder is then listed afresh at each refresh */
		return;
	}
	if (s->view != NULL) {
		s->view->folder_id = w.folder_id;
		s->view->evt_seq = 0;
	}
}

void imap_view_watch(struct imap_session *s)
{
	char addr[PB_MSG_MAX_ADDR];
	const char *error;

	gw_event_address(s->gs, addr, sizeof(addr));
	struct gw_pending call = imap_call_of(s, on_watched, 0);
	struct pb_sender tx = gw_sender(&call);
	s->watching = mailbox_client_folder_watch_send(&tx, s->user_id, addr, s->view->folder,
						       true, &error) == 0;
}

void imap_view_unwatch(struct imap_session *s)
{
	struct pb_sender tx = gw_cast_sender(s->gs);
	char addr[PB_MSG_MAX_ADDR];
	const char *error;

	if (!s->watching)
		return;
	s->watching = false;
	gw_event_address(s->gs, addr, sizeof(addr));
	if (mailbox_client_folder_watch_send(&tx, s->user_id, addr, "", false, &error) < 0)
		pb_warn("imap", "event=unwatch_failed user=%s reason=%s", PB_LOGQ(s->user),
			PB_LOGQ(error));
}

/* ---- gathering ---- */

static void gather_flags(struct imap_view_pending *p, const struct pb_rec_mbox_flagged_list *l)
{
	for (uint32_t i = 0; i < l->n; i++) {
		struct pb_rec_mbox_flagged *r = pb_rec_mbox_flagged_push(&p->flags);
		*r = l->v[i];
		r->keywords = xstrdup(l->v[i].keywords ? l->v[i].keywords : "");
	}
}

void imap_on_folder_event(struct imap_session *s, struct pb_msg *m)
{
	const struct msg_mbox_folder_evt *e = &m->u.mbox_folder_evt;
	struct imap_view *v = s->view;

	if (v == NULL || !s->watching || v->folder_id == 0 || e->user_id != s->user_id ||
	    e->folder_id != v->folder_id)
		return; /* an event of a watch this view did not make */
	if (e->seq != v->evt_seq + 1)
		v->pending.resync = true; /* a hole: events were lost */
	v->evt_seq = e->seq;
	switch (e->what) {
	case MAILBOX_EVT_APPENDED: v->pending.appended = true; break;
	case MAILBOX_EVT_EXPUNGED:
		for (uint32_t i = 0; i < e->uids.n; i++)
			pb_u64v_push(&v->pending.expunged, e->uids.v[i]);
		break;
	case MAILBOX_EVT_FLAGS: gather_flags(&v->pending, &e->flags); break;
	case MAILBOX_EVT_GONE:
		v->pending.gone = true;
		s->watching = false;
		break;
	default: v->pending.resync = true; break;
	}
	if (s->idling && !s->busy)
		imap_idle_refresh(s);
}

/* ---- telling ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void tell_expunged(struct imap_session *s)
{
	struct pb_u64v *x = &s->view->pending.expunged;

	if (x->n == 0)
		return;
	qsort(x->v, x->n, sizeof(*x->v), cmp_u64);
	(void)imap_view_expunge_uids(s, x->v, x->n, false);
	pb_u64v_clear(x);
}

/* Applies one flags record to the view; returns its msn when it changed the message, else 0. */
static uint32_t apply_flags(struct imap_view *v, const struct pb_rec_mbox_flagged *r)
{
	size_t msn = imap_view_msn_of(v, r->uid);
	if (msn == 0)
		return 0; /* expunged since, or not listed yet (its listing has the new flags) */
	const struct pb_rec_mbox_entry *old = IMAP_MSG(v, msn);
	if (r->modseq < old->modseq)
		return 0; /* older than what the view has */
	bool same = old->flags == r->flags &&
		    strcmp(old->keywords ? old->keywords : "", r->keywords) == 0;
	if (same && r->modseq == old->modseq)
		return 0; /* what the view has (its listing is not copied for nothing) */
	struct pb_rec_mbox_entry *e = imap_view_entry_w(v, msn);
	e->modseq = r->modseq;
	if (same)
		return 0; /* the session's own STORE, told already */
	e->flags = r->flags;
	pb_str_set(&e->keywords, r->keywords);
	return (uint32_t)msn;
}

static void tell_flags(struct imap_session *s)
{
	struct imap_view *v = s->view;
	struct pb_rec_mbox_flagged_list *l = &v->pending.flags;
	uint32_t *msns = xmalloc((l->n + 1) * sizeof(*msns));
	size_t n = 0;
	bool learnt = false;

	for (uint32_t i = 0; i < l->n; i++) {
		uint32_t msn = apply_flags(v, &l->v[i]);
		if (msn != 0) {
			msns[n++] = msn;
			learnt |= imap_view_learn_keywords(v, l->v[i].keywords);
		}
	}
	qsort(msns, n, sizeof(*msns), cmp_u32);
	if (learnt)
		imap_view_write_flags(s);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || msns[i] != msns[i - 1])
			imap_view_fetch_flags(s, msns[i], false);
	free(msns);
	pb_rec_mbox_flagged_list_clear(l);
	imap_view_settle(s);
}

/* The new messages listed: added to the view, EXISTS told. */
static void add_listed(struct imap_session *s)
{
	struct imap_view *v = s->view;
	struct pb_rec_mbox_entry_list *l = &s->listing.entries, *mine = NULL;
	uint32_t last = IMAP_COUNT(v) > 0 ? IMAP_MSG(v, IMAP_COUNT(v))->uid : 0;
	size_t before = IMAP_COUNT(v);
	bool learnt = false;

	for (uint32_t i = 0; i < l->n; i++) {
		if (l->v[i].uid <= last)
			continue;
		learnt |= imap_view_learn_keywords(v, l->v[i].keywords);
		if (mine == NULL)
			mine = imap_view_edit(v);
		*pb_rec_mbox_entry_push(mine) = l->v[i];
		l->v[i].blob_key = l->v[i].keywords = NULL;
		last = l->v[i].uid;
	}
	v->list.uidnext = s->listing.uidnext;
	if (s->listing.highestmodseq > v->list.highestmodseq)
		v->list.highestmodseq = s->listing.highestmodseq;
	mailbox_list_free(&s->listing);
	memset(&s->listing, 0, sizeof(s->listing));
	imap_view_settle(s);
	if (learnt)
		imap_view_write_flags(s);
	if (IMAP_COUNT(v) != before)
		imap_untagged(s, "%u EXISTS", (unsigned)IMAP_COUNT(v));
}

static void on_listed(struct imap_session *s, uint32_t code)
{
	imap_listed_fn *then = (imap_listed_fn *)s->refreshed;
	bool whole = s->view != NULL && s->view->relisting;

	s->refreshed = NULL;
	if (s->view != NULL)
		s->view->relisting = false;
	if (code == PB_OK && s->view != NULL) {
		if (whole) {
			imap_view_sync(s);
		} else {
			add_listed(s);
		}
	}
	then(s, code);
}

/* Lists the folder afresh (whole: every message) or past the view's last uid. */
static int list_changes(struct imap_session *s, bool whole, imap_listed_fn *then)
{
	struct imap_view *v = s->view;
	uint32_t from = IMAP_COUNT(v) > 0 ? IMAP_MSG(v, IMAP_COUNT(v))->uid + 1 : 1;

	if (whole)
		pending_clear(&v->pending); /* an event during the listing marks it again */
	v->pending.appended = false;
	v->relisting = whole;
	s->refreshed = (void *)then;
	if (imap_view_list_from(s, v->folder, whole ? 0 : from, on_listed) == 0)
		return 0;
	s->refreshed = NULL;
	v->relisting = false;
	v->pending.appended = !whole;
	v->pending.resync = whole;
	return -1;
}

/* Whether EXPUNGE may go out before cmd's answer (RFC 3501 7.4.1: not during FETCH, STORE or
 * SEARCH, nor SORT/THREAD, which number as SEARCH does, RFC 5256; their UID forms may). */
static bool may_expunge_at(const struct imap_cmd *cmd)
{
	switch (cmd->kind) {
	case IMAP_CMD_FETCH:
	case IMAP_CMD_STORE:
	case IMAP_CMD_SEARCH:
	case IMAP_CMD_SORT:
	case IMAP_CMD_THREAD: return cmd->uid;
	case IMAP_CMD_LOGOUT: return false; /* it says BYE itself */
	default: return true;
	}
}

bool imap_view_gone_said(struct imap_session *s, const struct imap_cmd *cmd)
{
	if (s->view == NULL || !s->view->pending.gone || !may_expunge_at(cmd))
		return false;
	imap_bye(s, "Selected mailbox was deleted, have to disconnect.");
	return true;
}

int imap_view_refresh(struct imap_session *s, imap_listed_fn *then)
{
	struct imap_view *v = s->view;

	if (v == NULL) {
		then(s, PB_OK);
		return 0;
	}
	if (v->pending.gone) {
		imap_bye(s, "Selected mailbox was deleted, have to disconnect.");
		return 0;
	}
	if (!s->watching)
		v->pending.resync = true; /* no events come: only a listing tells */
	if (v->pending.resync)
		return list_changes(s, true, then);
	tell_expunged(s);
	tell_flags(s);
	if (v->pending.appended)
		return list_changes(s, false, then);
	imap_view_settle(s); /* a STORE's or FETCH's own change shared again */
	then(s, PB_OK);
	return 0;
}
