/*
 * fuzz-mime-signature.c: libFuzzer target — any bytes as a message given a signature: a
 * signed output holds the whole input's length and more, and signing it again keeps it as it
 * is (added once).
 * OWNS nothing. THREAD: the fuzzer's.
 */
#include "mime-signature.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mime_signature sig = { "Best regards\nACME Ltd", NULL, "Confidential" };
	struct pb_buf out, again;
	const char *why;

	int n = mime_signature_insert((const char *)data, size, &sig, &out, &why);
	if (n > 0) {
		if (out.len <= size)
			abort();
		if (mime_signature_insert((const char *)out.data, out.len, &sig, &again, &why) != 0)
			abort();
		pb_buf_deinit(&again);
	} else if (out.len != 0 || why == NULL) {
		abort();
	}
	pb_buf_deinit(&out);
	return 0;
}
