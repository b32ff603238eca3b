/*
 * fuzz-imap-parser.c: libFuzzer target for the IMAP command parser through the session
 * model of imap-test-util.c (literals accepted or refused, streams summed). Besides the
 * sanitizers (and libFuzzer's memory limit), it checks that the transcript is the same fed
 * whole, in random reads and byte by byte (pb_test_fuzz_splits).
 */
#include "imap-test-util.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size <= 1 << 20)
		pb_test_fuzz_splits(imap_test_transcript, (const char *)data, size);
	return 0;
}
