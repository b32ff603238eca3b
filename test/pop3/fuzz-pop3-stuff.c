/*
 * fuzz-pop3-stuff.c: libFuzzer target for RETR / TOP byte-stuffing. The first byte is the
 * TOP line count (0xff: RETR), the rest the stored message. Checks: the output is the same
 * fed whole and in random pieces; it is made of CR LF lines and ends with ".\r\n" on a
 * line of its own; for RETR, undoing the stuffing as a client does gives back the message
 * with bare LFs turned into CR LF and a final line end added.
 */
#include "pop3-stuff.h"
#include "pop3-test-util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_OR_ABORT(c)                                                              \
	do {                                                                           \
		if (!(c))                                                              \
			abort();                                                       \
	} while (0)

static void run(const char *m, size_t len, int64_t top, uint64_t *seed, struct pb_buf *out)
{
	struct pop3_stuff s;

	pop3_stuff_init(&s, top);
	for (size_t pos = 0; pos < len && !pop3_stuff_done(&s);) {
		size_t n = seed == NULL ? len : pb_test_chunk_random(0, seed);
		if (n > len - pos)
			n = len - pos;
		size_t before = out->len;
		pop3_stuff_feed(&s, m + pos, n, out);
		CHECK_OR_ABORT(out->len - before <= 2 * n + 5);
		pos += n;
	}
	pop3_stuff_finish(&s, out);
}

/* What a client does: split at CR LF, drop the terminator line, undo leading dots. */
static void client_unstuff(const struct pb_buf *out, struct pb_buf *msg)
{
	size_t pos = 0;

	for (;;) {
		const char *lf = memchr(out->data + pos, '\n', out->len - pos);
		CHECK_OR_ABORT(lf != NULL && lf > out->data + pos && lf[-1] == '\r');
		size_t end = (size_t)(lf - out->data) + 1;
		const char *line = out->data + pos;
		size_t n = end - pos;
		if (n == 3 && line[0] == '.') {
			CHECK_OR_ABORT(end == out->len);
			return;
		}
		if (line[0] == '.') {
			CHECK_OR_ABORT(n > 3 && line[1] == '.');
			line++, n--;
		}
		pb_buf_append(msg, line, n);
		pos = end;
	}
}

/* The message as RETR must deliver it: every LF preceded by CR, ending with CR LF. */
static void normalise(const char *m, size_t len, struct pb_buf *want)
{
	for (size_t i = 0; i < len; i++) {
		if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r'))
			pb_buf_append_c(want, '\r');
		pb_buf_append_c(want, m[i]);
	}
	if (want->len > 0 && want->data[want->len - 1] == '\r')
		pb_buf_append_c(want, '\n');
	else if (want->len > 0 && want->data[want->len - 1] != '\n')
		pb_buf_append(want, "\r\n", 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_buf a, b, msg, want;
	uint64_t seed = 0x2545f4914f6cdd1du ^ size;

	if (size < 1 || size > 1 << 20)
		return 0;
	int64_t top = data[0] == 0xff ? -1 : data[0];
	const char *m = (const char *)data + 1;
	size_t len = size - 1;
	pb_buf_init(&a);
	pb_buf_init(&b);
	pb_buf_init(&msg);
	pb_buf_init(&want);
	run(m, len, top, NULL, &a);
	run(m, len, top, &seed, &b);
	CHECK_OR_ABORT(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	client_unstuff(&a, &msg);
	if (top < 0) {
		normalise(m, len, &want);
		CHECK_OR_ABORT(msg.len == want.len);
		CHECK_OR_ABORT(msg.len == 0 || memcmp(msg.data, want.data, msg.len) == 0);
	}
	pb_buf_deinit(&a);
	pb_buf_deinit(&b);
	pb_buf_deinit(&msg);
	pb_buf_deinit(&want);
	return 0;
}
