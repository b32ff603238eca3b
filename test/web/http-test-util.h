/*
 * http-test-util.h: the HTTP reader's transcript for the unit tests and the fuzz target: the
 * requests read from a byte stream (fed whole or in chunks), one line each, and the error
 * that ended it. OWNS nothing. THREAD: the test's.
 */
#ifndef HTTP_TEST_UTIL_H
#define HTTP_TEST_UTIL_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stddef.h>

/* Limits of the transcript's reader: 1 KiB of head, 64 octets of body. */
#define HTTP_TEST_MAX_HEAD 1024
#define HTTP_TEST_MAX_BODY 64

/* Appends to out one line per request read from in[0..len) ("GET /p q=... ka=1 f=N b=LEN"),
 * "ERR STATUS" for the error that stops it, "MORE" when the input ends inside a request.
 * chunker (NULL: whole) sizes each feed. */
void http_test_transcript(const char *in, size_t len, size_t (*chunker)(size_t, void *),
			  void *ctx, struct pb_buf *out);
/* Whether "ERR" lines carry the status (true, the unit tests). The fuzz target sets it false:
 * a request wrong in two ways may be refused for either, depending on where the reads split it
 * (libhttp-parser reports a token's data when a read ends inside it, so a limit of ours can
 * trip before the parser's own check of a later byte); which requests were read, and that the
 * stream was refused after them, must not depend on the splits. */
extern bool http_test_status_in_transcript;

#endif
