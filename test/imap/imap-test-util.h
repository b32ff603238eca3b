/*
 * imap-test-util.h: helpers shared by the IMAP parser tests and fuzz target: rendering an
 * event (the generic arguments and the typed structure) as text, and a session model that
 * drives the parser over an input split into reads of chosen sizes, answering literal
 * announcements as a session would.
 * OWNS nothing global. THREAD: any.
 */
#ifndef IMAP_TEST_UTIL_H
#define IMAP_TEST_UTIL_H

#include "imap-parser.h"
#include "pb-buf.h"
#include "pb-test-files.h"

#include <stddef.h>

/* Appends one line for the event, ending in '\n'. */
void imap_test_render(struct pb_buf *out, int ret, const struct imap_event *ev);

typedef size_t imap_test_chunker(size_t i, void *ctx);

/* Runs in[0..len) through the parser and appends the transcript: every event; a literal is
 * accepted if it fits (inline) or is at most 1 MiB (streamed), else refused; the octets of
 * a streamed literal are summed into one "DATA n sum=x" line when the literal ends. Reads
 * are sized by chunker (NULL: one read). The transcript must not depend on the chunker. */
void imap_test_transcript(const char *in, size_t len, imap_test_chunker *chunker, void *ctx,
			  struct pb_buf *out);

#endif
