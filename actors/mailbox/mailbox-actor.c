/*
 * mailbox-actor.c: the mailbox owner shard's handlers (see mailbox-actor.h).
 * OWNS: struct mailbox_shard — which users are known to have a mailbox since start, the
 * maildrop locks, the watcher list and a hint of each user's INBOX folder id. All are rebuilt
 * empty on restart: the mailbox records
 * are in the store, and watchers register again when they see their watch answered with an
 * error. Records: only its own (store-mail.h); it never reads accounts — a user has mail once
 * the directory had the mailbox created (MBOX_CREATE_REQ), until the purge.
 * THREAD: the shard's actor thread only.
 */
#include "mailbox-actor.h"
#include "mailbox-client.h"

#include "pb-log.h"
#include "store-mail.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The most messages one MBOX_LIST looks at (a CHANGEDSINCE page may match few of them): bounds
 * the time a shard spends on one request whatever the folder's size. */
#define MAILBOX_LIST_SCAN_MAX (16 * MAILBOX_LIST_MAX)

/* Slots of the INBOX id hint (by user id modulo): a delivery reads its folder by id, not by
 * listing every folder of the user (an iterator over every table file of the family). */
#define MAILBOX_INBOX_HINTS 1024

struct inbox_hint {
	uint64_t user_id;
	uint32_t folder_id; /* 0: none */
};

struct watcher {
	uint64_t user_id;
	char *addr;
};

struct lock {
	uint64_t user_id;
	char *holder;
	uint64_t expires_ms;
};

struct mailbox_shard {
	struct pb_store *store;
	struct lock *locks; /* maildrop locks (POP3), in memory: a restart frees them all */
	size_t n_locks;
	uint64_t *ready_users; /* sorted ids whose folders exist */
	size_t n_ready;
	struct watcher *watchers;
	size_t n_watchers;
	struct inbox_hint *inbox_hints; /* MAILBOX_INBOX_HINTS; checked on use, never trusted */
};

static int mb_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct mailbox_shard *s = xcalloc(1, sizeof(*s));
	s->store = arg;
	s->inbox_hints = xcalloc(MAILBOX_INBOX_HINTS, sizeof(*s->inbox_hints));
	*state_r = s;
	return 0;
}

static void mb_deinit(struct pb_actor *a, void *state)
{
	struct mailbox_shard *s = state;
	for (size_t i = 0; i < s->n_watchers; i++)
		free(s->watchers[i].addr);
	free(s->watchers);
	for (size_t i = 0; i < s->n_locks; i++)
		free(s->locks[i].holder);
	free(s->locks);
	free(s->ready_users);
	free(s->inbox_hints);
	free(s);
}

static size_t ready_pos(struct mailbox_shard *s, uint64_t id)
{
	size_t lo = 0, hi = s->n_ready;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->ready_users[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Adds id to the shard's set of users known to have a mailbox. */
static void remember_user(struct mailbox_shard *s, uint64_t id)
{
	size_t pos = ready_pos(s, id);

	if (pos < s->n_ready && s->ready_users[pos] == id)
		return;
	s->ready_users = xrealloc(s->ready_users, sizeof(uint64_t) * (s->n_ready + 1));
	memmove(&s->ready_users[pos + 1], &s->ready_users[pos], sizeof(uint64_t) * (s->n_ready - pos));
	s->ready_users[pos] = id;
	s->n_ready++;
}

/* Whether the user has a mailbox (its record, made by MBOX_CREATE_REQ when the directory
 * created the account; read once per user per start). Returns 1, 0 if not (an id without an
 * account, or a deleted user's late delivery: it must not bring folders back), -1 on a store
 * error. */
static int mailbox_ready(struct mailbox_shard *s, uint64_t id, const char **error_r)
{
	size_t pos = ready_pos(s, id);

	if (pos < s->n_ready && s->ready_users[pos] == id)
		return 1;
	int found = pb_store_mailbox_exists(s->store, id, error_r);
	if (found > 0)
		remember_user(s, id);
	return found;
}

static void forget_user(struct mailbox_shard *s, uint64_t id)
{
	size_t pos = ready_pos(s, id);
	if (pos < s->n_ready && s->ready_users[pos] == id) {
		memmove(&s->ready_users[pos], &s->ready_users[pos + 1],
			sizeof(uint64_t) * (s->n_ready - pos - 1));
		s->n_ready--;
	}
}

static int store_failed(struct pb_actor *a, const struct pb_msg *m, const char *error)
{
	pb_error("mailbox", "event=store_error actor=%s request=%s reason=%s", pb_actor_name(a),
		 pb_msg_name(m->type), PB_LOGQ(error));
	pb_reply_status(a, m, PB_ERR_INTERNAL, "the mailbox store failed; see the server log");
	return 0;
}

/* Finds the folder named in a request (empty: INBOX), answering errors itself.
 * Returns 1 found (caller frees f), 0 answered. */
/* The user's folder called name. The INBOX is read by the id it had last time when there is
 * one, and taken only if it is still called INBOX (a rename or a delete since falls back to
 * the search by name, which notes the id again). Returns 1 found, 0 not, -1 (error_r). */
static int folder_find(struct mailbox_shard *s, uint64_t user_id, const char *name,
		       struct pb_folder_rec *f, const char **error_r)
{
	struct inbox_hint *hint = &s->inbox_hints[user_id % MAILBOX_INBOX_HINTS];
	bool inbox = strcasecmp(name, "INBOX") == 0;

	if (inbox && hint->user_id == user_id && hint->folder_id != 0) {
		int found = pb_store_folder_get_by_id(s->store, user_id, hint->folder_id, f, error_r);
		if (found < 0)
			return -1;
		if (found > 0 && strcmp(f->name, "INBOX") == 0)
			return 1;
		if (found > 0)
			pb_folder_rec_free(f);
		memset(f, 0, sizeof(*f));
	}
	int found = pb_store_folder_get(s->store, user_id, name, f, error_r);
	if (found > 0 && inbox)
		*hint = (struct inbox_hint){ user_id, f->id };
	return found;
}

static int folder_or_reply(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
			   uint64_t user_id, const char *name, struct pb_folder_rec *f)
{
	const char *error;

	memset(f, 0, sizeof(*f));
	int exists = mailbox_ready(s, user_id, &error);
	if (exists < 0)
		return store_failed(a, m, error);
	if (exists == 0) {
		pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such user");
		return 0;
	}
	int found = folder_find(s, user_id, name && *name ? name : "INBOX", f, &error);
	if (found < 0)
		return store_failed(a, m, error);
	if (found == 0)
		pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such folder");
	return found;
}

static void notify(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
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

static int on_append(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_append_req *q = &m->u.mbox_append_req;
	struct pb_folder_rec f;
	struct pb_msg_rec rec;
	struct pb_msg rep;
	const char *error;

	if (!folder_or_reply(a, s, m, q->user_id, q->folder, &f))
		return 0;
	memset(&rec, 0, sizeof(rec));
	rec.flags = q->flags;
	rec.keywords = q->keywords != NULL && q->keywords[0] != '\0' ? q->keywords : NULL;
	rec.internal_date_ms = q->internal_date_ms;
	rec.size = q->size;
	snprintf(rec.blob_key, sizeof(rec.blob_key), "%s", q->blob_key ? q->blob_key : "");
	int rc = pb_store_msg_append_ex(s->store, q->user_id, f.id, &rec,
					q->dedupe_key && *q->dedupe_key ? q->dedupe_key : NULL, !q->lazy,
					&error);
	if (rc < 0) {
		pb_folder_rec_free(&f);
		return store_failed(a, m, error);
	}
	pb_msg_init(&rep, MSG_MBOX_APPEND_REP);
	rep.u.mbox_append_rep.error = xstrdup("");
	rep.u.mbox_append_rep.uidvalidity = f.uidvalidity;
	rep.u.mbox_append_rep.uid = rec.uid;
	rep.u.mbox_append_rep.modseq = rec.modseq;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	if (rc == 0)
		notify(a, s, q->user_id, f.name, rec.modseq, MAILBOX_APPENDED, rec.uid);
	pb_folder_rec_free(&f);
	return 0;
}

static int on_list(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_list_req *q = &m->u.mbox_list_req;
	struct pb_folder_rec f;
	struct pb_msg_rec *recs;
	size_t n;
	struct pb_msg rep;
	const char *error;

	if (!folder_or_reply(a, s, m, q->user_id, q->folder, &f))
		return 0;
	struct pb_msg_list_range range = {
		.uid_first = q->uid_first, .uid_last = q->uid_last,
		.changed_since = q->changed_since,
		.max = q->limit != 0 && q->limit < MAILBOX_LIST_MAX ? q->limit : MAILBOX_LIST_MAX,
		.max_scan = MAILBOX_LIST_SCAN_MAX,
	};
	uint32_t next_uid;
	if (pb_store_msg_list_range(s->store, q->user_id, f.id, &range, &recs, &n, &next_uid,
				    &error) < 0) {
		pb_folder_rec_free(&f);
		return store_failed(a, m, error);
	}
	pb_msg_init(&rep, MSG_MBOX_LIST_REP);
	struct msg_mbox_list_rep *r = &rep.u.mbox_list_rep;
	r->error = xstrdup("");
	r->uidvalidity = f.uidvalidity;
	r->uidnext = f.uidnext;
	r->highestmodseq = f.highestmodseq;
	r->next_uid = next_uid;
	for (size_t i = 0; i < n; i++) {
		struct pb_rec_mbox_entry *e = pb_rec_mbox_entry_push(&r->entries);
		e->uid = recs[i].uid;
		e->size = recs[i].size;
		e->flags = recs[i].flags;
		e->modseq = recs[i].modseq;
		e->internal_date_ms = recs[i].internal_date_ms;
		e->blob_key = xstrdup(recs[i].blob_key);
	}
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	pb_msg_recs_free(recs, n);
	pb_folder_rec_free(&f);
	return 0;
}

/* Copies a vector of uids into the store's uint32 form; uids beyond 32 bits are dropped. */
static uint32_t *uids32(const struct pb_u64v *v, size_t *n_r)
{
	uint32_t *u = xcalloc(v->n, sizeof(uint32_t));
	size_t n = 0;
	for (uint32_t i = 0; i < v->n; i++) {
		if (v->v[i] > 0 && v->v[i] <= UINT32_MAX)
			u[n++] = (uint32_t)v->v[i];
	}
	*n_r = n;
	return u;
}

static int on_flags(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_flags_req *q = &m->u.mbox_flags_req;
	struct pb_folder_rec f;
	struct pb_msg rep;
	const char *error;
	uint64_t modseq = 0;
	size_t n;

	if (q->mode > PB_FLAGS_REMOVE) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "bad flag change mode");
		return 0;
	}
	if (!folder_or_reply(a, s, m, q->user_id, q->folder, &f))
		return 0;
	uint32_t *uids = uids32(&q->uids, &n);
	int rc = pb_store_msg_set_flags(s->store, q->user_id, f.id, uids, n, (int)q->mode, q->flags,
					&modseq, &error);
	free(uids);
	if (rc < 0) {
		pb_folder_rec_free(&f);
		return store_failed(a, m, error);
	}
	pb_msg_init(&rep, MSG_MBOX_FLAGS_REP);
	rep.u.mbox_flags_rep.error = xstrdup("");
	rep.u.mbox_flags_rep.modseq = modseq;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	if (modseq > f.highestmodseq)
		notify(a, s, q->user_id, f.name, modseq, MAILBOX_FLAGS, 0);
	pb_folder_rec_free(&f);
	return 0;
}

static int on_expunge(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_expunge_req *q = &m->u.mbox_expunge_req;
	struct pb_folder_rec f;
	const char *error;
	size_t n;

	if (!folder_or_reply(a, s, m, q->user_id, q->folder, &f))
		return 0;
	uint32_t *uids = uids32(&q->uids, &n);
	int rc = n == 0 ? 0 : pb_store_msg_expunge(s->store, q->user_id, f.id, uids, n, &error);
	free(uids);
	if (rc < 0) {
		pb_folder_rec_free(&f);
		return store_failed(a, m, error);
	}
	pb_reply_status(a, m, PB_OK, "");
	if (n > 0)
		notify(a, s, q->user_id, f.name, f.highestmodseq + 1, MAILBOX_EXPUNGED, 0);
	pb_folder_rec_free(&f);
	return 0;
}

static int on_purge(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	const char *error;
	uint64_t id = m->u.mbox_purge_req.user_id;

	if (pb_store_user_purge(s->store, id, &error) < 0)
		return store_failed(a, m, error);
	forget_user(s, id);
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}

static int on_create(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	const char *error;
	uint64_t id = m->u.mbox_create_req.user_id;

	if (pb_store_folders_init(s->store, id, pb_clock_wall_ms(), &error) < 0)
		return store_failed(a, m, error);
	remember_user(s, id);
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}

static int on_stat(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	uint64_t id = m->u.mbox_stat_req.user_id;
	struct pb_msg rep;
	const char *error;

	pb_msg_init(&rep, MSG_MBOX_STAT_REP);
	struct msg_mbox_stat_rep *r = &rep.u.mbox_stat_rep;
	int exists = mailbox_ready(s, id, &error);
	if (exists < 0 ||
	    (exists > 0 && pb_store_user_stats(s->store, id, &r->messages, &r->bytes, &error) < 0)) {
		pb_msg_free(&rep);
		return store_failed(a, m, error);
	}
	r->exists = exists > 0;
	r->error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static int on_watch(struct pb_actor *a, void *state, struct pb_msg *m)
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

/* Takes or releases the maildrop lock of a user. A lock past its expiry may be taken over. */
static int on_lock(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_lock_req *q = &m->u.mbox_lock_req;
	uint64_t now = pb_runtime_now_ms(pb_actor_runtime(a));
	size_t i = 0;

	while (i < s->n_locks && s->locks[i].user_id != q->user_id)
		i++;
	if (i < s->n_locks && strcmp(s->locks[i].holder, q->holder) != 0 &&
	    s->locks[i].expires_ms > now) {
		pb_reply_status(a, m, q->on ? PB_ERR_EXISTS : PB_ERR_NOTFOUND,
				"the maildrop is locked by another session");
		return 0;
	}
	if (i < s->n_locks) {
		free(s->locks[i].holder);
		s->locks[i] = s->locks[--s->n_locks];
	}
	if (q->on) {
		s->locks = xrealloc(s->locks, sizeof(*s->locks) * (s->n_locks + 1));
		s->locks[s->n_locks].user_id = q->user_id;
		s->locks[s->n_locks].holder = xstrdup(q->holder);
		s->locks[s->n_locks++].expires_ms = now + (q->ttl_ms ? q->ttl_ms : 3600000);
	}
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}

static const struct pb_handler mailbox_handlers[] = {
	{ MSG_MBOX_LOCK_REQ, on_lock },
	{ MSG_MBOX_APPEND_REQ, on_append },   { MSG_MBOX_LIST_REQ, on_list },
	{ MSG_MBOX_FLAGS_REQ, on_flags },     { MSG_MBOX_EXPUNGE_REQ, on_expunge },
	{ MSG_MBOX_PURGE_REQ, on_purge },     { MSG_MBOX_WATCH_REQ, on_watch },
	{ MSG_MBOX_CREATE_REQ, on_create },   { MSG_MBOX_STAT_REQ, on_stat },
};

const struct pb_actor_def mailbox_actor_def = {
	.name = "mailbox",
	.inbox_size = 4096,
	.init = mb_init,
	.deinit = mb_deinit,
	.handlers = mailbox_handlers,
	.n_handlers = PB_N_ELEMENTS(mailbox_handlers),
};
