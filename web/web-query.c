/*
 * web-query.c: the REST API's request helpers — query parameters (percent-decoded) and the
 * JSON body's members — shared by the web-api-*.c files (declared in web-api.h).
 * OWNS: nothing. THREAD: any.
 */
#include "web-api.h"

#include "pb-alloc.h"

#include <stdlib.h>
#include <string.h>

/* Percent-decodes s[0 .. len) ('+' is a space); NULL for a bad escape or a NUL. */
static char *form_decode(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] != '%') {
			*o++ = s[i];
		} else {
			int hi = i + 2 < len ? http_hex_value(s[i + 1]) : -1;
			int lo = hi >= 0 ? http_hex_value(s[i + 2]) : -1;
			if (lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		}
	}
	*o = '\0';
	return out;
}

char *web_query_get(const struct http_request *q, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = q->query; p != NULL && *p != '\0';) {
		const char *end = strchr(p, '&');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len > n && strncmp(p, name, n) == 0 && p[n] == '=')
			return form_decode(p + n + 1, len - n - 1);
		if (len == n && strncmp(p, name, n) == 0)
			return xstrdup("");
		p = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

int web_query_u64(const struct http_request *q, const char *name, uint64_t dflt, uint64_t max,
		  uint64_t *value_r)
{
	char *text = web_query_get(q, name), *end;

	*value_r = dflt;
	if (text == NULL)
		return 0;
	uint64_t v = strtoull(text, &end, 10);
	bool ok = text[0] >= '0' && text[0] <= '9' && *end == '\0' && v <= max;
	free(text);
	if (!ok)
		return -1;
	*value_r = v;
	return 0;
}

cJSON *web_body_object(const struct http_request *q)
{
	cJSON *in = cJSON_ParseWithLength(q->body.data, q->body.len);

	if (!cJSON_IsObject(in)) {
		cJSON_Delete(in);
		return NULL;
	}
	return in;
}

static int by_member(const void *a, const void *b, void *key)
{
	const char *x = web_body_str(*(cJSON *const *)a, key);
	const char *y = web_body_str(*(cJSON *const *)b, key);
	return strcmp(x != NULL ? x : "", y != NULL ? y : "");
}

void web_reply_page(struct web_session *ws, const struct http_request *q, cJSON *a,
		    const char *key)
{
	uint64_t limit;
	int n = cJSON_GetArraySize(a);

	if (web_query_u64(q, "limit", WEB_PAGE_DEFAULT, WEB_PAGE_MAX, &limit) < 0 || limit == 0) {
		cJSON_Delete(a);
		web_reply_error(ws, 400, "limit must be a number from 1 to 1000");
		return;
	}
	char *after = web_query_get(q, "after");
	cJSON **v = xcalloc((size_t)n + 1, sizeof(*v));
	for (int i = n; i-- > 0;)
		v[i] = cJSON_DetachItemFromArray(a, i);
	qsort_r(v, (size_t)n, sizeof(*v), by_member, (void *)key);
	for (int i = 0; i < n; i++) {
		const char *k = web_body_str(v[i], key);
		bool in = (after == NULL || strcmp(k != NULL ? k : "", after) > 0) &&
			  (uint64_t)cJSON_GetArraySize(a) < limit;
		if (in)
			cJSON_AddItemToArray(a, v[i]);
		else
			cJSON_Delete(v[i]);
	}
	free(v);
	free(after);
	web_reply_json(ws, 200, a, NULL);
}

void web_reply_one_or_page(struct web_session *ws, const struct http_request *q, cJSON *a,
			   bool one, const char *key, const char *none)
{
	if (!one) {
		web_reply_page(ws, q, a, key);
		return;
	}
	cJSON *first = cJSON_DetachItemFromArray(a, 0);
	cJSON_Delete(a);
	if (first == NULL)
		web_reply_error(ws, 404, none);
	else
		web_reply_json(ws, 200, first, NULL);
}
