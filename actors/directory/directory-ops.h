/*
 * directory-ops.h: the directory's requests waiting on another actor — a password hash from
 * the auth shards (add, passwd, bulk add), the mailbox owners' create (add, bulk add), mail
 * statistics (show, list, delete) or purge (delete). The directory
 * answers the request when the last reply comes, or when the op's deadline passes; meanwhile
 * it goes on answering everything else (every SMTP RCPT among them).
 * Pure bookkeeping: no store, no clock (times are passed in), no messaging.
 * OWNS: the ops and what they hold (the request, with its fields; the accounts being written).
 * THREAD: the directory actor's.
 */
#ifndef DIRECTORY_OPS_H
#define DIRECTORY_OPS_H

#include "pb-msg.h"
#include "store-accounts.h"

enum directory_op_kind {
	DIRECTORY_OP_ADD,
	DIRECTORY_OP_PASSWD,
	DIRECTORY_OP_BULK,
	DIRECTORY_OP_DEL,
	DIRECTORY_OP_SHOW,
	DIRECTORY_OP_LIST,
	DIRECTORY_OP_QUOTA, /* user set/unset quota_mb: the mailbox owner takes the new quota */
};
/* What an op waits for: password hashes (ADD, BULK, PASSWD), mail statistics from the mailbox
 * owners (SHOW, LIST; DEL without force, to refuse a mailbox that is not empty), or the mailbox
 * owners' create (ADD, BULK) or purge (DEL). */
enum directory_op_phase { DIRECTORY_PHASE_HASH, DIRECTORY_PHASE_STAT, DIRECTORY_PHASE_MAILBOX };

/* Hash requests carry at most this many passwords, so a bulk add spreads over the auth shards. */
#define DIRECTORY_HASH_CHUNK 8
/* A user list asks the mailbox owners for at most this many users' statistics at a time. */
#define DIRECTORY_STAT_WINDOW 32

struct directory_op {
	uint64_t id;                 /* replies carry corr = id << 16 | chunk */
	enum directory_op_kind kind;
	enum directory_op_phase phase;
	struct pb_msg req;           /* the request to answer (moved out of the runtime's) */
	uint64_t deadline_ms;
	/* ADD/BULK: the accounts to write, one per user of the request; PASSWD: [0] the account */
	struct pb_user_rec *recs;
	const char **errors;         /* per rec: NULL to write, else why not (static text) */
	uint32_t n;
	uint32_t *unhashed;            /* indexes of recs waiting for a hash, in request order */
	uint32_t n_unhashed;
	uint32_t chunks_left;        /* hash replies (or the purge reply) still to come */
	uint32_t fail_code;          /* a hash that failed: PB_OK while none */
	const char *fail_error;
	uint64_t user_id;            /* DEL, SHOW: the account */
	struct pb_msg rep;           /* SHOW, LIST, ADD, BULK: the answer, sent when the phase ends */
	/* LIST: the users' ids (in rep's order), the next to ask for, the replies still to come,
	 * and which user each of the DIRECTORY_STAT_WINDOW slots (corr & 0xffff) is asking for */
	struct pb_u64v ids;
	uint32_t next;
	uint32_t slot_user[DIRECTORY_STAT_WINDOW];
};

struct directory_ops {
	struct directory_op **v;
	size_t n;
	uint64_t next_id;
};

/* Starts an op of kind for request m, moving m's fields into it (m keeps its type and nothing
 * to free), with n empty recs, in phase DIRECTORY_PHASE_HASH. The op is the table's. */
struct directory_op *directory_ops_add(struct directory_ops *t, enum directory_op_kind kind,
				       struct pb_msg *m, uint32_t n, uint64_t deadline_ms);
/* The op a reply's corr names, or NULL (it ended, timed out, or the directory restarted). */
struct directory_op *directory_ops_find(struct directory_ops *t, uint64_t corr);
/* Removes and frees op (wiping any password left in its request). */
void directory_ops_remove(struct directory_ops *t, struct directory_op *op);
/* The first op whose deadline is at or before now, or NULL. */
struct directory_op *directory_ops_expired(struct directory_ops *t, uint64_t now_ms);
/* Frees every op. */
void directory_ops_clear(struct directory_ops *t);

/* The number of hash requests op->unhashed needs. */
uint32_t directory_op_chunks(const struct directory_op *op);

#endif
