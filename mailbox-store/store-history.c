/*
 * store-history.c: the histories of the records outside the settings documents and the
 * directory (store-db.h pb_store_history_*): mail collectors' definitions ('c'), connection
 * methods and their schedules ('s'), address blocks ('b') and API keys ('k'), each a journal
 * (store-journal.c) in its record's own family, armed by the record's store function so that
 * the record and its history are one synced write (store_journal_arm). Part of pb_store_db.
 * Keys: CF collector, connections, lockout: "Jh" + be64(seq), the next number "Jn" (no record
 * key there starts with 'J'); CF settings: "\0k" + be64(seq), "\0K" (no document key starts
 * with NUL).
 * OWNS: the calling thread's "who" (pb_store_history_who). THREAD: each history's one writer
 * (its record's owner); reads from any.
 */
#include "store-internal.h"

#include <stdio.h>

static const struct {
	char kind;
	struct store_journal j;
} journals[] = {
	{ PB_HISTORY_COLLECTOR, { STORE_CF_COLLECTOR, { 'J', 'h' }, { 'J', 'n' }, 1000 } },
	{ PB_HISTORY_CONNECTION, { STORE_CF_CONNECTIONS, { 'J', 'h' }, { 'J', 'n' }, 1000 } },
	{ PB_HISTORY_BLOCK, { STORE_CF_LOCKOUT, { 'J', 'h' }, { 'J', 'n' }, 1000 } },
	{ PB_HISTORY_APIKEY, { STORE_CF_SETTINGS, { '\0', 'k' }, { '\0', 'K' }, 1000 } },
};

/* Who the calling thread's changes are by, and how many each history keeps. */
static _Thread_local struct {
	char by[96];
	uint32_t keep;
} who;

static const struct store_journal *journal_of(char kind)
{
	for (size_t i = 0; i < sizeof(journals) / sizeof(journals[0]); i++)
		if (journals[i].kind == kind)
			return &journals[i].j;
	return NULL;
}

bool pb_store_history_kind_valid(char kind)
{
	return journal_of(kind) != NULL;
}

void pb_store_history_who(const char *by, uint32_t keep)
{
	snprintf(who.by, sizeof(who.by), "%s", by != NULL ? by : "");
	who.keep = keep;
}

static bool same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

bool store_history_arm(char kind, const char *record, const char *before, const char *after,
		       const char *note)
{
	const struct store_journal *j = journal_of(kind);

	if (j == NULL || same(before, after))
		return false;
	struct pb_setting_change c = { .by = who.by[0] != '\0' ? who.by : "system",
				       .doc = (char *)record, .before = (char *)before,
				       .note = (char *)(note != NULL ? note : "") };
	store_journal_arm(j, &c, after, who.keep > 0 ? who.keep : (uint32_t)j->max);
	return true;
}

void pb_store_history_arm(char kind, const char *record, const char *before, const char *after)
{
	(void)store_history_arm(kind, record, before, after, NULL);
}

uint64_t pb_store_history_disarm(void)
{
	return store_journal_disarm();
}

int pb_store_history_get(struct pb_store *s, char kind, uint64_t seq,
			 struct pb_setting_change *c_r, const char **error_r)
{
	const struct store_journal *j = journal_of(kind);

	if (j == NULL)
		return store_fail(error_r, "store: no history of kind '%c'", kind);
	return store_journal_get(s, j, seq, c_r, error_r);
}

int pb_store_history_list(struct pb_store *s, char kind, uint64_t before, size_t limit,
			  struct pb_setting_change **v_r, size_t *n_r, const char **error_r)
{
	const struct store_journal *j = journal_of(kind);

	*v_r = NULL;
	*n_r = 0;
	if (j == NULL)
		return store_fail(error_r, "store: no history of kind '%c'", kind);
	return store_journal_list(s, j, before, limit, v_r, n_r, error_r);
}
