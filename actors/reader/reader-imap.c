/*
 * reader-imap.c: the reader's handlers for IMAP FETCH and SEARCH (READER_META_REQ,
 * READER_SECTION_REQ, READER_SEARCH_REQ; see reader-client.h). Each request is bounded: a
 * number of keys checked on entry, then work and reply octets counted as it goes; once over
 * budget the reply answers the keys done so far (a prefix, at least one) and the caller
 * asks again for the rest. META: one MultiGet of the stored metas a request, and the metas
 * it had to compute (mail stored before metas were made at delivery) stored in one write batch; ENVELOPE-only
 * requests are answered first from the shard's cache (reader-envcache.h), which every answer
 * given fills. OWNS nothing (the cache is the shard's). THREAD: the shard's.
 */
#include "reader-work.h"

#include "pb-log.h"
#include "pb-runtime.h"
#include "pb-settings-snapshot.h"
#include "reader-client.h"
#include "reader-envcache.h"
#include "store-bodies.h"

#include <stdlib.h>
#include <string.h>

/* Leaves the envelope and sizes of an answer only (READER_META_REQ envelope_only). */
static void meta_envelope_only(struct pb_rec_read_meta *r)
{
	free(r->bodystructure);
	free(r->body);
	free(r->parts.data);
	r->bodystructure = xstrdup("");
	r->body = xstrdup("");
	r->parts.data = NULL;
	r->parts.len = 0;
}

/* Moves meta's strings into r (meta deinit'ed). Adds r's octets to *bytes. */
static void meta_fill(struct mime_meta *meta, bool envelope_only, struct pb_rec_read_meta *r,
		      uint64_t *bytes)
{
	*r = (struct pb_rec_read_meta){ PB_OK, meta->size, meta->virtual_size,
					meta->header.physical, meta->header.virtual_size,
					meta->body.virtual_size, meta->body.lines, meta->envelope,
					meta->bodystructure, meta->imap_body, { NULL, 0 } };
	r->parts.len = meta->parts.len;
	r->parts.data = (uint8_t *)pb_buf_steal(&meta->parts, NULL);
	if (envelope_only)
		meta_envelope_only(r);
	*bytes += strlen(r->envelope) + strlen(r->bodystructure) + strlen(r->body) + r->parts.len;
	meta->envelope = meta->bodystructure = meta->imap_body = NULL;
	mime_meta_deinit(meta);
}

/* One READER_META_REQ being answered from a MultiGet of its stored metas. */
struct meta_batch {
	struct reader_shard *sh;
	const struct pb_strv *keys;
	bool envelope_only, done; /* done: over budget, the rest is left for the next request */
	struct pb_rec_read_meta_list *out;
	uint64_t bytes, parsed;
	uint64_t cache_budget; /* octets the shard's ENVELOPE cache may hold */
	/* the metas computed for this request, stored together at its end (meta_batch_keep) */
	const char **put_keys;
	struct pb_buf *put_enc;
	size_t n_put;
};

/* Key i's meta, computed by a parse, into r; its encoding kept for meta_batch_keep. */
static void meta_computed(struct meta_batch *b, size_t i, struct pb_rec_read_meta *r)
{
	const char *key = b->keys->v[i], *error = NULL;
	struct mime_meta meta;
	uint64_t n = 0;
	struct pb_buf *enc = &b->put_enc[b->n_put];

	pb_buf_init(enc);
	int found = reader_meta_compute(b->sh, key, &meta, &n, enc, &error);
	b->parsed += n;
	if (found <= 0) {
		pb_buf_deinit(enc);
		if (found < 0)
			pb_error("reader", "event=meta_failed key=%s reason=\"%s\"", key, error);
		r->code = found < 0 ? PB_ERR_INTERNAL : PB_ERR_NOTFOUND;
		return;
	}
	b->put_keys[b->n_put++] = key;
	meta_fill(&meta, b->envelope_only, r, &b->bytes);
}

/* Stores the metas computed for the request in one write batch (a cache: one not kept, disk
 * low or its body just collected, costs a parse later). */
static void meta_batch_keep(struct meta_batch *b)
{
	const void **datas = xcalloc(b->n_put + 1, sizeof(*datas));
	size_t *lens = xcalloc(b->n_put + 1, sizeof(*lens));
	const char *error;

	for (size_t i = 0; i < b->n_put; i++) {
		datas[i] = b->put_enc[i].data;
		lens[i] = b->put_enc[i].len;
	}
	if (b->n_put > 0 && pb_store_blob_meta_put_many(b->sh->store, b->put_keys,
						       (const void *const *)datas, lens, b->n_put,
						       &error) < 0)
		pb_warn("reader", "event=metas_not_kept n=%zu reason=\"%s\"", b->n_put, error);
	for (size_t i = 0; i < b->n_put; i++)
		pb_buf_deinit(&b->put_enc[i]);
	free(datas);
	free(lens);
	free(b->put_keys);
	free(b->put_enc);
}

/* Keeps answer r's sizes and ENVELOPE in the shard's cache. */
static void meta_cache_put(struct meta_batch *b, const char *key,
			   const struct pb_rec_read_meta *r)
{
	struct reader_env e = { r->size, r->virtual_size, r->header_size, r->header_virtual_size,
				r->body_virtual_size, r->body_lines, r->envelope };

	if (r->code == PB_OK && b->cache_budget > 0)
		reader_envcache_put(b->sh->envcache, key, &e, b->cache_budget);
}

/* Answers keys from the shard's ENVELOPE cache, in order, from the first, while they are
 * there and the reply is within budget. Returns how many were answered. */
static uint32_t meta_from_cache(struct meta_batch *b)
{
	uint32_t i = 0;

	for (; i < b->keys->n && (i == 0 || b->bytes < READER_REPLY_BUDGET); i++) {
		const struct reader_env *e = reader_envcache_get(b->sh->envcache, b->keys->v[i]);
		if (e == NULL)
			break;
		struct pb_rec_read_meta *r = pb_rec_read_meta_push(b->out);
		*r = (struct pb_rec_read_meta){ PB_OK, e->size, e->virtual_size, e->header_size,
						e->header_virtual_size, e->body_virtual_size,
						e->body_lines, xstrdup(e->envelope), xstrdup(""),
						xstrdup(""), { NULL, 0 } };
		b->bytes += strlen(r->envelope);
	}
	return i;
}

/* pb_store_meta_each_fn: key i's stored meta answers it when it decodes (the current
 * MIME_META_VERSION); otherwise it is computed (meta_computed) and kept with the others. */
static void meta_batch_each(void *ctx, size_t i, int found, const void *data, size_t len,
			    const char *error)
{
	struct meta_batch *b = ctx;
	struct mime_meta meta;
	const char *derr = NULL;

	if (b->done || (i > 0 && (b->bytes >= READER_REPLY_BUDGET ||
				  b->parsed >= READER_SEARCH_BUDGET))) {
		b->done = true;
		return;
	}
	struct pb_rec_read_meta *r = pb_rec_read_meta_push(b->out);
	if (found == 1 && mime_meta_decode(data, len, &meta, &derr) == 1) {
		meta_fill(&meta, b->envelope_only, r, &b->bytes);
	} else {
		if (found < 0)
			pb_warn("reader", "event=meta_multiget_failed key=%s reason=\"%s\"",
				b->keys->v[i], error);
		meta_computed(b, i, r);
	}
	meta_cache_put(b, b->keys->v[i], r);
}

/* The ENVELOPE cache's budget in octets (limits.reader_envelope_cache_mb). */
static uint64_t meta_cache_budget(struct pb_actor *a)
{
	const struct pb_settings *s = pb_settings_acquire(pb_actor_runtime(a));
	uint64_t mb = s->limits.reader_envelope_cache_mb;

	pb_settings_release(pb_actor_runtime(a), s);
	return mb << 20;
}

int reader_on_meta(struct pb_actor *a, void *state, struct pb_msg *m)
{
	const struct pb_strv *keys = &m->u.reader_meta_req.blob_keys;
	struct pb_msg rep;
	const char *error = NULL;

	if (keys->n == 0 || keys->n > READER_META_MAX) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "a meta request has 1 to 256 bodies");
		return 0;
	}
	pb_msg_init(&rep, MSG_READER_META_REP);
	rep.u.reader_meta_rep.error = xstrdup("");
	struct meta_batch b = { state, keys, m->u.reader_meta_req.envelope_only != 0, false,
				&rep.u.reader_meta_rep.metas, 0, 0, meta_cache_budget(a),
				NULL, NULL, 0 };
	reader_envcache_trim(b.sh->envcache, b.cache_budget);
	/* cached answers first; at the first key not cached the reply ends there (the caller
	 * asks again for the rest), unless it is the first: then one MultiGet for them all */
	if (!b.envelope_only || meta_from_cache(&b) == 0) {
		_Static_assert(READER_META_MAX <= PB_STORE_META_MANY_MAX, "one MultiGet a request");
		b.put_keys = xcalloc(keys->n, sizeof(*b.put_keys));
		b.put_enc = xcalloc(keys->n, sizeof(*b.put_enc));
		pb_store_blob_meta_get_many(b.sh->store, (const char *const *)keys->v, keys->n,
					    meta_batch_each, &b, &error);
		meta_batch_keep(&b);
	}
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

int reader_on_section(struct pb_actor *a, void *state, struct pb_msg *m)
{
	const struct pb_rec_section_ask_list *l = &m->u.reader_section_req.sections;
	struct pb_msg rep;
	uint64_t bytes = 0;

	bool ok = l->n > 0 && l->n <= READER_SECTION_MAX;
	for (uint32_t i = 0; ok && i < l->n; i++)
		ok = l->v[i].fields.n <= READER_SECTION_FIELDS_MAX;
	if (!ok) {
		pb_reply_status(a, m, PB_ERR_REFUSED,
				"a section request has 1 to 256 sections of 0 to 256 fields");
		return 0;
	}
	pb_msg_init(&rep, MSG_READER_SECTION_REP);
	rep.u.reader_section_rep.error = xstrdup("");
	for (uint32_t i = 0; i < l->n && (i == 0 || bytes < READER_REPLY_BUDGET); i++) {
		struct pb_rec_section_answer *ans =
			pb_rec_section_answer_push(&rep.u.reader_section_rep.answers);
		reader_section_answer(state, &l->v[i], ans);
		bytes += ans->data.len + 64;
	}
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

/* The criteria are usable: 1..64, known kinds, values bounded, a field name for HEADER. */
static bool search_criteria_ok(const struct pb_rec_search_key_list *c)
{
	if (c->n == 0 || c->n > READER_SEARCH_CRITERIA_MAX)
		return false;
	for (uint32_t i = 0; i < c->n; i++) {
		if (c->v[i].kind >= READER_SEARCH_KIND_COUNT ||
		    strlen(c->v[i].value) > READER_SEARCH_VALUE_MAX ||
		    (c->v[i].kind == READER_SEARCH_HEADER && c->v[i].header[0] == '\0'))
			return false;
	}
	return true;
}

int reader_on_search(struct pb_actor *a, void *state, struct pb_msg *m)
{
	const struct msg_reader_search_req *q = &m->u.reader_search_req;
	struct pb_msg rep;
	uint64_t read_total = 0;

	if (q->blob_keys.n == 0 || q->blob_keys.n > READER_SEARCH_MAX ||
	    !search_criteria_ok(&q->criteria)) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "a search has 1 to 256 bodies, 1 to 64 "
						       "criteria of at most 1024 octets");
		return 0;
	}
	struct reader_search *s = reader_search_create(&q->criteria);
	pb_msg_init(&rep, MSG_READER_SEARCH_REP);
	rep.u.reader_search_rep.error = xstrdup("");
	for (uint32_t i = 0; i < q->blob_keys.n && (i == 0 || read_total < READER_SEARCH_BUDGET);
	     i++) {
		struct pb_rec_search_hit *h = pb_rec_search_hit_push(&rep.u.reader_search_rep.hits);
		const char *error = NULL;
		uint64_t n = 0;
		int found = reader_search_body(state, s, q->blob_keys.v[i], &h->matched, &n, &error);
		read_total += n;
		if (found < 0)
			pb_error("reader", "event=search_failed key=%s reason=\"%s\"",
				 q->blob_keys.v[i], error);
		h->code = found == 1 ? PB_OK : found == 0 ? PB_ERR_NOTFOUND : PB_ERR_INTERNAL;
	}
	reader_search_destroy(&s);
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}
