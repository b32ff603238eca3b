/*
 * mailbox-upload.c: IMAP APPEND's body, uploaded to the user's owner in chunks
 * (MBOX_UPLOAD_{BEGIN,CHUNK,COMMIT,ABORT}_REQ) over the store's uploads (store-spool.h), so
 * no message carries a whole body. BEGIN takes the announced literal size and refuses it past
 * the caller's limit or MAILBOX_UPLOAD_SIZE_MAX before a byte is sent (IMAP: NO [TOOBIG]
 * before the "+"); COMMIT takes every upload of one APPEND command (MULTIAPPEND, RFC 3502),
 * stores their bodies and appends them in one store batch in the same handler — all or none,
 * and no new body waits unreferenced for the garbage collector (pb_store_blob_put's contract).
 * A commit that would take the user past the quota is refused (OVERQUOTA, mailbox-quota.c).
 * Bounded: MAILBOX_UPLOADS_MAX open uploads a shard, MAILBOX_UPLOADS_PER_USER a user; an
 * upload idle for MAILBOX_UPLOAD_IDLE_MS is aborted (a session that died mid-literal).
 * OWNS: the shard's open uploads (struct mailbox_shard.uploads) and their store uploads.
 * THREAD: the shard's actor thread.
 */
#include "mailbox-actor-int.h"

#include "store-spool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAILBOX_UPLOADS_MAX 256
#define MAILBOX_UPLOADS_PER_USER 32 /* one MULTIAPPEND of up to 32 messages, or several sessions' APPENDs */
#define MAILBOX_UPLOAD_SIZE_MAX (1ull << 30)
#define MAILBOX_UPLOAD_IDLE_MS (5 * 60 * 1000)
#define MAILBOX_UPLOAD_SWEEP_MS (60 * 1000)

struct mailbox_upload {
	uint64_t user_id, id, size, last_ms;
	struct pb_store_upload *up;
};

/* Aborts and forgets the upload at index i. */
static void upload_drop(struct mailbox_shard *s, size_t i)
{
	const char *error;

	if (s->uploads[i].up != NULL &&
	    pb_store_upload_abort(s->store, &s->uploads[i].up, &error) < 0)
		pb_warn("mailbox", "event=upload_abort_failed reason=%s", PB_LOGQ(error));
	s->uploads[i] = s->uploads[--s->n_uploads];
}

void mailbox_uploads_deinit(struct mailbox_shard *s)
{
	for (size_t i = 0; i < s->n_uploads; i++)
		pb_store_upload_free(&s->uploads[i].up); /* the next start's clean removes them */
	free(s->uploads);
}

void mailbox_uploads_on_timer(struct pb_actor *a, struct mailbox_shard *s, uint64_t now_ms)
{
	for (size_t i = 0; i < s->n_uploads;) {
		if (now_ms - s->uploads[i].last_ms >= MAILBOX_UPLOAD_IDLE_MS)
			upload_drop(s, i);
		else
			i++;
	}
	if (s->n_uploads > 0)
		pb_actor_timer_set(a, MAILBOX_TIMER_UPLOADS, MAILBOX_UPLOAD_SWEEP_MS);
}

/* The open upload id of user, or NULL after answering NOTFOUND. *i_r its index. */
static struct mailbox_upload *upload_or_reply(struct pb_actor *a, struct mailbox_shard *s,
					      const struct pb_msg *m, uint64_t user_id,
					      uint64_t id, size_t *i_r)
{
	for (size_t i = 0; i < s->n_uploads; i++) {
		if (s->uploads[i].user_id == user_id && s->uploads[i].id == id) {
			*i_r = i;
			return &s->uploads[i];
		}
	}
	pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such upload");
	return NULL;
}

/* Why a new upload of size for user is refused now (NULL: it is not); *code_r. */
static const char *begin_refusal(const struct mailbox_shard *s, uint64_t user_id, uint64_t size,
				 uint64_t limit, uint32_t *code_r)
{
	size_t mine = 0;

	for (size_t i = 0; i < s->n_uploads; i++)
		mine += s->uploads[i].user_id == user_id;
	*code_r = PB_ERR_REFUSED;
	if (size == 0)
		return "an empty message";
	if (size > MAILBOX_UPLOAD_SIZE_MAX || (limit != 0 && size > limit))
		return "the message is too big";
	*code_r = PB_ERR_TEMP;
	if (s->n_uploads >= MAILBOX_UPLOADS_MAX || mine >= MAILBOX_UPLOADS_PER_USER)
		return "too many uploads in progress";
	return NULL;
}

int mailbox_on_upload_begin(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_upload_begin_req *q = &m->u.mbox_upload_begin_req;
	struct pb_store_upload *up;
	struct pb_msg rep;
	const char *error;
	uint32_t code;
	uint64_t now = pb_runtime_now_ms(pb_actor_runtime(a));

	if (!mailbox_user_or_reply(a, s, m, q->user_id))
		return 0;
	const char *why = begin_refusal(s, q->user_id, q->size, q->limit, &code);
	if (why != NULL) {
		pb_reply_status(a, m, code, why);
		return 0;
	}
	if (pb_store_upload_begin(s->store, PB_UPLOAD_OWNER_MAILBOX + s->index,
				  (int64_t)pb_clock_wall_ms(), &up, &error) < 0)
		return mailbox_store_failed(a, m, error);
	s->uploads = xrealloc(s->uploads, sizeof(*s->uploads) * (s->n_uploads + 1));
	s->uploads[s->n_uploads++] = (struct mailbox_upload){
		.user_id = q->user_id, .id = pb_store_upload_id(up), .size = q->size,
		.last_ms = now, .up = up
	};
	if (s->n_uploads == 1)
		pb_actor_timer_set(a, MAILBOX_TIMER_UPLOADS, MAILBOX_UPLOAD_SWEEP_MS);
	pb_msg_init(&rep, MSG_MBOX_UPLOAD_BEGIN_REP);
	rep.u.mbox_upload_begin_rep.error = xstrdup("");
	rep.u.mbox_upload_begin_rep.upload_id = pb_store_upload_id(up);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

int mailbox_on_upload_chunk(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_upload_chunk_req *q = &m->u.mbox_upload_chunk_req;
	const char *error;
	size_t i;

	struct mailbox_upload *u = upload_or_reply(a, s, m, q->user_id, q->upload_id, &i);
	if (u == NULL)
		return 0;
	uint64_t have = pb_store_upload_size(u->up);
	if (q->offset != have || q->data.len == 0 || q->data.len > PB_STORE_CHUNK_MAX ||
	    have + q->data.len > u->size) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "a chunk out of order, empty or too long");
		return 0;
	}
	if (pb_store_upload_write(s->store, u->up, q->data.data, q->data.len, &error) < 0) {
		upload_drop(s, i);
		return mailbox_store_failed(a, m, error);
	}
	u->last_ms = pb_runtime_now_ms(pb_actor_runtime(a));
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}

/* The open uploads q names into idx_r (each once, complete), or NULL after answering. */
static size_t *commit_uploads(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m)
{
	const struct msg_mbox_upload_commit_req *q = &m->u.mbox_upload_commit_req;
	size_t *idx = xcalloc(q->uploads.n + 1, sizeof(size_t));
	const char *why = q->uploads.n == 0 ? "no upload to commit" : NULL;

	for (uint32_t i = 0; i < q->uploads.n && why == NULL; i++) {
		const struct pb_rec_mbox_upload_item *e = &q->uploads.v[i];
		if (upload_or_reply(a, s, m, q->user_id, e->upload_id, &idx[i]) == NULL) {
			free(idx);
			return NULL; /* answered NOTFOUND */
		}
		for (uint32_t k = 0; k < i; k++)
			if (idx[k] == idx[i])
				why = "an upload named twice";
		if (pb_store_upload_size(s->uploads[idx[i]].up) != s->uploads[idx[i]].size ||
		    strlen(e->keywords) > PB_KEYWORDS_MAX)
			why = "an upload incomplete or keywords too long";
	}
	if (why != NULL) {
		pb_reply_status(a, m, PB_ERR_REFUSED, why);
		free(idx);
		return NULL;
	}
	return idx;
}

/* Stores the bodies of the uploads idx (consuming them) as recs. 0 / -1 (error_r). */
static int commit_bodies(struct mailbox_shard *s, const struct msg_mbox_upload_commit_req *q,
			 const size_t *idx, struct pb_msg_rec *recs, const char **error_r)
{
	for (uint32_t i = 0; i < q->uploads.n; i++) {
		const struct pb_rec_mbox_upload_item *e = &q->uploads.v[i];
		struct mailbox_upload *u = &s->uploads[idx[i]];
		if (pb_store_upload_commit_blob(s->store, &u->up, recs[i].blob_key, error_r) < 0)
			return -1;
		recs[i].flags = e->flags;
		recs[i].keywords = *e->keywords != '\0' ? e->keywords : NULL;
		recs[i].internal_date_ms = e->internal_date_ms != 0 ? e->internal_date_ms
								    : (int64_t)pb_clock_wall_ms();
		recs[i].size = u->size;
	}
	return 0;
}

/* Appends the bodies of the uploads idx to f in one batch, tells the watchers and answers. */
static void commit_into(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
			const size_t *idx, struct pb_folder_rec *f)
{
	const struct msg_mbox_upload_commit_req *q = &m->u.mbox_upload_commit_req;
	struct pb_msg_rec *recs = xcalloc(q->uploads.n, sizeof(*recs));
	struct pb_msg rep;
	const char *error;

	int rc = commit_bodies(s, q, idx, recs, &error);
	for (size_t i = 0; rc == 0 && i < q->uploads.n; i++)
		mailbox_sort_keys_fill(s->store, &recs[i]);
	if (rc < 0 ||
	    pb_store_msg_append_batch(s->store, q->user_id, f->id, recs, q->uploads.n, &error) < 0) {
		mailbox_store_failed(a, m, error);
		free(recs);
		return;
	}
	pb_msg_init(&rep, MSG_MBOX_UPLOAD_COMMIT_REP);
	struct msg_mbox_upload_commit_rep *r = &rep.u.mbox_upload_commit_rep;
	r->error = xstrdup("");
	r->uidvalidity = f->uidvalidity;
	r->modseq = recs[q->uploads.n - 1].modseq;
	for (uint32_t i = 0; i < q->uploads.n; i++) {
		mailbox_appended_events(a, s, q->user_id, f, &recs[i]); /* before the caller */
		pb_u64v_push(&r->uids, recs[i].uid);
	}
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	free(recs);
	mailbox_quota_changed(a, s, q->user_id);
}

static int index_desc(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	return a < b ? 1 : a > b ? -1 : 0;
}

/* Forgets the uploads idx[0..n) (consumed, or aborted), from the highest index down (a drop
 * moves the last upload into the hole). */
static void commit_drop(struct mailbox_shard *s, size_t *idx, size_t n)
{
	qsort(idx, n, sizeof(*idx), index_desc);
	for (size_t i = 0; i < n; i++)
		upload_drop(s, idx[i]);
}

int mailbox_on_upload_commit(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_upload_commit_req *q = &m->u.mbox_upload_commit_req;
	struct mailbox_quota_add add = { 0 };
	struct pb_folder_rec f;

	size_t *idx = commit_uploads(a, s, m);
	if (idx == NULL)
		return 0;
	for (uint32_t i = 0; i < q->uploads.n; i++)
		add.bytes += s->uploads[idx[i]].size;
	if (mailbox_folder_or_reply(a, s, m, q->user_id, q->folder, &f)) {
		if (!mailbox_quota_refuse(a, s, m, q->user_id, &add))
			commit_into(a, s, m, idx, &f);
		pb_folder_rec_free(&f);
	}
	commit_drop(s, idx, q->uploads.n); /* consumed by the commit, or aborted */
	free(idx);
	return 0;
}

int mailbox_on_upload_abort(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_upload_abort_req *q = &m->u.mbox_upload_abort_req;
	size_t i;

	if (upload_or_reply(a, s, m, q->user_id, q->upload_id, &i) == NULL)
		return 0;
	upload_drop(s, i);
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}
