/*
 * fuzz-pop3-parser.c: libFuzzer target for the POP3 command parser (with AUTH lines),
 * through the session model of pop3-test-util.c. Besides the sanitizers, it checks that
 * the transcript is the same fed whole, in random reads and byte by byte.
 */
#include "pop3-test-util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void same_or_abort(const struct pb_buf *a, const struct pb_buf *b)
{
	if (a->len != b->len || memcmp(a->data, b->data, a->len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_buf whole, split;
	uint64_t seed = 0x9e3779b97f4a7c15u ^ (size > 0 ? data[0] : 0) ^ size;
	const char *in = (const char *)data;

	if (size > 1 << 20)
		return 0;
	pb_buf_init(&whole);
	pb_buf_init(&split);
	pop3_test_transcript(in, size, NULL, NULL, &whole);
	pop3_test_transcript(in, size, pb_test_chunk_random, &seed, &split);
	same_or_abort(&whole, &split);
	if (size <= 4096) {
		pb_buf_reset(&split);
		pop3_test_transcript(in, size, pb_test_chunk_bytes, NULL, &split);
		same_or_abort(&whole, &split);
	}
	pb_buf_deinit(&whole);
	pb_buf_deinit(&split);
	return 0;
}
