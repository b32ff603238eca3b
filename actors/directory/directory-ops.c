/*
 * directory-ops.c: the directory's pending account changes (see directory-ops.h).
 * OWNS the ops. THREAD: the directory actor's.
 */
#include "directory-ops.h"

#include <string.h>

struct directory_op *directory_ops_add(struct directory_ops *t, enum directory_op_kind kind,
				       struct pb_msg *m, uint32_t n, uint64_t deadline_ms)
{
	struct directory_op *op = xcalloc(1, sizeof(*op));

	op->id = ++t->next_id & 0xffffffffffffull; /* room for the chunk in corr's low 16 bits */
	op->kind = kind;
	op->req = *m;
	memset(&m->u, 0, sizeof(m->u));
	m->reply_to = NULL;
	op->deadline_ms = deadline_ms;
	op->n = n;
	op->recs = xcalloc(n > 0 ? n : 1, sizeof(*op->recs));
	op->errors = xcalloc(n > 0 ? n : 1, sizeof(*op->errors));
	op->unhashed = xcalloc(n > 0 ? n : 1, sizeof(*op->unhashed));
	t->v = xrealloc(t->v, sizeof(*t->v) * (t->n + 1));
	t->v[t->n++] = op;
	return op;
}

struct directory_op *directory_ops_find(struct directory_ops *t, uint64_t corr)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i]->id == corr >> 16)
			return t->v[i];
	}
	return NULL;
}

static void wipe_strv(struct pb_strv *v)
{
	for (uint32_t i = 0; i < v->n; i++)
		explicit_bzero(v->v[i], strlen(v->v[i]));
}

static void op_free(struct directory_op *op)
{
	if (op->req.type == MSG_DIR_USER_BULK_ADD_REQ)
		wipe_strv(&op->req.u.dir_user_bulk_add_req.passwords);
	else if (op->req.type == MSG_DIR_USER_ADD_REQ && op->req.u.dir_user_add_req.password)
		explicit_bzero(op->req.u.dir_user_add_req.password,
			       strlen(op->req.u.dir_user_add_req.password));
	else if (op->req.type == MSG_DIR_USER_PASSWD_REQ && op->req.u.dir_user_passwd_req.password)
		explicit_bzero(op->req.u.dir_user_passwd_req.password,
			       strlen(op->req.u.dir_user_passwd_req.password));
	pb_msg_free(&op->req);
	for (uint32_t i = 0; i < op->n; i++)
		pb_user_rec_free(&op->recs[i]);
	free(op->recs);
	free(op->errors);
	free(op->unhashed);
	pb_msg_free(&op->rep);
	pb_u64v_clear(&op->ids);
	free(op);
}

void directory_ops_remove(struct directory_ops *t, struct directory_op *op)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i] == op) {
			t->v[i] = t->v[--t->n];
			break;
		}
	}
	op_free(op);
}

struct directory_op *directory_ops_expired(struct directory_ops *t, uint64_t now_ms)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i]->deadline_ms <= now_ms)
			return t->v[i];
	}
	return NULL;
}

void directory_ops_clear(struct directory_ops *t)
{
	for (size_t i = 0; i < t->n; i++)
		op_free(t->v[i]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

uint32_t directory_op_chunks(const struct directory_op *op)
{
	return (op->n_unhashed + DIRECTORY_HASH_CHUNK - 1) / DIRECTORY_HASH_CHUNK;
}
