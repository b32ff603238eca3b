/*
 * test-mailbox-imap.c: what IMAP needs of the mailbox owner, over a real store: folders (list
 * with counters, create with superiors, delete, rename with inferiors, RENAME INBOX,
 * subscriptions), COPY and MOVE with their uid mapping and body references, EXPUNGE of
 * \Deleted, STORE with keywords and UNCHANGEDSINCE, folder watches (two watchers see the same
 * ordered events; POP3's expunge is seen; a full inbox gets RESYNC), and APPEND uploads.
 */
#include "mailbox-actor.h"
#include "mailbox-client.h"
#include "pb-test-store.h"
#include "pb-test.h"
#include "store-bodies.h"
#include "store-mail.h"
#include "store-spool.h"

#include <stdlib.h>
#include <string.h>

struct fixture {
	char *dir;
	struct pb_store *store;
	struct pb_runtime *rt;
	struct pb_caller *c;
	struct pb_sync t;
	char blob[PB_BLOB_KEY_LEN + 1];
};

#define USER 5

static void setup(struct fixture *f)
{
	const char *error;
	uint32_t code = PB_ERR_INTERNAL;

	f->dir = store_test_tmpdir("mbimap");
	f->store = store_test_open(f->dir);
	f->rt = pb_runtime_create("t", NULL);
	if (pb_runtime_start_shards(f->rt, &mailbox_actor_def, 2, f->store, &error) < 0)
		PANIC("start: %s", error);
	f->c = pb_caller_create(f->rt);
	pb_sync_init_caller(&f->t, f->c, 10000);
	if (mailbox_client_create(&f->t, USER, &code, &error) < 0 || code != PB_OK)
		PANIC("create: %s", error);
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

static uint32_t append(struct fixture *f, const char *folder, uint32_t flags)
{
	struct mailbox_append in = { .folder = folder, .size = 21, .blob_key = f->blob,
				     .flags = flags };
	struct mailbox_appended out = { 0 };
	uint32_t code;
	const char *error;

	if (mailbox_client_append(&f->t, USER, &in, &code, &out, &error) < 0 || code != PB_OK)
		PANIC("append failed");
	return out.uid;
}

static uint32_t folder_op(struct fixture *f, uint32_t op, const char *name, const char *to)
{
	uint32_t code;
	const char *error;

	if (mailbox_client_folder(&f->t, USER, op, name, to, &code, &error) < 0)
		PANIC("call failed: %s", error);
	return code;
}

/* The entry called name in the folder list, or NULL. */
static const struct pb_rec_mbox_folder *entry(const struct pb_rec_mbox_folder_list *l,
					      const char *name)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

static struct pb_rec_mbox_folder_list folders(struct fixture *f, const char *name, uint32_t *code_r)
{
	struct pb_rec_mbox_folder_list l = { 0 };
	const char *error;

	if (mailbox_client_folders(&f->t, USER, name, code_r, &l, &error) < 0)
		PANIC("call failed: %s", error);
	return l;
}

static int64_t refs(struct fixture *f)
{
	int64_t n = -1;
	const char *error;

	if (pb_store_blob_refcount(f->store, f->blob, &n, &error) != 1)
		PANIC("refcount");
	return n;
}

static void test_folders(void)
{
	struct fixture f;
	uint32_t code;

	setup(&f);
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_CREATE, "a/b/c", NULL), PB_OK);
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_CREATE, "a/b", NULL), PB_ERR_EXISTS);
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_CREATE, "inbox", NULL), PB_ERR_EXISTS);
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_CREATE, "/x", NULL), PB_ERR_REFUSED);
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_CREATE, "x//y", NULL), PB_ERR_REFUSED);
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_SUBSCRIBE, "a/b", NULL), PB_OK);
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_SUBSCRIBE, "Ghost", NULL), PB_OK);
	append(&f, "a/b/c", PB_MSG_SEEN);
	append(&f, "a/b/c", 0);
	struct pb_rec_mbox_folder_list l = folders(&f, NULL, &code);
	CHECK_INT(code, PB_OK);
	CHECK_INT(l.n, 6 + 3 + 1); /* defaults, a, a/b, a/b/c, the subscribed Ghost */
	const struct pb_rec_mbox_folder *e = entry(&l, "a/b/c");
	REQUIRE(e != NULL);
	CHECK(e->id != 0 && e->messages == 2 && e->unseen == 1 && e->uidnext == 3 && e->size == 42);
	CHECK(!e->subscribed && !e->children);
	REQUIRE(entry(&l, "a/b") != NULL);
	CHECK(entry(&l, "a/b")->subscribed && entry(&l, "a/b")->children);
	REQUIRE(entry(&l, "Ghost") != NULL);
	CHECK(entry(&l, "Ghost")->id == 0 && entry(&l, "Ghost")->subscribed);
	CHECK_INT(entry(&l, "Sent")->special_use, PB_SPECIAL_SENT);
	pb_rec_mbox_folder_list_clear(&l);
	/* STATUS of one folder */
	l = folders(&f, "a/b/c", &code);
	CHECK_INT(code, PB_OK);
	CHECK(l.n == 1 && l.v[0].messages == 2);
	pb_rec_mbox_folder_list_clear(&l);
	l = folders(&f, "nope", &code);
	CHECK_INT(code, PB_ERR_NOTFOUND);
	/* DELETE: not INBOX, not a folder with inferiors */
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_DELETE, "INBOX", NULL), PB_ERR_REFUSED);
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_DELETE, "a/b", NULL), PB_ERR_REFUSED);
	/* RENAME moves the inferiors */
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_RENAME, "a", "z/a"), PB_OK);
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_RENAME, "z", "z/a/q"), PB_ERR_REFUSED);
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_RENAME, "Sent", "Junk"), PB_ERR_EXISTS);
	l = folders(&f, "z/a/b/c", &code);
	CHECK_INT(code, PB_OK);
	CHECK(l.n == 1 && l.v[0].messages == 2);
	pb_rec_mbox_folder_list_clear(&l);
	l = folders(&f, "a/b/c", &code);
	CHECK_INT(code, PB_ERR_NOTFOUND);
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_DELETE, "z/a/b/c", NULL), PB_OK);
	CHECK_INT(refs(&f), 0); /* its messages' references dropped */
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_UNSUBSCRIBE, "Ghost", NULL), PB_OK);
	l = folders(&f, NULL, &code);
	CHECK(entry(&l, "Ghost") == NULL && entry(&l, "z/a/b") != NULL);
	pb_rec_mbox_folder_list_clear(&l);
	teardown(&f);
}

static void test_rename_inbox(void)
{
	struct fixture f;
	uint32_t code;

	setup(&f);
	append(&f, "INBOX", 0);
	append(&f, "INBOX", PB_MSG_SEEN);
	CHECK_INT(folder_op(&f, MAILBOX_FOLDER_RENAME, "inbox", "Old/Mail"), PB_OK);
	struct pb_rec_mbox_folder_list l = folders(&f, NULL, &code);
	REQUIRE(entry(&l, "INBOX") != NULL && entry(&l, "Old/Mail") != NULL);
	CHECK_INT(entry(&l, "INBOX")->messages, 0);
	CHECK_INT(entry(&l, "INBOX")->uidnext, 3); /* uids are never reused */
	CHECK_INT(entry(&l, "Old/Mail")->messages, 2);
	CHECK_INT(entry(&l, "Old/Mail")->unseen, 1);
	CHECK(entry(&l, "Old") != NULL);
	pb_rec_mbox_folder_list_clear(&l);
	CHECK_INT(refs(&f), 2);
	CHECK_INT(append(&f, "INBOX", 0), 3); /* delivery goes on into INBOX */
	teardown(&f);
}

static void test_copy_move(void)
{
	struct fixture f;
	struct mailbox_copied c;
	uint32_t code;
	const char *error;

	setup(&f);
	for (int i = 0; i < 4; i++)
		append(&f, "INBOX", i == 1 ? PB_MSG_FLAGGED : 0);
	append(&f, "Trash", 0); /* Trash's uidnext is 2 */
	uint64_t uids[] = { 4, 2, 99, 3 };
	REQUIRE(mailbox_client_copy(&f.t, USER, "INBOX", "Trash", uids, 4, false, &code, &c,
				    &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(c.src_uids.n == 3 && c.dst_uids.n == 3);
	CHECK(c.src_uids.v[0] == 2 && c.src_uids.v[1] == 3 && c.src_uids.v[2] == 4);
	CHECK(c.dst_uids.v[0] == 2 && c.dst_uids.v[1] == 3 && c.dst_uids.v[2] == 4);
	CHECK(c.uidvalidity != 0);
	mailbox_copied_free(&c);
	CHECK_INT(refs(&f), 8); /* 5 + 3 copies, one body */
	/* MOVE: the uids map in order, the source loses them, references stay */
	uint64_t mv[] = { 1, 2 };
	REQUIRE(mailbox_client_copy(&f.t, USER, "INBOX", "Junk", mv, 2, true, &code, &c, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(c.dst_uids.n == 2);
	CHECK(c.dst_uids.v[0] == 1 && c.dst_uids.v[1] == 2 && c.src_uids.v[1] == 2);
	mailbox_copied_free(&c);
	CHECK_INT(refs(&f), 8);
	struct mailbox_list l = { 0 };
	struct mailbox_list_query q = { .folder = "Junk" };
	REQUIRE(mailbox_client_list(&f.t, USER, &q, &code, &l, &error) == 0);
	REQUIRE(l.entries.n == 2);
	CHECK(l.entries.v[1].flags == PB_MSG_FLAGGED); /* flags travel */
	mailbox_list_free(&l);
	REQUIRE(mailbox_client_list(&f.t, USER, NULL, &code, &l, &error) == 0);
	CHECK_INT(l.entries.n, 2);
	mailbox_list_free(&l);
	REQUIRE(mailbox_client_copy(&f.t, USER, "INBOX", "INBOX", mv, 2, true, &code, &c, &error) == 0);
	CHECK_INT(code, PB_ERR_REFUSED);
	REQUIRE(mailbox_client_copy(&f.t, USER, "INBOX", "None", mv, 2, false, &code, &c, &error) == 0);
	CHECK_INT(code, PB_ERR_NOTFOUND);
	/* expunging every copy drops every reference: the body goes only with the last one */
	struct pb_u64v gone = { 0 };
	uint64_t hms;
	const char *names[] = { "INBOX", "Trash", "Junk" };
	for (int i = 0; i < 3; i++) {
		struct mailbox_store st = { .folder = names[i], .uids = (uint64_t[]){ 1, 2, 3, 4 },
					    .n = 4, .mode = PB_FLAGS_ADD, .flags = PB_MSG_DELETED };
		struct mailbox_stored out;
		REQUIRE(mailbox_client_store(&f.t, USER, &st, &code, &out, &error) == 0);
		mailbox_stored_free(&out);
		CHECK_INT(refs(&f), i == 0 ? 8 : i == 1 ? 6 : 2);
		REQUIRE(mailbox_client_expunge_deleted(&f.t, USER, names[i], true, NULL, 0, &code,
						       &gone, &hms, &error) == 0);
		CHECK_INT(code, PB_OK);
		pb_u64v_clear(&gone);
	}
	CHECK_INT(refs(&f), 0);
	teardown(&f);
}

static void test_store_and_expunge(void)
{
	struct fixture f;
	struct mailbox_stored out;
	struct pb_u64v gone = { 0 };
	uint64_t hms;
	uint32_t code;
	const char *error;

	setup(&f);
	for (int i = 0; i < 4; i++)
		append(&f, "INBOX", 0);
	uint64_t all[] = { 1, 2, 3, 4 };
	struct mailbox_store st = { .uids = all, .n = 2, .mode = PB_FLAGS_ADD,
				    .flags = PB_MSG_DELETED, .keywords = "$Junk Work" };
	REQUIRE(mailbox_client_store(&f.t, USER, &st, &code, &out, &error) == 0 && code == PB_OK);
	REQUIRE(out.messages.n == 2);
	CHECK_STR(out.messages.v[0].keywords, "$Junk Work");
	CHECK(out.messages.v[0].changed && out.messages.v[0].modseq == out.highestmodseq);
	uint64_t ms = out.highestmodseq;
	mailbox_stored_free(&out);
	/* remove one keyword in another case; set replaces */
	st = (struct mailbox_store){ .uids = all, .n = 1, .mode = PB_FLAGS_REMOVE, .keywords = "work" };
	REQUIRE(mailbox_client_store(&f.t, USER, &st, &code, &out, &error) == 0 && code == PB_OK);
	CHECK_STR(out.messages.v[0].keywords, "$Junk");
	mailbox_stored_free(&out);
	/* UNCHANGEDSINCE: uid 1 changed after ms, uid 2 did not */
	st = (struct mailbox_store){ .uids = all, .n = 2, .mode = PB_FLAGS_ADD, .flags = PB_MSG_SEEN,
				     .unchanged_since = ms };
	REQUIRE(mailbox_client_store(&f.t, USER, &st, &code, &out, &error) == 0 && code == PB_OK);
	REQUIRE(out.modified.n == 1 && out.messages.n == 1);
	CHECK(out.modified.v[0] == 1 && out.messages.v[0].uid == 2);
	CHECK(out.messages.v[0].flags == (PB_MSG_DELETED | PB_MSG_SEEN));
	mailbox_stored_free(&out);
	/* nothing to change: no new modseq */
	st = (struct mailbox_store){ .uids = all + 1, .n = 1, .mode = PB_FLAGS_ADD, .flags = PB_MSG_SEEN };
	REQUIRE(mailbox_client_store(&f.t, USER, &st, &code, &out, &error) == 0 && code == PB_OK);
	CHECK(out.messages.n == 1 && !out.messages.v[0].changed);
	mailbox_stored_free(&out);
	/* UID EXPUNGE 2:4 takes only the \Deleted one of them */
	REQUIRE(mailbox_client_expunge_deleted(&f.t, USER, NULL, false, all + 1, 3, &code, &gone,
					       &hms, &error) == 0 && code == PB_OK);
	CHECK(gone.n == 1 && gone.v[0] == 2);
	pb_u64v_clear(&gone);
	REQUIRE(mailbox_client_expunge_deleted(&f.t, USER, NULL, true, NULL, 0, &code, &gone, &hms,
					       &error) == 0 && code == PB_OK);
	CHECK(gone.n == 1 && gone.v[0] == 1 && hms > ms);
	pb_u64v_clear(&gone);
	teardown(&f);
}

/* Receives the next event (5 s at most). */
static void next_event(struct pb_inbox *in, struct pb_msg *ev)
{
	REQUIRE(pb_inbox_recv(in, ev, 5000) == 1);
	REQUIRE(ev->type == MSG_MBOX_FOLDER_EVT);
}

static void test_two_watchers(void)
{
	struct fixture f;
	struct pb_inbox *w[2];
	struct mailbox_watched st;
	uint32_t code;
	const char *error;

	setup(&f);
	append(&f, "INBOX", 0);
	for (int i = 0; i < 2; i++) {
		char name[16];
		snprintf(name, sizeof(name), "w%d", i);
		REQUIRE(pb_inbox_open(f.rt, name, 64, &w[i], &error) == 0);
		REQUIRE(mailbox_client_folder_watch(&f.t, USER, name, "INBOX", true, &code, &st,
						    &error) == 0 && code == PB_OK);
		CHECK(st.messages == 1 && st.uidnext == 2 && st.folder_id != 0);
	}
	append(&f, "INBOX", 0);
	append(&f, "Sent", 0); /* not watched: no event */
	uint64_t u[] = { 1 };
	uint64_t m1 = PB_FLAGS_ADD;
	struct mailbox_store s = { .uids = u, .n = 1, .mode = (uint32_t)m1, .flags = PB_MSG_SEEN };
	struct mailbox_stored out;
	REQUIRE(mailbox_client_store(&f.t, USER, &s, &code, &out, &error) == 0 && code == PB_OK);
	mailbox_stored_free(&out);
	/* POP3's DELE+QUIT (MBOX_EXPUNGE_REQ) is an expunge the watchers see */
	REQUIRE(mailbox_client_expunge(&f.t, USER, "INBOX", u, 1, &code, &error) == 0);
	for (int i = 0; i < 2; i++) {
		struct pb_msg ev;
		next_event(w[i], &ev);
		CHECK_INT(ev.u.mbox_folder_evt.what, MAILBOX_EVT_APPENDED);
		CHECK(ev.u.mbox_folder_evt.seq == 1 && ev.u.mbox_folder_evt.uids.v[0] == 2);
		CHECK_INT(ev.u.mbox_folder_evt.uidnext, 3);
		pb_msg_free(&ev);
		next_event(w[i], &ev);
		CHECK_INT(ev.u.mbox_folder_evt.what, MAILBOX_EVT_FLAGS);
		REQUIRE(ev.u.mbox_folder_evt.flags.n == 1);
		CHECK(ev.u.mbox_folder_evt.flags.v[0].uid == 1 &&
		      ev.u.mbox_folder_evt.flags.v[0].flags == PB_MSG_SEEN);
		pb_msg_free(&ev);
		next_event(w[i], &ev);
		CHECK_INT(ev.u.mbox_folder_evt.what, MAILBOX_EVT_EXPUNGED);
		CHECK(ev.u.mbox_folder_evt.seq == 3 && ev.u.mbox_folder_evt.uids.n == 1 &&
		      ev.u.mbox_folder_evt.uids.v[0] == 1);
		pb_msg_free(&ev);
	}
	/* a watch ended sees nothing more; the other still does */
	REQUIRE(mailbox_client_folder_watch(&f.t, USER, "w0", NULL, false, &code, &st, &error) == 0);
	CHECK_INT(code, PB_OK);
	append(&f, "INBOX", 0);
	struct pb_msg ev;
	next_event(w[1], &ev);
	CHECK(ev.u.mbox_folder_evt.seq == 4);
	pb_msg_free(&ev);
	CHECK_INT(pb_inbox_recv(w[0], &ev, 0), 0);
	pb_inbox_close(&w[0]);
	pb_inbox_close(&w[1]);
	teardown(&f);
}

/* A watcher whose inbox is full misses events and then gets RESYNC, not a backlog. */
#define EVENTS 2500
static void test_watcher_behind_resync(void)
{
	struct fixture f;
	struct pb_inbox *w;
	struct mailbox_watched st;
	uint32_t code;
	const char *error;
	int n = 0;

	setup(&f);
	REQUIRE(pb_inbox_open(f.rt, "slow", 2, &w, &error) == 0);
	REQUIRE(mailbox_client_folder_watch(&f.t, USER, "slow", "INBOX", true, &code, &st,
					    &error) == 0 && code == PB_OK);
	/* more than the sender's buffer (PB_DEFAULT_INBOX) and the inbox together can hold */
	for (int i = 0; i < EVENTS; i++) {
		struct mailbox_append in = { .size = 21, .blob_key = f.blob, .lazy = true };
		struct mailbox_appended out;
		REQUIRE(mailbox_client_append(&f.t, USER, &in, &code, &out, &error) == 0 &&
			code == PB_OK);
	}
	struct pb_msg ev;
	uint64_t seq = 0;
	uint32_t what = 0;
	while (what != MAILBOX_EVT_RESYNC && n <= EVENTS && pb_inbox_recv(w, &ev, 5000) == 1) {
		n++;
		CHECK(ev.u.mbox_folder_evt.seq == ++seq); /* no gap in what arrives */
		what = ev.u.mbox_folder_evt.what;
		pb_msg_free(&ev);
	}
	CHECK_INT(what, MAILBOX_EVT_RESYNC);
	CHECK(n < EVENTS);
	append(&f, "INBOX", 0); /* caught up: events again */
	next_event(w, &ev);
	CHECK_INT(ev.u.mbox_folder_evt.what, MAILBOX_EVT_APPENDED);
	CHECK(ev.u.mbox_folder_evt.uids.v[0] == EVENTS + 1);
	pb_msg_free(&ev);
	pb_inbox_close(&w);
	teardown(&f);
}

static void test_upload_append(void)
{
	struct fixture f;
	struct mailbox_appended out;
	uint64_t id, id2;
	uint32_t code;
	const char *error;
	const char part1[] = "Subject: up\r\n\r\n", part2[] = "body\r\n";
	size_t size = strlen(part1) + strlen(part2);

	setup(&f);
	REQUIRE(mailbox_client_upload_begin(&f.t, USER, 1000, 999, &code, &id, &error) == 0);
	CHECK_INT(code, PB_ERR_REFUSED); /* over the caller's limit: before any byte */
	REQUIRE(mailbox_client_upload_begin(&f.t, USER, size, 1000, &code, &id, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(mailbox_client_upload_chunk(&f.t, USER, id, 0, part1, strlen(part1), &code,
					    &error) == 0 && code == PB_OK);
	REQUIRE(mailbox_client_upload_chunk(&f.t, USER, id, 0, part2, strlen(part2), &code,
					    &error) == 0);
	CHECK_INT(code, PB_ERR_REFUSED); /* out of order */
	struct mailbox_upload_commit cm = { .upload_id = id, .folder = "Drafts",
					    .flags = PB_MSG_DRAFT, .keywords = "$MDNSent",
					    .internal_date_ms = 1700000000000 };
	REQUIRE(mailbox_client_upload_commit(&f.t, USER, &cm, &code, &out, &error) == 0);
	CHECK_INT(code, PB_ERR_REFUSED); /* incomplete */
	REQUIRE(mailbox_client_upload_chunk(&f.t, USER, id, strlen(part1), part2, strlen(part2),
					    &code, &error) == 0 && code == PB_OK);
	REQUIRE(mailbox_client_upload_commit(&f.t, USER, &cm, &code, &out, &error) == 0);
	CHECK_INT(code, PB_OK);
	CHECK(out.uid == 1 && out.uidvalidity != 0);
	struct mailbox_list l = { 0 };
	struct mailbox_list_query q = { .folder = "Drafts" };
	REQUIRE(mailbox_client_list(&f.t, USER, &q, &code, &l, &error) == 0 && code == PB_OK);
	REQUIRE(l.entries.n == 1);
	CHECK(l.entries.v[0].size == size && l.entries.v[0].flags == PB_MSG_DRAFT);
	CHECK(l.entries.v[0].internal_date_ms == 1700000000000);
	struct pb_buf body;
	pb_buf_init(&body);
	REQUIRE(pb_store_blob_get(f.store, l.entries.v[0].blob_key, &body, &error) == 1);
	CHECK_STR(body.data, "Subject: up\r\n\r\nbody\r\n");
	pb_buf_deinit(&body);
	mailbox_list_free(&l);
	/* a commit to a missing folder is NOTFOUND and drops the upload; abort drops one too */
	REQUIRE(mailbox_client_upload_begin(&f.t, USER, 4, 0, &code, &id2, &error) == 0 &&
		code == PB_OK);
	REQUIRE(mailbox_client_upload_chunk(&f.t, USER, id2, 0, "abcd", 4, &code, &error) == 0);
	cm = (struct mailbox_upload_commit){ .upload_id = id2, .folder = "Nope" };
	REQUIRE(mailbox_client_upload_commit(&f.t, USER, &cm, &code, &out, &error) == 0);
	CHECK_INT(code, PB_ERR_NOTFOUND);
	REQUIRE(mailbox_client_upload_abort(&f.t, USER, id2, &code, &error) == 0);
	CHECK_INT(code, PB_ERR_NOTFOUND);
	REQUIRE(mailbox_client_upload_begin(&f.t, USER, 4, 0, &code, &id2, &error) == 0);
	REQUIRE(mailbox_client_upload_abort(&f.t, USER, id2, &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	uint64_t chunks, uploads;
	REQUIRE(pb_store_chunks_count(f.store, &chunks, &uploads, &error) == 0);
	CHECK_INT(uploads, 0);
	teardown(&f);
}

static const struct pb_test_case cases[] = {
	{ "folders", test_folders },
	{ "rename_inbox", test_rename_inbox },
	{ "copy_move", test_copy_move },
	{ "store_and_expunge", test_store_and_expunge },
	{ "two_watchers", test_two_watchers },
	{ "watcher_behind_resync", test_watcher_behind_resync },
	{ "upload_append", test_upload_append },
};

PB_TEST_MAIN(cases)
