/*
 * smtp-test-util.h: helpers shared by the SMTP protocol tests, the golden transcripts and
 * the fuzz targets: rendering a parsed command as one text line, and a small model of a
 * session that drives the parser, the DATA decoder and the BDAT reader over an input split
 * into reads of chosen sizes.
 * OWNS nothing global. THREAD: any (no shared state).
 */
#ifndef SMTP_TEST_UTIL_H
#define SMTP_TEST_UTIL_H

#include "pb-buf.h"
#include "pb-test-files.h"
#include "smtp-data.h"
#include "smtp-parser.h"

#include <stddef.h>

/* Appends s[0..len) with C-style escapes (\r \n \t \" \\ \xHH for other non-printables;
 * bytes >= 0x80 are escaped too, so transcripts stay ASCII). */
void smtp_test_escape(struct pb_buf *out, const char *s, size_t len);

/* Appends one line describing the result ret of smtp_parser_next and cmd, ending in '\n':
 * "CMD MAIL path=\"a@b\" ..." or "ERR 501 5.5.4 \"text\" kind=SYNTAX verb=MAIL". */
void smtp_test_render_cmd(struct pb_buf *out, int ret, const struct smtp_cmd *cmd);

/* Gives the size of the read number i (>= 1; 0 is taken as 1). */
typedef size_t smtp_test_chunker(size_t i, void *ctx);

/*
 * Runs in[0..len) through the session model and appends the transcript to out:
 *  - commands are parsed; every result is rendered (smtp_test_render_cmd);
 *  - after DATA the content goes through the DATA decoder ("BODY ..." at its end); after
 *    BDAT the chunk through the BDAT reader ("CHUNK ..."; "BODY ..." after LAST); after
 *    an AUTH without initial response one raw line is read ("AUTHLINE ...");
 *  - bytes arrive in reads sized by chunker (NULL: one read of everything); in command
 *    mode a read goes to the parser, in DATA/BDAT mode straight to the decoder, and what
 *    the decoder leaves goes back to the parser, as a session does;
 *  - at the end, "EOF mode=... pending=N".
 * max_size is the message size limit given to the decoders, under the strict policy
 * (smtp_test_strict). The transcript must not depend on the chunker.
 */
void smtp_test_transcript(const char *in, size_t len, uint64_t max_size,
			  smtp_test_chunker *chunker, void *ctx, struct pb_buf *out);
/* The same with the decoders under policy p. */
void smtp_test_transcript_policy(const char *in, size_t len, const struct smtp_body_policy *p,
				 smtp_test_chunker *chunker, void *ctx, struct pb_buf *out);

/* The strict policy (smtp.bare_newlines reject, lines of SMTP_DATA_LINE_MAX) with max_size. */
struct smtp_body_policy smtp_test_strict(uint64_t max_size);
/* The default policy (normalize, lines of max_line octets) with max_size. */
struct smtp_body_policy smtp_test_normalize(uint64_t max_size, uint64_t max_line);



#endif
