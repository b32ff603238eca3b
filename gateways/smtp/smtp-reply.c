/*
 * smtp-reply.c: SMTP reply formatting and the EHLO keyword list.
 * OWNS nothing. THREAD: any.
 */
#include "smtp-reply.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends one reply line: code, '-' or ' ', optional enhanced code, the text piece
 * [text, text + len) with control bytes replaced, cut so the line fits, and CRLF. */
static void reply_line(struct pb_buf *out, int code, bool more, const char *enhanced,
		       const char *text, size_t len)
{
	size_t start = out->len;

	pb_buf_printf(out, "%03d%c", code, more ? '-' : ' ');
	if (enhanced != NULL && enhanced[0] != '\0')
		pb_buf_printf(out, "%s ", enhanced);
	ASSERT(out->len - start < SMTP_REPLY_LINE_MAX - 2); /* enhanced is ours, short */
	size_t room = SMTP_REPLY_LINE_MAX - 2 - (out->len - start);
	if (len > room)
		len = room;
	pb_buf_reserve(out, len + 2);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		pb_buf_append_c(out, c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
	pb_buf_append(out, "\r\n", 2);
}

void smtp_reply_format(struct pb_buf *out, int code, const char *enhanced, const char *text)
{
	ASSERT(code >= 200 && code <= 599);
	if (text == NULL)
		text = "";
	for (;;) {
		const char *nl = strchr(text, '\n');
		if (nl == NULL) {
			reply_line(out, code, false, enhanced, text, strlen(text));
			return;
		}
		reply_line(out, code, true, enhanced, text, (size_t)(nl - text));
		text = nl + 1;
	}
}

void smtp_reply_append(struct pb_buf *out, const struct smtp_reply *r)
{
	smtp_reply_format(out, r->code, r->enhanced, r->text);
}

void smtp_reply_format_lines(struct pb_buf *out, int code, const char *enhanced,
			     const char *const *lines, size_t n)
{
	ASSERT(code >= 200 && code <= 599);
	ASSERT(n >= 1);
	for (size_t i = 0; i < n; i++) {
		const char *s = lines[i] != NULL ? lines[i] : "";
		/* Each piece may itself hold '\n'; keep one physical line per '\n'. */
		for (;;) {
			const char *nl = strchr(s, '\n');
			size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);
			bool more = nl != NULL || i + 1 < n;
			reply_line(out, code, more, enhanced, s, len);
			if (nl == NULL)
				break;
			s = nl + 1;
		}
	}
}

void smtp_reply_ehlo(struct pb_buf *out, const char *hostname, const char *greeting,
		     const struct smtp_ehlo_caps *caps)
{
	const char *lines[16];
	char first[SMTP_REPLY_LINE_MAX], size[40];
	size_t n = 0;

	snprintf(first, sizeof(first), "%s%s%s", hostname, greeting != NULL ? " " : "",
		 greeting != NULL ? greeting : "");
	lines[n++] = first;
	if (caps->pipelining)
		lines[n++] = "PIPELINING";
	if (caps->size) {
		if (caps->size_max > 0)
			snprintf(size, sizeof(size), "SIZE %" PRIu64, caps->size_max);
		else
			snprintf(size, sizeof(size), "SIZE");
		lines[n++] = size;
	}
	if (caps->vrfy)
		lines[n++] = "VRFY";
	if (caps->starttls)
		lines[n++] = "STARTTLS";
	char *auth = NULL;
	if (caps->auth != NULL && caps->auth[0] != '\0')
		lines[n++] = auth = xasprintf("AUTH %s", caps->auth);
	if (caps->enhancedstatuscodes)
		lines[n++] = "ENHANCEDSTATUSCODES";
	if (caps->eightbitmime)
		lines[n++] = "8BITMIME";
	if (caps->binarymime)
		lines[n++] = "BINARYMIME";
	if (caps->dsn)
		lines[n++] = "DSN";
	if (caps->smtputf8)
		lines[n++] = "SMTPUTF8";
	if (caps->chunking)
		lines[n++] = "CHUNKING";
	if (caps->etrn)
		lines[n++] = "ETRN";
	smtp_reply_format_lines(out, 250, NULL, lines, n);
	free(auth);
}
