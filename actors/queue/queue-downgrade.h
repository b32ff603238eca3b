/*
 * queue-downgrade.h: an 8-bit message made 7-bit for a server without 8BITMIME (RFC 6152
 * section 3: "convert the message to 7 bit MIME"), as Postfix's smtp client does: every leaf
 * part whose body holds octets over 127 and that is not transfer-encoded (none, 7bit or 8bit)
 * is re-encoded quoted-printable (RFC 2045 6.7) and its Content-Transfer-Encoding replaced;
 * multiparts are walked (their boundaries and the other parts kept byte for byte), an
 * embedded message/rfc822 is converted inside and declared 7bit. A message (top-level or
 * embedded) without MIME-Version whose body is converted gets "MIME-Version: 1.0" (and, without a Content-Type, text/plain with
 * charset=unknown-8bit, RFC 1428) so the encoding is understood.
 * What cannot be converted is refused with a reason: 8-bit octets in a header (RFC 6532
 * needs SMTPUTF8), in a multipart's preamble, boundary lines or epilogue, in a part that is
 * binary or already encoded, or a structure past the MIME parser's limits.
 * Pure: no store, no network. OWNS: nothing past the call. THREAD: any.
 */
#ifndef QUEUE_DOWNGRADE_H
#define QUEUE_DOWNGRADE_H

#include "pb-buf.h"

#include <stddef.h>

/* A message bigger than this is not converted (the whole message is held in memory). */
#define QUEUE_DOWNGRADE_MAX (16u * 1024 * 1024)

/* Appends the 7-bit form of msg (len octets, the whole message as stored) to out.
 * 0, or -1 with error_r (static text: why it cannot be converted); out may hold a part. */
int queue_downgrade(const void *msg, size_t len, struct pb_buf *out, const char **error_r);

/* Appends data (a body: lines ending in CRLF or LF) quoted-printable encoded to out: CRLF
 * line breaks, lines of at most 76 octets (soft breaks), '=', octets outside 33..126 and a
 * space or tab at a line's end as =XX. Pure; for the tests too. */
void queue_downgrade_qp(const void *data, size_t len, struct pb_buf *out);

#endif
