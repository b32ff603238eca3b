/*
 * pop3-stuff.h: the multi-line response body of RETR and TOP (RFC 1939 3): a stored
 * message in, its byte-stuffed transmission out, streamed in pieces so a 20 MB message is
 * never held whole.
 *
 *  - a line starting with '.' gets one more '.' in front;
 *  - line ends go out as CR LF: a bare LF in the stored message becomes CR LF (a CR LF
 *    stays as is; a bare CR, which SMTP never lets in, is passed through unchanged);
 *  - a message not ending with a line end gets one, then ".\r\n" ends the response;
 *  - TOP (lines >= 0): the header section, the blank line after it and the first "lines"
 *    lines of the body, then the terminator; a message without a blank line is all header
 *    and is sent whole.
 *
 * Pure: no I/O, no allocation of its own (appends to the caller's pb_buf; the output of a
 * piece of n bytes is at most 2n + 5 bytes). OWNS: only its small state. THREAD: one
 * session.
 */
#ifndef POP3_STUFF_H
#define POP3_STUFF_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pop3_stuff {
	int64_t top_lines;  /* -1: RETR (all); else body lines TOP still sends */
	bool line_start;    /* the next stored byte begins a line */
	bool prev_cr;	    /* the last stored byte was a CR */
	bool in_body;	    /* the blank line after the headers was passed */
	uint64_t line_len;  /* stored bytes of the current line so far */
	bool done;	    /* TOP reached its last line: further input is ignored */
	bool finished;	    /* the terminator was written */
};

/* Starts one response body. top_lines < 0: RETR; top_lines >= 0: TOP with that many body
 * lines. */
void pop3_stuff_init(struct pop3_stuff *s, int64_t top_lines);

/* Stuffs the next piece of the stored message, appending to out. Input after the TOP cut
 * is ignored. Must not be called after pop3_stuff_finish (ASSERTed). */
void pop3_stuff_feed(struct pop3_stuff *s, const void *data, size_t len, struct pb_buf *out);

/* True once TOP has all it needs: the caller may stop reading the stored message. Always
 * false for RETR. */
bool pop3_stuff_done(const struct pop3_stuff *s);

/* Ends the body: the missing line end, if any, then ".\r\n". */
void pop3_stuff_finish(struct pop3_stuff *s, struct pb_buf *out);

#endif
