/*
 * fuzz-http-request.c: libFuzzer target for the HTTP request reader: besides the sanitizers,
 * the transcript (the requests read, and whether the stream was refused after them; not which
 * status: http-test-util.h) must be the same fed whole, in random reads and byte by byte.
 */
#include "http-test-util.h"
#include "pb-test-files.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	http_test_status_in_transcript = false; /* see http-test-util.h */
	pb_test_fuzz_splits(http_test_transcript, (const char *)data, size);
	return 0;
}
