/*
 * imap-list-match.h: LIST/LSUB patterns (RFC 3501 6.3.8): the reference and the mailbox
 * pattern made one UTF-8 pattern, and a folder name matched against it — "*" any characters,
 * "%" any characters but the hierarchy separator "/", INBOX (as the first component of a name)
 * in any case.
 * Pure. OWNS nothing. THREAD: any.
 */
#ifndef IMAP_LIST_MATCH_H
#define IMAP_LIST_MATCH_H

#include "pb-buf.h"

#include <stdbool.h>

/* A pattern's length limit (UTF-8 octets, reference included): longer ones match nothing. */
#define IMAP_LIST_PATTERN_MAX 2048

/* The full UTF-8 pattern, NUL-terminated into out (reset first): reference then pattern (a
 * pattern that starts with "/" ignores the reference), each decoded from modified UTF-7 unless
 * utf8. Returns 0, or -1 when a part is not valid (modified UTF-7 or UTF-8) or the result is
 * longer than IMAP_LIST_PATTERN_MAX: then nothing matches. */
int imap_list_pattern(const char *reference, const char *pattern, bool utf8, struct pb_buf *out);

/* Whether the whole of name matches pattern. Time O(len(pattern) * len(name)), no recursion. */
bool imap_list_match(const char *pattern, const char *name);

/* Whether pattern has a wildcard. */
bool imap_list_wild(const char *pattern);

#endif
