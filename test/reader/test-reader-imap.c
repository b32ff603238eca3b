/*
 * test-reader-imap.c: the reader shards' IMAP requests over a real store, through
 * reader-client.h: metas of every golden message (test/data/mime) equal the Dovecot-checked
 * ENVELOPE / BODYSTRUCTURE / BODY and section ranges of its .ref, both as made when the body
 * was stored and as computed by a reader (the lazy path, for bodies stored before); a stale
 * meta is computed again; the meta goes with its body at GC; HEADER.FIELDS filtering; search
 * on QP, base64, charset-encoded bodies and encoded-word subjects (and across the streaming
 * cut); limits (a huge header, deep nesting); a batch with a missing key; the per-request
 * budget (a prefix).
 */
#include "pb-test.h"
#include "store-bodies.h"
#include "pb-test-files.h"
#include "pb-test-store.h"
#include "mime-meta.h"
#include "reader-actor.h"
#include "reader-client.h"

#include <dirent.h>

#define USER 7

struct env {
	char *dir;
	struct pb_store *store;
	struct pb_runtime *rt;
	struct pb_inbox *in;
	struct pb_sender tx;
	struct pb_msg rep; /* the last reply (freed by the next call) */
};

static int tx_send(void *ctx, const char *to, struct pb_msg *req, const char **error_r)
{
	req->corr = 99;
	pb_str_set(&req->reply_to, "test.replies");
	return pb_send(ctx, to, req, error_r);
}

static void env_open(struct env *e)
{
	const char *error;

	memset(e, 0, sizeof(*e));
	e->dir = store_test_tmpdir("reader-imap");
	e->store = store_test_open(e->dir);
	e->rt = pb_runtime_create("t", NULL);
	if (reader_actors_start(e->rt, e->store, 2, &error) < 0)
		PANIC("start: %s", error);
	if (pb_inbox_open(e->rt, "test.replies", 8, &e->in, &error) < 0)
		PANIC("inbox: %s", error);
	e->tx = (struct pb_sender){ tx_send, e->rt };
}

static void env_close(struct env *e)
{
	pb_msg_free(&e->rep);
	pb_inbox_close(&e->in);
	pb_runtime_destroy(&e->rt);
	store_test_done(&e->store, &e->dir);
}

/* Waits for the reply of the request just sent into e->rep. */
static void env_reply(struct env *e)
{
	pb_msg_free(&e->rep);
	REQUIRE(pb_inbox_recv(e->in, &e->rep, 30000) == 1);
	CHECK_INT(e->rep.corr, 99);
}

static void put(struct env *e, const char *body, size_t len, char key_r[PB_BLOB_KEY_LEN + 1])
{
	const char *error;

	if (pb_store_blob_put(e->store, body, len, key_r, &error) < 0)
		PANIC("put: %s", error);
}

/* Replaces the metas of keys[0..n) (made when their bodies were stored) with stale ones,
 * as a body stored before metas were made at delivery, or by an older MIME_META_VERSION, has:
 * the readers compute them. One write batch. */
static void make_stale(struct env *e, const char *const *keys, size_t n)
{
	static const char stale[] = { MIME_META_VERSION - 1, 'o', 'l', 'd' };
	const void **datas = xcalloc(n, sizeof(*datas));
	size_t *lens = xcalloc(n, sizeof(*lens));
	const char *error;

	for (size_t i = 0; i < n; i++) {
		datas[i] = stale;
		lens[i] = sizeof(stale);
	}
	REQUIRE(pb_store_blob_meta_put_many(e->store, keys, datas, lens, n, &error) == (long)n);
	free(datas);
	free(lens);
}

/* The metas of keys[0..n), all answered in one reply. */
static void metas(struct env *e, const char *const *keys, size_t n, struct reader_meta *m_r)
{
	const char *error;
	size_t done = 0;

	REQUIRE(reader_client_meta_send(&e->tx, USER, keys, n, &error) == 0);
	env_reply(e);
	REQUIRE(reader_client_meta_reply(&e->rep, n, m_r, &done) == PB_OK);
	REQUIRE(done == n);
}

/* One section (fields: NULL-terminated or NULL). */
static struct reader_section section(struct env *e, const char *key, const char *spec,
				     const char *const *fields)
{
	struct reader_section_ask ask = { key, spec, fields, 0 };
	struct reader_section r;
	const char *error;
	size_t done = 0;

	while (fields != NULL && fields[ask.n_fields] != NULL)
		ask.n_fields++;
	if (reader_client_section_send(&e->tx, USER, &ask, 1, &error) < 0)
		PANIC("section send: %s", error);
	env_reply(e);
	if (reader_client_section_reply(&e->rep, 1, &r, &done) != PB_OK || done != 1)
		PANIC("section %s: no answer", spec);
	return r;
}

/* ---- golden messages ---- */

/* value with each CRLF written <CRLF>, as the .ref files write literals */
static char *crlf_marked(const char *value)
{
	struct pb_buf b;

	pb_buf_init(&b);
	for (; *value != '\0'; value++) {
		if (value[0] == '\r' && value[1] == '\n') {
			pb_buf_append_str(&b, "<CRLF>");
			value++;
		} else {
			pb_buf_append_c(&b, *value);
		}
	}
	return pb_buf_steal(&b, NULL);
}

static void check_rendering(const char *got, const char *line, const char *name)
{
	char *marked = crlf_marked(got);

	if (strcmp(marked, line) != 0)
		fprintf(stderr, "%s: got %s\n", name, marked);
	CHECK_STR(marked, line);
	free(marked);
}

/* A "SECTION spec offset size vsize" or "SECTION spec none" line against the reader. */
static void check_section_line(struct env *e, const char *key, const char *rest)
{
	char spec[512], tail[64];
	unsigned long long off, size, vsize;

	if (sscanf(rest, "%511s %63s", spec, tail) != 2)
		return;
	struct reader_section r = section(e, key, strcmp(spec, "[]") == 0 ? "" : spec, NULL);
	CHECK_INT(r.code, PB_OK);
	if (strcmp(tail, "none") == 0) {
		CHECK(!r.exists);
		return;
	}
	REQUIRE(sscanf(rest, "%511s %llu %llu %llu", spec, &off, &size, &vsize) == 4);
	CHECK(r.exists);
	CHECK_INT(r.offset, off);
	CHECK_INT(r.size, size);
	CHECK_INT(r.virtual_size, vsize);
}

/* The golden message's meta as made when it was stored, or (lazy) computed by the reader. */
static void check_golden(struct env *e, const char *name, const struct pb_buf *eml,
			 const struct pb_buf *ref, bool lazy)
{
	char key[PB_BLOB_KEY_LEN + 1];
	const char *keys[1] = { key };
	struct reader_meta m;
	char *text = xstrndup(ref->data, ref->len), *save = NULL;

	put(e, eml->data, eml->len, key);
	if (lazy)
		make_stale(e, keys, 1);
	metas(e, keys, 1, &m);
	REQUIRE(m.code == PB_OK);
	CHECK_INT(m.size, eml->len);
	char *env = xstrdup(m.envelope), *bs = xstrdup(m.bodystructure), *body = xstrdup(m.body);
	for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "ENVELOPE ", 9) == 0)
			check_rendering(env, l + 9, name);
		else if (strncmp(l, "BODYSTRUCTURE ", 14) == 0)
			check_rendering(bs, l + 14, name);
		else if (strncmp(l, "BODY ", 5) == 0)
			check_rendering(body, l + 5, name);
		else if (strncmp(l, "SECTION ", 8) == 0)
			check_section_line(e, key, l + 8);
	}
	free(env);
	free(bs);
	free(body);
	free(text);
}

static void test_golden_metas(void)
{
	struct env e;
	DIR *d = opendir(MIME_TEST_DATA_DIR);
	struct dirent *de;
	int n = 0;

	REQUIRE(d != NULL);
	env_open(&e);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".eml") != 0)
			continue;
		struct pb_buf eml, ref;
		pb_buf_init(&eml);
		pb_buf_init(&ref);
		char *p = xasprintf("%s/%s", MIME_TEST_DATA_DIR, de->d_name);
		REQUIRE(pb_test_read_file(p, &eml) == 0);
		strcpy(p + strlen(p) - 4, ".ref");
		REQUIRE(pb_test_read_file(p, &ref) == 0);
		for (int lazy = 0; lazy < 2 && eml.len > 0; lazy++) /* 0 octets: not stored */
			check_golden(&e, de->d_name, &eml, &ref, lazy == 1);
		n += eml.len > 0;
		free(p);
		pb_buf_deinit(&eml);
		pb_buf_deinit(&ref);
	}
	closedir(d);
	CHECK(n >= 20);
	env_close(&e);
}

/* ---- lifetime ---- */

static const char small_msg[] = "From: A <a@example.org>\r\nSubject: hello\r\n\r\nbody\r\n";

/* A stale meta (another version) is computed again and replaced; a second request is
 * served from the stored one, which the store now holds. */
static void test_stale_meta_recomputed(void)
{
	struct env e;
	char key[PB_BLOB_KEY_LEN + 1];
	const char *keys[1] = { key }, *error;
	struct reader_meta m;
	struct pb_buf val;
	const char stale[] = { MIME_META_VERSION - 1, 'o', 'l', 'd' };

	env_open(&e);
	pb_buf_init(&val);
	put(&e, small_msg, sizeof(small_msg) - 1, key);
	CHECK_INT(pb_store_blob_meta_get(e.store, key, &val, &error), 1); /* made with the body */
	REQUIRE(pb_store_blob_meta_put(e.store, key, stale, sizeof(stale), &error) == 1);
	metas(&e, keys, 1, &m);
	CHECK_INT(m.code, PB_OK);
	CHECK(strstr(m.envelope, "\"hello\"") != NULL);
	CHECK_INT(m.size, sizeof(small_msg) - 1);
	REQUIRE(pb_store_blob_meta_get(e.store, key, &val, &error) == 1);
	CHECK_INT((uint8_t)val.data[0], MIME_META_VERSION);
	CHECK(val.len > sizeof(stale));
	metas(&e, keys, 1, &m); /* from the stored meta */
	CHECK(strstr(m.envelope, "\"hello\"") != NULL);
	pb_buf_deinit(&val);
	env_close(&e);
}

/* The meta goes with its body: GC deletes both; no meta is kept for a body that is gone. */
static void test_meta_dropped_with_body(void)
{
	struct env e;
	char key[PB_BLOB_KEY_LEN + 1];
	const char *keys[1] = { key }, *error;
	struct reader_meta m;
	struct pb_buf val;
	uint64_t deleted = 0;

	env_open(&e);
	pb_buf_init(&val);
	put(&e, small_msg, sizeof(small_msg) - 1, key); /* no reference: GC takes it */
	metas(&e, keys, 1, &m);
	REQUIRE(m.code == PB_OK);
	CHECK_INT(pb_store_blob_meta_get(e.store, key, &val, &error), 1);
	REQUIRE(pb_store_blob_gc(e.store, &deleted, &error) == 0);
	REQUIRE(pb_store_blob_gc(e.store, &deleted, &error) == 0);
	CHECK_INT(deleted, 1);
	CHECK_INT(pb_store_blob_meta_get(e.store, key, &val, &error), 0);
	CHECK_INT(pb_store_blob_meta_put(e.store, key, "x", 1, &error), 0);
	CHECK_INT(pb_store_blob_meta_get(e.store, key, &val, &error), 0);
	metas(&e, keys, 1, &m);
	CHECK_INT(m.code, PB_ERR_NOTFOUND);
	pb_buf_deinit(&val);
	env_close(&e);
}

/* ---- sections ---- */

static const char nested_msg[] =
	"From: a@example.org\r\nSubject: nested\r\nX-Junk: 1\r\n"
	"Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n"
	"--o\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
	"--o\r\nContent-Type: multipart/alternative; boundary=\"i\"\r\n\r\n"
	"--i\r\nContent-Type: text/plain\r\n\r\ninner plain\r\n"
	"--i\r\nContent-Type: text/html\r\n\r\n<p>inner</p>\r\n"
	"--i--\r\n"
	"--o--\r\n";

static void check_range(const struct reader_section *r, const char *msg, const char *want)
{
	CHECK_INT(r->code, PB_OK);
	CHECK(r->exists);
	CHECK(r->size == strlen(want) && memcmp(msg + r->offset, want, r->size) == 0);
}

static void test_sections_nested(void)
{
	struct env e;
	char key[PB_BLOB_KEY_LEN + 1];
	const char *fields[] = { "subject", "FROM", NULL };

	env_open(&e);
	put(&e, nested_msg, sizeof(nested_msg) - 1, key);
	struct reader_section r = section(&e, key, "2.2", NULL);
	check_range(&r, nested_msg, "<p>inner</p>");
	r = section(&e, key, "2.1.MIME", NULL);
	check_range(&r, nested_msg, "Content-Type: text/plain\r\n\r\n");
	r = section(&e, key, "1", NULL);
	check_range(&r, nested_msg, "first");
	r = section(&e, key, "2.3", NULL);
	CHECK(r.code == PB_OK && !r.exists);
	r = section(&e, key, "1..2", NULL);
	CHECK_INT(r.code, PB_ERR_REFUSED);
	r = section(&e, key, "HEADER.FIELDS", fields);
	CHECK(r.code == PB_OK && r.exists && r.filtered);
	const char want[] = "From: a@example.org\r\nSubject: nested\r\n\r\n";
	CHECK(r.len == sizeof(want) - 1 && memcmp(r.data, want, r.len) == 0);
	CHECK_INT(r.virtual_size, sizeof(want) - 1);
	r = section(&e, key, "HEADER.FIELDS.NOT", fields);
	CHECK(r.filtered && r.len > 0 && memmem(r.data, r.len, "X-Junk: 1", 9) != NULL);
	CHECK(memmem(r.data, r.len, "Subject", 7) == NULL);
	env_close(&e);
}

/* ---- search ---- */

static const char qp_msg[] =
	"From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.org>\r\nTo: team@example.org\r\n"
	"Subject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=\r\n"
	"Content-Type: text/plain; charset=iso-8859-1\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	"Sch=F6ne Gr=FC=DFe, die Stra=DFe ist la=\r\nng.\r\n";

static const char b64_msg[] =
	"From: b@example.org\r\nSubject: plain subject\r\n"
	"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	"--b\r\nContent-Type: text/plain; charset=windows-1251\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n"
	"z/Do4uXyLCDs6PAh\r\n" /* "Привет, мир!" in windows-1251 */
	"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	"c2VjcmV0d29yZA==\r\n" /* "secretword": not a text part */
	"--b--\r\n";

/* Searches keys[0..n) with criteria; returns the matched bits of each in bits_r. */
static void search(struct env *e, const char *const *keys, size_t n,
		   const struct reader_search_key *c, size_t nc, uint64_t *bits_r)
{
	struct reader_search_hit hits[8];
	const char *error;
	size_t done = 0;

	REQUIRE(n <= 8);
	REQUIRE(reader_client_search_send(&e->tx, USER, keys, n, c, nc, &error) == 0);
	env_reply(e);
	REQUIRE(reader_client_search_reply(&e->rep, n, hits, &done) == PB_OK && done == n);
	for (size_t i = 0; i < n; i++)
		bits_r[i] = hits[i].code == PB_OK ? hits[i].matched : UINT64_MAX;
}

static void test_search_decoded(void)
{
	struct env e;
	char k1[PB_BLOB_KEY_LEN + 1], k2[PB_BLOB_KEY_LEN + 1], missing[PB_BLOB_KEY_LEN + 1];
	const char *keys[3] = { k1, missing, k2 };
	uint64_t bits[3];
	const struct reader_search_key c[] = {
		{ READER_SEARCH_BODY, NULL, "SCHÖNE grüße" },     /* 0: QP + latin-1 */
		{ READER_SEARCH_SUBJECT, NULL, "grüße aus köln" }, /* 1: encoded word */
		{ READER_SEARCH_FROM, NULL, "jürgen" },            /* 2 */
		{ READER_SEARCH_BODY, NULL, "lang." },             /* 3: across a soft break */
		{ READER_SEARCH_TEXT, NULL, "привет, МИР" },        /* 4: base64 + cp1251 */
		{ READER_SEARCH_TEXT, NULL, "secretword" },        /* 5: not text */
		{ READER_SEARCH_HEADER, "to", "" },                /* 6: the field exists */
		{ READER_SEARCH_TEXT, NULL, "PLAIN SUBJECT" },     /* 7: TEXT sees the header */
		{ READER_SEARCH_CC, NULL, "" },                    /* 8: no Cc field */
	};

	env_open(&e);
	put(&e, qp_msg, sizeof(qp_msg) - 1, k1);
	put(&e, b64_msg, sizeof(b64_msg) - 1, k2);
	memset(missing, 'c', PB_BLOB_KEY_LEN);
	missing[PB_BLOB_KEY_LEN] = '\0';
	search(&e, keys, 3, c, PB_N_ELEMENTS(c), bits);
	CHECK_INT(bits[0], 0x4F);  /* 0 1 2 3 6 */
	CHECK_INT(bits[1], UINT64_MAX); /* NOTFOUND, and the batch goes on */
	CHECK_INT(bits[2], 0x90);  /* 4 7 */
	env_close(&e);
}

/* A word that the streaming cut (every 64 KiB of a part) falls inside is still found: a
 * base64 body of 300 KiB with the word at several places. */
static void test_search_across_pieces(void)
{
	struct env e;
	char key[PB_BLOB_KEY_LEN + 1];
	const char *keys[1] = { key }, *error;
	struct pb_buf plain, msg;
	uint64_t bits;
	const struct reader_search_key c[] = { { READER_SEARCH_BODY, NULL, "needle-in-haystack" },
					       { READER_SEARCH_BODY, NULL, "absent-word" } };

	pb_buf_init(&plain);
	pb_buf_init(&msg);
	for (int i = 0; plain.len < 300 * 1024; i++)
		pb_buf_printf(&plain, i % 997 == 996 ? "needle-in-haystack " : "hay%d ", i);
	pb_buf_append_str(&msg, "Subject: big\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	/* base64 in 76-column lines through the codec under test's counterpart */
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)plain.data;
	for (size_t i = 0, col = 0; i < plain.len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < plain.len ? p[i + 1] << 8 : 0) |
			     (i + 2 < plain.len ? p[i + 2] : 0);
		char q[4] = { tbl[v >> 18], tbl[(v >> 12) & 63],
			      i + 1 < plain.len ? tbl[(v >> 6) & 63] : '=',
			      i + 2 < plain.len ? tbl[v & 63] : '=' };
		pb_buf_append(&msg, q, 4);
		if ((col += 4) == 76) {
			pb_buf_append_str(&msg, "\r\n");
			col = 0;
		}
	}
	env_open(&e);
	put(&e, msg.data, msg.len, key);
	search(&e, keys, 1, c, 2, &bits);
	CHECK_INT(bits, 1);
	(void)error;
	/* One 700 KiB line: with no line break the text is cut where it stands, at the end of
	 * the second piece read (READER_PIECE each); the word straddles that cut. */
	pb_buf_reset(&msg);
	pb_buf_append_str(&msg, "Subject: one line\r\n\r\n");
	while (msg.len < 700 * 1024)
		pb_buf_append_c(&msg, 'h');
	memcpy(msg.data + 2 * 256 * 1024 - 9, "needle-in-haystack", 18);
	put(&e, msg.data, msg.len, key);
	search(&e, keys, 1, c, 2, &bits);
	CHECK_INT(bits, 1);
	pb_buf_deinit(&plain);
	pb_buf_deinit(&msg);
	env_close(&e);
}

/* The metas a request computes (bodies stored before metas were made at delivery: stale
 * ones stand for them) are kept in one write batch for the whole range, not one write per
 * body; a second request computes none. */
static void test_metas_kept_in_one_batch(void)
{
	enum { N = 40 };
	struct env e;
	char keys_buf[N][PB_BLOB_KEY_LEN + 1];
	const char *keys[N];
	struct reader_meta m[N];
	struct pb_buf val;
	const char *error;

	env_open(&e);
	pb_buf_init(&val);
	for (int i = 0; i < N; i++) {
		char body[128];
		int len = snprintf(body, sizeof(body), "Subject: message %d\r\n\r\nbody %d\r\n", i, i);
		put(&e, body, (size_t)len, keys_buf[i]);
		keys[i] = keys_buf[i];
	}
	make_stale(&e, keys, N);
	uint64_t before = pb_store_meta_batches(e.store);
	metas(&e, keys, N, m);
	CHECK_INT(pb_store_meta_batches(e.store) - before, 1);
	for (int i = 0; i < N; i++) {
		char want[32];
		snprintf(want, sizeof(want), "\"message %d\"", i);
		CHECK_INT(m[i].code, PB_OK);
		CHECK(strstr(m[i].envelope, want) != NULL);
		pb_buf_reset(&val);
		CHECK_INT(pb_store_blob_meta_get(e.store, keys[i], &val, &error), 1);
	}
	metas(&e, keys, N, m); /* all from the stored metas: nothing written */
	CHECK_INT(pb_store_meta_batches(e.store) - before, 1);
	/* the store's batch skips an unknown body and a malformed key, and writes the rest */
	char missing[PB_BLOB_KEY_LEN + 1];
	memset(missing, 'd', PB_BLOB_KEY_LEN);
	missing[PB_BLOB_KEY_LEN] = '\0';
	const char *some[3] = { missing, "zz", keys[0] };
	const void *datas[3] = { "a", "b", "c" };
	size_t lens[3] = { 1, 1, 1 };
	CHECK_INT(pb_store_blob_meta_put_many(e.store, some, datas, lens, 3, &error), 1);
	CHECK_INT(pb_store_meta_batches(e.store) - before, 2);
	CHECK_INT(pb_store_blob_meta_get(e.store, missing, &val, &error), 0);
	pb_buf_reset(&val);
	CHECK_INT(pb_store_blob_meta_get(e.store, keys[0], &val, &error), 1);
	CHECK(val.len == 1 && val.data[0] == 'c');
	pb_buf_deinit(&val);
	env_close(&e);
}

/* ---- limits ---- */

static void test_limits(void)
{
	struct env e;
	char k1[PB_BLOB_KEY_LEN + 1], k2[PB_BLOB_KEY_LEN + 1], missing[PB_BLOB_KEY_LEN + 1];
	const char *keys[3] = { k1, missing, k2 };
	struct reader_meta m[3];
	struct pb_buf huge, deep;

	pb_buf_init(&huge);
	pb_buf_init(&deep);
	pb_buf_append_str(&huge, "Subject: first\r\n");
	while (huge.len < 3 * 1024 * 1024)
		pb_buf_append_str(&huge, "X-Filler: 0123456789012345678901234567890123456789\r\n");
	pb_buf_append_str(&huge, "From: late@example.org\r\n\r\nbody\r\n");
	for (int i = 0; i < 300; i++)
		pb_buf_printf(&deep, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n",
			      i, i);
	pb_buf_append_str(&deep, "Content-Type: text/plain\r\n\r\ndeep\r\n");
	env_open(&e);
	put(&e, huge.data, huge.len, k1);
	put(&e, deep.data, deep.len, k2);
	memset(missing, 'd', PB_BLOB_KEY_LEN);
	missing[PB_BLOB_KEY_LEN] = '\0';
	metas(&e, keys, 3, m);
	CHECK_INT(m[0].code, PB_OK);
	CHECK(strstr(m[0].envelope, "\"first\"") != NULL);
	CHECK(strstr(m[0].envelope, "late") == NULL); /* beyond the header limit */
	CHECK_INT(m[0].header_size, huge.len - 6);
	CHECK_INT(m[1].code, PB_ERR_NOTFOUND);
	CHECK_INT(m[2].code, PB_OK);
	CHECK(strlen(m[2].bodystructure) > 0);
	struct reader_section r = section(&e, k2, "1.1.1.1.1", NULL);
	CHECK(r.code == PB_OK && r.exists);
	r = section(&e, k1, "HEADER.FIELDS", (const char *[]){ "subject", "from", NULL });
	CHECK(r.code == PB_OK && r.filtered);
	CHECK(r.len == strlen("Subject: first\r\n\r\n") && memcmp(r.data, "Subject: first", 14) == 0);
	pb_buf_deinit(&huge);
	pb_buf_deinit(&deep);
	env_close(&e);
}

/* Over budget, a reply answers a prefix: 6 bodies of 4 MiB against a 16 MiB search budget;
 * the caller asks again from where it stopped. The stubs refuse bad requests unsent. */
static void test_budget_prefix(void)
{
	struct env e;
	char keys_buf[6][PB_BLOB_KEY_LEN + 1];
	const char *keys[6], *error;
	size_t len = 4u << 20, done = 0, total = 0;
	char *body = xmalloc(len);
	struct reader_search_hit hits[6];
	const struct reader_search_key c = { READER_SEARCH_BODY, NULL, "zzzz-not-there" };

	env_open(&e);
	for (unsigned i = 0; i < 6; i++) {
		store_test_body(body, len, i + 1);
		put(&e, body, len, keys_buf[i]);
		keys[i] = keys_buf[i];
	}
	while (total < 6) {
		REQUIRE(reader_client_search_send(&e.tx, USER, keys + total, 6 - total, &c, 1,
						  &error) == 0);
		env_reply(&e);
		REQUIRE(reader_client_search_reply(&e.rep, 6 - total, hits, &done) == PB_OK);
		CHECK(done >= 1 && (total > 0 || done < 6));
		for (size_t i = 0; i < done; i++)
			CHECK(hits[i].code == PB_OK && hits[i].matched == 0);
		total += done;
	}
	CHECK_INT(total, 6);
	const struct reader_search_key bad = { READER_SEARCH_HEADER, NULL, "x" };
	CHECK_INT(reader_client_search_send(&e.tx, USER, keys, 1, &bad, 1, &error), -1);
	CHECK_INT(reader_client_meta_send(&e.tx, USER, keys, 0, &error), -1);
	CHECK_INT(pb_inbox_recv(e.in, &e.rep, 0), 0);
	free(body);
	env_close(&e);
}

/* The ENVELOPE and sizes of an answer, as one line. */
static char *meta_line(const struct reader_meta *m)
{
	return xasprintf("%s %llu %llu %llu %llu %llu %llu", m->envelope,
			 (unsigned long long)m->size, (unsigned long long)m->virtual_size,
			 (unsigned long long)m->header_size,
			 (unsigned long long)m->header_virtual_size,
			 (unsigned long long)m->body_virtual_size, (unsigned long long)m->body_lines);
}

/* ENVELOPE-only answers, computed, then from the shard's cache, then a request whose first
 * keys are cached and the rest not (answered as a prefix, the rest asked again): each the same
 * sizes and ENVELOPE as the full meta, no BODYSTRUCTURE, BODY or part tree. */
static void test_envelopes_cached(void)
{
	struct env e;
	char keys_buf[5][PB_BLOB_KEY_LEN + 1], body[128];
	const char *keys[5], *error;
	struct reader_meta full[5], env[5];
	char *got[5];
	size_t done = 0, total = 0;

	env_open(&e);
	for (unsigned i = 0; i < 5; i++) {
		snprintf(body, sizeof(body), "From: a@example.org\r\nSubject: s%u\r\n\r\nb%u\r\n", i, i);
		put(&e, body, strlen(body), keys_buf[i]);
		keys[i] = keys_buf[i];
	}
	for (int round = 0; round < 2; round++) { /* computed, then from the cache */
		REQUIRE(reader_client_meta_send_envelopes(&e.tx, USER, keys, 2, &error) == 0);
		env_reply(&e);
		REQUIRE(reader_client_meta_reply(&e.rep, 2, env, &done) == PB_OK);
		CHECK_INT(done, 2);
		CHECK(strstr(env[1].envelope, "\"s1\"") != NULL);
	}
	while (total < 5) { /* 0 and 1 cached, 2 to 4 not */
		REQUIRE(reader_client_meta_send_envelopes(&e.tx, USER, keys + total, 5 - total,
							  &error) == 0);
		env_reply(&e);
		REQUIRE(reader_client_meta_reply(&e.rep, 5 - total, env, &done) == PB_OK);
		CHECK(done >= 1);
		for (size_t i = 0; i < done; i++) {
			CHECK_STR(env[i].bodystructure, "");
			CHECK_INT(env[i].parts_len, 0);
			got[total + i] = meta_line(&env[i]);
		}
		total += done;
	}
	CHECK_INT(total, 5);
	metas(&e, keys, 5, full);
	for (unsigned i = 0; i < 5; i++) {
		char *want = meta_line(&full[i]);
		CHECK_STR(got[i], want);
		free(want);
		free(got[i]);
	}
	env_close(&e);
}

static const struct pb_test_case cases[] = {
	{ "golden_metas", test_golden_metas },
	{ "stale_meta_recomputed", test_stale_meta_recomputed },
	{ "meta_dropped_with_body", test_meta_dropped_with_body },
	{ "metas_kept_in_one_batch", test_metas_kept_in_one_batch },
	{ "sections_nested", test_sections_nested },
	{ "search_decoded", test_search_decoded },
	{ "search_across_pieces", test_search_across_pieces },
	{ "limits", test_limits },
	{ "budget_prefix", test_budget_prefix },
	{ "envelopes_cached", test_envelopes_cached },
};

PB_TEST_MAIN(cases)
