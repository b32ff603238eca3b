/*
 * web-api.h: what the API's files share (web-api.c: the routes, dispatch, session endpoints,
 * status and metrics, the OpenAPI document; web-api-admin.c: the administration endpoints).
 * Nobody outside web/ includes it. OWNS: nothing. THREAD: the web hub's.
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

#endif
