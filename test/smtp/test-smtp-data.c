/*
 * test-smtp-data.c: the DATA decoder and the BDAT reader: dot-unstuffing, the end of data,
 * every bare CR / bare LF variant around the terminator (SMTP smuggling), line and size
 * limits, any split of the input giving the same result, and a 20 MB body.
 */
#include "pb-test.h"
#include "smtp-data.h"
#include "smtp-test-util.h"

#include <stdint.h>

/* The strict policy (smtp.bare_newlines reject, 1000-octet lines) with a size limit. */
#define STRICT(max) (&(struct smtp_body_policy){ (max), SMTP_DATA_LINE_MAX, false })

struct data_case {
	const char *in;
	int done;		     /* expected result of the last feed: 1 end seen, 0 not */
	size_t rest;		     /* bytes left unconsumed after the end (pipelined commands) */
	enum smtp_data_status status; /* verdict once all is fed */
	const char *out;	     /* content written */
	uint64_t max_size;
};

static const struct data_case data_cases[] = {
	{"Hello\r\n.\r\n", 1, 0, SMTP_DATA_OK, "Hello\r\n", 0},
	{".\r\n", 1, 0, SMTP_DATA_OK, "", 0},
	{"\r\n.\r\n", 1, 0, SMTP_DATA_OK, "\r\n", 0},
	{"..leading dot\r\n.\r\n", 1, 0, SMTP_DATA_OK, ".leading dot\r\n", 0},
	{".x\r\n.\r\n", 1, 0, SMTP_DATA_OK, "x\r\n", 0},
	{"a\r\n..\r\n.\r\n", 1, 0, SMTP_DATA_OK, "a\r\n.\r\n", 0},
	{"a\r\n...\r\n.\r\n", 1, 0, SMTP_DATA_OK, "a\r\n..\r\n", 0},
	{"a.\r\nb .\r\n.\r\n", 1, 0, SMTP_DATA_OK, "a.\r\nb .\r\n", 0},
	{"a\r\n.\r\nQUIT\r\n", 1, 6, SMTP_DATA_OK, "a\r\n", 0},
	{"a\r\n.\r\n.\r\n", 1, 3, SMTP_DATA_OK, "a\r\n", 0},
	{"abc\r\n", 0, 0, SMTP_DATA_OK, "abc\r\n", 0},
	{"abc\r\n.", 0, 0, SMTP_DATA_OK, "abc\r\n", 0},
	{"abc\r\n.\r", 0, 0, SMTP_DATA_OK, "abc\r\n", 0},
	{"8bit \xc3\xa9t\xc3\xa9\r\n.\r\n", 1, 0, SMTP_DATA_OK, "8bit \xc3\xa9t\xc3\xa9\r\n", 0},
	/* smuggling: none of these ends the data; the whole stream is one rejected message */
	{"a\n.\nMAIL FROM:<x@y.example>\r\n.\r\n", 1, 0, SMTP_DATA_BARE_CR_LF, "a", 0},
	{"a\r.\rMAIL FROM:<x@y.example>\r\n.\r\n", 1, 0, SMTP_DATA_BARE_CR_LF, "a", 0},
	{"a\r\n.\nMAIL FROM:<x@y.example>\r\n.\r\n", 1, 0, SMTP_DATA_BARE_CR_LF, "a\r\n", 0},
	{"a\n.\r\nMAIL FROM:<x@y.example>\r\n.\r\n", 1, 0, SMTP_DATA_BARE_CR_LF, "a", 0},
	{"a\r\n.\r\r\n.\r\n", 1, 0, SMTP_DATA_BARE_CR_LF, "a\r\n", 0},
	{"\n.\r\n.\r\n", 1, 0, SMTP_DATA_BARE_CR_LF, "", 0},
	{"\r.\r\n.\r\n", 1, 0, SMTP_DATA_BARE_CR_LF, "", 0},
	{"a\r\r\nb\r\n.\r\n", 1, 0, SMTP_DATA_BARE_CR_LF, "a", 0},
	{"a\nb\r\n.\r\n", 1, 0, SMTP_DATA_BARE_CR_LF, "a", 0},
	{"a\n.\n", 0, 0, SMTP_DATA_BARE_CR_LF, "a", 0},
	/* size limit: counted after unstuffing, CRLF included */
	{"01234567\r\n.\r\n", 1, 0, SMTP_DATA_OK, "01234567\r\n", 10},
	{"..234567\r\n.\r\n", 1, 0, SMTP_DATA_OK, ".234567\r\n", 9},
	{"0123456789\r\n.\r\nRSET\r\n", 1, 6, SMTP_DATA_TOO_BIG, "0123456789", 10},
	{"0123\r\n6789\r\nmore\r\n.\r\n", 1, 0, SMTP_DATA_TOO_BIG, "0123\r\n6789", 10},
	/* several problems: bare CR/LF first, then size, then line length */
	{"0123456789\n.\r\n.\r\n", 1, 0, SMTP_DATA_BARE_CR_LF, "0123", 4},
	{"0123456789\n.\r\n", 0, 0, SMTP_DATA_BARE_CR_LF, "0123", 4},
	{"x\r\n" "0123456789\r\n.\r\n", 1, 0, SMTP_DATA_TOO_BIG, "x\r\n0123456", 10},
	{"abcdef\r\n.\r\n", 1, 0, SMTP_DATA_OK, "abcdef\r\n", 8},
};

/* Feeds in[0..len) in pieces given by chunker; returns the last feed's result, and the
 * total consumed / the output through the pointers. */
static int run_data(const char *in, size_t len, const struct smtp_body_policy *p,
		    smtp_test_chunker *chunker, void *ctx, size_t *consumed_r, struct pb_buf *out,
		    struct smtp_data *d)
{
	int ret = 0;
	size_t pos = 0, i = 1;

	smtp_data_init(d, p);
	*consumed_r = 0;
	while (pos < len && ret == 0) {
		size_t n = chunker != NULL ? chunker(i++, ctx) : len;
		size_t used;
		if (n > len - pos)
			n = len - pos;
		ret = smtp_data_feed(d, in + pos, n, out, &used);
		CHECK(used <= n);
		CHECK(ret == 1 || used == n);
		*consumed_r += used;
		pos += n;
	}
	return ret;
}

static void check_data_case(const struct data_case *c, smtp_test_chunker *chunker, void *ctx)
{
	struct smtp_data d;
	struct pb_buf out;
	size_t len = strlen(c->in), consumed;

	pb_buf_init(&out);
	int ret = run_data(c->in, len, STRICT(c->max_size), chunker, ctx, &consumed, &out, &d);
	if (ret != c->done || smtp_data_status(&d) != c->status)
		fprintf(stderr, "  case: \"%s\"\n", c->in);
	CHECK_INT(ret, c->done);
	CHECK_INT(consumed, len - c->rest);
	CHECK_INT(smtp_data_status(&d), c->status);
	CHECK_INT(out.len, strlen(c->out));
	CHECK(out.len == 0 || memcmp(out.data, c->out, out.len) == 0);
	pb_buf_deinit(&out);
}

static void test_data_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(data_cases); i++) {
		uint64_t seed = 88172645463325252u + i;
		check_data_case(&data_cases[i], NULL, NULL);
		check_data_case(&data_cases[i], pb_test_chunk_bytes, NULL);
		check_data_case(&data_cases[i], pb_test_chunk_random, &seed);
	}
}

/* The default policy (smtp.bare_newlines normalize): a bare LF is stored as CR LF and starts
 * a line for unstuffing, never for the end of data; a bare CR is refused. */
struct norm_case {
	const char *in;
	int done;
	enum smtp_data_status status;
	const char *out;
	uint64_t max_size, max_line; /* 0: no limit */
};

static const struct norm_case norm_cases[] = {
	{"a\nb\r\n.\r\n", 1, SMTP_DATA_OK, "a\r\nb\r\n", 0, 0},
	{"Subject: x\n\nbody\n", 0, SMTP_DATA_OK, "Subject: x\r\n\r\nbody\r\n", 0, 0},
	{"a\n\r\n.\r\n", 1, SMTP_DATA_OK, "a\r\n\r\n", 0, 0}, /* CR LF after it is real */
	{".\r\n", 1, SMTP_DATA_OK, "", 0, 0},
	/* smuggling: no bare LF ends the data; the "second message" stays content */
	{"a\n.\nMAIL FROM:<x@y.example>\r\n.\r\n", 1, SMTP_DATA_OK,
	 "a\r\n\r\nMAIL FROM:<x@y.example>\r\n", 0, 0},
	{"a\r\n.\nMAIL\r\n.\r\n", 1, SMTP_DATA_OK, "a\r\n\r\nMAIL\r\n", 0, 0},
	{"a\n.\r\nMAIL\r\n.\r\n", 1, SMTP_DATA_OK, "a\r\n\r\nMAIL\r\n", 0, 0},
	{"a\n.\n", 0, SMTP_DATA_OK, "a\r\n\r\n", 0, 0},
	{"a\n.\r\n", 0, SMTP_DATA_OK, "a\r\n\r\n", 0, 0},
	{"a\r\n.\n", 0, SMTP_DATA_OK, "a\r\n\r\n", 0, 0},
	{"\n.\n", 0, SMTP_DATA_OK, "\r\n\r\n", 0, 0},
	{".\n", 0, SMTP_DATA_OK, "\r\n", 0, 0},
	{"a\n..\n.\r\n", 0, SMTP_DATA_OK, "a\r\n.\r\n\r\n", 0, 0},
	/* unstuffing after a bare LF, as after CR LF (smtplib stuffs there) */
	{"a\n..dot\r\n.\r\n", 1, SMTP_DATA_OK, "a\r\n.dot\r\n", 0, 0},
	{"a\n..\r\n.\r\n", 1, SMTP_DATA_OK, "a\r\n.\r\n", 0, 0},
	/* a bare CR is refused in this mode too, and never ends the data */
	{"a\r.\rMAIL\r\n.\r\n", 1, SMTP_DATA_BARE_CR, "a", 0, 0},
	{"a\r\r\n.\r\n", 1, SMTP_DATA_BARE_CR, "a", 0, 0},
	{"a\n.\r\r\n.\r\n", 1, SMTP_DATA_BARE_CR, "a\r\n", 0, 0},
	{"a\r\n.\r\r\n.\r\n", 1, SMTP_DATA_BARE_CR, "a\r\n", 0, 0},
	/* limits count what is stored: a bare LF as two octets */
	{"ab\ncd\r\n.\r\n", 1, SMTP_DATA_OK, "ab\r\ncd\r\n", 8, 0},
	{"ab\ncd\r\n.\r\n", 1, SMTP_DATA_TOO_BIG, "ab\r\ncd\r", 7, 0},
	{"abcd\nefgh\r\n.\r\n", 1, SMTP_DATA_OK, "abcd\r\nefgh\r\n", 0, 6},
	{"abcd\nefgh\r\n.\r\n", 1, SMTP_DATA_LINE_TOO_LONG, "abcd\r", 0, 5},
};

/* Feeds c->in in reads given by chunker, then checks as check_data_case does. */
static void check_norm_case(const struct norm_case *c, smtp_test_chunker *chunker, void *ctx)
{
	struct smtp_body_policy p = smtp_test_normalize(c->max_size, c->max_line);
	struct smtp_data d;
	struct pb_buf out;
	size_t len = strlen(c->in), consumed;

	pb_buf_init(&out);
	int ret = run_data(c->in, len, &p, chunker, ctx, &consumed, &out, &d);
	if (ret != c->done || smtp_data_status(&d) != c->status || out.len != strlen(c->out))
		fprintf(stderr, "  case: \"%s\"\n", c->in);
	CHECK_INT(ret, c->done);
	CHECK_INT(consumed, len);
	CHECK_INT(smtp_data_status(&d), c->status);
	CHECK_INT(out.len, strlen(c->out));
	CHECK(out.len == 0 || memcmp(out.data, c->out, out.len) == 0);
	pb_buf_deinit(&out);
}

/* Splits at a fixed point: the first read is *ctx octets, the rest in one. */
static size_t chunk_split(size_t i, void *ctx)
{
	return i == 1 ? *(size_t *)ctx : SIZE_MAX / 2;
}

static void test_normalize_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(norm_cases); i++) {
		uint64_t seed = 88172645463325252u + i;
		check_norm_case(&norm_cases[i], NULL, NULL);
		check_norm_case(&norm_cases[i], pb_test_chunk_bytes, NULL);
		check_norm_case(&norm_cases[i], pb_test_chunk_random, &seed);
		for (size_t cut = 1; cut < strlen(norm_cases[i].in); cut++)
			check_norm_case(&norm_cases[i], chunk_split, &cut);
	}
}

/* The smuggling matrix under normalize: nothing but the real CR LF . CR LF ends the data;
 * with bare LFs only the message is accepted and the would-be command is a line of it;
 * any bare CR refuses it. */
static void test_smuggling_matrix_normalize(void)
{
	static const char *const ends[] = {"\n", "\r", "\r\n"};
	struct smtp_body_policy p = smtp_test_normalize(0, 0);

	for (size_t x = 0; x < 3; x++) {
		for (size_t y = 0; y < 3; y++) {
			if (x == 2 && y == 2)
				continue;
			char *all = xasprintf("a%s.%sRCPT TO:<x@y.example>\r\n.\r\nNOOP\r\n",
					      ends[x], ends[y]);
			struct smtp_data d;
			struct pb_buf out;
			size_t used;
			pb_buf_init(&out);
			smtp_data_init(&d, &p);
			for (size_t i = 0; i < strlen(all) - 6; i++)
				CHECK_INT(smtp_data_feed(&d, all + i, 1, &out, &used),
					  i == strlen(all) - 7 ? 1 : 0);
			bool cr = x == 1 || y == 1;
			CHECK_INT(smtp_data_status(&d), cr ? SMTP_DATA_BARE_CR : SMTP_DATA_OK);
			if (!cr)
				CHECK_STR(out.data, "a\r\n\r\nRCPT TO:<x@y.example>\r\n");
			pb_buf_deinit(&out);
			free(all);
		}
	}
}

/* Every combination of CR, LF and CRLF before and after the dot but the real CRLF . CRLF
 * does not end the data; the real terminator after it does, and the message is rejected. */
static void test_smuggling_matrix(void)
{
	static const char *const ends[] = {"\n", "\r", "\r\n"};
	static const char *const starts[] = {"a", ""};

	for (size_t s = 0; s < PB_N_ELEMENTS(starts); s++) {
		for (size_t x = 0; x < 3; x++) {
			for (size_t y = 0; y < 3; y++) {
				if (x == 2 && y == 2)
					continue;
				if (starts[s][0] == '\0' && x == 2)
					continue; /* "\r\n.\r\n"-like at the very start is real */
				char *part = xasprintf("%s%s.%sRCPT TO:<x@y.example>\r\n",
						       starts[s], ends[x], ends[y]);
				char *all = xasprintf("%s.\r\nNOOP\r\n", part);
				struct smtp_data d;
				struct pb_buf out;
				size_t used;
				pb_buf_init(&out);
				smtp_data_init(&d, STRICT(0));
				CHECK_INT(smtp_data_feed(&d, part, strlen(part), &out, &used), 0);
				CHECK_INT(used, strlen(part));
				for (size_t i = strlen(part); i < strlen(all) - 6; i++) {
					int ret = smtp_data_feed(&d, all + i, 1, &out, &used);
					CHECK_INT(ret, i == strlen(all) - 7 ? 1 : 0);
				}
				CHECK_INT(smtp_data_status(&d), SMTP_DATA_BARE_CR_LF);
				CHECK(strstr(out.data != NULL ? out.data : "", "RCPT") == NULL);
				pb_buf_deinit(&out);
				free(part);
				free(all);
			}
		}
	}
}

/* A line of n octets in all (CRLF included) made of 'x'. */
static char *line_of(size_t n, const char *prefix)
{
	char *s = xmalloc(n + 4);
	size_t plen = strlen(prefix);

	memcpy(s, prefix, plen);
	memset(s + plen, 'x', n - 2 - plen);
	memcpy(s + n - 2, "\r\n.\r\n", 6);
	return s;
}

static void test_line_limit(void)
{
	struct { size_t n; const char *prefix; enum smtp_data_status st; } cases[] = {
		{SMTP_DATA_LINE_MAX, "", SMTP_DATA_OK},
		{SMTP_DATA_LINE_MAX + 1, "", SMTP_DATA_LINE_TOO_LONG},
		{SMTP_DATA_LINE_MAX + 1, ".", SMTP_DATA_OK}, /* 1000 after unstuffing */
		{SMTP_DATA_LINE_MAX + 2, ".", SMTP_DATA_LINE_TOO_LONG},
		{100000, "", SMTP_DATA_LINE_TOO_LONG},
	};

	for (size_t i = 0; i < PB_N_ELEMENTS(cases); i++) {
		char *in = line_of(cases[i].n, cases[i].prefix);
		struct smtp_data d;
		struct pb_buf out;
		size_t consumed;
		pb_buf_init(&out);
		CHECK_INT(run_data(in, strlen(in), STRICT(0), NULL, NULL, &consumed, &out, &d), 1);
		CHECK_INT(smtp_data_status(&d), cases[i].st);
		const struct smtp_reply *r = smtp_data_status_reply(smtp_data_status(&d));
		if (cases[i].st == SMTP_DATA_LINE_TOO_LONG) {
			REQUIRE(r != NULL);
			CHECK_INT(r->code, 500);
			CHECK_STR(r->enhanced, "5.5.2");
			CHECK_INT(out.len, SMTP_DATA_LINE_MAX); /* output stopped at the limit */
		} else {
			CHECK(r == NULL);
			CHECK_INT(out.len, cases[i].n - strlen(cases[i].prefix));
		}
		pb_buf_deinit(&out);
		free(in);
	}
}

static void test_replies(void)
{
	const struct smtp_reply *r = smtp_data_status_reply(SMTP_DATA_BARE_CR_LF);
	CHECK_INT(r->code, 550);
	CHECK_STR(r->enhanced, "5.5.2");
	CHECK_STR(r->text, "Bare LF or CR in message is not allowed");
	r = smtp_data_status_reply(SMTP_DATA_TOO_BIG);
	CHECK_INT(r->code, 552);
	CHECK_STR(r->enhanced, "5.3.4");
	CHECK(smtp_data_status_reply(SMTP_DATA_OK) == NULL);
}

/* A NUL octet rejects the message (DATA and text BDAT): nothing from it on is written, and the
 * verdict comes at the end of the data like the other checks; BINARYMIME takes it. */
static void test_nul_octets(void)
{
	static const char in[] = "Subject: x\r\n\r\nab\0cd\r\n.\r\n";
	struct smtp_data d;
	struct smtp_bdat b;
	struct pb_buf out;
	size_t used;

	pb_buf_init(&out);
	smtp_data_init(&d, STRICT(0));
	CHECK_INT(smtp_data_feed(&d, in, sizeof(in) - 1, &out, &used), 1);
	CHECK_INT(used, sizeof(in) - 1);
	CHECK_INT(smtp_data_status(&d), SMTP_DATA_NUL);
	CHECK_INT(out.len, 16); /* "Subject: x\r\n\r\nab" */
	CHECK(memchr(out.data, '\0', out.len) == NULL);
	CHECK_INT(smtp_data_status_reply(SMTP_DATA_NUL)->code, 550);
	CHECK_STR(smtp_data_status_reply(SMTP_DATA_NUL)->enhanced, "5.6.0");
	/* byte by byte: the same */
	pb_buf_reset(&out);
	smtp_data_init(&d, STRICT(0));
	for (size_t i = 0; i < sizeof(in) - 1; i++)
		smtp_data_feed(&d, in + i, 1, &out, &used);
	CHECK_INT(smtp_data_status(&d), SMTP_DATA_NUL);
	CHECK_INT(out.len, 16);
	/* past the size limit too, whatever the split (the fuzzer's find) */
	static const char big[] = "abcdefgh\0\r\n.\r\n";
	for (int whole = 0; whole < 2; whole++) {
		pb_buf_reset(&out);
		smtp_data_init(&d, STRICT(4));
		if (whole)
			smtp_data_feed(&d, big, sizeof(big) - 1, &out, &used);
		for (size_t i = 0; !whole && i < sizeof(big) - 1; i++)
			smtp_data_feed(&d, big + i, 1, &out, &used);
		CHECK_INT(smtp_data_status(&d), SMTP_DATA_NUL);
		CHECK_INT(out.len, 4);
	}
	/* a bare LF first wins */
	smtp_data_init(&d, STRICT(0));
	smtp_data_feed(&d, "a\nb\0\r\n.\r\n", 11, &out, &used);
	CHECK_INT(smtp_data_status(&d), SMTP_DATA_BARE_CR_LF);
	/* BDAT text: rejected; BINARYMIME: content */
	pb_buf_reset(&out);
	smtp_bdat_init(&b, STRICT(0), false);
	smtp_bdat_chunk(&b, 6, true);
	CHECK_INT(smtp_bdat_feed(&b, "ab\0c\r\n", 6, &out, &used), 1);
	CHECK_INT(smtp_bdat_status(&b), SMTP_DATA_NUL);
	CHECK_INT(out.len, 2);
	pb_buf_reset(&out);
	smtp_bdat_init(&b, STRICT(0), true);
	smtp_bdat_chunk(&b, 6, true);
	CHECK_INT(smtp_bdat_feed(&b, "ab\0c\r\n", 6, &out, &used), 1);
	CHECK_INT(smtp_bdat_status(&b), SMTP_DATA_OK);
	CHECK_INT(out.len, 6);
	pb_buf_deinit(&out);
}

/* Log reasons are words a parser can match, one per status. */
static void test_status_names(void)
{
	CHECK_STR(smtp_data_status_name(SMTP_DATA_OK), "ok");
	CHECK_STR(smtp_data_status_name(SMTP_DATA_BARE_CR_LF), "bare_cr_lf");
	CHECK_STR(smtp_data_status_name(SMTP_DATA_TOO_BIG), "too_big");
	CHECK_STR(smtp_data_status_name(SMTP_DATA_NUL), "nul");
	CHECK_STR(smtp_data_status_name(SMTP_DATA_LINE_TOO_LONG), "line_too_long");
	CHECK_STR(smtp_data_status_name((enum smtp_data_status)99), "unknown");
}

static void test_done_is_sticky(void)
{
	struct smtp_data d;
	struct pb_buf out;
	size_t used = 99;

	pb_buf_init(&out);
	smtp_data_init(&d, STRICT(0));
	CHECK_INT(smtp_data_feed(&d, ".\r\nx", 4, &out, &used), 1);
	CHECK_INT(used, 3);
	CHECK_INT(smtp_data_feed(&d, "more\r\n", 6, &out, &used), 1);
	CHECK_INT(used, 0);
	CHECK_INT(out.len, 0);
	CHECK_INT(smtp_data_size(&d), 0);
	pb_buf_deinit(&out);
}

/* ---- 20 MB ----------------------------------------------------------------------------- */

/* FNV-1a, to compare 20 MB streams without keeping them. */
static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

#define BIG_SIZE (20u << 20)

/* Line i of the big message (unstuffed), varying length and starting with '.' now and
 * then; written into buf, returns its length (CRLF included). */
static size_t big_line(size_t i, char *buf)
{
	size_t n = 1 + (i * 7919) % 190;

	for (size_t k = 0; k < n; k++)
		buf[k] = (char)('A' + (i + k) % 26);
	if (i % 5 == 0)
		buf[0] = '.';
	buf[n] = '\r';
	buf[n + 1] = '\n';
	return n + 2;
}

/* Sends a 20 MB message in 64 KB reads (output drained after each, as a session writing to
 * the store would) and compares the content with what was sent, by hash. With
 * max_size below the message size, the output stops growing. */
static void run_big(uint64_t max_size, enum smtp_data_status want)
{
	struct smtp_data d;
	struct pb_buf wire, out;
	uint64_t sent_hash = 1469598103934665603u, got_hash = sent_hash, sent = 0, got = 0;
	char line[256];
	int ret = 0;

	pb_buf_init(&wire);
	pb_buf_init(&out);
	smtp_data_init(&d, STRICT(max_size));
	for (size_t i = 0; sent < BIG_SIZE || wire.len > 0; i++) {
		if (sent < BIG_SIZE) {
			size_t n = big_line(i, line);
			sent_hash = fnv(sent_hash, line, n);
			sent += n;
			if (line[0] == '.')
				pb_buf_append_c(&wire, '.');
			pb_buf_append(&wire, line, n);
			if (sent >= BIG_SIZE)
				pb_buf_append_str(&wire, ".\r\n");
			if (wire.len < 65536 && sent < BIG_SIZE)
				continue;
		}
		size_t used;
		ret = smtp_data_feed(&d, wire.data, wire.len, &out, &used);
		pb_buf_consume(&wire, used);
		got_hash = fnv(got_hash, out.data != NULL ? out.data : "", out.len);
		got += out.len;
		CHECK(out.len <= 65536 + 256);
		pb_buf_reset(&out);
		if (ret == 1)
			break;
	}
	CHECK_INT(ret, 1);
	CHECK_INT(wire.len, 0);
	CHECK_INT(smtp_data_status(&d), want);
	CHECK_INT(smtp_data_size(&d), sent);
	if (want == SMTP_DATA_OK) {
		CHECK_INT(got, sent);
		CHECK(got_hash == sent_hash);
	} else {
		CHECK(got <= max_size);
	}
	pb_buf_deinit(&wire);
	pb_buf_deinit(&out);
}

static void test_big_message(void)
{
	run_big(0, SMTP_DATA_OK);
	run_big(25u << 20, SMTP_DATA_OK);
	run_big(1u << 20, SMTP_DATA_TOO_BIG);
}

/* ---- BDAT ------------------------------------------------------------------------------ */

/* Runs chunks (NUL-separated pieces of one string, each a chunk) through a BDAT reader fed
 * byte by byte or whole; returns the status and fills out. */
static enum smtp_data_status run_bdat(const char *const *chunks, size_t n, bool binary,
				      uint64_t max, bool bytewise, struct pb_buf *out)
{
	struct smtp_bdat b;
	size_t used;

	smtp_bdat_init(&b, STRICT(max), binary);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(chunks[i]);
		smtp_bdat_chunk(&b, len, i + 1 == n);
		int ret = len == 0 ? smtp_bdat_feed(&b, "", 0, out, &used) : 0;
		for (size_t pos = 0; pos < len; pos += used) {
			size_t piece = bytewise ? 1 : len - pos;
			ret = smtp_bdat_feed(&b, chunks[i] + pos, piece, out, &used);
			CHECK_INT(used, piece);
		}
		CHECK_INT(ret, 1);
	}
	return smtp_bdat_status(&b);
}

static void check_bdat(const char *const *chunks, size_t n, bool binary, uint64_t max,
		       enum smtp_data_status want, const char *want_out)
{
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		struct pb_buf out;
		pb_buf_init(&out);
		CHECK_INT(run_bdat(chunks, n, binary, max, bytewise, &out), want);
		if (want_out != NULL)
			CHECK_STR(out.data != NULL ? out.data : "", want_out);
		pb_buf_deinit(&out);
	}
}

static void test_bdat(void)
{
	const char *ok[] = {"Subject: x\r", "\n\r\nbody\r\n", ""};
	const char *bare_lf[] = {"a\nb\r\n"};
	const char *bare_cr_mid[] = {"a\r", "b\r\n"};
	const char *bare_cr_end[] = {"a\r\nb\r"};
	const char *dots[] = {".\r\n..\r\n"};
	const char *big[] = {"0123456789", "0"};
	char *longline = line_of(SMTP_DATA_LINE_MAX + 1, "");
	longline[SMTP_DATA_LINE_MAX + 1] = '\0'; /* drop the ".\r\n" */
	const char *longl[] = {longline};

	check_bdat(ok, 3, false, 0, SMTP_DATA_OK, "Subject: x\r\n\r\nbody\r\n");
	check_bdat(bare_lf, 1, false, 0, SMTP_DATA_BARE_CR_LF, NULL);
	check_bdat(bare_cr_mid, 2, false, 0, SMTP_DATA_BARE_CR_LF, NULL);
	check_bdat(bare_cr_end, 1, false, 0, SMTP_DATA_BARE_CR_LF, NULL);
	check_bdat(dots, 1, false, 0, SMTP_DATA_OK, ".\r\n..\r\n"); /* no unstuffing */
	check_bdat(big, 2, false, 10, SMTP_DATA_TOO_BIG, "0123456789");
	check_bdat(big, 2, false, 11, SMTP_DATA_OK, "01234567890");
	check_bdat(longl, 1, false, 0, SMTP_DATA_LINE_TOO_LONG, NULL);
	/* BINARYMIME: bare CR and LF and long lines are content */
	check_bdat(bare_lf, 1, true, 0, SMTP_DATA_OK, "a\nb\r\n");
	check_bdat(bare_cr_end, 1, true, 0, SMTP_DATA_OK, "a\r\nb\r");
	check_bdat(longl, 1, true, 0, SMTP_DATA_OK, NULL);
	check_bdat(big, 2, true, 10, SMTP_DATA_TOO_BIG, "0123456789");
	free(longline);
}

/* A CR at the end of a non-LAST chunk waits for the next chunk. */
static void test_bdat_pending_cr(void)
{
	struct smtp_bdat b;
	struct pb_buf out;
	size_t used;

	pb_buf_init(&out);
	smtp_bdat_init(&b, STRICT(0), false);
	smtp_bdat_chunk(&b, 3, false);
	CHECK_INT(smtp_bdat_feed(&b, "ab\rNOOP", 7, &out, &used), 1);
	CHECK_INT(used, 3);
	CHECK_INT(smtp_bdat_status(&b), SMTP_DATA_OK);
	smtp_bdat_chunk(&b, 1, true);
	CHECK_INT(smtp_bdat_feed(&b, "\n", 1, &out, &used), 1);
	CHECK_INT(smtp_bdat_status(&b), SMTP_DATA_OK);
	CHECK_STR(out.data, "ab\r\n");
	pb_buf_deinit(&out);
}

/* BDAT under normalize: a bare LF is stored as CR LF wherever the chunks and reads cut the
 * text (a CR LF pair may straddle chunks); a bare CR refuses it; strict refuses the LF. */
static void test_bdat_normalize(void)
{
	static const char text[] = "a\nb\r\nc\n\nd";
	struct smtp_body_policy norm = smtp_test_normalize(0, 0);
	size_t len = sizeof(text) - 1;

	for (size_t cut = 0; cut <= len; cut++) {
		for (int strict = 0; strict < 2; strict++) {
			struct smtp_bdat b;
			struct pb_buf out;
			size_t used;
			pb_buf_init(&out);
			smtp_bdat_init(&b, strict ? STRICT(0) : &norm, false);
			smtp_bdat_chunk(&b, cut, false);
			for (size_t i = 0; i < cut; i++)
				smtp_bdat_feed(&b, text + i, 1, &out, &used);
			if (cut == 0)
				smtp_bdat_feed(&b, "", 0, &out, &used);
			smtp_bdat_chunk(&b, len - cut, true);
			CHECK_INT(smtp_bdat_feed(&b, text + cut, len - cut, &out, &used), 1);
			CHECK_INT(smtp_bdat_status(&b), strict ? SMTP_DATA_BARE_CR_LF : SMTP_DATA_OK);
			if (!strict) {
				CHECK_INT(out.len, 12);
				CHECK(memcmp(out.data, "a\r\nb\r\nc\r\n\r\nd", 12) == 0);
				CHECK_INT(b.check.size, 12); /* counted as stored */
			}
			pb_buf_deinit(&out);
		}
	}
	/* a bare CR is refused under normalize too, also at the end of the LAST chunk */
	static const char *const bad[] = {"a\rb", "a\r"};
	for (size_t i = 0; i < PB_N_ELEMENTS(bad); i++) {
		struct smtp_bdat b;
		struct pb_buf out;
		size_t used;
		pb_buf_init(&out);
		smtp_bdat_init(&b, &norm, false);
		smtp_bdat_chunk(&b, strlen(bad[i]), true);
		CHECK_INT(smtp_bdat_feed(&b, bad[i], strlen(bad[i]), &out, &used), 1);
		CHECK_INT(smtp_bdat_status(&b), SMTP_DATA_BARE_CR);
		pb_buf_deinit(&out);
	}
}

static const struct pb_test_case cases[] = {
	{ "nul_octets", test_nul_octets },
	{"data_table", test_data_table},
	{"smuggling_matrix", test_smuggling_matrix},
	{"normalize_table", test_normalize_table},
	{"smuggling_matrix_normalize", test_smuggling_matrix_normalize},
	{"line_limit", test_line_limit},
	{"replies", test_replies},
	{"status_names", test_status_names},
	{"done_is_sticky", test_done_is_sticky},
	{"big_message", test_big_message},
	{"bdat", test_bdat},
	{"bdat_pending_cr", test_bdat_pending_cr},
	{"bdat_normalize", test_bdat_normalize},
};

PB_TEST_MAIN(cases)
