/*
 * http-response.h: writing HTTP/1.1 response heads (RFC 9110/9112) with the headers every
 * response of ours carries: Date, Server, Content-Length, Connection, and the security headers
 * (a Content-Security-Policy that allows no inline script and no framing, nosniff, no
 * referrer, HSTS under TLS). Pure: the time is passed in. THREAD: any.
 */
#ifndef HTTP_RESPONSE_H
#define HTTP_RESPONSE_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* The policy of every response: our pages load only our own scripts, styles and images. */
#define HTTP_CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
		 "connect-src 'self'; " \
		 "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

struct http_head {
	int status;
	const char *content_type; /* NULL: none (204, 304) */
	uint64_t length;          /* the body's octets (for HEAD too: what GET would send) */
	bool keep_alive;          /* false: "Connection: close" */
	bool tls;                 /* HSTS */
	const char *etag;         /* quoted entity tag or NULL */
	const char *encoding;     /* "gzip" or NULL */
	bool vary_encoding;       /* the body depends on Accept-Encoding */
	const char *cache_control; /* NULL: "no-store" */
	const char *location;     /* redirects */
	const char *allow;        /* 405 and OPTIONS */
	const char *set_cookie;   /* a Set-Cookie value or NULL */
	const char *disposition;  /* a Content-Disposition value or NULL */
	bool stream;              /* no Content-Length: the body ends with the connection */
	uint32_t retry_after_s;   /* 0: none; else "Retry-After: N" (503) */
};

/* The reason phrase of a status ("Not Found"); "Unknown" for one we never send. */
const char *http_status_text(int status);
/* Appends the status line and headers, the blank line included. */
void http_head_write(struct pb_buf *out, const struct http_head *h, time_t now);
/* Appends a whole response whose body is "STATUS REASON\n" in text/plain (with_body false:
 * its head only, for HEAD). allow: for 405, else NULL. */
void http_error_write(struct pb_buf *out, int status, bool keep_alive, bool tls, bool with_body,
		      const char *allow, time_t now);
/* Whether the client accepts gzip (Accept-Encoding, RFC 9110 12.5.3: a q of 0 refuses it). */
bool http_accepts_gzip(const char *accept_encoding);
/* Whether If-None-Match (a list of entity tags or "*") matches etag, weakly (RFC 9110 13.1.2). */
bool http_etag_matches(const char *if_none_match, const char *etag);

#endif
