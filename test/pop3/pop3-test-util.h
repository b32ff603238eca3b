/*
 * pop3-test-util.h: helpers shared by the POP3 protocol tests, goldens and fuzz targets:
 * rendering a parsed command as one text line, and a session model that drives the parser
 * (with AUTH continuation lines) over an input split into reads of chosen sizes.
 * OWNS nothing global. THREAD: any.
 */
#ifndef POP3_TEST_UTIL_H
#define POP3_TEST_UTIL_H

#include "pb-buf.h"
#include "pb-test-files.h"
#include "pop3-parser.h"

#include <stddef.h>
#include <stdint.h>

/* Appends s[0..len) with C-style escapes (\r \n \t \" \\ \xHH, bytes >= 0x80 too). */
void pop3_test_escape(struct pb_buf *out, const char *s, size_t len);

/* Appends one line for the result ret of pop3_parser_next and cmd, ending in '\n':
 * "CMD RETR msg=1" or "ERR \"text\" verb=RETR". */
void pop3_test_render_cmd(struct pb_buf *out, int ret, const struct pop3_cmd *cmd);

/* Gives the size of read number i (0 is taken as 1). */
typedef size_t pop3_test_chunker(size_t i, void *ctx);

/* Runs in[0..len) through the model and appends the transcript to out: every command
 * result; after "AUTH mechanism" without initial response one raw line ("AUTHLINE ...");
 * at the end "EOF pending=N". Reads are sized by chunker (NULL: one read). The
 * transcript must not depend on the chunker. */
void pop3_test_transcript(const char *in, size_t len, pop3_test_chunker *chunker, void *ctx,
			  struct pb_buf *out);



#endif
