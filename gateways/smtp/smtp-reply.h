/*
 * smtp-reply.h: SMTP reply suggestions and reply formatting (RFC 5321 4.2, RFC 2034 enhanced
 * status codes, RFC 2920 multi-line replies), and the EHLO keyword list.
 * Pure: no sockets, no clock. OWNS nothing (formats into the caller's pb_buf).
 * THREAD: any.
 */
#ifndef SMTP_REPLY_H
#define SMTP_REPLY_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A reply line (RFC 5321 4.5.3.1.5: 512 octets including CRLF). */
#define SMTP_REPLY_LINE_MAX 512

/* A reply the session can send as is. The parsers fill one in for every error so the
 * session need not know the wording. Strings are owned by whoever produced the reply
 * (static text, or the parser's storage until its next call). */
struct smtp_reply {
	int code;		/* 3-digit reply code, e.g. 501 */
	const char *enhanced;	/* RFC 3463 enhanced status code, e.g. "5.5.4"; NULL: none */
	const char *text;	/* human-readable text, one line */
	bool close;		/* the session should close the connection after sending it */
};

/* Appends one reply to out: "code enhanced text\r\n". A text containing '\n' becomes a
 * multi-line reply, one "code-enhanced line" per piece and "code enhanced last" at the end.
 * CR and other control bytes in text are sent as '?'; a line that would exceed
 * SMTP_REPLY_LINE_MAX is cut. code must be 200..599 (ASSERTed); enhanced may be NULL. */
void smtp_reply_format(struct pb_buf *out, int code, const char *enhanced, const char *text);

/* Same as smtp_reply_format(out, r->code, r->enhanced, r->text). */
void smtp_reply_append(struct pb_buf *out, const struct smtp_reply *r);

/* Appends a multi-line reply made of n lines (n >= 1), same rules as smtp_reply_format. */
void smtp_reply_format_lines(struct pb_buf *out, int code, const char *enhanced,
			     const char *const *lines, size_t n);

/* What the server offers in its EHLO reply. Zero-initialised means "nothing". */
struct smtp_ehlo_caps {
	bool size;		 /* SIZE (RFC 1870) */
	uint64_t size_max;	 /* its value; 0 = no fixed maximum ("SIZE" alone) */
	bool pipelining;	 /* PIPELINING (RFC 2920) */
	bool vrfy;		 /* VRFY */
	bool starttls;		 /* STARTTLS (RFC 3207); the session clears it once in TLS */
	const char *auth;	 /* AUTH mechanisms, space separated (RFC 4954); NULL/"": none */
	bool enhancedstatuscodes; /* ENHANCEDSTATUSCODES (RFC 2034) */
	bool eightbitmime;	 /* 8BITMIME (RFC 6152) */
	bool binarymime;	 /* BINARYMIME (RFC 3030; needs chunking) */
	bool dsn;		 /* DSN (RFC 3461) */
	bool smtputf8;		 /* SMTPUTF8 (RFC 6531) */
	bool chunking;		 /* CHUNKING (RFC 3030) */
	bool etrn;		 /* ETRN (RFC 1985) */
};

/* Appends the whole EHLO reply: "250-<hostname> <greeting>" then one line per keyword, in
 * Postfix's order, the last with "250 ". greeting may be NULL. No enhanced codes (RFC 2034
 * does not put them on EHLO). hostname is the server's own name (trusted input). */
void smtp_reply_ehlo(struct pb_buf *out, const char *hostname, const char *greeting,
		     const struct smtp_ehlo_caps *caps);

#endif
