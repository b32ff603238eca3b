/*
 * mime-match.h: the text patterns of the reference guide (section 3.2 and 3.3), shared by
 * aliases, rules and collectors. Compile once, match many.
 * - A DOS wildcard: '*' matches any sequence (also empty), '?' exactly one character;
 *   anchored at both ends; case-insensitive (Unicode simple case folding); characters are
 *   UTF-8 code points (an invalid byte counts as one character). No allocation; at worst
 *   O(text * pattern) steps, stopped at MIME_MATCH_WILD_STEPS.
 * - A regular expression: "/pattern/flags" (the pattern starts with '/', and what follows
 *   the last '/' is only flag letters) through PCRE2, in UTF mode (invalid UTF-8 in the
 *   text is tolerated), unanchored, case-sensitive unless flagged. Flags: i (caseless),
 *   s (dot matches newlines), m (multiline ^ $). "{,n}" means "{0,n}" as the guide says.
 *   A match stops at MIME_MATCH_LIMIT backtracking steps or MIME_MATCH_HEAP_KIB of memory,
 *   so a hostile pattern cannot stall the server.
 * Anything else (including "/path/x*" whose tail is not flags) is a wildcard.
 * OWNS compiled patterns. THREAD: a compiled pattern may be used by several threads at
 * once (matching only reads it).
 */
#ifndef MIME_MATCH_H
#define MIME_MATCH_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stddef.h>

#define MIME_MATCH_PATTERN_MAX 4096
#define MIME_MATCH_LIMIT 1000000
#define MIME_MATCH_HEAP_KIB 20480
#define MIME_MATCH_WILD_STEPS 50000000

struct mime_match;

/* True if pattern is a "/regex/flags" (not a wildcard). */
bool mime_match_is_regex(const char *pattern);
/* Compiles a wildcard or "/regex/flags". Returns 0 with *m_r (free with mime_match_free),
 * or -1 with error_r: a message valid until the next mime_match_compile() on this thread
 * (longer than MIME_MATCH_PATTERN_MAX, bad regex with PCRE2's reason and offset). */
int mime_match_compile(const char *pattern, struct mime_match **m_r, const char **error_r);
/* Matches text (len octets, UTF-8 expected). Returns 1 (match), 0 (no match), or -1 with
 * error_r (static text) when a match limit was hit or PCRE2 failed: the caller treats it
 * as no match and may log it. */
int mime_match_run(const struct mime_match *m, const char *text, size_t len,
		   const char **error_r);
/* Appends text (UTF-8 expected) case-folded as the wildcards fold it (Unicode simple
 * lowercase); invalid bytes are copied as they are. A case-insensitive substring search
 * is then memmem() of two folded strings (IMAP SEARCH). */
void mime_match_fold_utf8(const void *text, size_t len, struct pb_buf *out);
/* Frees; sets *m to NULL. NULL is allowed. */
void mime_match_free(struct mime_match **m);

#endif
