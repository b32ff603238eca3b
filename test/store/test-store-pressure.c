/*
 * test-store-pressure.c: the store under pressure on its disk and its locks.
 *  - the admission budget: concurrent uploads on a small filesystem (a 64 MiB tmpfs: root)
 *    cannot together cross the reserve, even once every memtable is flushed to blob files;
 *    below the reserve deletions still write; space freed by deleting mail (spool removal,
 *    GC, compaction) is room again without a reopen;
 *  - the cached room figures (read again only every hour here): a claim counts at once, the
 *    bytes of released claims count as written, so the cache alone still refuses before the
 *    reserve; only a "no" reads the disk again;
 *  - the WAL bounded: write/delete cycles keep the WAL under wal_max_bytes plus one file;
 *  - spool_done by two threads at once drops the body reference once;
 *  - a blob GC never waits for a put, so a put never waits behind a GC.
 * Uses store-internal.h (the GC lock stripes) to hold a put "in flight" deterministically.
 */
#include "store-internal.h"

#include "pb-test-store.h"

#include <errno.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#define MIB (1024u * 1024u)

static uint64_t free_bytes(const char *dir)
{
	struct statvfs st;

	if (statvfs(dir, &st) < 0)
		PANIC("statvfs %s", dir);
	return (uint64_t)st.f_bavail * st.f_frsize;
}

/* A body of len bytes, distinct per seed (content-addressed bodies must not coincide). */
static char *body_make(size_t len, unsigned seed)
{
	char *b = xmalloc(len);

	for (size_t i = 0; i < len; i++)
		b[i] = (char)('a' + (i * 7 + seed * 13 + i / 4096) % 26);
	snprintf(b, len, "Subject: %u\r\n\r\n", seed);
	b[strlen(b)] = 'x';
	return b;
}

/* Spools one message of len bytes (one recipient). 0 / -1. */
static int spool_one(struct pb_store *s, size_t len, unsigned seed, uint64_t *id_r)
{
	char *rcpts[] = { "a@localhost" };
	uint64_t ids[] = { 1 };
	struct pb_spool_rec r = { .sender = "", .rcpts = rcpts, .rcpt_ids = ids, .n_rcpts = 1 };
	const char *error;
	char *body = body_make(len, seed);

	int ret = pb_store_spool_put(s, body, len, &r, &error);
	free(body);
	*id_r = r.id;
	return ret;
}

/* ---- a small filesystem of its own (tmpfs; needs root) ---- */

struct small_fs {
	char *mnt, *dir;
};

static bool small_fs_mount(struct small_fs *fs, unsigned mib)
{
	char opt[32];

	fs->mnt = store_test_tmpdir("fs");
	snprintf(opt, sizeof(opt), "size=%um", mib);
	if (mount("tmpfs", fs->mnt, "tmpfs", 0, opt) < 0) {
		printf("skip: cannot mount a tmpfs (%s): the budget tests need root\n",
		       strerror(errno));
		rmdir(fs->mnt);
		free(fs->mnt);
		return false;
	}
	fs->dir = xasprintf("%s/store", fs->mnt);
	return true;
}

static void small_fs_unmount(struct small_fs *fs)
{
	umount2(fs->mnt, MNT_DETACH);
	rmdir(fs->mnt);
	free(fs->mnt);
	free(fs->dir);
}

/* ---- concurrent uploads against the budget ---- */

struct uploader {
	struct pb_store *s;
	unsigned seed;
	uint64_t written;
	bool refused;
	int errors;
};

/* Writes 1 MiB chunks as the spool does (claim, write, release) until the budget says no,
 * then aborts the upload: the bytes it wrote are what the budget let through. */
static void *uploader_run(void *arg)
{
	struct uploader *u = arg;
	struct pb_store_upload *up;
	const char *error;
	char *chunk = body_make(MIB, u->seed);

	if (pb_store_upload_begin(u->s, u->seed, 0, &up, &error) < 0)
		PANIC("upload begin: %s", error);
	for (;;) {
		if (pb_store_reserve(u->s, MIB, &error) < 0) {
			u->refused = true;
			break;
		}
		chunk[0] = (char)u->written; /* distinct chunks, as real mail */
		int ret = pb_store_upload_write(u->s, up, chunk, MIB, &error);
		pb_store_unreserve(u->s, MIB);
		if (ret < 0) {
			printf("upload %u: %s\n", u->seed, error);
			u->errors++;
			break;
		}
		u->written += MIB;
	}
	pb_store_upload_free(&up); /* left for the clean: the test counts them on disk */
	free(chunk);
	return NULL;
}

static void test_budget_concurrent_uploads(void)
{
	struct small_fs fs;
	struct pb_store_options opts = { .create_if_missing = true, .wal_max_bytes = 16 * MIB };
	struct pb_store *s;
	const char *error;
	struct uploader u[8];
	pthread_t th[8];

	if (!small_fs_mount(&fs, 64))
		return;
	REQUIRE(pb_store_open(fs.dir, &opts, &s, &error) == 0);
	pb_store_set_min_free_mb(s, 8);
	for (unsigned i = 0; i < 8; i++) {
		u[i] = (struct uploader){ .s = s, .seed = i + 1 };
		REQUIRE(pthread_create(&th[i], NULL, uploader_run, &u[i]) == 0);
	}
	uint64_t total = 0;
	for (unsigned i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		CHECK(u[i].refused);
		CHECK_INT(u[i].errors, 0); /* no write met ENOSPC: refusals came first */
		total += u[i].written;
	}
	CHECK(total >= 8 * MIB); /* something got through */
	CHECK(!pb_store_failed(s, NULL));
	/* every chunk written is also flushed to a blob file now: still above the reserve */
	CHECK_INT(pb_store_flush(s, &error), 0);
	CHECK(free_bytes(fs.dir) >= 8 * MIB);

	/* at the limit, deletions write: the abandoned uploads are cleaned */
	uint64_t removed = 0;
	for (uint32_t owner = 1; owner <= 8; owner++)
		CHECK_INT(pb_store_uploads_clean(s, owner, 9, &removed, &error), 0);
	CHECK(!pb_store_failed(s, NULL));
	pb_store_close(&s);
	small_fs_unmount(&fs);
}

/* The room check from cached figures (never older than an hour here, a 4 MiB margin): a
 * claim is subtracted at once, and claims released (their chunks written) count as written
 * until the figures are read again, so writing until refused still stops above the reserve
 * with no write meeting a full disk. */
static void test_budget_cached_room(void)
{
	struct small_fs fs;
	struct pb_store_options opts = { .create_if_missing = true, .wal_max_bytes = 16 * MIB,
					  .room_refresh_ms = 3600 * 1000, .room_margin = 4 * MIB };
	struct pb_store *s;
	const char *error;

	if (!small_fs_mount(&fs, 64))
		return;
	REQUIRE(pb_store_open(fs.dir, &opts, &s, &error) == 0);
	pb_store_set_min_free_mb(s, 8);
	uint64_t room = pb_store_room(s);
	REQUIRE(room > 16 * MIB);
	uint64_t big = room / 2 - 6 * MIB;
	CHECK_INT(pb_store_reserve(s, big, &error), 0);
	/* the claim counts at once: what is left is 12 MiB of budget, 6 MiB of body */
	CHECK(pb_store_room(s) <= 12 * MIB);
	CHECK_INT(pb_store_reserve(s, 6 * MIB, &error), -1);
	CHECK(!pb_store_has_room(s, 6 * MIB));
	CHECK_INT(pb_store_reserve(s, MIB, &error), 0);
	pb_store_unreserve(s, MIB);
	pb_store_unreserve(s, big);

	struct uploader u = { .s = s, .seed = 1 };
	uploader_run(&u);
	CHECK(u.refused);
	CHECK_INT(u.errors, 0);
	CHECK(u.written >= 8 * MIB);
	CHECK(!pb_store_failed(s, NULL));
	CHECK_INT(pb_store_flush(s, &error), 0);
	CHECK(free_bytes(fs.dir) >= 8 * MIB);
	pb_store_close(&s);
	small_fs_unmount(&fs);
}

/* Below the reserve: no new mail, other writes down to a quarter of it, deletions to the end. Then
 * deleting the mail brings the room back with no reopen (GC, compaction). */
static void test_budget_deletions_and_space_back(void)
{
	struct small_fs fs;
	struct pb_store_options opts = { .create_if_missing = true, .wal_max_bytes = 8 * MIB };
	struct pb_store *s;
	const char *error;
	uint64_t ids[64], id, deleted = 0;
	size_t n = 0;

	if (!small_fs_mount(&fs, 64))
		return;
	REQUIRE(pb_store_open(fs.dir, &opts, &s, &error) == 0);
	pb_store_set_min_free_mb(s, 8);
	/* as the spool admits: a claim for each message, until the budget says no */
	while (n < 64 && pb_store_reserve(s, 2 * MIB, &error) == 0) {
		int ret = spool_one(s, 2 * MIB, (unsigned)n, &ids[n]);
		pb_store_unreserve(s, 2 * MIB);
		REQUIRE(ret == 0);
		n++;
	}
	CHECK(n >= 4 && n < 64); /* the budget said no before the disk was full */

	/* a filler takes the disk below a quarter of the reserve (after a flush: nothing in memtables
	 * waits for space): a new message is refused by the store itself, a removal is not */
	CHECK_INT(pb_store_flush(s, &error), 0);
	char *filler = xasprintf("%s/filler", fs.mnt);
	FILE *f = fopen(filler, "w");
	REQUIRE(f != NULL);
	char *zeros = xcalloc(1, 64 * 1024);
	/* to the last 256 KiB, looking again as RocksDB's background work frees its files */
	while (free_bytes(fs.dir) > MIB / 4)
		REQUIRE(fwrite(zeros, 1, 64 * 1024, f) == 64 * 1024 && fflush(f) == 0);
	fclose(f);
	free(zeros);
	CHECK_INT(spool_one(s, 1000, 999, &id), -1);
	for (size_t i = 0; i < n; i++)
		CHECK_INT(pb_store_spool_done(s, ids[i], &error), 1);
	unlink(filler);
	free(filler);
	CHECK(!pb_store_failed(s, NULL));

	/* the bodies go (two GC runs: the epoch), then their blob files (compaction) */
	if (pb_store_blob_gc(s, NULL, &error) < 0 || pb_store_blob_gc(s, &deleted, &error) < 0)
		CHECK_STR(error, "");
	CHECK_INT(deleted, n);
	CHECK_INT(pb_store_compact_bodies(s, &error), 0);
	uint64_t size = 0;
	CHECK_INT(pb_store_size(s, &size, &error), 0);
	printf("store after deleting %zu x 2 MiB: %llu bytes\n", n, (unsigned long long)size);
	CHECK(size < 4 * MIB);
	CHECK(pb_store_has_room(s, 2 * MIB));
	CHECK_INT(spool_one(s, 2 * MIB, 1000, &id), 0);
	pb_store_close(&s);
	small_fs_unmount(&fs);
}

/* ---- the WAL bound ---- */

static void test_wal_bounded(void)
{
	char *dir = store_test_tmpdir("wal");
	struct pb_store_options opts = { .create_if_missing = true, .wal_max_bytes = 8 * MIB };
	struct pb_store *s;
	const char *error;
	uint64_t max_wal = 0, id;

	REQUIRE(pb_store_open(dir, &opts, &s, &error) == 0);
	for (unsigned i = 0; i < 48; i++) {
		REQUIRE(spool_one(s, MIB, i, &id) == 0);
		CHECK_INT(pb_store_spool_done(s, id, &error), 1);
		uint64_t w = pb_store_wal_bytes(s);
		if (w > max_wal)
			max_wal = w;
	}
	printf("48 MiB through the spool: the WAL peaked at %llu bytes\n",
	       (unsigned long long)max_wal);
	/* the bound, plus the file being written (a 4 MiB memtable's worth) */
	CHECK(max_wal <= 8 * MIB + 6 * MIB);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

/* ---- spool_done twice at once ---- */

struct done_arg {
	struct pb_store *s;
	uint64_t id;
	pthread_barrier_t *go;
	int ret;
};

static void *done_run(void *arg)
{
	struct done_arg *d = arg;
	const char *error;

	pthread_barrier_wait(d->go);
	d->ret = pb_store_spool_done(d->s, d->id, &error);
	return NULL;
}

static void test_spool_done_once(void)
{
	char *dir = store_test_tmpdir("done");
	struct pb_store_options opts = { .create_if_missing = true };
	struct pb_store *s;
	const char *error;
	char *rcpts[] = { "a@localhost" };
	uint64_t rids[] = { 1 };
	int twice = 0;

	REQUIRE(pb_store_open(dir, &opts, &s, &error) == 0);
	for (int round = 0; round < 200; round++) {
		struct pb_spool_rec r = { .sender = "", .rcpts = rcpts, .rcpt_ids = rids,
					  .n_rcpts = 1 };
		char body[64];
		int len = snprintf(body, sizeof(body), "Subject: %d\r\n\r\nx\r\n", round);
		REQUIRE(pb_store_spool_put(s, body, (size_t)len, &r, &error) == 0);
		/* a message holds the body too: its count must end at exactly 1 */
		REQUIRE(pb_store_blob_ref(s, r.blob_key, 1, &error) == 0);
		pthread_barrier_t go;
		pthread_barrier_init(&go, NULL, 4);
		struct done_arg d[4];
		pthread_t th[4];
		for (int i = 0; i < 4; i++) {
			d[i] = (struct done_arg){ s, r.id, &go, -9 };
			pthread_create(&th[i], NULL, done_run, &d[i]);
		}
		int removed = 0;
		for (int i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			removed += d[i].ret == 1;
		}
		pthread_barrier_destroy(&go);
		int64_t count = -1;
		CHECK_INT(pb_store_blob_refcount(s, r.blob_key, &count, &error), 1);
		twice += removed != 1 || count != 1;
	}
	CHECK_INT(twice, 0);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

/* ---- GC never waits for a put ---- */

struct gc_arg {
	struct pb_store *s;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int ret;
};

static void *gc_run(void *arg)
{
	struct gc_arg *g = arg;
	const char *error;
	int ret = pb_store_blob_gc(g->s, NULL, &error);

	pthread_mutex_lock(&g->lock);
	g->ret = ret;
	g->done = true;
	pthread_cond_signal(&g->cond);
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

/* Waits up to 20 s for g->done. */
static bool gc_wait(struct gc_arg *g)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	pthread_mutex_lock(&g->lock);
	while (!g->done && pthread_cond_timedwait(&g->cond, &g->lock, &until) == 0)
		;
	bool done = g->done;
	pthread_mutex_unlock(&g->lock);
	return done;
}

/* A put in flight (its GC stripe held shared, as from its existence check to its fsync) does
 * not hold a GC run up, and puts of other bodies run meanwhile; the body the put is on is left
 * to the next run. (Before: one writer-preferring lock, so the GC waited for the put and every
 * other put waited behind the GC.) */
static void test_gc_never_waits(void)
{
	char *dir = store_test_tmpdir("gc");
	struct pb_store_options opts = { .create_if_missing = true };
	struct pb_store *s;
	const char *error;
	char held[PB_BLOB_KEY_LEN + 1], other[PB_BLOB_KEY_LEN + 1], key[PB_BLOB_KEY_LEN + 1];
	uint8_t raw[32];
	struct gc_arg g = { .done = false };
	pthread_t th;

	REQUIRE(pb_store_open(dir, &opts, &s, &error) == 0);
	REQUIRE(pb_store_blob_put(s, "held body", 9, held, &error) == 0);
	REQUIRE(pb_store_blob_put(s, "other body", 10, other, &error) == 0);
	CHECK_INT(pb_store_blob_gc(s, NULL, &error), 0); /* both now old enough to go */
	REQUIRE(store_hex_to_raw(held, raw) == 0);
	pthread_rwlock_rdlock(store_gc_lock(s, raw));
	g.s = s;
	pthread_mutex_init(&g.lock, NULL);
	pthread_cond_init(&g.cond, NULL);
	pthread_create(&th, NULL, gc_run, &g);
	bool finished = gc_wait(&g);
	CHECK(finished);
	/* a put while the GC runs or ran: never behind it */
	CHECK_INT(pb_store_blob_put(s, "a third body", 12, key, &error), 0);
	pthread_rwlock_unlock(store_gc_lock(s, raw));
	pthread_join(th, NULL);
	CHECK_INT(g.ret, 0);
	struct pb_buf b;
	pb_buf_init(&b);
	CHECK_INT(pb_store_blob_get(s, held, &b, &error), 1); /* spared: its put was in flight */
	uint8_t raw_other[32];
	REQUIRE(store_hex_to_raw(other, raw_other) == 0);
	if (store_gc_lock(s, raw_other) != store_gc_lock(s, raw))
		CHECK_INT(pb_store_blob_get(s, other, &b, &error), 0); /* another stripe: gone */
	pb_buf_deinit(&b);
	pthread_mutex_destroy(&g.lock);
	pthread_cond_destroy(&g.cond);
	pb_store_close(&s);
	store_test_rmrf(dir);
	free(dir);
}

/* ---- a write that meets ENOSPC ---- */

static int hook_calls;
static void count_hook(void *ctx, const char *reason)
{
	hook_calls++;
	*(char **)ctx = xstrdup(reason);
}

static int count_spool(const struct pb_spool_rec *r, void *ctx)
{
	(*(size_t *)ctx)++;
	return 0;
}

/* With no reserve at all the disk fills under synced puts until RocksDB meets ENOSPC: the
 * store records the failure once (the hook: the daemon exits for a restart), and reopened
 * with space back it has every put that returned 0, nothing else. */
static void test_enospc_fails_once_acknowledged_kept(void)
{
	struct small_fs fs;
	struct pb_store_options opts = { .create_if_missing = true };
	struct pb_store *s;
	const char *error, *reason;
	char *got = NULL;
	uint64_t id;
	size_t acked = 0, found = 0;

	if (!small_fs_mount(&fs, 24))
		return;
	REQUIRE(pb_store_open(fs.dir, &opts, &s, &error) == 0);
	pb_store_set_min_free_mb(s, 0);
	hook_calls = 0;
	pb_store_set_failure_hook(s, count_hook, &got);
	for (unsigned i = 0; i < 64 && !pb_store_failed(s, NULL); i++) {
		if (spool_one(s, 512 * 1024, i, &id) == 0)
			acked++;
	}
	CHECK(pb_store_failed(s, &reason));
	CHECK_INT(hook_calls, 1);
	printf("failed after %zu puts: %s\n", acked, got != NULL ? got : "(none)");
	CHECK(got != NULL && strstr(got, "space") != NULL);
	free(got);
	printf("filled: %llu bytes free\n", (unsigned long long)free_bytes(fs.dir));
	CHECK_INT(spool_one(s, 1000, 999, &id), -1); /* wedged until reopened */
	pb_store_close(&s);

	/* space back (the mount grows), reopened: every acknowledged put, once */
	REQUIRE(mount("tmpfs", fs.mnt, "tmpfs", MS_REMOUNT, "size=64m") == 0);
	REQUIRE(pb_store_open(fs.dir, &opts, &s, &error) == 0);
	CHECK_INT(pb_store_spool_iter(s, count_spool, &found, &error), 0);
	CHECK_INT(found, acked);
	CHECK(!pb_store_failed(s, NULL));
	CHECK_INT(spool_one(s, 1000, 1000, &id), 0);
	pb_store_close(&s);
	small_fs_unmount(&fs);
}

static const struct pb_test_case cases[] = {
	{ "enospc_fails_once_acknowledged_kept", test_enospc_fails_once_acknowledged_kept },
	{ "spool_done_once", test_spool_done_once },
	{ "gc_never_waits", test_gc_never_waits },
	{ "wal_bounded", test_wal_bounded },
	{ "budget_concurrent_uploads", test_budget_concurrent_uploads },
	{ "budget_deletions_and_space_back", test_budget_deletions_and_space_back },
	{ "budget_cached_room", test_budget_cached_room },
};

PB_TEST_MAIN(cases)
