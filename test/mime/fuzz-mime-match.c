/*
 * fuzz-mime-match.c: libFuzzer target for the wildcard / regex matcher: the input is
 * "pattern NUL text". Every match must end (the match limit) and a wildcard without '*'
 * or '?' must match itself. OWNS nothing. THREAD: libFuzzer's.
 */
#include "mime-match.h"
#include "pb-alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t plen = nul != NULL ? (size_t)(nul - data) : size;
	char *pattern = xstrndup((const char *)data, plen);
	const char *text = nul != NULL ? (const char *)nul + 1 : "";
	size_t tlen = nul != NULL ? size - plen - 1 : 0;
	struct mime_match *m = NULL;
	const char *error;

	if (mime_match_compile(pattern, &m, &error) == 0) {
		(void)mime_match_run(m, text, tlen, &error);
		if (!mime_match_is_regex(pattern) && strpbrk(pattern, "*?") == NULL &&
		    mime_match_run(m, pattern, plen, &error) != 1)
			abort();
		mime_match_free(&m);
	}
	free(pattern);
	return 0;
}
