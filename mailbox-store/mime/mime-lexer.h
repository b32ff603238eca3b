/*
 * mime-lexer.h: INTERNAL to pb_mime. A cursor over one structured header value with the
 * RFC 5322 / RFC 2045 lexical rules (whitespace and nested comments, quoted strings with
 * quoted-pairs, RFC 2045 tokens, RFC 5322 atoms, domain literals). Lenient: an
 * unterminated comment or quoted string runs to the end of the value. No allocation
 * except into the caller's buffers. OWNS nothing. THREAD: the caller's.
 */
#ifndef MIME_LEXER_H
#define MIME_LEXER_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stddef.h>

struct mime_lexer {
	const char *s;
	size_t len;
	size_t pos;
};

static inline void mime_lexer_init(struct mime_lexer *lx, const char *s, size_t len)
{
	lx->s = s;
	lx->len = len;
	lx->pos = 0;
}

static inline bool mime_lexer_eof(const struct mime_lexer *lx)
{
	return lx->pos >= lx->len;
}

/* The next byte, or -1 at the end. */
static inline int mime_lexer_peek(const struct mime_lexer *lx)
{
	return lx->pos < lx->len ? (unsigned char)lx->s[lx->pos] : -1;
}

/* Skips whitespace (SP, HT, CR, LF) and comments. If comment is not NULL, the text of the
 * comments skipped (without parentheses, quoted-pairs undone) is appended to it, comments
 * separated by one space. */
void mime_lexer_skip_cfws(struct mime_lexer *lx, struct pb_buf *comment);
/* Reads an RFC 2045 token (no SP, CTL or tspecials; 8-bit bytes allowed) into out.
 * Returns false (and reads nothing) if there is none. */
bool mime_lexer_token(struct mime_lexer *lx, struct pb_buf *out);
/* Reads an RFC 5322 atom (atext; 8-bit bytes allowed) into out. Returns false if none. */
bool mime_lexer_atom(struct mime_lexer *lx, struct pb_buf *out);
/* At a '"': reads the quoted string's content (quoted-pairs undone, CR/LF removed) into
 * out. Returns false if not at a quote. */
bool mime_lexer_quoted(struct mime_lexer *lx, struct pb_buf *out);
/* At a '[': reads a domain literal including the brackets into out. Returns false if not
 * at a bracket. */
bool mime_lexer_domain_literal(struct mime_lexer *lx, struct pb_buf *out);
/* Skips to the next byte that is one of `stops`, outside quoted strings and comments (or
 * to the end). */
void mime_lexer_skip_to(struct mime_lexer *lx, const char *stops);

#endif
