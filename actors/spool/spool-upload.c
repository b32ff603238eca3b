/*
 * spool-upload.c: chunked uploads to a spool shard (SPOOL_BEGIN/CHUNK/COMMIT/ABORT_REQ). Each
 * chunk goes to the store as it comes (pb_store_upload_write, unsynced); the commit is one
 * write that joins the shard's group commit (spool-group.c), and is answered only after the
 * group's sync, then delivered. A message that came whole (SPOOL_PUT_REQ) is one such write
 * with no upload. The shard holds per
 * upload the envelope and the store's upload handle (hash and MIME parser state), never the
 * body.
 * OWNS: struct spool_upload (in struct spool_shard's table).
 * THREAD: the shard's actor thread.
 * MESSAGES handled: SPOOL_BEGIN_REQ (SPOOL_BEGIN_REP), SPOOL_CHUNK_REQ (SPOOL_CHUNK_REP),
 * SPOOL_COMMIT_REQ (SPOOL_COMMIT_REP), SPOOL_PUT_REQ (SPOOL_PUT_REP), SPOOL_ABORT_REQ
 * (CORE_STATUS_REP).
 */
#include "spool-private.h"

#include "mime-header.h"
#include "pb-log.h"

#include <stdio.h>
#include <string.h>

_Static_assert(PB_CHUNK_MAX == PB_STORE_CHUNK_MAX, "a message chunk is a store chunk");

struct spool_upload {
	uint64_t id;                /* the store upload's id */
	uint64_t key;               /* the session key that began it */
	struct pb_store_upload *up;
	struct pb_spool_rec env;    /* the envelope (id, size and blob_key come at commit) */
	uint64_t last_ms;           /* last request, for the idle timeout */
	uint64_t claim;             /* bytes of the store budget claimed for it, not yet written */
};

/* Room claimed for a declared SIZE (SPOOL_ROOM_REQ) by a session that has not begun its
 * upload yet: the upload takes it over at BEGIN, so a message told "room" at MAIL gets it at
 * DATA even while others fill the disk. */
struct spool_claim {
	uint64_t key, len, at_ms;
};

static void upload_free(struct spool_shard *s, struct spool_upload *u)
{
	if (u->claim > 0)
		pb_store_unreserve(s->store, u->claim);
	pb_store_upload_free(&u->up);
	pb_spool_rec_free(&u->env);
	free(u);
}

/* Removes entry `at` from the table, aborting its store upload if it still has one. */
static void upload_drop(struct spool_shard *s, size_t at)
{
	struct spool_upload *u = s->up[at];
	const char *error;

	if (u->up != NULL && pb_store_upload_abort(s->store, &u->up, &error) < 0)
		pb_warn("spool", "event=upload_abort_failed reason=\"%s\"", error);
	upload_free(s, u);
	s->up[at] = s->up[--s->n_up];
}

/* The table index of the upload id begun by key, or -1. */
static ssize_t upload_find(struct spool_shard *s, uint64_t key, uint64_t id)
{
	for (size_t i = 0; i < s->n_up; i++)
		if (s->up[i]->id == id && s->up[i]->key == key)
			return (ssize_t)i;
	return -1;
}

/* The envelope's fields of a request (BEGIN or PUT), taken over by take_envelope. */
struct envelope_fields {
	char **sender, **msgid, **mark;
	struct pb_strv *rcpts;
	struct pb_u64v *rcpt_ids;
	int64_t received_ms;
	uint8_t origin;
};

/* Takes the envelope out of a request (its fields become NULL). */
static void take_envelope(const struct envelope_fields *q, struct pb_spool_rec *env)
{
	memset(env, 0, sizeof(*env));
	env->sender = *q->sender != NULL ? *q->sender : xstrdup("");
	*q->sender = NULL;
	env->rcpts = q->rcpts->v;
	env->n_rcpts = q->rcpts->n;
	q->rcpts->v = NULL;
	q->rcpts->n = 0;
	env->rcpt_ids = q->rcpt_ids->v;
	q->rcpt_ids->v = NULL;
	q->rcpt_ids->n = 0;
	env->received_ms = q->received_ms;
	env->msgid = *q->msgid != NULL ? *q->msgid : xstrdup("");
	*q->msgid = NULL;
	env->mark = *q->mark; /* NULL or "" : none */
	*q->mark = NULL;
	/* collected mail is known by its collector's mark "NAME UIDL": the name is the collector */
	env->origin = q->origin <= PB_ORIGIN_SYSTEM ? q->origin : PB_ORIGIN_SMTP;
	if (env->mark != NULL && env->mark[0] != '\0') {
		env->origin = PB_ORIGIN_COLLECTED;
		env->collector = xstrndup(env->mark, strcspn(env->mark, " "));
	}
}

static struct envelope_fields begin_fields(struct msg_spool_begin_req *q)
{
	return (struct envelope_fields){ &q->sender, &q->msgid, &q->mark, &q->rcpts, &q->rcpt_ids,
					 q->received_ms, q->origin };
}

static struct envelope_fields put_fields(struct msg_spool_put_req *q)
{
	return (struct envelope_fields){ &q->sender, &q->msgid, &q->mark, &q->rcpts, &q->rcpt_ids,
					 q->received_ms, q->origin };
}

/* The Message-ID of the header at the start of data (len octets: the message's first),
 * without its angle brackets, into env->message_id (unchanged when there is none, it is
 * longer than PB_SPOOL_MESSAGE_ID_MAX or holds a control character). Only looked for in the
 * octets the spool is given first: a header longer than a chunk may hide it. */
void spool_take_message_id(const void *data, size_t len, struct pb_spool_rec *env)
{
	struct pb_buf v;

	pb_buf_init(&v);
	if (env->message_id == NULL && mime_header_get(data, len, "Message-ID", &v) == 1) {
		const char *p = v.data, *end = p + v.len, *lt = memchr(p, '<', v.len);
		const char *gt = lt != NULL ? memchr(lt, '>', (size_t)(end - lt)) : NULL;
		if (gt != NULL) {
			p = lt + 1;
			end = gt;
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		bool ok = end > p && (size_t)(end - p) <= PB_SPOOL_MESSAGE_ID_MAX;
		for (const char *c = p; ok && c < end; c++)
			ok = (unsigned char)*c > ' ' && *c != 0x7f;
		if (ok)
			env->message_id = xstrndup(p, (size_t)(end - p));
	}
	pb_buf_deinit(&v);
}

/* A commit or put that found its collector mark stored already: nothing was stored. The mark
 * may be a member's of the group not synced yet: the group is made durable first. */
static void reply_marked(struct pb_actor *a, struct spool_shard *s, struct pb_msg *m,
			 const struct pb_spool_rec *rec)
{
	spool_group_flush(a, s);
	pb_info("spool", "event=collected_already msgid=%s mark=%s", PB_LOGQ(rec->msgid),
		PB_LOGQ(rec->mark));
	pb_reply_status(a, m, PB_ERR_EXISTS, "collected already");
}

/* Whether a request's recipients and their ids make an envelope; answers m when not. */
static bool rcpts_valid(struct pb_actor *a, struct pb_msg *m, const struct envelope_fields *f)
{
	uint32_t n = f->rcpts->n;

	if (n == 0 || n != f->rcpt_ids->n || n > PB_SPOOL_MAX_RCPTS) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "recipients and their ids do not match");
		return false;
	}
	return true;
}

/* The envelope's id is taken in this shard's class (id % count == index): a restarted shard
 * resumes exactly the entries it committed, never another shard's. */
static void envelope_shard(struct spool_shard *s, struct pb_spool_rec *env)
{
	env->shard = s->index;
	env->shards = s->count;
}

/* Releases the claim of key, if any; returns its length (0 none) with the budget kept when
 * keep (the caller takes it over) or released. */
static uint64_t claim_remove(struct spool_shard *s, uint64_t key, bool keep)
{
	for (size_t i = 0; i < s->n_claims; i++) {
		if (s->claims[i].key != key)
			continue;
		uint64_t len = s->claims[i].len;
		if (!keep)
			pb_store_unreserve(s->store, len);
		s->claims[i] = s->claims[--s->n_claims];
		return len;
	}
	return 0;
}

static uint64_t claim_take(struct spool_shard *s, uint64_t key)
{
	return claim_remove(s, key, true);
}

static bool claim_held(struct spool_shard *s, uint64_t key)
{
	for (size_t i = 0; i < s->n_claims; i++)
		if (s->claims[i].key == key)
			return true;
	return false;
}

/* SPOOL_ROOM_REQ: a declared size is claimed from the node's budget for the session (the
 * one claim per session key; a new MAIL replaces it; unused ones expire). Without a size, or
 * with the claim table full, a check only. */
int spool_on_room(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct spool_shard *s = state;
	struct msg_spool_room_req *q = &m->u.spool_room_req;
	bool ok;

	claim_remove(s, q->key, false);
	if (q->size == 0 || s->n_claims >= SPOOL_MAX_CLAIMS) {
		ok = pb_store_has_room(s->store, q->size);
	} else {
		ok = pb_store_reserve(s->store, q->size, NULL) == 0;
		if (ok) {
			s->claims = xrealloc(s->claims, sizeof(*s->claims) * (s->n_claims + 1));
			s->claims[s->n_claims++] = (struct spool_claim){
				q->key, q->size, pb_runtime_now_ms(pb_actor_runtime(a)) };
		}
	}
	if (ok)
		pb_reply_status(a, m, PB_OK, "");
	else
		pb_reply_status(a, m, PB_ERR_NOSPACE, "insufficient system storage");
	return 0;
}

/* Checks a begin request; answers and returns false when it cannot be served. */
static bool begin_allowed(struct pb_actor *a, struct spool_shard *s, struct pb_msg *m)
{
	struct msg_spool_begin_req *q = &m->u.spool_begin_req;
	struct envelope_fields f = begin_fields(q);

	if (!rcpts_valid(a, m, &f))
		return false;
	if (s->n_up >= SPOOL_MAX_UPLOADS) {
		pb_warn("spool", "event=uploads_full open=%zu", s->n_up);
		pb_reply_status(a, m, PB_ERR_TEMP, "too many uploads in progress");
		return false;
	}
	if (!claim_held(s, q->key) && !pb_store_has_room(s->store, 0)) {
		pb_reply_status(a, m, PB_ERR_NOSPACE, "insufficient system storage");
		return false;
	}
	return true;
}

int spool_on_begin(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct spool_shard *s = state;
	struct pb_store_upload *up;
	struct pb_msg rep;
	const char *error;

	if (!begin_allowed(a, s, m))
		return 0;
	if (pb_store_upload_begin(s->store, s->index, (int64_t)pb_clock_wall_ms(), &up,
				  &error) < 0) {
		pb_error("spool", "event=upload_begin_failed reason=\"%s\"", error);
		pb_reply_status(a, m, PB_ERR_TEMP, "the message could not be stored");
		return 0;
	}
	struct spool_upload *u = xcalloc(1, sizeof(*u));
	u->key = m->u.spool_begin_req.key;
	u->up = up;
	u->id = pb_store_upload_id(up);
	u->last_ms = pb_runtime_now_ms(pb_actor_runtime(a));
	struct envelope_fields f = begin_fields(&m->u.spool_begin_req);
	take_envelope(&f, &u->env);
	envelope_shard(s, &u->env);
	u->claim = claim_take(s, u->key);
	s->up = xrealloc(s->up, sizeof(*s->up) * (s->n_up + 1));
	s->up[s->n_up++] = u;
	pb_msg_init(&rep, MSG_SPOOL_BEGIN_REP);
	rep.u.spool_begin_rep.upload_id = u->id;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* Finds the upload a request names; answers NOTFOUND and returns -1 when there is none. */
static ssize_t upload_of(struct pb_actor *a, struct spool_shard *s, struct pb_msg *m,
			 uint64_t key, uint64_t id)
{
	ssize_t at = upload_find(s, key, id);

	if (at < 0)
		pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such upload");
	else
		s->up[at]->last_ms = pb_runtime_now_ms(pb_actor_runtime(a));
	return at;
}

/* Checks a chunk against its upload; answers and returns false when it is refused. */
/* Claims len bytes from the node's one disk budget until they are written: out of the upload's
 * claim for its declared size, or now. When there is no room it drops the upload, answers m
 * NOSPACE and returns false. */
static bool claim_room(struct pb_actor *a, struct spool_shard *s, struct pb_msg *m, size_t at,
		       size_t len)
{
	struct spool_upload *u = s->up[at];

	if (u->claim >= len) {
		u->claim -= len;
		return true;
	}
	if (pb_store_reserve(s->store, len, NULL) == 0)
		return true;
	pb_warn("spool", "event=storage_reserve_reached msgid=%s upload=%llu room=%llu",
		PB_LOGQ(u->env.msgid), (unsigned long long)u->id,
		(unsigned long long)pb_store_room(s->store));
	upload_drop(s, at);
	pb_reply_status(a, m, PB_ERR_NOSPACE, "insufficient system storage");
	return false;
}

/* Checks and writes len bytes at offset of upload at (a chunk).
 * On a refusal or a failure it answers m itself and returns false. */
static bool take_chunk(struct pb_actor *a, struct spool_shard *s, struct pb_msg *m, size_t at,
		       uint64_t offset, const uint8_t *data, size_t len)
{
	struct spool_upload *u = s->up[at];
	uint64_t expected = pb_store_upload_size(u->up);
	const char *error;
	char why[96];

	if (len == 0 || len > PB_CHUNK_MAX) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "a chunk is 1 byte to 1 MiB");
		return false;
	}
	if (offset != expected) {
		snprintf(why, sizeof(why), "chunk out of order: expected offset %llu",
			 (unsigned long long)expected);
		pb_reply_status(a, m, PB_ERR_REFUSED, why);
		return false;
	}
	if (!claim_room(a, s, m, at, len))
		return false;
	if (offset == 0)
		spool_take_message_id(data, len, &u->env);
	int ret = pb_store_upload_write(s->store, u->up, data, len, &error);
	pb_store_unreserve(s->store, len); /* written: the WAL and memtables count it */
	if (ret < 0) {
		pb_error("spool", "event=upload_write_failed msgid=%s reason=%s",
			 PB_LOGQ(u->env.msgid), PB_LOGQ(error));
		upload_drop(s, at);
		pb_reply_status(a, m, PB_ERR_TEMP, "the message could not be stored");
		return false;
	}
	return true;
}

int spool_on_chunk(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct spool_shard *s = state;
	struct msg_spool_chunk_req *q = &m->u.spool_chunk_req;
	struct pb_msg rep;

	ssize_t at = upload_of(a, s, m, q->key, q->upload_id);
	if (at < 0 || !take_chunk(a, s, m, (size_t)at, q->offset, q->data.data, q->data.len))
		return 0;
	pb_msg_init(&rep, MSG_SPOOL_CHUNK_REP);
	rep.u.spool_chunk_rep.received = pb_store_upload_size(s->up[at]->up);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

void spool_reply_stored(struct pb_actor *a, struct pb_msg *m, uint64_t spool_id)
{
	struct pb_msg rep;

	if (m->type == MSG_SPOOL_PUT_REQ) {
		pb_msg_init(&rep, MSG_SPOOL_PUT_REP);
		rep.u.spool_put_rep.spool_id = spool_id;
	} else {
		pb_msg_init(&rep, MSG_SPOOL_COMMIT_REP);
		rep.u.spool_commit_rep.spool_id = spool_id;
	}
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
}

/* The commit's signature insertions into the entry's record (taken from q). false: they do
 * not hold together (counts, bound, order, past the end): refused. */
static bool take_sign(struct msg_spool_commit_req *q, struct pb_spool_rec *env)
{
	size_t n = q->sign_at.n;

	if (n != q->sign_text.n || n > PB_SPOOL_MAX_SIGN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (q->sign_at.v[i] > q->size || (i > 0 && q->sign_at.v[i] < q->sign_at.v[i - 1]))
			return false;
	if (n == 0)
		return true;
	env->n_sign = n;
	env->sign_at = xmemdup(q->sign_at.v, n * sizeof(uint64_t));
	env->sign_text = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		env->sign_text[i] = xstrdup(q->sign_text.v[i]);
	return true;
}

/* Why the commit q of upload u is refused (its size, its insertions), or NULL: its
 * insertions are then in u's record. */
static const char *commit_refused(struct msg_spool_commit_req *q, struct spool_upload *u)
{
	size_t len = q->data.len;

	if (len > q->size || len > PB_CHUNK_MAX || q->size - len != pb_store_upload_size(u->up))
		return "the size does not match the chunks";
	if (u->env.n_sign != 0 || !take_sign(q, &u->env))
		return "the signature's insertions do not fit";
	return NULL;
}

int spool_on_commit(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct spool_shard *s = state;
	struct msg_spool_commit_req *q = &m->u.spool_commit_req;
	const char *error;

	ssize_t at = upload_of(a, s, m, q->key, q->upload_id);
	if (at < 0)
		return 0;
	struct spool_upload *u = s->up[at];
	size_t len = q->data.len; /* the last piece, written in the commit's own batch */
	const char *refused = commit_refused(q, u);
	if (refused != NULL) {
		pb_reply_status(a, m, PB_ERR_REFUSED, refused);
		return 0;
	}
	if (len > 0 && !claim_room(a, s, m, (size_t)at, len))
		return 0;
	if (len > 0 && len == q->size) /* the whole message in the commit */
		spool_take_message_id(q->data.data, len, &u->env);
	int ret = pb_store_upload_commit_spool_last(s->store, &u->up, q->data.data, len, &u->env,
						    false, &error);
	if (len > 0)
		pb_store_unreserve(s->store, len); /* written (or not): the WAL counts it */
	if (ret < 0) {
		pb_error("spool", "event=spool_write_failed msgid=%s reason=%s",
			 PB_LOGQ(u->env.msgid), PB_LOGQ(error));
		upload_drop(s, (size_t)at);
		pb_reply_status(a, m, PB_ERR_TEMP, "the message could not be stored");
		return 0;
	}
	if (ret == 1) {
		reply_marked(a, s, m, &u->env);
		upload_drop(s, (size_t)at);
		return 0;
	}
	spool_group_add(a, s, m, &u->env);
	upload_drop(s, (size_t)at);
	return 0;
}

/* Claims room for a put of len bytes: the claim of key for its declared size when it covers
 * len, else len from the budget now (the claim is given back either way once written).
 * Returns whether there is room, with *held_r the bytes to release after the write. */
static bool put_claim(struct spool_shard *s, uint64_t key, size_t len, uint64_t *held_r)
{
	uint64_t claim = claim_take(s, key);

	*held_r = claim;
	if (claim >= len)
		return true;
	if (pb_store_reserve(s->store, len, NULL) == 0) {
		*held_r += len;
		return true;
	}
	if (claim > 0)
		pb_store_unreserve(s->store, claim);
	*held_r = 0;
	return false;
}

/* SPOOL_PUT_REQ: a whole message in one write (pb_store_spool_put_ex) in the group commit,
 * answered only after the group's sync, then delivered like a commit. Nothing stays open on
 * the shard. */
int spool_on_put(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct spool_shard *s = state;
	struct msg_spool_put_req *q = &m->u.spool_put_req;
	struct envelope_fields f = put_fields(q);
	struct pb_spool_rec rec;
	uint64_t held;
	const char *error;

	if (!rcpts_valid(a, m, &f))
		return 0;
	if (q->data.len > PB_CHUNK_MAX) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "a put is at most 1 MiB: upload in chunks");
		return 0;
	}
	if (!put_claim(s, q->key, q->data.len, &held)) {
		pb_warn("spool", "event=storage_reserve_reached msgid=%s room=%llu",
			PB_LOGQ(q->msgid), (unsigned long long)pb_store_room(s->store));
		pb_reply_status(a, m, PB_ERR_NOSPACE, "insufficient system storage");
		return 0;
	}
	take_envelope(&f, &rec);
	envelope_shard(s, &rec);
	spool_take_message_id(q->data.data, q->data.len, &rec);
	int ret = pb_store_spool_put_ex(s->store, q->data.data, q->data.len, &rec, false, &error);
	if (held > 0)
		pb_store_unreserve(s->store, held); /* written (or not): the WAL counts it */
	if (ret < 0) {
		pb_error("spool", "event=spool_write_failed msgid=%s reason=%s", PB_LOGQ(rec.msgid),
			 PB_LOGQ(error));
		pb_spool_rec_free(&rec);
		pb_reply_status(a, m, PB_ERR_TEMP, "the message could not be stored");
		return 0;
	}
	if (ret == 1) {
		reply_marked(a, s, m, &rec);
		pb_spool_rec_free(&rec);
		return 0;
	}
	spool_group_add(a, s, m, &rec);
	return 0;
}

int spool_on_abort(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct spool_shard *s = state;
	struct msg_spool_abort_req *q = &m->u.spool_abort_req;

	if (q->upload_id == 0) { /* every upload the key began: a session that went away */
		for (size_t at = 0; at < s->n_up;) {
			if (s->up[at]->key == q->key)
				upload_drop(s, at);
			else
				at++;
		}
		pb_reply_status(a, m, PB_OK, "");
		return 0;
	}
	ssize_t at = upload_of(a, s, m, q->key, q->upload_id);
	if (at < 0)
		return 0;
	upload_drop(s, (size_t)at);
	pb_reply_status(a, m, PB_OK, "");
	return 0;
}

int spool_uploads_clean(struct spool_shard *s, const char **error_r)
{
	uint64_t removed = 0;

	if (pb_store_uploads_clean(s->store, s->index, s->count, &removed, error_r) < 0)
		return -1;
	if (removed > 0)
		pb_info("spool", "event=uploads_cleaned shard=%u removed=%llu", s->index,
			(unsigned long long)removed);
	return 0;
}

void spool_uploads_expire(struct pb_actor *a, struct spool_shard *s, uint64_t now_ms)
{
	for (size_t i = 0; i < s->n_claims;) {
		if (s->claims[i].at_ms + SPOOL_CLAIM_MS > now_ms)
			i++;
		else
			claim_remove(s, s->claims[i].key, false);
	}
	for (size_t at = 0; at < s->n_up;) {
		struct spool_upload *u = s->up[at];
		if (u->last_ms + SPOOL_UPLOAD_IDLE_MS > now_ms) {
			at++;
			continue;
		}
		pb_warn("spool", "event=upload_idle_dropped msgid=%s upload=%llu received=%llu",
			PB_LOGQ(u->env.msgid), (unsigned long long)u->id,
			(unsigned long long)pb_store_upload_size(u->up));
		upload_drop(s, at);
	}
}

int64_t spool_uploads_oldest(struct spool_shard *s)
{
	int64_t oldest = INT64_MAX;

	for (size_t i = 0; i < s->n_up; i++)
		if (s->up[i]->env.received_ms < oldest)
			oldest = s->up[i]->env.received_ms;
	return oldest;
}

void spool_uploads_free(struct spool_shard *s)
{
	for (size_t i = 0; i < s->n_up; i++)
		upload_free(s, s->up[i]);
	while (s->n_claims > 0)
		claim_remove(s, s->claims[0].key, false);
	free(s->claims);
	s->claims = NULL;
	free(s->up);
	s->up = NULL;
	s->n_up = 0;
}
