/*
 * router-spam-proto.c: rspamd's protocol and what a verdict does to a plan (see
 * router-spam-proto.h).
 * OWNS: nothing. THREAD: any.
 */
#include "router-spam-proto.h"

#include "pb-alloc.h"
#include "pb-buf.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- the request ---- */

static bool header_value_ok(const char *v)
{
	if (v == NULL || v[0] == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static void add_header(struct pb_buf *b, const char *name, const char *value)
{
	if (header_value_ok(value))
		pb_buf_printf(b, "%s: %s\r\n", name, value);
}

char *router_spam_request_head(const struct router_spam_envelope *env, uint64_t content_length)
{
	struct pb_buf b;

	pb_buf_init(&b);
	pb_buf_printf(&b, "POST /checkv2 HTTP/1.0\r\nContent-Length: %llu\r\n",
		      (unsigned long long)content_length);
	/* rspamd's "From" is the envelope sender; the null sender is sent as "<>" */
	add_header(&b, "From", env->from != NULL && env->from[0] == '\0' ? "<>" : env->from);
	for (size_t i = 0; i < env->n_rcpts && i < ROUTER_SPAM_MAX_RCPT_HEADERS; i++)
		add_header(&b, "Rcpt", env->rcpts[i]);
	add_header(&b, "IP", env->ip);
	add_header(&b, "Helo", env->helo);
	add_header(&b, "User", env->user);
	add_header(&b, "Queue-Id", env->queue_id);
	pb_buf_printf(&b, "\r\n");
	char *head = xstrndup((const char *)b.data, b.len);
	pb_buf_deinit(&b);
	return head;
}

/* ---- the reply ---- */

/* Where the head ends (just past its empty line), or NULL. */
static const char *head_end(const char *data, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if (memcmp(data + i, "\r\n\r\n", 4) == 0)
			return data + i + 4;
	return NULL;
}

/* The Content-Length of the head [data, end): 1 found, 0 none, -1 malformed. */
static int content_length(const char *data, const char *end, uint64_t *len_r)
{
	static const char name[] = "\r\ncontent-length:";
	size_t n = sizeof(name) - 1;

	for (const char *p = data; p + n <= end; p++) {
		if (strncasecmp(p, name, n) != 0)
			continue;
		const char *v = p + n;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		uint64_t x = 0;
		const char *digits = v;
		while (v < end && *v >= '0' && *v <= '9' && x <= ROUTER_SPAM_REPLY_MAX)
			x = x * 10 + (uint64_t)(*v++ - '0');
		if (v == digits || x > ROUTER_SPAM_REPLY_MAX)
			return -1;
		*len_r = x;
		return 1;
	}
	return 0;
}

/* Reads rspamd's JSON: score (required), required_score and action (optional). */
static int parse_json(const char *body, size_t len, struct router_spam_result *r,
		      const char **error_r)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *score = cJSON_GetObjectItemCaseSensitive(root, "score");
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(root, "required_score");
	const cJSON *action = cJSON_GetObjectItemCaseSensitive(root, "action");

	if (!cJSON_IsNumber(score)) {
		cJSON_Delete(root);
		*error_r = root == NULL ? "the reply is not JSON" : "the reply has no score";
		return -1;
	}
	memset(r, 0, sizeof(*r));
	r->score = score->valuedouble;
	r->required_score = cJSON_IsNumber(req) ? req->valuedouble : 0;
	if (cJSON_IsString(action))
		snprintf(r->action, sizeof(r->action), "%s", action->valuestring);
	cJSON_Delete(root);
	return 1;
}

static bool status_ok(const char *data, size_t len)
{
	return len >= 12 && strncmp(data, "HTTP/1.", 7) == 0 && data[8] == ' ' &&
	       strncmp(data + 9, "200", 3) == 0;
}

int router_spam_reply_parse(const char *data, size_t len, bool eof,
			    struct router_spam_result *result_r, const char **error_r)
{
	if (len > ROUTER_SPAM_REPLY_MAX)
		return *error_r = "the reply is too large", -1;
	const char *body = head_end(data, len);
	if (body == NULL)
		return eof ? (*error_r = "the reply was cut short", -1) : 0;
	if (!status_ok(data, len))
		return *error_r = "rspamd did not answer 200", -1;
	uint64_t want = 0;
	int has = content_length(data, body - 2, &want);
	if (has < 0)
		return *error_r = "the reply's Content-Length is not valid", -1;
	size_t got = len - (size_t)(body - data);
	if (has == 0 && !eof)
		return 0; /* no length: the body runs to the close */
	if (has == 1 && got < want)
		return eof ? (*error_r = "the reply was cut short", -1) : 0;
	return parse_json(body, has == 1 ? (size_t)want : got, result_r, error_r);
}

/* ---- the client as our intake recorded it ---- */

/* Copies [p, p + n) into out (size), cut to fit. */
static void copy_cut(char *out, size_t size, const char *p, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* The end of the header that starts at p (its folded lines included). */
static const char *header_stop(const char *p, const char *end)
{
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL || nl + 1 >= end || (nl[1] != ' ' && nl[1] != '\t'))
			return nl != NULL ? nl : end;
		p = nl + 1;
	}
}

/* Whether the Received header [p, stop) says "(Pillarbox) with WORD" with WORD ending in A. */
static bool with_authenticated(const char *p, const char *stop)
{
	static const char mark[] = "(Pillarbox) with ";
	size_t n = sizeof(mark) - 1;

	for (; p + n <= stop; p++) {
		if (memcmp(p, mark, n) != 0)
			continue;
		const char *w = p + n, *e = w;
		while (e < stop && *e != ' ' && *e != '\r' && *e != '\n')
			e++;
		return e > w && e[-1] == 'A';
	}
	return false;
}

bool router_spam_peer(const char *head, size_t len, char *ip_r, size_t ip_size, char *helo_r,
		      size_t helo_size, bool *authenticated_r)
{
	const char *p = head, *end = head + len;
	static const char rcvd[] = "Received: from ";

	ip_r[0] = helo_r[0] = '\0';
	*authenticated_r = false;
	if (len >= 12 && strncasecmp(p, "Return-Path:", 12) == 0) {
		const char *nl = memchr(p, '\n', len);
		if (nl == NULL)
			return false;
		p = nl + 1;
	}
	if ((size_t)(end - p) < sizeof(rcvd) - 1 || memcmp(p, rcvd, sizeof(rcvd) - 1) != 0)
		return false;
	const char *stop = header_stop(p, end);
	const char *h = p + sizeof(rcvd) - 1, *he = h;
	while (he < stop && *he != ' ' && *he != '\r')
		he++;
	const char *ip = memmem(he, (size_t)(stop - he), " [", 2);
	const char *ipe = ip != NULL ? memchr(ip, ']', (size_t)(stop - ip)) : NULL;
	if (ipe == NULL)
		return false;
	copy_cut(helo_r, helo_size, h, (size_t)(he - h));
	copy_cut(ip_r, ip_size, ip + 2, (size_t)(ipe - ip - 2));
	*authenticated_r = with_authenticated(p, stop);
	return true;
}

/* ---- the verdict ---- */

bool router_spam_is_quarantine(const struct router_spam_result *r, uint32_t threshold)
{
	double at = threshold > 0 ? (double)threshold : r->required_score;
	return at > 0 && r->score >= at;
}

static void spam_trace(struct router_plan *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void spam_trace(struct router_plan *p, const char *fmt, ...)
{
	char line[ROUTER_PLAN_TRACE_LINE_MAX];
	va_list ap;

	if (p->trace.n >= ROUTER_PLAN_MAX_TRACE) {
		p->truncated = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pb_strv_push(&p->trace, line);
}

void router_spam_apply(struct router_plan *p, const struct router_spam_result *r,
		       uint32_t threshold, const char *why)
{
	if (r == NULL) {
		spam_trace(p, "spam: not scored (%s): delivered as usual", why);
		return;
	}
	bool junk = router_spam_is_quarantine(r, threshold);
	double at = threshold > 0 ? (double)threshold : r->required_score;
	spam_trace(p, "X-Spam-Score: %.2f (rspamd action \"%s\"; quarantine at %.2f): %s",
		   r->score, r->action, at, junk ? "quarantined" : "not spam");
	for (size_t i = 0; junk && i < p->n_items; i++) {
		struct router_plan_item *it = &p->items[i];
		if (it->user_id == 0 || strcmp(it->folder, "INBOX") != 0)
			continue;
		free(it->folder);
		it->folder = xstrdup(ROUTER_SPAM_FOLDER);
		spam_trace(p, "spam: %s's copy goes to %s instead of INBOX", it->address,
			   ROUTER_SPAM_FOLDER);
	}
}
