/*
 * test-mailbox-actor.c: mailbox owner shards over a real store: append (and dedupe replay),
 * list, flags, expunge, watchers notified of changes, the maildrop lock, purge; the mailbox
 * record (create, stat) that lets the owner refuse ids without a mailbox without reading
 * accounts (this test links no account store); webmail's sort keys written with a delivered
 * message's record, and a record without them (stored before) still sorted by its body.
 */
#include "mailbox-actor.h"
#include "mailbox-client.h"
#include "pb-test-port.h"
#include "store-bodies.h"
#include "store-mail.h"
#include "pb-test-store.h"
#include "pb-test.h"

#include <stdio.h>
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

static void setup(struct fixture *f)
{
	const char *error;

	f->dir = store_test_tmpdir("mbox");
	f->store = store_test_open(f->dir);
	f->rt = pb_runtime_create("t", NULL);
	if (pb_runtime_start_shards(f->rt, &mailbox_actor_def, 3, f->store, &error) < 0)
		PANIC("start: %s", error);
	f->c = pb_caller_create(f->rt);
	pb_sync_init_caller(&f->t, f->c, 10000);
	for (uint64_t id = 3; id <= 9; id++) {
		uint32_t code = PB_ERR_INTERNAL;
		if (mailbox_client_create(&f->t, id, &code, &error) < 0 || code != PB_OK)
			PANIC("create: %s", error);
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

static uint32_t append(struct fixture *f, uint64_t user, const char *folder, const char *dedupe,
		       uint32_t *uid_r)
{
	struct mailbox_append in = { .folder = folder, .size = 21, .blob_key = f->blob,
				     .dedupe_key = dedupe };
	struct mailbox_appended out = { 0 };
	uint32_t code;
	const char *error;

	if (mailbox_client_append(&f->t, user, &in, &code, &out, &error) < 0)
		PANIC("call failed: %s", error);
	if (uid_r != NULL)
		*uid_r = out.uid;
	return code;
}

static struct mailbox_list list(struct fixture *f, uint64_t user)
{
	struct mailbox_list l = { 0 };
	uint32_t code;
	const char *error;

	if (mailbox_client_list(&f->t, user, NULL, &code, &l, &error) < 0 || code != PB_OK)
		PANIC("list failed");
	return l;
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
	CHECK_INT(append(&f, 42, "INBOX", NULL, &uid), PB_ERR_NOTFOUND); /* no mailbox */
	struct mailbox_list l = list(&f, 7);
	CHECK_INT(l.entries.n, 2);
	CHECK_INT(l.uidnext, 3);
	CHECK_STR(l.entries.v[0].blob_key, f.blob);
	CHECK_INT(l.entries.v[0].size, 21);
	mailbox_list_free(&l);
	/* another user (maybe another shard) is separate */
	l = list(&f, 8);
	CHECK_INT(l.entries.n, 0);
	mailbox_list_free(&l);
	int64_t refs = 0;
	const char *error;
	CHECK(pb_store_blob_refcount(f.store, f.blob, &refs, &error) == 1);
	CHECK_INT(refs, 3);
	teardown(&f);
}

static void test_flags_expunge_and_watch(void)
{
	struct fixture f;
	struct pb_inbox *watcher;
	uint32_t code;
	uint64_t modseq = 0, uid1 = 1, uid2 = 2;
	const char *error;

	setup(&f);
	REQUIRE(pb_inbox_open(f.rt, "watcher", 64, &watcher, &error) == 0);
	REQUIRE(mailbox_client_watch(&f.t, 5, "watcher", true, &code, &error) == 0);
	CHECK_INT(code, PB_OK);

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

	REQUIRE(mailbox_client_flags(&f.t, 5, "INBOX", &uid2, 1, PB_FLAGS_ADD,
				     PB_MSG_SEEN | PB_MSG_FLAGGED, &code, &modseq, &error) == 0);
	CHECK_INT(code, PB_OK);
	CHECK(modseq > 2);
	REQUIRE(pb_inbox_recv(watcher, &ev, 5000) == 1);
	CHECK_INT(ev.u.mbox_changed_evt.what, MAILBOX_FLAGS);
	pb_msg_free(&ev);
	struct mailbox_list l = list(&f, 5);
	CHECK(l.entries.v[1].flags == (PB_MSG_SEEN | PB_MSG_FLAGGED));
	CHECK(l.entries.v[0].flags == 0);
	mailbox_list_free(&l);
	REQUIRE(mailbox_client_flags(&f.t, 5, NULL, &uid2, 1, 9, 0, &code, &modseq, &error) == 0);
	CHECK_INT(code, PB_ERR_REFUSED);
	CHECK_STR(error, "bad flag change mode");

	REQUIRE(mailbox_client_expunge(&f.t, 5, "INBOX", &uid1, 1, &code, &error) == 0);
	CHECK_INT(code, PB_OK);
	REQUIRE(pb_inbox_recv(watcher, &ev, 5000) == 1);
	CHECK_INT(ev.u.mbox_changed_evt.what, MAILBOX_EXPUNGED);
	pb_msg_free(&ev);
	l = list(&f, 5);
	CHECK_INT(l.entries.n, 1);
	CHECK(l.entries.v[0].uid == 2);
	mailbox_list_free(&l);
	pb_inbox_close(&watcher);
	teardown(&f);
}

static uint32_t lock(struct fixture *f, uint64_t user, const char *holder, bool on)
{
	uint32_t code;
	const char *error;

	if (mailbox_client_lock(&f->t, user, holder, on, 60000, &code, &error) < 0)
		PANIC("call failed: %s", error);
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

/* A POP3 session's sequence, the gateways' way: lock, list, expunge, unlock, each sent now and
 * its reply decoded when it arrives. */
static void test_async_pop3_sequence(void)
{
	struct fixture f;
	struct test_port port;
	struct mailbox_list l = { 0 };
	struct pb_msg rep;
	const char *error;

	setup(&f);
	test_port_open(&port, f.rt, "pop3-test");
	struct pb_sender s = test_port_sender(&port);
	CHECK_INT(append(&f, 6, "INBOX", NULL, NULL), PB_OK);
	CHECK_INT(append(&f, 6, "INBOX", NULL, NULL), PB_OK);

	REQUIRE(mailbox_client_lock_send(&s, 6, "pop3-test/1", true, 60000, &error) == 0);
	REQUIRE(test_port_recv(&port, &rep));
	CHECK(rep.corr == port.last_corr);
	CHECK_INT(mailbox_client_lock_reply(&rep, &error), PB_OK);
	pb_msg_free(&rep);
	REQUIRE(mailbox_client_lock_send(&s, 6, "pop3-test/2", true, 60000, &error) == 0);
	REQUIRE(test_port_recv(&port, &rep));
	CHECK_INT(mailbox_client_lock_reply(&rep, &error), PB_ERR_EXISTS);
	CHECK_STR(error, "the maildrop is locked by another session");
	pb_msg_free(&rep);

	REQUIRE(mailbox_client_list_send(&s, 6, NULL, &error) == 0);
	REQUIRE(test_port_recv(&port, &rep));
	CHECK_INT(mailbox_client_list_reply(&rep, &l, &error), PB_OK);
	pb_msg_free(&rep); /* the arrays were moved out: they outlive the reply */
	REQUIRE(l.entries.n == 2);
	CHECK_STR(l.entries.v[1].blob_key, f.blob);

	uint64_t uids[2] = { l.entries.v[0].uid, l.entries.v[1].uid };
	REQUIRE(mailbox_client_expunge_send(&s, 6, NULL, uids, 2, &error) == 0);
	REQUIRE(test_port_recv(&port, &rep));
	CHECK_INT(mailbox_client_expunge_reply(&rep, &error), PB_OK);
	pb_msg_free(&rep);
	mailbox_list_free(&l);
	REQUIRE(mailbox_client_lock_send(&s, 6, "pop3-test/1", false, 0, &error) == 0);
	REQUIRE(test_port_recv(&port, &rep));
	CHECK_INT(mailbox_client_lock_reply(&rep, &error), PB_OK);
	pb_msg_free(&rep);

	l = list(&f, 6);
	CHECK_INT(l.entries.n, 0);
	mailbox_list_free(&l);
	/* an unknown user's list comes back as a status the decoder reads */
	REQUIRE(mailbox_client_list_send(&s, 4242, NULL, &error) == 0);
	REQUIRE(test_port_recv(&port, &rep));
	CHECK_INT(mailbox_client_list_reply(&rep, &l, &error), PB_ERR_NOTFOUND);
	CHECK(l.entries.v == NULL);
	pb_msg_free(&rep);
	test_port_close(&port);
	teardown(&f);
}

static uint32_t purge(struct fixture *f, uint64_t user)
{
	uint32_t code;
	const char *error;

	if (mailbox_client_purge(&f->t, user, &code, &error) < 0)
		PANIC("call failed: %s", error);
	return code;
}

static struct mailbox_stat mb_stat(struct fixture *f, uint64_t user)
{
	struct mailbox_stat st = { .messages = 99, .bytes = 99, .exists = true };
	uint32_t code;
	const char *error;

	if (mailbox_client_stat(&f->t, user, &code, &st, &error) < 0 || code != PB_OK)
		PANIC("stat failed");
	return st;
}

static uint32_t create(struct fixture *f, uint64_t user)
{
	uint32_t code;
	const char *error;

	if (mailbox_client_create(&f->t, user, &code, &error) < 0)
		PANIC("call failed: %s", error);
	return code;
}

static size_t folder_count(struct fixture *f, uint64_t user)
{
	struct pb_folder_rec *folders = NULL;
	size_t n = 99;
	const char *error;

	if (pb_store_folder_list(f->store, user, &folders, &n, &error) < 0)
		PANIC("folder list: %s", error);
	pb_folder_recs_free(folders, n);
	return n;
}

static void test_purge(void)
{
	struct fixture f;

	setup(&f);
	CHECK_INT(append(&f, 9, "INBOX", NULL, NULL), PB_OK);
	CHECK_INT(mb_stat(&f, 9).messages, 1);
	CHECK_INT(purge(&f, 9), PB_OK);
	struct mailbox_stat st = mb_stat(&f, 9);
	CHECK(!st.exists && st.messages == 0 && st.bytes == 0);
	/* the account is gone: a late delivery is refused and brings no folder back */
	CHECK_INT(append(&f, 9, "INBOX", NULL, NULL), PB_ERR_NOTFOUND);
	CHECK_INT(folder_count(&f, 9), 0);
	CHECK_INT(purge(&f, 9), PB_OK); /* idempotent: the sweep may purge again */
	teardown(&f);
}

/* MBOX_CREATE_REQ makes the mailbox (idempotent, keeping mail); MBOX_STAT_REQ counts it. */
static void test_create_and_stat(void)
{
	struct fixture f;

	setup(&f);
	struct mailbox_stat st = mb_stat(&f, 77);
	CHECK(!st.exists && st.messages == 0 && st.bytes == 0);
	CHECK_INT(append(&f, 77, "INBOX", NULL, NULL), PB_ERR_NOTFOUND);
	CHECK_INT(folder_count(&f, 77), 0);
	CHECK_INT(create(&f, 77), PB_OK);
	CHECK_INT(folder_count(&f, 77), 6); /* the default folders */
	CHECK_INT(append(&f, 77, "INBOX", NULL, NULL), PB_OK);
	CHECK_INT(append(&f, 77, "INBOX", NULL, NULL), PB_OK);
	CHECK_INT(append(&f, 77, "Sent", NULL, NULL), PB_OK);
	CHECK_INT(create(&f, 77), PB_OK); /* again: nothing lost, nothing doubled */
	CHECK_INT(folder_count(&f, 77), 6);
	st = mb_stat(&f, 77);
	CHECK(st.exists);
	CHECK_INT(st.messages, 2); /* INBOX only */
	CHECK_INT(st.bytes, 63);   /* every folder */
	/* a shard restarted (a new runtime) knows the mailbox from the store alone */
	pb_caller_destroy(&f.c);
	pb_runtime_destroy(&f.rt);
	const char *error;
	f.rt = pb_runtime_create("t", NULL);
	REQUIRE(pb_runtime_start_shards(f.rt, &mailbox_actor_def, 2, f.store, &error) == 0);
	f.c = pb_caller_create(f.rt);
	pb_sync_init_caller(&f.t, f.c, 10000);
	CHECK_INT(append(&f, 77, "INBOX", NULL, NULL), PB_OK);
	CHECK_INT(append(&f, 78, "INBOX", NULL, NULL), PB_ERR_NOTFOUND);
	CHECK_INT(mb_stat(&f, 77).messages, 3);
	teardown(&f);
}

/* One page of user 8's INBOX for q. */
static struct mailbox_list page(struct fixture *f, const struct mailbox_list_query *q)
{
	struct mailbox_list l = { 0 };
	uint32_t code;
	const char *error;

	if (mailbox_client_list(&f->t, 8, q, &code, &l, &error) < 0 || code != PB_OK)
		PANIC("list failed");
	return l;
}

/* 10,000 messages: pages stop at MAILBOX_LIST_MAX and say where to go on; UID ranges and
 * changes since a modseq select exactly their messages. */
static void test_incremental_listing(void)
{
	struct fixture f;
	struct mailbox_list l = { 0 };
	uint32_t code;
	uint64_t modseq;
	const char *error;

	setup(&f);
	for (int i = 0; i < 10000; i++) {
		struct mailbox_append in = { .size = 21, .blob_key = f.blob, .lazy = true };
		struct mailbox_appended out;
		REQUIRE(mailbox_client_append(&f.t, 8, &in, &code, &out, &error) == 0 && code == PB_OK);
	}
	/* the first page is capped and continues right after it */
	l = page(&f, NULL);
	CHECK_INT(l.entries.n, MAILBOX_LIST_MAX);
	CHECK_INT(l.entries.v[0].uid, 1);
	CHECK_INT(l.next_uid, MAILBOX_LIST_MAX + 1);
	CHECK_INT(l.uidnext, 10001);
	mailbox_list_free(&l);
	/* every page gathered: each uid once, in order; the last page ends the listing */
	REQUIRE(mailbox_client_list_all(&f.t, 8, NULL, &code, &l, &error) == 0 && code == PB_OK);
	CHECK_INT(l.entries.n, 10000);
	CHECK_INT(l.next_uid, 0);
	for (uint32_t i = 0; i < l.entries.n; i++)
		if (l.entries.v[i].uid != i + 1)
			CHECK(!"uids in order, each once");
	mailbox_list_free(&l);
	/* a uid range, and a limit below the cap */
	l = page(&f, &(struct mailbox_list_query){ .uid_first = 5000, .uid_last = 5009 });
	CHECK_INT(l.entries.n, 10);
	CHECK_INT(l.entries.v[9].uid, 5009);
	CHECK_INT(l.next_uid, 0);
	mailbox_list_free(&l);
	l = page(&f, &(struct mailbox_list_query){ .uid_first = 9990, .limit = 4 });
	CHECK_INT(l.entries.n, 4);
	CHECK_INT(l.next_uid, 9994);
	mailbox_list_free(&l);
	l = page(&f, &(struct mailbox_list_query){ .uid_first = 9998, .limit = 4 });
	CHECK_INT(l.entries.n, 3);
	CHECK_INT(l.next_uid, 0);
	mailbox_list_free(&l);
	/* changes since a modseq: only the messages whose flags changed after it */
	l = page(&f, &(struct mailbox_list_query){ .limit = 1 });
	uint64_t since = l.highestmodseq;
	mailbox_list_free(&l);
	uint64_t changed[3] = { 7, 4242, 9999 };
	REQUIRE(mailbox_client_flags(&f.t, 8, NULL, changed, 3, PB_FLAGS_ADD, PB_MSG_SEEN, &code,
				     &modseq, &error) == 0 && code == PB_OK);
	CHECK(modseq > since);
	REQUIRE(mailbox_client_list_all(&f.t, 8, &(struct mailbox_list_query){ .changed_since = since },
					&code, &l, &error) == 0 && code == PB_OK);
	REQUIRE(l.entries.n == 3);
	for (int i = 0; i < 3; i++) {
		CHECK_INT(l.entries.v[i].uid, changed[i]);
		CHECK(l.entries.v[i].modseq == modseq && l.entries.v[i].flags == PB_MSG_SEEN);
	}
	mailbox_list_free(&l);
	l = page(&f, &(struct mailbox_list_query){ .changed_since = modseq });
	CHECK_INT(l.entries.n, 0);
	CHECK_INT(l.next_uid, 0);
	mailbox_list_free(&l);
	teardown(&f);
}

/* A delivery reads the INBOX by the id it had last time: after the INBOX is renamed and a new
 * one created, the next delivery still goes to the folder called INBOX, not to the old id. */
static void test_inbox_hint_follows_rename(void)
{
	struct fixture f;
	struct pb_folder_rec inbox, created;
	const char *error;

	setup(&f);
	CHECK_INT(append(&f, 4, "INBOX", NULL, NULL), PB_OK); /* notes the INBOX's id */
	REQUIRE(pb_store_folder_get(f.store, 4, "INBOX", &inbox, &error) == 1);
	CHECK_INT(pb_store_folder_rename(f.store, 4, inbox.id, "Old", &error), 1);
	REQUIRE(pb_store_folder_create(f.store, 4, "INBOX", 0, 1, &created, &error) == 0);
	CHECK(created.id != inbox.id);
	CHECK_INT(append(&f, 4, "INBOX", NULL, NULL), PB_OK);
	CHECK_INT(append(&f, 4, "inbox", NULL, NULL), PB_OK);
	struct pb_folder_rec now, old;
	REQUIRE(pb_store_folder_get(f.store, 4, "INBOX", &now, &error) == 1);
	REQUIRE(pb_store_folder_get(f.store, 4, "Old", &old, &error) == 1);
	CHECK_INT(now.messages, 2);
	CHECK_INT(old.messages, 1);
	pb_folder_rec_free(&inbox);
	pb_folder_rec_free(&created);
	pb_folder_rec_free(&now);
	pb_folder_rec_free(&old);
	teardown(&f);
}

/* Puts body (a C string) and returns its key in key_r. */
static void put_body(struct fixture *f, const char *body, char key_r[PB_BLOB_KEY_LEN + 1])
{
	const char *error;

	if (pb_store_blob_put(f->store, body, strlen(body), key_r, &error) < 0)
		PANIC("blob: %s", error);
}

/* Delivers the body key (MBOX_APPEND, as the spool does) to user 6's INBOX; its uid. */
static uint32_t deliver(struct fixture *f, const char *key)
{
	struct mailbox_append in = { .folder = "INBOX", .size = 40, .blob_key = key };
	struct mailbox_appended out = { 0 };
	uint32_t code = PB_ERR_INTERNAL;
	const char *error;

	if (mailbox_client_append(&f->t, 6, &in, &code, &out, &error) < 0 || code != PB_OK)
		PANIC("append failed");
	return out.uid;
}

/* The uids of user 6's INBOX in sort order (at most 8), as "u,u,..."; key_r the last one's key. */
static void sorted(struct fixture *f, uint32_t sort, char *out, size_t cap, char **key_r)
{
	struct mailbox_page_query q = { .folder = "INBOX", .sort = sort, .limit = 8 };
	struct mailbox_page p = { 0 };
	uint32_t code;
	const char *error;

	do {
		mailbox_page_free(&p);
		if (mailbox_client_page(&f->t, 6, &q, &code, &p, &error) < 0 || code != PB_OK)
			PANIC("page failed");
	} while (p.building);
	out[0] = '\0';
	for (size_t i = 0; i < p.entries.n; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%u", i > 0 ? "," : "",
			 p.entries.v[i].uid);
	*key_r = xstrdup(p.last_key);
	mailbox_page_free(&p);
}

/* Delivery writes the From/Subject keys in the message record (decoded, folded); a record
 * without keys (as stored before them) sorts by its body's header among them, with the same
 * key delivery gives that body. */
static void test_sort_keys_at_delivery(void)
{
	struct fixture f;
	struct pb_folder_rec inbox;
	struct pb_msg_rec old = { .size = 40, .internal_date_ms = 1 }, got;
	char carl[PB_BLOB_KEY_LEN + 1], ann[PB_BLOB_KEY_LEN + 1], order[64], *key;
	const char *error;

	setup(&f);
	put_body(&f, "From: bob@x.org\r\nSubject: Mango\r\n\r\nx\r\n", old.blob_key);
	put_body(&f, "From: =?UTF-8?Q?Carl_K?= <c@x.org>\r\nSubject: =?UTF-8?Q?Zebra?=\r\n"
		     " stripes\r\n\r\nx\r\n", carl);
	put_body(&f, "Subject: apples\r\nFrom: \"Ann\" <a@x.org>\r\n\r\nx\r\n", ann);
	REQUIRE(pb_store_folder_get(f.store, 6, "INBOX", &inbox, &error) == 1);
	REQUIRE(pb_store_msg_append(f.store, 6, inbox.id, &old, NULL, &error) == 0); /* uid 1 */
	CHECK_INT(deliver(&f, carl), 2);
	CHECK_INT(deliver(&f, ann), 3);
	REQUIRE(pb_store_msg_get(f.store, 6, inbox.id, 2, &got, &error) == 1);
	CHECK(got.has_sort_keys);
	CHECK_STR(got.sort_from, "carl k");
	CHECK_STR(got.sort_subject, "zebra stripes");
	pb_msg_rec_free(&got);
	REQUIRE(pb_store_msg_get(f.store, 6, inbox.id, 1, &got, &error) == 1);
	CHECK(!got.has_sort_keys);
	pb_msg_rec_free(&got);

	sorted(&f, MAILBOX_SORT_FROM, order, sizeof(order), &key);
	CHECK_STR(order, "3,1,2"); /* ann, bob@x.org (the old one's body), carl k */
	free(key);
	sorted(&f, MAILBOX_SORT_SUBJECT, order, sizeof(order), &key);
	CHECK_STR(order, "3,1,2"); /* apples, mango, zebra stripes */
	free(key);
	/* the old body delivered now: the key kept is the key its body gave */
	CHECK_INT(deliver(&f, old.blob_key), 4);
	REQUIRE(pb_store_msg_get(f.store, 6, inbox.id, 4, &got, &error) == 1);
	CHECK_STR(got.sort_from, "bob@x.org");
	CHECK_STR(got.sort_subject, "mango");
	pb_msg_rec_free(&got);
	sorted(&f, MAILBOX_SORT_FROM, order, sizeof(order), &key);
	CHECK_STR(order, "3,1,4,2");
	pb_folder_rec_free(&inbox);
	free(key);
	teardown(&f);
}

static const struct pb_test_case cases[] = {
	{ "incremental_listing", test_incremental_listing },
	{ "append_list_dedupe", test_append_list_dedupe },
	{ "flags_expunge_and_watch", test_flags_expunge_and_watch },
	{ "lock", test_lock },
	{ "async_pop3_sequence", test_async_pop3_sequence },
	{ "purge", test_purge },
	{ "create_and_stat", test_create_and_stat },
	{ "inbox_hint_follows_rename", test_inbox_hint_follows_rename },
	{ "sort_keys_at_delivery", test_sort_keys_at_delivery },
};

PB_TEST_MAIN(cases)
