/*
 * mailbox-page.c: MBOX_PAGE_REQ, webmail's message list: a page of a folder in one order after
 * a cursor (mailbox-client.h). ARRIVAL pages are uid ranges of the store, listed forwards, or
 * backwards in growing windows below the cursor, so a page costs its own records whatever the
 * folder's size. SIZE/FROM/SUBJECT pages walk the folder's sort index (mailbox-sortidx.h) from
 * the cursor, reading each entry's record (flags change; a record gone is an expunged message,
 * dropped from the index then). FROM/SUBJECT keys are the ones each message record keeps
 * (mailbox-sortkey.h: made when it was stored); a record from before them has its keys made
 * from the body's header, read through the store's ranged read (mime_header_get, then
 * mailbox_sort_field_key, the same folding).
 * OWNS: the shard's sort indexes (struct mailbox_shard.sortidx). THREAD: the shard's.
 * MESSAGES handled: MBOX_PAGE_REQ (answered MBOX_PAGE_REP).
 */
#include "mailbox-actor-int.h"

#include "mailbox-sortkey.h"
#include "mime-header.h"
#include "store-bodies.h"

#include <stdlib.h>
#include <string.h>

/* Octets of a body read for its From and Subject: a field past them sorts as empty. */
#define MAILBOX_SORT_HEAD_MAX 8192
/* The largest uid window a backward ARRIVAL page lists at once. */
#define PAGE_WINDOW_MAX (1u << 20)

/* The records of a page being gathered (limit + 1: the one more tells whether more follow). */
struct page_out {
	struct pb_msg_rec *recs;
	size_t n, cap, want;
	struct mailbox_sort_ent last; /* the key of recs[want - 2], the page's last */
	bool building;		      /* the sort index is not complete yet: no page */
};

static void out_push(struct page_out *o, struct pb_msg_rec *rec)
{
	if (o->n == o->cap) {
		o->cap = o->cap > 0 ? 2 * o->cap : 16;
		o->recs = xrealloc(o->recs, o->cap * sizeof(*o->recs));
	}
	o->recs[o->n++] = *rec;
}

/* ---- ARRIVAL: uid ranges ---- */

/* Lists uid lo..hi of the folder and adds them, highest first, until o is full. 0 / -1. */
static int add_backwards(struct mailbox_shard *s, uint64_t user_id, uint32_t folder_id,
			 uint32_t lo, uint32_t hi, struct page_out *o, const char **error_r)
{
	struct pb_msg_list_range r = { .uid_first = lo, .uid_last = hi, .max = hi - lo + 1 };
	struct pb_msg_rec *recs;
	size_t n;
	uint32_t next;

	if (pb_store_msg_list_range(s->store, user_id, folder_id, &r, &recs, &n, &next,
				    error_r) < 0)
		return -1;
	for (size_t i = n; i-- > 0;) {
		if (o->n < o->want)
			out_push(o, &recs[i]);
		else
			pb_msg_rec_free(&recs[i]);
	}
	free(recs);
	return 0;
}

static int page_by_uid(struct mailbox_shard *s, const struct msg_mbox_page_req *q,
		       const struct pb_folder_rec *f, struct page_out *o, const char **error_r)
{
	if (!q->desc) {
		if (q->has_cursor && q->after_uid == UINT32_MAX)
			return 0;
		struct pb_msg_list_range r = { .uid_first = q->has_cursor ? q->after_uid + 1 : 1,
					       .max = o->want };
		uint32_t next;
		return pb_store_msg_list_range(s->store, q->user_id, f->id, &r, &o->recs, &o->n,
					       &next, error_r);
	}
	uint32_t hi = q->has_cursor ? q->after_uid - (q->after_uid > 0) : f->uidnext - 1;
	uint32_t window = (uint32_t)o->want;
	while (o->n < o->want && hi >= 1 && !(q->has_cursor && q->after_uid == 0)) {
		uint32_t lo = hi > window ? hi - window + 1 : 1;
		if (add_backwards(s, q->user_id, f->id, lo, hi, o, error_r) < 0)
			return -1;
		if (lo == 1)
			break;
		hi = lo - 1;
		window = window < PAGE_WINDOW_MAX / 2 ? 2 * window : PAGE_WINDOW_MAX;
	}
	return 0;
}

/* ---- SIZE / FROM / SUBJECT: the sort index ---- */

/* The index entry of rec for sort: the key its record keeps (mailbox-sortkey.h), else (a
 * record stored before keys were) made from its body's header; a body that cannot be read
 * sorts with an empty key. */
static void ent_make(struct mailbox_shard *s, uint32_t sort, const struct pb_msg_rec *rec,
		     char *head, struct mailbox_sort_ent *e_r)
{
	size_t n = 0, len;
	uint64_t size;
	const char *error;
	struct pb_buf raw;
	bool from = sort == MAILBOX_SORT_FROM;

	*e_r = (struct mailbox_sort_ent){ .uid = rec->uid };
	if (sort == MAILBOX_SORT_SIZE) {
		e_r->num = rec->size;
		return;
	}
	if (rec->has_sort_keys) {
		memcpy(e_r->key, from ? rec->sort_from : rec->sort_subject, MAILBOX_SORT_KEY_LEN);
		return;
	}
	if (pb_store_blob_read(s->store, rec->blob_key, 0, head, MAILBOX_SORT_HEAD_MAX, &n, &size,
			       &error) != 1)
		n = 0;
	const char *end = memmem(head, n, "\r\n\r\n", 4);
	if (end == NULL)
		end = memmem(head, n, "\n\n", 2);
	len = end != NULL ? (size_t)(end - head) + 2 : n;
	pb_buf_init(&raw);
	bool found = mime_header_get(head, len, from ? "From" : "Subject", &raw) == 1;
	const char *value = raw.data != NULL ? (const char *)raw.data : "";
	mailbox_sort_field_key(found ? value : NULL, raw.len, from, e_r->key);
	pb_buf_deinit(&raw);
}

/* Adds up to MAILBOX_SORT_SLICE of the folder's messages from x->uidnext on to x (pushed
 * while x is being built, then sorted once the folder is read to its end; inserted in order
 * once built). 1 x is complete (x->uidnext = f's), 0 more to read, -1 error. */
static int index_fill(struct mailbox_shard *s, struct mailbox_sortidx *x,
		      const struct pb_folder_rec *f, const char **error_r)
{
	struct pb_msg_list_range r = { .uid_first = x->uidnext > 0 ? x->uidnext : 1,
				       .max = MAILBOX_SORT_SLICE };
	struct pb_msg_rec *recs;
	size_t n;
	uint32_t next;

	if (pb_store_msg_list_range(s->store, x->user_id, f->id, &r, &recs, &n, &next,
				    error_r) < 0)
		return -1;
	char *head = xmalloc(MAILBOX_SORT_HEAD_MAX);
	for (size_t i = 0; i < n; i++) {
		struct mailbox_sort_ent e;
		ent_make(s, x->sort, &recs[i], head, &e);
		if (x->built)
			mailbox_sortidx_insert(x, &e);
		else
			mailbox_sortidx_push(x, &e);
	}
	free(head);
	pb_msg_recs_free(recs, n);
	x->uidnext = next != 0 ? next : f->uidnext;
	if (next != 0)
		return 0;
	if (!x->built)
		mailbox_sortidx_sort(x);
	x->built = true;
	return 1;
}

/* The shard's index of f for sort, made or brought up to date by one slice (*complete_r
 * whether it is now); NULL on a store failure. */
static struct mailbox_sortidx *index_get(struct mailbox_shard *s, uint64_t user_id,
					 const struct pb_folder_rec *f, uint32_t sort,
					 bool *complete_r, const char **error_r)
{
	struct mailbox_sortidx *x = NULL;

	for (size_t i = 0; i < MAILBOX_SORTIDX_MAX && x == NULL; i++) {
		struct mailbox_sortidx *c = &s->sortidx[i];
		if (c->v != NULL && c->user_id == user_id && c->folder_id == f->id && c->sort == sort)
			x = c;
	}
	if (x != NULL && x->uidvalidity != f->uidvalidity)
		mailbox_sortidx_deinit(x);
	if (x == NULL) { /* the least recently used slot (an empty one is used 0) */
		x = &s->sortidx[0];
		for (size_t i = 1; i < MAILBOX_SORTIDX_MAX; i++)
			if (s->sortidx[i].used < x->used)
				x = &s->sortidx[i];
	}
	if (x->v == NULL || x->user_id != user_id || x->folder_id != f->id || x->sort != sort) {
		mailbox_sortidx_deinit(x);
		*x = (struct mailbox_sortidx){ .user_id = user_id, .folder_id = f->id, .sort = sort,
					       .uidvalidity = f->uidvalidity };
	}
	x->used = ++s->sort_uses;
	int rc = x->uidnext != f->uidnext || !x->built ? index_fill(s, x, f, error_r) : 1;
	if (rc < 0) {
		mailbox_sortidx_deinit(x);
		return NULL;
	}
	*complete_r = rc == 1;
	return x;
}

static int page_by_index(struct mailbox_shard *s, const struct msg_mbox_page_req *q,
			 const struct pb_folder_rec *f, struct page_out *o, const char **error_r)
{
	bool complete = false;
	struct mailbox_sortidx *x = index_get(s, q->user_id, f, q->sort, &complete, error_r);
	struct mailbox_sort_ent c = { .uid = q->after_uid, .num = q->after_num };

	if (x == NULL)
		return -1;
	if (!complete) {
		o->building = true;
		return 0;
	}
	strncpy(c.key, q->after_key, MAILBOX_SORT_KEY_LEN - 1);
	size_t pos = mailbox_sortidx_seek(x, q->has_cursor ? &c : NULL, q->desc);
	while (o->n < o->want && (q->desc ? pos > 0 : pos < x->n)) {
		size_t i = q->desc ? --pos : pos;
		struct pb_msg_rec rec;
		int found = pb_store_msg_get(s->store, q->user_id, f->id, x->v[i].uid, &rec, error_r);
		if (found < 0)
			return -1;
		if (found == 0) { /* expunged since: out of the index */
			mailbox_sortidx_remove(x, i);
			continue;
		}
		if (o->n + 1 < o->want)
			o->last = x->v[i];
		out_push(o, &rec);
		pos += !q->desc;
	}
	return 0;
}

/* Answers m with the page gathered in o (its records freed). */
static void page_reply(struct pb_actor *a, const struct pb_msg *m, const struct pb_folder_rec *f,
		       struct page_out *o)
{
	size_t limit = o->want - 1, n = o->n < limit ? o->n : limit;
	struct pb_msg rep;

	pb_msg_init(&rep, MSG_MBOX_PAGE_REP);
	struct msg_mbox_page_rep *r = &rep.u.mbox_page_rep;
	r->error = xstrdup("");
	r->messages = f->messages;
	r->more = o->n > limit;
	r->building = o->building;
	r->last_num = o->last.num;
	r->last_key = xstrdup(o->last.key);
	for (size_t i = 0; i < n; i++)
		mailbox_entry_push(&r->entries, &o->recs[i]);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
}

int mailbox_on_page(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	const struct msg_mbox_page_req *q = &m->u.mbox_page_req;
	struct pb_folder_rec f;
	struct page_out o = { .want = (size_t)q->limit + 1 };
	const char *error;

	if (q->limit == 0 || q->limit > MAILBOX_PAGE_MAX || q->sort < MAILBOX_SORT_ARRIVAL ||
	    q->sort > MAILBOX_SORT_SUBJECT) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "bad page query");
		return 0;
	}
	if (!mailbox_folder_or_reply(a, s, m, q->user_id, q->folder, &f))
		return 0;
	int rc = q->sort == MAILBOX_SORT_ARRIVAL ? page_by_uid(s, q, &f, &o, &error)
						 : page_by_index(s, q, &f, &o, &error);
	if (rc < 0)
		mailbox_store_failed(a, m, error);
	else
		page_reply(a, m, &f, &o);
	pb_msg_recs_free(o.recs, o.n);
	pb_folder_rec_free(&f);
	return 0;
}

void mailbox_page_deinit(struct mailbox_shard *s)
{
	for (size_t i = 0; i < MAILBOX_SORTIDX_MAX; i++)
		mailbox_sortidx_deinit(&s->sortidx[i]);
}
