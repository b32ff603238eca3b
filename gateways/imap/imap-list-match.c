/*
 * imap-list-match.c: LIST patterns (see imap-list-match.h).
 * OWNS nothing. THREAD: any.
 *
 * Matching is a dynamic programme over the name (one row of booleans per pattern character)
 * rather than backtracking, so "*a*a*a*a*b" against a long name costs len(pattern) * len(name)
 * steps, never an exponential number.
 */
#include "imap-list-match.h"

#include "imap-mailbox-name.h"
#include "pb-alloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int decode_part(const char *s, bool utf8, struct pb_buf *out)
{
	const char *error;

	if (utf8) {
		if (!imap_utf8_valid(s))
			return -1;
		pb_buf_append_str(out, s);
		return 0;
	}
	return imap_mutf7_to_utf8(s, out, &error);
}

int imap_list_pattern(const char *reference, const char *pattern, bool utf8, struct pb_buf *out)
{
	pb_buf_reset(out);
	if (pattern[0] != IMAP_MAILBOX_SEP && decode_part(reference, utf8, out) < 0)
		return -1;
	if (decode_part(pattern, utf8, out) < 0 || out->len > IMAP_LIST_PATTERN_MAX)
		return -1;
	pb_buf_append_c(out, '\0');
	return 0;
}

bool imap_list_wild(const char *pattern)
{
	return strpbrk(pattern, "*%") != NULL;
}

/* How many leading octets of name compare in any case: those of a first component INBOX. */
static size_t icase_prefix(const char *name)
{
	return strncmp(name, "INBOX", 5) == 0 && (name[5] == '\0' || name[5] == '/') ? 5 : 0;
}

/* Whether pattern character p matches name character c at offset j (INBOX: any case). */
static bool char_eq(char p, char c, size_t j, size_t icase)
{
	return j < icase ? toupper((unsigned char)p) == c : p == c;
}

bool imap_list_match(const char *pattern, const char *name)
{
	size_t n = strlen(name), icase = icase_prefix(name);
	bool *row = xcalloc(n + 1, sizeof(*row)); /* row[j]: the pattern so far matches name[0, j) */

	row[0] = true;
	for (const char *p = pattern; *p != '\0'; p++) {
		bool wild = *p == '*' || *p == '%', diag = row[0];
		row[0] = wild && row[0];
		for (size_t j = 1; j <= n; j++) {
			bool old = row[j];
			if (wild)
				row[j] = old || (row[j - 1] && (*p == '*' || name[j - 1] != IMAP_MAILBOX_SEP));
			else
				row[j] = diag && char_eq(*p, name[j - 1], j - 1, icase);
			diag = old;
		}
	}
	bool ret = row[n];
	free(row);
	return ret;
}
