/*
 * bench-mime-parse.c: parse throughput of pb_mime on a mixed corpus, in MB/s.
 *
 * The corpus is generated (deterministic PRNG) from the shapes a mail server sees: plain
 * text with a long Received chain, multipart/alternative text + HTML in quoted-printable,
 * attachments in base64 (up to 2 MB), multipart/related newsletters with inline images,
 * forwards with nested message/rfc822. .eml files named on the command line (or every
 * .eml in a directory) are added to it.
 *
 * Usage: bench-mime-parse [--size MB] [--seconds S] [path.eml | dir]...
 * Prints one line per measurement: whole-message parse, streaming parse in 4 KiB feeds,
 * parse + ENVELOPE + BODYSTRUCTURE, structure encode + decode, then the whole-message
 * parse of each kind of message alone (byte-weighted MB/s favours big attachments).
 * OWNS its corpus. THREAD: main only.
 */
#include "mime-imap.h"
#include "mime-parser.h"
#include "mime-structure.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct corpus {
	struct pb_buf *msgs;
	int *kinds; /* 0..4 generated, 5 loaded from a file */
	size_t n, cap, bytes;
};

static const char *const kind_names[] = { "plain text", "multipart/alternative",
					  "base64 attachment", "newsletter (related)",
					  "forward (message/rfc822)", "files given" };

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct pb_buf *corpus_add(struct corpus *c, int kind)
{
	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 256 : c->cap * 2;
		c->msgs = xrealloc(c->msgs, sizeof(*c->msgs) * c->cap);
		c->kinds = xrealloc(c->kinds, sizeof(*c->kinds) * c->cap);
	}
	pb_buf_init(&c->msgs[c->n]);
	c->kinds[c->n] = kind;
	return &c->msgs[c->n++];
}

static void gen_headers(struct pb_buf *m, int id, const char *subject, const char *ctype)
{
	int hops = 2 + (int)rnd(6);
	for (int i = 0; i < hops; i++)
		pb_buf_printf(m, "Received: from relay%d.example.net (relay%d.example.net [192.0.2.%d])\r\n"
				 "\tby mx%d.example.com (Postfix) with ESMTPS id %08X\r\n"
				 "\tfor <user%d@example.com>; Tue, 14 Mar 2023 09:%02d:44 +0100\r\n",
			      i, i, i + 1, i, rnd(0xFFFFFFF), id, i);
	pb_buf_printf(m, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s1;\r\n"
			 "\th=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
			 "\tb=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSwganVzdCBiZW5jaCBmaWxsZXIgdGV4dA==\r\n");
	pb_buf_printf(m, "From: =?utf-8?Q?Sender_N=C2=B0%d?= <sender%d@example.org>\r\n"
			 "To: \"User %d\" <user%d@example.com>, team@example.com\r\n"
			 "Subject: %s %d\r\nDate: Tue, 14 Mar 2023 09:12:40 +0100\r\n"
			 "Message-ID: <%d.%08X@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: %s\r\n\r\n",
		      id, id, id, id, subject, id, id, rnd(0xFFFFFFF), ctype);
}

static void gen_text(struct pb_buf *m, size_t bytes, bool qp)
{
	static const char *const words[] = { "the", "quarterly", "numbers", "are", "in", "caf=C3=A9",
					     "meeting", "tomorrow", "at", "ten", "please", "review" };
	size_t start = m->len, col = 0;
	while (m->len - start < bytes) {
		const char *w = words[rnd(PB_N_ELEMENTS(words))];
		if (!qp && strchr(w, '=') != NULL)
			w = "cafe";
		pb_buf_append_str(m, w);
		col += strlen(w) + 1;
		if (col > 70) {
			pb_buf_append_str(m, qp && rnd(4) == 0 ? "=\r\n" : "\r\n");
			col = 0;
		} else {
			pb_buf_append_c(m, ' ');
		}
	}
	pb_buf_append_str(m, "\r\n");
}

static void gen_base64(struct pb_buf *m, size_t bytes)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < bytes; i++) {
		pb_buf_append_c(m, alphabet[rnd(64)]);
		if (i % 76 == 75)
			pb_buf_append_str(m, "\r\n");
	}
	pb_buf_append_str(m, "\r\n");
}

static void gen_alternative(struct pb_buf *m, int id, size_t bytes)
{
	pb_buf_printf(m, "--alt%d\r\nContent-Type: text/plain; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: quoted-printable\r\n\r\n", id);
	gen_text(m, bytes / 3, true);
	pb_buf_printf(m, "--alt%d\r\nContent-Type: text/html; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: quoted-printable\r\n\r\n<html><body><p>", id);
	gen_text(m, bytes * 2 / 3, true);
	pb_buf_printf(m, "</p></body></html>\r\n--alt%d--\r\n", id);
}

static void gen_message(struct pb_buf *m, int id, int kind)
{
	char ct[160];
	switch (kind) {
	case 0: /* plain text */
		gen_headers(m, id, "Plain", "text/plain; charset=utf-8; format=flowed");
		gen_text(m, 2000 + rnd(18000), false);
		break;
	case 1: /* alternative */
		snprintf(ct, sizeof(ct), "multipart/alternative; boundary=\"alt%d\"", id);
		gen_headers(m, id, "Alternative", ct);
		gen_alternative(m, id, 10000 + rnd(50000));
		break;
	case 2: /* attachment */
		snprintf(ct, sizeof(ct), "multipart/mixed; boundary=\"----=_Part_%d_%u\"", id, rnd(99999));
		gen_headers(m, id, "Attachment", ct);
		const char *b = strstr(ct, "----");
		size_t blen = strlen(b) - 1;
		pb_buf_printf(m, "--%.*s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", (int)blen, b);
		gen_text(m, 800, false);
		pb_buf_printf(m, "--%.*s\r\nContent-Type: application/pdf; name=\"report-%d.pdf\"\r\n"
				 "Content-Disposition: attachment; filename=\"report-%d.pdf\"\r\n"
				 "Content-Transfer-Encoding: base64\r\n\r\n", (int)blen, b, id, id);
		gen_base64(m, 50000 + rnd(2000000));
		pb_buf_printf(m, "--%.*s--\r\n", (int)blen, b);
		break;
	case 3: /* newsletter with inline images */
		snprintf(ct, sizeof(ct), "multipart/related; boundary=\"rel%d\"; type=\"multipart/alternative\"", id);
		gen_headers(m, id, "Newsletter", ct);
		pb_buf_printf(m, "--rel%d\r\nContent-Type: multipart/alternative; boundary=\"alt%d\"\r\n\r\n", id, id);
		gen_alternative(m, id, 30000);
		for (int i = 0, n = 2 + (int)rnd(6); i < n; i++) {
			pb_buf_printf(m, "--rel%d\r\nContent-Type: image/png; name=\"img%d.png\"\r\n"
					 "Content-ID: <img%d.%d@example.org>\r\nContent-Disposition: inline\r\n"
					 "Content-Transfer-Encoding: base64\r\n\r\n", id, i, i, id);
			gen_base64(m, 5000 + rnd(80000));
		}
		pb_buf_printf(m, "--rel%d--\r\n", id);
		break;
	default: /* forward with nested message/rfc822 */
		snprintf(ct, sizeof(ct), "multipart/mixed; boundary=\"fwd%d\"", id);
		gen_headers(m, id, "Fwd", ct);
		pb_buf_printf(m, "--fwd%d\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n\r\n"
				 "--fwd%d\r\nContent-Type: message/rfc822\r\n\r\n", id, id);
		gen_message(m, id + 1000000, (int)rnd(2) + 1);
		pb_buf_printf(m, "--fwd%d--\r\n", id);
		break;
	}
}

static void load_file(struct corpus *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (f == NULL)
		return;
	struct pb_buf *m = corpus_add(c, 5);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		pb_buf_append(m, chunk, n);
	fclose(f);
	c->bytes += m->len;
}

static void load_path(struct corpus *c, const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char full[4096];

	if (d == NULL) {
		load_file(c, path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".eml") == 0) {
			snprintf(full, sizeof(full), "%s/%s", path, de->d_name);
			load_file(c, full);
		}
	}
	closedir(d);
}

static const size_t weights[] = { 40, 30, 10, 10, 10 }; /* percent of messages per kind */

static void generate(struct corpus *c, size_t target)
{
	for (int id = 0; c->bytes < target; id++) {
		uint32_t r = rnd(100), acc = 0;
		int kind = 0;
		for (; kind < 4; kind++) {
			acc += (uint32_t)weights[kind];
			if (r < acc)
				break;
		}
		struct pb_buf *m = corpus_add(c, kind);
		gen_message(m, id, kind);
		c->bytes += m->len;
	}
}

/* mode 0: one feed; 1: 4 KiB feeds; 2: parse + render; 3: structure encode + decode */
static size_t run_once(const struct corpus *c, int mode, struct pb_buf *scratch)
{
	size_t parts = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct pb_buf *m = &c->msgs[i];
		struct mime_message *msg;
		if (mode == 1) {
			struct mime_parser *p = mime_parser_create(NULL);
			struct mime_event ev;
			for (size_t pos = 0; pos < m->len; pos += 4096) {
				mime_parser_feed(p, m->data + pos, m->len - pos < 4096 ? m->len - pos : 4096);
				while (mime_parser_next(p, &ev) > 0)
					;
			}
			mime_parser_finish(p);
			while (mime_parser_next(p, &ev) > 0)
				;
			msg = mime_parser_take_message(p);
			mime_parser_destroy(&p);
		} else {
			msg = mime_message_parse(m->data, m->len, NULL);
		}
		parts += msg->n_parts;
		pb_buf_reset(scratch);
		if (mode == 2) {
			mime_imap_envelope(msg->root, scratch);
			mime_imap_bodystructure(msg->root, true, scratch);
		} else if (mode == 3) {
			struct mime_message *back = NULL;
			const char *error;
			mime_structure_encode(msg, scratch);
			if (mime_structure_decode(scratch->data, scratch->len, &back, &error) < 0)
				abort();
			mime_message_free(&back);
		}
		mime_message_free(&msg);
	}
	return parts;
}

static void measure(const struct corpus *c, int mode, const char *what, double seconds)
{
	struct pb_buf scratch;
	double start = now_s(), elapsed;
	size_t passes = 0, parts = 0;

	pb_buf_init(&scratch);
	do {
		parts += run_once(c, mode, &scratch);
		passes++;
		elapsed = now_s() - start;
	} while (elapsed < seconds);
	printf("%-44s %8.1f MB/s %9.0f msg/s %10.0f parts/s  (%zu passes, %.2f s)\n", what,
	       (double)c->bytes * (double)passes / elapsed / 1e6,
	       (double)c->n * (double)passes / elapsed, (double)parts / elapsed, passes, elapsed);
	pb_buf_deinit(&scratch);
}

/* Whole-message parse of one kind of message only. */
static void measure_kind(const struct corpus *c, int kind, double seconds)
{
	struct corpus sub = { NULL, NULL, 0, 0, 0 };
	char what[80];

	for (size_t i = 0; i < c->n; i++) {
		if (c->kinds[i] != kind)
			continue;
		struct pb_buf *m = corpus_add(&sub, kind);
		*m = c->msgs[i]; /* borrowed */
		sub.bytes += m->len;
	}
	if (sub.n > 0) {
		snprintf(what, sizeof(what), "  parse: %s (%.1f MB)", kind_names[kind],
			 (double)sub.bytes / 1e6);
		measure(&sub, 0, what, seconds);
	}
	free(sub.msgs);
	free(sub.kinds);
}

int main(int argc, char **argv)
{
	struct corpus c = { NULL, NULL, 0, 0, 0 };
	size_t size_mb = 64;
	double seconds = 3.0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
			size_mb = (size_t)atol(argv[++i]);
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else
			load_path(&c, argv[i]);
	}
	generate(&c, size_mb * 1000 * 1000);
	printf("corpus: %zu messages, %.1f MB (40%% plain, 30%% alternative, 10%% attachment,"
	       " 10%% newsletter, 10%% forward)\n", c.n, (double)c.bytes / 1e6);
	measure(&c, 0, "parse (whole message)", seconds);
	measure(&c, 1, "parse (streaming, 4 KiB feeds)", seconds);
	measure(&c, 2, "parse + ENVELOPE + BODYSTRUCTURE", seconds);
	measure(&c, 3, "parse + structure encode/decode", seconds);
	for (int kind = 0; kind <= 5; kind++)
		measure_kind(&c, kind, seconds / 2);
	for (size_t i = 0; i < c.n; i++)
		pb_buf_deinit(&c.msgs[i]);
	free(c.msgs);
	free(c.kinds);
	return 0;
}
