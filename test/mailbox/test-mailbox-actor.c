/*
 * test-mailbox-actor.c: mailbox owner shards over a real store: append (and dedupe replay),
 * list, flags, expunge, watchers notified of changes, the maildrop lock, purge.
 */
#include "mailbox-actor.h"
#include "pb-test.h"
#include "pb-test-store.h"

#include <stdlib.h>

struct fixture {
	char *dir;
	struct pb_store *store;
	struct pb_runtime *rt;
	struct pb_caller *c;
	char blob[PB_BLOB_KEY_LEN + 1];
};

static void setup(struct fixture *f)
{
	const char *error;

	f->dir = store_test_tmpdir("mbox");
	f->store = store_test_open(f->dir);
	f->rt = pb_runtime_create("t", NULL);
	if (mailbox_actors_start(f->rt, f->store, 3, &error) < 0)
		PANIC("start: %s", error);
	f->c = pb_caller_create(f->rt);
	for (uint64_t id = 3; id <= 9; id++) {
		struct pb_user_rec u = { .id = id };
		snprintf(u.name, sizeof(u.name), "user%llu", (unsigned long long)id);
		if (pb_store_user_put(f->store, &u, &error) < 0)
			PANIC("user: %s", error);
	}
	const char body[] = "Subject: t\r\n\r\nhello\r\n";
	if (pb_store_blob_put(f->store, body, sizeof(body) - 1, f->blob, &error) < 0)
		PANIC("blob: %s", error);
}

static void teardown(struct fixture *f)
{
	pb_caller_destroy(&f->c);
	pb_runtime_destroy(&f->rt);
	pb_store_close(&f->store);
	store_test_rmrf(f->dir);
	free(f->dir);
}

static uint32_t call(struct fixture *f, struct pb_msg *req, struct pb_msg *rep_r)
{
	const char *error;
	if (pb_call(f->c, NULL, req, rep_r, 10000, &error) < 0)
		PANIC("call failed: %s", error);
	pb_msg_free(req);
	return rep_r->u.core_status_rep.code;
}

static uint32_t append(struct fixture *f, uint64_t user, const char *folder, const char *dedupe,
		       uint32_t *uid_r)
{
	struct pb_msg req, rep;
	pb_msg_init(&req, MSG_MBOX_APPEND_REQ);
	req.u.mbox_append_req.user_id = user;
	req.u.mbox_append_req.folder = xstrdup(folder);
	req.u.mbox_append_req.size = 21;
	req.u.mbox_append_req.blob_key = xstrdup(f->blob);
	req.u.mbox_append_req.dedupe_key = xstrdup(dedupe ? dedupe : "");
	uint32_t code = call(f, &req, &rep);
	if (uid_r != NULL)
		*uid_r = rep.u.mbox_append_rep.uid;
	pb_msg_free(&rep);
	return code;
}

static struct pb_msg list(struct fixture *f, uint64_t user)
{
	struct pb_msg req, rep;
	pb_msg_init(&req, MSG_MBOX_LIST_REQ);
	req.u.mbox_list_req.user_id = user;
	req.u.mbox_list_req.folder = xstrdup("INBOX");
	call(f, &req, &rep);
	return rep;
}

static void test_append_list_dedupe(void)
{
	struct fixture f;
	uint32_t uid;

	setup(&f);
	CHECK_INT(append(&f, 7, "INBOX", "k1", &uid), PB_OK);
	CHECK_INT(uid, 1);
	CHECK_INT(append(&f, 7, "inbox", "k2", &uid), PB_OK);
	CHECK_INT(uid, 2);
	CHECK_INT(append(&f, 7, "INBOX", "k1", &uid), PB_OK); /* replay */
	CHECK_INT(uid, 1);
	CHECK_INT(append(&f, 7, "Sent", NULL, &uid), PB_OK);
	CHECK_INT(append(&f, 7, "No Such Folder", NULL, &uid), PB_ERR_NOTFOUND);
	CHECK_INT(append(&f, 42, "INBOX", NULL, &uid), PB_ERR_NOTFOUND); /* no such account */
	struct pb_msg rep = list(&f, 7);
	CHECK_INT(rep.u.mbox_list_rep.code, PB_OK);
	CHECK_INT(rep.u.mbox_list_rep.uids.n, 2);
	CHECK_INT(rep.u.mbox_list_rep.uidnext, 3);
	CHECK_STR(rep.u.mbox_list_rep.blob_keys.v[0], f.blob);
	pb_msg_free(&rep);
	/* another user (maybe another shard) is separate */
	rep = list(&f, 8);
	CHECK_INT(rep.u.mbox_list_rep.uids.n, 0);
	pb_msg_free(&rep);
	int64_t refs = 0;
	const char *error;
	CHECK(pb_store_blob_refcount(f.store, f.blob, &refs, &error) == 1);
	CHECK_INT(refs, 3);
	teardown(&f);
}

static void test_flags_expunge_and_watch(void)
{
	struct fixture f;
	struct pb_msg req, rep;
	struct pb_inbox *watcher;
	const char *error;

	setup(&f);
	REQUIRE(pb_inbox_open(f.rt, "watcher", 64, &watcher, &error) == 0);
	pb_msg_init(&req, MSG_MBOX_WATCH_REQ);
	req.u.mbox_watch_req.user_id = 5;
	req.u.mbox_watch_req.watcher = xstrdup("watcher");
	req.u.mbox_watch_req.on = 1;
	CHECK_INT(call(&f, &req, &rep), PB_OK);
	pb_msg_free(&rep);

	CHECK_INT(append(&f, 5, "INBOX", NULL, NULL), PB_OK);
	CHECK_INT(append(&f, 5, "INBOX", NULL, NULL), PB_OK);
	struct pb_msg ev;
	REQUIRE(pb_inbox_recv(watcher, &ev, 5000) == 1);
	CHECK_INT(ev.type, MSG_MBOX_CHANGED_EVT);
	CHECK_INT(ev.u.mbox_changed_evt.what, MAILBOX_APPENDED);
	CHECK_INT(ev.u.mbox_changed_evt.uid, 1);
	pb_msg_free(&ev);
	REQUIRE(pb_inbox_recv(watcher, &ev, 5000) == 1);
	pb_msg_free(&ev);

	pb_msg_init(&req, MSG_MBOX_FLAGS_REQ);
	req.u.mbox_flags_req.user_id = 5;
	req.u.mbox_flags_req.folder = xstrdup("INBOX");
	pb_u64v_push(&req.u.mbox_flags_req.uids, 2);
	req.u.mbox_flags_req.mode = PB_FLAGS_ADD;
	req.u.mbox_flags_req.flags = PB_MSG_SEEN | PB_MSG_FLAGGED;
	CHECK_INT(call(&f, &req, &rep), PB_OK);
	CHECK(rep.u.mbox_flags_rep.modseq > 2);
	pb_msg_free(&rep);
	REQUIRE(pb_inbox_recv(watcher, &ev, 5000) == 1);
	CHECK_INT(ev.u.mbox_changed_evt.what, MAILBOX_FLAGS);
	pb_msg_free(&ev);
	rep = list(&f, 5);
	CHECK(rep.u.mbox_list_rep.flags.v[1] == (PB_MSG_SEEN | PB_MSG_FLAGGED));
	CHECK(rep.u.mbox_list_rep.flags.v[0] == 0);
	pb_msg_free(&rep);

	pb_msg_init(&req, MSG_MBOX_EXPUNGE_REQ);
	req.u.mbox_expunge_req.user_id = 5;
	req.u.mbox_expunge_req.folder = xstrdup("INBOX");
	pb_u64v_push(&req.u.mbox_expunge_req.uids, 1);
	CHECK_INT(call(&f, &req, &rep), PB_OK);
	pb_msg_free(&rep);
	REQUIRE(pb_inbox_recv(watcher, &ev, 5000) == 1);
	CHECK_INT(ev.u.mbox_changed_evt.what, MAILBOX_EXPUNGED);
	pb_msg_free(&ev);
	rep = list(&f, 5);
	CHECK_INT(rep.u.mbox_list_rep.uids.n, 1);
	CHECK(rep.u.mbox_list_rep.uids.v[0] == 2);
	pb_msg_free(&rep);
	pb_inbox_close(&watcher);
	teardown(&f);
}

static uint32_t lock(struct fixture *f, uint64_t user, const char *holder, bool on)
{
	struct pb_msg req, rep;
	pb_msg_init(&req, MSG_MBOX_LOCK_REQ);
	req.u.mbox_lock_req.user_id = user;
	req.u.mbox_lock_req.holder = xstrdup(holder);
	req.u.mbox_lock_req.on = on;
	req.u.mbox_lock_req.ttl_ms = 60000;
	uint32_t code = call(f, &req, &rep);
	pb_msg_free(&rep);
	return code;
}

static void test_lock(void)
{
	struct fixture f;
	setup(&f);
	CHECK_INT(lock(&f, 3, "a", true), PB_OK);
	CHECK_INT(lock(&f, 3, "b", true), PB_ERR_EXISTS);
	CHECK_INT(lock(&f, 4, "b", true), PB_OK);
	CHECK_INT(lock(&f, 3, "b", false), PB_ERR_NOTFOUND);
	CHECK_INT(lock(&f, 3, "a", false), PB_OK);
	CHECK_INT(lock(&f, 3, "b", true), PB_OK);
	teardown(&f);
}

static void test_purge(void)
{
	struct fixture f;
	struct pb_msg req, rep;
	uint64_t inbox, bytes;
	const char *error;

	setup(&f);
	CHECK_INT(append(&f, 9, "INBOX", NULL, NULL), PB_OK);
	CHECK(pb_store_user_stats(f.store, 9, &inbox, &bytes, &error) == 0 && inbox == 1);
	pb_msg_init(&req, MSG_MBOX_PURGE_REQ);
	req.u.mbox_purge_req.user_id = 9;
	CHECK_INT(call(&f, &req, &rep), PB_OK);
	pb_msg_free(&rep);
	CHECK(pb_store_user_stats(f.store, 9, &inbox, &bytes, &error) == 0 && inbox == 0 && bytes == 0);
	/* while the account exists the user can receive again: folders are recreated */
	CHECK_INT(append(&f, 9, "INBOX", NULL, NULL), PB_OK);
	/* once the account is gone, a late delivery is refused and brings nothing back */
	pb_msg_init(&req, MSG_MBOX_PURGE_REQ);
	req.u.mbox_purge_req.user_id = 9;
	CHECK_INT(call(&f, &req, &rep), PB_OK);
	pb_msg_free(&rep);
	CHECK(pb_store_user_delete(f.store, "user9", &error) == 1);
	CHECK_INT(append(&f, 9, "INBOX", NULL, NULL), PB_ERR_NOTFOUND);
	struct pb_folder_rec *folders = NULL;
	size_t n_folders = 9;
	CHECK(pb_store_folder_list(f.store, 9, &folders, &n_folders, &error) == 0);
	CHECK_INT(n_folders, 0);
	pb_folder_recs_free(folders, n_folders);
	teardown(&f);
}

static const struct pb_test_case cases[] = {
	{ "append_list_dedupe", test_append_list_dedupe },
	{ "flags_expunge_and_watch", test_flags_expunge_and_watch },
	{ "lock", test_lock },
	{ "purge", test_purge },
};

PB_TEST_MAIN(cases)
