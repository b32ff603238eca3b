/*
 * smtp-data.h: the DATA content decoder (RFC 5321 4.1.1.4, 4.5.2): removes dot-stuffing,
 * finds the end-of-data "CRLF.CRLF", and checks the content while streaming it out.
 *
 * SMTP smuggling defence: the end of data is only a real CR LF "." CR LF — the CR LF before
 * the dot and the one after it both sent as CR LF by the client. A bare LF or a bare CR is
 * never part of the terminator, so "\n.\n", "\r.\r", "\r\n.\n" and "\n.\r\n" do not end
 * the data: the client's next commands stay content of one message.
 *
 * Bare newlines follow the policy (smtp.bare_newlines):
 *  - normalize (the default, as Postfix 3.9): a bare LF ends a content line and is stored as
 *    CR LF, so Unix text sent by curl or smtplib.sendmail(bytes) arrives with CR LF line ends.
 *    The line after it starts a line for dot-unstuffing (smtplib doubles a dot after a bare
 *    LF, as after CR LF; Postfix removes it there too), but never for the terminator: a "."
 *    after a bare LF, or a "." line ended by a bare LF, loses its dot and stays content.
 *  - reject (strict, the behaviour before): a message holding any bare LF or bare CR is
 *    rejected (550 5.5.2) once the real "\r\n.\r\n" arrives.
 * A bare CR (not followed by LF) is rejected in both modes (550 5.5.2): no client family
 * sends one, and stored it would carry "\r.\r" on to receivers that end data there.
 *
 * Limits (the session keeps reading to the terminator in every case, then rejects):
 *  - a text line longer than the policy's max_line octets, CR LF included, counted as stored
 *    (after unstuffing, a normalized LF as two): 500 5.5.2 Line too long (the reply names the
 *    limit, see smtp_data_reply);
 *  - content larger than max_size octets, counted as stored (after unstuffing and
 *    normalization): 552 5.3.4.
 *  - a NUL octet (RFC 5322 2.3 and RFC 5321 2.3.8: text never holds one; downstream C code
 *    would read it as the end of a string): 550 5.6.0 (BDAT BODY=BINARYMIME excepted).
 * If several apply, the verdict is, in this order: bare CR/LF, NUL, size, line length.
 * Output stops at the first violation (a run crossing the size or line limit is cut at
 * the limit; a bare CR or LF is not written), so a 20 MB junk stream does not grow the
 * session's buffer and the output is the same whatever the split; the session discards it.
 *
 * Output: the content as it will be stored, CRLF line ends, dot-stuffing removed; the CRLF
 * that precedes the terminating "." is the end of the last line and belongs to the content.
 * Any split of the input gives the same output and verdict (it works byte by byte).
 *
 * Also the BDAT chunk reader (RFC 3030): exact byte counts, no dot-stuffing, the same
 * bare CR/LF policy, line and size checks across chunk boundaries, unless the body is
 * BINARYMIME.
 *
 * Pure: no sockets, no clock, no allocation (structs live in the session).
 * OWNS: nothing but its counters. THREAD: one session.
 */
#ifndef SMTP_DATA_H
#define SMTP_DATA_H

#include "pb-buf.h"
#include "smtp-reply.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A text line, CRLF included (RFC 5321 4.5.3.1.6): the strict line limit. */
#define SMTP_DATA_LINE_MAX 1000

enum smtp_data_status {
	SMTP_DATA_OK = 0,
	SMTP_DATA_BARE_CR_LF,	 /* 550 5.5.2 Bare LF or CR in message is not allowed */
	SMTP_DATA_NUL,		 /* 550 5.6.0 NUL octets in message are not allowed */
	SMTP_DATA_TOO_BIG,	 /* 552 5.3.4 Message size exceeds fixed maximum message size */
	SMTP_DATA_LINE_TOO_LONG, /* 500 5.5.2 Line too long */
	SMTP_DATA_BARE_CR,	 /* 550 5.5.2 Bare CR in message is not allowed (normalize) */
};

/* How content is checked (the session fills it from the smtp settings). */
struct smtp_body_policy {
	uint64_t max_size;  /* octets stored; 0: no limit */
	uint64_t max_line;  /* octets of a stored line, CR LF included; 0: no limit */
	bool normalize_lf;  /* a bare LF ends a line, stored as CR LF; false: it rejects */
};

/* The reply for a status (static storage); NULL for SMTP_DATA_OK. */
const struct smtp_reply *smtp_data_status_reply(enum smtp_data_status status);
/* The reply for status under policy p, the limit named where one applies ("Line too long:
 * the limit is 1000 octets per line"): fills *r_out, whose text points into buf (size
 * octets, 128 are enough) or to static storage. status must not be SMTP_DATA_OK. */
void smtp_data_reply(enum smtp_data_status status, const struct smtp_body_policy *p,
		     struct smtp_reply *r_out, char *buf, size_t size);
/* The status as one word for logs (reason=bare_cr_lf): "ok", "bare_cr_lf" (a CR or LF not in
 * a CRLF pair), "bare_cr" (a CR not before LF), "nul", "too_big", "line_too_long"; "unknown"
 * for any other value. Static storage. */
const char *smtp_data_status_name(enum smtp_data_status status);

/* Content checks shared by DATA and BDAT. */
struct smtp_body_check {
	struct smtp_body_policy policy;
	uint64_t size;	   /* content octets (as stored) seen, even past the limit */
	uint64_t line_len; /* octets of the current line so far */
	bool bare, nul, too_big, line_too_long; /* bare: a bare CR (or, strict, a bare LF) */
	bool bare_lf; /* a bare LF was seen, normalized or not (intrusion protection counts it) */
};

struct smtp_data {
	int state;
	struct smtp_body_check check;
};

/* Starts decoding one message's content (call after the 354 reply) under policy p (copied). */
void smtp_data_init(struct smtp_data *d, const struct smtp_body_policy *p);

/*
 * Decodes data[0..len), appending content to out (not even touched once rejected). Returns
 * 1 when the end-of-data was reached: *consumed_r bytes, up to and including the final
 * ".\r\n", were used, and the rest of data belongs to the command parser (SMTP pipelining);
 * 0 when all len bytes were used and more are needed (*consumed_r == len). After 1, further
 * calls return 1 with *consumed_r == 0.
 */
int smtp_data_feed(struct smtp_data *d, const void *data, size_t len, struct pb_buf *out,
		   size_t *consumed_r);

/* The verdict so far (final once feed returned 1): SMTP_DATA_OK, or why to reject. */
enum smtp_data_status smtp_data_status(const struct smtp_data *d);

/* Content octets counted so far (as stored: after unstuffing and normalization). */
uint64_t smtp_data_size(const struct smtp_data *d);

/* ---- BDAT ------------------------------------------------------------------------------ */

struct smtp_bdat {
	struct smtp_body_check check;
	uint64_t remaining; /* octets left in the current chunk */
	bool binary;	    /* BODY=BINARYMIME: no CR/LF, line or normalization */
	bool prev_cr;	    /* the last content octet was a CR (its LF may come next chunk) */
	bool last;	    /* the current chunk is the LAST one */
};

/* Starts one message's content under policy p (copied). binary: BODY=BINARYMIME (only the
 * size is checked, nothing is normalized). */
void smtp_bdat_init(struct smtp_bdat *b, const struct smtp_body_policy *p, bool binary);

/* Starts a chunk of size octets (from "BDAT size [LAST]"). */
void smtp_bdat_chunk(struct smtp_bdat *b, uint64_t size, bool last);

/* Reads chunk content from data[0..len) and appends it to out (nothing once rejected).
 * Returns 1 when the chunk is complete (*consumed_r bytes used, the rest are commands), 0
 * when all len bytes were used and the chunk needs more. */
int smtp_bdat_feed(struct smtp_bdat *b, const void *data, size_t len, struct pb_buf *out,
		   size_t *consumed_r);

/* The verdict so far. A CR ending the LAST chunk counts as bare once that chunk is
 * complete; at the end of another chunk it waits for the next chunk's first octet. */
enum smtp_data_status smtp_bdat_status(const struct smtp_bdat *b);

#endif
