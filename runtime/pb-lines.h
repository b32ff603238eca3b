/*
 * pb-lines.h: line framing for the protocol parsers — an input buffer that hands out one line
 * at a time, with a per-call length limit, bounded memory, and secrets wiped.
 *
 *  - A line ends with LF; a CR before it is removed. The line is NUL-terminated in place.
 *  - An over-long line is not kept: once `max` octets without LF are buffered they are dropped
 *    and the reader skips to the next LF; the error is reported when that LF arrives, so
 *    replies stay in order and feeding byte by byte gives the same result as one feed.
 *    The last PB_LINES_TAIL octets of such a line are kept until the next call
 *    (pb_lines_dropped_tail): its end may announce octets that follow it (an IMAP literal).
 *  - Everything handed out or dropped is wiped (explicit_bzero) at the next call: lines may
 *    hold credentials (AUTH, PASS).
 *
 * Pure: no I/O, no clock. OWNS its buffer (at most max_input unparsed octets).
 * THREAD: the owner's (one session).
 */
#ifndef PB_LINES_H
#define PB_LINES_H

#include <stdbool.h>
#include <stddef.h>

/* The end of an over-long line kept for its reader: longer than any IMAP "~{20 digits+}". */
#define PB_LINES_TAIL 32

struct pb_lines {
	char *buf; /* input; buf[pos..len) is unparsed */
	size_t pos, len, cap;
	size_t scanned;	 /* buf[pos..pos+scanned) is known to hold no LF */
	bool discarding; /* inside an over-long line: dropping bytes up to its LF */
	size_t wipe_off; /* the line last handed out, wiped at the next call */
	size_t wipe_len;
	size_t max_input;
	char tail[PB_LINES_TAIL]; /* the last octets of the line being dropped (CR LF not kept) */
	size_t tail_len;
};

void pb_lines_init(struct pb_lines *l, size_t max_input);
/* Wipes and frees the buffer. */
void pb_lines_deinit(struct pb_lines *l);
/* Appends len bytes (copied). Returns 0, or -1 if the unparsed input would exceed max_input
 * (nothing taken). */
int pb_lines_feed(struct pb_lines *l, const void *data, size_t len);
/* Takes the next line of at most max octets, terminator included. Returns 1 with *line_r
 * (NUL-terminated, terminator removed, valid until the next call) and *len_r, 0 if more input
 * is needed, -1 once an over-long line was read to its LF and dropped. */
int pb_lines_take(struct pb_lines *l, size_t max, char **line_r, size_t *len_r);
/* After pb_lines_take returned -1: the last octets (at most PB_LINES_TAIL) of the dropped
 * line, its CR LF removed, valid until the next call. Returns their count. */
size_t pb_lines_dropped_tail(const struct pb_lines *l, const char **tail_r);
/* The unparsed bytes (valid until the next call). */
void pb_lines_pending(const struct pb_lines *l, const void **data_r, size_t *len_r);
/* Removes the first n unparsed bytes (n <= pending, ASSERTed), wiping the last line. */
void pb_lines_consume(struct pb_lines *l, size_t n);
/* Removes and wipes every unparsed byte, a partial or over-long line included. */
void pb_lines_discard(struct pb_lines *l);

#endif
