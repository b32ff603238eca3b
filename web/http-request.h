/*
 * http-request.h: reading HTTP/1.1 requests (RFC 9110/9112) from a byte stream, over Debian's
 * http-parser (libhttp-parser: the request line, headers, Content-Length and chunked bodies,
 * smuggling checks) — not by hand. A feed machine:
 *
 *	switch (http_reader_feed(r, bytes, n, &used)) {
 *	case HTTP_READ_MORE:  all n taken, the request goes on
 *	case HTTP_READ_DONE:  a whole request (http_reader_request); `used` bytes were its end,
 *	                      the rest belongs to the next one (pipelining): answer, then
 *	                      http_reader_next and feed the rest
 *	case HTTP_READ_ERROR: answer http_reader_status (400, 405, 408, 413, 414, 431, 501, 503,
 *	                      505) and close: the stream cannot be trusted past it
 *	}
 *
 * Bounded: the request line and headers together at most limits->max_head octets (431; a
 * target longer than HTTP_TARGET_MAX: 414), at most HTTP_MAX_HEADERS fields (431), a body at
 * most limits->max_body octets (limits->max_upload for a POST to limits->upload_path) (413, told as soon as Content-Length says so or the chunks
 * pass it). HTTP/1.1 without Host is 400 (RFC 9112 3.2); a version other than 1.x is 505.
 *
 * Pure: no sockets, no clock. OWNS: the request it fills (header names lowercased, values
 * with surrounding blanks trimmed, the target percent-decoded into a normalised path).
 * THREAD: one session.
 */
#ifndef HTTP_REQUEST_H
#define HTTP_REQUEST_H

#include "pb-buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 64
#define HTTP_TARGET_MAX 8192
#define HTTP_PATH_MAX 1024

enum http_read { HTTP_READ_MORE, HTTP_READ_DONE, HTTP_READ_ERROR };

enum http_verb {
	HTTP_VERB_GET,
	HTTP_VERB_HEAD,
	HTTP_VERB_POST,
	HTTP_VERB_PUT,
	HTTP_VERB_PATCH,
	HTTP_VERB_DELETE,
	HTTP_VERB_OPTIONS,
};

struct http_request;

struct http_limits {
	size_t max_head; /* request line + headers, octets */
	size_t max_body; /* body after transfer decoding, octets */
	/* A POST to exactly this path (NULL: none; borrowed, static) may carry a body of up to
	 * max_upload octets instead (an attachment upload), still held whole in memory — when
	 * upload_ok (NULL: always) says so of the request's head (the caller's check, e.g. a
	 * login's cookie and its account's room: a stranger's body stays within max_body).
	 * upload_ok is given the Content-Length (0: chunked, unknown) and returns 1 (max_upload),
	 * 0 (max_body), or an HTTP status (>= 400) the request fails with at once, no body read. */
	const char *upload_path;
	size_t max_upload;
	int (*upload_ok)(void *ctx, const struct http_request *q, uint64_t length);
	void *upload_ctx;
	/* When not NULL, such an upload's body is not kept: each piece goes to body_sink as it
	 * arrives (ctx upload_ctx; 0, -1: the request fails with 503, or an HTTP status >= 400 it
	 * fails with) and the request's body_sunk counts it. */
	int (*body_sink)(void *ctx, const void *data, size_t len);
};

struct http_field {
	char *name;  /* lowercased */
	char *value; /* trimmed */
};

struct http_request {
	enum http_verb verb;
	unsigned short major, minor;
	char *target;    /* as sent */
	char *path;      /* decoded and normalised ("/a/b"), NULL when the target has none */
	char *query;     /* raw, without '?'; NULL when absent */
	struct http_field fields[HTTP_MAX_HEADERS];
	size_t n_fields;
	struct pb_buf body;
	uint64_t body_sunk; /* octets given to limits->body_sink instead of body */
	bool keep_alive; /* the connection may carry another request after this one */
};

struct http_reader;

/* A reader with these limits (copied). Free with http_reader_free. */
struct http_reader *http_reader_new(const struct http_limits *limits);
void http_reader_free(struct http_reader **r);
/* Feeds bytes; see above. *used_r: how many of them this call took (all, for MORE). */
enum http_read http_reader_feed(struct http_reader *r, const void *data, size_t len,
				size_t *used_r);
/* After HTTP_READ_MORE: true once when the request's head is read and accepted (its body
 * within the limit), it asked Expect: 100-continue (HTTP/1.1) and no byte of its body has
 * come: the caller writes "HTTP/1.1 100 Continue" before waiting for the body (RFC 9110
 * 10.1.1). A body too large is refused at the head (413) without it. */
bool http_reader_continue(struct http_reader *r);
/* Whether a request has begun (some of its bytes were fed) and is not complete. */
bool http_reader_started(const struct http_reader *r);
/* After HTTP_READ_DONE: the request (valid until http_reader_next or free). */
const struct http_request *http_reader_request(const struct http_reader *r);
/* After HTTP_READ_ERROR: the status to answer and a short reason (static). */
int http_reader_status(const struct http_reader *r);
const char *http_reader_error(const struct http_reader *r);
/* Forgets the request just answered; the next feed reads the next one. */
void http_reader_next(struct http_reader *r);

/* The value of the request's field `name` (lowercase), NULL if absent (the first if repeated). */
const char *http_request_field(const struct http_request *q, const char *name);
const char *http_verb_name(enum http_verb verb);

/* The value of a hex digit (either case), -1 for another character. */
int http_hex_value(char c);

/* Decodes a target's path (percent-escapes, RFC 3986) and normalises it: "." segments
 * dropped, repeated '/' collapsed. Refused (-1): an escape that is not two hex digits, a
 * decoded NUL, '\\' or control character, a ".." segment (never resolved: a client asking
 * for one is refused, not served something above), a result over HTTP_PATH_MAX. Returns
 * 0 with *path_r allocated (the caller frees it). */
int http_path_normalise(const char *raw, size_t len, char **path_r);

#endif
