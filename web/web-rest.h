/*
 * web-rest.h: the REST API's endpoints over the objects the CLI manages (issue 15 item 2),
 * each a web_stub_fn (web-stub.h) that calls the CLI's own client stub; web-api.c's route table
 * names them. Nobody outside web/ includes it.
 * OWNS: nothing. THREAD: the web hub's.
 */
#ifndef WEB_REST_H
#define WEB_REST_H

#include "web-stub.h"

/* Each endpoint: fn, the web_stub_fn (in the file of its object), and fn_route, the route
 * table's handler that runs it with web_stub_run. */
#define WEB_REST_ENDPOINTS(X) \
	X(web_rest_mappings) \
	X(web_rest_mapping_add) \
	X(web_rest_mapping_del) \
	X(web_rest_aliases) \
	X(web_rest_alias_add) \
	X(web_rest_alias_del) \
	X(web_rest_lists) \
	X(web_rest_list) \
	X(web_rest_list_add) \
	X(web_rest_list_del) \
	X(web_rest_list_patch) \
	X(web_rest_member_add) \
	X(web_rest_member_del) \
	X(web_rest_queue) \
	X(web_rest_queue_entry) \
	X(web_rest_queue_hold) \
	X(web_rest_queue_release) \
	X(web_rest_queue_retry) \
	X(web_rest_queue_delete) \
	X(web_rest_queue_flush) \
	X(web_rest_lockouts) \
	X(web_rest_unlock) \
	X(web_rest_lock) \
	X(web_rest_block_add) \
	X(web_rest_block_del) \
	X(web_rest_logins) \
	X(web_rest_connections) \
	X(web_rest_connection) \
	X(web_rest_connection_add) \
	X(web_rest_connection_del) \
	X(web_rest_connection_patch) \
	X(web_rest_connection_pause) \
	X(web_rest_connection_resume) \
	X(web_rest_connection_now) \
	X(web_rest_connection_hangup) \
	X(web_rest_collectors) \
	X(web_rest_collector) \
	X(web_rest_collector_add) \
	X(web_rest_collector_set) \
	X(web_rest_collector_del) \
	X(web_rest_collector_run) \
	X(web_rest_rules) \
	X(web_rest_rules_put) \
	X(web_rest_rules_del) \
	X(web_rest_script) \
	X(web_rest_script_put) \
	X(web_rest_script_del) \
	X(web_rest_server_script) \
	X(web_rest_server_script_put) \
	X(web_rest_server_script_delete) \
	X(web_rest_forwarding) \
	X(web_rest_forwarding_patch) \
	X(web_rest_autoreply) \
	X(web_rest_autoreply_patch) \
	X(web_rest_blocked) \
	X(web_rest_blocked_patch) \
	X(web_rest_signature) \
	X(web_rest_signature_patch) \
	X(web_rest_apikeys) \
	X(web_rest_apikey_add) \
	X(web_rest_apikey_del) \
	X(web_rest_bindings) \
	X(web_rest_certificates) \
	X(web_rest_bindings_put) \
	X(web_rest_certificate_add) \
	X(web_rest_quota)

#define WEB_REST_DECLARE(fn)                                                               \
	web_stub_fn fn;                                                                    \
	void fn##_route(struct web_session *ws, const struct http_request *q);
WEB_REST_ENDPOINTS(WEB_REST_DECLARE)

/* GET /api/user-keys (web-api-mailuser.c: no actor call). */
void web_api_user_keys(struct web_session *ws, const struct http_request *q);
/* GET /api/activity (web-api-system.c: the hub's asynchronous stub). */
void web_api_activity(struct web_session *ws, const struct http_request *q);

#endif
