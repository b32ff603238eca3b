/*
 * web-api-system.c: the REST API's read-only views of the node — the activity log (the status
 * hub's last items, newest first, a page at a time), the service bindings (each listener's
 * service, address, port and state) and the TLS certificate the listeners present — from the
 * status hub's and the sys actor's client stubs. An administrator's only.
 * OWNS: nothing. THREAD: the web hub's.
 * MESSAGES sent (through stubs): STATUS_LOG_REQ, SYS_STATUS_REQ.
 */
#include "web-api.h"

#include "statushub-client.h"
#include "sys-client.h"
#include "web-rest.h"

#include <stdint.h>

static void on_activity(void *session, uint64_t arg, struct pb_msg *m)
{
	struct web_session *ws = session;
	const struct http_request *q = http_reader_request(ws->reader);
	struct statushub_figures f = { 0 };
	const char *error = "no answer in time";
	uint64_t limit, before;
	uint32_t code = m != NULL ? statushub_client_log_reply(m, &f, &error) : PB_ERR_TEMP;

	if (code != PB_OK) {
		web_reply_error(ws, web_status_of(code, 200), error);
	} else if (web_query_u64(q, "limit", WEB_PAGE_DEFAULT, WEB_PAGE_MAX, &limit) < 0 ||
		   web_query_u64(q, "before", INT64_MAX, INT64_MAX, &before) < 0 || limit == 0) {
		web_reply_error(ws, 400, "limit is 1 to 1000, before a time in ms");
	} else {
		cJSON *a = cJSON_CreateArray();
		for (uint32_t i = f.items.n; i-- > 0 && (uint64_t)cJSON_GetArraySize(a) < limit;) {
			if ((uint64_t)f.items.v[i].time_ms >= before)
				continue;
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "time_ms", (double)f.items.v[i].time_ms);
			cJSON_AddStringToObject(o, "text", f.items.v[i].text);
			cJSON_AddItemToArray(a, o);
		}
		web_reply_json(ws, 200, a, NULL);
	}
	pb_rec_status_item_list_clear(&f.items);
}

void web_api_activity(struct web_session *ws, const struct http_request *q)
{
	struct gw_pending call;
	const char *error;
	struct pb_sender tx = web_call_sender(ws, &call, on_activity);

	if (statushub_client_log_send(&tx, &error) < 0)
		web_reply_busy(ws);
}

/* The node's status through the CLI's call; answers bindings (what 0) or certificates (1). */
static void status_view(struct web_session *ws, struct pb_sync *t, int what)
{
	struct sys_status st = { 0 };
	const char *error;
	uint32_t code = 0;

	int rc = sys_client_status(t, &code, &st, &error);
	if (web_stub_failed(ws, rc, code, error)) {
		sys_status_free(&st);
		return;
	}
	cJSON *a = cJSON_CreateArray();
	for (uint32_t i = 0; what == 0 && i < st.listeners.n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "service", st.listeners.v[i].service);
		cJSON_AddStringToObject(o, "address", st.listeners.v[i].address);
		cJSON_AddNumberToObject(o, "port", st.listeners.v[i].port);
		cJSON_AddStringToObject(o, "state", st.listeners.v[i].state);
		cJSON_AddItemToArray(a, o);
	}
	for (uint32_t i = 0; what == 1 && i < st.tls.n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "subject", st.tls.v[i].subject);
		cJSON_AddStringToObject(o, "names", st.tls.v[i].names);
		cJSON_AddNumberToObject(o, "not_after", (double)st.tls.v[i].not_after);
		cJSON_AddBoolToObject(o, "self_signed", st.tls.v[i].self_signed != 0);
		cJSON_AddBoolToObject(o, "generated", st.tls.v[i].generated != 0);
		cJSON_AddStringToObject(o, "sha256", st.tls.v[i].sha256);
		cJSON_AddItemToArray(a, o);
	}
	sys_status_free(&st);
	web_reply_json(ws, 200, a, NULL);
}

void web_rest_bindings(struct web_session *ws, const struct http_request *q, struct pb_sync *t)
{
	status_view(ws, t, 0);
}

void web_rest_certificates(struct web_session *ws, const struct http_request *q,
			   struct pb_sync *t)
{
	status_view(ws, t, 1);
}
