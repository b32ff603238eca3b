/*
 * mailbox-client.c: the mailbox owners' typed client stub (see mailbox-client.h): one request
 * builder per message, and the synchronous call, asynchronous send and reply decoder over it.
 * OWNS nothing. THREAD: the caller's.
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

/* ---- builders ---- */

static void build_append(struct pb_msg *m, uint64_t user_id, const struct mailbox_append *in)
{
	pb_msg_init(m, MSG_MBOX_APPEND_REQ);
	struct msg_mbox_append_req *q = &m->u.mbox_append_req;
	q->user_id = user_id;
	q->folder = dup_or(in->folder, "INBOX");
	q->flags = in->flags;
	q->keywords = dup_or(in->keywords, "");
	q->internal_date_ms = in->internal_date_ms;
	q->size = in->size;
	q->blob_key = dup_or(in->blob_key, "");
	q->dedupe_key = dup_or(in->dedupe_key, "");
	q->lazy = in->lazy;
	q->create = in->create;
}

static void build_list(struct pb_msg *m, uint64_t user_id, const struct mailbox_list_query *q)
{
	static const struct mailbox_list_query first_page = { 0 };

	if (q == NULL)
		q = &first_page;
	pb_msg_init(m, MSG_MBOX_LIST_REQ);
	m->u.mbox_list_req.user_id = user_id;
	m->u.mbox_list_req.folder = dup_or(q->folder, "INBOX");
	m->u.mbox_list_req.uid_first = q->uid_first;
	m->u.mbox_list_req.uid_last = q->uid_last;
	m->u.mbox_list_req.changed_since = q->changed_since;
	m->u.mbox_list_req.limit = q->limit;
}

static void build_flags(struct pb_msg *m, uint64_t user_id, const char *folder,
			const uint64_t *uids, uint32_t n, uint32_t mode, uint32_t flags)
{
	pb_msg_init(m, MSG_MBOX_FLAGS_REQ);
	m->u.mbox_flags_req.user_id = user_id;
	m->u.mbox_flags_req.folder = dup_or(folder, "INBOX");
	push_uids(&m->u.mbox_flags_req.uids, uids, n);
	m->u.mbox_flags_req.mode = mode;
	m->u.mbox_flags_req.flags = flags;
}

static void build_expunge(struct pb_msg *m, uint64_t user_id, const char *folder,
			  const uint64_t *uids, uint32_t n)
{
	pb_msg_init(m, MSG_MBOX_EXPUNGE_REQ);
	m->u.mbox_expunge_req.user_id = user_id;
	m->u.mbox_expunge_req.folder = dup_or(folder, "INBOX");
	push_uids(&m->u.mbox_expunge_req.uids, uids, n);
}

static void build_purge(struct pb_msg *m, uint64_t user_id)
{
	pb_msg_init(m, MSG_MBOX_PURGE_REQ);
	m->u.mbox_purge_req.user_id = user_id;
}

static void build_watch(struct pb_msg *m, uint64_t user_id, const char *watcher, bool on)
{
	pb_msg_init(m, MSG_MBOX_WATCH_REQ);
	m->u.mbox_watch_req.user_id = user_id;
	m->u.mbox_watch_req.watcher = dup_or(watcher, "");
	m->u.mbox_watch_req.on = on;
}

static void build_lock(struct pb_msg *m, uint64_t user_id, const char *holder, bool on,
		       uint64_t ttl_ms)
{
	pb_msg_init(m, MSG_MBOX_LOCK_REQ);
	m->u.mbox_lock_req.user_id = user_id;
	m->u.mbox_lock_req.holder = dup_or(holder, "");
	m->u.mbox_lock_req.on = on;
	m->u.mbox_lock_req.ttl_ms = ttl_ms;
}

/* ---- append ---- */

int mailbox_client_append(struct pb_sync *t, uint64_t user_id, const struct mailbox_append *in,
			  uint32_t *code_r, struct mailbox_appended *out_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_append(&req, user_id, in);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = mailbox_client_append_reply(&rep, out_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int mailbox_client_append_send(const struct pb_sender *s, uint64_t user_id,
			       const struct mailbox_append *in, const char **error_r)
{
	struct pb_msg req;

	build_append(&req, user_id, in);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_append_reply(struct pb_msg *rep, struct mailbox_appended *out_r,
				     const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_MBOX_APPEND_REQ, error_r);

	if (code == PB_OK) {
		out_r->uidvalidity = rep->u.mbox_append_rep.uidvalidity;
		out_r->uid = rep->u.mbox_append_rep.uid;
		out_r->modseq = rep->u.mbox_append_rep.modseq;
	}
	return code;
}

/* ---- list ---- */

void mailbox_list_free(struct mailbox_list *l)
{
	pb_rec_mbox_entry_list_clear(&l->entries);
}

int mailbox_client_list(struct pb_sync *t, uint64_t user_id, const struct mailbox_list_query *q,
			uint32_t *code_r, struct mailbox_list *list_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_list(&req, user_id, q);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = mailbox_client_list_reply(&rep, list_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int mailbox_client_list_all(struct pb_sync *t, uint64_t user_id,
			    const struct mailbox_list_query *q, uint32_t *code_r,
			    struct mailbox_list *list_r, const char **error_r)
{
	struct mailbox_list_query page = q != NULL ? *q : (struct mailbox_list_query){ 0 };

	for (;;) {
		if (mailbox_client_list(t, user_id, &page, code_r, list_r, error_r) < 0)
			return -1;
		if (*code_r != PB_OK || list_r->next_uid == 0)
			return 0;
		page.uid_first = list_r->next_uid;
	}
}

int mailbox_client_list_send(const struct pb_sender *s, uint64_t user_id,
			     const struct mailbox_list_query *q, const char **error_r)
{
	struct pb_msg req;

	build_list(&req, user_id, q);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_list_reply(struct pb_msg *rep, struct mailbox_list *list_r,
				   const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_MBOX_LIST_REQ, error_r);
	struct msg_mbox_list_rep *r = &rep->u.mbox_list_rep;

	if (code != PB_OK)
		return code;
	list_r->uidvalidity = r->uidvalidity;
	list_r->uidnext = r->uidnext;
	list_r->highestmodseq = r->highestmodseq;
	list_r->next_uid = r->next_uid;
	if (list_r->entries.n == 0) {
		pb_rec_mbox_entry_list_clear(&list_r->entries);
		pb_rec_mbox_entry_list_move(&list_r->entries, &r->entries);
		return code;
	}
	for (uint32_t i = 0; i < r->entries.n; i++) { /* a later page: append, strings moved */
		*pb_rec_mbox_entry_push(&list_r->entries) = r->entries.v[i];
		r->entries.v[i].blob_key = NULL;
		r->entries.v[i].keywords = NULL;
	}
	return code;
}

/* ---- flags ---- */

int mailbox_client_flags(struct pb_sync *t, uint64_t user_id, const char *folder,
			 const uint64_t *uids, uint32_t n, uint32_t mode, uint32_t flags,
			 uint32_t *code_r, uint64_t *modseq_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_flags(&req, user_id, folder, uids, n, mode, flags);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = mailbox_client_flags_reply(&rep, modseq_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int mailbox_client_flags_send(const struct pb_sender *s, uint64_t user_id, const char *folder,
			      const uint64_t *uids, uint32_t n, uint32_t mode, uint32_t flags,
			      const char **error_r)
{
	struct pb_msg req;

	build_flags(&req, user_id, folder, uids, n, mode, flags);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_flags_reply(struct pb_msg *rep, uint64_t *modseq_r, const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_MBOX_FLAGS_REQ, error_r);

	if (code == PB_OK)
		*modseq_r = rep->u.mbox_flags_rep.modseq;
	return code;
}

/* ---- status-only requests ---- */

int mailbox_client_expunge(struct pb_sync *t, uint64_t user_id, const char *folder,
			   const uint64_t *uids, uint32_t n, uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	build_expunge(&req, user_id, folder, uids, n);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int mailbox_client_expunge_send(const struct pb_sender *s, uint64_t user_id, const char *folder,
				const uint64_t *uids, uint32_t n, const char **error_r)
{
	struct pb_msg req;

	build_expunge(&req, user_id, folder, uids, n);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_expunge_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_MBOX_EXPUNGE_REQ, error_r);
}

int mailbox_client_purge(struct pb_sync *t, uint64_t user_id, uint32_t *code_r,
			 const char **error_r)
{
	struct pb_msg req;

	build_purge(&req, user_id);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int mailbox_client_quota_remind(struct pb_sync *t, uint64_t user_id, uint32_t day,
				uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_MBOX_QUOTA_REMIND_REQ);
	req.u.mbox_quota_remind_req.user_id = user_id;
	req.u.mbox_quota_remind_req.day = day;
	return pb_client_call_status(t, &req, code_r, error_r);
}

int mailbox_client_purge_send(const struct pb_sender *s, uint64_t user_id, const char **error_r)
{
	struct pb_msg req;

	build_purge(&req, user_id);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_purge_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_MBOX_PURGE_REQ, error_r);
}

int mailbox_client_watch(struct pb_sync *t, uint64_t user_id, const char *watcher, bool on,
			 uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	build_watch(&req, user_id, watcher, on);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int mailbox_client_watch_send(const struct pb_sender *s, uint64_t user_id, const char *watcher,
			      bool on, const char **error_r)
{
	struct pb_msg req;

	build_watch(&req, user_id, watcher, on);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_watch_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_MBOX_WATCH_REQ, error_r);
}

int mailbox_client_lock(struct pb_sync *t, uint64_t user_id, const char *holder, bool on,
			uint64_t ttl_ms, uint32_t *code_r, const char **error_r)
{
	struct pb_msg req;

	build_lock(&req, user_id, holder, on, ttl_ms);
	return pb_client_call_status(t, &req, code_r, error_r);
}

int mailbox_client_lock_send(const struct pb_sender *s, uint64_t user_id, const char *holder,
			     bool on, uint64_t ttl_ms, const char **error_r)
{
	struct pb_msg req;

	build_lock(&req, user_id, holder, on, ttl_ms);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_lock_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_MBOX_LOCK_REQ, error_r);
}

/* ---- create ---- */

static void build_create(struct pb_msg *m, uint64_t user_id)
{
	pb_msg_init(m, MSG_MBOX_CREATE_REQ);
	m->u.mbox_create_req.user_id = user_id;
}

int mailbox_client_create(struct pb_sync *t, uint64_t user_id, uint32_t *code_r,
			  const char **error_r)
{
	struct pb_msg req, rep;

	build_create(&req, user_id);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = mailbox_client_create_reply(&rep, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int mailbox_client_create_send(const struct pb_sender *s, uint64_t user_id, const char **error_r)
{
	struct pb_msg req;

	build_create(&req, user_id);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_create_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_MBOX_CREATE_REQ, error_r);
}

/* ---- stat ---- */

static void build_stat(struct pb_msg *m, uint64_t user_id)
{
	pb_msg_init(m, MSG_MBOX_STAT_REQ);
	m->u.mbox_stat_req.user_id = user_id;
}

int mailbox_client_stat(struct pb_sync *t, uint64_t user_id, uint32_t *code_r,
			struct mailbox_stat *stat_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_stat(&req, user_id);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = mailbox_client_stat_reply(&rep, stat_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int mailbox_client_stat_send(const struct pb_sender *s, uint64_t user_id, const char **error_r)
{
	struct pb_msg req;

	build_stat(&req, user_id);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_stat_reply(struct pb_msg *rep, struct mailbox_stat *stat_r,
				   const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_MBOX_STAT_REQ, error_r);

	if (code == PB_OK) {
		stat_r->messages = rep->u.mbox_stat_rep.messages;
		stat_r->bytes = rep->u.mbox_stat_rep.bytes;
		stat_r->exists = rep->u.mbox_stat_rep.exists != 0;
		stat_r->quota_bytes = rep->u.mbox_stat_rep.quota_bytes;
		stat_r->blocked = rep->u.mbox_stat_rep.blocked != 0;
	}
	return code;
}

/* ---- quota ---- */

int mailbox_client_quota_set_send(const struct pb_sender *s, uint64_t user_id, bool has_limit,
				  uint64_t limit_mb, const char **error_r)
{
	struct pb_msg req;

	pb_msg_init(&req, MSG_MBOX_QUOTA_SET_REQ);
	req.u.mbox_quota_set_req.user_id = user_id;
	req.u.mbox_quota_set_req.has_limit = has_limit ? 1 : 0;
	req.u.mbox_quota_set_req.limit_mb = limit_mb;
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_quota_set_reply(struct pb_msg *rep, const char **error_r)
{
	return pb_client_reply(rep, MSG_MBOX_QUOTA_SET_REQ, error_r);
}

/* ---- page (webmail's list) ---- */

void mailbox_page_free(struct mailbox_page *p)
{
	pb_rec_mbox_entry_list_clear(&p->entries);
	free(p->last_key);
	*p = (struct mailbox_page){ 0 };
}

static void build_page(struct pb_msg *m, uint64_t user_id, const struct mailbox_page_query *q)
{
	pb_msg_init(m, MSG_MBOX_PAGE_REQ);
	struct msg_mbox_page_req *r = &m->u.mbox_page_req;
	r->user_id = user_id;
	r->folder = dup_or(q->folder, "INBOX");
	r->sort = q->sort;
	r->desc = q->desc;
	r->has_cursor = q->has_cursor;
	r->after_uid = q->after_uid;
	r->after_num = q->after_num;
	r->after_key = dup_or(q->after_key, "");
	r->limit = q->limit;
}

int mailbox_client_page(struct pb_sync *t, uint64_t user_id, const struct mailbox_page_query *q,
			uint32_t *code_r, struct mailbox_page *page_r, const char **error_r)
{
	struct pb_msg req, rep;

	build_page(&req, user_id, q);
	if (pb_client_call(t, &req, &rep, error_r) < 0)
		return -1;
	uint32_t code = mailbox_client_page_reply(&rep, page_r, error_r);
	return pb_client_done(t, &rep, code, code_r, error_r);
}

int mailbox_client_page_send(const struct pb_sender *s, uint64_t user_id,
			     const struct mailbox_page_query *q, const char **error_r)
{
	struct pb_msg req;

	build_page(&req, user_id, q);
	return pb_client_send(s, &req, error_r);
}

uint32_t mailbox_client_page_reply(struct pb_msg *rep, struct mailbox_page *page_r,
				   const char **error_r)
{
	uint32_t code = pb_client_reply(rep, MSG_MBOX_PAGE_REQ, error_r);
	struct msg_mbox_page_rep *r = &rep->u.mbox_page_rep;

	if (code != PB_OK)
		return code;
	*page_r = (struct mailbox_page){ .messages = r->messages, .last_num = r->last_num,
					 .more = r->more != 0, .building = r->building != 0 };
	pb_rec_mbox_entry_list_move(&page_r->entries, &r->entries);
	page_r->last_key = r->last_key;
	r->last_key = NULL;
	return code;
}
