/*
 * test-store-chunks.c: bodies stored as chunks and written by uploads: an upload's key is the
 * SHA-256 of the bytes (computed here independently) and equals the one-shot put's, its MIME
 * structure equals a whole-message parse, an identical upload only takes a reference and
 * leaves no chunks behind, ranged reads at every edge, abort and clean leave nothing,
 * concurrent commits of one body store it once, GC removes a chunked body's chunks.
 * OWNS: a temporary database per case. THREAD: main (and two writers in one case).
 */
#include "store-bodies.h"
#include "store-spool.h"
#include "pb-test-spool.h"
#include "pb-test-store.h"

#include "mime-parser.h"
#include "mime-structure.h"

#include <openssl/evp.h>
#include <pthread.h>

#define CHUNK (256u * 1024)
/* Over three 1 MiB store chunks and eleven 256 KiB upload chunks; not a multiple of either. */
#define BODY_LEN (2u * 1024 * 1024 + CHUNK / 2 + 777)

struct fixture {
	char *dir;
	struct pb_store *s;
	char *body;
};

static void fx_open(struct fixture *f)
{
	f->dir = store_test_tmpdir("chunks");
	f->s = store_test_open(f->dir);
	f->body = xmalloc(BODY_LEN);
	store_test_body(f->body, BODY_LEN, 7);
}

static void fx_close(struct fixture *f)
{
	pb_store_close(&f->s);
	store_test_rmrf(f->dir);
	free(f->dir);
	free(f->body);
}

static void hex_sha256(const void *data, size_t len, char hex_r[PB_BLOB_KEY_LEN + 1])
{
	unsigned char md[32];
	unsigned int mdlen;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex_r + 2 * i, 3, "%02x", md[i]);
}

/* Uploads data in pieces of `piece` bytes under owner. Returns the open upload. */
static struct pb_store_upload *upload(struct pb_store *s, uint32_t owner, const char *data,
				      size_t len, size_t piece)
{
	struct pb_store_upload *up = NULL;
	const char *err = NULL;

	if (pb_store_upload_begin(s, owner, 1000, &up, &err) < 0) {
		fprintf(stderr, "begin: %s\n", err);
		return NULL;
	}
	for (size_t off = 0; off < len; off += piece) {
		size_t n = len - off < piece ? len - off : piece;
		CHECK_INT(pb_store_upload_size(up), off);
		if (pb_store_upload_write(s, up, data + off, n, &err) < 0)
			fprintf(stderr, "write: %s\n", err);
	}
	return up;
}

static void counts(struct pb_store *s, uint64_t *chunks_r, uint64_t *uploads_r)
{
	const char *err = NULL;

	*chunks_r = *uploads_r = 999;
	if (pb_store_chunks_count(s, chunks_r, uploads_r, &err) < 0)
		fprintf(stderr, "count: %s\n", err);
}

static void test_upload_hash_equals_one_shot(void)
{
	struct fixture f;
	char want[PB_BLOB_KEY_LEN + 1], one[PB_BLOB_KEY_LEN + 1], up_key[PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;
	uint64_t chunks, uploads;

	fx_open(&f);
	hex_sha256(f.body, BODY_LEN, want);
	struct pb_store_upload *up = upload(f.s, 0, f.body, BODY_LEN, CHUNK);
	REQUIRE(up != NULL);
	CHECK_INT(pb_store_upload_size(up), BODY_LEN);
	REQUIRE(pb_store_upload_commit_blob(f.s, &up, up_key, &err) == 0);
	CHECK(up == NULL);
	CHECK_STR(up_key, want);
	counts(f.s, &chunks, &uploads);
	CHECK_INT(chunks, (BODY_LEN + CHUNK - 1) / CHUNK);
	CHECK_INT(uploads, 0);
	/* the one-shot put finds the same body and writes no chunk of its own */
	REQUIRE(pb_store_blob_put(f.s, f.body, BODY_LEN, one, &err) == 0);
	CHECK_STR(one, want);
	counts(f.s, &chunks, &uploads);
	CHECK_INT(chunks, (BODY_LEN + CHUNK - 1) / CHUNK);
	struct pb_buf out;
	pb_buf_init(&out);
	CHECK_INT(pb_store_blob_get(f.s, up_key, &out, &err), 1);
	CHECK(out.len == BODY_LEN && memcmp(out.data, f.body, BODY_LEN) == 0);
	pb_buf_deinit(&out);
	fx_close(&f);
}

static const char mime_body[] =
	"From: a@b.c\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\npreamble\r\n"
	"--XX\r\nContent-Type: text/plain\r\n\r\nhello there\r\n"
	"--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
	"\r\naGVsbG8=\r\n--XX--\r\nepilogue\r\n";

/* The structure parsed chunk by chunk (3-byte chunks cut every line) equals a whole parse. */
static void test_structure_parsed_incrementally(void)
{
	struct fixture f;
	char key[PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;
	struct pb_buf got, want;

	fx_open(&f);
	struct pb_store_upload *up = upload(f.s, 0, mime_body, sizeof(mime_body) - 1, 3);
	REQUIRE(up != NULL);
	REQUIRE(pb_store_upload_commit_blob(f.s, &up, key, &err) == 0);
	pb_buf_init(&got);
	pb_buf_init(&want);
	CHECK_INT(pb_store_blob_structure(f.s, key, &got, &err), 1);
	struct mime_message *msg = mime_message_parse(mime_body, sizeof(mime_body) - 1, NULL);
	mime_structure_encode(msg, &want);
	mime_message_free(&msg);
	CHECK(got.len == want.len && memcmp(got.data, want.data, got.len) == 0);
	CHECK(want.len > 40); /* a real tree, not an empty one */
	pb_buf_deinit(&got);
	pb_buf_deinit(&want);
	fx_close(&f);
}

static void test_identical_upload_takes_a_reference(void)
{
	struct fixture f;
	const char *err = NULL;
	uint64_t chunks, uploads;
	int64_t count = 0;

	fx_open(&f);
	struct pb_spool_rec r1 = store_test_spool_rec(), r2 = store_test_spool_rec();
	struct pb_store_upload *up = upload(f.s, 0, f.body, BODY_LEN, CHUNK);
	REQUIRE(pb_store_upload_commit_spool(f.s, &up, &r1, &err) == 0);
	/* same bytes, other chunking: same body */
	up = upload(f.s, 1, f.body, BODY_LEN, 100000);
	counts(f.s, &chunks, &uploads);
	CHECK_INT(uploads, 1);
	CHECK(chunks > (BODY_LEN + CHUNK - 1) / CHUNK); /* both sets exist before the commit */
	REQUIRE(pb_store_upload_commit_spool(f.s, &up, &r2, &err) == 0);
	CHECK_STR(r1.blob_key, r2.blob_key);
	CHECK(r1.id != r2.id);
	CHECK_INT(r2.size, BODY_LEN);
	CHECK_INT(pb_store_blob_refcount(f.s, r1.blob_key, &count, &err), 1);
	CHECK_INT(count, 2);
	counts(f.s, &chunks, &uploads);
	CHECK_INT(chunks, (BODY_LEN + CHUNK - 1) / CHUNK);
	CHECK_INT(uploads, 0);
	pb_spool_rec_free(&r1);
	pb_spool_rec_free(&r2);
	fx_close(&f);
}

/* Reads [off, off+len) and compares with the body; returns the bytes read (or -1). */
static long read_range(struct fixture *f, const char *key, uint64_t off, size_t len)
{
	char *buf = xmalloc(len + 1);
	const char *err = NULL;
	size_t n = 12345;
	uint64_t size = 0;

	int found = pb_store_blob_read(f->s, key, off, buf, len, &n, &size, &err);
	long ret = found == 1 ? (long)n : -1;
	CHECK_INT(found, 1);
	CHECK_INT(size, BODY_LEN);
	if (found == 1 && n > 0)
		CHECK(memcmp(buf, f->body + off, n) == 0);
	free(buf);
	return ret;
}

static void check_ranges(struct fixture *f, const char *key)
{
	CHECK_INT(read_range(f, key, 0, 10), 10);
	CHECK_INT(read_range(f, key, 1000, 5000), 5000);                 /* mid-chunk */
	CHECK_INT(read_range(f, key, CHUNK - 5, 10), 10);                /* across 256 KiB */
	CHECK_INT(read_range(f, key, (1u << 20) - 3, 7), 7);              /* across 1 MiB */
	CHECK_INT(read_range(f, key, 100, 3 * CHUNK), 3 * CHUNK);         /* several chunks */
	CHECK_INT(read_range(f, key, CHUNK, 2 * CHUNK + 7), 2 * CHUNK + 7); /* from a boundary */
	CHECK_INT(read_range(f, key, 1u << 20, CHUNK), CHUNK);            /* from 1 MiB */
	CHECK_INT(read_range(f, key, BODY_LEN - 4, 100), 4);              /* clipped at the end */
	CHECK_INT(read_range(f, key, BODY_LEN, 100), 0);                  /* at the end */
	CHECK_INT(read_range(f, key, BODY_LEN + 5000, 100), 0);           /* past it */
	CHECK_INT(read_range(f, key, 0, BODY_LEN + 10), BODY_LEN);        /* all of it */
	CHECK_INT(read_range(f, key, 77, 0), 0);                          /* nothing asked */
}

static void test_ranged_reads(void)
{
	struct fixture f;
	char up_key[PB_BLOB_KEY_LEN + 1], put_key[PB_BLOB_KEY_LEN + 1], empty[PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;
	char buf[16];
	size_t n = 9;
	uint64_t size = 9;

	fx_open(&f);
	/* 256 KiB upload chunks, then the same body put at once (1 MiB chunks) after a GC */
	struct pb_store_upload *up = upload(f.s, 0, f.body, BODY_LEN, CHUNK);
	REQUIRE(pb_store_upload_commit_blob(f.s, &up, up_key, &err) == 0);
	check_ranges(&f, up_key);
	f.body[0] ^= 1; /* another body: the one-shot path */
	REQUIRE(pb_store_blob_put(f.s, f.body, BODY_LEN, put_key, &err) == 0);
	check_ranges(&f, put_key);
	REQUIRE(pb_store_blob_put(f.s, "", 0, empty, &err) == 0);
	CHECK_INT(pb_store_blob_read(f.s, empty, 0, buf, sizeof(buf), &n, &size, &err), 1);
	CHECK_INT(n, 0);
	CHECK_INT(size, 0);
	memset(empty, '0', PB_BLOB_KEY_LEN);
	CHECK_INT(pb_store_blob_read(f.s, empty, 0, buf, sizeof(buf), &n, &size, &err), 0);
	CHECK_INT(pb_store_blob_read(f.s, "nothex", 0, buf, sizeof(buf), &n, &size, &err), 0);
	fx_close(&f);
}

static void test_abort_and_clean_leave_nothing(void)
{
	struct fixture f;
	const char *err = NULL;
	uint64_t chunks, uploads, removed = 0;

	fx_open(&f);
	struct pb_store_upload *up = upload(f.s, 0, f.body, BODY_LEN, CHUNK);
	REQUIRE(pb_store_upload_abort(f.s, &up, &err) == 0);
	CHECK(up == NULL);
	counts(f.s, &chunks, &uploads);
	CHECK_INT(chunks, 0);
	CHECK_INT(uploads, 0);
	/* forgotten uploads of owner 1 and of owner 5 (of 2 owners: a shard that is gone) */
	struct pb_store_upload *a = upload(f.s, 1, f.body, 3 * CHUNK, CHUNK);
	struct pb_store_upload *b = upload(f.s, 5, f.body, 2 * CHUNK, CHUNK);
	pb_store_upload_free(&a);
	pb_store_upload_free(&b);
	pb_store_close(&f.s); /* survives a restart */
	f.s = store_test_open(f.dir);
	counts(f.s, &chunks, &uploads);
	CHECK_INT(chunks, 5);
	CHECK_INT(uploads, 2);
	CHECK_INT(pb_store_uploads_clean(f.s, 1, 2, &removed, &err), 0);
	CHECK_INT(removed, 1);
	counts(f.s, &chunks, &uploads);
	CHECK_INT(chunks, 2);
	CHECK_INT(pb_store_uploads_clean(f.s, 0, 2, &removed, &err), 0);
	CHECK_INT(removed, 1);
	counts(f.s, &chunks, &uploads);
	CHECK_INT(chunks, 0);
	CHECK_INT(uploads, 0);
	fx_close(&f);
}

static void test_oversize_or_empty_chunk_refused(void)
{
	struct fixture f;
	const char *err = NULL;
	struct pb_store_upload *up = NULL;
	char *big = xcalloc(1, PB_STORE_CHUNK_MAX + 1);

	fx_open(&f);
	REQUIRE(pb_store_upload_begin(f.s, 0, 1, &up, &err) == 0);
	CHECK_INT(pb_store_upload_write(f.s, up, big, PB_STORE_CHUNK_MAX + 1, &err), -1);
	CHECK_INT(pb_store_upload_write(f.s, up, big, 0, &err), -1);
	CHECK_INT(pb_store_upload_size(up), 0);
	CHECK_INT(pb_store_upload_write(f.s, up, big, PB_STORE_CHUNK_MAX, &err), 0);
	CHECK_INT(pb_store_upload_size(up), PB_STORE_CHUNK_MAX);
	CHECK_INT(pb_store_upload_abort(f.s, &up, &err), 0);
	free(big);
	fx_close(&f);
}

struct racer {
	struct fixture *f;
	char key[PB_BLOB_KEY_LEN + 1];
	int rounds;
};

static void *race_commit(void *arg)
{
	struct racer *r = arg;
	const char *err = NULL;

	for (int i = 0; i < r->rounds; i++) {
		struct pb_store_upload *up = upload(r->f->s, 0, r->f->body, 3 * CHUNK, CHUNK);
		if (up == NULL || pb_store_upload_commit_blob(r->f->s, &up, r->key, &err) < 0)
			fprintf(stderr, "commit: %s\n", err);
	}
	return NULL;
}

/* Two writers committing the same new body at once store it once: no orphaned chunks. */
static void test_concurrent_commits_store_once(void)
{
	struct fixture f;
	struct racer r[2] = { { &f, "", 10 }, { &f, "", 10 } };
	pthread_t t[2];
	uint64_t chunks, uploads;

	fx_open(&f);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, race_commit, &r[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK_STR(r[0].key, r[1].key);
	counts(f.s, &chunks, &uploads);
	CHECK_INT(chunks, 3);
	CHECK_INT(uploads, 0);
	fx_close(&f);
}

static void test_gc_removes_chunks(void)
{
	struct fixture f;
	char key[PB_BLOB_KEY_LEN + 1];
	const char *err = NULL;
	uint64_t chunks, uploads, deleted = 0;

	fx_open(&f);
	REQUIRE(pb_store_blob_put(f.s, f.body, BODY_LEN, key, &err) == 0);
	counts(f.s, &chunks, &uploads);
	CHECK_INT(chunks, 3);
	CHECK_INT(pb_store_blob_gc(f.s, &deleted, &err), 0);
	CHECK_INT(deleted, 0); /* survives the first run after its put */
	CHECK_INT(pb_store_blob_gc(f.s, &deleted, &err), 0);
	CHECK_INT(deleted, 1);
	counts(f.s, &chunks, &uploads);
	CHECK_INT(chunks, 0);
	char buf[4];
	size_t n;
	uint64_t size;
	CHECK_INT(pb_store_blob_read(f.s, key, 0, buf, 4, &n, &size, &err), 0);
	fx_close(&f);
}

static const struct pb_test_case cases[] = {
	{ "upload_hash_equals_one_shot", test_upload_hash_equals_one_shot },
	{ "structure_parsed_incrementally", test_structure_parsed_incrementally },
	{ "identical_upload_takes_a_reference", test_identical_upload_takes_a_reference },
	{ "ranged_reads", test_ranged_reads },
	{ "abort_and_clean_leave_nothing", test_abort_and_clean_leave_nothing },
	{ "oversize_or_empty_chunk_refused", test_oversize_or_empty_chunk_refused },
	{ "concurrent_commits_store_once", test_concurrent_commits_store_once },
	{ "gc_removes_chunks", test_gc_removes_chunks },
};

PB_TEST_MAIN(cases)
