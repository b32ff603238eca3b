/*
 * reader-actor.c: body readers (see reader-actor.h). OWNS nothing. THREAD: its actor thread.
 */
#include "reader-actor.h"

#include "pb-log.h"
#include "store.h"

#include <stdio.h>

#define READER_MAX_SHARDS 16

static int rd_init(struct pb_actor *a, void *arg, void **state_r, const char **error_r)
{
	*state_r = arg;
	return 0;
}

static int on_read(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct pb_store *store = state;
	struct pb_buf body;
	struct pb_msg rep;
	const char *error;
	size_t len;

	pb_buf_init(&body);
	int found = pb_store_blob_get(store, m->u.store_read_req.blob_key, &body, &error);
	if (found <= 0) {
		if (found < 0)
			pb_error("reader", "event=read_failed key=%s reason=%s",
				 PB_LOGQ(m->u.store_read_req.blob_key), PB_LOGQ(error));
		pb_buf_deinit(&body);
		pb_reply_status(a, m, found < 0 ? PB_ERR_INTERNAL : PB_ERR_NOTFOUND,
				found < 0 ? "the body could not be read" : "no such body");
		return 0;
	}
	pb_msg_init(&rep, MSG_STORE_READ_REP);
	rep.u.store_read_rep.error = xstrdup("");
	rep.u.store_read_rep.body.data = (uint8_t *)pb_buf_steal(&body, &len);
	rep.u.store_read_rep.body.len = len;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static const struct pb_handler reader_handlers[] = {
	{ MSG_STORE_READ_REQ, on_read },
};

int reader_actors_start(struct pb_runtime *rt, struct pb_store *store, uint32_t n,
			const char **error_r)
{
	char name[32];

	if (n == 0 || n > READER_MAX_SHARDS) {
		*error_r = "the number of reader shards must be 1 to 16";
		return -1;
	}
	pb_runtime_set_shards(rt, "reader", n);
	for (uint32_t i = 0; i < n; i++) {
		struct pb_actor_def def = {
			.name = name,
			.inbox_size = 256,
			.init = rd_init,
			.handlers = reader_handlers,
			.n_handlers = PB_N_ELEMENTS(reader_handlers),
		};
		snprintf(name, sizeof(name), "reader.%u", i);
		if (pb_runtime_start(rt, &def, store, error_r) < 0)
			return -1;
	}
	return 0;
}
