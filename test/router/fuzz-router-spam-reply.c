/*
 * fuzz-router-spam-reply.c: libFuzzer target — any bytes as rspamd's reply, parsed whole and
 * at eof, and byte at a time: a need-more answer must never come after a complete one, and a
 * result's action is always NUL-terminated.
 * OWNS nothing. THREAD: the fuzzer's.
 */
#include "router-spam-proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct router_spam_result r;
	const char *error;
	const char *text = (const char *)data;

	int whole = router_spam_reply_parse(text, size, false, &r, &error);
	if (whole == 1 && strnlen(r.action, sizeof(r.action)) == sizeof(r.action))
		abort();
	(void)router_spam_reply_parse(text, size, true, &r, &error);
	for (size_t n = 0; n < size && n < 4096; n++) {
		int part = router_spam_reply_parse(text, n, false, &r, &error);
		if (part == 1 && whole == 0)
			abort(); /* complete on a prefix, yet needing more on the whole */
	}
	return 0;
}
