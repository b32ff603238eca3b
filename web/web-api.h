/*
 * web-api.h: what the API's files share (web-api.c: the routes, dispatch, session endpoints,
 * status and metrics, the OpenAPI document; web-api-admin.c: the administration endpoints;
 * web-api-keys.c: API keys and Bearer requests; web-query.c: the request helpers; the other
 * objects' endpoints: web-rest.h). Nobody outside web/ includes it. OWNS: nothing. THREAD: the web hub's.
 */
#ifndef WEB_API_H
#define WEB_API_H

#include "web-session.h"

/* The HTTP status of an actor's answer code (PB_OK → ok). */
int web_status_of(uint32_t code, int ok);
/* The string member `name` of a JSON body, or NULL (also when the body is not JSON). */
const char *web_body_str(const cJSON *body, const char *name);
/* Answers a request whose actor call could not be sent. */
void web_reply_busy(struct web_session *ws);
/* The reply function of a call whose answer carries only a status (pb_status, *error_r). */
typedef uint32_t web_status_reply_fn(struct pb_msg *rep, const char **error_r);
/* Answers with status ok (no body) when m (NULL: no answer in time) is PB_OK, else with the
 * owner's reason and web_status_of's status. */
void web_answer_status(struct web_session *ws, struct pb_msg *m, web_status_reply_fn *reply,
		       int ok);

/* Runs the route ws->route for the caller ws->who (an API key's: no CSRF token), after its
 * access check (web-api.c). */
void web_api_proceed(struct web_session *ws, const struct http_request *q);
/* The key of the request's "Authorization: Bearer KEY" field (within q), NULL for none. */
const char *web_bearer_key(const struct http_request *q);
/* Checks an API key (web-api-keys.c): then web_api_proceed, or a 401/503 answer. */
void web_api_key_login(struct web_session *ws, const char *key);

/* ---- request helpers (web-query.c) ---- */
/* Query parameter name's value, percent-decoded ("" for a bare name); NULL when absent or
 * badly escaped. The caller frees it. */
char *web_query_get(const struct http_request *q, const char *name);
/* Query parameter name as a decimal number at most max (dflt when absent): 0, or -1 when it
 * is not one. */
int web_query_u64(const struct http_request *q, const char *name, uint64_t dflt, uint64_t max,
		  uint64_t *value_r);
/* Answers a JSON array of objects (taken) a page at a time: sorted by their string member
 * key, those whose key is above ?after=, at most ?limit= (WEB_PAGE_DEFAULT, at most
 * WEB_PAGE_MAX; 400 for another limit). The next page: ?after= the last one's key. */
#define WEB_PAGE_DEFAULT 100
#define WEB_PAGE_MAX 1000
void web_reply_page(struct web_session *ws, const struct http_request *q, cJSON *a,
		    const char *key);
/* With one: answers a's first object (404 with none when a is empty), else a page of a as
 * web_reply_page. a is taken. */
void web_reply_one_or_page(struct web_session *ws, const struct http_request *q, cJSON *a,
			   bool one, const char *key, const char *none);
/* The body as a JSON object (the caller deletes it), NULL when it is not one. */
cJSON *web_body_object(const struct http_request *q);

/* The administration endpoints (web-api-admin.c). */
void web_api_user_add(struct web_session *ws, const struct http_request *q);
void web_api_user_del(struct web_session *ws, const struct http_request *q);
void web_api_user_password(struct web_session *ws, const struct http_request *q);
void web_api_domains(struct web_session *ws, const struct http_request *q);
void web_api_domain_add(struct web_session *ws, const struct http_request *q);
void web_api_domain_del(struct web_session *ws, const struct http_request *q);
void web_api_setting_get(struct web_session *ws, const struct http_request *q);
void web_api_setting_put(struct web_session *ws, const struct http_request *q);
void web_api_setting_history(struct web_session *ws, const struct http_request *q);
void web_api_setting_rollback(struct web_session *ws, const struct http_request *q);
/* GET /api/directory-history, POST /api/directory-history/{seq}/rollback (?to=1): the
 * directory's history of accounts' settings and mappings (DIR_HISTORY_REQ, DIR_ROLLBACK_REQ). */
void web_api_directory_history(struct web_session *ws, const struct http_request *q);
void web_api_directory_rollback(struct web_session *ws, const struct http_request *q);
/* web-api-history.c: the one timeline (GET /api/history, POST .../{point}/rollback-to,
 * POST /api/history/checkpoint). A change as JSON {seq, at_ms, by, doc, note, before, after}
 * (web-api-admin.c; before/after null when absent). */
void web_api_history(struct web_session *ws, const struct http_request *q);
void web_api_history_rollback_to(struct web_session *ws, const struct http_request *q);
void web_api_history_rollback(struct web_session *ws, const struct http_request *q);
void web_api_history_checkpoint(struct web_session *ws, const struct http_request *q);
struct pb_rec_setting_change;
cJSON *web_history_change_json(const struct pb_rec_setting_change *c);

/* ---- h-metrics8: /metrics' lists and the security log (web-metrics.c, web-api-logs.c) ---- */
/* Appends the actors' and the gateway hubs' inbox depths and fullness, the SMTP refusals by
 * reason and the latency histograms of st (the sys actor's status) to out, in the Prometheus
 * text format (web-prom.h). */
struct sys_status;
struct pb_buf;
void web_metrics_lists(const struct sys_status *st, struct pb_buf *out);
/* Appends the outbound queue's figures (QUEUE_STATS_REP summed over its shards) to out. */
struct queue_client_stats;
void web_metrics_queue(const struct queue_client_stats *qs, struct pb_buf *out);
/* GET /api/logs/security (web-api-logs.c). */
void web_api_security_log(struct web_session *ws, const struct http_request *q);

/* The admin UI's endpoints (web-api-ui.c). */
void web_api_settings_schema(struct web_session *ws, const struct http_request *q);
void web_api_user_patch(struct web_session *ws, const struct http_request *q);
/* h-fwdext: POST /api/users/{name}/copy-inbox, one batch (router-copyinbox.h). */
void web_api_user_copy_inbox(struct web_session *ws, const struct http_request *q);
void web_api_user_rules_get(struct web_session *ws, const struct http_request *q);
void web_api_user_rules_put(struct web_session *ws, const struct http_request *q);
/* GET /api/rules/names: rules_names_json() (h-rulesui). */
void web_api_rules_names(struct web_session *ws, const struct http_request *q);

#endif
