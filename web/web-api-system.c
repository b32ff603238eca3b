/*
 * web-api-system.c: the REST API's read-only views of the node — the activity log (the status
 * hub's last items, newest first, a page at a time), the service bindings (each listener's
 * service, address, port, state and TLS mode) and the TLS certificate the listeners present
 * (with its issuer and the services that present it) — from the
 * status hub's and the sys actor's client stubs. An administrator's only.
 * OWNS: nothing. THREAD: the web hub's.
 * MESSAGES sent (through stubs): STATUS_LOG_REQ, SYS_STATUS_REQ.
 */
#include "web-api.h"

#include "statushub-client.h"
#include "sys-client.h"
#include "web-rest.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

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

/* The bindings: each listener's service, address, port, state and TLS mode. */
static cJSON *bindings_json(const struct sys_status *st)
{
	cJSON *a = cJSON_CreateArray();

	for (uint32_t i = 0; i < st->listeners.n; i++) {
		const struct pb_rec_listener *l = &st->listeners.v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "service", l->service);
		cJSON_AddStringToObject(o, "address", l->address);
		cJSON_AddNumberToObject(o, "port", l->port);
		cJSON_AddStringToObject(o, "state", l->state);
		cJSON_AddStringToObject(o, "tls", l->tls);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

/* The services whose listeners present the certificate: every one with TLS (the daemon has
 * one certificate, sys-reports.c), each named once. */
static cJSON *cert_services(const struct sys_status *st)
{
	cJSON *a = cJSON_CreateArray();

	for (uint32_t i = 0; i < st->listeners.n; i++) {
		const struct pb_rec_listener *l = &st->listeners.v[i];
		bool seen = strcmp(l->tls, "none") == 0;
		for (uint32_t j = 0; j < i && !seen; j++)
			seen = strcmp(st->listeners.v[j].service, l->service) == 0;
		if (!seen)
			cJSON_AddItemToArray(a, cJSON_CreateString(l->service));
	}
	return a;
}

static cJSON *certificates_json(const struct sys_status *st)
{
	cJSON *a = cJSON_CreateArray();

	for (uint32_t i = 0; i < st->tls.n; i++) {
		const struct pb_rec_tls_cert *c = &st->tls.v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "subject", c->subject);
		cJSON_AddStringToObject(o, "issuer", c->issuer);
		cJSON_AddStringToObject(o, "names", c->names);
		cJSON_AddNumberToObject(o, "not_after", (double)c->not_after);
		cJSON_AddBoolToObject(o, "self_signed", c->self_signed != 0);
		cJSON_AddBoolToObject(o, "generated", c->generated != 0);
		cJSON_AddStringToObject(o, "sha256", c->sha256);
		cJSON_AddItemToObject(o, "services", cert_services(st));
		cJSON_AddItemToArray(a, o);
	}
	return a;
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
	cJSON *a = what == 0 ? bindings_json(&st) : certificates_json(&st);
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
