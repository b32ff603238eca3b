/*
 * mailbox-msgs.c: the mailbox owner's message handlers — append, list, flags, expunge (POP3 and
 * IMAP's \Deleted), copy and move, STORE of flags and keywords. Every change is one store
 * batch and is followed by the events its watchers need (mailbox-watch.c).
 * OWNS: nothing of its own (the shard's state: mailbox-actor-int.h). THREAD: the shard's.
 */
#include "mailbox-actor-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most messages one MBOX_LIST looks at (a CHANGEDSINCE page may match few of them): bounds
 * the time a shard spends on one request whatever the folder's size. */
#define MAILBOX_LIST_SCAN_MAX (16 * MAILBOX_LIST_MAX)

int mailbox_append_reply(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
			 uint64_t user_id, struct pb_folder_rec *f, struct pb_msg_rec *rec,
			 const char *dedupe_key, bool sync)
{
	struct pb_msg rep;
	const char *error;

	mailbox_sort_keys_fill(s->store, rec);
	int rc = pb_store_msg_append_ex(s->store, user_id, f->id, rec, dedupe_key, sync, &error);
	if (rc < 0)
		return mailbox_store_failed(a, m, error);
	pb_msg_init(&rep, MSG_MBOX_APPEND_REP);
	rep.u.mbox_append_rep = (struct msg_mbox_append_rep){
		0, xstrdup(""), f->uidvalidity, rec->uid, rec->modseq
	};
	if (rc == 0) /* watchers first: a session's next command after ours sees the change */
		mailbox_appended_events(a, s, user_id, f, rec);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	if (rc == 0)
		mailbox_quota_changed(a, s, user_id);
	return 0;
}

void mailbox_appended_events(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
			     struct pb_folder_rec *f, const struct pb_msg_rec *rec)
{
	mailbox_notify(a, s, user_id, f->name, rec->modseq, MAILBOX_APPENDED, rec->uid);
	f->uidnext = rec->uid + 1;
	f->highestmodseq = rec->modseq;
	mailbox_folder_event(a, s, user_id, f, MAILBOX_EVT_APPENDED, &rec->uid, 1, NULL);
}

int mailbox_on_append(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_append_req *q = &m->u.mbox_append_req;
	struct pb_folder_rec f;
	struct pb_msg_rec rec;

	if (q->create && !mailbox_folder_ensure_or_reply(a, s, m, q->user_id, q->folder))
		return 0;
	if (!mailbox_folder_or_reply(a, s, m, q->user_id, q->folder, &f))
		return 0;
	memset(&rec, 0, sizeof(rec));
	rec.flags = q->flags;
	rec.keywords = q->keywords != NULL && q->keywords[0] != '\0' ? q->keywords : NULL;
	rec.internal_date_ms = q->internal_date_ms;
	rec.size = q->size;
	snprintf(rec.blob_key, sizeof(rec.blob_key), "%s", q->blob_key ? q->blob_key : "");
	mailbox_append_reply(a, s, m, q->user_id, &f, &rec,
			     q->dedupe_key && *q->dedupe_key ? q->dedupe_key : NULL, !q->lazy);
	pb_folder_rec_free(&f);
	return 0;
}

void mailbox_entry_push(struct pb_rec_mbox_entry_list *l, const struct pb_msg_rec *rec)
{
	struct pb_rec_mbox_entry *e = pb_rec_mbox_entry_push(l);

	e->uid = rec->uid;
	e->size = rec->size;
	e->flags = rec->flags;
	e->modseq = rec->modseq;
	e->internal_date_ms = rec->internal_date_ms;
	e->blob_key = xstrdup(rec->blob_key);
	e->keywords = xstrdup(rec->keywords ? rec->keywords : "");
}

int mailbox_on_list(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_list_req *q = &m->u.mbox_list_req;
	struct pb_folder_rec f;
	struct pb_msg_rec *recs;
	size_t n;
	struct pb_msg rep;
	const char *error;

	if (!mailbox_folder_or_reply(a, s, m, q->user_id, q->folder, &f))
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
		return mailbox_store_failed(a, m, error);
	}
	pb_msg_init(&rep, MSG_MBOX_LIST_REP);
	struct msg_mbox_list_rep *r = &rep.u.mbox_list_rep;
	r->error = xstrdup("");
	r->uidvalidity = f.uidvalidity;
	r->uidnext = f.uidnext;
	r->highestmodseq = f.highestmodseq;
	r->next_uid = next_uid;
	for (size_t i = 0; i < n; i++)
		mailbox_entry_push(&r->entries, &recs[i]);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	pb_msg_recs_free(recs, n);
	pb_folder_rec_free(&f);
	return 0;
}

static void expunged_events(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
			    struct pb_folder_rec *f, const struct pb_expunged *e);

/* Applies st to the uids of f and tells the watchers of the changed messages; answers a store
 * failure. Returns 1 done (*out_r the caller's), 0 answered. */
static int store_flags(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
		       uint64_t user_id, struct pb_folder_rec *f, const struct pb_u64v *uids,
		       const struct pb_flag_store *st, struct pb_flag_stored *out_r)
{
	struct pb_rec_mbox_flagged_list changed = { 0 };
	const char *error;
	size_t n;

	uint32_t *u = mailbox_uids32(uids, &n);
	int rc = pb_store_msg_store(s->store, user_id, f->id, u, n, st, out_r, &error);
	free(u);
	if (rc < 0)
		return mailbox_store_failed(a, m, error);
	for (size_t i = 0; i < out_r->n; i++) {
		if (!out_r->changed[i])
			continue;
		struct pb_rec_mbox_flagged *r = pb_rec_mbox_flagged_push(&changed);
		r->uid = out_r->recs[i].uid;
		r->flags = out_r->recs[i].flags;
		r->keywords = xstrdup(out_r->recs[i].keywords ? out_r->recs[i].keywords : "");
		r->modseq = out_r->recs[i].modseq;
		r->changed = 1;
	}
	if (changed.n > 0) {
		f->highestmodseq = out_r->highestmodseq;
		mailbox_notify(a, s, user_id, f->name, out_r->highestmodseq, MAILBOX_FLAGS, 0);
		mailbox_folder_event(a, s, user_id, f, MAILBOX_EVT_FLAGS, NULL, 0, &changed);
	}
	pb_rec_mbox_flagged_list_clear(&changed);
	return 1;
}

int mailbox_on_flags(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_flags_req *q = &m->u.mbox_flags_req;
	struct pb_folder_rec f;
	struct pb_flag_stored out;
	struct pb_msg rep;

	if (q->mode > PB_FLAGS_REMOVE) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "bad flag change mode");
		return 0;
	}
	if (!mailbox_folder_or_reply(a, s, m, q->user_id, q->folder, &f))
		return 0;
	struct pb_flag_store st = { .mode = (int)q->mode, .flags = q->flags, .keep_keywords = true };
	if (store_flags(a, s, m, q->user_id, &f, &q->uids, &st, &out)) {
		pb_msg_init(&rep, MSG_MBOX_FLAGS_REP);
		rep.u.mbox_flags_rep.error = xstrdup("");
		rep.u.mbox_flags_rep.modseq = out.highestmodseq;
		pb_reply(a, m, &rep);
		pb_msg_free(&rep);
		pb_flag_stored_free(&out);
	}
	pb_folder_rec_free(&f);
	return 0;
}

static void store_reply(struct pb_actor *a, const struct pb_msg *m,
			const struct pb_flag_stored *out)
{
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_MBOX_STORE_REP);
	struct msg_mbox_store_rep *r = &rep.u.mbox_store_rep;
	r->error = xstrdup("");
	for (size_t i = 0; i < out->n; i++) {
		struct pb_rec_mbox_flagged *e = pb_rec_mbox_flagged_push(&r->messages);
		e->uid = out->recs[i].uid;
		e->flags = out->recs[i].flags;
		e->keywords = xstrdup(out->recs[i].keywords ? out->recs[i].keywords : "");
		e->modseq = out->recs[i].modseq;
		e->changed = out->changed[i];
	}
	for (size_t i = 0; i < out->n_modified; i++)
		pb_u64v_push(&r->modified, out->modified[i]);
	r->highestmodseq = out->highestmodseq;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
}

int mailbox_on_store(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_store_req *q = &m->u.mbox_store_req;
	struct pb_folder_rec f;
	struct pb_flag_stored out;

	if (q->mode > PB_FLAGS_REMOVE || strlen(q->keywords) > PB_KEYWORDS_MAX) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "bad flag change mode or keywords too long");
		return 0;
	}
	if (!mailbox_folder_or_reply(a, s, m, q->user_id, q->folder, &f))
		return 0;
	struct pb_flag_store st = { .mode = (int)q->mode, .flags = q->flags,
				    .keywords = q->keywords, .unchanged_since = q->unchanged_since };
	if (store_flags(a, s, m, q->user_id, &f, &q->uids, &st, &out)) {
		store_reply(a, m, &out);
		pb_flag_stored_free(&out);
	}
	pb_folder_rec_free(&f);
	return 0;
}

/* The reply and the events of a copy or move from src to dst. */
static void copied(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
		   uint64_t user_id, struct pb_folder_rec *src, struct pb_folder_rec *dst,
		   const struct pb_msg_copied *c, bool move)
{
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_MBOX_COPY_REP);
	struct msg_mbox_copy_rep *r = &rep.u.mbox_copy_rep;
	r->error = xstrdup("");
	r->uidvalidity = c->uidvalidity;
	for (size_t i = 0; i < c->n; i++) {
		pb_u64v_push(&r->src_uids, c->src_uids[i]);
		pb_u64v_push(&r->dst_uids, c->dst_uids[i]);
	}
	r->src_modseq = c->src_modseq;
	r->dst_modseq = c->dst_modseq;
	mailbox_copy_events(a, s, user_id, src, dst, c, move); /* watchers before the caller */
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	if (!move)
		mailbox_quota_changed(a, s, user_id);
}

void mailbox_copy_events(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
			 struct pb_folder_rec *src, struct pb_folder_rec *dst,
			 const struct pb_msg_copied *c, bool move)
{
	if (c->n == 0)
		return;
	dst->highestmodseq = c->dst_modseq;
	dst->uidnext = c->dst_uids[c->n - 1] + 1;
	mailbox_notify(a, s, user_id, dst->name, c->dst_modseq, MAILBOX_APPENDED, c->dst_uids[0]);
	mailbox_folder_event(a, s, user_id, dst, MAILBOX_EVT_APPENDED, c->dst_uids, c->n, NULL);
	if (move) {
		struct pb_expunged e = { .uids = c->src_uids, .n = c->n,
					 .highestmodseq = c->src_modseq };
		expunged_events(a, s, user_id, src, &e);
	}
}

int mailbox_on_copy(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_copy_req *q = &m->u.mbox_copy_req;
	struct pb_folder_rec src, dst;
	struct pb_msg_copied c;
	const char *error;
	size_t n;

	if (!mailbox_folder_or_reply(a, s, m, q->user_id, q->folder, &src))
		return 0;
	if (!mailbox_folder_or_reply(a, s, m, q->user_id, q->dest, &dst)) {
		pb_folder_rec_free(&src);
		return 0;
	}
	if (q->move && src.id == dst.id) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "cannot move messages to their own folder");
	} else {
		uint32_t *uids = mailbox_uids32(&q->uids, &n);
		const struct mailbox_quota_add add = { 0, src.id, uids, n };
		if (!q->move && mailbox_quota_refuse(a, s, m, q->user_id, &add)) {
			/* answered: a copy grows the mailbox, a move does not */
		} else if (pb_store_msg_copy(s->store, q->user_id, src.id, dst.id, uids, n, q->move,
					     &c, &error) < 0) {
			mailbox_store_failed(a, m, error);
		} else {
			copied(a, s, m, q->user_id, &src, &dst, &c, q->move);
			pb_msg_copied_free(&c);
		}
		free(uids);
	}
	pb_folder_rec_free(&src);
	pb_folder_rec_free(&dst);
	return 0;
}

/* The events of an expunge that removed e->uids from f (f's highestmodseq from before). */
static void expunged_events(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
			    struct pb_folder_rec *f, const struct pb_expunged *e)
{
	if (e->n == 0)
		return;
	f->highestmodseq = e->highestmodseq;
	mailbox_notify(a, s, user_id, f->name, e->highestmodseq, MAILBOX_EXPUNGED, 0);
	mailbox_folder_event(a, s, user_id, f, MAILBOX_EVT_EXPUNGED, e->uids, e->n, NULL);
	mailbox_quota_changed(a, s, user_id); /* usage fell: a level may be re-armed */
}

/* Removes the messages sel selects from f and tells the watchers; answers a store failure.
 * Returns 1 done (*e_r the caller's), 0 answered. */
static int expunge_sel(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
		       uint64_t user_id, struct pb_folder_rec *f, const struct pb_expunge_sel *sel,
		       struct pb_expunged *e_r)
{
	const char *error;

	if (pb_store_msg_expunge_sel(s->store, user_id, f->id, sel, e_r, &error) < 0)
		return mailbox_store_failed(a, m, error);
	expunged_events(a, s, user_id, f, e_r);
	return 1;
}

int mailbox_on_expunge(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_expunge_req *q = &m->u.mbox_expunge_req;
	struct pb_folder_rec f;
	struct pb_expunged e;
	size_t n;

	if (!mailbox_folder_or_reply(a, s, m, q->user_id, q->folder, &f))
		return 0;
	uint32_t *uids = mailbox_uids32(&q->uids, &n);
	struct pb_expunge_sel sel = { .uids = uids, .n = n };
	if (expunge_sel(a, s, m, q->user_id, &f, &sel, &e)) {
		pb_reply_status(a, m, PB_OK, "");
		pb_expunged_free(&e);
	}
	free(uids);
	pb_folder_rec_free(&f);
	return 0;
}

int mailbox_on_expunge_deleted(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_expunge_deleted_req *q = &m->u.mbox_expunge_deleted_req;
	struct pb_folder_rec f;
	struct pb_expunged e;
	struct pb_msg rep;
	size_t n;

	if (!mailbox_folder_or_reply(a, s, m, q->user_id, q->folder, &f))
		return 0;
	uint32_t *uids = mailbox_uids32(&q->uids, &n);
	struct pb_expunge_sel sel = { .uids = uids, .n = n, .all = q->all, .deleted_only = true };
	if (expunge_sel(a, s, m, q->user_id, &f, &sel, &e)) {
		pb_msg_init(&rep, MSG_MBOX_EXPUNGE_DELETED_REP);
		rep.u.mbox_expunge_deleted_rep.error = xstrdup("");
		for (size_t i = 0; i < e.n; i++)
			pb_u64v_push(&rep.u.mbox_expunge_deleted_rep.uids, e.uids[i]);
		rep.u.mbox_expunge_deleted_rep.highestmodseq = e.highestmodseq;
		pb_reply(a, m, &rep);
		pb_msg_free(&rep);
		pb_expunged_free(&e);
	}
	free(uids);
	pb_folder_rec_free(&f);
	return 0;
}
