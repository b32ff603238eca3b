/*
 * mailbox-client-imap.c: the typed stubs of the mailbox owner's IMAP messages (see the second
 * half of mailbox-client.h): folders, folder operations, copy/move, expunge of \Deleted,
 * STORE, folder watches and APPEND uploads — one builder per message and the synchronous call,
 * asynchronous send and reply decoder over it. OWNS nothing. THREAD: the caller's.
 */
#include "mailbox-client.h"

#include <string.h>

static char *dup_or(const char *s, const char *dflt)
{
	return xstrdup(s != NULL && *s != '\0' ? s : dflt);
}

static void push_uids(struct pb_u64v *v, const uint64_t *uids, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		pb_u64v_push(v, uids[i]);
}

/* ---- folders ---- */

static void build_folders(struct pb_msg *m, uint64_t user_id, const char *name)
{
	pb_msg_init(m, MSG_MBOX_FOLDERS_REQ);
	m->u.mbox_folders_req.user_id = user_id;
	m->u.mbox_folders_req.name = dup_or(name, "");
}

int mailbox_client_folders(struct pb_sync *t, uint64_t user_id, const char *name,
			   uint32_t *code_r, struct pb_rec_mbox_folder_list *folders_r,
			   const char **error_r)
{
	struct pb_msg req, rep;

	build_folders(&req, user_id, name);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = mailbox_client_folders_reply(&rep, folders_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int mailbox_client_folders_send(const struct pb_sender *s, uint64_t user_id, const char *name,
				const char **error_r)
{
	struct pb_msg req;

	build_folders(&req, user_id, name);
	return pb_client_send(s, &req, error_r);
}

int mailbox_client_folders_deleted_send(const struct pb_sender *s, uint64_t user_id,
					const char *name, const char **error_r)
{
	struct pb_msg req;

	build_folders(&req, user_id, name);
	req.u.mbox_folders_req.deleted = 1;
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_folders_reply(struct pb_msg *rep, struct pb_rec_mbox_folder_list *folders_r,
				      const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_MBOX_FOLDERS_REQ, error_r);

	if (code == PB_OK)
		pb_rec_mbox_folder_list_move(folders_r, &rep->u.mbox_folders_rep.folders);
	return code;
}

/* ---- folder operations ---- */

static void build_folder(struct pb_msg *m, uint64_t user_id, uint32_t op, const char *name,
			 const char *new_name)
{
	pb_msg_init(m, MSG_MBOX_FOLDER_REQ);
	m->u.mbox_folder_req.user_id = user_id;
	m->u.mbox_folder_req.op = op;
	m->u.mbox_folder_req.name = dup_or(name, "");
	m->u.mbox_folder_req.new_name = dup_or(new_name, "");
}

int mailbox_client_folder(struct pb_sync *t, uint64_t user_id, uint32_t op, const char *name,
			  const char *new_name, uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	build_folder(&req, user_id, op, name, new_name);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int mailbox_client_folder_send(const struct pb_sender *s, uint64_t user_id, uint32_t op,
			       const char *name, const char *new_name, const char **error_r)
{
	struct pb_msg req;

	build_folder(&req, user_id, op, name, new_name);
	return pb_client_send(s, &req, error_r);
}

int mailbox_client_special_create_send(const struct pb_sender *s, uint64_t user_id,
				       const char *name, uint32_t special_use,
				       const char **error_r)
{
	struct pb_msg req;

	build_folder(&req, user_id, MAILBOX_FOLDER_CREATE, name, NULL);
	req.u.mbox_folder_req.special_use = special_use;
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_folder_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_MBOX_FOLDER_REQ, error_r);
}

/* ---- copy / move ---- */

void mailbox_copied_free(struct mailbox_copied *c)
{
	pb_u64v_clear(&c->src_uids);
	pb_u64v_clear(&c->dst_uids);
}

static void build_copy(struct pb_msg *m, uint64_t user_id, const char *folder, const char *dest,
		       const uint64_t *uids, uint32_t n, bool move)
{
	pb_msg_init(m, MSG_MBOX_COPY_REQ);
	m->u.mbox_copy_req.user_id = user_id;
	m->u.mbox_copy_req.folder = dup_or(folder, "INBOX");
	m->u.mbox_copy_req.dest = dup_or(dest, "INBOX");
	push_uids(&m->u.mbox_copy_req.uids, uids, n);
	m->u.mbox_copy_req.move = move;
}

int mailbox_client_copy(struct pb_sync *t, uint64_t user_id, const char *folder,
			const char *dest, const uint64_t *uids, uint32_t n, bool move,
			uint32_t *code_r, struct mailbox_copied *out_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_copy(&req, user_id, folder, dest, uids, n, move);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = mailbox_client_copy_reply(&rep, out_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int mailbox_client_copy_send(const struct pb_sender *s, uint64_t user_id, const char *folder,
			     const char *dest, const uint64_t *uids, uint32_t n, bool move,
			     const char **error_r)
{
	struct pb_msg req;

	build_copy(&req, user_id, folder, dest, uids, n, move);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_copy_reply(struct pb_msg *rep, struct mailbox_copied *out_r,
				   const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_MBOX_COPY_REQ, error_r);
	struct msg_mbox_copy_rep *r = &rep->u.mbox_copy_rep;

	if (code != PB_OK)
		return code;
	memset(out_r, 0, sizeof(*out_r));
	out_r->uidvalidity = r->uidvalidity;
	pb_u64v_move(&out_r->src_uids, &r->src_uids);
	pb_u64v_move(&out_r->dst_uids, &r->dst_uids);
	out_r->src_modseq = r->src_modseq;
	out_r->dst_modseq = r->dst_modseq;
	return code;
}

/* ---- expunge of \Deleted ---- */

static void build_expunge_deleted(struct pb_msg *m, uint64_t user_id, const char *folder,
				  bool all, const uint64_t *uids, uint32_t n)
{
	pb_msg_init(m, MSG_MBOX_EXPUNGE_DELETED_REQ);
	m->u.mbox_expunge_deleted_req.user_id = user_id;
	m->u.mbox_expunge_deleted_req.folder = dup_or(folder, "INBOX");
	m->u.mbox_expunge_deleted_req.all = all;
	push_uids(&m->u.mbox_expunge_deleted_req.uids, uids, n);
}

int mailbox_client_expunge_deleted(struct pb_sync *t, uint64_t user_id, const char *folder,
				   bool all, const uint64_t *uids, uint32_t n, uint32_t *code_r,
				   struct pb_u64v *uids_r, uint64_t *highestmodseq_r,
				   const char **error_r)
{
	struct pb_msg req, rep;

	build_expunge_deleted(&req, user_id, folder, all, uids, n);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = mailbox_client_expunge_deleted_reply(&rep, uids_r, highestmodseq_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int mailbox_client_expunge_deleted_send(const struct pb_sender *s, uint64_t user_id,
					const char *folder, bool all, const uint64_t *uids,
					uint32_t n, const char **error_r)
{
	struct pb_msg req;

	build_expunge_deleted(&req, user_id, folder, all, uids, n);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_expunge_deleted_reply(struct pb_msg *rep, struct pb_u64v *uids_r,
					      uint64_t *highestmodseq_r, const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_MBOX_EXPUNGE_DELETED_REQ, error_r);

	if (code == PB_OK) {
		pb_u64v_move(uids_r, &rep->u.mbox_expunge_deleted_rep.uids);
		*highestmodseq_r = rep->u.mbox_expunge_deleted_rep.highestmodseq;
	}
	return code;
}

/* ---- store ---- */

void mailbox_stored_free(struct mailbox_stored *r)
{
	pb_rec_mbox_flagged_list_clear(&r->messages);
	pb_u64v_clear(&r->modified);
}

static void build_store(struct pb_msg *m, uint64_t user_id, const struct mailbox_store *in)
{
	pb_msg_init(m, MSG_MBOX_STORE_REQ);
	struct msg_mbox_store_req *q = &m->u.mbox_store_req;
	q->user_id = user_id;
	q->folder = dup_or(in->folder, "INBOX");
	push_uids(&q->uids, in->uids, in->n);
	q->mode = in->mode;
	q->flags = in->flags;
	q->keywords = dup_or(in->keywords, "");
	q->unchanged_since = in->unchanged_since;
}

int mailbox_client_store(struct pb_sync *t, uint64_t user_id, const struct mailbox_store *in,
			 uint32_t *code_r, struct mailbox_stored *out_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_store(&req, user_id, in);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = mailbox_client_store_reply(&rep, out_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int mailbox_client_store_send(const struct pb_sender *s, uint64_t user_id,
			      const struct mailbox_store *in, const char **error_r)
{
	struct pb_msg req;

	build_store(&req, user_id, in);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_store_reply(struct pb_msg *rep, struct mailbox_stored *out_r,
				    const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_MBOX_STORE_REQ, error_r);

	if (code == PB_OK) {
		memset(out_r, 0, sizeof(*out_r));
		pb_rec_mbox_flagged_list_move(&out_r->messages, &rep->u.mbox_store_rep.messages);
		pb_u64v_move(&out_r->modified, &rep->u.mbox_store_rep.modified);
		out_r->highestmodseq = rep->u.mbox_store_rep.highestmodseq;
	}
	return code;
}

/* ---- folder watch ---- */

static void build_folder_watch(struct pb_msg *m, uint64_t user_id, const char *watcher,
			       const char *folder, bool on)
{
	pb_msg_init(m, MSG_MBOX_FOLDER_WATCH_REQ);
	m->u.mbox_folder_watch_req.user_id = user_id;
	m->u.mbox_folder_watch_req.watcher = dup_or(watcher, "");
	m->u.mbox_folder_watch_req.folder = dup_or(folder, "INBOX");
	m->u.mbox_folder_watch_req.on = on;
}

int mailbox_client_folder_watch(struct pb_sync *t, uint64_t user_id, const char *watcher,
				const char *folder, bool on, uint32_t *code_r,
				struct mailbox_watched *out_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_folder_watch(&req, user_id, watcher, folder, on);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = mailbox_client_folder_watch_reply(&rep, out_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int mailbox_client_folder_watch_send(const struct pb_sender *s, uint64_t user_id,
				     const char *watcher, const char *folder, bool on,
				     const char **error_r)
{
	struct pb_msg req;

	build_folder_watch(&req, user_id, watcher, folder, on);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_folder_watch_reply(struct pb_msg *rep, struct mailbox_watched *out_r,
					   const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_MBOX_FOLDER_WATCH_REQ, error_r);
	const struct msg_mbox_folder_watch_rep *r = &rep->u.mbox_folder_watch_rep;

	if (code != PB_OK)
		return code;
	memset(out_r, 0, sizeof(*out_r));
	if (rep->type == MSG_MBOX_FOLDER_WATCH_REP)
		*out_r = (struct mailbox_watched){ r->folder_id, r->uidvalidity, r->uidnext,
						   r->highestmodseq, r->messages };
	return code;
}

/* ---- APPEND uploads ---- */

static void build_upload_begin(struct pb_msg *m, uint64_t user_id, uint64_t size, uint64_t limit)
{
	pb_msg_init(m, MSG_MBOX_UPLOAD_BEGIN_REQ);
	m->u.mbox_upload_begin_req.user_id = user_id;
	m->u.mbox_upload_begin_req.size = size;
	m->u.mbox_upload_begin_req.limit = limit;
}

int mailbox_client_upload_begin(struct pb_sync *t, uint64_t user_id, uint64_t size,
				uint64_t limit, uint32_t *code_r, uint64_t *upload_id_r,
				const char **error_r)
{
	struct pb_msg req, rep;

	build_upload_begin(&req, user_id, size, limit);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = mailbox_client_upload_begin_reply(&rep, upload_id_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int mailbox_client_upload_begin_send(const struct pb_sender *s, uint64_t user_id, uint64_t size,
				     uint64_t limit, const char **error_r)
{
	struct pb_msg req;

	build_upload_begin(&req, user_id, size, limit);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_upload_begin_reply(struct pb_msg *rep, uint64_t *upload_id_r,
					   const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_MBOX_UPLOAD_BEGIN_REQ, error_r);

	if (code == PB_OK)
		*upload_id_r = rep->u.mbox_upload_begin_rep.upload_id;
	return code;
}

static void build_upload_chunk(struct pb_msg *m, uint64_t user_id, uint64_t upload_id,
			       uint64_t offset, const void *data, size_t len)
{
	pb_msg_init(m, MSG_MBOX_UPLOAD_CHUNK_REQ);
	m->u.mbox_upload_chunk_req.user_id = user_id;
	m->u.mbox_upload_chunk_req.upload_id = upload_id;
	m->u.mbox_upload_chunk_req.offset = offset;
	m->u.mbox_upload_chunk_req.data.data = xmalloc(len != 0 ? len : 1);
	if (len > 0)
		memcpy(m->u.mbox_upload_chunk_req.data.data, data, len);
	m->u.mbox_upload_chunk_req.data.len = len;
}

int mailbox_client_upload_chunk(struct pb_sync *t, uint64_t user_id, uint64_t upload_id,
				uint64_t offset, const void *data, size_t len, uint32_t *code_r,
				const char **error_r)
{
	struct pb_msg req;

	build_upload_chunk(&req, user_id, upload_id, offset, data, len);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int mailbox_client_upload_chunk_send(const struct pb_sender *s, uint64_t user_id,
				     uint64_t upload_id, uint64_t offset, const void *data,
				     size_t len, const char **error_r)
{
	struct pb_msg req;

	build_upload_chunk(&req, user_id, upload_id, offset, data, len);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_upload_chunk_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_MBOX_UPLOAD_CHUNK_REQ, error_r);
}

static void build_upload_commit(struct pb_msg *m, uint64_t user_id,
				const struct mailbox_upload_commit *in, size_t n)
{
	pb_msg_init(m, MSG_MBOX_UPLOAD_COMMIT_REQ);
	struct msg_mbox_upload_commit_req *q = &m->u.mbox_upload_commit_req;
	q->user_id = user_id;
	q->folder = dup_or(n > 0 ? in[0].folder : NULL, "INBOX");
	for (size_t i = 0; i < n; i++) {
		struct pb_rec_mbox_upload_item *e = pb_rec_mbox_upload_item_push(&q->uploads);
		e->upload_id = in[i].upload_id;
		e->flags = in[i].flags;
		e->keywords = dup_or(in[i].keywords, "");
		e->internal_date_ms = in[i].internal_date_ms;
	}
}

int mailbox_client_upload_commit(struct pb_sync *t, uint64_t user_id,
				 const struct mailbox_upload_commit *in, uint32_t *code_r,
				 struct mailbox_appended *out_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_upload_commit(&req, user_id, in, 1);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = mailbox_client_upload_commit_reply(&rep, out_r, NULL, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

uint32_t mailbox_client_upload_commit_reply(struct pb_msg *rep, struct mailbox_appended *out_r,
					    struct pb_u64v *uids_r, const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_MBOX_UPLOAD_COMMIT_REQ, error_r);
	struct msg_mbox_upload_commit_rep *r = &rep->u.mbox_upload_commit_rep;

	if (code == PB_OK) {
		uint64_t last = r->uids.n > 0 ? r->uids.v[r->uids.n - 1] : 0;
		*out_r = (struct mailbox_appended){ r->uidvalidity, (uint32_t)last, r->modseq };
		if (uids_r != NULL)
			pb_u64v_move(uids_r, &r->uids);
	}
	return code;
}

int mailbox_client_upload_commit_send(const struct pb_sender *s, uint64_t user_id,
				      const struct mailbox_upload_commit *in, size_t n,
				      const char **error_r)
{
	struct pb_msg req;

	build_upload_commit(&req, user_id, in, n);
	return pb_client_send(s, &req, error_r);
}

static void build_upload_abort(struct pb_msg *m, uint64_t user_id, uint64_t upload_id)
{
	pb_msg_init(m, MSG_MBOX_UPLOAD_ABORT_REQ);
	m->u.mbox_upload_abort_req.user_id = user_id;
	m->u.mbox_upload_abort_req.upload_id = upload_id;
}

int mailbox_client_upload_abort(struct pb_sync *t, uint64_t user_id, uint64_t upload_id,
				uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	build_upload_abort(&req, user_id, upload_id);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int mailbox_client_upload_abort_send(const struct pb_sender *s, uint64_t user_id,
				     uint64_t upload_id, const char **error_r)
{
	struct pb_msg req;

	build_upload_abort(&req, user_id, upload_id);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_upload_abort_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_MBOX_UPLOAD_ABORT_REQ, error_r);
}
