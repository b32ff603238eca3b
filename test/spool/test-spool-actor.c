/*
 * test-spool-actor.c: the spool shards over a real store with a fake mailbox owner: a put is
 * durable before its reply, every recipient gets an append with a stable dedupe key, a lost
 * append is resent after the resend delay (fake clock), the entry goes when all are
 * acknowledged, and a restart resumes what was left. A whole message comes in one put or in a
 * chunked upload.
 */
#include "mime-edit.h"
#include "pb-test.h"
#include "router-actor.h"
#include "spool-actor.h"
#include "spool-client.h"
#include "store-spool.h"
#include "pb-test-store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* the fake mailbox: records dedupe keys; drops requests while `drop` > 0 */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static char *seen[64], *seen_blob[64];
static int n_seen, drop;

static int fake_append(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct pb_msg rep;

	pthread_mutex_lock(&fake_lock);
	bool dropping = drop > 0;
	if (dropping)
		drop--;
	else if (n_seen < 64) {
		seen_blob[n_seen] = xstrdup(m->u.mbox_append_req.blob_key);
		seen[n_seen++] = xstrdup(m->u.mbox_append_req.dedupe_key);
	}
	pthread_mutex_unlock(&fake_lock);
	if (dropping) {
		pb_actor_defer_reply(a); /* as if the reply was lost */
		return 0;
	}
	pb_msg_init(&rep, MSG_MBOX_APPEND_REP);
	rep.u.mbox_append_rep.uid = 1;
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static const struct pb_handler fake_handlers[] = { { MSG_MBOX_APPEND_REQ, fake_append } };
static const struct pb_actor_def fake_mailbox = { .name = "mailbox", .handlers = fake_handlers,
						  .n_handlers = 1 };

static void seen_free(void)
{
	for (int i = 0; i < n_seen; i++) {
		free(seen[i]);
		free(seen_blob[i]);
	}
	n_seen = 0;
}

static atomic_uint_fast64_t fake_now = 1000;
static uint64_t fake_clock(void *ctx)
{
	return atomic_load(&fake_now);
}

static int count_cb(const struct pb_spool_rec *r, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

/* ctx: a char[32] that gets the msgid of the last entry */
static int msgid_cb(const struct pb_spool_rec *r, void *ctx)
{
	snprintf(ctx, 32, "%s", r->msgid != NULL ? r->msgid : "(null)");
	return 0;
}

/* ctx: a uint8_t that gets the origin of the last entry */
static int origin_cb(const struct pb_spool_rec *r, void *ctx)
{
	*(uint8_t *)ctx = r->origin;
	return 0;
}

/* The origin stored with the last entry (planned already: the plan keeps it). */
static int stored_origin(struct pb_store *s)
{
	uint8_t origin = 0xff;
	const char *error;
	if (pb_store_spool_iter(s, origin_cb, &origin, &error) < 0)
		return -1;
	return origin;
}

static int spooled(struct pb_store *s)
{
	int n = 0;
	const char *error;
	if (pb_store_spool_iter(s, count_cb, &n, &error) < 0)
		return -1;
	return n;
}

static int seen_count(void)
{
	pthread_mutex_lock(&fake_lock);
	int n = n_seen;
	pthread_mutex_unlock(&fake_lock);
	return n;
}

static bool wait_until(bool (*cond)(void *), void *ctx)
{
	return pb_test_wait(cond, ctx, PB_TEST_WAIT_MS);
}

static bool seen_at_least(void *ctx)
{
	return seen_count() >= *(int *)ctx;
}

static bool spool_empty(void *ctx)
{
	return spooled(ctx) == 0;
}

/* The fake directory: the routing snapshot of the accounts u0..u7 (ids 1..8) at "local", so
 * the real router (router-actor.h) gives every entry the plan of its accepted recipients. */
static int fake_routes(struct pb_actor *a, void *state, struct pb_msg *m)
{
	struct pb_msg rep;
	char name[8];

	pb_msg_init(&rep, MSG_DIR_ROUTES_REP);
	struct msg_dir_routes_rep *r = &rep.u.dir_routes_rep;
	r->error = xstrdup("");
	r->gen = 7;
	r->unchanged = m->u.dir_routes_req.have_gen == 7;
	pb_strv_push(&r->domains, "local");
	for (int i = 0; i < 8 && !r->unchanged; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		*pb_rec_route_user_push(&r->users) = (struct pb_rec_route_user){
			.id = (uint64_t)i + 1, .name = xstrdup(name), .forward_to = xstrdup(""),
			.assistants = xstrdup("")
		};
	}
	pb_reply(a, m, &rep);
	pb_msg_free(&rep);
	return 0;
}

static const struct pb_handler fake_dir_handlers[] = { { MSG_DIR_ROUTES_REQ, fake_routes } };
static const struct pb_actor_def fake_directory = { .name = "directory",
						    .handlers = fake_dir_handlers,
						    .n_handlers = 1 };

static struct pb_runtime *start(struct pb_store *store)
{
	struct pb_clock clock = { fake_clock, NULL };
	const char *error;
	struct pb_runtime *rt = pb_runtime_create("t", &clock);
	if (pb_runtime_start(rt, &fake_mailbox, NULL, &error) < 0 ||
	    pb_runtime_start(rt, &fake_directory, NULL, &error) < 0 ||
	    pb_runtime_start_shards(rt, &router_actor_def, ROUTER_SHARDS, NULL, &error) < 0 ||
	    spool_actors_start(rt, store, 2, &error) < 0)
		PANIC("start: %s", error);
	return rt;
}

/* One message of n_rcpts recipients through the shard of key. */
static uint64_t put_key(struct pb_runtime *rt, uint64_t key, int n_rcpts)
{
	struct pb_caller *c = pb_caller_create(rt);
	const char *rcpts[8], *error;
	uint64_t ids[8], id = 0, upload = 0, received = 0;
	char names[8][32];
	static const char body[] = "Subject: x\r\n\r\nbody\r\n";

	for (int i = 0; i < n_rcpts; i++) {
		snprintf(names[i], sizeof(names[i]), "u%d@local", i);
		rcpts[i] = names[i];
		ids[i] = (uint64_t)i + 1;
	}
	CHECK_INT(spool_client_begin(c, key, "a@b.c", "5F3A2B1", rcpts, ids, (size_t)n_rcpts, 1000,
				     &upload, &error),
		  PB_OK);
	CHECK_INT(spool_client_chunk(c, key, upload, 0, body, sizeof(body) - 1, &received, &error),
		  PB_OK);
	CHECK_INT(spool_client_commit(c, key, upload, sizeof(body) - 1, &id, &error), PB_OK);
	pb_caller_destroy(&c);
	return id;
}

static uint64_t put(struct pb_runtime *rt, int n_rcpts)
{
	return put_key(rt, 1, n_rcpts);
}

static void test_lost_append_is_resent_then_entry_removed(void)
{
	char *dir = store_test_tmpdir("actor");
	struct pb_store_options opts = { .create_if_missing = true };
	struct pb_store *store;
	const char *error;

	REQUIRE(pb_store_open(dir, &opts, &store, &error) == 0);
	n_seen = 0;
	drop = 1; /* the first append's reply never comes */
	struct pb_runtime *rt = start(store);
	uint64_t id = put(rt, 2);
	REQUIRE(id != 0);
	int one = 1, two = 2;
	REQUIRE(wait_until(seen_at_least, &one));
	CHECK_INT(spooled(store), 1); /* one recipient still pending */
	atomic_fetch_add(&fake_now, 31000);
	pb_runtime_wake_all(rt);
	CHECK(wait_until(seen_at_least, &two));
	CHECK(wait_until(spool_empty, store));
	/* both recipients got exactly one acknowledged append, with their own keys */
	char k0[64], k1[64];
	snprintf(k0, sizeof(k0), "spool:%llu:0", (unsigned long long)id);
	snprintf(k1, sizeof(k1), "spool:%llu:1", (unsigned long long)id);
	CHECK_INT(seen_count(), 2);
	CHECK((strcmp(seen[0], k0) == 0 && strcmp(seen[1], k1) == 0) ||
	      (strcmp(seen[0], k1) == 0 && strcmp(seen[1], k0) == 0));
	pb_runtime_destroy(&rt);
	pb_store_close(&store);
	seen_free();
	store_test_rmrf(dir);
	free(dir);
}

static bool drops_done(void *ctx)
{
	pthread_mutex_lock(&fake_lock);
	bool done = drop == 0;
	pthread_mutex_unlock(&fake_lock);
	return done;
}

static void test_restart_resumes(void)
{
	char *dir = store_test_tmpdir("actor");
	struct pb_store_options opts = { .create_if_missing = true };
	struct pb_store *store;
	const char *error;

	REQUIRE(pb_store_open(dir, &opts, &store, &error) == 0);
	n_seen = 0;
	drop = 3; /* nothing gets through before the "crash" */
	struct pb_runtime *rt = start(store);
	uint64_t id = put(rt, 3);
	REQUIRE(id != 0);
	CHECK(wait_until(drops_done, NULL)); /* routed, planned, its appends lost */
	pb_runtime_destroy(&rt);
	pb_store_close(&store);
	CHECK_INT(n_seen, 0);
	REQUIRE(pb_store_open(dir, &opts, &store, &error) == 0);
	CHECK_INT(spooled(store), 1);
	char msgid[32] = "";
	CHECK(pb_store_spool_iter(store, msgid_cb, msgid, &error) == 0);
	CHECK_STR(msgid, "5F3A2B1"); /* the id the client was told survives the restart */
	rt = start(store); /* resumes on init */
	int three = 3;
	CHECK(wait_until(seen_at_least, &three));
	CHECK(wait_until(spool_empty, store));
	char want[64];
	snprintf(want, sizeof(want), "spool:%llu:2", (unsigned long long)id);
	bool found = false;
	for (int i = 0; i < n_seen; i++)
		found |= strcmp(seen[i], want) == 0;
	CHECK(found);
	pb_runtime_destroy(&rt);
	pb_store_close(&store);
	seen_free();
	store_test_rmrf(dir);
	free(dir);
}

/* ---- chunked uploads ---- */

#define CHUNK (256u * 1024)
#define KEY 42 /* one session: every request reaches the same shard */

/* An asynchronous sender whose replies come to the inbox "test.replies". */
struct test_tx {
	struct pb_runtime *rt;
	struct pb_inbox *in;
	uint64_t corr;
	struct pb_sender tx;
};

static int tx_send(void *ctx, const char *to, struct pb_msg *req, const char **error_r)
{
	struct test_tx *t = ctx;

	req->corr = ++t->corr;
	pb_str_set(&req->reply_to, "test.replies");
	return pb_send(t->rt, to, req, error_r);
}

static void tx_open(struct test_tx *t, struct pb_runtime *rt)
{
	const char *error;

	memset(t, 0, sizeof(*t));
	t->rt = rt;
	t->tx.send = tx_send;
	t->tx.ctx = t;
	if (pb_inbox_open(rt, "test.replies", 64, &t->in, &error) < 0)
		PANIC("inbox: %s", error);
}

/* Waits for the next reply; it must answer the last request sent. */
static bool tx_reply(struct test_tx *t, struct pb_msg *rep_r)
{
	if (pb_inbox_recv(t->in, rep_r, 10000) != 1)
		return false;
	CHECK_INT(rep_r->corr, t->corr);
	return true;
}

struct env {
	char *dir;
	struct pb_store *store;
	struct pb_runtime *rt;
	struct pb_caller *c;
	char *body;
	size_t len;
};

static void env_open(struct env *e, size_t len)
{
	e->dir = store_test_tmpdir("spool-up");
	e->store = store_test_open(e->dir);
	e->rt = start(e->store);
	e->c = pb_caller_create(e->rt);
	e->len = len;
	e->body = xmalloc(len);
	store_test_body(e->body, len, 3);
	seen_free();
	drop = 0;
}

static void env_close(struct env *e)
{
	pb_caller_destroy(&e->c);
	pb_runtime_destroy(&e->rt);
	pb_store_close(&e->store);
	store_test_rmrf(e->dir);
	free(e->dir);
	free(e->body);
	seen_free();
}

static const char *const rcpts2[] = { "u0@local", "u1@local" };
static const uint64_t ids2[] = { 1, 2 };

static uint32_t begin(struct env *e, uint64_t key, uint64_t *id_r)
{
	const char *error;

	return spool_client_begin(e->c, key, "a@b.c", NULL, rcpts2, ids2, 2, 1000, id_r, &error);
}

struct store_counts {
	struct pb_store *s;
	uint64_t chunks, uploads;
};

static bool store_clean(void *ctx)
{
	struct store_counts *c = ctx;
	const char *error;

	return pb_store_chunks_count(c->s, &c->chunks, &c->uploads, &error) == 0 &&
	       c->chunks == 0 && c->uploads == 0;
}

/* Both recipients of e's message got their append, the entry went, and the body stored is
 * e's body, with the header edits `edits` (NULL none: a message the server generated gets its
 * Return-Path at delivery, router-headers.h). */
static void check_delivered_body(struct env *e, const char *edits)
{
	struct pb_buf out, want;
	const char *error;
	int two = 2;

	CHECK(wait_until(seen_at_least, &two));
	CHECK(wait_until(spool_empty, e->store));
	pb_buf_init(&out);
	pb_buf_init(&want);
	if (edits != NULL)
		CHECK(mime_header_edit(e->body, e->len, edits, &want) > 0);
	else
		pb_buf_append(&want, e->body, e->len);
	CHECK_INT(pb_store_blob_get(e->store, seen_blob[0], &out, &error), 1);
	CHECK(out.len == want.len && memcmp(out.data, want.data, want.len) == 0);
	pb_buf_deinit(&out);
	pb_buf_deinit(&want);
}

static void test_upload_commit_delivers(void)
{
	struct env e;
	struct test_tx t;
	struct pb_msg rep;
	const char *error;
	uint64_t id = 0, received = 0, spool_id = 0;

	env_open(&e, 3 * CHUNK + 1000);
	tx_open(&t, e.rt);
	struct spool_client_envelope env = { "a@b.c", "", rcpts2, ids2, 2, 1000,
					     PB_ORIGIN_SYSTEM };
	REQUIRE(spool_client_begin_env_send(&t.tx, KEY, &env, &error) == 0);
	REQUIRE(tx_reply(&t, &rep));
	CHECK_INT(spool_client_begin_reply(&rep, &id), PB_OK);
	pb_msg_free(&rep);
	size_t last = e.len - 1000; /* the last 1000 bytes come with the commit */
	for (size_t off = 0; off < last; off += CHUNK) {
		size_t n = last - off < CHUNK ? last - off : CHUNK;
		REQUIRE(spool_client_chunk_send(&t.tx, KEY, id, off, e.body + off, n, &error) == 0);
		REQUIRE(tx_reply(&t, &rep));
		CHECK_INT(spool_client_chunk_reply(&rep, &received), PB_OK);
		CHECK_INT(received, off + n);
		pb_msg_free(&rep);
	}
	CHECK_INT(spooled(e.store), 0); /* nothing is visible before the commit */
	/* a piece longer than the size is refused, and the upload stays */
	REQUIRE(spool_client_commit_data_send(&t.tx, KEY, id, 10, e.body, 1000, &error) == 0);
	REQUIRE(tx_reply(&t, &rep));
	CHECK_INT(spool_client_commit_reply(&rep, &spool_id), PB_ERR_REFUSED);
	pb_msg_free(&rep);
	drop = 2; /* both appends are lost: the entry stays until the resend */
	REQUIRE(spool_client_commit_data_send(&t.tx, KEY, id, e.len, e.body + last, 1000,
					      &error) == 0);
	REQUIRE(tx_reply(&t, &rep));
	CHECK_INT(spool_client_commit_reply(&rep, &spool_id), PB_OK);
	CHECK(spool_id != 0);
	pb_msg_free(&rep);
	CHECK(wait_until(drops_done, NULL));
	CHECK_INT(stored_origin(e.store), PB_ORIGIN_SYSTEM); /* kept by the plan's rewrite */
	atomic_fetch_add(&fake_now, 31000);
	pb_runtime_wake_all(e.rt);
	check_delivered_body(&e, "Return-Path: <a@b.c>");
	pb_inbox_close(&t.in);
	env_close(&e);
}

static void test_upload_abort_leaves_nothing(void)
{
	struct env e;
	const char *error;
	uint64_t id = 0, received;
	struct store_counts sc;

	env_open(&e, 2 * CHUNK);
	REQUIRE(begin(&e, KEY, &id) == PB_OK);
	CHECK_INT(spool_client_chunk(e.c, KEY, id, 0, e.body, CHUNK, &received, &error), PB_OK);
	CHECK_INT(spool_client_abort(e.c, KEY, id, &error), PB_OK);
	CHECK_INT(spool_client_chunk(e.c, KEY, id, CHUNK, e.body, CHUNK, &received, &error),
		  PB_ERR_NOTFOUND);
	CHECK_INT(spool_client_abort(e.c, KEY, id, &error), PB_ERR_NOTFOUND);
	sc.s = e.store;
	CHECK(store_clean(&sc));
	CHECK_INT(spooled(e.store), 0);
	env_close(&e);
}

/* Upload id 0: every upload the key began goes (a session closed before its begin was
 * answered); another key's stays. */
static void test_abort_by_key(void)
{
	struct env e;
	const char *error;
	uint64_t a = 0, b = 0, other = 0, received;

	env_open(&e, CHUNK);
	REQUIRE(begin(&e, KEY, &a) == PB_OK);
	REQUIRE(begin(&e, KEY, &b) == PB_OK);
	REQUIRE(begin(&e, KEY + 8, &other) == PB_OK);
	CHECK_INT(spool_client_abort(e.c, KEY, 0, &error), PB_OK);
	CHECK_INT(spool_client_chunk(e.c, KEY, a, 0, e.body, 10, &received, &error), PB_ERR_NOTFOUND);
	CHECK_INT(spool_client_chunk(e.c, KEY, b, 0, e.body, 10, &received, &error), PB_ERR_NOTFOUND);
	CHECK_INT(spool_client_chunk(e.c, KEY + 8, other, 0, e.body, 10, &received, &error), PB_OK);
	CHECK_INT(spool_client_abort(e.c, KEY + 8, other, &error), PB_OK);
	env_close(&e);
}

static void test_restart_removes_half_upload(void)
{
	struct env e;
	const char *error;
	uint64_t id = 0, received;
	struct store_counts sc;

	env_open(&e, CHUNK);
	REQUIRE(begin(&e, KEY, &id) == PB_OK);
	CHECK_INT(spool_client_chunk(e.c, KEY, id, 0, e.body, CHUNK, &received, &error), PB_OK);
	pb_caller_destroy(&e.c);
	pb_runtime_destroy(&e.rt); /* the session and the shard go away mid-upload */
	sc.s = e.store;
	CHECK(!store_clean(&sc));
	CHECK_INT(sc.uploads, 1);
	e.rt = start(e.store);
	e.c = pb_caller_create(e.rt);
	CHECK(wait_until(store_clean, &sc));
	CHECK_INT(spool_client_commit(e.c, KEY, id, CHUNK, &received, &error), PB_ERR_NOTFOUND);
	env_close(&e);
}

static void test_too_many_uploads_refused(void)
{
	struct env e;
	const char *error;
	uint64_t ids[65], id;

	env_open(&e, 16);
	for (int i = 0; i < 64; i++)
		REQUIRE(begin(&e, KEY, &ids[i]) == PB_OK);
	CHECK_INT(begin(&e, KEY, &id), PB_ERR_TEMP);
	CHECK_INT(spool_client_abort(e.c, KEY, ids[0], &error), PB_OK);
	CHECK_INT(begin(&e, KEY, &id), PB_OK);
	env_close(&e);
}

/* No actor of rt was restarted (a bad request is refused, never fatal). */
static void check_no_restarts(struct pb_runtime *rt)
{
	struct pb_actor_stats st[8];
	size_t n = pb_runtime_stats(rt, st, 8);

	for (size_t i = 0; i < n && i < 8; i++)
		CHECK_INT(st[i].restarts, 0);
}

static void test_bad_chunks_refused_not_fatal(void)
{
	struct env e;
	const char *error;
	uint64_t id = 0, received = 0, spool_id = 0;
	char *big = xcalloc(1, PB_CHUNK_MAX + 1);

	env_open(&e, 1000);
	REQUIRE(begin(&e, KEY, &id) == PB_OK);
	CHECK_INT(spool_client_chunk(e.c, KEY, id, 5, e.body, 10, &received, &error),
		  PB_ERR_REFUSED);
	CHECK(strstr(error, "expected offset 0") != NULL);
	CHECK_INT(spool_client_chunk(e.c, KEY, id, 0, big, PB_CHUNK_MAX + 1, &received, &error),
		  PB_ERR_REFUSED);
	CHECK_INT(spool_client_chunk(e.c, KEY, id, 0, e.body, 0, &received, &error),
		  PB_ERR_REFUSED);
	CHECK_INT(spool_client_chunk(e.c, KEY + 2, id, 0, e.body, 10, &received, &error),
		  PB_ERR_NOTFOUND); /* another session's key (same shard of 2) */
	CHECK_INT(spool_client_chunk(e.c, KEY, id, 0, e.body, 1000, &received, &error), PB_OK);
	CHECK_INT(spool_client_commit(e.c, KEY, id, 999, &spool_id, &error), PB_ERR_REFUSED);
	CHECK_INT(spool_client_commit(e.c, KEY, id, 1000, &spool_id, &error), PB_OK);
	check_no_restarts(e.rt);
	free(big);
	env_close(&e);
}

static void test_idle_upload_dropped(void)
{
	struct env e;
	const char *error;
	uint64_t id = 0, received;
	struct store_counts sc;

	env_open(&e, 100);
	REQUIRE(begin(&e, KEY, &id) == PB_OK);
	CHECK_INT(spool_client_chunk(e.c, KEY, id, 0, e.body, 100, &received, &error), PB_OK);
	atomic_fetch_add(&fake_now, 5 * 60 * 1000); /* half the idle time: kept */
	pb_runtime_wake_all(e.rt);
	CHECK_INT(spool_client_chunk(e.c, KEY, id, 100, e.body, 10, &received, &error), PB_OK);
	atomic_fetch_add(&fake_now, 10 * 60 * 1000 + 10000);
	pb_runtime_wake_all(e.rt);
	sc.s = e.store;
	CHECK(wait_until(store_clean, &sc));
	CHECK_INT(spool_client_commit(e.c, KEY, id, 110, &received, &error), PB_ERR_NOTFOUND);
	env_close(&e);
}

/* An entry committed on a shard is in that shard's class (id % shards == index), the class a
 * restarted shard resumes: no shard ever resumes an entry another is still delivering.
 * (Before: ids from the shared sequence, so a restart of shard 0 took over shard 1's
 * deliveries and both delivered them.) Checked with deliveries held (no reply comes). */
static void test_entries_stay_with_their_shard(void)
{
	char *dir = store_test_tmpdir("actor");
	struct pb_store_options opts = { .create_if_missing = true };
	struct pb_store *store;
	const char *error;

	REQUIRE(pb_store_open(dir, &opts, &store, &error) == 0);
	n_seen = 0;
	drop = 1000;
	struct pb_runtime *rt = start(store);
	for (int round = 0; round < 3; round++) {
		for (uint64_t key = 0; key < 2; key++) {
			uint64_t id = put_key(rt, key, 1);
			CHECK_INT(id % 2, key);
		}
	}
	pb_runtime_destroy(&rt);
	pb_store_close(&store);
	drop = 0;
	seen_free();
	store_test_rmrf(dir);
	free(dir);
}

/* ---- a whole message in one request ---- */

/* The fake mailbox has dropped every append it was told to. */
/* SPOOL_PUT_REQ: one request, one synced write, answered with the entry's id (in the shard's
 * class), no upload left open; the entry keeps its msgid and is delivered like a commit. */
static void test_put_stores_and_delivers(void)
{
	struct env e;
	struct store_counts sc = { 0 };
	const char *error;
	uint64_t id = 0;
	char msgid[32] = "";
	struct spool_client_envelope env = { "a@b.c", "5F3A2B9", rcpts2, ids2, 2, 1000,
					     PB_ORIGIN_LOCAL };

	env_open(&e, 5000);
	drop = 2; /* both appends are lost: the entry stays until the resend */
	CHECK_INT(spool_client_put(e.c, KEY, &env, e.body, e.len, &id, &error), PB_OK);
	CHECK(id != 0 && id % 2 == KEY % 2);
	CHECK_INT(spooled(e.store), 1); /* durable when answered */
	CHECK(pb_store_spool_iter(e.store, msgid_cb, msgid, &error) == 0);
	CHECK_STR(msgid, "5F3A2B9");
	sc.s = e.store;
	CHECK(pb_store_chunks_count(e.store, &sc.chunks, &sc.uploads, &error) == 0);
	CHECK_INT(sc.uploads, 0);
	CHECK(wait_until(drops_done, NULL));
	CHECK_INT(stored_origin(e.store), PB_ORIGIN_LOCAL); /* kept by the plan's rewrite */
	atomic_fetch_add(&fake_now, 31000);
	pb_runtime_wake_all(e.rt);
	check_delivered_body(&e, NULL);
	env_close(&e);
}

/* A bad put is refused, never fatal: no recipients, ids that do not match, content over
 * PB_CHUNK_MAX; nothing is stored. */
static void test_put_refusals(void)
{
	struct env e;
	const char *error;
	uint64_t id = 0;
	char *big = xcalloc(1, PB_CHUNK_MAX + 1);
	struct spool_client_envelope env = { "a@b.c", "X", rcpts2, ids2, 0, 1000, PB_ORIGIN_SMTP };

	env_open(&e, 100);
	CHECK_INT(spool_client_put(e.c, KEY, &env, e.body, e.len, &id, &error), PB_ERR_REFUSED);
	env.n_rcpts = 2;
	CHECK_INT(spool_client_put(e.c, KEY, &env, big, PB_CHUNK_MAX + 1, &id, &error),
		  PB_ERR_REFUSED);
	CHECK_INT(spooled(e.store), 0);
	CHECK_INT(spool_client_put(e.c, KEY, &env, big, PB_CHUNK_MAX, &id, &error), PB_OK);
	check_no_restarts(e.rt);
	free(big);
	env_close(&e);
}

/* The disk budget stays honest: a put takes the room its session claimed at MAIL (SIZE=) and
 * gives it back once written, so the same room can be claimed again; while held, the claim
 * keeps another session's claim of that size out. */
static void test_put_takes_the_claim(void)
{
	struct env e;
	const char *error;
	uint64_t id = 0;
	struct spool_client_envelope env = { "a@b.c", "X", rcpts2, ids2, 2, 1000, PB_ORIGIN_SMTP };

	env_open(&e, 1000);
	uint64_t room = pb_store_room(e.store);
	REQUIRE(room > 64u * 1024 * 1024 && room < UINT64_MAX / 8);
	uint64_t big = room / 10 * 3; /* a claim costs twice: 60 % of the room */
	CHECK_INT(spool_client_room(e.c, KEY, big, &error), PB_OK);
	CHECK_INT(spool_client_room(e.c, KEY + 2, big, &error), PB_ERR_NOSPACE);
	CHECK_INT(spool_client_put(e.c, KEY, &env, e.body, e.len, &id, &error), PB_OK);
	CHECK_INT(spool_client_room(e.c, KEY + 2, big, &error), PB_OK); /* KEY's is released */
	CHECK_INT(spool_client_room(e.c, KEY + 2, 0, &error), PB_OK); /* drops it */
	CHECK(pb_store_room(e.store) > room / 10 * 8);
	env_close(&e);
}

static const struct pb_test_case cases[] = {
	{ "entries_stay_with_their_shard", test_entries_stay_with_their_shard },
	{ "put_stores_and_delivers", test_put_stores_and_delivers },
	{ "put_refusals", test_put_refusals },
	{ "put_takes_the_claim", test_put_takes_the_claim },
	{ "upload_commit_delivers", test_upload_commit_delivers },
	{ "upload_abort_leaves_nothing", test_upload_abort_leaves_nothing },
	{ "abort_by_key", test_abort_by_key },
	{ "restart_removes_half_upload", test_restart_removes_half_upload },
	{ "too_many_uploads_refused", test_too_many_uploads_refused },
	{ "bad_chunks_refused_not_fatal", test_bad_chunks_refused_not_fatal },
	{ "idle_upload_dropped", test_idle_upload_dropped },
	{ "lost_append_is_resent_then_entry_removed", test_lost_append_is_resent_then_entry_removed },
	{ "restart_resumes", test_restart_resumes },
};

PB_TEST_MAIN(cases)
