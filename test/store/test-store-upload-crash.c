/*
 * test-store-upload-crash.c: chunked uploads under kill -9. Each round forks a child that
 * uploads distinct bodies in 64 KiB chunks (unsynced) and commits each as a spool entry (the
 * one synced write), reporting every acknowledged commit over a pipe, and that leaves an
 * upload half written before each commit. The parent kills it with SIGKILL after a random
 * number of acknowledgements, reopens the store and checks: every acknowledged entry is there
 * with its whole body; after pb_store_uploads_clean no upload record is left and the chunks in
 * the store are exactly those of the spooled bodies (nothing half-written survives). The
 * parent only forks: a writer child and a checker child per round (see check_round).
 * OWNS: one temporary database for all rounds, the child processes. THREAD: main.
 */
#include "store-bodies.h"
#include "store-spool.h"
#include "pb-test-store.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define ROUNDS 5
#define MAX_ACKS 4096
#define PIECE (64u * 1024)

struct ack {
	uint64_t spool_id;
	uint32_t seed, size;
};

static size_t body_size(uint32_t seed)
{
	return 1000 + (seed * 7919u) % (5 * PIECE);
}

/* Writes size bytes of body seed to up in PIECE chunks; exits on failure. */
static void child_write(struct pb_store *s, struct pb_store_upload *up, const char *body,
			size_t size)
{
	for (size_t off = 0; off < size; off += PIECE) {
		size_t n = size - off < PIECE ? size - off : PIECE;
		if (pb_store_upload_write(s, up, body + off, n, NULL) < 0)
			_exit(3);
	}
}

static void child_main(const char *dir, int fd, uint32_t round)
{
	struct pb_store *s = store_test_open(dir);
	char *body = xmalloc(5 * PIECE + 1000);
	static const char *const rcpts[] = { "u@local" };
	uint64_t ids[] = { 9 };

	for (uint32_t i = 0;; i++) {
		uint32_t seed = round * 100000 + i;
		size_t size = body_size(seed);
		struct pb_store_upload *up, *half;
		store_test_body(body, size, seed);
		if (pb_store_upload_begin(s, 0, 1, &up, NULL) < 0 ||
		    pb_store_upload_begin(s, 0, 1, &half, NULL) < 0)
			_exit(2);
		child_write(s, half, body, size / 2 + 1); /* never committed */
		pb_store_upload_free(&half);
		child_write(s, up, body, size);
		struct pb_spool_rec r = { .sender = "a@b.c", .rcpts = (char **)rcpts,
					  .rcpt_ids = ids, .n_rcpts = 1, .received_ms = seed };
		if (pb_store_upload_commit_spool(s, &up, &r, NULL) < 0)
			_exit(4);
		struct ack a = { r.id, seed, (uint32_t)size };
		if (write(fd, &a, sizeof(a)) != sizeof(a))
			_exit(5);
	}
}

static bool read_ack(int fd, struct ack *a)
{
	size_t got = 0;

	while (got < sizeof(*a)) {
		ssize_t n = read(fd, (char *)a + got, sizeof(*a) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/* One child round: kill after `target` acks; appends every ack it sent to acks. */
static void run_round(const char *dir, uint32_t round, int target, struct ack *acks, size_t *n)
{
	int p[2], seen = 0;
	struct ack a;

	REQUIRE(pipe(p) == 0);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		child_main(dir, p[1], round);
	}
	close(p[1]);
	while (seen < target && read_ack(p[0], &a) && *n < MAX_ACKS) {
		acks[(*n)++] = a;
		seen++;
	}
	kill(pid, SIGKILL);
	while (read_ack(p[0], &a) && *n < MAX_ACKS)
		acks[(*n)++] = a;
	close(p[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

struct spooled {
	struct pb_spool_rec r[MAX_ACKS * 2];
	size_t n;
	uint64_t chunks; /* the chunks their bodies have */
};

static int collect(const struct pb_spool_rec *r, void *ctx)
{
	struct spooled *sp = ctx;

	if (sp->n < MAX_ACKS * 2) {
		sp->r[sp->n].id = r->id;
		sp->r[sp->n].size = r->size;
		memcpy(sp->r[sp->n].blob_key, r->blob_key, sizeof(r->blob_key));
		sp->n++;
	}
	sp->chunks += (r->size + PIECE - 1) / PIECE;
	return 0;
}

static void check_ack(struct pb_store *s, const struct spooled *sp, const struct ack *a)
{
	struct pb_buf out;
	const char *err = NULL;
	char *want = xmalloc(a->size + 1);

	store_test_body(want, a->size, a->seed);
	pb_buf_init(&out);
	bool found = false;
	for (size_t i = 0; i < sp->n && !found; i++) {
		if (sp->r[i].id != a->spool_id)
			continue;
		found = true;
		CHECK_INT(pb_store_blob_get(s, sp->r[i].blob_key, &out, &err), 1);
		CHECK(out.len == a->size && memcmp(out.data, want, a->size) == 0);
	}
	CHECK(found);
	pb_buf_deinit(&out);
	free(want);
}

/* Checks the store after a round; runs in a child of its own and exits 0 when all held.
 * Why a child: RocksDB's background threads belong to a process-wide Env created at the first
 * open; a writer forked from a process that had opened a store would inherit the Env without
 * its threads, and its first flush would stall forever. So the parent never opens one. */
static void check_round(const char *dir, const struct ack *acks, size_t n, uint32_t round)
{
	struct spooled *sp = xcalloc(1, sizeof(*sp));
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	uint64_t chunks = 0, uploads = 0;

	CHECK_INT(pb_store_spool_iter(s, collect, sp, &err), 0);
	for (size_t i = 0; i < n; i++)
		check_ack(s, sp, &acks[i]);
	CHECK_INT(pb_store_uploads_clean(s, 0, 1, NULL, &err), 0);
	CHECK_INT(pb_store_chunks_count(s, &chunks, &uploads, &err), 0);
	CHECK_INT(uploads, 0);
	CHECK_INT(chunks, sp->chunks);
	printf("round %u: %zu acknowledged, %zu spooled, %llu chunks\n", round, n, sp->n,
	       (unsigned long long)chunks);
	fflush(stdout);
	pb_store_close(&s);
	free(sp);
	_exit(atomic_load(&pb_test_failures) == 0 ? 0 : 1);
}

static void test_kill9_rounds(void)
{
	char *dir = store_test_tmpdir("upcrash");
	struct ack *acks = xcalloc(MAX_ACKS, sizeof(*acks));
	size_t n = 0;

	srand((unsigned)time(NULL));
	for (uint32_t round = 0; round < ROUNDS; round++) {
		run_round(dir, round, 5 + rand() % 40, acks, &n);
		pid_t pid = fork();
		REQUIRE(pid >= 0);
		if (pid == 0)
			check_round(dir, acks, n, round);
		int status = 0;
		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	free(acks);
	store_test_rmrf(dir);
	free(dir);
}

static const struct pb_test_case cases[] = {
	{ "kill9_rounds", test_kill9_rounds },
};

PB_TEST_MAIN(cases)
