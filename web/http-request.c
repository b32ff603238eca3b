/*
 * http-request.c: HTTP/1.1 requests read over libhttp-parser (see http-request.h).
 * OWNS: the parser and the request being read. THREAD: one session.
 */
#include "http-request.h"

#include "pb-alloc.h"

#include <ctype.h>
#include <http_parser.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

struct http_reader {
	http_parser parser;
	struct http_limits limits;
	struct http_request req;
	struct pb_buf target;     /* the URL as it arrives in pieces */
	struct pb_buf name, value; /* the field being read */
	bool in_value;            /* the last piece was a value (a new name ends the field) */
	size_t head_bytes;        /* request line + fields so far */
	size_t body_max;          /* this request's body limit (limits: max_body or max_upload) */
	bool sinking;             /* its body goes to limits.body_sink */
	bool continue_due;        /* Expect: 100-continue, the head accepted, no body byte yet */
	bool started, done;
	int status;               /* the error's status, 0 none */
	const char *error;
};

static const http_parser_settings settings;

static struct http_reader *of(http_parser *p)
{
	return p->data;
}

/* Records the first error (its status and reason); returns -1 for the parser to stop. */
static int fail(struct http_reader *r, int status, const char *reason)
{
	if (r->status == 0) {
		r->status = status;
		r->error = reason;
	}
	return -1;
}

/* Counts head octets against the limit: 0, or -1 with 431. */
static int head_add(struct http_reader *r, size_t n)
{
	r->head_bytes += n;
	if (r->head_bytes > r->limits.max_head)
		return fail(r, 431, "request header fields too large");
	return 0;
}

static int on_begin(http_parser *p)
{
	of(p)->started = true;
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
	struct http_reader *r = of(p);
	if (r->target.len + n > HTTP_TARGET_MAX)
		return fail(r, 414, "URI too long");
	if (head_add(r, n) < 0)
		return -1;
	pb_buf_append(&r->target, at, n);
	return 0;
}

static void trim_end(struct pb_buf *b)
{
	while (b->len > 0 && (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\t'))
		b->len--;
}

/* Whether a field name is a token (RFC 9110 5.1, 5.6.2): the parser lets spaces through. */
static bool name_ok(const struct pb_buf *name)
{
	for (size_t i = 0; i < name->len; i++) {
		unsigned char c = (unsigned char)name->data[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL)))
			return false;
	}
	return true;
}

/* The field read so far (name and value) joins the request. 0 / -1 (400, 431). */
static int field_end(struct http_reader *r)
{
	if (r->name.len == 0)
		return 0;
	if (!name_ok(&r->name))
		return fail(r, 400, "bad header field name");
	if (r->req.n_fields == HTTP_MAX_HEADERS)
		return fail(r, 431, "too many header fields");
	struct http_field *f = &r->req.fields[r->req.n_fields++];
	f->name = xstrndup((const char *)r->name.data, r->name.len);
	for (char *c = f->name; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	trim_end(&r->value);
	size_t skip = 0;
	while (skip < r->value.len && (r->value.data[skip] == ' ' || r->value.data[skip] == '\t'))
		skip++;
	f->value = xstrndup((const char *)r->value.data + skip, r->value.len - skip);
	pb_buf_reset(&r->name);
	pb_buf_reset(&r->value);
	r->in_value = false;
	return 0;
}

static int on_field(http_parser *p, const char *at, size_t n)
{
	struct http_reader *r = of(p);
	if (head_add(r, n) < 0 || (r->in_value && field_end(r) < 0))
		return -1;
	pb_buf_append(&r->name, at, n);
	return 0;
}

static int on_value(http_parser *p, const char *at, size_t n)
{
	struct http_reader *r = of(p);
	if (head_add(r, n) < 0)
		return -1;
	/* a NUL inside a value would cut it short in C strings: refuse it */
	if (memchr(at, '\0', n) != NULL)
		return fail(r, 400, "NUL in a header field");
	r->in_value = true;
	pb_buf_append(&r->value, at, n);
	return 0;
}

static int verb_of(unsigned int method, enum http_verb *verb_r)
{
	static const struct {
		unsigned int method;
		enum http_verb verb;
	} map[] = {
		{ HTTP_GET, HTTP_VERB_GET },       { HTTP_HEAD, HTTP_VERB_HEAD },
		{ HTTP_POST, HTTP_VERB_POST },     { HTTP_PUT, HTTP_VERB_PUT },
		{ HTTP_PATCH, HTTP_VERB_PATCH },   { HTTP_DELETE, HTTP_VERB_DELETE },
		{ HTTP_OPTIONS, HTTP_VERB_OPTIONS },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].method == method) {
			*verb_r = map[i].verb;
			return 0;
		}
	return -1;
}

/* Splits the target into path and query (origin form, or absolute form whose path is used;
 * "*" only for OPTIONS). 0 / -1 (400). */
static int target_split(struct http_reader *r)
{
	struct http_request *q = &r->req;
	struct http_parser_url u;

	q->target = xstrndup((const char *)r->target.data, r->target.len);
	if (strcmp(q->target, "*") == 0)
		return q->verb == HTTP_VERB_OPTIONS ? 0 : fail(r, 400, "bad request target");
	http_parser_url_init(&u);
	if (http_parser_parse_url(q->target, strlen(q->target), 0, &u) != 0)
		return fail(r, 400, "bad request target");
	const char *path = "/";
	size_t plen = 1;
	if ((u.field_set & (1u << UF_PATH)) != 0) {
		path = q->target + u.field_data[UF_PATH].off;
		plen = u.field_data[UF_PATH].len;
	}
	if (http_path_normalise(path, plen, &q->path) < 0)
		return fail(r, 400, "bad request path");
	if ((u.field_set & (1u << UF_QUERY)) != 0)
		q->query = xstrndup(q->target + u.field_data[UF_QUERY].off,
				    u.field_data[UF_QUERY].len);
	return 0;
}

/* The body the request may carry (max_upload for a POST to the upload path) in r->body_max:
 * 0, or -1 when upload_ok refuses the request (its status). */
static int body_max(struct http_reader *r, uint64_t length)
{
	const struct http_request *q = &r->req;
	int ok = 1;

	r->body_max = r->limits.max_body;
	if (r->limits.upload_path == NULL || q->verb != HTTP_VERB_POST || q->path == NULL ||
	    strcmp(q->path, r->limits.upload_path) != 0 || r->limits.max_upload <= r->limits.max_body)
		return 0;
	if (r->limits.upload_ok != NULL)
		ok = r->limits.upload_ok(r->limits.upload_ctx, q, length);
	if (ok >= 400)
		return fail(r, ok, "upload refused");
	if (ok == 1)
		r->body_max = r->limits.max_upload;
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct http_reader *r = of(p);
	struct http_request *q = &r->req;

	if (field_end(r) < 0)
		return -1;
	if (p->http_major != 1)
		return fail(r, 505, "HTTP version not supported");
	if (verb_of(p->method, &q->verb) < 0)
		return fail(r, 501, "method not implemented");
	q->major = p->http_major;
	q->minor = p->http_minor;
	if (q->minor >= 1 && http_request_field(q, "host") == NULL)
		return fail(r, 400, "Host header field missing");
	if (target_split(r) < 0)
		return -1;
	bool sized = (p->flags & F_CHUNKED) == 0 && p->content_length != ULLONG_MAX;
	if (body_max(r, sized ? p->content_length : 0) < 0)
		return -1;
	r->sinking = r->body_max > r->limits.max_body && r->limits.body_sink != NULL;
	if (sized && p->content_length > r->body_max)
		return fail(r, 413, "content too large");
	q->keep_alive = http_should_keep_alive(p) != 0;
	/* RFC 9110 10.1.1: a client that sent Expect: 100-continue may wait for a 100 before
	 * the body; HTTP/1.0 clients are not told (RFC 9110 15.2) */
	const char *expect = http_request_field(q, "expect");
	r->continue_due = q->minor >= 1 && expect != NULL &&
			  strcasecmp(expect, "100-continue") == 0 &&
			  (!sized || p->content_length > 0);
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
	struct http_reader *r = of(p);
	r->continue_due = false; /* the body comes anyway: a 100 now would be late */
	if (r->req.body.len + r->req.body_sunk + n > r->body_max)
		return fail(r, 413, "content too large");
	if (!r->sinking) {
		pb_buf_append(&r->req.body, at, n);
		return 0;
	}
	int rc = r->limits.body_sink(r->limits.upload_ctx, at, n);
	if (rc != 0)
		return fail(r, rc >= 400 ? rc : 503, "the body could not be stored");
	r->req.body_sunk += n;
	return 0;
}

static int on_complete(http_parser *p)
{
	struct http_reader *r = of(p);
	r->done = true;
	r->req.keep_alive = http_should_keep_alive(p) != 0;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_begin,
	.on_url = on_url,
	.on_header_field = on_field,
	.on_header_value = on_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_complete,
};

struct http_reader *http_reader_new(const struct http_limits *limits)
{
	struct http_reader *r = xcalloc(1, sizeof(*r));

	r->limits = *limits;
	http_parser_init(&r->parser, HTTP_REQUEST);
	r->parser.data = r;
	pb_buf_init(&r->target);
	pb_buf_init(&r->name);
	pb_buf_init(&r->value);
	pb_buf_init(&r->req.body);
	return r;
}

static void request_clear(struct http_request *q)
{
	for (size_t i = 0; i < q->n_fields; i++) {
		free(q->fields[i].name);
		free(q->fields[i].value);
	}
	free(q->target);
	free(q->path);
	free(q->query);
	struct pb_buf body = q->body;
	pb_buf_reset(&body);
	memset(q, 0, sizeof(*q));
	q->body = body;
}

void http_reader_free(struct http_reader **rp)
{
	struct http_reader *r = *rp;
	if (r == NULL)
		return;
	request_clear(&r->req);
	pb_buf_deinit(&r->req.body);
	pb_buf_deinit(&r->target);
	pb_buf_deinit(&r->name);
	pb_buf_deinit(&r->value);
	free(r);
	*rp = NULL;
}

/* The parser's own refusal as a status: a body or head too large, or a malformed request. */
static void parser_failed(struct http_reader *r)
{
	enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
	if (e == HPE_HEADER_OVERFLOW)
		fail(r, 431, "request header fields too large");
	else if (e == HPE_INVALID_METHOD)
		fail(r, 501, "method not implemented");
	else if (e == HPE_INVALID_VERSION)
		fail(r, 505, "HTTP version not supported");
	else
		fail(r, 400, http_errno_name(e));
}

enum http_read http_reader_feed(struct http_reader *r, const void *data, size_t len,
				size_t *used_r)
{
	*used_r = 0;
	if (r->status != 0)
		return HTTP_READ_ERROR;
	if (r->done)
		return HTTP_READ_DONE;
	size_t n = http_parser_execute(&r->parser, &settings, data, len);
	*used_r = n;
	if (r->done)
		return HTTP_READ_DONE;
	if (r->status != 0 || HTTP_PARSER_ERRNO(&r->parser) != HPE_OK) {
		parser_failed(r);
		return HTTP_READ_ERROR;
	}
	return HTTP_READ_MORE;
}

bool http_reader_continue(struct http_reader *r)
{
	bool due = r->continue_due && r->status == 0 && !r->done;

	r->continue_due = false;
	return due;
}

bool http_reader_started(const struct http_reader *r)
{
	return r->started && !r->done;
}

const struct http_request *http_reader_request(const struct http_reader *r)
{
	return r->done ? &r->req : NULL;
}

int http_reader_status(const struct http_reader *r)
{
	return r->status;
}

const char *http_reader_error(const struct http_reader *r)
{
	return r->error != NULL ? r->error : "";
}

void http_reader_next(struct http_reader *r)
{
	request_clear(&r->req);
	pb_buf_reset(&r->target);
	pb_buf_reset(&r->name);
	pb_buf_reset(&r->value);
	r->in_value = false;
	r->head_bytes = 0;
	r->started = r->done = r->continue_due = false;
	http_parser_pause(&r->parser, 0);
}

const char *http_request_field(const struct http_request *q, const char *name)
{
	for (size_t i = 0; i < q->n_fields; i++)
		if (strcmp(q->fields[i].name, name) == 0)
			return q->fields[i].value;
	return NULL;
}

const char *http_verb_name(enum http_verb verb)
{
	static const char *const names[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
					     "OPTIONS" };
	return (size_t)verb < sizeof(names) / sizeof(names[0]) ? names[verb] : "?";
}

int http_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Appends one decoded segment to out (no '/' inside it), refusing what http_path_normalise
 * refuses. 0 / -1. */
static int segment_add(struct pb_buf *out, const char *s, size_t n)
{
	struct pb_buf seg;
	int ret = 0;

	pb_buf_init(&seg);
	for (size_t i = 0; i < n && ret == 0; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int hi = i + 2 < n ? http_hex_value(s[i + 1]) : -1;
			int lo = i + 2 < n ? http_hex_value(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				ret = -1;
				break;
			}
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || c == '\\' || c == '/')
			ret = -1;
		else
			pb_buf_append_c(&seg, (char)c);
	}
	if (ret == 0 && seg.len == 2 && memcmp(seg.data, "..", 2) == 0)
		ret = -1;
	if (ret == 0 && !(seg.len == 1 && seg.data[0] == '.') && seg.len > 0) {
		pb_buf_append_c(out, '/');
		pb_buf_append(out, seg.data, seg.len);
	}
	pb_buf_deinit(&seg);
	return ret;
}

int http_path_normalise(const char *raw, size_t len, char **path_r)
{
	struct pb_buf out;
	size_t i = 0;
	bool dir = false; /* ends in '/' or a "." segment (RFC 3986 5.2.4: "/a/." is "/a/") */

	if (len == 0 || raw[0] != '/')
		return -1;
	pb_buf_init(&out);
	while (i < len) {
		while (i < len && raw[i] == '/')
			i++;
		size_t start = i;
		while (i < len && raw[i] != '/')
			i++;
		if (segment_add(&out, raw + start, i - start) < 0 || out.len > HTTP_PATH_MAX) {
			pb_buf_deinit(&out);
			return -1;
		}
		dir = i - start == 0 || (i - start == 1 && raw[start] == '.') ||
		      (i - start == 3 && strncasecmp(raw + start, "%2e", 3) == 0);
	}
	/* a trailing '/' is kept: "/admin/" names the directory's index */
	if (out.len == 0 || dir)
		pb_buf_append_c(&out, '/');
	if (out.len > HTTP_PATH_MAX) {
		pb_buf_deinit(&out);
		return -1;
	}
	*path_r = pb_buf_steal(&out, NULL);
	return 0;
}
