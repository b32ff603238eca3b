/*
 * mime-decode.h: the decoders mail text needs: RFC 2047 encoded-words in header values,
 * RFC 2231 parameter values, quoted-printable and base64 bodies. Output is always UTF-8
 * (see mime-charset.h); bad input is decoded as well as it can be and never rejected.
 * OWNS nothing. THREAD: any.
 */
#ifndef MIME_DECODE_H
#define MIME_DECODE_H

#include "pb-buf.h"

#include <stddef.h>

/* An encoded-word longer than this (RFC 2047 says 75) is not decoded; 8x leaves room for
 * the long words real mailers write. */
#define MIME_ENCODED_WORD_MAX 600

/* Decodes an unstructured header value (Subject, a display name, Content-Description, a
 * quoted filename) to UTF-8 and appends it to out:
 * - RFC 2047 encoded-words (B and Q, charset*language) anywhere in the text, as Dovecot and
 *   Gmail do; whitespace between two adjacent encoded-words is dropped, and adjacent words
 *   in the same charset are joined before conversion so a character split across two
 *   words survives;
 * - malformed encoded-words (bad base64, unterminated, over MIME_ENCODED_WORD_MAX) stay
 *   as they are;
 * - raw 8-bit text is kept if it is UTF-8, otherwise read as windows-1252; raw 7-bit
 *   ISO-2022-JP (ESC sequences) is converted;
 * - CR and LF are removed (unfolding), NUL becomes U+FFFD. */
void mime_decode_header(const void *value, size_t len, struct pb_buf *out);

/* Decodes an RFC 2231 extended value "charset'language'percent-encoded" (charset and
 * language may be empty; without the two quotes the whole value is percent-decoded as
 * UTF-8) and appends it to out as UTF-8. */
void mime_decode_rfc2231(const char *value, size_t len, struct pb_buf *out);

/* Decodes a Content-Type / Content-Disposition parameter value as stored in the part tree
 * (see mime-part.h): a name ending in '*' is an RFC 2231 value, any other is decoded with
 * mime_decode_header() (Outlook writes RFC 2047 words inside quoted filenames). */
void mime_decode_param(const char *name, const char *value, struct pb_buf *out);

/* Decodes a quoted-printable body and appends the octets to out: soft line breaks are
 * removed, trailing whitespace before a line break is dropped (RFC 2045 6.7), line breaks
 * are kept as they are. Returns 0, or -1 with error_r (static text) if the input had
 * damage (a bad "=" escape); the best-effort output is appended either way. */
int mime_decode_qp(const void *data, size_t len, struct pb_buf *out, const char **error_r);

/* Decodes a base64 body and appends the octets to out. Line breaks and whitespace are
 * skipped; padding may be missing; a padded block may be followed by another. Returns 0,
 * or -1 with error_r (static text) if characters outside the alphabet or a truncated
 * final group were met; the best-effort output is appended either way. */
int mime_decode_base64(const void *data, size_t len, struct pb_buf *out, const char **error_r);

/* Decodes a body by its Content-Transfer-Encoding (NULL, "7bit", "8bit", "binary" and
 * unknown encodings copy the octets as they are; matching is case-insensitive). Returns
 * like mime_decode_base64(). */
int mime_decode_transfer(const char *encoding, const void *data, size_t len, struct pb_buf *out,
			 const char **error_r);

#endif
