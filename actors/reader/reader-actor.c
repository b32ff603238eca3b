/*
 * reader-actor.c: body readers (see reader-actor.h). OWNS its shard's state (struct
 * reader_shard: a read buffer). THREAD: its actor thread.
 */
#include "reader-actor.h"

#include "pb-log.h"
#include "reader-client.h"
#include "reader-envcache.h"
#include "reader-work.h"
#include "store-bodies.h"

#include <stdio.h>
#include <stdlib.h>

#define READER_MAX_SHARDS 16

static int rd_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	struct reader_shard *sh = xcalloc(1, sizeof(*sh));

	sh->store = arg;
	sh->scratch = xmalloc(READER_PIECE);
	sh->envcache = reader_envcache_create();
	*state_r = sh;
	return 0;
}

static void rd_deinit(struct pb_actor *a, void *state)
{
	struct reader_shard *sh = state;

	free(sh->scratch);
	reader_envcache_destroy(&sh->envcache);
	free(sh);
}

/* READER_READ_REQ: one range of a body, at most PB_CHUNK_MAX bytes, read into the reply. */
static int on_read_range(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct pb_store *store = ((struct reader_shard *)state)->store;
	struct msg_reader_read_req *q = &m->u.reader_read_req;
	struct pb_msg rep;
	const char *error;
	size_t n = 0;
	uint64_t size = 0;

	if (q->length > PB_CHUNK_MAX) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "a read is at most 1 MiB");
		return 0;
	}
	pb_msg_init(&rep, MSG_READER_READ_REP);
	rep.u.reader_read_rep.data.data = xmalloc(q->length > 0 ? q->length : 1);
	int found = pb_store_blob_read(store, q->blob_key, q->offset, rep.u.reader_read_rep.data.data,
				       q->length, &n, &size, &error);
	if (found <= 0) {
		if (found < 0)
			pb_error("reader", "event=read_failed key=%s reason=\"%s\"", q->blob_key,
				 error);
		pb_reply_status(a, m, found < 0 ? PB_ERR_INTERNAL : PB_ERR_NOTFOUND,
				found < 0 ? "the body could not be read" : "no such body");
	} else {
		rep.u.reader_read_rep.data.len = n;
		rep.u.reader_read_rep.size = size;
		rep.u.reader_read_rep.eof = q->offset + n >= size;
		pb_reply(a, m, &rep);
	}
	pb_msg_free(&rep);
	return 0;
}

/* One range of a READER_READ_MANY_REQ into part p: its own code, so that one missing body
 * does not fail the others. */
static void read_part(struct pb_store *store, const struct pb_rec_read_range *r,
		      struct pb_rec_read_part *p)
{
	const char *error;
	size_t n = 0;
	uint64_t size = 0;

	p->data.data = xmalloc(r->length > 0 ? r->length : 1);
	int found = pb_store_blob_read(store, r->blob_key, r->offset, p->data.data, r->length, &n,
				       &size, &error);
	if (found <= 0) {
		if (found < 0)
			pb_error("reader", "event=read_failed key=%s reason=\"%s\"", r->blob_key,
				 error);
		p->code = found < 0 ? PB_ERR_INTERNAL : PB_ERR_NOTFOUND;
		free(p->data.data);
		p->data.data = NULL;
		return;
	}
	p->code = PB_OK;
	p->data.len = n;
	p->size = size;
	p->eof = r->offset + n >= size;
}

/* READER_READ_MANY_REQ: up to READER_MANY_MAX ranges, PB_CHUNK_MAX bytes in all, answered
 * with one part per range in one reply. */
static int on_read_many(struct pb_actor *a, void *state, struct pb_msg *m)
{
	const struct pb_rec_read_range_list *l = &m->u.reader_read_many_req.ranges;
	struct pb_msg rep;
	uint64_t bytes = 0;

	for (uint32_t i = 0; i < l->n; i++)
		bytes += l->v[i].length;
	if (l->n == 0 || l->n > READER_MANY_MAX || bytes > PB_CHUNK_MAX) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "a batched read is 1 to 256 ranges, 1 MiB");
		return 0;
	}
	pb_msg_init(&rep, MSG_READER_READ_MANY_REP);
	rep.u.reader_read_many_rep.error = xstrdup("");
	struct pb_rec_read_part_list *parts = &rep.u.reader_read_many_rep.parts;
	for (uint32_t i = 0; i < l->n; i++)
		read_part(((struct reader_shard *)state)->store, &l->v[i],
			  pb_rec_read_part_push(parts));
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static const struct pb_handler reader_handlers[] = {
	{ MSG_READER_READ_REQ, on_read_range },
	{ MSG_READER_READ_MANY_REQ, on_read_many },
	{ MSG_READER_META_REQ, reader_on_meta },
	{ MSG_READER_SECTION_REQ, reader_on_section },
	{ MSG_READER_SEARCH_REQ, reader_on_search },
	{ MSG_READER_BINARY_REQ, reader_on_binary },
};

const struct pb_actor_def reader_actor_def = {
	.name = "reader",
	.inbox_size = 256,
	.init = rd_init,
	.deinit = rd_deinit,
	.handlers = reader_handlers,
	.n_handlers = PB_N_ELEMENTS(reader_handlers),
};

int reader_actors_start(struct pb_runtime *rt, struct pb_store *store, uint32_t n,
			const char **error_r)
{
	if (n == 0 || n > READER_MAX_SHARDS) {
		*error_r = "the number of reader shards must be 1 to 16";
		return -1;
	}
	return pb_runtime_start_shards(rt, &reader_actor_def, n, store, error_r);
}
