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
/* The reply function of a call whose answer carries only a status (pb_status, *error_r). */
typedef uint32_t web_status_reply_fn(struct pb_msg *rep, const char **error_r);
/* Answers with status ok (no body) when m (NULL: no answer in time) is PB_OK, else with the
 * owner's reason and web_status_of's status. */
void web_answer_status(struct web_session *ws, struct pb_msg *m, web_status_reply_fn *reply,
		       int ok);

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

/* The admin UI's endpoints (web-api-ui.c). */
void web_api_settings_schema(struct web_session *ws, const struct http_request *q);
void web_api_user_patch(struct web_session *ws, const struct http_request *q);
void web_api_locks(struct web_session *ws, const struct http_request *q);
void web_api_user_unlock(struct web_session *ws, const struct http_request *q);
void web_api_user_rules_get(struct web_session *ws, const struct http_request *q);
void web_api_user_rules_put(struct web_session *ws, const struct http_request *q);

#endif
