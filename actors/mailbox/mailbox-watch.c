/*
 * mailbox-watch.c: the mailbox owner's watchers. Per user (MBOX_WATCH_REQ: MBOX_CHANGED_EVT, a
 * hint that something changed) and per folder (MBOX_FOLDER_WATCH_REQ: MBOX_FOLDER_EVT saying
 * exactly what changed — appended uids, expunged uids, new flags — so an IMAP session can send
 * EXISTS, EXPUNGE and FETCH FLAGS without rereading the folder).
 *
 * Why a watch that falls behind gets RESYNC: events are cast to the session's gateway inbox,
 * which is bounded. When a cast fails (full) the watch is marked behind and gets nothing more
 * until one MBOX_FOLDER_EVT what=MAILBOX_EVT_RESYNC goes through (tried at the next change of
 * the folder and on a timer): the session then rereads the folder, which covers every event it
 * missed. So no queue of events grows in the owner, and a session never applies an event list
 * with a hole in it (seq numbers the events sent to one watch, from 1, without gaps).
 * OWNS: the shard's watcher lists (struct mailbox_shard, mailbox-actor-int.h).
 * THREAD: the shard's actor thread.
 */
#include "mailbox-actor-int.h"

#include <stdlib.h>
#include <string.h>

/* Folder watches one shard holds (sessions with a folder selected, over all its users). */
#define MAILBOX_FOLDER_WATCHES_MAX 65536
/* How often a watch that fell behind is offered its RESYNC again. */
#define MAILBOX_RESYNC_RETRY_MS 200

void mailbox_watch_deinit(struct mailbox_shard *s)
{
	for (size_t i = 0; i < s->n_watchers; i++)
		free(s->watchers[i].addr);
	free(s->watchers);
	for (size_t i = 0; i < s->n_fwatches; i++)
		free(s->fwatches[i].addr);
	free(s->fwatches);
}

void mailbox_notify(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
		   const char *folder, uint64_t modseq, uint32_t what, uint32_t uid)
{
	struct pb_msg ev;
	const char *error;

	for (size_t i = 0; i < s->n_watchers; i++) {
		if (s->watchers[i].user_id != user_id)
			continue;
		pb_msg_init(&ev, MSG_MBOX_CHANGED_EVT);
		ev.u.mbox_changed_evt.user_id = user_id;
		ev.u.mbox_changed_evt.folder = xstrdup(folder);
		ev.u.mbox_changed_evt.modseq = modseq;
		ev.u.mbox_changed_evt.what = what;
		ev.u.mbox_changed_evt.uid = uid;
		/* a watcher that is gone or slow misses an event; it rereads state anyway */
		(void)pb_cast(pb_actor_runtime(a), s->watchers[i].addr, &ev, &error);
		pb_msg_free(&ev);
	}
}

int mailbox_on_watch(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_watch_req *q = &m->u.mbox_watch_req;

	for (size_t i = 0; i < s->n_watchers; i++) {
		if (s->watchers[i].user_id == q->user_id && strcmp(s->watchers[i].addr, q->watcher) == 0) {
			free(s->watchers[i].addr);
			s->watchers[i] = s->watchers[--s->n_watchers];
			break;
		}
	}
	if (q->on) {
		s->watchers = xrealloc(s->watchers, sizeof(*s->watchers) * (s->n_watchers + 1));
		s->watchers[s->n_watchers].user_id = q->user_id;
		s->watchers[s->n_watchers++].addr = xstrdup(q->watcher);
	}
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}


/* Sends ev to the watch w (ev's seq set); marks it behind when that fails. Returns 0 / -1. */
static int watch_send(struct pb_actor *a, struct mailbox_folder_watch *w, struct pb_msg *ev)
{
	const char *error;

	ev->u.mbox_folder_evt.seq = w->seq + 1;
	if (pb_cast(pb_actor_runtime(a), w->addr, ev, &error) < 0) {
		if (!w->behind)
			pb_actor_timer_set(a, MAILBOX_TIMER_RESYNC, MAILBOX_RESYNC_RETRY_MS);
		w->behind = true;
		return -1;
	}
	w->seq++;
	return 0;
}

static void event_init(struct pb_msg *ev, uint64_t user_id, const struct pb_folder_rec *f,
		       uint32_t what)
{
	pb_msg_init(ev, MSG_MBOX_FOLDER_EVT);
	ev->u.mbox_folder_evt.user_id = user_id;
	ev->u.mbox_folder_evt.folder_id = f != NULL ? f->id : 0;
	ev->u.mbox_folder_evt.folder = xstrdup(f != NULL ? f->name : "");
	ev->u.mbox_folder_evt.what = what;
	ev->u.mbox_folder_evt.modseq = f != NULL ? f->highestmodseq : 0;
	ev->u.mbox_folder_evt.uidnext = f != NULL ? f->uidnext : 0;
}

/* Offers a watch that is behind its RESYNC. Returns 0 it got it, -1 still behind. */
static int watch_resync(struct pb_actor *a, struct mailbox_folder_watch *w,
			const struct pb_folder_rec *f)
{
	struct pb_msg ev;

	event_init(&ev, w->user_id, f, MAILBOX_EVT_RESYNC);
	ev.u.mbox_folder_evt.folder_id = w->folder_id;
	int ret = watch_send(a, w, &ev);
	pb_msg_free(&ev);
	if (ret == 0)
		w->behind = false;
	return ret;
}

static void watch_remove(struct mailbox_shard *s, size_t i)
{
	free(s->fwatches[i].addr);
	s->fwatches[i] = s->fwatches[--s->n_fwatches];
}

void mailbox_folder_event(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
			  const struct pb_folder_rec *f, uint32_t what, const uint32_t *uids,
			  size_t n, const struct pb_rec_mbox_flagged_list *flags)
{
	struct pb_msg ev;

	event_init(&ev, user_id, f, what);
	for (size_t i = 0; i < n; i++)
		pb_u64v_push(&ev.u.mbox_folder_evt.uids, uids[i]);
	for (uint32_t i = 0; flags != NULL && i < flags->n; i++) {
		struct pb_rec_mbox_flagged *r = pb_rec_mbox_flagged_push(&ev.u.mbox_folder_evt.flags);
		*r = flags->v[i];
		r->keywords = xstrdup(flags->v[i].keywords);
	}
	for (size_t i = 0; i < s->n_fwatches;) {
		struct mailbox_folder_watch *w = &s->fwatches[i];
		if (w->user_id != user_id || w->folder_id != f->id) {
			i++;
			continue;
		}
		if (w->behind)
			(void)watch_resync(a, w, f);
		else
			(void)watch_send(a, w, &ev);
		if (what == MAILBOX_EVT_GONE)
			watch_remove(s, i);
		else
			i++;
	}
	pb_msg_free(&ev);
}

void mailbox_watch_on_timer(struct pb_actor *a, struct mailbox_shard *s)
{
	bool behind = false;

	for (size_t i = 0; i < s->n_fwatches; i++) {
		struct mailbox_folder_watch *w = &s->fwatches[i];
		struct pb_folder_rec f;
		const char *error;
		if (!w->behind)
			continue;
		int found = pb_store_folder_get_by_id(s->store, w->user_id, w->folder_id, &f, &error);
		if (found < 0)
			pb_warn("mailbox", "event=resync_read_failed reason=%s", PB_LOGQ(error));
		if (found > 0 ? watch_resync(a, w, &f) < 0 : watch_resync(a, w, NULL) < 0)
			behind = true;
		if (found > 0)
			pb_folder_rec_free(&f);
	}
	if (behind)
		pb_actor_timer_set(a, MAILBOX_TIMER_RESYNC, MAILBOX_RESYNC_RETRY_MS);
}

static void watch_reply(struct pb_actor *a, const struct pb_msg *m, const struct pb_folder_rec *f)
{
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_MBOX_FOLDER_WATCH_REP);
	struct msg_mbox_folder_watch_rep *r = &rep.u.mbox_folder_watch_rep;
	r->error = xstrdup("");
	r->folder_id = f->id;
	r->uidvalidity = f->uidvalidity;
	r->uidnext = f->uidnext;
	r->highestmodseq = f->highestmodseq;
	r->messages = f->messages;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
}

/* Ends every watch of watcher on the user's folders. */
static void watch_drop(struct mailbox_shard *s, uint64_t user_id, const char *watcher)
{
	for (size_t i = 0; i < s->n_fwatches;) {
		if (s->fwatches[i].user_id == user_id && strcmp(s->fwatches[i].addr, watcher) == 0)
			watch_remove(s, i);
		else
			i++;
	}
}

int mailbox_on_folder_watch(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_folder_watch_req *q = &m->u.mbox_folder_watch_req;
	struct pb_folder_rec f;

	watch_drop(s, q->user_id, q->watcher); /* a session watches one folder at a time */
	if (!q->on) {
		struct pb_folder_rec none = { 0 };
		watch_reply(a, m, &none);
		return 0;
	}
	if (*q->watcher == '\0') {
		pb_reply_status(a, m, PB_ERR_REFUSED, "no watcher address");
		return 0;
	}
	if (s->n_fwatches >= MAILBOX_FOLDER_WATCHES_MAX) {
		pb_reply_status(a, m, PB_ERR_TEMP, "too many watched folders");
		return 0;
	}
	if (!mailbox_folder_or_reply(a, s, m, q->user_id, q->folder, &f))
		return 0;
	s->fwatches = xrealloc(s->fwatches, sizeof(*s->fwatches) * (s->n_fwatches + 1));
	s->fwatches[s->n_fwatches++] = (struct mailbox_folder_watch){
		.user_id = q->user_id, .folder_id = f.id, .addr = xstrdup(q->watcher)
	};
	watch_reply(a, m, &f);
	pb_folder_rec_free(&f);
	return 0;
}
