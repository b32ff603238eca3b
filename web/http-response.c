/*
 * http-response.c: response heads and the header checks that choose them (see
 * http-response.h). OWNS nothing. THREAD: any.
 */
#include "http-response.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *http_status_text(int status)
{
	static const struct {
		int status;
		const char *text;
	} texts[] = {
		{ 200, "OK" },
		{ 201, "Created" },
		{ 202, "Accepted" },
		{ 204, "No Content" },
		{ 301, "Moved Permanently" },
		{ 304, "Not Modified" },
		{ 308, "Permanent Redirect" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 408, "Request Timeout" },
		{ 409, "Conflict" },
		{ 410, "Gone" },
		{ 413, "Content Too Large" },
		{ 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" },
		{ 501, "Not Implemented" },
		{ 503, "Service Unavailable" },
		{ 505, "HTTP Version Not Supported" },
		{ 507, "Insufficient Storage" },
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].status == status)
			return texts[i].text;
	return "Unknown";
}

static void date_write(struct pb_buf *out, time_t now)
{
	struct tm tm;
	char date[64];

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	pb_buf_printf(out, "Date: %s\r\n", date);
}

void http_head_write(struct pb_buf *out, const struct http_head *h, time_t now)
{
	pb_buf_printf(out, "HTTP/1.1 %d %s\r\n", h->status, http_status_text(h->status));
	date_write(out, now);
	pb_buf_append_str(out, "Server: Pillarbox\r\n");
	if (h->content_type != NULL)
		pb_buf_printf(out, "Content-Type: %s\r\n", h->content_type);
	if (h->status != 204 && h->status != 304 && !h->stream)
		pb_buf_printf(out, "Content-Length: %llu\r\n", (unsigned long long)h->length);
	if (h->encoding != NULL)
		pb_buf_printf(out, "Content-Encoding: %s\r\n", h->encoding);
	if (h->vary_encoding)
		pb_buf_append_str(out, "Vary: Accept-Encoding\r\n");
	if (h->etag != NULL)
		pb_buf_printf(out, "ETag: %s\r\n", h->etag);
	pb_buf_printf(out, "Cache-Control: %s\r\n",
		      h->cache_control != NULL ? h->cache_control : "no-store");
	if (h->location != NULL)
		pb_buf_printf(out, "Location: %s\r\n", h->location);
	if (h->allow != NULL)
		pb_buf_printf(out, "Allow: %s\r\n", h->allow);
	if (h->set_cookie != NULL)
		pb_buf_printf(out, "Set-Cookie: %s\r\n", h->set_cookie);
	if (h->disposition != NULL)
		pb_buf_printf(out, "Content-Disposition: %s\r\n", h->disposition);
	if (h->retry_after_s != 0)
		pb_buf_printf(out, "Retry-After: %u\r\n", (unsigned)h->retry_after_s);
	pb_buf_append_str(out, "Content-Security-Policy: " HTTP_CSP "\r\n"
			       "X-Content-Type-Options: nosniff\r\n"
			       "X-Frame-Options: DENY\r\n"
			       "Referrer-Policy: no-referrer\r\n"
			       "Cross-Origin-Opener-Policy: same-origin\r\n");
	if (h->tls)
		pb_buf_append_str(out, "Strict-Transport-Security: max-age=31536000\r\n");
	pb_buf_append_str(out, h->keep_alive ? "" : "Connection: close\r\n");
	pb_buf_append_str(out, "\r\n");
}

void http_error_write(struct pb_buf *out, int status, bool keep_alive, bool tls, bool with_body,
		      const char *allow, time_t now)
{
	char body[96];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, http_status_text(status));
	struct http_head h = { .status = status, .content_type = "text/plain; charset=utf-8",
			       .length = (uint64_t)n, .keep_alive = keep_alive, .tls = tls,
			       .allow = allow };

	http_head_write(out, &h, now);
	if (with_body)
		pb_buf_append(out, body, (size_t)n);
}

/* The next comma-separated element of a list field: [*start_r, *end_r) trimmed; returns the
 * position after it, or NULL at the end. */
static const char *list_next(const char *p, const char **start_r, const char **end_r)
{
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	if (*p == '\0')
		return NULL;
	const char *e = p;
	while (*e != '\0' && *e != ',')
		e++;
	const char *t = e;
	while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
		t--;
	*start_r = p;
	*end_r = t;
	return e;
}

/* Whether an Accept-Encoding element's parameters give q=0 (refused). */
static bool q_zero(const char *semi, const char *end)
{
	for (const char *p = semi; p != NULL && p < end; p = memchr(p + 1, ';', (size_t)(end - p - 1))) {
		const char *v = p + 1;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (end - v >= 2 && tolower((unsigned char)v[0]) == 'q' && v[1] == '=') {
			v += 2;
			while (v < end && (*v == '0' || *v == '.'))
				v++;
			return v == end || *v == ' ' || *v == ';';
		}
	}
	return false;
}

bool http_accepts_gzip(const char *accept)
{
	const char *s, *e;

	if (accept == NULL)
		return false;
	for (const char *p = accept; (p = list_next(p, &s, &e)) != NULL;) {
		const char *semi = memchr(s, ';', (size_t)(e - s));
		const char *name_end = semi != NULL ? semi : e;
		while (name_end > s && (name_end[-1] == ' ' || name_end[-1] == '\t'))
			name_end--;
		size_t n = (size_t)(name_end - s);
		bool gz = (n == 4 && strncasecmp(s, "gzip", 4) == 0) ||
			  (n == 6 && strncasecmp(s, "x-gzip", 6) == 0) || (n == 1 && *s == '*');
		if (gz)
			return !q_zero(semi, e);
	}
	return false;
}

/* An entity tag without its weakness prefix. */
static void opaque(const char **s, const char **e)
{
	if (*e - *s >= 2 && (*s)[0] == 'W' && (*s)[1] == '/')
		*s += 2;
}

bool http_etag_matches(const char *inm, const char *etag)
{
	const char *s, *e;
	const char *ts = etag, *te = etag + strlen(etag);

	if (inm == NULL)
		return false;
	opaque(&ts, &te);
	for (const char *p = inm; (p = list_next(p, &s, &e)) != NULL;) {
		if (e - s == 1 && *s == '*')
			return true;
		opaque(&s, &e);
		if (e - s == te - ts && memcmp(s, ts, (size_t)(te - ts)) == 0)
			return true;
	}
	return false;
}
