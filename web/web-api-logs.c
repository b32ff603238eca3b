/*
 * web-api-logs.c: GET /api/logs/security — the security log (logins and failed logins,
 * lockouts, blocks, administrative changes), newest first, a page at a time: ?limit=N (100, at
 * most 1000), ?before=OFFSET (the "next" of the page before; absent: from the end),
 * ?user=NAME, ?ip=ADDRESS (whole fields of the line). The sys actor reads the file, at most
 * 1 MiB per page (a page may hold fewer lines than asked: "next" goes on from there). The
 * lines' client text is already quoted (PB_LOGQ); cJSON escapes the rest. An administrator's.
 * OWNS: nothing. THREAD: the web hub's.
 * MESSAGES sent (through stubs): SYS_SECURITY_LOG_REQ.
 */
#include "web-api.h"

#include "sys-client.h"
#include "web-stub.h"

#include <stdlib.h>

/* The page as {"lines": [{offset, time_ms, module, text}], "next": OFFSET or 0}. */
static cJSON *page_json(const struct pb_rec_security_line_list *l, uint64_t next)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "lines");

	for (uint32_t i = 0; i < l->n; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "offset", (double)l->v[i].offset);
		cJSON_AddNumberToObject(e, "time_ms", (double)l->v[i].time_ms);
		cJSON_AddStringToObject(e, "module", l->v[i].module);
		cJSON_AddStringToObject(e, "text", l->v[i].text);
		cJSON_AddItemToArray(a, e);
	}
	cJSON_AddNumberToObject(o, "next", (double)next);
	return o;
}

static void security_log_run(struct web_session *ws, const struct http_request *q,
			     struct pb_sync *t)
{
	struct pb_rec_security_line_list lines = { 0 };
	uint64_t limit, before, next = 0;
	uint32_t code = 0;
	const char *error;

	if (web_query_u64(q, "limit", WEB_PAGE_DEFAULT, WEB_PAGE_MAX, &limit) < 0 || limit == 0 ||
	    web_query_u64(q, "before", 0, INT64_MAX, &before) < 0) {
		web_reply_error(ws, 400, "limit is 1 to 1000, before a byte offset (a page's next)");
		return;
	}
	char *user = web_query_get(q, "user"), *ip = web_query_get(q, "ip");
	int rc = sys_client_security_log(t, before, (uint32_t)limit,
					 user != NULL && user[0] != '\0' ? user : NULL,
					 ip != NULL && ip[0] != '\0' ? ip : NULL, &code, &lines,
					 &next, &error);
	free(user);
	free(ip);
	if (!web_stub_failed(ws, rc, code, error))
		web_reply_json(ws, 200, page_json(&lines, next), NULL);
	pb_rec_security_line_list_clear(&lines);
}

void web_api_security_log(struct web_session *ws, const struct http_request *q)
{
	web_stub_run(ws, q, security_log_run);
}
