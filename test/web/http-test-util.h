/*
 * http-test-util.h: the HTTP reader's transcript for the unit tests and the fuzz target: the
 * requests read from a byte stream (fed whole or in chunks), one line each, and the error
 * that ended it. OWNS nothing. THREAD: the test's.
 */
#ifndef HTTP_TEST_UTIL_H
#define HTTP_TEST_UTIL_H

#include "pb-buf.h"

#include <stddef.h>

/* Limits of the transcript's reader: 1 KiB of head, 64 octets of body. */
#define HTTP_TEST_MAX_HEAD 1024
#define HTTP_TEST_MAX_BODY 64

/* Appends to out one line per request read from in[0..len) ("GET /p q=... ka=1 f=N b=LEN"),
 * "ERR STATUS" for the error that stops it, "MORE" when the input ends inside a request.
 * chunker (NULL: whole) sizes each feed. */
void http_test_transcript(const char *in, size_t len, size_t (*chunker)(size_t, void *),
			  void *ctx, struct pb_buf *out);

#endif
