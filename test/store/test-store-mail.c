/*
 * test-store-mail.c: bodies (put, get, refcount, references, GC), folders (init, create,
 * get, list, rename, delete) and messages (append, dedupe replay, list, get, flags,
 * keywords, expunge, purge, stats), including bodies shared by two users; a message record's
 * sort keys (v2) kept through flag changes and copies, and a v1 record (none) still read.
 * OWNS: a temporary database per case. THREAD: main only.
 */
#include "store-bodies.h"
#include "store-internal.h"
#include "store-mail.h"
#include "store-spool.h"
#include "pb-test-store.h"

#include "mime-part.h"
#include "mime-structure.h"

#include <dirent.h>

#define USER_A 1001
#define USER_B 1002
#define NOW 1700000000000ull

/* Counts files in dir whose names end with suffix. */
static int count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t sl = strlen(suffix);
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		n += len > sl && strcmp(de->d_name + len - sl, suffix) == 0;
	}
	closedir(d);
	return n;
}

static int64_t refcount(struct pb_store *s, const char *key)
{
	int64_t c = -999;
	const char *err = NULL;

	if (pb_store_blob_refcount(s, key, &c, &err) != 1)
		return -999;
	return c;
}

static uint32_t folder_id(struct pb_store *s, uint64_t user, const char *name)
{
	struct pb_folder_rec f;
	const char *err = NULL;

	if (pb_store_folder_get(s, user, name, &f, &err) != 1)
		return 0;
	uint32_t id = f.id;
	pb_folder_rec_free(&f);
	return id;
}

static int append(struct pb_store *s, uint64_t user, uint32_t fid, const char *key,
		  uint64_t size, uint32_t flags, const char *dedupe, uint32_t *uid_r)
{
	struct pb_msg_rec r = { .flags = flags, .internal_date_ms = (int64_t)NOW, .size = size };
	const char *err = NULL;

	snprintf(r.blob_key, sizeof(r.blob_key), "%s", key);
	int ret = pb_store_msg_append(s, user, fid, &r, dedupe, &err);
	if (ret < 0)
		fprintf(stderr, "append: %s\n", err);
	if (uid_r != NULL)
		*uid_r = r.uid;
	return ret;
}

static void check_folder(struct pb_store *s, uint64_t user, uint32_t fid, uint64_t messages,
			 uint64_t bytes, uint64_t unseen, uint32_t uidnext)
{
	struct pb_folder_rec f;
	const char *err = NULL;

	REQUIRE(pb_store_folder_get_by_id(s, user, fid, &f, &err) == 1);
	CHECK_INT(f.messages, messages);
	CHECK_INT(f.bytes, bytes);
	CHECK_INT(f.unseen, unseen);
	CHECK_INT(f.uidnext, uidnext);
	pb_folder_rec_free(&f);
}

static void test_blobs(void)
{
	char *dir = store_test_tmpdir("blobs");
	struct pb_store *s = store_test_open(dir);
	char k1[PB_BLOB_KEY_LEN + 1], k2[PB_BLOB_KEY_LEN + 1], k3[PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;
	struct pb_buf out;

	/* SHA-256("abc") is the well-known test vector. */
	CHECK_INT(pb_store_blob_put(s, "abc", 3, k1, &err), 0);
	CHECK_STR(k1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_INT(pb_store_blob_put(s, "abc", 3, k2, &err), 0);
	CHECK_STR(k1, k2);
	CHECK_INT(refcount(s, k1), 0);
	pb_buf_init(&out);
	CHECK_INT(pb_store_blob_get(s, k1, &out, &err), 1);
	CHECK_INT(out.len, 3);
	CHECK(memcmp(out.data, "abc", 3) == 0);
	/* A large body (blob file path) reads back byte for byte. */
	size_t big = 300 * 1000;
	char *data = xmalloc(big);
	store_test_body(data, big, 7);
	CHECK_INT(pb_store_blob_put(s, data, big, k3, &err), 0);
	pb_buf_reset(&out);
	CHECK_INT(pb_store_blob_get(s, k3, &out, &err), 1);
	CHECK_INT(out.len, big);
	CHECK(out.len == big && memcmp(out.data, data, big) == 0);
	/* Empty body, unknown and malformed keys. */
	CHECK_INT(pb_store_blob_put(s, "", 0, k2, &err), 0);
	pb_buf_reset(&out);
	CHECK_INT(pb_store_blob_get(s, k2, &out, &err), 1);
	CHECK_INT(out.len, 0);
	k2[0] = k2[0] == '0' ? '1' : '0';
	CHECK_INT(pb_store_blob_get(s, k2, &out, &err), 0);
	CHECK_INT(pb_store_blob_get(s, "xyz", &out, &err), 0);
	CHECK_INT(pb_store_blob_ref(s, "nothex", 1, &err), -1);
	CHECK_INT(pb_store_blob_ref(s, k2, 1, &err), -1); /* unknown body */
	CHECK_INT(pb_store_blob_ref(s, k1, 2, &err), 0);
	CHECK_INT(refcount(s, k1), 2);
	CHECK_INT(pb_store_blob_ref(s, k1, -1, &err), 0);
	CHECK_INT(refcount(s, k1), 1);
	uint64_t size = 0;
	CHECK_INT(pb_store_size(s, &size, &err), 0);
	CHECK(size >= big);
	pb_store_close(&s);
	/* The large body went to a blob file (the flush at close wrote it). */
	CHECK(count_files(dir, ".blob") >= 1);
	s = store_test_open(dir);
	CHECK_INT(refcount(s, k1), 1);
	pb_buf_reset(&out);
	CHECK_INT(pb_store_blob_get(s, k3, &out, &err), 1);
	CHECK(out.len == big && memcmp(out.data, data, big) == 0);
	free(data);
	pb_buf_deinit(&out);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static void test_folders(void)
{
	char *dir = store_test_tmpdir("folders");
	struct pb_store *s = store_test_open(dir);
	struct pb_folder_rec *list, f;
	const char *err = NULL;
	size_t n;

	CHECK_INT(pb_store_folder_list(s, USER_A, &list, &n, &err), 0);
	CHECK_INT(n, 0);
	CHECK_INT(pb_store_folders_init(s, USER_A, NOW, &err), 0);
	CHECK_INT(pb_store_folders_init(s, USER_A, NOW + 5000, &err), 0); /* idempotent */
	REQUIRE(pb_store_folder_list(s, USER_A, &list, &n, &err) == 0);
	REQUIRE(n == 6);
	const char *names[] = { "INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive" };
	for (size_t i = 0; i < n; i++) {
		CHECK_INT(list[i].id, i + 1);
		CHECK_STR(list[i].name, names[i]);
		CHECK_INT(list[i].special_use, i + 1);
		CHECK_INT(list[i].uidnext, 1);
		CHECK_INT(list[i].messages, 0);
		CHECK(list[i].uidvalidity >= NOW / 1000);
		/* uidvalidity differs between folders (it is a per-user sequence). */
		if (i > 0)
			CHECK(list[i].uidvalidity > list[i - 1].uidvalidity);
	}
	pb_folder_recs_free(list, n);
	CHECK_INT(pb_store_folder_get(s, USER_A, "inbox", &f, &err), 1);
	CHECK_STR(f.name, "INBOX");
	pb_folder_rec_free(&f);
	CHECK_INT(pb_store_folder_get(s, USER_A, "sent", &f, &err), 0); /* only INBOX folds */
	CHECK_INT(pb_store_folder_get(s, USER_B, "INBOX", &f, &err), 0);

	CHECK_INT(pb_store_folder_create(s, USER_A, "Work/2024", 0, NOW, &f, &err), 0);
	CHECK_INT(f.id, 7); /* after the six defaults */
	uint32_t work = f.id;
	pb_folder_rec_free(&f);
	CHECK_INT(pb_store_folder_create(s, USER_A, "Work/2024", 0, NOW, &f, &err), 1);
	CHECK_INT(f.id, work);
	pb_folder_rec_free(&f);
	CHECK_INT(pb_store_folder_create(s, USER_A, "Inbox", 0, NOW, NULL, &err), 1);
	CHECK_INT(pb_store_folder_create(s, USER_A, "", 0, NOW, NULL, &err), -1);

	CHECK_INT(pb_store_folder_rename(s, USER_A, work, "Archive", &err), -1); /* a default */
	CHECK_INT(pb_store_folder_rename(s, USER_A, work, "Old", &err), 1);
	CHECK_INT(folder_id(s, USER_A, "Work/2024"), 0);
	CHECK_INT(folder_id(s, USER_A, "Old"), work);
	CHECK_INT(pb_store_folder_rename(s, USER_A, work, "Sent", &err), -1);
	CHECK_INT(pb_store_folder_rename(s, USER_A, 99, "X", &err), 0);

	CHECK_INT(pb_store_folder_delete(s, USER_A, work, &err), 1);
	CHECK_INT(pb_store_folder_delete(s, USER_A, work, &err), 0);
	/* Ids are never reused. */
	CHECK_INT(pb_store_folder_create(s, USER_A, "New", 0, NOW, &f, &err), 0);
	CHECK_INT(f.id, 8);
	pb_folder_rec_free(&f);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static void test_append_list_get(void)
{
	char *dir = store_test_tmpdir("append");
	struct pb_store *s = store_test_open(dir);
	char k1[PB_BLOB_KEY_LEN + 1], k2[PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;
	uint32_t uid = 0;

	REQUIRE(pb_store_folders_init(s, USER_A, NOW, &err) == 0);
	uint32_t inbox = folder_id(s, USER_A, "INBOX");
	REQUIRE(store_test_put_body(s, 1000, 1, k1) == 0);
	REQUIRE(store_test_put_body(s, 5000, 2, k2) == 0);
	CHECK_INT(append(s, USER_A, inbox, k1, 1000, 0, NULL, &uid), 0);
	CHECK_INT(uid, 1);
	CHECK_INT(append(s, USER_A, inbox, k2, 5000, PB_MSG_SEEN, NULL, &uid), 0);
	CHECK_INT(uid, 2);
	check_folder(s, USER_A, inbox, 2, 6000, 1, 3);

	struct pb_msg_rec r = { .size = 10, .keywords = "$Label1 Work" };
	snprintf(r.blob_key, sizeof(r.blob_key), "%s", k1);
	CHECK_INT(pb_store_msg_append(s, USER_A, inbox, &r, NULL, &err), 0);
	CHECK_INT(r.uid, 3);
	uint64_t third_modseq = r.modseq;
	CHECK(third_modseq > 1);

	struct pb_msg_rec *recs;
	size_t n;
	REQUIRE(pb_store_msg_list(s, USER_A, inbox, &recs, &n, &err) == 0);
	REQUIRE(n == 3);
	CHECK_INT(recs[0].uid, 1);
	CHECK_STR(recs[0].blob_key, k1);
	CHECK(recs[0].keywords == NULL);
	CHECK_INT(recs[1].flags, PB_MSG_SEEN);
	CHECK_INT(recs[1].size, 5000);
	CHECK_INT(recs[1].internal_date_ms, NOW);
	CHECK_STR(recs[2].keywords, "$Label1 Work");
	CHECK_INT(recs[2].modseq, third_modseq);
	CHECK(recs[0].modseq < recs[1].modseq && recs[1].modseq < recs[2].modseq);
	pb_msg_recs_free(recs, n);

	struct pb_msg_rec g;
	CHECK_INT(pb_store_msg_get(s, USER_A, inbox, 2, &g, &err), 1);
	CHECK_STR(g.blob_key, k2);
	pb_msg_rec_free(&g);
	CHECK_INT(pb_store_msg_get(s, USER_A, inbox, 9, &g, &err), 0);
	CHECK_INT(refcount(s, k1), 2);
	CHECK_INT(refcount(s, k2), 1);

	/* Refused: unknown folder, unknown body, malformed key. */
	CHECK_INT(append(s, USER_A, 77, k1, 1, 0, NULL, NULL), -1);
	char missing[PB_BLOB_KEY_LEN + 1];
	memset(missing, 'e', PB_BLOB_KEY_LEN);
	missing[PB_BLOB_KEY_LEN] = '\0';
	CHECK_INT(append(s, USER_A, inbox, missing, 1, 0, NULL, NULL), -1);
	CHECK_INT(append(s, USER_A, inbox, "zz", 1, 0, NULL, NULL), -1);
	check_folder(s, USER_A, inbox, 3, 6010, 2, 4);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static void test_dedupe_replay(void)
{
	char *dir = store_test_tmpdir("dedupe");
	struct pb_store *s = store_test_open(dir);
	char k[PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;
	uint32_t uid = 0;
	uint64_t removed = 0;

	REQUIRE(pb_store_folders_init(s, USER_A, NOW, &err) == 0);
	uint32_t inbox = folder_id(s, USER_A, "INBOX");
	REQUIRE(store_test_put_body(s, 2000, 3, k) == 0);
	CHECK_INT(append(s, USER_A, inbox, k, 2000, 0, "queue-17:rcpt-1", &uid), 0);
	CHECK_INT(uid, 1);
	CHECK_INT(append(s, USER_A, inbox, k, 2000, 0, "queue-17:rcpt-2", &uid), 0);
	CHECK_INT(uid, 2);
	/* Replays (also after a reopen) write nothing and return the first uid. */
	CHECK_INT(append(s, USER_A, inbox, k, 2000, 0, "queue-17:rcpt-1", &uid), 1);
	CHECK_INT(uid, 1);
	pb_store_close(&s);
	s = store_test_open(dir);
	CHECK_INT(append(s, USER_A, inbox, k, 2000, 0, "queue-17:rcpt-2", &uid), 1);
	CHECK_INT(uid, 2);
	check_folder(s, USER_A, inbox, 2, 4000, 2, 3);
	CHECK_INT(refcount(s, k), 2);
	/* The key is per user: another user appends normally. */
	REQUIRE(pb_store_folders_init(s, USER_B, NOW, &err) == 0);
	CHECK_INT(append(s, USER_B, folder_id(s, USER_B, "INBOX"), k, 2000, 0,
			 "queue-17:rcpt-1", &uid), 0);
	/* Pruning old records makes the key usable again. */
	CHECK_INT(pb_store_dedupe_prune(s, USER_A, (int64_t)NOW, &removed, &err), 0);
	CHECK_INT(removed, 0);
	CHECK_INT(pb_store_dedupe_prune(s, USER_A, (int64_t)NOW + 1, &removed, &err), 0);
	CHECK_INT(removed, 2);
	CHECK_INT(append(s, USER_A, inbox, k, 2000, 0, "queue-17:rcpt-1", &uid), 0);
	CHECK_INT(uid, 3);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static void test_flags_keywords(void)
{
	char *dir = store_test_tmpdir("flags");
	struct pb_store *s = store_test_open(dir);
	char k[PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;
	struct pb_folder_rec f;
	struct pb_msg_rec m;
	uint64_t modseq = 0;

	REQUIRE(pb_store_folders_init(s, USER_A, NOW, &err) == 0);
	uint32_t inbox = folder_id(s, USER_A, "INBOX");
	REQUIRE(store_test_put_body(s, 100, 4, k) == 0);
	for (int i = 0; i < 4; i++)
		REQUIRE(append(s, USER_A, inbox, k, 100, 0, NULL, NULL) == 0);
	check_folder(s, USER_A, inbox, 4, 400, 4, 5);
	REQUIRE(pb_store_folder_get_by_id(s, USER_A, inbox, &f, &err) == 1);
	uint64_t hm = f.highestmodseq;
	pb_folder_rec_free(&f);

	/* Duplicates and unknown uids in the set count once / are skipped. */
	uint32_t uids[] = { 2, 3, 3, 42 };
	CHECK_INT(pb_store_msg_set_flags(s, USER_A, inbox, uids, 4, PB_FLAGS_ADD,
					 PB_MSG_SEEN | PB_MSG_FLAGGED, &modseq, &err), 0);
	CHECK_INT(modseq, hm + 1);
	check_folder(s, USER_A, inbox, 4, 400, 2, 5);
	CHECK_INT(pb_store_msg_get(s, USER_A, inbox, 3, &m, &err), 1);
	CHECK_INT(m.flags, PB_MSG_SEEN | PB_MSG_FLAGGED);
	CHECK_INT(m.modseq, hm + 1);
	pb_msg_rec_free(&m);
	CHECK_INT(pb_store_msg_get(s, USER_A, inbox, 1, &m, &err), 1);
	CHECK_INT(m.flags, 0);
	CHECK(m.modseq <= hm);
	pb_msg_rec_free(&m);
	/* No change: nothing written, modseq is the current highest. */
	CHECK_INT(pb_store_msg_set_flags(s, USER_A, inbox, uids, 2, PB_FLAGS_ADD, PB_MSG_SEEN,
					 &modseq, &err), 0);
	CHECK_INT(modseq, hm + 1);
	CHECK_INT(pb_store_msg_set_flags(s, USER_A, inbox, uids, 1, PB_FLAGS_REMOVE, PB_MSG_SEEN,
					 &modseq, &err), 0);
	CHECK_INT(modseq, hm + 2);
	check_folder(s, USER_A, inbox, 4, 400, 3, 5);
	uint32_t one = 1;
	CHECK_INT(pb_store_msg_set_flags(s, USER_A, inbox, &one, 1, PB_FLAGS_SET,
					 PB_MSG_DELETED | PB_MSG_SEEN, &modseq, &err), 0);
	CHECK_INT(pb_store_msg_get(s, USER_A, inbox, 1, &m, &err), 1);
	CHECK_INT(m.flags, PB_MSG_DELETED | PB_MSG_SEEN);
	pb_msg_rec_free(&m);
	check_folder(s, USER_A, inbox, 4, 400, 2, 5);
	CHECK_INT(pb_store_msg_set_flags(s, USER_A, inbox, &one, 1, 7, 0, &modseq, &err), -1);

	CHECK_INT(pb_store_msg_set_keywords(s, USER_A, inbox, 4, "Junk $Forwarded", &modseq,
					    &err), 1);
	CHECK_INT(pb_store_msg_get(s, USER_A, inbox, 4, &m, &err), 1);
	CHECK_STR(m.keywords, "Junk $Forwarded");
	CHECK_INT(m.modseq, modseq);
	pb_msg_rec_free(&m);
	CHECK_INT(pb_store_msg_set_keywords(s, USER_A, inbox, 4, NULL, NULL, &err), 1);
	CHECK_INT(pb_store_msg_get(s, USER_A, inbox, 4, &m, &err), 1);
	CHECK(m.keywords == NULL);
	pb_msg_rec_free(&m);
	CHECK_INT(pb_store_msg_set_keywords(s, USER_A, inbox, 99, "x", NULL, &err), 0);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

/* One body delivered to two users: count 2; expunges drop it; GC collects it at 0. */
static void test_shared_body_refcount_gc(void)
{
	char *dir = store_test_tmpdir("shared");
	struct pb_store *s = store_test_open(dir);
	char k[PB_BLOB_KEY_LEN + 1], kfresh[PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;
	uint32_t ua = 0, ub = 0;
	uint64_t deleted = 99;
	struct pb_buf out;

	REQUIRE(pb_store_folders_init(s, USER_A, NOW, &err) == 0);
	REQUIRE(pb_store_folders_init(s, USER_B, NOW, &err) == 0);
	uint32_t ia = folder_id(s, USER_A, "INBOX"), ib = folder_id(s, USER_B, "INBOX");
	REQUIRE(store_test_put_body(s, 8000, 5, k) == 0);
	CHECK_INT(append(s, USER_A, ia, k, 8000, 0, NULL, &ua), 0);
	CHECK_INT(append(s, USER_B, ib, k, 8000, 0, NULL, &ub), 0);
	CHECK_INT(refcount(s, k), 2);
	/* Referenced bodies survive GC. */
	CHECK_INT(pb_store_blob_gc(s, &deleted, &err), 0);
	CHECK_INT(pb_store_blob_gc(s, &deleted, &err), 0);
	CHECK_INT(deleted, 0);
	CHECK_INT(pb_store_msg_expunge(s, USER_A, ia, &ua, 1, &err), 0);
	CHECK_INT(refcount(s, k), 1);
	check_folder(s, USER_A, ia, 0, 0, 0, 2);
	CHECK_INT(pb_store_blob_gc(s, &deleted, &err), 0);
	CHECK_INT(deleted, 0);
	pb_buf_init(&out);
	CHECK_INT(pb_store_blob_get(s, k, &out, &err), 1);
	CHECK_INT(pb_store_msg_expunge(s, USER_B, ib, &ub, 1, &err), 0);
	CHECK_INT(refcount(s, k), 0);
	/* A fresh unreferenced body survives the first GC after its put, not the second. */
	REQUIRE(store_test_put_body(s, 50, 6, kfresh) == 0);
	CHECK_INT(pb_store_blob_gc(s, &deleted, &err), 0);
	CHECK_INT(deleted, 1); /* k: count 0, put two GC runs ago */
	CHECK_INT(refcount(s, k), -999);
	pb_buf_reset(&out);
	CHECK_INT(pb_store_blob_get(s, k, &out, &err), 0);
	CHECK_INT(refcount(s, kfresh), 0);
	/* Expunging again changes nothing (uid is gone). */
	CHECK_INT(pb_store_msg_expunge(s, USER_B, ib, &ub, 1, &err), 0);
	pb_store_close(&s);
	s = store_test_open(dir); /* the epoch is persistent */
	CHECK_INT(pb_store_blob_gc(s, &deleted, &err), 0);
	CHECK_INT(deleted, 1);
	CHECK_INT(refcount(s, kfresh), -999);
	/* A body put again after collection is stored anew. */
	REQUIRE(store_test_put_body(s, 8000, 5, k) == 0);
	CHECK_INT(refcount(s, k), 0);
	CHECK_INT(pb_store_blob_get(s, k, &out, &err), 1);
	CHECK_INT(out.len, 8000);
	pb_buf_deinit(&out);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static void test_expunge_batch(void)
{
	char *dir = store_test_tmpdir("expunge");
	struct pb_store *s = store_test_open(dir);
	char k[10][PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;
	struct pb_msg_rec *recs;
	size_t n;

	REQUIRE(pb_store_folders_init(s, USER_A, NOW, &err) == 0);
	uint32_t inbox = folder_id(s, USER_A, "INBOX");
	for (unsigned i = 0; i < 10; i++) {
		REQUIRE(store_test_put_body(s, 100 + i, 100 + i, k[i]) == 0);
		REQUIRE(append(s, USER_A, inbox, k[i], 100 + i, i % 2 ? PB_MSG_SEEN : 0, NULL,
			       NULL) == 0);
	}
	uint32_t gone[] = { 2, 5, 6, 5, 10, 77 };
	CHECK_INT(pb_store_msg_expunge(s, USER_A, inbox, gone, 6, &err), 0);
	REQUIRE(pb_store_msg_list(s, USER_A, inbox, &recs, &n, &err) == 0);
	CHECK_INT(n, 6);
	uint64_t bytes = 0, unseen = 0;
	for (size_t i = 0; i < n; i++) {
		bytes += recs[i].size;
		unseen += (recs[i].flags & PB_MSG_SEEN) == 0;
		CHECK(recs[i].uid != 2 && recs[i].uid != 5 && recs[i].uid != 6 &&
		      recs[i].uid != 10);
	}
	pb_msg_recs_free(recs, n);
	check_folder(s, USER_A, inbox, 6, bytes, unseen, 11);
	CHECK_INT(refcount(s, k[1]), 0);
	CHECK_INT(refcount(s, k[0]), 1);
	CHECK_INT(pb_store_msg_expunge(s, USER_A, 55, gone, 1, &err), -1);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static void test_purge_and_stats(void)
{
	char *dir = store_test_tmpdir("purge");
	struct pb_store *s = store_test_open(dir);
	char k[PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;
	uint64_t inbox_msgs = 0, bytes = 0;
	struct pb_folder_rec *list;
	size_t n;

	REQUIRE(pb_store_folders_init(s, USER_A, NOW, &err) == 0);
	REQUIRE(pb_store_folders_init(s, USER_B, NOW, &err) == 0);
	uint32_t ia = folder_id(s, USER_A, "INBOX"), sent = folder_id(s, USER_A, "Sent");
	REQUIRE(store_test_put_body(s, 700, 9, k) == 0);
	/* More than one deletion chunk in the INBOX. */
	for (int i = 0; i < 2100; i++)
		REQUIRE(append(s, USER_A, ia, k, 700, 0, NULL, NULL) == 0);
	REQUIRE(append(s, USER_A, sent, k, 700, PB_MSG_SEEN, "d1", NULL) == 0);
	REQUIRE(append(s, USER_B, folder_id(s, USER_B, "INBOX"), k, 700, 0, NULL, NULL) == 0);
	CHECK_INT(pb_store_user_stats(s, USER_A, &inbox_msgs, &bytes, &err), 0);
	CHECK_INT(inbox_msgs, 2100);
	CHECK_INT(bytes, 2101 * 700);
	CHECK_INT(refcount(s, k), 2102);

	CHECK_INT(pb_store_user_purge(s, USER_A, &err), 0);
	CHECK_INT(refcount(s, k), 1);
	CHECK_INT(pb_store_folder_list(s, USER_A, &list, &n, &err), 0);
	CHECK_INT(n, 0);
	CHECK_INT(pb_store_user_stats(s, USER_A, &inbox_msgs, &bytes, &err), 0);
	CHECK_INT(inbox_msgs, 0);
	CHECK_INT(bytes, 0);
	CHECK_INT(pb_store_user_stats(s, USER_B, &inbox_msgs, &bytes, &err), 0);
	CHECK_INT(inbox_msgs, 1);
	/* Purge removed the dedupe records too, and can run again. */
	CHECK_INT(pb_store_user_purge(s, USER_A, &err), 0);
	REQUIRE(pb_store_folders_init(s, USER_A, NOW + 1000, &err) == 0);
	uint32_t uid = 0;
	CHECK_INT(append(s, USER_A, folder_id(s, USER_A, "Sent"), k, 700, 0, "d1", &uid), 0);
	CHECK_INT(uid, 1);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

/* A batch append takes all its messages with consecutive uids, or none (a missing body);
 * the quota record is kept, skipped by the folder list, and removed by a purge. */
static void test_append_batch_and_quota(void)
{
	char *dir = store_test_tmpdir("batch");
	struct pb_store *s = store_test_open(dir);
	char k[PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;
	uint64_t inbox_msgs = 0, bytes = 0;
	struct pb_msg_rec recs[3];
	struct pb_quota_rec q = { true, 5, 2, 20000 }, got;
	struct pb_folder_rec *list;
	size_t n;

	REQUIRE(pb_store_folders_init(s, USER_A, NOW, &err) == 0);
	uint32_t ia = folder_id(s, USER_A, "INBOX");
	REQUIRE(store_test_put_body(s, 400, 3, k) == 0);
	memset(recs, 0, sizeof(recs));
	for (int i = 0; i < 3; i++) {
		snprintf(recs[i].blob_key, sizeof(recs[i].blob_key), "%s", k);
		recs[i].size = 400;
		recs[i].flags = i == 1 ? PB_MSG_SEEN : 0;
	}
	memset(recs[2].blob_key, 'f', PB_BLOB_KEY_LEN); /* no such body: none appended */
	CHECK_INT(pb_store_msg_append_batch(s, USER_A, ia, recs, 3, &err), -1);
	CHECK_INT(pb_store_user_stats(s, USER_A, &inbox_msgs, &bytes, &err), 0);
	CHECK_INT(inbox_msgs, 0);
	snprintf(recs[2].blob_key, sizeof(recs[2].blob_key), "%s", k);
	CHECK_INT(pb_store_msg_append_batch(s, USER_A, ia, recs, 3, &err), 0);
	CHECK_INT(recs[0].uid, 1);
	CHECK_INT(recs[2].uid, 3);
	CHECK(recs[2].modseq > recs[0].modseq);
	CHECK_INT(refcount(s, k), 3); /* one per message */
	CHECK_INT(pb_store_user_stats(s, USER_A, &inbox_msgs, &bytes, &err), 0);
	CHECK_INT(inbox_msgs, 3);
	CHECK_INT(bytes, 1200);
	CHECK_INT(pb_store_quota_get(s, USER_A, &got, &err), 0);
	CHECK(!got.has_limit && got.limit_mb == 0 && got.level == 0); /* absent */
	CHECK_INT(pb_store_quota_put(s, USER_A, &q, &err), 0);
	CHECK_INT(pb_store_quota_get(s, USER_A, &got, &err), 0);
	CHECK(got.has_limit && got.limit_mb == 5 && got.level == 2 && got.remind_day == 20000);
	CHECK_INT(pb_store_folder_list(s, USER_A, &list, &n, &err), 0);
	CHECK_INT(n, 6); /* the default folders only (INBOX, Sent, Drafts, Trash, Junk, Archive) */
	pb_folder_recs_free(list, n);
	CHECK_INT(pb_store_user_purge(s, USER_A, &err), 0);
	CHECK_INT(pb_store_quota_get(s, USER_A, &got, &err), 0);
	CHECK(!got.has_limit && got.level == 0);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

/* Folder delete drops the references of the messages inside. */
static void test_folder_delete_refs(void)
{
	char *dir = store_test_tmpdir("fdel");
	struct pb_store *s = store_test_open(dir);
	char k[PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;
	struct pb_folder_rec f;

	REQUIRE(pb_store_folder_create(s, USER_A, "Lists", 0, NOW, &f, &err) == 0);
	REQUIRE(store_test_put_body(s, 300, 11, k) == 0);
	for (int i = 0; i < 5; i++)
		REQUIRE(append(s, USER_A, f.id, k, 300, 0, NULL, NULL) == 0);
	CHECK_INT(refcount(s, k), 5);
	CHECK_INT(pb_store_folder_delete(s, USER_A, f.id, &err), 1);
	CHECK_INT(refcount(s, k), 0);
	struct pb_msg_rec *recs;
	size_t n;
	CHECK_INT(pb_store_msg_list(s, USER_A, f.id, &recs, &n, &err), 0);
	CHECK_INT(n, 0);
	pb_folder_rec_free(&f);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

/* A stored body keeps its parsed MIME structure, from blob_put and from the spool alike, and
 * blob GC removes it with the body. */
static void test_structure_kept(void)
{
	char *dir = store_test_tmpdir("structure");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	char key[PB_BLOB_KEY_LEN + 1];
	struct pb_buf out;
	struct mime_message *msg = NULL;
	static const char mail[] =
		"From: a@b.example\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
		"--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
		"--XX\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
		"aGVsbG8=\r\n--XX--\r\n";

	CHECK_INT(pb_store_blob_put(s, mail, sizeof(mail) - 1, key, &err), 0);
	pb_buf_init(&out);
	REQUIRE(pb_store_blob_structure(s, key, &out, &err) == 1);
	REQUIRE(mime_structure_decode(out.data, out.len, &msg, &err) == 0);
	CHECK(mime_part_is(msg->root, "multipart", "mixed"));
	CHECK_INT(msg->root->n_children, 2);
	CHECK(mime_part_is(msg->root->children->next, "image", "png"));
	mime_message_free(&msg);

	struct pb_spool_rec rec = { 0 };
	char *rcpt = "x@y";
	uint64_t rid = 1;
	rec.sender = "";
	rec.rcpts = &rcpt;
	rec.rcpt_ids = &rid;
	rec.n_rcpts = 1;
	static const char plain[] = "Subject: plain\r\n\r\nbody\r\n";
	CHECK_INT(pb_store_spool_put(s, plain, sizeof(plain) - 1, &rec, &err), 0);
	pb_buf_reset(&out);
	REQUIRE(pb_store_blob_structure(s, rec.blob_key, &out, &err) == 1);
	REQUIRE(mime_structure_decode(out.data, out.len, &msg, &err) == 0);
	CHECK(mime_part_is(msg->root, "text", "plain"));
	mime_message_free(&msg);
	CHECK_INT(pb_store_spool_done(s, rec.id, &err), 1);

	/* unreferenced: two GC runs remove bodies and structures */
	uint64_t deleted = 0;
	CHECK_INT(pb_store_blob_gc(s, &deleted, &err), 0);
	CHECK_INT(pb_store_blob_gc(s, &deleted, &err), 0);
	pb_buf_reset(&out);
	CHECK_INT(pb_store_blob_structure(s, key, &out, &err), 0);
	CHECK_INT(pb_store_blob_structure(s, rec.blob_key, &out, &err), 0);
	CHECK_INT(pb_store_blob_structure(s, "nothex", &out, &err), 0);
	pb_buf_deinit(&out);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static void collect_trace(uint64_t id, int64_t time_ms, const char *line, void *ctx)
{
	struct pb_strv *v = ctx;
	(void)id;
	(void)time_ms;
	pb_strv_push(v, line);
}

struct spool_seen {
	bool planned;
	size_t n;
	uint64_t id1;
	char addr1[64];
	char folder0[32], keywords0[32], collector[32], headers0[32];
	uint32_t flags0;
	uint8_t origin;
};

static int see_spool(const struct pb_spool_rec *r, void *ctx)
{
	struct spool_seen *seen = ctx;
	seen->planned = r->planned;
	seen->n = r->n_rcpts;
	seen->id1 = r->n_rcpts > 1 ? r->rcpt_ids[1] : 0;
	snprintf(seen->addr1, sizeof(seen->addr1), "%s", r->n_rcpts > 1 ? r->rcpts[1] : "");
	snprintf(seen->folder0, sizeof(seen->folder0), "%s", r->folders ? r->folders[0] : "-");
	snprintf(seen->keywords0, sizeof(seen->keywords0), "%s", r->keywords ? r->keywords[0] : "-");
	snprintf(seen->headers0, sizeof(seen->headers0), "%s", r->headers ? r->headers[0] : "-");
	snprintf(seen->collector, sizeof(seen->collector), "%s", r->collector ? r->collector : "-");
	seen->flags0 = r->flags ? r->flags[0] : 999;
	seen->origin = r->origin;
	return 0;
}

/* The router's plan replaces the accepted recipients with the trace in one write; the entry
 * is planned after a reopen, and its trace is found by message id. */
static void test_spool_plan_trace(void)
{
	char *dir = store_test_tmpdir("spool-plan");
	struct pb_store *s = store_test_open(dir);
	const char *err;
	char *rcpt = "sales@example.com";
	uint64_t rid = 0;
	struct pb_spool_rec rec = { .sender = "", .msgid = "M1", .rcpts = &rcpt, .rcpt_ids = &rid,
				    .n_rcpts = 1, .origin = PB_ORIGIN_COLLECTED,
				    .collector = "isp" };
	static const char body[] = "Subject: plan\r\n\r\nbody\r\n";
	struct spool_seen seen = { 0 };
	struct pb_strv trace = { 0 }, got = { 0 };

	REQUIRE(pb_store_spool_put(s, body, sizeof(body) - 1, &rec, &err) == 0);
	REQUIRE(pb_store_spool_iter(s, see_spool, &seen, &err) == 0);
	CHECK(!seen.planned);
	CHECK_STR(seen.folder0, "-");
	char *items[] = { "ann@example.com", "bob@remote.net" };
	uint64_t ids[] = { 7, 0 };
	char *folders[] = { "Lists/abc", "INBOX" }, *kws[] = { "important spam", "" };
	uint32_t flags[] = { 6, 0 };
	char *headers[] = { "X-Rule: yes\nX-Spam\n", "" };
	struct pb_spool_plan plan = { items, ids, folders, flags, kws, 2, headers, NULL };
	pb_strv_push(&trace, "sales mapping -> ann");
	pb_strv_push(&trace, "bob@remote.net is remote");
	CHECK_INT(pb_store_spool_plan(s, rec.id, &plan, "M1", 1000, &trace, &err), 1);
	CHECK_INT(pb_store_spool_plan(s, rec.id + 1000, &plan, "M9", 1000, &trace, &err), 0);
	pb_store_close(&s);
	s = store_test_open(dir);
	REQUIRE(pb_store_spool_iter(s, see_spool, &seen, &err) == 0);
	CHECK(seen.planned);
	CHECK_INT(seen.n, 2);
	CHECK_INT(seen.id1, 0);
	CHECK_STR(seen.addr1, "bob@remote.net");
	CHECK_STR(seen.folder0, "Lists/abc"); /* the plan's folder, flags, keywords kept */
	CHECK_INT(seen.flags0, 6);
	CHECK_STR(seen.keywords0, "important spam");
	CHECK_STR(seen.headers0, "X-Rule: yes\nX-Spam\n"); /* v5: the item's header edits */
	CHECK_INT(seen.origin, PB_ORIGIN_COLLECTED); /* the origin outlives the plan */
	CHECK_STR(seen.collector, "isp");
	REQUIRE(pb_store_trace_find(s, "M1", collect_trace, &got, &err) == 0);
	REQUIRE(got.n == 2);
	CHECK_STR(got.v[0], "sales mapping -> ann");
	pb_strv_clear(&got);
	REQUIRE(pb_store_trace_find(s, "M2", collect_trace, &got, &err) == 0);
	CHECK_INT(got.n, 0);
	CHECK_INT(pb_store_spool_done(s, rec.id, &err), 1);
	REQUIRE(pb_store_trace_find(s, "M1", collect_trace, &got, &err) == 0);
	CHECK_INT(got.n, 2); /* the trace outlives delivery */
	pb_strv_clear(&got);
	pb_strv_clear(&trace);
	store_test_done(&s, &dir);
}

struct spool_sign_seen {
	size_t n, n_rcpts;
	uint64_t at[4];
	char text[4][32];
};

static int see_sign(const struct pb_spool_rec *r, void *ctx)
{
	struct spool_sign_seen *seen = ctx;
	seen->n = r->n_sign;
	seen->n_rcpts = r->n_rcpts;
	for (size_t i = 0; i < r->n_sign && i < 4; i++) {
		seen->at[i] = r->sign_at[i];
		snprintf(seen->text[i], sizeof(seen->text[i]), "%s", r->sign_text[i]);
	}
	return 0;
}

/* v6: the signature's insertions go in with the put, outlive the plan's rewrite and a
 * reopen; a v5 record (written before them) is read with none; a count past the bound is a
 * corrupt record. */
static void test_spool_sign(void)
{
	char *dir = store_test_tmpdir("spool-sign");
	struct pb_store *s = store_test_open(dir);
	const char *err;
	char *rcpt = "far@remote.example", *texts[] = { "\r\n-- \r\nACME", "<p>ACME</p>" };
	uint64_t rid = 0, at[] = { 20, 4000 };
	struct pb_spool_rec rec = { .sender = "a@here", .msgid = "S1", .rcpts = &rcpt,
				    .rcpt_ids = &rid, .n_rcpts = 1, .n_sign = 2, .sign_at = at,
				    .sign_text = texts };
	static const char body[] = "Subject: sign\r\n\r\nbody\r\n";
	struct spool_sign_seen seen = { 0 };

	REQUIRE(pb_store_spool_put(s, body, sizeof(body) - 1, &rec, &err) == 0);
	struct pb_spool_plan plan = { &rcpt, &rid, NULL, NULL, NULL, 1, NULL, NULL };
	struct pb_strv trace = { 0 };
	pb_strv_push(&trace, "remote");
	CHECK_INT(pb_store_spool_plan(s, rec.id, &plan, "S1", 1000, &trace, &err), 1);
	pb_strv_clear(&trace);
	pb_store_close(&s);
	s = store_test_open(dir);
	REQUIRE(pb_store_spool_iter(s, see_sign, &seen, &err) == 0);
	CHECK_INT(seen.n, 2);
	CHECK_INT(seen.at[0], 20);
	CHECK_INT(seen.at[1], 4000);
	CHECK_STR(seen.text[0], "\r\n-- \r\nACME");
	CHECK_STR(seen.text[1], "<p>ACME</p>");
	CHECK_INT(pb_store_spool_done(s, rec.id, &err), 1);

	/* a v5 record, as written before v6: no insertions */
	uint8_t k[8];
	struct pb_buf v;
	store_be64_put(k, 77);
	pb_buf_init(&v);
	store_enc_u8(&v, 5);
	store_enc_str(&v, "old@here");
	store_enc_str(&v, "M5");
	store_enc_u64(&v, 1000);
	store_enc_u64(&v, 5);
	for (int i = 0; i < 32; i++)
		store_enc_u8(&v, 0xab);
	store_enc_u32(&v, 1);
	store_enc_str(&v, "x@far.example");
	store_enc_u64(&v, 0);
	store_enc_u8(&v, 1);    /* planned */
	store_enc_u8(&v, 0);    /* origin */
	store_enc_str(&v, "");  /* collector */
	store_enc_u8(&v, 0);    /* no items */
	CHECK_INT(store_put1(s, STORE_CF_SPOOL, (const char *)k, 8, v.data, v.len, &err), 0);
	memset(&seen, 0xff, sizeof(seen));
	REQUIRE(pb_store_spool_iter(s, see_sign, &seen, &err) == 0);
	CHECK_INT(seen.n, 0);
	CHECK_INT(seen.n_rcpts, 1);
	/* the same as v6 with 9 insertions (over PB_SPOOL_MAX_SIGN): corrupt */
	v.data[0] = 6;
	store_enc_u8(&v, PB_SPOOL_MAX_SIGN + 1);
	for (int i = 0; i <= PB_SPOOL_MAX_SIGN; i++) {
		store_enc_u64(&v, (uint64_t)i);
		store_enc_str(&v, "x");
	}
	CHECK_INT(store_put1(s, STORE_CF_SPOOL, (const char *)k, 8, v.data, v.len, &err), 0);
	CHECK_INT(pb_store_spool_iter(s, see_sign, &seen, &err), -1);
	pb_buf_deinit(&v);
	store_test_done(&s, &dir);
}

/* Old traces go in steps (store-spool.c: STORE_TRACE_PRUNE_STEP, 4096 ids), not by a range
 * deletion at every write: an id less than a step past PB_TRACE_KEEP removes nothing, one a step
 * past removes everything older than PB_TRACE_KEEP ids, and the newer traces stay. */
static void test_trace_pruning(void)
{
	char *dir = store_test_tmpdir("trace-prune");
	struct pb_store *s = store_test_open(dir);
	const char *err;
	struct pb_strv trace = { 0 }, got = { 0 };
	const uint64_t step = 4096;

	pb_strv_push(&trace, "a line");
	REQUIRE(pb_store_trace_put(s, 1, "OLD1", NULL, 1000, &trace, &err) == 0);
	REQUIRE(pb_store_trace_put(s, 2, "OLD2", NULL, 1000, &trace, &err) == 0);
	REQUIRE(pb_store_trace_put(s, PB_TRACE_KEEP + 2, "NEW1", NULL, 1000, &trace, &err) == 0);
	REQUIRE(pb_store_trace_find(s, "OLD1", collect_trace, &got, &err) == 0);
	CHECK_INT(got.n, 1); /* within a step: not yet removed */
	pb_strv_clear(&got);
	REQUIRE(pb_store_trace_put(s, PB_TRACE_KEEP + step + 10, "NEW2", NULL, 1000, &trace, &err) == 0);
	REQUIRE(pb_store_trace_find(s, "OLD1", collect_trace, &got, &err) == 0);
	CHECK_INT(got.n, 0);
	REQUIRE(pb_store_trace_find(s, "OLD2", collect_trace, &got, &err) == 0);
	CHECK_INT(got.n, 0);
	REQUIRE(pb_store_trace_find(s, "NEW1", collect_trace, &got, &err) == 0);
	CHECK_INT(got.n, 1);
	pb_strv_clear(&got);
	REQUIRE(pb_store_trace_find(s, "NEW2", collect_trace, &got, &err) == 0);
	CHECK_INT(got.n, 1);
	pb_strv_clear(&got);
	pb_strv_clear(&trace);
	store_test_done(&s, &dir);
}

static int see_message_id(const struct pb_spool_rec *r, void *ctx)
{
	snprintf(ctx, 64, "%s", r->message_id != NULL ? r->message_id : "(null)");
	return 0;
}

/* The trace of a spool id and its lines as "id:line", to tell several traces apart. */
static void collect_trace_ids(uint64_t id, int64_t time_ms, const char *line, void *ctx)
{
	char text[128];
	(void)time_ms;
	snprintf(text, sizeof(text), "%llu:%s", (unsigned long long)id, line);
	pb_strv_push(ctx, text);
}

/* Finds what id names: its traces' "id:line" joined by ' ' into out. */
static void find_joined(struct pb_store *s, const char *id, char *out, size_t size)
{
	struct pb_strv got = { 0 };
	const char *err;

	out[0] = '\0';
	REQUIRE(pb_store_trace_find(s, id, collect_trace_ids, &got, &err) == 0);
	for (uint32_t i = 0; i < got.n; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? " " : "", got.v[i]);
	pb_strv_clear(&got);
}

/* v7: the entry's Message-ID is kept with it (a reopen) and with its trace (trace v2), which
 * is then found by the queue id or by the Message-ID with or without its angle brackets;
 * two deliveries of one Message-ID are both found; a v1 trace (without it) still is, by its
 * queue id. */
static void test_trace_message_id(void)
{
	char *dir = store_test_tmpdir("trace-mid");
	struct pb_store *s = store_test_open(dir);
	const char *err;
	char *rcpt = "ann@example.com", seen[64], got[256];
	uint64_t rid = 7;
	struct pb_spool_rec rec = { .sender = "a@b", .msgid = "T1", .rcpts = &rcpt,
				    .rcpt_ids = &rid, .n_rcpts = 1, .message_id = "abc.1@x.example" };
	static const char body[] = "Message-ID: <abc.1@x.example>\r\n\r\nbody\r\n";
	struct pb_strv trace = { 0 };

	REQUIRE(pb_store_spool_put(s, body, sizeof(body) - 1, &rec, &err) == 0);
	pb_store_close(&s);
	s = store_test_open(dir);
	REQUIRE(pb_store_spool_iter(s, see_message_id, seen, &err) == 0);
	CHECK_STR(seen, "abc.1@x.example");
	struct pb_spool_plan plan = { &rcpt, &rid, NULL, NULL, NULL, 1, NULL, "abc.1@x.example" };
	pb_strv_push(&trace, "to ann");
	CHECK_INT(pb_store_spool_plan(s, rec.id, &plan, "T1", 1000, &trace, &err), 1);
	REQUIRE(pb_store_spool_iter(s, see_message_id, seen, &err) == 0);
	CHECK_STR(seen, "abc.1@x.example"); /* the plan's rewrite keeps it */
	char want[64];
	snprintf(want, sizeof(want), "%llu:to ann", (unsigned long long)rec.id);
	find_joined(s, "T1", got, sizeof(got));
	CHECK_STR(got, want);
	find_joined(s, "abc.1@x.example", got, sizeof(got));
	CHECK_STR(got, want);
	find_joined(s, "<abc.1@x.example>", got, sizeof(got));
	CHECK_STR(got, want);
	find_joined(s, "<abc.1@x.example", got, sizeof(got));
	CHECK_STR(got, "");
	find_joined(s, "abc.1@x.examplE", got, sizeof(got));
	CHECK_STR(got, "");
	/* another delivery of the same message (its own queue id): both */
	REQUIRE(pb_store_trace_put(s, rec.id + 5, "T2", "abc.1@x.example", 2000, &trace, &err) == 0);
	find_joined(s, "<abc.1@x.example>", got, sizeof(got));
	snprintf(want, sizeof(want), "%llu:to ann %llu:to ann", (unsigned long long)rec.id,
		 (unsigned long long)rec.id + 5);
	CHECK_STR(got, want);
	/* a trace without a Message-ID is not found by "" */
	REQUIRE(pb_store_trace_put(s, rec.id + 6, "T3", NULL, 2000, &trace, &err) == 0);
	find_joined(s, "", got, sizeof(got));
	CHECK_STR(got, "");
	find_joined(s, "<>", got, sizeof(got));
	CHECK_STR(got, "");
	/* a v1 trace record, as written before v2 */
	uint8_t k[8];
	struct pb_buf v;
	store_be64_put(k, rec.id + 9);
	pb_buf_init(&v);
	store_enc_u8(&v, 1);
	store_enc_str(&v, "OLDQ");
	store_enc_u64(&v, 1000);
	store_enc_u32(&v, 1);
	store_enc_str(&v, "old line");
	CHECK_INT(store_put1(s, STORE_CF_TRACES, (const char *)k, 8, v.data, v.len, &err), 0);
	pb_buf_deinit(&v);
	find_joined(s, "OLDQ", got, sizeof(got));
	snprintf(want, sizeof(want), "%llu:old line", (unsigned long long)rec.id + 9);
	CHECK_STR(got, want);
	pb_strv_clear(&trace);
	store_test_done(&s, &dir);
}

/* A record's sort keys are kept (v2) through a flag change and a copy; a record written as
 * before them (v1) still reads, without keys; a v1 record with more bytes is corrupt. */
static void test_msg_sort_keys(void)
{
	char *dir = store_test_tmpdir("sortkeys");
	struct pb_store *s = store_test_open(dir);
	struct pb_msg_rec rec = { .size = 7, .internal_date_ms = NOW, .has_sort_keys = true }, got;
	struct pb_msg_copied cp;
	const char *err = NULL;
	uint32_t uid = 1;

	REQUIRE(pb_store_folders_init(s, USER_A, NOW, &err) == 0);
	const char body[] = "x: y\r\n\r\nbody\r\n";
	REQUIRE(pb_store_blob_put(s, body, sizeof(body) - 1, rec.blob_key, &err) == 0);
	snprintf(rec.sort_from, sizeof(rec.sort_from), "ann");
	snprintf(rec.sort_subject, sizeof(rec.sort_subject), "hello there");
	REQUIRE(pb_store_msg_append(s, USER_A, 1, &rec, NULL, &err) == 0);
	CHECK_INT(pb_store_msg_set_flags(s, USER_A, 1, &uid, 1, PB_FLAGS_ADD, PB_MSG_SEEN, NULL,
					 &err), 0);
	REQUIRE(pb_store_msg_copy(s, USER_A, 1, 2, &uid, 1, false, &cp, &err) == 0);
	for (uint32_t folder = 1; folder <= 2; folder++) {
		REQUIRE(pb_store_msg_get(s, USER_A, folder, 1, &got, &err) == 1);
		CHECK(got.has_sort_keys);
		CHECK_STR(got.sort_from, "ann");
		CHECK_STR(got.sort_subject, "hello there");
		CHECK_INT(got.flags, PB_MSG_SEEN);
		pb_msg_rec_free(&got);
	}
	pb_msg_copied_free(&cp);

	struct pb_buf v1; /* [1][flags][date][size][modseq][raw key][keywords]: as before keys */
	uint8_t key[STORE_MSG_KEY_LEN], raw[32];
	REQUIRE(store_hex_to_raw(rec.blob_key, raw) == 0);
	store_msg_key(USER_A, 1, 1, key);
	pb_buf_init(&v1);
	store_enc_u8(&v1, STORE_V1);
	store_enc_u32(&v1, PB_MSG_FLAGGED);
	store_enc_u64(&v1, NOW);
	store_enc_u64(&v1, 7);
	store_enc_u64(&v1, 3);
	pb_buf_append(&v1, raw, sizeof(raw));
	store_enc_str(&v1, NULL);
	CHECK_INT(store_put1(s, STORE_CF_MESSAGES, (const char *)key, sizeof(key), v1.data, v1.len,
			     &err), 0);
	REQUIRE(pb_store_msg_get(s, USER_A, 1, 1, &got, &err) == 1);
	CHECK(!got.has_sort_keys);
	CHECK_STR(got.sort_from, "");
	CHECK_STR(got.sort_subject, "");
	CHECK_INT(got.flags, PB_MSG_FLAGGED);
	CHECK_STR(got.blob_key, rec.blob_key);
	pb_msg_rec_free(&got);
	store_enc_str(&v1, "ann");
	CHECK_INT(store_put1(s, STORE_CF_MESSAGES, (const char *)key, sizeof(key), v1.data, v1.len,
			     &err), 0);
	CHECK_INT(pb_store_msg_get(s, USER_A, 1, 1, &got, &err), -1);
	pb_buf_deinit(&v1);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static const struct pb_test_case cases[] = {
	{ "spool_plan_trace", test_spool_plan_trace },
	{ "spool_sign", test_spool_sign },
	{ "trace_pruning", test_trace_pruning },
	{ "trace_message_id", test_trace_message_id },
	{ "blobs", test_blobs },
	{ "structure_kept", test_structure_kept },
	{ "msg_sort_keys", test_msg_sort_keys },
	{ "folders", test_folders },
	{ "append_list_get", test_append_list_get },
	{ "dedupe_replay", test_dedupe_replay },
	{ "flags_keywords", test_flags_keywords },
	{ "shared_body_refcount_gc", test_shared_body_refcount_gc },
	{ "expunge_batch", test_expunge_batch },
	{ "purge_and_stats", test_purge_and_stats },
	{ "folder_delete_refs", test_folder_delete_refs },
	{ "append_batch_and_quota", test_append_batch_and_quota },
};

PB_TEST_MAIN(cases)
