/*
 * mailbox-actor.c: the mailbox owner shard (see mailbox-actor.h): its state, the mailbox record,
 * the helpers every handler shares, the maildrop lock, and the handler table (the other handlers
 * are in the files mailbox-actor-int.h lists).
 * OWNS: struct mailbox_shard (mailbox-actor-int.h) — which users are known to have a mailbox
 * since start, the maildrop locks, the watcher lists, the open APPEND uploads and a hint of each
 * user's INBOX folder id. All are rebuilt
 * empty on restart: the mailbox records
 * are in the store, and watchers register again when they see their watch answered with an
 * error. Records: only its own (store-mail.h); it never reads accounts — a user has mail once
 * the directory had the mailbox created (MBOX_CREATE_REQ), until the purge.
 * THREAD: the shard's actor thread only.
 */
#include "mailbox-actor-int.h"

#include "store-spool.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Slots of the INBOX id hint (by user id modulo): a delivery reads its folder by id, not by
 * listing every folder of the user (an iterator over every table file of the family). */
#define MAILBOX_INBOX_HINTS 1024

static int mb_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct mailbox_shard *s = xcalloc(1, sizeof(*s));
	uint32_t count = 1;

	s->store = arg;
	if (pb_actor_shard(a, &s->index, &count) < 0)
		s->index = 0;
	/* APPEND uploads left by this shard before a restart are dropped */
	if (pb_store_uploads_clean(s->store, PB_UPLOAD_OWNER_MAILBOX + s->index, count, NULL,
				   error_r) < 0) {
		free(s);
		return -1;
	}
	s->inbox_hints = xcalloc(MAILBOX_INBOX_HINTS, sizeof(*s->inbox_hints));
	*state_r = s;
	return 0;
}

static void mb_deinit(struct pb_actor *a, void *state)
{
	struct mailbox_shard *s = state;

	mailbox_watch_deinit(s);
	mailbox_uploads_deinit(s);
	mailbox_page_deinit(s);
	for (size_t i = 0; i < s->n_locks; i++)
		free(s->locks[i].holder);
	free(s->locks);
	free(s->ready_users);
	free(s->inbox_hints);
	free(s);
}

static void mb_on_timer(struct pb_actor *a, void *state, uint32_t id, uint64_t now_ms)
{
	if (id == MAILBOX_TIMER_RESYNC)
		mailbox_watch_on_timer(a, state);
	else if (id == MAILBOX_TIMER_UPLOADS)
		mailbox_uploads_on_timer(a, state, now_ms);
	else if (id == MAILBOX_TIMER_INBOX)
		mailbox_inbox_on_timer(a, state);
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
 * created the account; read once per user per start, when any default folder the account
 * lacks is made: an account older than Archive gets it on its first use after a start). Returns 1, 0 if not (an id without an
 * account, or a deleted user's late delivery: it must not bring folders back), -1 on a store
 * error. */
static int mailbox_ready(struct mailbox_shard *s, uint64_t id, const char **error_r)
{
	size_t pos = ready_pos(s, id);

	if (pos < s->n_ready && s->ready_users[pos] == id)
		return 1;
	int found = pb_store_mailbox_exists(s->store, id, error_r);
	/* a default folder added since the account was made (Archive) is made now */
	if (found > 0 && pb_store_folders_init(s->store, id, pb_clock_wall_ms(), error_r) < 0)
		return -1;
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

int mailbox_store_failed(struct pb_actor *a, const struct pb_msg *m, const char *error)
{
	pb_error("mailbox", "event=store_error actor=%s request=%s reason=%s", pb_actor_name(a),
		 pb_msg_name(m->type), PB_LOGQ(error));
	pb_reply_status(a, m, PB_ERR_INTERNAL, "the mailbox store failed; see the server log");
	return 0;
}

/* The user's folder called name. The INBOX is read by the id it had last time when there is
 * one, and taken only if it is still called INBOX (a rename or a delete since falls back to
 * the search by name, which notes the id again). Returns 1 found, 0 not, -1 (error_r). */
static int folder_find(struct mailbox_shard *s, uint64_t user_id, const char *name,
		       struct pb_folder_rec *f, const char **error_r)
{
	struct mailbox_inbox_hint *hint = &s->inbox_hints[user_id % MAILBOX_INBOX_HINTS];
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
		*hint = (struct mailbox_inbox_hint){ user_id, f->id };
	return found;
}

int mailbox_user_or_reply(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
			  uint64_t user_id)
{
	const char *error;
	int exists = mailbox_ready(s, user_id, &error);

	if (exists < 0)
		return mailbox_store_failed(a, m, error);
	if (exists == 0)
		pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such user");
	return exists;
}

uint32_t *mailbox_uids32(const struct pb_u64v *v, size_t *n_r)
{
	uint32_t *u = xcalloc(v->n != 0 ? v->n : 1, sizeof(uint32_t));
	size_t n = 0;
	for (uint32_t i = 0; i < v->n; i++) {
		if (v->v[i] > 0 && v->v[i] <= UINT32_MAX)
			u[n++] = (uint32_t)v->v[i];
	}
	*n_r = n;
	return u;
}

int mailbox_folder_or_reply(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
			    uint64_t user_id, const char *name, struct pb_folder_rec *f)
{
	const char *error;

	memset(f, 0, sizeof(*f));
	if (!mailbox_user_or_reply(a, s, m, user_id))
		return 0;
	int found = folder_find(s, user_id, name && *name ? name : "INBOX", f, &error);
	if (found < 0)
		return mailbox_store_failed(a, m, error);
	if (found == 0)
		pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such folder");
	return found;
}

static int on_purge(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	const char *error;
	uint64_t id = m->u.mbox_purge_req.user_id;

	if (pb_store_user_purge(s->store, id, &error) < 0)
		return mailbox_store_failed(a, m, error);
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
		return mailbox_store_failed(a, m, error);
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
	bool blocked = false;
	if (exists < 0 ||
	    (exists > 0 && (pb_store_user_stats(s->store, id, &r->messages, &r->bytes, &error) < 0 ||
			    mailbox_quota_stat(a, s, id, r->bytes, &r->quota_bytes, &blocked,
					       &error) < 0))) {
		pb_msg_free(&rep);
		return mailbox_store_failed(a, m, error);
	}
	r->exists = exists > 0;
	r->blocked = blocked;
	r->error = xstrdup("");
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
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
	{ MSG_MBOX_APPEND_REQ, mailbox_on_append },
	{ MSG_MBOX_LIST_REQ, mailbox_on_list },
	{ MSG_MBOX_FLAGS_REQ, mailbox_on_flags },
	{ MSG_MBOX_EXPUNGE_REQ, mailbox_on_expunge },
	{ MSG_MBOX_PURGE_REQ, on_purge },
	{ MSG_MBOX_WATCH_REQ, mailbox_on_watch },
	{ MSG_MBOX_CREATE_REQ, on_create },
	{ MSG_MBOX_STAT_REQ, on_stat },
	{ MSG_MBOX_FOLDERS_REQ, mailbox_on_folders },
	{ MSG_MBOX_FOLDER_REQ, mailbox_on_folder },
	{ MSG_MBOX_COPY_REQ, mailbox_on_copy },
	{ MSG_MBOX_EXPUNGE_DELETED_REQ, mailbox_on_expunge_deleted },
	{ MSG_MBOX_STORE_REQ, mailbox_on_store },
	{ MSG_MBOX_PAGE_REQ, mailbox_on_page },
	{ MSG_MBOX_FOLDER_WATCH_REQ, mailbox_on_folder_watch },
	{ MSG_MBOX_UPLOAD_BEGIN_REQ, mailbox_on_upload_begin },
	{ MSG_MBOX_UPLOAD_CHUNK_REQ, mailbox_on_upload_chunk },
	{ MSG_MBOX_UPLOAD_COMMIT_REQ, mailbox_on_upload_commit },
	{ MSG_MBOX_UPLOAD_ABORT_REQ, mailbox_on_upload_abort },
	{ MSG_MBOX_QUOTA_SET_REQ, mailbox_on_quota_set },
	{ MSG_MBOX_QUOTA_REMIND_REQ, mailbox_on_quota_remind },
};

const struct pb_actor_def mailbox_actor_def = {
	.name = "mailbox",
	.inbox_size = 4096,
	.init = mb_init,
	.deinit = mb_deinit,
	.handlers = mailbox_handlers,
	.n_handlers = PB_N_ELEMENTS(mailbox_handlers),
	.on_timer = mb_on_timer,
};
