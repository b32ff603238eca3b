/*
 * mailbox-folders.c: the mailbox owner's folder handlers for IMAP — the folder list with STATUS
 * counters (DELETED counted from the messages when asked) and subscriptions (MBOX_FOLDERS_REQ), and CREATE, DELETE, RENAME, SUBSCRIBE and
 * UNSUBSCRIBE (MBOX_FOLDER_REQ). The hierarchy separator is "/".
 * Decisions (RFC 3501 6.3.3-6.3.5): CREATE makes the missing superiors, and gives the folder
 * its special use (RFC 6154 CREATE-SPECIAL-USE) if asked, when no folder has it yet; DELETE refuses INBOX and
 * a folder that has inferiors (there is no \Noselect folder here: the client deletes the
 * inferiors first, as with Dovecot's layouts without \Noselect); RENAME moves the inferiors
 * with the folder, and RENAME INBOX moves INBOX's messages into a new folder and leaves INBOX
 * empty (its inferiors stay). Subscriptions are names, kept as they are by DELETE and RENAME.
 * OWNS: nothing of its own. THREAD: the shard's actor thread.
 */
#include "mailbox-actor-int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_inbox(const char *name)
{
	return strcasecmp(name, "INBOX") == 0;
}

/* Whether name is a usable folder name: not empty, no leading "/", no empty level ("a//b"). A
 * trailing "/" (RFC 3501: "the name of a folder to hold others") is stripped by the caller. */
static bool name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= PB_FOLDER_NAME_MAX && name[0] != '/' && name[len - 1] != '/' &&
	       strstr(name, "//") == NULL;
}

/* Whether a folder of arr is an inferior of name. */
static bool has_children(const struct pb_folder_rec *arr, size_t n, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (strncmp(arr[i].name, name, len) == 0 && arr[i].name[len] == '/')
			return true;
	return false;
}

static bool subscribed(char **subs, size_t n_subs, const char *name)
{
	for (size_t i = 0; i < n_subs; i++)
		if (strcmp(subs[i], name) == 0)
			return true;
	return false;
}

static void folder_entry(struct msg_mbox_folders_rep *r, const struct pb_folder_rec *f,
			 const struct pb_folder_rec *arr, size_t n, char **subs, size_t n_subs)
{
	struct pb_rec_mbox_folder *e = pb_rec_mbox_folder_push(&r->folders);

	e->id = f->id;
	e->name = xstrdup(f->name);
	e->special_use = f->special_use;
	e->subscribed = subscribed(subs, n_subs, f->name);
	e->children = has_children(arr, n, f->name);
	e->messages = f->messages;
	e->uidnext = f->uidnext;
	e->uidvalidity = f->uidvalidity;
	e->unseen = f->unseen;
	e->highestmodseq = f->highestmodseq;
	e->size = f->bytes;
}

/* Fills the reply: every folder (name "") then the subscribed names that are no folder, or the
 * one folder name. Returns the number of entries. */
static size_t folders_fill(struct msg_mbox_folders_rep *r, const char *name,
			   const struct pb_folder_rec *arr, size_t n, char **subs, size_t n_subs)
{
	for (size_t i = 0; i < n; i++) {
		bool eq = is_inbox(name) ? is_inbox(arr[i].name) : strcmp(arr[i].name, name) == 0;
		if (*name == '\0' || eq)
			folder_entry(r, &arr[i], arr, n, subs, n_subs);
	}
	for (size_t i = 0; *name == '\0' && i < n_subs; i++) {
		bool folder = false;
		for (size_t j = 0; j < n && !folder; j++)
			folder = strcmp(arr[j].name, subs[i]) == 0;
		if (!folder) {
			struct pb_rec_mbox_folder *e = pb_rec_mbox_folder_push(&r->folders);
			e->name = xstrdup(subs[i]);
			e->subscribed = 1;
			e->children = has_children(arr, n, subs[i]);
		}
	}
	return r->folders.n;
}

/* Counts the \\Deleted messages of each folder of r (STATUS DELETED). Returns 0 / -1. */
static int count_deleted(struct mailbox_shard *s, uint64_t user_id,
			 struct msg_mbox_folders_rep *r, const char **error_r)
{
	for (size_t i = 0; i < r->folders.n; i++) {
		struct pb_rec_mbox_folder *e = &r->folders.v[i];
		struct pb_msg_rec *recs;
		size_t n;
		if (e->id == 0)
			continue;
		if (pb_store_msg_list(s->store, user_id, e->id, &recs, &n, error_r) < 0)
			return -1;
		for (size_t j = 0; j < n; j++)
			e->deleted += (recs[j].flags & PB_MSG_DELETED) != 0;
		pb_msg_recs_free(recs, n);
	}
	return 0;
}

int mailbox_on_folders(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_folders_req *q = &m->u.mbox_folders_req;
	struct pb_folder_rec *arr;
	char **subs;
	size_t n, n_subs;
	struct pb_msg rep;
	const char *error;

	if (!mailbox_user_or_reply(a, s, m, q->user_id))
		return 0;
	if (pb_store_folder_list(s->store, q->user_id, &arr, &n, &error) < 0)
		return mailbox_store_failed(a, m, error);
	if (pb_store_subs_list(s->store, q->user_id, &subs, &n_subs, &error) < 0) {
		pb_folder_recs_free(arr, n);
		return mailbox_store_failed(a, m, error);
	}
	pb_msg_init(&rep, MSG_MBOX_FOLDERS_REP);
	rep.u.mbox_folders_rep.error = xstrdup("");
	if (folders_fill(&rep.u.mbox_folders_rep, q->name, arr, n, subs, n_subs) == 0 &&
	    *q->name != '\0')
		pb_reply_status(a, m, PB_ERR_NOTFOUND, "no such folder");
	else if (q->deleted && count_deleted(s, q->user_id, &rep.u.mbox_folders_rep, &error) < 0)
		mailbox_store_failed(a, m, error);
	else
		pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	pb_strs_free(subs, n_subs);
	pb_folder_recs_free(arr, n);
	return 0;
}

/* Creates the missing superiors of name ("a" and "a/b" for "a/b/c"). Returns 0 / -1. */
static int create_parents(struct mailbox_shard *s, uint64_t user_id, const char *name,
			  const char **error_r)
{
	char *path = xstrdup(name);
	int ret = 0;

	for (char *p = strchr(path, '/'); p != NULL && ret >= 0; p = strchr(p + 1, '/')) {
		*p = '\0';
		ret = pb_store_folder_create(s->store, user_id, path, PB_SPECIAL_NONE,
					     pb_clock_wall_ms(), NULL, error_r);
		*p = '/';
	}
	free(path);
	return ret < 0 ? -1 : 0;
}

/* Creates name's missing superiors and name itself with special_use (*f_r filled unless -1;
 * may be NULL). Returns 0 created, 1 name existed, -1 error. */
static int create_path(struct mailbox_shard *s, uint64_t user_id, const char *name,
		       uint32_t special_use, struct pb_folder_rec *f_r, const char **error_r)
{
	if (create_parents(s, user_id, name, error_r) < 0)
		return -1;
	return pb_store_folder_create(s->store, user_id, name, special_use, pb_clock_wall_ms(),
				      f_r, error_r);
}

/* Whether special_use may be given to a new folder: none, or Sent..Archive that no folder of
 * the user has yet (RFC 6154 3: one folder a use here). Returns 1 yes, 0 no, -1 error. */
static int use_free(struct mailbox_shard *s, uint64_t user_id, uint32_t special_use,
		    const char **error_r)
{
	struct pb_folder_rec *arr;
	size_t n;

	if (special_use == PB_SPECIAL_NONE)
		return 1;
	if (special_use < PB_SPECIAL_SENT || special_use > PB_SPECIAL_ARCHIVE)
		return 0;
	if (pb_store_folder_list(s->store, user_id, &arr, &n, error_r) < 0)
		return -1;
	int free_ = 1;
	for (size_t i = 0; i < n; i++)
		if (arr[i].special_use == special_use)
			free_ = 0;
	pb_folder_recs_free(arr, n);
	return free_;
}

static void op_create(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
		      uint64_t user_id, char *name, uint32_t special_use)
{
	const char *error;
	size_t len = strlen(name);

	if (len > 1 && name[len - 1] == '/')
		name[len - 1] = '\0';
	if (!name_ok(name)) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "bad folder name");
		return;
	}
	int ret = use_free(s, user_id, special_use, &error);
	if (ret == 0) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "special use unknown or taken");
		return;
	}
	if (ret == 1)
		ret = create_path(s, user_id, name, special_use, NULL, &error);
	if (ret < 0)
		mailbox_store_failed(a, m, error);
	else
		pb_reply_status(a, m, ret == 1 ? PB_ERR_EXISTS : PB_OK,
				ret == 1 ? "the folder exists already" : "");
}

bool mailbox_folder_ensure_or_reply(struct pb_actor *a, struct mailbox_shard *s,
				    const struct pb_msg *m, uint64_t user_id, const char *name)
{
	const char *error;

	if (!mailbox_user_or_reply(a, s, m, user_id))
		return false;
	if (name == NULL || *name == '\0' || is_inbox(name))
		return true;
	if (!name_ok(name)) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "bad folder name");
		return false;
	}
	if (create_path(s, user_id, name, PB_SPECIAL_NONE, NULL, &error) < 0) {
		mailbox_store_failed(a, m, error);
		return false;
	}
	return true;
}

static void op_delete(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
		      uint64_t user_id, const char *name)
{
	struct pb_folder_rec *arr, f;
	size_t n;
	const char *error;

	if (is_inbox(name)) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "INBOX cannot be deleted");
		return;
	}
	if (!mailbox_folder_or_reply(a, s, m, user_id, name, &f))
		return;
	if (pb_store_folder_list(s->store, user_id, &arr, &n, &error) < 0) {
		pb_folder_rec_free(&f);
		mailbox_store_failed(a, m, error);
		return;
	}
	bool children = has_children(arr, n, f.name);
	pb_folder_recs_free(arr, n);
	if (children)
		pb_reply_status(a, m, PB_ERR_REFUSED, "the folder has inferior folders");
	else if (pb_store_folder_delete(s->store, user_id, f.id, &error) < 0)
		mailbox_store_failed(a, m, error);
	else { /* watchers before the caller: the deleter's next command finds them told */
		mailbox_folder_event(a, s, user_id, &f, MAILBOX_EVT_GONE, NULL, 0, NULL);
		pb_reply_status(a, m, PB_OK, "");
	}
	pb_folder_rec_free(&f);
}

/* Moves every message of INBOX into dst, a page at a time (each page one atomic batch).
 * Returns 0 / -1. */
static int move_inbox(struct pb_actor *a, struct mailbox_shard *s, uint64_t user_id,
		      struct pb_folder_rec *inbox, struct pb_folder_rec *dst, const char **error_r)
{
	for (;;) {
		struct pb_msg_list_range q = { .uid_first = 1, .max = MAILBOX_LIST_MAX };
		struct pb_msg_rec *recs;
		struct pb_msg_copied c;
		size_t n;
		uint32_t next;
		if (pb_store_msg_list_range(s->store, user_id, inbox->id, &q, &recs, &n, &next,
					    error_r) < 0)
			return -1;
		uint32_t *uids = xcalloc(n != 0 ? n : 1, sizeof(uint32_t));
		for (size_t i = 0; i < n; i++)
			uids[i] = recs[i].uid;
		pb_msg_recs_free(recs, n);
		int ret = n == 0 ? 0 : pb_store_msg_copy(s->store, user_id, inbox->id, dst->id, uids,
							 n, true, &c, error_r);
		free(uids);
		if (ret < 0 || n == 0)
			return ret;
		mailbox_copy_events(a, s, user_id, inbox, dst, &c, true);
		pb_msg_copied_free(&c);
	}
}

/* RENAME INBOX new_name: a new folder gets INBOX's messages; INBOX stays, empty. */
static void rename_inbox(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
			 uint64_t user_id, struct pb_folder_rec *inbox, const char *new_name)
{
	struct pb_folder_rec dst;
	const char *error;

	memset(&dst, 0, sizeof(dst));
	int ret = create_path(s, user_id, new_name, PB_SPECIAL_NONE, &dst, &error);
	if (ret == 0 && move_inbox(a, s, user_id, inbox, &dst, &error) < 0)
		ret = -1;
	if (ret < 0)
		mailbox_store_failed(a, m, error);
	else if (ret == 1)
		pb_reply_status(a, m, PB_ERR_EXISTS, "the new name exists already");
	else
		pb_reply_status(a, m, PB_OK, "");
	pb_folder_rec_free(&dst);
}

static void rename_tree(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
			uint64_t user_id, const struct pb_folder_rec *f, const char *new_name)
{
	const char *error;

	if (create_parents(s, user_id, new_name, &error) < 0 ||
	    pb_store_folder_rename_tree(s->store, user_id, f->id, new_name, &error) < 0)
		mailbox_store_failed(a, m, error);
	else
		pb_reply_status(a, m, PB_OK, "");
}

/* Whether new_name is old's own name or inside its tree. */
static bool inside(const char *new_name, const char *old)
{
	size_t len = strlen(old);

	return strncmp(new_name, old, len) == 0 && (new_name[len] == '\0' || new_name[len] == '/');
}

static void op_rename(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
		      uint64_t user_id, const char *name, const char *new_name)
{
	struct pb_folder_rec f, taken;
	const char *error;

	if (!name_ok(new_name) || is_inbox(new_name)) {
		pb_reply_status(a, m, PB_ERR_REFUSED, "bad new folder name");
		return;
	}
	if (!mailbox_folder_or_reply(a, s, m, user_id, name, &f))
		return;
	int exists = pb_store_folder_get(s->store, user_id, new_name, &taken, &error);
	if (exists > 0)
		pb_folder_rec_free(&taken);
	if (exists < 0)
		mailbox_store_failed(a, m, error);
	else if (exists > 0)
		pb_reply_status(a, m, PB_ERR_EXISTS, "the new name exists already");
	else if (is_inbox(f.name))
		rename_inbox(a, s, m, user_id, &f, new_name);
	else if (inside(new_name, f.name))
		pb_reply_status(a, m, PB_ERR_REFUSED, "a folder cannot move inside itself");
	else
		rename_tree(a, s, m, user_id, &f, new_name);
	pb_folder_rec_free(&f);
}

static void op_subscribe(struct pb_actor *a, struct mailbox_shard *s, const struct pb_msg *m,
			 uint64_t user_id, const char *name, bool on)
{
	const char *error;

	if (!mailbox_user_or_reply(a, s, m, user_id))
		return;
	if (!name_ok(name))
		pb_reply_status(a, m, PB_ERR_REFUSED, "bad folder name");
	else if (pb_store_subs_set(s->store, user_id, name, on, &error) < 0)
		mailbox_store_failed(a, m, error);
	else
		pb_reply_status(a, m, PB_OK, "");
}

int mailbox_on_folder(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct mailbox_shard *s = state;
	struct msg_mbox_folder_req *q = &m->u.mbox_folder_req;

	switch (q->op) {
	case MAILBOX_FOLDER_CREATE:
		if (mailbox_user_or_reply(a, s, m, q->user_id))
			op_create(a, s, m, q->user_id, q->name, q->special_use);
		break;
	case MAILBOX_FOLDER_DELETE:
		op_delete(a, s, m, q->user_id, q->name);
		mailbox_quota_changed(a, s, q->user_id); /* its messages are gone: re-armed */
		break;
	case MAILBOX_FOLDER_RENAME:
		op_rename(a, s, m, q->user_id, q->name, q->new_name);
		break;
	case MAILBOX_FOLDER_SUBSCRIBE:
	case MAILBOX_FOLDER_UNSUBSCRIBE:
		op_subscribe(a, s, m, q->user_id, q->name, q->op == MAILBOX_FOLDER_SUBSCRIBE);
		break;
	default:
		pb_reply_status(a, m, PB_ERR_REFUSED, "unknown folder operation");
	}
	return 0;
}
