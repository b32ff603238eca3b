/*
 * imap-mailbox-arg.h: a mailbox name as the client sends it and as we send it back — modified
 * UTF-7 (RFC 3501 5.1.3), or UTF-8 once the client enabled UTF8=ACCEPT (RFC 6855 3) — to and
 * from the UTF-8 name the mailbox owner keeps, with INBOX in any case meaning "INBOX".
 * Pure. OWNS nothing. THREAD: any.
 */
#ifndef IMAP_MAILBOX_ARG_H
#define IMAP_MAILBOX_ARG_H

#include "pb-buf.h"

#include <stdbool.h>

/* The folder the client's name means, NUL-terminated into out (reset first): decoded (utf8:
 * taken as UTF-8), a first component "INBOX" in any case made "INBOX", then checked with
 * imap_mailbox_name_check. trailing_sep: one trailing "/" is dropped first (CREATE, RFC 3501
 * 6.3.3). Returns 0, or -1 with *error_r (static). */
int imap_mailbox_arg_decode(const char *name, bool utf8, bool trailing_sep, struct pb_buf *out,
			    const char **error_r);

/* Appends the UTF-8 folder name as an IMAP quoted string (modified UTF-7 unless utf8, '"' and
 * '\' escaped). Returns 0, or -1 (nothing useful appended) when name is not valid UTF-8. */
int imap_mailbox_arg_quote(const char *name, bool utf8, struct pb_buf *out);

/* Whether two owner names are the same folder (INBOX in any case). */
bool imap_mailbox_arg_same(const char *a, const char *b);

#endif
