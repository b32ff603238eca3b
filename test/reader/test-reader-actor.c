/*
 * test-reader-actor.c: the reader shards over a real store, through reader-client.h: ranged
 * reads at the edges (start, across a chunk boundary, clipped at the end with eof, past the
 * end), a whole body read in 256 KiB pieces, an unknown body, a length over PB_CHUNK_MAX, and
 * the asynchronous send with its reply decoder, and several ranges in one request (READ_MANY).
 */
#include "pb-test.h"
#include "store-bodies.h"
#include "pb-test-store.h"
#include "reader-actor.h"
#include "reader-client.h"

#define BODY_LEN (2u * 1024 * 1024 + 4321)
#define PIECE (256u * 1024)
#define USER 7

struct env {
	char *dir;
	struct pb_store *store;
	struct pb_runtime *rt;
	struct pb_caller *c;
	char *body;
	char key[PB_BLOB_KEY_LEN + 1];
};

static void env_open(struct env *e)
{
	const char *error;

	e->dir = store_test_tmpdir("reader");
	e->store = store_test_open(e->dir);
	e->body = xmalloc(BODY_LEN);
	store_test_body(e->body, BODY_LEN, 11);
	if (pb_store_blob_put(e->store, e->body, BODY_LEN, e->key, &error) < 0)
		PANIC("put: %s", error);
	e->rt = pb_runtime_create("t", NULL);
	if (reader_actors_start(e->rt, e->store, 2, &error) < 0)
		PANIC("start: %s", error);
	e->c = pb_caller_create(e->rt);
}

static void env_close(struct env *e)
{
	pb_caller_destroy(&e->c);
	pb_runtime_destroy(&e->rt);
	pb_store_close(&e->store);
	store_test_rmrf(e->dir);
	free(e->dir);
	free(e->body);
}

/* Reads a range; checks the bytes, the size and eof. Returns the bytes read or -1. */
static long read_at(struct env *e, uint64_t off, uint32_t len)
{
	char *buf = xmalloc(len + 1);
	const char *error;
	size_t n = 0;
	uint64_t size = 0;
	bool eof = false;
	long ret = -1;

	uint32_t code = reader_client_read(e->c, USER, e->key, off, buf, len, &n, &size, &eof,
					   &error);
	CHECK_INT(code, PB_OK);
	if (code == PB_OK) {
		CHECK_INT(size, BODY_LEN);
		CHECK(n == 0 || memcmp(buf, e->body + off, n) == 0);
		CHECK_INT(eof, off + n >= BODY_LEN);
		ret = (long)n;
	}
	free(buf);
	return ret;
}

static void test_ranges(void)
{
	struct env e;

	env_open(&e);
	CHECK_INT(read_at(&e, 0, 10), 10);
	CHECK_INT(read_at(&e, 5000, 100), 100);                        /* mid-chunk */
	CHECK_INT(read_at(&e, (1u << 20) - 10, 20), 20);               /* across 1 MiB */
	CHECK_INT(read_at(&e, BODY_LEN - 21, PIECE), 21);              /* clipped, eof */
	CHECK_INT(read_at(&e, BODY_LEN, 10), 0);                       /* at the end */
	CHECK_INT(read_at(&e, BODY_LEN + 1, 10), 0);                   /* past it */
	CHECK_INT(read_at(&e, 0, PB_CHUNK_MAX), PB_CHUNK_MAX);         /* the largest read */
	env_close(&e);
}

static void test_whole_body_by_pieces(void)
{
	struct env e;
	char *buf = xmalloc(PIECE);
	const char *error;
	uint64_t off = 0, size = 0;
	bool eof = false;
	int reads = 0;

	env_open(&e);
	while (!eof && reads++ < 100) {
		size_t n = 0;
		REQUIRE(reader_client_read(e.c, USER, e.key, off, buf, PIECE, &n, &size, &eof,
					   &error) == PB_OK);
		CHECK(memcmp(buf, e.body + off, n) == 0);
		off += n;
	}
	CHECK_INT(off, BODY_LEN);
	CHECK_INT(reads, (BODY_LEN + PIECE - 1) / PIECE);
	free(buf);
	env_close(&e);
}

static void test_refusals(void)
{
	struct env e;
	char buf[16], unknown[PB_BLOB_KEY_LEN + 1];
	const char *error;
	size_t n;
	uint64_t size;
	bool eof;

	env_open(&e);
	memset(unknown, 'a', PB_BLOB_KEY_LEN);
	unknown[PB_BLOB_KEY_LEN] = '\0';
	CHECK_INT(reader_client_read(e.c, USER, unknown, 0, buf, sizeof(buf), &n, &size, &eof,
				     &error),
		  PB_ERR_NOTFOUND);
	CHECK_INT(reader_client_read(e.c, USER, "../etc", 0, buf, sizeof(buf), &n, &size, &eof,
				     &error),
		  PB_ERR_NOTFOUND);
	char *big = xmalloc(PB_CHUNK_MAX + 1);
	CHECK_INT(reader_client_read(e.c, USER, e.key, 0, big, PB_CHUNK_MAX + 1, &n, &size, &eof,
				     &error),
		  PB_ERR_REFUSED);
	free(big);
	CHECK_INT(read_at(&e, 3, 3), 3); /* the shard goes on */
	env_close(&e);
}

static int tx_send(void *ctx, const char *to, struct pb_msg *req, const char **error_r)
{
	req->corr = 99;
	pb_str_set(&req->reply_to, "test.replies");
	return pb_send(ctx, to, req, error_r);
}

static void test_async_send_and_decode(void)
{
	struct env e;
	struct pb_inbox *in;
	struct pb_msg rep;
	const char *error;
	const uint8_t *data = NULL;
	size_t len = 0;
	uint64_t size = 0;
	bool eof = true;

	env_open(&e);
	struct pb_sender tx = { tx_send, e.rt };
	REQUIRE(pb_inbox_open(e.rt, "test.replies", 8, &in, &error) == 0);
	REQUIRE(reader_client_read_send(&tx, USER, e.key, 100, 50, &error) == 0);
	REQUIRE(pb_inbox_recv(in, &rep, 10000) == 1);
	CHECK_INT(rep.corr, 99);
	CHECK_INT(reader_client_read_reply(&rep, &size, &data, &len, &eof), PB_OK);
	CHECK_INT(size, BODY_LEN);
	CHECK_INT(len, 50);
	CHECK(!eof);
	CHECK(data != NULL && memcmp(data, e.body + 100, 50) == 0);
	pb_msg_free(&rep);
	pb_inbox_close(&in);
	env_close(&e);
}

/* Several ranges in one request: one part each, in order, a missing body failing only its
 * own part; the stub refuses too many ranges or bytes before sending. */
static void test_read_many(void)
{
	struct env e;
	struct pb_inbox *in;
	struct pb_msg rep;
	const char *error;
	char unknown[PB_BLOB_KEY_LEN + 1];
	struct reader_part parts[3];

	env_open(&e);
	memset(unknown, 'b', PB_BLOB_KEY_LEN);
	unknown[PB_BLOB_KEY_LEN] = '\0';
	struct pb_sender tx = { tx_send, e.rt };
	const struct reader_range ranges[] = { { e.key, 10, 20 },
					       { unknown, 0, 20 },
					       { e.key, BODY_LEN - 5, 100 } };
	REQUIRE(pb_inbox_open(e.rt, "test.replies", 8, &in, &error) == 0);
	REQUIRE(reader_client_read_many_send(&tx, USER, ranges, 3, &error) == 0);
	REQUIRE(pb_inbox_recv(in, &rep, 10000) == 1);
	CHECK_INT(rep.corr, 99);
	CHECK_INT(reader_client_read_many_reply(&rep, 2, parts), PB_ERR_INTERNAL); /* not 2 parts */
	REQUIRE(reader_client_read_many_reply(&rep, 3, parts) == PB_OK);
	CHECK_INT(parts[0].code, PB_OK);
	CHECK_INT(parts[0].size, BODY_LEN);
	CHECK(parts[0].len == 20 && memcmp(parts[0].data, e.body + 10, 20) == 0);
	CHECK(!parts[0].eof);
	CHECK_INT(parts[1].code, PB_ERR_NOTFOUND);
	CHECK_INT(parts[2].code, PB_OK);
	CHECK(parts[2].len == 5 && memcmp(parts[2].data, e.body + BODY_LEN - 5, 5) == 0);
	CHECK(parts[2].eof);
	pb_msg_free(&rep);

	struct reader_range many[READER_MANY_MAX + 1];
	for (size_t i = 0; i < PB_N_ELEMENTS(many); i++)
		many[i] = (struct reader_range){ e.key, 0, 10 };
	CHECK_INT(reader_client_read_many_send(&tx, USER, many, READER_MANY_MAX + 1, &error), -1);
	CHECK_INT(reader_client_read_many_send(&tx, USER, many, 0, &error), -1);
	many[0].length = PB_CHUNK_MAX;
	CHECK_INT(reader_client_read_many_send(&tx, USER, many, 2, &error), -1);
	CHECK_INT(pb_inbox_recv(in, &rep, 0), 0); /* nothing was sent */
	pb_inbox_close(&in);
	env_close(&e);
}

static const struct pb_test_case cases[] = {
	{ "read_many", test_read_many },
	{ "ranges", test_ranges },
	{ "whole_body_by_pieces", test_whole_body_by_pieces },
	{ "refusals", test_refusals },
	{ "async_send_and_decode", test_async_send_and_decode },
};

PB_TEST_MAIN(cases)
