/*
 * imap-mailbox-name.h: IMAP mailbox names — modified UTF-7 (RFC 3501 5.1.3) to and from
 * UTF-8, UTF-8 names as sent under UTF8=ACCEPT (RFC 6855), and the check every name passes
 * before it reaches the store.
 * Pure. OWNS nothing. THREAD: any.
 */
#ifndef IMAP_MAILBOX_NAME_H
#define IMAP_MAILBOX_NAME_H

#include "pb-buf.h"

#include <stdbool.h>

/* The hierarchy separator of our namespace. */
#define IMAP_MAILBOX_SEP '/'
/* A mailbox name's length in UTF-8 octets. */
#define IMAP_MAILBOX_NAME_MAX 1024

/* Decodes modified UTF-7 `in` to UTF-8, appended to out. Returns 0, or -1 with *error_r
 * (static) if `in` is not canonical modified UTF-7 (bad base64, "&" unterminated, a shift
 * encoding printable ASCII, a null shift "&-" pair, bad UTF-16, bytes >= 0x80). */
int imap_mutf7_to_utf8(const char *in, struct pb_buf *out, const char **error_r);
/* Encodes UTF-8 `in` as modified UTF-7, appended to out. Returns 0, or -1 if `in` is not
 * valid UTF-8 (nothing useful appended). */
int imap_utf8_to_mutf7(const char *in, struct pb_buf *out, const char **error_r);
/* Whether s is valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
bool imap_utf8_valid(const char *s);

/* Checks a UTF-8 name (after decoding): not empty, at most IMAP_MAILBOX_NAME_MAX octets,
 * valid UTF-8, no control characters (C0, DEL, C1), no leading "/" or "~", no empty, "." or
 * ".." component, no trailing "/", no "*" or "%" (they are LIST wildcards).
 * Returns 0 or -1 with *error_r (static text for after "NO "). */
int imap_mailbox_name_check(const char *utf8, const char **error_r);

#endif
