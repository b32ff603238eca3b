/*
 * test-store-queue.c: the outbound queue's records — add (with its body reference) exactly once
 * by id, also after the entry finished (its tombstone); update; finish (the reference dropped);
 * iterate only live entries; prune old tombstones; everything survives a reopen; unsynced
 * writes made durable by pb_store_sync, whose callers on several threads share syncs.
 * OWNS: a temporary database per case. THREAD: main, and the sync case's threads.
 */
#include "store-bodies.h"
#include "store-internal.h"
#include "store-queue.h"
#include "pb-test-store.h"

#include <pthread.h>

static void fill(struct pb_queue_rec *q, uint64_t id, const char *key)
{
	static struct pb_queue_rcpt r[2];

	r[0] = (struct pb_queue_rcpt){ "a@far.example", "rfc822;a@far.example", 0x4, 0, 0, "", NULL, NULL };
	r[1] = (struct pb_queue_rcpt){ "b@far.example", "", 0, 0, 0, "", NULL, NULL };
	*q = (struct pb_queue_rec){ .id = id, .sender = "me@here", .msgid = "M1", .envid = "E1",
				    .ret = 1, .arrival_ms = 1000, .next_ms = 0, .size = 5,
				    .r = r, .n = 2 };
	snprintf(q->blob_key, sizeof(q->blob_key), "%s", key);
}

static int collect(const struct pb_queue_rec *q, void *ctx)
{
	struct pb_queue_rec *out = ctx;
	pb_queue_rec_copy(&out[out[0].size++ + 1], q);
	return 0;
}

static void test_add_update_finish(void)
{
	char *dir = store_test_tmpdir("queue");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	char key[PB_BLOB_KEY_LEN + 1];
	int64_t refs = 0;
	struct pb_queue_rec q, got[4];

	CHECK_INT(pb_store_blob_put(s, "hello", 5, key, &err), 0);
	fill(&q, 42, key);
	CHECK_INT(pb_store_queue_add(s, &q, true, &err), 1);
	CHECK_INT(pb_store_queue_add(s, &q, true, &err), 0); /* a replayed hand-off writes nothing */
	CHECK_INT(pb_store_blob_refcount(s, key, &refs, &err), 1);
	CHECK_INT(refs, 1);
	q.r[0].state = PB_QUEUE_DELIVERED;
	q.r[0].attempts = 1;
	q.r[0].reply = "250 ok";
	q.held = true;
	CHECK_INT(pb_store_queue_update(s, &q, true, &err), 0);
	pb_store_close(&s);
	s = store_test_open(dir); /* durable */
	memset(got, 0, sizeof(got));
	CHECK_INT(pb_store_queue_iter(s, collect, got, &err), 0);
	CHECK_INT(got[0].size, 1);
	CHECK_INT(got[1].id, 42);
	CHECK_STR(got[1].sender, "me@here");
	CHECK_STR(got[1].envid, "E1");
	CHECK_INT(got[1].ret, 1);
	CHECK(got[1].held);
	CHECK_INT(got[1].n, 2);
	CHECK_INT(got[1].r[0].state, PB_QUEUE_DELIVERED);
	CHECK_STR(got[1].r[0].reply, "250 ok");
	CHECK_STR(got[1].r[0].orcpt, "rfc822;a@far.example");
	CHECK_INT(got[1].r[0].notify, 0x4);
	CHECK_STR(got[1].blob_key, key);
	pb_queue_rec_free(&got[1]);
	CHECK_INT(pb_store_queue_finish(s, 42, 5000, true, &err), 1);
	CHECK_INT(pb_store_queue_finish(s, 42, 5000, true, &err), 0);
	CHECK_INT(pb_store_blob_refcount(s, key, &refs, &err), 1);
	CHECK_INT(refs, 0);
	/* finished: not listed, and a replay still adds nothing (the tombstone) */
	memset(got, 0, sizeof(got));
	CHECK_INT(pb_store_queue_iter(s, collect, got, &err), 0);
	CHECK_INT(got[0].size, 0);
	CHECK_INT(pb_store_queue_add(s, &q, true, &err), 0);
	/* a tombstone newer than the cutoff stays; an older one goes, then the id is free */
	CHECK_INT(pb_store_queue_prune(s, 5000, &err), 0);
	CHECK_INT(pb_store_queue_add(s, &q, true, &err), 0);
	CHECK_INT(pb_store_queue_prune(s, 5001, &err), 0);
	CHECK_INT(pb_store_queue_add(s, &q, true, &err), 1);
	store_test_done(&s, &dir);
}

static void test_refused(void)
{
	char *dir = store_test_tmpdir("queue-bad");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	struct pb_queue_rec q;

	fill(&q, 7, "zz");
	CHECK_INT(pb_store_queue_add(s, &q, true, &err), -1); /* a malformed body key */
	CHECK(strstr(err, "body key") != NULL);
	fill(&q, 7, "0000000000000000000000000000000000000000000000000000000000000000");
	q.n = 0;
	CHECK_INT(pb_store_queue_add(s, &q, true, &err), -1);
	store_test_done(&s, &dir);
}

/* v2: a recipient's own sender and header edits survive a reopen; NULL stays the entry's. */
static void test_own_sender_edit(void)
{
	char *dir = store_test_tmpdir("queue-v2");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	char key[PB_BLOB_KEY_LEN + 1];
	struct pb_queue_rec q, got[4];

	CHECK_INT(pb_store_blob_put(s, "hello", 5, key, &err), 0);
	fill(&q, 43, key);
	q.r[1].sender = "fwd@here.example";
	q.r[1].edit = "X-Fwd: yes\nX-Spam";
	CHECK_INT(pb_store_queue_add(s, &q, true, &err), 1);
	q.r[1].sender = NULL;
	q.r[1].edit = NULL;
	pb_store_close(&s);
	s = store_test_open(dir);
	memset(got, 0, sizeof(got));
	CHECK_INT(pb_store_queue_iter(s, collect, got, &err), 0);
	CHECK_INT(got[0].size, 1);
	CHECK(got[1].r[0].sender == NULL);
	CHECK_STR(got[1].r[0].edit, "");
	CHECK_STR(got[1].r[1].sender, "fwd@here.example");
	CHECK_STR(got[1].r[1].edit, "X-Fwd: yes\nX-Spam");
	pb_queue_rec_free(&got[1]);
	store_test_done(&s, &dir);
}

/* A v1 record (written before recipients had their own sender) is still read. */
static void test_v1_read(void)
{
	char *dir = store_test_tmpdir("queue-v1");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	uint8_t k[8];
	struct pb_buf v;
	struct pb_queue_rec got[4];

	store_be64_put(k, 9);
	pb_buf_init(&v);
	store_enc_u8(&v, 1);
	store_enc_str(&v, "old@here");
	store_enc_str(&v, "M9");
	store_enc_str(&v, "");
	store_enc_u8(&v, 0);
	store_enc_u8(&v, 0);
	store_enc_u8(&v, 0);
	store_enc_u64(&v, 1000);
	store_enc_u64(&v, 0);
	store_enc_u64(&v, 5);
	for (int i = 0; i < 32; i++)
		store_enc_u8(&v, 0xab);
	store_enc_u32(&v, 1);
	store_enc_str(&v, "x@far.example");
	store_enc_str(&v, "");
	store_enc_u8(&v, 0);
	store_enc_u8(&v, PB_QUEUE_DEFERRED);
	store_enc_u32(&v, 2);
	store_enc_str(&v, "451 later");
	CHECK_INT(store_put1(s, STORE_CF_QUEUE, (const char *)k, 8, v.data, v.len, &err), 0);
	memset(got, 0, sizeof(got));
	CHECK_INT(pb_store_queue_iter(s, collect, got, &err), 0);
	CHECK_INT(got[0].size, 1);
	CHECK_STR(got[1].sender, "old@here");
	CHECK_INT(got[1].n, 1);
	CHECK_STR(got[1].r[0].addr, "x@far.example");
	CHECK_INT(got[1].r[0].attempts, 2);
	CHECK_STR(got[1].r[0].reply, "451 later");
	CHECK(got[1].r[0].sender == NULL);
	CHECK_STR(got[1].r[0].edit, "");
	pb_queue_rec_free(&got[1]);
	/* a v1 record with a v2 tail is corrupt, not read as v2 */
	store_enc_str(&v, "s@x");
	store_enc_str(&v, "");
	CHECK_INT(store_put1(s, STORE_CF_QUEUE, (const char *)k, 8, v.data, v.len, &err), 0);
	CHECK_INT(pb_store_queue_iter(s, collect, got, &err), -1);
	pb_buf_deinit(&v);
	store_test_done(&s, &dir);
}

/* Unsynced writes, then pb_store_sync: it syncs once for what is new and not at all when
 * nothing new was written. */
static void test_lazy_then_sync(void)
{
	char *dir = store_test_tmpdir("queue");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	char key[PB_BLOB_KEY_LEN + 1];
	struct pb_queue_rec q;

	CHECK_INT(pb_store_blob_put(s, "hello", 5, key, &err), 0);
	fill(&q, 7, key);
	uint64_t before = pb_store_sync_count(s);
	CHECK_INT(pb_store_queue_add(s, &q, false, &err), 1);
	CHECK_INT(pb_store_sync(s, &err), 0);
	CHECK_INT(pb_store_sync_count(s), before + 1);
	CHECK_INT(pb_store_sync(s, &err), 0); /* covered already: no second fsync */
	CHECK_INT(pb_store_sync_count(s), before + 1);
	CHECK_INT(pb_store_queue_finish(s, 7, 2000, false, &err), 1);
	CHECK_INT(pb_store_sync(s, &err), 0);
	CHECK_INT(pb_store_sync_count(s), before + 2);
	pb_store_close(&s);
	s = store_test_open(dir);
	CHECK_INT(pb_store_queue_add(s, &q, true, &err), 0); /* the finish is there: a tombstone */
	store_test_done(&s, &dir);
}

#define SYNC_THREADS 8
#define SYNC_ROUNDS 40

struct syncer {
	struct pb_store *s;
	const char *key;
	uint64_t id;
	int failures;
};

/* One shard's way: an unsynced update, then pb_store_sync, SYNC_ROUNDS times. */
static void *sync_rounds(void *arg)
{
	struct syncer *w = arg;
	struct pb_queue_rec q;
	const char *err;

	fill(&q, w->id, w->key);
	w->failures += pb_store_queue_add(w->s, &q, false, &err) != 1;
	for (int i = 0; i < SYNC_ROUNDS; i++) {
		q.next_ms = i;
		w->failures += pb_store_queue_update(w->s, &q, false, &err) != 0;
		w->failures += pb_store_sync(w->s, &err) != 0;
	}
	return NULL;
}

/* Threads syncing at once all succeed, and never sync more often than they ask; what they
 * wrote is there after a reopen. */
static void test_sync_from_threads(void)
{
	char *dir = store_test_tmpdir("queue");
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	char key[PB_BLOB_KEY_LEN + 1];
	pthread_t t[SYNC_THREADS];
	struct syncer w[SYNC_THREADS];
	struct pb_queue_rec got[SYNC_THREADS + 1];

	CHECK_INT(pb_store_blob_put(s, "hello", 5, key, &err), 0);
	uint64_t before = pb_store_sync_count(s);
	for (int i = 0; i < SYNC_THREADS; i++) {
		w[i] = (struct syncer){ s, key, 100 + (uint64_t)i, 0 };
		REQUIRE(pthread_create(&t[i], NULL, sync_rounds, &w[i]) == 0);
	}
	for (int i = 0; i < SYNC_THREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(w[i].failures, 0);
	}
	uint64_t syncs = pb_store_sync_count(s) - before;
	CHECK(syncs >= 1 && syncs <= SYNC_THREADS * SYNC_ROUNDS);
	printf("# %llu syncs for %d calls\n", (unsigned long long)syncs, SYNC_THREADS * SYNC_ROUNDS);
	pb_store_close(&s);
	s = store_test_open(dir);
	memset(got, 0, sizeof(got));
	CHECK_INT(pb_store_queue_iter(s, collect, got, &err), 0);
	CHECK_INT(got[0].size, SYNC_THREADS);
	for (int i = 1; i <= SYNC_THREADS && i <= (int)got[0].size; i++) {
		CHECK_INT(got[i].next_ms, SYNC_ROUNDS - 1);
		pb_queue_rec_free(&got[i]);
	}
	store_test_done(&s, &dir);
}

static const struct pb_test_case cases[] = {
	{ "add_update_finish", test_add_update_finish },
	{ "refused", test_refused },
	{ "own_sender_edit", test_own_sender_edit },
	{ "v1_read", test_v1_read },
	{ "lazy_then_sync", test_lazy_then_sync },
	{ "sync_from_threads", test_sync_from_threads },
};

PB_TEST_MAIN(cases)
