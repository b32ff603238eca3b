/*
 * test-store-crash.c: durability under kill -9. Each round forks a child that appends
 * synced messages (a distinct body each, some large enough for blob files) from two
 * threads for two users and reports every acknowledged append over a pipe; the parent
 * kills it with SIGKILL after a random number of acknowledgements, reopens the store and
 * checks that it opens cleanly, every acknowledged message is there with its body, and the
 * folder counters and reference counts match the records.
 * The child is this program executed afresh (--crash-child), not a bare fork: a fork of the
 * parent after its first round would inherit RocksDB's background thread pool without its
 * threads (and any lock one of them held), so a child could wait forever for a flush or a lock
 * (the test hung once in ~16 runs under load).
 * OWNS: one temporary database for all rounds, the child processes.
 * THREAD: main (parent); the child runs two writer threads.
 */
#include "store-bodies.h"
#include "store-mail.h"
#include "pb-test-store.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define ROUNDS 6
#define WRITERS 2
#define MAX_ACKS 16384 /* per user over all rounds */

struct ack {
	uint32_t writer;
	uint32_t uid;
	uint32_t seed;
	uint32_t size;
};

struct child_writer {
	struct pb_store *s;
	int fd;
	uint32_t writer, round;
};

static uint64_t user_of(uint32_t writer)
{
	return 500 + writer;
}

static size_t body_size(uint32_t seed)
{
	return seed % 5 == 0 ? 20000 + seed % 3000 : 200 + seed % 1800;
}

/* The child's writer loop: put a body, append it with a dedupe key, report the ack. */
static void *child_writer_run(void *arg)
{
	struct child_writer *w = arg;
	char key[PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;

	for (uint32_t i = 0;; i++) {
		uint32_t seed = w->round * 100000 + w->writer * 50000 + i;
		size_t size = body_size(seed);
		char dk[32];
		if (store_test_put_body(w->s, size, seed, key) < 0)
			_exit(3);
		struct pb_msg_rec r = { .size = size, .internal_date_ms = seed };
		memcpy(r.blob_key, key, sizeof(key));
		snprintf(dk, sizeof(dk), "seed-%u", seed);
		if (pb_store_msg_append(w->s, user_of(w->writer), 1, &r, dk, &err) != 0) {
			fprintf(stderr, "child append: %s\n", err);
			_exit(4);
		}
		struct ack a = { w->writer, r.uid, seed, (uint32_t)size };
		if (write(w->fd, &a, sizeof(a)) != (ssize_t)sizeof(a))
			_exit(5);
	}
	return NULL;
}

static void child_main(const char *dir, int fd, uint32_t round)
{
	struct pb_store *s = store_test_open(dir);
	const char *err = NULL;
	struct child_writer w[WRITERS];
	pthread_t th[WRITERS];

	for (uint32_t i = 0; i < WRITERS; i++) {
		if (pb_store_folders_init(s, user_of(i), 1000, &err) < 0)
			_exit(2);
		w[i] = (struct child_writer){ s, fd, i, round };
		pthread_create(&th[i], NULL, child_writer_run, &w[i]);
	}
	pthread_join(th[0], NULL); /* never returns: killed */
	_exit(6);
}

/* The child's entry: run as `test-store-crash --crash-child DIR ROUND FD` (by run_round), before
 * main (glibc passes constructors the arguments); any other command line goes on to main. */
__attribute__((constructor)) static void crash_child_entry(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argc == 5 && strcmp(argv[1], "--crash-child") == 0)
		child_main(argv[2], atoi(argv[4]), (uint32_t)strtoul(argv[3], NULL, 10));
}

/* Reads exactly one ack; returns false at EOF, or when none comes within PB_TEST_WAIT_MS. */
static bool read_ack(int fd, struct ack *a)
{
	size_t got = 0;

	while (got < sizeof(*a)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, PB_TEST_WAIT_MS) == 0) {
			fprintf(stderr, "  no ack from the child in %d ms\n", PB_TEST_WAIT_MS);
			return false;
		}
		ssize_t n = read(fd, (char *)a + got, sizeof(*a) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

struct acked {
	struct ack a[WRITERS][MAX_ACKS];
	size_t n[WRITERS];
};

/* Runs one child round: kill after `target` acks, collect every ack it sent. */
static void run_round(const char *dir, uint32_t round, int target, struct acked *acked)
{
	int p[2];
	struct ack a;
	int seen = 0;
	char round_s[16], fd_s[16];

	REQUIRE(pipe(p) == 0);
	snprintf(round_s, sizeof(round_s), "%u", round);
	snprintf(fd_s, sizeof(fd_s), "%d", p[1]);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		execl("/proc/self/exe", "test-store-crash", "--crash-child", dir, round_s, fd_s,
		      (char *)NULL);
		_exit(7);
	}
	close(p[1]);
	while (seen < target && read_ack(p[0], &a)) {
		if (a.writer < WRITERS && acked->n[a.writer] < MAX_ACKS)
			acked->a[a.writer][acked->n[a.writer]++] = a;
		seen++;
	}
	kill(pid, SIGKILL);
	/* Acks written before the kill are still in the pipe: they count too. */
	while (read_ack(p[0], &a))
		if (a.writer < WRITERS && acked->n[a.writer] < MAX_ACKS)
			acked->a[a.writer][acked->n[a.writer]++] = a;
	close(p[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(seen >= target);
}

static void check_ack(struct pb_store *s, const struct ack *a)
{
	struct pb_msg_rec m;
	struct pb_buf out;
	const char *err = NULL;

	REQUIRE(pb_store_msg_get(s, user_of(a->writer), 1, a->uid, &m, &err) == 1);
	CHECK_INT(m.internal_date_ms, a->seed);
	CHECK_INT(m.size, a->size);
	char *expect = xmalloc(a->size + 1);
	store_test_body(expect, a->size, a->seed);
	pb_buf_init(&out);
	CHECK_INT(pb_store_blob_get(s, m.blob_key, &out, &err), 1);
	CHECK(out.len == a->size && memcmp(out.data, expect, a->size) == 0);
	pb_buf_deinit(&out);
	free(expect);
	pb_msg_rec_free(&m);
}

/* Counters match the records; every body referenced once (all bodies are distinct). */
static void check_consistent(struct pb_store *s, uint32_t writer)
{
	struct pb_folder_rec f;
	struct pb_msg_rec *recs;
	const char *err = NULL;
	size_t n;
	uint64_t bytes = 0;

	REQUIRE(pb_store_folder_get_by_id(s, user_of(writer), 1, &f, &err) == 1);
	REQUIRE(pb_store_msg_list(s, user_of(writer), 1, &recs, &n, &err) == 0);
	CHECK_INT(f.messages, n);
	for (size_t i = 0; i < n; i++) {
		int64_t c = -1;
		bytes += recs[i].size;
		CHECK(recs[i].uid < f.uidnext);
		CHECK(recs[i].modseq <= f.highestmodseq);
		CHECK_INT(pb_store_blob_refcount(s, recs[i].blob_key, &c, &err), 1);
		CHECK_INT(c, 1);
	}
	CHECK_INT(f.bytes, bytes);
	CHECK_INT(f.unseen, n);
	CHECK_INT(f.uidnext, n + 1); /* uids are dense: nothing was lost in between */
	pb_msg_recs_free(recs, n);
	pb_folder_rec_free(&f);
}

static void test_kill9_rounds(void)
{
	char *dir = store_test_tmpdir("crash");
	struct acked *acked = xcalloc(1, sizeof(*acked));
	const char *err = NULL;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	for (uint32_t round = 1; round <= ROUNDS; round++) {
		int target = 1 + rand() % 150;
		run_round(dir, round, target, acked);
		struct pb_store *s = NULL;
		struct pb_store_options o = { .create_if_missing = false };
		REQUIRE(pb_store_open(dir, &o, &s, &err) == 0);
		for (uint32_t w = 0; w < WRITERS; w++) {
			for (size_t i = 0; i < acked->n[w]; i++)
				check_ack(s, &acked->a[w][i]);
			check_consistent(s, w);
			/* A replay of the last acknowledged delivery is recognised. */
			if (acked->n[w] > 0) {
				const struct ack *last = &acked->a[w][acked->n[w] - 1];
				char dk[32];
				struct pb_msg_rec r = { .size = 1 };
				snprintf(dk, sizeof(dk), "seed-%u", last->seed);
				memset(r.blob_key, '0', PB_BLOB_KEY_LEN);
				CHECK_INT(pb_store_msg_append(s, user_of(w), 1, &r, dk, &err), 1);
				CHECK_INT(r.uid, last->uid);
			}
		}
		printf("round %u: killed after %d acks; %zu + %zu acknowledged in total\n", round,
		       target, acked->n[0], acked->n[1]);
		pb_store_close(&s);
	}
	free(acked);
	store_test_rmrf(dir);
	free(dir);
}

static const struct pb_test_case cases[] = {
	{ "kill9_rounds", test_kill9_rounds },
};

PB_TEST_MAIN(cases)
