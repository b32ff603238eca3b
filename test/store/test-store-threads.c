/*
 * test-store-threads.c: concurrent use of one handle: writer threads for different users
 * appending (a body shared by all plus bodies of their own), changing flags and expunging,
 * while another thread runs blob GC and others take counter values and write users. At the
 * end the reference counts and every folder's counters must match the records.
 * OWNS: a temporary database. THREAD: main plus the threads it starts.
 */
#include "store-accounts.h"
#include "store-bodies.h"
#include "store-mail.h"
#include "pb-test-store.h"

#include <pthread.h>

#define THREADS 8
#define APPENDS 150
#define COUNTER_THREADS 4
#define COUNTER_TAKES 100

struct worker {
	struct pb_store *s;
	int idx;
	uint64_t user;
	char shared[PB_BLOB_KEY_LEN + 1];
	char expunged_own[PB_BLOB_KEY_LEN + 1]; /* the last own body expunged */
	int failures;
};

/* GC pacing: blob_put's contract is "reference the body before the second GC run after the
 * put", so the GC thread starts a run only after every live worker finished one more append
 * since the previous run started (a condition, not a timer). */
static pthread_mutex_t pace_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pace_cond = PTHREAD_COND_INITIALIZER;
static uint64_t progress[THREADS];
static bool finished[THREADS];
static int gc_runs;

static void pace_note(int idx, bool done)
{
	pthread_mutex_lock(&pace_lock);
	progress[idx]++;
	finished[idx] = finished[idx] || done;
	pthread_cond_broadcast(&pace_cond);
	pthread_mutex_unlock(&pace_lock);
}

/* Waits until every worker progressed past snap or finished; false when all finished. */
static bool pace_wait(uint64_t snap[THREADS])
{
	bool all_done;

	pthread_mutex_lock(&pace_lock);
	for (;;) {
		bool ready = true;
		all_done = true;
		for (int i = 0; i < THREADS; i++) {
			all_done = all_done && finished[i];
			if (!finished[i] && progress[i] == snap[i])
				ready = false;
		}
		if (ready || all_done)
			break;
		pthread_cond_wait(&pace_cond, &pace_lock);
	}
	memcpy(snap, progress, sizeof(progress));
	pthread_mutex_unlock(&pace_lock);
	return !all_done;
}

/* Appends APPENDS messages alternating the shared body and an own one, flags every third,
 * expunges every fifth. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	const char *err = NULL;
	char own[PB_BLOB_KEY_LEN + 1];

	if (pb_store_folders_init(w->s, w->user, 1000, &err) < 0) {
		w->failures++;
		return NULL;
	}
	for (uint32_t i = 0; i < APPENDS; i++) {
		struct pb_msg_rec r = { .size = 1024 };
		if (i % 2 == 0) {
			memcpy(r.blob_key, w->shared, sizeof(r.blob_key));
		} else {
			if (store_test_put_body(w->s, 1024, (unsigned)(w->user * 1000 + i), own) < 0)
				w->failures++;
			memcpy(r.blob_key, own, sizeof(own));
		}
		if (pb_store_msg_append(w->s, w->user, 1, &r, NULL, &err) != 0) {
			fprintf(stderr, "append: %s\n", err);
			w->failures++;
			continue;
		}
		pace_note(w->idx, false);
		if (i % 3 == 0 && pb_store_msg_set_flags(w->s, w->user, 1, &r.uid, 1, PB_FLAGS_ADD,
							 PB_MSG_SEEN, NULL, &err) < 0)
			w->failures++;
		if (i % 5 == 0 && pb_store_msg_expunge(w->s, w->user, 1, &r.uid, 1, &err) < 0)
			w->failures++;
		if (i % 5 == 0 && i % 2 == 1)
			memcpy(w->expunged_own, own, sizeof(own));
	}
	pace_note(w->idx, true);
	return NULL;
}

static void *gc_run(void *arg)
{
	struct pb_store *s = arg;
	const char *err = NULL;
	uint64_t snap[THREADS] = { 0 };

	do {
		if (pb_store_blob_gc(s, NULL, &err) < 0)
			fprintf(stderr, "gc: %s\n", err);
		gc_runs++;
	} while (pace_wait(snap));
	return NULL;
}

struct counter_ctx {
	struct pb_store *s;
	uint64_t got[COUNTER_TAKES];
	int idx;
};

static void *counter_run(void *arg)
{
	struct counter_ctx *c = arg;
	const char *err = NULL;

	for (int i = 0; i < COUNTER_TAKES; i++) {
		c->got[i] = 0;
		pb_store_counter_next(c->s, "user-id", &c->got[i], &err);
		struct pb_user_rec u = { .id = c->got[i] };
		snprintf(u.name, sizeof(u.name), "t%d-%d", c->idx, i);
		pb_store_user_put(c->s, &u, &err);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void check_user(struct pb_store *s, uint64_t user, const char *shared,
		       int64_t *shared_refs)
{
	struct pb_folder_rec f;
	struct pb_msg_rec *recs;
	const char *err = NULL;
	size_t n;
	uint64_t bytes = 0, unseen = 0;

	REQUIRE(pb_store_folder_get_by_id(s, user, 1, &f, &err) == 1);
	REQUIRE(pb_store_msg_list(s, user, 1, &recs, &n, &err) == 0);
	CHECK_INT(n, APPENDS - APPENDS / 5);
	CHECK_INT(f.messages, n);
	CHECK_INT(f.uidnext, APPENDS + 1);
	for (size_t i = 0; i < n; i++) {
		struct pb_buf out;
		bytes += recs[i].size;
		unseen += (recs[i].flags & PB_MSG_SEEN) == 0;
		if (strcmp(recs[i].blob_key, shared) == 0)
			(*shared_refs)++;
		/* Every referenced body survived the concurrent GC. */
		pb_buf_init(&out);
		CHECK_INT(pb_store_blob_get(s, recs[i].blob_key, &out, &err), 1);
		CHECK_INT(out.len, 1024);
		pb_buf_deinit(&out);
	}
	CHECK_INT(f.bytes, bytes);
	CHECK_INT(f.unseen, unseen);
	pb_msg_recs_free(recs, n);
	pb_folder_rec_free(&f);
}

static void test_concurrent_writers(void)
{
	char *dir = store_test_tmpdir("threads");
	struct pb_store *s = store_test_open(dir);
	struct worker w[THREADS];
	pthread_t th[THREADS], gc;
	char shared[PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;

	REQUIRE(store_test_put_body(s, 1024, 1, shared) == 0);
	/* The test's own reference keeps the shared body while no message holds it. */
	REQUIRE(pb_store_blob_ref(s, shared, 1, &err) == 0);
	pthread_create(&gc, NULL, gc_run, s);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .s = s, .idx = i, .user = 100 + (uint64_t)i };
		memcpy(w[i].shared, shared, sizeof(shared));
		pthread_create(&th[i], NULL, worker_run, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(w[i].failures, 0);
	}
	pthread_join(gc, NULL);
	CHECK(gc_runs > 10);

	int64_t shared_refs = 0, count = -1;
	for (int i = 0; i < THREADS; i++)
		check_user(s, 100 + (uint64_t)i, shared, &shared_refs);
	CHECK_INT(pb_store_blob_refcount(s, shared, &count, &err), 1);
	CHECK_INT(count, shared_refs + 1);
	/* Expunged own bodies are at 0 and go after two more GC runs; referenced ones stay. */
	for (int i = 0; i < 2; i++)
		CHECK_INT(pb_store_blob_gc(s, NULL, &err), 0);
	for (int i = 0; i < THREADS; i++) {
		struct pb_buf out;
		pb_buf_init(&out);
		CHECK_INT(pb_store_blob_refcount(s, w[i].expunged_own, &count, &err), 0);
		CHECK_INT(pb_store_blob_get(s, w[i].expunged_own, &out, &err), 0);
		pb_buf_deinit(&out);
	}
	for (int i = 0; i < THREADS; i++)
		check_user(s, 100 + (uint64_t)i, shared, &shared_refs);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static void test_concurrent_counters_users(void)
{
	char *dir = store_test_tmpdir("ctrs");
	struct pb_store *s = store_test_open(dir);
	struct counter_ctx *c = xcalloc(COUNTER_THREADS, sizeof(*c));
	pthread_t th[COUNTER_THREADS];
	uint64_t all[COUNTER_THREADS * COUNTER_TAKES];
	const char *err = NULL;

	for (int i = 0; i < COUNTER_THREADS; i++) {
		c[i].s = s;
		c[i].idx = i;
		pthread_create(&th[i], NULL, counter_run, &c[i]);
	}
	for (int i = 0; i < COUNTER_THREADS; i++) {
		pthread_join(th[i], NULL);
		memcpy(all + i * COUNTER_TAKES, c[i].got, sizeof(c[i].got));
	}
	qsort(all, PB_N_ELEMENTS(all), sizeof(all[0]), cmp_u64);
	for (size_t i = 0; i < PB_N_ELEMENTS(all); i++)
		CHECK_INT(all[i], i + 1); /* unique and gap-free */
	for (int i = 0; i < COUNTER_THREADS; i++)
		for (int j = 0; j < COUNTER_TAKES; j++) {
			struct pb_user_rec u;
			CHECK_INT(pb_store_user_get_by_id(s, c[i].got[j], &u, &err), 1);
			pb_user_rec_free(&u);
		}
	free(c);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

static const struct pb_test_case cases[] = {
	{ "concurrent_writers", test_concurrent_writers },
	{ "concurrent_counters_users", test_concurrent_counters_users },
};

PB_TEST_MAIN(cases)
