/*
 * store-dir-history.c: the directory's history (store-routes.h pb_store_dir_*): a journal
 * (store-journal.c) in CF routes under keys "Jh" + be64(seq), the next number under "Jn"
 * (no mapping, list or rule set key starts with 'J'). A change is armed, then rides on the
 * directory's next synced record write (store_journal_arm), so the record and its history
 * are one write. Part of pb_store_routes.
 * OWNS: nothing. THREAD: the directory's (the one writer).
 */
#include "store-internal.h"

static const struct store_journal dir_journal_base = {
	STORE_CF_ROUTES, { 'J', 'h' }, { 'J', 'n' }, 10000
};

void pb_store_dir_change_arm(const struct pb_setting_change *c, const char *after,
			     uint32_t keep)
{
	store_journal_arm(&dir_journal_base, c, after, keep);
}

uint64_t pb_store_dir_change_disarm(void)
{
	return store_journal_disarm();
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
