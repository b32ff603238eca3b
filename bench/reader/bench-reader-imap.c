/*
 * bench-reader-imap.c: what IMAP FETCH and SEARCH cost in the readers, through
 * reader-client.h against one reader shard over a real store:
 *   meta-first   READER_META_REQ over N messages in pages of 256, every meta computed (a
 *                streaming parse and the renderings) and stored: µs per message (the metas
 *                made when the bodies were stored are replaced by stale ones first, as for
 *                mail stored before metas were made at delivery)
 *   meta-cached  the same again, every meta read from the store
 *   search-text  READER_SEARCH_REQ TEXT of a word one message in 100 holds, over the N
 *                messages (asked again from where a reply stopped; the second of two runs):
 *                ms and µs per message
 *   render       in memory, no store: parse only vs parse + mime_meta_build per message (what
 *                making the meta at delivery adds to the spool's parse)
 *   big          the meta of one BIG_MB message (computing, its stored one made stale): ms, and the process's peak RSS
 *                (VmHWM, reset just before) before and after: what the parse held
 * Messages: SIZE octets (default 2048), plain text with quoted-printable and an encoded-word
 * subject every few messages, distinct. Prints figures, asserts nothing.
 *
 * Usage: bench-reader-imap [dir] [N] [SIZE] [BIG_MB]   (defaults: $TMPDIR or /tmp, 10000,
 * 2048, 50). OWNS: a temporary database under dir (removed). THREAD: main plus the shard.
 */
#include "mime-meta.h"
#include "mime-parser.h"
#include "pb-alloc.h"
#include "reader-actor.h"
#include "reader-client.h"
#include "store-bodies.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USER 1

/* Replaces the metas of keys[0..n) (made when their bodies were stored) with stale ones, so
 * the readers compute them. Exits on an error. */
static void stale_metas(struct pb_store *s, char **keys, size_t n)
{
	static const char stale[] = { MIME_META_VERSION - 1 };
	const void *datas[PB_STORE_META_MANY_MAX];
	size_t lens[PB_STORE_META_MANY_MAX];
	const char *error;

	for (size_t i = 0; i < PB_STORE_META_MANY_MAX; i++) {
		datas[i] = stale;
		lens[i] = sizeof(stale);
	}
	for (size_t at = 0; at < n; at += PB_STORE_META_MANY_MAX) {
		size_t k = n - at < PB_STORE_META_MANY_MAX ? n - at : PB_STORE_META_MANY_MAX;
		if (pb_store_blob_meta_put_many(s, (const char *const *)keys + at, datas, lens, k,
						&error) != (long)k)
			exit(1);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

/* Message i: headers, then text lines up to size octets; every 100th holds the word. */
static void make_message(struct pb_buf *b, unsigned i, size_t size)
{
	pb_buf_reset(b);
	pb_buf_printf(b, "Return-Path: <sender%u@example.org>\r\nDate: Mon, 3 Apr 2023 10:%02u:00 "
		      "+0000\r\nFrom: \"Sender %u\" <sender%u@example.org>\r\nTo: user000@local\r\n",
		      i, i % 60, i, i);
	if (i % 3 == 0)
		pb_buf_printf(b, "Subject: =?UTF-8?Q?R=C3=A9union_n=C2=B0%u?=\r\n", i);
	else
		pb_buf_printf(b, "Subject: Weekly report number %u\r\n", i);
	pb_buf_printf(b, "Message-ID: <%u.bench@example.org>\r\nMIME-Version: 1.0\r\n"
		      "Content-Type: text/plain; charset=utf-8\r\n"
		      "Content-Transfer-Encoding: quoted-printable\r\n\r\n", i);
	for (unsigned line = 0; b->len + 80 < size; line++)
		pb_buf_printf(b, "Line %u of message %u: the quick brown fox jumps =C3=A9t=C3=A9 %s\r\n",
			      line, i, i % 100 == 7 && line == 5 ? "xylophone" : "over");
}

struct bench {
	struct pb_runtime *rt;
	struct pb_inbox *in;
	struct pb_sender tx;
};

static int tx_send(void *ctx, const char *to, struct pb_msg *req, const char **error_r)
{
	req->corr = 1;
	pb_str_set(&req->reply_to, "bench.replies");
	return pb_send(ctx, to, req, error_r);
}

/* All metas of keys[0..n), in pages; returns the seconds taken. */
static double run_metas(struct bench *b, char **keys, size_t n)
{
	static struct reader_meta metas[READER_META_MAX];
	double t0 = now_s();
	const char *error;
	struct pb_msg rep;

	for (size_t at = 0; at < n;) {
		size_t page = n - at < READER_META_MAX ? n - at : READER_META_MAX, done = 0;
		if (reader_client_meta_send(&b->tx, USER, (const char *const *)keys + at, page,
					    &error) < 0 || pb_inbox_recv(b->in, &rep, 600000) != 1) {
			fprintf(stderr, "meta request failed\n");
			exit(1);
		}
		if (reader_client_meta_reply(&rep, page, metas, &done) != PB_OK)
			exit(1);
		at += done;
		pb_msg_free(&rep);
	}
	return now_s() - t0;
}

/* SEARCH TEXT over keys[0..n); returns the seconds, *hits_r the messages matched. */
static double run_search(struct bench *b, char **keys, size_t n, size_t *hits_r)
{
	static struct reader_search_hit hits[READER_SEARCH_MAX];
	const struct reader_search_key c = { READER_SEARCH_TEXT, NULL, "XYLOPHONE" };
	double t0 = now_s();
	const char *error;
	struct pb_msg rep;

	*hits_r = 0;
	for (size_t at = 0; at < n;) {
		size_t page = n - at < READER_SEARCH_MAX ? n - at : READER_SEARCH_MAX, done = 0;
		if (reader_client_search_send(&b->tx, USER, (const char *const *)keys + at, page, &c,
					      1, &error) < 0 ||
		    pb_inbox_recv(b->in, &rep, 600000) != 1 ||
		    reader_client_search_reply(&rep, page, hits, &done) != PB_OK)
			exit(1);
		for (size_t i = 0; i < done; i++)
			*hits_r += hits[i].matched != 0;
		at += done;
		pb_msg_free(&rep);
	}
	return now_s() - t0;
}

/* Parse only vs parse + meta per message, in memory. */
static void run_render(size_t n, size_t size)
{
	struct pb_buf m;
	double parse = 0, build = 0;

	pb_buf_init(&m);
	for (unsigned i = 0; i < n; i++) {
		make_message(&m, i, size);
		double t0 = now_s();
		struct mime_message *msg = mime_message_parse(m.data, m.len, NULL);
		double t1 = now_s();
		struct mime_meta meta;
		struct pb_buf enc;
		pb_buf_init(&enc);
		mime_meta_build(msg, m.len, &meta);
		mime_meta_encode(&meta, &enc);
		double t2 = now_s();
		parse += t1 - t0;
		build += t2 - t1;
		mime_meta_deinit(&meta);
		pb_buf_deinit(&enc);
		mime_message_free(&msg);
	}
	printf("render        parse %.2f us/msg, meta build+encode %.2f us/msg\n", parse * 1e6 / n,
	       build * 1e6 / n);
	pb_buf_deinit(&m);
}

/* The process's peak RSS (VmHWM) in kB; reset first (to the current RSS) when asked. */
static long peak_kb(bool reset)
{
	char line[256];
	long kb = -1;
	FILE *f;

	if (reset && (f = fopen("/proc/self/clear_refs", "w")) != NULL) {
		fputs("5", f);
		fclose(f);
	}
	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* One big message (big_mb MiB, a text part and a base64 attachment): its meta computed. */
static void run_big(struct bench *b, struct pb_store *s, size_t big_mb)
{
	struct pb_buf m;
	char key[PB_BLOB_KEY_LEN + 1], *keys[1] = { key };
	const char *error;

	pb_buf_init(&m);
	pb_buf_append_str(&m, "From: a@example.org\r\nSubject: big\r\nContent-Type: multipart/mixed;"
			      " boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
			      "--zz\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: "
			      "base64\r\n\r\n");
	while (m.len < big_mb << 20)
		pb_buf_append_str(&m, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdH"
				      "V2d3h5ejAxMjM0NTY3\r\n");
	pb_buf_append_str(&m, "--zz--\r\n");
	if (pb_store_blob_put(s, m.data, m.len, key, &error) < 0)
		exit(1);
	size_t len = m.len;
	pb_buf_deinit(&m);
	stale_metas(s, keys, 1);
	long before = peak_kb(true);
	double t = run_metas(b, keys, 1);
	printf("big           %zu MB: meta computed in %.1f ms (%.0f MB/s); peak RSS %ld -> %ld kB\n",
	       len >> 20, t * 1e3, (double)len / t / 1e6, before, peak_kb(false));
}

int main(int argc, char **argv)
{
	const char *base = argc > 1 ? argv[1] : getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	size_t size = argc > 3 ? strtoul(argv[3], NULL, 10) : 2048;
	size_t big_mb = argc > 4 ? strtoul(argv[4], NULL, 10) : 50;
	char *dir = xasprintf("%s/pb-bench-reader-XXXXXX", base);
	struct pb_store_options o = { .create_if_missing = true };
	struct pb_store *s = NULL;
	const char *error;
	struct bench b;
	struct pb_buf m;
	char **keys = xcalloc(n, sizeof(char *));

	if (mkdtemp(dir) == NULL || pb_store_open(dir, &o, &s, &error) < 0)
		return 1;
	pb_buf_init(&m);
	for (unsigned i = 0; i < n; i++) {
		keys[i] = xmalloc(PB_BLOB_KEY_LEN + 1);
		make_message(&m, i, size);
		if (pb_store_blob_put(s, m.data, m.len, keys[i], &error) < 0)
			return 1;
	}
	pb_buf_deinit(&m);
	stale_metas(s, keys, n);
	b.rt = pb_runtime_create("bench", NULL);
	if (reader_actors_start(b.rt, s, 1, &error) < 0 ||
	    pb_inbox_open(b.rt, "bench.replies", 8, &b.in, &error) < 0)
		return 1;
	b.tx = (struct pb_sender){ tx_send, b.rt };
	double t1 = run_metas(&b, keys, n), t2 = run_metas(&b, keys, n);
	printf("meta-first    %zu messages of %zu octets: %.1f ms, %.2f us/msg\n", n, size,
	       t1 * 1e3, t1 * 1e6 / n);
	printf("meta-cached   %zu messages: %.1f ms, %.2f us/msg\n", n, t2 * 1e3, t2 * 1e6 / n);
	size_t hits;
	run_search(&b, keys, n, &hits); /* the first run warms the block cache */
	double t3 = run_search(&b, keys, n, &hits);
	printf("search-text   %zu messages: %.1f ms, %.2f us/msg, %zu matched\n", n, t3 * 1e3,
	       t3 * 1e6 / n, hits);
	run_render(n, size);
	if (big_mb > 0)
		run_big(&b, s, big_mb);
	pb_inbox_close(&b.in);
	pb_runtime_destroy(&b.rt);
	pb_store_close(&s);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(dir);
	return 0;
}
