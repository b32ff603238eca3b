/*
 * test-pop3-stuff.c: RETR / TOP byte-stuffing: leading dots, bare LF normalisation, the
 * missing final line end, the TOP cut, any split of the input giving the same output, and
 * a 20 MB message streamed in pieces against a naive reference.
 */
#include "pb-test.h"
#include "pop3-stuff.h"
#include "pop3-test-util.h"

struct stuff_case {
	int64_t top; /* -1: RETR */
	const char *in;
	const char *out;
};

static const struct stuff_case stuff_cases[] = {
	{-1, "a\r\nb\r\n", "a\r\nb\r\n.\r\n"},
	{-1, ".dot\r\n..two\r\n.\r\n", "..dot\r\n...two\r\n..\r\n.\r\n"},
	{-1, "bare\nlf\n", "bare\r\nlf\r\n.\r\n"},
	{-1, "no end", "no end\r\n.\r\n"},
	{-1, "", ".\r\n"},
	{-1, "ends with cr\r", "ends with cr\r\n.\r\n"},
	{-1, "mixed\r\n.x\n", "mixed\r\n..x\r\n.\r\n"},
	{-1, "a\rb\r\n", "a\rb\r\n.\r\n"},
	{-1, "\r\n.\r\n", "\r\n..\r\n.\r\n"},
	{-1, "\n\n.\n", "\r\n\r\n..\r\n.\r\n"},
	{-1, "x.\r\n .\r\n", "x.\r\n .\r\n.\r\n"},
	{-1, ".", "..\r\n.\r\n"},
	{0, "H: 1\r\nH: 2\r\n\r\nbody1\r\nbody2\r\n", "H: 1\r\nH: 2\r\n\r\n.\r\n"},
	{1, "H: 1\r\nH: 2\r\n\r\nbody1\r\nbody2\r\n", "H: 1\r\nH: 2\r\n\r\nbody1\r\n.\r\n"},
	{5, "H: 1\r\n\r\nbody1\r\nbody2\r\n", "H: 1\r\n\r\nbody1\r\nbody2\r\n.\r\n"},
	{2, "H: 1\n\nb1\nb2\nb3\n", "H: 1\r\n\r\nb1\r\nb2\r\n.\r\n"},
	{0, "H: 1\r\nH: 2\r\n", "H: 1\r\nH: 2\r\n.\r\n"},
	{0, "H: 1\r\nH: 2", "H: 1\r\nH: 2\r\n.\r\n"},
	{1, "H\r\n\r\n.b\r\nc\r\n", "H\r\n\r\n..b\r\n.\r\n"},
	{0, "\r\nbody\r\n", "\r\n.\r\n"},
	{1, "H\r\n\r\nbody", "H\r\n\r\nbody\r\n.\r\n"},
	{1, "H\r\n\r\n\r\n\r\nx\r\n", "H\r\n\r\n\r\n.\r\n"},
	{2, ".H\r\n\r\n.\r\n..\r\n...\r\n", "..H\r\n\r\n..\r\n...\r\n.\r\n"},
};

typedef size_t chunker(size_t i, void *ctx);

static void run(const struct stuff_case *c, chunker *ch, void *ctx, struct pb_buf *out)
{
	struct pop3_stuff s;
	size_t len = strlen(c->in);

	pop3_stuff_init(&s, c->top);
	for (size_t pos = 0, i = 1; pos < len; i++) {
		size_t n = ch != NULL ? ch(i, ctx) : len;
		if (n > len - pos)
			n = len - pos;
		size_t before = out->len;
		pop3_stuff_feed(&s, c->in + pos, n, out);
		CHECK(out->len - before <= 2 * n + 5);
		pos += n;
	}
	pop3_stuff_finish(&s, out);
}

static void test_table(void)
{
	for (size_t i = 0; i < PB_N_ELEMENTS(stuff_cases); i++) {
		const struct stuff_case *c = &stuff_cases[i];
		uint64_t seed = 0xdeadbeefcafef00du + i;
		for (int mode = 0; mode < 3; mode++) {
			struct pb_buf out;
			pb_buf_init(&out);
			run(c, mode == 0 ? NULL : mode == 1 ? pb_test_chunk_bytes
							     : pb_test_chunk_random,
			    &seed, &out);
			if (strcmp(out.data, c->out) != 0)
				fprintf(stderr, "  case %zu (mode %d)\n", i, mode);
			CHECK_STR(out.data, c->out);
			pb_buf_deinit(&out);
		}
	}
}

static void test_done(void)
{
	struct pop3_stuff s;
	struct pb_buf out;

	pb_buf_init(&out);
	pop3_stuff_init(&s, 1);
	pop3_stuff_feed(&s, "H\r\n", 3, &out);
	CHECK(!pop3_stuff_done(&s));
	pop3_stuff_feed(&s, "\r\n", 2, &out);
	CHECK(!pop3_stuff_done(&s));
	pop3_stuff_feed(&s, "line1\r\nline2\r\n", 14, &out);
	CHECK(pop3_stuff_done(&s));
	pop3_stuff_feed(&s, "ignored\r\n", 9, &out);
	pop3_stuff_finish(&s, &out);
	CHECK_STR(out.data, "H\r\n\r\nline1\r\n.\r\n");
	pb_buf_reset(&out);
	pop3_stuff_init(&s, -1);
	pop3_stuff_feed(&s, "H\r\n\r\nb\r\n", 8, &out);
	CHECK(!pop3_stuff_done(&s));
	pop3_stuff_init(&s, 0);
	pop3_stuff_feed(&s, "H\r\n\r", 4, &out);
	CHECK(!pop3_stuff_done(&s));
	pop3_stuff_feed(&s, "\n", 1, &out);
	CHECK(pop3_stuff_done(&s));
	pb_buf_deinit(&out);
}

/* ---- 20 MB ----------------------------------------------------------------------------- */

#define BIG_SIZE (20u << 20)

/* A deterministic message: header lines, a blank line, then body lines of varying length,
 * some with bare LF, some starting with '.'; no bare CR, ends without a line end. */
static void make_big(struct pb_buf *msg)
{
	pb_buf_reserve(msg, BIG_SIZE + 256);
	pb_buf_append_str(msg, "From: a@b.example\r\nSubject: big\r\n\r\n");
	for (size_t i = 0; msg->len < BIG_SIZE; i++) {
		size_t n = (i * 104729) % 150;
		if (i % 7 == 0)
			pb_buf_append_c(msg, '.');
		for (size_t k = 0; k < n; k++)
			pb_buf_append_c(msg, (char)('a' + (i + k) % 26));
		pb_buf_append_str(msg, i % 3 == 0 ? "\n" : "\r\n");
	}
	pb_buf_append_str(msg, "tail");
}

/* The obvious byte-at-a-time definition, whole message in memory. */
static void naive_stuff(const char *m, size_t len, int64_t top, struct pb_buf *out)
{
	bool start = true, body = false;
	size_t line_len = 0;

	for (size_t i = 0; i < len; i++) {
		if (top >= 0 && body && top == 0)
			break;
		char c = m[i];
		if (start && c == '.')
			pb_buf_append_c(out, '.');
		start = false;
		if (c != '\n') {
			pb_buf_append_c(out, c);
			line_len++;
			continue;
		}
		bool prev_cr = i > 0 && m[i - 1] == '\r' && line_len > 0;
		bool empty = line_len == 0 || (line_len == 1 && prev_cr);
		pb_buf_append_str(out, prev_cr ? "\n" : "\r\n");
		start = true;
		line_len = 0;
		if (top >= 0 && body)
			top--;
		if (empty)
			body = true;
	}
	if (!start)
		pb_buf_append_str(out, m[len - 1] == '\r' ? "\n" : "\r\n");
	pb_buf_append_str(out, ".\r\n");
}

static void stream(const struct pb_buf *msg, int64_t top, struct pb_buf *all, size_t *fed_r)
{
	struct pop3_stuff s;
	struct pb_buf out;
	size_t pos = 0;

	pb_buf_init(&out);
	pop3_stuff_init(&s, top);
	while (pos < msg->len && !pop3_stuff_done(&s)) {
		size_t n = msg->len - pos < 65536 ? msg->len - pos : 65536;
		pop3_stuff_feed(&s, msg->data + pos, n, &out);
		CHECK(out.len <= 2 * n + 5);
		pb_buf_append(all, out.data, out.len); /* a session would send it */
		pb_buf_reset(&out);
		pos += n;
	}
	pop3_stuff_finish(&s, &out);
	pb_buf_append(all, out.data, out.len);
	*fed_r = pos;
	pb_buf_deinit(&out);
}

static void test_big(void)
{
	struct pb_buf msg, got, want;
	size_t fed;

	pb_buf_init(&msg);
	pb_buf_init(&got);
	pb_buf_init(&want);
	make_big(&msg);
	stream(&msg, -1, &got, &fed);
	naive_stuff(msg.data, msg.len, -1, &want);
	CHECK_INT(fed, msg.len);
	CHECK_INT(got.len, want.len);
	CHECK(got.len == want.len && memcmp(got.data, want.data, got.len) == 0);
	CHECK(got.len > msg.len);
	pb_buf_reset(&got);
	pb_buf_reset(&want);
	stream(&msg, 10, &got, &fed);
	naive_stuff(msg.data, msg.len, 10, &want);
	CHECK_INT(fed, 65536); /* stopped reading after the first piece */
	CHECK_STR(got.data, want.data);
	pb_buf_deinit(&msg);
	pb_buf_deinit(&got);
	pb_buf_deinit(&want);
}

static const struct pb_test_case cases[] = {
	{"table", test_table},
	{"done", test_done},
	{"big", test_big},
};

PB_TEST_MAIN(cases)
