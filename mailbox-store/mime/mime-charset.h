/*
 * mime-charset.h: any charset iconv knows, converted to UTF-8; UTF-8 validation.
 * Conversion never fails: invalid or truncated input becomes U+FFFD, an unknown charset is
 * read as UTF-8 (like Dovecot). Labels are mapped the way mail clients and browsers read
 * them (iso-8859-1 and us-ascii with 8-bit bytes as windows-1252, ks_c_5601-1987 as CP949,
 * gb2312 as GB18030, ...). OWNS nothing. THREAD: any (no shared state; one iconv
 * descriptor per call).
 */
#ifndef MIME_CHARSET_H
#define MIME_CHARSET_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stddef.h>

/* U+FFFD REPLACEMENT CHARACTER, UTF-8 encoded. */
#define MIME_UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* Appends len bytes of text in `charset` (any case, may be NULL = UTF-8) to out as UTF-8. */
void mime_charset_to_utf8(const char *charset, const void *data, size_t len,
			  struct pb_buf *out);
/* Appends data to out, replacing each invalid UTF-8 sequence (overlong, surrogate, beyond
 * U+10FFFF, truncated) with U+FFFD. NUL bytes are kept. */
void mime_utf8_append_valid(struct pb_buf *out, const void *data, size_t len);
/* True if data is well-formed UTF-8 (plain ASCII included). */
bool mime_utf8_is_valid(const void *data, size_t len);
/* True if the charset label is UTF-8 or a subset of it that needs no conversion (utf-8,
 * utf8, us-ascii, ascii). */
bool mime_charset_is_utf8(const char *charset);
/* True if iconv can convert from this label (after the client-compatible aliasing). */
bool mime_charset_is_known(const char *charset);
/* Decodes one UTF-8 code point at s (n bytes available). Returns its length (1..4) and the
 * code point in cp_r, or 0 if the sequence is invalid (cp_r = U+FFFD, skip one byte). */
size_t mime_utf8_decode_char(const unsigned char *s, size_t n, unsigned int *cp_r);
/* Appends code point cp (<= 0x10FFFF) as UTF-8. */
void mime_utf8_append_char(struct pb_buf *out, unsigned int cp);

#endif
