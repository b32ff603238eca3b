/*
 * directory-private.h: what the directory's handler files share (directory-actor.c: accounts,
 * domains, the ops' replies; directory-stats.c: the requests answered with the mailbox owners'
 * statistics). Nobody outside actors/directory includes it.
 * OWNS: nothing (declarations). THREAD: the directory actor's.
 */
#ifndef DIRECTORY_PRIVATE_H
#define DIRECTORY_PRIVATE_H

#include "directory-ops.h"
#include "pb-runtime.h"

struct directory {
	struct pb_store *store;
	struct directory_ops ops; /* requests waiting on the auth shards or the mailbox owners */
	struct pb_runtime *rt;    /* for the settings snapshot */
};

/* Answers m with an internal error (the reason logged, not told). Returns 0. */
int directory_store_failed(struct pb_actor *a, const struct pb_msg *m, const char *error);
/* Defers m's answer and starts an op for it (directory_ops_add, with the op deadline). */
struct directory_op *directory_op_start(struct pb_actor *a, struct directory *d,
					enum directory_op_kind kind, struct pb_msg *m, uint32_t n);
/* Answers an op's request with code (an internal error the way directory_store_failed does)
 * and ends it. */
void directory_op_finish(struct pb_actor *a, struct directory *d, struct directory_op *op,
			 uint32_t code, const char *error);
/* Answers an op's request with its prepared op->rep and ends it. */
void directory_op_answer(struct pb_actor *a, struct directory *d, struct directory_op *op);

/* directory-stats.c. DIR_USER_LIST_REQ and DIR_USER_SHOW_REQ: the accounts, with their mail
 * statistics asked of the mailbox owners (MBOX_STAT_REQ; a list at most DIRECTORY_STAT_WINDOW
 * users at a time). */
int directory_on_user_list(struct pb_actor *a, void *state, struct pb_msg *m);
int directory_on_user_show(struct pb_actor *a, void *state, struct pb_msg *m);
/* An MBOX_STAT_REP (or CORE_STATUS_REP) for a SHOW or LIST op in DIRECTORY_PHASE_STAT. */
void directory_stat_done(struct pb_actor *a, struct directory *d, struct directory_op *op,
			 struct pb_msg *rep);
/* DIR_COUNTS_REQ and DIR_USER_IDS_REQ: read the accounts alone. */
int directory_on_counts(struct pb_actor *a, void *state, struct pb_msg *m);
int directory_on_user_ids(struct pb_actor *a, void *state, struct pb_msg *m);

#endif
