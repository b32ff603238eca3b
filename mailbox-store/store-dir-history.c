/*
 * store-dir-history.c: the directory's history (store-routes.h pb_store_dir_*): a journal
 * (store-journal.c) in CF routes under keys "Jh" + be64(seq), the next number under "Jn"
 * (no mapping, list or rule set key starts with 'J'). A change is armed, then rides on the
 * directory's next synced record write (store_batch_hook_set), so the record and its history
 * are one write. Part of pb_store_routes.
 * OWNS: the armed change of the calling thread. THREAD: the directory's (the one writer).
 */
#include "store-internal.h"

#include <stdlib.h>

static const struct store_journal dir_journal_base = {
	STORE_CF_ROUTES, { 'J', 'h' }, { 'J', 'n' }, 10000
};

/* The change armed on this thread. */
static _Thread_local struct {
	struct pb_setting_change c;
	char *after;
	uint64_t keep;
	uint64_t seq;
} armed;

static void armed_clear(void)
{
	pb_setting_change_free(&armed.c);
	free(armed.after);
	armed.after = NULL;
}

static int dir_hook(struct pb_store *s, rocksdb_writebatch_t *b, void *ctx,
		    const char **error_r)
{
	struct store_journal j = dir_journal_base;

	(void)ctx;
	j.max = armed.keep;
	int ret = store_journal_add(s, &j, &armed.c, armed.after, b, &armed.seq, error_r);
	armed_clear();
	return ret;
}

void pb_store_dir_change_arm(const struct pb_setting_change *c, const char *after,
			     uint32_t keep)
{
	armed_clear();
	armed.c = (struct pb_setting_change){
		.by = xstrdup(c->by != NULL ? c->by : ""), .doc = xstrdup(c->doc),
		.before = c->before != NULL ? xstrdup(c->before) : NULL,
		.note = xstrdup(c->note != NULL ? c->note : "")
	};
	armed.after = after != NULL ? xstrdup(after) : NULL;
	armed.keep = keep > 0 ? keep : 1;
	armed.seq = 0;
	store_batch_hook_set(dir_hook, NULL);
}

uint64_t pb_store_dir_change_disarm(void)
{
	uint64_t seq = armed.seq;

	store_batch_hook_set(NULL, NULL);
	armed_clear();
	armed.seq = 0;
	return seq;
}

int pb_store_dir_change_get(struct pb_store *s, uint64_t seq, struct pb_setting_change *c_r,
			    const char **error_r)
{
	return store_journal_get(s, &dir_journal_base, seq, c_r, error_r);
}

int pb_store_dir_history(struct pb_store *s, uint64_t before, size_t limit,
			 struct pb_setting_change **v_r, size_t *n_r, const char **error_r)
{
	return store_journal_list(s, &dir_journal_base, before, limit, v_r, n_r, error_r);
}
