/*
 * mime-lexer.c: RFC 5322 / RFC 2045 lexical scanning of one header value.
 * OWNS nothing. THREAD: the caller's.
 */
#include "mime-lexer.h"

#include <string.h>

/* RFC 2045 tspecials */
static bool mime_is_tspecial(unsigned char c)
{
	return c != '\0' && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* RFC 5322 specials */
static bool mime_is_special(unsigned char c)
{
	return c != '\0' && strchr("()<>[]:;@\\,.\"", c) != NULL;
}

static bool mime_is_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skips one comment starting at '('. */
static void mime_lexer_comment(struct mime_lexer *lx, struct pb_buf *comment)
{
	unsigned int depth = 0;

	if (comment != NULL && comment->len > 0)
		pb_buf_append_c(comment, ' ');
	while (lx->pos < lx->len) {
		char c = lx->s[lx->pos++];
		if (c == '\\' && lx->pos < lx->len) {
			c = lx->s[lx->pos++];
		} else if (c == '(') {
			if (depth++ == 0)
				continue;
		} else if (c == ')') {
			if (--depth == 0)
				return;
		} else if (c == '\r' || c == '\n') {
			continue;
		}
		if (comment != NULL)
			pb_buf_append_c(comment, c);
	}
}

void mime_lexer_skip_cfws(struct mime_lexer *lx, struct pb_buf *comment)
{
	while (lx->pos < lx->len) {
		char c = lx->s[lx->pos];
		if (mime_is_wsp(c))
			lx->pos++;
		else if (c == '(')
			mime_lexer_comment(lx, comment);
		else
			return;
	}
}

bool mime_lexer_token(struct mime_lexer *lx, struct pb_buf *out)
{
	size_t start = lx->pos;

	while (lx->pos < lx->len) {
		unsigned char c = (unsigned char)lx->s[lx->pos];
		if (c <= ' ' || c == 0x7F || mime_is_tspecial(c))
			break;
		lx->pos++;
	}
	pb_buf_append(out, lx->s + start, lx->pos - start);
	return lx->pos > start;
}

bool mime_lexer_atom(struct mime_lexer *lx, struct pb_buf *out)
{
	size_t start = lx->pos;

	while (lx->pos < lx->len) {
		unsigned char c = (unsigned char)lx->s[lx->pos];
		if (c <= ' ' || c == 0x7F || mime_is_special(c))
			break;
		lx->pos++;
	}
	pb_buf_append(out, lx->s + start, lx->pos - start);
	return lx->pos > start;
}

bool mime_lexer_quoted(struct mime_lexer *lx, struct pb_buf *out)
{
	if (mime_lexer_peek(lx) != '"')
		return false;
	lx->pos++;
	while (lx->pos < lx->len) {
		char c = lx->s[lx->pos++];
		if (c == '"')
			return true;
		if (c == '\\' && lx->pos < lx->len)
			c = lx->s[lx->pos++];
		else if (c == '\r' || c == '\n')
			continue;
		pb_buf_append_c(out, c);
	}
	return true;
}

bool mime_lexer_domain_literal(struct mime_lexer *lx, struct pb_buf *out)
{
	if (mime_lexer_peek(lx) != '[')
		return false;
	while (lx->pos < lx->len) {
		char c = lx->s[lx->pos++];
		if (c == '\\' && lx->pos < lx->len) {
			pb_buf_append_c(out, c);
			c = lx->s[lx->pos++];
		} else if (c == '\r' || c == '\n') {
			continue;
		}
		pb_buf_append_c(out, c);
		if (c == ']')
			return true;
	}
	return true;
}

void mime_lexer_skip_to(struct mime_lexer *lx, const char *stops)
{
	struct pb_buf scratch;

	pb_buf_init(&scratch);
	while (lx->pos < lx->len) {
		char c = lx->s[lx->pos];
		if (c != '\0' && strchr(stops, c) != NULL)
			break;
		if (c == '"') {
			mime_lexer_quoted(lx, &scratch);
			pb_buf_reset(&scratch);
		} else if (c == '(') {
			mime_lexer_comment(lx, NULL);
		} else {
			lx->pos++;
		}
	}
	pb_buf_deinit(&scratch);
}
